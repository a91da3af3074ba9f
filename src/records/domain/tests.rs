//! The whole domain check against a fixture resolver: a table of answers, edited per class of
//! DIAGNOSES.md s4.12.

use std::collections::HashMap;

use super::*;
use crate::records::resolve_with;

/// A 2048-bit RSA SubjectPublicKeyInfo (made with `openssl genrsa 2048`).
const KEY_2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtN/IMdBWIVx0ZydqADghYfP/KVETEH83kqwEuhFLlPPwq1C4wj/6G1zZXLZjwCMeZg9uuO70wzTjLQJb1VI+OCFh2dtHWbGq2hrR0Mj2GwxNe7YA2WrM9xuPbwpMmnZuG0N6VWMra7hpoSmYXfCFJq7ea6BMwxmNSFGNinjneF7un2g+s6pWDB2cyWoh9MVY9o6Hf87QBAxDqz2cuqfLdVWYdvvRQHOIkaO5Zfa+aH0hOTJeilv/oCtb7n3nJkKGkYPbXpG6hMRq6+c6fb5RCc4XOE1yAU2YxrQHUeKgjqx4SztszSvf3x+qHEadRh/YJp6ylUDwMNeCiGD2NXb2MQIDAQAB";

/// RFC 6376 Appendix C's 1024-bit key.
const KEY_1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

/// The association data of `3 0 1` for the fake one-certificate chain `[CHAIN_CERT]`: selector 0
/// hashes the certificate's octets as they are, so any octets do.
const CHAIN_CERT: &[u8] = b"not a real certificate";

struct Zone {
    answers: HashMap<(String, QueryKind), Answer>,
    asked: Vec<(String, QueryKind)>,
}

fn txt(text: &str) -> Answer {
    Answer::records(vec![Rdata::txt(text)])
}

fn a(ip: &str) -> Answer {
    Answer::records(vec![Rdata::A(ip.parse().unwrap())])
}

impl Zone {
    /// example.org, which passes every check: MX with an address and a confirmed PTR, SPF
    /// `mx -all`, DMARC reject with reports, a 2048-bit DKIM key at `sel`, MTA-STS enforce,
    /// TLS-RPT, TLSA `3 0 1` signed.
    fn sound() -> Zone {
        let mut zone = Zone {
            answers: HashMap::new(),
            asked: Vec::new(),
        };
        zone.set(
            "example.org",
            QueryKind::Mx,
            Answer::records(vec![Rdata::Mx {
                preference: 10,
                exchange: "mx.example.org".into(),
            }]),
        );
        zone.set("mx.example.org", QueryKind::A, a("192.0.2.25"));
        zone.set(
            "25.2.0.192.in-addr.arpa",
            QueryKind::Ptr,
            Answer::records(vec![Rdata::Ptr("mx.example.org".into())]),
        );
        zone.set("example.org", QueryKind::Txt, txt("v=spf1 mx -all"));
        zone.set(
            "_dmarc.example.org",
            QueryKind::Txt,
            txt("v=DMARC1; p=reject; rua=mailto:dmarc@example.org"),
        );
        zone.set(
            "sel._domainkey.example.org",
            QueryKind::Txt,
            txt(&format!("v=DKIM1; k=rsa; p={KEY_2048}")),
        );
        zone.set(
            "_mta-sts.example.org",
            QueryKind::Txt,
            txt("v=STSv1; id=20240101"),
        );
        zone.set("mta-sts.example.org", QueryKind::A, a("192.0.2.80"));
        zone.set(
            "_smtp._tls.example.org",
            QueryKind::Txt,
            txt("v=TLSRPTv1; rua=mailto:tlsrpt@example.org"),
        );
        zone.set("_25._tcp.mx.example.org", QueryKind::Tlsa, tlsa_for_chain());
        zone
    }

    fn set(&mut self, name: &str, kind: QueryKind, answer: Answer) {
        self.answers.insert((name.to_owned(), kind), answer);
    }

    fn resolve(&mut self, query: &Query) -> Answer {
        self.asked.push((query.name.clone(), query.kind));
        self.answers
            .get(&(query.name.clone(), query.kind))
            .cloned()
            .unwrap_or(Answer::NxDomain)
    }
}

