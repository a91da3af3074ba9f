//! Sends one message through the sans-IO engine over a blocking `std::net::TcpStream` and
//! rustls: the whole glue a program needs, in one drive loop.
//!
//! ```text
//! SMTP_PASSWORD=... cargo run --example send_std -- --server smtp.example.com:587 \
//!     --user me@example.com --password-env SMTP_PASSWORD \
//!     --from me@example.com --to you@example.org --body message.eml
//! ```
//!
//! The caller owns the socket and the clock: it writes `pending_output` and reports it with
//! `consume_output`, feeds what it reads to `receive`, sets the socket's read timeout from
//! `poll_timeout` and calls `handle_timeout` when it fires. On `StartTlsReady` it runs the
//! TLS handshake and calls `tls_established`. Flags: see `support/send.rs` (`USAGE`).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};

#[path = "support/send.rs"]
pub mod support;

use support::{Next, Options, Outcome, Session, TlsMode};

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("send_std: {message}\n{}", support::USAGE);
            return ExitCode::from(2);
        }
    };
    match send(&options) {
        Ok(outcome) => {
            print!("{outcome}");
            ExitCode::from(outcome.exit_code())
        }
        Err(err) => {
            eprintln!("send_std: {err}\n\n{}", support::diagnose_io(&err));
            ExitCode::from(1)
        }
    }
}

/// Connects, sends the message, quits. `Err` when no session could start (connect, TLS on
/// connect, bad options); failures during the session are diagnosed in the [`Outcome`].
pub fn send(options: &Options) -> io::Result<Outcome> {
    let timeout = options.io_timeout();
    let mut addrs = options.server.to_socket_addrs()?;
    let addr = addrs.next().ok_or(io::ErrorKind::AddrNotAvailable)?;
    let tcp = TcpStream::connect_timeout(&addr, timeout)?;
    tcp.set_write_timeout(Some(timeout))?;
    // The same socket as `tcp`, kept to set read timeouts once TLS owns `tcp`.
    let control = tcp.try_clone()?;
    let local = tcp.local_addr()?.ip();
    let new_session = || Session::new(options, local, Instant::now()).map_err(io::Error::other);

    if options.tls == TlsMode::Implicit {
        let mut tls = handshake(tcp, options)?;
        let mut session = new_session()?;
        if let Err(err) = drive(&mut tls, &control, &mut session, timeout) {
            session.io_failed(&err);
        }
        return Ok(session.finish());
    }
    let mut session = new_session()?;
    let mut tcp = tcp;
    match drive(&mut tcp, &control, &mut session, timeout) {
        Ok(Next::StartTls) => {
            let started = handshake(tcp, options).and_then(|mut tls| {
                session
                    .client
                    .tls_established(Instant::now())
                    .map_err(io::Error::other)?;
                drive(&mut tls, &control, &mut session, timeout)
            });
            if let Err(err) = started {
                session.io_failed(&err);
            }
        }
        Ok(_) => {}
        Err(err) => session.io_failed(&err),
    }
    Ok(session.finish())
}

/// A TLS client session on `tcp`, handshake done (each socket read bounded by the timeout).
fn handshake(
    mut tcp: TcpStream,
    options: &Options,
) -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
    let mut conn = ClientConnection::new(options.tls_config()?, options.server_name()?)
        .map_err(io::Error::other)?;
    tcp.set_read_timeout(Some(options.io_timeout()))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)?;
    }
    Ok(StreamOwned::new(conn, tcp))
}

/// The drive loop: events, then writes, then one read bounded by the engine's deadline.
/// Returns when the session ends or the engine asks for a TLS handshake.
fn drive(
    stream: &mut (impl Read + Write),
    control: &TcpStream,
    session: &mut Session,
    timeout: Duration,
) -> io::Result<Next> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let next = session.on_events(Instant::now());
        if next != Next::Io {
            return Ok(next);
        }
        while !session.client.pending_output().is_empty() {
            session.note_output();
            let n = stream.write(session.client.pending_output())?;
            session.client.consume_output(Instant::now(), n);
        }
        stream.flush()?;
        if session.client.is_closed() {
            continue;
        }
        let now = Instant::now();
        let wait = session
            .client
            .poll_timeout()
            .map_or(timeout, |t| t.saturating_duration_since(now));
        control.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match stream.read(&mut buf) {
            Ok(0) => session.client.receive_eof(Instant::now()),
            Ok(n) => session.client.receive(Instant::now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                session.client.handle_timeout(Instant::now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // A TLS peer that closes without close_notify: an EOF like any other.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                session.client.receive_eof(Instant::now());
            }
            Err(e) => return Err(e),
        }
    }
}
