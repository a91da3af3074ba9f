//! [`Mechanism`]: SASL mechanism names as EHLO advertises them and AUTH names them
//! (RFC 4954 s3, the IANA SASL mechanism registry).

use std::fmt;
use std::str::FromStr;

use crate::octets::{pack, upper_halves};

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

/// The multiplier of the perfect hash of [`KNOWN`] (found by search; building
/// [`MECHANISM_SLOTS`] fails to compile if two names share a slot).
const MECHANISM_HASH: u64 = 0xdc38_f519_b917_51db;

/// Where a name's first 16 octets (upper-cased, big-endian halves) fall in [`MECHANISM_SLOTS`].
#[inline(always)]
const fn mechanism_slot(high: u64, low: u64) -> usize {
    ((high ^ low.rotate_left(1)).wrapping_mul(MECHANISM_HASH) >> 59) as usize
}

/// One slot of [`MECHANISM_SLOTS`]: a known name's first 16 octets, its length (0 for an
/// empty slot) and its index in [`KNOWN`].
#[derive(Clone, Copy)]
struct MechanismSlot {
    high: u64,
    low: u64,
    len: u8,
    index: u8,
}

/// The known names by [`mechanism_slot`].
const MECHANISM_SLOTS: [MechanismSlot; 32] = {
    let mut table = [MechanismSlot {
        high: 0,
        low: 0,
        len: 0,
        index: 0,
    }; 32];
    let mut i = 0;
    while i < KNOWN.len() {
        let name = KNOWN[i].0.as_bytes();
        let packed = pack(if name.len() > 16 {
            name.split_at(16).0
        } else {
            name
        });
        let (high, low) = ((packed >> 64) as u64, packed as u64);
        let slot = mechanism_slot(high, low);
        assert!(
            table[slot].len == 0,
            "two mechanisms share a slot: change MECHANISM_HASH"
        );
        table[slot] = MechanismSlot {
            high,
            low,
            len: name.len() as u8,
            index: i as u8,
        };
        i += 1;
    }
    table
};

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

    /// The position in the table of known names of a name in any case, without allocating.
    pub(crate) fn lookup(name: &[u8]) -> Option<usize> {
        let (high, low) = upper_halves(name);
        Self::lookup_halves(name, high, low)
    }

    /// [`Mechanism::lookup`] for a name whose first 16 octets are already upper-cased, as two
    /// big-endian words with the octets past the name cleared ([`upper_halves`]), as the EHLO
    /// word scan reads them: one multiply finds the only known name it can be.
    #[inline]
    pub(crate) fn lookup_halves(name: &[u8], high: u64, low: u64) -> Option<usize> {
        let slot = &MECHANISM_SLOTS[mechanism_slot(high, low)];
        if usize::from(slot.len) != name.len() || slot.high != high || slot.low != low {
            return None;
        }
        let index = usize::from(slot.index);
        // Names are never empty, and empty slots have length 0; longer than 16 octets
        // (SCRAM-SHA-256-PLUS), the rest of the name must match too.
        (!name.is_empty()
            && (name.len() <= 16
                || KNOWN[index].0.as_bytes()[16..].eq_ignore_ascii_case(&name[16..])))
        .then_some(index)
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
