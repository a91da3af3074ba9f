//! Typed ESMTP parameters of MAIL and RCPT ([`MailParams`], [`RcptParams`]) and raw ones
//! ([`EsmtpParam`]), with the nom rules that read them.
//!
//! ```text
//! Mail-parameters = esmtp-param *(SP esmtp-param)     ; RFC 5321 s4.1.2
//! Rcpt-parameters = esmtp-param *(SP esmtp-param)
//! esmtp-param     = esmtp-keyword ["=" esmtp-value]
//! esmtp-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//! esmtp-value     = 1*(%d33-60 / %d62-126)
//! ```
//!
//! Values that may hold any text (`ENVID`, `ORCPT`, `AUTH`) are kept decoded and xtext-encoded
//! on the wire ([`super::xtext`]). Keywords are case-insensitive (RFC 5321 s2.4) and are
//! written in upper case.

use std::fmt;

use nom::Parser;
use nom::bytes::complete::take_while1;

use super::CommandError;
use super::xtext;
use crate::address::{Mailbox, ReversePath};
use crate::grammar::{CommandFault, Fault, FaultKind, Res, expected};

/// `BODY=` (RFC 6152 s2, RFC 3030 s3): how the message body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Body {
    /// `7BIT`: US-ASCII lines only.
    SevenBit,
    /// `8BITMIME` (RFC 6152): lines may hold octets above 127.
    EightBitMime,
    /// `BINARYMIME` (RFC 3030): any octets; needs BDAT.
    BinaryMime,
}

impl Body {
    /// The value as written: `7BIT`, `8BITMIME` or `BINARYMIME`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Body::SevenBit => "7BIT",
            Body::EightBitMime => "8BITMIME",
            Body::BinaryMime => "BINARYMIME",
        }
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `RET=` (RFC 3461 s4.3): how much of the message a delivery status notification returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ret {
    /// `FULL`: the whole message.
    Full,
    /// `HDRS`: the headers only.
    Headers,
}

impl Ret {
    /// The value as written: `FULL` or `HDRS`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Headers => "HDRS",
        }
    }
}

impl fmt::Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `NOTIFY=` (RFC 3461 s4.1): when the recipient's server sends a delivery status notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Notify {
    /// `NEVER`.
    Never,
    /// Any of `SUCCESS`, `FAILURE`, `DELAY`; at least one must be set or writing fails.
    On {
        /// `SUCCESS`: on delivery.
        success: bool,
        /// `FAILURE`: on failure.
        failure: bool,
        /// `DELAY`: when delivery is delayed.
        delay: bool,
    },
}

impl Notify {
    /// The value as written, e.g. `SUCCESS,FAILURE`; empty for an `On` with nothing set.
    pub fn to_value(self) -> String {
        let mut out = Vec::new();
        self.write_value(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    fn write_value(self, out: &mut Vec<u8>) {
        match self {
            Notify::Never => out.extend_from_slice(b"NEVER"),
            Notify::On {
                success,
                failure,
                delay,
            } => {
                let mut first = true;
                for (set, name) in [
                    (success, &b"SUCCESS"[..]),
                    (failure, b"FAILURE"),
                    (delay, b"DELAY"),
                ] {
                    if set {
                        if !first {
                            out.push(b',');
                        }
                        out.extend_from_slice(name);
                        first = false;
                    }
                }
            }
        }
    }
}

/// `ORCPT=` (RFC 3461 s4.2): the recipient as the sender first gave it, kept through forwarding
/// for delivery status notifications.
///
/// The address is kept decoded. With address type `rfc822` (any case) it must be printable
/// ASCII (RFC 3461 s4.2) and is xtext-encoded; with `utf-8` (RFC 6533 s3) it may hold any
/// character and is written as `utf-8-addr-xtext` (`\x{HEX}` for each character outside
/// printable ASCII and for `+`, `=`, `\`), which is 7-bit and so needs no SMTPUTF8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt {
    addr_type: String,
    address: String,
}

/// RFC 3461 s4.2: the ORCPT value, address type and `;` included, is at most 500 characters.
const MAX_ORCPT_LENGTH: usize = 500;
/// RFC 3461 s4.4: the ENVID value is at most 100 characters.
const MAX_ENVID_LENGTH: usize = 100;

/// ```text
/// addr-type = atom                                ; RFC 3461 s4.2 (RFC 822 atom)
/// ```
/// without `=`, which no `esmtp-value` may hold.
fn is_addr_type_char(c: char) -> bool {
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
                | '?'
                | '^'
                | '_'
                | '`'
                | '{'
                | '|'
                | '}'
                | '~'
        )
}

