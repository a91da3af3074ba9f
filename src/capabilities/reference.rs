//! A frozen copy of the EHLO reader as it was before the hot-path rewrite (commit 2639f6f),
//! kept for tests only: the differential tests check that the current reader agrees with it
//! on every input.
#![allow(dead_code, unused_variables, clippy::all)]

use std::fmt;

use crate::auth::Mechanism;
use crate::reply::Reply;

/// Most unknown keywords kept; more are dropped and flagged (memory stays bounded).
const MAX_UNKNOWN: usize = 64;
/// Most parameters kept per unknown keyword.
const MAX_PARAMS: usize = 32;
/// Most unregistered AUTH mechanisms kept.
const MAX_OTHER_MECHANISMS: usize = 32;

/// A service extension keyword this crate knows (IANA "SMTP Service Extensions").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Keyword {
    /// `SIZE [n]`: message size declaration (RFC 1870).
    Size,
    /// `PIPELINING`: command pipelining (RFC 2920).
    Pipelining,
    /// `STARTTLS`: TLS upgrade (RFC 3207).
    StartTls,
    /// `AUTH mech...`: SASL authentication (RFC 4954).
    Auth,
    /// `8BITMIME`: 8-bit message bodies (RFC 6152).
    EightBitMime,
    /// `SMTPUTF8`: UTF-8 addresses and headers (RFC 6531).
    SmtpUtf8,
    /// `CHUNKING`: the BDAT command (RFC 3030).
    Chunking,
    /// `BINARYMIME`: binary bodies over BDAT (RFC 3030).
    BinaryMime,
    /// `DSN`: delivery status notifications (RFC 3461).
    Dsn,
    /// `ENHANCEDSTATUSCODES`: RFC 3463 codes in replies (RFC 2034).
    EnhancedStatusCodes,
    /// `REQUIRETLS`: the REQUIRETLS MAIL parameter (RFC 8689).
    RequireTls,
    /// `DELIVERBY [min]`: deliver-by deadlines (RFC 2852).
    DeliverBy,
    /// `MT-PRIORITY [profile]`: message priorities (RFC 6710).
    MtPriority,
    /// `FUTURERELEASE interval date`: held delivery (RFC 4865).
    FutureRelease,
    /// `LIMITS RCPTMAX=n ...`: advertised transaction limits (RFC 9422).
    Limits,
    /// `ETRN`: remote queue start (RFC 1985).
    Etrn,
    /// `ATRN`: authenticated TURN (RFC 2645).
    Atrn,
    /// `VRFY`: address verification, when advertised (RFC 5321 s3.5).
    Vrfy,
    /// `EXPN`: list expansion (RFC 5321 s3.5).
    Expn,
    /// `HELP`: help text (RFC 5321 s4.1.1.8).
    Help,
    /// `BURL`: message by URL reference (RFC 4468).
    Burl,
    /// `CHECKPOINT`: checkpoint/restart (RFC 1845).
    Checkpoint,
    /// `CONNEG`: content negotiation (RFC 4141).
    Conneg,
    /// `CONPERM`: content conversion permission (RFC 4141).
    Conperm,
    /// `MTRK`: message tracking (RFC 3885).
    Mtrk,
    /// `NO-SOLICITING`: solicitation class keywords (RFC 3865).
    NoSoliciting,
    /// `RRVS`: require recipient valid since (RFC 7293).
    Rrvs,
    /// `TURN`: historic role reversal (RFC 821).
    Turn,
    /// `SEND`, `SOML`, `SAML`: historic terminal delivery (RFC 821).
    Send,
    /// `VERB`: Sendmail verbose mode.
    Verb,
    /// `ONEX`: Sendmail one-transaction mode.
    Onex,
    /// `UTF8SMTP`: the experimental predecessor of SMTPUTF8 (RFC 5336).
    Utf8Smtp,
}

impl Keyword {
    /// Every known keyword.
    pub const ALL: [Keyword; 32] = [
        Keyword::Size,
        Keyword::Pipelining,
        Keyword::StartTls,
        Keyword::Auth,
        Keyword::EightBitMime,
        Keyword::SmtpUtf8,
        Keyword::Chunking,
        Keyword::BinaryMime,
        Keyword::Dsn,
        Keyword::EnhancedStatusCodes,
        Keyword::RequireTls,
        Keyword::DeliverBy,
        Keyword::MtPriority,
        Keyword::FutureRelease,
        Keyword::Limits,
        Keyword::Etrn,
        Keyword::Atrn,
        Keyword::Vrfy,
        Keyword::Expn,
        Keyword::Help,
        Keyword::Burl,
        Keyword::Checkpoint,
        Keyword::Conneg,
        Keyword::Conperm,
        Keyword::Mtrk,
        Keyword::NoSoliciting,
        Keyword::Rrvs,
        Keyword::Turn,
        Keyword::Send,
        Keyword::Verb,
        Keyword::Onex,
        Keyword::Utf8Smtp,
    ];

