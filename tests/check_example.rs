//! The `check` example as users run it: its command line and exit codes (the built example
//! binary), and its std + rustls driver against the embedded demo server and against small
//! scripted servers that misbehave. Everything runs on 127.0.0.1 and is bounded in time.

#[allow(dead_code)]
#[path = "../examples/check/demo_server.rs"]
mod demo_server;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use smtp_sansio::check::Step;
use smtp_sansio::{
    CheckOptions, CheckTls, Credentials, ForwardPath, Host, ReversePath, StepStatus, Timeouts,
    Verdict,
};

#[path = "support/report.rs"]
mod report;

use report::{classes, statuses};

#[path = "support/check_driver.rs"]
mod driver;

use driver::{Target, TlsSettings};

// ---- the driver against the demo server ------------------------------------------------

struct Demo {
    target: Target,
    tls: TlsSettings,
}

fn demo() -> Demo {
    let server = demo_server::start().expect("the demo server starts");
    Demo {
        target: Target {
            host: server.addr.ip().to_string(),
            port: server.addr.port(),
        },
        tls: TlsSettings {
            extra_roots: vec![server.ca],
            ..TlsSettings::default()
        },
    }
}

fn options(target: &Target) -> CheckOptions {
    let mut options = CheckOptions::new(
        format!("{}:{}", target.host, target.port),
        Host::parse("client.example.org").unwrap(),
    );
    options.port = Some(target.port);
    options.timeouts = Timeouts::uniform(Duration::from_secs(5));
    options
}

fn with_account(mut options: CheckOptions, password: &str, to: &[&str]) -> CheckOptions {
    options.credentials = Some(Credentials::password(demo_server::DEMO_USER, password));
    options.from = Some(ReversePath::parse(&format!("<{}>", demo_server::DEMO_USER)).unwrap());
    options.to = to
        .iter()
        .map(|address| ForwardPath::parse(&format!("<{address}>")).unwrap())
        .collect();
    options
}

#[test]
fn the_demo_check_walks_every_step_over_verified_starttls() {
    let demo = demo();
    let options = with_account(
        options(&demo.target),
        demo_server::DEMO_PASSWORD,
        &["postmaster@sansio.test"],
    );
    let report = driver::run(options, &demo.target, &demo.tls);
    assert_eq!(
        statuses(&report),
        [
            ("connect", "pass"),
            ("greeting", "pass"),
            ("ehlo", "pass"),
            ("starttls", "pass"),
            ("ehlo-after-tls", "pass"),
            ("auth", "pass"),
            ("mail", "pass"),
            ("rcpt", "pass"),
            ("rset", "pass"),
            ("quit", "pass"),
        ],
        "{}\n{}",
        report.transcript_text(),
        report.summary_text()
    );
    // The only warning: a 250 to RCPT proves nothing about delivery.
    assert_eq!(report.verdict, Verdict::Warn);
    assert_eq!(report.exit_code(), 0);
    let tls = report.tls.as_ref().expect("TLS facts");
    assert!(tls.verified, "{tls:?}");
    assert_eq!(tls.subject.as_deref(), Some("CN=demo.sansio.test"));
    assert!(tls.protocol.starts_with("TLSv1."), "{tls:?}");
    let changes = report
        .capability_changes()
        .expect("capabilities before and after TLS");
    assert!(
        changes.added.iter().any(|c| c == "AUTH PLAIN"),
        "{changes:?}"
    );
    assert_eq!(changes.removed, ["STARTTLS"]);
    // The transcript shows the TLS boundary and never the credentials.
    let transcript = report.transcript_text();
    assert!(
        transcript.contains("--- TLS established: TLSv1."),
        "{transcript}"
    );
    assert!(
        transcript.contains("C: AUTH PLAIN [redacted]"),
        "{transcript}"
    );
    assert!(
        !transcript.contains(demo_server::DEMO_PASSWORD),
        "{transcript}"
    );
}

