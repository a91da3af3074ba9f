//! [`Error`] (the peer broke SMTP: fatal, sticky) and [`UsageError`] (the caller asked for
//! something the session cannot do now: returned at once, state unchanged).

use crate::auth::{Mechanism, SaslError};
use crate::capabilities::Keyword;
use crate::command::{CommandError, Verb};
use crate::diagnosis::Diagnosis;
use crate::reply::{Reply, ReplyError};
use crate::stage::Stage;

/// The server (or the network) broke the session: it comes in the last event,
/// [`Event::Closed`](super::Event::Closed) with [`CloseReason::Failed`](super::CloseReason::Failed),
/// and stays readable from [`Client::error`](super::Client::error). Each variant carries a
/// [`Diagnosis`] that says what it likely means.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes from the server are not an SMTP reply within the limits.
    #[error("malformed reply during {stage}: {source}")]
    MalformedReply {
        /// Where it happened.
        stage: Stage,
        /// What was wrong, with line and offset.
        source: ReplyError,
        /// What it likely means (often: not an SMTP server on this port).
        diagnosis: Box<Diagnosis>,
    },
    /// A well-formed reply that is not a valid answer to the command in flight
    /// (RFC 5321 s4.3.2), e.g. `250` to DATA or `220` to EHLO, a reply nothing asked for, or
    /// a reply that came before the command it would answer was written.
    #[error("unexpected reply {code} during {stage}", code = reply.code())]
    UnexpectedReply {
        /// Where it happened.
        stage: Stage,
        /// The command it answered, if any was in flight.
        verb: Option<Verb>,
        /// The reply.
        reply: Reply,
        /// What it likely means.
        diagnosis: Box<Diagnosis>,
    },
    /// The server closed the connection in the middle of a reply, a command or a transaction.
    #[error("connection closed by the server during {stage}{}", if *mid_reply { " (in the middle of a reply)" } else { "" })]
    UnexpectedEof {
        /// Where it happened.
        stage: Stage,
        /// Whether part of a reply had arrived.
        mid_reply: bool,
        /// What it likely means.
        diagnosis: Box<Diagnosis>,
    },
    /// No complete reply within the RFC 5321 s4.5.3.2 timeout, or the server stopped
    /// reading what the client had to write.
    #[error("timed out waiting for the server during {stage}")]
    Timeout {
        /// What the engine was waiting for.
        stage: Stage,
        /// What it likely means.
        diagnosis: Box<Diagnosis>,
    },
    /// Bytes arrived after the server's `220` to STARTTLS and before the TLS handshake: a man
    /// in the middle may be injecting plaintext replies ("STARTTLS response injection").
    /// They were not read as replies.
    #[error("{bytes} bytes arrived after the STARTTLS go-ahead and before the TLS handshake")]
    StartTlsInjection {
        /// How many bytes.
        bytes: usize,
        /// What it means.
        diagnosis: Box<Diagnosis>,
    },
    /// The connection failed under the session: the caller's socket or TLS layer reported an
    /// error ([`Client::connection_lost`](super::Client::connection_lost),
    /// [`Client::tls_failed`](super::Client::tls_failed)).
    #[error("the connection failed during {stage}")]
    ConnectionLost {
        /// Where it happened.
        stage: Stage,
        /// What the caller's IO layer reported, as a diagnosis.
        diagnosis: Box<Diagnosis>,
    },
    /// The server failed the SASL mechanism's proof that it knows the credentials (a forged
    /// SCRAM server signature or nonce): an impostor or a man in the middle. The session is
    /// not safe to use.
    #[error("the server failed {mechanism} verification: {source}")]
    ServerNotVerified {
        /// The mechanism.
        mechanism: Mechanism,
        /// What the SASL client found.
        source: SaslError,
        /// What it means.
        diagnosis: Box<Diagnosis>,
    },
}

impl Error {
    /// What the failure likely means, its causes and remedies.
    pub fn diagnosis(&self) -> &Diagnosis {
        match self {
            Error::MalformedReply { diagnosis, .. }
            | Error::UnexpectedReply { diagnosis, .. }
            | Error::UnexpectedEof { diagnosis, .. }
            | Error::Timeout { diagnosis, .. }
            | Error::StartTlsInjection { diagnosis, .. }
            | Error::ConnectionLost { diagnosis, .. }
            | Error::ServerNotVerified { diagnosis, .. } => diagnosis,
        }
    }

    /// Where in the session it happened.
    pub fn stage(&self) -> Stage {
        match self {
            Error::MalformedReply { stage, .. }
            | Error::UnexpectedReply { stage, .. }
            | Error::UnexpectedEof { stage, .. }
            | Error::Timeout { stage, .. }
            | Error::ConnectionLost { stage, .. } => *stage,
            Error::StartTlsInjection { .. } => Stage::StartTls,
            Error::ServerNotVerified { .. } => Stage::Auth,
        }
    }
}