    /// The keyword as servers advertise it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Keyword::Size => "SIZE",
            Keyword::Pipelining => "PIPELINING",
            Keyword::StartTls => "STARTTLS",
            Keyword::Auth => "AUTH",
            Keyword::EightBitMime => "8BITMIME",
            Keyword::SmtpUtf8 => "SMTPUTF8",
            Keyword::Chunking => "CHUNKING",
            Keyword::BinaryMime => "BINARYMIME",
            Keyword::Dsn => "DSN",
            Keyword::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
            Keyword::RequireTls => "REQUIRETLS",
            Keyword::DeliverBy => "DELIVERBY",
            Keyword::MtPriority => "MT-PRIORITY",
            Keyword::FutureRelease => "FUTURERELEASE",
            Keyword::Limits => "LIMITS",
            Keyword::Etrn => "ETRN",
            Keyword::Atrn => "ATRN",
            Keyword::Vrfy => "VRFY",
            Keyword::Expn => "EXPN",
            Keyword::Help => "HELP",
            Keyword::Burl => "BURL",
            Keyword::Checkpoint => "CHECKPOINT",
            Keyword::Conneg => "CONNEG",
            Keyword::Conperm => "CONPERM",
            Keyword::Mtrk => "MTRK",
            Keyword::NoSoliciting => "NO-SOLICITING",
            Keyword::Rrvs => "RRVS",
            Keyword::Turn => "TURN",
            Keyword::Send => "SEND",
            Keyword::Verb => "VERB",
            Keyword::Onex => "ONEX",
            Keyword::Utf8Smtp => "UTF8SMTP",
        }
    }

    /// Looks up a keyword of `len` octets (1 to 16) already packed, upper-cased, by
    /// [`scan_word`]: case-insensitively and without allocating, by comparing the packed word
    /// with the few packed names of its length. (`ENHANCEDSTATUSCODES`, 19 octets, is checked
    /// by the caller.)
    #[inline]
    fn lookup_packed(len: usize, packed: u128) -> Option<Keyword> {
        const SIZE: u128 = pack(b"SIZE");
        const PIPELINING: u128 = pack(b"PIPELINING");
        const STARTTLS: u128 = pack(b"STARTTLS");
        const AUTH: u128 = pack(b"AUTH");
        const EIGHTBITMIME: u128 = pack(b"8BITMIME");
        const SMTPUTF8: u128 = pack(b"SMTPUTF8");
        const CHUNKING: u128 = pack(b"CHUNKING");
        const BINARYMIME: u128 = pack(b"BINARYMIME");
        const DSN: u128 = pack(b"DSN");
        const REQUIRETLS: u128 = pack(b"REQUIRETLS");
        const DELIVERBY: u128 = pack(b"DELIVERBY");
        const MT_PRIORITY: u128 = pack(b"MT-PRIORITY");
        const FUTURERELEASE: u128 = pack(b"FUTURERELEASE");
        const LIMITS: u128 = pack(b"LIMITS");
        const ETRN: u128 = pack(b"ETRN");
        const ATRN: u128 = pack(b"ATRN");
        const VRFY: u128 = pack(b"VRFY");
        const EXPN: u128 = pack(b"EXPN");
        const HELP: u128 = pack(b"HELP");
        const BURL: u128 = pack(b"BURL");
        const CHECKPOINT: u128 = pack(b"CHECKPOINT");
        const CONNEG: u128 = pack(b"CONNEG");
        const CONPERM: u128 = pack(b"CONPERM");
        const MTRK: u128 = pack(b"MTRK");
        const NO_SOLICITING: u128 = pack(b"NO-SOLICITING");
        const RRVS: u128 = pack(b"RRVS");
        const TURN: u128 = pack(b"TURN");
        const SEND: u128 = pack(b"SEND");
        const SOML: u128 = pack(b"SOML");
        const SAML: u128 = pack(b"SAML");
        const VERB: u128 = pack(b"VERB");
        const ONEX: u128 = pack(b"ONEX");
        const UTF8SMTP: u128 = pack(b"UTF8SMTP");
        Some(match len {
            3 => match packed {
                DSN => Keyword::Dsn,
                _ => return None,
            },
            4 => match packed {
                SIZE => Keyword::Size,
                AUTH => Keyword::Auth,
                ETRN => Keyword::Etrn,
                ATRN => Keyword::Atrn,
                VRFY => Keyword::Vrfy,
                EXPN => Keyword::Expn,
                HELP => Keyword::Help,
                BURL => Keyword::Burl,
                MTRK => Keyword::Mtrk,
                RRVS => Keyword::Rrvs,
                TURN => Keyword::Turn,
                SEND => Keyword::Send,
                SOML => Keyword::Send,
                SAML => Keyword::Send,
                VERB => Keyword::Verb,
                ONEX => Keyword::Onex,
                _ => return None,
            },
            6 => match packed {
                LIMITS => Keyword::Limits,
                CONNEG => Keyword::Conneg,
                _ => return None,
            },
            7 => match packed {
                CONPERM => Keyword::Conperm,
                _ => return None,
            },
            8 => match packed {
                STARTTLS => Keyword::StartTls,
                EIGHTBITMIME => Keyword::EightBitMime,
                SMTPUTF8 => Keyword::SmtpUtf8,
                CHUNKING => Keyword::Chunking,
                UTF8SMTP => Keyword::Utf8Smtp,
                _ => return None,
            },
            9 => match packed {
                DELIVERBY => Keyword::DeliverBy,
                _ => return None,
            },
            10 => match packed {
                PIPELINING => Keyword::Pipelining,
                BINARYMIME => Keyword::BinaryMime,
                REQUIRETLS => Keyword::RequireTls,
                CHECKPOINT => Keyword::Checkpoint,
                _ => return None,
            },
            11 => match packed {
                MT_PRIORITY => Keyword::MtPriority,
                _ => return None,
            },
            13 => match packed {
                FUTURERELEASE => Keyword::FutureRelease,
                NO_SOLICITING => Keyword::NoSoliciting,
                _ => return None,
            },
            _ => return None,
        })
    }

    const fn bit(self) -> u64 {
        1 << self as u64
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name the server gave for itself on the first line of its EHLO reply
/// (RFC 5321 s4.1.1.1: `"250" SP Domain [ SP ehlo-greet ]`, where Domain may be an
/// address literal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerName<'a> {
    /// A host name, e.g. `smtp.gmail.com` (not checked beyond being one token).
    Domain(&'a str),
    /// An address literal such as `[192.0.2.1]`, brackets included.
    AddressLiteral(&'a str),
    /// Nothing: the first line was `250-` or `250 ` alone.
    Empty,
}

/// An EHLO keyword this crate does not know, with its parameters as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    keyword: String,
    params: Vec<String>,
}

impl Extension {
    /// The keyword, upper-cased.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// The parameters, in order, as sent (invalid UTF-8 replaced).
    pub fn params(&self) -> &[String] {
        &self.params
    }
}

/// Limits a server advertised with `LIMITS` (RFC 9422 s3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransactionLimits {
    /// `RCPTMAX`: most RCPT commands per transaction.
    pub rcpt_max: Option<u32>,
    /// `MAILMAX`: most transactions per session.
    pub mail_max: Option<u32>,
    /// `RCPTDOMAINMAX`: most distinct recipient domains per transaction.
    pub rcpt_domain_max: Option<u32>,
}

