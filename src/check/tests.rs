use super::*;
use crate::address::Mailbox;
use std::time::Duration;

/// A scripted peer for a check: feeds server lines, reads what the check wrote.
struct Harness {
    check: Check,
    now: Instant,
}

impl Harness {
    fn new(options: CheckOptions) -> Harness {
        let now = Instant::now();
        let mut check = Check::new(options, now);
        let now = now + Duration::from_millis(20);
        check.connected(now, None);
        Harness { check, now }
    }

    fn tick(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
    }

    fn server(&mut self, lines: &[&str]) {
        self.tick(5);
        for line in lines {
            self.check
                .receive(self.now, format!("{line}\r\n").as_bytes());
        }
    }

    /// Everything the check has written so far, as lines, consumed.
    fn client(&mut self) -> Vec<String> {
        let out = String::from_utf8(self.check.pending_output().to_vec()).unwrap();
        let n = out.len();
        self.check.consume_output(self.now, n);
        out.lines().map(str::to_string).collect()
    }

    fn statuses(&self) -> Vec<(String, &'static str)> {
        self.check
            .report()
            .steps
            .iter()
            .map(|s| (s.step.as_str().to_string(), s.status.as_str()))
            .collect()
    }
}

fn options(tls: CheckTls) -> CheckOptions {
    let mut options = CheckOptions::new(
        "mx.example.com:587",
        Host::parse("client.example.org").unwrap(),
    );
    options.tls = tls;
    options.port = Some(587);
    options
}

fn steps(list: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
    list.iter().map(|(s, st)| (s.to_string(), *st)).collect()
}

#[test]
fn full_walk_with_starttls_auth_and_a_refused_recipient() {
    let mut options = options(CheckTls::StartTls);
    options.credentials = Some(Credentials::password("alice", "s3cret"));
    options.from = Some(ReversePath::from(
        Mailbox::parse("alice@example.org").unwrap(),
    ));
    options.to = vec![
        ForwardPath::from(Mailbox::parse("bob@example.com").unwrap()),
        ForwardPath::from(Mailbox::parse("nobody@example.com").unwrap()),
    ];
    let mut h = Harness::new(options);
    h.server(&["220 mx.example.com ESMTP"]);
    assert_eq!(h.client(), ["EHLO client.example.org"]);
    h.server(&[
        "250-mx.example.com",
        "250-SIZE 5000000",
        "250-AUTH PLAIN LOGIN",
        "250 STARTTLS",
    ]);
    assert_eq!(h.client(), ["STARTTLS"]);
    h.server(&["220 2.0.0 Ready to start TLS"]);
    assert_eq!(h.check.poll_action(), Some(Action::StartTls));
    h.tick(30);
    h.check.tls_established(
        h.now,
        TlsFacts::new("TLSv1.3", "TLS13_AES_256_GCM_SHA384", true),
    );
    assert_eq!(h.client(), ["EHLO client.example.org"]);
    h.server(&[
        "250-mx.example.com",
        "250-SIZE 5000000",
        "250 AUTH PLAIN LOGIN",
    ]);
    assert_eq!(h.client(), ["AUTH PLAIN AGFsaWNlAHMzY3JldA=="]);
    h.server(&["235 2.7.0 Authentication successful"]);
    assert_eq!(h.client(), ["MAIL FROM:<alice@example.org>"]);
    h.server(&["250 2.1.0 Ok"]);
    // The check sends one command at a time, so each reply is timed on its own.
    assert_eq!(h.client(), ["RCPT TO:<bob@example.com>"]);
    h.server(&["250 2.1.5 Ok"]);
    assert_eq!(h.client(), ["RCPT TO:<nobody@example.com>"]);
    h.server(&["550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown"]);
    assert_eq!(h.client(), ["RSET"]);
    h.server(&["250 2.0.0 Ok"]);
    assert_eq!(h.client(), ["QUIT"]);
    h.server(&["221 2.0.0 Bye"]);
    assert_eq!(h.check.poll_action(), Some(Action::Close));
    assert!(h.check.is_done());
    assert_eq!(
        h.statuses(),
        steps(&[
            ("connect", "pass"),
            ("greeting", "pass"),
            ("ehlo", "pass"),
            ("starttls", "pass"),
            ("ehlo-after-tls", "pass"),
            ("auth", "pass"),
            ("mail", "pass"),
            ("rcpt", "pass"),
            ("rcpt", "fail"),
            ("rset", "pass"),
            ("quit", "pass"),
        ])
    );
    let report = h.check.report();
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.exit_code(), 1);
    let refused = &report.steps[8];
    assert_eq!(refused.target.as_deref(), Some("<nobody@example.com>"));
    assert_eq!(refused.diagnoses[0].class().as_str(), "recipient_unknown");
    // Durations come from the caller's clock: the connect step took the 20 ms before connected().
    assert_eq!(report.steps[0].duration, Some(Duration::from_millis(20)));
    assert_eq!(report.steps[3].duration, Some(Duration::from_millis(35)));
    let warnings: Vec<&str> = report.warnings.iter().map(|w| w.text.as_str()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("AUTH PLAIN LOGIN is offered before TLS")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("SIZE 5000000 is under 10 MB")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("a 250 to RCPT proves nothing")),
        "{warnings:?}"
    );
    let transcript = report.transcript_text();
    assert!(
        transcript.contains("C: AUTH PLAIN [redacted]"),
        "{transcript}"
    );
    assert!(
        !transcript.contains("AGFsaWNl"),
        "the secret must not appear: {transcript}"
    );
    assert!(
        transcript.contains("--- TLS established: TLSv1.3"),
        "{transcript}"
    );
    assert!(transcript.contains("S: 550 5.1.1 <nobody@example.com>"));
    let changes = report.capability_changes().unwrap();
    assert_eq!(changes.removed, ["STARTTLS"]);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    for key in ["server", "steps", "capabilities", "tls", "verdict"] {
        assert!(json.get(key).is_some(), "JSON lacks {key}");
    }
    assert_eq!(json["verdict"], "fail");
    assert_eq!(json["steps"][8]["status"], "fail");
    assert_eq!(
        json["steps"][8]["diagnoses"][0]["class"],
        "recipient_unknown"
    );
    assert_eq!(json["tls"]["protocol"], "TLSv1.3");
    assert_eq!(
        json["capabilities"]["auth"],
        serde_json::json!(["PLAIN", "LOGIN"])
    );
    let text = report.summary_text();
    assert!(text.contains("FAIL  rcpt <nobody@example.com>"), "{text}");
    assert!(text.contains("recipient_unknown"), "{text}");
}

