//! [`SaslError`]: why an exchange cannot start or go on.

use super::Mechanism;

/// Why a SASL exchange cannot start or go on. Every variant says what was expected and
/// what came. None of them carries a password, token or proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// This build has no client for the mechanism (some need a cargo feature).
    #[error("no client for SASL mechanism {mechanism} in this build{hint}")]
    UnsupportedMechanism {
        /// The mechanism asked for.
        mechanism: Mechanism,
        /// How to get it, if it exists behind a feature (" (enable the `scram` feature)").
        hint: &'static str,
    },
    /// The mechanism needs the other kind of secret.
    #[error("{mechanism} needs {expected}, but the credentials hold {found}")]
    WrongCredentials {
        /// The mechanism asked for.
        mechanism: Mechanism,
        /// `"a password"` or `"an OAuth 2.0 token"`.
        expected: &'static str,
        /// What the credentials hold.
        found: &'static str,
    },
    /// A user name, password, token, authorization identity or nonce cannot be sent with
    /// this mechanism (a NUL in PLAIN, a `\x01` in XOAUTH2, an empty value ...).
    #[error("{mechanism}: the {field} {problem}")]
    InvalidInput {
        /// The mechanism asked for.
        mechanism: Mechanism,
        /// `"user name"`, `"password"`, `"token"`, `"authorization identity"`, `"client nonce"`.
        field: &'static str,
        /// What is wrong, e.g. "must not contain NUL (RFC 4616 s2)".
        problem: &'static str,
    },
    /// The mechanism does not carry an authorization identity, but one was given.
    #[error("{mechanism} cannot carry an authorization identity")]
    AuthorizationIdUnsupported {
        /// The mechanism asked for.
        mechanism: Mechanism,
    },
    /// SCRAM needs a client nonce from the caller (the crate has no randomness).
    #[error("{mechanism} needs a client nonce: set SaslOptions::with_client_nonce")]
    MissingClientNonce {
        /// The mechanism asked for.
        mechanism: Mechanism,
    },
    /// The text of a `334` reply is not base64 (RFC 4954 s4).
    #[error("expected base64 in the 334 challenge, found {found:?}: {reason}")]
    ChallengeNotBase64 {
        /// Up to the first 64 characters of the challenge text.
        found: String,
        /// What the decoder objected to.
        reason: String,
    },
    /// The server sent a challenge the mechanism has no answer for.
    #[error("{mechanism} expected {expected}, but the server sent challenge {number}")]
    UnexpectedChallenge {
        /// The mechanism in use.
        mechanism: Mechanism,
        /// 1-based number of the challenge.
        number: usize,
        /// What the mechanism expected instead, e.g. "no challenge after the password".
        expected: &'static str,
    },
    /// A server message of a challenge-response mechanism does not follow its grammar.
    #[error("{mechanism}: expected {expected} in the server's message, found {found:?}")]
    MalformedChallenge {
        /// The mechanism in use.
        mechanism: Mechanism,
        /// What the grammar requires, e.g. `r=<nonce>,s=<salt>,i=<count>` (RFC 5802 s7).
        expected: &'static str,
        /// Up to the first 64 characters of the message.
        found: String,
    },
    /// The SCRAM server nonce does not start with the client's nonce (RFC 5802 s5.1).
    #[error(
        "{mechanism}: the server nonce must start with the client nonce and extend it (RFC 5802 s5.1)"
    )]
    NonceMismatch {
        /// The mechanism in use.
        mechanism: Mechanism,
    },
    /// The SCRAM iteration count is outside the accepted range.
    #[error(
        "{mechanism}: expected an iteration count from {min} to {max} (RFC 7677 s4), found {found}"
    )]
    IterationCount {
        /// The mechanism in use.
        mechanism: Mechanism,
        /// What the server asked for.
        found: u32,
        /// The lowest accepted (4096, RFC 7677 s4).
        min: u32,
        /// The highest accepted ([`SaslOptions::max_scram_iterations`](super::SaslOptions)).
        max: u32,
    },
    /// The server asked for a SCRAM extension the client does not know (RFC 5802 s5.1 `m=`).
    #[error("{mechanism}: the server requires an extension this client does not support (m=)")]
    MandatoryExtension {
        /// The mechanism in use.
        mechanism: Mechanism,
    },
    /// The SCRAM server signature does not match: the server does not know the password,
    /// or the exchange was tampered with (RFC 5802 s9).
    #[error("{mechanism}: the server's signature is wrong; it did not prove it knows the password")]
    ServerSignatureMismatch {
        /// The mechanism in use.
        mechanism: Mechanism,
    },
    /// The SCRAM server-final message reports an error (RFC 5802 s7 `e=`).
    #[error("{mechanism}: the server reported {message:?}")]
    ServerError {
        /// The mechanism in use.
        mechanism: Mechanism,
        /// The `server-error-value`, e.g. `invalid-proof`.
        message: String,
    },
}

/// Up to the first 64 characters of `bytes`, lossily decoded, for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.chars().take(64).collect()
}