/// `FUTURERELEASE` parameters (RFC 4865 s3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FutureRelease {
    /// The longest hold interval in seconds.
    pub max_interval: u64,
    /// The latest release date-time, as sent (RFC 3339).
    pub max_date_time: String,
}

/// Something an EHLO reply did that the grammar does not allow but the parser tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CapabilityAnomaly {
    /// `AUTH=mech ...`: the pre-standard form (RFC 4954 replaced it); merged with `AUTH`.
    LegacyAuthEquals,
    /// `AUTH` mechanisms came only from an `X-EXPS` line (Exchange-style).
    AuthFromXExps,
    /// A keyword was split by a space (`8 BITMIME`) and read as the joined keyword.
    SplitKeyword,
    /// A line did not start with anything like a keyword; ignored.
    MalformedLine,
    /// A keyword used characters outside RFC 5321 s4.1.1.1's `ehlo-keyword` grammar
    /// (Exim's `PIPE_CONNECT`); kept as unknown.
    NonStandardKeyword,
    /// The same keyword was advertised twice.
    DuplicateKeyword,
    /// A known keyword's parameter was not what its RFC says (e.g. `SIZE abc`); ignored.
    BadParameter,
    /// More unknown keywords, parameters or mechanisms than the parser keeps; extras dropped.
    Truncated,
}

impl CapabilityAnomaly {
    const ALL: [CapabilityAnomaly; 8] = [
        CapabilityAnomaly::LegacyAuthEquals,
        CapabilityAnomaly::AuthFromXExps,
        CapabilityAnomaly::SplitKeyword,
        CapabilityAnomaly::MalformedLine,
        CapabilityAnomaly::NonStandardKeyword,
        CapabilityAnomaly::DuplicateKeyword,
        CapabilityAnomaly::BadParameter,
        CapabilityAnomaly::Truncated,
    ];

    /// A short plain description.
    pub const fn description(self) -> &'static str {
        match self {
            CapabilityAnomaly::LegacyAuthEquals => {
                "the server also advertised AUTH in the old AUTH= form"
            }
            CapabilityAnomaly::AuthFromXExps => "AUTH mechanisms were only advertised under X-EXPS",
            CapabilityAnomaly::SplitKeyword => "a keyword contained a space (e.g. '8 BITMIME')",
            CapabilityAnomaly::MalformedLine => "a line did not start with a keyword",
            CapabilityAnomaly::NonStandardKeyword => {
                "a keyword used characters the grammar does not allow"
            }
            CapabilityAnomaly::DuplicateKeyword => "a keyword was advertised twice",
            CapabilityAnomaly::BadParameter => "a keyword's parameter was not valid",
            CapabilityAnomaly::Truncated => "too many keywords or parameters; extras were dropped",
        }
    }
}

impl fmt::Display for CapabilityAnomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// The service extensions an EHLO or LHLO reply advertised.
///
/// Build it with [`Capabilities::from_reply`] from the `250` reply. After STARTTLS a client
/// MUST forget it and ask again (RFC 3207 s4.2).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Capabilities {
    first_line: FirstLine,
    name_end: usize,
    name_kind: NameKind,
    keywords: u64,
    size: Option<u64>,
    auth_known: u32,
    auth_other: Vec<Mechanism>,
    deliver_by: Option<u32>,
    mt_priority: Option<String>,
    future_release: Option<FutureRelease>,
    limits: TransactionLimits,
    unknown: Vec<Extension>,
    anomalies: u16,
}

