//! DMARC (RFC 7489, with RFC 9989 "DMARCbis" where it changed things): the record parser and
//! writer, policy discovery by the DNS tree walk, the checks of DIAGNOSES.md s4.12, and
//! identifier alignment.
//!
//! # The organizational domain: a DNS tree walk, not a Public Suffix List
//!
//! RFC 7489 found the organizational domain with a Public Suffix List; RFC 9989 replaced it
//! with a walk up the DNS tree reading `_dmarc` records and their `psd` tag. The walk needs no
//! list (a list is a large, fast-changing file that ties the crate to a snapshot and a
//! dependency), and its queries are independent of each other, so a sans-IO machine offers
//! them all at once. [`DmarcCheck`] does that walk: at most 8 names (RFC 9989 s4.10: a name of
//! 8 labels or more jumps to its last 7 labels), all queried in parallel.

use std::fmt;

use super::query::{
    Answer, Lookups, Query, QueryBook, QueryId, QueryKind, UnknownQuery, normalize_name,
};
use super::tags::{TagFault, parse_tags, txt_texts};
use crate::diagnosis::{Diagnosis, DiagnosisClass};

/// The most report destinations whose authorization is queried: a bound on the queries a
/// hostile record can cause (RFC 7489 s6.2 lets receivers limit the URIs they act on).
const MAX_AUTHORIZATIONS: usize = 10;

/// A requested handling policy (`p`, `sp`, `np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    /// `none`: monitor only.
    None,
    /// `quarantine`: treat as suspicious.
    Quarantine,
    /// `reject`: refuse.
    Reject,
}

impl Policy {
    fn parse(value: &str) -> Option<Policy> {
        [Policy::None, Policy::Quarantine, Policy::Reject]
            .into_iter()
            .find(|p| value.eq_ignore_ascii_case(p.as_str()))
    }

    /// `none`, `quarantine` or `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

/// An alignment mode (`adkim`, `aspf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AlignmentMode {
    /// `r` (default): same organizational domain.
    #[default]
    Relaxed,
    /// `s`: the same name exactly.
    Strict,
}

/// The `psd` tag (RFC 9989).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PsdFlag {
    /// `y`: the domain is a public suffix domain.
    Yes,
    /// `n`: the domain is an organizational domain.
    No,
    /// `u`: unspecified (the default).
    Unspecified,
}

/// A report destination (`rua`, `ruf`): a URI and an optional size limit (RFC 7489 s6.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportUri {
    /// The URI as written (`mailto:reports@example.com`).
    pub uri: String,
    /// The `!size` suffix, as written (`10m`), if any.
    pub max_size: Option<String>,
}

impl ReportUri {
    /// The domain of a `mailto:` destination.
    pub fn mailto_domain(&self) -> Option<String> {
        let rest = self
            .uri
            .get(..7)?
            .eq_ignore_ascii_case("mailto:")
            .then(|| &self.uri[7..])?;
        let address = rest.split('?').next()?;
        let (_, domain) = address.rsplit_once('@')?;
        (!domain.is_empty()).then(|| normalize_name(domain))
    }
}

/// A parsed DMARC record (RFC 7489 s6.3, RFC 9989 s4.7).
///
/// ```
/// use smtp_sansio::records::dmarc::{DmarcRecord, Policy};
///
/// // RFC 7489 s6.3's example.
/// let r = DmarcRecord::parse("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com").unwrap();
/// assert_eq!(r.policy, Some(Policy::Quarantine));
/// assert_eq!(r.rua[0].mailto_domain().as_deref(), Some("example.com"));
/// assert_eq!(DmarcRecord::parse(&r.to_string()).unwrap(), r);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DmarcRecord {
    /// `p`: the domain's policy (absent is a syntax error the parser reports as
    /// [`DmarcErrorKind::MissingPolicy`]; only [`DmarcRecord::parse_lenient`] leaves it `None`).
    pub policy: Option<Policy>,
    /// `sp`: the policy for subdomains.
    pub subdomain_policy: Option<Policy>,
    /// `np`: the policy for non-existent subdomains (RFC 9989).
    pub nonexistent_policy: Option<Policy>,
    /// `adkim`.
    pub adkim: Option<AlignmentMode>,
    /// `aspf`.
    pub aspf: Option<AlignmentMode>,
    /// `rua`: aggregate report destinations.
    pub rua: Vec<ReportUri>,
    /// `ruf`: failure report destinations.
    pub ruf: Vec<ReportUri>,
    /// `fo`: failure reporting options (`0`, `1`, `d`, `s`), as written.
    pub fo: Vec<String>,
    /// `pct` (removed by RFC 9989).
    pub pct: Option<u8>,
    /// `rf` (removed by RFC 9989).
    pub rf: Option<String>,
    /// `ri` (removed by RFC 9989).
    pub ri: Option<u32>,
    /// `t`: testing mode (RFC 9989).
    pub testing: Option<bool>,
    /// `psd` (RFC 9989).
    pub psd: Option<PsdFlag>,
    /// Tags this parser does not know, kept in order (RFC 7489 s6.3: ignored).
    pub unknown: Vec<(String, String)>,
}

