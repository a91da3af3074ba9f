//! Interop: the crate's IO adapters (`blocking`, `tokio`, rustls) send real mail through the
//! local Postfix and Dovecot of `scripts/mailserver.sh`, and the delivered messages are read
//! back from the Maildirs byte for byte; the `send_std` / `send_tokio` examples run as users
//! run them; trickling peers, plaintext and TLS, are cut at the deadline.
//!
//! ```text
//! scripts/mailserver.sh start
//! eval "$(scripts/mailserver.sh env)"
//! cargo test --test interop_send -- --nocapture
//! ```
//!
//! With `SMTP_SANSIO_MAILSERVER` unset, or nothing accepting on the MX port within 2 s, the
//! tests that need the server print that they were skipped and pass (as `interop_smoke`).
//! Every network operation is bounded: 10 s timeouts, Maildir polling stops after 10 s.

use std::env;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use smtp_sansio::blocking::{Connection, Socket};
use smtp_sansio::client::Error;
use smtp_sansio::tls::{TlsConnect, TlsConnector};
use smtp_sansio::{
    CloseReason, Config, Credentials, Envelope, Host, Mechanism, MessageStatus, RecipientStatus,
    SessionError, Stage, Timeouts, TlsPolicy,
};

const READ_BACK_DEADLINE: Duration = Duration::from_secs(10);

#[path = "support/mailserver.rs"]
mod mailserver;

use mailserver::{MailServer as Server, running as server};

impl Server {
    /// A configuration for this server: 10 s timeouts.
    fn config(&self, tls: TlsPolicy) -> Config {
        Config::new(Host::parse("client.example.org").unwrap())
            .with_tls(tls)
            .with_timeouts(Timeouts::uniform(Duration::from_secs(10)))
    }

    /// The same, logging in as the test account.
    fn login(&self, tls: TlsPolicy) -> Config {
        self.config(tls)
            .with_credentials(Credentials::password(&*self.user, &*self.password))
    }

    /// rustls trusting the test CA.
    fn tls(&self) -> Option<Arc<dyn TlsConnect>> {
        let connector = TlsConnector::builder()
            .ca_file(&self.ca)
            .expect("the test CA")
            .build()
            .expect("TLS configuration");
        Some(Arc::new(connector))
    }

    fn connect(&self, port: u16, config: Config) -> Result<Connection, SessionError> {
        let tls = if config.tls == TlsPolicy::None {
            None
        } else {
            self.tls()
        };
        Connection::connect_with(&self.addr(port), config, tls)
    }

    /// The command line for the examples' binaries.
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

fn envelope(from: &str, to: &[&str]) -> Envelope {
    Envelope::parse(from, to).expect("valid addresses")
}

/// The class of the diagnosis that ended a session that could not start.
fn closing_class(error: &SessionError) -> &'static str {
    error
        .diagnosis()
        .map_or("none", |diagnosis| diagnosis.class().as_str())
}

#[test]
fn submission_starttls_auth_plain_to_several_recipients_arrives_byte_for_byte() {
    let Some(server) = server("submission_starttls") else {
        return;
    };
    let id = unique_id("starttls-plain");
    let message = message(&id, &tricky_body());
    let mut smtp = server
        .connect(server.submission, server.login(TlsPolicy::Required))
        .expect("session");
    assert!(smtp.client().is_tls());
    assert!(smtp.tls().is_some_and(|facts| facts.verified));
    // The automatic choice is PLAIN over TLS (no SCRAM or CRAM-MD5 offered here).
    assert_eq!(smtp.client().authenticated(), Some(&Mechanism::Plain));
    let outcome = smtp
        .send(
            &envelope(&server.user, &[&server.rcpt, &server.user]),
            &message,
        )
        .expect("sent");
    assert!(outcome.is_accepted(), "{outcome:?}");
    assert_eq!(outcome.delivered_to().count(), 2);
    assert_eq!(outcome.long_lines, 1, "the 1500-octet line is counted");
    smtp.quit().expect("clean QUIT");
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
fn three_messages_on_one_starttls_connection() {
    let Some(server) = server("three_messages") else {
        return;
    };
    let mut smtp = server
        .connect(server.submission, server.login(TlsPolicy::Required))
        .expect("session");
    let ids: Vec<String> = (0..3).map(|i| unique_id(&format!("three-{i}"))).collect();
    let messages: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| message(id, format!("Message {id}.\r\n").as_bytes()))
        .collect();
    let to = envelope(&server.user, &[&server.rcpt]);
    let outcomes = smtp
        .send_all(messages.iter().map(|m| (&to, &m[..])))
        .expect("sent");
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes {
        assert!(outcome.is_accepted(), "{outcome:?}");
    }
    smtp.quit().expect("clean QUIT");
    for (id, message) in ids.iter().zip(&messages) {
        assert_eq!(read_back(&server.maildir, id), as_stored(message));
    }
}

