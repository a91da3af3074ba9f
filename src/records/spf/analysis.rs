//! Static analysis of a domain's SPF record tree, without a client IP: what a checker shows.
//!
//! Every `include` and `redirect` is walked (all of a record's targets are asked at once), and
//! every `a`, `mx` and `exists` name is looked up to find void names. The worst-case count is
//! the number of DNS-querying terms an evaluation that matches nothing would reach (RFC 7208
//! s4.6.4), with each include's share.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::eval::{SpfTrace, TraceNode};
use super::parse::{Mechanism, Qualifier, SpfParseError, SpfRecord, is_spf_record};
use crate::diagnosis::{Diagnosis, DiagnosisClass, DiagnosisSeverity};
use crate::records::query::{
    Answer, Lookups, Query, QueryBook, QueryId, QueryKind, Rdata, UnknownQuery, normalize_name,
};

/// The most records the analysis fetches, and the deepest include chain it follows: a bound on
/// the queries a hostile tree can cause (an evaluation stops at 10 lookups anyway).
const MAX_RECORDS: usize = 40;
const MAX_DEPTH: usize = 12;

/// One `include` or `redirect` of the tree and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeCount {
    /// The term as written (`include:_spf.example.net`).
    pub term: String,
    /// The domain whose record has the term.
    pub parent: String,
    /// DNS-querying terms it costs in the worst case, itself included.
    pub lookups: u32,
    /// Nesting depth (1 for a term of the top record).
    pub depth: usize,
}

/// What the analysis found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfReport {
    /// The domain analysed.
    pub domain: String,
    /// Its SPF record as published, when it has exactly one.
    pub record: Option<String>,
    /// The worst-case number of DNS-querying terms (RFC 7208 s4.6.4 allows 10).
    pub lookups: u32,
    /// Every include and redirect, in tree order, with its share of `lookups`.
    pub includes: Vec<IncludeCount>,
    /// Names of `a`, `mx`, `exists` and `include` terms that do not exist or have no records.
    pub void_names: Vec<String>,
    /// The record tree with each term's cost.
    pub tree: SpfTrace,
    /// The DIAGNOSES.md s4.12 diagnoses.
    pub diagnoses: Vec<Diagnosis>,
}

/// The static analysis as a sans-IO machine: see [`crate::records::Lookups`].
///
/// ```
/// use smtp_sansio::records::{resolve_with, Answer, QueryKind, Rdata};
/// use smtp_sansio::records::spf::SpfAnalysis;
/// use smtp_sansio::DiagnosisClass;
///
/// let mut analysis = SpfAnalysis::new("example.org");
/// resolve_with(&mut analysis, |q| match (q.name.as_str(), q.kind) {
///     ("example.org", QueryKind::Txt) => Answer::records(vec![Rdata::txt("v=spf1 include:_spf.example.net ptr ?all")]),
///     ("_spf.example.net", QueryKind::Txt) => Answer::records(vec![Rdata::txt("v=spf1 a mx -all")]),
///     ("_spf.example.net", QueryKind::A) => Answer::records(vec![Rdata::A("192.0.2.1".parse().unwrap())]),
///     _ => Answer::NoData,
/// });
/// let report = analysis.report().unwrap();
/// assert_eq!(report.lookups, 4);
/// assert_eq!(report.includes[0].lookups, 3);
/// let classes: Vec<_> = report.diagnoses.iter().map(|d| d.class()).collect();
/// assert!(classes.contains(&DiagnosisClass::SpfPtrUsed));
/// assert!(classes.contains(&DiagnosisClass::SpfPermissiveAll));
/// ```
#[derive(Debug, Clone)]
pub struct SpfAnalysis {
    domain: String,
    book: QueryBook,
    /// Records parsed by earlier walks, by text.
    parsed: HashMap<String, Rc<Result<SpfRecord, SpfParseError>>>,
    dirty: bool,
    report: Option<SpfReport>,
}

impl SpfAnalysis {
    /// Analyses the SPF record tree of `domain`.
    pub fn new(domain: &str) -> SpfAnalysis {
        SpfAnalysis {
            domain: normalize_name(domain),
            book: QueryBook::default(),
            parsed: HashMap::new(),
            dirty: true,
            report: None,
        }
    }

    /// The report, once finished.
    pub fn report(&self) -> Option<&SpfReport> {
        self.report.as_ref()
    }

