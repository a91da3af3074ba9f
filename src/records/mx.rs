//! MX checks (RFC 5321 s5.1, RFC 7505 null MX, RFC 2181 s10.3 no CNAME targets) as a sans-IO
//! machine: the MX query, then A, AAAA and CNAME of every target at once.

use std::net::IpAddr;

use super::query::{
    Answer, Lookups, Query, QueryBook, QueryId, QueryKind, Rdata, UnknownQuery, normalize_name,
};
use crate::diagnosis::{Diagnosis, DiagnosisClass};

/// The most MX targets looked up.
const MAX_TARGETS: usize = 32;

/// One MX target and what it resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxHost {
    /// The preference.
    pub preference: u16,
    /// The exchange's name.
    pub exchange: String,
    /// Its addresses (A and AAAA).
    pub addresses: Vec<IpAddr>,
}

/// What [`MxCheck`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxReport {
    /// The domain.
    pub domain: String,
    /// The targets by preference.
    pub hosts: Vec<MxHost>,
    /// The domain publishes a null MX (RFC 7505).
    pub null_mx: bool,
    /// The DIAGNOSES.md s4.12 diagnoses.
    pub diagnoses: Vec<Diagnosis>,
}

/// The MX check of a domain (see [`crate::records::Lookups`]).
///
/// ```
/// use smtp_sansio::records::{resolve_with, Answer, QueryKind, Rdata};
/// use smtp_sansio::records::mx::MxCheck;
/// use smtp_sansio::DiagnosisClass;
///
/// let mut check = MxCheck::new("example.com");
/// resolve_with(&mut check, |q| match (q.name.as_str(), q.kind) {
///     ("example.com", QueryKind::Mx) => Answer::records(vec![
///         Rdata::Mx { preference: 10, exchange: "mx.example.com".into() },
///         Rdata::Mx { preference: 20, exchange: "192.0.2.7".into() },
///     ]),
///     ("mx.example.com", QueryKind::A) => Answer::records(vec![Rdata::A("192.0.2.25".parse().unwrap())]),
///     _ => Answer::NoData,
/// });
/// let report = check.report().unwrap();
/// assert_eq!(report.hosts[0].addresses.len(), 1);
/// assert_eq!(report.diagnoses.len(), 1);
/// assert_eq!(report.diagnoses[0].class(), DiagnosisClass::MxTargetInvalid);
/// ```
#[derive(Debug, Clone)]
pub struct MxCheck {
    domain: String,
    book: QueryBook,
    targets: Option<Vec<(u16, String)>>,
    report: Option<MxReport>,
    started: bool,
}

impl MxCheck {
    /// Checks the MX records of `domain`.
    pub fn new(domain: &str) -> MxCheck {
        MxCheck {
            domain: normalize_name(domain),
            book: QueryBook::default(),
            targets: None,
            report: None,
            started: false,
        }
    }

    /// The report, once finished.
    pub fn report(&self) -> Option<&MxReport> {
        self.report.as_ref()
    }

    fn finish(&mut self, hosts: Vec<MxHost>, null_mx: bool, diagnoses: Vec<Diagnosis>) {
        self.report = Some(MxReport {
            domain: self.domain.clone(),
            hosts,
            null_mx,
            diagnoses,
        });
    }

