//! The check as the `check` example runs it: the crate's blocking adapter with rustls, for
//! the tests that drive it against the demo server, scripted servers and Postfix.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use smtp_sansio::tls::TlsConnector;
use smtp_sansio::{CheckOptions, Report};

/// Where the check connects.
pub struct Target {
    /// Host name or IP address (also the TLS server name).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// What the check trusts besides the WebPKI roots.
#[derive(Default)]
pub struct TlsSettings {
    /// Extra trusted certificates, DER.
    pub extra_roots: Vec<Vec<u8>>,
    /// Finish handshakes whatever the certificate.
    pub insecure: bool,
    /// PEM files to trust.
    pub ca_files: Vec<std::path::PathBuf>,
}

impl TlsSettings {
    /// Trusts the certificates of a PEM file.
    pub fn add_ca_file(&mut self, path: &Path) -> std::io::Result<()> {
        self.ca_files.push(path.to_owned());
        Ok(())
    }
}

/// Runs a whole check of `target`.
pub fn run(mut options: CheckOptions, target: &Target, tls: &TlsSettings) -> Report {
    let mut builder = TlsConnector::builder().dangerous_accept_invalid_certificates(tls.insecure);
    for der in &tls.extra_roots {
        builder = builder.ca_der(der.clone());
    }
    for path in &tls.ca_files {
        builder = builder.ca_file(path).expect("the CA file");
    }
    let connector = builder.build().expect("TLS configuration");
    options.server = if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    options.port = Some(target.port);
    smtp_sansio::blocking::check(options, Some(Arc::new(connector)))
}
