//! A sans-IO SMTP client engine that diagnoses.
//!
//! This crate does no IO and reads no clock: bytes from the server go in, bytes to send,
//! typed events and plain-language diagnoses come out, and every call that changes state is
//! given the current time by the caller. The same inputs always give the same outputs.
//!
//! # Cargo features
//!
//! | Feature | Adds | Pulls in |
//! |---|---|---|
//! | `cram-md5` | the CRAM-MD5 SASL client (RFC 2195) | `hmac`, `md-5` |
//! | `scram` | the SCRAM-SHA-256 SASL client (RFC 7677) | `hmac`, `sha2`, `pbkdf2` |

#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod address;
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
pub mod reply;
mod secret;
mod stage;

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
