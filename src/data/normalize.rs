//! The one line-ending normalizer behind [`DataEncoder`](super::DataEncoder) (with
//! dot-stuffing) and [`BdatChunker`](super::BdatChunker) (without).
//!
//! Two speeds. The fast path ([`skim`]) checks 64-octet blocks with a branch-free loop that
//! the compiler turns into SIMD compares (built twice on x86-64, for the baseline and for
//! AVX2, picked at run time), and skips every block in which each CR is followed
//! by LF, each LF follows a CR, no line starts with `.` and no line can be over the length
//! limit: such blocks are copied later as part of one span. Where a block fails, the exact
//! path jumps from line end to line end with `memchr2` and writes a byte of its own only at a
//! bare CR, a bare LF or (when stuffing) a dot at the start of a line. Unchanged spans are
//! copied with one `extend_from_slice` each, so a body that is already CRLF text with no
//! leading dots costs one check pass and one copy.

use memchr::{memchr2, memrchr};

/// RFC 5321 s4.5.3.1.6: "The maximum total length of a text line including the `<CRLF>` is
/// 1000 octets (not counting the leading dot duplicated for transparency)." That leaves 998
/// octets of content; longer lines are counted, never rewritten.
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
    /// Content octets of the current line (CRLF and stuffing dot excluded) in earlier
    /// chunks, and within `run`, before its `line_begin`.
    line_length: usize,
    /// Lines whose content is longer than [`RFC_TEXT_LINE_LENGTH`].
    long_lines: u64,
}

/// Octets per block of the fast path.
const BLOCK: usize = 64;

/// Runs [`skim`] compiled for AVX2 when the CPU has it (twice the octets per compare),
/// else for the baseline (SSE2 on x86-64). Both are the same safe code.
#[inline]
fn skim_dispatch<const DOT_STUFF: bool>(input: &[u8], pos: usize, line_so_far: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `skim_avx2` only needs the CPU to support AVX2, checked just above.
            return unsafe { skim_avx2::<DOT_STUFF>(input, pos, line_so_far) };
        }
    }
    skim::<DOT_STUFF>(input, pos, line_so_far)
}

/// Whether every octet is ASCII: `input.is_ascii()`, but over AVX2 registers when the CPU
/// has them and the input is long (a message chunk is checked for 8-bit octets before it is
/// encoded). No early exit: it reads the whole input, which the encoder reads anyway.
#[inline]
pub(crate) fn is_ascii(input: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if input.len() >= 256 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `is_ascii_avx2` only needs the CPU to support AVX2, checked just above.
            return unsafe { is_ascii_avx2(input) };
        }
    }
    input.is_ascii()
}

/// [`is_ascii`] with AVX2 code generation: the octets are OR-ed together 128 at a time, so
/// the compiler keeps four 32-octet accumulators and tests the high bit once at the end.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn is_ascii_avx2(input: &[u8]) -> bool {
    const WIDE: usize = 128;
    let mut acc = [0u8; WIDE];
    let mut blocks = input.chunks_exact(WIDE);
    for block in &mut blocks {
        for (a, b) in acc.iter_mut().zip(block) {
            *a |= *b;
        }
    }
    let high = acc.iter().fold(0u8, |a, b| a | b);
    high < 0x80 && blocks.remainder().is_ascii()
}

/// [`skim`] with AVX2 code generation.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn skim_avx2<const DOT_STUFF: bool>(input: &[u8], pos: usize, line_so_far: usize) -> usize {
    skim::<DOT_STUFF>(input, pos, line_so_far)
}

/// The fast path: from `pos` (inside a line, not between a CR and its LF), skips whole
/// blocks that need no change and returns where the exact path must take over (`pos` if the
/// first block needs a look).
///
/// A block is skipped when, for each of its octets and the one after it: a CR is followed
/// by LF and an LF is preceded by CR (RFC 5321 s2.3.8), an LF is not followed by `.` (when
/// stuffing, RFC 5321 s4.5.2), and, if it holds a line end, the line cannot be longer than
/// [`RFC_TEXT_LINE_LENGTH`] (so that long lines are still counted exactly). The octet after
/// the last block must be in `input`, and the result never falls between a CR and its LF.
///
/// `line_so_far` is the number of content octets of the current line before `pos`.
#[inline(always)]
fn skim<const DOT_STUFF: bool>(input: &[u8], pos: usize, line_so_far: usize) -> usize {
    // An LF at `pos` is bare: the exact path never stops between CR and LF.
    if input.get(pos) == Some(&b'\n') {
        return pos;
    }
    let mut start = pos;
    // An upper bound on the content octets of the current line before `start`.
    let mut line_bound = line_so_far;
    while let Some(window) = input.get(start..start + BLOCK + 1) {
        let (clean, has_lf) = check_block::<DOT_STUFF>(window);
        if !clean {
            break;
        }
        if has_lf {
            // A line that ends in this block has fewer than `line_bound + BLOCK` octets.
            if line_bound + BLOCK > RFC_TEXT_LINE_LENGTH {
                break;
            }
            line_bound = BLOCK;
        } else {
            line_bound += BLOCK;
        }
        start += BLOCK;
    }
    if start > pos && input[start - 1] == b'\r' {
        // Stop before a CR whose LF starts the next block; the exact path takes the pair.
        start - 1
    } else {
        start
    }
}

