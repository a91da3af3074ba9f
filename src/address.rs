//! Envelope addresses: [`Domain`], [`AddressLiteral`], [`Host`], [`LocalPart`], [`Mailbox`],
//! [`ReversePath`] and [`ForwardPath`] (RFC 5321 s4.1.2 and s4.1.3, with the UTF-8 forms of
//! RFC 6531 s3.3).
//!
//! Every type checks its syntax and length when it is built, so a value that exists can be
//! written to the wire as it is: the command writer copies it and checks nothing again.
//! Lengths are counted in octets of the wire form, as RFC 5321 s4.5.3.1 counts them (a UTF-8
//! character is one to four octets):
//!
//! | What | Limit | Rule |
//! |---|---|---|
//! | local part | 64 octets | RFC 5321 s4.5.3.1.1 |
//! | domain | 255 octets | RFC 5321 s4.5.3.1.2 |
//! | one domain label | 63 octets | RFC 1035 s2.3.4 |
//! | path, `<` and `>` included | 256 octets | RFC 5321 s4.5.3.1.3 |
//!
//! A [`Mailbox`] always fits in a path. Non-ASCII text (RFC 6531 U-labels and UTF-8 local
//! parts) is accepted and flagged by `needs_smtputf8()`: the client decides whether the server
//! allows it. Two deliberate restrictions: U-labels are checked for their characters, not
//! against IDNA2008, and C1 control characters (U+0080 to U+009F) are refused everywhere.
//!
//! ```
//! use smtp_sansio::{ForwardPath, Mailbox, ReversePath};
//! let mailbox: Mailbox = "\"john doe\"@example.com".parse()?;
//! assert!(mailbox.local_part().is_quoted());
//! assert_eq!(mailbox.local_part().content(), "john doe");
//! assert_eq!(ReversePath::parse("<>")?, ReversePath::Null);
//! assert_eq!(ForwardPath::parse("<postmaster>")?, ForwardPath::Postmaster);
//! assert!(Mailbox::parse("jöran@bücher.example")?.needs_smtputf8());
//! # Ok::<(), smtp_sansio::AddressError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use nom::Parser;
use nom::bytes::complete::{tag, tag_no_case, take_while1};
use nom::character::complete::char;

use crate::grammar::{Fault, FaultKind, Res, describe, expected};

/// RFC 5321 s4.5.3.1.1: "The maximum total length of a user name or other local-part is 64
/// octets."
pub const MAX_LOCAL_PART_LENGTH: usize = 64;
/// RFC 5321 s4.5.3.1.2: "The maximum total length of a domain name or number is 255 octets."
pub const MAX_DOMAIN_LENGTH: usize = 255;
/// RFC 5321 s4.5.3.1.3: "The maximum total length of a reverse-path or forward-path is 256
/// octets (including the punctuation and element separators)."
pub const MAX_PATH_LENGTH: usize = 256;
/// RFC 1035 s2.3.4: labels are 63 octets or less.
const MAX_LABEL_LENGTH: usize = 63;

/// Why a string is not a valid address, domain or path. Offsets count octets from the start
/// of the string given to the parser (for errors inside a command line: from the start of the
/// line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The text does not follow the grammar of RFC 5321 s4.1.2.
    #[error(
        "offset {offset}: expected {expected}, found {}",
        crate::escape::terminal_line(found)
    )]
    Syntax {
        /// Where the grammar stopped.
        offset: usize,
        /// What the grammar wanted there.
        expected: &'static str,
        /// What was there: up to 16 characters, quoted, or "end of input".
        found: String,
    },
    /// RFC 5321 s4.5.3.1.1.
    #[error(
        "offset {offset}: the local part is {length} octets; RFC 5321 s4.5.3.1.1 allows at most 64"
    )]
    LocalPartTooLong {
        /// Where the local part starts.
        offset: usize,
        /// Its length in octets as written on the wire.
        length: usize,
    },
    /// RFC 5321 s4.5.3.1.2.
    #[error(
        "offset {offset}: the domain is {length} octets; RFC 5321 s4.5.3.1.2 allows at most 255"
    )]
    DomainTooLong {
        /// Where the domain starts.
        offset: usize,
        /// Its length in octets.
        length: usize,
    },
    /// RFC 1035 s2.3.4.
    #[error(
        "offset {offset}: a domain label is {length} octets; RFC 1035 s2.3.4 allows at most 63"
    )]
    LabelTooLong {
        /// Where the label starts.
        offset: usize,
        /// Its length in octets.
        length: usize,
    },
    /// RFC 5321 s4.5.3.1.3.
    #[error(
        "offset {offset}: the path would be {length} octets with its angle brackets; RFC 5321 s4.5.3.1.3 allows at most 256"
    )]
    PathTooLong {
        /// Where the mailbox starts.
        offset: usize,
        /// The length of `<mailbox>` in octets.
        length: usize,
    },
    /// `[...]` holding neither an IPv4 address, `IPv6:` and an IPv6 address, nor
    /// `tag:content` (RFC 5321 s4.1.3).
    #[error(
        "offset {offset}: expected an IPv4, IPv6 or general address literal (RFC 5321 s4.1.3), found {found:?}"
    )]
    InvalidAddressLiteral {
        /// Where the literal starts (its `[`).
        offset: usize,
        /// The literal as given.
        found: String,
    },
    /// A name whose last label is all digits, such as `127.0.0.1`: no host name is (RFC 1123
    /// s2.1, RFC 3696 s2), and servers refuse it in EHLO. An IP address is written as an
    /// address literal, `[127.0.0.1]`.
    #[error(
        "{found:?} is not a host name (its top-level label is all digits); an IP address is written as an address literal: {suggestion}"
    )]
    NumericDomain {
        /// The name as given.
        found: String,
        /// The address literal to use instead, e.g. `[127.0.0.1]` (or `[IPv6:...]`).
        suggestion: String,
    },
}

