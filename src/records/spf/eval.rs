//! `check_host()` (RFC 7208 s4) as a sans-IO evaluation.
//!
//! The evaluation is a pure function of the answers it has: each time an answer arrives it
//! walks the record tree again from the top over the answers it holds, and stops at the first
//! lookup it lacks, offering that query (or, for the address lookups of one `mx` or `ptr`, all
//! of them at once). The result therefore cannot depend on the order of the answers, and no
//! query is sent for a term the evaluation does not reach: a record's terms are evaluated one
//! by one, as RFC 7208 s4.6.2 says, so the 10-term limit of s4.6.4 bounds the DNS traffic an
//! attacker's record can cause.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::rc::Rc;

use super::macros::{MacroContext, MacroString, MacroVars, truncate_domain};
use super::parse::{Mechanism, Qualifier, SpfParseError, SpfRecord, is_spf_record};
use crate::diagnosis::{Diagnosis, DiagnosisClass};
use crate::records::query::{
    Answer, Lookups, Query, QueryBook, QueryId, QueryKind, Rdata, UnknownQuery, is_lookup_name,
    normalize_name, normalized, reverse_name,
};

/// The result of `check_host()` (RFC 7208 s2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpfResult {
    /// No syntactically valid domain, or no SPF record (s2.6.1).
    None,
    /// The domain says nothing about the IP (s2.6.2).
    Neutral,
    /// The IP is authorized (s2.6.3).
    Pass,
    /// The IP is not authorized (s2.6.4).
    Fail,
    /// The IP is probably not authorized (s2.6.5).
    SoftFail,
    /// A transient DNS error (s2.6.6).
    TempError,
    /// The records could not be interpreted (s2.6.7).
    PermError,
}

impl SpfResult {
    /// The lowercase name (`pass`, `softfail`, `permerror`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }

    fn from_qualifier(q: Qualifier) -> SpfResult {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an evaluation ended in permerror or temperror, and what it tripped on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpfError {
    /// A record does not parse (s4.6).
    Syntax {
        /// The domain whose record it is.
        domain: String,
        /// The record as published.
        record: String,
        /// What is wrong.
        error: SpfParseError,
    },
    /// More than one `v=spf1` record at a domain (s4.5).
    MultipleRecords {
        /// The domain.
        domain: String,
    },
    /// An `include` or `redirect` target with no SPF record (s5.2, s6.1).
    IncludeMissing {
        /// `include` or `redirect`.
        via: &'static str,
        /// The target domain.
        domain: String,
    },
    /// An include or redirect leads back to a domain already being evaluated.
    Loop {
        /// The domain met twice.
        domain: String,
    },
    /// The 11th DNS-querying term (s4.6.4).
    TooManyLookups {
        /// The term that would have been the 11th.
        term: String,
    },
    /// The 3rd void lookup (s4.6.4).
    TooManyVoidLookups {
        /// The term whose lookup was the 3rd void one.
        term: String,
    },
    /// An `mx` whose name has more than 10 MX records (s4.6.4).
    TooManyMxRecords {
        /// The domain.
        domain: String,
    },
    /// A DNS lookup failed (temperror).
    Dns {
        /// The query that failed.
        name: String,
        /// Its type.
        kind: QueryKind,
    },
}

impl fmt::Display for SpfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpfError::Syntax {
                domain,
                record,
                error,
            } => write!(f, "the SPF record of {domain} ({record:?}) has {error}"),
            SpfError::MultipleRecords { domain } => {
                write!(f, "{domain} publishes more than one v=spf1 record")
            }
            SpfError::IncludeMissing { via, domain } => {
                write!(f, "{via}:{domain} names a domain with no SPF record")
            }
            SpfError::Loop { domain } => write!(f, "{domain} includes or redirects to itself"),
            SpfError::TooManyLookups { term } => write!(
                f,
                "{term} would be the 11th DNS-querying term (the limit is 10, RFC 7208 s4.6.4)"
            ),
            SpfError::TooManyVoidLookups { term } => write!(
                f,
                "{term} is the 3rd lookup that found nothing (the limit is 2, RFC 7208 s4.6.4)"
            ),
            SpfError::TooManyMxRecords { domain } => {
                write!(f, "{domain} has more than 10 MX records (RFC 7208 s4.6.4)")
            }
            SpfError::Dns { name, kind } => write!(f, "the {kind} lookup of {name} failed"),
        }
    }
}

/// Settings of an evaluation beyond its three inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOptions {
    /// The receiving host's domain, for `%{r}` in explanations (default `unknown`).
    pub receiver: String,
    /// Seconds since the epoch, for `%{t}` in explanations; the crate reads no clock, so the
    /// caller gives it (default 0).
    pub timestamp: u64,
    /// The DNS-querying term limit (default 10, RFC 7208 s4.6.4).
    pub max_lookups: u32,
    /// The void lookup limit (default 2).
    pub max_void_lookups: u32,
    /// Build the trace tree (default true); without it the evaluation does one walk less and
    /// [`SpfOutcome::trace`] holds only the summary line.
    pub trace: bool,
}

impl Default for SpfOptions {
    fn default() -> Self {
        SpfOptions {
            receiver: "unknown".to_owned(),
            timestamp: 0,
            max_lookups: 10,
            max_void_lookups: 2,
            trace: true,
        }
    }
}

/// One node of the evaluation trace: a record, a term and what it cost and matched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraceNode {
    /// What happened, one line.
    pub text: String,
    /// The nested steps (an include's record and its terms).
    pub children: Vec<TraceNode>,
}

/// The readable trace of an evaluation: a tree of records and terms, each with the query it
/// cost and what it matched. `Display` draws it with box characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpfTrace {
    /// The top node (the check itself).
    pub root: TraceNode,
}

