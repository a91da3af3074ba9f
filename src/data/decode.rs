//! [`DataDecoder`]: the server side of DATA transparency (RFC 5321 s4.5.2), the mirror of
//! [`DataEncoder`](super::DataEncoder).

use memchr::memchr2;

/// A streaming decoder for mail data as a server receives it after `354`.
///
/// It removes the first `.` of every line that starts with one (RFC 5321 s4.5.2) and stops
/// right after the end-of-data line `.<CRLF>` (RFC 5321 s4.1.1.4). Line ends are strictly
/// CRLF: a bare CR or bare LF is mail data, never a line end, so `<LF>.<LF>` and the other
/// "SMTP smuggling" sequences cannot end the message early. Such octets are passed through
/// and counted ([`DataDecoder::bare_line_ends`]) so a server can refuse the message.
///
/// The body written to `out` keeps the CRLF that ends its last line: RFC 5321 s4.1.1.4
/// says the first CRLF of `<CRLF>.<CRLF>` ends the last line of the message.
///
/// The state is a handful of flags and counters, whatever the input: a partly received
/// terminator is remembered, not buffered.
///
/// ```
/// use smtp_sansio::DataDecoder;
///
/// let mut decoder = DataDecoder::new();
/// let mut body = Vec::new();
/// let input = b"..hidden\r\nline\r\n.\r\nQUIT\r\n";
/// let progress = decoder.decode(input, &mut body);
/// assert!(progress.end);
/// assert_eq!(body, b".hidden\r\nline\r\n");
/// assert_eq!(&input[progress.consumed..], b"QUIT\r\n");
/// ```
#[derive(Debug, Clone, Default)]
pub struct DataDecoder {
    state: State,
    bare_line_ends: u64,
}

/// Where the decoder is within a line. Octets held back are implied by the state: the
/// dot of `LineStartDot` and the dot and CR of `DotCr` are not written until the next
/// octet shows what they were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum State {
    /// At the start of a line (the start of the data counts).
    #[default]
    LineStart,
    /// Inside a line.
    MidLine,
    /// Just after a CR inside a line (already written).
    AfterCr,
    /// After a `.` at the start of a line (not written: it is a stuffing dot or the
    /// terminator's).
    LineStartDot,
    /// After `.<CR>` at the start of a line (neither written).
    DotCr,
    /// After the end-of-data line.
    Done,
}

/// What one call to [`DataDecoder::decode`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeProgress {
    /// Input octets used. Before the end of data this is the whole input; at the end, the
    /// octets after the end-of-data line are not data (pipelined commands, RFC 2920) and are
    /// left to the caller.
    pub consumed: usize,
    /// Whether the end-of-data line has been read. Later calls consume nothing.
    pub end: bool,
}

impl DataDecoder {
    /// A decoder at the start of the mail data.
    pub fn new() -> Self {
        DataDecoder::default()
    }

    /// Appends the data in `input` to `out`, without stuffing dots, and stops after the
    /// end-of-data line.
    ///
    /// The caller MUST NOT give the same octets twice: everything up to
    /// [`DecodeProgress::consumed`] has been taken.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> DecodeProgress {
        if self.state == State::Done {
            return DecodeProgress {
                consumed: 0,
                end: true,
            };
        }
        out.reserve(input.len());
        let mut pos = 0;
        while pos < input.len() {
            let octet = input[pos];
            match self.state {
                State::MidLine => match memchr2(b'\r', b'\n', &input[pos..]) {
                    None => {
                        out.extend_from_slice(&input[pos..]);
                        pos = input.len();
                    }
                    Some(offset) => {
                        let end = pos + offset;
                        out.extend_from_slice(&input[pos..=end]);
                        pos = end + 1;
                        if input[end] == b'\r' {
                            self.state = State::AfterCr;
                        } else {
                            self.bare_line_ends += 1;
                        }
                    }
                },
                State::AfterCr => match octet {
                    b'\n' => {
                        out.push(b'\n');
                        pos += 1;
                        self.state = State::LineStart;
                    }
                    b'\r' => {
                        // The CR before this one was bare; this one may start a CRLF.
                        self.bare_line_ends += 1;
                        out.push(b'\r');
                        pos += 1;
                    }
                    _ => {
                        self.bare_line_ends += 1;
                        self.state = State::MidLine;
                    }
                },
                State::LineStart => {
                    if octet == b'.' {
                        pos += 1;
                        self.state = State::LineStartDot;
                    } else {
                        self.state = State::MidLine;
                    }
                }
                State::LineStartDot => {
                    if octet == b'\r' {
                        pos += 1;
                        self.state = State::DotCr;
                    } else {
                        // The dot was a stuffing dot: dropped (RFC 5321 s4.5.2).
                        self.state = State::MidLine;
                    }
                }
                State::DotCr => {
                    if octet == b'\n' {
                        self.state = State::Done;
                        return DecodeProgress {
                            consumed: pos + 1,
                            end: true,
                        };
                    }
                    // `.<CR>` then not LF: a stuffing dot, then a bare CR.
                    self.bare_line_ends += 1;
                    out.push(b'\r');
                    self.state = State::MidLine;
                }
                State::Done => {
                    return DecodeProgress {
                        consumed: pos,
                        end: true,
                    };
                }
            }
        }
        DecodeProgress {
            consumed: input.len(),
            end: false,
        }
    }

    /// Whether the end-of-data line has been read.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    /// Bare CRs and bare LFs seen in the data so far. RFC 5321 s2.3.8 forbids a client to
    /// send them; a server that counts any may refuse the message (the defence against SMTP
    /// smuggling recommended since December 2023).
    pub fn bare_line_ends(&self) -> u64 {
        self.bare_line_ends
    }
}
