//! Whole sessions written as `C:`/`S:` trace files (tests/traces/*.trace), replayed against
//! the client: the server's lines are fed in, the client's output must equal the `C:` lines,
//! and the events must come in the order the trace names them.
//!
//! Trace syntax, one item per line:
//! - `# ...` comment; `config key=value ...` (tls, lmtp, pipelining, handshake, plaintext_auth)
//! - `S: text` a server line (CRLF added); consecutive `S:` lines are fed together
//! - `S< text` a server line fed with a bare LF
//! - `C: text` the next line the client must have written (CRLF added)
//! - `> action args` a caller action (see `act`)
//! - `E: Name Name:class ...` the next events, by name; `Rejected:class` also checks the
//!   diagnosis class; `E: -` means no event
//! - `ERR: Variant class` the session failed with this error and diagnosis class
//! - `EOF` the server closed the connection; `TIMEOUT` the clock jumps to the deadline
//! - `EXPECT-CLOSED` the client says the session is over
//!
//! Every trace runs three ways: server bytes fed a block at a time, a byte at a time, and in
//! chunks of 7 bytes. All must give the same output and events.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::auth::Credentials;
use smtp_sansio::client::Error;
use smtp_sansio::command::{Body, Command, MailParams, RcptParams};
use smtp_sansio::{
    Client, CloseReason, Config, Envelope, Event, Handshake, Mechanism, Pipelining, TlsPolicy,
};

#[derive(Clone, Copy, Debug)]
enum Feed {
    Block,
    Bytes,
    Chunks7,
}

struct Runner {
    client: Client,
    now: Instant,
    feed: Feed,
    pending_server: Vec<u8>,
    name: String,
    line_no: usize,
    /// Events of a failed session's ending, kept by `E:` for the `ERR:` line.
    ending: Vec<Event>,
}

