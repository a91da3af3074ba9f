//! [`SaslClient`]: one client-side SASL exchange as a small state machine.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::error::excerpt;
use super::login::Login;
use super::oauth::{self, Bearer};
use super::{Credentials, Mechanism, SaslError, lenient_base64, plain};
use crate::secret::Secret;

/// The highest SCRAM iteration count accepted by default. A server can make every login
/// cost this many PBKDF2 rounds; a million takes well under a second.
pub const DEFAULT_MAX_SCRAM_ITERATIONS: u32 = 1_000_000;

/// What a [`SaslClient`] needs besides the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaslOptions {
    /// Act as this identity (RFC 4422 s2 authorization identity). PLAIN and SCRAM send
    /// it as `authzid`; OAUTHBEARER sends it in `a=` instead of the user name. LOGIN,
    /// XOAUTH2 and CRAM-MD5 cannot carry one and refuse to start. Default none.
    pub authorization_id: Option<String>,
    /// The SCRAM client nonce (RFC 5802 s5.1 `r=`): visible ASCII without `,`, fresh and
    /// unpredictable for every exchange, e.g. 18 random bytes in base64. The crate has no
    /// randomness, so SCRAM refuses to start without it. Default none.
    pub client_nonce: Option<String>,
    /// The highest SCRAM iteration count to accept (the lowest is 4096, RFC 7677 s4).
    /// Default [`DEFAULT_MAX_SCRAM_ITERATIONS`].
    pub max_scram_iterations: u32,
}

impl Default for SaslOptions {
    fn default() -> Self {
        SaslOptions {
            authorization_id: None,
            client_nonce: None,
            max_scram_iterations: DEFAULT_MAX_SCRAM_ITERATIONS,
        }
    }
}

impl SaslOptions {
    /// Sets [`SaslOptions::authorization_id`].
    pub fn with_authorization_id(mut self, identity: impl Into<String>) -> Self {
        self.authorization_id = Some(identity.into());
        self
    }

    /// Sets [`SaslOptions::client_nonce`].
    pub fn with_client_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.client_nonce = Some(nonce.into());
        self
    }

    /// Sets [`SaslOptions::max_scram_iterations`].
    pub fn with_max_scram_iterations(mut self, iterations: u32) -> Self {
        self.max_scram_iterations = iterations;
        self
    }
}

/// The client side of one SASL exchange (RFC 4422 s3, RFC 4954 s4), without IO.
///
/// 1. [`SaslClient::new`] checks the credentials against the mechanism.
/// 2. [`SaslClient::initial_response`] gives the message to send with
///    `AUTH <mechanism> <initial response>`, for mechanisms that have one.
/// 3. For each `334` challenge, decode its text with [`decode_challenge`] and pass it to
///    [`SaslClient::respond`]; send the answer's base64 ([`encode_response`]) on a line of
///    its own. If `respond` fails, the caller MUST cancel the exchange by sending `*`
///    (RFC 4954 s4) and expect a `501`.
/// 4. On `235`, the caller MUST check [`SaslClient::is_complete`]: false means the server
///    accepted before the exchange was over, and for SCRAM that the server never proved
///    it knows the password, so the session must not be trusted.
///
/// All messages are decoded bytes wrapped in [`Secret`], so they never show in `Debug`
/// output or logs.
///
/// ```
/// use smtp_sansio::auth::{Credentials, SaslClient, SaslOptions, decode_challenge, encode_response};
/// use smtp_sansio::Mechanism;
///
/// let credentials = Credentials::password("tim", "tanstaaftanstaaf");
/// let mut login = SaslClient::new(Mechanism::Login, &credentials, SaslOptions::default())?;
/// assert!(login.initial_response().is_none()); // AUTH LOGIN
/// let challenge = decode_challenge(b"VXNlcm5hbWU6")?; // 334 VXNlcm5hbWU6
/// assert_eq!(encode_response(&login.respond(&challenge)?).expose_secret(), "dGlt");
/// let challenge = decode_challenge(b"UGFzc3dvcmQ6")?;
/// login.respond(&challenge)?;
/// assert!(login.is_complete()); // ready for 235
/// # Ok::<(), smtp_sansio::auth::SaslError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SaslClient {
    mechanism: Mechanism,
    exchange: Exchange,
    /// The client's first message until it is handed out, for mechanisms that have one.
    initial: Option<Secret<Vec<u8>>>,
    /// Challenges received so far.
    challenges: usize,
}

/// The per-mechanism state.
#[derive(Debug, Clone)]
enum Exchange {
    /// PLAIN: nothing after the initial response.
    Plain,
    Login(Login),
    /// XOAUTH2 and OAUTHBEARER.
    Bearer(Bearer),
    #[cfg(feature = "cram-md5")]
    CramMd5(super::cram_md5::CramMd5),
    #[cfg(feature = "scram")]
    Scram(Box<super::scram::Scram>),
}

