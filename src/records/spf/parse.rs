//! The SPF record parser and writer (RFC 7208 s4.5, s4.6, s5, s6, s12 ABNF).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::macros::{MacroContext, MacroString};

/// What a mechanism's match yields (RFC 7208 s4.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+` (the default): pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    fn from_byte(b: u8) -> Option<Qualifier> {
        Some(match b {
            b'+' => Qualifier::Pass,
            b'-' => Qualifier::Fail,
            b'~' => Qualifier::SoftFail,
            b'?' => Qualifier::Neutral,
            _ => return None,
        })
    }

    /// The qualifier character.
    pub fn as_char(self) -> char {
        match self {
            Qualifier::Pass => '+',
            Qualifier::Fail => '-',
            Qualifier::SoftFail => '~',
            Qualifier::Neutral => '?',
        }
    }
}

/// The optional CIDR lengths of `a` and `mx` (`dual-cidr-length`, RFC 7208 s5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DualCidr {
    /// The IPv4 prefix length (0-32), default 32.
    pub v4: Option<u8>,
    /// The IPv6 prefix length (0-128), default 128.
    pub v6: Option<u8>,
}

/// A mechanism (RFC 7208 s5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `all`.
    All,
    /// `include:<domain-spec>`.
    Include(MacroString),
    /// `a[:<domain-spec>][<dual-cidr>]`.
    A {
        /// The domain, or the current `<domain>` when absent.
        domain: Option<MacroString>,
        /// Prefix lengths.
        cidr: DualCidr,
    },
    /// `mx[:<domain-spec>][<dual-cidr>]`.
    Mx {
        /// The domain, or the current `<domain>` when absent.
        domain: Option<MacroString>,
        /// Prefix lengths.
        cidr: DualCidr,
    },
    /// `ptr[:<domain-spec>]` (RFC 7208 s5.5: SHOULD NOT be used).
    Ptr(Option<MacroString>),
    /// `ip4:<network>[/<len>]`.
    Ip4 {
        /// The network address.
        addr: Ipv4Addr,
        /// The prefix length, 32 when absent.
        prefix: Option<u8>,
    },
    /// `ip6:<network>[/<len>]`.
    Ip6 {
        /// The network address.
        addr: Ipv6Addr,
        /// The prefix length, 128 when absent.
        prefix: Option<u8>,
    },
    /// `exists:<domain-spec>`.
    Exists(MacroString),
}

impl Mechanism {
    /// The mechanism's name (`include`, `a`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Mechanism::All => "all",
            Mechanism::Include(_) => "include",
            Mechanism::A { .. } => "a",
            Mechanism::Mx { .. } => "mx",
            Mechanism::Ptr(_) => "ptr",
            Mechanism::Ip4 { .. } => "ip4",
            Mechanism::Ip6 { .. } => "ip6",
            Mechanism::Exists(_) => "exists",
        }
    }

    /// Whether evaluating it costs one of the 10 DNS-querying terms (RFC 7208 s4.6.4).
    pub fn queries_dns(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. }
        )
    }
}

/// A modifier (RFC 7208 s6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `redirect=<domain-spec>`.
    Redirect(MacroString),
    /// `exp=<domain-spec>`.
    Exp(MacroString),
    /// Any other `name=value`, kept as written (s6: ignored by evaluation).
    Unknown {
        /// The name, as written.
        name: String,
        /// The value, a macro string.
        value: MacroString,
    },
}

/// A term of a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// A qualified mechanism.
    Mechanism(Qualifier, Mechanism),
    /// A modifier.
    Modifier(Modifier),
}

/// A parsed SPF record (`v=spf1 ...`).
///
/// ```
/// use smtp_sansio::records::spf::{SpfRecord, Term, Mechanism, Qualifier};
///
/// let record = SpfRecord::parse("v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all").unwrap();
/// assert_eq!(record.terms().len(), 3);
/// assert_eq!(record.terms()[2], Term::Mechanism(Qualifier::Fail, Mechanism::All));
/// assert_eq!(record.to_string(), "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SpfRecord {
    terms: Vec<Term>,
}

