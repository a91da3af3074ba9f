//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy file (which the caller fetches
//! over HTTPS from `https://mta-sts.<domain>/.well-known/mta-sts.txt`), MX pattern matching,
//! and the checks of DIAGNOSES.md s4.12.

use std::fmt;

use super::query::{Answer, normalize_name};
use super::tags::txt_texts;
use crate::diagnosis::{Diagnosis, DiagnosisClass};

/// The TXT record at `_mta-sts.<domain>` (RFC 8461 s3.1).
///
/// ```
/// use smtp_sansio::records::mta_sts::StsRecord;
/// let r = StsRecord::parse("v=STSv1; id=20160831085700Z;").unwrap();
/// assert_eq!(r.id, "20160831085700Z");
/// assert_eq!(StsRecord::parse(&r.to_string()).unwrap(), r);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StsRecord {
    /// `id`: 1 to 32 letters and digits.
    pub id: String,
    /// Extension fields, kept in order.
    pub extensions: Vec<(String, String)>,
}

/// A record or policy that does not parse: what and where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{what} (at {field:?}, offset {offset})")]
pub struct StsParseError {
    /// What is wrong.
    pub what: &'static str,
    /// The field concerned.
    pub field: String,
    /// Byte offset in the text.
    pub offset: usize,
}

fn err(what: &'static str, field: &str, offset: usize) -> StsParseError {
    StsParseError {
        what,
        field: field.to_owned(),
        offset,
    }
}

/// `field-delim = *WSP ";" *WSP`, fields `name=value`: (name, value, offset) in order.
pub(crate) fn semicolon_fields(text: &str) -> Result<Vec<(&str, &str, usize)>, StsParseError> {
    let mut fields = Vec::new();
    let mut offset = 0;
    let parts: Vec<&str> = text.split(';').collect();
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let start = offset;
        offset += part.len() + 1;
        let trimmed = part.trim_matches([' ', '\t']);
        if trimmed.is_empty() && i == last {
            continue;
        }
        let (name, value) = trimmed
            .split_once('=')
            .ok_or_else(|| err("a field without `=`", trimmed, start))?;
        fields.push((name, value, start));
    }
    Ok(fields)
}

fn is_ext_name(name: &str) -> bool {
    name.as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphanumeric)
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

fn is_ext_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b';' && b != b'=')
}

impl StsRecord {
    /// Parses the TXT record (strings joined).
    ///
    /// # Errors
    /// [`StsParseError`]: `v=STSv1` not first, no `id`, an `id` that is not 1-32 letters and
    /// digits, a malformed extension field.
    pub fn parse(text: &str) -> Result<StsRecord, StsParseError> {
        let fields = semicolon_fields(text)?;
        match fields.first() {
            Some(("v", "STSv1", _)) => {}
            _ => return Err(err("the record does not start with v=STSv1", text, 0)),
        }
        let mut id = None;
        let mut extensions = Vec::new();
        for &(name, value, offset) in &fields[1..] {
            if name == "id" {
                if id.is_some() {
                    return Err(err("id given twice", name, offset));
                }
                if value.is_empty()
                    || value.len() > 32
                    || !value.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(err("id is not 1 to 32 letters and digits", value, offset));
                }
                id = Some(value.to_owned());
            } else if is_ext_name(name) && is_ext_value(value) {
                extensions.push((name.to_owned(), value.to_owned()));
            } else {
                return Err(err("a malformed field", name, offset));
            }
        }
        Ok(StsRecord {
            id: id.ok_or_else(|| err("no id field", "id", text.len()))?,
            extensions,
        })
    }
}

impl fmt::Display for StsRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=STSv1; id={}", self.id)?;
        for (name, value) in &self.extensions {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}

/// The policy mode (RFC 8461 s5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `enforce`.
    Enforce,
    /// `testing`.
    Testing,
    /// `none`.
    None,
}

impl Mode {
    /// `enforce`, `testing` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }
    }
}

/// The policy file (RFC 8461 s3.2).
///
/// ```
/// use smtp_sansio::records::mta_sts::{StsPolicy, Mode};
/// // RFC 8461 s3.2's example.
/// let p = StsPolicy::parse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n").unwrap();
/// assert_eq!(p.mode, Mode::Enforce);
/// assert!(p.matches_mx("mx1.example.net"));
/// assert!(!p.matches_mx("a.b.example.net"));
/// assert_eq!(StsPolicy::parse(&p.to_string()).unwrap(), p);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StsPolicy {
    /// `mode`.
    pub mode: Mode,
    /// `max_age` in seconds (at most 31557600).
    pub max_age: u32,
    /// `mx` patterns, in order.
    pub mx: Vec<String>,
    /// Fields this parser does not know, kept in order (s3.2: ignored).
    pub extensions: Vec<(String, String)>,
}

