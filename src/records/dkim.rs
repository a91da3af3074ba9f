//! DKIM key records (RFC 6376 s3.6.1), with RFC 8301 (key sizes, no SHA-1) and RFC 8463
//! (Ed25519): the parser and writer, the RSA key size read from the SubjectPublicKeyInfo, and
//! the checks of DIAGNOSES.md s4.12.
//!
//! The key is read with the RustCrypto `spki` and `der` crates (well kept, no unsafe, small),
//! not with hand-written ASN.1: a DER reader is exactly where hand-written code goes wrong.

use std::fmt;

use base64::Engine as _;
use der::{Decode, Reader, SliceReader, asn1::UintRef};

use super::query::{Answer, normalize_name};
use super::tags::{TagFault, is_fws, parse_tags, txt_texts};
use crate::diagnosis::{Diagnosis, DiagnosisClass, DiagnosisSeverity};

/// The key type (`k=`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `rsa` (the default).
    Rsa,
    /// `ed25519` (RFC 8463).
    Ed25519,
}

/// What the `p=` key data holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// The key is revoked (`p=` empty).
    Revoked,
    /// An RSA key of this many modulus bits.
    Rsa {
        /// The modulus size in bits.
        bits: usize,
    },
    /// An Ed25519 key (32 octets, RFC 8463 s4.2).
    Ed25519,
}

/// A parsed DKIM key record.
///
/// ```
/// use smtp_sansio::records::dkim::{DkimKey, KeyType, PublicKey};
///
/// // RFC 8463 Appendix A's Ed25519 key record.
/// let key = DkimKey::parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").unwrap();
/// assert_eq!(key.key_type, KeyType::Ed25519);
/// assert_eq!(key.public_key, PublicKey::Ed25519);
/// assert_eq!(DkimKey::parse(&key.to_string()).unwrap(), key);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DkimKey {
    /// `v=DKIM1` was present.
    pub version: bool,
    /// `h=`: acceptable hash algorithms, as written (empty: all).
    pub hashes: Vec<String>,
    /// `k=`.
    pub key_type: KeyType,
    /// `n=`: notes.
    pub notes: Option<String>,
    /// `p=` as published, white space removed.
    pub key_data: String,
    /// What the key data holds.
    pub public_key: PublicKey,
    /// `s=`: service types, as written (empty: `*`).
    pub services: Vec<String>,
    /// `t=`: flags (`y` testing, `s` strict), as written.
    pub flags: Vec<String>,
    /// Unknown tags, kept in order (RFC 6376 s3.6.1: ignored).
    pub unknown: Vec<(String, String)>,
}

/// What is wrong with a key record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DkimErrorKind {
    /// The tag list does not parse.
    TagSyntax,
    /// A tag given twice.
    DuplicateTag,
    /// `v=` present but not first or not `DKIM1`.
    BadVersion,
    /// No `p=` tag.
    MissingKey,
    /// `p=` is not base64.
    KeyNotBase64,
    /// `k=` names an unknown key type.
    UnknownKeyType,
    /// The key data is not a key of its type (an RSA SubjectPublicKeyInfo or RSAPublicKey, or
    /// 32 octets for Ed25519).
    InvalidKey,
}

/// A key record that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind:?} at {tag:?} (offset {offset})")]
pub struct DkimParseError {
    /// What is wrong.
    pub kind: DkimErrorKind,
    /// The tag concerned.
    pub tag: String,
    /// Its byte offset in the record.
    pub offset: usize,
}