/// The first line of an EHLO reply (server name and greeting), kept inline when it is short,
/// as nearly all are, so that reading capabilities does not allocate for it.
#[derive(Clone, PartialEq, Eq)]
enum FirstLine {
    /// The first `len` octets of `bytes` (valid UTF-8); the rest are zero.
    Inline {
        len: u8,
        bytes: [u8; FirstLine::INLINE],
    },
    Heap(Box<str>),
}

impl FirstLine {
    /// Longest line kept inline (the enum is then 88 octets, a `String` 24 plus its heap).
    const INLINE: usize = 86;

    fn new(line: &str) -> FirstLine {
        match u8::try_from(line.len()) {
            Ok(len) if line.len() <= FirstLine::INLINE => {
                let mut bytes = [0; FirstLine::INLINE];
                bytes[..line.len()].copy_from_slice(line.as_bytes());
                FirstLine::Inline { len, bytes }
            }
            _ => FirstLine::Heap(line.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Stored from a `&str`, so this never fails (no unsafe to skip the check).
            FirstLine::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            FirstLine::Heap(line) => line,
        }
    }
}

impl Default for FirstLine {
    fn default() -> Self {
        FirstLine::Inline {
            len: 0,
            bytes: [0; FirstLine::INLINE],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum NameKind {
    #[default]
    Empty,
    Domain,
    AddressLiteral,
}

/// Packs up to 16 octets into an integer, left-aligned: the first octet is the most
/// significant, and octets past the word are zero. (Left-aligned, a word read from a line
/// needs only masking, not shifting; compare packed words of the same length only.)
const fn pack(word: &[u8]) -> u128 {
    let mut acc = 0u128;
    let mut i = 0;
    while i < word.len() {
        acc |= (word[i] as u128) << (120 - 8 * i);
        i += 1;
    }
    acc
}

/// [`pack`] of the upper-cased word; `None` when it is longer than 16 octets or empty.
#[inline]
fn pack_upper(word: &[u8]) -> Option<u128> {
    if word.is_empty() || word.len() > 16 {
        return None;
    }
    let mut acc = 0u128;
    for (i, b) in word.iter().enumerate() {
        acc |= u128::from(b.to_ascii_uppercase()) << (120 - 8 * i);
    }
    Some(acc)
}

/// ```text
/// ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")   ; RFC 5321 s4.1.1.1
/// ```
fn is_ehlo_keyword(word: &[u8]) -> bool {
    match word.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphanumeric()
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        None => false,
    }
}

/// What real servers use as keywords beyond the grammar: `_` as well (Exim `PIPE_CONNECT`).
fn is_lenient_keyword(word: &[u8]) -> bool {
    word.first().is_some_and(u8::is_ascii_alphanumeric)
        && word
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Measures the first word at `at` (up to a space, tab or NUL, or the end of the text) and
/// packs its first 16 octets, upper-cased, as [`pack`] does: one pass finds the keyword and
/// its lookup key.
///
/// Works on eight octets at a time, read from the reply's bytes past the end of the text
/// when they are there (the word length is then cut at the text's end): keywords and AUTH
/// mechanisms are looked up for every EHLO line, and a byte-by-byte loop costs more than the
/// rest of the line's handling.
#[inline(always)]
fn scan_word(at: Cursor<'_>) -> (usize, u128) {
    let (high, low) = match at.buf.split_first_chunk::<8>() {
        Some((high, rest)) if rest.len() >= 8 => (
            u64::from_be_bytes(*high),
            u64::from_be_bytes(*rest.first_chunk::<8>().unwrap_or(&[0; 8])),
        ),
        _ => load_block(at.buf),
    };
    let len = match first_below_bang(high) {
        Some(i) => i,
        None => match first_below_bang(low) {
            Some(i) => 8 + i,
            None => 16,
        },
    };
    if len >= at.len {
        // The word runs to the end of the text (the usual keyword-only line).
        return (at.len, pack_upper_block(high, low, at.len));
    }
    if len == 16 || !matches!(at.buf[len], b' ' | b'\t' | 0) {
        // A long word, or a control character inside the word.
        let len = long_word_len(at.text());
        return (len, pack_upper_block(high, low, len.min(16)));
    }
    (len, pack_upper_block(high, low, len))
}

/// The first 16 octets of `text` as two big-endian words, zero past the end of the text.
///
/// Short texts are read as overlapping whole words and shifted into place, rather than
/// copied into a zeroed buffer (which costs a call to memset and one to memcpy per word).
#[inline]
fn load_block(text: &[u8]) -> (u64, u64) {
    let len = text.len();
    if let Some((high, rest)) = text.split_first_chunk::<8>() {
        let high = u64::from_be_bytes(*high);
        if let Some(low) = rest.first_chunk::<8>() {
            return (high, u64::from_be_bytes(*low));
        }
        // 8 to 15 octets: the last eight hold octets `len - 8 .. len`; shift out the ones
        // already in `high`.
        let tail = u64::from_be_bytes(*text.last_chunk::<8>().unwrap_or(&[0; 8]));
        let low = tail.checked_shl(((16 - len) * 8) as u32).unwrap_or(0);
        return (high, low);
    }
    if let Some(head) = text.first_chunk::<4>() {
        // 4 to 7 octets, the same way with 32-bit halves.
        let head = u64::from(u32::from_be_bytes(*head));
        let tail = u64::from(u32::from_be_bytes(
            *text.last_chunk::<4>().unwrap_or(&[0; 4]),
        ));
        let low = (tail << ((8 - len) * 8)) & 0xffff_ffff;
        return ((head << 32) | low, 0);
    }
    let mut high = 0u64;
    for (i, &b) in text.iter().enumerate() {
        high |= u64::from(b) << (56 - 8 * i);
    }
    (high, 0)
}

/// The index (from the most significant octet) of the first octet below `!` (a space, tab,
/// NUL or other control character) in a big-endian word.
#[inline(always)]
fn first_below_bang(word: u64) -> Option<usize> {
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Exact per octet (no carry crosses octets, so no octet before a match is flagged, which
    // matters here: the first octet is the highest): the high bit is set where the low seven
    // bits reach 0x21, or the octet has its high bit set.
    let reaches = ((word & LOWS) + ONES * (0x80 - 0x21)) | word;
    let flags = !reaches & !LOWS;
    (flags != 0).then(|| flags.leading_zeros() as usize / 8)
}

/// Upper-cases ASCII letters in eight octets at once.
#[inline]
fn upper_ascii(word: u64) -> u64 {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let heptets = word & !HIGHS;
    // The high bit of each octet is set where the octet is >= 'a' (resp. > 'z').
    let at_least_a = heptets.wrapping_add(ONES * (0x80 - u64::from(b'a')));
    let above_z = heptets.wrapping_add(ONES * (0x80 - u64::from(b'z') - 1));
    let lower = (at_least_a ^ above_z) & !word & HIGHS;
    word ^ (lower >> 2)
}

/// Packs the first `len` (at most 16) octets of the big-endian halves, upper-cased and
/// left-aligned as [`pack`] does (octets past `len` cleared).
#[inline]
fn pack_upper_block(high: u64, low: u64, len: usize) -> u128 {
    // KEEP[n] keeps the first `n` (0 to 8) octets of a big-endian word.
    const KEEP: [u64; 9] = {
        let mut masks = [0; 9];
        let mut n = 1;
        while n <= 8 {
            masks[n] = !(u64::MAX >> 1 >> (n * 8 - 1));
            n += 1;
        }
        masks
    };
    let high = upper_ascii(high & KEEP[len.min(8)]);
    let low = upper_ascii(low & KEEP[len.saturating_sub(8).min(8)]);
    (u128::from(high) << 64) | u128::from(low)
}

/// The length of a word of more than 16 octets, or holding a control character.
#[cold]
fn long_word_len(text: &[u8]) -> usize {
    text.iter()
        .position(|b| matches!(b, b' ' | b'\t' | 0))
        .unwrap_or(text.len())
}

/// A position in a line's text: `buf` holds the reply's bytes from here to the end of the
/// reply, of which the first `len` are what is left of the text.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    buf: &'a [u8],
    len: usize,
}

impl<'a> Cursor<'a> {
    /// The text left.
    #[inline]
    fn text(&self) -> &'a [u8] {
        &self.buf[..self.len]
    }

    /// Moves past `n` octets of the text.
    #[inline]
    fn advance(&mut self, n: usize) {
        self.buf = &self.buf[n..];
        self.len -= n;
    }

    /// Moves past spaces and tabs.
    #[inline]
    fn skip_blanks(&mut self) {
        while self.len > 0 && matches!(self.buf[0], b' ' | b'\t') {
            self.advance(1);
        }
    }
}

/// The words of a line, split on runs of spaces and tabs.
#[derive(Clone)]
struct Words<'a>(Cursor<'a>);

impl<'a> Words<'a> {
    /// The next word with its first 16 octets packed, upper-cased (see [`pack_upper`]; 0 for
    /// an empty word), measured and packed in one pass by [`scan_word`].
    #[inline]
    fn next_packed(&mut self) -> Option<(&'a [u8], u128)> {
        let at = &mut self.0;
        at.skip_blanks();
        if at.len == 0 {
            return None;
        }
        let (mut len, mut packed) = scan_word(*at);
        if len < at.len && at.buf[len] == 0 {
            // The scan stops at NUL as well; words here end only at SP and HT.
            (len, packed) = word_with_nul(at.text());
        }
        let word = &at.buf[..len];
        at.advance(len);
        Some((word, packed))
    }
}

/// [`Words::next_packed`] for a word holding a NUL octet (never on a sane server).
#[cold]
fn word_with_nul(text: &[u8]) -> (usize, u128) {
    let len = text
        .iter()
        .position(|b| matches!(b, b' ' | b'\t'))
        .unwrap_or(text.len());
    (len, pack_upper(&text[..len.min(16)]).unwrap_or(0))
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_packed().map(|(word, _)| word)
    }
}

/// The parameters of one keyword line: an optional first one (from `AUTH=first`) and the
/// remaining words, read lazily so no line allocates.
#[derive(Clone)]
struct Params<'a> {
    first: Option<&'a [u8]>,
    rest: Words<'a>,
}

