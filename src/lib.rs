//! A sans-IO SMTP client engine that diagnoses.
//!
//! This crate does no IO and reads no clock: bytes from the server go in, bytes to send,
//! typed events and plain-language diagnoses come out, and every call that changes state is
//! given the current time by the caller. The same inputs always give the same outputs, so
//! a session can be replayed, fuzzed and property-tested as a whole.
//!
//! # The drive loop
//!
//! The caller owns the socket (and the TLS session, and the clock). After every input or
//! command: write [`Client::pending_output`] and report it with [`Client::consume_output`];
//! drain [`Client::poll_event`]; read [`Client::poll_timeout`] last and wait for bytes or
//! that deadline. Every event names the [`CommandHandle`] of the command it answers; a
//! server's refusal is an [`Event::Rejected`] carrying a [`Diagnosis`]; an [`Error`] means the
//! server broke SMTP or went silent, and the session is over.
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::Instant;
//!
//! use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
//! use smtp_sansio::{Client, Config, Envelope, Event, TlsPolicy};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut socket = TcpStream::connect("127.0.0.1:2525")?;
//! // Plaintext for a loopback test server; on the internet keep the default
//! // (TlsPolicy::Required) and run a TLS session on StartTlsReady.
//! let config = Config::new(Host::parse("client.example.org")?).with_tls(TlsPolicy::None);
//! let mut client = Client::new(config, Instant::now());
//! let envelope = Envelope::new(
//!     ReversePath::from(Mailbox::parse("alice@example.org")?),
//!     [ForwardPath::from(Mailbox::parse("bob@example.com")?)],
//! );
//! let mut buf = [0u8; 4096];
//! while !client.is_closed() {
//!     // 1. Write what the engine wants sent.
//!     while !client.pending_output().is_empty() {
//!         let n = socket.write(client.pending_output())?;
//!         client.consume_output(Instant::now(), n);
//!     }
//!     // 2. Drain events; they may lead to commands.
//!     while let Some(event) = client.poll_event()? {
//!         match event {
//!             Event::Ready { .. } => {
//!                 client.send_mail(Instant::now(), &envelope, b"Subject: hi\r\n\r\nHello.\r\n")?;
//!             }
//!             Event::Rejected(rejection) => eprintln!("{}", rejection.diagnosis),
//!             Event::MessageAccepted { .. } => {
//!                 client.quit(Instant::now())?;
//!             }
//!             _ => {}
//!         }
//!     }
//!     if client.is_closed() || !client.pending_output().is_empty() {
//!         continue;
//!     }
//!     // 3. Wait for bytes or the next deadline.
//!     let wait = client.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(wait.map(|d| d.max(std::time::Duration::from_millis(1))))?;
//!     match socket.read(&mut buf) {
//!         Ok(0) => client.receive_eof(Instant::now()),
//!         Ok(n) => client.receive(Instant::now(), &buf[..n]),
//!         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
//!             || e.kind() == std::io::ErrorKind::TimedOut => client.handle_timeout(Instant::now()),
//!         Err(e) => return Err(e.into()),
//!     }
//! }
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
//! | [`records`] | the domain's mail records (SPF, DMARC, DKIM, MTA-STS, TLS-RPT, MX, DNSBL, rDNS, DANE), sans-IO: DNS answers in, diagnoses out |
//! | `testing` | (feature) a scripted in-memory server and a virtual-clock driver, to test your code without sockets |
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
//! | `dane` | `records::dane`: matching TLSA records against a certificate chain | `sha2` (certificates are read with `der`, already a dependency) |
//!
//! Values from `arbitrary` are always valid, built by the public constructors: a [`Command`]
//! writes one line that [`parse_command`] reads back equal, a [`Reply`]'s bytes parse back
//! equal with no anomaly, and an address's text parses back equal.

#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod address;
#[cfg(feature = "arbitrary")]
mod arbitrary;
pub mod auth;
pub mod capabilities;
pub mod check;
pub mod client;
pub mod command;
pub mod data;
pub mod diagnosis;
#[doc(hidden)]
pub mod fuzzing;
mod grammar;
mod json;
pub mod records;
pub mod reply;
mod secret;
mod stage;
#[cfg(feature = "proptest")]
pub mod strategies;
#[cfg(feature = "testing")]
pub mod testing;

pub use address::{
    AddressError, AddressLiteral, Domain, ForwardPath, GeneralLiteral, Host, LocalPart, Mailbox,
    ReversePath,
};
pub use auth::{
    Credentials, InvalidMechanism, Mechanism, SaslClient, SaslError, SaslOptions, choose_mechanism,
};
pub use capabilities::{Capabilities, CapabilityAnomaly, Extension, Keyword, ServerName};
pub use check::{
    Action, Check, CheckOptions, CheckTls, Report, Step, StepStatus, TlsFacts, Verdict,
};
pub use client::{
    Client, CloseReason, CommandHandle, Config, Envelope, Error, Event, Handshake, MessageHandles,
    Pipelining, Rejection, Timeouts, TlsPolicy, UsageError,
};
pub use command::{
    Body, Command, CommandError, CommandLimits, CommandParseError, EsmtpParam, MailParams, Notify,
    Orcpt, RcptParams, Ret, Verb, parse_auth_response, parse_command,
};
pub use data::{BdatChunker, BdatConfig, DataDecoder, DataEncoder, DecodeProgress, EncodeSummary};
pub use diagnosis::{
    Confidence, Context, Diagnosis, DiagnosisClass, DiagnosisSeverity, Evidence, Retry,
    UnknownClass, classify_tls_error, classify_transport_error, diagnose, diagnose_bytes,
    diagnose_in_context, diagnose_text,
};
pub use reply::{
    Anomalies, Anomaly, Category, Decoded, EnhancedCode, Reply, ReplyCode, ReplyDecoder,
    ReplyError, ReplyLimits, ReplyLine, ReplyWriteError, Severity, parse_reply,
};
pub use secret::{Secret, Wipe};
pub use stage::{Stage, UnknownStage};

/// Compiles the README's Rust examples as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
