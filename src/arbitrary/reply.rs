//! Replies (RFC 5321 s4.2), their codes and enhanced status codes (RFC 3463).

use ::arbitrary::{Arbitrary, Error, Result, Unstructured};

use super::{ascii_in, chance, count, non_ascii_letter};
use crate::reply::{EnhancedCode, RFC_REPLY_LINE_LENGTH, Reply, ReplyCode};

/// Codes that RFC 5321 s4.2.2 and s4.2.3 and its extensions (RFC 4954, RFC 3207, RFC 7504)
/// give a meaning, so that generated replies hit the usual cases often; 250 first, for spent
/// input.
const COMMON_CODES: [u16; 34] = [
    250, 211, 214, 220, 221, 235, 251, 252, 334, 354, 421, 432, 450, 451, 452, 454, 455, 500, 501,
    502, 503, 504, 521, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555, 556,
];

/// A code a server may send:
///
/// ```text
/// Reply-code = %x32-35 %x30-35 %x30-39          ; RFC 5321 s4.2
/// ```
/// Half of the time one of the codes the RFCs name, else any three digits of that form.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for ReplyCode {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let value = if chance(u, 50)? {
            let severity: u16 = u.int_in_range(2..=5)?;
            let category: u16 = u.int_in_range(0..=5)?;
            let detail: u16 = u.int_in_range(0..=9)?;
            severity * 100 + category * 10 + detail
        } else {
            *u.choose(&COMMON_CODES)?
        };
        ReplyCode::new(value).ok_or(Error::IncorrectFormat)
    }
}

/// An enhanced code of the given class (2, 4 or 5):
///
/// ```text
/// status-code = class "." subject "." detail     ; RFC 3463 s2
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
/// Mostly a registered subject (0 to 7) and a small detail, sometimes any up to 999.
fn enhanced_code(u: &mut Unstructured<'_>, class: u8) -> Result<EnhancedCode> {
    let subject = if chance(u, 20)? {
        u.int_in_range(0..=999)?
    } else {
        u.int_in_range(0..=7)?
    };
    let detail = if chance(u, 20)? {
        u.int_in_range(0..=999)?
    } else {
        u.int_in_range(0..=30)?
    };
    EnhancedCode::new(class, subject, detail).ok_or(Error::IncorrectFormat)
}

/// Class 2, 4 or 5 (RFC 3463 s3.1), any subject and detail RFC 3463 s2 allows.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for EnhancedCode {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let class = *u.choose(&[2, 4, 5])?;
        enhanced_code(u, class)
    }
}

/// The longest text that keeps any line within RFC 5321 s4.5.3.1.5: code, separator, the
/// longest enhanced code (`5.999.999`) and its space, CRLF.
const MAX_TEXT: usize = RFC_REPLY_LINE_LENGTH - 4 - 10 - 2;

/// The text of one reply line: printable ASCII with tabs and now and then a UTF-8 letter,
/// empty too, at most [`MAX_TEXT`] octets:
///
/// ```text
/// textstring = 1*(%d09 / %d32-126)               ; RFC 5321 s4.2
/// ```
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let mut text = String::new();
    for _ in 0..count(u, 0, 40, 120)? {
        let c = match u.int_in_range(0..=39u8)? {
            39 => '\t',
            36..=38 => non_ascii_letter(u)?,
            _ => ascii_in(u, b' ', b'~')?,
        };
        if text.len() + c.len_utf8() > MAX_TEXT {
            break;
        }
        text.push(c);
    }
    Ok(text)
}

/// One line most of the time, else up to 12 (up to 40 now and then, within the default
/// [`ReplyLimits`](crate::ReplyLimits)); an enhanced code of the code's class on about half
/// of the 2xx, 4xx and 5xx replies (RFC 3463 s2: never on 3xx), written by [`Reply::new`].
/// A text that begins like an enhanced code of another class makes the writer refuse the
/// reply; it then falls back to one empty line.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Reply {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let code = ReplyCode::arbitrary(u)?;
        let class = (code.value() / 100) as u8;
        let enhanced = if class != 3 && u.arbitrary()? {
            Some(enhanced_code(u, class)?)
        } else {
            None
        };
        let lines = if chance(u, 40)? {
            count(u, 2, 12, 40)?
        } else {
            1
        };
        let mut texts = Vec::with_capacity(lines);
        for _ in 0..lines {
            texts.push(text(u)?);
        }
        Reply::new(code, enhanced, &texts)
            .or_else(|_| Reply::new(code, enhanced, [""]))
            .map_err(|_| Error::IncorrectFormat)
    }
}
