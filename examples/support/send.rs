//! What the `send_std` and `send_tokio` examples share: the command line, the rustls
//! configuration, and [`Session`], the IO-free part that reacts to the engine's events and
//! records the outcome. The drive loops, the only code that touches sockets, clocks and TLS
//! sessions, are in the examples themselves.
//!
//! The tests include this file (and the examples) with `#[path]`, so some items are only
//! used by one side.
#![allow(dead_code)]

#[path = "tls.rs"]
pub mod tls;

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::{
    Body, Client, CloseReason, CommandHandle, Config, Credentials, Diagnosis, Envelope, Event,
    MailParams, Mechanism, MessageHandles, Pipelining, RcptParams, Timeouts, TlsPolicy, UsageError,
    classify_tls_error, classify_transport_error,
};

/// The command line, shared by both examples.
pub const USAGE: &str = "\
usage: send_std|send_tokio --server HOST:PORT --from ADDR --to ADDR [--to ADDR]... --body FILE
         [--tls starttls|implicit|none] [--ca PEM] [--insecure] [--ehlo NAME]
         [--user U --password-env VAR] [--auth MECH] [--timeout SECS]
         [--no-pipelining] [--no-size] [--dangerous-plaintext-auth]
  Sends FILE (headers and body, any line ends) to every --to and prints what happened
  to each recipient, with a diagnosis for every refusal.
  --tls          starttls (default: required, never downgrades), implicit (TLS on connect,
                 port 465), none (plaintext; for loopback tests)
  --ca PEM       trust the certificates in PEM as well as the webpki roots
  --insecure     do not verify the server's certificate (tests only)
  --ehlo NAME    the client's name (default: an address literal of the local address)
  --timeout SECS every reply, connect and handshake timeout (default: RFC 5321 s4.5.3.2)
  --no-size      send MAIL, RCPT, DATA step by step without declaring SIZE=, so the
                 server's own limit applies after the final dot
Exit code: 0 when the message was accepted for at least one recipient, 1 otherwise,
2 for bad usage.";

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS after the first EHLO, required (RFC 3207).
    StartTls,
    /// TLS from the first byte (RFC 8314 s3).
    Implicit,
    /// No TLS at all.
    None,
}

/// What to send, where, and how: the parsed command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// `HOST:PORT`; HOST is also the TLS server name (an IP address gives an IP name).
    pub server: String,
    /// How to encrypt.
    pub tls: TlsMode,
    /// Extra trusted certificates (PEM), besides the webpki roots.
    pub ca: Option<PathBuf>,
    /// Skip certificate verification.
    pub insecure: bool,
    /// The EHLO name; `None`: an address literal of the local address (RFC 5321 s4.1.4).
    pub ehlo: Option<String>,
    /// Log in with these (AUTH, RFC 4954).
    pub credentials: Option<Credentials>,
    /// This mechanism instead of the best one both sides offer.
    pub mechanism: Option<Mechanism>,
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message: headers and body.
    pub message: Vec<u8>,
    /// Every timeout; `None`: the RFC 5321 s4.5.3.2 defaults for replies, 60 s for IO.
    pub timeout: Option<Duration>,
    /// Pipeline when the server offers PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// Use `Client::send_mail` (declares `SIZE=`, RFC 1870); otherwise MAIL, RCPT, DATA and
    /// `send_data` step by step with no `SIZE=`.
    pub declare_size: bool,
    /// Allow AUTH without TLS.
    pub dangerous_plaintext_auth: bool,
}

impl Options {
    /// Options with the defaults of the command line.
    pub fn new(server: &str, from: &str, to: &[&str], message: &[u8]) -> Options {
        Options {
            server: server.to_owned(),
            tls: TlsMode::StartTls,
            ca: None,
            insecure: false,
            ehlo: None,
            credentials: None,
            mechanism: None,
            from: from.to_owned(),
            to: to.iter().map(|to| (*to).to_owned()).collect(),
            message: message.to_vec(),
            timeout: None,
            pipelining: true,
            declare_size: true,
            dangerous_plaintext_auth: false,
        }
    }