impl fmt::Display for SpfTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn draw(
            f: &mut fmt::Formatter<'_>,
            node: &TraceNode,
            prefix: &str,
            last: bool,
            top: bool,
        ) -> fmt::Result {
            if top {
                writeln!(f, "{}", node.text)?;
            } else {
                writeln!(
                    f,
                    "{prefix}{}{}",
                    if last { "└─ " } else { "├─ " },
                    node.text
                )?;
            }
            let child_prefix = if top {
                String::new()
            } else {
                format!("{prefix}{}", if last { "   " } else { "│  " })
            };
            for (i, child) in node.children.iter().enumerate() {
                draw(f, child, &child_prefix, i + 1 == node.children.len(), false)?;
            }
            Ok(())
        }
        draw(f, &self.root, "", true, true)
    }
}

/// What an evaluation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutcome {
    /// The result.
    pub result: SpfResult,
    /// The `exp=` explanation, expanded, when the result is fail and the domain gives one.
    pub explanation: Option<String>,
    /// DNS-querying terms evaluated (out of [`SpfOptions::max_lookups`]).
    pub lookups: u32,
    /// Void lookups met (out of [`SpfOptions::max_void_lookups`]).
    pub void_lookups: u32,
    /// Why the result is permerror or temperror.
    pub error: Option<SpfError>,
    /// The mechanism that decided, as written (`-all`, `include:_spf.example.net`).
    pub matched: Option<String>,
    /// The domain checked.
    pub domain: String,
    /// The tree of what was evaluated.
    pub trace: SpfTrace,
    /// How many DNS queries the evaluation issued.
    pub queries: usize,
}

impl SpfOutcome {
    /// The DIAGNOSES.md s4.12 diagnoses this result calls for (none for pass and neutral).
    pub fn diagnoses(&self) -> Vec<Diagnosis> {
        let class_and_detail = match (&self.result, &self.error) {
            (SpfResult::None, _) => Some((
                DiagnosisClass::SpfMissing,
                format!("{} publishes no v=spf1 record", self.domain),
            )),
            (SpfResult::Fail | SpfResult::SoftFail, _) => Some((
                DiagnosisClass::SpfIpNotPermitted,
                format!(
                    "{} for {} (matched {})",
                    self.result,
                    self.domain,
                    self.matched.as_deref().unwrap_or("?")
                ),
            )),
            (SpfResult::TempError, e) => Some((
                DiagnosisClass::SpfTemporaryError,
                e.as_ref().map_or_else(String::new, ToString::to_string),
            )),
            (SpfResult::PermError, Some(e)) => Some((
                match e {
                    SpfError::Syntax { .. } => DiagnosisClass::SpfSyntaxError,
                    SpfError::MultipleRecords { .. } => DiagnosisClass::SpfMultipleRecords,
                    SpfError::IncludeMissing { .. } => DiagnosisClass::SpfIncludeMissing,
                    SpfError::TooManyVoidLookups { .. } => DiagnosisClass::SpfTooManyVoidLookups,
                    SpfError::Loop { .. }
                    | SpfError::TooManyLookups { .. }
                    | SpfError::TooManyMxRecords { .. } => DiagnosisClass::SpfTooManyLookups,
                    SpfError::Dns { .. } => DiagnosisClass::SpfTemporaryError,
                },
                e.to_string(),
            )),
            _ => None,
        };
        let record = match &self.error {
            Some(SpfError::Syntax { record, .. }) => Some(record.as_str()),
            _ => None,
        };
        class_and_detail
            .map(|(class, detail)| {
                let detail = format!(
                    "{detail}; lookups {}/10, void {}/2",
                    self.lookups, self.void_lookups
                );
                Diagnosis::from_record(class, "spf:check_host", record, detail)
            })
            .into_iter()
            .chain(self.near_the_limit())
            .collect()
    }

    /// DIAGNOSES.md s4.12: 9 or 10 DNS-querying terms evaluated is a warning (one more
    /// include, or one more lookup in a provider's record, and every check fails).
    fn near_the_limit(&self) -> Option<Diagnosis> {
        let over = matches!(self.error, Some(SpfError::TooManyLookups { .. }));
        (self.lookups >= 9 && !over).then(|| {
            Diagnosis::from_record_with_severity(
                DiagnosisClass::SpfTooManyLookups,
                crate::diagnosis::DiagnosisSeverity::Warning,
                "spf:check_host",
                None,
                format!(
                    "this evaluation used {}/10 DNS-querying terms: near the limit",
                    self.lookups
                ),
            )
        })
    }
}

/// `check_host(ip, domain, sender)` as a sans-IO machine (RFC 7208 s4).
///
/// Poll queries, answer them, read [`SpfEvaluation::outcome`] once
/// [`Lookups::is_finished`] is true.
///
/// ```
/// use smtp_sansio::records::{resolve_with, Answer, QueryKind, Rdata, Lookups};
/// use smtp_sansio::records::spf::{SpfEvaluation, SpfResult};
///
/// let mut spf = SpfEvaluation::new("192.0.2.10".parse().unwrap(), "alice@example.org", "mail.example.org");
/// resolve_with(&mut spf, |q| match (q.name.as_str(), q.kind) {
///     ("example.org", QueryKind::Txt) => Answer::records(vec![Rdata::txt("v=spf1 ip4:192.0.2.0/24 -all")]),
///     _ => Answer::NxDomain,
/// });
/// let outcome = spf.outcome().unwrap();
/// assert_eq!(outcome.result, SpfResult::Pass);
/// assert_eq!(outcome.lookups, 0);
/// ```
#[derive(Debug, Clone)]
pub struct SpfEvaluation {
    ip: IpAddr,
    sender_local: String,
    sender_domain: String,
    domain: String,
    helo: String,
    options: SpfOptions,
    book: QueryBook,
    parsed: HashMap<String, Rc<Fetched>>,
    /// `check_host` results of includes and redirects that earlier walks completed, by
    /// (domain, lookups and void lookups on entry): a later walk replays the same path, so it
    /// reuses them instead of walking those records again.
    memo: HashMap<String, Vec<(u32, u32, Memo)>>,
    dirty: bool,
    outcome: Option<SpfOutcome>,
}

