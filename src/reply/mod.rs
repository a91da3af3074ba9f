//! Server replies: [`Reply`], [`ReplyCode`], [`EnhancedCode`], the streaming
//! [`ReplyDecoder`] and the reply writer (the server side's mirror).
//!
//! A reply is kept exactly as it came off the wire ([`Reply::as_bytes`]), so nothing the server
//! said is lost, whatever its encoding; the views ([`Reply::lines`], [`Reply::text`]) are read
//! from those bytes. What the parser tolerated is listed in [`Reply::anomalies`].
//!
//! | Tolerated input | Anomaly |
//! |---|---|
//! | `250<CRLF>` (code with no text) | [`Anomaly::BareCode`] |
//! | lines ending in LF alone | [`Anomaly::BareLineFeed`] |
//! | `250-...` then `251 ...` | [`Anomaly::InconsistentCodes`] (the last line's code wins, RFC 5321 s4.2.1) |
//! | `600`, `199`, `260` | [`Anomaly::NonStandardCode`] |
//! | text that is not UTF-8 | [`Anomaly::NonUtf8Text`] |
//! | empty lines | [`Anomaly::BlankLine`] |
//! | lines over 512 octets (RFC 5321 s4.5.3.1.5), up to the limit | [`Anomaly::LongLine`] |
//! | `500 4.7.1 ...` (classes disagree) | [`Anomaly::EnhancedClassMismatch`] |
//! | NUL, a stray CR, ESC or DEL in the text | [`Anomaly::ControlCharacter`] |
//! | `550-5.1.1 ...` then `550 ...` | [`Anomaly::InconsistentEnhancedCodes`] |

mod code;
mod decode;
mod enhanced;
mod parse;
mod write;

use std::borrow::Cow;
use std::fmt;

use crate::escape;

pub use code::{Category, InvalidReplyCode, ReplyCode, Severity};
pub use decode::{
    Decoded, RFC_REPLY_LINE_LENGTH, ReplyDecoder, ReplyError, ReplyLimits, parse_reply,
};
pub use enhanced::{EnhancedCode, InvalidEnhancedCode};
pub use write::ReplyWriteError;

use crate::octets::find_line_feed;
pub(crate) use enhanced::leading_enhanced_code;
use parse::{Separator, validated_line};

/// One complete server reply, possibly of several lines (RFC 5321 s4.2).
///
/// Holds the reply's wire bytes in one allocation plus its code, the first enhanced status
/// code found (RFC 3463) and what the parser tolerated. Build one with [`ReplyDecoder`] /
/// [`parse_reply`] (client side) or [`Reply::new`] (server side).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    raw: Vec<u8>,
    code: ReplyCode,
    enhanced: Option<EnhancedCode>,
    line_count: u16,
    anomalies: Anomalies,
    ends: LineEnds,
}

/// Where the first lines of a reply end (offsets just past their LF), recorded while framing
/// so that reading the lines again does not scan for line ends again. Lines past the record
/// are found by scanning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct LineEnds {
    ends: [u16; LineEnds::CAPACITY],
    len: u8,
}

impl LineEnds {
    const CAPACITY: usize = 15;

    /// Records that the next line ends at `end`, while there is room. Ends only grow, so once
    /// one does not fit in 16 bits none after it does, and the record stays a prefix.
    #[inline]
    pub(crate) fn push(&mut self, end: usize) {
        let len = usize::from(self.len);
        if len < Self::CAPACITY
            && let Ok(end) = u16::try_from(end)
        {
            self.ends[len] = end;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[u16] {
        &self.ends[..usize::from(self.len)]
    }
}

impl Reply {
    /// The reply code of the last line (RFC 5321 s4.2.1: the line that ends the reply).
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code of the first line that carries one (RFC 2034, RFC 3463).
    pub fn enhanced_code(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The reply exactly as it came off the wire (or as the writer produced it).
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// Appends the reply's wire bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw);
    }

    /// The number of coded lines (blank lines are not counted).
    pub fn line_count(&self) -> usize {
        usize::from(self.line_count)
    }

    /// The coded lines, first to last (blank lines are skipped).
    pub fn lines(&self) -> Lines<'_> {
        Lines {
            raw: &self.raw,
            pos: 0,
            ends: self.ends.as_slice(),
        }
    }

    /// Where the text of each coded line lies in [`Reply::as_bytes`], as `(start, end)`
    /// offsets: what [`ReplyLine::text`] returns, for readers that need only that.
    pub(crate) fn text_spans(&self) -> TextSpans<'_> {
        TextSpans {
            raw: &self.raw,
            pos: 0,
            ends: self.ends.as_slice(),
        }
    }