/// What is wrong with a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpfErrorKind {
    /// The record does not start with `v=spf1` followed by a space or its end.
    NotSpf,
    /// A byte outside printable ASCII (s3.1, s4.6.1).
    NonAscii,
    /// A character not allowed where it stands.
    InvalidCharacter,
    /// A name that is neither a mechanism nor a `name=` modifier.
    UnknownMechanism,
    /// A mechanism that needs an argument has none (`include`, `exists`, `ip4`, `ip6`).
    MissingArgument,
    /// An argument where none is allowed (`all:x`).
    UnexpectedArgument,
    /// A domain-spec that does not end in a macro or a valid top label (s7.1).
    InvalidDomainSpec,
    /// A malformed `%` expansion (s7.1).
    InvalidMacro,
    /// `%{c}`, `%{r}` or `%{t}` outside explanation text (s7.2).
    ExplanationOnlyMacro,
    /// A CIDR length that is malformed or out of range.
    InvalidCidr,
    /// An `ip4:` network that is not a dotted quad.
    InvalidIp4,
    /// An `ip6:` network that is not an IPv6 address.
    InvalidIp6,
    /// `redirect=` or `exp=` given twice (s6).
    DuplicateModifier,
    /// A qualifier in front of a modifier.
    QualifiedModifier,
}

impl SpfErrorKind {
    fn describe(self) -> &'static str {
        match self {
            SpfErrorKind::NotSpf => "not an SPF record (it must start with `v=spf1`)",
            SpfErrorKind::NonAscii => "a character outside 7-bit ASCII",
            SpfErrorKind::InvalidCharacter => "a character that is not allowed here",
            SpfErrorKind::UnknownMechanism => "an unknown mechanism",
            SpfErrorKind::MissingArgument => "a mechanism without its argument",
            SpfErrorKind::UnexpectedArgument => "an argument this mechanism does not take",
            SpfErrorKind::InvalidDomainSpec => {
                "a domain that does not end in a macro or a valid top-level label"
            }
            SpfErrorKind::InvalidMacro => {
                "a malformed macro (`%` must be followed by `{`, `%`, `_` or `-`)"
            }
            SpfErrorKind::ExplanationOnlyMacro => {
                "a macro letter (`c`, `r`, `t`) that is only allowed in explanation text"
            }
            SpfErrorKind::InvalidCidr => "a CIDR prefix length that is malformed or out of range",
            SpfErrorKind::InvalidIp4 => "an ip4 network that is not a dotted-quad address",
            SpfErrorKind::InvalidIp6 => "an ip6 network that is not an IPv6 address",
            SpfErrorKind::DuplicateModifier => "`redirect` or `exp` given more than once",
            SpfErrorKind::QualifiedModifier => "a qualifier in front of a modifier",
        }
    }
}

/// A record that does not parse: what is wrong, the term, and the byte offset in the record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{} in term {term:?} at offset {offset}", kind.describe())]
pub struct SpfParseError {
    /// What is wrong.
    pub kind: SpfErrorKind,
    /// The offending term as written (lossy for non-ASCII).
    pub term: String,
    /// The byte offset of the fault in the record.
    pub offset: usize,
}

impl SpfParseError {
    pub(crate) fn new(kind: SpfErrorKind, term: &str, offset: usize) -> SpfParseError {
        SpfParseError {
            kind,
            term: term.to_owned(),
            offset,
        }
    }
}

/// Whether a TXT record's text is an SPF record: `v=spf1` (any case) then a space or the end
/// (RFC 7208 s4.5).
pub fn is_spf_record(text: &[u8]) -> bool {
    text.len() >= 6
        && text[..6].eq_ignore_ascii_case(b"v=spf1")
        && (text.len() == 6 || text[6] == b' ')
}

impl SpfRecord {
    /// Parses a record's text (the TXT strings already joined, RFC 7208 s3.3).
    ///
    /// # Errors
    /// [`SpfParseError`] with the first offending term and its offset.
    pub fn parse(text: &str) -> Result<SpfRecord, SpfParseError> {
        SpfRecord::parse_bytes(text.as_bytes())
    }

