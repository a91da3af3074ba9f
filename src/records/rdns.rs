//! Reverse DNS and forward-confirmed reverse DNS (FCrDNS): the PTR names of an address, and
//! which of them resolve back to it (RFC 8601 s3's `iprev`, RFC 1912 s2.1).

use std::net::IpAddr;

use super::query::{
    Answer, Lookups, Query, QueryBook, QueryId, QueryKind, Rdata, UnknownQuery, normalize_name,
    reverse_name,
};
use crate::diagnosis::{Diagnosis, DiagnosisClass};

/// The most PTR names followed (as RFC 7208 s5.5 bounds `ptr`).
const MAX_NAMES: usize = 10;

/// What [`FcrdnsCheck`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcrdnsReport {
    /// The address.
    pub ip: IpAddr,
    /// Its PTR names.
    pub names: Vec<String>,
    /// The names whose A/AAAA include the address.
    pub confirmed: Vec<String>,
    /// `fcrdns_missing` or `fcrdns_mismatch`, if any.
    pub diagnoses: Vec<Diagnosis>,
}

/// FCrDNS of an address: the PTR query, then the A or AAAA of every name at once. With a HELO
/// name, also whether it is one of the confirmed names.
///
/// ```
/// use smtp_sansio::records::{resolve_with, Answer, QueryKind, Rdata};
/// use smtp_sansio::records::rdns::FcrdnsCheck;
///
/// let mut check = FcrdnsCheck::new("192.0.2.25".parse().unwrap(), Some("mail.example.com"));
/// resolve_with(&mut check, |q| match (q.name.as_str(), q.kind) {
///     ("25.2.0.192.in-addr.arpa", QueryKind::Ptr) => Answer::records(vec![Rdata::Ptr("mail.example.com".into())]),
///     ("mail.example.com", QueryKind::A) => Answer::records(vec![Rdata::A("192.0.2.25".parse().unwrap())]),
///     _ => Answer::NxDomain,
/// });
/// let report = check.report().unwrap();
/// assert_eq!(report.confirmed, ["mail.example.com"]);
/// assert!(report.diagnoses.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct FcrdnsCheck {
    ip: IpAddr,
    helo: Option<String>,
    book: QueryBook,
    names: Option<Vec<String>>,
    report: Option<FcrdnsReport>,
    started: bool,
}

impl FcrdnsCheck {
    /// Checks `ip`; `helo` is the name the server uses in EHLO or its banner, if known.
    pub fn new(ip: IpAddr, helo: Option<&str>) -> FcrdnsCheck {
        FcrdnsCheck {
            ip,
            helo: helo.map(normalize_name),
            book: QueryBook::default(),
            names: None,
            report: None,
            started: false,
        }
    }

    /// The report, once finished.
    pub fn report(&self) -> Option<&FcrdnsReport> {
        self.report.as_ref()
    }

    fn kind(&self) -> QueryKind {
        match self.ip {
            IpAddr::V4(_) => QueryKind::A,
            IpAddr::V6(_) => QueryKind::Aaaa,
        }
    }

    fn advance(&mut self) {
        if self.report.is_some() || self.book.is_waiting() {
            return;
        }
        let reverse = reverse_name(self.ip);
        if !self.started {
            self.started = true;
            self.book.need(&reverse, QueryKind::Ptr);
            return;
        }
        let rule = "fcrdns";
        let Some(names) = self.names.clone() else {
            let answer = self
                .book
                .get(&reverse, QueryKind::Ptr)
                .cloned()
                .unwrap_or(Answer::TempFail);
            let names: Vec<String> = answer
                .rdata()
                .iter()
                .filter_map(|r| match r {
                    Rdata::Ptr(n) => Some(normalize_name(n)),
                    _ => None,
                })
                .take(MAX_NAMES)
                .collect();
            if names.is_empty() {
                let diagnoses = if answer == Answer::TempFail {
                    Vec::new()
                } else {
                    vec![Diagnosis::from_record(
                        DiagnosisClass::FcrdnsMissing,
                        rule,
                        None,
                        format!("{} has no PTR record ({reverse})", self.ip),
                    )]
                };
                self.report = Some(FcrdnsReport {
                    ip: self.ip,
                    names,
                    confirmed: Vec::new(),
                    diagnoses,
                });
                return;
            }
            let kind = self.kind();
            for name in &names {
                self.book.need(name, kind);
            }
            self.names = Some(names);
            return self.advance();
        };
        let kind = self.kind();
        let ip = self.ip;
        let confirmed: Vec<String> = names
            .iter()
            .filter(|n| {
                self.book.get(n, kind).is_some_and(|a| {
                    a.rdata().iter().any(|r| match r {
                        Rdata::A(v4) => IpAddr::V4(*v4) == ip,
                        Rdata::Aaaa(v6) => IpAddr::V6(*v6) == ip,
                        _ => false,
                    })
                })
            })
            .cloned()
            .collect();
        let mut diagnoses = Vec::new();
        if confirmed.is_empty() {
            diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::FcrdnsMismatch,
                rule,
                None,
                format!(
                    "no PTR name of {ip} ({}) resolves back to it",
                    names.join(", ")
                ),
            ));
        } else if let Some(helo) = &self.helo
            && !confirmed.contains(helo)
        {
            diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::FcrdnsMismatch,
                rule,
                None,
                format!(
                    "the server calls itself {helo}, but {ip}'s confirmed name is {}",
                    confirmed.join(", ")
                ),
            ));
        }
        self.report = Some(FcrdnsReport {
            ip,
            names,
            confirmed,
            diagnoses,
        });
    }
}

impl Lookups for FcrdnsCheck {
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

    #[test]
    fn missing_and_mismatch() {
        let ip: IpAddr = "2001:db8::25".parse().unwrap();
        let mut check = FcrdnsCheck::new(ip, None);
        resolve_with(&mut check, |_| Answer::NxDomain);
        assert_eq!(
            check.report().unwrap().diagnoses[0].class(),
            DiagnosisClass::FcrdnsMissing
        );
        let mut check = FcrdnsCheck::new(ip, Some("mx.example.com"));
        resolve_with(&mut check, |q| match q.kind {
            QueryKind::Ptr => Answer::records(vec![Rdata::Ptr("host-25.provider.example.".into())]),
            _ => Answer::records(vec![Rdata::Aaaa("2001:db8::26".parse().unwrap())]),
        });
        let report = check.report().unwrap();
        assert_eq!(report.names, ["host-25.provider.example"]);
        assert_eq!(report.diagnoses[0].class(), DiagnosisClass::FcrdnsMismatch);
    }
}