    /// The recorded line ends, when they are every line's and every line is a coded line
    /// ending in CRLF (`ddd-text` or `ddd text`, no blank lines, no bare codes): then the
    /// text of each line is `prev_end + 4 .. end - 2`, with nothing to check. `None` sends
    /// the reader to [`Reply::text_spans`].
    #[inline]
    pub(crate) fn plain_line_ends(&self) -> Option<&[u16]> {
        const ODD: u16 =
            Anomaly::BlankLine.bit() | Anomaly::BareCode.bit() | Anomaly::BareLineFeed.bit();
        let ends = self.ends.as_slice();
        (self.anomalies.0 & ODD == 0
            && ends.len() == usize::from(self.line_count)
            && ends
                .last()
                .is_some_and(|&end| usize::from(end) == self.raw.len()))
        .then_some(ends)
    }

    /// What the parser tolerated in this reply.
    ///
    /// Most anomalies are found while the reply is framed. Two need every line's text and are
    /// checked here, when asked, to keep the framing loop short: control octets in the text
    /// ([`Anomaly::ControlCharacter`]) and enhanced status codes that are missing on some
    /// lines ([`Anomaly::InconsistentEnhancedCodes`]) or of the wrong class on a later line
    /// ([`Anomaly::EnhancedClassMismatch`]).
    pub fn anomalies(&self) -> Anomalies {
        let mut anomalies = self.anomalies;
        let (mut with_code, mut without_code) = (false, false);
        for line in self.lines() {
            let text = line.text();
            // RFC 5321 s4.2: textstring = 1*(%d09 / %d32-126); octets above 126 have their
            // own anomaly when they are not UTF-8.
            if text.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                anomalies.insert(Anomaly::ControlCharacter);
            }
            match line.enhanced_code() {
                Some(enhanced) => {
                    with_code = true;
                    // RFC 3463 s2: the class matches the line's reply code.
                    if u16::from(enhanced.class) != line.code().value() / 100 {
                        anomalies.insert(Anomaly::EnhancedClassMismatch);
                    }
                }
                None => without_code = true,
            }
        }
        // RFC 2034 s4: a server that uses enhanced codes puts one on every line of a reply.
        if with_code && without_code {
            anomalies.insert(Anomaly::InconsistentEnhancedCodes);
        }
        anomalies
    }

    /// The anomalies found while framing, without the per-line checks of
    /// [`Reply::anomalies`] (for hot paths that need only those).
    pub(crate) fn framing_anomalies(&self) -> Anomalies {
        self.anomalies
    }

    /// The text of every line after its code, separator and enhanced code, joined by single
    /// spaces: what the server said, as a user would paste it. Octets are kept as they came.
    pub fn text(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.raw.len());
        for line in self.lines() {
            let message = line.message();
            if message.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(message);
        }
        out
    }

    /// [`Reply::text`] as a string, with invalid UTF-8 replaced by U+FFFD.
    pub fn text_lossy(&self) -> String {
        match String::from_utf8(self.text()) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        }
    }

    /// `2yz` or `3yz`.
    pub fn is_positive(&self) -> bool {
        self.code.is_positive()
    }

    /// `4yz` or `5yz`.
    pub fn is_negative(&self) -> bool {
        self.code.is_negative()
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("text", &self.text_lossy())
            .field("anomalies", &self.anomalies())
            .finish()
    }
}

/// Shows the reply for a terminal: one line per coded line, joined by LF, with control octets
/// (a stray CR, ESC...) and invalid UTF-8 escaped by [`escape::terminal_line`]. The bytes as
/// they came are [`Reply::as_bytes`].
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}", escape::terminal_line(line.as_bytes()))?;
        }
        Ok(())
    }
}