impl SaslClient {
    /// Starts an exchange, or says why it cannot: the mechanism has no client in this build
    /// ([`SaslClient::supports`]), the credentials are of the other kind, or a value cannot
    /// be sent with this mechanism.
    ///
    /// Whether a mechanism that sends the secret in the clear may be used without TLS is
    /// the caller's policy ([`Mechanism::sends_plaintext_secret`]); it is not checked here.
    pub fn new(
        mechanism: Mechanism,
        credentials: &Credentials,
        options: SaslOptions,
    ) -> Result<SaslClient, SaslError> {
        let authorization_id = options.authorization_id.as_deref();
        let refuse_authorization_id = || match authorization_id {
            Some(_) => Err(SaslError::AuthorizationIdUnsupported {
                mechanism: mechanism.clone(),
            }),
            None => Ok(()),
        };
        let (exchange, initial) = match (&mechanism, credentials) {
            (Mechanism::Plain, Credentials::Password { user, password }) => (
                Exchange::Plain,
                Some(plain::message(authorization_id, user, password)?),
            ),
            (Mechanism::Login, Credentials::Password { user, password }) => {
                refuse_authorization_id()?;
                (Exchange::Login(Login::new(user, password)), None)
            }
            (Mechanism::XOAuth2, Credentials::OAuth2 { user, token }) => {
                refuse_authorization_id()?;
                (
                    Exchange::Bearer(Bearer::new(Mechanism::XOAuth2)),
                    Some(oauth::xoauth2_message(user, token)?),
                )
            }
            (Mechanism::OAuthBearer, Credentials::OAuth2 { user, token }) => (
                Exchange::Bearer(Bearer::new(Mechanism::OAuthBearer)),
                Some(oauth::oauthbearer_message(
                    authorization_id.unwrap_or(user),
                    token,
                )?),
            ),
            #[cfg(feature = "cram-md5")]
            (Mechanism::CramMd5, Credentials::Password { user, password }) => {
                refuse_authorization_id()?;
                (
                    Exchange::CramMd5(super::cram_md5::CramMd5::new(user, password)),
                    None,
                )
            }
            #[cfg(feature = "scram")]
            (Mechanism::ScramSha256, Credentials::Password { user, password }) => {
                let nonce =
                    options
                        .client_nonce
                        .as_deref()
                        .ok_or(SaslError::MissingClientNonce {
                            mechanism: Mechanism::ScramSha256,
                        })?;
                let (scram, first) = super::scram::Scram::new(
                    user,
                    password,
                    authorization_id,
                    nonce,
                    options.max_scram_iterations,
                )?;
                (Exchange::Scram(Box::new(scram)), Some(first))
            }
            (mechanism, credentials) if SaslClient::supports(mechanism) => {
                return Err(SaslError::WrongCredentials {
                    mechanism: mechanism.clone(),
                    expected: needs(mechanism),
                    found: credentials.kind(),
                });
            }
            (mechanism, _) => {
                return Err(SaslError::UnsupportedMechanism {
                    mechanism: mechanism.clone(),
                    hint: feature_hint(mechanism),
                });
            }
        };
        Ok(SaslClient {
            mechanism,
            exchange,
            initial,
            challenges: 0,
        })
    }

    /// Whether this build has a client for `mechanism`: PLAIN, LOGIN, XOAUTH2 and
    /// OAUTHBEARER always; CRAM-MD5 with the `cram-md5` feature; SCRAM-SHA-256 with the
    /// `scram` feature.
    pub fn supports(mechanism: &Mechanism) -> bool {
        matches!(
            mechanism,
            Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 | Mechanism::OAuthBearer
        ) || (cfg!(feature = "cram-md5") && *mechanism == Mechanism::CramMd5)
            || (cfg!(feature = "scram") && *mechanism == Mechanism::ScramSha256)
    }