impl DkimKey {
    /// Parses a key record (the TXT strings joined, RFC 6376 s3.6.2.2).
    ///
    /// # Errors
    /// [`DkimParseError`] with the tag and offset.
    pub fn parse(text: &str) -> Result<DkimKey, DkimParseError> {
        let err = |kind, tag: &str, offset| DkimParseError {
            kind,
            tag: tag.to_owned(),
            offset,
        };
        let tags = parse_tags(text).map_err(|(fault, part, offset)| {
            let kind = match fault {
                TagFault::Duplicate => DkimErrorKind::DuplicateTag,
                _ => DkimErrorKind::TagSyntax,
            };
            err(kind, &part, offset)
        })?;
        let mut key = DkimKey {
            version: false,
            hashes: Vec::new(),
            key_type: KeyType::Rsa,
            notes: None,
            key_data: String::new(),
            public_key: PublicKey::Revoked,
            services: Vec::new(),
            flags: Vec::new(),
            unknown: Vec::new(),
        };
        let list = |v: &str| -> Vec<String> {
            v.split(':')
                .map(|s| s.trim_matches(is_fws).to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let mut p = None;
        for (i, tag) in tags.iter().enumerate() {
            match tag.name {
                "v" => {
                    // s3.6.1: if present, the first tag, and exactly "DKIM1".
                    if i != 0 || tag.value != "DKIM1" {
                        return Err(err(DkimErrorKind::BadVersion, "v", tag.offset));
                    }
                    key.version = true;
                }
                "h" => key.hashes = list(tag.value),
                "k" => {
                    key.key_type = if tag.value.eq_ignore_ascii_case("rsa") {
                        KeyType::Rsa
                    } else if tag.value.eq_ignore_ascii_case("ed25519") {
                        KeyType::Ed25519
                    } else {
                        return Err(err(DkimErrorKind::UnknownKeyType, "k", tag.offset));
                    }
                }
                "n" => key.notes = Some(tag.value.to_owned()),
                "p" => p = Some(tag),
                "s" => key.services = list(tag.value),
                "t" => key.flags = list(tag.value),
                other => key.unknown.push((other.to_owned(), tag.value.to_owned())),
            }
        }
        let p = p.ok_or_else(|| err(DkimErrorKind::MissingKey, "p", text.len()))?;
        key.key_data = if p.value.contains(is_fws) {
            p.value.chars().filter(|c| !is_fws(*c)).collect()
        } else {
            p.value.to_owned()
        };
        if key.key_data.is_empty() {
            return Ok(key);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&key.key_data)
            .map_err(|_| err(DkimErrorKind::KeyNotBase64, "p", p.offset))?;
        key.public_key = match key.key_type {
            KeyType::Ed25519 if bytes.len() == 32 => PublicKey::Ed25519,
            KeyType::Ed25519 => return Err(err(DkimErrorKind::InvalidKey, "p", p.offset)),
            KeyType::Rsa => PublicKey::Rsa {
                bits: rsa_modulus_bits(&bytes)
                    .ok_or_else(|| err(DkimErrorKind::InvalidKey, "p", p.offset))?,
            },
        };
        Ok(key)
    }

    /// Whether `t=y` (testing) is set.
    pub fn is_testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }
}

/// The modulus size of an RSA key given as a SubjectPublicKeyInfo (RFC 6376 s3.6.1) or, as
/// some signers publish, a bare PKCS#1 RSAPublicKey.
pub fn rsa_modulus_bits(der: &[u8]) -> Option<usize> {
    const RSA_ENCRYPTION: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    let rsa_key = match spki::SubjectPublicKeyInfoRef::from_der(der) {
        Ok(info) => {
            if info.algorithm.oid != RSA_ENCRYPTION {
                return None;
            }
            info.subject_public_key.as_bytes()?
        }
        Err(_) => der,
    };
    let mut reader = SliceReader::new(rsa_key).ok()?;
    let modulus = reader
        .sequence(|seq| {
            let n = UintRef::decode(seq)?;
            let _e = UintRef::decode(seq)?;
            Ok::<_, der::Error>(n)
        })
        .ok()?;
    if !reader.is_finished() {
        return None;
    }
    let bytes = modulus.as_bytes();
    let first = *bytes.first()?;
    Some(bytes.len() * 8 - first.leading_zeros() as usize)
}

/// Writes `v=DKIM1` (when it was present) and the tags in the order of RFC 6376 s3.6.1.
impl fmt::Display for DkimKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.version {
            parts.push("v=DKIM1".to_owned());
        }
        if !self.hashes.is_empty() {
            parts.push(format!("h={}", self.hashes.join(":")));
        }
        parts.push(format!(
            "k={}",
            match self.key_type {
                KeyType::Rsa => "rsa",
                KeyType::Ed25519 => "ed25519",
            }
        ));
        if let Some(n) = &self.notes {
            parts.push(format!("n={n}"));
        }
        if !self.services.is_empty() {
            parts.push(format!("s={}", self.services.join(":")));
        }
        if !self.flags.is_empty() {
            parts.push(format!("t={}", self.flags.join(":")));
        }
        for (name, value) in &self.unknown {
            parts.push(format!("{name}={value}"));
        }
        parts.push(format!("p={}", self.key_data));
        f.write_str(&parts.join("; "))
    }
}