/// A domain's SPF record as fetched: none, several, one that does not parse, or one.
#[derive(Debug)]
enum Fetched {
    None,
    Multiple,
    Invalid(String, SpfParseError),
    Record(SpfRecord, String),
}

impl SpfEvaluation {
    /// The MAIL FROM check (RFC 7208 s2.4): `sender` is the reverse-path without brackets
    /// (`user@domain`); when it is empty the HELO identity `postmaster@<helo>` is checked.
    pub fn new(ip: IpAddr, sender: &str, helo: &str) -> SpfEvaluation {
        SpfEvaluation::with_options(ip, sender, helo, SpfOptions::default())
    }

    /// [`SpfEvaluation::new`] with options.
    pub fn with_options(
        ip: IpAddr,
        sender: &str,
        helo: &str,
        options: SpfOptions,
    ) -> SpfEvaluation {
        let sender = if sender.is_empty() {
            format!("postmaster@{helo}")
        } else {
            sender.to_owned()
        };
        let (local, domain) = match sender.rsplit_once('@') {
            Some((local, domain)) => (local, domain),
            None => ("", sender.as_str()),
        };
        let domain = domain.to_owned();
        SpfEvaluation::check_host(ip, &domain, local, &domain, helo, options)
    }

    /// The HELO check (RFC 7208 s2.3): `check_host(ip, helo, postmaster@helo)`.
    pub fn helo(ip: IpAddr, helo: &str) -> SpfEvaluation {
        SpfEvaluation::check_host(ip, helo, "postmaster", helo, helo, SpfOptions::default())
    }

    /// The general `check_host(<ip>, <domain>, <sender>)`, with the sender split into its
    /// local-part (`postmaster` when empty, s4.3) and domain.
    pub fn check_host(
        ip: IpAddr,
        domain: &str,
        sender_local: &str,
        sender_domain: &str,
        helo: &str,
        options: SpfOptions,
    ) -> SpfEvaluation {
        // An IPv4-mapped IPv6 client is the IPv4 client it maps (RFC 4291 s2.5.5.2).
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        SpfEvaluation {
            ip,
            sender_local: if sender_local.is_empty() {
                "postmaster".to_owned()
            } else {
                sender_local.to_owned()
            },
            sender_domain: sender_domain.to_owned(),
            domain: domain.strip_suffix('.').unwrap_or(domain).to_owned(),
            helo: helo.to_owned(),
            options,
            book: QueryBook::default(),
            parsed: HashMap::new(),
            memo: HashMap::new(),
            dirty: true,
            outcome: None,
        }
    }

    /// The result, once the evaluation is finished.
    pub fn outcome(&self) -> Option<&SpfOutcome> {
        self.outcome.as_ref()
    }

    /// One walk over the answers known so far (see the module documentation).
    fn walk(&mut self, tracing: bool) -> (Option<Done>, Run<'_>) {
        let mut run = Run {
            ev: self,
            tracing,
            lookups: 0,
            voids: 0,
            stack: vec![TraceNode::default()],
            active: Vec::new(),
            needs: Vec::new(),
            parsed_new: Vec::new(),
            memo_new: Vec::new(),
        };
        let finished = run.top();
        (finished, run)
    }

    fn advance(&mut self) {
        if self.outcome.is_some() || !self.dirty {
            return;
        }
        self.dirty = false;
        // Walks without a trace while answers are missing: the trace is built once, by one
        // more walk over the complete answers.
        let (finished, run) = self.walk(false);
        let Run {
            needs,
            parsed_new,
            memo_new,
            lookups,
            voids,
            ..
        } = run;
        for (domain, fetched) in parsed_new {
            self.parsed.insert(domain, fetched);
        }
        for (domain, lookups, voids, memo) in memo_new {
            self.memo
                .entry(domain)
                .or_default()
                .push((lookups, voids, memo));
        }
        if finished.is_none() {
            for (name, kind) in needs {
                self.book.need(&name, kind);
            }
            // A blocked walk always lacks an answer it has just asked for or is waiting for;
            // guard anyway so that a bug cannot leave the caller with nothing to do.
            if !self.book.is_waiting() {
                self.finish_with_error(lookups, voids);
            }
            return;
        }
        let (finished, lookups, voids, mut stack) = if self.options.trace {
            let (finished, run) = self.walk(true);
            (finished, run.lookups, run.voids, run.stack)
        } else {
            (finished, lookups, voids, vec![TraceNode::default()])
        };
        let Some(done) = finished else {
            self.finish_with_error(lookups, voids);
            return;
        };
        while stack.len() > 1 {
            let node = stack.pop().unwrap_or_default();
            if let Some(parent) = stack.last_mut() {
                parent.children.push(node);
            }
        }
        let mut root = stack.pop().unwrap_or_default();
        root.text = format!(
            "check_host({}, {}): {} (lookups {}/{}, void {}/{})",
            self.ip,
            self.domain,
            done.result,
            lookups,
            self.options.max_lookups,
            voids,
            self.options.max_void_lookups
        );
        self.outcome = Some(SpfOutcome {
            result: done.result,
            explanation: done.explanation,
            lookups,
            void_lookups: voids,
            error: done.error,
            matched: done.matched,
            domain: self.domain.clone(),
            trace: SpfTrace { root },
            queries: self.book.issued(),
        });
    }

    fn finish_with_error(&mut self, lookups: u32, voids: u32) {
        self.outcome = Some(SpfOutcome {
            result: SpfResult::TempError,
            explanation: None,
            lookups,
            void_lookups: voids,
            error: None,
            matched: None,
            domain: self.domain.clone(),
            trace: SpfTrace::default(),
            queries: self.book.issued(),
        });
    }
}

