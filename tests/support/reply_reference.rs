//! A reference reader for SMTP replies, written from the RFC text alone, so that the crate's
//! parser has something independent to be compared with (`tests/reply_differential.rs`).
//!
//! It is deliberately plain: one pass over the lines, one function per rule, no parser
//! combinators and nothing from the crate. It does not tolerate anything: every departure from
//! the rules below is written down as a [`Violation`], and reading goes on past it whenever the
//! end of the reply can still be told, so that every departure in a reply is listed, not just
//! the first.
//!
//! The rules, with where they come from:
//!
//! ```text
//! Reply-line  = *( Reply-code "-" [ textstring ] CRLF )
//!               Reply-code [ SP textstring ] CRLF          ; RFC 5321 s4.2
//! Reply-code  = %x32-35 %x30-35 %x30-39                    ; RFC 5321 s4.2
//! textstring  = 1*(%d09 / %d32-126)                        ; RFC 5321 s4.2
//! ```
//!
//! - Every line of a multiline reply carries the same code (RFC 5321 s4.2.1).
//! - A reply line is at most 512 octets, code and CRLF included (RFC 5321 s4.5.3.1.5).
//! - Lines end in CRLF; LF alone is not a line end (RFC 5321 s2.3.8).
//! - `250 <CRLF>` (SP, then no text) is taken as valid. The ABNF's `[ SP textstring ]` with
//!   `textstring = 1*(...)` leaves it out, but the prose it formalises says the last line is
//!   "the reply code, followed immediately by <SP>, optionally some text, and <CRLF>", and
//!   "servers SHOULD send the <SP> if subsequent text is not sent" (RFC 5321 s4.2.1): that
//!   is exactly `250 <CRLF>`, the form servers are told to prefer.
//! - `250<CRLF>` (no SP) is valid by the ABNF but is what servers SHOULD NOT send (RFC 5321
//!   s4.2.1, the sentence above), so it is valid with a [`Note::BareCode`].
//! - An enhanced status code may open the text (RFC 2034 s4, RFC 3463 s2):
//!   `status-code = class "." subject "." detail`, `class = "2" / "4" / "5"`,
//!   `subject = 1*3digit`, `detail = 1*3digit`, followed by SP and the rest of the text.
//!   Sub-codes are written without leading zeros (RFC 3463 s2, a MUST). Its class is the
//!   reply code's first digit (RFC 3463 s2: the class says success, transient or permanent
//!   failure, as the reply code's first digit does; 3xx replies therefore carry none). When a
//!   reply uses enhanced codes, every line carries one (RFC 2034 s4).
//!   A status code with no SP after it (`250 2.0.0<CRLF>`, `250 2.0.0<HT>text`) is not an
//!   enhanced code by that rule; the reference treats it as plain text and adds a
//!   [`Note::StatusCodeWithoutSpace`] so that the comparison can name that case.
//! - A line that is empty or holds only SP, HT and CR has no Reply-code, which breaks s4.2; it
//!   cannot be the final line either, so the reference notes it and reads on (a line with
//!   other text and no code stops the reading: where the reply ends can no longer be told).
//!
//! What it cannot know about, and so does not check: limits an implementation adds on top
//! (lines per reply, octets per reply), and whether this reply answers EHLO or is a greeting
//! (RFC 2034 s4 exempts those from enhanced codes; the all-lines-or-none rule above is still
//! applied to them, which is sound because EHLO keywords never look like a status code).
#![allow(dead_code)]

/// The longest reply line, code and CRLF included (RFC 5321 s4.5.3.1.5).
pub const MAX_LINE_OCTETS: usize = 512;

/// What the reference made of some input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Every rule broken, in input order.
    pub violations: Vec<Violation>,
    /// Things that keep to the grammar but that the RFCs advise against or that read two ways.
    pub notes: Vec<(usize, Note)>,
    /// Where reading stopped.
    pub end: End,
}

impl Reading {
    /// A reply that keeps every rule: no violation, and its final line has arrived.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty() && matches!(self.end, End::Complete { .. })
    }

    /// Every octet so far keeps the rules, but the final line has not ended yet.
    pub fn is_valid_prefix(&self) -> bool {
        self.violations.is_empty() && self.end == End::Incomplete
    }

    /// The 1-based line of the first violation.
    pub fn first_violation_line(&self) -> Option<usize> {
        self.violations.first().map(|v| v.line)
    }

    /// Whether `rule` was broken anywhere.
    pub fn broke(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }
}

/// Where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// The final line (`Reply-code SP ...` or `Reply-code CRLF`) ended after `consumed` octets.
    Complete { reply: RefReply, consumed: usize },
    /// The input ran out before a final line ended.
    Incomplete,
    /// A line that cannot belong to a reply (no code, or a code followed by something other
    /// than "-", SP or the line end): whether the reply goes on cannot be told, so reading
    /// stops there. Its violation is the last one listed.
    Unreadable,
}

