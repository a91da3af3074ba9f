//! The `check` example's IO: std sockets and rustls around the library's sans-IO [`Check`].
//! Everything SMTP happens in the library; this file only moves bytes, runs TLS handshakes
//! when asked and reads the clock.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};

use crate::stream;

type Stream = stream::Stream<ClientConnection>;
use smtp_sansio::{
    Action, Check, CheckOptions, CheckTls, Report, classify_tls_error, classify_transport_error,
};

use crate::tls::{TlsClient, TlsSettings};

/// Where to connect.
#[derive(Debug, Clone)]
pub struct Target {
    /// Host name or IP address (also the TLS server name).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Target {
    /// Reads `HOST:PORT`, `[IPv6]:PORT` or `HOST` (port `default_port`).
    pub fn parse(text: &str, default_port: u16) -> Result<Target, String> {
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{text:?}: missing ']'"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(format!("{text:?}: expected ':PORT' after ']'")),
            }
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                _ => (text, None),
            }
        };
        if host.is_empty() {
            return Err(format!("{text:?}: no host"));
        }
        let port = match port {
            Some(port) => port
                .parse()
                .map_err(|_| format!("{text:?}: {port:?} is not a port number"))?,
            None => default_port,
        };
        Ok(Target {
            host: host.to_owned(),
            port,
        })
    }
}

/// Runs a whole check of `target` and returns its report. Every wait is bounded by
/// `io_timeout` (connect, each handshake) or by the check's own reply deadlines.
pub fn run(
    options: CheckOptions,
    target: &Target,
    tls: &TlsSettings,
    io_timeout: Duration,
) -> Report {
    let implicit = options.tls == CheckTls::Implicit;
    let mut check = Check::new(options, Instant::now());
    let tls = match TlsClient::new(tls) {
        Ok(tls) => tls,
        Err(error) => {
            check.connection_failed(Instant::now(), classify_tls_error(&error));
            return check.into_report();
        }
    };
    let tcp = match connect(target, io_timeout) {
        Ok(tcp) => tcp,
        Err(err) => {
            let diagnosis = classify_transport_error(err.kind(), &err.to_string());
            check.connection_failed(Instant::now(), diagnosis);
            return check.into_report();
        }
    };
    let _ = tcp.set_nodelay(true);
    let mut stream = if implicit {
        match handshake(&tls, &target.host, tcp, io_timeout) {
            Ok(stream) => {
                let facts = tls.facts(&stream.conn);
                check.connected(Instant::now(), Some(facts));
                Stream::Tls(Box::new(stream))
            }
            Err(error) => {
                check.connection_failed(Instant::now(), classify_tls_error(&error));
                return check.into_report();
            }
        }
    } else {
        check.connected(Instant::now(), None);
        Stream::Plain(tcp)
    };
    drive(&mut check, &mut stream, &tls, &target.host, io_timeout);
    check.into_report()
}

/// Moves bytes until the check is over.
fn drive(
    check: &mut Check,
    stream: &mut Stream,
    tls: &TlsClient,
    host: &str,
    io_timeout: Duration,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let output = check.pending_output();
        if !output.is_empty() {
            let n = output.len();
            if let Err(err) = stream.write_all(output) {
                check.transport_failed(
                    Instant::now(),
                    classify_transport_error(err.kind(), &err.to_string()),
                );
                return;
            }
            check.consume_output(Instant::now(), n);
        }
        match check.poll_action() {
            Some(Action::Close) => return,
            Some(Action::StartTls) => {
                let Stream::Plain(tcp) = stream else {
                    check.tls_failed(Instant::now(), classify_tls_error("STARTTLS inside TLS"));
                    return;
                };
                let Ok(tcp) = tcp.try_clone() else {
                    check.tls_failed(
                        Instant::now(),
                        classify_tls_error("cannot reuse the socket"),
                    );
                    return;
                };
                match handshake(tls, host, tcp, io_timeout) {
                    Ok(tls_stream) => {
                        let facts = tls.facts(&tls_stream.conn);
                        *stream = Stream::Tls(Box::new(tls_stream));
                        check.tls_established(Instant::now(), facts);
                    }
                    Err(error) => {
                        check.tls_failed(Instant::now(), classify_tls_error(&error));
                        return;
                    }
                }
                continue;
            }
            _ => {}
        }
        if check.is_done() {
            return;
        }
        // Wait for the server no longer than the check's next deadline.
        let wait = check.poll_timeout().map_or(io_timeout, |deadline| {
            deadline.saturating_duration_since(Instant::now())
        });
        if wait.is_zero() {
            check.handle_timeout(Instant::now());
            continue;
        }
        if stream.tcp().set_read_timeout(Some(wait)).is_err() {
            check.handle_timeout(Instant::now());
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) => check.receive_eof(Instant::now()),
            Ok(n) => check.receive(Instant::now(), &buf[..n]),
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                check.handle_timeout(Instant::now());
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                let diagnosis = if matches!(stream, Stream::Tls(_))
                    && err.kind() == io::ErrorKind::InvalidData
                {
                    classify_tls_error(&err.to_string())
                } else {
                    classify_transport_error(err.kind(), &err.to_string())
                };
                check.transport_failed(Instant::now(), diagnosis);
                return;
            }
        }
    }
}

/// Resolves and connects, trying every address in turn.
fn connect(target: &Target, timeout: Duration) -> io::Result<TcpStream> {
    let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(tcp) => return Ok(tcp),
            Err(err) => last = err,
        }
    }
    Err(last)
}

/// Runs a TLS handshake on `tcp`, bounded by `timeout`; the error is the TLS library's
/// description, for [`classify_tls_error`].
fn handshake(
    tls: &TlsClient,
    host: &str,
    mut tcp: TcpStream,
    timeout: Duration,
) -> Result<StreamOwned<ClientConnection, TcpStream>, String> {
    let mut conn = tls.connect(host)?;
    let deadline = Instant::now() + timeout;
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("TLS handshake timed out".to_owned());
        }
        let _ = tcp.set_read_timeout(Some(left));
        let _ = tcp.set_write_timeout(Some(left));
        if let Err(err) = conn.complete_io(&mut tcp) {
            return Err(match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    "TLS handshake timed out".to_owned()
                }
                io::ErrorKind::UnexpectedEof => {
                    "the server closed the connection during the TLS handshake (unexpected eof)"
                        .to_owned()
                }
                _ => err.to_string(),
            });
        }
    }
    let _ = tcp.set_write_timeout(Some(timeout));
    Ok(StreamOwned::new(conn, tcp))
}