/// A sender or recipient given to [`Envelope::parse`](crate::Envelope::parse) that is not a
/// valid path: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{address:?}: {error}")]
#[non_exhaustive]
pub struct EnvelopeError {
    /// The address as given.
    pub address: String,
    /// What is wrong with it.
    pub error: AddressError,
}

/// RFC 3696 s2: a top-level label is never all digits, so a name ending in one is not a
/// host name (a dotted quad is an IPv4 address, to be written as `[a.b.c.d]`).
fn reject_numeric(domain: &Domain) -> Result<(), AddressError> {
    let last = domain.name.rsplit('.').next().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        let suggestion = match domain.name.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => format!("[{ip}]"),
            Err(_) => "an address literal such as [192.0.2.1]".to_owned(),
        };
        return Err(AddressError::NumericDomain {
            found: domain.name.clone(),
            suggestion,
        });
    }
    Ok(())
}

impl Fault<'_> {
    /// The one place where the grammar's private faults become [`AddressError`]s. `base` is
    /// the string the offsets count from.
    pub(crate) fn into_address_error(self, base: &str) -> AddressError {
        let offset = self.offset_in(base);
        match self.kind {
            FaultKind::LocalPartTooLong(length) => {
                AddressError::LocalPartTooLong { offset, length }
            }
            FaultKind::DomainTooLong(length) => AddressError::DomainTooLong { offset, length },
            FaultKind::LabelTooLong(length) => AddressError::LabelTooLong { offset, length },
            FaultKind::PathTooLong(length) => AddressError::PathTooLong { offset, length },
            FaultKind::BadAddressLiteral(length) => AddressError::InvalidAddressLiteral {
                offset,
                found: self.at[..length.min(self.at.len())].to_owned(),
            },
            FaultKind::Expected(expected) => AddressError::Syntax {
                offset,
                expected,
                found: describe(self.at),
            },
            FaultKind::Nom | FaultKind::Command(_) => AddressError::Syntax {
                offset,
                expected: "an address",
                found: describe(self.at),
            },
        }
    }

    /// Whether the fault is about an address (and so maps to [`AddressError`]).
    pub(crate) fn is_address_fault(&self) -> bool {
        !matches!(self.kind, FaultKind::Command(_) | FaultKind::Nom)
    }
}

/// Runs a whole-string rule: the rule must consume all of `input`.
fn parse_all<'a, T>(
    input: &'a str,
    rule: impl FnOnce(&'a str) -> Res<'a, T>,
) -> Result<T, AddressError> {
    let result = match rule(input) {
        Ok(("", value)) => return Ok(value),
        Ok((rest, _)) => Fault::expected(rest, "the end of the address"),
        Err(nom::Err::Error(fault) | nom::Err::Failure(fault)) => fault,
        Err(nom::Err::Incomplete(_)) => Fault::expected("", "more input"),
    };
    Err(result.into_address_error(input))
}

// ---------------------------------------------------------------------------------------------
// Character classes
// ---------------------------------------------------------------------------------------------

/// ```text
/// UTF8-non-ascii = UTF8-2 / UTF8-3 / UTF8-4      ; RFC 6532 s3.1, used by RFC 6531 s3.3
/// ```
/// C1 control characters are refused (a deliberate restriction: NEL, U+0085, is a line break
/// to some software).
fn is_utf8_non_ascii(c: char) -> bool {
    c > '\u{9f}'
}

