//! [`serve`] and [`serve_blocking`]: a [`Server`] on a real stream, so a test drives its own
//! IO loop (or an adapter) against it, STARTTLS with a real TLS handshake included.

use std::io;

use super::Server;
use crate::tls::{TlsAccept, TlsSession};

/// What a serving loop does next.
enum Step {
    Write,
    Handshake,
    Close,
    Read,
}

fn step(server: &Server) -> Step {
    if !server.pending_output().is_empty() {
        Step::Write
    } else if server.wants_tls() {
        Step::Handshake
    } else if server.is_closed() {
        Step::Close
    } else {
        Step::Read
    }
}

fn no_tls() -> io::Error {
    io::Error::other("the client asked for STARTTLS and the server has no TLS configuration")
}

fn tls_error(diagnosis: &crate::Diagnosis) -> io::Error {
    io::Error::other(format!(
        "TLS: {}",
        diagnosis.detail().unwrap_or(diagnosis.summary())
    ))
}

/// Serves `server` over `stream` until its session ends (QUIT, a `421`, a hang-up or the
/// client's EOF). Its output goes out in the pieces [`Server::with_splits`] sets, each
/// written on its own. On STARTTLS it runs a real TLS handshake with `tls` (a rustls
/// `Arc<ServerConfig>`, or any [`TlsAccept`]); call [`Server::start_tls`] before serving for
/// implicit TLS.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use smtp_sansio::testing::{Policy, Server, serve};
/// use smtp_sansio::{Config, Envelope, Host, TlsPolicy};
///
/// let (client_io, server_io) = tokio::io::duplex(64 * 1024);
/// let serving = tokio::spawn(async move {
///     let mut server = Server::new(Policy::new());
///     serve(&mut server, server_io, None).await.map(|()| server)
/// });
/// let config = Config::new(Host::parse("client.example")?).with_tls(TlsPolicy::None);
/// let mut smtp = smtp_sansio::tokio::Connection::from_socket(client_io, "mx.example.test", config, None).await?;
/// let envelope = Envelope::parse("alice@example.test", ["bob@example.test"])?;
/// let outcome = smtp.send(&envelope, b"Subject: hi\r\n\r\nHello.\r\n").await?;
/// assert!(outcome.is_accepted());
/// smtp.quit().await?;
/// let server = serving.await??;
/// assert_eq!(server.messages().len(), 1);
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "tokio")]
pub async fn serve<S>(server: &mut Server, stream: S, tls: Option<&dyn TlsAccept>) -> io::Result<()>
where
    S: ::tokio::io::AsyncRead + ::tokio::io::AsyncWrite + Unpin,
{
    use ::tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = stream;
    let mut session: Option<Box<dyn TlsSession>> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut plain = vec![0u8; 16 * 1024];
    let mut cipher = Vec::new();
    let mut handshake_now = server.is_tls();
    loop {
        let next = if handshake_now {
            Step::Handshake
        } else {
            step(server)
        };
        match next {
            Step::Write => {
                let n = server.next_delivery_len();
                let piece = server.pending_output()[..n].to_vec();
                server.consume_output(n);
                match &mut session {
                    None => stream.write_all(&piece).await?,
                    Some(tls) => {
                        let mut rest = &piece[..];
                        while !rest.is_empty() {
                            let taken = tls.write_plaintext(rest);
                            rest = &rest[taken..];
                            cipher.clear();
                            tls.take_tls(&mut cipher);
                            stream.write_all(&cipher).await?;
                        }
                    }
                }
                stream.flush().await?;
            }
            Step::Handshake => {
                let acceptor = tls.ok_or_else(no_tls)?;
                let mut accepted = acceptor.accept().map_err(|d| tls_error(&d))?;
                loop {
                    cipher.clear();
                    accepted.take_tls(&mut cipher);
                    stream.write_all(&cipher).await?;
                    if !accepted.is_handshaking() {
                        break;
                    }
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    if let Err(diagnosis) = accepted.receive_tls(&buf[..n]) {
                        cipher.clear();
                        accepted.take_tls(&mut cipher);
                        let _ = stream.write_all(&cipher).await;
                        return Err(tls_error(&diagnosis));
                    }
                }
                if !handshake_now {
                    server.start_tls();
                }
                handshake_now = false;
                // Client data that came in the same read as the end of the handshake.
                while let Some(k) = accepted.read_plaintext(&mut plain) {
                    if k == 0 {
                        server.receive_eof();
                        break;
                    }
                    server.receive(&plain[..k]);
                }
                session = Some(accepted);
            }
            Step::Close => {
                if let Some(tls) = &mut session {
                    tls.close();
                    cipher.clear();
                    tls.take_tls(&mut cipher);
                    let _ = stream.write_all(&cipher).await;
                }
                let _ = stream.shutdown().await;
                return Ok(());
            }
            Step::Read => {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    server.receive_eof();
                    continue;
                }
                match &mut session {
                    None => server.receive(&buf[..n]),
                    Some(tls) => {
                        tls.receive_tls(&buf[..n]).map_err(|d| tls_error(&d))?;
                        while let Some(k) = tls.read_plaintext(&mut plain) {
                            if k == 0 {
                                server.receive_eof();
                                break;
                            }
                            server.receive(&plain[..k]);
                        }
                        cipher.clear();
                        tls.take_tls(&mut cipher);
                        stream.write_all(&cipher).await?;
                    }
                }
            }
        }
    }
}