/// ```text
/// QCHAR = %x21-2a / %x2c-3c / %x3e-5b / %x5d-7e   ; RFC 6533 s3
/// ```
fn is_qchar(c: char) -> bool {
    matches!(c, '!'..='*' | ','..='<' | '>'..='[' | ']'..='~')
}

fn is_utf8_addr_type(addr_type: &str) -> bool {
    addr_type.eq_ignore_ascii_case("utf-8")
}

impl Orcpt {
    /// An original recipient of the given address type (`rfc822`, or `utf-8` per RFC 6533).
    pub fn new(addr_type: &str, address: &str) -> Result<Orcpt, CommandError> {
        if addr_type.is_empty() || !addr_type.chars().all(is_addr_type_char) {
            return Err(CommandError::InvalidParameter {
                keyword: "ORCPT",
                expected: "an address type such as rfc822 or utf-8 (an atom)",
                found: addr_type.to_owned(),
            });
        }
        if let Some((offset, octet)) = forbidden_octet(address) {
            return Err(CommandError::ForbiddenOctet {
                field: "ORCPT address",
                offset,
                octet,
            });
        }
        let utf8 = is_utf8_addr_type(addr_type);
        let printable = |c: char| {
            if utf8 {
                !c.is_control()
            } else {
                matches!(c, ' '..='~')
            }
        };
        if address.is_empty() || !address.chars().all(printable) {
            return Err(CommandError::InvalidParameter {
                keyword: "ORCPT",
                expected: if utf8 {
                    "a non-empty address without control characters"
                } else {
                    "a non-empty printable ASCII address (use address type utf-8 for UTF-8, RFC 6533)"
                },
                found: address.to_owned(),
            });
        }
        let orcpt = Orcpt {
            addr_type: addr_type.to_owned(),
            address: address.to_owned(),
        };
        let length = orcpt.encoded_len();
        if length > MAX_ORCPT_LENGTH {
            return Err(CommandError::ParameterTooLong {
                keyword: "ORCPT",
                length,
                limit: MAX_ORCPT_LENGTH,
            });
        }
        Ok(orcpt)
    }

    /// The original recipient `mailbox`: type `rfc822` when it is ASCII, `utf-8` otherwise.
    pub fn for_mailbox(mailbox: &Mailbox) -> Result<Orcpt, CommandError> {
        let address = mailbox.to_string();
        let addr_type = if address.is_ascii() {
            "rfc822"
        } else {
            "utf-8"
        };
        Orcpt::new(addr_type, &address)
    }

    /// The address type as given, e.g. `rfc822`.
    pub fn addr_type(&self) -> &str {
        &self.addr_type
    }

    /// The address, decoded.
    pub fn address(&self) -> &str {
        &self.address
    }

    fn encoded_len(&self) -> usize {
        let mut out = Vec::new();
        self.write_value(&mut out);
        out.len()
    }

    /// Appends `addr-type;encoded-address`.
    fn write_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.addr_type.as_bytes());
        out.push(b';');
        if is_utf8_addr_type(&self.addr_type) {
            // utf-8-addr-xtext is made of xchars only, so its xtext form is itself.
            for c in self.address.chars() {
                if is_qchar(c) {
                    out.push(c as u8);
                } else {
                    out.extend_from_slice(b"\\x{");
                    write_upper_hex(u32::from(c), out);
                    out.push(b'}');
                }
            }
        } else {
            xtext::encode_to(self.address.as_bytes(), out);
        }
    }
}

/// Appends `value` in upper-case hexadecimal without leading zeros (RFC 6533 s3 `HEXPOINT`).
fn write_upper_hex(value: u32, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let digits = (32 - value.leading_zeros()).div_ceil(4).max(1);
    for shift in (0..digits).rev() {
        out.push(HEX[((value >> (shift * 4)) & 0xf) as usize]);
    }
}

/// Decodes `utf-8-addr-xtext` (RFC 6533 s3):
///
/// ```text
/// utf-8-addr-xtext    = 1*(QCHAR / EmbeddedUnicodeChar)
/// EmbeddedUnicodeChar = %x5C.78 "{" HEXPOINT "}"
/// ```
fn utf8_addr_xtext(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("\\x{") {
            let end = after.find('}')?;
            let hex = &after[..end];
            if hex.is_empty() || hex.len() > 6 {
                return None;
            }
            out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
            rest = &after[end + 1..];
        } else if is_qchar(c) {
            out.push(c);
            rest = &rest[1..];
        } else {
            return None;
        }
    }
    Some(out)
}

