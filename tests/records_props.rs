//! Property tests of the record layer: SPF results do not depend on how answers are split or
//! ordered; the evaluation never asks more than RFC 7208 s4.6.4 allows; records that parse
//! write back to equal records.

use std::collections::HashMap;
use std::net::IpAddr;

use proptest::prelude::*;
use smtp_sansio::records::dmarc::DmarcRecord;
use smtp_sansio::records::spf::{SpfError, SpfEvaluation, SpfOutcome, SpfRecord, SpfResult};
use smtp_sansio::records::{Answer, Lookups, Query, QueryKind, Rdata};

/// A table zone: (name, type) → answer; anything else NXDOMAIN.
#[derive(Debug, Clone, Default)]
struct Zone(HashMap<(String, QueryKind), Answer>);

impl Zone {
    fn txt(&mut self, name: &str, text: &str) {
        self.0.insert(
            (name.to_owned(), QueryKind::Txt),
            Answer::records(vec![Rdata::txt(text)]),
        );
    }

    fn resolve(&self, q: &Query) -> Answer {
        self.0
            .get(&(q.name.clone(), q.kind))
            .cloned()
            .unwrap_or(Answer::NxDomain)
    }
}

/// Drives an evaluation, answering one outstanding query at a time, picked by `choices`,
/// polling between answers when the choice says so.
fn drive(zone: &Zone, ip: IpAddr, sender: &str, choices: &[u8]) -> (SpfOutcome, Vec<Query>) {
    let mut spf = SpfEvaluation::new(ip, sender, "helo.example.org");
    let mut pending: Vec<Query> = Vec::new();
    let mut asked = Vec::new();
    let mut step = 0usize;
    loop {
        let choice = choices
            .get(step % choices.len().max(1))
            .copied()
            .unwrap_or(0);
        step += 1;
        if pending.is_empty() || choice & 1 == 0 {
            while let Some(q) = spf.poll_query() {
                asked.push(q.clone());
                pending.push(q);
            }
        }
        if pending.is_empty() {
            break;
        }
        let q = pending.remove(usize::from(choice >> 1) % pending.len());
        spf.answer(q.id, zone.resolve(&q)).unwrap();
        assert!(step < 100_000);
    }
    assert!(spf.is_finished());
    (spf.outcome().cloned().unwrap(), asked)
}

fn same(a: &SpfOutcome, b: &SpfOutcome) {
    assert_eq!(a.result, b.result);
    assert_eq!(a.explanation, b.explanation);
    assert_eq!(a.lookups, b.lookups);
    assert_eq!(a.void_lookups, b.void_lookups);
    assert_eq!(a.error, b.error);
    assert_eq!(a.trace, b.trace);
}

const NAMES: &[&str] = &[
    "example.com",
    "a.example.com",
    "b.example.com",
    "c.example.net",
    "mx1.example.com",
    "mx2.example.com",
];

fn term() -> impl Strategy<Value = String> {
    let name = proptest::sample::select(NAMES);
    prop_oneof![
        name.clone().prop_map(|n| format!("include:{n}")),
        name.clone().prop_map(|n| format!("a:{n}")),
        name.clone().prop_map(|n| format!("mx:{n}/24")),
        name.clone().prop_map(|n| format!("exists:{n}")),
        name.clone().prop_map(|n| format!("ptr:{n}")),
        Just("a".to_owned()),
        Just("mx".to_owned()),
        Just("ip4:192.0.2.0/25".to_owned()),
        Just("?ip4:198.51.100.7".to_owned()),
        Just("exists:%{ir}.%{l1r-}.c.example.net".to_owned()),
    ]
}

fn record() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(term(), 0..6),
        proptest::sample::select(vec![
            "",
            " -all",
            " ~all",
            " ?all",
            " redirect=b.example.com",
        ]),
        proptest::bool::ANY,
    )
        .prop_map(|(terms, end, exp)| {
            let mut r = String::from("v=spf1");
            for t in terms {
                r.push(' ');
                r.push_str(&t);
            }
            r.push_str(end);
            if exp {
                r.push_str(" exp=why.example.com");
            }
            r
        })
}

fn address_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        Just(Answer::records(vec![Rdata::A(
            "192.0.2.200".parse().unwrap()
        )])),
        Just(Answer::records(vec![Rdata::A(
            "203.0.113.9".parse().unwrap()
        )])),
        Just(Answer::NoData),
        Just(Answer::NxDomain),
        Just(Answer::TempFail),
    ]
}

