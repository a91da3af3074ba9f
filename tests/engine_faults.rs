//! The engine and adapter faults of issue 10, one test each (`pNN_...` is point NN of the
//! issue), each reproduced first against the engine as it was and now asserting the behaviour
//! a caller relies on. Sans-IO tests feed replies only after the client wrote what they
//! answer; the adapter tests run on loopback or in-memory sockets, bounded in time.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::client::Error;
use smtp_sansio::command::{MailParams, RcptParams};
use smtp_sansio::testing::{End, Policy, Server, Turn, run};
use smtp_sansio::{
    Client, CloseReason, Config, Credentials, Envelope, Event, Mechanism, MessageOutcome,
    MessageStatus, Pipelining, RecipientStatus, SaslOptions, SessionError, Stage, Timeouts,
    TlsPolicy, UsageError,
};

// ---- a small sans-IO harness -------------------------------------------------------------

struct Harness {
    client: Client,
    now: Instant,
}

impl Harness {
    fn new(config: Config) -> Harness {
        let now = Instant::now();
        Harness {
            client: Client::new(config, now),
            now,
        }
    }

    /// Greeting and EHLO with these keyword lines (PIPELINING must be listed to pipeline).
    fn ready(config: Config, keywords: &[&str]) -> Harness {
        let mut h = Harness::new(config);
        h.reply("220 mx.example.com ESMTP");
        let hello = h.output();
        assert!(
            hello.starts_with("EHLO") || hello.starts_with("LHLO"),
            "{hello}"
        );
        let mut ehlo = String::from("250-mx.example.com");
        for keyword in keywords {
            ehlo.push_str("\r\n250-");
            ehlo.push_str(keyword);
        }
        ehlo.push_str("\r\n250 HELP");
        h.reply(&ehlo);
        let names = h.names();
        assert!(names.contains(&"HelloAccepted".to_owned()), "{names:?}");
        h
    }

    /// What the client wrote, reported written.
    fn output(&mut self) -> String {
        let out = String::from_utf8_lossy(self.client.pending_output()).into_owned();
        self.client.consume_output(self.now, usize::MAX);
        out
    }

    fn reply(&mut self, text: &str) {
        self.client
            .receive(self.now, format!("{text}\r\n").as_bytes());
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    fn names(&mut self) -> Vec<String> {
        self.events().iter().map(|e| e.name().to_owned()).collect()
    }
}

fn plain() -> Config {
    Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None)
}

fn no_pipelining() -> Config {
    plain().with_pipelining(Pipelining::Off)
}

fn envelope(to: &[&str]) -> Envelope {
    Envelope::parse("alice@example.org", to).unwrap()
}

fn finished(events: &[Event]) -> Vec<&MessageOutcome> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageFinished(outcome) => Some(outcome),
            _ => None,
        })
        .collect()
}

fn failure(events: &[Event]) -> Option<&Error> {
    match events.last() {
        Some(Event::Closed {
            reason: CloseReason::Failed { error },
        }) => Some(error),
        _ => None,
    }
}

// ---- 1, 2, 3: the loop cannot lose events or wait for nothing; several messages ---------

#[test]
fn p01_a_hang_up_mid_session_is_seen_by_the_is_closed_loop() {
    let mut h = Harness::ready(plain(), &["PIPELINING"]);
    h.client
        .send_mail(
            h.now,
            &envelope(&["b@example.com"]),
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .unwrap();
    h.output();
    h.client.receive_eof(h.now);
    // The loop the crate documentation teaches: `while !is_closed()` drains everything.
    assert!(!h.client.is_closed(), "the last event is still to be taken");
    let mut events = Vec::new();
    while !h.client.is_closed() {
        events.extend(h.client.poll_event());
    }
    let error = failure(&events).expect("the session ends with its error");
    assert!(matches!(error, Error::UnexpectedEof { .. }), "{error:?}");
    let outcomes = finished(&events);
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].status.as_str(), "not-sent");
}

