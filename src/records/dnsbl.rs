//! DNS block lists: the query name `<reversed ip>.<zone>` (IPv4 octets or IPv6 nibbles), the
//! meaning of the answers, and a sans-IO check over several lists.
//!
//! A listing answers `127.0.0.x` (x ≥ 2); `127.255.255.252`-`255` (Spamhaus: typing error,
//! public/open resolver, over quota) and `127.0.0.1` (several lists: query refused) say that
//! the *query* was refused, not that the IP is listed; an address outside `127.0.0.0/8` is not
//! a list answer at all (a wildcard, or a list that was shut down).

use std::net::{IpAddr, Ipv4Addr};

use super::query::{
    Answer, Lookups, Query, QueryBook, QueryId, QueryKind, Rdata, UnknownQuery, normalize_name,
    reversed_labels,
};
use super::tags::txt_texts;
use crate::diagnosis::{Diagnosis, DiagnosisClass, DiagnosisSeverity};

/// The name to query for `ip` on `zone`: `2.0.0.127.zen.spamhaus.org`, or 32 nibbles for IPv6.
///
/// ```
/// use smtp_sansio::records::dnsbl::query_name;
/// assert_eq!(query_name("192.0.2.99".parse().unwrap(), "zen.example.org"), "99.2.0.192.zen.example.org");
/// ```
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    format!("{}.{}", reversed_labels(ip), normalize_name(zone))
}

/// What a list said about an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Not listed (NXDOMAIN or no data).
    NotListed,
    /// Listed, with the return codes and the TXT reason when known.
    Listed {
        /// The `127.0.0.x` codes.
        codes: Vec<Ipv4Addr>,
        /// The list's TXT explanation.
        reason: Option<String>,
    },
    /// The list refused the query (the code says why); nothing is known about the address.
    Refused {
        /// The return code.
        code: Ipv4Addr,
    },
    /// An answer that is not a list answer, or a failed lookup.
    Unknown,
}

/// Interprets the A answer of [`query_name`].
pub fn interpret(answer: &Answer) -> Listing {
    match answer {
        Answer::NxDomain | Answer::NoData => Listing::NotListed,
        Answer::TempFail => Listing::Unknown,
        Answer::Records { records, .. } => {
            let codes: Vec<Ipv4Addr> = records
                .iter()
                .filter_map(|r| match r {
                    Rdata::A(a) => Some(*a),
                    _ => None,
                })
                .collect();
            if let Some(code) = codes.iter().find(|c| is_refusal(**c)) {
                return Listing::Refused { code: *code };
            }
            if codes.is_empty() || !codes.iter().all(|c| c.octets()[0] == 127) {
                return Listing::Unknown;
            }
            Listing::Listed {
                codes,
                reason: None,
            }
        }
    }
}

fn is_refusal(code: Ipv4Addr) -> bool {
    let [a, b, c, d] = code.octets();
    (a, b, c) == (127, 255, 255) || (a, b, c, d) == (127, 0, 0, 1)
}

/// What [`DnsblCheck`] found, per list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsblReport {
    /// The address checked.
    pub ip: IpAddr,
    /// Each zone and what it said.
    pub listings: Vec<(String, Listing)>,
    /// `dnsbl_listed` per listing, `dnsbl_query_refused` per refusal.
    pub diagnoses: Vec<Diagnosis>,
}

/// Checks an address on several lists: all A queries at once, then the TXT reasons of the
/// lists that list it.
///
/// ```
/// use smtp_sansio::records::{resolve_with, Answer, QueryKind, Rdata};
/// use smtp_sansio::records::dnsbl::{DnsblCheck, Listing};
///
/// let mut check = DnsblCheck::new("192.0.2.99".parse().unwrap(), &["bl.example.org", "zen.example.net"]);
/// resolve_with(&mut check, |q| match (q.name.as_str(), q.kind) {
///     ("99.2.0.192.bl.example.org", QueryKind::A) => Answer::records(vec![Rdata::A("127.0.0.2".parse().unwrap())]),
///     ("99.2.0.192.bl.example.org", QueryKind::Txt) => Answer::records(vec![Rdata::txt("spam seen")]),
///     ("99.2.0.192.zen.example.net", QueryKind::A) => Answer::records(vec![Rdata::A("127.255.255.254".parse().unwrap())]),
///     _ => Answer::NxDomain,
/// });
/// let report = check.report().unwrap();
/// assert!(matches!(&report.listings[0].1, Listing::Listed { reason: Some(r), .. } if r == "spam seen"));
/// assert!(matches!(report.listings[1].1, Listing::Refused { .. }));
/// ```
#[derive(Debug, Clone)]
pub struct DnsblCheck {
    ip: IpAddr,
    zones: Vec<String>,
    book: QueryBook,
    phase: u8,
    report: Option<DnsblReport>,
}