#[test]
fn starttls_required_but_not_offered_fails_and_quits() {
    let mut h = Harness::new(options(CheckTls::StartTls));
    h.server(&["220 mx.example.com ESMTP"]);
    h.client();
    h.server(&["250-mx.example.com", "250 8BITMIME"]);
    assert_eq!(h.client(), ["QUIT"]);
    h.server(&["221 Bye"]);
    assert_eq!(
        h.statuses(),
        steps(&[
            ("connect", "pass"),
            ("greeting", "pass"),
            ("ehlo", "pass"),
            ("starttls", "fail"),
            ("quit", "pass")
        ])
    );
    let report = h.check.report();
    assert_eq!(
        report.step(Step::StartTls).unwrap().diagnoses[0]
            .class()
            .as_str(),
        "tls_not_offered"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.text.contains("no STARTTLS on a submission port"))
    );
}

#[test]
fn optional_tls_is_skipped_when_not_offered_and_auth_before_tls_says_starttls_first() {
    let mut options = options(CheckTls::StartTlsOptional);
    options.credentials = Some(Credentials::password("alice", "s3cret"));
    let mut h = Harness::new(options);
    h.server(&["220 mx.example.com ESMTP"]);
    h.client();
    h.server(&["250-mx.example.com", "250 PIPELINING"]);
    assert_eq!(h.client(), ["QUIT"]);
    h.server(&["221 Bye"]);
    assert_eq!(
        h.statuses(),
        steps(&[
            ("connect", "pass"),
            ("greeting", "pass"),
            ("ehlo", "pass"),
            ("starttls", "skip"),
            ("ehlo-after-tls", "skip"),
            ("auth", "fail"),
            ("quit", "pass"),
        ])
    );
    let auth = h.check.report().step(Step::Auth).unwrap();
    assert_eq!(auth.diagnoses[0].class().as_str(), "auth_not_offered");
}