#[cfg(feature = "dane")]
fn tlsa_for_chain() -> Answer {
    use sha2::{Digest, Sha256};
    Answer::authenticated(vec![Rdata::Tlsa(TlsaRecord {
        usage: 3,
        selector: 0,
        matching: 1,
        data: Sha256::digest(CHAIN_CERT).to_vec(),
    })])
}

#[cfg(not(feature = "dane"))]
fn tlsa_for_chain() -> Answer {
    Answer::authenticated(vec![Rdata::Tlsa(
        TlsaRecord::parse("3 0 1 0000000000000000000000000000000000000000000000000000000000000000")
            .unwrap(),
    )])
}

const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 86400\n";

fn options() -> DomainOptions {
    let mut options = DomainOptions::new("example.org");
    options.dkim_selectors = vec!["sel".into()];
    options
}

/// Runs the check to the end: DNS, the policy fetch, the chain of the MX.
fn run(zone: &mut Zone, options: DomainOptions, policy: &str) -> DomainReport {
    let mut check = DomainCheck::new(options);
    resolve_with(&mut check, |q| zone.resolve(q));
    assert!(check.is_finished());
    if let Some(request) = check.policy_request() {
        assert_eq!(
            request.url,
            "https://mta-sts.example.org/.well-known/mta-sts.txt"
        );
        check.policy_fetched(PolicyFetch::Fetched(policy.to_owned()));
    }
    for target in check.smtp_targets() {
        check.tls_chain(&target.host, vec![CHAIN_CERT.to_vec()]);
    }
    check.report()
}

fn classes(report: &DomainReport) -> Vec<&'static str> {
    report
        .checks
        .iter()
        .flat_map(|c| c.diagnoses.iter().map(|d| d.class().as_str()))
        .collect()
}

/// Runs a variant of the sound zone and returns the check's status and classes.
fn variant(
    kind: CheckKind,
    edit: impl FnOnce(&mut Zone, &mut DomainOptions),
    policy: &str,
) -> (CheckStatus, Vec<&'static str>, DomainReport) {
    let mut zone = Zone::sound();
    let mut options = options();
    edit(&mut zone, &mut options);
    let report = run(&mut zone, options, policy);
    let check = report
        .checks
        .iter()
        .find(|c| c.check == kind && c.status != CheckStatus::Pass)
        .or_else(|| report.check(kind))
        .unwrap();
    let classes = check.diagnoses.iter().map(|d| d.class().as_str()).collect();
    (check.status, classes, report)
}