/// A raw ESMTP parameter, for anything without a typed field (`HOLDFOR=` of RFC 4865, `BY=` of
/// RFC 2852, private `X-` parameters).
///
/// Checked when built: the keyword must be an `esmtp-keyword` and the value an `esmtp-value`
/// (RFC 5321 s4.1.2: printable ASCII except `=` and space). A value that needs xtext must be
/// encoded by the caller ([`super::xtext::encode`]); raw text that would need it is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EsmtpParam {
    keyword: String,
    value: Option<String>,
}

/// ```text
/// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")   ; RFC 5321 s4.1.2
/// ```
fn is_esmtp_keyword(keyword: &str) -> bool {
    keyword
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric())
        && keyword
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// ```text
/// esmtp-value = 1*(%d33-60 / %d62-126)            ; RFC 5321 s4.1.2
/// ```
fn is_esmtp_value_char(c: char) -> bool {
    matches!(c, '!'..='<' | '>'..='~')
}

impl EsmtpParam {
    /// A parameter such as `HOLDFOR=600` (`EsmtpParam::new("HOLDFOR", Some("600"))`) or a bare
    /// keyword (`EsmtpParam::new("XFOO", None)`).
    pub fn new(keyword: &str, value: Option<&str>) -> Result<EsmtpParam, CommandError> {
        if let Some((offset, octet)) = forbidden_octet(keyword) {
            return Err(CommandError::ForbiddenOctet {
                field: "ESMTP parameter keyword",
                offset,
                octet,
            });
        }
        if !is_esmtp_keyword(keyword) {
            return Err(CommandError::InvalidKeyword {
                found: keyword.to_owned(),
            });
        }
        if let Some(value) = value {
            if let Some((offset, octet)) = forbidden_octet(value) {
                return Err(CommandError::ForbiddenOctet {
                    field: "ESMTP parameter value",
                    offset,
                    octet,
                });
            }
            if value.is_empty() || !value.chars().all(is_esmtp_value_char) {
                return Err(CommandError::InvalidValue {
                    keyword: keyword.to_owned(),
                    found: value.to_owned(),
                });
            }
        }
        Ok(EsmtpParam {
            keyword: keyword.to_owned(),
            value: value.map(str::to_owned),
        })
    }

    /// The keyword as given.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The value as written on the wire, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        out.push(b' ');
        out.extend_from_slice(self.keyword.as_bytes());
        if let Some(value) = &self.value {
            out.push(b'=');
            out.extend_from_slice(value.as_bytes());
        }
    }
}

/// The ESMTP parameters of `MAIL FROM:` (RFC 5321 s4.1.1.2 and the extensions named on each
/// field). Build with `MailParams::default()` and the `with_` methods, or set the fields.
///
/// The fields are plain data; [`super::Command::write_to`] checks the ones whose type cannot
/// (`envid`, `mt_priority`) and refuses raw parameters in `other` that reuse a typed keyword.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct MailParams {
    /// `SIZE=` (RFC 1870): the message size in octets.
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531 s3.4): the envelope or message holds UTF-8.
    pub smtputf8: bool,
    /// `RET=` (RFC 3461 s4.3).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461 s4.4), decoded: printable ASCII, at most 100 characters once
    /// xtext-encoded.
    pub envid: Option<String>,
    /// `AUTH=` (RFC 4954 s5): the mailbox that submitted the message, or `<>` when unknown.
    pub auth: Option<ReversePath>,
    /// `REQUIRETLS` (RFC 8689): the message must travel over TLS only.
    pub requiretls: bool,
    /// `MT-PRIORITY=` (RFC 6710): -9 (lowest) to 9 (highest).
    pub mt_priority: Option<i8>,
    /// Any other parameter, in order.
    pub other: Vec<EsmtpParam>,
}

/// Keywords with a typed field in [`MailParams`].
const MAIL_KEYWORDS: &[&str] = &[
    "SIZE",
    "BODY",
    "SMTPUTF8",
    "RET",
    "ENVID",
    "AUTH",
    "REQUIRETLS",
    "MT-PRIORITY",
];