impl<'a> Params<'a> {
    /// The next parameter with its first 16 octets packed, upper-cased.
    #[inline]
    fn next_packed(&mut self) -> Option<(&'a [u8], u128)> {
        match self.first.take() {
            Some(first) => Some((first, pack_upper(first).unwrap_or(0))),
            None => self.rest.next_packed(),
        }
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.first.take().or_else(|| self.rest.next())
    }
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')),
    )
}

impl Capabilities {
    /// Reads the capabilities from an EHLO or LHLO reply.
    ///
    /// The first line names the server; every later line is `keyword *(SP param)`
    /// (RFC 5321 s4.1.1.1). Call it on a `250` reply; for any other reply the result lists
    /// whatever lines look like keywords.
    pub fn from_reply(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        let raw = reply.as_bytes();
        let mut lines = reply.text_spans();
        if let Some((start, end)) = lines.next() {
            caps.read_first_line(&raw[start..end]);
        }
        let mut x_exps: Option<Vec<&[u8]>> = None;
        let mut saw_auth = false;
        for (start, end) in lines {
            let mut at = Cursor {
                buf: &raw[start..],
                len: end - start,
            };
            at.skip_blanks();
            if at.len == 0 {
                continue;
            }
            let (len, packed) = scan_word(at);
            let mut word = &at.buf[..len];
            at.advance(len);
            // `AUTH=LOGIN PLAIN`: the keyword and the first mechanism share a word.
            let mut first = None;
            if word.len() > 5 && word[4] == b'=' && word[..4].eq_ignore_ascii_case(b"AUTH") {
                first = Some(&word[5..]);
                word = &word[..4];
            }
            let legacy_auth = first.is_some();
            let mut params = Params {
                first,
                rest: Words(at),
            };
            if word.len() == 6 && word.eq_ignore_ascii_case(b"X-EXPS") {
                x_exps.get_or_insert_with(Vec::new).extend(params);
                continue;
            }
            let mut keyword = if legacy_auth {
                Some(Keyword::Auth)
            } else if word.len() == 19 {
                word.eq_ignore_ascii_case(b"ENHANCEDSTATUSCODES")
                    .then_some(Keyword::EnhancedStatusCodes)
            } else if word.len() <= 16 {
                Keyword::lookup_packed(word.len(), packed)
            } else {
                None
            };
            // `8 BITMIME` (Yahoo): a known keyword split by a space.
            if keyword.is_none() && word.len() < 16 {
                let mut peek = params.clone();
                if let Some((next, next_packed)) = peek.next_packed()
                    && let joined = word.len() + next.len()
                    && joined <= 16
                    && let Some(k) =
                        Keyword::lookup_packed(joined, packed | (next_packed >> (word.len() * 8)))
                {
                    keyword = Some(k);
                    params = peek;
                    caps.flag(CapabilityAnomaly::SplitKeyword);
                }
            }
            let Some(keyword) = keyword else {
                if is_ehlo_keyword(word) {
                    caps.keep_unknown(word, params);
                } else if is_lenient_keyword(word) {
                    caps.flag(CapabilityAnomaly::NonStandardKeyword);
                    caps.keep_unknown(word, params);
                } else {
                    caps.flag(CapabilityAnomaly::MalformedLine);
                }
                continue;
            };
            // An `AUTH` line after an `AUTH=` line is the usual legacy pairing, not a repeat.
            let pairs_with_legacy = keyword == Keyword::Auth && !saw_auth;
            if legacy_auth {
                caps.flag(CapabilityAnomaly::LegacyAuthEquals);
            } else if caps.has(keyword) && !pairs_with_legacy {
                caps.flag(CapabilityAnomaly::DuplicateKeyword);
            }
            if keyword == Keyword::Auth && !legacy_auth {
                saw_auth = true;
            }
            caps.keywords |= keyword.bit();
            caps.read_params(keyword, params);
        }
        if let Some(mechanisms) = x_exps {
            if caps.has(Keyword::Auth) {
                caps.keep_unknown(b"X-EXPS", mechanisms.iter().copied());
            } else {
                caps.keywords |= Keyword::Auth.bit();
                caps.flag(CapabilityAnomaly::AuthFromXExps);
                for name in mechanisms {
                    caps.add_mechanism(name, pack_upper(name).unwrap_or(0));
                }
            }
        }
        caps
    }

