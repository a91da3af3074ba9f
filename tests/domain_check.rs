//! `check --domain` end to end: the built `check` example against a real authoritative DNS
//! server on loopback (hickory-server in this process, `support/dns_server.rs`), an HTTPS
//! server for the MTA-STS policy (`support/https_server.rs`, a test CA), and the interop
//! Postfix of `scripts/mailserver.sh` as the MX (its certificate names `mx.example.test`).
//!
//! Every test serves its own zones, so every test can call its domain `example.test`; one
//! test per class of DIAGNOSES.md s4.12, a sound domain that passes everything, a SERVFAIL and
//! a resolver timeout. Tests that need Postfix print why they are skipped when it is not
//! running; the others need nothing but the example binary.

#[path = "support/dns_server.rs"]
mod dns;
#[path = "support/https_server.rs"]
mod https;
#[path = "support/mailserver.rs"]
mod mailserver;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use dns::{DnsServer, Faults, TempDir, Zone};

/// A 2048-bit RSA SubjectPublicKeyInfo (`openssl genrsa 2048`), split as TXT strings must be.
const KEY_2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtN/IMdBWIVx0ZydqADghYfP/KVETEH83kqwEuhFLlPPwq1C4wj/6G1zZXLZjwCMeZg9uuO70wzTjLQJb1VI+OCFh2dtHWbGq2hrR0Mj2GwxNe7YA2WrM9xuPbwpMmnZuG0N6VWMra7hpoSmYXfCFJq7ea6BMwxmNSFGNinjneF7un2g+s6pWDB2cyWoh9MVY9o6Hf87QBAxDqz2cuqfLdVWYdvvRQHOIkaO5Zfa+aH0hOTJeilv/oCtb7n3nJkKGkYPbXpG6hMRq6+c6fb5RCc4XOE1yAU2YxrQHUeKgjqx4SztszSvf3x+qHEadRh/YJp6ylUDwMNeCiGD2NXb2MQIDAQAB";
/// RFC 6376 Appendix C's 1024-bit key.
const KEY_1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmx: mx2.example.test\r\nmax_age: 86400\r\n";

// ---- the example ------------------------------------------------------------------------------

fn example_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?;
    let path = dir
        .join("examples")
        .join(format!("check{}", std::env::consts::EXE_SUFFIX));
    if path.exists() {
        Some(path)
    } else {
        println!(
            "skipped: {} is not built (run the whole `cargo test`)",
            path.display()
        );
        None
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs the example, killing it after 60 s.
fn run_example(binary: &PathBuf, args: &[String]) -> Run {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let deadline = started + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the check example ran for more than 60 s: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().expect("output");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        took: started.elapsed(),
    }
}

// ---- the fixture ------------------------------------------------------------------------------

/// The zone of `example.test`, record by record, and everything around it.
struct Setup {
    records: Vec<(String, String, String)>,
    extra: Vec<Zone>,
    reverse: Vec<(String, String, String)>,
    signed: bool,
    faults: Faults,
    /// `None`: nothing listens on the policy port.
    policy: Option<https::Answer>,
    args: Vec<String>,
    /// Check the MX over SMTP (needs Postfix).
    smtp: bool,
    /// The TLSA record at `_<port>._tcp.mx`: by default `3 1 1` of the Postfix certificate,
    /// when it can be read.
    tlsa: Option<String>,
    /// The MX port instead of Postfix's MX port.
    mx_port: Option<u16>,
}

/// What a run found.
struct Outcome {
    run: Run,
    json: Value,
}