impl Runner {
    fn flush_server(&mut self) {
        if self.pending_server.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending_server);
        match self.feed {
            Feed::Block => self.client.receive(self.now, &bytes),
            Feed::Bytes => {
                for b in &bytes {
                    self.client.receive(self.now, std::slice::from_ref(b));
                }
            }
            Feed::Chunks7 => {
                for chunk in bytes.chunks(7) {
                    self.client.receive(self.now, chunk);
                }
            }
        }
    }

    fn here(&self) -> String {
        format!("{}:{} ({:?})", self.name, self.line_no, self.feed)
    }

    fn expect_output(&mut self, line: &str) {
        let expected = format!("{line}\r\n");
        let pending = self.client.pending_output();
        let got =
            String::from_utf8_lossy(&pending[..pending.len().min(expected.len())]).into_owned();
        assert_eq!(
            got,
            expected,
            "{}: client output; all pending: {:?}",
            self.here(),
            String::from_utf8_lossy(pending)
        );
        self.client.consume_output(self.now, expected.len());
    }

    fn expect_events(&mut self, spec: &str) {
        let expected: Vec<&str> = if spec.trim() == "-" {
            Vec::new()
        } else {
            spec.split_whitespace().collect()
        };
        let mut got = Vec::new();
        while let Some(event) = self.client.poll_event() {
            got.push(event);
        }
        // The ending of a failed session (the outstanding commands' and messages' last
        // events, then Closed with the error) is for the `ERR:` line that follows.
        if let Some(Event::Closed {
            reason: CloseReason::Failed { .. },
        }) = got.last()
        {
            let start = got[..got.len() - 1]
                .iter()
                .rposition(|e| !matches!(e, Event::Cancelled { .. } | Event::MessageFinished(_)))
                .map_or(0, |i| i + 1)
                .max(expected.len().min(got.len() - 1));
            self.ending = got.split_off(start);
        }
        let describe = |event: &Event| -> String {
            let detail = match event {
                Event::Rejected(rejection) => rejection.diagnosis.class().as_str(),
                Event::MessageFinished(outcome) => outcome.status.as_str(),
                Event::Closed { reason } => match reason.diagnosis() {
                    Some(diagnosis) => diagnosis.class().as_str(),
                    None => "quit",
                },
                _ => "",
            };
            if detail.is_empty() {
                event.name().to_owned()
            } else {
                format!("{}:{detail}", event.name())
            }
        };
        let described: Vec<String> = got.iter().map(describe).collect();
        let matches = described.len() == expected.len()
            && described.iter().zip(&expected).all(|(got, want)| {
                // A name alone matches the event whatever its detail.
                got == want || (!want.contains(':') && got.split(':').next() == Some(want))
            });
        assert!(
            matches,
            "{}: events\n  want: {}\n  got:  {}",
            self.here(),
            expected.join(" "),
            described.join(" ")
        );
        if self.ending.is_empty()
            && let Some(extra) = self.client.poll_event()
        {
            panic!("{}: unexpected extra event {extra:#?}", self.here());
        }
    }

    fn expect_error(&mut self, spec: &str) {
        let mut words = spec.split_whitespace();
        let variant = words.next().unwrap();
        let class = words.next();
        // What comes before the last event: every outstanding command's and message's end.
        let mut ending = std::mem::take(&mut self.ending).into_iter();
        let error = loop {
            match ending.next().or_else(|| self.client.poll_event()) {
                Some(Event::Cancelled { .. } | Event::MessageFinished(_)) => continue,
                Some(Event::Closed {
                    reason: CloseReason::Failed { error },
                }) => break error,
                other => panic!("{}: wanted error {variant}, got {other:?}", self.here()),
            }
        };
        let name = match &error {
            Error::MalformedReply { .. } => "MalformedReply",
            Error::UnexpectedReply { .. } => "UnexpectedReply",
            Error::UnexpectedEof { .. } => "UnexpectedEof",
            Error::Timeout { .. } => "Timeout",
            Error::StartTlsInjection { .. } => "StartTlsInjection",
            _ => "other",
        };
        assert_eq!(name, variant, "{}: {error:?}", self.here());
        if let Some(class) = class {
            assert_eq!(
                error.diagnosis().class().as_str(),
                class,
                "{}: {error:?}",
                self.here()
            );
        }
        assert!(self.client.is_closed());
        assert!(
            self.client.poll_event().is_none(),
            "Closed is the last event"
        );
        assert!(self.client.error().is_some(), "the error stays readable");
    }

    fn act(&mut self, action: &str) {
        let (verb, rest) = action.split_once(' ').unwrap_or((action, ""));
        let now = self.now;
        let c = &mut self.client;
        let result = match verb {
            "ehlo" => c.ehlo(now).map(drop),
            "helo" => c.helo(now).map(drop),
            "starttls" => c.starttls(now).map(drop),
            "tls-established" => c.tls_established(now),
            "mail" => {
                let mut words = rest.split_whitespace();
                let from = words.next().unwrap();
                let from = if from == "<>" {
                    ReversePath::Null
                } else {
                    ReversePath::from(Mailbox::parse(from).unwrap())
                };
                let mut params = MailParams::default();
                for word in words {
                    match word {
                        "BODY=8BITMIME" => params = params.with_body(Body::EightBitMime),
                        w if w.starts_with("SIZE=") => {
                            params = params.with_size(w[5..].parse().unwrap())
                        }
                        other => panic!("unknown MAIL parameter {other}"),
                    }
                }
                c.mail(now, &from, params).map(drop)
            }
            "rcpt" => c.rcpt(now, &forward(rest), RcptParams::default()).map(drop),
            "data" => c.data(now).map(drop),
            "send-data" => c.send_data(now, &unescape(rest)),
            "finish-data" => c.finish_data(now),
            "bdat" => {
                let (last, text) = match rest.strip_prefix("last ") {
                    Some(text) => (true, text),
                    None => (false, rest),
                };
                c.bdat(now, &unescape(text), last).map(drop)
            }
            "rset" => c.send(now, Command::Rset).map(drop),
            "noop" => c.send(now, Command::Noop(None)).map(drop),
            "vrfy" => c.send(now, Command::Vrfy(rest.to_string())).map(drop),
            "quit" => c.quit(now).map(drop),
            "auth" => {
                let mut words = rest.split_whitespace();
                let user = words.next().unwrap();
                let password = words.next().unwrap();
                let mechanism = words.next().map(|m| m.parse::<Mechanism>().unwrap());
                c.authenticate(now, &Credentials::password(user, password), mechanism)
                    .map(drop)
            }
            "send-mail" => {
                // send-mail FROM TO[,TO...] BODY
                let mut parts = rest.splitn(3, ' ');
                let from = ReversePath::from(Mailbox::parse(parts.next().unwrap()).unwrap());
                let to: Vec<ForwardPath> = parts.next().unwrap().split(',').map(forward).collect();
                let body = unescape(parts.next().unwrap_or(""));
                c.send_mail(now, &Envelope::new(from, to), &body).map(drop)
            }
            "wait" => {
                self.now += Duration::from_secs(rest.parse().unwrap());
                Ok(())
            }
            other => panic!("{}: unknown action {other}", self.here()),
        };
        if let Err(error) = result {
            panic!("{}: action {action:?} failed: {error}", self.here());
        }
    }
}