/// ```text
/// Let-dig = ALPHA / DIGIT                        ; RFC 5321 s4.1.2
/// ```
fn is_let_dig(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// ```text
/// atext = ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "/" /
///         "=" / "?" / "^" / "_" / "`" / "{" / "|" / "}" / "~"   ; RFC 5322 s3.2.3
/// atext =/ UTF8-non-ascii                                        ; RFC 6531 s3.3
/// ```
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '/'
                | '='
                | '?'
                | '^'
                | '_'
                | '`'
                | '{'
                | '|'
                | '}'
                | '~'
        )
        || is_utf8_non_ascii(c)
}

/// ```text
/// qtextSMTP = %d32-33 / %d35-91 / %d93-126       ; RFC 5321 s4.1.2
/// qtextSMTP =/ UTF8-non-ascii                    ; RFC 6531 s3.3
/// ```
fn is_qtext_smtp(c: char) -> bool {
    matches!(c, ' '..='!' | '#'..='[' | ']'..='~') || is_utf8_non_ascii(c)
}

/// What a quoted string may hold once decoded: `qtextSMTP` plus the two characters that need
/// a backslash (`quoted-pairSMTP = %d92 %d32-126`, RFC 5321 s4.1.2).
fn is_quotable(c: char) -> bool {
    is_qtext_smtp(c) || c == '"' || c == '\\'
}

/// ```text
/// dcontent = %d33-90 / %d94-126                  ; RFC 5321 s4.1.3
/// ```
fn is_dcontent(c: char) -> bool {
    matches!(c, '!'..='Z' | '^'..='~')
}

// ---------------------------------------------------------------------------------------------
// Domain
// ---------------------------------------------------------------------------------------------

/// A domain name as RFC 5321 allows it in EHLO and in mailboxes: letters, digits and hyphens
/// in dot-separated labels, plus RFC 6531 U-labels.
///
/// Case is kept as given. Build one with [`Domain::parse`] or `str::parse`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain {
    name: String,
    utf8: bool,
}

/// ```text
/// sub-domain = Let-dig [Ldh-str]                 ; RFC 5321 s4.1.2
/// Ldh-str    = *( ALPHA / DIGIT / "-" ) Let-dig
/// sub-domain =/ U-label                          ; RFC 6531 s3.3
/// ```
/// One label, at most 63 octets (RFC 1035 s2.3.4).
fn sub_domain(input: &str) -> Res<'_, &str> {
    let (rest, label) = expected(
        input,
        "a domain label (letters, digits, '-')",
        take_while1(|c: char| is_let_dig(c) || c == '-' || is_utf8_non_ascii(c)).parse(input),
    )?;
    if label.starts_with('-') {
        return Fault::expected(input, "a letter or digit to start the label").fail();
    }
    if label.ends_with('-') {
        return Fault::expected(
            &input[label.len() - 1..],
            "a letter or digit to end the label",
        )
        .fail();
    }
    if label.len() > MAX_LABEL_LENGTH {
        return Fault::new(input, FaultKind::LabelTooLong(label.len())).fail();
    }
    Ok((rest, label))
}

/// ```text
/// Domain = sub-domain *("." sub-domain)          ; RFC 5321 s4.1.2
/// ```
/// At most 255 octets (RFC 5321 s4.5.3.1.2).
pub(crate) fn domain(input: &str) -> Res<'_, Domain> {
    let (mut rest, _) = sub_domain(input)?;
    while let Some(after_dot) = rest.strip_prefix('.') {
        (rest, _) = sub_domain(after_dot)?;
    }
    let name = &input[..input.len() - rest.len()];
    if name.len() > MAX_DOMAIN_LENGTH {
        return Fault::new(input, FaultKind::DomainTooLong(name.len())).fail();
    }
    Ok((
        rest,
        Domain {
            name: name.to_owned(),
            utf8: !name.is_ascii(),
        },
    ))
}

impl Domain {
    /// Checks and wraps a domain name such as `mail.example.com` or `bücher.example`. A
    /// dotted quad such as `127.0.0.1` is refused with [`AddressError::NumericDomain`]: write
    /// it as the address literal `[127.0.0.1]` ([`Host::parse`] takes both).
    pub fn parse(name: &str) -> Result<Domain, AddressError> {
        let domain = parse_all(name, domain)?;
        reject_numeric(&domain)?;
        Ok(domain)
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The dot-separated labels.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.name.split('.')
    }

    /// Whether the name has a U-label, so the server must offer SMTPUTF8 (RFC 6531 s3.2).
    pub fn needs_smtputf8(&self) -> bool {
        self.utf8
    }
}

