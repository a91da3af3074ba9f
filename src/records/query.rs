//! The sans-IO lookup contract shared by every record check (DESIGN s7): a machine offers
//! [`Query`]s, the caller resolves them however it likes and hands back an [`Answer`] for each
//! id, in any order.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::dane::TlsaRecord;

/// The DNS record type a [`Query`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum QueryKind {
    /// IPv4 addresses (type 1).
    A,
    /// IPv6 addresses (type 28).
    Aaaa,
    /// Mail exchangers (type 15).
    Mx,
    /// Text records (type 16): SPF, DMARC, DKIM, MTA-STS, TLS-RPT.
    Txt,
    /// Reverse names (type 12).
    Ptr,
    /// DANE certificate associations (type 52, RFC 6698).
    Tlsa,
    /// An alias (type 5): asked only where the alias itself is the fault (an MX target).
    Cname,
}

impl QueryKind {
    /// The record type's mnemonic (`A`, `AAAA`, `MX`, `TXT`, `PTR`, `TLSA`, `CNAME`).
    pub const fn as_str(self) -> &'static str {
        match self {
            QueryKind::A => "A",
            QueryKind::Aaaa => "AAAA",
            QueryKind::Mx => "MX",
            QueryKind::Txt => "TXT",
            QueryKind::Ptr => "PTR",
            QueryKind::Tlsa => "TLSA",
            QueryKind::Cname => "CNAME",
        }
    }
}

impl fmt::Display for QueryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names one query of one machine; answer it with the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryId(pub(crate) u32);

impl QueryId {
    /// The id as a number (unique within the machine that issued it).
    pub fn value(self) -> u32 {
        self.0
    }
}

/// A DNS question a machine needs answered: a name (no trailing dot, ASCII lowercase) and a
/// record type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Query {
    /// Give this id back with the answer.
    pub id: QueryId,
    /// The name to look up, without a trailing dot.
    pub name: String,
    /// The record type.
    pub kind: QueryKind,
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.kind)
    }
}

/// One record of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rdata {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A mail exchanger: its preference and host name (`.` for a null MX, RFC 7505).
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The exchange's name, without a trailing dot (`.` stays `.`).
        exchange: String,
    },
    /// A TXT record: its character-strings as published. Readers join them with no separator
    /// (RFC 7208 s3.3, RFC 6376 s3.6.2.2, RFC 7489 s6.1).
    Txt(Vec<Vec<u8>>),
    /// A reverse name.
    Ptr(String),
    /// A DANE TLSA record.
    Tlsa(TlsaRecord),
    /// An alias target.
    Cname(String),
}

impl Rdata {
    /// A TXT record of one string.
    pub fn txt(text: impl Into<String>) -> Rdata {
        Rdata::Txt(vec![text.into().into_bytes()])
    }

    /// The record's type.
    pub fn kind(&self) -> QueryKind {
        match self {
            Rdata::A(_) => QueryKind::A,
            Rdata::Aaaa(_) => QueryKind::Aaaa,
            Rdata::Mx { .. } => QueryKind::Mx,
            Rdata::Txt(_) => QueryKind::Txt,
            Rdata::Ptr(_) => QueryKind::Ptr,
            Rdata::Tlsa(_) => QueryKind::Tlsa,
            Rdata::Cname(_) => QueryKind::Cname,
        }
    }

    /// A TXT record's strings joined with no separator (RFC 7208 s3.3); `None` for other types.
    pub fn txt_joined(&self) -> Option<Vec<u8>> {
        match self {
            Rdata::Txt(strings) => Some(strings.concat()),
            _ => None,
        }
    }
}

/// What the caller's resolver said about a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Answer {
    /// The name exists and has records of the type (RCODE 0). Records of other types in the
    /// list (a CNAME the resolver followed) are ignored.
    Records {
        /// The answer's records.
        records: Vec<Rdata>,
        /// Whether the resolver validated the answer with DNSSEC (the AD bit); only DANE cares.
        authenticated: bool,
    },
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The name exists but has no record of this type (RCODE 0, empty answer).
    NoData,
    /// The lookup failed: SERVFAIL, REFUSED, a timeout, or the caller gave up waiting.
    TempFail,
}