impl Outcome {
    /// The checks as (check, status, classes).
    fn checks(&self) -> Vec<(String, String, Vec<String>)> {
        self.json["domain"]["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .map(|c| {
                (
                    c["check"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap().to_owned(),
                    c["diagnoses"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| d["class"].as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect()
    }

    /// The (status, classes) of the first `check` that is not a pass, else of the first.
    fn check(&self, check: &str) -> (String, Vec<String>) {
        let checks = self.checks();
        let found = checks
            .iter()
            .find(|c| c.0 == check && c.1 != "pass")
            .or_else(|| checks.iter().find(|c| c.0 == check))
            .unwrap_or_else(|| panic!("no {check} check in {}", self.run.stdout));
        (found.1.clone(), found.2.clone())
    }

    fn check_json(&self, check: &str) -> Value {
        self.json["domain"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == check)
            .cloned()
            .unwrap()
    }

    /// Asserts the check's status and its classes.
    fn expect(&self, check: &str, status: &str, classes: &[&str]) {
        let (got_status, got_classes) = self.check(check);
        assert_eq!(
            (got_status.as_str(), got_classes.clone()),
            (status, classes.iter().map(|c| c.to_string()).collect()),
            "{check} in\n{}",
            self.run.stdout
        );
    }
}

impl Setup {
    fn sound() -> Setup {
        let mut setup = Setup {
            records: Vec::new(),
            extra: Vec::new(),
            reverse: vec![("1".into(), "PTR".into(), "mx.example.test.".into())],
            signed: false,
            faults: Faults::default(),
            policy: Some(https::Answer::policy(POLICY)),
            args: vec!["--dkim-selector".into(), "sel".into()],
            smtp: false,
            tlsa: None,
            mx_port: None,
        };
        let (head, tail) = KEY_2048.split_at(200);
        for (owner, kind, data) in [
            ("@", "MX", "10 mx.example.test.".to_owned()),
            ("ns", "A", "127.0.0.1".to_owned()),
            ("mx", "A", "127.0.0.1".to_owned()),
            ("@", "TXT", "\"v=spf1 mx -all\"".to_owned()),
            (
                "_dmarc",
                "TXT",
                "\"v=DMARC1; p=reject; rua=mailto:dmarc@example.test\"".to_owned(),
            ),
            (
                "sel._domainkey",
                "TXT",
                format!("\"v=DKIM1; k=rsa; p={head}\" \"{tail}\""),
            ),
            ("_mta-sts", "TXT", "\"v=STSv1; id=20240101\"".to_owned()),
            ("mta-sts", "A", "127.0.0.1".to_owned()),
            (
                "_smtp._tls",
                "TXT",
                "\"v=TLSRPTv1; rua=mailto:tlsrpt@example.test\"".to_owned(),
            ),
        ] {
            setup.set(owner, kind, &data);
        }
        setup
    }

    /// Replaces every record of `owner` and `kind` with one.
    fn set(&mut self, owner: &str, kind: &str, data: &str) -> &mut Setup {
        self.remove(owner, kind);
        self.add(owner, kind, data)
    }

    fn add(&mut self, owner: &str, kind: &str, data: &str) -> &mut Setup {
        self.records
            .push((owner.to_owned(), kind.to_owned(), data.to_owned()));
        self
    }

    fn remove(&mut self, owner: &str, kind: &str) -> &mut Setup {
        self.records.retain(|(o, k, _)| !(o == owner && k == kind));
        self
    }

    fn arg(&mut self, args: &[&str]) -> &mut Setup {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Runs the example against the servers; `None` (after saying why) when a server it
    /// needs is missing.
    fn run(&mut self, test: &str) -> Option<Outcome> {
        let binary = example_binary()?;
        let postfix = if self.smtp {
            Some(mailserver::running(test)?)
        } else {
            None
        };
        let dir = TempDir::new("domain-check");
        let mut args: Vec<String> = vec![
            "--domain".into(),
            "example.test".into(),
            "--json".into(),
            "--timeout".into(),
            "2".into(),
        ];
        let mut ca = String::new();
        let https = self
            .policy
            .clone()
            .map(|answer| https::serve("mta-sts.example.test", answer));
        let https_port = match &https {
            Some(server) => {
                ca.push_str(&server.ca_pem);
                server.addr.port()
            }
            // A port nothing listens on: the fetch is refused.
            None => closed_port(),
        };
        args.extend(["--mta-sts-port".into(), https_port.to_string()]);
        let mx_port = match &postfix {
            Some(server) => {
                ca.push_str(&std::fs::read_to_string(&server.ca).expect("the Postfix CA"));
                self.mx_port.unwrap_or(server.mx)
            }
            None => self.mx_port.unwrap_or(2525),
        };
        // DANE-EE, the key's digest ("3 1 1"): what survives a renewal with the same key.
        let tlsa = self.tlsa.clone().or_else(|| {
            postfix_certificate().map(|cert| format!("3 1 1 {}", spki_sha256_hex(&cert)))
        });
        if let Some(tlsa) = tlsa {
            self.set(&format!("_{mx_port}._tcp.mx"), "TLSA", &tlsa);
        }
        if self.smtp {
            args.extend(["--mx-port".into(), mx_port.to_string()]);
        } else if !self.args.iter().any(|a| a == "--server") {
            args.extend(["--no-smtp".into(), "--mx-port".into(), mx_port.to_string()]);
        }
        let ca_file = dir.0.join("ca.pem");
        if !ca.is_empty() {
            std::fs::write(&ca_file, &ca).expect("CA file");
            args.extend(["--ca".into(), ca_file.display().to_string()]);
        }
        let server = self.serve();
        args.extend(["--resolver".into(), server.addr.to_string()]);
        if let Some(anchor) = &server.trust_anchor {
            args.extend(["--trust-anchor".into(), anchor.display().to_string()]);
        }
        args.extend(self.args.iter().cloned());
        let run = run_example(&binary, &args);
        drop(server);
        let json = run.json();
        Some(Outcome { run, json })
    }

    fn serve(&self) -> DnsServer {
        let lines = |records: &[(String, String, String)]| -> String {
            records
                .iter()
                .map(|(o, k, d)| format!("{o} IN {k} {d}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut zone = Zone::new("example.test", &lines(&self.records));
        if self.signed {
            zone = zone.signed();
        }
        // The parents are served too, so that a name nobody published is NXDOMAIN, not
        // REFUSED (the DMARC tree walk asks `_dmarc.test`).
        let mut zones = vec![
            zone,
            Zone::new("0.0.127.in-addr.arpa", &lines(&self.reverse)),
            Zone::new("test", ""),
            Zone::new("net", ""),
        ];
        zones.extend(self.extra.iter().map(|z| Zone {
            origin: z.origin.clone(),
            text: z.text.clone(),
            signed: z.signed,
        }));
        dns::serve(zones, self.faults.clone())
    }
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The Postfix server certificate (DER), when the interop server's variables are set.
fn postfix_certificate() -> Option<Vec<u8>> {
    let path = std::env::var_os("SMTP_SANSIO_CERT")?;
    let pem = std::fs::read(path).ok()?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).ok()?;
    Some(pem.contents)
}

fn spki_sha256_hex(cert: &[u8]) -> String {
    use sha2::Digest;
    let spki = smtp_sansio::records::dane::subject_public_key_info(cert).expect("a certificate");
    sha2::Sha256::digest(spki)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---- the sound domain ---------------------------------------------------------------------

#[test]
fn the_sound_domain_passes_every_check_with_its_mx_over_dane_and_mta_sts() {
    let mut setup = Setup::sound();
    setup.signed = true;
    setup.smtp = true;
    setup.extra.push(Zone::new("bl.test", ""));
    setup.arg(&["--ip", "127.0.0.1", "--dnsbl", "bl.test"]);
    let Some(outcome) = setup.run("the_sound_domain") else {
        return;
    };
    let checks = outcome.checks();
    for (check, status, classes) in &checks {
        assert_eq!(
            (status.as_str(), classes.len()),
            ("pass", 0),
            "{check} in\n{}",
            outcome.run.stdout
        );
    }
    let kinds: Vec<&str> = checks.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "mx", "spf", "dmarc", "dkim", "mta-sts", "tls-rpt", "dane", "fcrdns", "fcrdns",
            "dnsbl", "dnsbl"
        ]
    );
    let dane = outcome.check_json("dane");
    assert!(
        dane["records"]
            .as_array()
            .unwrap()
            .contains(&Value::from("DNSSEC: authenticated")),
        "{dane}"
    );
    assert!(dane["note"].as_str().unwrap().contains("matches"), "{dane}");
    let spf = outcome.check_json("spf");
    assert_eq!(
        (&spf["lookups"], &spf["void_lookups"], &spf["result"]),
        (&Value::from(1), &Value::from(0), &Value::from("pass"))
    );
    // The SMTP report of the MX is the top level; STARTTLS verified for mx.example.test.
    let json = &outcome.json;
    assert!(
        json["server"]
            .as_str()
            .unwrap()
            .starts_with("mx.example.test:")
    );
    let steps: Vec<(&str, &str)> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert!(steps.contains(&("starttls", "pass")), "{steps:?}");
    assert_eq!(json["tls"]["verified"], true);
    assert_eq!(json["mx_servers"].as_array().unwrap().len(), 1);
    // The test Postfix advertises SIZE 200000: the SMTP report warns about that, nothing else.
    assert_ne!(json["verdict"], "fail", "{}", outcome.run.stdout);
    assert_eq!(outcome.run.code, Some(0), "{}", outcome.run.stderr);
}

#[test]
fn the_human_output_has_a_domain_section_before_the_smtp_steps() {
    let mut setup = Setup::sound();
    setup.args.retain(|a| a != "--json");
    let Some(binary) = example_binary() else {
        return;
    };
    let server = setup.serve();
    let https = https::serve("mta-sts.example.test", https::Answer::policy(POLICY));
    let dir = TempDir::new("human");
    let ca = dir.0.join("ca.pem");
    std::fs::write(&ca, &https.ca_pem).unwrap();
    let run = run_example(
        &binary,
        &[
            "--domain".into(),
            "example.test".into(),
            "--no-smtp".into(),
            "--resolver".into(),
            server.addr.to_string(),
            "--ca".into(),
            ca.display().to_string(),
            "--mta-sts-port".into(),
            https.addr.port().to_string(),
            "--dkim-selector".into(),
            "sel".into(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let stdout = &run.stdout;
    for expected in [
        "Domain example.test\n",
        "  PASS  mx                     10 mx.example.test (127.0.0.1)\n",
        "  PASS  spf                    v=spf1 mx -all\n",
        "        lookups 1/10, void 0/2\n",
        "  PASS  mta-sts",
        "policy: mode enforce; mx mx.example.test, mx2.example.test; max_age 86400",
        "  SKIP  dnsbl",
        "Overall: PASS",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

// ---- MX ------------------------------------------------------------------------------------

#[test]
fn mx_missing() {
    let mut setup = Setup::sound();
    setup.remove("@", "MX").set("@", "A", "127.0.0.1");
    let Some(outcome) = setup.run("mx_missing") else {
        return;
    };
    outcome.expect("mx", "warn", &["mx_missing"]);
    assert_eq!(
        outcome.check_json("mx")["note"],
        "implicit MX: example.test (127.0.0.1)"
    );
}

#[test]
fn null_mx() {
    let mut setup = Setup::sound();
    setup.set("@", "MX", "0 .");
    setup.smtp = true;
    let Some(outcome) = setup.run("null_mx") else {
        return;
    };
    outcome.expect("mx", "info", &["null_mx"]);
    // No server is checked for a domain that accepts no mail.
    assert_eq!(outcome.json["server"], Value::Null);
    assert_eq!(outcome.json["mx_servers"].as_array().unwrap().len(), 0);
}

#[test]
fn mx_target_invalid() {
    let mut setup = Setup::sound();
    setup
        .add("@", "MX", "20 alias.example.test.")
        .set("alias", "CNAME", "mx.example.test.");
    let Some(outcome) = setup.run("mx_target_invalid") else {
        return;
    };
    outcome.expect("mx", "fail", &["mx_target_invalid"]);
    assert_eq!(outcome.run.code, Some(1));
}

// ---- SPF -----------------------------------------------------------------------------------

fn spf(test: &str, record: &str, extra: &[&str]) -> Option<Outcome> {
    let mut setup = Setup::sound();
    setup.set("@", "TXT", &format!("\"{record}\""));
    setup.arg(extra);
    setup.run(test)
}

#[test]
fn spf_missing() {
    let mut setup = Setup::sound();
    setup.set("@", "TXT", "\"google-site-verification=abc\"");
    let Some(outcome) = setup.run("spf_missing") else {
        return;
    };
    outcome.expect("spf", "warn", &["spf_missing"]);
}

#[test]
fn spf_multiple_records() {
    let mut setup = Setup::sound();
    setup.add("@", "TXT", "\"v=spf1 -all\"");
    let Some(outcome) = setup.run("spf_multiple_records") else {
        return;
    };
    outcome.expect("spf", "fail", &["spf_multiple_records"]);
}

#[test]
fn spf_syntax_error() {
    let Some(outcome) = spf("spf_syntax_error", "v=spf1 ip4:192.0.2.0/33 -all", &[]) else {
        return;
    };
    outcome.expect("spf", "fail", &["spf_syntax_error"]);
}

#[test]
fn spf_too_many_lookups() {
    let terms: Vec<String> = (1..=11).map(|i| format!("a:h{i}.example.test")).collect();
    let mut setup = Setup::sound();
    setup.set("@", "TXT", &format!("\"v=spf1 {} -all\"", terms.join(" ")));
    for i in 1..=11 {
        setup.set(&format!("h{i}"), "A", "192.0.2.1");
    }
    let Some(outcome) = setup.run("spf_too_many_lookups") else {
        return;
    };
    outcome.expect("spf", "fail", &["spf_too_many_lookups"]);
    assert_eq!(outcome.check_json("spf")["lookups"], 11);
}

#[test]
fn spf_too_many_void_lookups() {
    let Some(outcome) = spf(
        "spf_too_many_void_lookups",
        "v=spf1 a:gone1.example.test a:gone2.example.test a:gone3.example.test mx -all",
        &[],
    ) else {
        return;
    };
    outcome.expect("spf", "fail", &["spf_too_many_void_lookups"]);
    assert_eq!(outcome.check_json("spf")["void_lookups"], 3);
}

#[test]
fn spf_include_missing() {
    let Some(outcome) = spf(
        "spf_include_missing",
        "v=spf1 include:_spf.gone.example.test mx -all",
        &[],
    ) else {
        return;
    };
    let (status, classes) = outcome.check("spf");
    assert_eq!(status, "fail");
    assert_eq!(classes[0], "spf_include_missing", "{}", outcome.run.stdout);
}

#[test]
fn spf_permissive_all() {
    let Some(outcome) = spf("spf_permissive_all", "v=spf1 mx ?all", &[]) else {
        return;
    };
    outcome.expect("spf", "warn", &["spf_permissive_all"]);
}

#[test]
fn spf_ptr_used() {
    let Some(outcome) = spf("spf_ptr_used", "v=spf1 ptr mx -all", &[]) else {
        return;
    };
    outcome.expect("spf", "warn", &["spf_ptr_used"]);
}

#[test]
fn spf_ip_not_permitted() {
    let mut setup = Setup::sound();
    setup
        .reverse
        .push(("9".into(), "PTR".into(), "mx.example.test.".into()));
    setup.arg(&["--ip", "127.0.0.9"]);
    let Some(outcome) = setup.run("spf_ip_not_permitted") else {
        return;
    };
    outcome.expect("spf", "fail", &["spf_ip_not_permitted"]);
    assert_eq!(outcome.check_json("spf")["result"], "fail");
    assert_eq!(outcome.run.code, Some(1));
}

#[test]
fn spf_temporary_error() {
    let mut setup = Setup::sound();
    setup.set("@", "TXT", "\"v=spf1 include:_spf.broken.test mx -all\"");
    setup.faults.servfail.push("_spf.broken.test".into());
    setup.arg(&["--ip", "127.0.0.1"]);
    let Some(outcome) = setup.run("spf_temporary_error") else {
        return;
    };
    outcome.expect("spf", "warn", &["spf_temporary_error"]);
    assert_eq!(outcome.check_json("spf")["result"], "temperror");
}

// ---- DMARC ---------------------------------------------------------------------------------

fn dmarc(test: &str, record: &str) -> Option<Outcome> {
    let mut setup = Setup::sound();
    setup.set("_dmarc", "TXT", &format!("\"{record}\""));
    setup.run(test)
}

#[test]
fn dmarc_missing() {
    let mut setup = Setup::sound();
    setup.remove("_dmarc", "TXT");
    let Some(outcome) = setup.run("dmarc_missing") else {
        return;
    };
    outcome.expect("dmarc", "warn", &["dmarc_missing"]);
}

#[test]
fn dmarc_multiple_records() {
    let mut setup = Setup::sound();
    setup.add("_dmarc", "TXT", "\"v=DMARC1; p=none\"");
    let Some(outcome) = setup.run("dmarc_multiple_records") else {
        return;
    };
    let (status, classes) = outcome.check("dmarc");
    assert_eq!(status, "fail");
    assert_eq!(classes[0], "dmarc_multiple_records");
}

#[test]
fn dmarc_syntax_error() {
    let Some(outcome) = dmarc(
        "dmarc_syntax_error",
        "v=DMARC1; p=block; rua=mailto:d@example.test",
    ) else {
        return;
    };
    let (status, classes) = outcome.check("dmarc");
    assert_eq!(status, "fail");
    assert_eq!(classes[0], "dmarc_syntax_error");
}

#[test]
fn dmarc_policy_none() {
    let Some(outcome) = dmarc(
        "dmarc_policy_none",
        "v=DMARC1; p=none; rua=mailto:d@example.test",
    ) else {
        return;
    };
    outcome.expect("dmarc", "warn", &["dmarc_policy_none"]);
}

#[test]
fn dmarc_subdomain_policy_weaker() {
    let Some(outcome) = dmarc(
        "dmarc_subdomain_policy_weaker",
        "v=DMARC1; p=reject; sp=none; rua=mailto:d@example.test",
    ) else {
        return;
    };
    outcome.expect("dmarc", "warn", &["dmarc_subdomain_policy_weaker"]);
}

#[test]
fn dmarc_no_reports() {
    let Some(outcome) = dmarc("dmarc_no_reports", "v=DMARC1; p=reject") else {
        return;
    };
    outcome.expect("dmarc", "info", &["dmarc_no_reports"]);
    assert_eq!(outcome.run.code, Some(0));
}

#[test]
fn dmarc_report_destination_unauthorized() {
    let Some(outcome) = dmarc(
        "dmarc_report_destination_unauthorized",
        "v=DMARC1; p=reject; rua=mailto:d@reports.example.net",
    ) else {
        return;
    };
    outcome.expect("dmarc", "warn", &["dmarc_report_destination_unauthorized"]);
}

#[test]
fn dmarc_removed_tags() {
    let Some(outcome) = dmarc(
        "dmarc_removed_tags",
        "v=DMARC1; p=reject; pct=100; rua=mailto:d@example.test",
    ) else {
        return;
    };
    outcome.expect("dmarc", "info", &["dmarc_removed_tags"]);
}

// ---- DKIM ----------------------------------------------------------------------------------

fn dkim(test: &str, record: Option<&str>) -> Option<Outcome> {
    let mut setup = Setup::sound();
    match record {
        Some(record) => setup.set("sel._domainkey", "TXT", record),
        None => setup.remove("sel._domainkey", "TXT"),
    };
    setup.run(test)
}

#[test]
fn dkim_key_missing() {
    let Some(outcome) = dkim("dkim_key_missing", None) else {
        return;
    };
    outcome.expect("dkim", "fail", &["dkim_key_missing"]);
}

#[test]
fn dkim_key_revoked() {
    let Some(outcome) = dkim("dkim_key_revoked", Some("\"v=DKIM1; p=\"")) else {
        return;
    };
    outcome.expect("dkim", "fail", &["dkim_key_revoked"]);
}

#[test]
fn dkim_key_weak() {
    let Some(outcome) = dkim("dkim_key_weak", Some(&format!("\"v=DKIM1; p={KEY_1024}\""))) else {
        return;
    };
    outcome.expect("dkim", "warn", &["dkim_key_weak"]);
}

#[test]
fn dkim_syntax_error() {
    let Some(outcome) = dkim("dkim_syntax_error", Some("\"v=DKIM1; k=dsa; p=AAAA\"")) else {
        return;
    };
    outcome.expect("dkim", "fail", &["dkim_syntax_error"]);
}

#[test]
fn dkim_testing_mode() {
    let (head, tail) = KEY_2048.split_at(200);
    let Some(outcome) = dkim(
        "dkim_testing_mode",
        Some(&format!("\"v=DKIM1; t=y; p={head}\" \"{tail}\"")),
    ) else {
        return;
    };
    outcome.expect("dkim", "info", &["dkim_testing_mode"]);
}

// ---- MTA-STS -------------------------------------------------------------------------------

#[test]
fn mta_sts_missing() {
    let mut setup = Setup::sound();
    setup.remove("_mta-sts", "TXT");
    let Some(outcome) = setup.run("mta_sts_missing") else {
        return;
    };
    outcome.expect("mta-sts", "info", &["mta_sts_missing"]);
}

#[test]
fn mta_sts_syntax_error() {
    let mut setup = Setup::sound();
    setup.policy = Some(https::Answer::policy(
        "version: STSv1\r\nmode: strict\r\nmax_age: 86400\r\n",
    ));
    let Some(outcome) = setup.run("mta_sts_syntax_error") else {
        return;
    };
    outcome.expect("mta-sts", "fail", &["mta_sts_syntax_error"]);
}

#[test]
fn mta_sts_policy_unavailable() {
    let mut setup = Setup::sound();
    setup.policy = None;
    let Some(outcome) = setup.run("mta_sts_policy_unavailable") else {
        return;
    };
    outcome.expect("mta-sts", "fail", &["mta_sts_policy_unavailable"]);
    let mut setup = Setup::sound();
    setup.policy = Some(https::Answer {
        status: "404 Not Found",
        content_type: "text/html",
        body: "<h1>not here</h1>".into(),
    });
    let Some(outcome) = setup.run("mta_sts_policy_unavailable") else {
        return;
    };
    outcome.expect("mta-sts", "fail", &["mta_sts_policy_unavailable"]);
    let detail = outcome.check_json("mta-sts")["diagnoses"][0]["detail"].clone();
    assert!(detail.as_str().unwrap().contains("404"), "{detail}");
}

#[test]
fn mta_sts_mx_mismatch() {
    let mut setup = Setup::sound();
    setup.policy = Some(https::Answer::policy(
        "version: STSv1\r\nmode: enforce\r\nmx: mail.example.net\r\nmax_age: 86400\r\n",
    ));
    let Some(outcome) = setup.run("mta_sts_mx_mismatch") else {
        return;
    };
    outcome.expect("mta-sts", "fail", &["mta_sts_mx_mismatch"]);
}

#[test]
fn mta_sts_testing() {
    let mut setup = Setup::sound();
    setup.policy = Some(https::Answer::policy(
        "version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\nmax_age: 86400\r\n",
    ));
    let Some(outcome) = setup.run("mta_sts_testing") else {
        return;
    };
    outcome.expect("mta-sts", "info", &["mta_sts_testing"]);
}

#[test]
fn mta_sts_enforce_without_starttls_fails_the_mx() {
    let Some(postfix) = mailserver::running("mta_sts_enforce_without_starttls") else {
        return;
    };
    let mut setup = Setup::sound();
    setup.smtp = true;
    // The Postfix port without STARTTLS, checked with STARTTLS optional: the policy alone
    // makes the missing STARTTLS a failure.
    setup.mx_port = Some(postfix.plain);
    setup.arg(&["--tls", "starttls-optional"]);
    let Some(outcome) = setup.run("mta_sts_enforce_without_starttls") else {
        return;
    };
    let steps = outcome.json["steps"].as_array().unwrap();
    let starttls = steps.iter().find(|s| s["step"] == "starttls").unwrap();
    assert_eq!(starttls["status"], "fail", "{}", outcome.run.stdout);
    assert_eq!(starttls["diagnoses"][0]["class"], "tls_not_offered");
    assert!(
        starttls["diagnoses"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("MTA-STS policy in mode enforce")
    );
    assert_eq!(outcome.run.code, Some(1));
}

// ---- TLS-RPT -------------------------------------------------------------------------------

#[test]
fn tls_rpt_missing() {
    let mut setup = Setup::sound();
    setup.remove("_smtp._tls", "TXT");
    let Some(outcome) = setup.run("tls_rpt_missing") else {
        return;
    };
    outcome.expect("tls-rpt", "info", &["tls_rpt_missing"]);
}

#[test]
fn tls_rpt_syntax_error() {
    let mut setup = Setup::sound();
    setup.set(
        "_smtp._tls",
        "TXT",
        "\"v=TLSRPTv1; rua=ftp://reports.example.test\"",
    );
    let Some(outcome) = setup.run("tls_rpt_syntax_error") else {
        return;
    };
    outcome.expect("tls-rpt", "fail", &["tls_rpt_syntax_error"]);
}

// ---- DANE ----------------------------------------------------------------------------------

#[test]
fn dane_tlsa_mismatch() {
    let mut setup = Setup::sound();
    setup.signed = true;
    setup.smtp = true;
    // A record for another key: the certificate was rotated without updating TLSA.
    setup.tlsa = Some(format!("3 1 1 {}", "ab".repeat(32)));
    let Some(outcome) = setup.run("dane_tlsa_mismatch") else {
        return;
    };
    outcome.expect("dane", "fail", &["dane_tlsa_mismatch"]);
    let dane = outcome.check_json("dane");
    assert!(
        dane["records"]
            .as_array()
            .unwrap()
            .contains(&Value::from("DNSSEC: authenticated")),
        "{dane}"
    );
    assert_eq!(outcome.run.code, Some(1));
}

#[test]
fn dane_unsigned() {
    let mut setup = Setup::sound();
    setup.tlsa = Some(format!("3 1 1 {}", "ab".repeat(32)));
    let Some(outcome) = setup.run("dane_unsigned") else {
        return;
    };
    outcome.expect("dane", "info", &["dane_unsigned"]);
    assert!(
        outcome.check_json("dane")["note"]
            .as_str()
            .unwrap()
            .contains("no TLS session")
    );
}

#[test]
fn dane_with_the_key_of_the_mx_passes_signed_and_is_unsigned_without_dnssec() {
    let Some(_) = postfix_certificate() else {
        println!("dane: skipped: the Postfix certificate is not known (SMTP_SANSIO_CERT)");
        return;
    };
    let mut setup = Setup::sound();
    setup.smtp = true;
    let Some(outcome) = setup.run("dane_unsigned_with_smtp") else {
        return;
    };
    // The right key, but no DNSSEC: matched, and said to be ignored by senders.
    outcome.expect("dane", "info", &["dane_unsigned"]);
    assert!(
        outcome.check_json("dane")["note"]
            .as_str()
            .unwrap()
            .contains("matches")
    );
}

// ---- reverse DNS ---------------------------------------------------------------------------

#[test]
fn fcrdns_missing() {
    let mut setup = Setup::sound();
    setup.arg(&["--ip", "127.0.0.2"]);
    let Some(outcome) = setup.run("fcrdns_missing") else {
        return;
    };
    outcome.expect("fcrdns", "fail", &["fcrdns_missing"]);
}

#[test]
fn fcrdns_mismatch() {
    let mut setup = Setup::sound();
    // The PTR names a host whose address is another.
    setup.reverse = vec![("1".into(), "PTR".into(), "host-1.provider.test.".into())];
    setup
        .extra
        .push(Zone::new("provider.test", "host-1 IN A 192.0.2.1"));
    let Some(outcome) = setup.run("fcrdns_mismatch") else {
        return;
    };
    outcome.expect("fcrdns", "warn", &["fcrdns_mismatch"]);
}

#[test]
fn fcrdns_mismatch_of_the_banner_and_ehlo_names_with_the_ptr() {
    let mut setup = Setup::sound();
    setup.smtp = true;
    // 127.0.0.1 is mail.example.test, confirmed; the server calls itself mx.example.test.
    setup.reverse = vec![("1".into(), "PTR".into(), "mail.example.test.".into())];
    setup.set("mail", "A", "127.0.0.1");
    let Some(outcome) = setup.run("fcrdns_mismatch_banner") else {
        return;
    };
    let warnings: Vec<(String, String)> = outcome.json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["class"].as_str().unwrap_or("").to_owned(),
                w["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for what in ["banner", "EHLO"] {
        assert!(
            warnings
                .iter()
                .any(|(class, text)| class == "fcrdns_mismatch"
                    && text.starts_with(&format!(
                        "the {what} name mx.example.test is not the PTR name of 127.0.0.1"
                    ))),
            "{what}: {warnings:?}"
        );
    }
    assert_eq!(outcome.json["verdict"], "warn");
}

// ---- block lists ---------------------------------------------------------------------------

#[test]
fn dnsbl_listed() {
    let mut setup = Setup::sound();
    setup.extra.push(Zone::new(
        "bl.test",
        "1.0.0.127 IN A 127.0.0.2\n1.0.0.127 IN TXT \"listed for testing\"",
    ));
    setup.arg(&["--ip", "127.0.0.1", "--dnsbl", "bl.test"]);
    let Some(outcome) = setup.run("dnsbl_listed") else {
        return;
    };
    outcome.expect("dnsbl", "fail", &["dnsbl_listed"]);
    assert_eq!(
        outcome.check_json("dnsbl")["records"][0],
        "bl.test: listed (127.0.0.2): listed for testing"
    );
}

#[test]
fn dnsbl_query_refused() {
    let mut setup = Setup::sound();
    setup
        .extra
        .push(Zone::new("zen.test", "1.0.0.127 IN A 127.255.255.254"));
    setup.arg(&["--ip", "127.0.0.1", "--dnsbl", "zen.test"]);
    let Some(outcome) = setup.run("dnsbl_query_refused") else {
        return;
    };
    outcome.expect("dnsbl", "info", &["dnsbl_query_refused"]);
}

// ---- failed lookups ------------------------------------------------------------------------

#[test]
fn a_servfail_is_a_dns_failure_that_names_it() {
    let mut setup = Setup::sound();
    setup.faults.servfail.push("_dmarc.example.test".into());
    let Some(outcome) = setup.run("servfail") else {
        return;
    };
    outcome.expect("dmarc", "fail", &["dns_failure"]);
    let detail = outcome.check_json("dmarc")["diagnoses"][0]["detail"].clone();
    assert!(
        detail
            .as_str()
            .unwrap()
            .contains("_dmarc.example.test failed (SERVFAIL)"),
        "{detail}"
    );
    assert_eq!(outcome.run.code, Some(1));
}

#[test]
fn a_resolver_timeout_is_a_dns_failure_not_a_hang() {
    let mut setup = Setup::sound();
    setup.faults.silent.push("_dmarc.example.test".into());
    setup.faults.silent.push("example.test".into());
    let Some(outcome) = setup.run("timeout") else {
        return;
    };
    outcome.expect("dmarc", "fail", &["dns_failure"]);
    outcome.expect("mx", "fail", &["dns_failure"]);
    let detail = outcome.check_json("mx")["diagnoses"][0]["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("no answer in 2 s"),
        "{detail}"
    );
    // --timeout 2: two attempts of 2 s each, all queries at once.
    assert!(
        outcome.run.took < Duration::from_secs(15),
        "{:?}",
        outcome.run.took
    );
}

// ---- the command line ------------------------------------------------------------------------

#[test]
fn all_mx_checks_every_mx_and_lists_them_in_mx_servers() {
    let mut setup = Setup::sound();
    setup.smtp = true;
    setup
        .add("@", "MX", "20 mx2.example.test.")
        .set("mx2", "A", "127.0.0.1");
    setup.arg(&["--all-mx"]);
    let Some(outcome) = setup.run("all_mx") else {
        return;
    };
    let servers: Vec<&str> = outcome.json["mx_servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["server"].as_str().unwrap())
        .collect();
    assert_eq!(servers.len(), 2, "{}", outcome.run.stdout);
    assert!(servers[0].starts_with("mx.example.test:"));
    assert!(servers[1].starts_with("mx2.example.test:"));
    assert_eq!(
        outcome.json["server"],
        outcome.json["mx_servers"][0]["server"]
    );
    let dane: Vec<String> = outcome
        .checks()
        .into_iter()
        .filter(|c| c.0 == "dane")
        .map(|c| c.1)
        .collect();
    assert_eq!(dane.len(), 2);
}

#[test]
fn domain_flags_without_domain_are_bad_usage() {
    let Some(binary) = example_binary() else {
        return;
    };
    for args in [
        vec!["--no-smtp"],
        vec!["--ip", "192.0.2.1"],
        vec![
            "--domain",
            "example.test",
            "--server",
            "mx.example.test",
            "--all-mx",
        ],
        vec!["--probe-ports", "--server", "mx.example.test:25"],
        vec!["--domain", "example.test", "--ip", "not-an-ip"],
    ] {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let run = run_example(&binary, &args);
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("usage: check"), "{}", run.stderr);
    }
}

#[test]
fn probe_ports_finds_each_mode_and_checks_the_best() {
    let Some(postfix) = mailserver::running("probe_ports") else {
        return;
    };
    let Some(binary) = example_binary() else {
        return;
    };
    let ca = postfix.ca.display().to_string();
    let ports = format!(
        "--probe-ports={},{},{}",
        postfix.submission, postfix.submissions, postfix.mx
    );
    let run = run_example(
        &binary,
        &[
            "--server".into(),
            "localhost".into(),
            ports,
            "--ca".into(),
            ca.clone(),
            "--json".into(),
            "--timeout".into(),
            "3".into(),
        ],
    );
    let json = run.json();
    let ports: Vec<(u64, &str)> = json["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["port"].as_u64().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ports,
        [
            (u64::from(postfix.submission), "pass"),
            (u64::from(postfix.submissions), "pass"),
            (u64::from(postfix.mx), "pass")
        ],
        "{}",
        run.stdout
    );
    // Implicit TLS is preferred for submission (RFC 8314 s3.3).
    assert_eq!(json["server"], format!("localhost:{}", postfix.submissions));
    assert_eq!(json["tls_mode"], "implicit");
    // The roles swapped: a TLS handshake where STARTTLS was expected, a plaintext greeting
    // where TLS was.
    let swapped = format!(
        "--probe-ports={},{},{}",
        postfix.submissions, postfix.submission, postfix.mx
    );
    let run = run_example(
        &binary,
        &[
            "--server".into(),
            "localhost".into(),
            swapped,
            "--ca".into(),
            ca,
            "--json".into(),
            "--timeout".into(),
            "2".into(),
        ],
    );
    let json = run.json();
    let classes: Vec<String> = json["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["diagnoses"][0]["class"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        classes,
        ["tls_mode_mismatch", "tls_mode_mismatch", ""],
        "{}",
        run.stdout
    );
    assert_eq!(json["server"], format!("localhost:{}", postfix.mx));
}

/// Not a test: serves the sound domain (signed) for a person or a timing script and prints
/// the command line to check it; runs for `SMTP_SANSIO_SERVE_SECS` (default 60) seconds.
/// `SMTP_SANSIO_SERVE_VARIANT=broken` serves a domain with something wrong in most records.
/// `cargo test --all-features --test domain_check -- --ignored serve_the_sound_domain --nocapture`
#[test]
#[ignore = "serves the fixtures for a person; scripts/domain-check-timing.sh uses it"]
fn serve_the_sound_domain() {
    let mut setup = Setup::sound();
    setup.signed = true;
    setup.extra.push(Zone::new("bl.test", ""));
    let broken = std::env::var("SMTP_SANSIO_SERVE_VARIANT").is_ok_and(|v| v == "broken");
    let mut policy = POLICY.to_owned();
    if broken {
        // A domain with something wrong in most records.
        setup
            .set("@", "TXT", "\"v=spf1 ptr mx ?all\"")
            .set("_dmarc", "TXT", "\"v=DMARC1; p=none; pct=50\"")
            .set("sel._domainkey", "TXT", "\"v=DKIM1; p=\"")
            .remove("_smtp._tls", "TXT");
        setup.extra[0] = Zone::new(
            "bl.test",
            "1.0.0.127 IN A 127.0.0.2\n1.0.0.127 IN TXT \"listed for testing\"",
        );
        policy =
            "version: STSv1\r\nmode: testing\r\nmx: mail.example.net\r\nmax_age: 86400\r\n".into();
    }
    let postfix = mailserver::running("serve_the_sound_domain");
    let mx_port = postfix.as_ref().map_or(2525, |p| p.mx);
    if let Some(cert) = postfix_certificate() {
        let digest = if broken {
            "ab".repeat(32)
        } else {
            spki_sha256_hex(&cert)
        };
        setup.set(
            &format!("_{mx_port}._tcp.mx"),
            "TLSA",
            &format!("3 1 1 {digest}"),
        );
    }
    let server = setup.serve();
    let https = https::serve("mta-sts.example.test", https::Answer::policy(&policy));
    let dir = TempDir::new("serve");
    let mut ca = https.ca_pem.clone();
    if let Some(postfix) = &postfix {
        ca.push_str(&std::fs::read_to_string(&postfix.ca).expect("the Postfix CA"));
    }
    let ca_file = dir.0.join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    println!(
        "COMMAND: --domain example.test --resolver {} --trust-anchor {} --ca {} --mta-sts-port {} --mx-port {mx_port} --ip 127.0.0.1 --dkim-selector sel --dnsbl bl.test",
        server.addr,
        server.trust_anchor.as_ref().unwrap().display(),
        ca_file.display(),
        https.addr.port()
    );
    let secs = std::env::var("SMTP_SANSIO_SERVE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    std::thread::sleep(Duration::from_secs(secs));
}
