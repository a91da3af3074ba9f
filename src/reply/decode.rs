//! Framing: cut lines out of a byte stream within limits, parse each with the line grammar,
//! and assemble them into one [`Reply`].
//!
//! Framing comes first so that malformed input can never desync the stream: a line is only
//! parsed once its end has been found inside the length limit, and a reply is only returned
//! once its last line is complete. Bytes after the reply are left to the caller.

use super::parse::{LineFault, Separator, reply_line};
use super::{Anomalies, Anomaly, EnhancedCode, LineEnds, Reply, ReplyCode, enhanced::leading_code};
use crate::octets::scan_line;

/// RFC 5321 s4.5.3.1.5: "The maximum total length of a reply line including the reply code
/// and the `<CRLF>` is 512 octets." Longer lines are tolerated up to [`ReplyLimits`] and flagged.
pub const RFC_REPLY_LINE_LENGTH: usize = 512;

/// Bounds on what one reply may hold. Each bound has its own [`ReplyError`] variant.
///
/// The defaults tolerate real servers (long Microsoft policy texts, 30-line EHLO replies,
/// 11-line banners) while keeping memory per connection small and fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyLimits {
    /// Longest reply line in octets, counting the code and the line end. Default 4096
    /// (8 times the 512 of RFC 5321 s4.5.3.1.5; lines over 512 are flagged as an anomaly).
    pub max_line_length: usize,
    /// Most lines in one reply, blank lines included. Default 256.
    pub max_lines: usize,
    /// Most octets in one reply. Default 65536.
    pub max_reply_length: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line_length: 4096,
            max_lines: 256,
            max_reply_length: 64 * 1024,
        }
    }
}

impl ReplyLimits {
    /// Sets [`ReplyLimits::max_line_length`].
    pub const fn with_max_line_length(mut self, octets: usize) -> Self {
        self.max_line_length = octets;
        self
    }

    /// Sets [`ReplyLimits::max_lines`].
    pub const fn with_max_lines(mut self, lines: usize) -> Self {
        self.max_lines = lines;
        self
    }

    /// Sets [`ReplyLimits::max_reply_length`].
    pub const fn with_max_reply_length(mut self, octets: usize) -> Self {
        self.max_reply_length = octets;
        self
    }
}

/// Why bytes from the server are not a reply. Positions are octet offsets from the start of
/// the input given to the decoder, and 1-based line numbers within the reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line does not start with three digits (an HTTP or POP3 banner, a proxy's error page,
    /// TLS bytes read as text).
    #[error(
        "reply line {line} (offset {offset}): expected a three-digit reply code, found {found:?}"
    )]
    BadCode {
        /// 1-based line number within the reply.
        line: usize,
        /// Offset of the line's first octet.
        offset: usize,
        /// Up to the first 32 octets of the line, lossily decoded.
        found: String,
    },
    /// The three digits are followed by something other than SP, `-` or the line end.
    #[error(
        "reply line {line} (offset {offset}): expected SP, '-' or end of line after the code, found {found:?}"
    )]
    BadSeparator {
        /// 1-based line number within the reply.
        line: usize,
        /// Offset of the offending octet.
        offset: usize,
        /// The offending octet.
        found: u8,
    },
    /// A line has no line end within [`ReplyLimits::max_line_length`] octets.
    #[error("reply line {line} (offset {offset}) is longer than {limit} octets")]
    LineTooLong {
        /// 1-based line number within the reply.
        line: usize,
        /// Offset of the line's first octet.
        offset: usize,
        /// The limit that was hit.
        limit: usize,
    },
    /// The reply has more than [`ReplyLimits::max_lines`] lines.
    #[error("reply has more than {limit} lines (offset {offset})")]
    TooManyLines {
        /// Offset of the first line over the limit.
        offset: usize,
        /// The limit that was hit.
        limit: usize,
    },
    /// The reply has more than [`ReplyLimits::max_reply_length`] octets.
    #[error("reply is longer than {limit} octets (offset {offset})")]
    ReplyTooLong {
        /// Offset at which the limit was passed.
        offset: usize,
        /// The limit that was hit.
        limit: usize,
    },
    /// Text given as one whole reply ([`Reply`]'s `FromStr`) holds no complete reply: it is
    /// empty, or its last line is a continuation (`250-...`) with nothing after it.
    #[error("the text ends before its reply does (offset {offset})")]
    Incomplete {
        /// Where the text ends.
        offset: usize,
    },
    /// Text given as one whole reply ([`Reply`]'s `FromStr`) goes on after the reply's last
    /// line.
    #[error("text after the end of the reply (offset {offset})")]
    TrailingText {
        /// Where the rest starts.
        offset: usize,
    },
}