impl Lookups for SpfEvaluation {
    fn poll_query(&mut self) -> Option<Query> {
        self.advance();
        self.book.poll()
    }

    fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery> {
        self.book.answer(id, answer)?;
        self.dirty = true;
        self.advance();
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.outcome.is_some()
    }
}

/// How a walk stops early.
enum Halt {
    /// An answer is missing (the query is in `needs`).
    Blocked,
    /// permerror or temperror.
    Error(SpfResult, SpfError),
}

struct Done {
    result: SpfResult,
    explanation: Option<String>,
    error: Option<SpfError>,
    matched: Option<String>,
}

/// What `check_host` of one domain gave: the result, the matching term, and where an
/// explanation would come from (the record's `exp=` and its domain).
struct HostResult {
    result: SpfResult,
    /// The deciding term, written out only at the end.
    matched: Option<(Qualifier, Mechanism)>,
    exp: Option<(MacroString, String)>,
}

/// Adds a trace leaf, formatting it only when the walk builds the trace.
macro_rules! trace_leaf {
    ($run:expr, $($arg:tt)*) => {
        if $run.tracing {
            let text = format!($($arg)*);
            $run.leaf(text);
        }
    };
}

/// Opens a trace node (a record or an include) when the walk builds the trace.
macro_rules! trace_open {
    ($run:expr, $($arg:tt)*) => {
        if $run.tracing {
            let text = format!($($arg)*);
            $run.open(text);
        }
    };
}

/// Closes the current trace node with a suffix when the walk builds the trace.
macro_rules! trace_close {
    ($run:expr, $($arg:tt)*) => {
        if $run.tracing {
            let text = format!($($arg)*);
            $run.close(&text);
        }
    };
}

/// One walk of the record tree over the answers known so far.
struct Run<'a> {
    ev: &'a SpfEvaluation,
    /// Whether to build the trace (only on the last walk).
    tracing: bool,
    lookups: u32,
    voids: u32,
    stack: Vec<TraceNode>,
    active: Vec<String>,
    needs: Vec<(String, QueryKind)>,
    parsed_new: Vec<(String, Rc<Fetched>)>,
    memo_new: Vec<(String, u32, u32, Memo)>,
}

/// A completed `check_host` of an include or redirect target, for later walks.
#[derive(Debug, Clone)]
struct Memo {
    result: SpfResult,
    matched: Option<(Qualifier, Mechanism)>,
    exp: Option<(MacroString, String)>,
    lookups: u32,
    voids: u32,
}

impl<'a> Run<'a> {
    /// The whole check; `None` when blocked on answers.
    fn top(&mut self) -> Option<Done> {
        let domain = self.ev.domain.clone();
        // s4.3: a malformed or single-label domain (or a domain literal) gives none.
        if !is_lookup_name(&domain) || domain.starts_with('[') {
            trace_leaf!(self, "{domain}: not a valid domain name (s4.3)");
            return Some(Done {
                result: SpfResult::None,
                explanation: None,
                error: None,
                matched: None,
            });
        }
        match self.check_host(&domain, None) {
            Err(Halt::Blocked) => None,
            Err(Halt::Error(result, error)) => Some(Done {
                result,
                explanation: None,
                error: Some(error),
                matched: None,
            }),
            Ok(host) => {
                let explanation = if host.result == SpfResult::Fail {
                    match host.exp {
                        Some((spec, exp_domain)) => match self.explanation(&spec, &exp_domain) {
                            Err(Halt::Blocked) => return None,
                            Err(Halt::Error(..)) => None,
                            Ok(text) => text,
                        },
                        None => None,
                    }
                } else {
                    None
                };
                Some(Done {
                    result: host.result,
                    explanation,
                    error: None,
                    matched: host.matched.map(|(q, m)| TermText(q, &m).to_string()),
                })
            }
        }
    }

    fn leaf(&mut self, text: String) {
        if !self.tracing {
            return;
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.children.push(TraceNode {
                text,
                children: Vec::new(),
            });
        }
    }

    fn open(&mut self, text: String) {
        if !self.tracing {
            return;
        }
        self.stack.push(TraceNode {
            text,
            children: Vec::new(),
        });
    }

    fn close(&mut self, suffix: &str) {
        if self.tracing && self.stack.len() > 1 {
            let mut node = self.stack.pop().unwrap_or_default();
            node.text.push_str(suffix);
            if let Some(parent) = self.stack.last_mut() {
                parent.children.push(node);
            }
        }
    }