#[test]
fn a_refused_recipient_fails_its_step_and_the_session_goes_on() {
    let demo = demo();
    let options = with_account(
        options(&demo.target),
        demo_server::DEMO_PASSWORD,
        &["nobody@sansio.test", "user@sansio.test"],
    );
    let report = driver::run(options, &demo.target, &demo.tls);
    let rcpts: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.step == Step::Rcpt)
        .map(|s| (s.target.clone().unwrap_or_default(), s.status))
        .collect();
    assert_eq!(
        rcpts,
        [
            ("<nobody@sansio.test>".to_owned(), StepStatus::Fail),
            ("<user@sansio.test>".to_owned(), StepStatus::Pass),
        ]
    );
    assert_eq!(classes(&report, Step::Rcpt), ["recipient_unknown"]);
    assert_eq!(
        report.step(Step::Quit).map(|s| s.status),
        Some(StepStatus::Pass)
    );
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn a_wrong_password_is_auth_failed_and_mail_is_not_tried() {
    let demo = demo();
    let options = with_account(options(&demo.target), "wrong", &["user@sansio.test"]);
    let report = driver::run(options, &demo.target, &demo.tls);
    assert_eq!(classes(&report, Step::Auth), ["auth_failed"]);
    assert!(report.step(Step::Mail).is_none(), "{:?}", statuses(&report));
    assert!(!report.transcript_text().contains("wrong"));
}

#[test]
fn relaying_without_auth_is_relay_denied() {
    let demo = demo();
    let mut options = options(&demo.target);
    options.from = Some(ReversePath::parse("<someone@example.org>").unwrap());
    options.to = vec![ForwardPath::parse("<friend@example.net>").unwrap()];
    let report = driver::run(options, &demo.target, &demo.tls);
    assert_eq!(
        report.step(Step::Auth).map(|s| s.status),
        Some(StepStatus::Skip)
    );
    assert_eq!(classes(&report, Step::Rcpt), ["relay_denied"]);
}

#[test]
fn a_message_is_sent_only_when_asked() {
    let demo = demo();
    let mut options = with_account(
        options(&demo.target),
        demo_server::DEMO_PASSWORD,
        &["user@sansio.test"],
    );
    options.data = Some(b"Subject: check\r\n\r\n.leading dot\r\nbye\r\n".to_vec());
    let report = driver::run(options, &demo.target, &demo.tls);
    assert_eq!(
        report.step(Step::Data).map(|s| s.status),
        Some(StepStatus::Pass)
    );
    let transcript = report.transcript_text();
    assert!(transcript.contains("C: DATA"), "{transcript}");
    // Without a message there is no DATA at all.
    let options = with_account(
        options_for(&demo),
        demo_server::DEMO_PASSWORD,
        &["user@sansio.test"],
    );
    let report = driver::run(options, &demo.target, &demo.tls);
    assert!(report.step(Step::Data).is_none());
    assert!(!report.transcript_text().contains("C: DATA"));
}

fn options_for(demo: &Demo) -> CheckOptions {
    options(&demo.target)
}