impl Reply {
    /// The coded lines joined by LF, invalid UTF-8 replaced by U+FFFD and nothing escaped:
    /// the form the JSON outputs carry (their writer escapes control characters itself).
    pub(crate) fn lines_lossy(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        for (i, line) in self.lines().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&line.as_str_lossy());
        }
        out
    }
}

/// One coded line of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    raw: &'a [u8],
    code: ReplyCode,
    last: bool,
    text: &'a [u8],
}

impl<'a> ReplyLine<'a> {
    /// This line's code (it may differ from the reply's: [`Anomaly::InconsistentCodes`]).
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// Whether the line ended the reply (`250 ` or a bare `250`, not `250-`).
    pub fn is_last(&self) -> bool {
        self.last
    }

    /// The line without its line end, code included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.raw
    }

    /// Everything after the code and its separator (enhanced code included).
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// The enhanced status code at the start of the text, if any (RFC 2034 s4).
    pub fn enhanced_code(&self) -> Option<EnhancedCode> {
        leading_enhanced_code(self.text).map(|(code, _)| code)
    }

    /// The text after the enhanced status code (all of it when there is none).
    pub fn message(&self) -> &'a [u8] {
        leading_enhanced_code(self.text).map_or(self.text, |(_, rest)| rest)
    }

    /// The whole line as a string, invalid UTF-8 replaced by U+FFFD and control octets kept:
    /// escape it ([`escape::terminal_line`]) before printing it, or print the line itself.
    pub fn as_str_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.raw)
    }
}

/// The whole line for a terminal, control octets and invalid UTF-8 escaped
/// ([`escape::terminal_line`]).
impl fmt::Display for ReplyLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", escape::terminal_line(self.raw))
    }
}

/// The coded lines of a [`Reply`]; see [`Reply::lines`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    raw: &'a [u8],
    pos: usize,
    /// Recorded ends of the lines from `pos` on.
    ends: &'a [u16],
}

impl<'a> Iterator for Lines<'a> {
    type Item = ReplyLine<'a>;

    fn next(&mut self) -> Option<ReplyLine<'a>> {
        while self.pos < self.raw.len() {
            let end = next_line_end(self.raw, self.pos, &mut self.ends);
            let mut line = &self.raw[self.pos..end];
            self.pos = end;
            if let Some(stripped) = line.strip_suffix(b"\n") {
                line = stripped;
            }
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            if let Some(parsed) = validated_line(line) {
                return Some(ReplyLine {
                    raw: line,
                    code: parsed.code,
                    last: parsed.separator != Separator::Continues,
                    text: parsed.text,
                });
            }
        }
        None
    }
}

/// Where the line that starts at `pos` ends (after its LF): the next recorded end, or, past
/// the recorded ones, the next LF (the end of `raw` without one).
#[inline(always)]
fn next_line_end(raw: &[u8], pos: usize, ends: &mut &[u16]) -> usize {
    match ends.split_first() {
        Some((&end, rest)) => {
            *ends = rest;
            usize::from(end)
        }
        None => {
            let rest = &raw[pos..];
            pos + find_line_feed(rest).map_or(rest.len(), |i| i + 1)
        }
    }
}

/// See [`Reply::text_spans`].
pub(crate) struct TextSpans<'a> {
    raw: &'a [u8],
    pos: usize,
    /// Recorded ends of the lines from `pos` on.
    ends: &'a [u16],
}

impl Iterator for TextSpans<'_> {
    type Item = (usize, usize);

    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize)> {
        while self.pos < self.raw.len() {
            let end = next_line_end(self.raw, self.pos, &mut self.ends);
            let line = &self.raw[self.pos..end];
            let start = self.pos;
            self.pos = end;
            let mut stop = line.len();
            if let [.., b'\r', b'\n'] = line {
                stop -= 2;
            } else if let [.., b'\n' | b'\r'] = line {
                stop -= 1;
            }
            // A validated reply holds coded lines (`ddd`, `ddd-text`, `ddd text`) and blank
            // lines, which cannot start with a digit.
            if let [a, b, c, ..] = line
                && a.is_ascii_digit()
                && b.is_ascii_digit()
                && c.is_ascii_digit()
                && stop >= 3
            {
                return Some((start + stop.min(4), start + stop));
            }
        }
        None
    }
}

