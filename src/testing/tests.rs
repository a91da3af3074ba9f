use std::time::{Duration, Instant};

use super::script::{Point, refusal};
use super::*;
use crate::address::{ForwardPath, Host, Mailbox, ReversePath};
use crate::client::{Client, Config, Envelope, Event, Pipelining, TlsPolicy};
use crate::command::Verb;
use crate::reply::{Decoded, ReplyLimits, parse_reply};
use crate::{Credentials, Stage};

fn plain_client() -> Client {
    let config = Config::new(Host::parse("client.example").unwrap()).with_tls(TlsPolicy::None);
    Client::new(config, Instant::now())
}

fn envelope(to: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::from(Mailbox::parse("alice@example.test").unwrap()),
        to.iter()
            .map(|address| ForwardPath::from(Mailbox::parse(address).unwrap())),
    )
}

#[test]
fn every_listed_refusal_is_a_valid_negative_reply_of_its_class() {
    let points = Verb::ALL
        .into_iter()
        .filter(|verb| !matches!(verb, Verb::AuthResponse | Verb::AuthCancel))
        .map(Point::Command)
        .chain([Point::Greeting, Point::DataEnd]);
    for point in points {
        for permanent in [false, true] {
            for pick in 0..8 {
                for enhanced in [false, true] {
                    let reply = refusal(point, permanent, pick, enhanced);
                    let class = if permanent { 5 } else { 4 };
                    assert_eq!(
                        reply.code().value() / 100,
                        u16::from(class),
                        "{point:?} {reply}"
                    );
                    assert_eq!(
                        reply.enhanced_code().is_some(),
                        enhanced,
                        "{point:?} {reply}"
                    );
                    if let Some(code) = reply.enhanced_code() {
                        assert_eq!(code.class, class, "{point:?} {reply}");
                    }
                    let parsed = parse_reply(reply.as_bytes(), &ReplyLimits::default());
                    assert!(
                        matches!(parsed, Ok(Decoded::Complete { value, .. }) if value == reply && value.anomalies().is_empty())
                    );
                }
            }
        }
    }
}

#[test]
fn a_policy_server_takes_a_message_and_records_it_unstuffed() {
    let mut server = Server::new(Policy::new());
    let mut client = plain_client();
    let message = b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\nlast\r\n";
    let outcome = Plan::new()
        .send(envelope(&["bob@example.test"]), message.to_vec())
        .run(&mut client, &mut server, Instant::now());
    assert_eq!(outcome.end, End::Closed, "{}", server.transcript());
    assert_eq!(outcome.messages_accepted(), 1);
    let received = &server.messages()[0];
    assert_eq!(received.content, message);
    assert_eq!(received.from.to_string(), "<alice@example.test>");
    assert_eq!(received.to.len(), 1);
    // The wire form was dot-stuffed, the stored one is not.
    let transcript = server.transcript();
    assert!(transcript.contains("C: ..leading dot\n"), "{transcript}");
    assert!(transcript.contains("C: ...two\n"), "{transcript}");
    assert!(
        transcript.ends_with("C: QUIT\nS: 221 2.0.0 Bye\n"),
        "{transcript}"
    );
    assert_eq!(
        outcome.elapsed,
        Duration::ZERO,
        "no waiting on a responsive server"
    );
}

