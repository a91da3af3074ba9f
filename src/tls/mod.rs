//! TLS for the IO adapters ([`blocking`](crate::blocking), [`tokio`](crate::tokio)): a TLS
//! session seen as a sans-IO machine, like the SMTP client itself.
//!
//! The adapters move ciphertext between the socket and a [`TlsSession`], and plaintext
//! between the session and the [`Client`](crate::Client). So the deadlines the engine sets
//! bound every socket read and write, inside TLS as well: a peer that trickles a TLS record
//! one byte at a time cannot hold the session past its deadline.
//!
//! With the `rustls` feature, [`TlsConnector`] makes rustls sessions (WebPKI roots or the
//! caller's CA file, never a silent "insecure"). Any other TLS library that works on
//! buffers can be plugged in by implementing [`TlsConnect`] and [`TlsSession`].

#[cfg(feature = "rustls")]
mod rustls;

use crate::check::TlsFacts;
use crate::diagnosis::Diagnosis;

#[cfg(feature = "rustls")]
pub use self::rustls::{TlsConnector, TlsConnectorBuilder, TlsSetupError, diagnose_rustls_error};

/// Makes client TLS sessions for a server name (SNI and the name the certificate must carry:
/// a DNS name or an IP address).
pub trait TlsConnect: Send + Sync {
    /// A new session for `server_name`, before its handshake. `Err` when the name or the
    /// configuration cannot be used.
    fn connect(&self, server_name: &str) -> Result<Box<dyn TlsSession>, Box<Diagnosis>>;

    /// Fills `out` with cryptographically secure random octets, when the TLS library can
    /// (the adapters make SCRAM client nonces with it). The default says it cannot.
    fn random(&self, out: &mut [u8]) -> bool {
        let _ = out;
        false
    }
}

/// Makes server TLS sessions (for [`testing::serve`](crate::testing) servers that answer
/// STARTTLS or speak implicit TLS).
pub trait TlsAccept: Send + Sync {
    /// A new server session, before its handshake.
    fn accept(&self) -> Result<Box<dyn TlsSession>, Box<Diagnosis>>;
}

/// One TLS session as a sans-IO machine: ciphertext in and out, plaintext in and out.
pub trait TlsSession: Send {
    /// Feeds ciphertext read from the socket and processes it. `Err` is the TLS failure
    /// (a handshake or certificate error, a bad record) as a diagnosis.
    fn receive_tls(&mut self, ciphertext: &[u8]) -> Result<(), Box<Diagnosis>>;

    /// Appends the ciphertext waiting to be written to the socket to `out`.
    fn take_tls(&mut self, out: &mut Vec<u8>);

    /// Whether the handshake is still going on.
    fn is_handshaking(&self) -> bool;

    /// Moves decrypted plaintext into `buf`: `Some(n)` octets, `Some(0)` when the peer closed
    /// the session (close_notify), `None` when no plaintext is waiting.
    fn read_plaintext(&mut self, buf: &mut [u8]) -> Option<usize>;

    /// Encrypts plaintext for sending (its ciphertext comes out of [`TlsSession::take_tls`]);
    /// returns how much was taken.
    fn write_plaintext(&mut self, plaintext: &[u8]) -> usize;

    /// What the check report shows of the session: protocol, cipher, certificate facts, and
    /// whether (and how) the certificate was verified.
    fn facts(&self) -> TlsFacts;

    /// Starts an orderly close (close_notify).
    fn close(&mut self);
}