    /// Runs the analysis to the end with a synchronous resolver: `resolve` answers each name
    /// and type (a fixture, a cache, a blocking resolver). A resolver that leaves the machine
    /// unfinished gives an empty report.
    pub fn analyse_with(
        domain: &str,
        mut resolve: impl FnMut(&str, QueryKind) -> Answer,
    ) -> SpfReport {
        let mut analysis = SpfAnalysis::new(domain);
        crate::records::resolve_with(&mut analysis, |q| resolve(&q.name, q.kind));
        analysis.report.unwrap_or_else(|| SpfReport {
            domain: domain.to_owned(),
            record: None,
            lookups: 0,
            includes: Vec::new(),
            void_names: Vec::new(),
            tree: SpfTrace::default(),
            diagnoses: Vec::new(),
        })
    }

    fn advance(&mut self) {
        if self.report.is_some() || !self.dirty {
            return;
        }
        self.dirty = false;
        let mut walk = Walk {
            book: &self.book,
            parsed: &mut self.parsed,
            needs: Vec::new(),
            includes: Vec::new(),
            void_names: Vec::new(),
            diagnoses: Vec::new(),
            records: 0,
            ptr_seen: false,
            active: Vec::new(),
            visited: HashSet::new(),
        };
        let domain = self.domain.clone();
        let top = walk.record(&domain, 0, None);
        let Walk {
            needs,
            includes,
            void_names,
            mut diagnoses,
            ptr_seen,
            ..
        } = walk;
        if !needs.is_empty() {
            for (name, kind) in needs {
                self.book.need(&name, kind);
            }
            if self.book.is_waiting() {
                return;
            }
        }
        let (lookups, node, record_text) = top;
        if ptr_seen {
            diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::SpfPtrUsed,
                "spf:analysis",
                record_text.as_deref(),
                "the record tree uses `ptr` (RFC 7208 s5.5: SHOULD NOT)".to_owned(),
            ));
        }
        if lookups > 8 {
            let shares: Vec<String> = includes
                .iter()
                .filter(|i| i.depth == 1)
                .map(|i| format!("{} {}", i.term, i.lookups))
                .collect();
            let detail = format!(
                "{lookups} DNS-querying terms in the worst case (limit 10); includes: {}",
                if shares.is_empty() {
                    "none".to_owned()
                } else {
                    shares.join(", ")
                }
            );
            diagnoses.push(if lookups > 10 {
                Diagnosis::from_record(
                    DiagnosisClass::SpfTooManyLookups,
                    "spf:analysis",
                    record_text.as_deref(),
                    detail,
                )
            } else {
                Diagnosis::from_record_with_severity(
                    DiagnosisClass::SpfTooManyLookups,
                    DiagnosisSeverity::Warning,
                    "spf:analysis",
                    record_text.as_deref(),
                    format!("near the limit: {detail}"),
                )
            });
        }
        if !void_names.is_empty() {
            let detail = format!(
                "{} name(s) with no records: {}",
                void_names.len(),
                void_names.join(", ")
            );
            diagnoses.push(if void_names.len() > 2 {
                Diagnosis::from_record(
                    DiagnosisClass::SpfTooManyVoidLookups,
                    "spf:analysis",
                    record_text.as_deref(),
                    format!("{detail} (limit 2)"),
                )
            } else {
                Diagnosis::from_record_with_severity(
                    DiagnosisClass::SpfTooManyVoidLookups,
                    DiagnosisSeverity::Warning,
                    "spf:analysis",
                    record_text.as_deref(),
                    format!("{detail} (limit 2: dead terms waste it)"),
                )
            });
        }
        self.report = Some(SpfReport {
            domain: self.domain.clone(),
            record: record_text,
            lookups,
            includes,
            void_names,
            tree: SpfTrace {
                root: TraceNode {
                    text: format!("{}: worst case {lookups}/10 lookups", self.domain),
                    children: vec![node],
                },
            },
            diagnoses,
        });
    }
}

impl Lookups for SpfAnalysis {
    fn poll_query(&mut self) -> Option<Query> {
        self.advance();
        self.book.poll()
    }

    fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery> {
        self.book.answer(id, answer)?;
        self.dirty = true;
        if !self.book.is_waiting() {
            self.advance();
        }
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.report.is_some()
    }
}

struct Walk<'a> {
    book: &'a QueryBook,
    parsed: &'a mut HashMap<String, Rc<Result<SpfRecord, SpfParseError>>>,
    needs: Vec<(String, QueryKind)>,
    includes: Vec<IncludeCount>,
    void_names: Vec<String>,
    diagnoses: Vec<Diagnosis>,
    records: usize,
    ptr_seen: bool,
    active: Vec<String>,
    visited: HashSet<(String, QueryKind)>,
}