    /// Parses a record given as bytes (as published in TXT).
    ///
    /// # Errors
    /// [`SpfParseError`]: not `v=spf1`, non-ASCII, or the first term that does not parse.
    pub fn parse_bytes(bytes: &[u8]) -> Result<SpfRecord, SpfParseError> {
        if !is_spf_record(bytes) {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).into_owned();
            return Err(SpfParseError::new(SpfErrorKind::NotSpf, &head, 0));
        }
        if let Some(bad) = bytes.iter().position(|b| !(0x20..=0x7e).contains(b)) {
            let start = bytes[..bad]
                .iter()
                .rposition(|b| *b == b' ')
                .map_or(0, |p| p + 1);
            let end = bytes[bad..]
                .iter()
                .position(|b| *b == b' ')
                .map_or(bytes.len(), |p| bad + p);
            let term = String::from_utf8_lossy(&bytes[start..end]).into_owned();
            return Err(SpfParseError::new(SpfErrorKind::NonAscii, &term, bad));
        }
        // All printable ASCII from here, so the text is valid UTF-8.
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        let mut terms = Vec::with_capacity(memchr::memchr_iter(b' ', bytes).count());
        let mut seen_redirect = false;
        let mut seen_exp = false;
        let mut offset = 6;
        let body = &text[6..];
        let mut from = 0;
        while from <= body.len() {
            let end =
                memchr::memchr(b' ', &body.as_bytes()[from..]).map_or(body.len(), |p| from + p);
            let term = &body[from..end];
            from = end + 1;
            let start = offset;
            offset += term.len() + 1;
            if term.is_empty() {
                continue;
            }
            let parsed = parse_term(term, start)?;
            if let Term::Modifier(m) = &parsed {
                let seen = match m {
                    Modifier::Redirect(_) => &mut seen_redirect,
                    Modifier::Exp(_) => &mut seen_exp,
                    Modifier::Unknown { .. } => {
                        terms.push(parsed);
                        continue;
                    }
                };
                if *seen {
                    return Err(SpfParseError::new(
                        SpfErrorKind::DuplicateModifier,
                        term,
                        start,
                    ));
                }
                *seen = true;
            }
            terms.push(parsed);
        }
        Ok(SpfRecord { terms })
    }

    /// A record of these terms.
    pub fn from_terms(terms: Vec<Term>) -> SpfRecord {
        SpfRecord { terms }
    }

    /// The terms in order.
    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// The mechanisms in order, with their qualifiers.
    pub fn mechanisms(&self) -> impl Iterator<Item = (Qualifier, &Mechanism)> {
        self.terms.iter().filter_map(|t| match t {
            Term::Mechanism(q, m) => Some((*q, m)),
            Term::Modifier(_) => None,
        })
    }

    /// The `redirect=` target, if any.
    pub fn redirect(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Redirect(d)) => Some(d),
            _ => None,
        })
    }

    /// The `exp=` domain, if any.
    pub fn exp(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Exp(d)) => Some(d),
            _ => None,
        })
    }

    /// The qualifier of the `all` mechanism, if the record has one.
    pub fn all(&self) -> Option<Qualifier> {
        self.mechanisms()
            .find_map(|(q, m)| matches!(m, Mechanism::All).then_some(q))
    }
}