/// What is wrong with a DMARC record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DmarcErrorKind {
    /// The record does not start with `v=DMARC1`.
    NotDmarc,
    /// The tag list does not parse (a part without `=`, a bad tag name or character).
    TagSyntax,
    /// A tag given twice.
    DuplicateTag,
    /// A known tag with a value it does not allow.
    InvalidValue,
    /// No `p` tag (RFC 7489 s6.3: required).
    MissingPolicy,
}

/// A DMARC record that does not parse: what, which tag, and where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind:?} at {tag:?} (offset {offset})")]
pub struct DmarcParseError {
    /// What is wrong.
    pub kind: DmarcErrorKind,
    /// The tag (or text) concerned.
    pub tag: String,
    /// Its byte offset in the record.
    pub offset: usize,
}

/// Whether a TXT record's text is meant as DMARC: `v=DMARC1` first (RFC 7489 s6.6.3), spaces
/// around `=` allowed.
pub fn is_dmarc_record(text: &str) -> bool {
    let Some((name, rest)) = text.trim_start().split_once('=') else {
        return false;
    };
    name.trim() == "v"
        && rest.trim_start().get(..6).is_some_and(|v| v == "DMARC1")
        && rest.trim_start().get(6..).is_some_and(|after| {
            after.trim_start().is_empty() || after.trim_start().starts_with(';')
        })
}

impl DmarcRecord {
    /// Parses a record (the TXT strings joined).
    ///
    /// # Errors
    /// [`DmarcParseError`]: not `v=DMARC1` first, tag syntax, duplicates, an invalid value of
    /// a known tag, or no `p`.
    pub fn parse(text: &str) -> Result<DmarcRecord, DmarcParseError> {
        let record = DmarcRecord::parse_lenient(text)?;
        if record.policy.is_none() {
            return Err(DmarcParseError {
                kind: DmarcErrorKind::MissingPolicy,
                tag: "p".to_owned(),
                offset: text.len(),
            });
        }
        Ok(record)
    }

