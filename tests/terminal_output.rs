//! What a hostile server writes never reaches the user's terminal as control sequences: every
//! human-readable output (a reply's `Display`, a diagnosis's `Display`, the check report's
//! step lines and transcript) shows control octets and invalid UTF-8 escaped (issue 11, item 1).
//! The JSON outputs keep their own escaping.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use smtp_sansio::check::Action;
use smtp_sansio::testing::{Answer, Policy, Script, Server};
use smtp_sansio::{
    Check, CheckOptions, CheckTls, Decoded, ForwardPath, Host, Mailbox, Reply, ReplyLimits, Report,
    ReversePath, Stage, diagnose, diagnose_bytes, diagnose_text, escape, parse_reply,
};

/// Sets the terminal title, clears the screen and paints a fake PASS.
const TITLE_ATTACK: &[u8] = b"550 5.1.1 \x1b]0;pwned-title\x07\x1b[2J\x1b[31mfake PASS";
/// Returns the cursor to the start of the line and redraws a failed step as passed.
const REDRAW_ATTACK: &[u8] = b"550 5.1.1 refused\r  PASS  rcpt <b@fake.test> 250 2.1.5 ok\x1b[K";

/// No control character but LF and tab, no C1 control, no Unicode direction control.
fn assert_inert(what: &str, text: &str) {
    let bad = text.chars().find(|&c| match c {
        '\n' | '\t' => false,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' => true,
        '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            true
        }
        _ => false,
    });
    assert!(
        bad.is_none(),
        "{what}: {bad:?} reaches the terminal in {text:?}"
    );
}

fn parse(wire: &[u8]) -> Option<Reply> {
    match parse_reply(wire, &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, consumed }) if consumed == wire.len() => Some(value),
        _ => None,
    }
}

fn options() -> CheckOptions {
    let mut options = CheckOptions::new(
        "mx.example.test:25",
        Host::parse("client.example.org").unwrap(),
    );
    options.tls = CheckTls::None;
    options.port = Some(25);
    options.from = Some(ReversePath::from(
        Mailbox::parse("alice@example.org").unwrap(),
    ));
    options.to = vec![
        ForwardPath::from(Mailbox::parse("bob@example.com").unwrap()),
        ForwardPath::from(Mailbox::parse("carol@example.com").unwrap()),
    ];
    options.timeouts = smtp_sansio::Timeouts::uniform(Duration::from_secs(30));
    options
}

/// Runs a check against a scripted server to its end, on a virtual clock.
fn run_check(server: &mut Server) -> Report {
    let mut now = Instant::now();
    let mut check = Check::new(options(), now);
    check.connected(now, None);
    for _ in 0..500 {
        let mut moved = false;
        let from_server = server.pending_output().to_vec();
        if !from_server.is_empty() {
            server.consume_output(from_server.len());
            check.receive(now, &from_server);
            moved = true;
        }
        let from_check = check.pending_output().to_vec();
        if !from_check.is_empty() {
            check.consume_output(now, from_check.len());
            server.receive(&from_check);
            moved = true;
        }
        match check.poll_action() {
            Some(Action::Close) => break,
            Some(_) => {
                // TLS is off in these checks; anything else ends the run.
                break;
            }
            None => {}
        }
        if check.is_done() {
            break;
        }
        if moved {
            continue;
        }
        if server.is_closed() && server.pending_output().is_empty() {
            check.receive_eof(now);
            continue;
        }
        match check.poll_timeout() {
            Some(deadline) => {
                now = now.max(deadline);
                check.handle_timeout(now);
            }
            None => break,
        }
    }
    check.into_report()
}

/// The report's human-readable texts, checked one by one.
fn assert_report_inert(report: &Report) {
    assert_inert("transcript_text", &report.transcript_text());
    assert_inert("summary_text", &report.summary_text());
    for line in report.summary_text().lines() {
        // Each step line stays on its own line: a step never shows another's status.
        if let Some(rest) = line.strip_prefix("  ") {
            assert!(!rest.contains('\r'), "{line:?}");
        }
    }
}

#[test]
fn the_attack_strings_are_escaped_in_the_check_report() {
    for attack in [TITLE_ATTACK, REDRAW_ATTACK] {
        let mut wire = attack.to_vec();
        wire.extend_from_slice(b"\r\n");
        let refusal = parse(&wire).expect("the attack is a well-formed reply");
        // Greeting, EHLO, MAIL, first RCPT refused with the attack.
        let script = Script::new(Policy::new()).with_answers([
            Answer::Policy,
            Answer::Policy,
            Answer::Policy,
            Answer::Reply(refusal),
        ]);
        let report = run_check(&mut Server::scripted(script));
        assert_report_inert(&report);
        let summary = report.summary_text();
        let transcript = report.transcript_text();
        assert!(summary.contains(r"\x1b"), "{summary}");
        assert!(transcript.contains(r"\x1b"), "{transcript}");
        // The refused recipient's line shows FAIL, and no line is drawn as a PASS of it.
        let rcpt_line = summary
            .lines()
            .find(|line| line.contains("rcpt <bob@example.com>"))
            .expect("a step line for the refused recipient");
        assert!(rcpt_line.trim_start().starts_with("FAIL"), "{rcpt_line}");
        assert_eq!(
            summary
                .lines()
                .filter(|line| line.trim_start().starts_with("PASS  rcpt <b@fake.test>"))
                .count(),
            0
        );
        // JSON is unchanged: its own escaping, the raw text inside.
        let json = report.to_json();
        assert!(json.contains("\\u001b"), "{json}");
        assert!(!json.contains(r"\\x1b"), "{json}");
    }
}

