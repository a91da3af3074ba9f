//! The record layer: SPF evaluation against viaspf (the Rust SPF implementation with the most
//! users) in the same run, static analysis, and the DMARC and DKIM parsers.
//!
//! Ids:
//! - `spf/<case>/smtp-sansio` and `spf/<case>/viaspf`: `check_host()` of a realistic tree (the
//!   domain's record has an `ip4` list of 20 networks and 4 includes, one of which includes
//!   another; one include has a second list of 20 networks), both answered from the same
//!   in-memory table (no IO, no timer: viaspf without its tokio timeout). Cases: `last-include`
//!   (the address matches in the 4th include: every include is walked, 5 lookups) and
//!   `first-list` (it matches in the domain's own list: no lookup after the first record).
//! - `records/spf-analysis/smtp-sansio`: the static analysis of the same tree (all answers in
//!   memory).
//! - `records/dmarc-parse/smtp-sansio`, `records/dkim-parse/smtp-sansio` (a 2048-bit RSA key:
//!   base64 and SubjectPublicKeyInfo decoding included), `records/spf-parse/smtp-sansio`.

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use criterion::{Criterion, criterion_group, criterion_main};
use smtp_sansio::records::dkim::DkimKey;
use smtp_sansio::records::dmarc::DmarcRecord;
use smtp_sansio::records::spf::{SpfAnalysis, SpfEvaluation, SpfOptions, SpfRecord, SpfResult};
use smtp_sansio::records::{Answer, QueryKind, Rdata, resolve_with};

