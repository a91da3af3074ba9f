//! Sends one message through the sans-IO engine over tokio and tokio-rustls, reading and
//! writing at once: one `select!` over the socket read, the write of the engine's pending
//! output, and the engine's next deadline.
//!
//! ```text
//! SMTP_PASSWORD=... cargo run --example send_tokio -- --server smtp.example.com:465 --tls implicit \
//!     --user me@example.com --password-env SMTP_PASSWORD \
//!     --from me@example.com --to you@example.org --body message.eml
//! ```
//!
//! Flags as `send_std` (see `support/send.rs`, `USAGE`).

use std::io;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

#[path = "support/send.rs"]
pub mod support;

use support::{Next, Options, Outcome, Session, TlsMode};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("send_tokio: {message}\n{}", support::USAGE);
            return ExitCode::from(2);
        }
    };
    match send(&options).await {
        Ok(outcome) => {
            print!("{outcome}");
            ExitCode::from(outcome.exit_code())
        }
        Err(err) => {
            eprintln!("send_tokio: {err}\n\n{}", support::diagnose_io(&err));
            ExitCode::from(1)
        }
    }
}

/// Connects, sends the message, quits. `Err` when no session could start (connect, TLS on
/// connect, bad options); failures during the session are diagnosed in the [`Outcome`].
pub async fn send(options: &Options) -> io::Result<Outcome> {
    let connect = TcpStream::connect(&options.server);
    let tcp = timeout(options.io_timeout(), connect).await??;
    let local = tcp.local_addr()?.ip();
    let new_session = || Session::new(options, local, Instant::now()).map_err(io::Error::other);

    if options.tls == TlsMode::Implicit {
        let tls = handshake(tcp, options).await?;
        let mut session = new_session()?;
        if let Err(err) = drive(tls, &mut session, options.io_timeout()).await {
            session.io_failed(&err);
        }
        return Ok(session.finish());
    }
    let mut session = new_session()?;
    match drive(tcp, &mut session, options.io_timeout()).await {
        Ok((tcp, Next::StartTls)) => {
            let started = match handshake(tcp, options).await {
                Ok(tls) => match session.client.tls_established(Instant::now()) {
                    Ok(()) => drive(tls, &mut session, options.io_timeout())
                        .await
                        .map(|_| ()),
                    Err(err) => Err(io::Error::other(err)),
                },
                Err(err) => Err(err),
            };
            if let Err(err) = started {
                session.io_failed(&err);
            }
        }
        Ok(_) => {}
        Err(err) => session.io_failed(&err),
    }
    Ok(session.finish())
}

/// A TLS client session on `tcp`, handshake done within the timeout.
async fn handshake(tcp: TcpStream, options: &Options) -> io::Result<TlsStream<TcpStream>> {
    let connector = TlsConnector::from(options.tls_config()?);
    let handshake = connector.connect(options.server_name()?, tcp);
    timeout(options.io_timeout(), handshake).await?
}

/// The drive loop: events, then whichever comes first of a read, a write of the pending
/// output and the engine's deadline. Returns the stream when the session ends or the
/// engine asks for a TLS handshake.
async fn drive<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    session: &mut Session,
    io_timeout: Duration,
) -> io::Result<(S, Next)> {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut buf = vec![0u8; 16 * 1024];
    // Bytes a TLS writer accepted but may not have put on the socket yet.
    let mut unflushed = false;
    let next = loop {
        let next = session.on_events(Instant::now());
        if next != Next::Io {
            break next;
        }
        session.note_output();
        let output = session.client.pending_output();
        let deadline = session.client.poll_timeout();
        tokio::select! {
            // One write or one flush per turn: either is safe to cancel when the read or
            // the deadline wins.
            written = async {
                if output.is_empty() {
                    writer.flush().await.map(|()| None)
                } else {
                    writer.write(output).await.map(Some)
                }
            }, if !output.is_empty() || unflushed => match written? {
                Some(n) => {
                    session.client.consume_output(Instant::now(), n);
                    unflushed = true;
                }
                None => unflushed = false,
            },
            read = reader.read(&mut buf) => match read {
                Ok(0) => session.client.receive_eof(Instant::now()),
                Ok(n) => session.client.receive(Instant::now(), &buf[..n]),
                // A TLS peer that closes without close_notify: an EOF like any other.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    session.client.receive_eof(Instant::now());
                }
                Err(e) => return Err(e),
            },
            () = sleep_until(deadline.unwrap_or_else(|| Instant::now() + io_timeout).into()) => {
                if deadline.is_none() {
                    // The engine awaits nothing, yet the socket made no progress.
                    return Err(io::ErrorKind::TimedOut.into());
                }
                session.client.handle_timeout(Instant::now());
            }
        }
    };
    Ok((reader.unsplit(writer), next))
}
