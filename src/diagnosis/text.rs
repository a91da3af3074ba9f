//! [`diagnose_text`]: a diagnosis for a reply as users paste it from logs and error messages.

use super::engine::{self, Facts};
use super::noreply::{Foreign, pasted_error};
use super::{Diagnosis, diagnose};
use crate::escape::terminal_line;
use crate::reply::{Decoded, ReplyLimits, leading_enhanced_code, parse_reply};
use crate::stage::Stage;

/// Diagnoses a reply pasted as text, in the forms logs and libraries print it:
///
/// - the wire form, lines joined by CRLF, LF or CR (`550-5.7.1 ...` / `550 5.7.1 ...`);
/// - the lines joined by spaces on one line (`550-5.7.1 first 550-5.7.1 second 550 5.7.1 last`);
/// - without the reply code, as Python's smtplib and .NET show it (`5.7.1 Relay access denied`,
///   or several lines each starting with the enhanced code);
/// - Python's exception tuple `(550, b'5.1.1 ...')`;
/// - a DSN `Diagnostic-Code: smtp; 550 ...` line.
///
/// With a reply code the text is rebuilt into a [`Reply`](crate::Reply) and given to
/// [`diagnose`]; without one, the enhanced code's class and the words decide, and the
/// diagnosis's [`Evidence::pasted`](super::Evidence::pasted) keeps the text. Never panics; any
/// string gives exactly one diagnosis.
///
/// A diagnosis never cites a code the text does not hold ([taxonomy](super::taxonomy) s4.9b):
///
/// - another protocol's banner (`HTTP/1.1 ...`, `+OK` / `-ERR`, `* OK`, `SSH-2.0-`, a TLS
///   record) is [`MalformedReply`](super::DiagnosisClass::MalformedReply) naming the protocol
///   and the wrong-port remedy, or [`TlsModeMismatch`](super::DiagnosisClass::TlsModeMismatch)
///   for a TLS record where the greeting was due;
/// - without any code, error text from a program or the OS (`Connection refused`, `Connection
///   unexpectedly closed`, `timed out`, `Name or service not known`, `certificate verify
///   failed`) gets the transport or TLS class it names, and binary bytes are
///   `malformed_reply`;
/// - text with no code, no enhanced code and no phrase the rules know is
///   [`Unrecognized`](super::DiagnosisClass::Unrecognized) (severity info, confidence low).
///
/// ```
/// use smtp_sansio::{diagnose_text, DiagnosisClass, Stage};
///
/// assert_eq!(diagnose_text(Stage::Greeting, "+OK Dovecot ready.").class(), DiagnosisClass::MalformedReply);
/// assert_eq!(diagnose_text(Stage::Any, "[Errno 111] Connection refused").class(), DiagnosisClass::ConnectionRefused);
/// let d = diagnose_text(Stage::Rcpt, "hello world");
/// assert_eq!((d.class(), d.code(), d.enhanced_code()), (DiagnosisClass::Unrecognized, None, None));
/// ```
pub fn diagnose_text(stage: Stage, pasted: &str) -> Diagnosis {
    let trimmed = pasted.trim();
    // DIAGNOSES.md s4.9b: another protocol's banner is not a reply, whatever digits follow.
    if let Some(foreign) = Foreign::banner(trimmed.as_bytes()) {
        return given(foreign_text(stage, foreign, trimmed), trimmed);
    }
    let unwrapped = unwrap(trimmed);
    let mut code: Option<[u8; 3]> = unwrapped.code;
    let mut lines: Vec<&str> = Vec::new();
    for line in unwrapped.text.split(['\r', '\n']) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (line_code, rest) = split_code(line);
        if let Some(line_code) = line_code {
            code = Some(line_code);
        }
        lines.push(rest);
    }
    if let Some(code) = code {
        let lines = split_joined(&lines, code);
        if let Some(reply) = rebuild(code, &lines) {
            return diagnose(stage, &reply);
        }
    }
    let enhanced = lines.first().and_then(|line| {
        leading_enhanced_code(line.as_bytes())
            .map(|(code, _)| code)
            .or_else(|| engine::hashed_enhanced_code(line.as_bytes()))
    });
    if enhanced.is_none() {
        // No code of any kind: an error a program wrote, binary bytes, or text to match by
        // its words alone (and `unrecognized` when there are none).
        let joined = lines.join("\n");
        if let Some(diagnosis) = pasted_error(stage, &joined) {
            return given(diagnosis, &joined);
        }
        if Foreign::is_binary(trimmed.as_bytes()) {
            return given(foreign_text(stage, Foreign::Binary, trimmed), trimmed);
        }
    }
    let verdict = engine::classify(
        Facts {
            stage,
            code: None,
            enhanced,
        },
        lines.iter().map(|line| strip_enhanced(line).as_bytes()),
    );
    let mut diagnosis = engine::build(stage, verdict, None, enhanced);
    diagnosis.evidence.pasted = Some(lines.join("\n"));
    diagnosis
}

/// Diagnoses a reply given as raw bytes, as read from a socket, a file or standard input:
/// one reply in wire form (CRLF or LF line ends) is parsed as it is, so non-UTF-8 text is kept;
/// anything else (no code prefix, wrapped lines, a Python tuple...) goes to [`diagnose_text`].
pub fn diagnose_bytes(stage: Stage, input: &[u8]) -> Diagnosis {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |at| at + 1);
    let mut wire = input[start..end.max(start)].to_vec();
    wire.extend_from_slice(b"\r\n");
    if let Ok(Decoded::Complete { value, consumed }) = parse_reply(&wire, &ReplyLimits::default())
        && consumed == wire.len()
    {
        return diagnose(stage, &value);
    }
    diagnose_text(
        stage,
        &String::from_utf8_lossy(&input[start..end.max(start)]),
    )
}