#[test]
fn an_untrusted_certificate_fails_starttls_unless_insecure_which_says_so() {
    let demo = demo();
    let untrusted = TlsSettings::default();
    let report = driver::run(options_for(&demo), &demo.target, &untrusted);
    assert_eq!(
        classes(&report, Step::StartTls),
        ["tls_certificate_invalid"]
    );
    assert!(report.step(Step::EhloAfterTls).is_none());

    let insecure = TlsSettings {
        insecure: true,
        ..TlsSettings::default()
    };
    let report = driver::run(options_for(&demo), &demo.target, &insecure);
    assert_eq!(
        report.step(Step::StartTls).map(|s| s.status),
        Some(StepStatus::Pass)
    );
    let tls = report.tls.as_ref().expect("TLS facts");
    assert!(!tls.verified);
    assert!(
        tls.verify_error
            .as_deref()
            .is_some_and(|e| e.contains("UnknownIssuer")),
        "{tls:?}"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.text.contains("NOT verified")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn implicit_tls_against_a_plaintext_port_is_a_mode_mismatch() {
    let demo = demo();
    let mut options = options_for(&demo);
    options.tls = CheckTls::Implicit;
    let report = driver::run(options, &demo.target, &demo.tls);
    assert_eq!(classes(&report, Step::Connect), ["tls_mode_mismatch"]);
}

#[test]
fn nothing_listening_is_connection_refused() {
    let port = {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = Target {
        host: "127.0.0.1".into(),
        port,
    };
    let report = driver::run(options(&target), &target, &TlsSettings::default());
    assert_eq!(classes(&report, Step::Connect), ["connection_refused"]);
    assert_eq!(report.exit_code(), 1);
}

/// A one-connection server that plays `script`: for each entry, read one line (when the
/// entry says so) and write the bytes; then close.
fn scripted(script: Vec<(bool, &'static [u8])>) -> Target {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let Ok((tcp, _)) = listener.accept() else {
            return;
        };
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut writer = tcp.try_clone().unwrap();
        let mut reader = BufReader::new(tcp);
        for (read_first, bytes) in script {
            if read_first {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
            }
            if writer.write_all(bytes).is_err() {
                return;
            }
        }
    });
    Target {
        host: "127.0.0.1".into(),
        port,
    }
}

#[test]
fn bytes_after_the_starttls_220_end_the_check_as_an_injection() {
    let target = scripted(vec![
        (false, b"220 mx.example.com ESMTP\r\n"),
        (true, b"250-mx.example.com\r\n250 STARTTLS\r\n"),
        (true, b"220 2.0.0 Ready\r\n250 2.0.0 injected\r\n"),
        (true, b""),
    ]);
    let report = driver::run(options(&target), &target, &TlsSettings::default());
    assert_eq!(
        classes(&report, Step::StartTls),
        ["starttls_response_injection"]
    );
    assert!(report.tls.is_none());
}

#[test]
fn a_server_that_hangs_up_in_the_tls_handshake_is_tls_handshake_failed() {
    let target = scripted(vec![
        (false, b"220 mx.example.com ESMTP\r\n"),
        (true, b"250-mx.example.com\r\n250 STARTTLS\r\n"),
        (true, b"220 2.0.0 Ready\r\n"),
    ]);
    let report = driver::run(options(&target), &target, &TlsSettings::default());
    assert_eq!(classes(&report, Step::StartTls), ["tls_handshake_failed"]);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn a_server_that_hangs_up_mid_session_fails_that_step() {
    let target = scripted(vec![(false, b"220 mx.example.com ESMTP\r\n"), (true, b"")]);
    let report = driver::run(options(&target), &target, &TlsSettings::default());
    assert_eq!(
        report.step(Step::Ehlo).map(|s| s.status),
        Some(StepStatus::Fail)
    );
    assert_eq!(classes(&report, Step::Ehlo), ["connection_closed"]);
}

#[test]
fn a_silent_server_times_out_as_a_greeting_timeout() {
    let target = scripted(vec![(true, b"")]);
    let mut options = options(&target);
    options.timeouts = Timeouts::uniform(Duration::from_millis(300));
    let report = driver::run(options, &target, &TlsSettings::default());
    assert_eq!(classes(&report, Step::Greeting), ["greeting_timeout"]);
}

// ---- the command line --------------------------------------------------------------------

/// The example binary that `cargo test` builds next to the test binaries.
fn example_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let path = dir
        .join("examples")
        .join(format!("check{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        Some(path)
    } else {
        println!(
            "skipped: {} is not built (run the whole `cargo test`)",
            path.display()
        );
        None
    }
}

/// Runs the example with `args`, killing it after 60 s.
fn run_example(binary: &PathBuf, args: &[&str]) -> Output {
    let mut child = Command::new(binary)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the check example ran for more than 60 s");
        }
        thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn with_no_arguments_the_example_checks_its_demo_server_and_exits_0() {
    let Some(binary) = example_binary() else {
        return;
    };
    let output = run_example(&binary, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    for expected in [
        "S: 220 demo.sansio.test",
        "C: STARTTLS",
        "--- TLS established",
        "C: AUTH PLAIN [redacted]",
        "PASS  rcpt",
        "Verdict: WARN",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(String::from_utf8_lossy(&output.stderr).contains("embedded demo server"));
}

#[test]
fn a_failed_step_exits_1_and_json_has_the_contract_fields() {
    let Some(binary) = example_binary() else {
        return;
    };
    let output = run_example(&binary, &["--to", "nobody@sansio.test", "--json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("--json prints one JSON object");
    for key in ["server", "steps", "capabilities", "tls", "verdict"] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    assert_eq!(json["verdict"], "fail");
    let rcpt = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "rcpt")
        .expect("a rcpt step");
    assert_eq!(rcpt["status"], "fail");
    assert!(rcpt["reply"].as_str().unwrap().starts_with("550 5.1.1"));
    assert_eq!(rcpt["diagnoses"][0]["class"], "recipient_unknown");
    for key in ["step", "status", "reply", "diagnoses"] {
        assert!(rcpt.get(key).is_some(), "missing steps[].{key}");
    }
}

#[test]
fn bad_usage_exits_2() {
    let Some(binary) = example_binary() else {
        return;
    };
    for args in [
        &["--tls", "sometimes"][..],
        &["--quit-after", "never"],
        &["--user", "u"],
        &["--server"],
        &["--frobnicate"],
        &["--timeout", "-1"],
    ] {
        let output = run_example(&binary, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("usage: check"));
    }
}

#[test]
fn quit_after_stops_where_asked() {
    let Some(binary) = example_binary() else {
        return;
    };
    let output = run_example(&binary, &["--quit-after", "ehlo", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let steps: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["connect", "greeting", "ehlo", "quit"]);
}

// ---- issue 11 item 6: a self-signed server certificate given with --ca is pinned ----------

/// A server whose certificate is self-signed and marked CA:TRUE, as `openssl req -x509`
/// makes by default (rustls refuses it as an end entity); returns its address and the
/// certificate (DER).
fn self_signed_server() -> (std::net::SocketAddr, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap(),
    );
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for socket in listener.incoming().flatten().take(2) {
            let config = config.clone();
            thread::spawn(move || {
                let policy = smtp_sansio::testing::Policy::new().with_starttls(true);
                let mut server = smtp_sansio::testing::Server::new(policy);
                let _ = smtp_sansio::testing::serve_blocking(&mut server, socket, Some(&config));
            });
        }
    });
    (addr, cert.der().to_vec())
}

#[test]
fn a_self_signed_certificate_given_with_ca_is_pinned_and_warned_about() {
    let (addr, cert) = self_signed_server();
    let target = Target {
        host: addr.ip().to_string(),
        port: addr.port(),
    };
    let pinned = TlsSettings {
        extra_roots: vec![cert],
        ..TlsSettings::default()
    };
    let report = driver::run(options(&target), &target, &pinned);
    assert_eq!(
        report.step(Step::StartTls).map(|s| s.status),
        Some(StepStatus::Pass),
        "{}",
        report.summary_text()
    );
    let tls = report.tls.as_ref().expect("TLS facts");
    assert!(tls.verified && tls.pinned, "{tls:?}");
    assert!(
        report.warnings.iter().any(|w| w.text.contains("pinned")),
        "{}",
        report.summary_text()
    );
    // Without it, the certificate's true cause (not "expired", not "use the host name"): an
    // authority certificate presented as the server's own, with pinning as the remedy.
    let report = driver::run(options(&target), &target, &TlsSettings::default());
    let step = report.step(Step::StartTls).expect("a starttls step");
    assert_eq!(step.status, StepStatus::Fail);
    let diagnosis = &step.diagnoses[0];
    assert_eq!(diagnosis.evidence().rule(), "tls:cert:ca-as-end-entity");
    assert!(
        diagnosis.remedies().iter().any(|r| r.contains("pin")),
        "{diagnosis}"
    );
}