    /// Parses a record that may lack `p` (RFC 9989 s4.7: a record with a valid `rua` and no
    /// `p` is treated as `p=none`); every other fault is still an error.
    ///
    /// # Errors
    /// As [`DmarcRecord::parse`], without [`DmarcErrorKind::MissingPolicy`].
    pub fn parse_lenient(text: &str) -> Result<DmarcRecord, DmarcParseError> {
        let err = |kind, tag: &str, offset| DmarcParseError {
            kind,
            tag: tag.to_owned(),
            offset,
        };
        let tags = parse_tags(text).map_err(|(fault, part, offset)| {
            let kind = match fault {
                TagFault::Duplicate => DmarcErrorKind::DuplicateTag,
                _ => DmarcErrorKind::TagSyntax,
            };
            err(kind, &part, offset)
        })?;
        match tags.first() {
            Some(v) if v.name == "v" && v.value == "DMARC1" => {}
            _ => {
                return Err(err(
                    DmarcErrorKind::NotDmarc,
                    text.get(..8).unwrap_or(text),
                    0,
                ));
            }
        }
        let mut record = DmarcRecord::default();
        for tag in &tags[1..] {
            let invalid = || err(DmarcErrorKind::InvalidValue, tag.name, tag.offset);
            let value = tag.value;
            match tag.name {
                "v" => return Err(invalid()),
                "p" => record.policy = Some(Policy::parse(value).ok_or_else(invalid)?),
                "sp" => record.subdomain_policy = Some(Policy::parse(value).ok_or_else(invalid)?),
                "np" => record.nonexistent_policy = Some(Policy::parse(value).ok_or_else(invalid)?),
                "adkim" | "aspf" => {
                    let mode = match value {
                        "r" | "R" => AlignmentMode::Relaxed,
                        "s" | "S" => AlignmentMode::Strict,
                        _ => return Err(invalid()),
                    };
                    if tag.name == "adkim" {
                        record.adkim = Some(mode);
                    } else {
                        record.aspf = Some(mode);
                    }
                }
                "rua" | "ruf" => {
                    let uris = parse_uris(value).ok_or_else(invalid)?;
                    if tag.name == "rua" {
                        record.rua = uris;
                    } else {
                        record.ruf = uris;
                    }
                }
                "fo" => {
                    let options: Vec<String> =
                        value.split(':').map(|o| o.trim().to_owned()).collect();
                    if !options
                        .iter()
                        .all(|o| matches!(o.as_str(), "0" | "1" | "d" | "s"))
                    {
                        return Err(invalid());
                    }
                    record.fo = options;
                }
                "pct" => {
                    let pct: u8 = value.parse().map_err(|_| invalid())?;
                    if pct > 100 || value.len() > 3 {
                        return Err(invalid());
                    }
                    record.pct = Some(pct);
                }
                "rf" => {
                    if value.is_empty() || !value.split(':').all(|f| !f.trim().is_empty()) {
                        return Err(invalid());
                    }
                    record.rf = Some(value.to_owned());
                }
                "ri" => {
                    if value.is_empty() || value.len() > 10 {
                        return Err(invalid());
                    }
                    record.ri = Some(value.parse().map_err(|_| invalid())?);
                }
                "t" => {
                    record.testing = Some(match value {
                        "y" => true,
                        "n" => false,
                        _ => return Err(invalid()),
                    });
                }
                "psd" => {
                    record.psd = Some(match value {
                        "y" => PsdFlag::Yes,
                        "n" => PsdFlag::No,
                        "u" => PsdFlag::Unspecified,
                        _ => return Err(invalid()),
                    });
                }
                other => record.unknown.push((other.to_owned(), value.to_owned())),
            }
        }
        Ok(record)
    }

    /// The tags RFC 9989 removed that the record still has (`pct`, `rf`, `ri`).
    pub fn removed_tags(&self) -> Vec<&'static str> {
        let mut tags = Vec::new();
        if self.pct.is_some() {
            tags.push("pct");
        }
        if self.rf.is_some() {
            tags.push("rf");
        }
        if self.ri.is_some() {
            tags.push("ri");
        }
        tags
    }
}

/// `dmarc-uri *(*WSP "," *WSP dmarc-uri)`; each `URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]`.
fn parse_uris(value: &str) -> Option<Vec<ReportUri>> {
    let mut uris = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        let (uri, size) = match part.rsplit_once('!') {
            Some((uri, size)) => {
                let digits = size.trim_end_matches(['k', 'm', 'g', 't', 'K', 'M', 'G', 'T']);
                if digits.is_empty()
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || size.len() - digits.len() > 1
                {
                    return None;
                }
                (uri, Some(size.to_owned()))
            }
            None => (part, None),
        };
        // A URI needs a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 s3.1).
        let (scheme, rest) = uri.split_once(':')?;
        if rest.is_empty()
            || !scheme.as_bytes().first()?.is_ascii_alphabetic()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return None;
        }
        uris.push(ReportUri {
            uri: uri.to_owned(),
            max_size: size,
        });
    }
    Some(uris)
}