#[test]
fn the_sound_domain_passes_every_check() {
    let mut zone = Zone::sound();
    let mut options = options();
    options.ip = Some("192.0.2.25".parse().unwrap());
    options.dnsbl_zones = vec!["bl.example.net".into()];
    let report = run(&mut zone, options, POLICY);
    assert_eq!(classes(&report), Vec::<&str>::new(), "{}", report.text());
    let statuses: Vec<(&str, &str)> = report
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.status.as_str()))
        .collect();
    let mut expected = vec![
        ("mx", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
        ("dkim", "pass"),
        ("mta-sts", "pass"),
        ("tls-rpt", "pass"),
    ];
    if cfg!(feature = "dane") {
        expected.push(("dane", "pass"));
    } else {
        expected.push(("dane", "info"));
    }
    expected.extend([
        ("fcrdns", "pass"),
        ("fcrdns", "pass"),
        ("dnsbl", "pass"),
        ("dnsbl", "pass"),
    ]);
    assert_eq!(statuses, expected, "{}", report.text());
    let spf = report.check(CheckKind::Spf).unwrap().spf.clone().unwrap();
    assert_eq!((spf.lookups, spf.void_lookups), (1, 0));
    assert_eq!(spf.result, Some(SpfResult::Pass));
    assert_eq!(report.mta_sts_mode(), Some(Mode::Enforce));
    let json = report.to_json();
    assert!(json.starts_with(r#"{"name":"example.org","checks":[{"check":"mx","status":"pass","records":["10 mx.example.org (192.0.2.25)"]"#), "{json}");
    assert!(
        json.contains(r#""lookups":1,"void_lookups":0,"result":"pass","ip":"192.0.2.25""#),
        "{json}"
    );
    // The sending IP is the MX here: its PTR is asked once for both checks.
    let ptrs = zone
        .asked
        .iter()
        .filter(|(_, kind)| *kind == QueryKind::Ptr)
        .count();
    assert_eq!(ptrs, 1, "{:?}", zone.asked);
}

#[test]
fn each_name_and_type_is_asked_once() {
    let mut zone = Zone::sound();
    let mut options = options();
    options.ip = Some("192.0.2.7".parse().unwrap());
    run(&mut zone, options, POLICY);
    let mut asked = zone.asked.clone();
    asked.sort();
    let before = asked.len();
    asked.dedup();
    // SPF analysis and evaluation both read example.org TXT and the MX, once.
    assert_eq!(before, asked.len(), "{:?}", zone.asked);
}

#[test]
fn the_first_round_offers_every_independent_query_at_once() {
    let mut check = DomainCheck::new(options());
    let mut first = Vec::new();
    while let Some(query) = check.poll_query() {
        first.push((query.name, query.kind));
    }
    for expected in [
        ("example.org", QueryKind::Mx),
        ("example.org", QueryKind::Txt),
        ("_dmarc.example.org", QueryKind::Txt),
        ("sel._domainkey.example.org", QueryKind::Txt),
        ("_mta-sts.example.org", QueryKind::Txt),
        ("mta-sts.example.org", QueryKind::A),
        ("_smtp._tls.example.org", QueryKind::Txt),
    ] {
        assert!(
            first.contains(&(expected.0.to_owned(), expected.1)),
            "{expected:?} not in {first:?}"
        );
    }
    assert!(!check.is_finished());
}

// ---- one test per class -------------------------------------------------------------------

#[test]
fn mx_missing_falls_back_to_the_domain_address() {
    let (status, classes, report) = variant(
        CheckKind::Mx,
        |zone, _| {
            zone.answers.remove(&("example.org".into(), QueryKind::Mx));
            zone.set("example.org", QueryKind::Mx, Answer::NoData);
            zone.set("example.org", QueryKind::A, a("192.0.2.30"));
        },
        POLICY,
    );
    assert_eq!((status, classes), (CheckStatus::Warn, vec!["mx_missing"]));
    let mx = report.check(CheckKind::Mx).unwrap();
    assert_eq!(
        mx.note.as_deref(),
        Some("implicit MX: example.org (192.0.2.30)")
    );
}

#[test]
fn null_mx_is_info_and_checks_no_server() {
    let mut zone = Zone::sound();
    zone.set(
        "example.org",
        QueryKind::Mx,
        Answer::records(vec![Rdata::Mx {
            preference: 0,
            exchange: ".".into(),
        }]),
    );
    let mut check = DomainCheck::new(options());
    resolve_with(&mut check, |q| zone.resolve(q));
    assert!(check.smtp_targets().is_empty());
    let report = check.report();
    assert!(report.null_mx);
    let mx = report.check(CheckKind::Mx).unwrap();
    assert_eq!(mx.status, CheckStatus::Info);
    assert_eq!(mx.diagnoses[0].class(), DiagnosisClass::NullMx);
    assert_eq!(
        report.check(CheckKind::Dane).unwrap().status,
        CheckStatus::Skip
    );
}

#[test]
fn mx_target_invalid_for_an_mx_without_address() {
    let (status, classes, _) = variant(
        CheckKind::Mx,
        |zone, _| {
            zone.answers
                .remove(&("mx.example.org".into(), QueryKind::A));
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["mx_target_invalid"])
    );
}

fn spf_variant(record: &str) -> (CheckStatus, Vec<&'static str>) {
    let record = record.to_owned();
    let (status, classes, _) = variant(
        CheckKind::Spf,
        move |zone, _| zone.set("example.org", QueryKind::Txt, txt(&record)),
        POLICY,
    );
    (status, classes)
}

#[test]
fn spf_missing() {
    let (status, classes, _) = variant(
        CheckKind::Spf,
        |zone, _| {
            zone.set(
                "example.org",
                QueryKind::Txt,
                txt("google-site-verification=x"),
            )
        },
        POLICY,
    );
    assert_eq!((status, classes), (CheckStatus::Warn, vec!["spf_missing"]));
}

#[test]
fn spf_multiple_records() {
    let (status, classes, _) = variant(
        CheckKind::Spf,
        |zone, _| {
            zone.set(
                "example.org",
                QueryKind::Txt,
                Answer::records(vec![
                    Rdata::txt("v=spf1 -all"),
                    Rdata::txt("v=spf1 mx -all"),
                ]),
            )
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["spf_multiple_records"])
    );
}

#[test]
fn spf_syntax_error() {
    assert_eq!(
        spf_variant("v=spf1 ip4:192.0.2.0/33 -all"),
        (CheckStatus::Fail, vec!["spf_syntax_error"])
    );
}

#[test]
fn spf_too_many_lookups() {
    let (status, classes) = spf_variant(
        "v=spf1 a:a1.example.org a:a2.example.org a:a3.example.org a:a4.example.org a:a5.example.org a:a6.example.org a:a7.example.org a:a8.example.org a:a9.example.org a:a10.example.org a:a11.example.org -all",
    );
    assert_eq!(status, CheckStatus::Fail);
    assert!(classes.contains(&"spf_too_many_lookups"), "{classes:?}");
}

#[test]
fn spf_too_many_void_lookups() {
    let (status, classes) =
        spf_variant("v=spf1 a:gone1.example.org a:gone2.example.org a:gone3.example.org mx -all");
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["spf_too_many_void_lookups"])
    );
}

#[test]
fn spf_include_missing() {
    let (status, classes) = spf_variant("v=spf1 include:_spf.gone.example.net mx -all");
    assert_eq!(status, CheckStatus::Fail);
    assert_eq!(classes[0], "spf_include_missing");
}

#[test]
fn spf_permissive_all() {
    assert_eq!(
        spf_variant("v=spf1 mx ?all"),
        (CheckStatus::Warn, vec!["spf_permissive_all"])
    );
}

#[test]
fn spf_ptr_used() {
    let (status, classes) = spf_variant("v=spf1 ptr mx -all");
    assert_eq!(status, CheckStatus::Warn);
    assert_eq!(classes, vec!["spf_ptr_used"]);
}

#[test]
fn spf_ip_not_permitted() {
    let (status, classes, report) = variant(
        CheckKind::Spf,
        |_, options| options.ip = Some("198.51.100.9".parse().unwrap()),
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["spf_ip_not_permitted"])
    );
    let spf = report.check(CheckKind::Spf).unwrap().spf.clone().unwrap();
    assert_eq!(spf.result, Some(SpfResult::Fail));
}

