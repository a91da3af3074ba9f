use crate::records::dane::TlsaRecord;
use crate::records::dkim::DkimKey;
use crate::records::dmarc::DmarcRecord;
use crate::records::mta_sts::{StsPolicy, StsRecord, mx_pattern_matches};
use crate::records::tls_rpt::TlsRptRecord;

/// The record parsers other than SPF, chosen by the first byte: DMARC, DKIM key, MTA-STS TXT,
/// MTA-STS policy file, TLS-RPT, TLSA. Any input: no panic, errors point inside the text, and a
/// record that parses writes back to text that parses to an equal record.
pub fn records(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.as_ref();
    match which % 6 {
        0 => round_trip(text, DmarcRecord::parse, |e| e.offset),
        1 => round_trip(text, DkimKey::parse, |e| e.offset),
        2 => round_trip(text, StsRecord::parse, |e| e.offset),
        3 => {
            round_trip(text, StsPolicy::parse, |e| e.offset);
            if let Ok(policy) = StsPolicy::parse(text) {
                for pattern in &policy.mx {
                    let host = pattern
                        .strip_prefix("*.")
                        .map_or_else(|| pattern.clone(), |suffix| format!("x.{suffix}"));
                    assert!(mx_pattern_matches(pattern, &host), "{pattern} vs {host}");
                }
            }
        }
        4 => round_trip(text, TlsRptRecord::parse, |e| e.offset),
        _ => round_trip(text, TlsaRecord::parse, |_| 0),
    }
}

fn round_trip<T, E>(text: &str, parse: fn(&str) -> Result<T, E>, offset: fn(&E) -> usize)
where
    T: std::fmt::Display + PartialEq + std::fmt::Debug,
    E: std::fmt::Display,
{
    match parse(text) {
        Ok(value) => {
            let written = value.to_string();
            match parse(&written) {
                Ok(again) => assert_eq!(again, value, "{written:?}"),
                Err(e) => panic!("{written:?} (from {text:?}) does not parse back: {e}"),
            }
        }
        Err(e) => {
            assert!(offset(&e) <= text.len());
            let _ = e.to_string();
        }
    }
}