/// Keywords with a typed field in [`RcptParams`].
const RCPT_KEYWORDS: &[&str] = &["NOTIFY", "ORCPT"];

/// Whether `keyword` has a typed field in [`MailParams`] or [`RcptParams`] (so a raw
/// [`EsmtpParam`] may not use it), in any case.
#[cfg(any(feature = "proptest", feature = "arbitrary"))]
pub(crate) fn is_typed_keyword(keyword: &str) -> bool {
    MAIL_KEYWORDS
        .iter()
        .chain(RCPT_KEYWORDS)
        .any(|typed| typed.eq_ignore_ascii_case(keyword))
}

/// The offset and value of the first CR, LF or NUL in `text`.
pub(crate) fn forbidden_octet(text: &str) -> Option<(usize, u8)> {
    memchr::memchr3(b'\r', b'\n', 0, text.as_bytes()).map(|i| (i, text.as_bytes()[i]))
}

#[inline]
fn check_other(other: &[EsmtpParam], reserved: &[&'static str]) -> Result<(), CommandError> {
    if other.is_empty() {
        return Ok(());
    }
    for param in other {
        if let Some(keyword) = reserved
            .iter()
            .find(|k| k.eq_ignore_ascii_case(&param.keyword))
        {
            return Err(CommandError::ReservedKeyword { keyword });
        }
    }
    Ok(())
}

fn check_envid(envid: &str) -> Result<(), CommandError> {
    if let Some((offset, octet)) = forbidden_octet(envid) {
        return Err(CommandError::ForbiddenOctet {
            field: "ENVID",
            offset,
            octet,
        });
    }
    if envid.is_empty() || !envid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CommandError::InvalidParameter {
            keyword: "ENVID",
            expected: "printable US-ASCII without spaces (RFC 3461 s4.4)",
            found: envid.to_owned(),
        });
    }
    let length = xtext::encoded_len(envid.as_bytes());
    if length > MAX_ENVID_LENGTH {
        return Err(CommandError::ParameterTooLong {
            keyword: "ENVID",
            length,
            limit: MAX_ENVID_LENGTH,
        });
    }
    Ok(())
}

fn check_mt_priority(priority: i8) -> Result<(), CommandError> {
    if (-9..=9).contains(&priority) {
        Ok(())
    } else {
        Err(CommandError::InvalidParameter {
            keyword: "MT-PRIORITY",
            expected: "a priority from -9 to 9 (RFC 6710)",
            found: priority.to_string(),
        })
    }
}