impl StsPolicy {
    /// Parses the policy file: `key: value` lines ending in CRLF or LF.
    ///
    /// # Errors
    /// [`StsParseError`]: no or wrong `version`, a missing or unknown `mode`, a missing or
    /// out-of-range `max_age`, no `mx` unless the mode is `none`, a line without `:`.
    pub fn parse(text: &str) -> Result<StsPolicy, StsParseError> {
        let mut version = None;
        let mut mode = None;
        let mut max_age = None;
        let mut mx = Vec::new();
        let mut extensions = Vec::new();
        let mut offset = 0;
        for line in text.split('\n') {
            let start = offset;
            offset += line.len() + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            let (key, value) = line
                .split_once(':')
                .ok_or_else(|| err("a line without `:`", line, start))?;
            let value = value.trim_matches([' ', '\t']);
            match key {
                "version" if value == "STSv1" => version = Some(()),
                "version" => return Err(err("version is not STSv1", value, start)),
                "mode" => {
                    mode = Some(match value {
                        "enforce" => Mode::Enforce,
                        "testing" => Mode::Testing,
                        "none" => Mode::None,
                        _ => return Err(err("mode is not enforce, testing or none", value, start)),
                    });
                }
                "max_age" => {
                    let age: u32 = (value.len() <= 10 && value.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| value.parse().ok())
                        .flatten()
                        .filter(|a| *a <= 31_557_600)
                        .ok_or_else(|| {
                            err("max_age is not a number up to 31557600", value, start)
                        })?;
                    max_age = Some(age);
                }
                "mx" => {
                    if !is_mx_pattern(value) {
                        return Err(err("an mx pattern that is not a host name", value, start));
                    }
                    mx.push(value.to_owned());
                }
                other => {
                    if !is_ext_name(other) {
                        return Err(err("a malformed field name", other, start));
                    }
                    extensions.push((other.to_owned(), value.to_owned()));
                }
            }
        }
        version.ok_or_else(|| err("no version field", "version", 0))?;
        let mode = mode.ok_or_else(|| err("no mode field", "mode", text.len()))?;
        let max_age = max_age.ok_or_else(|| err("no max_age field", "max_age", text.len()))?;
        if mx.is_empty() && mode != Mode::None {
            return Err(err("no mx field", "mx", text.len()));
        }
        Ok(StsPolicy {
            mode,
            max_age,
            mx,
            extensions,
        })
    }

    /// Whether an MX host matches one of the policy's patterns (RFC 8461 s4.1).
    pub fn matches_mx(&self, host: &str) -> bool {
        self.mx.iter().any(|p| mx_pattern_matches(p, host))
    }
}

impl fmt::Display for StsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "version: STSv1\r")?;
        writeln!(f, "mode: {}\r", self.mode.as_str())?;
        for mx in &self.mx {
            writeln!(f, "mx: {mx}\r")?;
        }
        writeln!(f, "max_age: {}\r", self.max_age)?;
        for (k, v) in &self.extensions {
            writeln!(f, "{k}: {v}\r")?;
        }
        Ok(())
    }
}

/// `mx-pattern = *( ALPHA / DIGIT / "-" / "." / "_" )` with an optional leading `*.`.
fn is_mx_pattern(value: &str) -> bool {
    let host = value.strip_prefix("*.").unwrap_or(value);
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        && !host.split('.').any(str::is_empty)
}

/// RFC 8461 s4.1: a pattern matches the host exactly, or `*.` matches exactly one leftmost
/// label (`*.example.com` matches `mx1.example.com`, not `example.com` nor `a.b.example.com`).
/// Case-insensitive; a trailing dot on the host is ignored.
pub fn mx_pattern_matches(pattern: &str, host: &str) -> bool {
    let pattern = normalize_name(pattern);
    let host = normalize_name(host);
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

/// How the caller's HTTPS fetch of the policy went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyFetch {
    /// The policy file's body (fetched over HTTPS with a valid certificate, status 200).
    Fetched(String),
    /// The fetch failed; the reason, for the diagnosis (no server, bad certificate, 404...).
    Failed(String),
    /// Not fetched (no TXT record, or the caller skipped it).
    NotFetched,
}

/// What the MTA-STS check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaStsReport {
    /// The TXT record.
    pub record: Option<StsRecord>,
    /// The policy.
    pub policy: Option<StsPolicy>,
    /// The DIAGNOSES.md s4.12 diagnoses.
    pub diagnoses: Vec<Diagnosis>,
}

/// The policy URL for a domain (RFC 8461 s3.3).
pub fn policy_url(domain: &str) -> String {
    format!(
        "https://mta-sts.{}/.well-known/mta-sts.txt",
        normalize_name(domain)
    )
}

