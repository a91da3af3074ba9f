//! The reply writer: the server side's mirror of the decoder (RFC 5321 s4.2).
//! Strict: it only writes what RFC 5321 allows, so every written reply parses with no anomaly.

use super::enhanced::leading_code;
use super::{Anomalies, EnhancedCode, LineEnds, RFC_REPLY_LINE_LENGTH, Reply, ReplyCode};

/// Why a reply cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyWriteError {
    /// RFC 5321 s4.3.2: servers "MUST NOT transmit reply codes ... that do not start in a
    /// digit between 2 and 5"; s4.2 limits the second digit to 0-5.
    #[error("reply code {0} is outside what RFC 5321 s4.2 allows")]
    NonStandardCode(ReplyCode),
    /// The enhanced code's class must match the reply code's first digit (RFC 3463 s2).
    #[error("enhanced code {enhanced} does not fit reply code {code}")]
    EnhancedClassMismatch {
        /// The reply code.
        code: ReplyCode,
        /// The enhanced code.
        enhanced: EnhancedCode,
    },
    /// A reply has at least one line.
    #[error("a reply needs at least one line")]
    NoLines,
    /// Text may hold no control octet but tab (RFC 5321 s4.2 `textstring`): CR, LF and NUL
    /// would end the line or break the stream, the others garble logs and terminals.
    #[error("line {line} contains a control octet other than tab")]
    ForbiddenOctet {
        /// 1-based line number.
        line: usize,
    },
    /// With no enhanced code given, some lines' text opens with one and others do not
    /// (RFC 2034 s4: every line of a reply carries one, or none does).
    #[error("line {line} breaks the pattern of enhanced status codes set by the first line")]
    MixedEnhancedCodes {
        /// 1-based line number.
        line: usize,
    },
    /// RFC 5321 s4.5.3.1.5: 512 octets per reply line, code and CRLF included.
    #[error("line {line} would be {length} octets; RFC 5321 allows 512")]
    LineTooLong {
        /// 1-based line number.
        line: usize,
        /// The length the line would have on the wire.
        length: usize,
    },
}

impl Reply {
    /// Writes a reply: every line gets the code, `-` (or SP on the last line), the enhanced
    /// code if given, and the text.
    ///
    /// Without an enhanced code, a text that itself opens with one (`2.1.5 Flushed`) is read
    /// as one, as the parser reads it: [`Reply::enhanced_code`] returns the first such code,
    /// and one whose class differs from the reply code's first digit is refused.
    ///
    /// ```
    /// use smtp_sansio::{EnhancedCode, Reply, ReplyCode};
    /// let reply = Reply::new(
    ///     ReplyCode::new(550).unwrap(),
    ///     EnhancedCode::new(5, 1, 1),
    ///     ["User unknown", "Check the spelling"],
    /// )?;
    /// assert_eq!(
    ///     reply.as_bytes(),
    ///     b"550-5.1.1 User unknown\r\n550 5.1.1 Check the spelling\r\n"
    /// );
    /// # Ok::<(), smtp_sansio::ReplyWriteError>(())
    /// ```
    pub fn new<I, S>(
        code: ReplyCode,
        enhanced: Option<EnhancedCode>,
        lines: I,
    ) -> Result<Reply, ReplyWriteError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if !code.is_standard() {
            return Err(ReplyWriteError::NonStandardCode(code));
        }
        if let Some(enhanced) = enhanced
            && u16::from(enhanced.class) != code.value() / 100
        {
            return Err(ReplyWriteError::EnhancedClassMismatch { code, enhanced });
        }
        let mut raw = Vec::with_capacity(64);
        let mut starts = Vec::new();
        let mut ends = LineEnds::default();
        // The reply's enhanced code: the one given, else the first a text opens with.
        let mut reply_enhanced = enhanced;
        // Without a given code: whether the first line's text opens with one (every line must
        // then, and no other may otherwise).
        let mut texts_have_codes = None;
        for (index, text) in lines.into_iter().enumerate() {
            let text = text.as_ref().as_bytes();
            if text.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                return Err(ReplyWriteError::ForbiddenOctet { line: index + 1 });
            }
            if enhanced.is_none() {
                let in_text = leading_code(text);
                if *texts_have_codes.get_or_insert(in_text.is_some()) != in_text.is_some() {
                    return Err(ReplyWriteError::MixedEnhancedCodes { line: index + 1 });
                }
                if let Some(in_text) = in_text {
                    if u16::from(in_text.class) != code.value() / 100 {
                        return Err(ReplyWriteError::EnhancedClassMismatch {
                            code,
                            enhanced: in_text,
                        });
                    }
                    reply_enhanced = reply_enhanced.or(Some(in_text));
                }
            }
            let start = raw.len();
            starts.push(start);
            raw.extend_from_slice(&code.digits());
            raw.push(b'-');
            if let Some(enhanced) = enhanced {
                enhanced.write_to(&mut raw);
                if !text.is_empty() {
                    raw.push(b' ');
                }
            }
            raw.extend_from_slice(text);
            raw.extend_from_slice(b"\r\n");
            ends.push(raw.len());
            let length = raw.len() - start;
            if length > RFC_REPLY_LINE_LENGTH {
                return Err(ReplyWriteError::LineTooLong {
                    line: index + 1,
                    length,
                });
            }
        }
        let Some(&last) = starts.last() else {
            return Err(ReplyWriteError::NoLines);
        };
        raw[last + 3] = b' ';
        let line_count = u16::try_from(starts.len()).unwrap_or(u16::MAX);
        Ok(Reply {
            raw,
            code,
            enhanced: reply_enhanced,
            line_count,
            anomalies: Anomalies::NONE,
            ends,
        })
    }

    /// A one-line reply with no enhanced code, e.g. `Reply::line(ReplyCode::OK, "OK")`.
    pub fn line(code: ReplyCode, text: &str) -> Result<Reply, ReplyWriteError> {
        Reply::new(code, None, [text])
    }
}
