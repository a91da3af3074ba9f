//! [`Transcript`]: a C:/S: session script, as swaks and RFC examples print them.

use std::fmt;

/// A session written as lines: `S: text` is a line the server sends, `C: text` a line the
/// client must send (commands, SASL lines and message content alike, as on the wire but
/// without CRLF). Blank lines and lines starting with `#` are ignored; `C:` or `S:` alone is
/// an empty line.
///
/// The server sends each run of `S:` lines once the client has sent every `C:` line before
/// it: a pipelined group is several `C:` lines followed by their replies.
///
/// ```text
/// S: 220 mx.example.test ESMTP
/// C: EHLO client.example
/// S: 250-mx.example.test
/// S: 250 PIPELINING
/// C: MAIL FROM:<alice@example.test>
/// C: RCPT TO:<bob@example.test>
/// C: DATA
/// S: 250 2.1.0 Ok
/// S: 250 2.1.5 Ok
/// S: 354 Go ahead
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    lines: Vec<Line>,
    /// The next line to send or expect.
    next: usize,
    mismatch: Option<TranscriptError>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    side: Side,
    /// 1-based line number in the source text.
    number: usize,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

/// What is wrong with a transcript, or with the session that replayed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TranscriptError {
    /// A line is neither `C:`, `S:`, blank nor a `#` comment.
    #[error("transcript line {line}: expected 'C: ' or 'S: ', found {text:?}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// An `S:` line is not something a server may send (CR, LF or NUL inside).
    #[error("transcript line {line}: a server line holds CR, LF or NUL")]
    ForbiddenOctet {
        /// 1-based line number.
        line: usize,
    },
    /// The client sent a line other than the one expected.
    #[error("the client sent {got:?} where the transcript expects {expected:?} (line {line})")]
    Unexpected {
        /// 1-based transcript line number of the expected line.
        line: usize,
        /// The expected `C:` line.
        expected: String,
        /// What the client sent.
        got: String,
    },
    /// The client sent more than the transcript holds.
    #[error("the client sent {got:?} after the end of the transcript")]
    Extra {
        /// What the client sent.
        got: String,
    },
    /// The session ended before the client sent every `C:` line.
    #[error("the client never sent {expected:?} (transcript line {line})")]
    Missing {
        /// 1-based transcript line number.
        line: usize,
        /// The first `C:` line not sent.
        expected: String,
    },
}

impl Transcript {
    /// Reads a transcript.
    pub fn parse(text: &str) -> Result<Transcript, TranscriptError> {
        let mut lines = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let trimmed = raw.trim_end_matches('\r');
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (side, rest) = if let Some(rest) = trimmed.strip_prefix("C:") {
                (Side::Client, rest)
            } else if let Some(rest) = trimmed.strip_prefix("S:") {
                (Side::Server, rest)
            } else {
                return Err(TranscriptError::Syntax {
                    line: index + 1,
                    text: raw.to_owned(),
                });
            };
            let content = rest.strip_prefix(' ').unwrap_or(rest);
            if side == Side::Server && content.contains(['\r', '\n', '\0']) {
                return Err(TranscriptError::ForbiddenOctet { line: index + 1 });
            }
            lines.push(Line {
                side,
                number: index + 1,
                text: content.to_owned(),
            });
        }
        Ok(Transcript {
            lines,
            next: 0,
            mismatch: None,
        })
    }

    fn entry(&self, index: usize) -> Option<(Side, usize, &str)> {
        let line = self.lines.get(index)?;
        Some((line.side, line.number, &line.text))
    }

    /// The server lines due now (up to the next client line).
    pub(crate) fn take_server_lines(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if self.mismatch.is_some() {
            return out;
        }
        while let Some((Side::Server, _, text)) = self.entry(self.next) {
            out.push(text.to_owned());
            self.next += 1;
        }
        out
    }

    /// Checks one line the client sent; on a mismatch returns the expected line (quoted) and
    /// remembers the error for [`Transcript::finish`].
    pub(crate) fn expect_client_line(&mut self, got: &[u8]) -> Result<(), String> {
        let got = String::from_utf8_lossy(got).into_owned();
        let error = match self.entry(self.next) {
            Some((Side::Client, _, expected)) if expected.as_bytes() == got.as_bytes() => {
                self.next += 1;
                return Ok(());
            }
            Some((_, line, expected)) => TranscriptError::Unexpected {
                line,
                expected: expected.to_owned(),
                got,
            },
            None => TranscriptError::Extra { got },
        };
        let expected = match &error {
            TranscriptError::Unexpected { expected, .. } => format!("{expected:?}"),
            _ => "the end of the session".to_owned(),
        };
        self.mismatch = Some(error);
        Err(expected)
    }

    /// `Ok` when every client line was sent, in order, and nothing else.
    pub fn finish(&self) -> Result<(), TranscriptError> {
        if let Some(error) = &self.mismatch {
            return Err(error.clone());
        }
        match (self.next..self.lines.len())
            .filter_map(|index| self.entry(index))
            .find(|(side, _, _)| *side == Side::Client)
        {
            Some((_, line, expected)) => Err(TranscriptError::Missing {
                line,
                expected: expected.to_owned(),
            }),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for index in 0..self.lines.len() {
            if let Some((side, _, text)) = self.entry(index) {
                let tag = if side == Side::Client { "C" } else { "S" };
                writeln!(f, "{tag}: {text}")?;
            }
        }
        Ok(())
    }
}