    /// The answer for `name`/`kind`, or `Blocked` after noting the need. Names that cannot
    /// be looked up (empty or over-long labels) do not exist.
    fn lookup(&mut self, name: &str, kind: QueryKind) -> Result<&'a Answer, Halt> {
        static NXDOMAIN: Answer = Answer::NxDomain;
        let name = normalized(name);
        if !valid_query_name(&name) {
            return Ok(&NXDOMAIN);
        }
        let ev: &'a SpfEvaluation = self.ev;
        match ev.book.get(&name, kind) {
            Some(answer) => Ok(answer),
            None => {
                self.needs.push((name.into_owned(), kind));
                Err(Halt::Blocked)
            }
        }
    }

    /// Answers of several lookups needed together: all missing ones are noted at once.
    fn lookup_all(&mut self, names: &[String], kind: QueryKind) -> Vec<Option<&'a Answer>> {
        static NXDOMAIN: Answer = Answer::NxDomain;
        let ev: &'a SpfEvaluation = self.ev;
        names
            .iter()
            .map(|name| {
                let name = normalized(name);
                if !valid_query_name(&name) {
                    return Some(&NXDOMAIN);
                }
                let known = ev.book.get(&name, kind);
                if known.is_none() {
                    self.needs.push((name.into_owned(), kind));
                }
                known
            })
            .collect()
    }

    fn count_lookup(&mut self, term: impl fmt::Display) -> Result<(), Halt> {
        self.lookups += 1;
        if self.lookups > self.ev.options.max_lookups {
            self.lookups -= 1;
            trace_leaf!(self, "{term}: the 11th DNS-querying term, not evaluated");
            return Err(Halt::Error(
                SpfResult::PermError,
                SpfError::TooManyLookups {
                    term: term.to_string(),
                },
            ));
        }
        Ok(())
    }

    fn count_void(&mut self, term: impl fmt::Display) -> Result<(), Halt> {
        self.voids += 1;
        if self.voids > self.ev.options.max_void_lookups {
            return Err(Halt::Error(
                SpfResult::PermError,
                SpfError::TooManyVoidLookups {
                    term: term.to_string(),
                },
            ));
        }
        Ok(())
    }

    fn lookups_note(&self) -> String {
        format!("lookup {}/{}", self.lookups, self.ev.options.max_lookups)
    }

    fn fetch(&mut self, domain: &str) -> Result<Rc<Fetched>, Halt> {
        let key = normalized(domain);
        if let Some(f) = self.ev.parsed.get(key.as_ref()) {
            return Ok(f.clone());
        }
        if let Some((_, f)) = self.parsed_new.iter().find(|(d, _)| *d == key) {
            return Ok(f.clone());
        }
        let key = key.into_owned();
        let answer = self.lookup(&key, QueryKind::Txt)?;
        let fetched = match answer {
            Answer::TempFail => {
                return Err(Halt::Error(
                    SpfResult::TempError,
                    SpfError::Dns {
                        name: key,
                        kind: QueryKind::Txt,
                    },
                ));
            }
            Answer::NxDomain | Answer::NoData => Fetched::None,
            Answer::Records { records, .. } => {
                let spf: Vec<Vec<u8>> = records
                    .iter()
                    .filter_map(Rdata::txt_joined)
                    .filter(|text| is_spf_record(text))
                    .collect();
                match spf.as_slice() {
                    [] => Fetched::None,
                    [one] => {
                        let shown = String::from_utf8_lossy(one).into_owned();
                        match SpfRecord::parse_bytes(one) {
                            Ok(record) => Fetched::Record(record, shown),
                            Err(e) => Fetched::Invalid(shown, e),
                        }
                    }
                    _ => Fetched::Multiple,
                }
            }
        };
        let fetched = Rc::new(fetched);
        self.parsed_new.push((key, fetched.clone()));
        Ok(fetched)
    }

    fn vars<'v>(&'v self, domain: &'v str, validated: Option<&'v str>) -> MacroVars<'v> {
        MacroVars {
            sender_local: &self.ev.sender_local,
            sender_domain: &self.ev.sender_domain,
            domain,
            ip: self.ev.ip,
            helo: &self.ev.helo,
            validated,
            receiver: &self.ev.options.receiver,
            timestamp: self.ev.options.timestamp,
        }
    }

    /// Expands a domain-spec (finding `%{p}` first when it is used) and truncates it (s7.3).
    fn expand_domain(&mut self, spec: &MacroString, domain: &str) -> Result<String, Halt> {
        let validated = if spec.uses(super::macros::MacroLetter::ValidatedName) {
            self.validated_name(domain)?
        } else {
            None
        };
        let expanded = spec.expand(&self.vars(domain, validated.as_deref()));
        Ok(truncate_domain(&expanded).to_owned())
    }

    /// The names of the client's PTR records that resolve back to its address (s5.5), at
    /// most the first 10. A PTR lookup error gives no names.
    fn validated_names(&mut self) -> Result<Vec<String>, Halt> {
        let reverse = reverse_name(self.ev.ip);
        let names: Vec<String> = match self.lookup(&reverse, QueryKind::Ptr)? {
            Answer::Records { records, .. } => records
                .iter()
                .filter_map(|r| match r {
                    Rdata::Ptr(name) => Some(normalize_name(name)),
                    _ => None,
                })
                .take(10)
                .collect(),
            _ => return Ok(Vec::new()),
        };
        let kind = address_kind(self.ev.ip);
        let answers = self.lookup_all(&names, kind);
        let mut validated = Vec::new();
        for (name, answer) in names.iter().zip(answers) {
            // A lookup error skips that name (s5.5); a missing answer blocks.
            match answer {
                None => return Err(Halt::Blocked),
                Some(answer) => {
                    if answer
                        .rdata()
                        .iter()
                        .any(|r| address_of(r) == Some(self.ev.ip))
                    {
                        validated.push(name.clone());
                    }
                }
            }
        }
        Ok(validated)
    }

    /// `%{p}`: a validated name in `domain` if there is one, else any validated name.
    fn validated_name(&mut self, domain: &str) -> Result<Option<String>, Halt> {
        let names = self.validated_names()?;
        let domain = normalize_name(domain);
        Ok(names
            .iter()
            .find(|n| in_domain(n, &domain))
            .or(names.first())
            .cloned())
    }

    /// `check_host()` of one domain (s4): fetch, then evaluate.
    fn check_host(&mut self, domain: &str, via: Option<&'static str>) -> Result<HostResult, Halt> {
        let key = normalized(domain);
        let (lookups, voids) = (self.lookups, self.voids);
        // A target an earlier walk evaluated from the same counts gives the same result (the
        // traced walk evaluates everything, to draw it).
        if !self.tracing && via.is_some() {
            let ev: &'a SpfEvaluation = self.ev;
            if let Some(memo) = ev.memo.get(key.as_ref()).and_then(|entries| {
                entries
                    .iter()
                    .find(|(l, v, _)| (*l, *v) == (lookups, voids))
                    .map(|(_, _, memo)| memo)
            }) {
                self.lookups = memo.lookups;
                self.voids = memo.voids;
                return Ok(HostResult {
                    result: memo.result,
                    matched: memo.matched.clone(),
                    exp: memo.exp.clone(),
                });
            }
        }
        let result = self.check_host_uncached(&key, via);
        if let (Ok(host), false, Some(_)) = (&result, self.tracing, via) {
            self.memo_new.push((
                key.into_owned(),
                lookups,
                voids,
                Memo {
                    result: host.result,
                    matched: host.matched.clone(),
                    exp: host.exp.clone(),
                    lookups: self.lookups,
                    voids: self.voids,
                },
            ));
        }
        result
    }

    fn check_host_uncached(
        &mut self,
        key: &str,
        via: Option<&'static str>,
    ) -> Result<HostResult, Halt> {
        if self.active.iter().any(|a| a == key) {
            trace_leaf!(self, "{key}: already being evaluated (a loop)");
            return Err(Halt::Error(
                SpfResult::PermError,
                SpfError::Loop {
                    domain: key.to_owned(),
                },
            ));
        }
        let fetched = self.fetch(key)?;
        let record = match &*fetched {
            Fetched::None => {
                trace_leaf!(self, "{key}: no SPF record");
                if let Some(via) = via {
                    return Err(Halt::Error(
                        SpfResult::PermError,
                        SpfError::IncludeMissing {
                            via,
                            domain: key.to_owned(),
                        },
                    ));
                }
                return Ok(HostResult {
                    result: SpfResult::None,
                    matched: None,
                    exp: None,
                });
            }
            Fetched::Multiple => {
                trace_leaf!(self, "{key}: more than one v=spf1 record");
                return Err(Halt::Error(
                    SpfResult::PermError,
                    SpfError::MultipleRecords {
                        domain: key.to_owned(),
                    },
                ));
            }
            Fetched::Invalid(text, error) => {
                trace_leaf!(self, "{key}: \"{text}\": {error}");
                return Err(Halt::Error(
                    SpfResult::PermError,
                    SpfError::Syntax {
                        domain: key.to_owned(),
                        record: text.clone(),
                        error: error.clone(),
                    },
                ));
            }
            Fetched::Record(record, text) => {
                trace_open!(self, "{key}: \"{text}\"");
                record
            }
        };
        self.active.push(key.to_owned());
        let result = self.evaluate(record, key);
        self.active.pop();
        match result {
            Ok(host) => {
                self.close("");
                Ok(host)
            }
            Err(Halt::Error(result, error)) => {
                trace_close!(self, " → {result}");
                Err(Halt::Error(result, error))
            }
            Err(Halt::Blocked) => Err(Halt::Blocked),
        }
    }

    /// s4.6: the mechanisms in order, then `redirect`, then neutral.
    fn evaluate(&mut self, record: &SpfRecord, domain: &str) -> Result<HostResult, Halt> {
        let exp = record.exp().map(|spec| (spec.clone(), domain.to_owned()));
        // Consecutive ip4/ip6 terms that do not match make one trace line.
        let mut unmatched_networks = 0usize;
        for (qualifier, mechanism) in record.mechanisms() {
            let term = TermText(qualifier, mechanism);
            let is_network = matches!(mechanism, Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. });
            if !is_network && unmatched_networks > 0 {
                trace_leaf!(self, "{unmatched_networks} ip4/ip6 network(s): no match");
                unmatched_networks = 0;
            }
            if self.mechanism(mechanism, domain, term)? {
                if unmatched_networks > 0 {
                    trace_leaf!(self, "{unmatched_networks} ip4/ip6 network(s): no match");
                }
                let result = SpfResult::from_qualifier(qualifier);
                trace_leaf!(self, "{term}: match → {result}");
                return Ok(HostResult {
                    result,
                    matched: Some((qualifier, mechanism.clone())),
                    exp,
                });
            }
            if is_network {
                unmatched_networks += 1;
            }
        }
        if unmatched_networks > 0 {
            trace_leaf!(self, "{unmatched_networks} ip4/ip6 network(s): no match");
        }
        // s6.1: redirect is ignored when the record has `all`.
        if let (Some(target), None) = (record.redirect(), record.all()) {
            let term = RedirectText(target);
            self.count_lookup(term)?;
            let target = self.expand_domain(target, domain)?;
            trace_open!(self, "{term} ({})", self.lookups_note());
            let host = self.check_host(&target, Some("redirect"))?;
            trace_close!(self, " → {}", host.result);
            return Ok(host);
        }
        Ok(HostResult {
            result: SpfResult::Neutral,
            matched: None,
            exp,
        })
    }

    /// Whether a mechanism matches (s5).
    fn mechanism(
        &mut self,
        mechanism: &Mechanism,
        domain: &str,
        term: TermText<'_>,
    ) -> Result<bool, Halt> {
        let ip = self.ev.ip;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { addr, prefix } => Ok(match ip {
                IpAddr::V4(v4) => in_prefix_v4(v4, *addr, prefix.unwrap_or(32)),
                IpAddr::V6(_) => false,
            }),
            Mechanism::Ip6 { addr, prefix } => Ok(match ip {
                IpAddr::V6(v6) => in_prefix_v6(v6, *addr, prefix.unwrap_or(128)),
                IpAddr::V4(_) => false,
            }),
            Mechanism::A { domain: spec, cidr } => {
                self.count_lookup(term)?;
                let target = match spec {
                    Some(spec) => self.expand_domain(spec, domain)?,
                    None => domain.to_owned(),
                };
                let kind = address_kind(ip);
                let answer = self.lookup(&target, kind)?;
                let matched = self.addresses_match(answer, &target, kind, *cidr, term)?;
                Ok(matched)
            }
            Mechanism::Mx { domain: spec, cidr } => {
                self.count_lookup(term)?;
                let target = match spec {
                    Some(spec) => self.expand_domain(spec, domain)?,
                    None => domain.to_owned(),
                };
                let answer = self.lookup(&target, QueryKind::Mx)?;
                if *answer == Answer::TempFail {
                    return Err(dns_error(&target, QueryKind::Mx));
                }
                if answer.is_void(QueryKind::Mx) {
                    trace_leaf!(
                        self,
                        "{term} ({}): {target} has no MX (void) → no match",
                        self.lookups_note()
                    );
                    self.count_void(term)?;
                    return Ok(false);
                }
                let mut exchanges: Vec<(u16, String)> = answer
                    .rdata()
                    .iter()
                    .filter_map(|r| match r {
                        Rdata::Mx {
                            preference,
                            exchange,
                        } => Some((*preference, normalize_name(exchange))),
                        _ => None,
                    })
                    .collect();
                exchanges.sort();
                if exchanges.len() > 10 {
                    trace_leaf!(self, "{term}: {target} has {} MX records", exchanges.len());
                    return Err(Halt::Error(
                        SpfResult::PermError,
                        SpfError::TooManyMxRecords { domain: target },
                    ));
                }
                let names: Vec<String> = exchanges.into_iter().map(|(_, n)| n).collect();
                let kind = address_kind(ip);
                let answers = self.lookup_all(&names, kind);
                for (name, answer) in names.iter().zip(answers) {
                    let Some(answer) = answer else {
                        return Err(Halt::Blocked);
                    };
                    if *answer == Answer::TempFail {
                        return Err(dns_error(name, kind));
                    }
                    if answer
                        .rdata()
                        .iter()
                        .filter_map(address_of)
                        .any(|a| cidr_match(ip, a, *cidr))
                    {
                        trace_leaf!(
                            self,
                            "{term} ({}): MX {name} has the address",
                            self.lookups_note()
                        );
                        return Ok(true);
                    }
                }
                trace_leaf!(
                    self,
                    "{term} ({}): MX {} → no match",
                    self.lookups_note(),
                    names.join(", ")
                );
                Ok(false)
            }
            Mechanism::Ptr(spec) => {
                self.count_lookup(term)?;
                let target = match spec {
                    Some(spec) => self.expand_domain(spec, domain)?,
                    None => domain.to_owned(),
                };
                let reverse = reverse_name(ip);
                let answer = self.lookup(&reverse, QueryKind::Ptr)?;
                if answer.is_void(QueryKind::Ptr) {
                    trace_leaf!(
                        self,
                        "{term} ({}): no PTR (void) → no match",
                        self.lookups_note()
                    );
                    self.count_void(term)?;
                    return Ok(false);
                }
                let names = self.validated_names()?;
                let target = normalize_name(&target);
                let matched = names.iter().any(|n| in_domain(n, &target));
                trace_leaf!(
                    self,
                    "{term} ({}): validated names [{}] → {}",
                    self.lookups_note(),
                    names.join(", "),
                    if matched { "match" } else { "no match" }
                );
                Ok(matched)
            }
            Mechanism::Exists(spec) => {
                self.count_lookup(term)?;
                let target = self.expand_domain(spec, domain)?;
                let answer = self.lookup(&target, QueryKind::A)?;
                if *answer == Answer::TempFail {
                    return Err(dns_error(&target, QueryKind::A));
                }
                if answer.is_void(QueryKind::A) {
                    trace_leaf!(
                        self,
                        "{term} ({}): {target} A (void) → no match",
                        self.lookups_note()
                    );
                    self.count_void(term)?;
                    return Ok(false);
                }
                Ok(true)
            }
            Mechanism::Include(spec) => {
                self.count_lookup(term)?;
                let target = self.expand_domain(spec, domain)?;
                trace_open!(self, "{term} ({})", self.lookups_note());
                let host = self.check_host(&target, Some("include"));
                let host = match host {
                    Ok(host) => host,
                    Err(Halt::Error(result, error)) => {
                        trace_close!(self, " → {result}");
                        return Err(Halt::Error(result, error));
                    }
                    Err(Halt::Blocked) => return Err(Halt::Blocked),
                };
                // s5.2: only pass matches; none was turned into permerror above.
                let matched = host.result == SpfResult::Pass;
                trace_close!(
                    self,
                    " → {}: {}",
                    host.result,
                    if matched { "match" } else { "no match" }
                );
                Ok(matched)
            }
        }
    }

    fn addresses_match(
        &mut self,
        answer: &Answer,
        target: &str,
        kind: QueryKind,
        cidr: super::parse::DualCidr,
        term: TermText<'_>,
    ) -> Result<bool, Halt> {
        if *answer == Answer::TempFail {
            return Err(dns_error(target, kind));
        }
        if answer.is_void(kind) {
            trace_leaf!(
                self,
                "{term} ({}): {target} {kind} (void) → no match",
                self.lookups_note()
            );
            self.count_void(term)?;
            return Ok(false);
        }
        let ip = self.ev.ip;
        let matched = answer
            .rdata()
            .iter()
            .filter_map(address_of)
            .any(|a| cidr_match(ip, a, cidr));
        trace_leaf!(
            self,
            "{term} ({}): {target} {kind} → {}",
            self.lookups_note(),
            if matched { "match" } else { "no match" }
        );
        Ok(matched)
    }

    /// The explanation of s6.2: the TXT at the expanded `exp=` domain, itself expanded. Any
    /// problem gives no explanation.
    fn explanation(&mut self, spec: &MacroString, domain: &str) -> Result<Option<String>, Halt> {
        let target = self.expand_domain(spec, domain)?;
        let answer = self.lookup(&target, QueryKind::Txt)?;
        let texts: Vec<Vec<u8>> = answer
            .rdata()
            .iter()
            .filter_map(Rdata::txt_joined)
            .collect();
        let [text] = texts.as_slice() else {
            return Ok(None);
        };
        let Ok(text) = std::str::from_utf8(text) else {
            return Ok(None);
        };
        let Ok(parsed) = MacroString::parse(text, MacroContext::Explanation, text, 0) else {
            return Ok(None);
        };
        let validated = if parsed.uses(super::macros::MacroLetter::ValidatedName) {
            self.validated_name(domain)?
        } else {
            None
        };
        let expanded = parsed.expand(&self.vars(domain, validated.as_deref()));
        trace_leaf!(self, "exp={spec}: {expanded:?}");
        Ok(Some(expanded))
    }
}

