//! OAuth 2.0 bearer tokens: OAUTHBEARER (RFC 7628) and Google's and Microsoft's XOAUTH2.
//!
//! Both send the token in the initial response. When the token is refused, the server
//! sends one challenge holding a JSON error (`{"status":"invalid_token",...}`) and waits
//! for the client's answer before its final `535`: XOAUTH2 wants an empty response,
//! OAUTHBEARER a single `%x01` (RFC 7628 s3.2.3). The JSON is kept for the caller.

use super::{Mechanism, SaslError};
use crate::secret::Secret;

/// A bearer-token exchange after its initial response.
#[derive(Debug, Clone)]
pub(super) struct Bearer {
    mechanism: Mechanism,
    /// The error challenge, once the server sent one.
    server_error: Option<Vec<u8>>,
}

impl Bearer {
    pub(super) fn new(mechanism: Mechanism) -> Self {
        Bearer {
            mechanism,
            server_error: None,
        }
    }

    /// Answers the error challenge so the server can send its final reply.
    pub(super) fn respond(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        if self.server_error.is_some() {
            return Err(SaslError::UnexpectedChallenge {
                mechanism: self.mechanism.clone(),
                number: 2,
                expected: "at most one challenge (the error details)",
            });
        }
        self.server_error = Some(challenge.to_vec());
        let answer = if self.mechanism == Mechanism::OAuthBearer {
            // RFC 7628 s3.2.3: "the client MUST then send either an additional client
            // response consisting of a single %x01 (control A) character to the server in
            // order to allow the server to finish the exchange".
            vec![0x01]
        } else {
            Vec::new()
        };
        Ok(Secret::new(answer))
    }

    pub(super) fn server_error(&self) -> Option<&[u8]> {
        self.server_error.as_deref()
    }
}

/// `user=<user>^Aauth=Bearer <token>^A^A` (XOAUTH2, as Google and Microsoft document it).
pub(super) fn xoauth2_message(
    user: &str,
    token: &Secret<String>,
) -> Result<Secret<Vec<u8>>, SaslError> {
    let mechanism = Mechanism::XOAuth2;
    check_token(&mechanism, token)?;
    if user.is_empty() || user.bytes().any(|b| b.is_ascii_control()) {
        return Err(SaslError::InvalidInput {
            mechanism,
            field: "user name",
            problem: "must be non-empty and free of control characters (^A separates fields)",
        });
    }
    let token = token.expose_secret();
    let mut message = Vec::with_capacity(user.len() + token.len() + 22);
    message.extend_from_slice(b"user=");
    message.extend_from_slice(user.as_bytes());
    message.extend_from_slice(b"\x01auth=Bearer ");
    message.extend_from_slice(token.as_bytes());
    message.extend_from_slice(b"\x01\x01");
    Ok(Secret::new(message))
}

/// `n,a=<user>,^Aauth=Bearer <token>^A^A` (RFC 7628 s3.1: `gs2-header kvsep *kvpair kvsep`,
/// with the `auth` pair only; `host` and `port` are optional and not sent).
pub(super) fn oauthbearer_message(
    user: &str,
    token: &Secret<String>,
) -> Result<Secret<Vec<u8>>, SaslError> {
    let mechanism = Mechanism::OAuthBearer;
    check_token(&mechanism, token)?;
    if user.bytes().any(|b| b.is_ascii_control()) {
        return Err(SaslError::InvalidInput {
            mechanism,
            field: "user name",
            problem: "must be free of control characters (RFC 7628 s3.1)",
        });
    }
    let token = token.expose_secret();
    let mut message = Vec::with_capacity(user.len() + token.len() + 24);
    // RFC 5801 s4: gs2-header = gs2-cb-flag "," [gs2-authzid] ","; "n": no channel binding.
    message.extend_from_slice(b"n,");
    if !user.is_empty() {
        message.extend_from_slice(b"a=");
        message.extend_from_slice(escape_saslname(user).as_bytes());
    }
    message.extend_from_slice(b",\x01auth=Bearer ");
    message.extend_from_slice(token.as_bytes());
    message.extend_from_slice(b"\x01\x01");
    Ok(Secret::new(message))
}

/// RFC 6750 s2.1: the token must fit in `b64token` (printable ASCII, no space); checking
/// the wider "visible ASCII" keeps tokens of lax providers while ruling out the `^A` and
/// spaces that would break the message's framing.
fn check_token(mechanism: &Mechanism, token: &Secret<String>) -> Result<(), SaslError> {
    let token = token.expose_secret();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SaslError::InvalidInput {
            mechanism: mechanism.clone(),
            field: "token",
            problem: "must be non-empty visible ASCII without spaces (RFC 6750 s2.1)",
        });
    }
    Ok(())
}

/// RFC 5801 s4 / RFC 5802 s5.1 `saslname`: `,` is sent as `=2C` and `=` as `=3D`.
pub(super) fn escape_saslname(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            ',' => escaped.push_str("=2C"),
            '=' => escaped.push_str("=3D"),
            c => escaped.push(c),
        }
    }
    escaped
}
