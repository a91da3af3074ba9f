//! Known answers (each fed whole, byte by byte and in every two-way split), reference
//! implementations written the slow obvious way, and property tests against them.

use std::num::NonZeroUsize;

use proptest::prelude::*;

use super::*;

/// RFC 5321 s2.3.8 the slow way: every CR LF pair, bare CR and bare LF becomes CRLF.
fn reference_normalize(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'\r' if input.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            octet => out.push(octet),
        }
        i += 1;
    }
    out
}

/// The body a server stores: the normalized input, its last line closed with CRLF.
fn reference_body(input: &[u8]) -> Vec<u8> {
    let mut body = reference_normalize(input);
    if !body.is_empty() && !body.ends_with(b"\r\n") {
        body.extend_from_slice(b"\r\n");
    }
    body
}

/// RFC 5321 s4.5.2 and s4.1.1.4 the slow way: split into lines, double a leading dot,
/// join with CRLF, add `.` CRLF.
fn reference_encode(input: &[u8]) -> Vec<u8> {
    let body = reference_body(input);
    let mut out = Vec::new();
    let mut rest = &body[..];
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("reference_body closes every line");
        if rest[0] == b'.' {
            out.push(b'.');
        }
        out.extend_from_slice(&rest[..end + 2]);
        rest = &rest[end + 2..];
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Lines of the normalized body longer than 998 octets.
fn reference_long_lines(input: &[u8]) -> u64 {
    let body = reference_body(input);
    body.split(|&b| b == b'\n')
        .filter(|line| line.len().saturating_sub(1) > RFC_TEXT_LINE_LENGTH)
        .count() as u64
}

/// Encodes `input` cut at the given offsets (sorted, deduplicated, in range).
fn encode_split(input: &[u8], cuts: &[usize]) -> (Vec<u8>, EncodeSummary) {
    let mut encoder = DataEncoder::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        encoder.encode(&input[start..cut], &mut out);
        start = cut;
    }
    let summary = encoder.finish(&mut out);
    (out, summary)
}

/// Every way to feed `input` that the known-answer tests use: whole, byte by byte, and
/// each two-way split (including the empty first and last pieces).
fn chunkings(len: usize) -> Vec<Vec<usize>> {
    let mut all = vec![vec![], (1..len).collect()];
    all.extend((0..=len).map(|cut| vec![cut]));
    all
}

/// Decodes `input` cut at the given offsets; returns the body, the total consumed and
/// whether the end was seen.
fn decode_split(input: &[u8], cuts: &[usize]) -> (Vec<u8>, usize, bool, u64) {
    let mut decoder = DataDecoder::new();
    let mut out = Vec::new();
    let mut consumed = 0;
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let progress = decoder.decode(&input[start..cut], &mut out);
        consumed += progress.consumed;
        if progress.end {
            assert!(decoder.is_finished());
            return (out, consumed, true, decoder.bare_line_ends());
        }
        assert_eq!(
            progress.consumed,
            cut - start,
            "all input is taken before the end"
        );
        start = cut;
    }
    (out, consumed, false, decoder.bare_line_ends())
}

/// Where a server that takes CR, LF or CRLF as a line end would see an end of data: a `.`
/// at the start of the input or after CR or LF, followed by CR or LF.
fn lenient_terminators(output: &[u8]) -> Vec<usize> {
    (0..output.len())
        .filter(|&i| {
            output[i] == b'.'
                && (i == 0 || matches!(output[i - 1], b'\r' | b'\n'))
                && matches!(output.get(i + 1), Some(b'\r' | b'\n'))
        })
        .collect()
}

/// Whether every CR is followed by LF and every LF preceded by CR.
fn only_crlf(output: &[u8]) -> bool {
    output.iter().enumerate().all(|(i, &b)| match b {
        b'\r' => output.get(i + 1) == Some(&b'\n'),
        b'\n' => i > 0 && output[i - 1] == b'\r',
        _ => true,
    })
}