/// The name of a selector's key record: `<selector>._domainkey.<domain>`.
pub fn key_name(selector: &str, domain: &str) -> String {
    format!(
        "{}._domainkey.{}",
        normalize_name(selector),
        normalize_name(domain)
    )
}

/// What the key at a selector is, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimReport {
    /// `<selector>._domainkey.<domain>`.
    pub name: String,
    /// The record as published.
    pub record_text: Option<String>,
    /// The parsed key.
    pub key: Option<DkimKey>,
    /// The DIAGNOSES.md s4.12 diagnoses.
    pub diagnoses: Vec<Diagnosis>,
}

/// Judges the answer to the TXT query of [`key_name`]`(selector, domain)`: missing, revoked,
/// weak (RSA < 1024 bits: failure, < 2048: warning, RFC 8301 s3.2), syntax, `t=y`.
///
/// ```
/// use smtp_sansio::records::{Answer, Rdata};
/// use smtp_sansio::records::dkim::check_key;
/// use smtp_sansio::DiagnosisClass;
///
/// let report = check_key("sel", "example.com", &Answer::records(vec![Rdata::txt("v=DKIM1; p=")]));
/// assert_eq!(report.diagnoses[0].class(), DiagnosisClass::DkimKeyRevoked);
/// ```
pub fn check_key(selector: &str, domain: &str, answer: &Answer) -> DkimReport {
    let name = key_name(selector, domain);
    let rule = "dkim:key";
    let mut report = DkimReport {
        name: name.clone(),
        record_text: None,
        key: None,
        diagnoses: Vec::new(),
    };
    let texts = txt_texts(answer);
    let candidates: Vec<&String> = texts
        .iter()
        .filter(|t| t.contains("p=") || t.trim_start().starts_with("v=DKIM1"))
        .collect();
    let text = match (answer, candidates.as_slice()) {
        (Answer::TempFail, _) => return report,
        (_, []) => {
            report.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::DkimKeyMissing,
                rule,
                None,
                format!("no DKIM key record at {name}"),
            ));
            return report;
        }
        (_, [one]) => (*one).clone(),
        (_, many) => {
            report.diagnoses.push(Diagnosis::from_record(
                DiagnosisClass::DkimSyntaxError,
                rule,
                None,
                format!(
                    "{name} has {} key records; verifiers may pick either",
                    many.len()
                ),
            ));
            many[0].clone()
        }
    };
    report.record_text = Some(text.clone());
    match DkimKey::parse(&text) {
        Err(e) => report.diagnoses.push(Diagnosis::from_record(
            DiagnosisClass::DkimSyntaxError,
            rule,
            Some(&text),
            format!("{name}: {e}"),
        )),
        Ok(key) => {
            match key.public_key {
                PublicKey::Revoked => report.diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DkimKeyRevoked,
                    rule,
                    Some(&text),
                    format!("{name}: p= is empty"),
                )),
                PublicKey::Rsa { bits } if bits < 2048 => {
                    let detail = format!("{name}: RSA key of {bits} bits");
                    report.diagnoses.push(if bits < 1024 {
                        Diagnosis::from_record(
                            DiagnosisClass::DkimKeyWeak,
                            rule,
                            Some(&text),
                            detail,
                        )
                    } else {
                        Diagnosis::from_record_with_severity(
                            DiagnosisClass::DkimKeyWeak,
                            DiagnosisSeverity::Warning,
                            rule,
                            Some(&text),
                            detail,
                        )
                    });
                }
                _ => {}
            }
            if key.is_testing() {
                report.diagnoses.push(Diagnosis::from_record(
                    DiagnosisClass::DkimTestingMode,
                    rule,
                    Some(&text),
                    format!("{name}: t=y"),
                ));
            }
            report.key = Some(key);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Rdata;

    /// RFC 6376 Appendix C's 1024-bit example key ("brisbane" selector).
    const RFC6376_KEY: &str = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

    #[test]
    fn rfc_examples() {
        let key = DkimKey::parse(RFC6376_KEY).unwrap();
        assert_eq!(key.public_key, PublicKey::Rsa { bits: 1024 });
        assert_eq!(DkimKey::parse(&key.to_string()).unwrap(), key);
        // RFC 8463 Appendix A.
        let ed =
            DkimKey::parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
                .unwrap();
        assert_eq!(ed.public_key, PublicKey::Ed25519);
        // Split across TXT strings with folding white space inside p=.
        let folded = RFC6376_KEY.replacen("MIGf", "MI Gf", 1);
        assert_eq!(
            DkimKey::parse(&folded).unwrap().public_key,
            PublicKey::Rsa { bits: 1024 }
        );
    }

    #[test]
    fn typed_errors() {
        let kind = |t: &str| DkimKey::parse(t).unwrap_err().kind;
        assert_eq!(kind("k=rsa; v=DKIM1; p="), DkimErrorKind::BadVersion);
        assert_eq!(kind("v=DKIM1; k=rsa"), DkimErrorKind::MissingKey);
        assert_eq!(
            kind("v=DKIM1; k=dsa; p=AAAA"),
            DkimErrorKind::UnknownKeyType
        );
        assert_eq!(kind("v=DKIM1; p=!!!"), DkimErrorKind::KeyNotBase64);
        assert_eq!(kind("v=DKIM1; p=AAAA"), DkimErrorKind::InvalidKey);
        assert_eq!(
            kind("v=DKIM1; k=ed25519; p=AAAA"),
            DkimErrorKind::InvalidKey
        );
        assert_eq!(kind("v=DKIM1; p=; p="), DkimErrorKind::DuplicateTag);
    }

    #[test]
    fn checks() {
        let classes = |answer: Answer| -> Vec<(DiagnosisClass, DiagnosisSeverity)> {
            check_key("s", "example.com", &answer)
                .diagnoses
                .iter()
                .map(|d| (d.class(), d.severity()))
                .collect()
        };
        assert_eq!(
            classes(Answer::NxDomain),
            [(DiagnosisClass::DkimKeyMissing, DiagnosisSeverity::Permanent)]
        );
        assert_eq!(
            classes(Answer::records(vec![Rdata::txt(format!(
                "{RFC6376_KEY}; t=y"
            ))])),
            [
                (DiagnosisClass::DkimKeyWeak, DiagnosisSeverity::Warning),
                (DiagnosisClass::DkimTestingMode, DiagnosisSeverity::Info)
            ]
        );
        assert_eq!(
            classes(Answer::records(vec![Rdata::txt("v=DKIM1; k=foo; p=AAAA")])),
            [(
                DiagnosisClass::DkimSyntaxError,
                DiagnosisSeverity::Permanent
            )]
        );
        assert_eq!(
            key_name("Sel", "Example.COM."),
            "sel._domainkey.example.com"
        );
    }
}