#[test]
fn spf_temporary_error() {
    let (status, classes, _) = variant(
        CheckKind::Spf,
        |zone, options| {
            zone.set("example.org", QueryKind::Txt, Answer::TempFail);
            options.ip = Some("192.0.2.25".parse().unwrap());
        },
        POLICY,
    );
    assert_eq!(status, CheckStatus::Warn);
    assert_eq!(classes, vec!["spf_temporary_error"]);
}

fn dmarc_variant(record: &str) -> (CheckStatus, Vec<&'static str>) {
    let record = record.to_owned();
    let (status, classes, _) = variant(
        CheckKind::Dmarc,
        move |zone, _| zone.set("_dmarc.example.org", QueryKind::Txt, txt(&record)),
        POLICY,
    );
    (status, classes)
}

#[test]
fn dmarc_missing() {
    let (status, classes, _) = variant(
        CheckKind::Dmarc,
        |zone, _| {
            zone.answers
                .remove(&("_dmarc.example.org".into(), QueryKind::Txt));
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Warn, vec!["dmarc_missing"])
    );
}

#[test]
fn dmarc_multiple_records() {
    let (status, classes, _) = variant(
        CheckKind::Dmarc,
        |zone, _| {
            zone.set(
                "_dmarc.example.org",
                QueryKind::Txt,
                Answer::records(vec![
                    Rdata::txt("v=DMARC1; p=reject; rua=mailto:d@example.org"),
                    Rdata::txt("v=DMARC1; p=none"),
                ]),
            )
        },
        POLICY,
    );
    assert_eq!(status, CheckStatus::Fail);
    assert_eq!(classes[0], "dmarc_multiple_records");
}

#[test]
fn dmarc_syntax_error() {
    let (status, classes) = dmarc_variant("v=DMARC1; p=block; rua=mailto:d@example.org");
    assert_eq!(status, CheckStatus::Fail);
    assert_eq!(classes[0], "dmarc_syntax_error");
}

#[test]
fn dmarc_policy_none() {
    assert_eq!(
        dmarc_variant("v=DMARC1; p=none; rua=mailto:d@example.org"),
        (CheckStatus::Warn, vec!["dmarc_policy_none"])
    );
}