impl Answer {
    /// Records not validated by DNSSEC. An empty list is [`Answer::NoData`].
    pub fn records(records: Vec<Rdata>) -> Answer {
        if records.is_empty() {
            Answer::NoData
        } else {
            Answer::Records {
                records,
                authenticated: false,
            }
        }
    }

    /// Records the resolver validated with DNSSEC (AD bit set).
    pub fn authenticated(records: Vec<Rdata>) -> Answer {
        if records.is_empty() {
            Answer::NoData
        } else {
            Answer::Records {
                records,
                authenticated: true,
            }
        }
    }

    /// The records, or an empty slice for the other answers.
    pub fn rdata(&self) -> &[Rdata] {
        match self {
            Answer::Records { records, .. } => records,
            _ => &[],
        }
    }

    /// Whether the answer is a "void lookup" of RFC 7208 s4.6.4: NXDOMAIN, or no record of the
    /// type asked.
    pub fn is_void(&self, kind: QueryKind) -> bool {
        match self {
            Answer::NxDomain | Answer::NoData => true,
            Answer::Records { records, .. } => !records.iter().any(|r| r.kind() == kind),
            Answer::TempFail => false,
        }
    }
}

/// The error for an answer to an id the machine did not issue, or answered twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("query id {0:?} is not waiting for an answer")]
pub struct UnknownQuery(pub QueryId);

/// A machine that asks DNS questions: every record check and the SPF evaluation.
///
/// The loop: call [`poll_query`](Lookups::poll_query) until it returns `None` (every query it
/// returns can be resolved in parallel), resolve them, give each [`Answer`] to
/// [`answer`](Lookups::answer) in any order, and poll again; when `poll_query` returns `None`
/// and nothing is outstanding, [`is_finished`](Lookups::is_finished) is true and the
/// machine's result can be read.
pub trait Lookups {
    /// The next query to resolve, or `None` when the machine waits for answers or is done.
    fn poll_query(&mut self) -> Option<Query>;
    /// Hands the machine the answer to one of its queries.
    ///
    /// # Errors
    /// [`UnknownQuery`] when `id` is not outstanding; the machine is unchanged.
    fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery>;
    /// Whether the machine has its result.
    fn is_finished(&self) -> bool;
}

/// Runs a machine to the end with a synchronous resolver (tests, fixtures, simple tools): each
/// query goes to `resolve` as it is polled.
///
/// A machine that stops asking before it is finished (a caller bug) ends the loop too.
pub fn resolve_with<M: Lookups + ?Sized>(
    machine: &mut M,
    mut resolve: impl FnMut(&Query) -> Answer,
) {
    loop {
        let mut batch = Vec::new();
        while let Some(query) = machine.poll_query() {
            batch.push(query);
        }
        if batch.is_empty() {
            return;
        }
        for query in batch {
            let answer = resolve(&query);
            // The id came from this machine just now, so it is outstanding.
            let _ = machine.answer(query.id, answer);
        }
    }
}

/// The shared book-keeping of a lookup machine: answers by name and type, queries offered and
/// outstanding. Each name and type is asked once per machine.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryBook {
    /// name → one slot per [`QueryKind`]; looked up by `&str` without allocating.
    answers: HashMap<String, [Option<Answer>; KINDS]>,
    outstanding: HashMap<QueryId, (String, QueryKind)>,
    asked: HashMap<String, [bool; KINDS]>,
    to_offer: std::collections::VecDeque<Query>,
    next_id: u32,
    issued: usize,
}

const KINDS: usize = 7;

fn slot(kind: QueryKind) -> usize {
    match kind {
        QueryKind::A => 0,
        QueryKind::Aaaa => 1,
        QueryKind::Mx => 2,
        QueryKind::Txt => 3,
        QueryKind::Ptr => 4,
        QueryKind::Tlsa => 5,
        QueryKind::Cname => 6,
    }
}

impl QueryBook {
    /// The answer, if known.
    pub(crate) fn get(&self, name: &str, kind: QueryKind) -> Option<&Answer> {
        self.answers.get(name)?[slot(kind)].as_ref()
    }

