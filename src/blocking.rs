//! The drive loop done once, right, over blocking `std::io` sockets (feature `blocking`).
//!
//! [`Connection`] connects (TCP, then STARTTLS or implicit TLS and AUTH as the [`Config`]
//! says), sends messages and quits; [`check`] checks a server and returns its [`Report`].
//! Every read and write is bounded by the engine's deadline as a hard stop: the socket's
//! timeout is set to the time left before that fixed instant on every call, so a server that
//! trickles bytes (a TLS record one octet a second) or stops reading cannot hold the session
//! past it. Refusals are outcomes with diagnoses; `Err` only where no session could be had.
//!
//! ```no_run
//! use smtp_sansio::blocking::Connection;
//! use smtp_sansio::{Config, Credentials, Envelope, Host};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::new(Host::parse("client.example.org")?)
//!     .with_credentials(Credentials::password("me@example.org", "app password"));
//! let mut smtp = Connection::connect("smtp.example.org:587", config)?;
//! let envelope = Envelope::parse("me@example.org", ["you@example.net"])?;
//! let outcome = smtp.send(&envelope, b"Subject: hello\r\n\r\nHello.\r\n")?;
//! if let Some(why) = outcome.diagnosis() {
//!     eprintln!("{why}");
//! }
//! smtp.quit()?;
//! # Ok(())
//! # }
//! ```

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::adapter::{
    ClientSession, Machine, Next, SessionError, connect_error, deadline_or, default_port,
    io_diagnosis, split_server, with_local_name, with_nonce,
};
use crate::check::{Check, CheckOptions, CheckTls, Report, TlsFacts};
use crate::client::{Client, CloseReason, Config, Envelope, Handshake, MessageOutcome, TlsPolicy};
use crate::diagnosis::{Diagnosis, classify_tls_error, classify_transport_error};
use crate::tls::{TlsConnect, TlsSession};

/// A blocking byte stream whose reads and writes can be bounded in time.
pub trait Socket: Read + Write + Send {
    /// Bounds the next reads (`None`: no bound).
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    /// Bounds the next writes (`None`: no bound).
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Socket for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }
}

#[cfg(unix)]
impl Socket for std::os::unix::net::UnixStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, timeout)
    }
}

/// The time left before `deadline`, at least a millisecond (a zero timeout means "none" to
/// the socket); `TimedOut` once it has passed.
fn time_left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(left.max(Duration::from_millis(1)))
}

/// A socket, plaintext or with a TLS session over it.
struct Link<S> {
    socket: S,
    tls: Option<Box<dyn TlsSession>>,
    cipher: Vec<u8>,
    buf: Vec<u8>,
    plain: Vec<u8>,
}

impl<S: Socket> Link<S> {
    fn new(socket: S) -> Link<S> {
        Link {
            socket,
            tls: None,
            cipher: Vec::new(),
            buf: vec![0; 16 * 1024],
            plain: vec![0; 16 * 1024],
        }
    }

