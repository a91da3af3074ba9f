//! The one private error type of the address and command grammars, and the helpers every
//! nom rule there shares. Parsers report *where* they stopped (a suffix of the input) and
//! *what* they wanted; the public errors ([`crate::AddressError`],
//! [`crate::CommandParseError`]) are made from it in one place each
//! ([`Fault::into_address_error`], `command::parse::into_error`), where the suffix becomes an
//! offset.

use nom::error::{ErrorKind, ParseError};
use nom::{Err, IResult};

/// The result type of every grammar rule in `address` and `command::parse`.
pub(crate) type Res<'a, T> = IResult<&'a str, T, Fault<'a>>;

/// Where a rule stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault<'a> {
    /// The input from the point of failure to the end of the line.
    pub(crate) at: &'a str,
    pub(crate) kind: FaultKind,
}

/// Why a rule stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// A nom primitive failed; the caller names what it wanted with [`expected`].
    Nom,
    /// Something else was wanted here.
    Expected(&'static str),
    /// RFC 5321 s4.5.3.1.1.
    LocalPartTooLong(usize),
    /// RFC 5321 s4.5.3.1.2.
    DomainTooLong(usize),
    /// RFC 1035 s2.3.4.
    LabelTooLong(usize),
    /// RFC 5321 s4.5.3.1.3.
    PathTooLong(usize),
    /// `[...]` that is neither IPv4, IPv6 nor a general address literal (RFC 5321 s4.1.3).
    BadAddressLiteral(usize),
    /// A command-level fault, already in its final public form except for the offset.
    Command(CommandFault),
}

/// Faults only the command grammar raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommandFault {
    /// The first word is no SMTP verb.
    UnknownVerb,
    /// An ESMTP parameter with a keyword this crate types has a value it cannot hold.
    BadParameter {
        keyword: &'static str,
        expected: &'static str,
    },
    /// A typed ESMTP parameter appeared twice.
    DuplicateParameter(String),
    /// SASL data that is not base64 (RFC 4954 s4).
    Base64,
    /// A string that is not a SASL mechanism name (RFC 4422 s3.1).
    Mechanism,
}

impl<'a> Fault<'a> {
    pub(crate) fn new(at: &'a str, kind: FaultKind) -> Self {
        Fault { at, kind }
    }

    /// A fault that says what was wanted at `at`.
    pub(crate) fn expected(at: &'a str, what: &'static str) -> Self {
        Fault::new(at, FaultKind::Expected(what))
    }

    /// Turns the fault into a nom failure, so that no `alt` tries another branch.
    pub(crate) fn fail<T>(self) -> Res<'a, T> {
        Err(Err::Failure(self))
    }

    /// The octet offset of the fault inside `base`, of which `at` is a suffix.
    pub(crate) fn offset_in(&self, base: &str) -> usize {
        base.len().saturating_sub(self.at.len())
    }
}

impl<'a> ParseError<&'a str> for Fault<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        Fault::new(input, FaultKind::Nom)
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

/// Runs `result` (a rule applied at `input`) and, if a nom primitive failed without saying
/// why, reports that `what` was expected at `input`. Faults that already say why are kept.
pub(crate) fn expected<'a, T>(
    input: &'a str,
    what: &'static str,
    result: Res<'a, T>,
) -> Res<'a, T> {
    result.map_err(|err| match err {
        Err::Error(fault) | Err::Failure(fault) if fault.kind == FaultKind::Nom => {
            Err::Failure(Fault::expected(input, what))
        }
        Err::Error(fault) => Err::Failure(fault),
        other => other,
    })
}

/// How to show the input at a fault in an error message: up to 16 characters, quoted, or
/// "end of input".
pub(crate) fn describe(at: &str) -> String {
    if at.is_empty() {
        return "end of input".to_owned();
    }
    let shown: String = at.chars().take(16).collect();
    format!("{shown:?}")
}
