//! A socket that is plain TCP until STARTTLS, then TLS: one type for both sides of the
//! `check` example (the client driver and the demo server).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::ops::{Deref, DerefMut};

use rustls::{ConnectionCommon, SideData, StreamOwned};

/// Plain TCP, or TLS over it with a rustls client or server connection `C`.
pub enum Stream<C> {
    /// Before the handshake.
    Plain(TcpStream),
    /// After it.
    Tls(Box<StreamOwned<C, TcpStream>>),
}

impl<C, S> Stream<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// The TCP socket underneath (for timeouts).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.get_ref(),
        }
    }

    /// Reads what arrived (plaintext after TLS).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }

    /// Writes all of `bytes` and flushes TLS records to the socket.
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.write_all(bytes),
            Stream::Tls(tls) => tls.write_all(bytes).and_then(|()| tls.flush()),
        }
    }
}
