//! SCRAM-SHA-256 (RFC 7677, on RFC 5802), without channel binding.
//!
//! ```text
//! C: n,,n=user,r=<client nonce>                       client-first (initial response)
//! S: r=<client nonce><server nonce>,s=<salt>,i=<count> server-first
//! C: c=biws,r=<nonce>,p=<proof>                        client-final
//! S: v=<server signature>                             server-final, checked here
//! C: (empty)                                          then 235
//! ```
//!
//! The client nonce comes from the caller: the crate has no randomness. Names are escaped
//! (`,` as `=2C`, `=` as `=3D`) but not SASLprep-normalized (RFC 4013): ASCII names and
//! passwords, and Unicode ones already in normalization form KC, give the same result.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::oauth::escape_saslname;
use super::{Mechanism, SaslError, error::excerpt, lenient_base64};
use crate::secret::Secret;

/// RFC 7677 s4: "the hash iteration-count announced by a server SHOULD be at least 4096".
pub const MIN_SCRAM_ITERATIONS: u32 = 4096;

/// A SCRAM-SHA-256 exchange.
#[derive(Debug, Clone)]
pub(super) struct Scram {
    password: Secret<String>,
    /// `n,,` or `n,a=<authzid>,` (RFC 5802 s7 `gs2-header`).
    gs2_header: String,
    /// `n=<user>,r=<client nonce>` (RFC 5802 s7 `client-first-message-bare`).
    client_first_bare: String,
    client_nonce: String,
    max_iterations: u32,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    /// The client-first message is out; waiting for server-first.
    AwaitingServerFirst,
    /// The client-final message is out; what is needed to check the server signature.
    AwaitingServerFinal {
        server_key: Secret<Vec<u8>>,
        auth_message: Vec<u8>,
    },
    /// The server signature was right.
    Verified,
}

