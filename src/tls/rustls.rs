//! rustls behind [`TlsConnect`] and [`TlsSession`]: the configuration the adapters use, the
//! certificate facts of the check report, and what each certificate error means.

use std::fmt;
use std::io::{self, Read, Write};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, ConnectionCommon, DigitallySignedStruct,
    RootCertStore, SideData, SignatureScheme,
};

use super::{TlsConnect, TlsSession};
use crate::check::TlsFacts;
use crate::diagnosis::{Confidence, Diagnosis, DiagnosisClass, classify_tls_error};
use crate::stage::Stage;

/// Why a [`TlsConnector`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A CA file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// PEM text holds no certificate, or a malformed one.
    #[error("{what}: {problem}")]
    Pem {
        /// Where the PEM came from.
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// rustls refused the configuration (an unusable trust anchor, no usable protocol).
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Builds a [`TlsConnector`]: the WebPKI roots, plus the caller's certificates.
#[derive(Debug, Clone)]
pub struct TlsConnectorBuilder {
    extra: Vec<CertificateDer<'static>>,
    webpki_roots: bool,
    insecure: bool,
}

impl TlsConnectorBuilder {
    /// Trusts every certificate in a PEM file as well (`--ca`). A certificate in it that the
    /// server presents as its own is accepted as pinned even when it verifies against no
    /// authority (a self-signed certificate, as `openssl req -x509` makes), the way
    /// OpenSSL-based tools treat a CA file; the facts say it was pinned.
    pub fn ca_file(self, path: impl AsRef<Path>) -> Result<Self, TlsSetupError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| TlsSetupError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.ca_pem_named(&pem, &path.display().to_string())
    }

    /// [`TlsConnectorBuilder::ca_file`] with the PEM text at hand.
    pub fn ca_pem(self, pem: &[u8]) -> Result<Self, TlsSetupError> {
        self.ca_pem_named(pem, "PEM")
    }

    fn ca_pem_named(mut self, pem: &[u8], what: &str) -> Result<Self, TlsSetupError> {
        let before = self.extra.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|error| TlsSetupError::Pem {
                what: what.to_owned(),
                problem: error.to_string(),
            })?;
            self.extra.push(cert);
        }
        if self.extra.len() == before {
            return Err(TlsSetupError::Pem {
                what: what.to_owned(),
                problem: "no certificate in it".to_owned(),
            });
        }
        Ok(self)
    }

    /// Trusts a DER certificate as well (same rules as [`TlsConnectorBuilder::ca_file`]).
    pub fn ca_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra.push(CertificateDer::from(der.into()));
        self
    }

    /// Trusts only the certificates given here, not the WebPKI roots.
    pub fn without_webpki_roots(mut self) -> Self {
        self.webpki_roots = false;
        self
    }

    /// Finishes handshakes whatever the certificate: anyone on the path can then read and
    /// change the session. The verification still runs and its outcome is in the facts
    /// ([`TlsFacts::verify_error`]), so a report can say what would have failed. For tests.
    pub fn dangerous_accept_invalid_certificates(mut self, accept: bool) -> Self {
        self.insecure = accept;
        self
    }

    /// The connector.
    pub fn build(self) -> Result<TlsConnector, TlsSetupError> {
        let mut roots = RootCertStore::empty();
        if self.webpki_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for cert in &self.extra {
            roots
                .add(cert.clone())
                .map_err(|error| TlsSetupError::Config(format!("unusable certificate: {error}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|error| TlsSetupError::Config(error.to_string()))?,
            )
        };
        Ok(TlsConnector {
            provider,
            verifier,
            pinned: Arc::new(self.extra),
            insecure: self.insecure,
            config: None,
        })
    }
}

/// Makes rustls client sessions: TLS 1.2 and 1.3 with ring, certificates verified against
/// the WebPKI roots and the caller's certificates, the outcome recorded per session.
#[derive(Clone)]
pub struct TlsConnector {
    provider: Arc<CryptoProvider>,
    verifier: Option<Arc<WebPkiServerVerifier>>,
    pinned: Arc<Vec<CertificateDer<'static>>>,
    insecure: bool,
    config: Option<Arc<ClientConfig>>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("extra_certificates", &self.pinned.len())
            .field("insecure", &self.insecure)
            .field("caller_config", &self.config.is_some())
            .finish()
    }
}