#[test]
fn implicit_tls_auth_login_with_tokio() {
    let Some(server) = server("submissions_implicit") else {
        return;
    };
    let id = unique_id("implicit-login");
    let message = message(&id, &tricky_body());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let config = server
            .login(TlsPolicy::Implicit)
            .with_auth_mechanism(Mechanism::Login);
        let mut smtp = smtp_sansio::tokio::Connection::connect_with(
            &server.addr(server.submissions),
            config,
            server.tls(),
        )
        .await
        .expect("session");
        assert_eq!(smtp.client().authenticated(), Some(&Mechanism::Login));
        let outcome = smtp
            .send(&envelope(&server.user, &[&server.rcpt]), &message)
            .await
            .expect("sent");
        smtp.quit().await.expect("clean QUIT");
        outcome
    });
    assert!(outcome.is_accepted(), "{outcome:?}");
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

#[test]
fn starttls_with_tokio() {
    let Some(server) = server("submission_starttls_tokio") else {
        return;
    };
    let id = unique_id("starttls-tokio");
    let message = message(&id, b"Hello over tokio.\r\n");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let mut smtp = smtp_sansio::tokio::Connection::connect_with(
            &server.addr(server.submission),
            server.login(TlsPolicy::Required),
            server.tls(),
        )
        .await
        .expect("session");
        let outcome = smtp
            .send(&envelope(&server.user, &[&server.rcpt]), &message)
            .await
            .expect("sent");
        smtp.quit().await.expect("clean QUIT");
        outcome
    });
    assert!(outcome.is_accepted(), "{outcome:?}");
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

#[test]
fn wrong_password_is_auth_failed_and_no_session() {
    let Some(server) = server("wrong_password") else {
        return;
    };
    let config = server
        .config(TlsPolicy::Required)
        .with_credentials(Credentials::password(&*server.user, "not-the-password"));
    let error = server.connect(server.submission, config).unwrap_err();
    assert_eq!(closing_class(&error), "auth_failed", "{error}");
    assert_eq!(error.diagnosis().map(|d| d.stage()), Some(Stage::Auth));
    assert!(
        matches!(
            error,
            SessionError::Closed {
                reason: CloseReason::Aborted { .. }
            }
        ),
        "{error:?}"
    );
}