#[test]
fn dmarc_subdomain_policy_weaker() {
    assert_eq!(
        dmarc_variant("v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org"),
        (CheckStatus::Warn, vec!["dmarc_subdomain_policy_weaker"])
    );
}

#[test]
fn dmarc_no_reports() {
    assert_eq!(
        dmarc_variant("v=DMARC1; p=reject"),
        (CheckStatus::Info, vec!["dmarc_no_reports"])
    );
}

#[test]
fn dmarc_report_destination_unauthorized() {
    assert_eq!(
        dmarc_variant("v=DMARC1; p=reject; rua=mailto:d@reports.example.net"),
        (
            CheckStatus::Warn,
            vec!["dmarc_report_destination_unauthorized"]
        )
    );
}

#[test]
fn dmarc_removed_tags() {
    assert_eq!(
        dmarc_variant("v=DMARC1; p=reject; pct=100; rua=mailto:d@example.org"),
        (CheckStatus::Info, vec!["dmarc_removed_tags"])
    );
}

fn dkim_variant(answer: Answer) -> (CheckStatus, Vec<&'static str>) {
    let (status, classes, _) = variant(
        CheckKind::Dkim,
        move |zone, _| zone.set("sel._domainkey.example.org", QueryKind::Txt, answer),
        POLICY,
    );
    (status, classes)
}

#[test]
fn dkim_key_missing() {
    assert_eq!(
        dkim_variant(Answer::NxDomain),
        (CheckStatus::Fail, vec!["dkim_key_missing"])
    );
}

#[test]
fn dkim_key_revoked() {
    assert_eq!(
        dkim_variant(txt("v=DKIM1; p=")),
        (CheckStatus::Fail, vec!["dkim_key_revoked"])
    );
}

#[test]
fn dkim_key_weak() {
    assert_eq!(
        dkim_variant(txt(&format!("v=DKIM1; p={KEY_1024}"))),
        (CheckStatus::Warn, vec!["dkim_key_weak"])
    );
}

#[test]
fn dkim_syntax_error() {
    assert_eq!(
        dkim_variant(txt("v=DKIM1; k=dsa; p=AAAA")),
        (CheckStatus::Fail, vec!["dkim_syntax_error"])
    );
}

#[test]
fn dkim_testing_mode() {
    assert_eq!(
        dkim_variant(txt(&format!("v=DKIM1; t=y; p={KEY_2048}"))),
        (CheckStatus::Info, vec!["dkim_testing_mode"])
    );
}

#[test]
fn dkim_without_selector_is_skipped() {
    let (status, classes, _) = variant(
        CheckKind::Dkim,
        |_, options| options.dkim_selectors.clear(),
        POLICY,
    );
    assert_eq!((status, classes), (CheckStatus::Skip, vec![]));
}

#[test]
fn mta_sts_missing() {
    let (status, classes, report) = variant(
        CheckKind::MtaSts,
        |zone, _| {
            zone.answers
                .remove(&("_mta-sts.example.org".into(), QueryKind::Txt));
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Info, vec!["mta_sts_missing"])
    );
    assert_eq!(report.mta_sts_mode(), None);
}

#[test]
fn mta_sts_syntax_error() {
    let (status, classes, _) = variant(
        CheckKind::MtaSts,
        |_, _| {},
        "version: STSv1\nmode: strict\n",
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["mta_sts_syntax_error"])
    );
}

#[test]
fn mta_sts_policy_unavailable() {
    let mut zone = Zone::sound();
    let mut check = DomainCheck::new(options());
    resolve_with(&mut check, |q| zone.resolve(q));
    let request = check.policy_request().unwrap();
    assert_eq!(request.host, "mta-sts.example.org");
    assert_eq!(
        request.addresses,
        vec!["192.0.2.80".parse::<IpAddr>().unwrap()]
    );
    check.policy_fetched(PolicyFetch::Failed("connection refused".into()));
    let report = check.report();
    let sts = report.check(CheckKind::MtaSts).unwrap();
    assert_eq!(sts.status, CheckStatus::Fail);
    assert_eq!(
        sts.diagnoses[0].class(),
        DiagnosisClass::MtaStsPolicyUnavailable
    );
}