impl MailParams {
    /// Sets [`MailParams::size`].
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = Some(size);
        self
    }

    /// Sets [`MailParams::body`].
    pub fn with_body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }

    /// Sets [`MailParams::smtputf8`].
    pub fn with_smtputf8(mut self) -> Self {
        self.smtputf8 = true;
        self
    }

    /// Sets [`MailParams::ret`].
    pub fn with_ret(mut self, ret: Ret) -> Self {
        self.ret = Some(ret);
        self
    }

    /// Sets [`MailParams::envid`].
    pub fn with_envid(mut self, envid: impl Into<String>) -> Self {
        self.envid = Some(envid.into());
        self
    }

    /// Sets [`MailParams::auth`].
    pub fn with_auth(mut self, submitter: ReversePath) -> Self {
        self.auth = Some(submitter);
        self
    }

    /// Sets [`MailParams::requiretls`].
    pub fn with_requiretls(mut self) -> Self {
        self.requiretls = true;
        self
    }

    /// Sets [`MailParams::mt_priority`].
    pub fn with_mt_priority(mut self, priority: i8) -> Self {
        self.mt_priority = Some(priority);
        self
    }

    /// Adds a raw parameter.
    pub fn with_other(mut self, param: EsmtpParam) -> Self {
        self.other.push(param);
        self
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == MailParams::default()
    }

    /// Whether only SIZE, BODY, RET, SMTPUTF8 and REQUIRETLS may be set: fields whose types
    /// hold nothing that needs a check and whose longest form is bounded.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        self.envid.is_none()
            && self.auth.is_none()
            && self.mt_priority.is_none()
            && self.other.is_empty()
    }

    /// Checks what the field types cannot.
    #[inline]
    pub(crate) fn validate(&self) -> Result<(), CommandError> {
        if let Some(envid) = &self.envid {
            check_envid(envid)?;
        }
        if let Some(priority) = self.mt_priority {
            check_mt_priority(priority)?;
        }
        check_other(&self.other, MAIL_KEYWORDS)
    }

    /// How far these parameters extend the 512-octet line limit: SIZE 26 (RFC 1870 s3),
    /// SMTPUTF8 10 (RFC 6531 s3.1), RET and ENVID 100 (RFC 3461 s4), AUTH 500 (RFC 4954 s5).
    #[inline]
    pub(crate) fn line_allowance(&self) -> usize {
        let mut allowance = 0;
        if self.size.is_some() {
            allowance += 26;
        }
        if self.smtputf8 {
            allowance += 10;
        }
        if self.ret.is_some() || self.envid.is_some() {
            allowance += 100;
        }
        if self.auth.is_some() {
            allowance += 500;
        }
        allowance
    }

    /// Appends ` KEY=value` for each parameter; call [`MailParams::validate`] first.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        if let Some(size) = self.size {
            out.extend_from_slice(b" SIZE=");
            crate::octets::write_decimal(size, out);
        }
        match self.body {
            None => {}
            Some(Body::SevenBit) => out.extend_from_slice(b" BODY=7BIT"),
            Some(Body::EightBitMime) => out.extend_from_slice(b" BODY=8BITMIME"),
            Some(Body::BinaryMime) => out.extend_from_slice(b" BODY=BINARYMIME"),
        }
        if let Some(ret) = self.ret {
            out.extend_from_slice(b" RET=");
            out.extend_from_slice(ret.as_str().as_bytes());
        }
        if let Some(envid) = &self.envid {
            out.extend_from_slice(b" ENVID=");
            xtext::encode_to(envid.as_bytes(), out);
        }
        match &self.auth {
            None => {}
            Some(ReversePath::Mailbox(mailbox)) => {
                out.extend_from_slice(b" AUTH=");
                xtext::encode_to(mailbox.as_str().as_bytes(), out);
            }
            Some(_) => out.extend_from_slice(b" AUTH=<>"),
        }
        if self.smtputf8 {
            out.extend_from_slice(b" SMTPUTF8");
        }
        if self.requiretls {
            out.extend_from_slice(b" REQUIRETLS");
        }
        if let Some(priority) = self.mt_priority {
            out.extend_from_slice(b" MT-PRIORITY=");
            if priority < 0 {
                out.push(b'-');
            }
            crate::octets::write_decimal(u64::from(priority.unsigned_abs()), out);
        }
        for param in &self.other {
            param.write_to(out);
        }
    }
}

/// The parameters as written on the wire, each after a space.
impl fmt::Display for MailParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out);
        write!(f, "{}", crate::escape::terminal_line(&out))
    }
}

/// The ESMTP parameters of `RCPT TO:` (RFC 5321 s4.1.1.3 and RFC 3461). Build with
/// `RcptParams::default()` and the `with_` methods, or set the fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct RcptParams {
    /// `NOTIFY=` (RFC 3461 s4.1).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461 s4.2).
    pub orcpt: Option<Orcpt>,
    /// Any other parameter, in order.
    pub other: Vec<EsmtpParam>,
}

impl RcptParams {
    /// Sets [`RcptParams::notify`].
    pub fn with_notify(mut self, notify: Notify) -> Self {
        self.notify = Some(notify);
        self
    }

    /// Sets [`RcptParams::orcpt`].
    pub fn with_orcpt(mut self, orcpt: Orcpt) -> Self {
        self.orcpt = Some(orcpt);
        self
    }

    /// Adds a raw parameter.
    pub fn with_other(mut self, param: EsmtpParam) -> Self {
        self.other.push(param);
        self
    }

    /// Whether no parameter is set.
    pub fn is_empty(&self) -> bool {
        *self == RcptParams::default()
    }

    /// Whether no parameter is set, so that nothing needs a check.
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        self.notify.is_none() && self.orcpt.is_none() && self.other.is_empty()
    }

    /// Checks what the field types cannot.
    #[inline]
    pub(crate) fn validate(&self) -> Result<(), CommandError> {
        if let Some(Notify::On {
            success: false,
            failure: false,
            delay: false,
        }) = self.notify
        {
            return Err(CommandError::InvalidParameter {
                keyword: "NOTIFY",
                expected: "NEVER or at least one of SUCCESS, FAILURE, DELAY (RFC 3461 s4.1)",
                found: String::new(),
            });
        }
        check_other(&self.other, RCPT_KEYWORDS)
    }

    /// How far these parameters extend the 512-octet line limit: NOTIFY and ORCPT 500
    /// (RFC 3461 s4).
    #[inline]
    pub(crate) fn line_allowance(&self) -> usize {
        if self.notify.is_some() || self.orcpt.is_some() {
            500
        } else {
            0
        }
    }

    /// Appends ` KEY=value` for each parameter; call [`RcptParams::validate`] first.
    #[inline]
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        if let Some(notify) = self.notify {
            out.extend_from_slice(b" NOTIFY=");
            notify.write_value(out);
        }
        if let Some(orcpt) = &self.orcpt {
            out.extend_from_slice(b" ORCPT=");
            orcpt.write_value(out);
        }
        for param in &self.other {
            param.write_to(out);
        }
    }
}

