//! [`EnhancedCode`]: the `class.subject.detail` status code of RFC 3463, as RFC 2034 puts it
//! at the start of reply text.

use std::fmt;
use std::str::FromStr;

use nom::IResult;
use nom::Parser;
use nom::error::{Error, ErrorKind};

/// An enhanced status code such as `5.7.1` (RFC 3463 s2).
///
/// `class` says the same as the reply code's first digit (2, 4 or 5); `subject` names the area
/// (1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content, 7 security);
/// `detail` narrows it. Providers overload the registry (Gmail's `5.7.26`, Microsoft's
/// `5.7.5xx`), so the diagnosis engine reads the text too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedCode {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// The subject, 0-999.
    pub subject: u16,
    /// The detail, 0-999.
    pub detail: u16,
}

impl EnhancedCode {
    /// Makes a code; `None` unless class is 2, 4 or 5 and subject and detail are at most 999.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
        if matches!(class, 2 | 4 | 5) && subject <= 999 && detail <= 999 {
            Some(EnhancedCode {
                class,
                subject,
                detail,
            })
        } else {
            None
        }
    }

    /// Writes the code (`5.7.1`) to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.push(b'0' + self.class);
        out.push(b'.');
        push_decimal(out, self.subject);
        out.push(b'.');
        push_decimal(out, self.detail);
    }
}

fn push_decimal(out: &mut Vec<u8>, value: u16) {
    if value >= 100 {
        out.push(b'0' + (value / 100) as u8);
    }
    if value >= 10 {
        out.push(b'0' + (value / 10 % 10) as u8);
    }
    out.push(b'0' + (value % 10) as u8);
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A string that is not an enhanced status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an enhanced status code (expected class.subject.detail, e.g. 5.7.1)")]
pub struct InvalidEnhancedCode(pub String);

impl FromStr for EnhancedCode {
    type Err = InvalidEnhancedCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match status_code(s.as_bytes()) {
            Ok((b"", code)) => Ok(code),
            _ => Err(InvalidEnhancedCode(s.to_owned())),
        }
    }
}

fn fail<T>(input: &[u8], kind: ErrorKind) -> IResult<&[u8], T> {
    Err(nom::Err::Error(Error::new(input, kind)))
}

/// `1*3digit`: one to three digits, as many as there are (greedy, like the ABNF).
fn decimal_1_3(input: &[u8]) -> IResult<&[u8], u16> {
    let digits = input
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return fail(input, ErrorKind::Digit);
    }
    let value = input[..digits]
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Ok((&input[digits..], value))
}

fn dot(input: &[u8]) -> IResult<&[u8], ()> {
    match input {
        [b'.', rest @ ..] => Ok((rest, ())),
        _ => fail(input, ErrorKind::Char),
    }
}

/// `class = "2" / "4" / "5"`.
fn class(input: &[u8]) -> IResult<&[u8], u8> {
    match input {
        [c @ (b'2' | b'4' | b'5'), rest @ ..] => Ok((rest, c - b'0')),
        _ => fail(input, ErrorKind::OneOf),
    }
}

/// ```text
/// status-code = class "." subject "." detail     ; RFC 3463 s2
/// class       = "2" / "4" / "5"
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
pub(crate) fn status_code(input: &[u8]) -> IResult<&[u8], EnhancedCode> {
    (class, dot, decimal_1_3, dot, decimal_1_3)
        .map(|(class, (), subject, (), detail)| EnhancedCode {
            class,
            subject,
            detail,
        })
        .parse(input)
}

