//! TLS for the examples (`check`, `send_std`, `send_tokio`): a rustls client configuration
//! that verifies the server certificate (webpki roots plus `--ca`) and records what it found,
//! also under `--insecure`, and the facts the check report shows (protocol, cipher, subject,
//! issuer, validity).
//!
//! Included with `#[path]` by each example and by the tests that drive them; each uses part.
#![allow(dead_code)]

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use smtp_sansio::TlsFacts;

/// How the server certificate is judged.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Extra trust anchors, as DER (from `--ca`, or the embedded server's own CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// `--insecure`: finish the handshake even when verification fails (the report says so).
    pub insecure: bool,
}

impl TlsSettings {
    /// Adds every certificate of a PEM file as a trust anchor.
    pub fn add_ca_file(&mut self, path: &Path) -> io::Result<()> {
        let mut found = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(pem_error)? {
            self.extra_roots.push(cert.map_err(pem_error)?);
            found += 1;
        }
        if found == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: no certificate in the file", path.display()),
            ));
        }
        Ok(())
    }
}

/// The name the certificate must carry: a DNS name, or an IP address (IPv6 without
/// brackets).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_owned())
        .map_err(|err| format!("{host:?} is not a valid TLS server name: {err}"))
}

fn pem_error(err: rustls::pki_types::pem::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err.to_string())
}

/// A verifier that runs the usual WebPKI checks and remembers their outcome, so that the
/// report can say "verified" or why not, also under `--insecure`.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    insecure: bool,
    outcome: Mutex<Option<Result<(), String>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let outcome = result.as_ref().map(|_| ()).map_err(ToString::to_string);
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(outcome);
        }
        match result {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One TLS client session's configuration and the record of its verification.
pub struct TlsClient {
    config: Arc<ClientConfig>,
    verifier: Arc<RecordingVerifier>,
}

impl TlsClient {
    /// Builds the configuration: webpki roots plus the extra ones, TLS 1.2 and 1.3.
    pub fn new(settings: &TlsSettings) -> Result<TlsClient, String> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in &settings.extra_roots {
            roots
                .add(cert.clone())
                .map_err(|err| format!("--ca: unusable certificate: {err}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|err| err.to_string())?;
        let verifier = Arc::new(RecordingVerifier {
            inner,
            insecure: settings.insecure,
            outcome: Mutex::new(None),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| err.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        Ok(TlsClient {
            config: Arc::new(config),
            verifier,
        })
    }

    /// The configuration, for a TLS library that takes one (tokio-rustls' `TlsConnector`).
    pub fn config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// A client connection for `host` (a DNS name or an IP address, for SNI and
    /// verification).
    pub fn connect(&self, host: &str) -> Result<ClientConnection, String> {
        ClientConnection::new(self.config.clone(), server_name(host)?)
            .map_err(|err| err.to_string())
    }

    /// What the report shows about an established session.
    pub fn facts(&self, conn: &ClientConnection) -> TlsFacts {
        let protocol = match conn.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_owned(),
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_owned(),
            Some(other) => format!("{other:?}"),
            None => "unknown".to_owned(),
        };
        let cipher = conn.negotiated_cipher_suite().map_or_else(
            || "unknown".to_owned(),
            |suite| format!("{:?}", suite.suite()),
        );
        let outcome = self
            .verifier
            .outcome
            .lock()
            .ok()
            .and_then(|slot| slot.clone());
        let mut facts = TlsFacts::new(protocol, cipher, matches!(outcome, Some(Ok(()))));
        if let Some(Err(error)) = outcome {
            facts.verify_error = Some(error);
        }
        let leaf = conn.peer_certificates().and_then(|certs| certs.first());
        if let Some(Ok((_, cert))) = leaf.map(|der| x509_parser::parse_x509_certificate(der)) {
            facts.subject = Some(cert.subject().to_string());
            facts.issuer = Some(cert.issuer().to_string());
            facts.not_before = Some(cert.validity().not_before.to_string());
            facts.not_after = Some(cert.validity().not_after.to_string());
        }
        facts
    }
}
