//! A sans-IO SMTP client engine that diagnoses.
//!
//! This crate does no IO and reads no clock: bytes from the server go in, bytes to send,
//! typed events and plain-language diagnoses come out, and every call that changes state is
//! given the current time by the caller. The same inputs always give the same outputs, so
//! a session can be replayed, fuzzed and property-tested as a whole.
//!
//! # Sending mail
//!
//! With an IO adapter (features `tokio` or `blocking`, and `rustls`) the crate runs the
//! whole session: connect, STARTTLS, AUTH, the messages, QUIT. Refusals come back as outcomes
//! with their diagnoses; `Err` only when no session could be had.
//!
//! ```no_run
//! # async fn send() -> Result<(), Box<dyn std::error::Error>> {
//! use smtp_sansio::{Config, Credentials, Envelope, Host, tokio::Connection};
//!
//! let config = Config::new(Host::parse("client.example.org")?)
//!     .with_credentials(Credentials::password("me@example.org", "app password"));
//! let mut smtp = Connection::connect("smtp.example.org:587", config).await?;
//! let envelope = Envelope::parse("me@example.org", ["you@example.net"])?;
//! let outcome = smtp.send(&envelope, b"Subject: hello\r\n\r\nHello.\r\n").await?;
//! if let Some(why) = outcome.diagnosis() {
//!     eprintln!("{why}");
//! }
//! smtp.quit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The drive loop
//!
//! Without an adapter, the caller owns the socket (and the TLS session, and the clock). In a
//! loop until [`Client::is_closed`]: drain [`Client::poll_event`] (every message ends with one
//! [`Event::MessageFinished`], the session with one [`Event::Closed`]: nothing is lost, the
//! last event says why the session ended); write [`Client::pending_output`] and report it with
//! [`Client::consume_output`] before feeding any reply (a reply can only answer what was
//! written); then wait for bytes no later than [`Client::poll_timeout`]. Every event names
//! the [`CommandHandle`] of the command it answers; a refusal is an [`Event::Rejected`]
//! carrying a [`Diagnosis`].
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::{Duration, Instant};
//!
//! use smtp_sansio::{Client, Config, Envelope, Event, Host, TlsPolicy, classify_transport_error};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (mut socket, server_end) = std::os::unix::net::UnixStream::pair()?;
//! # let server = std::thread::spawn(move || {
//! #     let mut server = smtp_sansio::testing::Server::new(smtp_sansio::testing::Policy::new());
//! #     smtp_sansio::testing::serve_blocking(&mut server, server_end, None).map(|()| server)
//! # });
//! // Plaintext for a loopback test server; on the internet keep the default
//! // (TlsPolicy::Required) and run a TLS handshake on Event::StartTlsReady.
//! let config = Config::new(Host::parse("client.example.org")?).with_tls(TlsPolicy::None);
//! let mut client = Client::new(config, Instant::now());
//! let envelope = Envelope::parse("alice@example.test", ["bob@example.test"])?;
//! client.send_mail(Instant::now(), &envelope, b"Subject: hi\r\n\r\nHello.\r\n")?;
//! client.quit(Instant::now())?; // goes out once the queued message is done
//! let mut buf = [0u8; 4096];
//! while !client.is_closed() {
//!     while let Some(event) = client.poll_event() {
//!         match event {
//!             Event::MessageFinished(outcome) => println!("message: {}", outcome.status),
//!             Event::Closed { reason } if !reason.is_clean() => {
//!                 eprintln!("{}", reason.diagnosis().expect("why it ended"));
//!             }
//!             _ => {}
//!         }
//!     }
//!     let deadline = client.poll_timeout();
//!     let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
//!     socket.set_write_timeout(wait.map(|w| w.max(Duration::from_millis(1))))?;
//!     socket.set_read_timeout(wait.map(|w| w.max(Duration::from_millis(1))))?;
//!     let io = if !client.pending_output().is_empty() {
//!         socket.write(client.pending_output()).map(|n| client.consume_output(Instant::now(), n))
//!     } else if client.wants_read() {
//!         socket.read(&mut buf).map(|n| match n {
//!             0 => client.receive_eof(Instant::now()),
//!             n => client.receive(Instant::now(), &buf[..n]),
//!         })
//!     } else {
//!         Ok(()) // nothing in flight: the caller's turn (here QUIT is already asked for)
//!     };
//!     match io {
//!         Ok(()) => {}
//!         Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
//!             client.handle_timeout(Instant::now());
//!         }
//!         Err(e) => client.connection_lost(Instant::now(), classify_transport_error(e.kind(), &e.to_string())),
//!     }
//! }
//! # let server = server.join().unwrap()?;
//! # assert_eq!(server.messages().len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Layers
//!
//! | Module | What it does |
//! |---|---|
//! | [`reply`] | frames and parses server replies within limits, tolerating (and reporting) what real servers get wrong; writes replies for servers |
//! | [`command`] | writes commands strictly (CR, LF or NUL in an argument is an error, never wire bytes); parses them for servers |
//! | [`address`] | mailboxes, paths, domains and address literals, ASCII and SMTPUTF8 |
//! | [`capabilities`] | what an EHLO reply offers |
//! | [`auth`] | SASL: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, CRAM-MD5 and SCRAM-SHA-256 (features) |
//! | [`data`] | the DATA encoder (CRLF, dot-stuffing, smuggling-safe end) and decoder, BDAT chunks |
//! | [`client`] | the session state machine: handshake, STARTTLS, AUTH, pipelining, LMTP, timeouts |
//! | [`diagnosis`] | what a reply or a failure means, its causes and remedies |
//! | [`check`] | a server check over the client, like an expert with telnet, as a report |
//! | [`escape`] | server and user text made safe for a terminal (control octets and invalid UTF-8 escaped) |
//! | [`records`] | the domain's mail records (SPF, DMARC, DKIM, MTA-STS, TLS-RPT, MX, DNSBL, rDNS, DANE), sans-IO: DNS answers in, diagnoses out |
//! | `testing` | (feature) a scripted in-memory server and a virtual-clock driver, to test your code without sockets; served over real streams with the adapters |
//! | `blocking`, `tokio` | (features) the drive loop done once, right: connect, send, check, quit, with hard deadlines |
//! | `tls` | (with an adapter) TLS as a sans-IO session; with `rustls`, `tls::TlsConnector` |
//! | `strategies` | (feature `proptest`) generators for every wire type and for whole server scripts |
//!
//! # Cargo features
//!
//! | Feature | Adds | Pulls in |
//! |---|---|---|
//! | `cram-md5` | the CRAM-MD5 SASL client (RFC 2195) | `hmac`, `md-5` |
//! | `scram` | the SCRAM-SHA-256 SASL client (RFC 7677) | `hmac`, `sha2`, `pbkdf2` |
//! | `proptest` | `smtp_sansio::strategies`: proptest strategies for every wire type and whole server scripts, to property-test your own SMTP code (implies `testing`) | `proptest` |
//! | `testing` | `smtp_sansio::testing`: a scripted in-memory server (policy, script or C:/S: transcript) and a driver that runs a [`Client`] against it on a virtual clock | nothing |
//! | `arbitrary` | `Arbitrary` for every wire type, for cargo-fuzz targets | `arbitrary` |
//! | `blocking` | `smtp_sansio::blocking`: connect, send, check and quit over `std::io` sockets | nothing |
//! | `tokio` | `smtp_sansio::tokio`: the same over tokio | `tokio` |
//! | `rustls` | TLS for the adapters: WebPKI roots or a CA file, certificate facts and diagnoses | `rustls`, `webpki-roots`, `x509-cert` |
//! | `dane` | `records::dane`: matching TLSA records against a certificate chain | `sha2` (certificates are read with `der`, already a dependency) |
//!
//! Values from `arbitrary` are always valid, built by the public constructors: a [`Command`]
//! writes one line that [`parse_command`] reads back equal, a [`Reply`]'s bytes parse back
//! equal with no anomaly, and an address's text parses back equal.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(any(feature = "blocking", feature = "tokio"))]
mod adapter;
pub mod address;
#[cfg(feature = "arbitrary")]
mod arbitrary;
pub mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
pub mod capabilities;
pub mod check;
pub mod client;
pub mod command;
pub mod data;
pub mod diagnosis;
pub mod escape;
#[doc(hidden)]
pub mod fuzzing;
mod grammar;
mod json;
mod octets;
pub mod records;
pub mod reply;
mod secret;
mod stage;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategies;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[cfg(any(feature = "blocking", feature = "tokio"))]
pub mod tls;
#[cfg(feature = "tokio")]
pub mod tokio;

