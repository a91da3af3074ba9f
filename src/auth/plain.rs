//! PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, sent as the initial response.

use super::{Mechanism, SaslError};
use crate::secret::Secret;

/// The PLAIN message (RFC 4616 s2: `message = [authzid] UTF8NUL authcid UTF8NUL passwd`).
pub(super) fn message(
    authorization_id: Option<&str>,
    user: &str,
    password: &Secret<String>,
) -> Result<Secret<Vec<u8>>, SaslError> {
    let password = password.expose_secret();
    // RFC 4616 s2: authcid and passwd are 1*SAFE, authzid is 1*SAFE if present, and SAFE
    // is any UTF-8 character but NUL.
    let invalid = |field, problem| SaslError::InvalidInput {
        mechanism: Mechanism::Plain,
        field,
        problem,
    };
    if user.is_empty() {
        return Err(invalid("user name", "must not be empty (RFC 4616 s2)"));
    }
    if password.is_empty() {
        return Err(invalid("password", "must not be empty (RFC 4616 s2)"));
    }
    if user.contains('\0') {
        return Err(invalid("user name", "must not contain NUL (RFC 4616 s2)"));
    }
    if password.contains('\0') {
        return Err(invalid("password", "must not contain NUL (RFC 4616 s2)"));
    }
    let authorization_id = authorization_id.unwrap_or("");
    if authorization_id.contains('\0') {
        return Err(invalid(
            "authorization identity",
            "must not contain NUL (RFC 4616 s2)",
        ));
    }
    let mut message = Vec::with_capacity(authorization_id.len() + user.len() + password.len() + 2);
    message.extend_from_slice(authorization_id.as_bytes());
    message.push(0);
    message.extend_from_slice(user.as_bytes());
    message.push(0);
    message.extend_from_slice(password.as_bytes());
    Ok(Secret::new(message))
}