/// The invariants every encoder output must hold.
fn assert_safe(output: &[u8]) {
    assert!(only_crlf(output), "bare CR or LF in {output:?}");
    assert_eq!(
        lenient_terminators(output),
        vec![output.len() - 3],
        "an early end of data in {output:?}"
    );
    assert!(output.ends_with(b".\r\n"));
}

const ENCODE_VECTORS: &[(&[u8], &[u8])] = &[
    // Empty body: the terminator alone; DATA's own CRLF ends the previous line.
    (b"", b".\r\n"),
    (b"a", b"a\r\n.\r\n"),
    (b"a\r\n", b"a\r\n.\r\n"),
    // A body that ends with CRLF gets no blank line before the terminator.
    (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
    (b"a\r\n\r\n", b"a\r\n\r\n.\r\n"),
    (b"\r\n", b"\r\n.\r\n"),
    // Leading dot on the first line (async-smtp leaves it alone).
    (b".a\r\n", b"..a\r\n.\r\n"),
    (b".", b"..\r\n.\r\n"),
    (b".\r\n", b"..\r\n.\r\n"),
    (b"..\r\n", b"...\r\n.\r\n"),
    // A lone dot line in the middle (Haraka#1411).
    (b"a\r\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r\n..\r\n", b"a\r\n...\r\n.\r\n"),
    (b"x.y.\r\n. .\r\n", b"x.y.\r\n.. .\r\n.\r\n"),
    // Bare LF and bare CR become CRLF (RFC 5321 s2.3.8); dots after them are stuffed too
    // (lettre does not stuff after a bare LF).
    (b"a\nb\n", b"a\r\nb\r\n.\r\n"),
    (b"a\rb\r", b"a\r\nb\r\n.\r\n"),
    (b"\n", b"\r\n.\r\n"),
    (b"\r", b"\r\n.\r\n"),
    (b"\r\r\n", b"\r\n\r\n.\r\n"),
    (b"\n\r", b"\r\n\r\n.\r\n"),
    (b"\n\r\n\r", b"\r\n\r\n\r\n.\r\n"),
    (b"\n.", b"\r\n..\r\n.\r\n"),
    (b"\r.", b"\r\n..\r\n.\r\n"),
    // The SMTP smuggling sequences (December 2023): each becomes a stuffed dot line.
    (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\r\n.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"a\n.\rb", b"a\r\n..\r\nb\r\n.\r\n"),
    (b"\n.\n", b"\r\n..\r\n.\r\n"),
    (
        b"a\r\n\n.\nMAIL FROM:<x>\r\n",
        b"a\r\n\r\n..\r\nMAIL FROM:<x>\r\n.\r\n",
    ),
    // NUL and 8-bit octets are mail data, kept as they are.
    (b"\0\xff\x80.\r\n", b"\0\xff\x80.\r\n.\r\n"),
    (b"\xc3\xa9\n.\0", b"\xc3\xa9\r\n..\0\r\n.\r\n"),
];

#[test]
fn encoder_known_answers_in_every_chunking() {
    for &(input, expected) in ENCODE_VECTORS {
        assert_eq!(reference_encode(input), expected, "reference for {input:?}");
        for cuts in chunkings(input.len()) {
            let (out, summary) = encode_split(input, &cuts);
            assert_eq!(out, expected, "input {input:?} cut at {cuts:?}");
            assert_eq!(summary.long_lines, 0);
            assert_safe(&out);
        }
    }
}

#[test]
fn encoder_is_reusable_after_finish() {
    let mut encoder = DataEncoder::new();
    let mut out = Vec::new();
    encoder.encode(b"a\r", &mut out);
    encoder.finish(&mut out);
    // A pending CR must not leak into the next message.
    encoder.encode(b"\n.b", &mut out);
    encoder.finish(&mut out);
    assert_eq!(out, b"a\r\n.\r\n\r\n..b\r\n.\r\n");
}

#[test]
fn encode_message_matches_streaming() {
    for &(input, expected) in ENCODE_VECTORS {
        assert_eq!(DataEncoder::encode_message(input), expected);
    }
}

#[test]
fn encoder_does_not_allocate_in_steady_state() {
    let body: Vec<u8> = b".line of text\r\n".repeat(1000);
    let mut encoder = DataEncoder::new();
    let mut out = Vec::new();
    encoder.encode(&body, &mut out);
    encoder.finish(&mut out);
    let capacity = out.capacity();
    let pointer = out.as_ptr();
    for _ in 0..10 {
        out.clear();
        encoder.encode(&body, &mut out);
        encoder.finish(&mut out);
        assert_eq!(out.as_ptr(), pointer);
        assert_eq!(out.capacity(), capacity);
    }
}

#[test]
fn long_lines_are_counted_not_rewritten() {
    let line = vec![b'x'; RFC_TEXT_LINE_LENGTH];
    let long = vec![b'y'; RFC_TEXT_LINE_LENGTH + 1];
    // A stuffing dot does not count (RFC 5321 s4.5.3.1.6); the content dot does.
    let mut dotted = vec![b'.'];
    dotted.extend_from_slice(&line[1..]);
    let mut input = Vec::new();
    for piece in [&line[..], &long[..], &dotted[..], &long[..]] {
        input.extend_from_slice(piece);
        input.push(b'\n');
    }
    input.extend_from_slice(&long); // unterminated: counted by finish
    for cuts in [
        vec![],
        vec![500],
        vec![998, 999, 1000, 1001, 2000],
        vec![1999, 2000],
    ] {
        let (out, summary) = encode_split(&input, &cuts);
        assert_eq!(summary.long_lines, 3, "cut at {cuts:?}");
        assert_eq!(out, reference_encode(&input));
    }
    assert_eq!(reference_long_lines(&input), 3);
}

#[test]
fn long_lines_is_readable_before_finish() {
    let mut encoder = DataEncoder::new();
    let mut out = Vec::new();
    encoder.encode(&[b'z'; 999], &mut out);
    assert_eq!(encoder.long_lines(), 0);
    encoder.encode(b"\r\n", &mut out);
    assert_eq!(encoder.long_lines(), 1);
}

const DECODE_VECTORS: &[(&[u8], &[u8], usize)] = &[
    // (input, body, consumed)
    (b".\r\n", b"", 3),
    (b"..\r\n.\r\n", b".\r\n", 7),
    (b"a\r\n.\r\nQUIT\r\n", b"a\r\n", 6),
    (b"..a\r\n...\r\n.\r\n", b".a\r\n..\r\n", 13),
    (b"\r\n.\r\n", b"\r\n", 5),
    // Strict CRLF: none of these end the data.
    (b"a\n.\nb\r\n.\r\n", b"a\n.\nb\r\n", 10),
    (b"a\r.\rb\r\n.\r\n", b"a\r.\rb\r\n", 10),
    (b"a\r\n.\nb\r\n.\r\n", b"a\r\n\nb\r\n", 11),
    (b"a\n.\r\nb\r\n.\r\n", b"a\n.\r\nb\r\n", 11),
    // `.<CR>` then not LF: the dot was a stuffing dot, the CR is data.
    (b".\rX\r\n.\r\n", b"\rX\r\n", 8),
    (b".\r\r\n.\r\n", b"\r\r\n", 7),
    (b"\0\xff\r\n.\r\n", b"\0\xff\r\n", 7),
];

#[test]
fn decoder_known_answers_in_every_chunking() {
    for &(input, body, consumed) in DECODE_VECTORS {
        for cuts in chunkings(input.len()) {
            let (out, used, end, _) = decode_split(input, &cuts);
            assert!(end, "input {input:?} cut at {cuts:?}");
            assert_eq!(out, body, "input {input:?} cut at {cuts:?}");
            assert_eq!(used, consumed, "input {input:?} cut at {cuts:?}");
        }
    }
}

#[test]
fn decoder_counts_bare_line_ends() {
    let (_, _, end, bare) = decode_split(b"a\n.\nb\rc\r\r\n.\r\n", &[]);
    assert!(end);
    assert_eq!(bare, 4);
    let (_, _, _, bare) = decode_split(b"ok\r\n.\r\n", &[]);
    assert_eq!(bare, 0);
}

#[test]
fn decoder_waits_for_the_whole_terminator() {
    let mut decoder = DataDecoder::new();
    let mut out = Vec::new();
    for piece in [&b"a\r"[..], b"\n", b".", b"\r"] {
        let progress = decoder.decode(piece, &mut out);
        assert_eq!(progress.consumed, piece.len());
        assert!(!progress.end);
    }
    let progress = decoder.decode(b"\nNEXT", &mut out);
    assert_eq!(progress.consumed, 1);
    assert!(progress.end);
    assert_eq!(out, b"a\r\n");
    let again = decoder.decode(b"more", &mut out);
    assert_eq!(again.consumed, 0);
    assert!(again.end);
}

fn chunk_config(size: usize, normalize: bool) -> BdatConfig {
    BdatConfig::default()
        .with_chunk_size(NonZeroUsize::new(size).expect("test sizes are positive"))
        .with_normalize_line_endings(normalize)
}

/// Parses chunker output back into (size, last, payload) triples, checking the framing.
fn parse_bdat(mut wire: &[u8]) -> Vec<(usize, bool, Vec<u8>)> {
    let mut chunks = Vec::new();
    while !wire.is_empty() {
        let end = wire
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a BDAT command line");
        let line = std::str::from_utf8(&wire[..end]).expect("ASCII command");
        let mut words = line.split(' ');
        assert_eq!(words.next(), Some("BDAT"));
        let size: usize = words.next().expect("a size").parse().expect("decimal");
        let last = match words.next() {
            None => false,
            Some("LAST") => true,
            Some(other) => panic!("unexpected {other:?}"),
        };
        assert_eq!(words.next(), None);
        let data = &wire[end + 2..end + 2 + size];
        chunks.push((size, last, data.to_vec()));
        wire = &wire[end + 2 + size..];
    }
    chunks
}

#[test]
fn bdat_known_answers() {
    let cases: &[(&[u8], usize, bool, &[u8])] = &[
        (b"", 4, true, b"BDAT 0 LAST\r\n"),
        (b"abc", 4, true, b"BDAT 3 LAST\r\nabc"),
        // Ends on a chunk boundary: a zero-length last chunk (RFC 3030 s2).
        (b"abcd", 4, true, b"BDAT 4\r\nabcdBDAT 0 LAST\r\n"),
        (b"abcdef", 4, true, b"BDAT 4\r\nabcdBDAT 2 LAST\r\nef"),
        (b"a\nb", 8, true, b"BDAT 4 LAST\r\na\r\nb"),
        (b"a\nb", 8, false, b"BDAT 3 LAST\r\na\nb"),
        // No dot-stuffing: BDAT is counted, not delimited.
        (b".\r\n", 8, true, b"BDAT 3 LAST\r\n.\r\n"),
    ];
    for &(input, size, normalize, expected) in cases {
        for cuts in chunkings(input.len()) {
            let mut chunker = BdatChunker::new(chunk_config(size, normalize));
            let mut out = Vec::new();
            let mut start = 0;
            let mut commands = 0;
            for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
                commands += chunker.push(&input[start..cut], &mut out);
                start = cut;
            }
            commands += chunker.finish(&mut out);
            assert_eq!(out, expected, "input {input:?} cut at {cuts:?}");
            assert_eq!(commands, parse_bdat(&out).len());
        }
    }
}

