//! Low-level octet helpers that the codec modules share (reply, capabilities, auth, address,
//! command): word-at-a-time (SWAR) scans and packing of short ASCII words, and decimal
//! writing. They depend on nothing else in the crate, so the modules that use them never
//! import each other for them.

/// Packs up to 16 octets into an integer, left-aligned: the first octet is the most
/// significant, and octets past the word are zero. (Left-aligned, a word read from a line
/// needs only masking, not shifting; compare packed words of the same length only.)
#[inline]
pub(crate) const fn pack(word: &[u8]) -> u128 {
    let mut acc = 0u128;
    let mut i = 0;
    while i < word.len() {
        acc |= (word[i] as u128) << (120 - 8 * i);
        i += 1;
    }
    acc
}

/// The first 16 octets of `word`, upper-cased, as two big-endian words with the octets past
/// the word cleared (the halves of [`pack`]ing the upper-cased word).
#[inline]
pub(crate) fn upper_halves(word: &[u8]) -> (u64, u64) {
    let head = &word[..word.len().min(16)];
    let (high, low) = load_block(head);
    (upper_ascii(high), upper_ascii(low))
}

/// The first 16 octets of `text` as two big-endian words, zero past the end of the text.
///
/// Short texts are read as overlapping whole words and shifted into place, rather than
/// copied into a zeroed buffer (which costs a call to memset and one to memcpy per word).
#[inline]
pub(crate) fn load_block(text: &[u8]) -> (u64, u64) {
    let len = text.len();
    if let Some((high, rest)) = text.split_first_chunk::<8>() {
        let high = u64::from_be_bytes(*high);
        if let Some(low) = rest.first_chunk::<8>() {
            return (high, u64::from_be_bytes(*low));
        }
        // 8 to 15 octets: the last eight hold octets `len - 8 .. len`; shift out the ones
        // already in `high`.
        let tail = u64::from_be_bytes(*text.last_chunk::<8>().unwrap_or(&[0; 8]));
        let low = tail.checked_shl(((16 - len) * 8) as u32).unwrap_or(0);
        return (high, low);
    }
    if let Some(head) = text.first_chunk::<4>() {
        // 4 to 7 octets, the same way with 32-bit halves.
        let head = u64::from(u32::from_be_bytes(*head));
        let tail = u64::from(u32::from_be_bytes(
            *text.last_chunk::<4>().unwrap_or(&[0; 4]),
        ));
        let low = (tail << ((8 - len) * 8)) & 0xffff_ffff;
        return ((head << 32) | low, 0);
    }
    let mut high = 0u64;
    for (i, &b) in text.iter().enumerate() {
        high |= u64::from(b) << (56 - 8 * i);
    }
    (high, 0)
}

/// The index (from the most significant octet) of the first octet below `!` (a space, tab,
/// NUL or other control character) in a big-endian word.
#[inline(always)]
pub(crate) fn first_below_bang(word: u64) -> Option<usize> {
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Exact per octet (no carry crosses octets, so no octet before a match is flagged, which
    // matters here: the first octet is the highest): the high bit is set where the low seven
    // bits reach 0x21, or the octet has its high bit set.
    let reaches = ((word & LOWS) + ONES * (0x80 - 0x21)) | word;
    let flags = !reaches & !LOWS;
    (flags != 0).then(|| flags.leading_zeros() as usize / 8)
}

/// Upper-cases ASCII letters in eight octets at once.
#[inline]
pub(crate) fn upper_ascii(word: u64) -> u64 {
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let heptets = word & !HIGHS;
    // The high bit of each octet is set where the octet is >= 'a' (resp. > 'z').
    let at_least_a = heptets.wrapping_add(ONES * (0x80 - u64::from(b'a')));
    let above_z = heptets.wrapping_add(ONES * (0x80 - u64::from(b'z') - 1));
    let lower = (at_least_a ^ above_z) & !word & HIGHS;
    word ^ (lower >> 2)
}

/// Packs the first `len` (at most 16) octets of the big-endian halves, upper-cased and
/// left-aligned as [`pack`] does (octets past `len` cleared).
#[inline]
pub(crate) fn pack_upper_block(high: u64, low: u64, len: usize) -> u128 {
    // KEEP[n] keeps the first `n` (0 to 8) octets of a big-endian word.
    const KEEP: [u64; 9] = {
        let mut masks = [0; 9];
        let mut n = 1;
        while n <= 8 {
            masks[n] = !(u64::MAX >> 1 >> (n * 8 - 1));
            n += 1;
        }
        masks
    };
    let high = upper_ascii(high & KEEP[len.min(8)]);
    let low = upper_ascii(low & KEEP[len.saturating_sub(8).min(8)]);
    (u128::from(high) << 64) | u128::from(low)
}

/// Sixteen octets as two big-endian words.
#[inline(always)]
pub(crate) fn halves(block: &[u8; 16]) -> (u64, u64) {
    let (high, low) = block.split_at(8);
    (
        u64::from_be_bytes(high.try_into().unwrap_or_default()),
        u64::from_be_bytes(low.try_into().unwrap_or_default()),
    )
}

/// The first SP or HT in `text`, eight octets at a time (server names run to 20 or more).
#[inline]
pub(crate) fn find_blank(text: &[u8]) -> Option<usize> {
    /// The high bit of each octet of `word` (little-endian) that is SP or HT, exactly.
    #[inline(always)]
    fn blanks(word: u64) -> u64 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        // An octet is zero exactly where `((x & LOWS) + LOWS) | x` has its high bit clear
        // (no carry crosses octets).
        let zero = |x: u64| !(((x & LOWS) + LOWS) | x) & !LOWS;
        zero(word ^ (ONES * u64::from(b' '))) | zero(word ^ (ONES * u64::from(b'\t')))
    }
    let (words, tail) = text.as_chunks::<8>();
    for (index, word) in words.iter().enumerate() {
        let found = blanks(u64::from_le_bytes(*word));
        if found != 0 {
            return Some(index * 8 + found.trailing_zeros() as usize / 8);
        }
    }
    if tail.is_empty() {
        return None;
    }
    match text.last_chunk::<8>() {
        // The octets before the tail hold no blank, so the first flag is in the tail.
        Some(last) => {
            let found = blanks(u64::from_le_bytes(*last));
            (found != 0).then(|| text.len() - 8 + found.trailing_zeros() as usize / 8)
        }
        None => tail.iter().position(|b| matches!(b, b' ' | b'\t')),
    }
}