impl Walk<'_> {
    fn get(&mut self, name: &str, kind: QueryKind) -> Option<&Answer> {
        let name = normalize_name(name);
        if self.book.get(&name, kind).is_none() {
            if self.visited.insert((name.clone(), kind)) {
                self.needs.push((name.clone(), kind));
            }
            return None;
        }
        self.book.get(&name, kind)
    }

    /// Walks the record of `domain`: (worst-case lookups, trace node, record text).
    fn record(
        &mut self,
        domain: &str,
        depth: usize,
        via: Option<&'static str>,
    ) -> (u32, TraceNode, Option<String>) {
        let domain = normalize_name(domain);
        let mut node = TraceNode {
            text: domain.clone(),
            children: Vec::new(),
        };
        if self.active.contains(&domain) {
            node.text = format!("{domain}: a loop back to a record being evaluated");
            self.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::SpfTooManyLookups,
                "spf:analysis",
                None,
                format!("{domain} includes or redirects back to itself: every evaluation through it ends in permerror"),
            ));
            return (0, node, None);
        }
        if depth > MAX_DEPTH || self.records >= MAX_RECORDS {
            node.text = format!("{domain}: not walked (the tree is too large)");
            return (0, node, None);
        }
        self.records += 1;
        let answer = match self.get(&domain, QueryKind::Txt) {
            None => return (0, node, None),
            Some(answer) => answer.clone(),
        };
        let spf: Vec<Vec<u8>> = answer
            .rdata()
            .iter()
            .filter_map(Rdata::txt_joined)
            .filter(|t| is_spf_record(t))
            .collect();
        let text = match (&answer, spf.as_slice()) {
            (Answer::TempFail, _) => {
                node.text = format!("{domain}: TXT lookup failed");
                self.diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::SpfTemporaryError,
                    "spf:analysis",
                    None,
                    format!("the TXT lookup of {domain} failed"),
                ));
                return (0, node, None);
            }
            (_, []) => {
                node.text = format!("{domain}: no SPF record");
                let (class, detail) = match via {
                    Some(via) => (
                        DiagnosisClass::SpfIncludeMissing,
                        format!("{via} target {domain} has no SPF record (permerror when reached)"),
                    ),
                    None => (
                        DiagnosisClass::SpfMissing,
                        format!("{domain} publishes no v=spf1 record"),
                    ),
                };
                if via.is_some() && matches!(answer, Answer::NxDomain) {
                    self.void_names.push(domain.clone());
                }
                self.diagnoses
                    .push(Diagnosis::from_record(class, "spf:analysis", None, detail));
                return (0, node, None);
            }
            (_, [one]) => String::from_utf8_lossy(one).into_owned(),
            _ => {
                node.text = format!("{domain}: {} v=spf1 records", spf.len());
                let shown: Vec<String> = spf
                    .iter()
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .collect();
                self.diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::SpfMultipleRecords,
                    "spf:analysis",
                    Some(&shown.join(" | ")),
                    format!("{domain} publishes {} v=spf1 records", spf.len()),
                ));
                return (0, node, None);
            }
        };
        let parsed = match self.parsed.get(&text) {
            Some(parsed) => parsed.clone(),
            None => {
                let parsed = Rc::new(SpfRecord::parse(&text));
                self.parsed.insert(text.clone(), parsed.clone());
                parsed
            }
        };
        let record = match &*parsed {
            Ok(record) => record,
            Err(e) => {
                node.text = format!("{domain}: \"{text}\": {e}");
                self.diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::SpfSyntaxError,
                    "spf:analysis",
                    Some(&text),
                    format!("{domain}: {e}"),
                ));
                return (0, node, Some(text));
            }
        };
        node.text = format!("{domain}: \"{text}\"");
        if depth == 0 {
            self.check_all(record, &text);
        }
        self.active.push(domain.clone());
        let mut lookups = 0;
        for (qualifier, mechanism) in record.mechanisms() {
            let term = if qualifier == Qualifier::Pass {
                mechanism.to_string()
            } else {
                format!("{qualifier}{mechanism}")
            };
            if !mechanism.queries_dns() {
                continue;
            }
            lookups += 1;
            match mechanism {
                Mechanism::Include(spec) => {
                    let Some(target) = spec.as_literal() else {
                        node.children
                            .push(leaf(format!("{term}: 1 (macro target, not followed)")));
                        self.includes.push(IncludeCount {
                            term,
                            parent: domain.clone(),
                            lookups: 1,
                            depth: depth + 1,
                        });
                        continue;
                    };
                    let at = self.includes.len();
                    self.includes.push(IncludeCount {
                        term: term.clone(),
                        parent: domain.clone(),
                        lookups: 1,
                        depth: depth + 1,
                    });
                    let (inner, child, _) = self.record(&target, depth + 1, Some("include"));
                    self.includes[at].lookups = 1 + inner;
                    lookups += inner;
                    node.children.push(TraceNode {
                        text: format!("{term}: {} lookup(s)", 1 + inner),
                        children: vec![child],
                    });
                }
                Mechanism::A { domain: spec, .. } => {
                    let name = spec
                        .as_ref()
                        .map_or(Some(domain.clone()), |s| s.as_literal());
                    let void = name.as_ref().and_then(|n| {
                        let a = self.get(n, QueryKind::A).cloned();
                        let aaaa = self.get(n, QueryKind::Aaaa).cloned();
                        Some(a?.is_void(QueryKind::A) && aaaa?.is_void(QueryKind::Aaaa))
                    });
                    self.term_leaf(&mut node, &term, name, void);
                }
                Mechanism::Mx { domain: spec, .. } => {
                    let name = spec
                        .as_ref()
                        .map_or(Some(domain.clone()), |s| s.as_literal());
                    let void = name
                        .as_ref()
                        .and_then(|n| Some(self.get(n, QueryKind::Mx)?.is_void(QueryKind::Mx)));
                    self.term_leaf(&mut node, &term, name, void);
                }
                Mechanism::Exists(spec) => {
                    let name = spec.as_literal();
                    let void = name
                        .as_ref()
                        .and_then(|n| Some(self.get(n, QueryKind::A)?.is_void(QueryKind::A)));
                    self.term_leaf(&mut node, &term, name, void);
                }
                Mechanism::Ptr(_) => {
                    self.ptr_seen = true;
                    node.children
                        .push(leaf(format!("{term}: 1 (RFC 7208 s5.5: do not use)")));
                }
                Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. } => {}
            }
        }
        if let (Some(spec), None) = (record.redirect(), record.all()) {
            let term = format!("redirect={spec}");
            lookups += 1;
            let at = self.includes.len();
            self.includes.push(IncludeCount {
                term: term.clone(),
                parent: domain.clone(),
                lookups: 1,
                depth: depth + 1,
            });
            if let Some(target) = spec.as_literal() {
                let (inner, child, target_text) = self.record(&target, depth + 1, Some("redirect"));
                self.includes[at].lookups = 1 + inner;
                lookups += inner;
                if depth == 0
                    && let Some(target_text) = &target_text
                    && let Ok(target_record) = SpfRecord::parse(target_text)
                    && target_record.redirect().is_none()
                {
                    self.check_all(&target_record, target_text);
                }
                node.children.push(TraceNode {
                    text: format!("{term}: {} lookup(s)", 1 + inner),
                    children: vec![child],
                });
            }
        }
        self.active.pop();
        node.text.push_str(&format!(" ({lookups} lookup(s))"));
        (lookups, node, Some(text))
    }

    fn term_leaf(
        &mut self,
        node: &mut TraceNode,
        term: &str,
        name: Option<String>,
        void: Option<bool>,
    ) {
        let text = match (name, void) {
            (Some(name), Some(true)) => {
                self.void_names.push(format!("{name} ({term})"));
                format!("{term}: 1, {name} has no records (void)")
            }
            (None, _) => format!("{term}: 1 (macro name, not looked up)"),
            _ => format!("{term}: 1"),
        };
        node.children.push(leaf(text));
    }

    /// `+all`, `?all`, or neither `all` nor `redirect` (RFC 7208 s4.7, s5.1).
    fn check_all(&mut self, record: &SpfRecord, text: &str) {
        let problem = match (record.all(), record.redirect()) {
            (Some(Qualifier::Pass), _) => Some("`+all` lets every IP address pass"),
            (Some(Qualifier::Neutral), _) => Some("`?all` gives every other IP address neutral"),
            (None, None) => Some("no `all` and no `redirect`: every other IP address gets neutral"),
            _ => None,
        };
        if let Some(problem) = problem {
            self.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::SpfPermissiveAll,
                "spf:analysis",
                Some(text),
                problem.to_owned(),
            ));
        }
    }
}