    fn advance(&mut self) {
        if self.report.is_some() || self.book.is_waiting() {
            return;
        }
        if !self.started {
            self.started = true;
            self.book.need(&self.domain, QueryKind::Mx);
            return;
        }
        let rule = "mx";
        let Some(targets) = self.targets.clone() else {
            let answer = self
                .book
                .get(&self.domain, QueryKind::Mx)
                .cloned()
                .unwrap_or(Answer::TempFail);
            let mut targets: Vec<(u16, String)> = answer
                .rdata()
                .iter()
                .filter_map(|r| match r {
                    Rdata::Mx {
                        preference,
                        exchange,
                    } => Some((
                        *preference,
                        exchange.trim_end_matches('.').to_ascii_lowercase(),
                    )),
                    _ => None,
                })
                .collect();
            targets.sort();
            // A bound on the queries a hostile zone can cause (3 per target).
            targets.truncate(MAX_TARGETS);
            if answer == Answer::TempFail {
                self.finish(Vec::new(), false, Vec::new());
                return;
            }
            if targets.is_empty() {
                let d = Diagnosis::from_record(
                    DiagnosisClass::MxMissing,
                    rule,
                    None,
                    format!(
                        "{} has no MX records: senders fall back to its A/AAAA (implicit MX, RFC 5321 s5.1)",
                        self.domain
                    ),
                );
                self.finish(Vec::new(), false, vec![d]);
                return;
            }
            let nulls = targets.iter().filter(|(_, e)| e.is_empty()).count();
            if nulls > 0 {
                let d = if targets.len() == 1 {
                    Diagnosis::from_record(
                        DiagnosisClass::NullMx,
                        rule,
                        None,
                        format!(
                            "{} publishes a null MX (0 .): it accepts no mail",
                            self.domain
                        ),
                    )
                } else {
                    Diagnosis::from_record(
                        DiagnosisClass::MxTargetInvalid,
                        rule,
                        None,
                        format!(
                            "{} mixes a null MX with other MX records (RFC 7505 s3: a null MX must be the only one)",
                            self.domain
                        ),
                    )
                };
                self.finish(Vec::new(), targets.len() == 1, vec![d]);
                return;
            }
            for (_, exchange) in &targets {
                if exchange.parse::<IpAddr>().is_err() {
                    for kind in [QueryKind::A, QueryKind::Aaaa, QueryKind::Cname] {
                        self.book.need(exchange, kind);
                    }
                }
            }
            self.targets = Some(targets);
            if self.book.is_waiting() {
                return;
            }
            return self.advance();
        };
        let mut hosts = Vec::new();
        let mut diagnoses = Vec::new();
        let invalid = |detail: String| {
            Diagnosis::from_record(DiagnosisClass::MxTargetInvalid, rule, None, detail)
        };
        for (preference, exchange) in targets {
            if exchange.parse::<IpAddr>().is_ok() {
                diagnoses.push(invalid(format!(
                    "MX {preference} {exchange} is an IP address, not a host name"
                )));
                hosts.push(MxHost {
                    preference,
                    exchange,
                    addresses: Vec::new(),
                });
                continue;
            }
            let get = |kind| {
                self.book
                    .get(&exchange, kind)
                    .cloned()
                    .unwrap_or(Answer::TempFail)
            };
            let (a, aaaa, cname) = (
                get(QueryKind::A),
                get(QueryKind::Aaaa),
                get(QueryKind::Cname),
            );
            let addresses: Vec<IpAddr> = a
                .rdata()
                .iter()
                .chain(aaaa.rdata())
                .filter_map(|r| match r {
                    Rdata::A(v4) => Some(IpAddr::V4(*v4)),
                    Rdata::Aaaa(v6) => Some(IpAddr::V6(*v6)),
                    _ => None,
                })
                .collect();
            let alias = cname.rdata().iter().find_map(|r| match r {
                Rdata::Cname(target) => Some(target.clone()),
                _ => None,
            });
            if let Some(target) = alias {
                diagnoses.push(invalid(format!(
                    "MX {preference} {exchange} is an alias (CNAME to {target}); RFC 2181 s10.3 forbids it"
                )));
            } else if addresses.is_empty() && a != Answer::TempFail && aaaa != Answer::TempFail {
                let why = if a == Answer::NxDomain {
                    "does not exist"
                } else {
                    "has no A or AAAA record"
                };
                diagnoses.push(invalid(format!("MX {preference} {exchange} {why}")));
            }
            hosts.push(MxHost {
                preference,
                exchange,
                addresses,
            });
        }
        self.finish(hosts, false, diagnoses);
    }
}

impl Lookups for MxCheck {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::resolve_with;

    fn run(answers: &[(&str, QueryKind, Answer)]) -> MxReport {
        let mut check = MxCheck::new("example.com");
        resolve_with(&mut check, |q| {
            answers
                .iter()
                .find(|(n, k, _)| *n == q.name && *k == q.kind)
                .map_or(Answer::NxDomain, |(_, _, a)| a.clone())
        });
        check.report().cloned().unwrap()
    }

    fn mx(exchange: &str) -> Rdata {
        Rdata::Mx {
            preference: 0,
            exchange: exchange.into(),
        }
    }

    #[test]
    fn null_missing_cname_nxdomain() {
        let r = run(&[("example.com", QueryKind::Mx, Answer::records(vec![mx(".")]))]);
        assert!(r.null_mx);
        assert_eq!(r.diagnoses[0].class(), DiagnosisClass::NullMx);
        let r = run(&[("example.com", QueryKind::Mx, Answer::NoData)]);
        assert_eq!(r.diagnoses[0].class(), DiagnosisClass::MxMissing);
        let r = run(&[
            (
                "example.com",
                QueryKind::Mx,
                Answer::records(vec![mx("alias.example.com"), mx("gone.example.com")]),
            ),
            (
                "alias.example.com",
                QueryKind::Cname,
                Answer::records(vec![Rdata::Cname("mx.example.net".into())]),
            ),
            (
                "alias.example.com",
                QueryKind::A,
                Answer::records(vec![Rdata::A("192.0.2.1".parse().unwrap())]),
            ),
        ]);
        assert_eq!(r.diagnoses.len(), 2, "{:?}", r.diagnoses);
        assert!(r.diagnoses[0].detail().unwrap().contains("CNAME"));
        assert!(r.diagnoses[1].detail().unwrap().contains("does not exist"));
        let r = run(&[(
            "example.com",
            QueryKind::Mx,
            Answer::records(vec![mx("."), mx("mx.example.com")]),
        )]);
        assert_eq!(r.diagnoses[0].class(), DiagnosisClass::MxTargetInvalid);
    }
}
