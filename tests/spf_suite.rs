//! The RFC 7208 test suite (openspf.org, pyspf format) through `SpfEvaluation`.
//!
//! Runs every `*.yml`/`*.yaml` file in `tests/data/spf/`, and also the file named by the
//! environment variable `SPF_SUITE` when it is set. Each file is a stream of YAML documents
//! (sections); each section has `zonedata` (the fixture DNS) and `tests`. Driver rules, as
//! pyspf's `testspf.py` reads the format:
//! - `zonedata` maps a name to a list of records `{TYPE: value}` (SPF, TXT, A, AAAA, MX as
//!   `[preference, host]`, PTR, CNAME); a TXT/SPF value that is a list is one record of
//!   several strings (joined with no separator by the reader, RFC 7208 s3.3).
//! - A bare `TIMEOUT` entry makes lookups of the name time out, and a record whose value is
//!   `TIMEOUT` lookups of that type, unless a record of the type asked comes before it in the
//!   list (as pyspf's `DNSLookup` does: the suite's `spftimeout` test relies on it); a value
//!   `NONE` is no record.
//! - CNAME records are followed, as a resolver does (`cname-aliasing`).
//! - A name missing from `zonedata` is NXDOMAIN, except names starting with `error.`, which
//!   time out. A name with entries but none of the type asked is NODATA.
//! - SPF (type 99) records are copied to TXT when the name has no TXT entry of its own.
//! - `result` is one result or a list of acceptable ones; `explanation` (checked when the
//!   result is fail) is the expected `exp=` text, `DEFAULT` meaning no `exp=` explanation.
//!
//! Prints `spf suite: P/N passed (FILE)` per file and `  FAIL name: got X, want Y` per failure,
//! and exits non-zero unless every test passes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use smtp_sansio::records::spf::{SpfEvaluation, SpfOutcome};
use smtp_sansio::records::{Answer, QueryKind, Rdata, resolve_with};
use yaml_rust2::{Yaml, YamlLoader};

/// One entry of a name's list in `zonedata`, in order.
#[derive(Debug, Clone)]
enum Entry {
    /// A bare `TIMEOUT`: lookups time out unless a record of the type came before it.
    Timeout,
    /// `TYPE: TIMEOUT`: lookups of that type time out (same rule).
    TypeTimeout(QueryKind),
    /// `TYPE: NONE`: no record (a `TXT: NONE` still stops the SPF-to-TXT copy).
    Nothing,
    /// A record.
    Record(Rdata),
}

#[derive(Default)]
struct Zone {
    names: HashMap<String, Vec<Entry>>,
}

fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn txt(value: &Yaml) -> Rdata {
    match value {
        Yaml::Array(parts) => Rdata::Txt(
            parts
                .iter()
                .filter_map(scalar)
                .map(String::into_bytes)
                .collect(),
        ),
        other => Rdata::Txt(vec![scalar(other).unwrap_or_default().into_bytes()]),
    }
}

fn rdata(kind: &str, value: &Yaml) -> Option<(QueryKind, Rdata)> {
    Some(match kind {
        "SPF" | "TXT" => (QueryKind::Txt, txt(value)),
        "A" => (QueryKind::A, Rdata::A(scalar(value)?.parse().ok()?)),
        "AAAA" => (QueryKind::Aaaa, Rdata::Aaaa(scalar(value)?.parse().ok()?)),
        "MX" => {
            let parts = value.as_vec()?;
            let preference = scalar(parts.first()?)?.parse().ok()?;
            let exchange = norm(&scalar(parts.get(1)?)?);
            (
                QueryKind::Mx,
                Rdata::Mx {
                    preference,
                    exchange,
                },
            )
        }
        "PTR" => (QueryKind::Ptr, Rdata::Ptr(norm(&scalar(value)?))),
        "CNAME" => (QueryKind::Cname, Rdata::Cname(norm(&scalar(value)?))),
        _ => return None,
    })
}

impl Zone {
    fn from_yaml(zonedata: &Yaml) -> Zone {
        let mut zone = Zone::default();
        let Some(map) = zonedata.as_hash() else {
            return zone;
        };
        for (name, entries) in map {
            let name = norm(&scalar(name).unwrap_or_default());
            let list = entries.as_vec().cloned().unwrap_or_default();
            // RFC 7208 dropped type SPF: the driver copies SPF records to TXT where the name
            // has no TXT entry of its own (and ignores them otherwise).
            let has_txt = list.iter().any(|e| {
                e.as_hash()
                    .is_some_and(|h| h.keys().any(|k| k.as_str() == Some("TXT")))
            });
            let mut out = Vec::new();
            for entry in &list {
                if entry.as_str() == Some("TIMEOUT") {
                    out.push(Entry::Timeout);
                    continue;
                }
                for (kind, value) in entry.as_hash().into_iter().flatten() {
                    let kind = scalar(kind).unwrap_or_default().to_ascii_uppercase();
                    if kind == "SPF" && has_txt {
                        continue;
                    }
                    let qkind = match kind.as_str() {
                        "SPF" | "TXT" => QueryKind::Txt,
                        "A" => QueryKind::A,
                        "AAAA" => QueryKind::Aaaa,
                        "MX" => QueryKind::Mx,
                        "PTR" => QueryKind::Ptr,
                        "CNAME" => QueryKind::Cname,
                        _ => continue,
                    };
                    match value.as_str() {
                        Some("TIMEOUT") => out.push(Entry::TypeTimeout(qkind)),
                        Some("NONE") => out.push(Entry::Nothing),
                        _ => {
                            if let Some((_, r)) = rdata(&kind, value) {
                                out.push(Entry::Record(r));
                            }
                        }
                    }
                }
            }
            zone.names.entry(name).or_default().extend(out);
        }
        zone
    }

