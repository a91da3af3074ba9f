//! The nom grammar of one reply line, run after framing has cut the line out.

use nom::IResult;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::take_while_m_n;
use nom::character::complete::char;
use nom::combinator::{eof, value};

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
fn reply_code(input: &[u8]) -> IResult<&[u8], ReplyCode> {
    take_while_m_n(3, 3, |b: u8| b.is_ascii_digit())
        .map(|d: &[u8]| ReplyCode::from_digits([d[0], d[1], d[2]]))
        .parse(input)
}

/// ```text
/// separator = "-" / SP / <end of line>           ; RFC 5321 s4.2.1
/// ```
fn separator(input: &[u8]) -> IResult<&[u8], Separator> {
    alt((
        value(Separator::Continues, char('-')),
        value(Separator::Last, char(' ')),
        value(Separator::Bare, eof),
    ))
    .parse(input)
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
        Err(_) => Err(LineFault::BadSeparator(rest[0])),
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
