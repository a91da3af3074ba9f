use std::time::{Duration, Instant};

use crate::address::{ForwardPath, Host, Mailbox, ReversePath};
use crate::auth::Credentials;
use crate::client::{
    Client, CommandHandle, Config, Envelope, Event, Handshake, Pipelining, TlsPolicy,
};
use crate::command::{Command, MailParams, RcptParams};

/// Drives a whole client with arbitrary server bytes, EOFs, timeouts and caller actions,
/// draining every poll after each step, and checks the promises a caller relies on: no
/// panic, bounded output and input, one `Closed` event as the very last, a closed session has
/// no deadline, and every message (queued with `send_mail` or opened with `mail`) gets
/// exactly one `MessageFinished` by the end of the session, never "accepted" when the end of
/// its data was not written.
///
/// The first byte picks the configuration; then each op byte picks an input or an action,
/// and server bytes are taken from the data that follows. At the end of the input the
/// server hangs up, so every session ends.
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
    let mut config =
        Config::new(Host::parse("client.example.org").unwrap_or_else(|_| unreachable!()))
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
            .with_max_outstanding_commands(64)
            .with_max_queued_messages(4);
    if setup & 0x0c == 0x0c {
        config = config.with_credentials(Credentials::password("alice", "s3cret"));
    }
    let mut now = Instant::now();
    let mut client = Client::new(config, now);
    let sender =
        || ReversePath::from(Mailbox::parse("a@example.org").unwrap_or_else(|_| unreachable!()));
    let recipient =
        || ForwardPath::from(Mailbox::parse("b@example.com").unwrap_or_else(|_| unreachable!()));
    let mut messages = Messages::default();
    let mut ended = false;
    loop {
        let Some((&op, rest)) = ops.split_first() else {
            if ended {
                break;
            }
            client.receive_eof(now);
            messages.drain(&mut client, &mut ended);
            assert!(ended, "EOF ends every session");
            break;
        };
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
                if let Ok(handles) = client.send_mail(
                    now,
                    &Envelope::new(sender(), [recipient(), ForwardPath::Postmaster]),
                    b"Subject: x\r\n\r\n.body\n",
                ) {
                    messages.open.push(handles.mail);
                }
            }
            11 => {
                if let Ok(mail) = client.mail(now, &sender(), MailParams::default()) {
                    messages.open.push(mail);
                }
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
        messages.drain(&mut client, &mut ended);
        if client.is_closed() {
            assert!(ended, "is_closed only once Closed was taken");
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
    assert!(
        messages.open.is_empty(),
        "messages without a finishing event: {:?}",
        messages.open
    );
}

/// The messages handed over and not yet finished.
#[derive(Default)]
struct Messages {
    open: Vec<CommandHandle>,
}

impl Messages {
    fn drain(&mut self, client: &mut Client, ended: &mut bool) {
        while let Some(event) = client.poll_event() {
            assert!(!*ended, "an event after Closed: {}", event.name());
            let _ = (event.name(), event.handle(), event.reply());
            match &event {
                Event::MessageFinished(outcome) => {
                    let position = self.open.iter().position(|m| *m == outcome.mail);
                    assert!(
                        position.is_some(),
                        "a finishing event for an unknown or finished message {:?}",
                        outcome.mail
                    );
                    if let Some(position) = position {
                        self.open.remove(position);
                    }
                    if let Some(diagnosis) = outcome.diagnosis() {
                        let _ = diagnosis.to_json();
                    }
                }
                Event::Closed { reason } => {
                    if let Some(diagnosis) = reason.diagnosis() {
                        let _ = diagnosis.to_json();
                    }
                    *ended = true;
                }
                _ => {}
            }
        }
    }
}
