//! Client behaviours the traces do not show: timeouts on a virtual clock (jump to
//! `poll_timeout`, never sleep), the refusals made before anything is sent (SIZE, SMTPUTF8,
//! 8BITMIME, plaintext AUTH, no AUTH), the parameters the engine adds, and memory bounds.

use std::time::{Duration, Instant};

use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::auth::Credentials;
use smtp_sansio::client::Error;
use smtp_sansio::command::{Body, MailParams, RcptParams};
use smtp_sansio::{
    Client, CloseReason, Config, Envelope, Event, Keyword, Mechanism, Stage, TlsPolicy, UsageError,
};

struct Session {
    client: Client,
    now: Instant,
}

impl Session {
    /// A session past the greeting and EHLO, with the given EHLO keyword lines.
    fn ready(config: Config, keywords: &[&str]) -> Session {
        let now = Instant::now();
        let mut client = Client::new(config, now);
        client.receive(now, b"220 mx.example.com ESMTP\r\n");
        let mut ehlo = String::from("250-mx.example.com\r\n");
        for keyword in keywords {
            ehlo.push_str(&format!("250-{keyword}\r\n"));
        }
        ehlo.push_str("250 HELP\r\n");
        let mut session = Session { client, now };
        session.take_output();
        session.client.receive(now, ehlo.as_bytes());
        session.take_output();
        let names = session.event_names();
        assert_eq!(names, ["Greeted", "HelloAccepted", "Ready"]);
        session
    }

    fn plain(keywords: &[&str]) -> Session {
        Session::ready(config().with_tls(TlsPolicy::None), keywords)
    }

    fn take_output(&mut self) -> String {
        let out = String::from_utf8_lossy(self.client.pending_output()).into_owned();
        let n = self.client.pending_output().len();
        self.client.consume_output(self.now, n);
        out
    }

    fn event_names(&mut self) -> Vec<&'static str> {
        let mut names = Vec::new();
        while let Some(event) = self.client.poll_event() {
            names.push(event.name());
        }
        names
    }

    /// Drains the events up to the last one and returns the error that ended the session.
    fn closing_error(&mut self) -> Error {
        let mut names = Vec::new();
        while let Some(event) = self.client.poll_event() {
            names.push(event.name());
            if let Event::Closed {
                reason: CloseReason::Failed { error },
            } = event
            {
                assert!(
                    self.client.poll_event().is_none(),
                    "Closed is the last event"
                );
                return error;
            }
        }
        panic!("the session did not fail: {names:?}");
    }

    fn reply(&mut self, text: &str) {
        self.client
            .receive(self.now, format!("{text}\r\n").as_bytes());
    }
}

fn config() -> Config {
    Config::new(Host::parse("client.example.org").unwrap())
}

fn mailbox(text: &str) -> Mailbox {
    Mailbox::parse(text).unwrap()
}

fn from(text: &str) -> ReversePath {
    ReversePath::from(mailbox(text))
}

fn to(text: &str) -> ForwardPath {
    ForwardPath::from(mailbox(text))
}

#[test]
fn each_phase_times_out_with_its_own_rfc_timeout() {
    let mut s = Session::plain(&["PIPELINING"]);
    assert_eq!(
        s.client.poll_timeout(),
        None,
        "nothing awaited, no deadline"
    );
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    s.take_output();
    // RFC 5321 s4.5.3.2.2: 5 minutes for MAIL.
    let deadline = s.client.poll_timeout().unwrap();
    assert_eq!(deadline - s.now, Duration::from_secs(300));
    s.client.handle_timeout(deadline - Duration::from_secs(1));
    assert!(
        s.client.poll_event().is_none(),
        "a call before the deadline does nothing"
    );
    s.client.handle_timeout(deadline);
    // The MAIL command gets its last event first, then the message its finishing event,
    // then the session its last event, with the error.
    assert!(matches!(
        s.client.poll_event(),
        Some(Event::Cancelled { .. })
    ));
    assert!(matches!(
        s.client.poll_event(),
        Some(Event::MessageFinished(ref outcome)) if outcome.status.as_str() == "not-sent"
    ));
    match s.closing_error() {
        Error::Timeout {
            stage: Stage::Mail,
            diagnosis,
        } => {
            assert_eq!(diagnosis.class().as_str(), "reply_timeout");
        }
        other => panic!("expected a MAIL timeout, got {other:?}"),
    }
    assert!(s.client.is_closed());
    assert_eq!(s.client.poll_timeout(), None);
}

