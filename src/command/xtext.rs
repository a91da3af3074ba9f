//! xtext, the encoding of ESMTP parameter values that may hold any octet: `ENVID=`, `ORCPT=`
//! (RFC 3461 s4) and `AUTH=` (RFC 4954 s5).
//!
//! ```text
//! xtext   = *( xchar / hexchar )                  ; RFC 3461 s4
//! xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive,
//!           except for "+" and "="
//! hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits
//! ```
//!
//! Every octet that is not an `xchar` is encoded, one `+XX` per octet: `é` (UTF-8 `C3 A9`)
//! becomes `+C3+A9`. Non-ASCII is never passed through.
//!
//! ```
//! use smtp_sansio::command::xtext;
//! assert_eq!(xtext::encode("a+b=c é".as_bytes()), "a+2Bb+3Dc+20+C3+A9");
//! assert_eq!(xtext::decode("a+2Bb+3Dc")?, b"a+b=c");
//! # Ok::<(), smtp_sansio::command::xtext::XtextError>(())
//! ```

/// Why a string is not xtext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "xtext offset {offset}: expected {expected}, found {}",
    crate::escape::terminal_line(found)
)]
#[non_exhaustive]
pub struct XtextError {
    /// Octet offset of the offending character.
    pub offset: usize,
    /// What RFC 3461 s4 allows there.
    pub expected: &'static str,
    /// What was there (quoted), or "end of input".
    pub found: String,
}

/// Whether `octet` stands for itself in xtext (RFC 3461 s4 `xchar`).
pub const fn is_xchar(octet: u8) -> bool {
    matches!(octet, b'!'..=b'~') && octet != b'+' && octet != b'='
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the xtext form of `data` to `out`.
pub fn encode_to(data: &[u8], out: &mut Vec<u8>) {
    for &octet in data {
        if is_xchar(octet) {
            out.push(octet);
        } else {
            out.extend_from_slice(&[
                b'+',
                HEX[usize::from(octet >> 4)],
                HEX[usize::from(octet & 0x0f)],
            ]);
        }
    }
}

/// The xtext form of `data`.
pub fn encode(data: &[u8]) -> String {
    let mut out = Vec::with_capacity(data.len());
    encode_to(data, &mut out);
    // Every octet written above is ASCII.
    String::from_utf8_lossy(&out).into_owned()
}

/// How many octets the xtext form of `data` takes.
pub fn encoded_len(data: &[u8]) -> usize {
    data.iter()
        .map(|&octet| if is_xchar(octet) { 1 } else { 3 })
        .sum()
}

fn upper_hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Decodes xtext. Strict: hex digits must be upper case, as RFC 3461 s4 requires, and every
/// other character must be an `xchar`.
pub fn decode(text: &str) -> Result<Vec<u8>, XtextError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octet = bytes[i];
        if octet == b'+' {
            let digits = (
                bytes.get(i + 1).copied().and_then(upper_hex_value),
                bytes.get(i + 2).copied().and_then(upper_hex_value),
            );
            let (Some(high), Some(low)) = digits else {
                return Err(error(
                    text,
                    i + 1,
                    "two upper-case hexadecimal digits after '+'",
                ));
            };
            out.push(high << 4 | low);
            i += 3;
        } else if is_xchar(octet) {
            out.push(octet);
            i += 1;
        } else {
            return Err(error(
                text,
                i,
                "a printable ASCII character other than '+', '=' and space, or '+XX'",
            ));
        }
    }
    Ok(out)
}

fn error(text: &str, offset: usize, expected: &'static str) -> XtextError {
    let rest = text.get(offset..).unwrap_or("");
    XtextError {
        offset,
        expected,
        found: crate::grammar::describe(rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        let kats: &[(&[u8], &str)] = &[
            (b"", ""),
            (b"abc", "abc"),
            (b"+", "+2B"),
            (b"=", "+3D"),
            (b" ", "+20"),
            (b"\r\n\0", "+0D+0A+00"),
            (b"\x7f", "+7F"),
            ("bjørn".as_bytes(), "bj+C3+B8rn"),
            ("日".as_bytes(), "+E6+97+A5"),
            (b"\xff", "+FF"),
            (b"a+b=c@example.com", "a+2Bb+3Dc@example.com"),
            (b"!~\"", "!~\""),
        ];
        for (data, text) in kats {
            assert_eq!(encode(data), *text, "{data:?}");
            assert_eq!(encoded_len(data), text.len());
            assert_eq!(decode(text).as_deref(), Ok(*data), "{text}");
        }
    }

    #[test]
    fn decoding_is_strict() {
        let bad = |text: &str, offset: usize| {
            let err = decode(text).unwrap_err();
            assert_eq!(err.offset, offset, "{text}: {err}");
        };
        bad("a+2b", 2);
        bad("+", 1);
        bad("+4", 1);
        bad("a=b", 1);
        bad("a b", 1);
        bad("é", 0);
        bad("x\r\n", 1);
        assert!(
            decode("+zz")
                .unwrap_err()
                .to_string()
                .contains("upper-case hexadecimal")
        );
    }

    proptest! {
        #[test]
        fn encode_then_decode_is_identity(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = encode(&data);
            prop_assert!(text.bytes().all(|b| is_xchar(b) || b == b'+' || b.is_ascii_hexdigit()));
            prop_assert_eq!(text.len(), encoded_len(&data));
            prop_assert_eq!(decode(&text).unwrap(), data);
        }

        #[test]
        fn decode_never_panics(text in "\\PC{0,32}") {
            if let Ok(data) = decode(&text) {
                // A canonical encoding is never longer than what it came from.
                prop_assert!(encode(&data).len() <= text.len());
            }
        }
    }
}