#[test]
fn quit_after_ehlo_stops_there() {
    let mut options = options(CheckTls::StartTls);
    options.quit_after = Some(Step::Ehlo);
    let mut h = Harness::new(options);
    h.server(&["220 mx.example.com ESMTP"]);
    h.client();
    h.server(&["250-mx.example.com", "250 STARTTLS"]);
    assert_eq!(h.client(), ["QUIT"]);
    h.server(&["221 Bye"]);
    assert_eq!(
        h.statuses(),
        steps(&[
            ("connect", "pass"),
            ("greeting", "pass"),
            ("ehlo", "pass"),
            ("quit", "pass")
        ])
    );
    assert_eq!(h.check.report().verdict, Verdict::Pass);
}

#[test]
fn quit_after_greeting_sends_no_ehlo() {
    let mut options = options(CheckTls::None);
    options.quit_after = Some(Step::Greeting);
    let mut h = Harness::new(options);
    h.server(&["220 mx.example.com ESMTP"]);
    assert_eq!(h.client(), ["QUIT"]);
}

#[test]
fn data_is_sent_only_when_asked() {
    let mut options = options(CheckTls::None);
    options.from = Some(ReversePath::Null);
    options.to = vec![ForwardPath::Postmaster];
    options.data = Some(b"Subject: probe\r\n\r\n.hello\r\n".to_vec());
    let mut h = Harness::new(options);
    h.server(&["220 mx.example.com ESMTP"]);
    h.client();
    h.server(&["250-mx.example.com", "250 SIZE 52428800"]);
    assert_eq!(h.client(), ["MAIL FROM:<> SIZE=26"]);
    h.server(&["250 Ok"]);
    assert_eq!(h.client(), ["RCPT TO:<Postmaster>"]);
    h.server(&["250 Ok"]);
    assert_eq!(h.client(), ["DATA"]);
    h.server(&["354 go"]);
    assert_eq!(h.client(), ["Subject: probe", "", "..hello", "."]);
    h.server(&["250 2.0.0 Ok: queued"]);
    assert_eq!(h.client(), ["QUIT"]);
    h.server(&["221 Bye"]);
    let statuses = h.statuses();
    assert!(
        statuses.contains(&("data".to_string(), "pass")),
        "{statuses:?}"
    );
    assert!(
        h.check
            .report()
            .transcript_text()
            .contains("[message data:")
    );
}

#[test]
fn greeting_rejected_and_slow_greeting() {
    let mut h = Harness::new(options(CheckTls::None));
    h.tick(6000);
    h.server(&["554 5.7.1 mx.example.com ESMTP not accepting connections"]);
    assert_eq!(h.client(), ["QUIT"]);
    h.server(&["221 Bye"]);
    let report = h.check.report();
    assert_eq!(
        report.step(Step::Greeting).unwrap().status,
        StepStatus::Fail
    );
    assert_eq!(
        report.step(Step::Greeting).unwrap().diagnoses[0]
            .class()
            .as_str(),
        "greeting_rejected"
    );

    let mut h = Harness::new(options(CheckTls::None));
    h.tick(6000);
    h.server(&["220 mx.example.com ESMTP"]);
    assert!(
        h.check
            .report()
            .warnings
            .iter()
            .any(|w| w.text.contains("greet pause"))
    );
}

#[test]
fn connection_failure_and_timeout_are_diagnosed() {
    let now = Instant::now();
    let mut check = Check::new(options(CheckTls::None), now);
    let diagnosis = crate::classify_transport_error(
        std::io::ErrorKind::ConnectionRefused,
        "connection refused",
    );
    check.connection_failed(now, diagnosis);
    assert!(check.is_done());
    assert_eq!(check.poll_action(), Some(Action::Close));
    let report = check.into_report();
    assert_eq!(
        report.steps[0].diagnoses[0].class().as_str(),
        "connection_refused"
    );
    assert_eq!(report.exit_code(), 1);

    let mut h = Harness::new(options(CheckTls::None));
    let deadline = h.check.poll_timeout().unwrap();
    h.check.handle_timeout(deadline);
    assert!(h.check.is_done());
    let greeting = h.check.report().step(Step::Greeting).unwrap();
    assert_eq!(greeting.status, StepStatus::Fail);
    assert_eq!(greeting.diagnoses[0].class().as_str(), "greeting_timeout");
}

