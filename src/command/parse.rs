//! The command parser, the server side's mirror of the writer: frame one CRLF-terminated line
//! within the limit, check it is UTF-8, then run the grammar of RFC 5321 s4.1.1 on it.
//!
//! Framing first means malformed input cannot desync the stream: whatever the line holds, the
//! parser consumes exactly that line or reports an error for it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nom::Parser;
use nom::bytes::complete::{tag_no_case, take_while1};
use nom::character::complete::char;

use super::params::{mail_parameters, rcpt_parameters};
use super::{Command, CommandError, CommandLimits, CommandParseError, Verb};
use crate::address::{forward_path, host, reverse_path};
use crate::auth::Mechanism;
use crate::grammar::{CommandFault, Fault, FaultKind, Res, describe, expected};
use crate::reply::Decoded;
use crate::secret::Secret;

/// Finds the end of the first line of `input` within `limit` octets. Returns the line without
/// its CRLF and the octets used, or `None` when more input is needed.
fn frame(input: &[u8], limit: usize) -> Result<Option<(&[u8], usize)>, CommandParseError> {
    let window = &input[..input.len().min(limit)];
    match memchr::memchr(b'\n', window) {
        Some(lf) if lf > 0 && input[lf - 1] == b'\r' => Ok(Some((&input[..lf - 1], lf + 1))),
        Some(lf) => Err(CommandParseError::BareLineFeed { offset: lf }),
        None if window.len() >= limit => Err(CommandParseError::LineTooLong { limit }),
        None => Ok(None),
    }
}

/// Checks that a framed line is UTF-8 with no CR or NUL inside.
fn text_line(line: &[u8]) -> Result<&str, CommandParseError> {
    let text = std::str::from_utf8(line).map_err(|err| CommandParseError::NotUtf8 {
        offset: err.valid_up_to(),
    })?;
    if let Some(offset) = memchr::memchr2(b'\r', 0, line) {
        return Err(CommandParseError::Syntax {
            offset,
            expected: "no CR or NUL inside a command line",
            found: describe(&text[offset..]),
        });
    }
    Ok(text)
}

/// The one place where the grammar's faults become [`CommandParseError`]s.
fn into_error(fault: Fault<'_>, line: &str) -> CommandParseError {
    let offset = fault.offset_in(line);
    let found = describe(fault.at);
    match fault.kind {
        FaultKind::Command(CommandFault::UnknownVerb) => CommandParseError::UnknownVerb {
            found: line.chars().take(16).collect(),
        },
        FaultKind::Command(CommandFault::BadParameter { keyword, expected }) => {
            CommandParseError::InvalidParameter {
                offset,
                keyword,
                expected,
            }
        }
        FaultKind::Command(CommandFault::DuplicateParameter(keyword)) => {
            CommandParseError::DuplicateParameter { offset, keyword }
        }
        FaultKind::Command(CommandFault::Base64) => {
            CommandParseError::InvalidBase64 { offset, found }
        }
        FaultKind::Command(CommandFault::Mechanism) => {
            CommandParseError::InvalidMechanism { offset, found }
        }
        FaultKind::Expected(expected) => CommandParseError::Syntax {
            offset,
            expected,
            found,
        },
        FaultKind::Nom => CommandParseError::Syntax {
            offset,
            expected: "a command",
            found,
        },
        _ if fault.is_address_fault() => {
            CommandParseError::InvalidAddress(fault.into_address_error(line))
        }
        _ => CommandParseError::Syntax {
            offset,
            expected: "a command",
            found,
        },
    }
}

/// Frames and parses one command from the start of `input`.
///
/// Returns `Complete` with the command and the octets it used (the rest, e.g. pipelined
/// commands, stays with the caller), `Incomplete` when the line end has not arrived, or an
/// error. Verbs and keywords are case-insensitive (RFC 5321 s2.4). During an AUTH exchange
/// use [`parse_auth_response`] instead: a SASL line cannot be told from a command by its
/// syntax.
pub fn parse_command(
    input: &[u8],
    limits: &CommandLimits,
) -> Result<Decoded<Command>, CommandParseError> {
    let Some((line, consumed)) = frame(input, limits.max_line_length)? else {
        return Ok(Decoded::Incomplete);
    };
    let line = text_line(line)?;
    let command = match command_line(line) {
        Ok((_, command)) => command,
        Err(nom::Err::Error(fault) | nom::Err::Failure(fault)) => {
            return Err(into_error(fault, line));
        }
        Err(nom::Err::Incomplete(_)) => {
            return Err(CommandParseError::Syntax {
                offset: line.len(),
                expected: "more of the command",
                found: describe(""),
            });
        }
    };
    checked(command, consumed)
}