/// A mask keeping the first `n` (0 to 7) octets of a big-endian word.
#[inline(always)]
pub(crate) fn keep_octets(n: usize) -> u64 {
    !(u64::MAX >> (n * 8))
}

/// Finds the first LF, eight octets at a time.
///
/// Reply lines are short (most under 64 octets), where a SIMD search spends more on setup
/// than on searching; this word-at-a-time scan has no setup and no call.
#[inline]
pub(crate) fn find_line_feed(haystack: &[u8]) -> Option<usize> {
    scan_line(haystack).0
}

/// Finds the first LF, and tells whether any octet before it has the high bit set (the line
/// is not ASCII), in one pass: sixteen octets at a time with SSE2 (part of every x86-64
/// CPU, so no detection) once the line is that long, else eight at a time.
#[inline]
pub(crate) fn scan_line(haystack: &[u8]) -> (Option<usize>, bool) {
    #[cfg(target_arch = "x86_64")]
    if haystack.len() >= 16 {
        return scan_line_sse2(haystack);
    }
    scan_line_words(haystack)
}

/// [`scan_line`] for 16 octets or more: one compare and two mask extractions per 16 octets,
/// a quarter of the word loop's iterations on a 64-octet line (an error reply's typical
/// length), so fewer loop exits to predict.
#[cfg(target_arch = "x86_64")]
#[inline]
fn scan_line_sse2(haystack: &[u8]) -> (Option<usize>, bool) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    /// Bit i of the first mask: octet i is LF; of the second: octet i has its high bit set.
    #[inline(always)]
    fn masks(block: &[u8; 16]) -> (u32, u32) {
        // SAFETY: `block` is 16 readable octets and `loadu` has no alignment requirement;
        // the SSE2 intrinsics need only SSE2, which every x86_64 target enables.
        unsafe {
            let octets: __m128i = _mm_loadu_si128(block.as_ptr().cast());
            let line_feeds = _mm_movemask_epi8(_mm_cmpeq_epi8(octets, _mm_set1_epi8(b'\n' as i8)));
            (line_feeds as u32, _mm_movemask_epi8(octets) as u32)
        }
    }

    let (blocks, tail) = haystack.as_chunks::<16>();
    let mut high = 0u32;
    for (index, block) in blocks.iter().enumerate() {
        let (line_feeds, highs) = masks(block);
        if line_feeds != 0 {
            let at = line_feeds.trailing_zeros();
            high |= highs & ((1u32 << at) - 1);
            return (Some(index * 16 + at as usize), high != 0);
        }
        high |= highs;
    }
    if !tail.is_empty()
        && let Some(last) = haystack.last_chunk::<16>()
    {
        // The last 16 octets, overlapping the blocks already read: those hold no LF, and
        // their high bits are already counted, so reading them again changes nothing.
        let (line_feeds, highs) = masks(last);
        if line_feeds != 0 {
            let at = line_feeds.trailing_zeros();
            high |= highs & ((1u32 << at) - 1);
            return (Some(haystack.len() - 16 + at as usize), high != 0);
        }
        high |= highs;
    }
    (None, high != 0)
}