fn zone() -> impl Strategy<Value = Zone> {
    (
        proptest::collection::vec(proptest::option::of(record()), NAMES.len()),
        proptest::collection::vec(address_answer(), NAMES.len()),
        proptest::bool::ANY,
    )
        .prop_map(|(records, addresses, ptr)| {
            let mut zone = Zone::default();
            for (i, name) in NAMES.iter().enumerate() {
                if let Some(r) = &records[i] {
                    zone.txt(name, r);
                }
                zone.0
                    .insert(((*name).to_owned(), QueryKind::A), addresses[i].clone());
            }
            zone.0.insert(
                ("example.com".to_owned(), QueryKind::Mx),
                Answer::records(vec![
                    Rdata::Mx {
                        preference: 10,
                        exchange: "mx1.example.com".into(),
                    },
                    Rdata::Mx {
                        preference: 20,
                        exchange: "mx2.example.com".into(),
                    },
                ]),
            );
            zone.txt("why.example.com", "%{i} is not one of %{d}'s servers");
            if ptr {
                zone.0.insert(
                    ("200.2.0.192.in-addr.arpa".to_owned(), QueryKind::Ptr),
                    Answer::records(vec![
                        Rdata::Ptr("mx1.example.com".into()),
                        Rdata::Ptr("b.example.com".into()),
                    ]),
                );
            }
            zone
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any split of the answers and any order of answering gives the same outcome.
    #[test]
    fn answer_order_and_split_do_not_matter(
        zone in zone(),
        a in proptest::collection::vec(any::<u8>(), 1..16),
        b in proptest::collection::vec(any::<u8>(), 1..16),
    ) {
        let ip: IpAddr = "192.0.2.200".parse().unwrap();
        let (first, asked_a) = drive(&zone, ip, "user@example.com", &a);
        let (second, asked_b) = drive(&zone, ip, "user@example.com", &b);
        same(&first, &second);
        // The same questions, whatever the order.
        let key = |qs: &[Query]| {
            let mut k: Vec<(String, QueryKind)> = qs.iter().map(|q| (q.name.clone(), q.kind)).collect();
            k.sort();
            k
        };
        prop_assert_eq!(key(&asked_a), key(&asked_b));
        prop_assert!(first.lookups <= 10);
        prop_assert!(first.void_lookups <= 3);
        prop_assert!(asked_a.len() <= smtp_sansio::fuzzing::max_queries(first.lookups));
    }

    /// A record of N `a:` terms (names with addresses that do not match): up to 10 are
    /// evaluated, each with one query; the 11th ends in permerror without a query.
    #[test]
    fn stops_at_the_eleventh_term(n in 0usize..25, nested in 0usize..4) {
        let mut zone = Zone::default();
        let mut terms: Vec<String> = (0..n).map(|i| format!("a:h{i}.example.com")).collect();
        for i in 0..n {
            zone.0.insert(
                (format!("h{i}.example.com"), QueryKind::A),
                Answer::records(vec![Rdata::A("203.0.113.1".parse().unwrap())]),
            );
        }
        // `nested` includes in a chain, each costing one term, in front.
        for d in 0..nested {
            let inner = format!("i{d}.example.com");
            if d + 1 < nested {
                zone.txt(&inner, &format!("v=spf1 include:i{}.example.com", d + 1));
            } else {
                zone.txt(&inner, "v=spf1 ?all");
            }
        }
        if nested > 0 {
            terms.insert(0, "include:i0.example.com".to_owned());
        }
        let counted = n + nested;
        zone.txt("example.com", &format!("v=spf1 {} -all", terms.join(" ")));
        let (outcome, asked) = drive(&zone, "192.0.2.1".parse().unwrap(), "u@example.com", &[0]);
        let a_queries = asked.iter().filter(|q| q.kind == QueryKind::A).count();
        if counted <= 10 {
            prop_assert_eq!(outcome.result, SpfResult::Fail);
            prop_assert_eq!(outcome.lookups as usize, counted);
            prop_assert_eq!(a_queries, n);
        } else {
            prop_assert_eq!(outcome.result, SpfResult::PermError);
            let too_many = matches!(outcome.error, Some(SpfError::TooManyLookups { .. }));
            prop_assert!(too_many, "{:?}", outcome.error);
            prop_assert_eq!(outcome.lookups, 10);
            prop_assert_eq!(a_queries, 10 - nested);
            prop_assert!(outcome.trace.to_string().contains("lookups 10/10"));
        }
    }

    /// A generated SPF record parses, and writes back to text that parses to an equal record.
    #[test]
    fn spf_records_round_trip(text in record()) {
        let parsed = SpfRecord::parse(&text).unwrap();
        let written = parsed.to_string();
        prop_assert_eq!(SpfRecord::parse(&written).unwrap(), parsed);
    }

    /// Any text that parses as SPF writes back to an equal record.
    #[test]
    fn any_spf_text_that_parses_round_trips(body in "[ -~]{0,60}") {
        let text = format!("v=spf1 {body}");
        if let Ok(parsed) = SpfRecord::parse(&text) {
            prop_assert_eq!(SpfRecord::parse(&parsed.to_string()).unwrap(), parsed);
        }
    }

    /// A generated DMARC record parses and writes back to an equal record.
    #[test]
    fn dmarc_records_round_trip(
        p in proptest::sample::select(vec!["none", "quarantine", "reject"]),
        sp in proptest::option::of(proptest::sample::select(vec!["none", "quarantine", "reject"])),
        pct in proptest::option::of(0u8..=100),
        rua in proptest::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.example(![0-9]{1,3}[kmgt]?)?", 0..3),
        adkim in proptest::option::of(proptest::sample::select(vec!["r", "s"])),
    ) {
        let mut text = format!("v=DMARC1; p={p}");
        if let Some(sp) = sp { text.push_str(&format!("; sp={sp}")); }
        if let Some(a) = adkim { text.push_str(&format!("; adkim={a}")); }
        if !rua.is_empty() {
            let uris: Vec<String> = rua.iter().map(|r| format!("mailto:{r}")).collect();
            text.push_str(&format!("; rua={}", uris.join(",")));
        }
        if let Some(pct) = pct { text.push_str(&format!("; pct={pct}")); }
        let parsed = DmarcRecord::parse(&text).unwrap();
        prop_assert_eq!(DmarcRecord::parse(&parsed.to_string()).unwrap(), parsed);
    }
}
