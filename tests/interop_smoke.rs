//! Smoke test for the interop mail server that `scripts/mailserver.sh` runs (Postfix with
//! Dovecot SASL and LMTP on 127.0.0.1): each port answers as the interop tests expect.
//!
//! Run it with the server up:
//!
//! ```text
//! scripts/mailserver.sh start
//! eval "$(scripts/mailserver.sh env)"
//! cargo test --test interop_smoke -- --nocapture
//! ```
//!
//! With `SMTP_SANSIO_MAILSERVER` unset, or nothing accepting on the MX port within 2 s, every
//! test prints that it was skipped and passes. Every network operation is bounded: connect 2 s,
//! each read and write 5 s, each reply 10 s in all, so the test always stops by itself.
//! It speaks plaintext only (std has no TLS); TLS and AUTH are the interop tests' job.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use smtp_sansio::{Decoded, Reply, ReplyLimits, parse_reply};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const IO_TIMEOUT: Duration = Duration::from_secs(5);
const REPLY_DEADLINE: Duration = Duration::from_secs(10);

#[path = "support/mailserver.rs"]
mod mailserver;

use mailserver::{MailServer as Server, running as server};

/// One plaintext session: a socket with timeouts and the bytes read but not yet parsed.
struct Session {
    stream: TcpStream,
    addr: SocketAddr,
    unread: Vec<u8>,
    limits: ReplyLimits,
}

impl Session {
    /// Connects and reads the greeting, which must be a 220.
    fn open(addr: SocketAddr) -> Session {
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
            .unwrap_or_else(|err| panic!("connect to {addr}: {err}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut session = Session {
            stream,
            addr,
            unread: Vec::new(),
            limits: ReplyLimits::default(),
        };
        let greeting = session.read_reply();
        assert_eq!(greeting.code().value(), 220, "{addr} greeting: {greeting}");
        println!("{addr} S: {greeting}");
        session
    }

    /// Reads until `parse_reply` frames one whole reply; keeps any bytes after it.
    fn read_reply(&mut self) -> Reply {
        let deadline = Instant::now() + REPLY_DEADLINE;
        let mut chunk = [0u8; 4096];
        loop {
            match parse_reply(&self.unread, &self.limits) {
                Ok(Decoded::Complete { value, consumed }) => {
                    self.unread.drain(..consumed);
                    return value;
                }
                Ok(Decoded::Incomplete) => {}
                Err(err) => panic!("{}: malformed reply: {err}", self.addr),
            }
            assert!(
                Instant::now() < deadline,
                "{}: no complete reply within {REPLY_DEADLINE:?}",
                self.addr
            );
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!(
                    "{}: connection closed mid-reply after {:?}",
                    self.addr,
                    String::from_utf8_lossy(&self.unread)
                ),
                Ok(n) => self.unread.extend_from_slice(&chunk[..n]),
                Err(err) => panic!("{}: read: {err}", self.addr),
            }
        }
    }

    /// Sends one command line and returns its reply.
    fn command(&mut self, line: &str) -> Reply {
        println!("{} C: {line}", self.addr);
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap_or_else(|err| panic!("{}: write {line:?}: {err}", self.addr));
        let reply = self.read_reply();
        println!("{} S: {reply}", self.addr);
        reply
    }

    fn quit(mut self) {
        let reply = self.command("QUIT");
        assert_eq!(reply.code().value(), 221, "QUIT: {reply}");
    }
}

/// The EHLO (or LHLO) keywords with their parameters, keyword upper-cased; the first line
/// (the server's name) is skipped.
fn keywords(reply: &Reply) -> Vec<(String, String)> {
    reply
        .lines()
        .skip(1)
        .map(|line| {
            let text = String::from_utf8_lossy(line.text());
            let (keyword, params) = text.split_once(' ').unwrap_or((&text, ""));
            (keyword.to_ascii_uppercase(), params.trim().to_string())
        })
        .collect()
}

fn has(keywords: &[(String, String)], keyword: &str) -> bool {
    keywords.iter().any(|(k, _)| k == keyword)
}