    fn read_first_line(&mut self, text: &[u8]) {
        // Valid UTF-8 (the usual case, checked a word at a time for ASCII) needs no lossy
        // pass, which decodes character by character.
        let lossy;
        let text = match std::str::from_utf8(text) {
            Ok(text) => text,
            Err(_) => {
                lossy = String::from_utf8_lossy(text);
                &*lossy
            }
        };
        let trimmed = text.trim_start();
        // SP and HT are ASCII, so they never occur inside a multi-octet character.
        let name_end = trimmed
            .bytes()
            .position(|b| matches!(b, b' ' | b'\t'))
            .unwrap_or(trimmed.len());
        self.name_kind = match trimmed.as_bytes().first() {
            _ if name_end == 0 => NameKind::Empty,
            Some(b'[') => NameKind::AddressLiteral,
            _ => NameKind::Domain,
        };
        self.first_line = FirstLine::new(trimmed);
        self.name_end = name_end;
    }

    fn read_params(&mut self, keyword: Keyword, mut params: Params<'_>) {
        match keyword {
            // RFC 1870 s4: `SIZE [number]`; no value or 0 means no fixed limit.
            Keyword::Size => match params.next() {
                None => {}
                Some(value) => match parse_u64(value) {
                    Some(0) => self.size = None,
                    Some(limit) => self.size = Some(limit),
                    None => self.flag(CapabilityAnomaly::BadParameter),
                },
            },
            // RFC 4954 s3: `AUTH mechanism *(SP mechanism)`.
            Keyword::Auth => {
                while let Some((name, packed)) = params.next_packed() {
                    self.add_mechanism(name, packed);
                }
            }
            // RFC 2852 s4: `DELIVERBY [min-by-time]`.
            Keyword::DeliverBy => {
                if let Some(value) = params.next() {
                    match parse_u64(value).and_then(|v| u32::try_from(v).ok()) {
                        Some(seconds) => self.deliver_by = Some(seconds),
                        None => self.flag(CapabilityAnomaly::BadParameter),
                    }
                }
            }
            // RFC 6710 s4: `MT-PRIORITY [priority-profile]`.
            Keyword::MtPriority => {
                if let Some(profile) = params.next() {
                    self.mt_priority = Some(String::from_utf8_lossy(profile).into_owned());
                }
            }
            // RFC 4865 s3: `FUTURERELEASE max-future-release-interval max-future-release-date-time`.
            Keyword::FutureRelease => match (params.next(), params.next()) {
                (Some(interval), Some(date)) => match parse_u64(interval) {
                    Some(max_interval) => {
                        self.future_release = Some(FutureRelease {
                            max_interval,
                            max_date_time: String::from_utf8_lossy(date).into_owned(),
                        });
                    }
                    None => self.flag(CapabilityAnomaly::BadParameter),
                },
                _ => self.flag(CapabilityAnomaly::BadParameter),
            },
            // RFC 9422 s3: `LIMITS limit-name "=" limit-value *(SP ...)`; unknown names ignored.
            Keyword::Limits => {
                for param in params {
                    let Some(eq) = param.iter().position(|b| *b == b'=') else {
                        self.flag(CapabilityAnomaly::BadParameter);
                        continue;
                    };
                    let (name, value) = (&param[..eq], &param[eq + 1..]);
                    let value = parse_u64(value).and_then(|v| u32::try_from(v).ok());
                    let slot = if name.eq_ignore_ascii_case(b"RCPTMAX") {
                        &mut self.limits.rcpt_max
                    } else if name.eq_ignore_ascii_case(b"MAILMAX") {
                        &mut self.limits.mail_max
                    } else if name.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                        &mut self.limits.rcpt_domain_max
                    } else {
                        continue;
                    };
                    match value {
                        Some(v) if v > 0 => *slot = Some(v),
                        _ => self.flag(CapabilityAnomaly::BadParameter),
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds an AUTH mechanism; `packed` is its first 16 octets, upper-cased ([`pack_upper`]).
    #[inline]
    fn add_mechanism(&mut self, name: &[u8], packed: u128) {
        match Mechanism::lookup(name) {
            Some(index) => self.auth_known |= 1 << index,
            None => self.add_other_mechanism(name),
        }
    }

    /// Adds a mechanism that is not in the table of known names (or is not a name at all).
    #[inline(never)]
    fn add_other_mechanism(&mut self, name: &[u8]) {
        match Mechanism::from_name(name) {
            Some(mechanism) if !self.auth_other.contains(&mechanism) => {
                if self.auth_other.len() == MAX_OTHER_MECHANISMS {
                    self.flag(CapabilityAnomaly::Truncated);
                } else {
                    self.auth_other.push(mechanism);
                }
            }
            Some(_) => {}
            None => self.flag(CapabilityAnomaly::BadParameter),
        }
    }

    fn keep_unknown<'a>(&mut self, keyword: &[u8], params: impl Iterator<Item = &'a [u8]>) {
        let keyword = String::from_utf8_lossy(keyword).to_ascii_uppercase();
        if self.unknown.iter().any(|e| e.keyword == keyword) {
            self.flag(CapabilityAnomaly::DuplicateKeyword);
            return;
        }
        if self.unknown.len() == MAX_UNKNOWN {
            self.flag(CapabilityAnomaly::Truncated);
            return;
        }
        let mut kept = Vec::new();
        for param in params {
            if kept.len() == MAX_PARAMS {
                self.flag(CapabilityAnomaly::Truncated);
                break;
            }
            kept.push(String::from_utf8_lossy(param).into_owned());
        }
        let params = kept;
        self.unknown.push(Extension { keyword, params });
    }

    fn flag(&mut self, anomaly: CapabilityAnomaly) {
        self.anomalies |= 1 << anomaly as u16;
    }

    /// The server's name for itself, from the first line.
    pub fn server_name(&self) -> ServerName<'_> {
        let name = &self.first_line.as_str()[..self.name_end];
        match self.name_kind {
            NameKind::Empty => ServerName::Empty,
            NameKind::Domain => ServerName::Domain(name),
            NameKind::AddressLiteral => ServerName::AddressLiteral(name),
        }
    }

    /// The rest of the first line after the server name (`at your service, [192.0.2.1]`).
    pub fn greeting(&self) -> &str {
        self.first_line.as_str()[self.name_end..].trim_start()
    }

    /// Whether the server advertised `keyword`.
    pub fn has(&self, keyword: Keyword) -> bool {
        self.keywords & keyword.bit() != 0
    }

    /// The advertised keywords this crate knows, in [`Keyword::ALL`] order.
    pub fn keywords(&self) -> impl Iterator<Item = Keyword> + '_ {
        Keyword::ALL.into_iter().filter(|k| self.has(*k))
    }

    /// The fixed maximum message size in octets (RFC 1870). `None` when SIZE was not
    /// advertised, or advertised with no value or 0 (no fixed limit); see
    /// [`Capabilities::size_advertised`].
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Whether SIZE was advertised at all (so `SIZE=` may be sent with MAIL).
    pub fn size_advertised(&self) -> bool {
        self.has(Keyword::Size)
    }

    /// The SASL mechanisms offered by `AUTH` (and `AUTH=`, merged), known ones first.
    pub fn auth_mechanisms(&self) -> impl Iterator<Item = Mechanism> + '_ {
        (0..Mechanism::KNOWN_COUNT)
            .filter(|i| self.auth_known & (1 << i) != 0)
            .filter_map(Mechanism::from_known_index)
            .chain(self.auth_other.iter().cloned())
    }

