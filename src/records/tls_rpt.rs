//! SMTP TLS Reporting (RFC 8460): the `_smtp._tls` TXT record and its checks.

use std::fmt;

use super::mta_sts::{StsParseError, semicolon_fields};
use super::query::{Answer, normalize_name};
use super::tags::txt_texts;
use crate::diagnosis::{Diagnosis, DiagnosisClass};

/// A TLS-RPT record (RFC 8460 s3).
///
/// ```
/// use smtp_sansio::records::tls_rpt::TlsRptRecord;
/// // RFC 8460 s3.1's examples.
/// let r = TlsRptRecord::parse("v=TLSRPTv1;rua=mailto:reports@example.com").unwrap();
/// assert_eq!(r.rua, ["mailto:reports@example.com"]);
/// assert!(TlsRptRecord::parse("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt").is_ok());
/// assert_eq!(TlsRptRecord::parse(&r.to_string()).unwrap(), r);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsRptRecord {
    /// `rua`: `mailto:` or `https:` destinations.
    pub rua: Vec<String>,
    /// Extension fields, kept in order.
    pub extensions: Vec<(String, String)>,
}

impl TlsRptRecord {
    /// Parses the record (strings joined).
    ///
    /// # Errors
    /// [`StsParseError`]: `v=TLSRPTv1` not first, no `rua`, a destination that is not a
    /// `mailto:` or `https:` URI.
    pub fn parse(text: &str) -> Result<TlsRptRecord, StsParseError> {
        let err = |what, field: &str, offset| StsParseError {
            what,
            field: field.to_owned(),
            offset,
        };
        let fields = semicolon_fields(text)?;
        match fields.first() {
            Some(("v", "TLSRPTv1", _)) => {}
            _ => return Err(err("the record does not start with v=TLSRPTv1", text, 0)),
        }
        let mut rua = None;
        let mut extensions = Vec::new();
        for &(name, value, offset) in &fields[1..] {
            if name == "rua" {
                if rua.is_some() {
                    return Err(err("rua given twice", name, offset));
                }
                let uris: Vec<String> = value.split(',').map(|u| u.trim().to_owned()).collect();
                for uri in &uris {
                    let lower = uri.to_ascii_lowercase();
                    let ok = (lower.starts_with("mailto:") && uri.len() > 7 && uri.contains('@'))
                        || (lower.starts_with("https://") && uri.len() > 8);
                    if !ok {
                        return Err(err("rua is not a mailto: or https: URI", uri, offset));
                    }
                }
                rua = Some(uris);
            } else if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
                && !value.is_empty()
            {
                extensions.push((name.to_owned(), value.to_owned()));
            } else {
                return Err(err("a malformed field", name, offset));
            }
        }
        Ok(TlsRptRecord {
            rua: rua.ok_or_else(|| err("no rua field", "rua", text.len()))?,
            extensions,
        })
    }
}

impl fmt::Display for TlsRptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v=TLSRPTv1; rua={}", self.rua.join(","))?;
        for (name, value) in &self.extensions {
            write!(f, "; {name}={value}")?;
        }
        Ok(())
    }
}

/// Judges the answer to `_smtp._tls.<domain>` TXT: missing or syntax error.
pub fn check_tls_rpt(domain: &str, answer: &Answer) -> (Option<TlsRptRecord>, Vec<Diagnosis>) {
    let domain = normalize_name(domain);
    let rule = "tls-rpt";
    let texts: Vec<String> = txt_texts(answer)
        .into_iter()
        .filter(|t| t.starts_with("v=TLSRPTv1"))
        .collect();
    match (answer, texts.as_slice()) {
        (Answer::TempFail, _) => (None, Vec::new()),
        (_, []) => (
            None,
            vec![Diagnosis::from_record(
                DiagnosisClass::TlsRptMissing,
                rule,
                None,
                format!("no v=TLSRPTv1 TXT record at _smtp._tls.{domain}"),
            )],
        ),
        (_, [one]) => match TlsRptRecord::parse(one) {
            Ok(r) => (Some(r), Vec::new()),
            Err(e) => (
                None,
                vec![Diagnosis::from_record(
                    DiagnosisClass::TlsRptSyntaxError,
                    rule,
                    Some(one),
                    format!("_smtp._tls.{domain}: {e}"),
                )],
            ),
        },
        (_, many) => (
            None,
            vec![Diagnosis::from_record(
                DiagnosisClass::TlsRptSyntaxError,
                rule,
                Some(&many.join(" | ")),
                format!(
                    "_smtp._tls.{domain} has {} records (RFC 8460 s3: then none applies)",
                    many.len()
                ),
            )],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Rdata;

    #[test]
    fn parse_and_check() {
        assert!(
            TlsRptRecord::parse("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x")
                .is_ok()
        );
        assert!(TlsRptRecord::parse("v=TLSRPTv1").is_err());
        assert!(TlsRptRecord::parse("v=TLSRPTv1; rua=http://r.example.com").is_err());
        assert!(TlsRptRecord::parse("rua=mailto:a@b; v=TLSRPTv1").is_err());
        let (_, d) = check_tls_rpt("example.com", &Answer::NoData);
        assert_eq!(d[0].class(), DiagnosisClass::TlsRptMissing);
        let (_, d) = check_tls_rpt(
            "example.com",
            &Answer::records(vec![Rdata::txt("v=TLSRPTv1; rua=ftp://x")]),
        );
        assert_eq!(d[0].class(), DiagnosisClass::TlsRptSyntaxError);
    }
}
