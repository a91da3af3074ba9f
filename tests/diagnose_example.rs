//! The `diagnose` example's contract (DESIGN s5): runs the example binary that `cargo test`
//! builds, with replies on standard input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn example() -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/diagnose
    let mut path = std::env::current_exe().expect("test binary path");
    path.pop();
    path.pop();
    path.push("examples");
    path.push(format!("diagnose{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not built (cargo test builds examples)",
        path.display()
    );
    path
}

fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(example())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the example");
    // The example may exit (bad usage) before reading: a broken pipe is expected then.
    let _ = child.stdin.take().expect("stdin").write_all(input);
    child.wait_with_output().expect("example output")
}

fn json(args: &[&str], input: &[u8]) -> serde_json::Value {
    let output = run(args, input);
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

#[test]
fn json_output_has_the_contract_fields() {
    let value = json(
        &["--stage", "rcpt", "--json"],
        b"550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please try double-checking the recipient's email address. - gsmtp\r\n",
    );
    for field in [
        "class",
        "severity",
        "retry",
        "stage",
        "code",
        "enhanced",
        "summary",
        "causes",
        "remedies",
        "confidence",
    ] {
        assert!(value.get(field).is_some(), "missing {field}");
    }
    assert_eq!(value["class"], "recipient_unknown");
    assert_eq!(value["stage"], "rcpt");
    assert_eq!(value["code"], 550);
    assert_eq!(value["enhanced"], "5.1.1");
    assert!(value.get("capabilities").is_none());
}

#[test]
fn input_without_code_and_with_lf() {
    let value = json(
        &["--json", "--stage", "rcpt"],
        b"5.7.1 Relay access denied\n",
    );
    assert_eq!(value["class"], "relay_denied");
    assert_eq!(value["code"], serde_json::Value::Null);
    let value = json(
        &["--stage", "auth", "--json"],
        b"535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials - gsmtp\n",
    );
    assert_eq!(value["class"], "auth_failed");
}

#[test]
fn ehlo_json_carries_capabilities() {
    let value = json(
        &["--stage", "ehlo", "--json"],
        b"250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-XCLIENT NAME\r\n250 CHUNKING\r\n",
    );
    assert_eq!(value["class"], "capabilities");
    let caps = &value["capabilities"];
    assert_eq!(caps["size"], 10_240_000);
    assert_eq!(caps["auth"], serde_json::json!(["PLAIN", "LOGIN"]));
    for (key, expected) in [
        ("starttls", true),
        ("pipelining", true),
        ("8bitmime", true),
        ("smtputf8", false),
        ("chunking", true),
        ("dsn", true),
        ("enhancedstatuscodes", true),
        ("requiretls", false),
    ] {
        assert_eq!(caps[key], expected, "{key}");
    }
    assert_eq!(caps["other"], serde_json::json!(["XCLIENT"]));
}

#[test]
fn human_output_is_short() {
    let output = run(
        &["--stage", "mail"],
        b"530 5.7.0 Must issue a STARTTLS command first\n",
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(text.starts_with("tls_required (mail): "), "{text}");
    assert!(text.contains("what to do:"));
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &[][..],
        &["--stage"][..],
        &["--stage", "bogus"][..],
        &["--stage", "rcpt", "--verbose"][..],
    ] {
        let output = run(args, b"250 ok\n");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"));
    }
    let output = run(&["--stage", "rcpt"], b"  \n");
    assert_eq!(output.status.code(), Some(2));
}

/// Issue 11: control bytes on standard input are shown escaped, never written raw to the
/// terminal; the JSON output keeps its own escaping.
#[test]
fn pasted_control_bytes_are_shown_escaped() {
    for input in [
        &b"550 5.1.1 \x1b]0;pwned-title\x07\x1b[2J\x1b[31mfake PASS\r\n"[..],
        &b"550 5.1.1 refused\r  PASS  rcpt <b@fake.test> 250 2.1.5 ok\x1b[K\n"[..],
        &b"\x1b[2J\x00binary \xff\xfe"[..],
    ] {
        let output = run(&["--stage", "rcpt"], input);
        assert!(output.status.success(), "{output:?}");
        let shown = String::from_utf8(output.stdout).expect("UTF-8 output");
        assert!(
            !shown
                .bytes()
                .any(|b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f),
            "raw control byte in {shown:?}"
        );
        assert!(shown.contains(r"\x1b"), "{shown}");
        let value = json(&["--stage", "rcpt", "--json"], input);
        assert!(value["class"].is_string());
    }
}