#[test]
fn p02_a_refused_recipient_does_not_leave_the_loop_waiting() {
    let policy = Policy::new().with_recipients(["bob@example.test"]);
    let mut server = Server::new(policy);
    let mut client = Client::new(plain(), Instant::now());
    let outcome = run(
        &mut client,
        &mut server,
        Instant::now(),
        |client, now, turn| {
            if let Turn::Event(Event::Ready { .. }) = turn {
                client.send_mail(now, &envelope(&["nobody@example.test"]), b"x\r\n")?;
                client.quit(now)?;
            }
            Ok(())
        },
    );
    assert_eq!(outcome.end, End::Closed, "{}", server.transcript());
    assert_eq!(
        outcome.elapsed,
        Duration::ZERO,
        "no deadline was waited for"
    );
    assert_eq!(outcome.message_outcomes()[0].status.as_str(), "not-sent");
}

#[test]
fn p03_messages_queue_and_each_ends_with_one_finishing_event() {
    let mut server = Server::new(Policy::new());
    let mut client = Client::new(plain(), Instant::now());
    let mut handles = Vec::new();
    let outcome = run(
        &mut client,
        &mut server,
        Instant::now(),
        |client, now, turn| {
            if let Turn::Event(Event::Ready { .. }) = turn {
                for i in 0..3 {
                    let body = format!("Subject: {i}\r\n\r\nmessage {i}\r\n");
                    handles.push(client.send_mail(
                        now,
                        &envelope(&["bob@example.test"]),
                        body.as_bytes(),
                    )?);
                }
                client.quit(now)?;
            }
            Ok(())
        },
    );
    assert_eq!(outcome.end, End::Closed, "{}", server.transcript());
    let outcomes = outcome.message_outcomes();
    assert_eq!(
        outcomes.iter().map(|o| o.mail).collect::<Vec<_>>(),
        handles.iter().map(|h| h.mail).collect::<Vec<_>>()
    );
    assert!(outcomes.iter().all(|o| o.is_accepted()));
    assert_eq!(server.messages().len(), 3);
    // One connection, one transaction after another, no RSET needed.
    assert!(
        !server.transcript().contains("C: RSET"),
        "{}",
        server.transcript()
    );
}

// ---- 4: a refused MAIL, every RCPT refused, and the 503s that follow ---------------------