impl FromStr for Domain {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Domain::parse(s)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

// ---------------------------------------------------------------------------------------------
// Address literals
// ---------------------------------------------------------------------------------------------

/// An address literal: a host given by its address instead of its name (RFC 5321 s4.1.3).
///
/// The IPv4 and IPv6 forms are checked with `std::net` (so IPv4 octets with leading zeros,
/// which `Snum` would allow, are refused as ambiguous). IPv6 is written in the RFC 5952 form
/// `Ipv6Addr` prints.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressLiteral {
    /// `[192.0.2.1]`.
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`.
    Ipv6(Ipv6Addr),
    /// `[tag:content]` with a registered tag other than `IPv6`.
    General(GeneralLiteral),
}

/// The `Standardized-tag ":" 1*dcontent` form of an address literal (RFC 5321 s4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeneralLiteral {
    tag: String,
    content: String,
}

impl GeneralLiteral {
    /// The tag before the colon.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The text after the colon.
    pub fn content(&self) -> &str {
        &self.content
    }
}

/// ```text
/// Standardized-tag = Ldh-str                     ; RFC 5321 s4.1.3
/// Ldh-str          = *( ALPHA / DIGIT / "-" ) Let-dig
/// ```
fn is_standardized_tag(tag: &str) -> bool {
    tag.bytes()
        .last()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Reads what is between the brackets of an address literal.
///
/// ```text
/// IPv4-address-literal    = Snum 3("." Snum)     ; RFC 5321 s4.1.3
/// IPv6-address-literal    = "IPv6:" IPv6-addr
/// General-address-literal = Standardized-tag ":" 1*dcontent
/// ```
fn literal_content(content: &str) -> Option<AddressLiteral> {
    match content.split_once(':') {
        None => content.parse().ok().map(AddressLiteral::Ipv4),
        Some((tag, rest)) if tag.eq_ignore_ascii_case("IPv6") => {
            rest.parse().ok().map(AddressLiteral::Ipv6)
        }
        Some((tag, rest)) => {
            if is_standardized_tag(tag) && !rest.is_empty() && rest.chars().all(is_dcontent) {
                Some(AddressLiteral::General(GeneralLiteral {
                    tag: tag.to_owned(),
                    content: rest.to_owned(),
                }))
            } else {
                None
            }
        }
    }
}

/// ```text
/// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
///                         General-address-literal ) "]"   ; RFC 5321 s4.1.3
/// ```
pub(crate) fn address_literal(input: &str) -> Res<'_, AddressLiteral> {
    let (rest, _) = expected(input, "'['", char('[').parse(input))?;
    let (rest, content) = expected(
        rest,
        "an address literal's content",
        take_while1(is_dcontent).parse(rest),
    )?;
    let (rest, _) = expected(rest, "']'", char(']').parse(rest))?;
    match literal_content(content) {
        Some(literal) => Ok((rest, literal)),
        None => Fault::new(
            input,
            FaultKind::BadAddressLiteral(input.len() - rest.len()),
        )
        .fail(),
    }
}

impl AddressLiteral {
    /// Reads a literal with its brackets: `[192.0.2.1]`, `[IPv6:2001:db8::1]`, `[x-tag:abc]`.
    pub fn parse(literal: &str) -> Result<AddressLiteral, AddressError> {
        parse_all(literal, address_literal)
    }

    /// A general address literal `[tag:content]`. `tag` must be an `Ldh-str` other than
    /// `IPv6`, `content` one or more of the printable ASCII characters except `[`, `\`, `]`.
    pub fn general(tag: &str, content: &str) -> Result<AddressLiteral, AddressError> {
        let literal = format!("[{tag}:{content}]");
        match AddressLiteral::parse(&literal)? {
            general @ AddressLiteral::General(_) => Ok(general),
            _ => Err(AddressError::InvalidAddressLiteral {
                offset: 0,
                found: literal,
            }),
        }
    }

    /// Appends the wire form, brackets included.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            AddressLiteral::Ipv4(ip) => {
                out.push(b'[');
                for (i, octet) in ip.octets().into_iter().enumerate() {
                    if i > 0 {
                        out.push(b'.');
                    }
                    crate::octets::write_decimal(u64::from(octet), out);
                }
                out.push(b']');
            }
            AddressLiteral::Ipv6(ip) => {
                // Writing into a Vec cannot fail.
                let _ = write!(out, "[IPv6:{ip}]");
            }
            AddressLiteral::General(general) => {
                out.push(b'[');
                out.extend_from_slice(general.tag.as_bytes());
                out.push(b':');
                out.extend_from_slice(general.content.as_bytes());
                out.push(b']');
            }
        }
    }

    /// Always false: address literals are ASCII (RFC 5321 s4.1.3 `dcontent`).
    pub fn needs_smtputf8(&self) -> bool {
        false
    }
}

impl From<Ipv4Addr> for AddressLiteral {
    fn from(ip: Ipv4Addr) -> Self {
        AddressLiteral::Ipv4(ip)
    }
}