/// Applies the RFC line limit of the command and runs the writer on it: the writer is the
/// judge of what may go on the wire, so "whatever parses writes back" holds by construction
/// (the canonical form can differ in length, e.g. an IPv6 literal in the RFC 5952 form).
fn checked(command: Command, consumed: usize) -> Result<Decoded<Command>, CommandParseError> {
    let limit = command.line_limit();
    if consumed > limit {
        return Err(CommandParseError::OverRfcLength {
            verb: command.verb(),
            length: consumed,
            limit,
        });
    }
    let mut canonical = Vec::with_capacity(consumed);
    if let Err(err) = command.write_to(&mut canonical) {
        return Err(match err {
            CommandError::LineTooLong {
                verb,
                length,
                limit,
            } => CommandParseError::OverRfcLength {
                verb,
                length,
                limit,
            },
            other => CommandParseError::Refused(other),
        });
    }
    Ok(Decoded::Complete {
        value: command,
        consumed,
    })
}

/// Frames and parses one SASL line during an AUTH exchange (RFC 4954 s4): `*` cancels
/// ([`Command::AuthCancel`]), anything else must be base64, possibly empty
/// ([`Command::AuthResponse`]).
pub fn parse_auth_response(
    input: &[u8],
    limits: &CommandLimits,
) -> Result<Decoded<Command>, CommandParseError> {
    let Some((line, consumed)) = frame(input, limits.max_sasl_line_length)? else {
        return Ok(Decoded::Incomplete);
    };
    let line = text_line(line)?;
    let command = if line == "*" {
        Command::AuthCancel
    } else {
        match BASE64.decode(line) {
            Ok(data) => Command::AuthResponse(Secret::new(data)),
            Err(_) => {
                return Err(CommandParseError::InvalidBase64 {
                    offset: 0,
                    found: describe(line),
                });
            }
        }
    };
    checked(command, consumed)
}

/// Requires the end of the line.
fn end_of_line(input: &str) -> Res<'_, ()> {
    if input.is_empty() {
        Ok((input, ()))
    } else {
        Fault::expected(input, "the end of the line").fail()
    }
}

/// Requires one space.
fn sp<'a>(input: &'a str, before: &'static str) -> Res<'a, ()> {
    expected(input, before, char(' ').parse(input)).map(|(rest, _)| (rest, ()))
}

/// ```text
/// String = Atom / Quoted-string                  ; RFC 5321 s4.1.2
/// ```
/// Read leniently as the rest of the line, at least one octet: servers meet `VRFY John Smith`
/// and `VRFY <a@b>` in practice. The line was already checked for CR, LF and NUL, which is
/// all the writer refuses.
fn string_argument(input: &str) -> Res<'_, String> {
    if input.is_empty() {
        return Fault::expected(input, "an argument").fail();
    }
    Ok(("", input.to_owned()))
}

/// ```text
/// ehlo = "EHLO" SP ( Domain / address-literal ) CRLF   ; RFC 5321 s4.1.1.1
/// helo = "HELO" SP Domain CRLF
/// lhlo = "LHLO" SP Domain CRLF                          ; RFC 2033 s4.1
/// ```
/// HELO and LHLO take an address literal too, as EHLO does.
fn greeting_argument(input: &str) -> Res<'_, crate::address::Host> {
    let (rest, ()) = sp(input, "a space before the host name")?;
    let (rest, host) = host(rest)?;
    let (rest, ()) = end_of_line(rest)?;
    Ok((rest, host))
}

/// ```text
/// mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF   ; RFC 5321 s4.1.1.2
/// ```
fn mail(input: &str) -> Res<'_, Command> {
    let (rest, _) = expected(input, "\" FROM:\"", tag_no_case(" FROM:").parse(input))?;
    if rest.starts_with(' ') {
        return Fault::expected(rest, "'<' with no space after the colon (RFC 5321 s3.3)").fail();
    }
    let (rest, from) = reverse_path(rest)?;
    let (rest, params) = mail_parameters(rest)?;
    Ok((rest, Command::Mail { from, params }))
}

/// ```text
/// rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
///        Forward-path ) [SP Rcpt-parameters] CRLF      ; RFC 5321 s4.1.1.3
/// ```
fn rcpt(input: &str) -> Res<'_, Command> {
    let (rest, _) = expected(input, "\" TO:\"", tag_no_case(" TO:").parse(input))?;
    if rest.starts_with(' ') {
        return Fault::expected(rest, "'<' with no space after the colon (RFC 5321 s3.3)").fail();
    }
    let (rest, to) = forward_path(rest)?;
    let (rest, params) = rcpt_parameters(rest)?;
    Ok((rest, Command::Rcpt { to, params }))
}

/// ```text
/// bdat-cmd   = "BDAT" SP chunk-size [ SP end-marker ] CRLF   ; RFC 3030 s2
/// chunk-size = 1*DIGIT
/// end-marker = "LAST"
/// ```
fn bdat(input: &str) -> Res<'_, Command> {
    let (rest, ()) = sp(input, "a space before the chunk size")?;
    let (after, digits) = expected(
        rest,
        "a chunk size in octets",
        take_while1(|c: char| c.is_ascii_digit()).parse(rest),
    )?;
    let Ok(size) = digits.parse::<u64>() else {
        return Fault::expected(rest, "a chunk size that fits in 64 bits").fail();
    };
    if after.is_empty() {
        return Ok((after, Command::Bdat { size, last: false }));
    }
    let (after, ()) = sp(after, "a space before LAST, or the end of the line")?;
    let (after, _) = expected(after, "LAST", tag_no_case("LAST").parse(after))?;
    let (after, ()) = end_of_line(after)?;
    Ok((after, Command::Bdat { size, last: true }))
}