#[test]
fn bdat_normalizes_a_cr_at_a_chunk_boundary_once() {
    let mut chunker = BdatChunker::new(chunk_config(2, true));
    let mut out = Vec::new();
    chunker.push(b"a\r", &mut out);
    chunker.push(b"\nb", &mut out);
    chunker.finish(&mut out);
    let payload: Vec<u8> = parse_bdat(&out).into_iter().flat_map(|c| c.2).collect();
    assert_eq!(payload, b"a\r\nb");
}

/// Bytes with many of the octets that matter, so that interesting sequences are common.
fn mail_bytes() -> impl Strategy<Value = Vec<u8>> {
    let octet = prop_oneof![
        4 => prop::sample::select(&b".\r\nab \0\xff"[..]),
        1 => any::<u8>(),
    ];
    prop::collection::vec(octet, 0..300)
}

/// Mostly well-formed CRLF text over several fast-path blocks: lines of 0 to 1100 octets
/// (some over the 998 limit), some starting with a dot, most ending in CRLF, a few in a bare
/// CR or LF or in nothing at all.
fn mail_lines() -> impl Strategy<Value = Vec<u8>> {
    let line = (
        any::<bool>(),
        prop_oneof![8 => 0usize..100, 1 => 900usize..1100],
        prop_oneof![
            12 => Just(&b"\r\n"[..]),
            1 => Just(&b"\n"[..]),
            1 => Just(&b"\r"[..]),
            1 => Just(&b""[..]),
        ],
        any::<u8>(),
    );
    prop::collection::vec(line, 0..40).prop_map(|lines| {
        let mut out = Vec::new();
        for (dot, length, end, seed) in lines {
            if dot {
                out.push(b'.');
            }
            out.extend((0..length).map(|i| b'a' + (seed as usize + i) as u8 % 26));
            out.extend_from_slice(end);
        }
        out
    })
}