impl From<Ipv6Addr> for AddressLiteral {
    fn from(ip: Ipv6Addr) -> Self {
        AddressLiteral::Ipv6(ip)
    }
}

impl From<IpAddr> for AddressLiteral {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(ip) => AddressLiteral::Ipv4(ip),
            IpAddr::V6(ip) => AddressLiteral::Ipv6(ip),
        }
    }
}

impl FromStr for AddressLiteral {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AddressLiteral::parse(s)
    }
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressLiteral::Ipv4(ip) => write!(f, "[{ip}]"),
            AddressLiteral::Ipv6(ip) => write!(f, "[IPv6:{ip}]"),
            AddressLiteral::General(general) => {
                write!(f, "[{}:{}]", general.tag, general.content)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Host
// ---------------------------------------------------------------------------------------------

/// The part after `@` in a mailbox, and the argument of EHLO, HELO and LHLO: a domain name or
/// an address literal (RFC 5321 s4.1.1.1, s4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal.
    Literal(AddressLiteral),
}

/// ```text
/// ( Domain / address-literal )                   ; RFC 5321 s4.1.1.1, s4.1.2
/// ```
pub(crate) fn host(input: &str) -> Res<'_, Host> {
    if input.starts_with('[') {
        address_literal(input).map(|(rest, literal)| (rest, Host::Literal(literal)))
    } else {
        expected(input, "a domain or an address literal", domain(input))
            .map(|(rest, domain)| (rest, Host::Domain(domain)))
    }
}

impl Host {
    /// Reads a domain name or a bracketed address literal. A bare IP address is refused
    /// ([`AddressError::NumericDomain`], which suggests the literal): `Host::parse("127.0.0.1")`
    /// is an error, `Host::parse("[127.0.0.1]")` is the literal.
    pub fn parse(host: &str) -> Result<Host, AddressError> {
        let host = parse_all(host, self::host)?;
        if let Host::Domain(domain) = &host {
            reject_numeric(domain)?;
        }
        Ok(host)
    }

    /// Whether the host has a U-label (RFC 6531 s3.2).
    pub fn needs_smtputf8(&self) -> bool {
        match self {
            Host::Domain(domain) => domain.needs_smtputf8(),
            Host::Literal(_) => false,
        }
    }

    /// Its length in octets on the wire.
    fn wire_len(&self) -> usize {
        match self {
            Host::Domain(domain) => domain.name.len(),
            Host::Literal(literal) => literal.to_string().len(),
        }
    }

    /// Appends the wire form.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Host::Domain(domain) => out.extend_from_slice(domain.name.as_bytes()),
            Host::Literal(literal) => literal.write_to(out),
        }
    }
}

impl From<Domain> for Host {
    fn from(domain: Domain) -> Self {
        Host::Domain(domain)
    }
}

impl From<AddressLiteral> for Host {
    fn from(literal: AddressLiteral) -> Self {
        Host::Literal(literal)
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        Host::Literal(ip.into())
    }
}

impl From<Ipv4Addr> for Host {
    fn from(ip: Ipv4Addr) -> Self {
        Host::Literal(ip.into())
    }
}

impl From<Ipv6Addr> for Host {
    fn from(ip: Ipv6Addr) -> Self {
        Host::Literal(ip.into())
    }
}

impl FromStr for Host {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Host::parse(s)
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(domain) => domain.fmt(f),
            Host::Literal(literal) => literal.fmt(f),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Local part
// ---------------------------------------------------------------------------------------------

/// The part before `@`: a dot-string such as `john.doe` or a quoted string such as
/// `"john doe"` (RFC 5321 s4.1.2), UTF-8 allowed (RFC 6531 s3.3).
///
/// Whether it was quoted is kept. A quoted local part is held in its minimal quoted form: only
/// `"` and `\` get a backslash, so `"a\b"` reads as `"ab"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalPart {
    /// The wire form, quotes included.
    wire: String,
    quoted: bool,
}

/// ```text
/// Dot-string = Atom *("." Atom)                  ; RFC 5321 s4.1.2
/// Atom       = 1*atext
/// ```
fn dot_string(input: &str) -> Res<'_, &str> {
    let atom = |at| {
        expected(
            at,
            "an atom (letters, digits, !#$%&'*+-/=?^_`{|}~)",
            take_while1(is_atext).parse(at),
        )
    };
    let (mut rest, _) = atom(input)?;
    while let Some(after_dot) = rest.strip_prefix('.') {
        (rest, _) = atom(after_dot)?;
    }
    Ok((rest, &input[..input.len() - rest.len()]))
}