/// ```text
/// auth-command     = "AUTH" SP sasl-mech [SP initial-response] CRLF   ; RFC 4954 s4
/// initial-response = base64 / "="
/// ```
fn auth(input: &str) -> Res<'_, Command> {
    let (rest, ()) = sp(input, "a space before the mechanism")?;
    let (after, name) = expected(
        rest,
        "a SASL mechanism name",
        take_while1(|c: char| c != ' ').parse(rest),
    )?;
    let Some(mechanism) = Mechanism::from_name(name.as_bytes()) else {
        return Fault::new(rest, FaultKind::Command(CommandFault::Mechanism)).fail();
    };
    if after.is_empty() {
        return Ok((
            after,
            Command::Auth {
                mechanism,
                initial_response: None,
            },
        ));
    }
    let (data, ()) = sp(
        after,
        "a space before the initial response, or the end of the line",
    )?;
    let initial = if data == "=" {
        Vec::new()
    } else {
        match BASE64.decode(data) {
            Ok(decoded) if !data.is_empty() => decoded,
            _ => return Fault::new(data, FaultKind::Command(CommandFault::Base64)).fail(),
        }
    };
    Ok((
        "",
        Command::Auth {
            mechanism,
            initial_response: Some(Secret::new(initial)),
        },
    ))
}

/// `HELP` and `NOOP`: `verb [ SP String ] CRLF` (RFC 5321 s4.1.1.8, s4.1.1.9).
fn optional_string(input: &str) -> Res<'_, Option<String>> {
    if input.is_empty() {
        return Ok((input, None));
    }
    let (rest, ()) = sp(input, "a space before the argument, or the end of the line")?;
    let (rest, text) = string_argument(rest)?;
    Ok((rest, Some(text)))
}

/// `VRFY` and `EXPN`: `verb SP String CRLF` (RFC 5321 s4.1.1.6, s4.1.1.7).
fn required_string(input: &str) -> Res<'_, String> {
    let (rest, ()) = sp(input, "a space before the argument")?;
    string_argument(rest)
}

/// ```text
/// command = helo / ehlo / mail / rcpt / data / rset / vrfy / expn / help /
///           noop / quit                          ; RFC 5321 s4.1.1
///         / lhlo / bdat-cmd / starttls / auth-command   ; RFC 2033, 3030, 3207, 4954
/// ```
/// One line without its CRLF.
fn command_line(line: &str) -> Res<'_, Command> {
    let (rest, word) = take_while1::<_, _, Fault<'_>>(|c: char| c.is_ascii_alphabetic())
        .parse(line)
        .map_err(|_| {
            nom::Err::Failure(Fault::new(
                line,
                FaultKind::Command(CommandFault::UnknownVerb),
            ))
        })?;
    let Some(verb) = Verb::from_keyword(word.as_bytes()) else {
        return Fault::new(line, FaultKind::Command(CommandFault::UnknownVerb)).fail();
    };
    let (rest, command) = match verb {
        Verb::Helo => greeting_argument(rest).map(|(r, h)| (r, Command::Helo(h)))?,
        Verb::Ehlo => greeting_argument(rest).map(|(r, h)| (r, Command::Ehlo(h)))?,
        Verb::Lhlo => greeting_argument(rest).map(|(r, h)| (r, Command::Lhlo(h)))?,
        Verb::Mail => mail(rest)?,
        Verb::Rcpt => rcpt(rest)?,
        Verb::Bdat => bdat(rest)?,
        Verb::Vrfy => required_string(rest).map(|(r, s)| (r, Command::Vrfy(s)))?,
        Verb::Expn => required_string(rest).map(|(r, s)| (r, Command::Expn(s)))?,
        Verb::Help => optional_string(rest).map(|(r, s)| (r, Command::Help(s)))?,
        Verb::Noop => optional_string(rest).map(|(r, s)| (r, Command::Noop(s)))?,
        Verb::Auth => auth(rest)?,
        Verb::Data => end_of_line(rest).map(|(r, ())| (r, Command::Data))?,
        Verb::Rset => end_of_line(rest).map(|(r, ())| (r, Command::Rset))?,
        Verb::Quit => end_of_line(rest).map(|(r, ())| (r, Command::Quit))?,
        Verb::StartTls => end_of_line(rest).map(|(r, ())| (r, Command::StartTls))?,
        Verb::AuthResponse | Verb::AuthCancel => {
            return Fault::new(line, FaultKind::Command(CommandFault::UnknownVerb)).fail();
        }
    };
    let (rest, ()) = end_of_line(rest)?;
    Ok((rest, command))
}