fn parse_term(term: &str, start: usize) -> Result<Term, SpfParseError> {
    let err = |kind, at: usize| SpfParseError::new(kind, term, start + at);
    let bytes = term.as_bytes();
    let name_end = bytes
        .iter()
        .position(|b| matches!(b, b':' | b'=' | b'/'))
        .unwrap_or(term.len());
    let is_modifier = bytes.get(name_end) == Some(&b'=');
    if is_modifier {
        let name = &term[..name_end];
        let value = &term[name_end + 1..];
        let valid_name = name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid_name {
            if Qualifier::from_byte(bytes[0]).is_some() {
                return Err(err(SpfErrorKind::QualifiedModifier, 0));
            }
            return Err(err(SpfErrorKind::UnknownMechanism, 0));
        }
        let value_offset = start + name_end + 1;
        let modifier = if name.eq_ignore_ascii_case("redirect") {
            Modifier::Redirect(MacroString::parse(
                value,
                MacroContext::DomainSpec,
                term,
                value_offset,
            )?)
        } else if name.eq_ignore_ascii_case("exp") {
            Modifier::Exp(MacroString::parse(
                value,
                MacroContext::DomainSpec,
                term,
                value_offset,
            )?)
        } else {
            Modifier::Unknown {
                name: name.to_owned(),
                value: MacroString::parse(value, MacroContext::ModifierValue, term, value_offset)?,
            }
        };
        return Ok(Term::Modifier(modifier));
    }
    let (qualifier, body, body_at) = match Qualifier::from_byte(bytes[0]) {
        Some(q) => (q, &term[1..], 1),
        None => (Qualifier::Pass, term, 0),
    };
    let name_end = body
        .bytes()
        .position(|b| matches!(b, b':' | b'/'))
        .unwrap_or(body.len());
    let name =
        known_mechanism(&body[..name_end]).ok_or_else(|| err(SpfErrorKind::UnknownMechanism, 0))?;
    let rest = &body[name_end..];
    let rest_at = start + body_at + name_end;
    let domain_arg = |required: bool| -> Result<Option<MacroString>, SpfParseError> {
        match rest.strip_prefix(':') {
            Some(spec) => Ok(Some(MacroString::parse(
                spec,
                MacroContext::DomainSpec,
                term,
                rest_at + 1,
            )?)),
            None if rest.is_empty() && !required => Ok(None),
            None if rest.is_empty() => Err(err(SpfErrorKind::MissingArgument, body_at + name_end)),
            None => Err(err(SpfErrorKind::UnexpectedArgument, body_at + name_end)),
        }
    };
    let mechanism = match name {
        "all" => {
            if !rest.is_empty() {
                return Err(err(SpfErrorKind::UnexpectedArgument, body_at + name_end));
            }
            Mechanism::All
        }
        "include" => Mechanism::Include(domain_arg(true)?.unwrap_or_default()),
        "exists" => Mechanism::Exists(domain_arg(true)?.unwrap_or_default()),
        "ptr" => Mechanism::Ptr(domain_arg(false)?),
        "a" | "mx" => {
            let (spec, cidr) = split_dual_cidr(rest)
                .ok_or_else(|| err(SpfErrorKind::InvalidCidr, body_at + name_end))?;
            let domain = match spec.strip_prefix(':') {
                Some(spec) => Some(MacroString::parse(
                    spec,
                    MacroContext::DomainSpec,
                    term,
                    rest_at + 1,
                )?),
                None if spec.is_empty() => None,
                None => return Err(err(SpfErrorKind::UnexpectedArgument, body_at + name_end)),
            };
            if name == "a" {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            }
        }
        "ip4" => {
            let arg = rest
                .strip_prefix(':')
                .ok_or_else(|| err(SpfErrorKind::MissingArgument, body_at + name_end))?;
            let (net, prefix) = split_cidr(arg, 32)
                .ok_or_else(|| err(SpfErrorKind::InvalidCidr, body_at + name_end + 1))?;
            let addr = net
                .parse::<Ipv4Addr>()
                .map_err(|_| err(SpfErrorKind::InvalidIp4, body_at + name_end + 1))?;
            Mechanism::Ip4 { addr, prefix }
        }
        "ip6" => {
            let arg = rest
                .strip_prefix(':')
                .ok_or_else(|| err(SpfErrorKind::MissingArgument, body_at + name_end))?;
            let (net, prefix) = split_cidr(arg, 128)
                .ok_or_else(|| err(SpfErrorKind::InvalidCidr, body_at + name_end + 1))?;
            // `ip6-network = <as per RFC 4291 s2.2>`: no zone, no brackets.
            let addr = net
                .parse::<Ipv6Addr>()
                .map_err(|_| err(SpfErrorKind::InvalidIp6, body_at + name_end + 1))?;
            Mechanism::Ip6 { addr, prefix }
        }
        _ => return Err(err(SpfErrorKind::UnknownMechanism, 0)),
    };
    Ok(Term::Mechanism(qualifier, mechanism))
}