impl TlsConnector {
    /// A connector that trusts the WebPKI roots (the Mozilla set, compiled in).
    pub fn new() -> Result<TlsConnector, TlsSetupError> {
        TlsConnector::builder().build()
    }

    /// A builder: the WebPKI roots to start with, CA files and pins to add.
    pub fn builder() -> TlsConnectorBuilder {
        TlsConnectorBuilder {
            extra: Vec::new(),
            webpki_roots: true,
            insecure: false,
        }
    }

    /// A connector over the caller's own rustls configuration (verification as it says; the
    /// facts then report the certificate as verified when the handshake succeeds).
    pub fn from_config(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector {
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            verifier: None,
            pinned: Arc::new(Vec::new()),
            insecure: false,
            config: Some(config),
        }
    }
}

impl TlsConnect for TlsConnector {
    fn connect(&self, server_name: &str) -> Result<Box<dyn TlsSession>, Box<Diagnosis>> {
        let name = ServerName::try_from(server_name.to_owned()).map_err(|error| {
            Box::new(classify_tls_error(&format!(
                "{server_name:?} is not a valid TLS server name: {error}"
            )))
        })?;
        let (config, recorder) = match &self.config {
            Some(config) => (config.clone(), None),
            None => {
                let recorder = Arc::new(Recorder {
                    inner: self.verifier.clone(),
                    pinned: self.pinned.clone(),
                    insecure: self.insecure,
                    provider: self.provider.clone(),
                    outcome: Mutex::new(None),
                });
                let config = ClientConfig::builder_with_provider(self.provider.clone())
                    .with_safe_default_protocol_versions()
                    .map_err(|error| Box::new(diagnose_rustls_error(&error)))?
                    .dangerous()
                    .with_custom_certificate_verifier(recorder.clone())
                    .with_no_client_auth();
                (Arc::new(config), Some(recorder))
            }
        };
        let conn = ClientConnection::new(config, name)
            .map_err(|error| Box::new(diagnose_rustls_error(&error)))?;
        Ok(Box::new(Session {
            conn,
            recorder,
            client: true,
        }))
    }

    fn random(&self, out: &mut [u8]) -> bool {
        self.provider.secure_random.fill(out).is_ok()
    }
}

/// What the verifier found for one session.
#[derive(Debug, Clone)]
enum Verdict {
    Verified,
    Pinned,
    Failed(String),
}

/// A verifier that runs the WebPKI checks, accepts a pinned certificate, and remembers what
/// it found, so the facts can say "verified", "pinned" or why not (also when the caller
/// accepts invalid certificates).
#[derive(Debug)]
struct Recorder {
    inner: Option<Arc<WebPkiServerVerifier>>,
    pinned: Arc<Vec<CertificateDer<'static>>>,
    insecure: bool,
    provider: Arc<CryptoProvider>,
    outcome: Mutex<Option<Verdict>>,
}