/// One broken rule, on a 1-based line counted from the start of the input (empty lines
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    pub line: usize,
    pub rule: Rule,
}

/// The rules, each with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// RFC 5321 s4.2: every line starts with a Reply-code, three digits. (Stops reading.)
    NotThreeDigits,
    /// RFC 5321 s4.2: `Reply-code = %x32-35 %x30-35 %x30-39` (200-259, 300-359, ...).
    CodeOutOfRange,
    /// RFC 5321 s4.2: after the code comes "-", SP or CRLF. (Stops reading.)
    Separator,
    /// RFC 5321 s4.2: a line holds at least a Reply-code; this one is empty, or white space
    /// only (SP, HT, CR). Having no code it cannot be the final line, so reading goes on.
    BlankLine,
    /// RFC 5321 s2.3.8: lines end in CRLF; this one ends in LF alone.
    BareLineFeed,
    /// RFC 5321 s4.2 `textstring`: HT and %d32-126 only; this text holds another control
    /// octet (NUL, a CR not before LF, DEL, ...).
    ControlOctet,
    /// RFC 5321 s4.2 `textstring`: US-ASCII only; this text holds octets above 126 that
    /// form valid UTF-8.
    EightBitUtf8,
    /// As [`Rule::EightBitUtf8`], but the octets are not UTF-8 either.
    EightBitNotUtf8,
    /// RFC 5321 s4.5.3.1.5: more than 512 octets, code and CRLF included.
    LineTooLong,
    /// RFC 5321 s4.2.1: the lines of one reply carry different codes.
    CodeMismatch,
    /// RFC 3463 s2: the enhanced code's class is not the reply code's first digit.
    EnhancedClass,
    /// RFC 3463 s2: "Each numeric sub-code within the status-code MUST be expressed without
    /// leading zero digits."
    EnhancedLeadingZero,
    /// RFC 2034 s4: some lines carry an enhanced code and this one does not (or the other way
    /// round: the first line has none and this one has).
    EnhancedMissing,
}

/// Departures that are not violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Note {
    /// `250<CRLF>`: grammatical, but "servers SHOULD send the <SP>" (RFC 5321 s4.2.1).
    BareCode,
    /// The text starts with a status code that is not followed by SP (`2.0.0` alone, or
    /// `2.0.0<HT>...`): not an enhanced code by RFC 2034 s4, so read as plain text.
    StatusCodeWithoutSpace(Enhanced),
}

/// A reply as the reference reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefReply {
    /// The final line's code (RFC 5321 s4.2.1: the line that ends the reply).
    pub code: u16,
    /// The coded lines in order (empty lines are not lines of the reply).
    pub lines: Vec<RefLine>,
}

impl RefReply {
    /// The enhanced code of the first line that carries one.
    pub fn enhanced(&self) -> Option<Enhanced> {
        self.lines.iter().find_map(|line| line.enhanced)
    }
}

/// One coded line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefLine {
    /// The 1-based input line it was read from.
    pub number: usize,
    pub code: u16,
    /// `true` for the final line (SP or nothing after the code).
    pub last: bool,
    /// Everything after the code and its separator, without the line end.
    pub text: Vec<u8>,
    /// The enhanced status code that opens the text, if any.
    pub enhanced: Option<Enhanced>,
    /// The text after the enhanced code and its SP (all of it when there is none).
    pub message: Vec<u8>,
}

/// An enhanced status code, `class.subject.detail` (RFC 3463 s2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Enhanced {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

/// Reads one reply from the start of `input`.
pub fn read(input: &[u8]) -> Reading {
    let mut reading = Reading {
        violations: Vec::new(),
        notes: Vec::new(),
        end: End::Incomplete,
    };
    let mut lines: Vec<RefLine> = Vec::new();
    let mut first_code: Option<[u8; 3]> = None;
    let mut start = 0;
    let mut number = 0;
    while start < input.len() {
        number += 1;
        let Some(lf) = input[start..].iter().position(|&b| b == b'\n') else {
            // The input stops inside this line.
            read_partial_line(&input[start..], number, first_code, &mut reading);
            break;
        };
        let wire = &input[start..start + lf + 1];
        start += lf + 1;
        match read_line(wire, number, &mut first_code, &mut reading) {
            LineRead::Empty => {}
            LineRead::Unreadable => {
                reading.end = End::Unreadable;
                break;
            }
            LineRead::Coded(line) => {
                let last = line.last;
                lines.push(line);
                if last {
                    check_enhanced_presence(&lines, &mut reading);
                    sort_violations(&mut reading);
                    reading.end = End::Complete {
                        reply: RefReply {
                            code: lines.last().map_or(0, |l| l.code),
                            lines,
                        },
                        consumed: start,
                    };
                    return reading;
                }
            }
        }
    }
    check_enhanced_presence(&lines, &mut reading);
    sort_violations(&mut reading);
    reading
}