#[test]
fn recipients_outside_the_policy_are_unknown_users_or_relay_attempts() {
    let policy = Policy::new().with_recipients(["bob@example.test"]);
    let mut server = Server::new(policy);
    let mut client = plain_client();
    let outcome = Plan::new()
        .send(
            envelope(&[
                "bob@example.test",
                "eve@example.test",
                "carol@elsewhere.test",
            ]),
            b"Subject: x\r\n\r\nx\r\n".to_vec(),
        )
        .run(&mut client, &mut server, Instant::now());
    let refused: Vec<(Stage, &str)> = outcome
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Rejected(r) => Some((r.stage, r.diagnosis.class().as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        refused,
        [
            (Stage::Rcpt, "recipient_unknown"),
            (Stage::Rcpt, "relay_denied")
        ]
    );
    assert_eq!(server.messages().len(), 1);
    assert_eq!(server.messages()[0].to.len(), 1);
}

#[test]
fn the_size_limit_is_enforced_at_mail_and_after_the_data() {
    let policy = Policy::new().with_size_limit(100);
    // The client sees SIZE and refuses an oversized message before sending anything.
    let mut server = Server::new(policy.clone());
    let mut client = plain_client();
    let big = vec![b'x'; 300];
    let outcome = Plan::new()
        .send(envelope(&["bob@example.test"]), big.clone())
        .run(&mut client, &mut server, Instant::now());
    assert!(
        outcome.usage_errors.is_empty(),
        "{:?}",
        outcome.usage_errors
    );
    let finished = outcome.message_outcomes();
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].status.as_str(), "not-sent");
    assert_eq!(
        finished[0].diagnosis().map(|d| d.class().as_str()),
        Some("message_too_large")
    );
    assert!(server.messages().is_empty());
    assert!(!server.transcript().contains("MAIL FROM"));

    // Without a limit the same message goes through.
    let mut server = Server::scripted(Script::new(policy.with_size_limit(None)));
    let mut client = plain_client();
    let outcome = Plan::new().send(envelope(&["bob@example.test"]), big).run(
        &mut client,
        &mut server,
        Instant::now(),
    );
    assert_eq!(outcome.messages_accepted(), 1, "no limit: accepted");
}

#[test]
fn auth_is_offered_only_after_starttls_and_checks_the_password() {
    let policy = Policy::new()
        .with_starttls(true)
        .with_user("alice@example.test", "right");
    for (password, accepted) in [("right", true), ("wrong", false)] {
        let mut server = Server::new(policy.clone());
        let mut client = Client::new(
            Config::new(Host::parse("client.example").unwrap()),
            Instant::now(),
        );
        let outcome = Plan::new()
            .authenticate(Credentials::password("alice@example.test", password))
            .send(envelope(&["bob@example.test"]), b"x\r\n".to_vec())
            .run(&mut client, &mut server, Instant::now());
        assert_eq!(outcome.end, End::Closed);
        assert!(server.is_tls());
        let transcript = server.transcript();
        let starttls = transcript.find("C: STARTTLS").unwrap();
        let auth = transcript.find("C: AUTH").unwrap();
        assert!(starttls < auth, "{transcript}");
        assert_eq!(
            server.messages().len(),
            usize::from(accepted),
            "{transcript}"
        );
        if !accepted {
            assert!(transcript.contains("S: 535 5.7.8"), "{transcript}");
            assert!(
                !transcript.contains("MAIL FROM"),
                "the plan quits after a failed AUTH"
            );
        }
    }
}

#[test]
fn a_transcript_replays_a_pipelined_session_and_checks_every_line() {
    let transcript = "\
S: 220 mx.example.test ESMTP
C: EHLO client.example
S: 250-mx.example.test
S: 250 PIPELINING
C: MAIL FROM:<alice@example.test>
C: RCPT TO:<bob@example.test>
C: DATA
S: 250 2.1.0 Ok
S: 250 2.1.5 Ok
S: 354 Go ahead
C: Subject: hi
C:
C: hello
C: .
S: 250 2.0.0 queued
C: QUIT
S: 221 Bye
";
    let mut server = Server::from_transcript(transcript).unwrap();
    let mut client = plain_client();
    let outcome = Plan::new()
        .send(
            envelope(&["bob@example.test"]),
            b"Subject: hi\r\n\r\nhello\r\n".to_vec(),
        )
        .run(&mut client, &mut server, Instant::now());
    assert_eq!(server.finish(), Ok(()), "{}", server.transcript());
    assert_eq!(outcome.end, End::Closed);
    assert_eq!(outcome.messages_accepted(), 1);
}