/// One thing a server did that RFC 5321 does not allow but that the parser tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Anomaly {
    /// A line held only the code (`250<CRLF>`); legal, but "senders SHOULD NOT" (RFC 5321 s4.2).
    BareCode,
    /// A line ended in LF without CR (RFC 5321 s2.3.8 requires CRLF).
    BareLineFeed,
    /// Lines of one reply carried different codes (RFC 5321 s4.2.1); the last line's counts.
    InconsistentCodes,
    /// The code is outside what RFC 5321 s4.2 allows (first digit 2-5, second 0-5).
    NonStandardCode,
    /// The text is not valid UTF-8 (smtp.qq.com sends GBK); the bytes are kept as they are.
    NonUtf8Text,
    /// The reply contained an empty line.
    BlankLine,
    /// A line was longer than the 512 octets of RFC 5321 s4.5.3.1.5.
    LongLine,
    /// The enhanced code's class disagrees with the reply code's first digit (RFC 3463 s2).
    EnhancedClassMismatch,
    /// The text held a control octet other than tab (NUL, a stray CR, ESC, DEL...), which
    /// RFC 5321 s4.2 `textstring` does not allow. The octets are kept as they came.
    ControlCharacter,
    /// Some lines of the reply carried an enhanced status code and others did not
    /// (RFC 2034 s4: every line carries one).
    InconsistentEnhancedCodes,
}

impl Anomaly {
    /// Every anomaly.
    pub const ALL: [Anomaly; 10] = [
        Anomaly::BareCode,
        Anomaly::BareLineFeed,
        Anomaly::InconsistentCodes,
        Anomaly::NonStandardCode,
        Anomaly::NonUtf8Text,
        Anomaly::BlankLine,
        Anomaly::LongLine,
        Anomaly::EnhancedClassMismatch,
        Anomaly::ControlCharacter,
        Anomaly::InconsistentEnhancedCodes,
    ];

    const fn bit(self) -> u16 {
        1 << self as u16
    }

    /// A short plain description.
    pub const fn description(self) -> &'static str {
        match self {
            Anomaly::BareCode => "a reply line held only its code, with no text",
            Anomaly::BareLineFeed => "a reply line ended in LF without CR",
            Anomaly::InconsistentCodes => "the lines of one reply carried different codes",
            Anomaly::NonStandardCode => "the reply code is outside the range RFC 5321 allows",
            Anomaly::NonUtf8Text => "the reply text is not valid UTF-8",
            Anomaly::BlankLine => "the reply contained an empty line",
            Anomaly::LongLine => "a reply line was longer than 512 octets",
            Anomaly::EnhancedClassMismatch => {
                "the enhanced status code's class disagrees with the reply code"
            }
            Anomaly::ControlCharacter => "the reply text held a control character",
            Anomaly::InconsistentEnhancedCodes => {
                "some lines carried an enhanced status code and others did not"
            }
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A set of [`Anomaly`] values.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Anomalies(u16);

impl Anomalies {
    /// The empty set.
    pub const NONE: Anomalies = Anomalies(0);

    /// Whether the set holds `anomaly`.
    pub const fn contains(self, anomaly: Anomaly) -> bool {
        self.0 & anomaly.bit() != 0
    }

    /// Whether the set is empty (the reply kept to RFC 5321).
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds `anomaly`.
    pub fn insert(&mut self, anomaly: Anomaly) {
        self.0 |= anomaly.bit();
    }

    /// The members, in [`Anomaly::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Anomaly> {
        Anomaly::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl fmt::Debug for Anomalies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Anomaly> for Anomalies {
    fn from_iter<I: IntoIterator<Item = Anomaly>>(iter: I) -> Self {
        let mut set = Anomalies::NONE;
        for anomaly in iter {
            set.insert(anomaly);
        }
        set
    }
}

#[cfg(test)]
mod tests;