enum LineRead {
    Empty,
    Unreadable,
    Coded(RefLine),
}

/// One line that ends in LF (`wire` includes its line end).
fn read_line(
    wire: &[u8],
    number: usize,
    first_code: &mut Option<[u8; 3]>,
    reading: &mut Reading,
) -> LineRead {
    let mut broke = |rule| reading.violations.push(Violation { line: number, rule });
    // RFC 5321 s4.5.3.1.5: the length counts everything on the wire, line end included.
    if wire.len() > MAX_LINE_OCTETS {
        broke(Rule::LineTooLong);
    }
    // RFC 5321 s2.3.8: CRLF ends a line.
    let line = match wire.strip_suffix(b"\r\n") {
        Some(line) => line,
        None => {
            broke(Rule::BareLineFeed);
            &wire[..wire.len() - 1]
        }
    };
    if is_blank(line) {
        broke(Rule::BlankLine);
        return LineRead::Empty;
    }
    // RFC 5321 s4.2: Reply-code, three digits.
    let Some(code) = three_digits(line) else {
        broke(Rule::NotThreeDigits);
        return LineRead::Unreadable;
    };
    check_code(&code, code.len(), number, first_code, reading);
    *first_code = first_code.or(Some(code));
    let value = u16::from(code[0] - b'0') * 100
        + u16::from(code[1] - b'0') * 10
        + u16::from(code[2] - b'0');
    // RFC 5321 s4.2: "-" continues the reply; SP or the line end finishes it.
    let (last, text) = match line.get(3) {
        None => {
            reading.notes.push((number, Note::BareCode));
            (true, &line[3..])
        }
        Some(b'-') => (false, &line[4..]),
        Some(b' ') => (true, &line[4..]),
        Some(_) => {
            reading.violations.push(Violation {
                line: number,
                rule: Rule::Separator,
            });
            return LineRead::Unreadable;
        }
    };
    check_text(text, number, reading);
    let (enhanced, message) = read_enhanced(text, value, number, reading);
    LineRead::Coded(RefLine {
        number,
        code: value,
        last,
        text: text.to_vec(),
        enhanced,
        message: message.to_vec(),
    })
}

/// Empty, or white space only (SP, HT, and CR, which cannot be text either): a line with no
/// code and no text, that cannot end the reply.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The first three octets, when they are digits.
fn three_digits(line: &[u8]) -> Option<[u8; 3]> {
    match line {
        [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            Some([*a, *b, *c])
        }
        _ => None,
    }
}

/// RFC 5321 s4.2 (digit ranges) and s4.2.1 (same code on every line), for the first `known`
/// digits of `code` (fewer than three on a line that has not fully arrived).
fn check_code(
    code: &[u8],
    known: usize,
    number: usize,
    first_code: &Option<[u8; 3]>,
    reading: &mut Reading,
) {
    // Reply-code = %x32-35 %x30-35 %x30-39
    let in_range = [b'2'..=b'5', b'0'..=b'5', b'0'..=b'9'];
    if code[..known]
        .iter()
        .zip(in_range.iter())
        .any(|(digit, range)| !range.contains(digit))
    {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::CodeOutOfRange,
        });
    }
    if let Some(first) = first_code
        && first[..known] != code[..known]
    {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::CodeMismatch,
        });
    }
}

/// RFC 5321 s4.2: `textstring = 1*(%d09 / %d32-126)`. One violation per kind per line.
fn check_text(text: &[u8], number: usize, reading: &mut Reading) {
    let is_text = |b: u8| b == 9 || (32..=126).contains(&b);
    if text.iter().any(|&b| !is_text(b) && b < 128) {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::ControlOctet,
        });
    }
    if text.iter().any(|&b| b >= 128) {
        let rule = if std::str::from_utf8(text).is_ok() {
            Rule::EightBitUtf8
        } else {
            Rule::EightBitNotUtf8
        };
        reading.violations.push(Violation { line: number, rule });
    }
}

/// RFC 2034 s4, RFC 3463 s2: `status-code SP` at the start of the text.
/// Returns the code and the text after its SP.
fn read_enhanced<'a>(
    text: &'a [u8],
    reply_code: u16,
    number: usize,
    reading: &mut Reading,
) -> (Option<Enhanced>, &'a [u8]) {
    let Some((code, length, leading_zero)) = status_code(text) else {
        return (None, text);
    };
    match text.get(length) {
        Some(b' ') => {}
        None | Some(b'\t') => {
            reading
                .notes
                .push((number, Note::StatusCodeWithoutSpace(code)));
            return (None, text);
        }
        // `5.7.1x`, `2.0.0.1`, `2.0.0:`: text that starts like a status code, but is not one.
        Some(_) => return (None, text),
    }
    if leading_zero {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::EnhancedLeadingZero,
        });
    }
    if u16::from(code.class) != reply_code / 100 {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::EnhancedClass,
        });
    }
    (Some(code), &text[length + 1..])
}