/// The parameters as written on the wire, each after a space.
impl fmt::Display for RcptParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write_to(&mut out);
        write!(f, "{}", crate::escape::terminal_line(&out))
    }
}

// ---------------------------------------------------------------------------------------------
// Grammar
// ---------------------------------------------------------------------------------------------

/// One `esmtp-param` as it came: keyword, optional value.
struct RawParam<'a> {
    /// Where the parameter starts, for error positions.
    at: &'a str,
    keyword: &'a str,
    value: Option<&'a str>,
}

/// ```text
/// esmtp-param   = esmtp-keyword ["=" esmtp-value] ; RFC 5321 s4.1.2
/// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// esmtp-value   = 1*(%d33-60 / %d62-126)
/// ```
fn esmtp_param(input: &str) -> Res<'_, RawParam<'_>> {
    let (rest, keyword) = expected(
        input,
        "an ESMTP parameter keyword (letters, digits, '-')",
        take_while1(|c: char| c.is_ascii_alphanumeric() || c == '-').parse(input),
    )?;
    if keyword.starts_with('-') {
        return Fault::expected(input, "a letter or digit to start the keyword").fail();
    }
    let Some(after_equals) = rest.strip_prefix('=') else {
        return Ok((
            rest,
            RawParam {
                at: input,
                keyword,
                value: None,
            },
        ));
    };
    let (rest, value) = expected(
        after_equals,
        "an esmtp-value (printable ASCII except '=' and space)",
        take_while1(is_esmtp_value_char).parse(after_equals),
    )?;
    Ok((
        rest,
        RawParam {
            at: input,
            keyword,
            value: Some(value),
        },
    ))
}

/// Reads `*(SP esmtp-param)` up to the end of the line.
fn esmtp_params(mut input: &str) -> Res<'_, Vec<RawParam<'_>>> {
    let mut params = Vec::new();
    while !input.is_empty() {
        let (rest, _) = expected(
            input,
            "a space before the next parameter, or the end of the line",
            nom::character::complete::char(' ').parse(input),
        )?;
        let (rest, param) = esmtp_param(rest)?;
        params.push(param);
        input = rest;
    }
    Ok((input, params))
}

fn bad<'a, T>(at: &'a str, keyword: &'static str, expected: &'static str) -> Res<'a, T> {
    Fault::new(
        at,
        FaultKind::Command(CommandFault::BadParameter { keyword, expected }),
    )
    .fail()
}

/// The value of a parameter that must have one.
fn required<'a>(
    param: &RawParam<'a>,
    keyword: &'static str,
    expected: &'static str,
) -> Result<&'a str, nom::Err<Fault<'a>>> {
    match param.value {
        Some(value) => Ok(value),
        None => Err(nom::Err::Failure(Fault::new(
            param.at,
            FaultKind::Command(CommandFault::BadParameter { keyword, expected }),
        ))),
    }
}

/// Refuses a value on a parameter that takes none.
fn flag<'a>(param: &RawParam<'a>, keyword: &'static str) -> Result<(), nom::Err<Fault<'a>>> {
    match param.value {
        None => Ok(()),
        Some(_) => Err(nom::Err::Failure(Fault::new(
            param.at,
            FaultKind::Command(CommandFault::BadParameter {
                keyword,
                expected: "no value",
            }),
        ))),
    }
}

/// Fails if a typed parameter came twice.
fn once<'a, T>(
    slot: &Option<T>,
    seen: bool,
    param: &RawParam<'a>,
) -> Result<(), nom::Err<Fault<'a>>> {
    if slot.is_some() || seen {
        return Err(nom::Err::Failure(Fault::new(
            param.at,
            FaultKind::Command(CommandFault::DuplicateParameter(
                param.keyword.to_ascii_uppercase(),
            )),
        )));
    }
    Ok(())
}