#[test]
fn p04_without_pipelining_a_refused_mail_sends_nothing_more() {
    let mut h = Harness::ready(no_pipelining(), &[]);
    let handles = h
        .client
        .send_mail(
            h.now,
            &envelope(&["b@example.com"]),
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .unwrap();
    assert_eq!(h.output(), "MAIL FROM:<alice@example.org>\r\n");
    h.reply("550 5.7.1 <alice@example.org>: sender refused");
    assert_eq!(h.output(), "", "nothing after a refused MAIL");
    let events = h.events();
    let names: Vec<&str> = events.iter().map(Event::name).collect();
    assert_eq!(
        names,
        ["Rejected", "Cancelled", "Cancelled", "MessageFinished"]
    );
    let outcome = finished(&events)[0];
    assert_eq!(outcome.mail, handles.mail);
    let MessageStatus::Refused { diagnosis } = &outcome.status else {
        panic!("{outcome:?}");
    };
    assert_eq!(diagnosis.stage(), Stage::Mail);

    // Every RCPT refused: no DATA, the message not sent because of the first refusal.
    h.client
        .send_mail(
            h.now,
            &envelope(&["b@example.com", "c@example.com"]),
            b"x\r\n",
        )
        .unwrap();
    assert!(h.output().starts_with("MAIL"));
    h.reply("250 ok");
    assert!(h.output().starts_with("RCPT TO:<b@"));
    h.reply("550 5.1.1 no such user");
    assert!(h.output().starts_with("RCPT TO:<c@"));
    h.reply("550 5.1.1 no such user");
    // The server holds MAIL: the client resets before anything else, and sends no DATA.
    assert_eq!(h.output(), "RSET\r\n");
    let events = h.events();
    let outcome = finished(&events)[0];
    let MessageStatus::NotSent { diagnosis } = &outcome.status else {
        panic!("{outcome:?}");
    };
    assert_eq!(diagnosis.class().as_str(), "no_valid_recipients");
    assert_eq!(
        diagnosis.caused_by().map(|d| d.class().as_str()),
        Some("recipient_unknown")
    );
}

#[test]
fn p04_with_pipelining_a_503_after_a_refused_mail_is_its_consequence() {
    let mut h = Harness::ready(plain(), &["PIPELINING"]);
    h.client
        .send_mail(h.now, &envelope(&["b@example.com"]), b"x\r\n")
        .unwrap();
    assert_eq!(
        h.output(),
        "MAIL FROM:<alice@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
    );
    h.client.receive(
        h.now,
        b"550 5.7.1 sender refused\r\n503 5.5.1 need MAIL command\r\n503 5.5.1 need MAIL command\r\n",
    );
    let events = h.events();
    let rejections: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Rejected(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rejections.len(), 3);
    for later in &rejections[1..] {
        let cause = later
            .diagnosis
            .caused_by()
            .expect("linked to the MAIL refusal");
        assert_eq!(cause.stage(), Stage::Mail, "{}", later.diagnosis);
    }
    assert_eq!(finished(&events)[0].status.as_str(), "refused");
    assert_eq!(h.output(), "", "no RSET: the server holds no transaction");
}

// ---- 5, 6, 13: early answers and timers from the moment of writing ------------------------

#[test]
fn p05_a_final_reply_before_the_message_was_written_is_not_delivery() {
    let mut h = Harness::ready(plain(), &["PIPELINING"]);
    h.client
        .send_mail(
            h.now,
            &envelope(&["b@example.com"]),
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .unwrap();
    h.output();
    // 354 and the final 250 in one write, before the client wrote the body.
    h.client
        .receive(h.now, b"250 ok\r\n250 ok\r\n354 go\r\n250 2.0.0 queued\r\n");
    let events = h.events();
    assert!(
        finished(&events).iter().all(|o| !o.is_accepted()),
        "{events:#?}"
    );
    let error = failure(&events).expect("fatal");
    assert!(
        error
            .diagnosis()
            .detail()
            .unwrap()
            .contains("before the command was written"),
        "{error:?}"
    );
    assert_eq!(finished(&events)[0].status.as_str(), "not-sent");
}

#[test]
fn p06_a_steady_slow_upload_is_not_cut_and_the_end_timer_starts_at_the_dot() {
    let config = plain().with_timeouts(Timeouts::uniform(Duration::from_secs(3)));
    let mut h = Harness::ready(config, &["PIPELINING"]);
    h.client
        .send_mail(h.now, &envelope(&["b@example.com"]), &vec![b'a'; 2_000_000])
        .unwrap();
    h.output();
    h.reply("250 ok\r\n250 ok\r\n354 go");
    // 200 kB a second, for 10 s: longer than every timeout, never without progress.
    let mut t = h.now;
    while !h.client.pending_output().is_empty() {
        t += Duration::from_secs(1);
        let deadline = h.client.poll_timeout().unwrap();
        assert!(
            deadline >= t,
            "the write timer expired during a steady upload"
        );
        h.client.consume_output(t, 200_000);
    }
    // The whole message and the dot are written: now the 3 s for the reply start.
    assert_eq!(h.client.poll_timeout(), Some(t + Duration::from_secs(3)));
    h.client.handle_timeout(t + Duration::from_secs(3));
    let events = h.events();
    let outcome = finished(&events)[0];
    // The server may have the message: not "not sent", and a retry may duplicate it.
    assert_eq!(outcome.status.as_str(), "unconfirmed");
}

#[test]
fn p13_reply_timers_start_when_the_command_is_written() {
    let mut h = Harness::ready(no_pipelining(), &[]);
    h.client
        .mail(
            h.now,
            &ReversePath::from(Mailbox::parse("a@x.org").unwrap()),
            MailParams::default(),
        )
        .unwrap();
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(180)),
        "write timer"
    );
    let later = h.now + Duration::from_secs(240);
    h.client.consume_output(later, usize::MAX);
    assert_eq!(
        h.client.poll_timeout(),
        Some(later + Duration::from_secs(300)),
        "RFC 5321 s4.5.3.2.2: 5 minutes from the write"
    );
}

