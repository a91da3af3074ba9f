//! Property tests of the whole client:
//! 1. feeding a server's byte stream in any split gives the same events and output;
//! 2. a client driven by a random but legal server (`strategies::server_script` for
//!    `testing::Server`: every command answered with a reply the RFC allows for it, sometimes
//!    a 421 or a hang-up, the output split anywhere) and random caller actions never panics,
//!    never grows past its limits, and always ends in a defined state.

use std::time::Instant;

use proptest::prelude::*;
use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::command::{Command, RcptParams};
use smtp_sansio::strategies::{envelope_for, message_for, server_script};
use smtp_sansio::testing::{End, Server, Turn, run};
use smtp_sansio::{Client, CloseReason, Config, Envelope, Event, Pipelining, TlsPolicy};

fn config(pipelining: bool) -> Config {
    Config::new(Host::parse("client.example.org").unwrap())
        .with_tls(TlsPolicy::None)
        .with_pipelining(if pipelining {
            Pipelining::Auto
        } else {
            Pipelining::Off
        })
}

fn envelope(n: usize) -> Envelope {
    let from = ReversePath::from(Mailbox::parse("alice@example.org").unwrap());
    let to =
        (0..n).map(|i| ForwardPath::from(Mailbox::parse(&format!("r{i}@example.com")).unwrap()));
    Envelope::new(from, to)
}

/// What a run produced: event names with their handles and reply codes, and all output.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<String>,
    output: Vec<u8>,
    error: Option<String>,
}

fn describe(event: &Event) -> String {
    format!(
        "{}{}{}",
        event.name(),
        event.handle().map(|h| format!(" {h}")).unwrap_or_default(),
        event
            .reply()
            .map(|r| format!(" {}", r.code()))
            .unwrap_or_default()
    )
}

/// Plays the server's turns in order, each one after the client wrote what the previous one
/// asked for (a server answers only what it received), each turn cut at `cuts`. On `Ready`
/// the caller queues a message and asks to quit.
fn run_turns(turns: &[Vec<u8>], recipients: usize, cuts: &[usize]) -> Outcome {
    let now = Instant::now();
    let mut client = Client::new(config(true), now);
    let mut outcome = Outcome {
        events: Vec::new(),
        output: Vec::new(),
        error: None,
    };
    for bytes in turns {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(bytes.len());
        points.sort_unstable();
        let mut start = 0;
        for point in points {
            client.receive(now, &bytes[start..point]);
            start = point;
            while let Some(event) = client.poll_event() {
                if matches!(event, Event::Ready { .. }) {
                    client
                        .send_mail(now, &envelope(recipients), b"Subject: x\r\n\r\n.hello\r\n")
                        .unwrap();
                    client.quit(now).unwrap();
                }
                if let Event::Closed {
                    reason: CloseReason::Failed { error },
                } = &event
                {
                    outcome.error = Some(error.to_string());
                }
                outcome.events.push(describe(&event));
            }
            let n = client.pending_output().len();
            outcome.output.extend_from_slice(client.pending_output());
            client.consume_output(now, n);
        }
    }
    outcome
}

fn rcpt_reply() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("250 2.1.5 Ok\r\n"),
        Just("550 5.1.1 <x>: User unknown\r\n"),
        Just("452 4.2.2 Mailbox full\r\n"),
        Just("250-2.1.5 Ok\r\n250 2.1.5 still ok\r\n"),
    ]
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events_and_output(
        rcpts in proptest::collection::vec(rcpt_reply(), 1..4),
        data_accepted in any::<bool>(),
        bare_lf in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let mut greeting = b"220-mx.example.com ESMTP\r\n220 second banner line\r\n".to_vec();
        let mut ehlo = b"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250 8BITMIME\r\n".to_vec();
        let mut envelope_replies = b"250 2.1.0 Ok\r\n".to_vec();
        for reply in &rcpts {
            envelope_replies.extend_from_slice(reply.as_bytes());
        }
        let any_accepted = rcpts.iter().any(|r| r.starts_with("250"));
        // After 354: the reply to the message (or, every recipient refused, to the empty
        // message end of RFC 2920 s3.1, which needs no RSET). After a refused DATA the
        // server still holds MAIL, so the client resets.
        let after = if data_accepted {
            envelope_replies.extend_from_slice(b"354 go ahead\r\n");
            if any_accepted { b"250 2.0.0 queued\r\n".to_vec() } else { b"554 5.5.1 no valid recipients\r\n".to_vec() }
        } else {
            envelope_replies.extend_from_slice(b"554 5.5.1 Error: no valid recipients\r\n");
            b"250 2.0.0 reset\r\n".to_vec()
        };
        if bare_lf {
            greeting = String::from_utf8(greeting).unwrap().replace("\r\n", "\n").into_bytes();
            ehlo = String::from_utf8(ehlo).unwrap().replace("\r\n", "\n").into_bytes();
        }
        let turns = [greeting, ehlo, envelope_replies, after, b"221 2.0.0 Bye\r\n".to_vec()];
        let longest = turns.iter().map(Vec::len).max().unwrap_or(0);
        let whole = run_turns(&turns, rcpts.len(), &[]);
        let split = run_turns(&turns, rcpts.len(), &cuts);
        prop_assert_eq!(&split, &whole);
        let byte_by_byte = run_turns(&turns, rcpts.len(), &(0..longest).collect::<Vec<_>>());
        prop_assert_eq!(&byte_by_byte, &whole);
        prop_assert!(whole.error.is_none(), "{:?}", whole);
        prop_assert_eq!(whole.events.last().map(String::as_str), Some("Closed 221"));
        // One finishing event for the one message, accepted only when a recipient was and
        // the server said 250 after the data.
        let finished: Vec<&String> = whole.events.iter().filter(|e| e.starts_with("MessageFinished")).collect();
        prop_assert_eq!(finished.len(), 1, "{:?}", whole.events);
        prop_assert_eq!(finished[0].ends_with(" 250"), data_accepted && any_accepted, "{:?}", whole.events);
    }
}