    fn resolve(&self, name: &str, kind: QueryKind) -> Answer {
        self.resolve_at(&norm(name), kind, 0)
    }

    /// Follows CNAMEs as a resolver does (a loop or a chain over 8 is a server failure).
    fn resolve_at(&self, name: &str, kind: QueryKind, depth: usize) -> Answer {
        if depth > 8 {
            return Answer::TempFail;
        }
        let Some(entries) = self.names.get(name) else {
            return if name.starts_with("error.") {
                Answer::TempFail
            } else {
                Answer::NxDomain
            };
        };
        let mut found = Vec::new();
        for entry in entries {
            match entry {
                Entry::Timeout if found.is_empty() => return Answer::TempFail,
                Entry::TypeTimeout(k) if *k == kind && found.is_empty() => {
                    return Answer::TempFail;
                }
                Entry::Record(Rdata::Cname(target)) if kind != QueryKind::Cname => {
                    return self.resolve_at(target, kind, depth + 1);
                }
                Entry::Record(r) if r.kind() == kind => found.push(r.clone()),
                _ => {}
            }
        }
        Answer::records(found)
    }
}

struct Failure {
    name: String,
    got: String,
    want: String,
}

fn show(outcome: &SpfOutcome) -> String {
    match &outcome.explanation {
        Some(exp) => format!("{} (explanation {exp:?})", outcome.result),
        None => outcome.result.to_string(),
    }
}

/// Runs one suite file: (passed, total, failures).
fn run_file(path: &Path) -> (usize, usize, Vec<Failure>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs =
        YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut total = 0;
    let mut failures = Vec::new();
    for doc in &docs {
        let zone = Zone::from_yaml(&doc["zonedata"]);
        let Some(tests) = doc["tests"].as_hash() else {
            continue;
        };
        for (name, test) in tests {
            total += 1;
            let name = scalar(name).unwrap_or_default();
            let field = |k: &str| scalar(&test[k]).unwrap_or_default();
            let wanted: Vec<String> = match &test["result"] {
                Yaml::Array(list) => list.iter().filter_map(scalar).collect(),
                other => scalar(other).into_iter().collect(),
            };
            let want_exp = scalar(&test["explanation"]);
            let ip: IpAddr = match field("host").parse() {
                Ok(ip) => ip,
                Err(_) => {
                    failures.push(Failure {
                        name,
                        got: "unparsable host".into(),
                        want: wanted.join(" or "),
                    });
                    continue;
                }
            };
            let mut spf = SpfEvaluation::new(ip, &field("mailfrom"), &field("helo"));
            resolve_with(&mut spf, |q| zone.resolve(&q.name, q.kind));
            let Some(outcome) = spf.outcome() else {
                failures.push(Failure {
                    name,
                    got: "no outcome".into(),
                    want: wanted.join(" or "),
                });
                continue;
            };
            let result_ok = wanted.iter().any(|w| w == outcome.result.as_str());
            let exp_ok = match (&want_exp, outcome.result.as_str()) {
                (Some(want), "fail") => match (want.as_str(), &outcome.explanation) {
                    ("DEFAULT", None) => true,
                    (want, Some(got)) => want == got,
                    _ => false,
                },
                _ => true,
            };
            if !(result_ok && exp_ok) {
                let want = match &want_exp {
                    Some(exp) if wanted.iter().any(|w| w == "fail") && exp != "DEFAULT" => {
                        format!("{} (explanation {exp:?})", wanted.join(" or "))
                    }
                    _ => wanted.join(" or "),
                };
                failures.push(Failure {
                    name,
                    got: show(outcome),
                    want,
                });
            }
        }
    }
    (total - failures.len(), total, failures)
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/spf");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext == "yml" || ext == "yaml")
        })
        .collect();
    files.sort();
    if let Some(extra) = std::env::var_os("SPF_SUITE") {
        files.push(PathBuf::from(extra));
    }
    assert!(!files.is_empty(), "no suite files in {}", dir.display());
    let mut all_passed = true;
    for file in &files {
        let (passed, total, failures) = run_file(file);
        let base = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("spf suite: {passed}/{total} passed ({base})");
        for f in &failures {
            println!("  FAIL {}: got {}, want {}", f.name, f.got, f.want);
        }
        if !failures.is_empty() || total == 0 {
            all_passed = false;
        }
    }
    if !all_passed {
        std::process::exit(1);
    }
}
