//! The `check` example's driver against the real Postfix + Dovecot that
//! `scripts/mailserver.sh` runs on 127.0.0.1: every step an admin would walk, and the
//! diagnoses for the classic mistakes.
//!
//! ```text
//! scripts/mailserver.sh start
//! eval "$(scripts/mailserver.sh env)"
//! cargo test --test interop_check -- --nocapture
//! ```
//!
//! With `SMTP_SANSIO_MAILSERVER` unset, or nothing accepting on the MX port within 2 s, every
//! test says it was skipped and passes; `.ci/run` starts the server so CI always runs them.
//! Every wait is bounded (connect and handshakes 10 s, each reply 15 s).

#[path = "support/check_driver.rs"]
mod driver;

use std::time::Duration;

use smtp_sansio::check::Step;
use smtp_sansio::{
    CheckOptions, CheckTls, Credentials, ForwardPath, Host, Report, ReversePath, StepStatus,
    Timeouts,
};

#[path = "support/report.rs"]
mod report;

use driver::{Target, TlsSettings};
use report::{classes, statuses};

#[path = "support/mailserver.rs"]
mod mailserver;

use mailserver::MailServer;

/// The running server and the trust settings for its test CA.
struct Server {
    mail: MailServer,
    tls: TlsSettings,
}

impl std::ops::Deref for Server {
    type Target = MailServer;
    fn deref(&self) -> &MailServer {
        &self.mail
    }
}

fn server(test: &str) -> Option<Server> {
    let mail = mailserver::running(test)?;
    let mut tls = TlsSettings::default();
    tls.add_ca_file(&mail.ca).expect("the test CA");
    Some(Server { mail, tls })
}

impl Server {
    fn target(&self, port: u16) -> Target {
        Target {
            host: self.host.clone(),
            port,
        }
    }

    fn options(&self, port: u16, tls: CheckTls) -> CheckOptions {
        let mut options = CheckOptions::new(
            format!("{}:{port}", self.host),
            Host::parse("client.example.org").unwrap(),
        );
        options.port = Some(port);
        options.tls = tls;
        options.timeouts = Timeouts::uniform(Duration::from_secs(15));
        options
    }

    fn run(&self, port: u16, options: CheckOptions) -> Report {
        let report = driver::run(options, &self.target(port), &self.tls);
        println!("{}\n{}", report.transcript_text(), report.summary_text());
        report
    }
}

fn path(address: &str) -> ForwardPath {
    ForwardPath::parse(&format!("<{address}>")).unwrap()
}

fn sender(address: &str) -> ReversePath {
    ReversePath::parse(&format!("<{address}>")).unwrap()
}

#[test]
fn submission_with_starttls_and_auth_passes_every_step() {
    let Some(server) = server("submission_with_starttls_and_auth_passes_every_step") else {
        return;
    };
    let mut options = server.options(server.submission, CheckTls::StartTls);
    options.credentials = Some(Credentials::password(&server.user, server.password.clone()));
    options.from = Some(sender(&server.user));
    options.to = vec![path(&server.rcpt)];
    let report = server.run(server.submission, options);
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
        ]
    );
    assert_eq!(report.exit_code(), 0);
    let tls = report.tls.as_ref().expect("TLS facts");
    assert!(tls.verified, "{tls:?}");
    assert_eq!(tls.subject.as_deref(), Some("CN=localhost"));
    // Postfix hides AUTH until TLS (smtpd_tls_auth_only): the report shows the change.
    let changes = report.capability_changes().unwrap();
    assert!(
        changes.added.iter().any(|c| c == "AUTH PLAIN"),
        "{changes:?}"
    );
    assert!(
        changes.removed.iter().any(|c| c == "STARTTLS"),
        "{changes:?}"
    );
    // SIZE 200000 is under 10 MB: the expert warning.
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.text.contains("SIZE 200000"))
    );
    assert!(!report.transcript_text().contains(&server.password));
}