#[cfg(any(feature = "blocking", feature = "tokio"))]
pub use adapter::SessionError;

pub use address::{
    AddressError, AddressLiteral, Domain, EnvelopeError, ForwardPath, GeneralLiteral, Host,
    LocalPart, Mailbox, ReversePath,
};
pub use auth::{
    Credentials, InvalidMechanism, Mechanism, SaslClient, SaslError, SaslOptions, choose_mechanism,
};
pub use capabilities::{Capabilities, CapabilityAnomaly, Extension, Keyword, ServerName};
pub use check::{Check, CheckOptions, CheckTls, Report, StepStatus, TlsFacts, Verdict};
pub use client::{
    Client, CloseReason, CommandHandle, Config, Envelope, Event, Handshake, MessageHandles,
    MessageOutcome, MessageStatus, Pipelining, RecipientStatus, Rejection, Timeouts, TlsPolicy,
    UsageError,
};
pub use command::{
    Body, Command, CommandError, CommandLimits, CommandParseError, EsmtpParam, MailParams, Notify,
    Orcpt, RcptParams, Ret, Verb, parse_auth_response, parse_command,
};
pub use data::{BdatChunker, BdatConfig, DataDecoder, DataEncoder, DecodeProgress, EncodeSummary};
pub use diagnosis::{
    Confidence, Diagnosis, DiagnosisClass, DiagnosisSeverity, Evidence, Retry, UnknownClass,
    classify_tls_error, classify_transport_error, diagnose, diagnose_bytes, diagnose_in_context,
    diagnose_text,
};
pub use reply::{
    Anomalies, Anomaly, Decoded, EnhancedCode, Reply, ReplyCode, ReplyDecoder, ReplyError,
    ReplyLimits, ReplyLine, ReplyWriteError, parse_reply,
};
pub use secret::{Secret, Wipe};
pub use stage::{Stage, UnknownStage};

/// Compiles the README's Rust examples as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