#[test]
fn a_transcript_mismatch_closes_with_421_and_is_reported() {
    let transcript = "\
S: 220 mx.example.test ESMTP
C: EHLO someone.else
S: 250 mx.example.test
";
    let mut server = Server::from_transcript(transcript).unwrap();
    let mut client = plain_client();
    let outcome = run(&mut client, &mut server, Instant::now(), |_, _, _| Ok(()));
    assert_eq!(outcome.end, End::Closed);
    match server.finish() {
        Err(TranscriptError::Unexpected {
            line,
            expected,
            got,
        }) => {
            assert_eq!(line, 2);
            assert_eq!(expected, "EHLO someone.else");
            assert_eq!(got, "EHLO client.example");
        }
        other => panic!("{other:?}"),
    }
    // And a transcript the client never finished is reported too.
    let server = Server::from_transcript("S: 220 x\nC: EHLO a\n").unwrap();
    assert!(matches!(
        server.finish(),
        Err(TranscriptError::Missing { line: 2, .. })
    ));
    assert!(matches!(
        Server::from_transcript("S: 220 x\nX: nonsense"),
        Err(TranscriptError::Syntax { line: 2, .. })
    ));
}

#[test]
fn scripted_answers_override_the_policy_one_reply_at_a_time() {
    // Greeting, EHLO, MAIL (refused 451), then the policy again.
    let script = Script::new(Policy::new()).with_answers([
        Answer::Policy,
        Answer::Policy,
        Answer::Refuse {
            permanent: false,
            pick: 0,
        },
    ]);
    let mut server = Server::scripted(script);
    let mut client = plain_client();
    let outcome = Plan::new()
        .send(envelope(&["bob@example.test"]), b"one\r\n".to_vec())
        .send(envelope(&["bob@example.test"]), b"two\r\n".to_vec())
        .run(&mut client, &mut server, Instant::now());
    let transcript = server.transcript();
    assert!(transcript.contains("S: 451 4.3.0"), "{transcript}");
    assert_eq!(outcome.messages_accepted(), 1, "{transcript}");
    assert_eq!(server.messages()[0].content, b"two\r\n");
}

#[test]
fn service_closing_and_hang_ups_end_the_session_cleanly() {
    for (answer, reason) in [
        (Answer::ServiceClosing, "ServiceClosing"),
        (Answer::HangUp, "ConnectionClosed"),
    ] {
        let script =
            Script::new(Policy::new()).with_answers([Answer::Policy, Answer::Policy, answer]);
        let mut server = Server::scripted(script);
        let mut client = plain_client();
        let outcome = Plan::new()
            .send(envelope(&["bob@example.test"]), b"x\r\n".to_vec())
            .run(&mut client, &mut server, Instant::now());
        assert!(server.messages().is_empty());
        let closed = outcome.events.iter().find_map(|event| match event {
            Event::Closed { reason } => Some(format!("{reason:?}")),
            _ => None,
        });
        match outcome.end {
            End::Closed => assert!(closed.unwrap().starts_with(reason)),
            End::Failed => assert_eq!(reason, "ConnectionClosed", "{:?}", outcome.error),
            End::Stalled => panic!("stalled: {}", server.transcript()),
        }
    }
}

#[test]
fn output_split_at_every_octet_gives_the_same_session() {
    let run_with = |splits: Vec<usize>| {
        let mut server = Server::new(Policy::new()).with_splits(splits);
        let mut client = plain_client();
        let outcome = Plan::new()
            .send(
                envelope(&["bob@example.test", "carol@example.test"]),
                b"x\r\n".to_vec(),
            )
            .run(&mut client, &mut server, Instant::now());
        (outcome.event_names(), server.transcript())
    };
    let whole = run_with(Vec::new());
    assert_eq!(run_with(vec![1]), whole);
    assert_eq!(run_with(vec![3, 1, 7]), whole);
}