/// [`serve`] over a blocking socket (a `TcpStream` accepted from a `TcpListener`, a
/// `UnixStream`).
#[cfg(feature = "blocking")]
pub fn serve_blocking<S>(
    server: &mut Server,
    stream: S,
    tls: Option<&dyn TlsAccept>,
) -> io::Result<()>
where
    S: io::Read + io::Write,
{
    let mut stream = stream;
    let mut session: Option<Box<dyn TlsSession>> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut plain = vec![0u8; 16 * 1024];
    let mut cipher = Vec::new();
    let mut handshake_now = server.is_tls();
    loop {
        let next = if handshake_now {
            Step::Handshake
        } else {
            step(server)
        };
        match next {
            Step::Write => {
                let n = server.next_delivery_len();
                let piece = server.pending_output()[..n].to_vec();
                server.consume_output(n);
                match &mut session {
                    None => stream.write_all(&piece)?,
                    Some(tls) => {
                        let mut rest = &piece[..];
                        while !rest.is_empty() {
                            let taken = tls.write_plaintext(rest);
                            rest = &rest[taken..];
                            cipher.clear();
                            tls.take_tls(&mut cipher);
                            stream.write_all(&cipher)?;
                        }
                    }
                }
                stream.flush()?;
            }
            Step::Handshake => {
                let acceptor = tls.ok_or_else(no_tls)?;
                let mut accepted = acceptor.accept().map_err(|d| tls_error(&d))?;
                loop {
                    cipher.clear();
                    accepted.take_tls(&mut cipher);
                    stream.write_all(&cipher)?;
                    if !accepted.is_handshaking() {
                        break;
                    }
                    let n = stream.read(&mut buf)?;
                    if n == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    if let Err(diagnosis) = accepted.receive_tls(&buf[..n]) {
                        cipher.clear();
                        accepted.take_tls(&mut cipher);
                        let _ = stream.write_all(&cipher);
                        return Err(tls_error(&diagnosis));
                    }
                }
                if !handshake_now {
                    server.start_tls();
                }
                handshake_now = false;
                // Client data that came in the same read as the end of the handshake.
                while let Some(k) = accepted.read_plaintext(&mut plain) {
                    if k == 0 {
                        server.receive_eof();
                        break;
                    }
                    server.receive(&plain[..k]);
                }
                session = Some(accepted);
            }
            Step::Close => {
                if let Some(tls) = &mut session {
                    tls.close();
                    cipher.clear();
                    tls.take_tls(&mut cipher);
                    let _ = stream.write_all(&cipher);
                }
                return Ok(());
            }
            Step::Read => {
                let n = match stream.read(&mut buf) {
                    Ok(n) => n,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => return Err(error),
                };
                if n == 0 {
                    server.receive_eof();
                    continue;
                }
                match &mut session {
                    None => server.receive(&buf[..n]),
                    Some(tls) => {
                        tls.receive_tls(&buf[..n]).map_err(|d| tls_error(&d))?;
                        while let Some(k) = tls.read_plaintext(&mut plain) {
                            if k == 0 {
                                server.receive_eof();
                                break;
                            }
                            server.receive(&plain[..k]);
                        }
                        cipher.clear();
                        tls.take_tls(&mut cipher);
                        stream.write_all(&cipher)?;
                    }
                }
            }
        }
    }
}