    /// Parses the command line (without the program name). `Err` is a usage error.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut options = Options::new("", "", &[], b"");
        let (mut body, mut user, mut password_env) = (None, None, None);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--server" => options.server = value()?,
                "--tls" => {
                    options.tls = match value()?.as_str() {
                        "starttls" => TlsMode::StartTls,
                        "implicit" => TlsMode::Implicit,
                        "none" => TlsMode::None,
                        other => return Err(format!("unknown --tls mode {other:?}")),
                    }
                }
                "--ca" => options.ca = Some(PathBuf::from(value()?)),
                "--insecure" => options.insecure = true,
                "--ehlo" => options.ehlo = Some(value()?),
                "--user" => user = Some(value()?),
                "--password-env" => password_env = Some(value()?),
                "--auth" => {
                    let name = value()?;
                    let mechanism = name.parse().map_err(|_| format!("bad --auth {name:?}"))?;
                    options.mechanism = Some(mechanism);
                }
                "--from" => options.from = value()?,
                "--to" => options.to.push(value()?),
                "--body" => body = Some(value()?),
                "--timeout" => {
                    let secs = value()?;
                    let secs: u64 = secs
                        .parse()
                        .map_err(|_| format!("bad --timeout {secs:?}"))?;
                    options.timeout = Some(Duration::from_secs(secs.max(1)));
                }
                "--no-pipelining" => options.pipelining = false,
                "--no-size" => options.declare_size = false,
                "--dangerous-plaintext-auth" => options.dangerous_plaintext_auth = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        for (missing, name) in [
            (options.server.is_empty(), "--server"),
            (options.from.is_empty(), "--from"),
            (options.to.is_empty(), "--to"),
            (body.is_none(), "--body"),
        ] {
            if missing {
                return Err(format!("{name} is required"));
            }
        }
        if let Some(path) = body {
            options.message =
                std::fs::read(&path).map_err(|err| format!("--body {path}: {err}"))?;
        }
        options.credentials = match (user, password_env) {
            (Some(user), Some(var)) => {
                let password = std::env::var(&var)
                    .map_err(|_| format!("--password-env {var}: the variable is not set"))?;
                Some(Credentials::password(user, password))
            }
            (None, None) => None,
            _ => return Err("--user and --password-env go together".to_owned()),
        };
        Ok(options)
    }

    /// The host part of `--server`, without IPv6 brackets.
    pub fn host(&self) -> &str {
        let host = self.server.rsplit_once(':').map_or("", |(host, _)| host);
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The bound on each connect, handshake and socket write.
    pub fn io_timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(60))
    }

    /// The name the server's certificate must carry: the host of `--server`.
    pub fn server_name(&self) -> io::Result<ServerName<'static>> {
        tls::server_name(self.host())
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))
    }

    /// The rustls configuration: webpki roots plus `--ca`; with `--insecure` the handshake
    /// goes on whatever the certificate (loudly).
    pub fn tls_config(&self) -> io::Result<Arc<ClientConfig>> {
        let mut settings = tls::TlsSettings {
            insecure: self.insecure,
            ..tls::TlsSettings::default()
        };
        if self.insecure {
            eprintln!(
                "WARNING: --insecure: the server's certificate is NOT verified; anyone on the \
                 path can read and change this session, password included"
            );
        }
        if let Some(path) = &self.ca {
            settings.add_ca_file(path).map_err(|err| {
                io::Error::new(err.kind(), format!("--ca {}: {err}", path.display()))
            })?;
        }
        let client = tls::TlsClient::new(&settings).map_err(io::Error::other)?;
        Ok(client.config())
    }
}

/// What an IO error means: a TLS failure (rustls wraps its errors in `io::Error`) or a
/// socket failure.
pub fn diagnose_io(error: &io::Error) -> Diagnosis {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(tls) => classify_tls_error(&tls.to_string()),
        None => classify_transport_error(error.kind(), &error.to_string()),
    }
}

