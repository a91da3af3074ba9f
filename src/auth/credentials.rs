//! [`Credentials`]: who the client is and the secret that proves it.

use crate::secret::Secret;

/// A user name and the secret that authenticates it. `Debug` shows the user name and
/// redacts the secret.
///
/// ```
/// use smtp_sansio::auth::Credentials;
///
/// let credentials = Credentials::password("tim", "tanstaaftanstaaf");
/// assert!(!format!("{credentials:?}").contains("tanstaaf"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A password, for PLAIN, LOGIN, CRAM-MD5 and SCRAM-SHA-256.
    Password {
        /// The authentication identity (RFC 4422 s2).
        user: String,
        /// The password.
        password: Secret<String>,
    },
    /// An OAuth 2.0 bearer token (RFC 6750), for OAUTHBEARER and XOAUTH2.
    OAuth2 {
        /// The user the token was issued for (usually the mail address).
        user: String,
        /// The access token, without the `Bearer ` prefix.
        token: Secret<String>,
    },
}

impl Credentials {
    /// A user name and password.
    pub fn password(user: impl Into<String>, password: impl Into<Secret<String>>) -> Self {
        Credentials::Password {
            user: user.into(),
            password: password.into(),
        }
    }

    /// A user name and OAuth 2.0 access token.
    pub fn oauth2(user: impl Into<String>, token: impl Into<Secret<String>>) -> Self {
        Credentials::OAuth2 {
            user: user.into(),
            token: token.into(),
        }
    }

    /// The user name.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. } | Credentials::OAuth2 { user, .. } => user,
        }
    }

    /// What kind of secret this is, in words: `"a password"` or `"an OAuth 2.0 token"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Password { .. } => "a password",
            Credentials::OAuth2 { .. } => "an OAuth 2.0 token",
        }
    }
}