#[test]
fn the_attack_strings_are_escaped_in_a_hostile_greeting() {
    // The scripted server refuses to write control octets itself: feed the bytes directly.
    for attack in [TITLE_ATTACK, REDRAW_ATTACK] {
        let now = Instant::now();
        let mut check = Check::new(options(), now);
        check.connected(now, None);
        let mut greeting = b"220-mx.example.test ESMTP\r\n220 ".to_vec();
        greeting.extend_from_slice(&attack[4..]);
        greeting.extend_from_slice(b"\r\n");
        check.receive(now, &greeting);
        check.receive_eof(now);
        let report = check.into_report();
        assert_report_inert(&report);
        let transcript = report.transcript_text();
        assert!(transcript.contains(r"\x1b"), "{transcript}");
    }
}

#[test]
fn the_attack_strings_are_escaped_by_the_reply_and_diagnosis_displays() {
    for attack in [TITLE_ATTACK, REDRAW_ATTACK] {
        let mut wire = attack.to_vec();
        wire.extend_from_slice(b"\r\n");
        let reply = parse(&wire).unwrap();
        assert_inert("Reply", &reply.to_string());
        assert_inert("diagnose", &diagnose(Stage::Rcpt, &reply).to_string());
        assert_inert(
            "diagnose_bytes",
            &diagnose_bytes(Stage::Rcpt, attack).to_string(),
        );
        assert_inert(
            "diagnose_text",
            &diagnose_text(Stage::Rcpt, &String::from_utf8_lossy(attack)).to_string(),
        );
        assert_eq!(
            escape::terminal_line(attack).to_string(),
            reply.to_string(),
            "a one-line reply shows as its escaped line"
        );
    }
}

/// Bytes a server may put in a reply's text: anything but LF (which ends the line), with
/// the dangerous ones often.
fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<u8>(),
            2 => proptest::sample::select(vec![0x1bu8, b'\r', 0x07, 0x9b, 0x00, 0x7f, 0xc2, 0xe2]),
            2 => proptest::sample::select(b"abc PASS 250 5.1.1 [2J]0;".to_vec()),
        ],
        0..80,
    )
    .prop_map(|mut bytes| {
        bytes.retain(|&b| b != b'\n');
        bytes
    })
}

fn code() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "220", "250", "354", "421", "450", "451", "452", "550", "553", "554", "500",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For any bytes a server sends as a reply's text, at any point of a check, every
    /// human-readable output holds no control character but LF (and tab).
    #[test]
    fn any_reply_text_leaves_every_output_inert(
        code in code(),
        text in text_bytes(),
        more in proptest::option::of(text_bytes()),
        at in 0usize..6,
    ) {
        let mut wire = Vec::new();
        if let Some(more) = &more {
            wire.extend_from_slice(code.as_bytes());
            wire.push(b'-');
            wire.extend_from_slice(more);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(code.as_bytes());
        wire.push(b' ');
        wire.extend_from_slice(&text);
        wire.extend_from_slice(b"\r\n");
        let Some(reply) = parse(&wire) else {
            return Err(TestCaseError::reject("not a reply"));
        };
        assert_inert("Reply", &reply.to_string());
        for stage in [Stage::Greeting, Stage::Mail, Stage::Rcpt, Stage::Any] {
            assert_inert("diagnose", &diagnose(stage, &reply).to_string());
            assert_inert("diagnose_bytes", &diagnose_bytes(stage, &wire).to_string());
            assert_inert("diagnose_bytes(text)", &diagnose_bytes(stage, &text).to_string());
            assert_inert(
                "diagnose_text",
                &diagnose_text(stage, &String::from_utf8_lossy(&text)).to_string(),
            );
        }
        let mut answers = vec![Answer::Policy; at];
        answers.push(Answer::Reply(reply));
        let script = Script::new(Policy::new()).with_answers(answers);
        let report = run_check(&mut Server::scripted(script));
        assert_report_inert(&report);
    }

    /// Bytes that are not a reply at all, after a normal greeting: the check's transcript and
    /// report stay inert too.
    #[test]
    fn any_bytes_after_the_greeting_leave_the_report_inert(
        bytes in proptest::collection::vec(any::<u8>(), 1..120),
    ) {
        let mut now = Instant::now();
        let mut check = Check::new(options(), now);
        check.connected(now, None);
        check.receive(now, b"220 mx.example.test ESMTP\r\n");
        let _ = check.pending_output().len();
        let n = check.pending_output().len();
        check.consume_output(now, n);
        now += Duration::from_millis(5);
        check.receive(now, &bytes);
        check.receive_eof(now);
        let report = check.into_report();
        assert_report_inert(&report);
    }
}

/// Parse errors quote what they were given: escaped too.
#[test]
fn parse_errors_quote_control_octets_escaped() {
    use smtp_sansio::command::xtext;
    use smtp_sansio::{CommandLimits, parse_command};
    let mut shown = Vec::new();
    for line in [
        &b"AUTH \x1b[2JPLAIN\r\n"[..],
        b"MAIL FROM:<a\x1b[31m@b.example>\r\n",
        b"RCPT TO:<b@example.com> NOTIFY=\x1b]0;x\x07\r\n",
        b"\x1b[2J\r\n",
    ] {
        if let Err(error) = parse_command(line, &CommandLimits::default()) {
            shown.push(error.to_string());
        }
    }
    if let Err(error) = Mailbox::parse("a\u{1b}[31m@b.example") {
        shown.push(error.to_string());
    }
    if let Err(error) = xtext::decode("a+\u{1b}[2J") {
        shown.push(error.to_string());
    }
    assert!(shown.len() >= 4, "{shown:?}");
    for text in &shown {
        assert_inert("parse error", text);
    }
}