/// Turns a `CommandError` from a shared check into a fault at `at`, so the parser refuses
/// exactly what the writer refuses.
fn refused<'a>(at: &'a str, keyword: &'static str, err: &CommandError) -> nom::Err<Fault<'a>> {
    let expected = match err {
        CommandError::InvalidParameter { expected, .. } => expected,
        CommandError::ParameterTooLong { .. } => "a shorter value",
        CommandError::ForbiddenOctet { .. } => "no CR, LF or NUL once decoded",
        _ => "a valid value",
    };
    nom::Err::Failure(Fault::new(
        at,
        FaultKind::Command(CommandFault::BadParameter { keyword, expected }),
    ))
}

/// ```text
/// size-value = 1*20DIGIT                          ; RFC 1870 s3
/// ```
fn size_value(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// ```text
/// priority-value = [ "+" / "-" ] DIGIT             ; RFC 6710, values -9 to 9
/// ```
fn priority_value(value: &str) -> Option<i8> {
    let (negative, digit) = match value.as_bytes() {
        [b'-', d] => (true, *d),
        [b'+', d] | [d] => (false, *d),
        _ => return None,
    };
    if !digit.is_ascii_digit() {
        return None;
    }
    let magnitude = i8::try_from(digit - b'0').ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// ```text
/// notify-esmtp-value  = "NEVER" / 1#notify-list-element   ; RFC 3461 s4.1
/// notify-list-element = "SUCCESS" / "FAILURE" / "DELAY"
/// ```
/// `NEVER` may not be combined with the others.
fn notify_value(value: &str) -> Option<Notify> {
    if value.eq_ignore_ascii_case("NEVER") {
        return Some(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    for element in value.split(',') {
        if element.eq_ignore_ascii_case("SUCCESS") {
            success = true;
        } else if element.eq_ignore_ascii_case("FAILURE") {
            failure = true;
        } else if element.eq_ignore_ascii_case("DELAY") {
            delay = true;
        } else {
            return None;
        }
    }
    Some(Notify::On {
        success,
        failure,
        delay,
    })
}

/// ```text
/// orcpt-parameter = "ORCPT=" original-recipient-address   ; RFC 3461 s4.2
/// original-recipient-address = addr-type ";" xtext
/// utf-8-type-addr = "utf-8;" utf-8-addr-xtext              ; RFC 6533 s3
/// ```
fn orcpt_value(value: &str) -> Option<Orcpt> {
    let (addr_type, encoded) = value.split_once(';')?;
    let decoded = String::from_utf8(xtext::decode(encoded).ok()?).ok()?;
    let address = if is_utf8_addr_type(addr_type) {
        utf8_addr_xtext(&decoded)?
    } else {
        decoded
    };
    Orcpt::new(addr_type, &address).ok()
}

/// ```text
/// auth-param = "AUTH=" xtext                      ; RFC 4954 s5
///   ; the xtext-encoded mailbox, or "<>"
/// ```
fn auth_value(value: &str) -> Option<ReversePath> {
    if value == "<>" {
        return Some(ReversePath::Null);
    }
    let decoded = String::from_utf8(xtext::decode(value).ok()?).ok()?;
    Mailbox::parse(&decoded).ok().map(ReversePath::Mailbox)
}

/// The raw form of a parameter that has no typed field.
fn other_param(param: &RawParam<'_>) -> EsmtpParam {
    // `esmtp_param` already checked both against the same rules `EsmtpParam::new` applies.
    EsmtpParam {
        keyword: param.keyword.to_owned(),
        value: param.value.map(str::to_owned),
    }
}

/// ```text
/// Mail-parameters = esmtp-param *(SP esmtp-param) ; RFC 5321 s4.1.2
/// ```
/// Reads `*(SP esmtp-param)` after the reverse path into typed [`MailParams`].
pub(crate) fn mail_parameters(input: &str) -> Res<'_, MailParams> {
    let (rest, raw) = esmtp_params(input)?;
    let mut params = MailParams::default();
    for param in &raw {
        let keyword = param.keyword;
        let is = |name: &str| keyword.eq_ignore_ascii_case(name);
        if is("SIZE") {
            once(&params.size, false, param)?;
            let value = required(param, "SIZE", "a size in octets")?;
            match size_value(value) {
                Some(size) => params.size = Some(size),
                None => {
                    return bad(
                        param.at,
                        "SIZE",
                        "1 to 20 digits that fit in 64 bits (RFC 1870)",
                    );
                }
            }
        } else if is("BODY") {
            once(&params.body, false, param)?;
            let value = required(param, "BODY", "7BIT, 8BITMIME or BINARYMIME")?;
            params.body = Some(if value.eq_ignore_ascii_case("7BIT") {
                Body::SevenBit
            } else if value.eq_ignore_ascii_case("8BITMIME") {
                Body::EightBitMime
            } else if value.eq_ignore_ascii_case("BINARYMIME") {
                Body::BinaryMime
            } else {
                return bad(param.at, "BODY", "7BIT, 8BITMIME or BINARYMIME");
            });
        } else if is("SMTPUTF8") {
            once(&None::<()>, params.smtputf8, param)?;
            flag(param, "SMTPUTF8")?;
            params.smtputf8 = true;
        } else if is("RET") {
            once(&params.ret, false, param)?;
            let value = required(param, "RET", "FULL or HDRS")?;
            params.ret = Some(if value.eq_ignore_ascii_case("FULL") {
                Ret::Full
            } else if value.eq_ignore_ascii_case("HDRS") {
                Ret::Headers
            } else {
                return bad(param.at, "RET", "FULL or HDRS");
            });
        } else if is("ENVID") {
            once(&params.envid, false, param)?;
            let value = required(param, "ENVID", "an xtext envelope identifier")?;
            let decoded = xtext::decode(value)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            let Some(envid) = decoded else {
                return bad(param.at, "ENVID", "xtext (RFC 3461 s4)");
            };
            check_envid(&envid).map_err(|err| refused(param.at, "ENVID", &err))?;
            params.envid = Some(envid);
        } else if is("AUTH") {
            once(&params.auth, false, param)?;
            let value = required(param, "AUTH", "an xtext-encoded mailbox or <>")?;
            match auth_value(value) {
                Some(path) => params.auth = Some(path),
                None => {
                    return bad(
                        param.at,
                        "AUTH",
                        "an xtext-encoded mailbox or <> (RFC 4954 s5)",
                    );
                }
            }
        } else if is("REQUIRETLS") {
            once(&None::<()>, params.requiretls, param)?;
            flag(param, "REQUIRETLS")?;
            params.requiretls = true;
        } else if is("MT-PRIORITY") {
            once(&params.mt_priority, false, param)?;
            let value = required(param, "MT-PRIORITY", "a priority from -9 to 9")?;
            match priority_value(value) {
                Some(priority) => params.mt_priority = Some(priority),
                None => {
                    return bad(
                        param.at,
                        "MT-PRIORITY",
                        "a priority from -9 to 9 (RFC 6710)",
                    );
                }
            }
        } else {
            params.other.push(other_param(param));
        }
    }
    Ok((rest, params))
}

/// ```text
/// Rcpt-parameters = esmtp-param *(SP esmtp-param) ; RFC 5321 s4.1.2
/// ```
/// Reads `*(SP esmtp-param)` after the forward path into typed [`RcptParams`].
pub(crate) fn rcpt_parameters(input: &str) -> Res<'_, RcptParams> {
    let (rest, raw) = esmtp_params(input)?;
    let mut params = RcptParams::default();
    for param in &raw {
        if param.keyword.eq_ignore_ascii_case("NOTIFY") {
            once(&params.notify, false, param)?;
            let value = required(param, "NOTIFY", "NEVER or SUCCESS, FAILURE, DELAY")?;
            match notify_value(value) {
                Some(notify) => params.notify = Some(notify),
                None => {
                    return bad(
                        param.at,
                        "NOTIFY",
                        "NEVER, or a comma-separated list of SUCCESS, FAILURE, DELAY (RFC 3461 s4.1)",
                    );
                }
            }
        } else if param.keyword.eq_ignore_ascii_case("ORCPT") {
            once(&params.orcpt, false, param)?;
            let value = required(param, "ORCPT", "addr-type;xtext")?;
            match orcpt_value(value) {
                Some(orcpt) => params.orcpt = Some(orcpt),
                None => {
                    return bad(
                        param.at,
                        "ORCPT",
                        "addr-type ';' xtext, e.g. rfc822;user@example.com (RFC 3461 s4.2)",
                    );
                }
            }
        } else {
            params.other.push(other_param(param));
        }
    }
    Ok((rest, params))
}