/// A term as written, formatted only when needed (the trace, an error, the match).
#[derive(Clone, Copy)]
struct TermText<'m>(Qualifier, &'m Mechanism);

impl fmt::Display for TermText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 != Qualifier::Pass {
            write!(f, "{}", self.0)?;
        }
        write!(f, "{}", self.1)
    }
}

/// `redirect=<domain-spec>`, formatted only when needed.
#[derive(Clone, Copy)]
struct RedirectText<'m>(&'m MacroString);

impl fmt::Display for RedirectText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "redirect={}", self.0)
    }
}

fn dns_error(name: &str, kind: QueryKind) -> Halt {
    Halt::Error(
        SpfResult::TempError,
        SpfError::Dns {
            name: normalize_name(name),
            kind,
        },
    )
}

/// Whether a name can be sent as a query: non-empty labels of at most 63 octets, 253 in all.
fn valid_query_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

fn in_domain(name: &str, domain: &str) -> bool {
    name == domain
        || (name.len() > domain.len()
            && name.ends_with(domain)
            && name.as_bytes()[name.len() - domain.len() - 1] == b'.')
}

fn address_kind(ip: IpAddr) -> QueryKind {
    match ip {
        IpAddr::V4(_) => QueryKind::A,
        IpAddr::V6(_) => QueryKind::Aaaa,
    }
}