/// Writes the record with `v=DMARC1` first and the tags it has in the order of RFC 7489 s6.3.
impl fmt::Display for DmarcRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let uris = |list: &[ReportUri]| -> String {
            list.iter()
                .map(|u| match &u.max_size {
                    Some(size) => format!("{}!{size}", u.uri),
                    None => u.uri.clone(),
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let mode = |m: AlignmentMode| match m {
            AlignmentMode::Relaxed => "r",
            AlignmentMode::Strict => "s",
        };
        f.write_str("v=DMARC1")?;
        if let Some(p) = self.policy {
            write!(f, "; p={}", p.as_str())?;
        }
        if let Some(p) = self.subdomain_policy {
            write!(f, "; sp={}", p.as_str())?;
        }
        if let Some(p) = self.nonexistent_policy {
            write!(f, "; np={}", p.as_str())?;
        }
        if let Some(m) = self.adkim {
            write!(f, "; adkim={}", mode(m))?;
        }
        if let Some(m) = self.aspf {
            write!(f, "; aspf={}", mode(m))?;
        }
        if !self.rua.is_empty() {
            write!(f, "; rua={}", uris(&self.rua))?;
        }
        if !self.ruf.is_empty() {
            write!(f, "; ruf={}", uris(&self.ruf))?;
        }
        if !self.fo.is_empty() {
            write!(f, "; fo={}", self.fo.join(":"))?;
        }
        if let Some(pct) = self.pct {
            write!(f, "; pct={pct}")?;
        }
        if let Some(rf) = &self.rf {
            write!(f, "; rf={rf}")?;
        }
        if let Some(ri) = self.ri {
            write!(f, "; ri={ri}")?;
        }
        if let Some(t) = self.testing {
            write!(f, "; t={}", if t { "y" } else { "n" })?;
        }
        if let Some(psd) = self.psd {
            let v = match psd {
                PsdFlag::Yes => "y",
                PsdFlag::No => "n",
                PsdFlag::Unspecified => "u",
            };
            write!(f, "; psd={v}")?;
        }
        for (name, value) in &self.unknown {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}

/// The names the RFC 9989 s4.10 tree walk queries (without the `_dmarc.` prefix), longest
/// first: the domain, then (for 8 labels or more) its last 7 labels, then one label less each
/// step, down to the top-level domain. At most 8 names.
pub fn tree_walk_names(domain: &str) -> Vec<String> {
    let domain = normalize_name(domain);
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    if labels.is_empty() {
        return Vec::new();
    }
    let mut names = vec![labels.join(".")];
    let mut count = labels.len();
    while count > 1 {
        count = if count >= 8 { 7 } else { count - 1 };
        names.push(labels[labels.len() - count..].join("."));
    }
    names
}

/// The DMARC records found at one `_dmarc` name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    Nothing,
    Failed,
    Multiple(Vec<String>),
    Invalid(String, DmarcParseError),
    Valid(String, DmarcRecord),
}

fn found_in(answer: &Answer) -> Found {
    if *answer == Answer::TempFail {
        return Found::Failed;
    }
    let texts: Vec<String> = txt_texts(answer)
        .into_iter()
        .filter(|t| is_dmarc_record(t) || t.trim_start().starts_with("v=DMARC1"))
        .collect();
    match texts.as_slice() {
        [] => Found::Nothing,
        [one] => match DmarcRecord::parse_lenient(one) {
            Ok(record) => Found::Valid(one.clone(), record),
            Err(e) => Found::Invalid(one.clone(), e),
        },
        _ => Found::Multiple(texts),
    }
}

/// What [`DmarcCheck`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcReport {
    /// The domain checked (the RFC5322.From domain).
    pub domain: String,
    /// The domain whose `_dmarc` record applies (the first valid one up the tree).
    pub policy_domain: Option<String>,
    /// The record text as published.
    pub record_text: Option<String>,
    /// The record.
    pub record: Option<DmarcRecord>,
    /// The organizational domain by the RFC 9989 tree walk.
    pub organizational_domain: String,
    /// The policy that applies to mail from `domain` (`p` at the domain itself; `sp`, or `p`
    /// when absent, at a parent).
    pub effective_policy: Option<Policy>,
    /// The DIAGNOSES.md s4.12 diagnoses.
    pub diagnoses: Vec<Diagnosis>,
}

/// DMARC policy discovery and checks as a sans-IO machine (see [`crate::records::Lookups`]):
/// the tree walk's `_dmarc` TXT queries (all at once), then one TXT query per external report
/// destination (`<domain>._report._dmarc.<destination>`, RFC 7489 s7.1).
///
/// ```
/// use smtp_sansio::records::{resolve_with, Answer, Rdata};
/// use smtp_sansio::records::dmarc::{DmarcCheck, Policy};
/// use smtp_sansio::DiagnosisClass;
///
/// let mut check = DmarcCheck::new("mail.example.com");
/// resolve_with(&mut check, |q| match q.name.as_str() {
///     "_dmarc.example.com" => Answer::records(vec![Rdata::txt(
///         "v=DMARC1; p=reject; sp=none; rua=mailto:d@reports.example.net",
///     )]),
///     _ => Answer::NxDomain,
/// });
/// let report = check.report().unwrap();
/// assert_eq!(report.organizational_domain, "example.com");
/// assert_eq!(report.effective_policy, Some(Policy::None));
/// let classes: Vec<_> = report.diagnoses.iter().map(|d| d.class()).collect();
/// assert!(classes.contains(&DiagnosisClass::DmarcSubdomainPolicyWeaker));
/// assert!(classes.contains(&DiagnosisClass::DmarcReportDestinationUnauthorized));
/// ```
#[derive(Debug, Clone)]
pub struct DmarcCheck {
    domain: String,
    names: Vec<String>,
    book: QueryBook,
    authorizations: Option<Vec<(String, String)>>,
    report: Option<DmarcReport>,
    started: bool,
}

impl DmarcCheck {
    /// Checks the DMARC policy that applies to mail from `domain`.
    pub fn new(domain: &str) -> DmarcCheck {
        DmarcCheck {
            domain: normalize_name(domain),
            names: tree_walk_names(domain),
            book: QueryBook::default(),
            authorizations: None,
            report: None,
            started: false,
        }
    }

