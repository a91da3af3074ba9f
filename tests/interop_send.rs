//! Interop: the `send_std` and `send_tokio` examples' drivers send real mail through the
//! local Postfix of `scripts/mailserver.sh`, and the delivered messages are read back from
//! the Maildirs byte for byte.
//!
//! ```text
//! scripts/mailserver.sh start
//! eval "$(scripts/mailserver.sh env)"
//! cargo test --test interop_send -- --nocapture
//! ```
//!
//! With `SMTP_SANSIO_MAILSERVER` unset, or nothing accepting on the MX port within 2 s, the
//! tests that need the server print that they were skipped and pass (as `interop_smoke`).
//! Every network operation is bounded: the drivers run with `--timeout 10` (connect, TLS
//! handshake, every reply and write), Maildir polling stops after 10 s.

use std::env;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use smtp_sansio::{Credentials, Mechanism, Stage, UsageError};

// Each example comes whole with its own copy of `support/send.rs`, so the tokio tests use
// `send_tokio::support`'s types and the others `send_std::support`'s.
#[path = "../examples/send_std.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod send_std;
#[path = "../examples/send_tokio.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod send_tokio;

use send_std::support::{MessageStatus, Options, Outcome, RecipientStatus, TlsMode};

const READ_BACK_DEADLINE: Duration = Duration::from_secs(10);

#[path = "support/mailserver.rs"]
mod mailserver;

use mailserver::{MailServer as Server, running as server};

impl Server {
    /// Options for the std driver: plaintext, 10 s timeouts.
    fn options(&self, port: u16, to: &[&str], message: &[u8]) -> Options {
        let mut options = Options::new(&self.addr(port), &self.user, to, message);
        options.tls = TlsMode::None;
        options.timeout = Some(Duration::from_secs(10));
        options
    }

    /// Options for STARTTLS (or implicit TLS) with the test CA and a login.
    fn tls_options(&self, port: u16, tls: TlsMode, to: &[&str], message: &[u8]) -> Options {
        let mut options = self.options(port, to, message);
        options.tls = tls;
        options.ca = Some(self.ca.clone());
        options.credentials = Some(Credentials::password(&*self.user, &*self.password));
        options
    }

    /// The command line for the same, for the examples' binaries and the tokio driver.
    fn args(&self, port: u16, tls: &str, to: &[&str], body: &Path) -> Vec<String> {
        let mut args = vec![
            "--server".into(),
            self.addr(port),
            "--tls".into(),
            tls.into(),
        ];
        args.extend(["--ca".into(), self.ca.display().to_string()]);
        args.extend(["--from".into(), self.user.clone()]);
        for to in to {
            args.extend(["--to".into(), (*to).to_owned()]);
        }
        args.extend(["--body".into(), body.display().to_string()]);
        args.extend(["--timeout".into(), "10".into()]);
        args
    }
}

/// A value no other message carries, for the X-Test-Id header.
fn unique_id(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

/// A message whose first header is `X-Test-Id: id`. It carries Date and Message-ID so that
/// Postfix adds no header below that line.
fn message(id: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!(
        "X-Test-Id: {id}\r\nFrom: <sender@example.test>\r\nTo: <user@example.test>\r\n\
         Subject: {id}\r\nDate: Tue, 02 Dec 2025 08:00:00 +0000\r\nMessage-ID: <{id}@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    message.extend_from_slice(body);
    message
}

/// The message as a Maildir file holds it: every line end (CRLF, bare LF, bare CR: the
/// encoder sends each as CRLF, RFC 5321 s2.3.8) is one LF.
fn as_stored(message: &[u8]) -> Vec<u8> {
    let mut stored = Vec::with_capacity(message.len());
    let mut bytes = message.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' {
            bytes.next_if_eq(&&b'\n');
            stored.push(b'\n');
        } else {
            stored.push(byte);
        }
    }
    stored
}