/// The diagnosis of a text that is not a server's reply, with the text as its evidence.
fn given(mut diagnosis: Diagnosis, text: &str) -> Diagnosis {
    diagnosis.evidence.pasted = Some(text.to_owned());
    diagnosis
}

/// [`Foreign::diagnosis`] for pasted text, its detail quoting the start of the text.
fn foreign_text(stage: Stage, foreign: Foreign, text: &str) -> Diagnosis {
    let detail = match foreign {
        Foreign::Tls => {
            "the text starts with the octets of a TLS record, not with a reply code".to_owned()
        }
        Foreign::Binary => format!(
            "{} of its {} octets are control octets that text does not hold",
            text.bytes()
                .filter(|&b| (b < 0x20 && !b.is_ascii_whitespace()) || b == 0x7f)
                .count(),
            text.len()
        ),
        _ => {
            let first = text.lines().next().unwrap_or_default();
            let shown: String = first.chars().take(64).collect();
            format!("\"{}\"", terminal_line(&shown))
        }
    };
    foreign.diagnosis(stage, "pasted:", detail)
}

struct Unwrapped<'a> {
    code: Option<[u8; 3]>,
    text: std::borrow::Cow<'a, str>,
}

/// Removes the wrappers tools put around a reply: Python's `(550, b'...')` tuple and a DSN's
/// `Diagnostic-Code: smtp;` prefix.
fn unwrap(text: &str) -> Unwrapped<'_> {
    if let Some(python) = python_tuple(text) {
        return python;
    }
    let mut rest = text;
    if let Some(after) = strip_prefix_ignore_case(rest, "diagnostic-code:") {
        rest = after.trim_start();
    }
    if let Some(after) = strip_prefix_ignore_case(rest, "smtp;") {
        rest = after.trim_start();
    }
    Unwrapped {
        code: None,
        text: std::borrow::Cow::Borrowed(rest),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `(550, b'5.1.1 text\n5.1.1 more')` or `(550, '...')` or `(550, "...")`.
fn python_tuple(text: &str) -> Option<Unwrapped<'static>> {
    let inner = text.strip_prefix('(')?.strip_suffix(')')?;
    let (number, rest) = inner.split_once(',')?;
    let number = number.trim();
    let code: [u8; 3] = number.as_bytes().try_into().ok()?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('b').unwrap_or(rest);
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = rest[1..].trim_end().strip_suffix(quote)?;
    Some(Unwrapped {
        code: Some(code),
        text: std::borrow::Cow::Owned(unescape_python(body)),
    })
}

/// Undoes Python's `repr` escapes (`\n`, `\r`, `\t`, `\\`, `\'`, `\"`, `\xNN`).
fn unescape_python(body: &str) -> String {
    let mut bytes = Vec::with_capacity(body.len());
    let mut input = body.as_bytes().iter().copied().peekable();
    while let Some(byte) = input.next() {
        if byte != b'\\' {
            bytes.push(byte);
            continue;
        }
        match input.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b'r') => bytes.push(b'\r'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'x') => {
                let hex: Vec<u8> = (0..2).filter_map(|_| input.next()).collect();
                match std::str::from_utf8(&hex)
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(value) => bytes.push(value),
                    None => {
                        bytes.extend_from_slice(b"\\x");
                        bytes.extend_from_slice(&hex);
                    }
                }
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Splits `NNN-` / `NNN ` / a bare `NNN` off the start of a line.
fn split_code(line: &str) -> (Option<[u8; 3]>, &str) {
    let bytes = line.as_bytes();
    if bytes.len() >= 3 && bytes[..3].iter().all(u8::is_ascii_digit) {
        let code = [bytes[0], bytes[1], bytes[2]];
        match bytes.get(3) {
            None => return (Some(code), ""),
            Some(b'-' | b' ' | b'\t') => return (Some(code), line[4..].trim_start()),
            Some(_) => {}
        }
    }
    (None, line)
}

/// Splits lines that hold several wire lines joined by spaces (`... 550-5.7.1 next ...`).
fn split_joined<'a>(lines: &[&'a str], code: [u8; 3]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let mut rest = *line;
        while let Some(at) = find_marker(rest, code) {
            out.push(rest[..at].trim_end());
            rest = rest[at + 5..].trim_start();
        }
        out.push(rest);
    }
    out.retain(|line| !line.is_empty());
    out
}

/// The offset of ` NNN-` or ` NNN ` inside `text`.
fn find_marker(text: &str, code: [u8; 3]) -> Option<usize> {
    text.as_bytes().windows(5).position(|window| {
        window[0] == b' ' && window[1..4] == code && matches!(window[4], b'-' | b' ')
    })
}

/// Writes the lines as a wire reply and parses it back.
fn rebuild(code: [u8; 3], lines: &[&str]) -> Option<crate::Reply> {
    let mut wire = Vec::with_capacity(lines.iter().map(|line| line.len() + 6).sum());
    if lines.is_empty() {
        wire.extend_from_slice(&code);
        wire.extend_from_slice(b"\r\n");
    }
    for (index, line) in lines.iter().enumerate() {
        wire.extend_from_slice(&code);
        wire.push(if index + 1 == lines.len() { b' ' } else { b'-' });
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    match parse_reply(&wire, &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, consumed }) if consumed == wire.len() => Some(value),
        _ => None,
    }
}

fn strip_enhanced(line: &str) -> &str {
    match leading_enhanced_code(line.as_bytes()) {
        Some((_, rest)) => &line[line.len() - rest.len()..],
        None => line,
    }
}