#[test]
fn implicit_tls_with_auth_login_passes() {
    let Some(server) = server("implicit_tls_with_auth_login_passes") else {
        return;
    };
    let mut options = server.options(server.submissions, CheckTls::Implicit);
    options.credentials = Some(Credentials::password(&server.user, server.password.clone()));
    options.auth_mechanism = Some("LOGIN".parse().unwrap());
    let report = server.run(server.submissions, options);
    assert_eq!(report.exit_code(), 0, "{:?}", statuses(&report));
    assert_eq!(
        report.step(Step::Auth).map(|s| s.status),
        Some(StepStatus::Pass)
    );
    assert!(report.transcript_text().contains("C: AUTH LOGIN"));
    assert!(report.tls.as_ref().is_some_and(|tls| tls.verified));
}

#[test]
fn a_wrong_password_is_auth_failed() {
    let Some(server) = server("a_wrong_password_is_auth_failed") else {
        return;
    };
    let mut options = server.options(server.submission, CheckTls::StartTls);
    options.credentials = Some(Credentials::password(&server.user, "not-the-password"));
    let report = server.run(server.submission, options);
    assert_eq!(classes(&report, Step::Auth), ["auth_failed"]);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn relaying_from_the_mx_port_is_relay_denied_and_unknown_users_recipient_unknown() {
    let Some(server) = server("relaying_from_the_mx_port_is_relay_denied") else {
        return;
    };
    let mut options = server.options(server.mx, CheckTls::StartTls);
    options.from = Some(sender("someone@example.org"));
    options.to = vec![
        path("friend@elsewhere.example"),
        path("nobody@example.test"),
        path(&server.rcpt),
    ];
    let report = server.run(server.mx, options);
    assert_eq!(
        classes(&report, Step::Rcpt),
        ["relay_denied", "recipient_unknown"]
    );
    let rcpt: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.step == Step::Rcpt)
        .map(|s| s.status)
        .collect();
    assert_eq!(rcpt, [StepStatus::Fail, StepStatus::Fail, StepStatus::Pass]);
}

#[test]
fn starttls_required_on_a_port_without_it_is_tls_not_offered() {
    let Some(server) = server("starttls_required_on_a_port_without_it_is_tls_not_offered") else {
        return;
    };
    let mut options = server.options(server.plain, CheckTls::StartTls);
    options.credentials = Some(Credentials::password(&server.user, server.password.clone()));
    let report = server.run(server.plain, options);
    assert_eq!(classes(&report, Step::StartTls), ["tls_not_offered"]);
    // Nothing sensitive went out in plaintext.
    assert!(!report.transcript_text().contains("AUTH"));
    assert!(report.step(Step::Auth).is_none());
}

#[test]
fn auth_before_starttls_says_do_starttls_first() {
    let Some(server) = server("auth_before_starttls_says_do_starttls_first") else {
        return;
    };
    let mut options = server.options(server.submission, CheckTls::None);
    options.credentials = Some(Credentials::password(&server.user, server.password.clone()));
    let report = server.run(server.submission, options);
    let auth = report.step(Step::Auth).expect("an auth step");
    assert_eq!(auth.status, StepStatus::Fail);
    let diagnosis = &auth.diagnoses[0];
    assert_eq!(diagnosis.class().as_str(), "auth_not_offered");
    assert!(
        diagnosis.summary().contains("STARTTLS first"),
        "{}",
        diagnosis.summary()
    );
}

#[test]
fn implicit_tls_on_a_starttls_port_is_a_mode_mismatch() {
    let Some(server) = server("implicit_tls_on_a_starttls_port_is_a_mode_mismatch") else {
        return;
    };
    let options = server.options(server.submission, CheckTls::Implicit);
    let report = server.run(server.submission, options);
    assert_eq!(classes(&report, Step::Connect), ["tls_mode_mismatch"]);
}

#[test]
fn plaintext_on_the_implicit_tls_port_is_a_greeting_timeout() {
    let Some(server) = server("plaintext_on_the_implicit_tls_port_is_a_greeting_timeout") else {
        return;
    };
    let mut options = server.options(server.submissions, CheckTls::StartTls);
    options.timeouts = Timeouts::uniform(Duration::from_secs(1));
    let report = server.run(server.submissions, options);
    assert_eq!(classes(&report, Step::Greeting), ["greeting_timeout"]);
}