    /// The report, once finished.
    pub fn report(&self) -> Option<&DmarcReport> {
        self.report.as_ref()
    }

    fn advance(&mut self) {
        if self.report.is_some() || self.book.is_waiting() {
            return;
        }
        if !self.started {
            self.started = true;
            if self.names.is_empty() {
                self.finish();
                return;
            }
            for name in &self.names {
                self.book.need(&format!("_dmarc.{name}"), QueryKind::Txt);
            }
            return;
        }
        if self.authorizations.is_none() {
            let auths = self.external_destinations();
            for (_, query) in &auths {
                self.book.need(query, QueryKind::Txt);
            }
            self.authorizations = Some(auths);
            if self.book.is_waiting() {
                return;
            }
        }
        self.finish();
    }

    fn found(&self) -> Vec<(String, Found)> {
        self.names
            .iter()
            .map(|name| {
                let found = self
                    .book
                    .get(&format!("_dmarc.{name}"), QueryKind::Txt)
                    .map_or(Found::Failed, found_in);
                (name.clone(), found)
            })
            .collect()
    }

    /// (policy domain, record, text) of the first valid record up the tree.
    fn policy(&self) -> Option<(String, DmarcRecord, String)> {
        self.found().into_iter().find_map(|(name, f)| match f {
            Found::Valid(text, record) => Some((name, record, text)),
            _ => None,
        })
    }

    /// RFC 9989 s4.10.2: `psd=n` marks the organizational domain, `psd=y` the public suffix
    /// above it; otherwise the valid record with the fewest labels; else the domain itself.
    fn organizational_domain(&self) -> String {
        let found = self.found();
        let mut candidate = None;
        for (i, (name, f)) in found.iter().enumerate() {
            if let Found::Valid(_, record) = f {
                match record.psd {
                    Some(PsdFlag::No) => return name.clone(),
                    Some(PsdFlag::Yes) => {
                        return if i == 0 {
                            name.clone()
                        } else {
                            // One label below the public suffix, on the way to the domain.
                            one_label_below(&self.domain, name)
                        };
                    }
                    _ => candidate = Some(name.clone()),
                }
            }
        }
        candidate.unwrap_or_else(|| self.domain.clone())
    }

    /// (destination domain, authorization query name) for `rua`/`ruf` mailto destinations
    /// outside the policy domain's organization.
    fn external_destinations(&self) -> Vec<(String, String)> {
        let Some((policy_domain, record, _)) = self.policy() else {
            return Vec::new();
        };
        let org = self.organizational_domain();
        let mut out: Vec<(String, String)> = Vec::new();
        for uri in record.rua.iter().chain(&record.ruf) {
            let Some(dest) = uri.mailto_domain() else {
                continue;
            };
            if in_domain(&dest, &org) || in_domain(&dest, &policy_domain) {
                continue;
            }
            let query = format!("{policy_domain}._report._dmarc.{dest}");
            if !out.iter().any(|(_, q)| *q == query) && out.len() < MAX_AUTHORIZATIONS {
                out.push((dest, query));
            }
        }
        out
    }

