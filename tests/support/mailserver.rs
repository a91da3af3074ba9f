//! Where the interop mail server of `scripts/mailserver.sh` listens, for every
//! `tests/interop_*.rs`: read from the variables `scripts/mailserver.sh env` prints, with the
//! script's defaults.
//!
//! `running(test)` says whether the tests can talk to it: with `SMTP_SANSIO_MAILSERVER` unset,
//! or nothing accepting on the MX port within 2 s, it prints that the test was skipped and
//! returns `None` (the test then passes). `.ci/run` starts the server, so CI always runs them.
#![allow(dead_code)]

use std::env;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// The running server.
pub struct MailServer {
    /// Its address (`SMTP_SANSIO_HOST`).
    pub host: String,
    /// The MX-like port: no AUTH, STARTTLS offered, relay denied.
    pub mx: u16,
    /// The MX without STARTTLS.
    pub plain: u16,
    /// Submission: STARTTLS, AUTH only after TLS.
    pub submission: u16,
    /// Submission with implicit TLS.
    pub submissions: u16,
    /// Dovecot LMTP.
    pub lmtp: u16,
    /// The test CA that signed the server certificate (PEM).
    pub ca: PathBuf,
    /// The SASL account and its password.
    pub user: String,
    /// The account's password.
    pub password: String,
    /// A local recipient with a mailbox the tests read.
    pub rcpt: String,
    /// That recipient's Maildir (Postfix delivery).
    pub maildir: PathBuf,
    /// The sender account's own Maildir.
    pub sender_maildir: PathBuf,
    /// `message_size_limit`, advertised as SIZE.
    pub size_limit: u64,
}

fn var_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn path_or(name: &str, default: PathBuf) -> PathBuf {
    env::var_os(name).map_or(default, PathBuf::from)
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> T {
    env::var(name).map_or(default, |value| {
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number"))
    })
}

/// The server, or `None` after saying why `test` is skipped.
pub fn running(test: &str) -> Option<MailServer> {
    const HINT: &str = "mail server not running (start it with scripts/mailserver.sh start, \
                        then eval \"$(scripts/mailserver.sh env)\")";
    let Some(dir) = env::var_os("SMTP_SANSIO_MAILSERVER") else {
        println!("{test}: skipped: {HINT}; SMTP_SANSIO_MAILSERVER is unset");
        return None;
    };
    let dir = PathBuf::from(dir);
    let server = MailServer {
        host: var_or("SMTP_SANSIO_HOST", "127.0.0.1"),
        mx: number("SMTP_SANSIO_PORT_MX", 2525),
        plain: number("SMTP_SANSIO_PORT_PLAIN", 2526),
        submission: number("SMTP_SANSIO_PORT_SUBMISSION", 2587),
        submissions: number("SMTP_SANSIO_PORT_SUBMISSIONS", 2465),
        lmtp: number("SMTP_SANSIO_PORT_LMTP", 2424),
        ca: path_or("SMTP_SANSIO_CA", dir.join("tls/ca.pem")),
        user: var_or("SMTP_SANSIO_USER", "sender@example.test"),
        password: var_or("SMTP_SANSIO_PASSWORD", "sansio-test-password"),
        rcpt: var_or("SMTP_SANSIO_RCPT", "user@example.test"),
        maildir: path_or("SMTP_SANSIO_MAILDIR", dir.join("mail/example.test/user")),
        sender_maildir: path_or(
            "SMTP_SANSIO_SENDER_MAILDIR",
            dir.join("mail/example.test/sender"),
        ),
        size_limit: number("SMTP_SANSIO_SIZE_LIMIT", 200_000),
    };
    let addr = server.socket_addr(server.mx);
    if let Err(err) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        println!("{test}: skipped: {HINT}; nothing accepts on {addr}: {err}");
        return None;
    }
    Some(server)
}

impl MailServer {
    /// `host:port`.
    pub fn addr(&self, port: u16) -> String {
        format!("{}:{port}", self.host)
    }

    /// The same, parsed.
    pub fn socket_addr(&self, port: u16) -> SocketAddr {
        self.addr(port)
            .parse()
            .unwrap_or_else(|err| panic!("SMTP_SANSIO_HOST={:?}: {err}", self.host))
    }
}