#[test]
fn data_initiation_and_termination_timeouts() {
    let mut s = Session::plain(&["PIPELINING"]);
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    s.client
        .rcpt(s.now, &to("b@example.com"), RcptParams::default())
        .unwrap();
    s.client.data(s.now).unwrap();
    s.take_output();
    s.now += Duration::from_secs(1);
    s.reply("250 ok");
    s.reply("250 ok");
    // Now only DATA is in flight: 2 minutes (s4.5.3.2.4), counted from the last reply.
    assert_eq!(
        s.client.poll_timeout().unwrap() - s.now,
        Duration::from_secs(120)
    );
    s.reply("354 go");
    assert_eq!(
        s.event_names(),
        ["MailAccepted", "RecipientAccepted", "DataReady"]
    );
    assert_eq!(
        s.client.poll_timeout(),
        None,
        "the caller has not handed over data yet"
    );
    s.client
        .send_data(s.now, b"Subject: x\r\n\r\nbody\r\n")
        .unwrap();
    s.client.finish_data(s.now).unwrap();
    s.take_output();
    // After the final dot: 10 minutes (s4.5.3.2.6).
    assert_eq!(
        s.client.poll_timeout().unwrap() - s.now,
        Duration::from_secs(600)
    );
}

#[test]
fn data_block_timer_rearms_when_output_drains() {
    let mut s = Session::plain(&[]);
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    s.take_output();
    s.reply("250 ok");
    s.client
        .rcpt(s.now, &to("b@example.com"), RcptParams::default())
        .unwrap();
    s.take_output();
    s.reply("250 ok");
    s.client.data(s.now).unwrap();
    s.take_output();
    s.reply("354 go");
    s.event_names();
    let block = vec![b'x'; 10_000];
    s.client.send_data(s.now, &block).unwrap();
    // 3 minutes per data block (s4.5.3.2.5) while output waits to be written.
    assert_eq!(
        s.client.poll_timeout().unwrap() - s.now,
        Duration::from_secs(180)
    );
    for _ in 0..5 {
        s.now += Duration::from_secs(100);
        s.client.consume_output(s.now, 1000);
        assert_eq!(
            s.client.poll_timeout().unwrap() - s.now,
            Duration::from_secs(180),
            "writing progress re-arms it"
        );
    }
    // No progress for 3 minutes: the block timed out.
    let deadline = s.client.poll_timeout().unwrap();
    s.client.handle_timeout(deadline);
    assert!(matches!(
        s.closing_error(),
        Error::Timeout {
            stage: Stage::Data,
            ..
        }
    ));
}

#[test]
fn size_over_the_advertised_limit_is_refused_before_mail() {
    let mut s = Session::plain(&["SIZE 1000", "PIPELINING"]);
    let error = s
        .client
        .mail(
            s.now,
            &from("a@example.org"),
            MailParams::default().with_size(1001),
        )
        .unwrap_err();
    assert!(matches!(
        error,
        UsageError::MessageTooLarge {
            declared: 1001,
            limit: 1000
        }
    ));
    assert_eq!(
        error.diagnosis().unwrap().class().as_str(),
        "message_too_large"
    );
    assert!(s.client.pending_output().is_empty(), "nothing was sent");
    // A whole message over the limit is finished as not sent, with the diagnosis, before
    // anything of it is written.
    let envelope = Envelope::new(from("a@example.org"), [to("b@example.com")]);
    let handles = s
        .client
        .send_mail(s.now, &envelope, &vec![b'y'; 2000])
        .unwrap();
    assert!(s.client.pending_output().is_empty());
    match s.client.poll_event() {
        Some(Event::MessageFinished(outcome)) => {
            assert_eq!(outcome.mail, handles.mail);
            assert_eq!(outcome.status.as_str(), "not-sent");
            assert_eq!(
                outcome.diagnosis().map(|d| d.class().as_str()),
                Some("message_too_large")
            );
        }
        other => panic!("{other:?}"),
    }
    // Within the limit it goes out, with the size RFC 1870 s3 defines: CRLF line ends, no
    // stuffing dots, no final dot (19 octets here; 20 are written before the dot line).
    s.client
        .send_mail(s.now, &envelope, b"Subject: x\n\n.hi\r\n")
        .unwrap();
    let out = s.take_output();
    assert!(
        out.starts_with("MAIL FROM:<a@example.org> SIZE=19\r\n"),
        "{out}"
    );
}