#[test]
fn mta_sts_mx_mismatch() {
    let (status, classes, _) = variant(
        CheckKind::MtaSts,
        |_, _| {},
        "version: STSv1\nmode: enforce\nmx: mail.example.net\nmax_age: 86400\n",
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["mta_sts_mx_mismatch"])
    );
}

#[test]
fn mta_sts_testing() {
    let (status, classes, _) = variant(
        CheckKind::MtaSts,
        |_, _| {},
        "version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400\n",
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Info, vec!["mta_sts_testing"])
    );
}

#[test]
fn tls_rpt_missing() {
    let (status, classes, _) = variant(
        CheckKind::TlsRpt,
        |zone, _| {
            zone.answers
                .remove(&("_smtp._tls.example.org".into(), QueryKind::Txt));
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Info, vec!["tls_rpt_missing"])
    );
}

#[test]
fn tls_rpt_syntax_error() {
    let (status, classes, _) = variant(
        CheckKind::TlsRpt,
        |zone, _| {
            zone.set(
                "_smtp._tls.example.org",
                QueryKind::Txt,
                txt("v=TLSRPTv1; rua=ftp://x"),
            )
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["tls_rpt_syntax_error"])
    );
}

#[cfg(feature = "dane")]
#[test]
fn dane_tlsa_mismatch() {
    let (status, classes, report) = variant(
        CheckKind::Dane,
        |zone, _| {
            zone.set(
                "_25._tcp.mx.example.org",
                QueryKind::Tlsa,
                Answer::authenticated(vec![Rdata::Tlsa(
                    TlsaRecord::parse(&format!("3 1 1 {}", "AB".repeat(32))).unwrap(),
                )]),
            )
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Fail, vec!["dane_tlsa_mismatch"])
    );
    let dane = report.check(CheckKind::Dane).unwrap();
    assert!(
        dane.diagnoses[0]
            .detail()
            .unwrap()
            .contains("_25._tcp.mx.example.org")
    );
}

#[test]
fn dane_unsigned() {
    let (status, classes, _) = variant(
        CheckKind::Dane,
        |zone, _| {
            let records = zone.answers[&("_25._tcp.mx.example.org".to_owned(), QueryKind::Tlsa)]
                .rdata()
                .to_vec();
            zone.set(
                "_25._tcp.mx.example.org",
                QueryKind::Tlsa,
                Answer::records(records),
            );
        },
        POLICY,
    );
    assert_eq!(status, CheckStatus::Info);
    assert_eq!(classes, vec!["dane_unsigned"]);
}

#[test]
fn dane_uses_the_port_of_the_check() {
    let mut zone = Zone::sound();
    let mut options = options();
    options.port = 2525;
    let report = run(&mut zone, options, POLICY);
    assert!(
        zone.asked
            .contains(&("_2525._tcp.mx.example.org".to_owned(), QueryKind::Tlsa))
    );
    let dane = report.check(CheckKind::Dane).unwrap();
    assert_eq!(dane.status, CheckStatus::Info);
    assert!(
        dane.note
            .as_deref()
            .unwrap()
            .contains("_2525._tcp.mx.example.org")
    );
}

#[test]
fn fcrdns_missing() {
    let (status, classes, _) = variant(
        CheckKind::Fcrdns,
        |_, options| options.ip = Some("198.51.100.9".parse().unwrap()),
        POLICY,
    );
    assert_eq!(status, CheckStatus::Fail);
    assert_eq!(classes, vec!["fcrdns_missing"]);
}

#[test]
fn fcrdns_missing_for_an_mx_is_a_warning() {
    let (status, classes, _) = variant(
        CheckKind::Fcrdns,
        |zone, _| {
            zone.answers
                .remove(&("25.2.0.192.in-addr.arpa".into(), QueryKind::Ptr));
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Warn, vec!["fcrdns_missing"])
    );
}

#[test]
fn fcrdns_mismatch() {
    let (status, classes, report) = variant(
        CheckKind::Fcrdns,
        |zone, _| {
            zone.set(
                "25.2.0.192.in-addr.arpa",
                QueryKind::Ptr,
                Answer::records(vec![Rdata::Ptr("host-192-0-2-25.provider.example".into())]),
            )
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Warn, vec!["fcrdns_mismatch"])
    );
    let reverse = report.reverse_name("192.0.2.25".parse().unwrap()).unwrap();
    assert_eq!(reverse.names, ["host-192-0-2-25.provider.example"]);
    assert!(reverse.confirmed.is_empty());
}