    /// Reads what the socket has, waiting no later than `deadline`.
    fn read_by(&mut self, deadline: Instant) -> io::Result<usize> {
        loop {
            self.socket.set_read_timeout(Some(time_left(deadline)?))?;
            match self.socket.read(&mut self.buf) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Writes all of `bytes` to the socket, giving up at `deadline`.
    fn write_all_by(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            self.socket.set_write_timeout(Some(time_left(deadline)?))?;
            match self.socket.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        self.socket.flush()
    }

    /// Writes the TLS session's pending ciphertext.
    fn flush_tls(&mut self, deadline: Instant) -> io::Result<()> {
        let Some(tls) = &mut self.tls else {
            return Ok(());
        };
        let mut cipher = std::mem::take(&mut self.cipher);
        cipher.clear();
        tls.take_tls(&mut cipher);
        let written = self.write_all_by(&cipher, deadline);
        self.cipher = cipher;
        written
    }

    /// Runs a TLS handshake for `server_name`, bounded by `deadline`.
    fn handshake(
        &mut self,
        connector: &dyn TlsConnect,
        server_name: &str,
        deadline: Instant,
    ) -> Result<TlsFacts, Box<Diagnosis>> {
        self.tls = Some(connector.connect(server_name)?);
        let failed = |error: &io::Error| {
            if matches!(
                error.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) {
                tls_diag("the TLS handshake timed out (handshake)")
            } else {
                Box::new(classify_transport_error(error.kind(), &error.to_string()))
            }
        };
        loop {
            self.flush_tls(deadline).map_err(|e| failed(&e))?;
            let Some(tls) = &self.tls else {
                return Err(tls_diag("the TLS session is gone"));
            };
            if !tls.is_handshaking() {
                return Ok(tls.facts());
            }
            let n = self.read_by(deadline).map_err(|e| failed(&e))?;
            if n == 0 {
                return Err(tls_diag(
                    "the server closed the connection during the TLS handshake (unexpected eof, handshake)",
                ));
            }
            if let Some(tls) = &mut self.tls
                && let Err(diagnosis) = tls.receive_tls(&self.buf[..n])
            {
                // Best effort: tell the server why (an alert).
                let _ = self.flush_tls(deadline);
                return Err(diagnosis);
            }
        }
    }

    /// Writes the machine's output, as far as the socket takes it before the deadline.
    fn write_output<M: Machine>(&mut self, machine: &mut M) -> io::Result<()> {
        let deadline = deadline_or(machine.poll_timeout(), machine.handshake_timeout());
        match &mut self.tls {
            None => {
                self.socket.set_write_timeout(Some(time_left(deadline)?))?;
                match self.socket.write(machine.pending_output()) {
                    Ok(0) => Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        machine.consume_output(Instant::now(), n);
                        Ok(())
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
                    Err(error) => Err(error),
                }
            }
            Some(tls) => {
                let taken = tls.write_plaintext(machine.pending_output());
                machine.consume_output(Instant::now(), taken);
                self.flush_tls(deadline)
            }
        }
    }

    /// Hands the machine plaintext the TLS session already holds (data that came in the
    /// same read as the end of the handshake, or after a partial delivery); whether any did.
    fn deliver_buffered<M: Machine>(&mut self, machine: &mut M) -> bool {
        let mut delivered = false;
        while let Some(tls) = &mut self.tls {
            match tls.read_plaintext(&mut self.plain) {
                Some(0) => {
                    machine.receive_eof(Instant::now());
                    return true;
                }
                Some(n) => {
                    machine.receive(Instant::now(), &self.plain[..n]);
                    delivered = true;
                }
                None => break,
            }
        }
        delivered
    }

    /// Reads what arrives before `deadline` and feeds it to the machine.
    fn read_input<M: Machine>(&mut self, machine: &mut M, deadline: Instant) {
        if self.deliver_buffered(machine) {
            return;
        }
        let n = match self.read_by(deadline) {
            Ok(n) => n,
            Err(error) => {
                on_io_error(machine, &error);
                return;
            }
        };
        let now = Instant::now();
        if n == 0 {
            machine.receive_eof(now);
            return;
        }
        let Some(tls) = &mut self.tls else {
            machine.receive(now, &self.buf[..n]);
            return;
        };
        if let Err(diagnosis) = tls.receive_tls(&self.buf[..n]) {
            let _ = self.flush_tls(deadline);
            machine.io_failed(now, *diagnosis);
            return;
        }
        loop {
            let Some(tls) = &mut self.tls else {
                return;
            };
            match tls.read_plaintext(&mut self.plain) {
                Some(0) => {
                    machine.receive_eof(now);
                    return;
                }
                Some(k) => machine.receive(now, &self.plain[..k]),
                None => break,
            }
        }
        // Key updates, session tickets' acknowledgements: sent at once.
        if let Err(error) = self.flush_tls(deadline) {
            on_io_error(machine, &error);
        }
    }
}

/// A socket error: a deadline that passed (the machine decides what it means) or a failure.
fn on_io_error<M: Machine>(machine: &mut M, error: &io::Error) {
    let now = Instant::now();
    if matches!(
        error.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    ) {
        match machine.poll_timeout() {
            Some(deadline) if deadline <= now => machine.handle_timeout(now),
            Some(_) => {}
            None => machine.io_failed(now, io_diagnosis(error)),
        }
    } else {
        machine.io_failed(now, io_diagnosis(error));
    }
}

/// Drives `machine` until it is done, idle, or `stop` says so.
fn drive<M: Machine, S: Socket>(
    machine: &mut M,
    link: &mut Link<S>,
    tls: Option<&dyn TlsConnect>,
    server_name: &str,
    mut stop: impl FnMut(&mut M) -> bool,
) -> Next {
    loop {
        let next = machine.next(Instant::now());
        match next {
            Next::Done => return Next::Done,
            Next::StartTls => {
                let deadline = Instant::now() + machine.handshake_timeout();
                let result = match tls {
                    Some(tls) => link.handshake(tls, server_name, deadline),
                    None => Err(tls_diag(
                        "no TLS implementation is available for STARTTLS (handshake)",
                    )),
                };
                machine.tls_done(Instant::now(), result);
                continue;
            }
            Next::Io | Next::Idle => {}
        }
        if stop(machine) {
            return next;
        }
        if !machine.pending_output().is_empty() {
            if let Err(error) = link.write_output(machine) {
                on_io_error(machine, &error);
            }
            continue;
        }
        if next == Next::Idle {
            return Next::Idle;
        }
        match machine.poll_timeout() {
            Some(deadline) if deadline <= Instant::now() => {
                machine.handle_timeout(Instant::now());
            }
            Some(deadline) => link.read_input(machine, deadline),
            None => return Next::Idle,
        }
    }
}

/// Resolves `host` and connects to its addresses in turn (IPv6 and IPv4 alike), each attempt
/// bounded by `timeout`; the last error when none answers.
fn connect_tcp(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    connect_addresses(&addrs, timeout)
}

/// Connects to each address in turn, each attempt bounded by `timeout`; the last error when
/// none answers.
fn connect_addresses(addresses: &[SocketAddr], timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for addr in addresses {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// The TLS connector used when the caller gives none: rustls with the WebPKI roots.
fn default_tls() -> Result<Option<Arc<dyn TlsConnect>>, SessionError> {
    #[cfg(feature = "rustls")]
    {
        let connector = crate::tls::TlsConnector::new().map_err(|error| SessionError::Tls {
            server: String::new(),
            diagnosis: Box::new(classify_tls_error(&error.to_string())),
        })?;
        Ok(Some(Arc::new(connector)))
    }
    #[cfg(not(feature = "rustls"))]
    {
        Ok(None)
    }
}

/// One SMTP session over a blocking socket: connect, send messages, quit.
pub struct Connection<S: Socket = TcpStream> {
    session: ClientSession,
    link: Link<S>,
    host: String,
    tls: Option<Arc<dyn TlsConnect>>,
}

impl<S: Socket> std::fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("client", &self.session.client)
            .finish_non_exhaustive()
    }
}

impl Connection<TcpStream> {
    /// Connects to `server` (`HOST:PORT`; without a port: 465 for implicit TLS, 587
    /// otherwise, 25 without TLS; every address of the name in turn) and runs the session until it is ready to send: greeting,
    /// EHLO, STARTTLS or implicit TLS, and AUTH with [`Config::credentials`], as the
    /// configuration says. TLS is rustls with the WebPKI roots (feature `rustls`); use
    /// [`Connection::connect_with`] for another trust store or TLS library.
    pub fn connect(server: &str, config: Config) -> Result<Connection<TcpStream>, SessionError> {
        Connection::connect_with(server, config, default_tls()?)
    }

    /// [`Connection::connect`] with the caller's TLS ([`TlsConnector`](crate::tls::TlsConnector)
    /// with a CA file, or any [`TlsConnect`]); `None` for plaintext only.
    pub fn connect_with(
        server: &str,
        config: Config,
        tls: Option<Arc<dyn TlsConnect>>,
    ) -> Result<Connection<TcpStream>, SessionError> {
        let (host, port) = split_server(server, default_port(&config)).map_err(|message| {
            connect_error(server, io::Error::new(io::ErrorKind::InvalidInput, message))
        })?;
        if config.tls != TlsPolicy::None && tls.is_none() {
            return Err(SessionError::NoTls);
        }
        let socket = connect_tcp(&host, port, config.timeouts.greeting)
            .map_err(|error| connect_error(server, error))?;
        let config = with_local_name(config, socket.local_addr().ok().map(|a| a.ip()));
        Connection::from_socket(socket, &host, config, tls)
    }
}

impl<S: Socket> Connection<S> {
    /// Runs a session over a socket the caller opened (`server_name`: the name the TLS
    /// certificate must carry), until it is ready to send. See [`Connection::connect`].
    pub fn from_socket(
        socket: S,
        server_name: &str,
        config: Config,
        tls: Option<Arc<dyn TlsConnect>>,
    ) -> Result<Connection<S>, SessionError> {
        if config.tls != TlsPolicy::None && tls.is_none() {
            return Err(SessionError::NoTls);
        }
        let mut config = with_nonce(config, tls.as_deref());
        config.handshake = Handshake::Automatic;
        let mut link = Link::new(socket);
        let mut facts = None;
        if config.tls == TlsPolicy::Implicit
            && let Some(connector) = &tls
        {
            let deadline = Instant::now() + config.timeouts.greeting;
            let established = link
                .handshake(connector.as_ref(), server_name, deadline)
                .map_err(|diagnosis| SessionError::Tls {
                    server: server_name.to_owned(),
                    diagnosis,
                })?;
            facts = Some(established);
        }
        let mut session = ClientSession::new(Client::new(config, Instant::now()));
        session.tls = facts;
        let mut connection = Connection {
            session,
            link,
            host: server_name.to_owned(),
            tls,
        };
        connection.run(|session| session.ready);
        if connection.session.ready {
            Ok(connection)
        } else {
            Err(connection.session.closed_error())
        }
    }

    /// The engine (capabilities, whether TLS is active, the AUTH mechanism used, ...).
    pub fn client(&self) -> &Client {
        &self.session.client
    }

    /// The TLS session's facts (protocol, cipher, certificate), once TLS is active.
    pub fn tls(&self) -> Option<&TlsFacts> {
        self.session.tls.as_ref()
    }

    /// Sends one message and returns its outcome: accepted (for which recipients), refused
    /// (with its diagnosis), not sent, or unconfirmed. `Err` only when the session had already
    /// ended or the engine refuses the request (no recipient, a full queue).
    pub fn send(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<MessageOutcome, SessionError> {
        let mut outcomes = self.send_all([(envelope, message)])?;
        outcomes.pop().ok_or_else(|| self.session.closed_error())
    }

    /// Sends several messages one transaction after another on this connection, pipelined
    /// when the server allows it; their outcomes, in order.
    pub fn send_all<'a, I>(&mut self, messages: I) -> Result<Vec<MessageOutcome>, SessionError>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    {
        if self.session.client.has_ended() {
            return Err(self.session.closed_error());
        }
        let mut handles = Vec::new();
        for (envelope, message) in messages {
            loop {
                match self
                    .session
                    .client
                    .send_mail(Instant::now(), envelope, message)
                {
                    Ok(queued) => {
                        handles.push(queued.mail);
                        break;
                    }
                    Err(crate::client::UsageError::QueueFull { .. }) => {
                        // Let the queue drain a little before handing over more.
                        let before = self.session.finished.len();
                        let next = self.run(|session| session.finished.len() > before);
                        if next == Next::Done {
                            break;
                        }
                    }
                    Err(error) if self.session.client.has_ended() => {
                        let _ = error;
                        break;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        let wanted = handles.clone();
        self.run(|session| {
            wanted
                .iter()
                .all(|mail| session.finished.iter().any(|o| o.mail == *mail))
        });
        let mut outcomes = Vec::with_capacity(handles.len());
        for mail in handles {
            match self.session.take_outcome(mail) {
                Some(outcome) => outcomes.push(outcome),
                None => return Err(self.session.closed_error()),
            }
        }
        Ok(outcomes)
    }

    /// Ends the session with QUIT (after any messages still queued) and closes it. `Ok`
    /// when it ended cleanly; otherwise why it did not.
    pub fn quit(mut self) -> Result<(), SessionError> {
        if !self.session.client.has_ended() {
            let _ = self.session.client.quit(Instant::now());
            self.run(|_| false);
        }
        if let Some(tls) = &mut self.link.tls {
            tls.close();
            let _ = self
                .link
                .flush_tls(Instant::now() + Duration::from_millis(100));
        }
        match &self.session.closed {
            Some(CloseReason::Quit { .. }) => Ok(()),
            _ => Err(self.session.closed_error()),
        }
    }

    fn run(&mut self, stop: impl FnMut(&mut ClientSession) -> bool) -> Next {
        drive(
            &mut self.session,
            &mut self.link,
            self.tls.as_deref(),
            &self.host,
            stop,
        )
    }
}

/// Checks a server the way an expert would with telnet (see [`Check`]) over a blocking
/// socket to `options.server` (`HOST:PORT`, default port 25), with `tls` for STARTTLS or
/// implicit TLS. Every failure, connecting included, is in the report.
pub fn check(options: CheckOptions, tls: Option<Arc<dyn TlsConnect>>) -> Report {
    let mut check = Check::new(options.clone(), Instant::now());
    let (host, port) = match split_server(&options.server, options.port.unwrap_or(25)) {
        Ok(target) => target,
        Err(message) => {
            let diagnosis = classify_transport_error(io::ErrorKind::InvalidInput, &message);
            check.connection_failed(Instant::now(), diagnosis);
            return check.into_report();
        }
    };
    let socket = connect_tcp(&host, port, options.timeouts.greeting);
    run_check(check, socket, &host, tls)
}

/// [`check`] of a server whose addresses the caller resolved (with its own resolver, as a
/// domain check does for an MX): each address is tried in turn, and the certificate must
/// carry `tls_name` (the MX host name, RFC 7672 s3.2.2 and RFC 8461 s4.2 practice), whatever
/// `options.server` says. [`Report::address`] says which address answered.
pub fn check_at(
    options: CheckOptions,
    addresses: &[SocketAddr],
    tls_name: &str,
    tls: Option<Arc<dyn TlsConnect>>,
) -> Report {
    let check = Check::new(options.clone(), Instant::now());
    let socket = connect_addresses(addresses, options.timeouts.greeting);
    run_check(check, socket, tls_name, tls)
}

fn run_check(
    mut check: Check,
    socket: io::Result<TcpStream>,
    tls_name: &str,
    tls: Option<Arc<dyn TlsConnect>>,
) -> Report {
    let options = check.options().clone();
    let socket = match socket {
        Ok(socket) => socket,
        Err(error) => {
            check.connection_failed(Instant::now(), io_diagnosis(&error));
            return check.into_report();
        }
    };
    let address = socket.peer_addr().ok();
    let mut link = Link::new(socket);
    if options.tls == CheckTls::Implicit {
        let deadline = Instant::now() + options.timeouts.greeting;
        let result = match &tls {
            Some(connector) => link.handshake(connector.as_ref(), tls_name, deadline),
            None => Err(tls_diag(
                "no TLS implementation is available for implicit TLS (handshake)",
            )),
        };
        match result {
            Ok(facts) => check.connected(Instant::now(), Some(facts)),
            Err(diagnosis) => {
                check.connection_failed(Instant::now(), *diagnosis);
                let mut report = check.into_report();
                report.address = address;
                return report;
            }
        }
    } else {
        check.connected(Instant::now(), None);
    }
    drive(&mut check, &mut link, tls.as_deref(), tls_name, |_| false);
    let mut report = check.into_report();
    report.address = address;
    report
}

/// A TLS failure described in words, as a diagnosis.
fn tls_diag(description: &str) -> Box<Diagnosis> {
    Box::new(classify_tls_error(description))
}