#[test]
fn size_is_only_sent_to_servers_that_ask() {
    let mut s = Session::plain(&[]);
    s.client
        .mail(
            s.now,
            &from("a@example.org"),
            MailParams::default().with_size(5),
        )
        .unwrap();
    assert_eq!(s.take_output(), "MAIL FROM:<a@example.org>\r\n");
}

#[test]
fn smtputf8_is_added_when_needed_and_refused_when_not_offered() {
    let mut s = Session::plain(&["SMTPUTF8", "8BITMIME", "PIPELINING"]);
    s.client
        .mail(s.now, &from("jörg@bücher.example"), MailParams::default())
        .unwrap();
    assert_eq!(
        s.take_output(),
        "MAIL FROM:<jörg@bücher.example> SMTPUTF8\r\n"
    );

    let mut s = Session::plain(&["PIPELINING"]);
    let error = s
        .client
        .mail(s.now, &from("jörg@bücher.example"), MailParams::default())
        .unwrap_err();
    assert!(matches!(
        error,
        UsageError::ExtensionNotOffered {
            extension: Keyword::SmtpUtf8
        }
    ));
    // An ASCII sender with a UTF-8 recipient: MAIL did not declare it.
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    let error = s
        .client
        .rcpt(
            s.now,
            &to("δοκιμή@παράδειγμα.δοκιμή"),
            RcptParams::default(),
        )
        .unwrap_err();
    assert!(matches!(error, UsageError::SmtpUtf8NotDeclared));
}

#[test]
fn send_mail_declares_8bitmime_and_smtputf8_from_the_message() {
    let mut s = Session::plain(&["SMTPUTF8", "8BITMIME", "PIPELINING"]);
    let envelope = Envelope::new(from("a@example.org"), [to("b@example.com")]);
    s.client
        .send_mail(s.now, &envelope, "Subject: café\r\n\r\nbody\r\n".as_bytes())
        .unwrap();
    let out = s.take_output();
    assert!(
        out.starts_with("MAIL FROM:<a@example.org> BODY=8BITMIME SMTPUTF8\r\n"),
        "{out}"
    );

    // Without 8BITMIME an 8-bit message is finished as not sent before anything of it goes
    // out, with the diagnosis that says why.
    let mut s = Session::plain(&["PIPELINING"]);
    s.client
        .send_mail(s.now, &envelope, "Subject: x\r\n\r\ncafé\r\n".as_bytes())
        .unwrap();
    assert!(s.client.pending_output().is_empty());
    match s.client.poll_event() {
        Some(Event::MessageFinished(outcome)) => {
            let diagnosis = outcome.diagnosis().expect("a diagnosis");
            assert_eq!(diagnosis.class().as_str(), "params_not_supported");
            assert!(
                diagnosis.detail().unwrap().contains("8BITMIME"),
                "{diagnosis}"
            );
        }
        other => panic!("{other:?}"),
    }
    // ASCII needs neither.
    s.client
        .send_mail(s.now, &envelope, b"Subject: x\r\n\r\nplain\r\n")
        .unwrap();
    assert!(s.take_output().starts_with("MAIL FROM:<a@example.org>\r\n"));
}

#[test]
fn eight_bit_data_needs_a_declaration() {
    let mut s = Session::plain(&["8BITMIME"]);
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    s.take_output();
    s.reply("250 ok");
    s.client
        .rcpt(s.now, &to("b@example.com"), RcptParams::default())
        .unwrap();
    s.take_output();
    s.reply("250 ok");
    s.client.data(s.now).unwrap();
    s.take_output();
    s.reply("354 go");
    assert!(matches!(
        s.client.send_data(s.now, "café".as_bytes()),
        Err(UsageError::EightBitNotDeclared)
    ));
    s.client.send_data(s.now, b"plain ascii\r\n").unwrap();

    let mut s = Session::plain(&["8BITMIME"]);
    s.client
        .mail(
            s.now,
            &from("a@example.org"),
            MailParams::default().with_body(Body::EightBitMime),
        )
        .unwrap();
    assert_eq!(
        s.take_output(),
        "MAIL FROM:<a@example.org> BODY=8BITMIME\r\n"
    );
}