/// The mechanism's lowercase name, matched without regard to case (RFC 7208 s4.6.1).
fn known_mechanism(name: &str) -> Option<&'static str> {
    ["all", "include", "exists", "ptr", "a", "mx", "ip4", "ip6"]
        .into_iter()
        .find(|known| name.eq_ignore_ascii_case(known))
}

/// `"/" ("0" / %x31-39 0*nDIGIT)` with a maximum: the prefix length without its slash.
fn cidr_length(digits: &str, max: u8) -> Option<u8> {
    if digits.is_empty()
        || digits.len() > 3
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    let value: u8 = digits.parse().ok()?;
    (value <= max).then_some(value)
}

/// Splits `network[/len]`; `None` when the length is malformed.
fn split_cidr(arg: &str, max: u8) -> Option<(&str, Option<u8>)> {
    match memchr::memchr(b'/', arg.as_bytes()) {
        Some(slash) => Some((&arg[..slash], Some(cidr_length(&arg[slash + 1..], max)?))),
        None => Some((arg, None)),
    }
}

/// Splits `[:domain-spec][/v4][//v6]` at the CIDR part. The domain-spec itself may contain
/// `/` (a macro literal), so the CIDR lengths are read from the end.
fn split_dual_cidr(rest: &str) -> Option<(&str, DualCidr)> {
    let mut cidr = DualCidr::default();
    let mut spec = rest;
    if let Some(pos) = spec.rfind("//") {
        let digits = &spec[pos + 2..];
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            cidr.v6 = Some(cidr_length(digits, 128)?);
            spec = &spec[..pos];
        }
    }
    if let Some(pos) = spec.rfind('/') {
        let digits = &spec[pos + 1..];
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            cidr.v4 = Some(cidr_length(digits, 32)?);
            spec = &spec[..pos];
        }
    }
    // A slash left over in a mechanism without a domain is a malformed length (`a/`, `mx/x`).
    if !spec.starts_with(':') && spec.contains('/') {
        return None;
    }
    Some((spec, cidr))
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Mechanism::All => Ok(()),
            Mechanism::Include(d) | Mechanism::Exists(d) => write!(f, ":{d}"),
            Mechanism::A { domain, cidr } | Mechanism::Mx { domain, cidr } => {
                if let Some(d) = domain {
                    write!(f, ":{d}")?;
                }
                if let Some(v4) = cidr.v4 {
                    write!(f, "/{v4}")?;
                }
                if let Some(v6) = cidr.v6 {
                    write!(f, "//{v6}")?;
                }
                Ok(())
            }
            Mechanism::Ptr(d) => match d {
                Some(d) => write!(f, ":{d}"),
                None => Ok(()),
            },
            Mechanism::Ip4 { addr, prefix } => {
                write!(f, ":{addr}")?;
                prefix.map_or(Ok(()), |p| write!(f, "/{p}"))
            }
            Mechanism::Ip6 { addr, prefix } => {
                write!(f, ":{addr}")?;
                prefix.map_or(Ok(()), |p| write!(f, "/{p}"))
            }
        }
    }
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Redirect(d) => write!(f, "redirect={d}"),
            Modifier::Exp(d) => write!(f, "exp={d}"),
            Modifier::Unknown { name, value } => write!(f, "{name}={value}"),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Mechanism(Qualifier::Pass, m) => write!(f, "{m}"),
            Term::Mechanism(q, m) => write!(f, "{q}{m}"),
            Term::Modifier(m) => write!(f, "{m}"),
        }
    }
}

