//! What the blocking and the tokio adapters share: the machines they drive (a client
//! session that collects message outcomes, and the server check), the decision of what to do
//! next, and their error type. No IO here.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use crate::check::{Action, Check, TlsFacts};
use crate::client::{Client, CloseReason, Config, Event, MessageOutcome, UsageError};
use crate::diagnosis::{Diagnosis, classify_transport_error};
use crate::tls::TlsConnect;

/// Why an adapter could not give a session, or no longer has one. Refusals of messages are
/// not errors: they are [`MessageOutcome`]s with their diagnoses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The server could not be reached: name resolution, TCP connect.
    #[error("cannot connect to {server}: {source}")]
    Connect {
        /// The server as given.
        server: String,
        /// The socket's error.
        source: io::Error,
        /// What it means (`dns_failure`, `connection_refused`, `connection_timeout`, ...).
        diagnosis: Box<Diagnosis>,
    },
    /// The TLS handshake on connect (implicit TLS) failed.
    #[error("TLS with {server} failed: {}", diagnosis.summary())]
    Tls {
        /// The server as given.
        server: String,
        /// What it means (certificate, mode mismatch, version, ...).
        diagnosis: Box<Diagnosis>,
    },
    /// The session ended, or could not start: a refused greeting, TLS required but not
    /// offered, AUTH refused, a `421`, a hang-up, a timeout, a protocol error.
    #[error("the session ended: {}", Closing(reason))]
    Closed {
        /// Why.
        reason: CloseReason,
    },
    /// The engine refused what was asked (see [`UsageError`]).
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The configuration asks for TLS and no TLS library was given (enable the `rustls`
    /// feature, or pass a [`TlsConnect`]).
    #[error("TLS is required but no TLS implementation is available")]
    NoTls,
}

impl SessionError {
    /// What the failure means, when it has a diagnosis.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            SessionError::Connect { diagnosis, .. } | SessionError::Tls { diagnosis, .. } => {
                Some(diagnosis)
            }
            SessionError::Closed { reason } => reason.diagnosis(),
            SessionError::Usage(error) => {
                let _ = error;
                None
            }
            SessionError::NoTls => None,
        }
    }
}

/// A close reason in a few words, for [`SessionError`]'s message.
struct Closing<'a>(&'a CloseReason);

impl fmt::Display for Closing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.diagnosis() {
            Some(diagnosis) => f.write_str(diagnosis.summary()),
            None => f.write_str("QUIT"),
        }
    }
}

/// What the IO loop must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Write the pending output, or read until the machine's deadline.
    Io,
    /// Run the TLS handshake now, reading no plaintext first.
    StartTls,
    /// Nothing to write or read: the caller's turn.
    Idle,
    /// Over: close the socket.
    Done,
}

/// A sans-IO machine an adapter drives: the client session or the check.
pub(crate) trait Machine {
    fn pending_output(&self) -> &[u8];
    fn consume_output(&mut self, now: Instant, n: usize);
    fn receive(&mut self, now: Instant, bytes: &[u8]);
    fn receive_eof(&mut self, now: Instant);
    fn handle_timeout(&mut self, now: Instant);
    fn poll_timeout(&self) -> Option<Instant>;
    /// Takes the machine's events or actions and says what to do.
    fn next(&mut self, now: Instant) -> Next;
    /// The STARTTLS handshake ended.
    fn tls_done(&mut self, now: Instant, result: Result<TlsFacts, Box<Diagnosis>>);
    /// The socket failed.
    fn io_failed(&mut self, now: Instant, diagnosis: Diagnosis);
    /// How long a TLS handshake may take.
    fn handshake_timeout(&self) -> Duration;
}

/// A client session as the adapters' connections run it: the engine plus what its events
/// said (finished messages, the close reason, TLS facts).
#[derive(Debug)]
pub(crate) struct ClientSession {
    pub client: Client,
    /// Finishing events not yet claimed by the caller.
    pub finished: Vec<MessageOutcome>,
    pub closed: Option<CloseReason>,
    pub ready: bool,
    pub tls: Option<TlsFacts>,
}

impl ClientSession {
    pub fn new(client: Client) -> ClientSession {
        ClientSession {
            client,
            finished: Vec::new(),
            closed: None,
            ready: false,
            tls: None,
        }
    }

    /// Takes the finishing event of the message named by its MAIL handle, if it came.
    pub fn take_outcome(&mut self, mail: crate::client::CommandHandle) -> Option<MessageOutcome> {
        let position = self.finished.iter().position(|o| o.mail == mail)?;
        Some(self.finished.remove(position))
    }

    /// The error for a session that has ended.
    pub fn closed_error(&self) -> SessionError {
        let reason = self
            .closed
            .clone()
            .unwrap_or(CloseReason::Quit { reply: None });
        SessionError::Closed { reason }
    }
}

