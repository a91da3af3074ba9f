//! The one line-ending normalizer behind [`DataEncoder`](super::DataEncoder) (with
//! dot-stuffing) and [`BdatChunker`](super::BdatChunker) (without).
//!
//! It scans with `memchr2` for CR and LF and copies the unchanged spans between them in one
//! `extend_from_slice` each; it only writes a byte of its own where the input has a bare CR, a
//! bare LF or (when stuffing) a dot at the start of a line. A body that is already CRLF text
//! with no leading dots is copied in a single span per call.

use memchr::memchr2;

/// RFC 5321 s4.5.3.1.6: "The maximum total length of a text line including the <CRLF> is
/// 1000 octets (not counting the leading dot duplicated for transparency)."
pub const RFC_TEXT_LINE_LENGTH: usize = 998;

/// Line-ending normalization state carried from one input chunk to the next.
///
/// Bounded: three words and two flags, whatever the input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Normalizer {
    /// The last input octet was a CR, already written out as CRLF. An LF at the start of the
    /// next chunk is its pair and is dropped, so a CRLF split across chunks stays one CRLF.
    after_cr: bool,
    /// Octets have been written on the current output line (false at the start of the body
    /// and right after each CRLF).
    mid_line: bool,
    /// Octets of the current line's content written so far, CRLF and stuffing dot excluded.
    line_length: usize,
    /// Lines whose content is longer than [`RFC_TEXT_LINE_LENGTH`].
    long_lines: u64,
}

impl Normalizer {
    /// Appends `input` to `out`, with every bare CR and bare LF written as CRLF
    /// (RFC 5321 s2.3.8) and, when `DOT_STUFF` is set, one more `.` before every line that
    /// starts with `.` (RFC 5321 s4.5.2), the first line included.
    ///
    /// Allocates only when `out` lacks room for `input.len()` octets plus a few.
    #[inline]
    pub(crate) fn run<const DOT_STUFF: bool>(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 4);
        // input[copied..pos] is unchanged input that is not written yet.
        let mut pos = 0;
        let mut copied = 0;
        if self.after_cr {
            match input.first() {
                None => return,
                Some(b'\n') => {
                    pos = 1;
                    copied = 1;
                }
                Some(_) => {}
            }
            self.after_cr = false;
        }
        // Where the current line's content begins in `input`, for the line length.
        let mut line_begin = pos;
        loop {
            if !self.mid_line {
                let Some(&first) = input.get(pos) else { break };
                if DOT_STUFF && first == b'.' {
                    out.extend_from_slice(&input[copied..pos]);
                    out.push(b'.');
                    copied = pos;
                }
                self.mid_line = true;
            }
            let Some(offset) = memchr2(b'\r', b'\n', &input[pos..]) else {
                self.line_length += input.len() - line_begin;
                break;
            };
            let end = pos + offset;
            self.end_line(end - line_begin);
            if input[end] == b'\n' {
                // A bare LF: write CRLF in its place.
                out.extend_from_slice(&input[copied..end]);
                out.extend_from_slice(b"\r\n");
                pos = end + 1;
                copied = pos;
            } else {
                match input.get(end + 1) {
                    // Already CRLF: nothing to write yet, the span goes on.
                    Some(b'\n') => pos = end + 2,
                    next => {
                        // A bare CR, or a CR whose LF (if any) is in the next chunk: write CRLF
                        // now and drop that LF if it comes.
                        out.extend_from_slice(&input[copied..=end]);
                        out.push(b'\n');
                        pos = end + 1;
                        copied = pos;
                        self.after_cr = next.is_none();
                    }
                }
            }
            line_begin = pos;
            self.mid_line = false;
        }
        out.extend_from_slice(&input[copied..]);
    }

    /// Counts the line that ends here, whose last `tail` content octets were in this chunk.
    #[inline]
    fn end_line(&mut self, tail: usize) {
        if self.line_length + tail > RFC_TEXT_LINE_LENGTH {
            self.long_lines += 1;
        }
        self.line_length = 0;
    }

    /// Whether the output so far ends with CRLF or is empty.
    pub(crate) fn at_line_start(&self) -> bool {
        !self.mid_line
    }

    /// Closes an unterminated last line (the caller writes its CRLF) for the line count.
    pub(crate) fn close_line(&mut self) {
        if self.mid_line {
            self.end_line(0);
            self.mid_line = false;
        }
        self.after_cr = false;
    }

    /// Lines longer than [`RFC_TEXT_LINE_LENGTH`] octets so far.
    pub(crate) fn long_lines(&self) -> u64 {
        self.long_lines
    }
}