/// Checks the pairs (`window[i]`, `window[i + 1]`) for `i` in `0..BLOCK`: returns whether
/// none needs a change and whether `window[..BLOCK]` holds an LF.
///
/// No branches and no early exit, so that it compiles to SIMD compares.
#[inline(always)]
fn check_block<const DOT_STUFF: bool>(window: &[u8]) -> (bool, bool) {
    let (octets, next) = (&window[..BLOCK], &window[1..=BLOCK]);
    let mut bad = 0u8;
    let mut lf = 0u8;
    for i in 0..BLOCK {
        let is_cr = u8::from(octets[i] == b'\r');
        let is_lf = u8::from(octets[i] == b'\n');
        let next_is_lf = u8::from(next[i] == b'\n');
        // A CR without LF after it, or an LF without CR before it.
        bad |= is_cr ^ next_is_lf;
        if DOT_STUFF {
            bad |= is_lf & u8::from(next[i] == b'.');
        }
        lf |= is_lf;
    }
    (bad == 0, lf != 0)
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
            let skimmed =
                skim_dispatch::<DOT_STUFF>(input, pos, self.line_length + (pos - line_begin));
            if skimmed > pos {
                // Lines ended in the skipped blocks (none of them long): the current line
                // starts after the last LF.
                if let Some(last_lf) = memrchr(b'\n', &input[pos..skimmed]) {
                    self.line_length = 0;
                    line_begin = pos + last_lf + 1;
                }
                pos = skimmed;
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// CRLF lines of 0 to 1199 octets; a few start with a dot or end in a bare CR or LF.
    fn lines() -> impl Strategy<Value = Vec<u8>> {
        let line = (0usize..1200, 0u8..40);
        prop::collection::vec(line, 0..12).prop_map(|lines| {
            let mut out = Vec::new();
            for (length, kind) in lines {
                if kind == 0 {
                    out.push(b'.');
                }
                out.extend(std::iter::repeat_n(
                    b'a',
                    length % 160 + length / 1000 * 1000,
                ));
                out.extend_from_slice(match kind {
                    1 => b"\n",
                    2 => b"\r",
                    _ => b"\r\n",
                });
            }
            out
        })
    }

    proptest! {
        /// The baseline and the dispatched (AVX2 where the CPU has it) builds of the fast
        /// path stop at the same place; elsewhere the tests only run the dispatched one.
        #[test]
        fn baseline_and_dispatched_fast_paths_agree(
            input in lines(),
            start in 0usize..2000,
            line_so_far in 0usize..1200,
        ) {
            let mut pos = start.min(input.len());
            // The fast path is never entered between a CR and its LF.
            if pos > 0 && input[pos - 1] == b'\r' {
                pos -= 1;
            }
            prop_assert_eq!(
                skim::<true>(&input, pos, line_so_far),
                skim_dispatch::<true>(&input, pos, line_so_far)
            );
            prop_assert_eq!(
                skim::<false>(&input, pos, line_so_far),
                skim_dispatch::<false>(&input, pos, line_so_far)
            );
        }

        /// The wide 8-bit check agrees with the standard one, wherever the 8-bit octet is.
        #[test]
        fn is_ascii_agrees_with_std(
            len in 0usize..1100,
            high in prop::option::of((0usize..1100, 0x80u8..=0xff)),
        ) {
            let mut input = vec![b'a'; len];
            if let Some((at, octet)) = high && at < len {
                input[at] = octet;
            }
            prop_assert_eq!(is_ascii(&input), input.is_ascii());
        }
    }

    #[test]
    fn is_ascii_sees_an_8bit_octet_anywhere() {
        for len in [255, 256, 300, 1024, 1100] {
            for at in 0..len {
                let mut input = vec![b'x'; len];
                input[at] = 0x80;
                assert!(!is_ascii(&input), "{len} {at}");
            }
            assert!(is_ascii(&vec![0x7f; len]));
        }
    }
}