#[test]
fn dnsbl_listed() {
    let (status, classes, report) = variant(
        CheckKind::Dnsbl,
        |zone, options| {
            options.dnsbl_zones = vec!["bl.example.net".into()];
            zone.set("25.2.0.192.bl.example.net", QueryKind::A, a("127.0.0.2"));
            zone.set(
                "25.2.0.192.bl.example.net",
                QueryKind::Txt,
                txt("listed: spam seen"),
            );
        },
        POLICY,
    );
    assert_eq!((status, classes), (CheckStatus::Fail, vec!["dnsbl_listed"]));
    let dnsbl = report.check(CheckKind::Dnsbl).unwrap();
    assert_eq!(
        dnsbl.records,
        ["bl.example.net: listed (127.0.0.2): listed: spam seen"]
    );
}

#[test]
fn dnsbl_query_refused() {
    let (status, classes, _) = variant(
        CheckKind::Dnsbl,
        |zone, options| {
            options.dnsbl_zones = vec!["zen.example.net".into()];
            zone.set(
                "25.2.0.192.zen.example.net",
                QueryKind::A,
                a("127.255.255.254"),
            );
        },
        POLICY,
    );
    assert_eq!(
        (status, classes),
        (CheckStatus::Info, vec!["dnsbl_query_refused"])
    );
}

// ---- failed lookups ------------------------------------------------------------------------

#[test]
fn a_failed_lookup_is_a_dns_failure_with_the_resolver_s_reason() {
    let mut zone = Zone::sound();
    let mut check = DomainCheck::new(options());
    loop {
        let mut batch = Vec::new();
        while let Some(query) = check.poll_query() {
            batch.push(query);
        }
        if batch.is_empty() {
            break;
        }
        for query in batch {
            if query.name == "_dmarc.example.org" {
                check.answer_failed(query.id, "SERVFAIL").unwrap();
            } else if query.name == "example.org" && query.kind == QueryKind::Mx {
                check
                    .answer_failed(query.id, "timed out after 2 s")
                    .unwrap();
            } else {
                let answer = zone.resolve(&query);
                check.answer(query.id, answer).unwrap();
            }
        }
    }
    assert!(check.is_finished());
    assert!(check.smtp_targets().is_empty());
    let report = check.report();
    let dmarc = report.check(CheckKind::Dmarc).unwrap();
    assert_eq!(dmarc.status, CheckStatus::Fail);
    assert_eq!(dmarc.diagnoses.len(), 1, "{:?}", dmarc.diagnoses);
    assert_eq!(dmarc.diagnoses[0].class(), DiagnosisClass::DnsFailure);
    assert_eq!(dmarc.diagnoses[0].severity(), DiagnosisSeverity::Transient);
    assert!(
        dmarc.diagnoses[0]
            .detail()
            .unwrap()
            .contains("_dmarc.example.org failed (SERVFAIL)")
    );
    let mx = report.check(CheckKind::Mx).unwrap();
    assert_eq!(mx.diagnoses[0].class(), DiagnosisClass::DnsFailure);
    assert!(
        mx.diagnoses[0]
            .detail()
            .unwrap()
            .contains("timed out after 2 s")
    );
    assert!(report.failed());
}

#[test]
fn strangers_and_repeated_answers_are_refused() {
    let mut check = DomainCheck::new(options());
    let query = check.poll_query().unwrap();
    assert_eq!(
        check.answer(QueryId(999), Answer::NoData),
        Err(UnknownQuery(QueryId(999)))
    );
    check.answer(query.id, Answer::NoData).unwrap();
    assert_eq!(
        check.answer(query.id, Answer::NoData),
        Err(UnknownQuery(query.id))
    );
}