fn address_of(r: &Rdata) -> Option<IpAddr> {
    match r {
        Rdata::A(a) => Some(IpAddr::V4(*a)),
        Rdata::Aaaa(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn cidr_match(ip: IpAddr, addr: IpAddr, cidr: super::parse::DualCidr) -> bool {
    match (ip, addr) {
        (IpAddr::V4(ip), IpAddr::V4(a)) => in_prefix_v4(ip, a, cidr.v4.unwrap_or(32)),
        (IpAddr::V6(ip), IpAddr::V6(a)) => in_prefix_v6(ip, a, cidr.v6.unwrap_or(128)),
        _ => false,
    }
}

pub(crate) fn in_prefix_v4(ip: std::net::Ipv4Addr, net: std::net::Ipv4Addr, len: u8) -> bool {
    let len = u32::from(len.min(32));
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == u32::from(net) & mask
}

pub(crate) fn in_prefix_v6(ip: std::net::Ipv6Addr, net: std::net::Ipv6Addr, len: u8) -> bool {
    let len = u32::from(len.min(128));
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::DiagnosisSeverity;
    use crate::records::resolve_with;

    fn evaluate(zone: &[(&str, &str)], ip: &str) -> SpfOutcome {
        let mut spf =
            SpfEvaluation::new(ip.parse().unwrap(), "user@example.com", "mail.example.com");
        resolve_with(&mut spf, |q| {
            let texts: Vec<Rdata> = zone
                .iter()
                .filter(|(n, _)| *n == q.name)
                .map(|(_, t)| match q.kind {
                    QueryKind::Txt => Rdata::txt(*t),
                    _ => Rdata::A("203.0.113.1".parse().unwrap()),
                })
                .collect();
            Answer::records(texts)
        });
        spf.outcome().cloned().unwrap()
    }

    fn classes(outcome: &SpfOutcome) -> Vec<(DiagnosisClass, DiagnosisSeverity)> {
        outcome
            .diagnoses()
            .iter()
            .map(|d| (d.class(), d.severity()))
            .collect()
    }

    #[test]
    fn diagnoses_by_result() {
        let nine: Vec<String> = (0..9).map(|i| format!("a:h{i}.example.com")).collect();
        let text = format!("v=spf1 {} ip4:192.0.2.0/24 -all", nine.join(" "));
        let mut zone: Vec<(&str, &str)> = vec![("example.com", &text)];
        let names: Vec<String> = (0..9).map(|i| format!("h{i}.example.com")).collect();
        for n in &names {
            zone.push((n, "host"));
        }
        let pass = evaluate(&zone, "192.0.2.7");
        assert_eq!(pass.result, SpfResult::Pass);
        assert_eq!(
            classes(&pass),
            [(
                DiagnosisClass::SpfTooManyLookups,
                DiagnosisSeverity::Warning
            )]
        );
        let fail = evaluate(
            &[("example.com", "v=spf1 ip4:192.0.2.0/24 -all")],
            "198.51.100.1",
        );
        assert_eq!(
            classes(&fail),
            [(
                DiagnosisClass::SpfIpNotPermitted,
                DiagnosisSeverity::Permanent
            )]
        );
        assert_eq!(fail.matched.as_deref(), Some("-all"));
        let none = evaluate(&[], "198.51.100.1");
        assert_eq!(
            classes(&none),
            [(DiagnosisClass::SpfMissing, DiagnosisSeverity::Warning)]
        );
        let syntax = evaluate(
            &[("example.com", "v=spf1 ip4:192.0.2.0/24 bogus -all")],
            "192.0.2.1",
        );
        assert_eq!(syntax.result, SpfResult::PermError);
        assert_eq!(
            classes(&syntax),
            [(DiagnosisClass::SpfSyntaxError, DiagnosisSeverity::Permanent)]
        );
        let missing = evaluate(
            &[("example.com", "v=spf1 include:gone.example.net -all")],
            "192.0.2.1",
        );
        assert_eq!(
            classes(&missing),
            [(
                DiagnosisClass::SpfIncludeMissing,
                DiagnosisSeverity::Permanent
            )]
        );
        assert!(pass.trace.to_string().contains("lookups 9/10, void 0/2"));
    }
}