    /// Whether `mechanism` was offered.
    pub fn supports_auth(&self, mechanism: &Mechanism) -> bool {
        match mechanism.index() {
            Some(index) => self.auth_known & (1 << index) != 0,
            None => self.auth_other.contains(mechanism),
        }
    }

    /// `STARTTLS` (RFC 3207).
    pub fn starttls(&self) -> bool {
        self.has(Keyword::StartTls)
    }

    /// `PIPELINING` (RFC 2920).
    pub fn pipelining(&self) -> bool {
        self.has(Keyword::Pipelining)
    }

    /// `8BITMIME` (RFC 6152).
    pub fn eight_bit_mime(&self) -> bool {
        self.has(Keyword::EightBitMime)
    }

    /// `SMTPUTF8` (RFC 6531).
    pub fn smtputf8(&self) -> bool {
        self.has(Keyword::SmtpUtf8)
    }

    /// `CHUNKING` (RFC 3030).
    pub fn chunking(&self) -> bool {
        self.has(Keyword::Chunking)
    }

    /// `BINARYMIME` (RFC 3030).
    pub fn binary_mime(&self) -> bool {
        self.has(Keyword::BinaryMime)
    }

    /// `DSN` (RFC 3461).
    pub fn dsn(&self) -> bool {
        self.has(Keyword::Dsn)
    }

    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub fn enhanced_status_codes(&self) -> bool {
        self.has(Keyword::EnhancedStatusCodes)
    }