/// ```text
/// Quoted-string   = DQUOTE *QcontentSMTP DQUOTE  ; RFC 5321 s4.1.2
/// QcontentSMTP    = qtextSMTP / quoted-pairSMTP
/// quoted-pairSMTP = %d92 %d32-126
/// ```
/// Returns the decoded content.
fn quoted_string(input: &str) -> Res<'_, String> {
    let (mut rest, _) = expected(input, "'\"'", char('"').parse(input))?;
    let mut content = String::new();
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            Some('"') => return Ok((chars.as_str(), content)),
            Some('\\') => match chars.next() {
                Some(c @ ' '..='~') => content.push(c),
                _ => {
                    return Fault::expected(&rest[1..], "a printable ASCII character after '\\'")
                        .fail();
                }
            },
            Some(c) if is_qtext_smtp(c) => content.push(c),
            Some(_) => {
                return Fault::expected(rest, "a printable character or '\"'").fail();
            }
            None => return Fault::expected(rest, "'\"' to close the quoted string").fail(),
        }
        rest = chars.as_str();
    }
}

/// Writes `content` as a quoted string with the fewest backslashes.
fn quote(content: &str) -> String {
    let mut wire = String::with_capacity(content.len() + 2);
    wire.push('"');
    for c in content.chars() {
        if c == '"' || c == '\\' {
            wire.push('\\');
        }
        wire.push(c);
    }
    wire.push('"');
    wire
}

/// ```text
/// Local-part = Dot-string / Quoted-string        ; RFC 5321 s4.1.2
/// ```
/// At most 64 octets in its minimal wire form (RFC 5321 s4.5.3.1.1).
pub(crate) fn local_part(input: &str) -> Res<'_, LocalPart> {
    let (rest, local) = if input.starts_with('"') {
        let (rest, content) = quoted_string(input)?;
        let wire = quote(&content);
        (rest, LocalPart { wire, quoted: true })
    } else {
        let (rest, atoms) = dot_string(input)?;
        (
            rest,
            LocalPart {
                wire: atoms.to_owned(),
                quoted: false,
            },
        )
    };
    if local.wire.len() > MAX_LOCAL_PART_LENGTH {
        return Fault::new(input, FaultKind::LocalPartTooLong(local.wire.len())).fail();
    }
    Ok((rest, local))
}

impl LocalPart {
    /// Reads a local part in its wire form: `john.doe` or `"john doe"`.
    pub fn parse(wire: &str) -> Result<LocalPart, AddressError> {
        parse_all(wire, local_part)
    }

    /// Makes a local part from its content: a dot-string when the content is one, a quoted
    /// string otherwise (RFC 5321 s4.1.2: "a Local-part that could be written as a Dot-string
    /// SHOULD be").
    pub fn from_content(content: &str) -> Result<LocalPart, AddressError> {
        if let Ok(("", _)) = dot_string(content) {
            return LocalPart::parse(content);
        }
        if let Some(bad) = content.char_indices().find(|(_, c)| !is_quotable(*c)) {
            return Err(AddressError::Syntax {
                offset: bad.0,
                expected: "a printable character (control characters cannot be quoted)",
                found: describe(&content[bad.0..]),
            });
        }
        LocalPart::parse(&quote(content))
    }

    /// The wire form, quotes and backslashes included.
    pub fn as_str(&self) -> &str {
        &self.wire
    }

    /// The content without quotes and backslashes.
    pub fn content(&self) -> Cow<'_, str> {
        if !self.quoted {
            return Cow::Borrowed(&self.wire);
        }
        let inner = &self.wire[1..self.wire.len() - 1];
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        let mut content = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => content.extend(chars.next()),
                c => content.push(c),
            }
        }
        Cow::Owned(content)
    }

    /// Whether it is a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// Whether it holds non-ASCII characters, so the server must offer SMTPUTF8 (RFC 6531 s3.2).
    pub fn needs_smtputf8(&self) -> bool {
        !self.wire.is_ascii()
    }
}

impl FromStr for LocalPart {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LocalPart::parse(s)
    }
}

impl fmt::Display for LocalPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.wire)
    }
}

// ---------------------------------------------------------------------------------------------
// Mailbox and paths
// ---------------------------------------------------------------------------------------------

/// An envelope mailbox, `local-part@host` (RFC 5321 s4.1.2). It always fits in a path of 256
/// octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local_part: LocalPart,
    host: Host,
    /// `<local-part@host>`, kept whole so that writing a path is one copy.
    path: String,
}

