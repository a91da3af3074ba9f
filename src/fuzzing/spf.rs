use std::collections::HashMap;
use std::net::IpAddr;

use crate::records::spf::{SpfEvaluation, SpfRecord};
use crate::records::{Answer, Lookups, QueryKind, Rdata};

/// Parses `data` as an SPF record (any bytes; `v=spf1 ` is put in front when missing) and
/// checks that a record that parses writes back to text that parses to an equal record, and
/// that errors point inside the record.
pub fn spf_record(data: &[u8]) {
    let mut text = data.to_vec();
    if !crate::records::spf::is_spf_record(&text) {
        let mut with = b"v=spf1 ".to_vec();
        with.extend_from_slice(data);
        text = with;
    }
    match SpfRecord::parse_bytes(&text) {
        Ok(record) => {
            let written = record.to_string();
            let again = SpfRecord::parse(&written)
                .unwrap_or_else(|e| panic!("{written:?} does not parse back: {e}"));
            assert_eq!(again, record, "{written:?}");
            assert_eq!(again.to_string(), written);
        }
        Err(e) => {
            assert!(e.offset <= text.len(), "{e:?}");
            let _ = e.to_string();
        }
    }
}

/// A fixture zone read from the fuzzer's bytes, one record a line:
/// `<name> <TYPE> <value>` with TYPE one of TXT A AAAA MX (`pref host`) PTR, or
/// `<name> TEMPFAIL` / `<name> NODATA`. The first line is the client IP, the second the
/// MAIL FROM; names not listed do not exist.
pub struct FuzzZone {
    records: HashMap<(String, QueryKind), Vec<Rdata>>,
    tempfail: Vec<String>,
    exists: Vec<String>,
}

impl FuzzZone {
    /// Reads the zone and the inputs from `data`.
    pub fn parse(data: &[u8]) -> (FuzzZone, IpAddr, String) {
        let text = String::from_utf8_lossy(data);
        let mut lines = text.lines();
        let ip = lines
            .next()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| IpAddr::from([192, 0, 2, 1]));
        let sender = lines.next().unwrap_or("a@example.com").trim().to_owned();
        let mut zone = FuzzZone {
            records: HashMap::new(),
            tempfail: Vec::new(),
            exists: Vec::new(),
        };
        for line in lines.take(200) {
            let mut parts = line.splitn(3, ' ');
            let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let value = parts.next().unwrap_or("");
            zone.exists.push(name.clone());
            let record = match kind {
                "TEMPFAIL" => {
                    zone.tempfail.push(name);
                    continue;
                }
                "NODATA" => continue,
                "TXT" => (
                    QueryKind::Txt,
                    Rdata::Txt(value.split('|').map(|s| s.as_bytes().to_vec()).collect()),
                ),
                "A" => match value.parse() {
                    Ok(a) => (QueryKind::A, Rdata::A(a)),
                    Err(_) => continue,
                },
                "AAAA" => match value.parse() {
                    Ok(a) => (QueryKind::Aaaa, Rdata::Aaaa(a)),
                    Err(_) => continue,
                },
                "MX" => {
                    let (pref, host) = value.split_once(' ').unwrap_or(("0", value));
                    (
                        QueryKind::Mx,
                        Rdata::Mx {
                            preference: pref.parse().unwrap_or(0),
                            exchange: host.to_owned(),
                        },
                    )
                }
                "PTR" => (QueryKind::Ptr, Rdata::Ptr(value.to_owned())),
                _ => continue,
            };
            zone.records
                .entry((name, record.0))
                .or_default()
                .push(record.1);
        }
        (zone, ip, sender)
    }

    /// The fixture's answer.
    pub fn resolve(&self, name: &str, kind: QueryKind) -> Answer {
        if self.tempfail.iter().any(|n| n == name) {
            return Answer::TempFail;
        }
        match self.records.get(&(name.to_owned(), kind)) {
            Some(records) => Answer::records(records.clone()),
            None if self.exists.iter().any(|n| n == name) => Answer::NoData,
            None => Answer::NxDomain,
        }
    }
}

/// Evaluates SPF over a fuzzer-chosen zone (see [`FuzzZone`]) twice, answering in the order
/// the queries come and in reverse order, and checks: it finishes, the outcomes are equal, the
/// counts stay within RFC 7208 s4.6.4, and the number of queries is bounded by what the
/// counted terms may cost.
pub fn spf_eval(data: &[u8]) {
    let (zone, ip, sender) = FuzzZone::parse(data);
    let forward = run(&zone, ip, &sender, false);
    let backward = run(&zone, ip, &sender, true);
    assert_eq!(forward.result, backward.result);
    assert_eq!(forward.explanation, backward.explanation);
    assert_eq!(forward.lookups, backward.lookups);
    assert_eq!(forward.void_lookups, backward.void_lookups);
    assert_eq!(forward.error, backward.error);
    assert_eq!(forward.trace, backward.trace);
    assert!(forward.lookups <= 10);
    assert!(forward.void_lookups <= 3);
    assert!(
        forward.queries <= max_queries(forward.lookups),
        "{} queries for {} lookups",
        forward.queries,
        forward.lookups
    );
    let _ = forward.trace.to_string();
    let _ = forward.diagnoses();
}

/// The most queries an evaluation may issue for `lookups` counted terms: the first record,
/// one query per term plus up to 10 address lookups for an `mx` or `ptr`, the client's PTR
/// and 10 address lookups for `%{p}`, and the `exp=` record.
pub fn max_queries(lookups: u32) -> usize {
    let lookups = usize::try_from(lookups).unwrap_or(usize::MAX);
    1 + lookups * 11 + 11 + 1
}

fn run(
    zone: &FuzzZone,
    ip: IpAddr,
    sender: &str,
    reverse: bool,
) -> crate::records::spf::SpfOutcome {
    let mut spf = SpfEvaluation::new(ip, sender, "helo.example.org");
    let mut rounds = 0;
    while !spf.is_finished() {
        rounds += 1;
        assert!(rounds < 10_000, "the evaluation does not finish");
        let mut batch = Vec::new();
        while let Some(q) = spf.poll_query() {
            batch.push(q);
        }
        assert!(
            !batch.is_empty() || spf.is_finished(),
            "stalled with nothing to ask"
        );
        if reverse {
            batch.reverse();
        }
        for q in batch {
            spf.answer(q.id, zone.resolve(&q.name, q.kind)).unwrap();
        }
    }
    spf.outcome().cloned().unwrap()
}