#[test]
fn all_mx_checks_every_mx_with_an_address_and_the_server_option_replaces_them() {
    let mut zone = Zone::sound();
    zone.set(
        "example.org",
        QueryKind::Mx,
        Answer::records(vec![
            Rdata::Mx {
                preference: 10,
                exchange: "mx.example.org".into(),
            },
            Rdata::Mx {
                preference: 20,
                exchange: "mx2.example.org".into(),
            },
        ]),
    );
    zone.set("mx2.example.org", QueryKind::A, a("192.0.2.26"));
    let mut options = options();
    let mut check = DomainCheck::new(options.clone());
    resolve_with(&mut check, |q| zone.resolve(q));
    let hosts: Vec<String> = check.smtp_targets().into_iter().map(|t| t.host).collect();
    assert_eq!(hosts, ["mx.example.org"]);
    options.all_mx = true;
    let mut check = DomainCheck::new(options.clone());
    resolve_with(&mut check, |q| zone.resolve(q));
    let hosts: Vec<String> = check.smtp_targets().into_iter().map(|t| t.host).collect();
    assert_eq!(hosts, ["mx.example.org", "mx2.example.org"]);
    let report = check.report();
    let dane: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.check == CheckKind::Dane)
        .map(|c| c.subject.as_str())
        .collect();
    assert_eq!(dane, ["mx.example.org", "mx2.example.org"]);
    options.all_mx = false;
    options.server = Some("submit.example.org".into());
    zone.set("submit.example.org", QueryKind::A, a("192.0.2.40"));
    let mut check = DomainCheck::new(options);
    resolve_with(&mut check, |q| zone.resolve(q));
    let targets = check.smtp_targets();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].host, "submit.example.org");
    assert_eq!(
        targets[0].addresses,
        ["192.0.2.40".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn the_text_is_escaped() {
    let (_, _, report) = variant(
        CheckKind::Dmarc,
        |zone, _| {
            zone.set(
                "_dmarc.example.org",
                QueryKind::Txt,
                txt("v=DMARC1; p=reject; rua=mailto:d@example.org; x=\x1b[31mred"),
            )
        },
        POLICY,
    );
    let text = report.text();
    assert!(!text.contains('\x1b'), "{text}");
    assert!(text.contains("Domain example.org"));
}

proptest::proptest! {
    /// DESIGN s7: the result does not depend on the order of the answers.
    #[test]
    fn answers_in_any_order_give_the_same_report(seed in proptest::prelude::any::<u64>()) {
        let mut zone = Zone::sound();
        let mut options = options();
        options.ip = Some("192.0.2.25".parse().unwrap());
        options.dnsbl_zones = vec!["bl.example.net".into()];
        zone.set("example.org", QueryKind::Txt, txt("v=spf1 a:gone.example.org include:_spf.example.net mx ~all"));
        zone.set("_spf.example.net", QueryKind::Txt, txt("v=spf1 ip4:198.51.100.0/24 -all"));
        let expected = run(&mut Zone { answers: zone.answers.clone(), asked: Vec::new() }, options.clone(), POLICY).to_json();
        let mut check = DomainCheck::new(options);
        let mut state = seed;
        loop {
            let mut batch = Vec::new();
            while let Some(query) = check.poll_query() {
                batch.push(query);
            }
            if batch.is_empty() {
                break;
            }
            // A seeded shuffle, answering part of the batch before polling again.
            while !batch.is_empty() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let index = usize::try_from(state >> 33).unwrap_or(0) % batch.len();
                let query = batch.swap_remove(index);
                let answer = zone.resolve(&query);
                check.answer(query.id, answer).unwrap();
                if state % 3 == 0 {
                    while let Some(query) = check.poll_query() {
                        batch.push(query);
                    }
                }
            }
        }
        proptest::prop_assert!(check.is_finished());
        if let Some(request) = check.policy_request() {
            let _ = request;
            check.policy_fetched(PolicyFetch::Fetched(POLICY.to_owned()));
        }
        for target in check.smtp_targets() {
            check.tls_chain(&target.host, vec![CHAIN_CERT.to_vec()]);
        }
        proptest::prop_assert_eq!(check.report().to_json(), expected);
    }
}

#[test]
fn a_long_word_is_shortened_for_the_terminal() {
    let key = "A".repeat(300) + "IDAQAB";
    let record = format!("v=DKIM1; k=rsa; p={key}");
    assert_eq!(
        elide_long_words(&record),
        "v=DKIM1; k=rsa; p=AAAAAAAAAAAA...AAIDAQAB (306 characters)"
    );
    // Short words, separators and non-ASCII text pass through unchanged.
    assert_eq!(elide_long_words("v=spf1 mx -all"), "v=spf1 mx -all");
    assert_eq!(elide_long_words("é; ü  x;"), "é; ü  x;");
}