fn leaf(text: String) -> TraceNode {
    TraceNode {
        text,
        children: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Answer, Rdata};

    fn analyse(zone: &[(&str, &str)]) -> SpfReport {
        SpfAnalysis::analyse_with("example.com", |name, kind| {
            // An entry whose text is "A" stands for an address record.
            if kind == QueryKind::A && zone.iter().any(|(n, t)| *n == name && *t == "A") {
                return Answer::records(vec![Rdata::A(std::net::Ipv4Addr::new(192, 0, 2, 1))]);
            }
            let records: Vec<Rdata> = zone
                .iter()
                .filter(|(n, _)| *n == name && kind == QueryKind::Txt)
                .map(|(_, t)| Rdata::txt(*t))
                .collect();
            if records.is_empty() && zone.iter().any(|(n, _)| *n == name) {
                Answer::NoData
            } else {
                Answer::records(records)
            }
        })
    }

    fn classes(report: &SpfReport) -> Vec<(DiagnosisClass, DiagnosisSeverity)> {
        report
            .diagnoses
            .iter()
            .map(|d| (d.class(), d.severity()))
            .collect()
    }

    #[test]
    fn worst_case_count_names_each_include() {
        let report = analyse(&[
            (
                "example.com",
                "v=spf1 include:a.example.net include:b.example.net mx -all",
            ),
            (
                "a.example.net",
                "v=spf1 a:x.example.net a:y.example.net include:c.example.net ~all",
            ),
            ("c.example.net", "v=spf1 exists:e.example.net a mx ptr -all"),
            ("b.example.net", "v=spf1 redirect=c.example.net"),
        ]);
        // include a (1) + its 2 a + include c (1) + 4 = 8; include b (1) + redirect (1) + 4 = 6;
        // mx = 1: 15 in all.
        assert_eq!(report.lookups, 15);
        let top: Vec<(&str, u32)> = report
            .includes
            .iter()
            .filter(|i| i.depth == 1)
            .map(|i| (i.term.as_str(), i.lookups))
            .collect();
        assert_eq!(
            top,
            [("include:a.example.net", 8), ("include:b.example.net", 6)]
        );
        let found = classes(&report);
        assert!(found.contains(&(
            DiagnosisClass::SpfTooManyLookups,
            DiagnosisSeverity::Permanent
        )));
        assert!(found.contains(&(DiagnosisClass::SpfPtrUsed, DiagnosisSeverity::Warning)));
        // x, y, e and the A of c.example.net have no records; example.com has no MX.
        assert!(report.void_names.len() > 2, "{:?}", report.void_names);
        assert!(found.contains(&(
            DiagnosisClass::SpfTooManyVoidLookups,
            DiagnosisSeverity::Permanent
        )));
        assert!(
            report
                .tree
                .to_string()
                .contains("include:a.example.net: 8 lookup(s)")
        );
    }

    #[test]
    fn missing_multiple_syntax_loop_and_near_limit() {
        assert_eq!(
            classes(&analyse(&[])),
            [(DiagnosisClass::SpfMissing, DiagnosisSeverity::Warning)]
        );
        assert_eq!(
            classes(&analyse(&[
                ("example.com", "v=spf1 -all"),
                ("example.com", "v=spf1 ~all")
            ])),
            [(
                DiagnosisClass::SpfMultipleRecords,
                DiagnosisSeverity::Permanent
            )]
        );
        assert_eq!(
            classes(&analyse(&[("example.com", "v=spf1 ip4:192.0.2.0/33 -all")])),
            [(DiagnosisClass::SpfSyntaxError, DiagnosisSeverity::Permanent)]
        );
        let looped = analyse(&[("example.com", "v=spf1 include:example.com -all")]);
        assert!(classes(&looped).contains(&(
            DiagnosisClass::SpfTooManyLookups,
            DiagnosisSeverity::Permanent
        )));
        let missing = analyse(&[("example.com", "v=spf1 include:gone.example.net -all")]);
        assert!(classes(&missing).contains(&(
            DiagnosisClass::SpfIncludeMissing,
            DiagnosisSeverity::Permanent
        )));
        let nine: Vec<String> = (0..9).map(|i| format!("a:h{i}.example.com")).collect();
        let text = format!("v=spf1 {} -all", nine.join(" "));
        let mut zone: Vec<(&str, &str)> = vec![("example.com", text.as_str())];
        let hosts: Vec<String> = (0..9).map(|i| format!("h{i}.example.com")).collect();
        for h in &hosts {
            zone.push((h.as_str(), "A"));
        }
        let near = analyse(&zone);
        assert_eq!(near.lookups, 9);
        assert_eq!(
            classes(&near),
            [(
                DiagnosisClass::SpfTooManyLookups,
                DiagnosisSeverity::Warning
            )]
        );
        assert_eq!(
            classes(&analyse(&[("example.com", "v=spf1 ip4:192.0.2.1 +all")])),
            [(DiagnosisClass::SpfPermissiveAll, DiagnosisSeverity::Warning)]
        );
        assert_eq!(
            classes(&analyse(&[("example.com", "v=spf1 ip4:192.0.2.1")])),
            [(DiagnosisClass::SpfPermissiveAll, DiagnosisSeverity::Warning)]
        );
    }
}
