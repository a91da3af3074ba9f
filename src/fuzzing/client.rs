use std::time::{Duration, Instant};

use crate::address::{ForwardPath, Host, Mailbox, ReversePath};
use crate::auth::Credentials;
use crate::client::{Client, Config, Envelope, Error, Handshake, Pipelining, TlsPolicy};
use crate::command::{Command, MailParams, RcptParams};

/// Drives a whole client with arbitrary server bytes, EOFs, timeouts and caller actions,
/// draining every poll after each step, and checks the invariants a caller relies on: no
/// panic, bounded output and input, errors stay sticky, a closed session has no deadline.
///
/// The first byte picks the configuration; then each op byte picks an input or an action,
/// and server bytes are taken from the data that follows.
pub fn client(data: &[u8]) {
    let Some((&setup, mut ops)) = data.split_first() else {
        return;
    };
    let tls = match setup % 4 {
        0 => TlsPolicy::None,
        1 => TlsPolicy::Opportunistic,
        2 => TlsPolicy::Required,
        _ => TlsPolicy::Implicit,
    };
    let config = Config::new(Host::parse("client.example.org").unwrap_or_else(|_| unreachable!()))
        .with_tls(tls)
        .with_lmtp(setup & 0x10 != 0)
        .with_pipelining(if setup & 0x20 != 0 {
            Pipelining::Off
        } else {
            Pipelining::Auto
        })
        .with_handshake(if setup & 0x40 != 0 {
            Handshake::Manual
        } else {
            Handshake::Automatic
        })
        .dangerous_allow_plaintext_auth(setup & 0x80 != 0)
        .with_max_outstanding_commands(64);
    let mut now = Instant::now();
    let mut client = Client::new(config, now);
    let sender =
        || ReversePath::from(Mailbox::parse("a@example.org").unwrap_or_else(|_| unreachable!()));
    let recipient =
        || ForwardPath::from(Mailbox::parse("b@example.com").unwrap_or_else(|_| unreachable!()));
    let mut failed: Option<Error> = None;
    while let Some((&op, rest)) = ops.split_first() {
        ops = rest;
        match op % 16 {
            // Server bytes: the next `op / 16 + 1` * 4 octets.
            0..=5 => {
                let take = ((usize::from(op) / 16) + 1) * 4;
                let (bytes, rest) = ops.split_at(take.min(ops.len()));
                ops = rest;
                client.receive(now, bytes);
            }
            6 => client.receive_eof(now),
            7 => {
                if let Some(deadline) = client.poll_timeout() {
                    now = deadline;
                }
                client.handle_timeout(now);
            }
            8 => now += Duration::from_secs(u64::from(op)),
            9 => {
                let _ = client.tls_established(now);
                let _ = client.ehlo(now);
            }
            10 => {
                let _ = client.send_mail(
                    now,
                    &Envelope::new(sender(), [recipient(), ForwardPath::Postmaster]),
                    b"Subject: x\r\n\r\n.body\n",
                );
            }
            11 => {
                let _ = client.mail(now, &sender(), MailParams::default());
                let _ = client.rcpt(now, &recipient(), RcptParams::default());
                let _ = client.data(now);
            }
            12 => {
                let _ = client.send_data(now, b"line\r\n.dot\r");
                let _ = client.finish_data(now);
            }
            13 => {
                let _ = client.authenticate(now, &Credentials::password("alice", "s3cret"), None);
            }
            14 => {
                let _ = client.starttls(now);
                let _ = client.bdat(now, b"chunk\n", op & 0x10 != 0);
            }
            _ => {
                let _ = client.send(
                    now,
                    if op & 0x10 != 0 {
                        Command::Rset
                    } else {
                        Command::Noop(None)
                    },
                );
                if op & 0x20 != 0 {
                    let _ = client.quit(now);
                }
            }
        }
        loop {
            match client.poll_event() {
                Ok(Some(event)) => {
                    let _ = (event.name(), event.handle(), event.reply());
                }
                Ok(None) => break,
                Err(error) => {
                    let _ = error.diagnosis().to_json();
                    if let Some(previous) = &failed {
                        assert_eq!(previous.to_string(), error.to_string(), "errors are sticky");
                    }
                    failed = Some(error);
                    break;
                }
            }
        }
        if client.is_closed() {
            assert_eq!(
                client.poll_timeout(),
                None,
                "a closed session has no deadline"
            );
        }
        // Output is bounded by what the caller queued, which the outstanding limit bounds.
        assert!(client.pending_output().len() < 1 << 20);
        let n = client.pending_output().len() / 2 + usize::from(op & 1);
        client.consume_output(now, n);
    }
}
