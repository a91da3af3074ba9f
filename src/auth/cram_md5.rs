//! CRAM-MD5 (RFC 2195): `user SP hex(HMAC-MD5(password, challenge))` in answer to the one
//! challenge. The password is not sent, but the server must keep a password equivalent,
//! and MD5 is weak: prefer SCRAM-SHA-256 where the server offers it.

use hmac::{Hmac, Mac};
use md5::Md5;

use super::{Mechanism, SaslError, error::excerpt};
use crate::secret::Secret;

/// A CRAM-MD5 exchange.
#[derive(Debug, Clone)]
pub(super) struct CramMd5 {
    user: String,
    password: Secret<String>,
    answered: bool,
}

impl CramMd5 {
    pub(super) fn new(user: &str, password: &Secret<String>) -> Self {
        CramMd5 {
            user: user.to_owned(),
            password: password.clone(),
            answered: false,
        }
    }

    /// RFC 2195 s2: "The data encoded in the first ready response contains a presumptively
    /// arbitrary string of random digits, a timestamp, and the fully-qualified primary host
    /// name"; the client answers with the user name, a space and the digest "represented as
    /// a sequence of 32 hexadecimal digits" (lower case in the RFC's example).
    pub(super) fn respond(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        if self.answered {
            return Err(SaslError::UnexpectedChallenge {
                mechanism: Mechanism::CramMd5,
                number: 2,
                expected: "one challenge",
            });
        }
        if challenge.is_empty() {
            return Err(SaslError::MalformedChallenge {
                mechanism: Mechanism::CramMd5,
                expected: "a non-empty challenge string (RFC 2195 s2)",
                found: excerpt(challenge),
            });
        }
        let mut mac = <Hmac<Md5> as Mac>::new_from_slice(self.password.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length (RFC 2104 s2)");
        mac.update(challenge);
        let digest = mac.finalize().into_bytes();
        let mut answer = Vec::with_capacity(self.user.len() + 1 + 2 * digest.len());
        answer.extend_from_slice(self.user.as_bytes());
        answer.push(b' ');
        for byte in digest {
            answer.push(HEX[usize::from(byte >> 4)]);
            answer.push(HEX[usize::from(byte & 0x0f)]);
        }
        self.answered = true;
        Ok(Secret::new(answer))
    }

    pub(super) fn is_complete(&self) -> bool {
        self.answered
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