#[test]
fn pipelining_sends_the_envelope_in_one_write_and_without_it_one_by_one() {
    for offered in [true, false] {
        let mut server = Server::new(Policy::new().with_extension("PIPELINING", offered));
        let config = Config::new(Host::parse("client.example").unwrap())
            .with_tls(TlsPolicy::None)
            .with_pipelining(Pipelining::Auto);
        let mut client = Client::new(config, Instant::now());
        let mut sizes = Vec::new();
        let outcome = run(
            &mut client,
            &mut server,
            Instant::now(),
            |client, now, turn| {
                if let Turn::Event(Event::Ready { .. }) = turn {
                    client.send_mail(now, &envelope(&["bob@example.test"]), b"x\r\n")?;
                    sizes.push(client.pending_output().len());
                }
                if let Turn::Event(Event::MessageFinished(_)) = turn {
                    client.quit(now)?;
                }
                Ok(())
            },
        );
        assert_eq!(outcome.messages_accepted(), 1);
        let envelope_bytes =
            "MAIL FROM:<alice@example.test> SIZE=3\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n".len();
        if offered {
            assert!(sizes[0] >= envelope_bytes, "{sizes:?}");
        } else {
            assert!(sizes[0] < envelope_bytes, "{sizes:?}");
        }
    }
}

#[test]
fn a_silent_server_costs_virtual_time_only() {
    let transcript = "S: 220 mx.example.test ESMTP\nC: EHLO client.example\n";
    let mut server = Server::from_transcript(transcript).unwrap();
    let mut client = plain_client();
    let started = std::time::Instant::now();
    let outcome = run(&mut client, &mut server, Instant::now(), |_, _, _| Ok(()));
    assert_eq!(outcome.end, End::Failed);
    // RFC 5321 s4.5.3.2: the client waits minutes for the EHLO reply; here none pass.
    assert!(
        outcome.elapsed >= Duration::from_secs(60),
        "{:?}",
        outcome.elapsed
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn bdat_and_lmtp_are_served() {
    // CHUNKING with BDAT, driven by hand.
    let mut server = Server::new(Policy::new());
    let mut client = plain_client();
    let outcome = run(
        &mut client,
        &mut server,
        Instant::now(),
        |client, now, turn| {
            match turn {
                Turn::Event(Event::Ready { .. }) => {
                    let from = ReversePath::from(Mailbox::parse("a@example.test").unwrap());
                    client.mail(now, &from, Default::default())?;
                    client.rcpt(now, &ForwardPath::Postmaster, Default::default())?;
                    client.bdat(now, b"chunk one\r\n", false)?;
                    client.bdat(now, b"chunk two\r\n", true)?;
                }
                Turn::Event(Event::MessageFinished(_)) => {
                    client.quit(now)?;
                }
                _ => {}
            }
            Ok(())
        },
    );
    assert_eq!(outcome.messages_accepted(), 1, "{}", server.transcript());
    assert_eq!(server.messages()[0].content, b"chunk one\r\nchunk two\r\n");

    // LMTP: one reply per recipient after the data (RFC 2033 s4.2).
    let mut server = Server::new(Policy::new().with_lmtp(true));
    let config = Config::new(Host::parse("client.example").unwrap())
        .with_tls(TlsPolicy::None)
        .with_lmtp(true);
    let mut client = Client::new(config, Instant::now());
    let outcome = Plan::new()
        .send(
            envelope(&["bob@example.test", "carol@example.test"]),
            b"x\r\n".to_vec(),
        )
        .run(&mut client, &mut server, Instant::now());
    let delivered = outcome
        .events
        .iter()
        .filter(|event| matches!(event, Event::RecipientDelivered { .. }))
        .count();
    assert_eq!(delivered, 2, "{}", server.transcript());
    assert!(server.transcript().contains("C: LHLO client.example"));
}

#[test]
fn transcripts_the_server_writes_replay_the_same_session() {
    let mut server = Server::new(Policy::new());
    let mut client = plain_client();
    let plan = Plan::new().send(
        envelope(&["bob@example.test"]),
        b"Subject: a\r\n\r\nb\r\n".to_vec(),
    );
    plan.run(&mut client, &mut server, Instant::now());
    let recorded = server.transcript();

    let mut replay = Server::from_transcript(&recorded).unwrap();
    let mut client = plain_client();
    let outcome = plan.run(&mut client, &mut replay, Instant::now());
    assert_eq!(replay.finish(), Ok(()));
    assert_eq!(outcome.messages_accepted(), 1);
    assert_eq!(replay.transcript(), recorded);
}

proptest::proptest! {
    /// Whatever a client sends, the server answers only with valid replies, never panics,
    /// and holds at most one over-long line of input.
    #[test]
    fn any_client_bytes_get_only_valid_replies(
        chunks in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
                proptest::sample::select(vec![
                    b"EHLO a.example\r\n".to_vec(), b"MAIL FROM:<a@b.example>\r\n".to_vec(),
                    b"RCPT TO:<c@d.example>\r\n".to_vec(), b"DATA\r\n".to_vec(),
                    b"BDAT 5\r\n".to_vec(), b"BDAT 3 LAST\r\n".to_vec(), b".\r\n".to_vec(),
                    b"AUTH PLAIN\r\n".to_vec(), b"AUTH LOGIN dXNlcg==\r\n".to_vec(),
                    b"STARTTLS\r\n".to_vec(), b"RSET\r\n".to_vec(), b"*\r\n".to_vec(),
                ]),
            ],
            0..40,
        ),
        lmtp in proptest::prelude::any::<bool>(),
    ) {
        let policy = Policy::new()
            .with_user("u", "p")
            .with_auth_before_tls(true)
            .with_lmtp(lmtp)
            .with_recipients(["c@d.example"]);
        let mut server = Server::new(policy);
        for chunk in &chunks {
            server.receive(chunk);
            proptest::prop_assert!(server.held_input() <= super::server::MAX_PENDING_LINE + 64);
        }
        let output = server.pending_output().to_vec();
        let mut at = 0;
        while at < output.len() {
            match parse_reply(&output[at..], &ReplyLimits::default()) {
                Ok(Decoded::Complete { value, consumed }) => {
                    proptest::prop_assert!(value.anomalies().is_empty(), "{value:?}");
                    at += consumed;
                }
                other => proptest::prop_assert!(false, "{other:?} in {:?}", String::from_utf8_lossy(&output)),
            }
        }
    }
}

