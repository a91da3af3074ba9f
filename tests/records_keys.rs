//! Key and certificate tests of the record layer that need generated keys (rcgen): the DKIM
//! RSA size reader and the DANE TLSA matcher. Integration tests, so that the library's unit
//! tests need no key generator.

use smtp_sansio::records::dkim::{DkimKey, PublicKey, rsa_modulus_bits};

#[test]
fn generated_rsa_sizes_and_pkcs1() {
    use rcgen::KeyPair;
    // A 2048-bit key from rcgen would need an RSA generator; build the DER by hand instead:
    // SEQUENCE { INTEGER n (257 octets with leading 0), INTEGER 65537 }.
    let mut n = vec![0x00, 0xc1];
    n.extend(std::iter::repeat_n(0x55, 255));
    let mut inner = vec![0x02, 0x82, 0x01, 0x01];
    inner.extend(&n);
    inner.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
    let mut pkcs1 = vec![0x30, 0x82];
    pkcs1.extend(u16::try_from(inner.len()).unwrap().to_be_bytes());
    pkcs1.extend(&inner);
    assert_eq!(rsa_modulus_bits(&pkcs1), Some(2048));
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&pkcs1)
    };
    let key = DkimKey::parse(&format!("v=DKIM1; k=rsa; p={b64}")).unwrap();
    assert_eq!(key.public_key, PublicKey::Rsa { bits: 2048 });
    // An EC key is not an RSA key.
    let ec = KeyPair::generate().unwrap();
    assert_eq!(rsa_modulus_bits(&ec.public_key_der()), None);
}

#[cfg(feature = "dane")]
mod dane {
    use sha2::{Digest, Sha256, Sha512};
    use smtp_sansio::records::dane::{TlsaRecord, check_chain, subject_public_key_info};

    #[test]
    fn matches_a_generated_certificate() {
        let cert = rcgen::generate_simple_self_signed(vec!["mx.example.com".to_owned()]).unwrap();
        let der = cert.cert.der().to_vec();
        let spki = subject_public_key_info(&der).expect("spki");
        assert_eq!(spki, cert.key_pair.public_key_der().as_slice());
        let chain = vec![der.clone()];
        let r311 = TlsaRecord {
            usage: 3,
            selector: 1,
            matching: 1,
            data: Sha256::digest(spki).to_vec(),
        };
        assert_eq!(r311.matches(&chain), Ok(true));
        let r302 = TlsaRecord {
            usage: 3,
            selector: 0,
            matching: 2,
            data: Sha512::digest(&der).to_vec(),
        };
        assert_eq!(r302.matches(&chain), Ok(true));
        let r300 = TlsaRecord {
            usage: 3,
            selector: 0,
            matching: 0,
            data: der.clone(),
        };
        assert_eq!(r300.matches(&chain), Ok(true));
        // DANE-TA matches any certificate of the chain; DANE-EE only the first.
        let other = rcgen::generate_simple_self_signed(vec!["x.example".to_owned()]).unwrap();
        let chain2 = vec![other.cert.der().to_vec(), der.clone()];
        assert_eq!(r311.matches(&chain2), Ok(false));
        let r211 = TlsaRecord {
            usage: 2,
            ..r311.clone()
        };
        assert_eq!(r211.matches(&chain2), Ok(true));
        assert!(
            check_chain(
                "_25._tcp.mx.example.com",
                std::slice::from_ref(&r311),
                &chain2
            )
            .is_err()
        );
        assert!(
            matches!(check_chain("_25._tcp.mx.example.com", std::slice::from_ref(&r311), &chain), Ok(Some(r)) if *r == r311)
        );
        assert!(subject_public_key_info(b"\x30\x03\x02\x01\x01").is_none());
    }
}