/// The delivered message carrying `X-Test-Id: id`, from that header on (Postfix prepends
/// Return-Path, X-Original-To, Delivered-To and Received). Polls `new/` for up to 10 s.
fn read_back(maildir: &Path, id: &str) -> Vec<u8> {
    let marker = format!("X-Test-Id: {id}\n");
    let deadline = Instant::now() + READ_BACK_DEADLINE;
    loop {
        for entry in std::fs::read_dir(maildir.join("new")).into_iter().flatten() {
            let Ok(bytes) = std::fs::read(entry.expect("Maildir entry").path()) else {
                continue;
            };
            if let Some(at) = memchr::memmem::find(&bytes, marker.as_bytes()) {
                return bytes[at..].to_vec();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no message with {marker:?} in {} within {READ_BACK_DEADLINE:?}",
            maildir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A body that exercises the DATA encoder: lines starting with '.', a line of a lone '.',
/// 8-bit UTF-8, a line over the 998-octet limit of RFC 5321 s4.5.3.1.6 (sent as is: the
/// encoder counts such lines and does not fold them), a bare LF and a bare CR.
fn tricky_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b".leading dot\r\n..two dots\r\n.\r\n");
    body.extend_from_slice("Grüße aus Köln, 8-bit UTF-8 ✓\r\n".as_bytes());
    body.extend_from_slice(&[b'L'; 1500]);
    body.extend_from_slice(b"\r\nbare LF next\nbare CR next\rlast line\r\n");
    body
}

fn diagnosis_classes(outcome: &Outcome) -> Vec<&'static str> {
    outcome
        .diagnoses
        .iter()
        .map(|d| d.class().as_str())
        .collect()
}

fn body_file(id: &str, message: &[u8]) -> PathBuf {
    let path = env::temp_dir().join(format!("{id}.eml"));
    std::fs::write(&path, message).expect("write the message file");
    path
}

#[test]
fn submission_starttls_auth_plain_to_several_recipients_arrives_byte_for_byte() {
    let Some(server) = server("submission_starttls") else {
        return;
    };
    let id = unique_id("starttls-plain");
    let message = message(&id, &tricky_body());
    let to = [server.rcpt.as_str(), server.user.as_str()];
    let options = server.tls_options(server.submission, TlsMode::StartTls, &to, &message);
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    assert!(
        matches!(outcome.message, MessageStatus::Accepted(_)),
        "{outcome}"
    );
    assert_eq!(outcome.delivered(), 2, "{outcome}");
    assert!(outcome.tls, "the session must end encrypted");
    assert_eq!(outcome.authenticated, Some(Mechanism::Plain));
    assert_eq!(outcome.exit_code(), 0);
    let expected = as_stored(&message);
    for maildir in [&server.maildir, &server.sender_maildir] {
        let stored = read_back(maildir, &id);
        assert_eq!(
            String::from_utf8_lossy(&stored),
            String::from_utf8_lossy(&expected),
            "{}",
            maildir.display()
        );
        assert_eq!(stored, expected);
    }
}

#[test]
fn submissions_implicit_tls_auth_login_with_tokio() {
    let Some(server) = server("submissions_implicit") else {
        return;
    };
    let id = unique_id("implicit-login");
    let message = message(&id, &tricky_body());
    let body = body_file(&id, &message);
    let mut args = server.args(server.submissions, "implicit", &[&server.rcpt], &body);
    args.extend([
        "--user".into(),
        server.user.clone(),
        "--auth".into(),
        "LOGIN".into(),
    ]);
    // The password comes from the variable `scripts/mailserver.sh env` sets, so that the
    // command line is the examples' own.
    let var = "SMTP_SANSIO_PASSWORD";
    if env::var_os(var).is_none() {
        println!("submissions_implicit: skipped: {var} is unset");
        return;
    }
    args.extend(["--password-env".into(), var.into()]);
    let options = send_tokio::support::Options::parse(args).expect("valid arguments");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime
        .block_on(send_tokio::send(&options))
        .expect("session");
    println!("{outcome}");
    std::fs::remove_file(&body).ok();
    assert_eq!(outcome.delivered(), 1, "{outcome}");
    assert!(outcome.tls);
    assert_eq!(outcome.authenticated, Some(Mechanism::Login));
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

#[test]
fn submission_starttls_with_tokio() {
    let Some(server) = server("submission_starttls_tokio") else {
        return;
    };
    let id = unique_id("starttls-tokio");
    let message = message(&id, b"Hello over tokio.\r\n");
    let body = body_file(&id, &message);
    let args = server.args(server.submission, "starttls", &[&server.rcpt], &body);
    let mut options = send_tokio::support::Options::parse(args).expect("valid arguments");
    options.credentials = Some(Credentials::password(&*server.user, &*server.password));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime
        .block_on(send_tokio::send(&options))
        .expect("session");
    println!("{outcome}");
    std::fs::remove_file(&body).ok();
    assert_eq!(outcome.delivered(), 1, "{outcome}");
    assert!(outcome.tls);
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

#[test]
fn wrong_password_is_auth_failed() {
    let Some(server) = server("wrong_password") else {
        return;
    };
    let message = message(&unique_id("wrong-password"), b"Never sent.\r\n");
    let mut options = server.tls_options(
        server.submission,
        TlsMode::StartTls,
        &[&server.rcpt],
        &message,
    );
    options.credentials = Some(Credentials::password(&*server.user, "not-the-password"));
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    assert_eq!(diagnosis_classes(&outcome), ["auth_failed"], "{outcome}");
    assert_eq!(outcome.diagnoses[0].stage(), Stage::Auth);
    assert_eq!(outcome.authenticated, None);
    assert!(
        outcome.envelope_group.is_empty(),
        "MAIL after a failed AUTH"
    );
    assert!(matches!(outcome.message, MessageStatus::NotSent));
    assert_eq!(outcome.exit_code(), 1);
}

#[test]
fn unauthenticated_relay_on_mx_is_relay_denied() {
    let Some(server) = server("relay_denied") else {
        return;
    };
    let message = message(&unique_id("relay"), b"Never sent.\r\n");
    let options = server.options(server.mx, &["someone@elsewhere.example"], &message);
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    let RecipientStatus::Rejected(diagnosis) = &outcome.recipients[0].1 else {
        panic!("recipient not refused: {outcome}");
    };
    assert_eq!(diagnosis.class().as_str(), "relay_denied", "{diagnosis}");
    assert_eq!(diagnosis.stage(), Stage::Rcpt);
    // Every recipient refused: Postfix refuses the pipelined DATA (RFC 2920 s3.1), and the
    // diagnosis of that refusal points back at the recipients'.
    let MessageStatus::Rejected(diagnosis) = &outcome.message else {
        panic!("DATA not refused: {outcome}");
    };
    assert_eq!(diagnosis.class().as_str(), "no_valid_recipients");
    assert_eq!(diagnosis.stage(), Stage::Data);
    let cause = diagnosis.caused_by().map(|d| d.class().as_str());
    assert_eq!(cause, Some("relay_denied"), "{diagnosis}");
    assert_eq!(outcome.exit_code(), 1);
}

#[test]
fn unknown_user_is_refused_and_the_other_recipient_still_gets_the_message() {
    let Some(server) = server("unknown_user") else {
        return;
    };
    let id = unique_id("mixed");
    let message = message(&id, b"One of two.\r\n");
    let to = ["nobody@example.test", server.rcpt.as_str()];
    let outcome = send_std::send(&server.options(server.mx, &to, &message)).expect("session");
    println!("{outcome}");
    let RecipientStatus::Rejected(diagnosis) = &outcome.recipients[0].1 else {
        panic!("unknown user not refused: {outcome}");
    };
    assert_eq!(
        diagnosis.class().as_str(),
        "recipient_unknown",
        "{diagnosis}"
    );
    assert!(matches!(outcome.recipients[1].1, RecipientStatus::Accepted));
    assert_eq!(outcome.delivered(), 1, "{outcome}");
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

/// A message of `size` octets once encoded (CRLF line ends, no dot lines).
fn large_message(id: &str, size: usize) -> Vec<u8> {
    let mut message = message(id, b"");
    let line = [&[b'x'; 76][..], b"\r\n"].concat();
    while message.len() + line.len() <= size {
        message.extend_from_slice(&line);
    }
    message.resize(size - 2, b'y');
    message.extend_from_slice(b"\r\n");
    message
}

#[test]
fn oversize_message_is_refused_before_sending() {
    let Some(server) = server("oversize_size_check") else {
        return;
    };
    let size = usize::try_from(server.size_limit).unwrap() + 1;
    let message = large_message(&unique_id("oversize"), size);
    let outcome =
        send_std::send(&server.options(server.mx, &[&server.rcpt], &message)).expect("session");
    println!("{outcome}");
    // RFC 1870 s6: a message over the advertised SIZE is not offered at all.
    let Some(UsageError::MessageTooLarge { declared, limit }) = outcome.refused else {
        panic!("not refused by the SIZE check: {outcome}");
    };
    assert_eq!((declared, limit), (size as u64, server.size_limit));
    assert_eq!(diagnosis_classes(&outcome), ["message_too_large"]);
    assert!(outcome.envelope_group.is_empty(), "MAIL was written");
    assert_eq!(outcome.exit_code(), 1);
}

#[test]
fn oversize_message_without_size_gets_the_servers_552_after_the_dot() {
    let Some(server) = server("oversize_server_552") else {
        return;
    };
    let size = usize::try_from(server.size_limit).unwrap() + 50_000;
    let message = large_message(&unique_id("oversize-552"), size);
    let mut options = server.options(server.mx, &[&server.rcpt], &message);
    options.declare_size = false;
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    assert!(outcome.refused.is_none(), "{outcome}");
    assert!(
        !outcome.envelope_group[0].contains("SIZE="),
        "{:?}",
        outcome.envelope_group
    );
    assert!(matches!(outcome.recipients[0].1, RecipientStatus::Accepted));
    let MessageStatus::Rejected(diagnosis) = &outcome.message else {
        panic!("message not refused after the data: {outcome}");
    };
    assert_eq!(
        diagnosis.class().as_str(),
        "message_too_large",
        "{diagnosis}"
    );
    assert_eq!(diagnosis.stage(), Stage::DataEnd);
    assert_eq!(diagnosis.code().map(|c| c.value()), Some(552));
}

#[test]
fn tls_required_on_a_port_without_starttls_ends_before_mail() {
    let Some(server) = server("tls_required") else {
        return;
    };
    let message = message(&unique_id("tls-required"), b"Never sent.\r\n");
    let mut options = server.options(server.plain, &[&server.rcpt], &message);
    options.tls = TlsMode::StartTls;
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    assert_eq!(
        diagnosis_classes(&outcome),
        ["tls_not_offered"],
        "{outcome}"
    );
    assert!(outcome.envelope_group.is_empty(), "MAIL was written");
    assert!(!outcome.tls);
    assert!(matches!(
        outcome.recipients[0].1,
        RecipientStatus::Unanswered
    ));
    assert_eq!(outcome.exit_code(), 1);
}

#[test]
fn auth_before_starttls_says_starttls_first() {
    let Some(server) = server("auth_before_starttls") else {
        return;
    };
    let message = message(&unique_id("auth-plaintext"), b"Never sent.\r\n");
    let mut options = server.options(server.submission, &[&server.rcpt], &message);
    options.credentials = Some(Credentials::password(&*server.user, &*server.password));
    options.dangerous_plaintext_auth = true;
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    assert!(
        matches!(
            outcome.refused,
            Some(UsageError::AuthNotOffered {
                starttls_first: true
            })
        ),
        "{outcome}"
    );
    assert_eq!(diagnosis_classes(&outcome), ["auth_not_offered"]);
    let diagnosis = &outcome.diagnoses[0];
    assert_eq!(diagnosis.evidence().rule(), "observed:auth-after-starttls");
    assert!(
        diagnosis.summary().contains("STARTTLS first"),
        "{diagnosis}"
    );
    assert!(outcome.envelope_group.is_empty(), "MAIL was written");
}

#[test]
fn pipelining_writes_the_envelope_in_one_group() {
    let Some(server) = server("pipelining") else {
        return;
    };
    let to = [server.rcpt.as_str(), server.user.as_str()];
    for pipelining in [true, false] {
        let id = unique_id("pipelining");
        let message = message(&id, b"Pipelined.\r\n");
        let mut options = server.options(server.mx, &to, &message);
        options.pipelining = pipelining;
        let outcome = send_std::send(&options).expect("session");
        println!("{outcome}");
        assert_eq!(outcome.delivered(), 2, "{outcome}");
        let group = &outcome.envelope_group;
        let verbs: Vec<&str> = group.iter().map(|l| &l[..4]).collect();
        if pipelining {
            // RFC 2920 s3.1: MAIL, the RCPTs and DATA in one group, DATA last.
            assert_eq!(verbs, ["MAIL", "RCPT", "RCPT", "DATA"], "{group:?}");
            assert!(group[0].contains("SIZE="), "{group:?}");
        } else {
            assert_eq!(verbs, ["MAIL"], "{group:?}");
        }
        assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
    }
}

/// A server that accepts and starts a greeting it never finishes: `220 ` and then one more
/// octet every 200 ms for `hold` (in a thread). Reads keep succeeding, so only a driver that
/// waits for the engine's deadline (not for a quiet socket) ends the session in time.
fn trickling_server(hold: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let end = Instant::now() + hold;
        let mut octet: &[u8] = b"220 ";
        while Instant::now() < end && socket.write_all(octet).is_ok() {
            std::thread::sleep(Duration::from_millis(200));
            octet = b"x";
        }
    });
    addr
}

#[test]
fn a_stalling_server_times_out_at_the_greeting_with_both_drivers() {
    for driver in ["std", "tokio"] {
        let addr = trickling_server(Duration::from_secs(8));
        let args = [
            "--server",
            &addr.to_string(),
            "--tls",
            "none",
            "--from",
            "a@example.org",
            "--to",
            "b@example.org",
            "--body",
            "/dev/null",
            "--timeout",
            "1",
        ]
        .map(String::from);
        let started = Instant::now();
        let classes: Vec<&str> = if driver == "std" {
            let options = Options::parse(args).unwrap();
            let outcome = send_std::send(&options).expect("session");
            outcome
                .diagnoses
                .iter()
                .map(|d| d.class().as_str())
                .collect()
        } else {
            let options = send_tokio::support::Options::parse(args).unwrap();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let outcome = runtime
                .block_on(send_tokio::send(&options))
                .expect("session");
            outcome
                .diagnoses
                .iter()
                .map(|d| d.class().as_str())
                .collect()
        };
        let elapsed = started.elapsed();
        assert_eq!(classes, ["greeting_timeout"], "{driver}");
        assert!(
            elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(4),
            "{driver}: {elapsed:?}"
        );
    }
}

/// The path of an example binary that `cargo test` built.
fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let mut path = env::current_exe().expect("test binary path");
    path.pop();
    path.pop();
    path.push("examples");
    path.push(format!("{name}{}", env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} not built", path.display());
    path
}

#[test]
fn bad_usage_exits_2() {
    for name in ["send_std", "send_tokio"] {
        for args in [
            &[][..],
            &["--server", "127.0.0.1:1", "--tls", "sometimes"][..],
        ] {
            let output = Command::new(example(name)).args(args).output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{name} {args:?}: {output:?}");
            assert!(String::from_utf8_lossy(&output.stderr).contains("usage:"));
        }
    }
}

#[test]
fn the_binaries_exit_0_when_delivered_and_1_when_refused() {
    let Some(server) = server("exit_codes") else {
        return;
    };
    for name in ["send_std", "send_tokio"] {
        let id = unique_id(name);
        let body = body_file(&id, &message(&id, b"From the command line.\r\n"));
        let run = |to: &str| {
            let args = server.args(server.mx, "none", &[to], &body);
            Command::new(example(name)).args(args).output().unwrap()
        };
        let delivered = run(&server.rcpt);
        let refused = run("someone@elsewhere.example");
        std::fs::remove_file(&body).ok();
        let stdout = String::from_utf8_lossy(&delivered.stdout);
        assert_eq!(delivered.status.code(), Some(0), "{name}: {delivered:?}");
        assert!(stdout.contains("delivered"), "{name}: {stdout}");
        let stdout = String::from_utf8_lossy(&refused.stdout);
        assert_eq!(refused.status.code(), Some(1), "{name}: {refused:?}");
        assert!(stdout.contains("relay_denied"), "{name}: {stdout}");
    }
}

#[test]
fn an_untrusted_certificate_is_diagnosed_unless_insecure() {
    let Some(server) = server("certificate") else {
        return;
    };
    let message = message(&unique_id("certificate"), b"Never sent.\r\n");
    let mut options = server.tls_options(
        server.submissions,
        TlsMode::Implicit,
        &[&server.rcpt],
        &message,
    );
    // The test CA is not among the webpki roots.
    options.ca = None;
    let err = send_std::send(&options).expect_err("implicit TLS must fail on connect");
    let diagnosis = send_std::support::diagnose_io(&err);
    assert_eq!(
        diagnosis.class().as_str(),
        "tls_certificate_invalid",
        "{err}"
    );

    // After STARTTLS the failure belongs to the session: diagnosed in the outcome, no AUTH.
    options.server = server.addr(server.submission);
    options.tls = TlsMode::StartTls;
    let outcome = send_std::send(&options).expect("session");
    println!("{outcome}");
    assert_eq!(diagnosis_classes(&outcome), ["tls_certificate_invalid"]);
    assert_eq!(outcome.authenticated, None);
    assert!(outcome.envelope_group.is_empty());

    // --insecure: no verification, the message goes through (with a warning on stderr).
    let id = unique_id("insecure");
    options.message = self::message(&id, b"Unverified.\r\n");
    options.insecure = true;
    let outcome = send_std::send(&options).expect("session");
    assert_eq!(outcome.delivered(), 1, "{outcome}");
    assert_eq!(read_back(&server.maildir, &id), as_stored(&options.message));
}