/// [`scan_line`] eight octets at a time (SWAR), for short lines and other architectures.
#[inline]
fn scan_line_words(haystack: &[u8]) -> (Option<usize>, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = ONES * b'\n' as u64;
    let (words, tail) = haystack.as_chunks::<8>();
    let mut high = 0u64;
    for (index, word) in words.iter().enumerate() {
        let raw = u64::from_le_bytes(*word);
        // A byte of `x` is zero where the haystack holds LF; the lowest flagged byte of
        // `(x - ONES) & !x & HIGHS` is the first zero byte (higher flags may be borrows).
        let x = raw ^ LF;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            let byte = found.trailing_zeros() / 8;
            // Keep only the octets before the LF.
            let before = (1u64 << (byte * 8)).wrapping_sub(1);
            high |= raw & before;
            return (Some(index * 8 + byte as usize), high & HIGHS != 0);
        }
        high |= raw;
    }
    let offset = words.len() * 8;
    if !tail.is_empty()
        && let Some(last) = haystack.last_chunk::<8>()
    {
        // Read the tail as the last eight octets: those before it hold no LF (checked
        // above), so the lowest flag is the first LF in the tail.
        let raw = u64::from_le_bytes(*last);
        let x = raw ^ LF;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            let byte = found.trailing_zeros() / 8;
            let before = (1u64 << (byte * 8)).wrapping_sub(1);
            high |= raw & before;
            let index = haystack.len() - 8 + byte as usize;
            return (Some(index), high & HIGHS != 0);
        }
        return (None, (high | raw) & HIGHS != 0);
    }
    let mut non_ascii = high & HIGHS != 0;
    for (i, &b) in tail.iter().enumerate() {
        if b == b'\n' {
            return (Some(offset + i), non_ascii);
        }
        non_ascii |= b >= 0x80;
    }
    (None, non_ascii)
}

/// The two-digit decimal strings "00" to "99", for writing numbers two digits at a time.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `value` in decimal.
#[inline]
pub(crate) fn write_decimal(mut value: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    while value >= 100 {
        // `value % 100` is below 100, so the index is below 200.
        let pair = (value % 100) as usize * 2;
        value /= 100;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if value >= 10 {
        let pair = value as usize * 2;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        start -= 1;
        // Below 10 here.
        digits[start] = b'0' + value as u8;
    }
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn write_decimal_matches_display() {
        for value in [0, 1, 9, 10, 99, 100, 12345, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            write_decimal(value, &mut out);
            assert_eq!(out, value.to_string().as_bytes());
        }
    }

    proptest! {
        #[test]
        fn finds_the_first_line_feed(hay in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(0x8a), Just(b'a'), any::<u8>()], 0..200)) {
            let lf = hay.iter().position(|&b| b == b'\n');
            prop_assert_eq!(find_line_feed(&hay), lf);
            let before = &hay[..lf.unwrap_or(hay.len())];
            prop_assert_eq!(scan_line(&hay), (lf, !before.is_ascii()));
        }

        #[test]
        fn finds_a_line_feed_after_a_long_run(
            run in proptest::collection::vec(any::<u8>().prop_filter("no LF", |b| *b != b'\n'), 0..100),
            rest in proptest::collection::vec(any::<u8>(), 0..40),
            with_lf in any::<bool>(),
        ) {
            // Runs of every length around the 8- and 16-octet blocks, with and without a
            // high octet in them, the LF (if any) after the run.
            let mut hay = run.clone();
            if with_lf {
                hay.push(b'\n');
                hay.extend_from_slice(&rest);
            }
            let lf = with_lf.then_some(run.len());
            prop_assert_eq!(scan_line(&hay), (lf, !run.is_ascii()));
            prop_assert_eq!(scan_line_words(&hay), (lf, !run.is_ascii()));
        }

        #[test]
        fn find_blank_matches_a_plain_loop(text in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\t'), Just(0u8), Just(0x20 | 0x80), Just(0x89), Just(b'!'), Just(b'\x08'), Just(b'a'), any::<u8>()], 0..40)) {
            prop_assert_eq!(find_blank(&text), text.iter().position(|b| matches!(b, b' ' | b'\t')));
        }

        #[test]
        fn write_decimal_matches_display_for_any_value(value in any::<u64>()) {
            let mut out = Vec::new();
            write_decimal(value, &mut out);
            prop_assert_eq!(out, value.to_string().into_bytes());
        }
    }
}