impl std::str::FromStr for Reply {
    type Err = ReplyError;

    /// Reads one whole reply from text as a log or a test writes it: lines ended by CRLF or
    /// LF (the last line end may be left out), every line with its code; the default
    /// [`ReplyLimits`]. Anomalies are tolerated and recorded, as on the wire.
    ///
    /// ```
    /// use smtp_sansio::Reply;
    /// let reply: Reply = "250-mx.example.com\n250 PIPELINING".parse()?;
    /// assert_eq!(reply.code().value(), 250);
    /// assert!("250-unfinished".parse::<Reply>().is_err());
    /// # Ok::<(), smtp_sansio::ReplyError>(())
    /// ```
    fn from_str(text: &str) -> Result<Reply, ReplyError> {
        let mut wire = text.as_bytes().to_vec();
        if !wire.ends_with(b"\n") {
            wire.extend_from_slice(b"\r\n");
        }
        match parse_reply(&wire, &ReplyLimits::default())? {
            Decoded::Complete { value, consumed } => {
                if wire[consumed..].iter().all(u8::is_ascii_whitespace) {
                    Ok(value)
                } else {
                    Err(ReplyError::TrailingText { offset: consumed })
                }
            }
            Decoded::Incomplete => Err(ReplyError::Incomplete { offset: text.len() }),
        }
    }
}

/// The result of feeding bytes to a decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a complete value says how many bytes it consumed; the rest belong to the next one"]
pub enum Decoded<T> {
    /// One value, which used the first `consumed` bytes of the input.
    Complete {
        /// The decoded value.
        value: T,
        /// How many input bytes it used; the caller drops them and keeps the rest.
        consumed: usize,
    },
    /// More bytes are needed. Call again with the same input plus what arrives next.
    Incomplete,
}

/// A resumable reply decoder: it remembers how far it has validated, so feeding a reply a
/// byte at a time costs the same as feeding it whole (nothing is scanned twice).
///
/// Contract: between two calls, the caller MAY append bytes to the input but MUST NOT remove
/// or change bytes already given, until `decode` returns `Complete` or an error. After that
/// the decoder starts afresh at the start of the input it is given next.
#[derive(Debug, Clone, Default)]
pub struct ReplyDecoder {
    limits: ReplyLimits,
    partial: Partial,
}

/// What is known about the reply being framed.
#[derive(Debug, Clone, Default)]
struct Partial {
    /// Octets of complete lines already validated.
    scanned: usize,
    lines: usize,
    /// Blank lines among `lines` (the rest are coded lines).
    blank_lines: usize,
    ends: LineEnds,
    /// The digits of the latest coded line's code, as one number ([`digits_key`]); zero
    /// before the first.
    digits: u32,
    enhanced: Option<EnhancedCode>,
    anomalies: Anomalies,
}