    /// `REQUIRETLS` (RFC 8689).
    pub fn requiretls(&self) -> bool {
        self.has(Keyword::RequireTls)
    }

    /// The `DELIVERBY` minimum in seconds, when one was given (RFC 2852).
    pub fn deliver_by(&self) -> Option<u32> {
        self.deliver_by
    }

    /// The `MT-PRIORITY` profile, when one was given (RFC 6710).
    pub fn mt_priority_profile(&self) -> Option<&str> {
        self.mt_priority.as_deref()
    }

    /// The `FUTURERELEASE` parameters (RFC 4865).
    pub fn future_release(&self) -> Option<&FutureRelease> {
        self.future_release.as_ref()
    }

    /// The `LIMITS` values (RFC 9422); all `None` when not advertised.
    pub fn limits(&self) -> TransactionLimits {
        self.limits
    }

    /// Keywords this crate does not know, with their parameters.
    pub fn unknown(&self) -> &[Extension] {
        &self.unknown
    }

    /// What the parser tolerated.
    pub fn anomalies(&self) -> impl Iterator<Item = CapabilityAnomaly> + '_ {
        CapabilityAnomaly::ALL
            .into_iter()
            .filter(|a| self.anomalies & (1 << *a as u16) != 0)
    }

    /// Whether the parser tolerated `anomaly`.
    pub fn has_anomaly(&self, anomaly: CapabilityAnomaly) -> bool {
        self.anomalies & (1 << anomaly as u16) != 0
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capabilities")
            .field("server_name", &self.server_name())
            .field("keywords", &self.keywords().collect::<Vec<_>>())
            .field("size", &self.size)
            .field("auth", &self.auth_mechanisms().collect::<Vec<_>>())
            .field("unknown", &self.unknown)
            .field("anomalies", &self.anomalies().collect::<Vec<_>>())
            .finish()
    }
}
