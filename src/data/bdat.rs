//! [`BdatChunker`]: the message as `BDAT` commands (RFC 3030 s2).

use std::io::Write as _;
use std::num::NonZeroUsize;

use super::normalize::Normalizer;

/// How [`BdatChunker`] cuts a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BdatConfig {
    /// Octets per `BDAT` chunk (the last one may be shorter). Default 64 KiB. The chunker
    /// holds up to this many octets between calls.
    pub chunk_size: NonZeroUsize,
    /// Write every bare CR and bare LF as CRLF, as [`DataEncoder`](super::DataEncoder)
    /// does. Set it for a message sent without `BODY=BINARYMIME`: that is text, and bare
    /// CR and LF must not be sent in it (RFC 5321 s2.3.8). Leave it unset for a
    /// BINARYMIME message (RFC 3030 s3), whose octets must go through unchanged.
    /// Default true.
    pub normalize_line_endings: bool,
}

impl Default for BdatConfig {
    fn default() -> Self {
        BdatConfig {
            chunk_size: NonZeroUsize::new(64 * 1024).unwrap_or(NonZeroUsize::MIN),
            normalize_line_endings: true,
        }
    }
}

impl BdatConfig {
    /// Sets [`BdatConfig::chunk_size`].
    pub const fn with_chunk_size(mut self, octets: NonZeroUsize) -> Self {
        self.chunk_size = octets;
        self
    }

    /// Sets [`BdatConfig::normalize_line_endings`].
    pub const fn with_normalize_line_endings(mut self, normalize: bool) -> Self {
        self.normalize_line_endings = normalize;
        self
    }
}

/// Cuts a message into `BDAT <size><CRLF>` commands each followed by its `<size>` octets
/// (RFC 3030 s2, s4), the last one `BDAT <size> LAST`.
///
/// BDAT data is counted, not delimited, so nothing is dot-stuffed and no terminator is
/// written. Feed the message with [`BdatChunker::push`]; each time a full chunk is ready its
/// command and octets are written to `out`. [`BdatChunker::finish`] writes the rest with
/// `LAST`; if the message ended exactly on a chunk boundary (or is empty) that is
/// `BDAT 0 LAST` (RFC 3030 s2: a zero-length chunk is allowed and ends the message).
///
/// Each written command gets one reply from the server (RFC 3030 s4.2); the counts returned
/// by `push` and `finish` tell the caller how many to expect.
///
/// ```
/// use smtp_sansio::{BdatChunker, BdatConfig};
/// use std::num::NonZeroUsize;
///
/// let config = BdatConfig::default().with_chunk_size(NonZeroUsize::new(4).unwrap());
/// let mut chunker = BdatChunker::new(config);
/// let mut out = Vec::new();
/// assert_eq!(chunker.push(b"Hi\nthere", &mut out), 2);
/// assert_eq!(chunker.finish(&mut out), 1);
/// assert_eq!(out, b"BDAT 4\r\nHi\r\nBDAT 4\r\ntherBDAT 1 LAST\r\ne");
/// ```
#[derive(Debug, Clone)]
pub struct BdatChunker {
    config: BdatConfig,
    normalizer: Normalizer,
    /// Octets of the chunk being filled; fewer than `chunk_size` between calls.
    pending: Vec<u8>,
}

impl BdatChunker {
    /// A chunker at the start of a message.
    pub fn new(config: BdatConfig) -> Self {
        BdatChunker {
            config,
            normalizer: Normalizer::default(),
            pending: Vec::new(),
        }
    }

    /// Adds `input` to the message and writes every chunk that is now full to `out`, as
    /// `BDAT <size><CRLF>` and its octets. Returns how many `BDAT` commands it wrote.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> usize {
        let size = self.config.chunk_size.get();
        if self.config.normalize_line_endings {
            self.normalizer.run::<false>(input, &mut self.pending);
        } else {
            self.pending.extend_from_slice(input);
        }
        let full = self.pending.len() / size;
        if full == 0 {
            return 0;
        }
        out.reserve(full * (size + 24));
        for chunk in self.pending.chunks_exact(size) {
            write_command(out, chunk.len(), false);
            out.extend_from_slice(chunk);
        }
        self.pending.drain(..full * size);
        full
    }

    /// Writes the last chunk, `BDAT <size> LAST<CRLF>` and its octets, and makes the
    /// chunker ready for the next message. Returns the number of commands written (1).
    pub fn finish(&mut self, out: &mut Vec<u8>) -> usize {
        write_command(out, self.pending.len(), true);
        out.extend_from_slice(&self.pending);
        self.pending.clear();
        self.normalizer = Normalizer::default();
        1
    }

    /// Octets held for the chunk being filled.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// `bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF` (RFC 3030 s2).
fn write_command(out: &mut Vec<u8>, size: usize, last: bool) {
    // Writing to a Vec cannot fail.
    let _ = write!(out, "BDAT {size}");
    if last {
        out.extend_from_slice(b" LAST");
    }
    out.extend_from_slice(b"\r\n");
}
