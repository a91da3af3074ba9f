//! [`Capabilities`]: what an EHLO (or LHLO) reply says the server can do
//! (RFC 5321 s4.1.1.1 and s4.1.4, the IANA "SMTP Service Extensions" registry).
//!
//! Keywords are case-insensitive (RFC 5321 s2.4). Real servers bend the grammar, so the
//! parser is lenient and says what it tolerated ([`Capabilities::anomalies`]):
//!
//! | Seen in the wild | Read as |
//! |---|---|
//! | `AUTH=LOGIN PLAIN` (pre-RFC 4954 drafts; Postfix `broken_sasl_auth_clients`) | merged into the AUTH mechanisms |
//! | both `AUTH ...` and `AUTH=...` lines with different lists | the union |
//! | `X-EXPS LOGIN PLAIN` with no `AUTH` line (Exchange-style) | those mechanisms, flagged |
//! | `8 BITMIME` (Yahoo) | `8BITMIME`, flagged |
//! | `SIZE` with no value, or `SIZE 0` (RFC 1870 s4: no fixed limit) | advertised, no limit |
//! | lower-case `starttls`, `auth login` | as upper case |
//! | an address literal or nothing as the server name | [`ServerName::AddressLiteral`] / [`ServerName::Empty`] |
//! | keywords nobody registered (`XCLIENT`, `X-LINK2STATE`) | kept with their parameters in [`Capabilities::unknown`] |

use std::fmt;

use crate::auth::Mechanism;

mod scan;

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
    /// The offered mechanisms that are not in the table of known names, upper-cased, each
    /// followed by a space: inline while short (one or two names), else one allocation.
    auth_other: OtherNames,
    /// What few servers advertise, boxed so that the usual capabilities stay small (they
    /// are built, and moved, for every EHLO).
    more: More,
    anomalies: u16,
}

/// The rarely advertised parts of [`Capabilities`].
#[derive(Clone, PartialEq, Eq, Default)]
struct Extras {
    deliver_by: Option<u32>,
    mt_priority: Option<String>,
    future_release: Option<FutureRelease>,
    limits: TransactionLimits,
    unknown: Vec<Extension>,
}

/// No [`Extras`]: what [`More::get`] reads before any was written.
static NO_EXTRAS: Extras = Extras {
    deliver_by: None,
    mt_priority: None,
    future_release: None,
    limits: TransactionLimits {
        rcpt_max: None,
        mail_max: None,
        rcpt_domain_max: None,
    },
    unknown: Vec::new(),
};

/// [`Extras`], allocated on the first write.
#[derive(Clone, Default)]
struct More(Option<Box<Extras>>);

impl More {
    fn get(&self) -> &Extras {
        self.0.as_deref().unwrap_or(&NO_EXTRAS)
    }

    fn get_mut(&mut self) -> &mut Extras {
        self.0.get_or_insert_with(Box::default)
    }
}

/// Compared by content: allocated but empty is the same as not allocated.
impl PartialEq for More {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for More {}

/// Names (ASCII), each followed by a space, kept inline while they fit in
/// [`OtherNames::INLINE`] octets: a server rarely offers more than one or two mechanisms
/// outside the table of known ones (Gmail's `PLAIN-CLIENTTOKEN`), and allocating for them
/// costs more than reading the rest of the line.
#[derive(Clone)]
enum OtherNames {
    /// The first `len` octets of `bytes`.
    Inline {
        len: u8,
        bytes: [u8; OtherNames::INLINE],
    },
    Heap(String),
}

impl OtherNames {
    const INLINE: usize = 30;

    /// The names, each followed by a space.
    fn as_str(&self) -> &str {
        match self {
            // Only ASCII is stored, so this never fails (no unsafe to skip the check).
            OtherNames::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            OtherNames::Heap(names) => names,
        }
    }

    /// Appends `name` (ASCII) and a space.
    fn push(&mut self, name: &str) {
        match self {
            OtherNames::Inline { len, bytes } => {
                let at = usize::from(*len);
                let end = at + name.len() + 1;
                if end <= OtherNames::INLINE {
                    bytes[at..end - 1].copy_from_slice(name.as_bytes());
                    bytes[end - 1] = b' ';
                    *len = end as u8;
                } else {
                    let mut names = String::with_capacity(end.max(64));
                    names.push_str(self.as_str());
                    names.push_str(name);
                    names.push(' ');
                    *self = OtherNames::Heap(names);
                }
            }
            OtherNames::Heap(names) => {
                names.push_str(name);
                names.push(' ');
            }
        }
    }
}

impl Default for OtherNames {
    fn default() -> Self {
        OtherNames::Inline {
            len: 0,
            bytes: [0; OtherNames::INLINE],
        }
    }
}

impl PartialEq for OtherNames {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for OtherNames {}

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
        if line.len() <= FirstLine::INLINE {
            return FirstLine::inline(line.as_bytes());
        }
        FirstLine::Heap(line.into())
    }

    /// A line of at most [`FirstLine::INLINE`] octets of valid UTF-8 (ASCII, or from a
    /// `&str`), kept inline. (Were it not UTF-8, [`FirstLine::as_str`] would read it as empty.)
    #[inline]
    fn inline(line: &[u8]) -> FirstLine {
        let len = line.len().min(FirstLine::INLINE);
        let mut bytes = [0; FirstLine::INLINE];
        bytes[..len].copy_from_slice(&line[..len]);
        FirstLine::Inline {
            len: len as u8,
            bytes,
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

impl Capabilities {
    /// The names in [`Capabilities::auth_other`], in the order they came.
    fn other_mechanisms(&self) -> impl Iterator<Item = &str> {
        self.auth_other.as_str().split_terminator(' ')
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
            .chain(
                self.other_mechanisms()
                    .map(|name| Mechanism::Other(name.to_string())),
            )
    }

    /// Whether `mechanism` was offered.
    pub fn supports_auth(&self, mechanism: &Mechanism) -> bool {
        match mechanism.index() {
            Some(index) => self.auth_known & (1 << index) != 0,
            None => match mechanism {
                Mechanism::Other(name) => self.other_mechanisms().any(|other| other == name),
                _ => false,
            },
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
        self.more.get().deliver_by
    }

    /// The `MT-PRIORITY` profile, when one was given (RFC 6710).
    pub fn mt_priority_profile(&self) -> Option<&str> {
        self.more.get().mt_priority.as_deref()
    }

    /// The `FUTURERELEASE` parameters (RFC 4865).
    pub fn future_release(&self) -> Option<&FutureRelease> {
        self.more.get().future_release.as_ref()
    }

    /// The `LIMITS` values (RFC 9422); all `None` when not advertised.
    pub fn limits(&self) -> TransactionLimits {
        self.more.get().limits
    }

    /// Keywords this crate does not know, with their parameters.
    pub fn unknown(&self) -> &[Extension] {
        &self.more.get().unknown
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
            .field("unknown", &self.more.get().unknown)
            .field("anomalies", &self.anomalies().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests;