    fn finish(&mut self) {
        let mut diagnoses = Vec::new();
        let found = self.found();
        let policy = self.policy();
        let org = self.organizational_domain();
        // Faults at the names nearest the domain, down to the one whose record applies.
        for (name, f) in &found {
            match f {
                Found::Multiple(texts) => diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DmarcMultipleRecords,
                    "dmarc:record",
                    Some(&texts.join(" | ")),
                    format!(
                        "_dmarc.{name} has {} DMARC records: receivers apply none",
                        texts.len()
                    ),
                )),
                Found::Invalid(text, e) => diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DmarcSyntaxError,
                    "dmarc:record",
                    Some(text),
                    format!("_dmarc.{name}: {e}"),
                )),
                Found::Valid(..) => break,
                Found::Nothing | Found::Failed => {}
            }
            if *name == org {
                break;
            }
        }
        let mut effective = None;
        if let Some((policy_domain, record, text)) = &policy {
            let rule = "dmarc:policy";
            let at_domain = *policy_domain == self.domain;
            effective = if at_domain {
                record.policy.or(Some(Policy::None))
            } else {
                record
                    .subdomain_policy
                    .or(record.policy)
                    .or(Some(Policy::None))
            };
            match record.policy {
                None => diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DmarcSyntaxError,
                    rule,
                    Some(text),
                    format!("_dmarc.{policy_domain} has no `p` tag (treated as p=none)"),
                )),
                Some(Policy::None) => diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DmarcPolicyNone,
                    rule,
                    Some(text),
                    format!("_dmarc.{policy_domain}: p=none"),
                )),
                Some(_) => {}
            }
            let p = record.policy.unwrap_or(Policy::None);
            for (tag, sub) in [
                ("sp", record.subdomain_policy),
                ("np", record.nonexistent_policy),
            ] {
                if let Some(sub) = sub
                    && sub < p
                {
                    diagnoses.push(Diagnosis::from_record(
                        DiagnosisClass::DmarcSubdomainPolicyWeaker,
                        rule,
                        Some(text),
                        format!("{tag}={} is weaker than p={}", sub.as_str(), p.as_str()),
                    ));
                }
            }
            if record.rua.is_empty() {
                diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DmarcNoReports,
                    rule,
                    Some(text),
                    format!("_dmarc.{policy_domain} has no rua"),
                ));
            }
            let removed = record.removed_tags();
            if !removed.is_empty() {
                diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DmarcRemovedTags,
                    rule,
                    Some(text),
                    format!("{} (removed by RFC 9989)", removed.join(", ")),
                ));
            }
            for (dest, query) in self.authorizations.clone().unwrap_or_default() {
                let authorized = self
                    .book
                    .get(&query, QueryKind::Txt)
                    .is_some_and(|a| txt_texts(a).iter().any(|t| is_dmarc_record(t)));
                if !authorized {
                    diagnoses.push(Diagnosis::from_record(
                        DiagnosisClass::DmarcReportDestinationUnauthorized,
                        rule,
                        Some(text),
                        format!("reports go to {dest}, which has no v=DMARC1 record at {query}"),
                    ));
                }
            }
        } else if found.iter().any(|(_, f)| *f == Found::Failed) {
            // A lookup failed: the record may exist; say nothing rather than "missing".
        } else {
            diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::DmarcMissing,
                "dmarc:discovery",
                None,
                format!(
                    "no valid v=DMARC1 record at _dmarc.{} nor up the tree ({})",
                    self.domain,
                    self.names
                        .iter()
                        .skip(1)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        self.report = Some(DmarcReport {
            domain: self.domain.clone(),
            policy_domain: policy.as_ref().map(|(d, ..)| d.clone()),
            record_text: policy.as_ref().map(|(.., t)| t.clone()),
            record: policy.map(|(_, r, _)| r),
            organizational_domain: org,
            effective_policy: effective,
            diagnoses,
        });
    }
}

impl Lookups for DmarcCheck {
    fn poll_query(&mut self) -> Option<Query> {
        self.advance();
        self.book.poll()
    }

    fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery> {
        self.book.answer(id, answer)?;
        self.advance();
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.report.is_some()
    }
}

fn in_domain(name: &str, domain: &str) -> bool {
    name == domain || name.ends_with(&format!(".{domain}"))
}