fn list(prefix: u8, count: u8) -> String {
    (0..count)
        .map(|i| format!("ip4:10.{prefix}.{i}.0/24"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// name → TXT record.
fn tree() -> Vec<(String, String)> {
    vec![
        (
            "example.com".into(),
            format!(
                "v=spf1 {} include:_spf1.example.com include:_spf2.example.com include:spf.mailer.example.net include:_spf.crm.example.org -all",
                list(1, 20)
            ),
        ),
        (
            "_spf1.example.com".into(),
            format!("v=spf1 {} ~all", list(2, 20)),
        ),
        (
            "_spf2.example.com".into(),
            "v=spf1 include:_netblocks.example.com ~all".into(),
        ),
        (
            "_netblocks.example.com".into(),
            "v=spf1 ip4:172.16.0.0/16 ip6:2001:db8:1::/48 ip6:2001:db8:2::/48 ~all".into(),
        ),
        (
            "spf.mailer.example.net".into(),
            "v=spf1 ip4:198.51.100.0/24 ip4:203.0.113.0/25 ~all".into(),
        ),
        (
            "_spf.crm.example.org".into(),
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:3::/48 -all".into(),
        ),
    ]
}

struct Table(HashMap<String, String>);

impl Table {
    fn answer(&self, name: &str, kind: QueryKind) -> Answer {
        match (self.0.get(name), kind) {
            (Some(text), QueryKind::Txt) => Answer::records(vec![Rdata::txt(text.clone())]),
            (Some(_), _) => Answer::NoData,
            (None, _) => Answer::NxDomain,
        }
    }
}

fn sansio(table: &Table, ip: IpAddr, trace: bool) -> SpfResult {
    let options = SpfOptions {
        trace,
        ..SpfOptions::default()
    };
    let mut spf = SpfEvaluation::with_options(ip, "user@example.com", "mail.example.com", options);
    resolve_with(&mut spf, |q| table.answer(&q.name, q.kind));
    spf.outcome().map_or(SpfResult::TempError, |o| o.result)
}

mod via {
    use super::*;
    use viaspf::lookup::{Lookup, LookupError, LookupResult, Name};

    pub struct ViaTable(pub HashMap<String, String>);

    #[async_trait::async_trait]
    impl Lookup for ViaTable {
        async fn lookup_a(&self, _: &Name) -> LookupResult<Vec<Ipv4Addr>> {
            Err(LookupError::NoRecords)
        }
        async fn lookup_aaaa(&self, _: &Name) -> LookupResult<Vec<Ipv6Addr>> {
            Err(LookupError::NoRecords)
        }
        async fn lookup_mx(&self, _: &Name) -> LookupResult<Vec<Name>> {
            Err(LookupError::NoRecords)
        }
        async fn lookup_txt(&self, name: &Name) -> LookupResult<Vec<String>> {
            let key = name.as_str().trim_end_matches('.').to_ascii_lowercase();
            self.0
                .get(&key)
                .map(|t| vec![t.clone()])
                .ok_or(LookupError::NoRecords)
        }
        async fn lookup_ptr(&self, _: IpAddr) -> LookupResult<Vec<Name>> {
            Err(LookupError::NoRecords)
        }
    }
}

/// Polls a future that never waits (the in-memory lookup is always ready).
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn viaspf_eval(table: &via::ViaTable, config: &viaspf::Config, ip: IpAddr) -> viaspf::SpfResult {
    let sender = viaspf::Sender::new("user@example.com").unwrap();
    block_on(viaspf::evaluate_sender(table, config, ip, &sender, None)).spf_result
}

fn bench_spf(c: &mut Criterion) {
    let map: HashMap<String, String> = tree().into_iter().collect();
    let table = Table(map.clone());
    let via_table = via::ViaTable(map);
    let config = viaspf::Config::default();
    let traced = viaspf::Config::builder().capture_trace(true).build();
    let mut group = c.benchmark_group("spf");
    for (case, ip) in [
        ("last-include", IpAddr::from([192, 0, 2, 77])),
        ("first-list", IpAddr::from([10, 1, 7, 9])),
    ] {
        // Both agree before they are timed.
        assert_eq!(sansio(&table, ip, true), SpfResult::Pass);
        assert_eq!(
            viaspf_eval(&via_table, &config, ip),
            viaspf::SpfResult::Pass
        );
        group.bench_function(format!("{case}/smtp-sansio"), |b| {
            b.iter(|| sansio(&table, black_box(ip), true))
        });
        group.bench_function(format!("{case}/viaspf"), |b| {
            b.iter(|| viaspf_eval(&via_table, &config, black_box(ip)))
        });
        group.bench_function(format!("{case}/smtp-sansio-notrace"), |b| {
            b.iter(|| sansio(&table, black_box(ip), false))
        });
        group.bench_function(format!("{case}/viaspf-trace"), |b| {
            b.iter(|| viaspf_eval(&via_table, &traced, black_box(ip)))
        });
    }
    group.finish();
}

const DMARC: &str = "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=r; rua=mailto:dmarc-agg@example.com,mailto:agg@reports.example.net!10m; ruf=mailto:dmarc-fail@example.com; fo=1";

fn dkim_2048() -> String {
    // A 2048-bit RSA SubjectPublicKeyInfo: AlgorithmIdentifier rsaEncryption, then the
    // RSAPublicKey (modulus of 256 octets, exponent 65537) in a BIT STRING.
    let mut rsa = vec![0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00];
    rsa.extend((0..256).map(|i| if i == 0 { 0xc3 } else { (i * 37 % 251) as u8 }));
    rsa.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    let mut bits = vec![0x03, 0x82, 0x01, 0x0f, 0x00];
    bits.extend(&rsa);
    let alg = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut spki = vec![0x30, 0x82, 0x01, 0x22];
    spki.extend(alg);
    spki.extend(&bits);
    use base64::Engine as _;
    format!(
        "v=DKIM1; k=rsa; p={}",
        base64::engine::general_purpose::STANDARD.encode(&spki)
    )
}

fn bench_parsers(c: &mut Criterion) {
    let mut group = c.benchmark_group("records");
    group.bench_function("dmarc-parse/smtp-sansio", |b| {
        b.iter(|| DmarcRecord::parse(black_box(DMARC)).unwrap())
    });
    let dkim = dkim_2048();
    assert!(matches!(
        DkimKey::parse(&dkim).unwrap().public_key,
        smtp_sansio::records::dkim::PublicKey::Rsa { bits: 2048 }
    ));
    group.bench_function("dkim-parse/smtp-sansio", |b| {
        b.iter(|| DkimKey::parse(black_box(&dkim)).unwrap())
    });
    let top = tree()[0].1.clone();
    group.bench_function("spf-parse/smtp-sansio", |b| {
        b.iter(|| SpfRecord::parse(black_box(&top)).unwrap())
    });
    let table = Table(tree().into_iter().collect());
    group.bench_function("spf-analysis/smtp-sansio", |b| {
        b.iter(|| SpfAnalysis::analyse_with(black_box("example.com"), |n, k| table.answer(n, k)))
    });
    group.finish();
}

criterion_group!(benches, bench_spf, bench_parsers);
criterion_main!(benches);