    /// The mechanism of this exchange.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mechanism
    }

    /// The initial response to send with the AUTH command (RFC 4954 s4), once: PLAIN,
    /// XOAUTH2, OAUTHBEARER and SCRAM have one, LOGIN and CRAM-MD5 do not. If the caller
    /// does not take it (the command line would be too long), [`SaslClient::respond`] gives
    /// it in answer to the server's empty first challenge instead (RFC 4422 s5).
    pub fn initial_response(&mut self) -> Option<Secret<Vec<u8>>> {
        self.initial.take()
    }

    /// Answers one challenge, already decoded from base64 ([`decode_challenge`]).
    ///
    /// The answer for LOGIN depends only on the order of the challenges, never on their
    /// text. For XOAUTH2 and OAUTHBEARER the only challenge is the server's error report:
    /// the answer (empty, or `%x01`) lets the server send its final `535`, and the report
    /// stays readable from [`SaslClient::server_error`].
    pub fn respond(&mut self, challenge: &[u8]) -> Result<Secret<Vec<u8>>, SaslError> {
        self.challenges += 1;
        if let Some(initial) = self.initial.take() {
            if challenge.is_empty() {
                // RFC 4422 s5: the server asks for the initial response with an empty
                // challenge when the client did not send it with the command.
                return Ok(initial);
            }
            self.initial = Some(initial);
            return Err(SaslError::UnexpectedChallenge {
                mechanism: self.mechanism.clone(),
                number: self.challenges,
                expected: "an empty challenge asking for the initial response (RFC 4422 s5)",
            });
        }
        match &mut self.exchange {
            Exchange::Plain => Err(SaslError::UnexpectedChallenge {
                mechanism: Mechanism::Plain,
                number: self.challenges,
                expected: "no challenge after the initial response (RFC 4616 s2)",
            }),
            Exchange::Login(login) => login.respond(),
            Exchange::Bearer(bearer) => bearer.respond(challenge),
            #[cfg(feature = "cram-md5")]
            Exchange::CramMd5(cram) => cram.respond(challenge),
            #[cfg(feature = "scram")]
            Exchange::Scram(scram) => scram.respond(challenge),
        }
    }

    /// Whether the client has sent all it has to and, for SCRAM, has checked the server's
    /// signature. A `235` is only to be trusted when this is true.
    pub fn is_complete(&self) -> bool {
        if self.initial.is_some() {
            return false;
        }
        match &self.exchange {
            Exchange::Plain | Exchange::Bearer(_) => true,
            Exchange::Login(login) => login.is_complete(),
            #[cfg(feature = "cram-md5")]
            Exchange::CramMd5(cram) => cram.is_complete(),
            #[cfg(feature = "scram")]
            Exchange::Scram(scram) => scram.is_verified(),
        }
    }

    /// Whether the server proved it knows the password (mutual authentication): true only
    /// for SCRAM once the server signature has been checked (RFC 5802 s9).
    pub fn server_verified(&self) -> bool {
        match &self.exchange {
            #[cfg(feature = "scram")]
            Exchange::Scram(scram) => scram.is_verified(),
            _ => false,
        }
    }

    /// The error report an XOAUTH2 or OAUTHBEARER server sent as its challenge, decoded:
    /// JSON such as `{"status":"invalid_token","scope":"...","openid-configuration":"..."}`
    /// (RFC 7628 s3.2.2). `None` for other mechanisms or before such a challenge.
    pub fn server_error(&self) -> Option<&[u8]> {
        match &self.exchange {
            Exchange::Bearer(bearer) => bearer.server_error(),
            _ => None,
        }
    }
}

/// What kind of credentials a mechanism needs, in the words of [`Credentials::kind`].
fn needs(mechanism: &Mechanism) -> &'static str {
    match mechanism {
        Mechanism::XOAuth2 | Mechanism::OAuthBearer => "an OAuth 2.0 token",
        _ => "a password",
    }
}

/// How to get a mechanism that is behind a feature that is off.
fn feature_hint(mechanism: &Mechanism) -> &'static str {
    match mechanism {
        Mechanism::CramMd5 => " (enable the `cram-md5` feature)",
        Mechanism::ScramSha256 => " (enable the `scram` feature)",
        _ => "",
    }
}

/// Decodes the text of a `334` reply (RFC 4954 s4: "the text part containing the
/// \[BASE64\] encoded string supplied by the SASL mechanism").
///
/// Spaces around the text are ignored, and so are missing `=` padding and stray low bits,
/// which some servers produce; anything else that is not base64 is an error. An empty
/// text (`334 ` or `334`) is an empty challenge, and so is `=` (the form RFC 4954 s4 gives
/// an empty initial response, which some servers mirror).
pub fn decode_challenge(text: &[u8]) -> Result<Vec<u8>, SaslError> {
    let text = text.trim_ascii();
    if text == b"=" {
        return Ok(Vec::new());
    }
    lenient_base64()
        .decode(text)
        .map_err(|err| SaslError::ChallengeNotBase64 {
            found: excerpt(text),
            reason: err.to_string(),
        })
}

/// The base64 form of a response, to send on a line of its own after a `334`
/// (RFC 4954 s4). An empty response is an empty line.
pub fn encode_response(response: &Secret<Vec<u8>>) -> Secret<String> {
    Secret::new(STANDARD.encode(response.expose_secret()))
}

/// The base64 form of an initial response, for `AUTH <mechanism> <initial response>`
/// (RFC 4954 s4): an empty initial response is sent as `=`.
pub fn encode_initial_response(response: &Secret<Vec<u8>>) -> Secret<String> {
    if response.expose_secret().is_empty() {
        Secret::new("=".to_owned())
    } else {
        encode_response(response)
    }
}
