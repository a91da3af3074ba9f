//! [`DataEncoder`]: the client side of DATA transparency (RFC 5321 s4.5.2).

use super::normalize::Normalizer;

/// The end-of-data indication, `.` on a line of its own (RFC 5321 s4.1.1.4).
const END_OF_DATA: &[u8] = b".\r\n";

/// A streaming encoder for the mail data sent after `354` (RFC 5321 s4.1.1.4, s4.5.2).
///
/// Feed the message in chunks of any size with [`DataEncoder::encode`], then call
/// [`DataEncoder::finish`] once to write the end-of-data line. The output is the same for
/// any chunking of the same message, and the encoder holds no input back: after each call,
/// everything written to `out` is final.
///
/// What it changes, and nothing else (NUL and 8-bit octets go through as they are):
///
/// - a bare CR or bare LF becomes CRLF (RFC 5321 s2.3.8: "a bare CR or LF MUST NOT be sent");
///   a CR at the end of one chunk and an LF at the start of the next are one CRLF;
/// - a line that starts with `.` gets one more `.` in front (RFC 5321 s4.5.2), the first
///   line of the message too.
///
/// So the output has no line end other than CRLF and no line that starts with a single dot:
/// no server, however lenient about line ends, can read an end of data before the real one
/// (the "SMTP smuggling" sequences `<LF>.<LF>`, `<CR>.<CR>`, `<LF>.<CRLF>` and the like
/// cannot occur). [`DataEncoder::finish`] writes `.<CRLF>` after a body that ends with CRLF
/// and `<CRLF>.<CRLF>` otherwise, so it never adds an empty line to the message.
///
/// Lines longer than 998 octets (RFC 5321 s4.5.3.1.6) are counted, not rewritten:
/// see [`DataEncoder::long_lines`].
///
/// ```
/// use smtp_sansio::DataEncoder;
///
/// let mut encoder = DataEncoder::new();
/// let mut out = Vec::new();
/// encoder.encode(b".hidden\nline\r", &mut out);
/// encoder.encode(b"\n.", &mut out);
/// encoder.finish(&mut out);
/// assert_eq!(out, b"..hidden\r\nline\r\n..\r\n.\r\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct DataEncoder {
    normalizer: Normalizer,
}

/// What [`DataEncoder::finish`] reports about the message it terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EncodeSummary {
    /// Lines whose content exceeds 998 octets (RFC 5321 s4.5.3.1.6, the stuffing dot not
    /// counted). A server may reject such a message; the encoder does not rewrite the lines,
    /// because folding them would change the message.
    pub long_lines: u64,
}

impl DataEncoder {
    /// An encoder at the start of a message.
    pub fn new() -> Self {
        DataEncoder::default()
    }

    /// Appends the encoded form of `input` to `out`.
    ///
    /// Reserves room for `input.len()` octets plus a few once per call; with a `Vec` that the
    /// caller reuses (cleared, not dropped) there is no allocation in steady state.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.normalizer.run::<true>(input, out);
    }

    /// Writes the end of data: `.<CRLF>` when the output so far is empty or ends with CRLF,
    /// else `<CRLF>.<CRLF>` (RFC 5321 s4.1.1.4: the first CRLF of `<CRLF>.<CRLF>` ends the
    /// last line of the message). Then the encoder is ready for the next message.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> EncodeSummary {
        if !self.normalizer.at_line_start() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(END_OF_DATA);
        self.normalizer.close_line();
        let summary = EncodeSummary {
            long_lines: self.normalizer.long_lines(),
        };
        *self = DataEncoder::new();
        summary
    }

    /// Lines longer than 998 octets seen so far in this message (RFC 5321 s4.5.3.1.6); an
    /// unterminated last line is counted by [`DataEncoder::finish`].
    pub fn long_lines(&self) -> u64 {
        self.normalizer.long_lines()
    }

    /// Encodes a whole message, terminator included, into a new `Vec`.
    pub fn encode_message(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(body.len() + body.len() / 64 + 8);
        let mut encoder = DataEncoder::new();
        encoder.encode(body, &mut out);
        encoder.finish(&mut out);
        out
    }
}