#[test]
fn quit_after_names() {
    for (name, step) in [
        ("connect", Step::Connect),
        ("tls", Step::StartTls),
        ("rcpt", Step::Rcpt),
        ("HELO", Step::Ehlo),
    ] {
        assert_eq!(Step::from_quit_after(name), Some(step));
    }
    assert_eq!(Step::from_quit_after("dot"), None);
}

// ---- issue 11 items 4 and 5: every reason on its step, counted once ----------------------

impl Harness {
    /// Server bytes in one read.
    fn server_raw(&mut self, bytes: &str) {
        self.tick(5);
        self.check.receive(self.now, bytes.as_bytes());
    }
}

fn with_recipients(tls: CheckTls, to: &[&str]) -> CheckOptions {
    let mut options = options(tls);
    options.from = Some(ReversePath::from(
        Mailbox::parse("alice@example.org").unwrap(),
    ));
    options.to = to
        .iter()
        .map(|to| ForwardPath::from(Mailbox::parse(to).unwrap()))
        .collect();
    options
}

/// A plaintext walk up to MAIL being written.
fn up_to_mail(to: &[&str], ehlo: &[&str]) -> Harness {
    let mut h = Harness::new(with_recipients(CheckTls::None, to));
    h.server(&["220 mx.example.com ESMTP"]);
    assert_eq!(h.client(), ["EHLO client.example.org"]);
    h.server(ehlo);
    h
}

#[test]
fn a_421_in_the_same_read_as_the_mail_reply_is_the_reason_on_the_rcpt_step() {
    let mut h = up_to_mail(
        &["bob@example.com", "carol@example.com"],
        &["250 mx.example.com"],
    );
    assert_eq!(h.client(), ["MAIL FROM:<alice@example.org>"]);
    h.server_raw("250 2.1.0 Ok\r\n421 4.3.2 Service shutting down\r\n");
    assert!(h.check.is_done());
    let report = h.check.report();
    let rcpts: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.step == Step::Rcpt)
        .collect();
    assert_eq!(rcpts.len(), 2, "{:?}", h.statuses());
    assert_eq!(rcpts[0].status, StepStatus::Fail);
    assert_eq!(
        rcpts[0].diagnoses[0].code().map(|c| c.value()),
        Some(421),
        "the 421 is the reason"
    );
    assert_eq!(rcpts[1].status, StepStatus::Skip);
    assert!(rcpts[1].detail.as_deref().unwrap().contains("not tried"));
    assert_eq!(rcpts[1].target.as_deref(), Some("<carol@example.com>"));
}

#[test]
fn a_421_right_after_the_greeting_is_the_reason_on_the_ehlo_step() {
    let mut h = Harness::new(options(CheckTls::None));
    h.server_raw("220 mx.example.com ESMTP\r\n421 4.3.2 Service shutting down\r\n");
    assert!(h.check.is_done());
    let report = h.check.report();
    let ehlo = report.step(Step::Ehlo).expect("an ehlo step");
    assert_eq!(ehlo.status, StepStatus::Fail);
    assert_eq!(ehlo.diagnoses[0].code().map(|c| c.value()), Some(421));
    assert_eq!(
        report.step(Step::Greeting).unwrap().status,
        StepStatus::Pass
    );
}

#[test]
fn a_broken_two_line_banner_fails_the_greeting() {
    let mut h = Harness::new(options(CheckTls::None));
    h.server_raw("220-mx.example.com hello\r\n421 4.3.2 not today\r\n");
    assert!(h.check.is_done());
    let greeting = h
        .check
        .report()
        .step(Step::Greeting)
        .expect("a greeting step");
    assert_eq!(greeting.status, StepStatus::Fail);
    assert!(!greeting.diagnoses.is_empty());
}

