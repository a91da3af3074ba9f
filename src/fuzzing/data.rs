use std::num::NonZeroUsize;

use crate::data::{BdatChunker, BdatConfig, DataDecoder, DataEncoder};

/// Encodes the body (`bytes` after the first two) whole and in chunks picked by the first
/// byte, and checks: both give the same output; it has no bare CR or LF and no early end of
/// data even for a server that takes CR or LF alone as a line end; decoding it gives back
/// the body with its line ends normalized, in any chunking, and stops exactly at the end;
/// the BDAT chunker (chunk size from the second byte) carries the same normalized body.
pub fn data(bytes: &[u8]) {
    let (seed, chunk_size, body) = match bytes {
        [seed, size, body @ ..] => (*seed, usize::from(*size) + 1, body),
        _ => return,
    };
    let whole = DataEncoder::encode_message(body);
    let mut encoder = DataEncoder::new();
    let mut chunked = Vec::new();
    for piece in pieces(body, seed) {
        encoder.encode(piece, &mut chunked);
    }
    encoder.finish(&mut chunked);
    assert_eq!(whole, chunked, "chunking changed the encoding");

    for (i, &octet) in whole.iter().enumerate() {
        match octet {
            b'\r' => assert_eq!(whole.get(i + 1), Some(&b'\n'), "bare CR at {i}"),
            b'\n' => assert!(i > 0 && whole[i - 1] == b'\r', "bare LF at {i}"),
            b'.' if i + 3 != whole.len() => {
                let line_start = i == 0 || matches!(whole[i - 1], b'\r' | b'\n');
                let line_end = matches!(whole.get(i + 1), Some(b'\r' | b'\n'));
                assert!(!(line_start && line_end), "early end of data at {i}");
            }
            _ => {}
        }
    }
    assert!(whole.ends_with(b".\r\n"));

    let mut expected = normalize(body);
    let normalized_len = expected.len();
    if !expected.is_empty() && !expected.ends_with(b"\r\n") {
        expected.extend_from_slice(b"\r\n");
    }
    let mut wire = whole.clone();
    wire.extend_from_slice(body); // pipelined bytes after the end must be left alone
    for pieces_seed in [None, Some(seed)] {
        let mut decoder = DataDecoder::new();
        let mut decoded = Vec::new();
        let mut consumed = 0;
        let mut end = false;
        let chunks: Vec<&[u8]> = match pieces_seed {
            None => vec![&wire[..]],
            Some(seed) => pieces(&wire, seed).collect(),
        };
        for piece in chunks {
            let progress = decoder.decode(piece, &mut decoded);
            consumed += progress.consumed;
            if progress.end {
                end = true;
                break;
            }
            assert_eq!(progress.consumed, piece.len());
        }
        assert!(end, "the decoder missed the end of data");
        assert_eq!(consumed, whole.len(), "the decoder stopped elsewhere");
        assert_eq!(decoded, expected, "decode(encode(x)) is not x normalized");
        assert_eq!(decoder.bare_line_ends(), 0);
    }

    let size = NonZeroUsize::new(chunk_size).unwrap_or(NonZeroUsize::MIN);
    let mut chunker = BdatChunker::new(BdatConfig::default().with_chunk_size(size));
    let mut wire = Vec::new();
    let mut commands = 0;
    for piece in pieces(body, seed) {
        commands += chunker.push(piece, &mut wire);
        assert!(chunker.pending() < chunk_size);
    }
    commands += chunker.finish(&mut wire);
    let full_chunks = normalized_len / chunk_size;
    assert_eq!(commands, full_chunks + 1);
    let last_len = normalized_len % chunk_size;
    let framing = full_chunks * format!("BDAT {chunk_size}\r\n").len()
        + format!("BDAT {last_len} LAST\r\n").len();
    assert_eq!(wire.len(), framing + normalized_len);
}

/// `input` cut into pieces of 0 to 15 octets, sizes drawn from `seed`.
fn pieces(input: &[u8], seed: u8) -> impl Iterator<Item = &[u8]> {
    let mut state = u32::from(seed) | 0x100;
    let mut rest = input;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = (state % 16) as usize;
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        Some(piece)
    })
}

/// RFC 5321 s2.3.8 the slow way: CRLF, bare CR and bare LF all become CRLF.
fn normalize(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut octets = input.iter().peekable();
    while let Some(&octet) = octets.next() {
        match octet {
            b'\r' => {
                octets.next_if_eq(&&b'\n');
                out.extend_from_slice(b"\r\n");
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(octet),
        }
    }
    out
}