impl ReplyDecoder {
    /// A decoder with the given limits.
    pub fn new(limits: ReplyLimits) -> Self {
        ReplyDecoder {
            limits,
            partial: Partial::default(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &ReplyLimits {
        &self.limits
    }

    /// Whether part of a reply has been validated and the decoder waits for the rest.
    pub fn is_mid_reply(&self) -> bool {
        self.partial.scanned > 0
    }

    /// Forgets a partly framed reply (after the caller discarded its input).
    pub fn reset(&mut self) {
        self.partial = Partial::default();
    }

    /// Frames and parses one reply from the start of `input`.
    ///
    /// Returns `Complete` with the reply and the number of bytes it used (the rest, e.g. a
    /// pipelined reply or a late `421`, stays in the caller's buffer), `Incomplete` when the
    /// last line has not arrived, or an error naming the line and offset. After an error the
    /// stream cannot be trusted: the connection should be closed.
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded<Reply>, ReplyError> {
        // `frame` takes the partial reply and puts it back only when it is incomplete: after
        // a complete reply or an error the decoder starts afresh.
        self.frame(input)
    }

    fn frame(&mut self, input: &[u8]) -> Result<Decoded<Reply>, ReplyError> {
        let limits = self.limits;
        // Worked on as a local (kept in registers), and stored back only when the reply is
        // incomplete: after a complete reply or an error the decoder starts afresh.
        let mut p = std::mem::take(&mut self.partial);
        loop {
            let start = p.scanned;
            let window_end = input
                .len()
                .min(start.saturating_add(limits.max_line_length));
            let (found, non_ascii) = scan_line(&input[start..window_end]);
            let Some(nl) = found else {
                if window_end - start >= limits.max_line_length {
                    return Err(ReplyError::LineTooLong {
                        line: p.lines + 1,
                        offset: start,
                        limit: limits.max_line_length,
                    });
                }
                self.partial = p;
                return Ok(Decoded::Incomplete);
            };
            let end = start + nl + 1;
            if end > limits.max_reply_length {
                return Err(ReplyError::ReplyTooLong {
                    offset: start,
                    limit: limits.max_reply_length,
                });
            }
            if p.lines == limits.max_lines {
                return Err(ReplyError::TooManyLines {
                    offset: start,
                    limit: limits.max_lines,
                });
            }
            p.lines += 1;
            p.ends.push(end);
            let mut line = &input[start..end - 1];
            match line.split_last() {
                Some((b'\r', rest)) => line = rest,
                _ => p.anomalies.insert(Anomaly::BareLineFeed),
            }
            if nl >= RFC_REPLY_LINE_LENGTH {
                p.anomalies.insert(Anomaly::LongLine);
            }
            // The usual line, `ddd-text` or `ddd text`, checked in one match; anything else
            // (blank, bare code, malformed) takes the slow path.
            // The usual line, `ddd-text` or `ddd text`: its first four octets read as one
            // number, the three digits checked at once; anything else (blank, bare code,
            // malformed) takes the slow path. The digits (the low three octets) are the key
            // codes are compared by ([`digits_key`]), and the value is made once, at the end.
            let (key, separator, text) = match line.first_chunk::<4>() {
                Some(head) if is_three_digits(u32::from_le_bytes(*head)) => {
                    let head = u32::from_le_bytes(*head);
                    let separator = match (head >> 24) as u8 {
                        b'-' => Separator::Continues,
                        b' ' => Separator::Last,
                        sep => return Err(bad_separator(p.lines, start, sep)),
                    };
                    (head & 0x00ff_ffff, separator, &line[4..])
                }
                _ => match odd_line(line, p.lines, start)? {
                    Some(digits) => (digits_key(digits), Separator::Bare, &line[3..]),
                    None => {
                        p.anomalies.insert(Anomaly::BlankLine);
                        p.blank_lines += 1;
                        p.scanned = end;
                        continue;
                    }
                },
            };
            if p.digits != 0 && p.digits != key {
                p.anomalies.insert(Anomaly::InconsistentCodes);
            }
            // RFC 5321 s4.2.1: the last line carries the reply code; keep the latest.
            p.digits = key;
            if non_ascii && std::str::from_utf8(text).is_err() {
                p.anomalies.insert(Anomaly::NonUtf8Text);
            }
            // Most lines have no enhanced code: their text starts with neither 2, 4 nor 5,
            // which is checked here rather than in a call per line.
            if p.enhanced.is_none() && matches!(text.first(), Some(b'2' | b'4' | b'5')) {
                p.enhanced = leading_code(text);
            }
            p.scanned = end;
            match separator {
                Separator::Continues => continue,
                Separator::Last => {}
                Separator::Bare => p.anomalies.insert(Anomaly::BareCode),
            }
            let [a, b, c, _] = key.to_le_bytes();
            let code = ReplyCode::from_digits([a, b, c]);
            if !code.is_standard() {
                p.anomalies.insert(Anomaly::NonStandardCode);
            }
            if let Some(enhanced) = p.enhanced
                && u16::from(enhanced.class) != code.value() / 100
            {
                p.anomalies.insert(Anomaly::EnhancedClassMismatch);
            }
            let reply = Reply {
                raw: input[..end].to_vec(),
                code,
                enhanced: p.enhanced,
                line_count: u16::try_from(p.lines - p.blank_lines).unwrap_or(u16::MAX),
                anomalies: p.anomalies,
                ends: p.ends,
            };
            return Ok(Decoded::Complete {
                value: reply,
                consumed: end,
            });
        }
    }
}

/// Three ASCII digits as one number, compared in one instruction (never zero).
#[inline(always)]
fn digits_key(digits: [u8; 3]) -> u32 {
    u32::from_le_bytes([digits[0], digits[1], digits[2], 0])
}

/// Whether the low three octets of `head` (read little-endian) are ASCII digits, all at
/// once: an octet is a digit when its high nibble is 3 and stays 3 with 6 added (no carry
/// crosses octets once every high nibble is 3).
#[inline(always)]
fn is_three_digits(head: u32) -> bool {
    const NIBBLES: u32 = 0x00f0_f0f0;
    const THREES: u32 = 0x0030_3030;
    head & NIBBLES == THREES && head.wrapping_add(0x0006_0606) & NIBBLES == THREES
}

/// A line that is not `ddd-...` or `ddd ...`: a bare code (its digits), a blank line
/// (`None`), or an error naming the line.
#[cold]
fn odd_line(line: &[u8], number: usize, start: usize) -> Result<Option<[u8; 3]>, ReplyError> {
    if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
        return Ok(None);
    }
    match reply_line(line) {
        Ok(parsed) => {
            debug_assert_eq!(parsed.separator, Separator::Bare);
            Ok(Some([line[0], line[1], line[2]]))
        }
        Err(LineFault::BadCode) => Err(ReplyError::BadCode {
            line: number,
            offset: start,
            found: String::from_utf8_lossy(&line[..line.len().min(32)]).into_owned(),
        }),
        Err(LineFault::BadSeparator(found)) => Err(bad_separator(number, start, found)),
    }
}

#[cold]
fn bad_separator(line: usize, start: usize, found: u8) -> ReplyError {
    ReplyError::BadSeparator {
        line,
        offset: start + 3,
        found,
    }
}

/// Frames and parses one reply from the start of `input` with the given limits.
///
/// The one-shot form of [`ReplyDecoder::decode`]: it starts from scratch on every call, so use
/// the decoder when bytes arrive piecemeal.
pub fn parse_reply(input: &[u8], limits: &ReplyLimits) -> Result<Decoded<Reply>, ReplyError> {
    ReplyDecoder::new(*limits).decode(input)
}

#[cfg(test)]
mod digit_tests {
    use super::is_three_digits;

    #[test]
    fn three_digits_checked_at_once_as_one_at_a_time() {
        // Every octet in every position (the others digits), and every fourth octet.
        for b in 0..=255u8 {
            for pos in 0..3 {
                let mut head = *b"250-";
                head[pos] = b;
                assert_eq!(
                    is_three_digits(u32::from_le_bytes(head)),
                    b.is_ascii_digit(),
                    "{head:?}"
                );
            }
            assert!(is_three_digits(u32::from_le_bytes([b'0', b'9', b'5', b])));
        }
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let head = [a, b, b'9', b' '];
                assert_eq!(
                    is_three_digits(u32::from_le_bytes(head)),
                    a.is_ascii_digit() && b.is_ascii_digit()
                );
            }
        }
    }
}