/// EHLO, then the checks every SMTP port shares: 250, PIPELINING, SIZE equal to the limit.
fn ehlo(session: &mut Session, server: &Server) -> Vec<(String, String)> {
    let reply = session.command("EHLO test.example");
    assert_eq!(reply.code().value(), 250, "EHLO: {reply}");
    let keywords = keywords(&reply);
    assert!(has(&keywords, "PIPELINING"), "no PIPELINING in {reply}");
    let size = keywords
        .iter()
        .find(|(k, _)| k == "SIZE")
        .unwrap_or_else(|| panic!("no SIZE in {reply}"));
    assert_eq!(
        size.1.parse::<u64>().ok(),
        Some(server.size_limit),
        "SIZE in {reply}"
    );
    keywords
}

fn assert_reply(reply: &Reply, code: u16, enhanced: &str, text: &str) {
    assert_eq!(reply.code().value(), code, "{reply}");
    assert_eq!(
        reply.enhanced_code().map(|c| c.to_string()).as_deref(),
        Some(enhanced),
        "{reply}"
    );
    assert!(reply.text_lossy().contains(text), "{text:?} not in {reply}");
}

#[test]
fn mx_offers_starttls_and_refuses_relay_and_unknown_users() {
    let Some(server) = server("mx") else { return };
    let mut session = Session::open(server.socket_addr(server.mx));
    let keywords = ehlo(&mut session, &server);
    assert!(has(&keywords, "STARTTLS"), "MX must offer STARTTLS");
    assert!(!has(&keywords, "AUTH"), "MX must not offer AUTH");

    let reply = session.command("MAIL FROM:<a@example.org>");
    assert_eq!(reply.code().value(), 250, "MAIL: {reply}");
    let reply = session.command("RCPT TO:<someone@elsewhere.example>");
    assert_reply(&reply, 554, "5.7.1", "Relay access denied");
    let reply = session.command("RCPT TO:<nobody@example.test>");
    assert_reply(&reply, 550, "5.1.1", "User unknown");
    session.quit();
}

#[test]
fn plain_port_offers_no_starttls() {
    let Some(server) = server("plain") else {
        return;
    };
    let mut session = Session::open(server.socket_addr(server.plain));
    let keywords = ehlo(&mut session, &server);
    assert!(!has(&keywords, "STARTTLS"), "PLAIN must not offer STARTTLS");
    assert!(!has(&keywords, "AUTH"), "PLAIN must not offer AUTH");
    session.quit();
}

#[test]
fn submission_offers_auth_only_after_tls() {
    let Some(server) = server("submission") else {
        return;
    };
    let mut session = Session::open(server.socket_addr(server.submission));
    let keywords = ehlo(&mut session, &server);
    assert!(has(&keywords, "STARTTLS"), "submission must offer STARTTLS");
    assert!(
        !has(&keywords, "AUTH"),
        "submission must not offer AUTH before TLS"
    );
    let reply = session.command("MAIL FROM:<a@example.org>");
    assert_eq!(reply.code().value(), 250, "MAIL: {reply}");
    let reply = session.command("RCPT TO:<someone@elsewhere.example>");
    assert_reply(&reply, 554, "5.7.1", "Relay access denied");
    session.quit();
}

#[test]
fn lmtp_answers_lhlo_and_rejects_unknown_users() {
    let Some(server) = server("lmtp") else { return };
    let mut session = Session::open(server.socket_addr(server.lmtp));
    let reply = session.command("LHLO test.example");
    assert_eq!(reply.code().value(), 250, "LHLO: {reply}");
    assert!(
        has(&keywords(&reply), "PIPELINING"),
        "no PIPELINING in {reply}"
    );
    let reply = session.command("MAIL FROM:<a@example.org>");
    assert_eq!(reply.code().value(), 250, "MAIL: {reply}");
    let reply = session.command("RCPT TO:<nobody@example.test>");
    assert_reply(&reply, 550, "5.1.1", "doesn't exist");
    session.quit();
}