/// The name with one more label than `suffix`, taken from `domain`.
fn one_label_below(domain: &str, suffix: &str) -> String {
    let labels: Vec<&str> = domain.split('.').collect();
    let n = suffix.split('.').count() + 1;
    labels[labels.len().saturating_sub(n)..].join(".")
}

/// Identifier alignment (RFC 7489 s3.1, RFC 9989 s4.4): whether an authenticated domain (the
/// SPF-passing MAIL FROM domain, or a verified DKIM `d=`) aligns with the From domain.
///
/// Strict mode needs the same name; relaxed mode the same organizational domain, which the
/// caller gives for the From domain (from [`DmarcReport::organizational_domain`]): the
/// authenticated domain aligns when it is that domain or a name under it.
///
/// ```
/// use smtp_sansio::records::dmarc::{aligned, AlignmentMode};
///
/// assert!(aligned(AlignmentMode::Relaxed, "bounce.example.com", "news.example.com", "example.com"));
/// assert!(!aligned(AlignmentMode::Strict, "bounce.example.com", "news.example.com", "example.com"));
/// assert!(!aligned(AlignmentMode::Relaxed, "example.net", "example.com", "example.com"));
/// ```
pub fn aligned(mode: AlignmentMode, authenticated: &str, from: &str, from_org: &str) -> bool {
    let authenticated = normalize_name(authenticated);
    let from = normalize_name(from);
    match mode {
        AlignmentMode::Strict => authenticated == from,
        AlignmentMode::Relaxed => {
            let org = normalize_name(from_org);
            in_domain(&authenticated, &org)
        }
    }
}