    /// Asks for `name`/`kind` unless it is known or already asked.
    pub(crate) fn need(&mut self, name: &str, kind: QueryKind) {
        if self.get(name, kind).is_some() || self.asked.get(name).is_some_and(|a| a[slot(kind)]) {
            return;
        }
        self.asked.entry(name.to_owned()).or_default()[slot(kind)] = true;
        self.next_id += 1;
        let id = QueryId(self.next_id);
        self.outstanding.insert(id, (name.to_owned(), kind));
        self.issued += 1;
        self.to_offer.push_back(Query {
            id,
            name: name.to_owned(),
            kind,
        });
    }

    pub(crate) fn poll(&mut self) -> Option<Query> {
        self.to_offer.pop_front()
    }

    pub(crate) fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery> {
        let (name, kind) = self.outstanding.remove(&id).ok_or(UnknownQuery(id))?;
        self.to_offer.retain(|q| q.id != id);
        self.answers.entry(name).or_default()[slot(kind)] = Some(answer);
        Ok(())
    }

    /// Whether queries are offered or outstanding.
    pub(crate) fn is_waiting(&self) -> bool {
        !self.outstanding.is_empty()
    }

    /// How many queries were issued in all.
    pub(crate) fn issued(&self) -> usize {
        self.issued
    }
}

/// A name as queries carry it: ASCII lowercase, no trailing dot.
pub(crate) fn normalize_name(name: &str) -> String {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    trimmed.to_ascii_lowercase()
}

/// [`normalize_name`] without a copy when the name is already normal.
pub(crate) fn normalized(name: &str) -> std::borrow::Cow<'_, str> {
    if name.ends_with('.') || name.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(normalize_name(name))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

/// Whether `name` is a syntactically valid multi-label host name for a lookup: labels of 1 to
/// 63 octets, 253 in all (RFC 1035 s2.3.4), at least two labels (RFC 7208 s4.3).
pub(crate) fn is_lookup_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let mut labels = 0;
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

/// The reverse-lookup name of an address: `4.3.2.1.in-addr.arpa` or the 32 nibbles of
/// RFC 3596 s2.5 under `ip6.arpa`.
pub fn reverse_name(ip: std::net::IpAddr) -> String {
    reversed_labels(ip)
        + match ip {
            std::net::IpAddr::V4(_) => ".in-addr.arpa",
            std::net::IpAddr::V6(_) => ".ip6.arpa",
        }
}

/// The address's labels in reverse order (octets for IPv4, nibbles for IPv6), dot-separated,
/// with no zone: the left part of a reverse or DNSBL name.
pub fn reversed_labels(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}")
        }
        std::net::IpAddr::V6(v6) => {
            let mut out = String::with_capacity(64);
            for byte in v6.octets().iter().rev() {
                for nibble in [byte & 0x0f, byte >> 4] {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.1".parse().unwrap()),
            "1.2.0.192.in-addr.arpa"
        );
        // RFC 3596 s2.5's example address.
        assert_eq!(
            reverse_name("4321:0:1:2:3:4:567:89ab".parse().unwrap()),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa"
        );
    }

    #[test]
    fn lookup_names() {
        assert!(is_lookup_name("example.com"));
        assert!(is_lookup_name("example.com."));
        assert!(!is_lookup_name("localhost"));
        assert!(!is_lookup_name("a..b"));
        assert!(!is_lookup_name(&format!("{}.com", "a".repeat(64))));
    }

    #[test]
    fn book_asks_once_and_refuses_strangers() {
        let mut book = QueryBook::default();
        book.need("example.com", QueryKind::Txt);
        book.need("example.com", QueryKind::Txt);
        let q = book.poll().unwrap();
        assert!(book.poll().is_none());
        assert_eq!(
            book.answer(QueryId(99), Answer::NoData),
            Err(UnknownQuery(QueryId(99)))
        );
        book.answer(q.id, Answer::NxDomain).unwrap();
        assert_eq!(book.answer(q.id, Answer::NoData), Err(UnknownQuery(q.id)));
        assert_eq!(
            book.get("example.com", QueryKind::Txt),
            Some(&Answer::NxDomain)
        );
        book.need("example.com", QueryKind::Txt);
        assert!(book.poll().is_none());
    }
}