#[test]
fn credentials_never_go_out_in_plaintext_unless_allowed() {
    let creds = Credentials::password("alice", "s3cret");
    let mut s = Session::plain(&["AUTH PLAIN LOGIN"]);
    let error = s.client.authenticate(s.now, &creds, None).unwrap_err();
    assert!(
        matches!(error, UsageError::PlaintextAuthRefused { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.diagnosis().unwrap().class().as_str(),
        "auth_encryption_required"
    );
    assert!(s.client.pending_output().is_empty());
    let error = s
        .client
        .authenticate(s.now, &creds, Some(Mechanism::Login))
        .unwrap_err();
    assert!(matches!(error, UsageError::PlaintextAuthRefused { .. }));

    let mut s = Session::ready(
        config()
            .with_tls(TlsPolicy::None)
            .dangerous_allow_plaintext_auth(true),
        &["AUTH PLAIN LOGIN"],
    );
    s.client.authenticate(s.now, &creds, None).unwrap();
    assert_eq!(s.take_output(), "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n");

    // TLS required: AUTH is refused outright before TLS.
    let now = Instant::now();
    let mut client = Client::new(config().with_handshake(smtp_sansio::Handshake::Manual), now);
    client.receive(now, b"220 mx ESMTP\r\n");
    client.ehlo(now).unwrap();
    client.consume_output(now, usize::MAX);
    client.receive(now, b"250-mx\r\n250 AUTH PLAIN\r\n");
    assert!(matches!(
        client.authenticate(now, &creds, None),
        Err(UsageError::TlsRequired { .. })
    ));
}

#[test]
fn auth_not_offered_before_starttls_says_starttls_first() {
    let mut s = Session::plain(&["STARTTLS", "PIPELINING"]);
    let error = s
        .client
        .authenticate(s.now, &Credentials::password("a", "b"), None)
        .unwrap_err();
    assert!(
        matches!(
            error,
            UsageError::AuthNotOffered {
                starttls_first: true
            }
        ),
        "{error:?}"
    );
    let diagnosis = error.diagnosis().unwrap();
    assert_eq!(diagnosis.class().as_str(), "auth_not_offered");
    let text = diagnosis.to_string().to_lowercase();
    assert!(text.contains("starttls"), "{text}");

    let mut s = Session::plain(&["PIPELINING"]);
    let error = s
        .client
        .authenticate(s.now, &Credentials::password("a", "b"), None)
        .unwrap_err();
    assert!(matches!(
        error,
        UsageError::AuthNotOffered {
            starttls_first: false
        }
    ));

    let mut s = Session::ready(
        config().with_tls(TlsPolicy::Implicit),
        &["AUTH GSSAPI NTLM"],
    );
    let error = s
        .client
        .authenticate(s.now, &Credentials::password("a", "b"), None)
        .unwrap_err();
    assert!(matches!(error, UsageError::NoCommonMechanism { .. }));
    assert_eq!(
        error.diagnosis().unwrap().class().as_str(),
        "auth_mechanism_unsupported"
    );
}

#[test]
fn a_long_initial_response_waits_for_the_empty_challenge() {
    // RFC 4954 s4: an initial response that would make AUTH longer than 512 octets is not sent.
    let mut s = Session::ready(config().with_tls(TlsPolicy::Implicit), &["AUTH XOAUTH2"]);
    let token = "t".repeat(900);
    s.client
        .authenticate(
            s.now,
            &Credentials::oauth2("alice@example.org", token.as_str()),
            None,
        )
        .unwrap();
    assert_eq!(s.take_output(), "AUTH XOAUTH2\r\n");
    s.reply("334 ");
    let answer = s.take_output();
    assert!(
        answer.len() > 1200 && answer.ends_with("\r\n") && !answer.starts_with("AUTH"),
        "{}",
        answer.len()
    );
    s.reply("235 2.7.0 Accepted");
    assert_eq!(s.event_names(), ["Authenticated"]);
}

#[test]
fn sasl_secrets_do_not_appear_in_debug_output() {
    let mut s = Session::ready(config().with_tls(TlsPolicy::Implicit), &["AUTH LOGIN"]);
    s.client
        .authenticate(
            s.now,
            &Credentials::password("alice", "hunter2-secret"),
            Some(Mechanism::Login),
        )
        .unwrap();
    s.take_output();
    s.reply("334 VXNlcm5hbWU6");
    s.take_output();
    let debug = format!("{:?}", s.client);
    assert!(
        !debug.contains("hunter2") && !debug.contains("aHVudGVyMi1zZWNyZXQ"),
        "{debug}"
    );
}

#[test]
fn usage_errors_leave_the_state_unchanged() {
    let mut s = Session::plain(&["PIPELINING"]);
    assert!(matches!(
        s.client
            .rcpt(s.now, &to("b@example.com"), RcptParams::default()),
        Err(UsageError::NotNow { .. })
    ));
    assert!(matches!(
        s.client.data(s.now),
        Err(UsageError::NotNow { .. })
    ));
    assert!(matches!(
        s.client.send_data(s.now, b"x"),
        Err(UsageError::NotNow { .. })
    ));
    assert!(s.client.pending_output().is_empty());
    // A CR/LF smuggled into an argument is a typed error, never wire bytes.
    let error = s
        .client
        .send(
            s.now,
            smtp_sansio::Command::Vrfy("a\r\nRCPT TO:<x@y>".into()),
        )
        .unwrap_err();
    assert!(matches!(error, UsageError::Command(_)), "{error:?}");
    assert!(s.client.pending_output().is_empty());
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    assert!(matches!(
        s.client
            .mail(s.now, &from("a@example.org"), MailParams::default()),
        Err(UsageError::NotNow { .. })
    ));
}

#[test]
fn output_and_events_stay_bounded_when_the_caller_floods() {
    let mut s = Session::ready(
        config()
            .with_tls(TlsPolicy::None)
            .with_max_outstanding_commands(10),
        &[],
    );
    let mut refused = 0;
    for _ in 0..50 {
        if s.client
            .send(s.now, smtp_sansio::Command::Noop(None))
            .is_err()
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 40);
}

#[test]
fn a_reply_with_nothing_in_flight_is_a_desync() {
    let mut s = Session::plain(&[]);
    s.reply("250 surprise");
    match s.closing_error() {
        Error::UnexpectedReply {
            verb: None,
            diagnosis,
            ..
        } => {
            assert_eq!(diagnosis.class().as_str(), "unexpected_reply");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_is_small() {
    let size = std::mem::size_of::<Client>();
    println!("size_of::<Client>() = {size} bytes");
    assert!(size < 4096, "{size}");
}

#[test]
fn events_name_the_handle_they_answer() {
    let mut s = Session::plain(&["PIPELINING"]);
    let mail = s
        .client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    let bob = s
        .client
        .rcpt(s.now, &to("bob@example.com"), RcptParams::default())
        .unwrap();
    let eve = s
        .client
        .rcpt(s.now, &to("eve@example.com"), RcptParams::default())
        .unwrap();
    s.take_output();
    s.client
        .receive(s.now, b"250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n");
    let events: Vec<Event> = std::iter::from_fn(|| s.client.poll_event()).collect();
    assert_eq!(
        events.iter().map(Event::handle).collect::<Vec<_>>(),
        [Some(mail), Some(bob), Some(eve)]
    );
    assert!(matches!(&events[1], Event::Rejected(r) if r.handle == bob && r.stage == Stage::Rcpt));
}

/// RFC 5321 s3.8: a 421 may come at any time, unasked. One that arrives in the same read as
/// the reply to MAIL, before the client wrote its RCPT, closes the session with its own
/// diagnosis, and the message is finished as not sent because of it.
#[test]
fn an_unasked_421_behind_a_reply_closes_with_its_diagnosis() {
    let mut s = Session::ready(
        config()
            .with_tls(TlsPolicy::None)
            .with_pipelining(smtp_sansio::Pipelining::Off),
        &[],
    );
    s.client
        .send_mail(
            s.now,
            &Envelope::new(from("a@example.org"), [to("b@example.com")]),
            b"x\r\n",
        )
        .unwrap();
    assert!(s.take_output().starts_with("MAIL"));
    s.client.receive(
        s.now,
        b"250 2.1.0 Ok\r\n421 4.3.2 Service shutting down\r\n",
    );
    let events: Vec<Event> = std::iter::from_fn(|| s.client.poll_event()).collect();
    let names: Vec<&str> = events.iter().map(Event::name).collect();
    assert_eq!(
        names,
        [
            "MailAccepted",
            "Cancelled",
            "Cancelled",
            "MessageFinished",
            "Closed"
        ]
    );
    match events.last() {
        Some(Event::Closed {
            reason: CloseReason::ServiceClosing { diagnosis, .. },
        }) => assert_eq!(diagnosis.code().map(|c| c.value()), Some(421)),
        other => panic!("{other:?}"),
    }
    match &events[3] {
        Event::MessageFinished(outcome) => {
            assert_eq!(outcome.status.as_str(), "not-sent");
            assert_eq!(
                outcome
                    .diagnosis()
                    .and_then(|d| d.code())
                    .map(|c| c.value()),
                Some(421)
            );
        }
        other => panic!("{other:?}"),
    }
}

/// A 235 to AUTH LOGIN before the client sent any credential ends the session, and the
/// diagnosis says what was expected for LOGIN (a challenge), not SCRAM's server proof.
#[test]
fn a_235_before_login_credentials_speaks_of_login() {
    let mut s = Session::ready(
        config()
            .with_tls(TlsPolicy::None)
            .dangerous_allow_plaintext_auth(true),
        &["AUTH LOGIN"],
    );
    s.client
        .authenticate(
            s.now,
            &Credentials::password("u", "p"),
            Some(Mechanism::Login),
        )
        .unwrap();
    assert_eq!(s.take_output(), "AUTH LOGIN\r\n");
    s.reply("235 2.7.0 welcome, whoever you are");
    let error = s.closing_error();
    let detail = error.diagnosis().detail().unwrap_or_default().to_owned();
    assert!(detail.contains("334 challenge"), "{detail}");
    assert!(!detail.contains("proof"), "{detail}");
    assert!(s.client.authenticated().is_none());
}

/// QUIT asked for before the greeting goes out once the server has greeted (and the
/// automatic EHLO was answered), never in place of the greeting's phase.
#[test]
fn quit_before_the_greeting_waits_for_it() {
    let now = Instant::now();
    let mut client = Client::new(config().with_tls(TlsPolicy::None), now);
    client.quit(now).unwrap();
    assert!(client.pending_output().is_empty());
    client.receive(now, b"220 mx ESMTP\r\n");
    let out = String::from_utf8_lossy(client.pending_output()).into_owned();
    assert_eq!(out, "EHLO client.example.org\r\n");
    client.consume_output(now, usize::MAX);
    client.receive(now, b"250 mx\r\n");
    assert_eq!(client.pending_output(), b"QUIT\r\n");
    client.consume_output(now, usize::MAX);
    client.receive(now, b"221 bye\r\n");
    let names: Vec<&str> = std::iter::from_fn(|| client.poll_event())
        .map(|e| e.name())
        .collect();
    assert_eq!(names, ["Greeted", "HelloAccepted", "Closed"]);
    assert!(client.is_closed());
}

/// RFC 5321 s4.2.1: a reply whose lines say both no and yes (`550-...` then `250 ...`) is
/// taken neither way: the session fails instead of counting MAIL as accepted.
#[test]
fn a_reply_that_mixes_refusal_and_acceptance_is_not_acceptance() {
    let mut s = Session::plain(&[]);
    s.client
        .mail(s.now, &from("a@example.org"), MailParams::default())
        .unwrap();
    s.take_output();
    s.client
        .receive(s.now, b"550-5.7.1 refused\r\n250 2.1.0 ok\r\n");
    let error = s.closing_error();
    assert!(matches!(error, Error::UnexpectedReply { .. }), "{error:?}");
}