/// The caller asked for something the session cannot do now. Nothing was changed or sent.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The command does not fit the session's state (e.g. RCPT before MAIL, DATA with no
    /// recipient, a command during the message data).
    #[error("{verb} is not allowed now: {reason}")]
    NotNow {
        /// The command.
        verb: Verb,
        /// Why, in plain words.
        reason: &'static str,
    },
    /// The session has ended (closed, failed, or QUIT already given).
    #[error("the session has ended")]
    Closed,
    /// The TLS policy is `Required` and the session is not encrypted yet.
    #[error("{verb} refused: TLS is required and the session is not encrypted")]
    TlsRequired {
        /// The command.
        verb: Verb,
    },
    /// The command or parameter needs an extension the server did not advertise.
    #[error("the server does not offer {extension}")]
    ExtensionNotOffered {
        /// The missing extension.
        extension: Keyword,
    },
    /// The declared message size is over the server's advertised SIZE (RFC 1870).
    #[error("message of {declared} octets is over the server's limit of {limit}")]
    MessageTooLarge {
        /// The declared size.
        declared: u64,
        /// The advertised limit.
        limit: u64,
    },
    /// The server did not advertise AUTH.
    #[error("the server does not offer AUTH{}", if *starttls_first { " before STARTTLS" } else { "" })]
    AuthNotOffered {
        /// Whether STARTTLS is offered and not done yet (servers often offer AUTH only after).
        starttls_first: bool,
    },
    /// No mechanism both sides support.
    #[error("no common AUTH mechanism (server offers: {})", offered.iter().map(Mechanism::as_str).collect::<Vec<_>>().join(" "))]
    NoCommonMechanism {
        /// What the server offers.
        offered: Vec<Mechanism>,
    },
    /// AUTH without TLS is not allowed
    /// ([`Config::dangerous_allow_plaintext_auth`](super::Config::dangerous_allow_plaintext_auth)):
    /// PLAIN and LOGIN would send the password in the clear, and even CRAM-MD5 or SCRAM would
    /// hand an eavesdropper a challenge and response to attack offline (RFC 8314).
    #[error("AUTH {mechanism} without TLS would expose the credentials: start TLS first")]
    PlaintextAuthRefused {
        /// The mechanism.
        mechanism: Mechanism,
    },
    /// A recipient needs SMTPUTF8 but MAIL did not declare it.
    #[error("this address needs SMTPUTF8, which MAIL FROM did not declare")]
    SmtpUtf8NotDeclared,
    /// Message data has 8-bit octets but MAIL did not declare `BODY=8BITMIME`.
    #[error("message data contains 8-bit octets but MAIL FROM did not declare BODY=8BITMIME")]
    EightBitNotDeclared,
    /// The command would not be valid on the wire.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The SASL mechanism could not start.
    #[error(transparent)]
    Sasl(#[from] SaslError),
    /// Too many commands queued or awaiting replies.
    #[error("more than {limit} commands outstanding")]
    TooManyOutstanding {
        /// The configured limit.
        limit: usize,
    },
    /// Too many messages handed over and not yet finished
    /// ([`Config::max_queued_messages`](super::Config::max_queued_messages)).
    #[error("more than {limit} messages queued")]
    QueueFull {
        /// The configured limit.
        limit: usize,
    },
}

impl UsageError {
    /// What the refusal means for the user, when it is about the server rather than a
    /// mistake in the calling code: no STARTTLS, no AUTH (or "STARTTLS first"), no common
    /// mechanism, plaintext AUTH refused, a message over the advertised SIZE.
    pub fn diagnosis(&self) -> Option<Diagnosis> {
        match self {
            UsageError::ExtensionNotOffered {
                extension: Keyword::StartTls,
            } => Some(Diagnosis::tls_not_offered()),
            UsageError::ExtensionNotOffered { extension } => {
                Some(Diagnosis::extension_missing(*extension))
            }
            UsageError::SmtpUtf8NotDeclared => {
                Some(Diagnosis::extension_missing(Keyword::SmtpUtf8))
            }
            UsageError::MessageTooLarge { declared, limit } => {
                Some(Diagnosis::size_over_limit(*declared, *limit))
            }
            UsageError::AuthNotOffered { starttls_first } => Some(Diagnosis::auth_not_offered(
                *starttls_first,
                !*starttls_first,
            )),
            UsageError::NoCommonMechanism { offered } => Some(Diagnosis::no_common_mechanism(
                offered,
                &crate::auth::supported_mechanisms(),
            )),
            UsageError::PlaintextAuthRefused { mechanism } => {
                Some(Diagnosis::plaintext_auth_refused(mechanism))
            }
            _ => None,
        }
    }
}