impl DnsblCheck {
    /// Checks `ip` on each of `zones`.
    pub fn new(ip: IpAddr, zones: &[&str]) -> DnsblCheck {
        DnsblCheck {
            ip,
            zones: zones.iter().map(|z| normalize_name(z)).collect(),
            book: QueryBook::default(),
            phase: 0,
            report: None,
        }
    }

    /// The report, once finished.
    pub fn report(&self) -> Option<&DnsblReport> {
        self.report.as_ref()
    }

    fn listings(&self) -> Vec<(String, Listing)> {
        self.zones
            .iter()
            .map(|zone| {
                let name = query_name(self.ip, zone);
                let mut listing = self
                    .book
                    .get(&name, QueryKind::A)
                    .map_or(Listing::Unknown, interpret);
                if let Listing::Listed { reason, .. } = &mut listing {
                    *reason = self
                        .book
                        .get(&name, QueryKind::Txt)
                        .map(txt_texts)
                        .filter(|t| !t.is_empty())
                        .map(|t| t.join(" "));
                }
                (zone.clone(), listing)
            })
            .collect()
    }

    fn advance(&mut self) {
        if self.report.is_some() || self.book.is_waiting() {
            return;
        }
        match self.phase {
            0 => {
                self.phase = 1;
                for zone in self.zones.clone() {
                    self.book.need(&query_name(self.ip, &zone), QueryKind::A);
                }
                if !self.book.is_waiting() {
                    self.advance();
                }
            }
            1 => {
                self.phase = 2;
                for (zone, listing) in self.listings() {
                    if matches!(listing, Listing::Listed { .. }) {
                        self.book.need(&query_name(self.ip, &zone), QueryKind::Txt);
                    }
                }
                if !self.book.is_waiting() {
                    self.advance();
                }
            }
            _ => {
                let listings = self.listings();
                let mut diagnoses = Vec::new();
                for (zone, listing) in &listings {
                    match listing {
                        Listing::Listed { codes, reason } => {
                            let codes: Vec<String> =
                                codes.iter().map(ToString::to_string).collect();
                            diagnoses.push(Diagnosis::from_record(
                                DiagnosisClass::DnsblListed,
                                "dnsbl",
                                reason.as_deref(),
                                format!("{} is listed on {zone} ({})", self.ip, codes.join(", ")),
                            ));
                        }
                        Listing::Refused { code } => {
                            diagnoses.push(Diagnosis::from_record_with_severity(
                                DiagnosisClass::DnsblQueryRefused,
                                DiagnosisSeverity::Info,
                                "dnsbl",
                                None,
                                format!(
                                    "{zone} answered {code}: the query was refused (public or open resolver, or over quota); query from a resolver of your own, the answer says nothing about {}",
                                    self.ip
                                ),
                            ));
                        }
                        Listing::NotListed | Listing::Unknown => {}
                    }
                }
                self.report = Some(DnsblReport {
                    ip: self.ip,
                    listings,
                    diagnoses,
                });
            }
        }
    }
}

impl Lookups for DnsblCheck {
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

    fn a(code: &str) -> Answer {
        Answer::records(vec![Rdata::A(code.parse().unwrap())])
    }

    /// RFC 5782 s5: every IPv4 list answers for 127.0.0.2 and never lists 127.0.0.1; IPv6
    /// lists answer for ::FFFF:7F00:2.
    #[test]
    fn rfc5782_test_points() {
        assert_eq!(
            query_name("127.0.0.2".parse().unwrap(), "dnsbl.example.net"),
            "2.0.0.127.dnsbl.example.net"
        );
        assert_eq!(
            query_name("::ffff:7f00:2".parse().unwrap(), "dnsbl.example.net"),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.dnsbl.example.net"
        );
    }

    #[test]
    fn codes() {
        assert_eq!(interpret(&Answer::NxDomain), Listing::NotListed);
        assert!(matches!(interpret(&a("127.0.0.2")), Listing::Listed { .. }));
        assert!(matches!(
            interpret(&a("127.0.0.11")),
            Listing::Listed { .. }
        ));
        for refused in [
            "127.255.255.252",
            "127.255.255.254",
            "127.255.255.255",
            "127.0.0.1",
        ] {
            assert!(
                matches!(interpret(&a(refused)), Listing::Refused { .. }),
                "{refused}"
            );
        }
        assert_eq!(interpret(&a("192.0.2.1")), Listing::Unknown);
        assert_eq!(
            query_name("2001:db8::1".parse().unwrap(), "bl.example"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example"
        );
    }
}