/// ```text
/// Mailbox = Local-part "@" ( Domain / address-literal )   ; RFC 5321 s4.1.2
/// ```
/// `<Mailbox>` fits in 256 octets (RFC 5321 s4.5.3.1.3).
pub(crate) fn mailbox(input: &str) -> Res<'_, Mailbox> {
    let (rest, local_part) = expected(
        input,
        "a local part (a dot-string or a quoted string)",
        local_part(input),
    )?;
    let (rest, _) = expected(rest, "'@' after the local part", char('@').parse(rest))?;
    let (rest, host) = host(rest)?;
    let mailbox = Mailbox::assemble(local_part, host);
    let length = mailbox.path.len();
    if length > MAX_PATH_LENGTH {
        return Fault::new(input, FaultKind::PathTooLong(length)).fail();
    }
    Ok((rest, mailbox))
}

/// ```text
/// Path      = "<" [ A-d-l ":" ] Mailbox ">"       ; RFC 5321 s4.1.2
/// A-d-l     = At-domain *( "," At-domain )
/// At-domain = "@" Domain
/// ```
/// A source route (`A-d-l`) is read and dropped: RFC 5321 s4.1.1.3 says servers "MUST
/// accept" it and "SHOULD ... ignore" it.
pub(crate) fn path(input: &str) -> Res<'_, Mailbox> {
    let (mut rest, _) = expected(input, "'<' to open the path", char('<').parse(input))?;
    if rest.starts_with('@') {
        loop {
            let (after, _) = expected(
                rest,
                "'@' to start a source-route domain",
                char('@').parse(rest),
            )?;
            (rest, _) = domain(after)?;
            match rest.strip_prefix(',') {
                Some(after_comma) => rest = after_comma,
                None => break,
            }
        }
        (rest, _) = expected(rest, "':' after the source route", char(':').parse(rest))?;
    }
    let (rest, mailbox) = mailbox(rest)?;
    let (rest, _) = expected(rest, "'>' to close the path", char('>').parse(rest))?;
    Ok((rest, mailbox))
}

impl Mailbox {
    /// Joins a local part and a host, checking that `<local@host>` fits in 256 octets.
    pub fn new(local_part: LocalPart, host: Host) -> Result<Mailbox, AddressError> {
        let mailbox = Mailbox::assemble(local_part, host);
        let length = mailbox.path.len();
        if length > MAX_PATH_LENGTH {
            return Err(AddressError::PathTooLong { offset: 0, length });
        }
        Ok(mailbox)
    }

    /// Reads `local-part@host`, without angle brackets.
    pub fn parse(mailbox: &str) -> Result<Mailbox, AddressError> {
        parse_all(mailbox, self::mailbox)
    }

    /// The part before `@`.
    pub fn local_part(&self) -> &LocalPart {
        &self.local_part
    }

    /// The part after `@`.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Whether the local part or the domain holds non-ASCII text (RFC 6531 s3.2).
    pub fn needs_smtputf8(&self) -> bool {
        self.local_part.needs_smtputf8() || self.host.needs_smtputf8()
    }

    /// Joins the parts and writes the path once; lengths are checked by the callers.
    fn assemble(local_part: LocalPart, host: Host) -> Mailbox {
        let mut path = String::with_capacity(local_part.wire.len() + 3 + host.wire_len());
        path.push('<');
        path.push_str(&local_part.wire);
        path.push('@');
        match &host {
            Host::Domain(domain) => path.push_str(&domain.name),
            Host::Literal(literal) => path.push_str(&literal.to_string()),
        }
        path.push('>');
        Mailbox {
            local_part,
            host,
            path,
        }
    }

    /// `local-part@host`.
    pub fn as_str(&self) -> &str {
        &self.path[1..self.path.len() - 1]
    }

    /// `<local-part@host>` as written on the wire: at most [`MAX_PATH_LENGTH`] octets and
    /// never a CR, LF or NUL, since `path` is only built by [`Mailbox::new`] and the parser,
    /// which check both.
    #[inline]
    pub(crate) fn path_bytes(&self) -> &[u8] {
        self.path.as_bytes()
    }

    /// Appends `<local-part@host>`.
    #[inline]
    pub(crate) fn write_path(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.path.as_bytes());
    }
}

impl FromStr for Mailbox {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mailbox::parse(s)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The argument of `MAIL FROM:` (RFC 5321 s4.1.2): a mailbox, or the null path `<>` used for
/// bounces and other messages that must not cause a reply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReversePath {
    /// `<>` (RFC 5321 s4.5.5).
    Null,
    /// `<local-part@host>`.
    Mailbox(Mailbox),
}

/// ```text
/// Reverse-path = Path / "<>"                     ; RFC 5321 s4.1.2
/// ```
pub(crate) fn reverse_path(input: &str) -> Res<'_, ReversePath> {
    if let Ok((rest, _)) = tag::<_, _, Fault<'_>>("<>").parse(input) {
        return Ok((rest, ReversePath::Null));
    }
    path(input).map(|(rest, mailbox)| (rest, ReversePath::Mailbox(mailbox)))
}