impl Machine for ClientSession {
    fn pending_output(&self) -> &[u8] {
        self.client.pending_output()
    }
    fn consume_output(&mut self, now: Instant, n: usize) {
        self.client.consume_output(now, n);
    }
    fn receive(&mut self, now: Instant, bytes: &[u8]) {
        self.client.receive(now, bytes);
    }
    fn receive_eof(&mut self, now: Instant) {
        self.client.receive_eof(now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }

    fn next(&mut self, _now: Instant) -> Next {
        while let Some(event) = self.client.poll_event() {
            match event {
                Event::StartTlsReady { .. } => return Next::StartTls,
                Event::Ready { .. } => self.ready = true,
                Event::MessageFinished(outcome) => self.finished.push(outcome),
                Event::Closed { reason } => self.closed = Some(reason),
                _ => {}
            }
        }
        if self.client.is_closed() {
            Next::Done
        } else if !self.client.pending_output().is_empty() || self.client.wants_read() {
            Next::Io
        } else {
            Next::Idle
        }
    }

    fn tls_done(&mut self, now: Instant, result: Result<TlsFacts, Box<Diagnosis>>) {
        match result {
            Ok(facts) => {
                self.tls = Some(facts);
                if let Err(error) = self.client.tls_established(now) {
                    let _ = error;
                }
            }
            Err(diagnosis) => self.client.tls_failed(now, *diagnosis),
        }
    }

    fn io_failed(&mut self, now: Instant, diagnosis: Diagnosis) {
        self.client.connection_lost(now, diagnosis);
    }

    fn handshake_timeout(&self) -> Duration {
        self.client.config().timeouts.other
    }
}

impl Machine for Check {
    fn pending_output(&self) -> &[u8] {
        Check::pending_output(self)
    }
    fn consume_output(&mut self, now: Instant, n: usize) {
        Check::consume_output(self, now, n);
    }
    fn receive(&mut self, now: Instant, bytes: &[u8]) {
        Check::receive(self, now, bytes);
    }
    fn receive_eof(&mut self, now: Instant) {
        Check::receive_eof(self, now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Check::handle_timeout(self, now);
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Check::poll_timeout(self)
    }

    fn next(&mut self, _now: Instant) -> Next {
        match self.poll_action() {
            Some(Action::StartTls) => Next::StartTls,
            Some(Action::Close) => Next::Done,
            _ if self.is_done() => Next::Done,
            _ => Next::Io,
        }
    }

    fn tls_done(&mut self, now: Instant, result: Result<TlsFacts, Box<Diagnosis>>) {
        match result {
            Ok(facts) => self.tls_established(now, facts),
            Err(diagnosis) => self.tls_failed(now, *diagnosis),
        }
    }

    fn io_failed(&mut self, now: Instant, diagnosis: Diagnosis) {
        self.transport_failed(now, diagnosis);
    }

    fn handshake_timeout(&self) -> Duration {
        self.options().timeouts.other
    }
}

/// `HOST:PORT`, `[IPv6]:PORT` or `HOST` (then `default_port`): the host (also the TLS
/// server name) and the port.
pub(crate) fn split_server(server: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{server:?}: missing ']'"))?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(format!("{server:?}: expected ':PORT' after ']'")),
        }
    } else {
        match server.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            _ => (server, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{server:?}: no host"));
    }
    let port = match port {
        Some(port) => port
            .parse()
            .map_err(|_| format!("{server:?}: {port:?} is not a port number"))?,
        None => default_port,
    };
    Ok((host.to_owned(), port))
}

/// The usual port for a TLS policy: 465 for implicit TLS, 587 (submission with STARTTLS)
/// otherwise, 25 for plaintext.
pub(crate) fn default_port(config: &Config) -> u16 {
    match config.tls {
        crate::client::TlsPolicy::Implicit => 465,
        crate::client::TlsPolicy::None => 25,
        _ => 587,
    }
}

/// The connect error for a socket error.
pub(crate) fn connect_error(server: &str, source: io::Error) -> SessionError {
    let diagnosis = classify_transport_error(source.kind(), &source.to_string());
    SessionError::Connect {
        server: server.to_owned(),
        source,
        diagnosis: Box::new(diagnosis),
    }
}

/// The client configuration with a fresh SCRAM nonce when the TLS library can make one and
/// the caller gave none.
pub(crate) fn with_nonce(mut config: Config, tls: Option<&dyn TlsConnect>) -> Config {
    if config.sasl_options.client_nonce.is_none()
        && let Some(tls) = tls
    {
        let mut random = [0u8; 18];
        if tls.random(&mut random) {
            use base64::Engine;
            let nonce = base64::engine::general_purpose::STANDARD.encode(random);
            config.sasl_options = config.sasl_options.clone().with_client_nonce(nonce);
        }
    }
    config
}

/// The configuration with the connection's own address as the client name when the caller
/// gave the unspecified address (`[0.0.0.0]` or `[IPv6:::]`): RFC 5321 s4.1.4, a client
/// without a name of its own sends the literal of its address.
pub(crate) fn with_local_name(mut config: Config, local: Option<std::net::IpAddr>) -> Config {
    use crate::address::{AddressLiteral, Host};
    let unspecified = matches!(
        &config.client_name,
        Host::Literal(AddressLiteral::Ipv4(ip)) if ip.is_unspecified()
    ) || matches!(
        &config.client_name,
        Host::Literal(AddressLiteral::Ipv6(ip)) if ip.is_unspecified()
    );
    if let (true, Some(local)) = (unspecified, local) {
        config.client_name = match local {
            std::net::IpAddr::V4(ip) => Host::Literal(AddressLiteral::Ipv4(ip)),
            std::net::IpAddr::V6(ip) => Host::Literal(AddressLiteral::Ipv6(ip)),
        };
    }
    config
}

/// The socket error as a diagnosis for the machine.
pub(crate) fn io_diagnosis(error: &io::Error) -> Diagnosis {
    classify_transport_error(error.kind(), &error.to_string())
}

/// The moment a wait must end: the machine's deadline, or `fallback` from now when it has
/// none (a handshake, or output written while nothing is armed).
pub(crate) fn deadline_or(deadline: Option<Instant>, fallback: Duration) -> Instant {
    deadline.unwrap_or_else(|| Instant::now() + fallback)
}