/// Judges a domain's MTA-STS: the answer to `_mta-sts.<domain>` TXT, the policy fetch, and the
/// domain's MX hosts (each must match a pattern, s4.1).
pub fn check_mta_sts(
    domain: &str,
    txt: &Answer,
    fetch: &PolicyFetch,
    mx_hosts: &[String],
) -> MtaStsReport {
    let rule = "mta-sts";
    let mut report = MtaStsReport {
        record: None,
        policy: None,
        diagnoses: Vec::new(),
    };
    let domain = normalize_name(domain);
    let texts: Vec<String> = txt_texts(txt)
        .into_iter()
        .filter(|t| t.starts_with("v=STSv1"))
        .collect();
    match (txt, texts.as_slice()) {
        (Answer::TempFail, _) => return report,
        (_, []) => {
            report.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::MtaStsMissing,
                rule,
                None,
                format!("no v=STSv1 TXT record at _mta-sts.{domain}"),
            ));
            return report;
        }
        (_, [one]) => match StsRecord::parse(one) {
            Ok(r) => report.record = Some(r),
            Err(e) => report.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::MtaStsSyntaxError,
                rule,
                Some(one),
                format!("_mta-sts.{domain}: {e}"),
            )),
        },
        (_, many) => report.diagnoses.push(Diagnosis::from_record(
            DiagnosisClass::MtaStsSyntaxError,
            rule,
            Some(&many.join(" | ")),
            format!(
                "_mta-sts.{domain} has {} v=STSv1 records (s3.1: then none applies)",
                many.len()
            ),
        )),
    }
    match fetch {
        PolicyFetch::NotFetched => {}
        PolicyFetch::Failed(reason) => report.diagnoses.push(Diagnosis::from_record(
            DiagnosisClass::MtaStsPolicyUnavailable,
            rule,
            None,
            format!("{}: {reason}", policy_url(&domain)),
        )),
        PolicyFetch::Fetched(body) => match StsPolicy::parse(body) {
            Err(e) => report.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::MtaStsSyntaxError,
                rule,
                None,
                format!("{}: {e}", policy_url(&domain)),
            )),
            Ok(policy) => {
                if policy.mode == Mode::Testing {
                    report.diagnoses.push(Diagnosis::from_record(
                        DiagnosisClass::MtaStsTesting,
                        rule,
                        None,
                        format!("{}: mode: testing", policy_url(&domain)),
                    ));
                }
                if policy.mode != Mode::None {
                    for host in mx_hosts {
                        if !policy.matches_mx(host) {
                            report.diagnoses.push(Diagnosis::from_record(
                                DiagnosisClass::MtaStsMxMismatch,
                                rule,
                                None,
                                format!(
                                    "MX {host} matches none of the policy's mx patterns ({})",
                                    policy.mx.join(", ")
                                ),
                            ));
                        }
                    }
                }
                report.policy = Some(policy);
            }
        },
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Rdata;

    #[test]
    fn records_and_policies() {
        assert!(StsRecord::parse("v=STSv1; id=20160831085700Z").is_ok());
        assert!(StsRecord::parse("v=STSv1;id=1;ext=x").is_ok());
        assert!(StsRecord::parse("id=1; v=STSv1").is_err());
        assert!(StsRecord::parse("v=STSv1;").is_err());
        assert!(StsRecord::parse("v=STSv1; id=a-b").is_err());
        assert!(StsRecord::parse(&format!("v=STSv1; id={}", "a".repeat(33))).is_err());
        assert!(StsPolicy::parse("version: STSv1\nmode: none\nmax_age: 86400\n").is_ok());
        assert!(StsPolicy::parse("version: STSv1\nmode: enforce\nmax_age: 86400\n").is_err());
        assert!(StsPolicy::parse("version: STSv1\nmode: strict\nmx: a.b\nmax_age: 1\n").is_err());
        assert!(
            StsPolicy::parse("version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n")
                .is_err()
        );
        assert!(StsPolicy::parse("mode: enforce\nmx: a.b\nmax_age: 1\n").is_err());
        assert!(mx_pattern_matches("*.Example.com", "MX1.example.com."));
        assert!(!mx_pattern_matches("*.example.com", "example.com"));
        assert!(!mx_pattern_matches("*.example.com", ".example.com"));
        assert!(mx_pattern_matches("mail.example.com", "mail.example.com"));
    }

    #[test]
    fn checks() {
        let txt = Answer::records(vec![Rdata::txt("v=STSv1; id=1")]);
        let policy = PolicyFetch::Fetched(
            "version: STSv1\r\nmode: testing\r\nmx: *.example.com\r\nmax_age: 86400\r\n".into(),
        );
        let r = check_mta_sts(
            "example.com",
            &txt,
            &policy,
            &["mx1.example.com".into(), "mx.other.net".into()],
        );
        let classes: Vec<_> = r.diagnoses.iter().map(|d| d.class()).collect();
        assert_eq!(
            classes,
            [
                DiagnosisClass::MtaStsTesting,
                DiagnosisClass::MtaStsMxMismatch
            ]
        );
        let r = check_mta_sts(
            "example.com",
            &Answer::NxDomain,
            &PolicyFetch::NotFetched,
            &[],
        );
        assert_eq!(r.diagnoses[0].class(), DiagnosisClass::MtaStsMissing);
        let r = check_mta_sts(
            "example.com",
            &txt,
            &PolicyFetch::Failed("certificate expired".into()),
            &[],
        );
        assert_eq!(
            r.diagnoses[0].class(),
            DiagnosisClass::MtaStsPolicyUnavailable
        );
    }
}