fn forward(text: &str) -> ForwardPath {
    if text.eq_ignore_ascii_case("postmaster") {
        ForwardPath::Postmaster
    } else {
        ForwardPath::from(Mailbox::parse(text).unwrap())
    }
}

/// `\r`, `\n`, `\\` and `\xNN` escapes.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    out.push(u8::from_str_radix(&text[i + 2..i + 4], 16).unwrap());
                    i += 2;
                }
                other => panic!("bad escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

fn config_from(line: &str) -> Config {
    let mut config =
        Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
    for setting in line.split_whitespace().skip(1) {
        let (key, value) = setting.split_once('=').unwrap();
        config = match (key, value) {
            ("tls", "none") => config.with_tls(TlsPolicy::None),
            ("tls", "required") => config.with_tls(TlsPolicy::Required),
            ("tls", "opportunistic") => config.with_tls(TlsPolicy::Opportunistic),
            ("tls", "implicit") => config.with_tls(TlsPolicy::Implicit),
            ("lmtp", v) => config.with_lmtp(v == "true"),
            ("pipelining", "off") => config.with_pipelining(Pipelining::Off),
            ("pipelining", "auto") => config.with_pipelining(Pipelining::Auto),
            ("handshake", "manual") => config.with_handshake(Handshake::Manual),
            ("plaintext_auth", v) => config.dangerous_allow_plaintext_auth(v == "true"),
            ("name", v) => {
                let mut c = config;
                c.client_name = Host::parse(v).unwrap();
                c
            }
            other => panic!("unknown config {other:?}"),
        };
    }
    config
}

fn run(path: &Path, feed: Feed) {
    let text = fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let now = Instant::now();
    let mut lines = text.lines().enumerate().peekable();
    let mut config = config_from("config");
    while let Some((_, line)) = lines.peek() {
        if line.starts_with("config") {
            config = config_from(line);
            lines.next();
        } else if line.starts_with('#') || line.trim().is_empty() {
            lines.next();
        } else {
            break;
        }
    }
    let mut runner = Runner {
        client: Client::new(config, now),
        now,
        feed,
        pending_server: Vec::new(),
        name,
        line_no: 0,
        ending: Vec::new(),
    };
    for (index, line) in lines {
        runner.line_no = index + 1;
        if let Some(text) = line.strip_prefix("S: ") {
            runner.pending_server.extend_from_slice(text.as_bytes());
            runner.pending_server.extend_from_slice(b"\r\n");
            continue;
        }
        if line == "S:" {
            runner.pending_server.extend_from_slice(b"\r\n");
            continue;
        }
        if let Some(text) = line.strip_prefix("S< ") {
            runner.pending_server.extend_from_slice(text.as_bytes());
            runner.pending_server.push(b'\n');
            continue;
        }
        runner.flush_server();
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if let Some(text) = line.strip_prefix("C: ") {
            runner.expect_output(text);
        } else if let Some(action) = line.strip_prefix("> ") {
            runner.act(action);
        } else if let Some(spec) = line.strip_prefix("E: ") {
            runner.expect_events(spec);
        } else if let Some(spec) = line.strip_prefix("ERR: ") {
            runner.expect_error(spec);
        } else if line == "EOF" {
            runner.client.receive_eof(runner.now);
        } else if line == "TIMEOUT" {
            let deadline = runner.client.poll_timeout().expect("a deadline is armed");
            runner
                .client
                .handle_timeout(deadline - Duration::from_millis(1));
            assert!(
                runner.client.poll_event().is_none(),
                "{}: fired early",
                runner.here()
            );
            runner.now = deadline;
            runner.client.handle_timeout(deadline);
        } else if line == "EXPECT-CLOSED" {
            assert!(runner.client.is_closed(), "{}: still open", runner.here());
        } else {
            panic!("{}: cannot read {line:?}", runner.here());
        }
    }
    runner.flush_server();
    assert!(
        runner.client.pending_output().is_empty(),
        "{}: unread client output {:?}",
        runner.name,
        String::from_utf8_lossy(runner.client.pending_output())
    );
    if let Some(event) = runner.client.poll_event() {
        panic!("{}: event not named in the trace: {event:#?}", runner.name);
    }
}

#[test]
fn traces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/traces");
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 10,
        "expected the trace files in {}",
        dir.display()
    );
    for path in &paths {
        for feed in [Feed::Block, Feed::Bytes, Feed::Chunks7] {
            run(path, feed);
        }
    }
}
