//! The embedded demo server that `check` talks to when no `--server` is given: a small ESMTP
//! submission server on 127.0.0.1. The SMTP side is the crate's own `testing::Server` (built on
//! its command parser, SASL line parser, DATA decoder and reply writer), served over real
//! sockets by `testing::serve_blocking` with rustls for STARTTLS.
//!
//! It behaves like a well-configured submission port (RFC 6409): STARTTLS with a freshly
//! generated certificate, AUTH PLAIN and LOGIN only after TLS (RFC 4954 s4: plaintext
//! mechanisms over an encrypted channel), relaying only for authenticated users, and a local
//! domain `sansio.test` whose unknown users are refused at RCPT. Messages are read and
//! dropped: nothing is stored or relayed.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use smtp_sansio::testing::{Policy, Server, serve_blocking};

/// The demo account (shown in the example's output: it is a demo, not a secret).
pub const DEMO_USER: &str = "demo@sansio.test";
/// The demo account's password.
pub const DEMO_PASSWORD: &str = "demo-password";
/// The domain the demo server delivers for.
pub const LOCAL_DOMAIN: &str = "sansio.test";
/// Local users that exist; any other `@sansio.test` recipient is refused with 550 5.1.1.
const LOCAL_USERS: [&str; 3] = [
    "demo@sansio.test",
    "postmaster@sansio.test",
    "user@sansio.test",
];
/// The SIZE the server advertises and enforces (RFC 1870).
const SIZE_LIMIT: u64 = 25 * 1024 * 1024;
/// How long the server waits for a client line before it gives up (RFC 5321 s4.5.3.2.7).
const IDLE: Duration = Duration::from_secs(60);

/// A running demo server.
pub struct DemoServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The CA that signed its certificate, to trust (DER).
    pub ca: Vec<u8>,
}

/// Starts the server on an ephemeral loopback port; it serves connections on background
/// threads until the process ends.
pub fn start() -> Result<DemoServer, String> {
    let (tls, ca) = tls_config()?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|err| err.to_string())?;
    let addr = listener.local_addr().map_err(|err| err.to_string())?;
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let tls = tls.clone();
            thread::spawn(move || {
                let _ = tcp.set_nodelay(true);
                let _ = tcp.set_read_timeout(Some(IDLE));
                let _ = tcp.set_write_timeout(Some(IDLE));
                let mut server = Server::new(policy());
                let _ = serve_blocking(&mut server, tcp, Some(&tls));
            });
        }
    });
    Ok(DemoServer { addr, ca })
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
fn tls_config() -> Result<(Arc<ServerConfig>, Vec<u8>), String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let err = |e: rcgen::Error| e.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtp-sansio demo CA");
    // Valid from the start of this year for two years: a real-looking validity period.
    let year = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(2026, |since| 1970 + since.as_secs() / 31_556_952);
    let year = i32::try_from(year).unwrap_or(2026);
    let (not_before, not_after) = (
        rcgen::date_time_ymd(year, 1, 1),
        rcgen::date_time_ymd(year + 2, 1, 1),
    );
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca = ca_params.self_signed(&ca_key).map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    params
        .distinguished_name
        .push(DnType::CommonName, "demo.sansio.test");
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &ca, &ca_key).map_err(err)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| e.to_string())?;
    Ok((Arc::new(config), ca.der().to_vec()))
}

/// What the demo server offers and accepts: a submission port with STARTTLS, AUTH only
/// under TLS, relaying only for the authenticated demo user.
fn policy() -> Policy {
    Policy::new()
        .with_hostname("demo.sansio.test")
        .with_banner("ESMTP smtp-sansio demo server")
        .with_extension("CHUNKING", false)
        .with_size_limit(SIZE_LIMIT)
        .with_starttls(true)
        .with_user(DEMO_USER, DEMO_PASSWORD)
        .with_recipients(LOCAL_USERS)
}
