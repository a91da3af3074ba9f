//! [`Mechanism`]: SASL mechanism names as EHLO advertises them and AUTH names them
//! (RFC 4954 s3, the IANA SASL mechanism registry).

use std::fmt;
use std::str::FromStr;

use crate::capabilities::{pack, pack_upper};

/// A SASL mechanism name. Names are case-insensitive on the wire (RFC 4422 s3.1) and are
/// kept here in their registered upper-case spelling; unknown names are kept as
/// [`Mechanism::Other`] (upper-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): user and password in one message. Needs TLS.
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login): user, then password, each after a challenge. Needs TLS.
    Login,
    /// `XOAUTH2` (Google, Microsoft): an OAuth 2.0 bearer token.
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628): an OAuth 2.0 bearer token, standardised.
    OAuthBearer,
    /// `CRAM-MD5` (RFC 2195): challenge-response; the password is not sent.
    CramMd5,
    /// `SCRAM-SHA-256` (RFC 7677): salted challenge-response with mutual authentication.
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS` (RFC 7677 with channel binding).
    ScramSha256Plus,
    /// `SCRAM-SHA-1` (RFC 5802).
    ScramSha1,
    /// `SCRAM-SHA-1-PLUS` (RFC 5802 with channel binding).
    ScramSha1Plus,
    /// `DIGEST-MD5` (RFC 2831, historic per RFC 6331).
    DigestMd5,
    /// `CRAM-SHA1`.
    CramSha1,
    /// `GSSAPI` (RFC 4752): Kerberos.
    Gssapi,
    /// `NTLM` (Microsoft).
    Ntlm,
    /// `EXTERNAL` (RFC 4422 appendix A): credentials from the TLS layer.
    External,
    /// `ANONYMOUS` (RFC 4505).
    Anonymous,
    /// `XOAUTH` (Google, legacy OAuth 1.0).
    XOAuth,
    /// Any other name, upper-cased.
    Other(String),
}

const KNOWN: &[(&str, Mechanism)] = &[
    ("PLAIN", Mechanism::Plain),
    ("LOGIN", Mechanism::Login),
    ("XOAUTH2", Mechanism::XOAuth2),
    ("OAUTHBEARER", Mechanism::OAuthBearer),
    ("CRAM-MD5", Mechanism::CramMd5),
    ("SCRAM-SHA-256", Mechanism::ScramSha256),
    ("SCRAM-SHA-256-PLUS", Mechanism::ScramSha256Plus),
    ("SCRAM-SHA-1", Mechanism::ScramSha1),
    ("SCRAM-SHA-1-PLUS", Mechanism::ScramSha1Plus),
    ("DIGEST-MD5", Mechanism::DigestMd5),
    ("CRAM-SHA1", Mechanism::CramSha1),
    ("GSSAPI", Mechanism::Gssapi),
    ("NTLM", Mechanism::Ntlm),
    ("EXTERNAL", Mechanism::External),
    ("ANONYMOUS", Mechanism::Anonymous),
    ("XOAUTH", Mechanism::XOAuth),
];

impl Mechanism {
    /// Reads a mechanism name, case-insensitively. `None` unless the name is a valid SASL
    /// mechanism name (RFC 4422 s3.1: 1 to 20 of `A-Z 0-9 - _`, any case accepted).
    pub fn from_name(name: &[u8]) -> Option<Mechanism> {
        if name.is_empty()
            || name.len() > 20
            || !name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            return None;
        }
        Some(match Self::lookup(name) {
            Some(index) => KNOWN[index].1.clone(),
            // Checked above: every byte is ASCII, so this is valid UTF-8.
            None => Mechanism::Other(String::from_utf8_lossy(name).to_ascii_uppercase()),
        })
    }

    /// The position in the table of known names of a name in any case, without allocating
    /// (names of up to 16 octets are packed into an integer and matched as one).
    pub(crate) fn lookup(name: &[u8]) -> Option<usize> {
        if name.len() > 16 {
            return Self::lookup_packed(name, 0);
        }
        Self::lookup_packed(name, pack_upper(name)?)
    }

    /// [`Mechanism::lookup`] for a name whose first 16 octets are already packed, upper-cased
    /// (as the EHLO word scan packs them); `packed` is ignored for longer names.
    #[inline]
    pub(crate) fn lookup_packed(name: &[u8], packed: u128) -> Option<usize> {
        if name.is_empty() {
            return None;
        }
        if name.len() > 16 {
            return [6, 8]
                .into_iter()
                .find(|&i| KNOWN[i].0.as_bytes().eq_ignore_ascii_case(name));
        }
        const PLAIN: u128 = pack(b"PLAIN");
        const LOGIN: u128 = pack(b"LOGIN");
        const XOAUTH2: u128 = pack(b"XOAUTH2");
        const OAUTHBEARER: u128 = pack(b"OAUTHBEARER");
        const CRAM_MD5: u128 = pack(b"CRAM-MD5");
        const SCRAM_SHA_256: u128 = pack(b"SCRAM-SHA-256");
        const SCRAM_SHA_1: u128 = pack(b"SCRAM-SHA-1");
        const SCRAM_SHA_1_PLUS: u128 = pack(b"SCRAM-SHA-1-PLUS");
        const DIGEST_MD5: u128 = pack(b"DIGEST-MD5");
        const CRAM_SHA1: u128 = pack(b"CRAM-SHA1");
        const GSSAPI: u128 = pack(b"GSSAPI");
        const NTLM: u128 = pack(b"NTLM");
        const EXTERNAL: u128 = pack(b"EXTERNAL");
        const ANONYMOUS: u128 = pack(b"ANONYMOUS");
        const XOAUTH: u128 = pack(b"XOAUTH");
        // Packed names are left-aligned, so a name with trailing NULs packs like the name
        // without them: the length must match too.
        let index = match packed {
            PLAIN => 0,
            LOGIN => 1,
            XOAUTH2 => 2,
            OAUTHBEARER => 3,
            CRAM_MD5 => 4,
            SCRAM_SHA_256 => 5,
            SCRAM_SHA_1 => 7,
            SCRAM_SHA_1_PLUS => 8,
            DIGEST_MD5 => 9,
            CRAM_SHA1 => 10,
            GSSAPI => 11,
            NTLM => 12,
            EXTERNAL => 13,
            ANONYMOUS => 14,
            XOAUTH => 15,
            _ => return None,
        };
        (KNOWN[index].0.len() == name.len()).then_some(index)
    }

    /// The known mechanism at `index` of the table (see `Mechanism::lookup`).
    pub(crate) fn from_known_index(index: usize) -> Option<Mechanism> {
        KNOWN.get(index).map(|(_, m)| m.clone())
    }

    /// The number of known mechanisms.
    pub(crate) const KNOWN_COUNT: usize = KNOWN.len();

    /// This mechanism's position in the table of known names.
    pub(crate) fn index(&self) -> Option<usize> {
        KNOWN.iter().position(|(_, m)| m == self)
    }

    /// The registered name, e.g. `CRAM-MD5`.
    pub fn as_str(&self) -> &str {
        match self {
            Mechanism::Other(name) => name,
            known => KNOWN
                .iter()
                .find(|(_, m)| m == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// Whether the mechanism sends a reusable password or token in the clear (base64 is not
    /// encryption): such mechanisms need TLS first (RFC 4954 s4, RFC 4616 s2).
    pub fn sends_plaintext_secret(&self) -> bool {
        matches!(
            self,
            Mechanism::Plain | Mechanism::Login | Mechanism::XOAuth2 | Mechanism::OAuthBearer
        )
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a SASL mechanism name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a SASL mechanism name (1-20 of A-Z, 0-9, '-', '_')")]
pub struct InvalidMechanism(pub String);

impl FromStr for Mechanism {
    type Err = InvalidMechanism;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mechanism::from_name(s.as_bytes()).ok_or_else(|| InvalidMechanism(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_round_trip() {
        assert_eq!("plain".parse::<Mechanism>(), Ok(Mechanism::Plain));
        assert_eq!("Cram-Md5".parse::<Mechanism>(), Ok(Mechanism::CramMd5));
        assert_eq!(
            "plain-clienttoken".parse::<Mechanism>(),
            Ok(Mechanism::Other("PLAIN-CLIENTTOKEN".into()))
        );
        for (index, (name, mechanism)) in KNOWN.iter().enumerate() {
            assert_eq!(Mechanism::lookup(name.as_bytes()), Some(index));
            assert_eq!(
                Mechanism::lookup(name.to_ascii_lowercase().as_bytes()),
                Some(index)
            );
            assert_eq!(mechanism.index(), Some(index));
            assert_eq!(mechanism.as_str(), *name);
            assert_eq!(name.parse::<Mechanism>().as_ref(), Ok(mechanism));
        }
        assert!("".parse::<Mechanism>().is_err());
        assert!("PLAIN LOGIN".parse::<Mechanism>().is_err());
        assert!("X".repeat(21).parse::<Mechanism>().is_err());
    }
}