proptest::proptest! {
    /// Any text is a transcript or a typed error; a transcript's own text reads back to it.
    #[test]
    fn any_text_reads_as_a_transcript_or_a_typed_error(
        text in "(((C|S): ?|#|X)[ -~\t\r\u{e9}]{0,20}\n){0,12}",
    ) {
        if let Ok(transcript) = Transcript::parse(&text) {
            // Line numbers differ once comments and blank lines are gone; the lines do not.
            let written = transcript.to_string();
            let again = Transcript::parse(&written);
            proptest::prop_assert!(again.is_ok(), "{:?}", again);
            proptest::prop_assert_eq!(again.map(|t| t.to_string()), Ok(written));
        }
    }
}

/// Regression (CI rehearsal, `client_props`): a reaction whose first idle actions are refused
/// by the client (here MAIL while a transaction is open) gets further idle turns instead of
/// the session being called stalled.
#[test]
fn idle_turns_continue_while_the_client_refuses_actions() {
    let mut server = Server::new(Policy::new());
    let mut client = plain_client();
    let mut turns = 0;
    let outcome = run(
        &mut client,
        &mut server,
        Instant::now(),
        |client, now, turn| {
            if let Turn::Idle = turn {
                turns += 1;
                match turns {
                    1 => {
                        let from = ReversePath::from(Mailbox::parse("a@example.test").unwrap());
                        client.mail(now, &from, Default::default())?;
                    }
                    // Refused: the transaction is still open.
                    2..=4 => {
                        client.send_mail(now, &envelope(&["bob@example.test"]), b"x\r\n")?;
                    }
                    _ => {
                        client.quit(now)?;
                    }
                }
            }
            Ok(())
        },
    );
    assert_eq!(outcome.end, End::Closed, "{}", server.transcript());
    assert_eq!(outcome.usage_errors.len(), 3);
    assert_eq!(turns, 5);
}