// ---- 7: codes each command may get ---------------------------------------------------------

#[test]
fn p07_a_220_to_ehlo_is_an_unexpected_reply() {
    let mut h = Harness::new(plain());
    h.reply("220 mx ESMTP");
    h.output();
    h.reply("220 mx ESMTP banner again");
    let events = h.events();
    assert!(!events.iter().any(|e| e.name() == "HelloAccepted"));
    let error = failure(&events).expect("fatal");
    assert_eq!(error.diagnosis().class().as_str(), "unexpected_reply");
}

// ---- 9, 10: injection and writes under the adapters ---------------------------------------

/// A scripted peer on the other end of a socket pair: for each step, read until the line
/// arrives (or nothing is expected), then write the answer.
fn scripted_peer(socket: UnixStream, steps: Vec<(Option<&'static str>, &'static [u8])>) {
    std::thread::spawn(move || {
        let mut socket = socket;
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        for (expect, answer) in steps {
            if let Some(expect) = expect {
                while !String::from_utf8_lossy(&seen).contains(expect) {
                    match socket.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
            }
            if socket.write_all(answer).is_err() {
                return;
            }
        }
        // Then hold the socket open without reading, as a stalled server does.
        std::thread::sleep(Duration::from_secs(10));
    });
}

#[test]
fn p09_an_injection_behind_the_starttls_go_ahead_is_diagnosed_as_such() {
    let (client, server) = UnixStream::pair().unwrap();
    scripted_peer(
        server,
        vec![
            (None, b"220 mx ESMTP\r\n"),
            (Some("EHLO"), b"250-mx\r\n250 STARTTLS\r\n"),
            (
                Some("STARTTLS"),
                b"220 go ahead\r\n250-mx injected\r\n250 AUTH PLAIN\r\n",
            ),
        ],
    );
    let config = plain()
        .with_tls(TlsPolicy::Required)
        .with_timeouts(Timeouts::uniform(Duration::from_secs(5)));
    let tls: Option<Arc<dyn smtp_sansio::tls::TlsConnect>> =
        Some(Arc::new(smtp_sansio::tls::TlsConnector::new().unwrap()));
    let error = smtp_sansio::blocking::Connection::from_socket(client, "mx.example", config, tls)
        .unwrap_err();
    assert_eq!(
        error.diagnosis().map(|d| d.class().as_str()),
        Some("starttls_response_injection"),
        "{error:?}"
    );
}

#[test]
fn p10_a_server_that_stops_reading_is_cut_at_the_write_deadline() {
    let (client, server) = UnixStream::pair().unwrap();
    scripted_peer(
        server,
        vec![
            (None, b"220 mx ESMTP\r\n"),
            (Some("EHLO"), b"250 mx\r\n"),
            (Some("MAIL"), b"250 ok\r\n"),
            (Some("RCPT"), b"250 ok\r\n"),
            (Some("DATA"), b"354 go\r\n"),
        ],
    );
    let config = no_pipelining().with_timeouts(Timeouts::uniform(Duration::from_secs(1)));
    let mut smtp =
        smtp_sansio::blocking::Connection::from_socket(client, "mx.example", config, None)
            .expect("session");
    let started = Instant::now();
    let outcome = smtp
        .send(&envelope(&["b@example.com"]), &vec![b'z'; 8_000_000])
        .expect("an outcome");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    let MessageStatus::NotSent { diagnosis } = &outcome.status else {
        panic!("{outcome:?}");
    };
    assert_eq!(diagnosis.class().as_str(), "reply_timeout");
    assert_eq!(diagnosis.evidence().rule(), "observed:write-stalled");
}

// ---- 11: ten lines ---------------------------------------------------------------------------

#[test]
fn p11_the_readme_send_is_at_most_15_visible_lines_and_the_examples_are_thin() {
    let readme = include_str!("../README.md");
    let start = readme.find("## Send a message").unwrap();
    let block = &readme[start..];
    let block = &block[block.find("```rust").unwrap() + 7..];
    let block = &block[..block.find("```").unwrap()];
    let visible = block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .count();
    assert!(visible <= 15, "{visible} visible lines");
    for example in [
        include_str!("../examples/send_std.rs"),
        include_str!("../examples/send_tokio.rs"),
    ] {
        assert!(example.lines().count() < 60, "{}", example.lines().count());
    }
}

// ---- 12: BDAT by RFC 3030 s2 ------------------------------------------------------------------

fn bdat_session() -> (Harness, smtp_sansio::CommandHandle) {
    let mut h = Harness::ready(plain(), &["PIPELINING", "CHUNKING"]);
    let mail = h
        .client
        .mail(
            h.now,
            &ReversePath::from(Mailbox::parse("a@x.org").unwrap()),
            MailParams::default(),
        )
        .unwrap();
    h.client
        .rcpt(
            h.now,
            &ForwardPath::from(Mailbox::parse("b@y.org").unwrap()),
            RcptParams::default(),
        )
        .unwrap();
    (h, mail)
}

#[test]
fn p12_after_a_failed_chunk_no_more_chunks_and_no_acceptance() {
    let (mut h, _) = bdat_session();
    h.client.bdat(h.now, b"chunk one\r\n", false).unwrap();
    h.client.bdat(h.now, b"chunk two\r\n", false).unwrap();
    h.output();
    h.client.receive(
        h.now,
        b"250 ok\r\n250 ok\r\n250 ok\r\n552 5.3.4 chunk two too big\r\n",
    );
    let last = h.client.bdat(h.now, b"last\r\n", true);
    assert!(matches!(last, Err(UsageError::NotNow { .. })), "{last:?}");
    let events = h.events();
    let outcome = finished(&events)[0];
    assert_eq!(outcome.status.as_str(), "refused");
    assert_eq!(h.output(), "RSET\r\n", "the failed transaction is reset");
}

#[test]
fn p12_a_failed_first_chunk_drops_the_waiting_ones_and_refuses_mixing() {
    let (mut h, _) = bdat_session();
    // Without waiting for replies, four chunks: the first is refused, the others must not
    // go out after the RSET.
    let mut h2 = Harness::ready(no_pipelining(), &["CHUNKING"]);
    h2.client
        .mail(
            h2.now,
            &ReversePath::from(Mailbox::parse("a@x.org").unwrap()),
            MailParams::default(),
        )
        .unwrap();
    h2.output();
    h2.reply("250 ok");
    h2.client
        .rcpt(
            h2.now,
            &ForwardPath::from(Mailbox::parse("b@y.org").unwrap()),
            RcptParams::default(),
        )
        .unwrap();
    h2.output();
    h2.reply("250 ok");
    h2.client.bdat(h2.now, b"one\r\n", false).unwrap();
    h2.client.bdat(h2.now, b"two\r\n", false).unwrap();
    h2.client.bdat(h2.now, b"three\r\n", true).unwrap();
    assert!(h2.output().starts_with("BDAT 5\r\none"));
    h2.reply("554 5.7.1 no");
    assert_eq!(h2.output(), "RSET\r\n", "the waiting chunks were dropped");
    let names = h2.names();
    assert_eq!(
        names.iter().filter(|n| *n == "Cancelled").count(),
        2,
        "{names:?}"
    );
    // DATA after BDAT, and a chunk after LAST, are refused before anything is written.
    h.client.bdat(h.now, b"x\r\n", true).unwrap();
    assert!(h.client.data(h.now).is_err());
    assert!(h.client.bdat(h.now, b"y\r\n", true).is_err());
}

#[test]
fn p12_a_250_to_bdat_last_with_every_recipient_refused_is_not_delivery() {
    let (mut h, _) = bdat_session();
    h.client.bdat(h.now, b"all\r\n", true).unwrap();
    h.output();
    h.client.receive(
        h.now,
        b"250 ok\r\n550 5.1.1 no such user\r\n250 2.0.0 accepted anyway\r\n",
    );
    let events = h.events();
    let outcome = finished(&events)[0];
    assert_eq!(outcome.status.as_str(), "not-sent", "{outcome:?}");
}

// ---- 14, 15, 16, 17: AUTH ---------------------------------------------------------------------

#[cfg(feature = "scram")]
#[test]
fn p14_scram_needs_a_nonce_and_the_automatic_choice_falls_back_without_one() {
    let creds = Credentials::password("user", "pencil");
    let offers = &["AUTH SCRAM-SHA-256 PLAIN"];
    let mut h = Harness::ready(plain().with_tls(TlsPolicy::Implicit), offers);
    h.client.authenticate(h.now, &creds, None).unwrap();
    assert!(h.output().starts_with("AUTH PLAIN"), "no nonce: PLAIN");
    let config = plain()
        .with_tls(TlsPolicy::Implicit)
        .with_sasl_options(SaslOptions::default().with_client_nonce("rOprNGfwEbeRWgbNEkqO"));
    let mut h = Harness::ready(config, offers);
    h.client.authenticate(h.now, &creds, None).unwrap();
    assert!(
        h.output().starts_with("AUTH SCRAM-SHA-256"),
        "a nonce: SCRAM"
    );
}

#[cfg(feature = "scram")]
#[test]
fn p15_a_forged_scram_signature_ends_the_session_with_its_own_diagnosis() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let config = plain()
        .with_tls(TlsPolicy::Implicit)
        .with_sasl_options(SaslOptions::default().with_client_nonce("rOprNGfwEbeRWgbNEkqO"));
    let mut h = Harness::ready(config, &["AUTH SCRAM-SHA-256"]);
    h.client
        .authenticate(h.now, &Credentials::password("user", "pencil"), None)
        .unwrap();
    h.output();
    // RFC 7677 s3's server-first (a nonce that extends the client's), then a signature that
    // is not the one the password gives.
    let first =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    h.reply(&format!("334 {}", b64.encode(first)));
    assert!(h.output().len() > 10, "the client's final message");
    h.reply(&format!(
        "334 {}",
        b64.encode("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    ));
    let events = h.events();
    let error = failure(&events).expect("fatal");
    assert!(
        matches!(error, Error::ServerNotVerified { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.diagnosis().class().as_str(),
        "auth_server_proof_invalid"
    );
    assert!(h.client.authenticated().is_none());
}

#[test]
fn p16_a_235_after_the_clients_cancel_is_not_authentication() {
    let config = plain().dangerous_allow_plaintext_auth(true);
    let mut h = Harness::ready(config, &["AUTH PLAIN"]);
    h.client
        .authenticate(
            h.now,
            &Credentials::password("u", "p"),
            Some(Mechanism::Plain),
        )
        .unwrap();
    assert!(h.output().starts_with("AUTH PLAIN "));
    // PLAIN has said everything: a challenge cannot be answered, so the client cancels.
    h.reply("334 Z2l2ZSBtZSBtb3Jl");
    assert_eq!(h.output(), "*\r\n");
    h.reply("235 2.7.0 ok anyway");
    assert!(h.client.authenticated().is_none());
    let events = h.events();
    assert!(!events.iter().any(|e| e.name() == "Authenticated"));
    assert!(failure(&events).is_some(), "RFC 4954 s4: a cancel gets 501");
}

#[cfg(feature = "cram-md5")]
#[test]
fn p17_no_mechanism_runs_without_tls_unless_the_caller_opts_in() {
    let creds = Credentials::password("u", "p");
    let opportunistic = plain().with_tls(TlsPolicy::Opportunistic);
    let mut h = Harness::ready(opportunistic.clone(), &["AUTH CRAM-MD5"]);
    let refused = h.client.authenticate(h.now, &creds, None);
    assert!(
        matches!(refused, Err(UsageError::PlaintextAuthRefused { .. })),
        "{refused:?}"
    );
    assert_eq!(h.output(), "");
    // With the credentials in the configuration the engine ends the session instead.
    let mut h = Harness::new(opportunistic.with_credentials(creds));
    h.reply("220 mx");
    h.output();
    h.reply("250-mx\r\n250 AUTH CRAM-MD5");
    assert_eq!(h.output(), "QUIT\r\n", "no AUTH went out");
    h.reply("221 bye");
    let events = h.events();
    match events.last() {
        Some(Event::Closed {
            reason: CloseReason::Aborted { diagnosis },
        }) => assert_eq!(diagnosis.class().as_str(), "auth_encryption_required"),
        other => panic!("{other:?}"),
    }
}

// ---- 18, 19: LMTP and a 421 during the data -----------------------------------------------

#[test]
fn p18_lmtp_accepted_reply_is_positive_and_an_early_reply_to_quit_is_refused() {
    let mut h = Harness::ready(plain().with_lmtp(true), &["PIPELINING"]);
    h.client
        .send_mail(
            h.now,
            &envelope(&["b@example.com", "c@example.com"]),
            b"x\r\n",
        )
        .unwrap();
    h.output();
    h.reply("250 ok\r\n250 ok\r\n250 ok\r\n354 go");
    h.output();
    h.reply("250 2.0.0 delivered to b\r\n452 4.2.2 c over quota");
    let events = h.events();
    let outcome = finished(&events)[0];
    let MessageStatus::Accepted { reply } = &outcome.status else {
        panic!("{outcome:?}");
    };
    assert_eq!(reply.code().value(), 250);
    assert!(matches!(
        outcome.recipients[0].1,
        RecipientStatus::Delivered { .. }
    ));
    assert!(matches!(
        outcome.recipients[1].1,
        RecipientStatus::Refused { .. }
    ));
    // A reply read before the QUIT it would answer was written.
    h.client.quit(h.now).unwrap();
    h.reply("221 bye");
    let events = h.events();
    assert!(failure(&events).is_some(), "{events:#?}");
}

#[test]
fn p19_a_421_during_the_data_ends_the_data_handle_and_the_message() {
    let mut h = Harness::ready(no_pipelining(), &[]);
    let from = ReversePath::from(Mailbox::parse("a@x.org").unwrap());
    h.client.mail(h.now, &from, MailParams::default()).unwrap();
    h.output();
    h.reply("250 ok");
    h.client
        .rcpt(
            h.now,
            &ForwardPath::from(Mailbox::parse("b@y.org").unwrap()),
            RcptParams::default(),
        )
        .unwrap();
    h.output();
    h.reply("250 ok");
    let data = h.client.data(h.now).unwrap();
    h.output();
    h.reply("354 go");
    h.events();
    h.client.send_data(h.now, b"Subject: x\r\n").unwrap();
    h.output();
    h.reply("421 4.3.2 shutting down");
    let events = h.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Cancelled { handle, .. } if *handle == data)),
        "{events:#?}"
    );
    assert_eq!(finished(&events)[0].status.as_str(), "not-sent");
    assert_eq!(events.last().map(Event::name), Some("Closed"));
}

// ---- 20: every address of a name -----------------------------------------------------------

#[test]
fn p20_connect_tries_every_address_of_the_name() {
    // "localhost" has an IPv6 and an IPv4 address here (or just one); the server listens on
    // IPv4 only, so a driver that tried only the first address could fail.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((socket, _)) = listener.accept() {
            let mut server = Server::new(Policy::new());
            let _ = smtp_sansio::testing::serve_blocking(&mut server, socket, None);
        }
    });
    let config = plain().with_timeouts(Timeouts::uniform(Duration::from_secs(5)));
    let smtp =
        smtp_sansio::blocking::Connection::connect_with(&format!("localhost:{port}"), config, None);
    match smtp {
        Ok(smtp) => smtp.quit().expect("clean QUIT"),
        Err(SessionError::Connect { source, .. }) => panic!("{source}"),
        Err(other) => panic!("{other:?}"),
    }
}