impl Recorder {
    fn record(&self, verdict: Verdict) {
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(verdict);
        }
    }

    fn verdict(&self) -> Option<Verdict> {
        self.outcome.lock().ok().and_then(|slot| slot.clone())
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = match &self.inner {
            Some(inner) => {
                inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        match result {
            Ok(verified) => {
                self.record(Verdict::Verified);
                Ok(verified)
            }
            // A certificate the caller gave is trusted as itself, whatever WebPKI says of it.
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|pin| pin.as_ref() == end_entity.as_ref()) =>
            {
                self.record(Verdict::Pinned);
                Ok(ServerCertVerified::assertion())
            }
            Err(error) => {
                self.record(Verdict::Failed(error.to_string()));
                if self.insecure {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(error)
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls connection (client or server side) as a [`TlsSession`].
struct Session<C> {
    conn: C,
    recorder: Option<Arc<Recorder>>,
    client: bool,
}

impl<C, D> TlsSession for Session<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<D>> + Send,
    D: SideData,
{
    fn receive_tls(&mut self, ciphertext: &[u8]) -> Result<(), Box<Diagnosis>> {
        let mut rest = ciphertext;
        while !rest.is_empty() {
            let read = self.conn.read_tls(&mut rest).map_err(|error| {
                Box::new(classify_tls_error(&format!(
                    "the TLS layer refused the data: {error}"
                )))
            })?;
            if let Err(error) = self.conn.process_new_packets() {
                return Err(Box::new(diagnose_rustls_error(&error)));
            }
            if read == 0 {
                break;
            }
        }
        Ok(())
    }

    fn take_tls(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            match self.conn.write_tls(out) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    fn read_plaintext(&mut self, buf: &mut [u8]) -> Option<usize> {
        match self.conn.reader().read(buf) {
            Ok(n) => Some(n),
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => None,
            // The peer went away without close_notify: the adapter reports the EOF.
            Err(_) => Some(0),
        }
    }

    fn write_plaintext(&mut self, plaintext: &[u8]) -> usize {
        self.conn.writer().write(plaintext).unwrap_or(0)
    }

    fn facts(&self) -> TlsFacts {
        let protocol = match self.conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
            Some(other) => format!("{other:?}"),
            None => "unknown".to_owned(),
        };
        let cipher = self.conn.negotiated_cipher_suite().map_or_else(
            || "unknown".to_owned(),
            |suite| format!("{:?}", suite.suite()),
        );
        let verdict = match &self.recorder {
            Some(recorder) => recorder.verdict(),
            // The caller's own configuration verified it, or the handshake would have failed.
            None if self.client => Some(Verdict::Verified),
            None => None,
        };
        let mut facts = TlsFacts::new(
            protocol,
            cipher,
            matches!(verdict, Some(Verdict::Verified | Verdict::Pinned)),
        );
        match verdict {
            Some(Verdict::Pinned) => facts.pinned = true,
            Some(Verdict::Failed(error)) => facts.verify_error = Some(error),
            _ => {}
        }
        if let Some(certs) = self.conn.peer_certificates() {
            if let Some(leaf) = certs.first() {
                certificate_facts(leaf, &mut facts);
            }
            facts.chain = certs.iter().map(|cert| cert.as_ref().to_vec()).collect();
        }
        facts
    }

    fn close(&mut self) {
        self.conn.send_close_notify();
    }
}

/// Subject, issuer and validity of a DER certificate, as RFC 4514 names and RFC 5280 times.
fn certificate_facts(der: &[u8], facts: &mut TlsFacts) {
    use x509_cert::der::Decode;
    if let Ok(cert) = x509_cert::Certificate::from_der(der) {
        let tbs = cert.tbs_certificate();
        facts.subject = Some(tbs.subject().to_string());
        facts.issuer = Some(tbs.issuer().to_string());
        facts.not_before = Some(tbs.validity().not_before.to_string());
        facts.not_after = Some(tbs.validity().not_after.to_string());
    }
}

/// Server sessions with a rustls server configuration (a test server's STARTTLS or implicit
/// TLS).
impl super::TlsAccept for Arc<rustls::ServerConfig> {
    fn accept(&self) -> Result<Box<dyn TlsSession>, Box<Diagnosis>> {
        let conn = rustls::ServerConnection::new(self.clone())
            .map_err(|error| Box::new(diagnose_rustls_error(&error)))?;
        Ok(Box::new(Session {
            conn,
            recorder: None,
            client: false,
        }))
    }
}

/// What a rustls error means, with the cause the certificate error names first: expired, not
/// yet valid, wrong name, unknown issuer, a CA certificate used as the server's own, a bad
/// signature, revoked, an unsupported algorithm, ...
#[allow(deprecated)] // older rustls versions report the unit variants
pub fn diagnose_rustls_error(error: &rustls::Error) -> Diagnosis {
    let detail = error.to_string();
    let rustls::Error::InvalidCertificate(certificate) = error else {
        return match error {
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                // Not TLS at all came back: most often a plaintext SMTP server.
                classify_tls_error(&format!(
                    "not a TLS record (wrong version number): {detail}"
                ))
            }
            rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
            | rustls::Error::PeerIncompatible(_) => {
                classify_tls_error(&format!("unsupported protocol version: {detail}"))
            }
            _ => classify_tls_error(&detail),
        };
    };
    let (rule, summary, causes, remedies): (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ) = match certificate {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
            "tls:cert:expired",
            "The server's TLS certificate has expired.",
            &[
                "The certificate was not renewed in time.",
                "The client machine's clock is ahead.",
            ],
            &[
                "Have the server's administrator renew the certificate, and automate renewal.",
                "Check the date and time of the machine that connects.",
            ],
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
            "tls:cert:not-yet-valid",
            "The server's TLS certificate is not valid yet.",
            &[
                "The client machine's clock is behind (most often).",
                "The certificate was issued with a start date in the future.",
            ],
            &[
                "Check the date and time of the machine that connects (NTP).",
                "Otherwise have the certificate reissued.",
            ],
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
            "tls:cert:name",
            "The server's TLS certificate does not name the host the client connected to.",
            &[
                "The client connected by IP address or by an alias (a CNAME, or the MX name instead of the provider's SMTP host name) that the certificate does not list.",
                "The server presents a default certificate for another domain (shared hosting).",
            ],
            &[
                "Connect using a host name written in the certificate (its subject or alternative names).",
                "Ask the provider which host name to use for SMTP, or have the certificate reissued with that name.",
            ],
        ),
        CertificateError::UnknownIssuer => (
            "tls:cert:unknown-issuer",
            "The server's TLS certificate is self-signed or issued by an authority the client does not trust.",
            &[
                "The server uses a self-signed certificate or one from a private authority.",
                "The server does not send its intermediate certificates (an incomplete chain).",
                "A proxy, antivirus or attacker intercepts TLS with its own certificate.",
            ],
            &[
                "For a private authority, add its certificate to the client's trust store (the check example's --ca); for a self-signed server certificate, give that certificate itself to pin it; do not simply turn verification off.",
                "Have the server's administrator install the full chain: the certificate and its intermediates.",
                "If no interception is expected, treat this as an attack: send no credentials.",
            ],
        ),
        CertificateError::BadSignature => (
            "tls:cert:bad-signature",
            "The server's TLS certificate chain does not verify: a signature in it is wrong.",
            &[
                "The chain is damaged or assembled from mismatched certificates.",
                "Someone on the path forged the certificate.",
            ],
            &[
                "Have the administrator reinstall the certificate and its intermediates from the issuer.",
                "Treat it as an attack until explained: send no credentials.",
            ],
        ),
        CertificateError::Revoked => (
            "tls:cert:revoked",
            "The server's TLS certificate has been revoked by its issuer.",
            &["The key was compromised or the certificate was replaced and withdrawn."],
            &["Have the server's administrator install a new certificate."],
        ),
        CertificateError::UnsupportedSignatureAlgorithm
        | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
            "tls:cert:algorithm",
            "The server's TLS certificate is signed with an algorithm the client no longer accepts (such as SHA-1 or MD5).",
            &["An old certificate, or one from an old private authority."],
            &["Have the certificate reissued with SHA-256 (RSA 2048+ or ECDSA)."],
        ),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => (
            "tls:cert:purpose",
            "The server's TLS certificate is not meant for TLS servers (its extended key usage excludes it).",
            &["A client, code-signing or e-mail (S/MIME) certificate installed on the server."],
            &["Install a certificate issued for server authentication."],
        ),
        CertificateError::BadEncoding => (
            "tls:cert:encoding",
            "The server's TLS certificate cannot be read: it is malformed.",
            &["A broken certificate file, or one in a format the client does not accept."],
            &["Have the server's administrator reinstall the certificate."],
        ),
        CertificateError::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => (
            "tls:cert:ca-as-end-entity",
            "The server presents an authority (CA) certificate as its own: a certificate made with `openssl req -x509`, which marks itself as a CA.",
            &[
                "A self-signed certificate made with OpenSSL's defaults (basicConstraints CA:TRUE), common on small mail servers.",
            ],
            &[
                "To trust this server as it is, pin its certificate: give that very certificate as the CA file (the check example's --ca), as OpenSSL-based tools do.",
                "Better: issue the server a certificate without CA:TRUE (signed by that CA, or from a public authority such as Let's Encrypt).",
            ],
        ),
        CertificateError::Other(other) if format!("{other:?}").contains("EndEntityUsedAsCa") => (
            "tls:cert:chain-order",
            "The server's certificate chain is wrong: a server certificate appears where an authority should sign.",
            &[
                "The chain file lists the certificates in the wrong order or holds the wrong intermediate.",
            ],
            &[
                "Have the administrator install the chain in order: the server certificate, then its intermediates.",
            ],
        ),
        CertificateError::UnknownRevocationStatus
        | CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => (
            "tls:cert:revocation",
            "The revocation status of the server's TLS certificate could not be established.",
            &["The revocation list the client was given is missing an entry or out of date."],
            &["Refresh the revocation lists, or ask the issuer."],
        ),
        _ => (
            "tls:cert:other",
            "The server's TLS certificate was refused.",
            &["The certificate or its chain fails a check the TLS library makes."],
            &[
                "Read the detail, and have the server's administrator check the certificate with an SSL testing tool.",
            ],
        ),
    };
    Diagnosis::of_class(
        DiagnosisClass::TlsCertificateInvalid,
        Stage::StartTls,
        rule,
        Confidence::High,
    )
    .with_texts(summary, causes, remedies)
    .with_detail(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every certificate error the TLS library can report maps to its own cause.
    #[test]
    #[allow(deprecated)]
    fn each_certificate_error_has_its_own_cause() {
        let cases: Vec<(CertificateError, &str)> = vec![
            (CertificateError::Expired, "tls:cert:expired"),
            (CertificateError::NotValidYet, "tls:cert:not-yet-valid"),
            (CertificateError::NotValidForName, "tls:cert:name"),
            (CertificateError::UnknownIssuer, "tls:cert:unknown-issuer"),
            (CertificateError::BadSignature, "tls:cert:bad-signature"),
            (CertificateError::Revoked, "tls:cert:revoked"),
            (
                CertificateError::UnsupportedSignatureAlgorithm,
                "tls:cert:algorithm",
            ),
            (CertificateError::InvalidPurpose, "tls:cert:purpose"),
            (CertificateError::BadEncoding, "tls:cert:encoding"),
            (
                CertificateError::UnknownRevocationStatus,
                "tls:cert:revocation",
            ),
            (
                CertificateError::Other(rustls::OtherError(Arc::new(webpki_error(
                    "CaUsedAsEndEntity",
                )))),
                "tls:cert:ca-as-end-entity",
            ),
            (
                CertificateError::ApplicationVerificationFailure,
                "tls:cert:other",
            ),
        ];
        let mut summaries = std::collections::HashSet::new();
        for (error, rule) in cases {
            let diagnosis = diagnose_rustls_error(&rustls::Error::InvalidCertificate(error));
            assert_eq!(diagnosis.class(), DiagnosisClass::TlsCertificateInvalid);
            assert_eq!(diagnosis.evidence().rule(), rule);
            assert!(
                summaries.insert(diagnosis.summary()),
                "{rule} repeats a summary"
            );
        }
        let plaintext = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert_eq!(
            diagnose_rustls_error(&plaintext).class(),
            DiagnosisClass::TlsModeMismatch
        );
    }

    /// An error type whose `Debug` names a webpki error, as rustls wraps the ones it has no
    /// variant for.
    fn webpki_error(name: &'static str) -> impl std::error::Error + Send + Sync {
        #[derive(Debug)]
        struct Named(&'static str);
        impl fmt::Display for Named {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Named {}
        let _ = name;
        Named(name)
    }
}