/// Writes the record in canonical form: `v=spf1`, then the terms separated by single spaces.
impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            write!(f, " {term}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> SpfErrorKind {
        SpfRecord::parse(text).unwrap_err().kind
    }

    /// Records from RFC 7208 (s3.2, s5, s10 and Appendix A) parse and write back equal.
    #[test]
    fn rfc7208_examples_parse_and_round_trip() {
        for text in [
            "v=spf1 +all",
            "v=spf1 a -all",
            "v=spf1 a:example.org -all",
            "v=spf1 mx -all",
            "v=spf1 mx:example.org -all",
            "v=spf1 mx mx:example.org -all",
            "v=spf1 mx/30 mx:example.org/30 -all",
            "v=spf1 ptr -all",
            "v=spf1 ip4:192.0.2.128/28 -all",
            "v=spf1 include:example.com include:example.net -all",
            "v=spf1 redirect=example.org",
            "v=spf1 mx:example.com -all",
            "v=spf1 -ptr +all",
            "v=spf1 ip6:1080::8:800:200C:417A/96 -all",
            "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",
            "v=spf1 -all exp=explain._spf.%{d}",
            "v=spf1 a/24//64 mx:example.com//126 ~all foo=%{s}bar",
        ] {
            let record = SpfRecord::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let written = record.to_string();
            assert_eq!(SpfRecord::parse(&written).unwrap(), record, "{text}");
        }
        let record = SpfRecord::parse("v=spf1 a/24//64 ~all").unwrap();
        assert_eq!(
            record.terms()[0],
            Term::Mechanism(
                Qualifier::Pass,
                Mechanism::A {
                    domain: None,
                    cidr: DualCidr {
                        v4: Some(24),
                        v6: Some(64)
                    }
                }
            )
        );
    }

    #[test]
    fn typed_errors_with_term_and_offset() {
        let e = SpfRecord::parse("v=spf1 a:example.com foo:bar -all").unwrap_err();
        assert_eq!(e.kind, SpfErrorKind::UnknownMechanism);
        assert_eq!(e.term, "foo:bar");
        assert_eq!(e.offset, 21);
        assert_eq!(kind("v=spf1 ip4:192.0.2.0/33"), SpfErrorKind::InvalidCidr);
        assert_eq!(kind("v=spf1 ip4:192.0.2.0/024"), SpfErrorKind::InvalidCidr);
        assert_eq!(kind("v=spf1 ip4:1.2.3"), SpfErrorKind::InvalidIp4);
        assert_eq!(kind("v=spf1 ip6:1.2.3.4"), SpfErrorKind::InvalidIp6);
        assert_eq!(kind("v=spf1 a:1.2.3.4"), SpfErrorKind::InvalidDomainSpec);
        assert_eq!(kind("v=spf1 include"), SpfErrorKind::MissingArgument);
        assert_eq!(kind("v=spf1 all:x"), SpfErrorKind::UnexpectedArgument);
        assert_eq!(
            kind("v=spf1 redirect=a.com redirect=b.com"),
            SpfErrorKind::DuplicateModifier
        );
        assert_eq!(
            kind("v=spf1 exists:%(ir).x.com"),
            SpfErrorKind::InvalidMacro
        );
        assert_eq!(
            kind("v=spf1 a:%{c}.x.com"),
            SpfErrorKind::ExplanationOnlyMacro
        );
        assert_eq!(kind("v=spf1 a:b\u{e9}.com"), SpfErrorKind::NonAscii);
        assert_eq!(kind("v=spf1 a/33"), SpfErrorKind::InvalidCidr);
        assert_eq!(kind("v=spf1 mx//129"), SpfErrorKind::InvalidCidr);
        assert_eq!(kind("spf1 a"), SpfErrorKind::NotSpf);
        assert_eq!(kind("v=spf10 a"), SpfErrorKind::NotSpf);
        assert_eq!(
            kind("v=spf1 -redirect=x.com"),
            SpfErrorKind::QualifiedModifier
        );
    }

    #[test]
    fn unknown_modifiers_are_kept() {
        let record = SpfRecord::parse("v=spf1 moo.cow-far_out=man:dog/cat ~all").unwrap();
        assert!(matches!(
            &record.terms()[0],
            Term::Modifier(Modifier::Unknown { name, .. }) if name == "moo.cow-far_out"
        ));
    }
}