/// [`status_code`] by hand, for the reply decoder's hot path: the code at the start of
/// `input` and its length.
#[inline]
fn scan_status_code(input: &[u8]) -> Option<(EnhancedCode, usize)> {
    /// `1*3digit`, greedy: its value and length.
    #[inline(always)]
    fn digits(input: &[u8]) -> Option<(u16, usize)> {
        let d = |b: u8| u16::from(b - b'0');
        match input {
            [a @ b'0'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', ..] => {
                Some((d(*a) * 100 + d(*b) * 10 + d(*c), 3))
            }
            [a @ b'0'..=b'9', b @ b'0'..=b'9', ..] => Some((d(*a) * 10 + d(*b), 2)),
            [a @ b'0'..=b'9', ..] => Some((d(*a), 1)),
            _ => None,
        }
    }
    let [c @ (b'2' | b'4' | b'5'), b'.', rest @ ..] = input else {
        return None;
    };
    let (subject, n) = digits(rest)?;
    let [b'.', rest @ ..] = &rest[n..] else {
        return None;
    };
    let (detail, m) = digits(rest)?;
    let code = EnhancedCode {
        class: c - b'0',
        subject,
        detail,
    };
    Some((code, 2 + n + 1 + m))
}

/// The enhanced code at the start of reply text, as [`leading_enhanced_code`] reads it,
/// without the text after it (what the reply decoder keeps).
#[inline]
pub(crate) fn leading_code(text: &[u8]) -> Option<EnhancedCode> {
    let (code, len) = scan_status_code(text)?;
    matches!(text.get(len), None | Some(b' ' | b'\t')).then_some(code)
}

/// Reads an enhanced code at the start of reply text, as RFC 2034 s4 places it:
/// `status-code SP text`. The code must be followed by a space, a tab or the end of the line,
/// so that `5.7.1x` or a version number like `2.0.0.1` is not mistaken for one.
/// Returns the code and the text after it (and after its separating white space).
pub(crate) fn leading_enhanced_code(text: &[u8]) -> Option<(EnhancedCode, &[u8])> {
    // Fast rejection: most replies without a code start with a letter.
    if !matches!(text.first(), Some(b'2' | b'4' | b'5')) {
        return None;
    }
    let (code, len) = scan_status_code(text)?;
    let rest = &text[len..];
    match rest.first() {
        None => Some((code, rest)),
        Some(b' ' | b'\t') => {
            let skip = rest
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            Some((code, &rest[skip..]))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_scan_matches_the_grammar(text in proptest::collection::vec(proptest::prop_oneof![proptest::strategy::Just(b'.'), proptest::strategy::Just(b'2'), proptest::strategy::Just(b'5'), proptest::strategy::Just(b'9'), proptest::strategy::Just(b'0'), proptest::strategy::Just(b' '), proptest::num::u8::ANY], 0..12)) {
            let nom = status_code(&text).ok().map(|(rest, code)| (code, text.len() - rest.len()));
            proptest::prop_assert_eq!(scan_status_code(&text), nom);
        }
    }

    #[test]
    fn known_answers() {
        type Expected = Option<(u8, u16, u16, &'static str)>;
        let cases: &[(&str, Expected)] = &[
            ("5.7.1 Relay denied", Some((5, 7, 1, "Relay denied"))),
            (
                "4.7.650 The mail server",
                Some((4, 7, 650, "The mail server")),
            ),
            ("2.0.0", Some((2, 0, 0, ""))),
            ("5.1.1\tUser unknown", Some((5, 1, 1, "User unknown"))),
            ("5.7.1234 x", None),
            ("3.0.0 no", None),
            ("5.7.1x", None),
            ("2.0.0.1 version", None),
            ("5.7", None),
            ("Relay denied", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = leading_enhanced_code(input.as_bytes()).map(|(c, rest)| {
                (
                    c.class,
                    c.subject,
                    c.detail,
                    std::str::from_utf8(rest).unwrap(),
                )
            });
            assert_eq!(got, *expected, "input {input:?}");
        }
    }

    #[test]
    fn display_and_parse_round_trip() {
        for text in ["2.0.0", "5.7.139", "4.4.2", "5.1.10"] {
            let code: EnhancedCode = text.parse().unwrap();
            assert_eq!(code.to_string(), text);
            let mut out = Vec::new();
            code.write_to(&mut out);
            assert_eq!(out, text.as_bytes());
        }
        assert!("5.7.1 ".parse::<EnhancedCode>().is_err());
        assert!(EnhancedCode::new(3, 0, 0).is_none());
    }
}