/// What became of one recipient.
#[derive(Debug, Clone)]
pub enum RecipientStatus {
    /// Never answered (the session ended first).
    Unanswered,
    /// RCPT accepted; delivered if the message was accepted.
    Accepted,
    /// RCPT refused.
    Rejected(Box<Diagnosis>),
}

/// What became of the message.
#[derive(Debug, Clone)]
pub enum MessageStatus {
    /// Not sent: refused before sending, no recipient accepted, or the session failed.
    NotSent,
    /// The server took responsibility for it (RFC 5321 s4.2.5); its reply.
    Accepted(String),
    /// Refused: DATA itself (e.g. no valid recipients) or the message after the final dot.
    Rejected(Box<Diagnosis>),
}

/// The result of one `send`.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Each `--to` with its status, in order.
    pub recipients: Vec<(String, RecipientStatus)>,
    /// The message's fate.
    pub message: MessageStatus,
    /// The mechanism AUTH succeeded with.
    pub authenticated: Option<Mechanism>,
    /// Whether the session was encrypted at the end.
    pub tls: bool,
    /// What the engine refused to do before sending anything (no AUTH offered, SIZE over
    /// the limit, ...).
    pub refused: Option<UsageError>,
    /// Every diagnosis of the session, in order (refusals, engine aborts, failures).
    pub diagnoses: Vec<Diagnosis>,
    /// The command lines written in the same socket write as `MAIL FROM`: with PIPELINING
    /// (RFC 2920) MAIL, every RCPT and DATA; one by one, MAIL alone. Empty when no MAIL
    /// was written.
    pub envelope_group: Vec<String>,
}

impl Outcome {
    /// Recipients the message was delivered to.
    pub fn delivered(&self) -> usize {
        match self.message {
            MessageStatus::Accepted(_) => self
                .recipients
                .iter()
                .filter(|(_, status)| matches!(status, RecipientStatus::Accepted))
                .count(),
            _ => 0,
        }
    }

    /// Whether some diagnosis has this class id (`auth_failed`, `relay_denied`, ...).
    pub fn has_class(&self, class: &str) -> bool {
        self.diagnoses.iter().any(|d| d.class().as_str() == class)
    }

    /// 0 when the message was accepted for at least one recipient, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.delivered() == 0)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (address, status) in &self.recipients {
            match (status, &self.message) {
                (RecipientStatus::Accepted, MessageStatus::Accepted(reply)) => {
                    writeln!(f, "<{address}>: delivered ({reply})")?
                }
                (RecipientStatus::Accepted, _) => {
                    writeln!(f, "<{address}>: accepted, but the message was not")?
                }
                (RecipientStatus::Rejected(d), _) => {
                    writeln!(f, "<{address}>: refused: {}", d.summary())?
                }
                (RecipientStatus::Unanswered, _) => writeln!(f, "<{address}>: no answer")?,
            }
        }
        if let Some(refused) = &self.refused {
            writeln!(f, "not sent: {refused}")?;
        }
        for diagnosis in &self.diagnoses {
            writeln!(f, "\n{diagnosis}")?;
        }
        Ok(())
    }
}

/// What the drive loop must do after [`Session::on_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Write the pending output, then read or wait for the deadline.
    Io,
    /// Run the TLS handshake on the socket now, read no plaintext, then call
    /// `client.tls_established` (RFC 3207 s4).
    StartTls,
    /// The session is over: close the socket.
    Closed,
}

/// One message sent over one connection, without IO: the engine plus the reactions to its
/// events.
#[derive(Debug)]
pub struct Session {
    /// The engine; the drive loop feeds it and writes its output.
    pub client: Client,
    envelope: Envelope,
    message: Vec<u8>,
    credentials: Option<Credentials>,
    mechanism: Option<Mechanism>,
    declare_size: bool,
    auth: Option<CommandHandle>,
    handles: Option<MessageHandles>,
    outcome: Outcome,
}

