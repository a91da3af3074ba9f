//! A sans-IO SMTP client engine that diagnoses.
//!
//! This crate does no IO and reads no clock: bytes from the server go in, bytes to send,
//! typed events and plain-language diagnoses come out, and every call that changes state is
//! given the current time by the caller. The same inputs always give the same outputs.

#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod auth;
pub mod capabilities;
pub mod diagnosis;
#[doc(hidden)]
pub mod fuzzing;
mod json;
pub mod reply;
mod secret;
mod stage;

pub use auth::{InvalidMechanism, Mechanism};
pub use capabilities::{Capabilities, CapabilityAnomaly, Extension, Keyword, ServerName};
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
