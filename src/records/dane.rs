//! DANE TLSA records (RFC 6698 s2, RFC 7672 for SMTP): the record, its presentation-format
//! parser, and (feature `dane`) a matcher over the certificate chain an MX presented.

use std::fmt;

use crate::diagnosis::{Diagnosis, DiagnosisClass};

/// One TLSA record (RFC 6698 s2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsaRecord {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE.
    pub usage: u8,
    /// Selector: 0 the whole certificate, 1 its SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA-256, 2 SHA-512.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// A TLSA record in presentation format that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLSA record: {0}")]
pub struct TlsaParseError(pub &'static str);

impl TlsaRecord {
    /// Parses the presentation format `usage selector matching hex` (RFC 6698 s2.2); the hex
    /// may be split by white space.
    ///
    /// ```
    /// use smtp_sansio::records::dane::TlsaRecord;
    /// // RFC 6698 s2.3's first example.
    /// let r = TlsaRecord::parse("0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971").unwrap();
    /// assert_eq!((r.usage, r.selector, r.matching, r.data.len()), (0, 0, 1, 32));
    /// ```
    ///
    /// # Errors
    /// [`TlsaParseError`] for a missing or non-numeric field, a field over 255, or data that
    /// is not hex.
    pub fn parse(text: &str) -> Result<TlsaRecord, TlsaParseError> {
        let mut fields = text.split_ascii_whitespace();
        let mut number = |what| -> Result<u8, TlsaParseError> {
            fields
                .next()
                .ok_or(TlsaParseError(what))?
                .parse::<u8>()
                .map_err(|_| TlsaParseError(what))
        };
        let usage = number("usage is not a number from 0 to 255")?;
        let selector = number("selector is not a number from 0 to 255")?;
        let matching = number("matching type is not a number from 0 to 255")?;
        let hex: String = fields.collect();
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return Err(TlsaParseError(
                "association data is not an even number of hex digits",
            ));
        }
        let mut data = Vec::with_capacity(hex.len() / 2);
        for pair in hex.as_bytes().chunks(2) {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(hi), Some(lo)) => data.push(u8::try_from(hi * 16 + lo).unwrap_or(0)),
                _ => return Err(TlsaParseError("association data is not hex")),
            }
        }
        Ok(TlsaRecord {
            usage,
            selector,
            matching,
            data,
        })
    }

    /// Whether SMTP DANE uses this record: usages 2 and 3 only (RFC 7672 s3.1.3), selectors 0
    /// and 1, matching types 0 to 2, and a digest of the right length.
    pub fn is_usable(&self) -> bool {
        matches!(self.usage, 2 | 3)
            && self.selector <= 1
            && match self.matching {
                0 => !self.data.is_empty(),
                1 => self.data.len() == 32,
                2 => self.data.len() == 64,
                _ => false,
            }
    }
}