#[test]
fn unauthenticated_relay_on_mx_is_relay_denied() {
    let Some(server) = server("relay_denied") else {
        return;
    };
    let mut smtp = server
        .connect(server.mx, server.config(TlsPolicy::None))
        .expect("session");
    let outcome = smtp
        .send(
            &envelope(&server.user, &["someone@elsewhere.example"]),
            &message(&unique_id("relay"), b"Never sent.\r\n"),
        )
        .expect("an outcome");
    let RecipientStatus::Refused { diagnosis } = &outcome.recipients[0].1 else {
        panic!("recipient not refused: {outcome:?}");
    };
    assert_eq!(diagnosis.class().as_str(), "relay_denied", "{diagnosis}");
    assert_eq!(diagnosis.stage(), Stage::Rcpt);
    // Every recipient refused: the message was not sent, because of that refusal.
    let MessageStatus::NotSent { diagnosis } = &outcome.status else {
        panic!("not 'not sent': {outcome:?}");
    };
    assert_eq!(diagnosis.class().as_str(), "no_valid_recipients");
    let cause = diagnosis.caused_by().map(|d| d.class().as_str());
    assert_eq!(cause, Some("relay_denied"), "{diagnosis}");
    // The connection stays usable (Postfix's pipelined DATA refusal, then RSET).
    let id = unique_id("after-relay");
    let message = message(&id, b"Second try.\r\n");
    let outcome = smtp
        .send(&envelope(&server.user, &[&server.rcpt]), &message)
        .expect("an outcome");
    assert!(outcome.is_accepted(), "{outcome:?}");
    smtp.quit().expect("clean QUIT");
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

#[test]
fn unknown_user_is_refused_and_the_other_recipient_still_gets_the_message() {
    let Some(server) = server("unknown_user") else {
        return;
    };
    let id = unique_id("mixed");
    let message = message(&id, b"One of two.\r\n");
    let mut smtp = server
        .connect(server.mx, server.config(TlsPolicy::None))
        .expect("session");
    let outcome = smtp
        .send(
            &envelope(&server.user, &["nobody@example.test", &server.rcpt]),
            &message,
        )
        .expect("an outcome");
    smtp.quit().expect("clean QUIT");
    let RecipientStatus::Refused { diagnosis } = &outcome.recipients[0].1 else {
        panic!("unknown user not refused: {outcome:?}");
    };
    assert_eq!(
        diagnosis.class().as_str(),
        "recipient_unknown",
        "{diagnosis}"
    );
    assert!(matches!(outcome.recipients[1].1, RecipientStatus::Accepted));
    assert_eq!(outcome.delivered_to().count(), 1);
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

/// A socket that keeps a copy of everything written, to see what went on the wire.
struct Recording {
    tcp: TcpStream,
    written: Arc<Mutex<Vec<u8>>>,
}

impl Read for Recording {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
}

impl Write for Recording {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tcp.write(buf)?;
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

impl Socket for Recording {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp.set_read_timeout(timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp.set_write_timeout(timeout)
    }
}

fn recorded(
    server: &Server,
    port: u16,
    config: Config,
) -> (Connection<Recording>, Arc<Mutex<Vec<u8>>>) {
    let written = Arc::new(Mutex::new(Vec::new()));
    let socket = Recording {
        tcp: TcpStream::connect(server.socket_addr(port)).expect("connect"),
        written: written.clone(),
    };
    let smtp = Connection::from_socket(socket, &server.host, config, None).expect("session");
    (smtp, written)
}

#[test]
fn oversize_message_is_refused_before_sending() {
    let Some(server) = server("oversize_size_check") else {
        return;
    };
    let size = usize::try_from(server.size_limit).unwrap() + 1;
    let message = large_message(&unique_id("oversize"), size);
    let (mut smtp, written) = recorded(&server, server.mx, server.config(TlsPolicy::None));
    let outcome = smtp
        .send(&envelope(&server.user, &[&server.rcpt]), &message)
        .expect("an outcome");
    // RFC 1870 s6: a message over the advertised SIZE is not offered at all.
    let MessageStatus::NotSent { diagnosis } = &outcome.status else {
        panic!("not refused by the SIZE check: {outcome:?}");
    };
    assert_eq!(diagnosis.class().as_str(), "message_too_large");
    let sent = String::from_utf8_lossy(&written.lock().unwrap()).into_owned();
    assert!(!sent.contains("MAIL FROM"), "MAIL was written: {sent}");
    smtp.quit().expect("clean QUIT");
}

#[test]
fn oversize_message_without_size_gets_the_servers_552_after_the_dot() {
    let Some(server) = server("oversize_server_552") else {
        return;
    };
    let size = usize::try_from(server.size_limit).unwrap() + 50_000;
    let message = large_message(&unique_id("oversize-552"), size);
    let config = server.config(TlsPolicy::None).with_declared_size(false);
    let (mut smtp, written) = recorded(&server, server.mx, config);
    let outcome = smtp
        .send(&envelope(&server.user, &[&server.rcpt]), &message)
        .expect("an outcome");
    smtp.quit().expect("clean QUIT");
    let sent = String::from_utf8_lossy(&written.lock().unwrap()).into_owned();
    assert!(!sent.contains("SIZE="), "{}", &sent[..200.min(sent.len())]);
    assert!(matches!(outcome.recipients[0].1, RecipientStatus::Accepted));
    let MessageStatus::Refused { diagnosis } = &outcome.status else {
        panic!("message not refused after the data: {outcome:?}");
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
fn pipelining_writes_the_envelope_in_one_group() {
    let Some(server) = server("pipelining") else {
        return;
    };
    for pipelining in [true, false] {
        let id = unique_id("pipelining");
        let message = message(&id, b"Pipelined.\r\n");
        let mut config = server.config(TlsPolicy::None);
        if !pipelining {
            config = config.with_pipelining(smtp_sansio::Pipelining::Off);
        }
        let (mut smtp, written) = recorded(&server, server.mx, config);
        written.lock().unwrap().clear();
        let outcome = smtp
            .send(
                &envelope(&server.user, &[&server.rcpt, &server.user]),
                &message,
            )
            .expect("an outcome");
        assert!(outcome.is_accepted(), "{outcome:?}");
        smtp.quit().expect("clean QUIT");
        let sent = String::from_utf8_lossy(&written.lock().unwrap()).into_owned();
        let envelope_lines: Vec<&str> = sent.lines().take(4).map(|l| &l[..4]).collect();
        // The recording sees one write per socket write: with PIPELINING the envelope is
        // written in one group ending with DATA (RFC 2920 s3.1).
        assert_eq!(envelope_lines, ["MAIL", "RCPT", "RCPT", "DATA"], "{sent}");
        assert!(
            sent.starts_with("MAIL FROM:<sender@example.test> SIZE="),
            "{sent}"
        );
        assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
    }
}

#[test]
fn lmtp_gives_each_recipient_its_own_reply() {
    let Some(server) = server("lmtp") else {
        return;
    };
    let id = unique_id("lmtp");
    let message = message(&id, b"Over LMTP.\r\n");
    let config = server.config(TlsPolicy::None).with_lmtp(true);
    let mut smtp = server.connect(server.lmtp, config).expect("session");
    let outcome = smtp
        .send(
            &envelope(&server.user, &[&server.rcpt, "nobody@example.test"]),
            &message,
        )
        .expect("an outcome");
    smtp.quit().expect("clean QUIT");
    assert!(outcome.is_accepted(), "{outcome:?}");
    let MessageStatus::Accepted { reply } = &outcome.status else {
        unreachable!()
    };
    assert_eq!(
        reply.code().value(),
        250,
        "the accepted reply is a positive one"
    );
    assert!(matches!(
        outcome.recipients[0].1,
        RecipientStatus::Delivered { .. }
    ));
    assert!(matches!(
        outcome.recipients[1].1,
        RecipientStatus::Refused { .. }
    ));
}

#[test]
fn tls_required_on_a_port_without_starttls_ends_before_mail() {
    let Some(server) = server("tls_required") else {
        return;
    };
    let error = server
        .connect(server.plain, server.config(TlsPolicy::Required))
        .unwrap_err();
    assert_eq!(closing_class(&error), "tls_not_offered", "{error}");
}

#[test]
fn auth_before_starttls_says_starttls_first() {
    let Some(server) = server("auth_before_starttls") else {
        return;
    };
    let config = server
        .login(TlsPolicy::None)
        .dangerous_allow_plaintext_auth(true);
    let error = server.connect(server.submission, config).unwrap_err();
    assert_eq!(closing_class(&error), "auth_not_offered", "{error}");
    let diagnosis = error.diagnosis().unwrap();
    assert_eq!(diagnosis.evidence().rule(), "observed:auth-after-starttls");
    assert!(
        diagnosis.summary().contains("STARTTLS first"),
        "{diagnosis}"
    );
}

#[test]
fn an_untrusted_certificate_is_diagnosed() {
    let Some(server) = server("certificate") else {
        return;
    };
    // The test CA is not among the webpki roots.
    let webpki: Option<Arc<dyn TlsConnect>> = Some(Arc::new(TlsConnector::new().unwrap()));
    let error = Connection::connect_with(
        &server.addr(server.submissions),
        server.login(TlsPolicy::Implicit),
        webpki.clone(),
    )
    .unwrap_err();
    assert!(matches!(error, SessionError::Tls { .. }), "{error:?}");
    assert_eq!(closing_class(&error), "tls_certificate_invalid", "{error}");
    // After STARTTLS the failure ends the session before AUTH.
    let error = Connection::connect_with(
        &server.addr(server.submission),
        server.login(TlsPolicy::Required),
        webpki,
    )
    .unwrap_err();
    assert_eq!(closing_class(&error), "tls_certificate_invalid", "{error}");
    match &error {
        SessionError::Closed {
            reason:
                CloseReason::Failed {
                    error: Error::ConnectionLost { stage, .. },
                },
        } => assert_eq!(*stage, Stage::StartTls),
        other => panic!("{other:?}"),
    }
    // Accepting invalid certificates: the message goes through, and the facts say why the
    // certificate would have failed.
    let insecure = TlsConnector::builder()
        .dangerous_accept_invalid_certificates(true)
        .build()
        .unwrap();
    let mut smtp = Connection::connect_with(
        &server.addr(server.submission),
        server.login(TlsPolicy::Required),
        Some(Arc::new(insecure)),
    )
    .expect("session");
    let facts = smtp.tls().expect("TLS facts").clone();
    assert!(!facts.verified);
    assert!(facts.verify_error.is_some());
    let id = unique_id("insecure");
    let message = message(&id, b"Unverified.\r\n");
    let outcome = smtp
        .send(&envelope(&server.user, &[&server.rcpt]), &message)
        .expect("an outcome");
    assert!(outcome.is_accepted(), "{outcome:?}");
    smtp.quit().expect("clean QUIT");
    assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
}

// ---- trickling peers: the deadline is a hard stop --------------------------------------

/// A server that accepts and starts a greeting it never finishes: `220 ` and then one more
/// octet every 200 ms for `hold`. Reads keep succeeding, so only a driver that waits for the
/// engine's deadline (not for a quiet socket) ends the session in time.
fn trickling_server(hold: Duration) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
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

/// A TLS server (implicit TLS) that completes the handshake, then trickles its greeting's
/// TLS record one octet every 200 ms for `hold`: each socket read succeeds, no plaintext
/// ever arrives. Returns the address and the CA to trust.
fn trickling_tls_server(hold: Duration) -> (SocketAddr, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut socket, _)) = listener.accept() else {
            return;
        };
        let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        while conn.is_handshaking() {
            if conn.complete_io(&mut socket).is_err() {
                return;
            }
        }
        conn.writer()
            .write_all(b"220 mx.example.test ESMTP\r\n")
            .unwrap();
        let mut record = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut record).unwrap();
        }
        let end = Instant::now() + hold;
        for octet in record {
            if Instant::now() >= end || socket.write_all(&[octet]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    (addr, ca.der().to_vec())
}

fn quick(tls: TlsPolicy) -> Config {
    Config::new(Host::parse("client.example.org").unwrap())
        .with_tls(tls)
        .with_timeouts(Timeouts::uniform(Duration::from_secs(1)))
}

fn assert_cut_at_the_greeting(started: Instant, error: &SessionError, what: &str) {
    let elapsed = started.elapsed();
    assert_eq!(
        closing_class(error),
        "greeting_timeout",
        "{what}: {error:?}"
    );
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(4),
        "{what}: {elapsed:?}"
    );
}

#[test]
fn a_trickling_server_is_cut_at_the_deadline_by_both_adapters() {
    let addr = trickling_server(Duration::from_secs(8));
    let started = Instant::now();
    let error =
        Connection::connect_with(&addr.to_string(), quick(TlsPolicy::None), None).unwrap_err();
    assert_cut_at_the_greeting(started, &error, "blocking");

    let addr = trickling_server(Duration::from_secs(8));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let error = runtime
        .block_on(smtp_sansio::tokio::Connection::connect_with(
            &addr.to_string(),
            quick(TlsPolicy::None),
            None,
        ))
        .unwrap_err();
    assert_cut_at_the_greeting(started, &error, "tokio");
}

#[test]
fn a_trickling_tls_peer_is_cut_at_the_deadline_by_both_adapters() {
    for adapter in ["blocking", "tokio"] {
        let (addr, ca) = trickling_tls_server(Duration::from_secs(10));
        let tls: Option<Arc<dyn TlsConnect>> = Some(Arc::new(
            TlsConnector::builder().ca_der(ca).build().unwrap(),
        ));
        let started = Instant::now();
        let error = if adapter == "blocking" {
            Connection::connect_with(&addr.to_string(), quick(TlsPolicy::Implicit), tls)
                .unwrap_err()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(smtp_sansio::tokio::Connection::connect_with(
                    &addr.to_string(),
                    quick(TlsPolicy::Implicit),
                    tls,
                ))
                .unwrap_err()
        };
        assert_cut_at_the_greeting(started, &error, adapter);
    }
}

// ---- the examples as users run them ----------------------------------------------------

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

fn body_file(id: &str, message: &[u8]) -> PathBuf {
    let path = env::temp_dir().join(format!("{id}.eml"));
    std::fs::write(&path, message).expect("write the message file");
    path
}

#[test]
fn bad_usage_exits_2_before_connecting_and_says_it_once() {
    // Nothing listens on port 1: a usage error must be found before any connect.
    let body = body_file(&unique_id("usage"), b"Subject: x\r\n\r\nx\r\n");
    let body = body.display().to_string();
    for name in ["send_std", "send_tokio"] {
        for args in [
            vec![],
            vec!["--server", "127.0.0.1:1", "--tls", "sometimes"],
            vec![
                "--server",
                "127.0.0.1:1",
                "--from",
                "a@example.org",
                "--to",
                "not an address",
                "--body",
                &body,
            ],
            vec![
                "--server",
                "127.0.0.1:1",
                "--from",
                "a@example.org",
                "--to",
                "b@example.org",
                "--body",
                &body,
                "--ehlo",
                "127.0.0.1",
            ],
            vec![
                "--server",
                "127.0.0.1",
                "--from",
                "a@example.org",
                "--to",
                "b@example.org",
                "--body",
                &body,
            ],
        ] {
            let output = Command::new(example(name)).args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{name} {args:?}: {stderr}");
            assert_eq!(
                stderr.matches("usage:").count(),
                1,
                "{name} {args:?}: {stderr}"
            );
            assert!(!stderr.contains("connection"), "{name} {args:?}: {stderr}");
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
fn the_binaries_log_in_over_starttls_and_implicit_tls() {
    let Some(server) = server("binaries_tls") else {
        return;
    };
    let var = "SMTP_SANSIO_PASSWORD";
    if env::var_os(var).is_none() {
        println!("binaries_tls: skipped: {var} is unset");
        return;
    }
    for (name, port, tls) in [
        ("send_std", server.submission, "starttls"),
        ("send_tokio", server.submissions, "implicit"),
    ] {
        let id = unique_id(name);
        let message = message(&id, b"Logged in.\r\n");
        let body = body_file(&id, &message);
        let mut args = server.args(port, tls, &[&server.rcpt], &body);
        args.extend([
            "--user".into(),
            server.user.clone(),
            "--password-env".into(),
            var.into(),
        ]);
        let output = Command::new(example(name)).args(args).output().unwrap();
        std::fs::remove_file(&body).ok();
        assert_eq!(output.status.code(), Some(0), "{name}: {output:?}");
        assert_eq!(read_back(&server.maildir, &id), as_stored(&message));
    }
}