#[test]
fn a_421_to_the_first_of_three_recipients_is_one_failed_step_and_two_not_tried() {
    let to = ["a@example.com", "b@example.com", "c@example.com"];
    let mut h = up_to_mail(&to, &["250 mx.example.com"]);
    assert_eq!(h.client(), ["MAIL FROM:<alice@example.org>"]);
    h.server(&["250 2.1.0 Ok"]);
    assert_eq!(h.client(), ["RCPT TO:<a@example.com>"]);
    h.server(&["421 4.7.0 too many errors"]);
    assert!(h.check.is_done());
    let report = h.check.report();
    let failed = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Fail)
        .count();
    assert_eq!(failed, 1, "{:?}", h.statuses());
    let rcpts: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.step == Step::Rcpt)
        .collect();
    let targets: Vec<_> = rcpts.iter().map(|s| s.target.as_deref().unwrap()).collect();
    assert_eq!(
        targets,
        ["<a@example.com>", "<b@example.com>", "<c@example.com>"]
    );
    assert_eq!(
        rcpts.iter().map(|s| s.status).collect::<Vec<_>>(),
        [StepStatus::Fail, StepStatus::Skip, StepStatus::Skip]
    );
}

#[test]
fn a_refused_starttls_still_ends_with_quit() {
    for refusal in [
        "454 4.7.0 TLS not available",
        "500 5.5.1 Unrecognized command",
    ] {
        let mut h = Harness::new(options(CheckTls::StartTls));
        h.server(&["220 mx.example.com ESMTP"]);
        h.client();
        h.server(&["250-mx.example.com", "250 STARTTLS"]);
        assert_eq!(h.client(), ["STARTTLS"]);
        h.server(&[refusal]);
        assert_eq!(h.client(), ["QUIT"], "{refusal}");
        h.server(&["221 2.0.0 Bye"]);
        assert!(h.check.is_done());
        assert_eq!(
            h.check.report().step(Step::StartTls).unwrap().status,
            StepStatus::Fail
        );
    }
}

#[test]
fn mail_declares_what_the_addresses_and_the_message_need() {
    // A non-ASCII recipient on a server that offers SMTPUTF8.
    let mut h = up_to_mail(
        &["δοκιμή@παράδειγμα.δοκιμή"],
        &["250-mx.example.com", "250-8BITMIME", "250 SMTPUTF8"],
    );
    assert_eq!(h.client(), ["MAIL FROM:<alice@example.org> SMTPUTF8"]);
    h.server(&["250 2.1.0 Ok"]);
    assert_eq!(h.client(), ["RCPT TO:<δοκιμή@παράδειγμα.δοκιμή>"]);

    // --data: SIZE is what goes on the wire (CRLF line ends, no stuffing dots), UTF-8
    // headers need SMTPUTF8 and 8-bit content BODY=8BITMIME.
    let mut options = with_recipients(CheckTls::None, &["bob@example.com"]);
    options.data = Some("Subject: Grüße\n\n.line\nbody\n".as_bytes().to_vec());
    let mut h = Harness::new(options);
    h.server(&["220 mx.example.com ESMTP"]);
    h.client();
    h.server(&[
        "250-mx.example.com",
        "250-SIZE 1000",
        "250-8BITMIME",
        "250 SMTPUTF8",
    ]);
    let size = "Subject: Grüße\r\n\r\n.line\r\nbody\r\n".len();
    assert_eq!(
        h.client(),
        [format!(
            "MAIL FROM:<alice@example.org> SIZE={size} BODY=8BITMIME SMTPUTF8"
        )]
    );
}

#[test]
fn a_reply_that_mixes_550_and_250_is_not_a_pass() {
    let mut h = up_to_mail(&["bob@example.com"], &["250 mx.example.com"]);
    assert_eq!(h.client(), ["MAIL FROM:<alice@example.org>"]);
    h.server_raw("550-5.7.1 refused\r\n250 ok\r\n");
    let mail = h.check.report().step(Step::Mail).expect("a mail step");
    assert_eq!(mail.status, StepStatus::Fail);
}