/// Whether DMARC passes for a message (RFC 7489 s4.2): an SPF-passing domain or a verified
/// DKIM `d=` aligned with the From domain under the record's modes.
pub fn dmarc_passes(
    record: &DmarcRecord,
    from: &str,
    from_org: &str,
    spf_pass_domain: Option<&str>,
    dkim_pass_domains: &[&str],
) -> bool {
    let spf = spf_pass_domain
        .is_some_and(|d| aligned(record.aspf.unwrap_or_default(), d, from, from_org));
    let dkim = dkim_pass_domains
        .iter()
        .any(|d| aligned(record.adkim.unwrap_or_default(), d, from, from_org));
    spf || dkim
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Rdata, resolve_with};

    #[test]
    fn rfc7489_examples() {
        // RFC 7489 s6.3 and Appendix B.
        for text in [
            "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com",
            "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; ruf=mailto:auth-reports@thirdparty.example.net",
            "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net!10m; pct=25",
            "v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; fo=0:d:s; rf=afrf; ri=86400; t=y; psd=n; x=1",
        ] {
            let r = DmarcRecord::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(DmarcRecord::parse(&r.to_string()).unwrap(), r, "{text}");
        }
        let r = DmarcRecord::parse("v=DMARC1; p=quarantine; rua=mailto:a@b.example!10m; pct=25")
            .unwrap();
        assert_eq!(r.rua[0].max_size.as_deref(), Some("10m"));
        assert_eq!(r.pct, Some(25));
        assert_eq!(r.removed_tags(), ["pct"]);
    }

    #[test]
    fn typed_errors() {
        let kind = |t: &str| DmarcRecord::parse(t).unwrap_err().kind;
        assert_eq!(kind("p=none; v=DMARC1"), DmarcErrorKind::NotDmarc);
        assert_eq!(kind("v=DMARC2; p=none"), DmarcErrorKind::NotDmarc);
        assert_eq!(kind("v=DMARC1; p=block"), DmarcErrorKind::InvalidValue);
        assert_eq!(
            kind("v=DMARC1; rua=mailto:a@b.c"),
            DmarcErrorKind::MissingPolicy
        );
        assert_eq!(
            kind("v=DMARC1; p=none; p=reject"),
            DmarcErrorKind::DuplicateTag
        );
        assert_eq!(
            kind("v=DMARC1; p=none; pct=101"),
            DmarcErrorKind::InvalidValue
        );
        assert_eq!(
            kind("v=DMARC1; p=none; rua=dmarc@example.com"),
            DmarcErrorKind::InvalidValue
        );
        assert_eq!(
            kind("v=DMARC1; p=none; adkim=x"),
            DmarcErrorKind::InvalidValue
        );
        assert_eq!(kind("v=DMARC1; p=none; junk"), DmarcErrorKind::TagSyntax);
        let e = DmarcRecord::parse("v=DMARC1; p=none; sp=maybe").unwrap_err();
        assert_eq!((e.tag.as_str(), e.offset), ("sp", 21));
        assert_eq!(&"v=DMARC1; p=none; sp=maybe"[21..], "maybe");
    }

    #[test]
    fn tree_walk() {
        assert_eq!(
            tree_walk_names("a.mail.example.com"),
            [
                "a.mail.example.com",
                "mail.example.com",
                "example.com",
                "com"
            ]
        );
        let long = tree_walk_names("a.b.c.d.e.f.g.h.i.example.com");
        assert_eq!(long.len(), 8);
        assert_eq!(long[1], "e.f.g.h.i.example.com");
        assert_eq!(long[7], "com");
    }

    fn run(domain: &str, zone: &[(&str, &str)]) -> DmarcReport {
        let mut check = DmarcCheck::new(domain);
        resolve_with(&mut check, |q| {
            let records: Vec<Rdata> = zone
                .iter()
                .filter(|(n, _)| *n == q.name)
                .map(|(_, t)| Rdata::txt(*t))
                .collect();
            Answer::records(records)
        });
        check.report().cloned().unwrap()
    }

    fn classes(r: &DmarcReport) -> Vec<DiagnosisClass> {
        r.diagnoses.iter().map(|d| d.class()).collect()
    }

    #[test]
    fn discovery_and_checks() {
        let r = run("example.com", &[]);
        assert_eq!(classes(&r), [DiagnosisClass::DmarcMissing]);
        assert_eq!(r.organizational_domain, "example.com");

        let r = run(
            "example.com",
            &[
                ("_dmarc.example.com", "v=DMARC1; p=none; pct=50"),
                ("_dmarc.example.com", "v=DMARC1; p=reject"),
            ],
        );
        assert_eq!(
            classes(&r),
            [
                DiagnosisClass::DmarcMultipleRecords,
                DiagnosisClass::DmarcMissing
            ]
        );

        let r = run(
            "example.com",
            &[("_dmarc.example.com", "v=DMARC1; p=none; pct=50")],
        );
        assert_eq!(
            classes(&r),
            [
                DiagnosisClass::DmarcPolicyNone,
                DiagnosisClass::DmarcNoReports,
                DiagnosisClass::DmarcRemovedTags
            ]
        );

        // An authorized external destination gives no diagnosis.
        let r = run(
            "example.com",
            &[
                (
                    "_dmarc.example.com",
                    "v=DMARC1; p=reject; rua=mailto:r@reports.example.net",
                ),
                ("example.com._report._dmarc.reports.example.net", "v=DMARC1"),
            ],
        );
        assert!(classes(&r).is_empty(), "{:?}", classes(&r));

        // psd=y at the TLD: the organizational domain is one label below it.
        let r = run(
            "a.b.example.org",
            &[
                ("_dmarc.org", "v=DMARC1; p=reject; psd=y"),
                (
                    "_dmarc.b.example.org",
                    "v=DMARC1; p=reject; rua=mailto:x@b.example.org",
                ),
            ],
        );
        assert_eq!(r.organizational_domain, "example.org");
        assert_eq!(r.policy_domain.as_deref(), Some("b.example.org"));

        let r = run(
            "example.com",
            &[("_dmarc.example.com", "v=DMARC1; p=bogus")],
        );
        assert_eq!(
            classes(&r),
            [
                DiagnosisClass::DmarcSyntaxError,
                DiagnosisClass::DmarcMissing
            ]
        );
        // A lookup that failed is not a missing record.
        let mut check = DmarcCheck::new("example.com");
        resolve_with(&mut check, |_| Answer::TempFail);
        assert!(check.report().unwrap().diagnoses.is_empty());
    }

    #[test]
    fn alignment() {
        let r = DmarcRecord::parse("v=DMARC1; p=reject; adkim=s").unwrap();
        assert!(dmarc_passes(
            &r,
            "example.com",
            "example.com",
            Some("mail.example.com"),
            &[]
        ));
        assert!(!dmarc_passes(
            &r,
            "example.com",
            "example.com",
            None,
            &["mail.example.com"]
        ));
        assert!(dmarc_passes(
            &r,
            "example.com",
            "example.com",
            None,
            &["example.com"]
        ));
    }
}
