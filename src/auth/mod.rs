//! SASL authentication (RFC 4954): mechanism names, credentials, and the client side of
//! each exchange as a small state machine with no IO and no randomness.
//!
//! | Mechanism | Spec | Build | Secret sent in the clear |
//! |---|---|---|---|
//! | `SCRAM-SHA-256` | RFC 7677, RFC 5802 | feature `scram` | no; the server proves it knows the password too |
//! | `CRAM-MD5` | RFC 2195 | feature `cram-md5` | no (but MD5, and the server keeps a password equivalent) |
//! | `PLAIN` | RFC 4616 | always | yes |
//! | `LOGIN` | draft-murchison-sasl-login | always | yes |
//! | `OAUTHBEARER` | RFC 7628 | always | yes (a token) |
//! | `XOAUTH2` | Google, Microsoft | always | yes (a token) |
//!
//! [`choose_mechanism`] picks the best one both sides have; [`SaslClient`] runs it;
//! [`decode_challenge`] and [`encode_response`] convert the `334` text and the answers.
//! Whether a mechanism that sends the secret in the clear may run without TLS is the
//! caller's decision ([`Mechanism::sends_plaintext_secret`]).

mod client;
#[cfg(feature = "cram-md5")]
mod cram_md5;
mod credentials;
mod error;
mod login;
mod mechanism;
mod oauth;
mod plain;
#[cfg(feature = "scram")]
mod scram;

#[cfg(test)]
mod tests;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub use client::{
    DEFAULT_MAX_SCRAM_ITERATIONS, SaslClient, SaslOptions, decode_challenge,
    encode_initial_response, encode_response,
};
pub use credentials::Credentials;
pub use error::SaslError;
pub use mechanism::{InvalidMechanism, Mechanism};
#[cfg(feature = "scram")]
#[cfg_attr(docsrs, doc(cfg(feature = "scram")))]
pub use scram::MIN_SCRAM_ITERATIONS;

/// Password mechanisms, best first:
///
/// 1. SCRAM-SHA-256: the password never crosses the wire, a captured exchange cannot be
///    replayed or cheaply brute-forced (salted, iterated), and the server proves it knows
///    the password too.
/// 2. CRAM-MD5: the password never crosses the wire, but MD5 and an unsalted HMAC make a
///    captured exchange easy to brute-force, and there is no server proof.
/// 3. PLAIN: one round trip, standard; the password is sent (TLS required).
/// 4. LOGIN: like PLAIN but unstandardized and two round trips; last, for servers that
///    offer nothing else (some Microsoft servers).
const PASSWORD_PREFERENCE: &[Mechanism] = &[
    Mechanism::ScramSha256,
    Mechanism::CramMd5,
    Mechanism::Plain,
    Mechanism::Login,
];

/// Token mechanisms, best first: OAUTHBEARER is the IETF standard (RFC 7628) with a defined
/// error exchange; XOAUTH2 is its vendor-specific predecessor.
const TOKEN_PREFERENCE: &[Mechanism] = &[Mechanism::OAuthBearer, Mechanism::XOAuth2];

/// Every mechanism this build has a client for, best first for each kind of credentials
/// (see [`choose_mechanism`]). Pass it as `allowed` to allow them all.
pub fn supported_mechanisms() -> Vec<Mechanism> {
    PASSWORD_PREFERENCE
        .iter()
        .chain(TOKEN_PREFERENCE)
        .filter(|m| SaslClient::supports(m))
        .cloned()
        .collect()
}

/// Picks the best mechanism that the server `offered` (its EHLO `AUTH` keyword), the
/// caller `allowed`, this build supports and the `credentials` fit.
///
/// For a password: SCRAM-SHA-256, then CRAM-MD5, then PLAIN, then LOGIN; challenge-response
/// first because the password does not cross the wire, SCRAM before CRAM-MD5 because it is
/// salted, iterated and authenticates the server as well. For a token: OAUTHBEARER (the
/// standard, RFC 7628), then XOAUTH2. `None` when nothing fits: the server offers no
/// mechanism for this kind of credentials (a port-25 MX host often offers none at all).
///
/// ```
/// use smtp_sansio::Mechanism;
/// use smtp_sansio::auth::{Credentials, choose_mechanism, supported_mechanisms};
///
/// let offered = [Mechanism::Login, Mechanism::Plain, Mechanism::XOAuth2];
/// let password = Credentials::password("tim", "secret");
/// let token = Credentials::oauth2("tim@example.com", "ya29.token");
/// let allowed = supported_mechanisms();
/// assert_eq!(choose_mechanism(&offered, &password, &allowed), Some(Mechanism::Plain));
/// assert_eq!(choose_mechanism(&offered, &token, &allowed), Some(Mechanism::XOAuth2));
/// // A caller that refuses LOGIN and PLAIN:
/// assert_eq!(choose_mechanism(&offered, &password, &[Mechanism::CramMd5]), None);
/// ```
pub fn choose_mechanism(
    offered: &[Mechanism],
    credentials: &Credentials,
    allowed: &[Mechanism],
) -> Option<Mechanism> {
    let preference = match credentials {
        Credentials::Password { .. } => PASSWORD_PREFERENCE,
        Credentials::OAuth2 { .. } => TOKEN_PREFERENCE,
    };
    preference
        .iter()
        .find(|m| SaslClient::supports(m) && allowed.contains(m) && offered.contains(m))
        .cloned()
}

/// Base64 as servers send it: the standard alphabet, `=` padding optional, stray low bits
/// accepted.
fn lenient_base64() -> GeneralPurpose {
    GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}