// ---- random but legal servers (smtp_sansio::testing, strategies::server_script) ----------

/// One caller action on an idle client, picked by `action`.
fn act(client: &mut Client, now: Instant, action: u8) {
    match action % 5 {
        0 => {
            let _ = client.send_mail(
                now,
                &envelope(1 + usize::from(action % 3)),
                b"Subject: s\r\n\r\nbody\r\n",
            );
        }
        1 => {
            let _ = client.send(now, Command::Noop(None));
        }
        2 => {
            let from = ReversePath::from(Mailbox::parse("a@example.org").unwrap());
            let _ = client.mail(now, &from, Default::default());
            let _ = client.rcpt(now, &ForwardPath::Postmaster, RcptParams::default());
            if action.is_multiple_of(2) {
                let _ = client.bdat(now, b"chunk one\n", false);
                let _ = client.bdat(now, b"chunk two\n", true);
            } else {
                let _ = client.data(now);
            }
        }
        _ => {
            let _ = client.send(now, Command::Rset);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn random_legal_servers_never_break_the_client(
        script in server_script(),
        pipelining in any::<bool>(),
        actions in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let chunking = script.policy.ehlo_keywords(false).iter().any(|k| k == "CHUNKING");
        let start = Instant::now();
        let mut server = Server::scripted(script);
        let mut client = Client::new(config(pipelining), start);
        let mut actions = actions.into_iter();
        let mut quit_sent = false;
        let mut most_pending = 0;
        let outcome = run(&mut client, &mut server, start, |client, now, turn| {
            most_pending = most_pending.max(client.pending_output().len());
            match turn {
                Turn::Event(Event::DataReady { .. }) => {
                    client.send_data(now, b"line one\r\n.dot line\nbare lf\r")?;
                    client.finish_data(now)?;
                }
                Turn::Idle => match actions.next() {
                    Some(action) => act(client, now, action),
                    None if !quit_sent => {
                        quit_sent = true;
                        client.quit(now)?;
                    }
                    None => {}
                },
                _ => {}
            }
            Ok(())
        });
        let transcript = server.transcript();
        // The session always ends, closed or failed, and then has no deadline.
        prop_assert_ne!(outcome.end, End::Stalled, "{}", transcript);
        prop_assert!(client.is_closed() || outcome.error.is_some());
        prop_assert_eq!(client.poll_timeout(), None);
        // Memory stays bounded: output never piles up.
        prop_assert!(most_pending < 64 * 1024);
        // Every line the client wrote parsed as a command, and it never used BDAT on a server
        // that did not offer CHUNKING (RFC 3030 s2).
        prop_assert!(!transcript.contains("Syntax error: "), "{}", transcript);
        prop_assert!(chunking || !transcript.contains("C: BDAT"), "{}", transcript);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    /// Messages handed over at once, before the session is even ready, against random legal
    /// servers (refusals at every point, `421`, hang-ups, silence, output split anywhere):
    /// no stall, one finishing event per message in the order they were given, the last
    /// event is the one `Closed`, and the messages reported accepted are exactly the ones the
    /// server took after the data.
    #[test]
    fn queued_messages_each_end_once_and_only_accepted_mail_is_reported(
        (script, messages) in server_script().prop_flat_map(|script| {
            let policy = script.policy.clone();
            (Just(script), proptest::collection::vec((envelope_for(&policy), message_for(&policy)), 1..5))
        }),
        pipelining in any::<bool>(),
    ) {
        let start = Instant::now();
        let mut server = Server::scripted(script);
        let mut client = Client::new(config(pipelining), start);
        let mut handles = Vec::new();
        for (envelope, message) in &messages {
            handles.push(client.send_mail(start, envelope, message).unwrap().mail);
        }
        client.quit(start).unwrap();
        let outcome = run(&mut client, &mut server, start, |_, _, _| Ok(()));
        let transcript = server.transcript();
        prop_assert_ne!(outcome.end, End::Stalled, "{}", transcript);
        prop_assert!(outcome.usage_errors.is_empty(), "{:?}", outcome.usage_errors);
        let closed = outcome.events.iter().filter(|e| e.name() == "Closed").count();
        prop_assert_eq!(closed, 1);
        prop_assert_eq!(outcome.events.last().map(Event::name), Some("Closed"));
        let finished = outcome.message_outcomes();
        prop_assert_eq!(finished.iter().map(|o| o.mail).collect::<Vec<_>>(), handles, "{}", transcript);
        prop_assert_eq!(outcome.messages_accepted(), server.messages().len(), "{}", transcript);
        for accepted in finished.iter().filter(|o| o.is_accepted()) {
            prop_assert!(accepted.delivered_to().next().is_some(), "{:?}", accepted);
        }
    }
}