impl Scram {
    /// Checks the inputs and returns the exchange with its client-first message.
    pub(super) fn new(
        user: &str,
        password: &Secret<String>,
        authorization_id: Option<&str>,
        client_nonce: &str,
        max_iterations: u32,
    ) -> Result<(Self, Secret<Vec<u8>>), SaslError> {
        let invalid = |field, problem| SaslError::InvalidInput {
            mechanism: Mechanism::ScramSha256,
            field,
            problem,
        };
        // RFC 5802 s7: nonce = "r=" c-nonce [s-nonce]; c-nonce = printable, which is
        // %x21-2B / %x2D-7E (visible ASCII but ",").
        if client_nonce.is_empty()
            || !client_nonce
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b',')
        {
            return Err(invalid(
                "client nonce",
                "must be non-empty visible ASCII without ',' (RFC 5802 s7)",
            ));
        }
        // RFC 5802 s7: saslname = 1*(value-safe-char / "=2C" / "=3D"), and value-safe-char
        // excludes NUL.
        if user.is_empty() || user.contains('\0') {
            return Err(invalid(
                "user name",
                "must be non-empty and without NUL (RFC 5802 s7)",
            ));
        }
        let gs2_header = match authorization_id {
            None => "n,,".to_owned(),
            Some(authzid) if authzid.is_empty() || authzid.contains('\0') => {
                return Err(invalid(
                    "authorization identity",
                    "must be non-empty and without NUL (RFC 5802 s7)",
                ));
            }
            Some(authzid) => format!("n,a={},", escape_saslname(authzid)),
        };
        let client_first_bare = format!("n={},r={client_nonce}", escape_saslname(user));
        let mut first = gs2_header.clone().into_bytes();
        first.extend_from_slice(client_first_bare.as_bytes());
        let scram = Scram {
            password: password.clone(),
            gs2_header,
            client_first_bare,
            client_nonce: client_nonce.to_owned(),
            max_iterations,
            state: State::AwaitingServerFirst,
        };
        Ok((scram, Secret::new(first)))
    }

    pub(super) fn respond(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        match &self.state {
            State::AwaitingServerFirst => self.client_final(challenge),
            State::AwaitingServerFinal {
                server_key,
                auth_message,
            } => {
                verify_server_final(challenge, server_key, auth_message)?;
                self.state = State::Verified;
                // RFC 4954 s4: the server's additional data come in a 334; the client
                // answers with an empty line and the server then sends 235.
                Ok(Secret::new(Vec::new()))
            }
            State::Verified => Err(SaslError::UnexpectedChallenge {
                mechanism: Mechanism::ScramSha256,
                number: 3,
                expected: "no challenge after the server signature",
            }),
        }
    }

    pub(super) fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    /// Reads server-first and computes client-final (RFC 5802 s3, s7).
    fn client_final(&mut self, server_first: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        let malformed = || SaslError::MalformedChallenge {
            mechanism: Mechanism::ScramSha256,
            expected: "r=<nonce>,s=<salt>,i=<iteration count> (RFC 5802 s7)",
            found: excerpt(server_first),
        };
        // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count
        //                        ["," extensions]
        let mut attributes = server_first.split(|&b| b == b',');
        let mut next = attributes.next();
        if next.is_some_and(|a| a.starts_with(b"m=")) {
            return Err(SaslError::MandatoryExtension {
                mechanism: Mechanism::ScramSha256,
            });
        }
        let nonce = next
            .and_then(|a| a.strip_prefix(b"r="))
            .ok_or_else(malformed)?;
        next = attributes.next();
        let salt = next
            .and_then(|a| a.strip_prefix(b"s="))
            .ok_or_else(malformed)?;
        next = attributes.next();
        let iterations = next
            .and_then(|a| a.strip_prefix(b"i="))
            .ok_or_else(malformed)?;

        if !nonce.iter().all(|&b| b.is_ascii_graphic())
            || !nonce.starts_with(self.client_nonce.as_bytes())
            || nonce.len() == self.client_nonce.len()
        {
            return Err(SaslError::NonceMismatch {
                mechanism: Mechanism::ScramSha256,
            });
        }
        let salt = lenient_base64()
            .decode(salt)
            .ok()
            .filter(|salt| !salt.is_empty())
            .ok_or_else(malformed)?;
        let iterations: u32 = std::str::from_utf8(iterations)
            .ok()
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(malformed)?;
        if !(MIN_SCRAM_ITERATIONS..=self.max_iterations).contains(&iterations) {
            return Err(SaslError::IterationCount {
                mechanism: Mechanism::ScramSha256,
                found: iterations,
                min: MIN_SCRAM_ITERATIONS,
                max: self.max_iterations,
            });
        }

        // RFC 5802 s3:
        //   SaltedPassword  := Hi(Normalize(password), salt, i)
        //   ClientKey       := HMAC(SaltedPassword, "Client Key")
        //   StoredKey       := H(ClientKey)
        //   AuthMessage     := client-first-message-bare + "," +
        //                      server-first-message + "," +
        //                      client-final-message-without-proof
        //   ClientSignature := HMAC(StoredKey, AuthMessage)
        //   ClientProof     := ClientKey XOR ClientSignature
        //   ServerKey       := HMAC(SaltedPassword, "Server Key")
        //   ServerSignature := HMAC(ServerKey, AuthMessage)
        let salted_password = Secret::new(
            pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(
                self.password.expose_secret().as_bytes(),
                &salt,
                iterations,
            )
            .to_vec(),
        );
        let client_key = Secret::new(hmac_sha256(salted_password.expose_secret(), b"Client Key"));
        let stored_key = Sha256::digest(client_key.expose_secret());
        let mut without_proof = b"c=".to_vec();
        without_proof.extend_from_slice(STANDARD.encode(&self.gs2_header).as_bytes());
        without_proof.extend_from_slice(b",r=");
        without_proof.extend_from_slice(nonce);
        let mut auth_message = self.client_first_bare.clone().into_bytes();
        auth_message.push(b',');
        auth_message.extend_from_slice(server_first);
        auth_message.push(b',');
        auth_message.extend_from_slice(&without_proof);
        let client_signature = hmac_sha256(&stored_key, &auth_message);
        let proof: Vec<u8> = client_key
            .expose_secret()
            .iter()
            .zip(&client_signature)
            .map(|(key, signature)| key ^ signature)
            .collect();
        let server_key = Secret::new(hmac_sha256(salted_password.expose_secret(), b"Server Key"));

        let mut client_final = without_proof;
        client_final.extend_from_slice(b",p=");
        client_final.extend_from_slice(STANDARD.encode(proof).as_bytes());
        self.state = State::AwaitingServerFinal {
            server_key,
            auth_message,
        };
        Ok(Secret::new(client_final))
    }
}

/// Checks server-final: `(server-error / verifier) ["," extensions]` (RFC 5802 s7).
fn verify_server_final(
    server_final: &[u8],
    server_key: &Secret<Vec<u8>>,
    auth_message: &[u8],
) -> Result<(), SaslError> {
    let first = server_final
        .split(|&b| b == b',')
        .next()
        .unwrap_or_default();
    if let Some(error) = first.strip_prefix(b"e=") {
        return Err(SaslError::ServerError {
            mechanism: Mechanism::ScramSha256,
            message: excerpt(error),
        });
    }
    let signature = first
        .strip_prefix(b"v=")
        .and_then(|v| lenient_base64().decode(v).ok())
        .ok_or_else(|| SaslError::MalformedChallenge {
            mechanism: Mechanism::ScramSha256,
            expected: "v=<base64 server signature> or e=<error> (RFC 5802 s7)",
            found: excerpt(server_final),
        })?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_key.expose_secret())
        .expect("HMAC takes keys of any length (RFC 2104 s2)");
    mac.update(auth_message);
    // Constant-time comparison (RFC 5802 s9: the signature proves the server knows the
    // salted password).
    mac.verify_slice(&signature)
        .map_err(|_| SaslError::ServerSignatureMismatch {
            mechanism: Mechanism::ScramSha256,
        })
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC takes keys of any length (RFC 2104 s2)");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}