impl ReversePath {
    /// Reads `<>` or `<local-part@host>`; without angle brackets, `local-part@host` (and the
    /// empty string for the null path) is read as the same path.
    pub fn parse(path: &str) -> Result<ReversePath, AddressError> {
        if path.is_empty() {
            return Ok(ReversePath::Null);
        }
        if !path.starts_with('<') {
            return Mailbox::parse(path).map(ReversePath::Mailbox);
        }
        parse_all(path, reverse_path)
    }

    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ReversePath::Null => None,
            ReversePath::Mailbox(mailbox) => Some(mailbox),
        }
    }

    /// Whether the mailbox holds non-ASCII text (RFC 6531 s3.2).
    pub fn needs_smtputf8(&self) -> bool {
        self.mailbox().is_some_and(Mailbox::needs_smtputf8)
    }

    /// The path with its angle brackets, as written on the wire: at most [`MAX_PATH_LENGTH`]
    /// octets, no CR, LF or NUL ([`Mailbox`] guarantees both).
    #[inline]
    pub(crate) fn path_bytes(&self) -> &[u8] {
        match self {
            ReversePath::Null => b"<>",
            ReversePath::Mailbox(mailbox) => mailbox.path_bytes(),
        }
    }

    /// Appends the path with its angle brackets.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            ReversePath::Null => out.extend_from_slice(b"<>"),
            ReversePath::Mailbox(mailbox) => mailbox.write_path(out),
        }
    }
}

impl From<Mailbox> for ReversePath {
    fn from(mailbox: Mailbox) -> Self {
        ReversePath::Mailbox(mailbox)
    }
}

impl FromStr for ReversePath {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReversePath::parse(s)
    }
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(mailbox) => f.write_str(&mailbox.path),
        }
    }
}

/// The argument of `RCPT TO:` (RFC 5321 s4.1.1.3): a mailbox, or `<Postmaster>`, which every
/// server must accept without a domain (RFC 5321 s4.5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForwardPath {
    /// `<Postmaster>` (any case on input; written `<Postmaster>`).
    Postmaster,
    /// `<local-part@host>`.
    Mailbox(Mailbox),
}

/// ```text
/// ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )   ; RFC 5321 s4.1.1.3
/// Forward-path = Path
/// ```
/// `<Postmaster@domain>` is an ordinary mailbox here.
pub(crate) fn forward_path(input: &str) -> Res<'_, ForwardPath> {
    if let Ok((rest, _)) = tag_no_case::<_, _, Fault<'_>>("<Postmaster>").parse(input) {
        return Ok((rest, ForwardPath::Postmaster));
    }
    path(input).map(|(rest, mailbox)| (rest, ForwardPath::Mailbox(mailbox)))
}

impl ForwardPath {
    /// Reads `<Postmaster>` or `<local-part@host>`; without angle brackets, `Postmaster` or
    /// `local-part@host` is read as the same path.
    pub fn parse(path: &str) -> Result<ForwardPath, AddressError> {
        if !path.starts_with('<') {
            if path.eq_ignore_ascii_case("postmaster") {
                return Ok(ForwardPath::Postmaster);
            }
            return Mailbox::parse(path).map(ForwardPath::Mailbox);
        }
        parse_all(path, forward_path)
    }

    /// The mailbox, unless this is `<Postmaster>`.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Mailbox(mailbox) => Some(mailbox),
        }
    }

    /// Whether the mailbox holds non-ASCII text (RFC 6531 s3.2).
    pub fn needs_smtputf8(&self) -> bool {
        self.mailbox().is_some_and(Mailbox::needs_smtputf8)
    }

    /// The path with its angle brackets, as written on the wire: at most [`MAX_PATH_LENGTH`]
    /// octets, no CR, LF or NUL ([`Mailbox`] guarantees both).
    #[inline]
    pub(crate) fn path_bytes(&self) -> &[u8] {
        match self {
            ForwardPath::Postmaster => b"<Postmaster>",
            ForwardPath::Mailbox(mailbox) => mailbox.path_bytes(),
        }
    }

    /// Appends the path with its angle brackets.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            ForwardPath::Postmaster => out.extend_from_slice(b"<Postmaster>"),
            ForwardPath::Mailbox(mailbox) => mailbox.write_path(out),
        }
    }
}

impl From<Mailbox> for ForwardPath {
    fn from(mailbox: Mailbox) -> Self {
        ForwardPath::Mailbox(mailbox)
    }
}

impl FromStr for ForwardPath {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ForwardPath::parse(s)
    }
}

impl fmt::Display for ForwardPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Mailbox(mailbox) => f.write_str(&mailbox.path),
        }
    }
}

#[cfg(test)]
mod tests;