/// A body with the input and cut offsets into it.
fn chunked_mail() -> impl Strategy<Value = (Vec<u8>, Vec<usize>)> {
    prop_oneof![mail_bytes(), mail_lines()].prop_flat_map(|input| {
        let len = input.len();
        let cuts = prop::collection::vec(0..=len, 0..8).prop_map(|mut cuts| {
            cuts.sort_unstable();
            cuts.dedup();
            cuts
        });
        (Just(input), cuts)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encoding_matches_the_reference_for_any_chunking((input, cuts) in chunked_mail()) {
        let (out, summary) = encode_split(&input, &cuts);
        prop_assert_eq!(&out, &reference_encode(&input));
        prop_assert_eq!(summary.long_lines, reference_long_lines(&input));
        assert_safe(&out);
    }

    #[test]
    fn decode_inverts_encode((input, cuts) in chunked_mail(), trailing in mail_bytes()) {
        let (mut wire, _) = encode_split(&input, &[]);
        let encoded_len = wire.len();
        wire.extend_from_slice(&trailing);
        // Cut the wire at the same offsets (those in range).
        let cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= wire.len()).collect();
        let (body, consumed, end, bare) = decode_split(&wire, &cuts);
        prop_assert!(end);
        prop_assert_eq!(consumed, encoded_len);
        prop_assert_eq!(body, reference_body(&input));
        prop_assert_eq!(bare, 0);
    }

    #[test]
    fn decoding_is_the_same_for_any_chunking((input, cuts) in chunked_mail()) {
        let whole = decode_split(&input, &[]);
        let split = decode_split(&input, &cuts);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn bdat_payload_is_the_normalized_body(
        (input, cuts) in chunked_mail(),
        size in 1usize..40,
        normalize in any::<bool>(),
    ) {
        let mut chunker = BdatChunker::new(chunk_config(size, normalize));
        let mut out = Vec::new();
        let mut start = 0;
        let mut commands = 0;
        for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
            commands += chunker.push(&input[start..cut], &mut out);
            prop_assert!(chunker.pending() < size);
            start = cut;
        }
        commands += chunker.finish(&mut out);
        let chunks = parse_bdat(&out);
        prop_assert_eq!(chunks.len(), commands);
        let (last, rest) = chunks.split_last().expect("at least the LAST chunk");
        prop_assert!(last.1);
        prop_assert!(last.0 < size);
        for chunk in rest {
            prop_assert!(!chunk.1);
            prop_assert_eq!(chunk.0, size);
        }
        let payload: Vec<u8> = chunks.into_iter().flat_map(|c| c.2).collect();
        let expected = if normalize { reference_normalize(&input) } else { input.clone() };
        prop_assert_eq!(payload, expected);
    }
}