/// Writes the presentation format, hex in upper case.
impl fmt::Display for TlsaRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} ", self.usage, self.selector, self.matching)?;
        for b in &self.data {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// The TLSA name of an SMTP server: `_25._tcp.<host>` (RFC 7672 s2.2).
pub fn tlsa_name(host: &str, port: u16) -> String {
    format!(
        "_{port}._tcp.{}",
        crate::records::query::normalize_name(host)
    )
}

/// `dane_unsigned` when TLSA records came in an answer that was not DNSSEC-authenticated
/// (RFC 7672 s2.2: only authenticated TLSA records may be used). `name` is the TLSA owner
/// name that was asked, `_<port>._tcp.<host>` ([`tlsa_name`]) for the port actually used.
pub fn check_authenticated(
    name: &str,
    records: &[TlsaRecord],
    authenticated: bool,
) -> Option<Diagnosis> {
    (!records.is_empty() && !authenticated).then(|| {
        Diagnosis::from_record(
            DiagnosisClass::DaneUnsigned,
            "dane:tlsa",
            None,
            format!(
                "{name} has {} TLSA record(s) in an answer not authenticated by DNSSEC",
                records.len()
            ),
        )
    })
}

#[cfg(feature = "dane")]
mod matching {
    use der::{Reader, SliceReader};
    use sha2::{Digest, Sha256, Sha512};

    use super::TlsaRecord;
    use crate::diagnosis::{Diagnosis, DiagnosisClass};

    /// A certificate that could not be read.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("certificate {index} of the chain is not a DER X.509 certificate")]
    pub struct CertificateError {
        /// Its position in the chain (0 = the server's own).
        pub index: usize,
    }

    /// The DER SubjectPublicKeyInfo of a DER X.509 certificate (RFC 5280 s4.1).
    pub fn subject_public_key_info(cert: &[u8]) -> Option<&[u8]> {
        let mut reader = SliceReader::new(cert).ok()?;
        let spki = reader
            .sequence(|certificate| {
                let spki = certificate.sequence(|tbs| {
                    // version [0] EXPLICIT is optional (v1 certificates).
                    if der::Tag::peek(tbs)?.is_context_specific() {
                        tbs.tlv_bytes()?;
                    }
                    // serialNumber, signature, issuer, validity, subject.
                    for _ in 0..5 {
                        tbs.tlv_bytes()?;
                    }
                    let spki = tbs.tlv_bytes()?;
                    let rest = tbs.remaining_len();
                    tbs.read_slice(rest)?;
                    Ok::<_, der::Error>(spki)
                })?;
                let rest = certificate.remaining_len();
                certificate.read_slice(rest)?;
                Ok::<_, der::Error>(spki)
            })
            .ok()?;
        reader.is_finished().then_some(spki)
    }

    impl TlsaRecord {
        /// Whether the record matches a certificate of the chain (RFC 6698 s2.1, RFC 7672
        /// s3.1): usage 3 (DANE-EE) against the server's own certificate (`chain[0]`), usage
        /// 2 (DANE-TA) against any certificate of the chain; selector 0 (the whole
        /// certificate) or 1 (its SubjectPublicKeyInfo); matching 0 (exact), 1 (SHA-256) or
        /// 2 (SHA-512). Usages 0 and 1 are not used by SMTP (RFC 7672 s3.1.3) and never match.
        ///
        /// # Errors
        /// [`CertificateError`] when a certificate the record applies to cannot be read.
        pub fn matches(&self, chain: &[Vec<u8>]) -> Result<bool, CertificateError> {
            if !self.is_usable() {
                return Ok(false);
            }
            let candidates: &[Vec<u8>] = match self.usage {
                3 => chain.get(..1).unwrap_or(&[]),
                _ => chain,
            };
            for (index, cert) in candidates.iter().enumerate() {
                let selected = match self.selector {
                    0 => cert.as_slice(),
                    _ => subject_public_key_info(cert).ok_or(CertificateError { index })?,
                };
                let matched = match self.matching {
                    0 => selected == self.data.as_slice(),
                    1 => Sha256::digest(selected).as_slice() == self.data.as_slice(),
                    _ => Sha512::digest(selected).as_slice() == self.data.as_slice(),
                };
                if matched {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }

    /// Matches an MX's TLSA records against the chain it presented (end-entity first).
    /// Only the records SMTP uses take part: usages 2 and 3, selectors 0 and 1, matching
    /// types 0 to 2 (RFC 7672 s3.1.3). `Ok(None)` when there are no records, `Ok(Some)` with
    /// the first record that matches, and `dane_tlsa_mismatch` when none does. `name` is the
    /// TLSA owner name asked (`_<port>._tcp.<host>`, see [`tlsa_name`](super::tlsa_name)).
    pub fn check_chain<'a>(
        name: &str,
        records: &'a [TlsaRecord],
        chain: &[Vec<u8>],
    ) -> Result<Option<&'a TlsaRecord>, Box<Diagnosis>> {
        if records.is_empty() {
            return Ok(None);
        }
        let usable = records.iter().filter(|r| r.is_usable());
        if let Some(matched) = usable.clone().find(|r| r.matches(chain).unwrap_or(false)) {
            return Ok(Some(matched));
        }
        let unusable = records.len() - usable.count();
        let shown: Vec<String> = records.iter().map(ToString::to_string).collect();
        Err(Box::new(Diagnosis::from_record(
            DiagnosisClass::DaneTlsaMismatch,
            "dane:tlsa",
            None,
            format!(
                "no TLSA record of {name} matches the {}-certificate chain presented{}: {}",
                chain.len(),
                if unusable > 0 {
                    format!(
                        " ({unusable} record(s) of a usage, selector or matching type SMTP does not use, RFC 7672 s3.1.3)"
                    )
                } else {
                    String::new()
                },
                shown.join(", ")
            ),
        )))
    }
}

#[cfg(feature = "dane")]
pub use matching::{CertificateError, check_chain, subject_public_key_info};

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6698 s2.3's examples (the hex split over lines as published).
    #[test]
    fn rfc6698_examples() {
        let sha256 = TlsaRecord::parse(
            "0 0 1 d2abde240d7cd3ee6b4b28c54df034b9\n 7983a1d16e8a410e4561cb106618e971",
        )
        .unwrap();
        assert_eq!((sha256.usage, sha256.selector, sha256.matching), (0, 0, 1));
        assert_eq!(sha256.data.len(), 32);
        // Usage 0 (PKIX-TA) is not used by SMTP DANE (RFC 7672 s3.1.3).
        assert!(!sha256.is_usable());
        let sha512 = TlsaRecord::parse(
            "1 1 2 92003ba34942dc74152e2f2c408d29ec a5a520e7f2e06bb944f4dca346baf63c 1b177615d466f6c4b71c216a50292bd5 8c9ebdd2f74e38fe51ffd48c43326cbc",
        )
        .unwrap();
        assert_eq!(sha512.data.len(), 64);
        assert_eq!(TlsaRecord::parse(&sha512.to_string()).unwrap(), sha512);
    }

    #[test]
    fn parse_and_write_back() {
        let text = "3 1 1 2BB183AF0CEF70B5BF8A7A8C9E4A4D1D7B67E7F5C2B2F5F4A7F2DA5B6C9E8F01";
        let r = TlsaRecord::parse(text).unwrap();
        assert!(r.is_usable());
        assert_eq!(r.to_string(), text);
        assert_eq!(TlsaRecord::parse(&r.to_string()).unwrap(), r);
        assert!(TlsaRecord::parse("3 1 1 ABC").is_err());
        assert!(TlsaRecord::parse("3 1 1 zz").is_err());
        assert!(TlsaRecord::parse("256 1 1 00").is_err());
        assert!(TlsaRecord::parse("3 1").is_err());
        assert!(!TlsaRecord::parse("1 1 1 00").unwrap().is_usable());
        assert_eq!(tlsa_name("MX.Example.com.", 25), "_25._tcp.mx.example.com");
    }

    #[test]
    fn diagnoses_name_the_port_checked() {
        let r = TlsaRecord::parse("3 1 1 00").unwrap();
        let name = tlsa_name("mx.example.com", 2525);
        let diagnosis = check_authenticated(&name, &[r], false).unwrap();
        assert!(
            diagnosis.to_string().contains("_2525._tcp.mx.example.com"),
            "{diagnosis}"
        );
        assert!(!diagnosis.to_string().contains("_25._tcp"), "{diagnosis}");
    }
}