impl Session {
    /// A session on a connection just opened (and, for implicit TLS, encrypted), whose
    /// local address is `local`.
    pub fn new(options: &Options, local: IpAddr, now: Instant) -> Result<Session, String> {
        let client_name = match &options.ehlo {
            Some(name) => name.clone(),
            // RFC 5321 s4.1.3: IPv6 literals carry the "IPv6:" tag.
            None if local.is_ipv6() => format!("[IPv6:{local}]"),
            None => format!("[{local}]"),
        };
        let client_name = Host::parse(&client_name).map_err(|e| format!("--ehlo: {e}"))?;
        let tls = match options.tls {
            TlsMode::StartTls => TlsPolicy::Required,
            TlsMode::Implicit => TlsPolicy::Implicit,
            TlsMode::None => TlsPolicy::None,
        };
        let mut config = Config::new(client_name)
            .with_tls(tls)
            .dangerous_allow_plaintext_auth(options.dangerous_plaintext_auth);
        if let Some(timeout) = options.timeout {
            config = config.with_timeouts(Timeouts::uniform(timeout));
        }
        if !options.pipelining {
            config = config.with_pipelining(Pipelining::Off);
        }
        let from = ReversePath::parse(&format!("<{}>", options.from.trim_matches(['<', '>'])))
            .map_err(|e| format!("--from {}: {e}", options.from))?;
        let to = options
            .to
            .iter()
            .map(|to| Mailbox::parse(to).map(ForwardPath::from))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("--to: {e}"))?;
        Ok(Session {
            client: Client::new(config, now),
            envelope: Envelope::new(from, to),
            message: options.message.clone(),
            credentials: options.credentials.clone(),
            mechanism: options.mechanism.clone(),
            declare_size: options.declare_size,
            auth: None,
            handles: None,
            outcome: Outcome {
                recipients: (options.to.iter())
                    .map(|to| (to.clone(), RecipientStatus::Unanswered))
                    .collect(),
                message: MessageStatus::NotSent,
                authenticated: None,
                tls: false,
                refused: None,
                diagnoses: Vec::new(),
                envelope_group: Vec::new(),
            },
        })
    }

    /// Drains the engine's events and reacts: AUTH when ready, the message after it, QUIT
    /// when the message is done or cannot be sent.
    pub fn on_events(&mut self, now: Instant) -> Next {
        loop {
            let event = match self.client.poll_event() {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(error) => {
                    self.outcome.diagnoses.push(error.diagnosis().clone());
                    return Next::Closed;
                }
            };
            match event {
                Event::StartTlsReady { .. } => return Next::StartTls,
                Event::Ready { .. } => match self.credentials.clone() {
                    Some(credentials) => {
                        let mechanism = self.mechanism.clone();
                        match self.client.authenticate(now, &credentials, mechanism) {
                            Ok(handle) => self.auth = Some(handle),
                            Err(refused) => self.refuse(now, refused),
                        }
                    }
                    None => self.send_message(now),
                },
                Event::Authenticated { mechanism, .. } => {
                    self.outcome.authenticated = Some(mechanism);
                    self.send_message(now);
                }
                Event::RecipientAccepted { handle, .. } => {
                    self.set_recipient(handle, RecipientStatus::Accepted);
                }
                Event::DataReady { .. } => {
                    // Only in step-by-step mode; send_mail sends its message by itself.
                    let message = std::mem::take(&mut self.message);
                    let sent = (self.client.send_data(now, &message))
                        .and_then(|()| self.client.finish_data(now));
                    if let Err(refused) = sent {
                        self.refuse(now, refused);
                    }
                }
                Event::MessageAccepted { reply, .. } => {
                    self.outcome.message = MessageStatus::Accepted(reply.text_lossy());
                    self.quit(now);
                }
                Event::Rejected(rejection) => {
                    let diagnosis = Box::new(rejection.diagnosis);
                    self.outcome.diagnoses.push((*diagnosis).clone());
                    let handle = rejection.handle;
                    if self.is_data(handle) {
                        self.outcome.message = MessageStatus::Rejected(diagnosis);
                        self.quit(now);
                    } else if self.auth == Some(handle) {
                        self.quit(now);
                    } else {
                        self.set_recipient(handle, RecipientStatus::Rejected(diagnosis));
                    }
                }
                Event::MessageNotSent { diagnosis, .. } => {
                    self.outcome.diagnoses.push(*diagnosis);
                    self.quit(now);
                }
                Event::Cancelled { handle, .. } if self.is_data(handle) => self.quit(now),
                // An abort after a refusal (STARTTLS, EHLO) repeats that refusal's diagnosis.
                Event::Closed {
                    reason:
                        CloseReason::Aborted { diagnosis }
                        | CloseReason::ServiceClosing { diagnosis, .. }
                        | CloseReason::ConnectionClosed { diagnosis },
                } if self.outcome.diagnoses.last() != Some(&diagnosis) => {
                    self.outcome.diagnoses.push(*diagnosis);
                }
                _ => {}
            }
        }
        self.outcome.tls = self.client.is_tls();
        if self.client.is_closed() {
            return Next::Closed;
        }
        if !self.client.wants_read() && self.client.pending_output().is_empty() {
            // Nothing in flight and nothing to say: end rather than wait for nothing.
            self.quit(now);
        }
        Next::Io
    }

    /// Call before writing `client.pending_output()`: records the envelope's write group.
    pub fn note_output(&mut self) {
        let bytes = self.client.pending_output();
        if self.outcome.envelope_group.is_empty() && bytes.starts_with(b"MAIL FROM:") {
            let text = String::from_utf8_lossy(bytes);
            let lines = text.split_terminator("\r\n").map(str::to_owned);
            self.outcome.envelope_group = lines.collect();
        }
    }

    /// The session failed on the socket or in TLS.
    pub fn io_failed(&mut self, error: &io::Error) {
        self.outcome.diagnoses.push(diagnose_io(error));
    }

    /// The outcome, once the session is over.
    pub fn finish(self) -> Outcome {
        self.outcome
    }

    fn send_message(&mut self, now: Instant) {
        let queued = if self.declare_size {
            self.client.send_mail(now, &self.envelope, &self.message)
        } else {
            self.send_step_by_step(now)
        };
        match queued {
            Ok(handles) => self.handles = Some(handles),
            Err(refused) => self.refuse(now, refused),
        }
    }

    /// MAIL (8BITMIME declared when needed, RFC 6152 s3; no SIZE), every RCPT, DATA; the
    /// message goes out on DataReady.
    fn send_step_by_step(&mut self, now: Instant) -> Result<MessageHandles, UsageError> {
        let mut params = MailParams::default();
        if !self.message.is_ascii() {
            params.body = Some(Body::EightBitMime);
        }
        let mail = self.client.mail(now, &self.envelope.from, params)?;
        let mut recipients = Vec::new();
        for (to, _) in &self.envelope.to {
            recipients.push(self.client.rcpt(now, to, RcptParams::default())?);
        }
        let data = self.client.data(now)?;
        Ok(MessageHandles {
            mail,
            recipients,
            data,
        })
    }

    fn refuse(&mut self, now: Instant, refused: UsageError) {
        self.outcome.diagnoses.extend(refused.diagnosis());
        self.outcome.refused = Some(refused);
        self.quit(now);
    }

    fn quit(&mut self, now: Instant) {
        // Refused only when QUIT is already on its way (the engine aborting) or the session
        // has ended: nothing more to do either way.
        let _ = self.client.quit(now);
    }

    fn is_data(&self, handle: CommandHandle) -> bool {
        self.handles.as_ref().is_some_and(|h| h.data == handle)
    }

    fn set_recipient(&mut self, handle: CommandHandle, status: RecipientStatus) {
        let handles = self.handles.as_ref().map_or(&[][..], |h| &h.recipients[..]);
        if let Some(i) = handles.iter().position(|h| *h == handle) {
            self.outcome.recipients[i].1 = status;
        }
    }
}
