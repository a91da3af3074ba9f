//! The nom grammar of one reply line, run after framing has cut the line out.

use nom::IResult;
use nom::error::{Error, ErrorKind};

use super::ReplyCode;

/// How a reply line continues (RFC 5321 s4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    /// `250-...`: more lines follow.
    Continues,
    /// `250 ...`: the last line.
    Last,
    /// `250` alone: a last line with no text (legal, but "senders SHOULD NOT send bare codes").
    Bare,
}

/// One reply line with its line end removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedLine<'a> {
    pub code: ReplyCode,
    pub separator: Separator,
    /// Everything after the separator.
    pub text: &'a [u8],
}

/// Why a line is not a reply line, with the position inside the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineFault {
    /// The line does not start with three digits.
    BadCode,
    /// The three digits are followed by something other than SP, `-` or the line end.
    BadSeparator(u8),
}

/// ```text
/// Reply-code = %x32-35 %x30-35 %x30-39          ; RFC 5321 s4.2
/// ```
/// Any three digits are accepted; [`ReplyCode::is_standard`] tells whether the server kept
/// to the RFC, and the decoder records an anomaly when it did not.
/// (Written as a slice pattern rather than `take_while_m_n`: this runs for every line of
/// every reply, and the pattern compiles to three comparisons.)
fn reply_code(input: &[u8]) -> IResult<&[u8], ReplyCode> {
    match input {
        [a @ b'0'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] => {
            Ok((rest, ReplyCode::from_digits([*a, *b, *c])))
        }
        _ => Err(nom::Err::Error(Error::new(input, ErrorKind::Digit))),
    }
}

/// ```text
/// separator = "-" / SP / <end of line>           ; RFC 5321 s4.2.1
/// ```
fn separator(input: &[u8]) -> IResult<&[u8], Separator> {
    match input {
        [b'-', rest @ ..] => Ok((rest, Separator::Continues)),
        [b' ', rest @ ..] => Ok((rest, Separator::Last)),
        [] => Ok((input, Separator::Bare)),
        _ => Err(nom::Err::Error(Error::new(input, ErrorKind::OneOf))),
    }
}

/// ```text
/// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
///              Reply-code [ SP textstring ] CRLF   ; RFC 5321 s4.2
/// textstring = 1*(%d09 / %d32-126)                 ; any octets tolerated here
/// ```
/// This parses one line of that production; the decoder assembles lines into a reply.
pub(crate) fn reply_line(line: &[u8]) -> Result<ParsedLine<'_>, LineFault> {
    let (rest, code) = match reply_code(line) {
        Ok(parsed) => parsed,
        Err(_) => return Err(LineFault::BadCode),
    };
    match separator(rest) {
        Ok((text, separator)) => Ok(ParsedLine {
            code,
            separator,
            text,
        }),
        Err(_) => Err(LineFault::BadSeparator(rest.first().copied().unwrap_or(0))),
    }
}

/// Splits a line that the decoder has already validated, without checking it again.
/// Returns `None` for blank lines (the only lines a validated reply holds that are not
/// reply lines).
#[inline]
pub(crate) fn validated_line(line: &[u8]) -> Option<ParsedLine<'_>> {
    match line {
        [a, b, c, rest @ ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            let (separator, text) = match rest {
                [b'-', text @ ..] => (Separator::Continues, text),
                [_, text @ ..] => (Separator::Last, text),
                [] => (Separator::Bare, rest),
            };
            Some(ParsedLine {
                code: ReplyCode::from_digits([*a, *b, *c]),
                separator,
                text,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let ok = |line: &[u8], code: u16, sep: Separator, text: &[u8]| {
            let parsed = reply_line(line).unwrap();
            assert_eq!(parsed.code.value(), code);
            assert_eq!(parsed.separator, sep);
            assert_eq!(parsed.text, text);
        };
        ok(b"250 OK", 250, Separator::Last, b"OK");
        ok(b"250-SIZE 1000", 250, Separator::Continues, b"SIZE 1000");
        ok(b"250", 250, Separator::Bare, b"");
        ok(b"250-", 250, Separator::Continues, b"");
        ok(b"600 odd", 600, Separator::Last, b"odd");
        ok(b"535 \xC7\xEB", 535, Separator::Last, b"\xC7\xEB");
        assert_eq!(reply_line(b"25 OK"), Err(LineFault::BadCode));
        assert_eq!(reply_line(b"HTTP/1.1 400"), Err(LineFault::BadCode));
        assert_eq!(reply_line(b"+OK POP3"), Err(LineFault::BadCode));
        assert_eq!(reply_line(b"2500 x"), Err(LineFault::BadSeparator(b'0')));
        assert_eq!(reply_line(b""), Err(LineFault::BadCode));
    }
}