/// `status-code = class "." subject "." detail` (RFC 3463 s2) at the start of `text`: the
/// code, its length, and whether a sub-code has a leading zero.
fn status_code(text: &[u8]) -> Option<(Enhanced, usize, bool)> {
    // class = "2" / "4" / "5"
    let class = match text.first() {
        Some(&c @ (b'2' | b'4' | b'5')) => c - b'0',
        _ => return None,
    };
    if text.get(1) != Some(&b'.') {
        return None;
    }
    let (subject, subject_len) = one_to_three_digits(&text[2..])?;
    let dot = 2 + subject_len;
    if text.get(dot) != Some(&b'.') {
        return None;
    }
    let (detail, detail_len) = one_to_three_digits(&text[dot + 1..])?;
    let length = dot + 1 + detail_len;
    let leading_zero =
        (subject_len > 1 && text[2] == b'0') || (detail_len > 1 && text[dot + 1] == b'0');
    Some((
        Enhanced {
            class,
            subject,
            detail,
        },
        length,
        leading_zero,
    ))
}

/// `1*3digit`, as part of a status code: one to three digits, and not a fourth.
fn one_to_three_digits(text: &[u8]) -> Option<(u16, usize)> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let value = text[..digits]
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    Some((value, digits))
}

/// RFC 2034 s4: when a reply uses enhanced codes, every line carries one. Checked over the
/// complete coded lines read so far; the first line sets what the others must do. A line
/// whose text is a bare status code (see [`Note::StatusCodeWithoutSpace`]) counts as one
/// with.
fn check_enhanced_presence(lines: &[RefLine], reading: &mut Reading) {
    // A text that is only a status code (or one followed by a tab) carries one here too: the
    // RFC 2034 grammar wants an SP after it, but it is what a server writes for a code with
    // no text (the crate's writer does), and it is the crate's documented reading.
    let carries: Vec<(usize, bool)> = lines
        .iter()
        .map(|line| {
            let bare = reading.notes.iter().any(|(number, note)| {
                *number == line.number && matches!(note, Note::StatusCodeWithoutSpace(_))
            });
            (line.number, line.enhanced.is_some() || bare)
        })
        .collect();
    let Some(&(_, used)) = carries.first() else {
        return;
    };
    if let Some(&(number, _)) = carries.iter().find(|(_, carries)| *carries != used) {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::EnhancedMissing,
        });
    }
}

/// Keeps violations in input order (the enhanced-code check runs after the lines).
fn sort_violations(reading: &mut Reading) {
    reading.violations.sort_by_key(|v| v.line);
}

/// A line that has not ended yet: does what has arrived break a rule already? The enhanced
/// code rules wait for the line to end (any text can still become one).
fn read_partial_line(
    partial: &[u8],
    number: usize,
    first_code: Option<[u8; 3]>,
    reading: &mut Reading,
) {
    let mut broke = |rule| reading.violations.push(Violation { line: number, rule });
    // The shortest way to end it: LF after a trailing CR, CRLF otherwise.
    let ends_in_cr = partial.last() == Some(&b'\r');
    let shortest = partial.len() + if ends_in_cr { 1 } else { 2 };
    if shortest > MAX_LINE_OCTETS {
        broke(Rule::LineTooLong);
    }
    let body = if ends_in_cr {
        &partial[..partial.len() - 1]
    } else {
        partial
    };
    if is_blank(partial) {
        if !partial.is_empty() {
            // `<CR>`, ` `: at best a blank line.
            broke(Rule::BlankLine);
        }
        return;
    }
    let known = body.len().min(3);
    if body[..known].iter().any(|b| !b.is_ascii_digit()) {
        broke(Rule::NotThreeDigits);
        reading.end = End::Unreadable;
        return;
    }
    if ends_in_cr && body.len() < 3 {
        // `25<CR>`: the line can only end with fewer than three digits.
        broke(Rule::NotThreeDigits);
        reading.end = End::Unreadable;
        return;
    }
    check_code(body, known, number, &first_code, reading);
    if let Some(&separator) = body.get(3)
        && separator != b'-'
        && separator != b' '
    {
        reading.violations.push(Violation {
            line: number,
            rule: Rule::Separator,
        });
        reading.end = End::Unreadable;
        return;
    }
    if body.len() > 4 {
        check_text(&body[4..], number, reading);
    }
    reading.end = End::Incomplete;
}
