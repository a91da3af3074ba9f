//! DATA encoding throughput: this crate's encoder against lettre's transparency algorithm
//! and against a plain copy of the same bytes, on a realistic body (76-column base64 lines
//! with CRLF, one line in 40 starting with a dot).
//!
//! `cargo bench --bench data -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smtp_sansio::DataEncoder;

/// A base64-like body of `size` octets: 76-column lines ending in CRLF, every 40th line
/// starting with `.` so the stuffing path is exercised. Deterministic.
fn body(size: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state: u32 = 0x2545_f491;
    let mut out = Vec::with_capacity(size + 80);
    let mut line = 0;
    while out.len() < size {
        for column in 0..76 {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let octet = if column == 0 && line % 40 == 7 {
                b'.'
            } else {
                ALPHABET[(state >> 26) as usize]
            };
            out.push(octet);
        }
        out.extend_from_slice(b"\r\n");
        line += 1;
    }
    out.truncate(size);
    out
}

/// lettre 0.11's transparency algorithm (its private SMTP `ClientCodec`), re-implemented
/// from its documented behaviour: one pass, one `push` per octet, a three-state machine
/// that doubles a dot after CRLF or at the start (but not after a bare LF), no line-end
/// normalization, then `<CRLF>.<CRLF>` always appended.
mod lettre_algorithm {
    #[derive(Clone, Copy)]
    enum Position {
        /// Past the first octet of a line.
        InLine,
        /// Just after a CR.
        AfterCr,
        /// At the start of a line.
        LineStart,
    }

    pub struct Codec {
        position: Position,
    }

    impl Codec {
        pub fn new() -> Self {
            Codec {
                position: Position::LineStart,
            }
        }

        pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
            for &octet in input {
                out.push(octet);
                self.position = match (octet, self.position) {
                    (b'\r', _) => Position::AfterCr,
                    (b'\n', Position::AfterCr) => Position::LineStart,
                    (_, Position::AfterCr) => Position::InLine,
                    (b'.', Position::LineStart) => {
                        out.push(b'.');
                        Position::InLine
                    }
                    (_, Position::LineStart) => Position::InLine,
                    (_, Position::InLine) => Position::InLine,
                };
            }
        }
    }

    /// What lettre's `SmtpConnection::message` writes: the encoded body, then the
    /// terminator with its own leading CRLF.
    pub fn message(input: &[u8], out: &mut Vec<u8>) {
        let mut codec = Codec::new();
        codec.encode(input, out);
        out.extend_from_slice(b"\r\n.\r\n");
    }
}

fn data(c: &mut Criterion) {
    let mut group = c.benchmark_group("data");
    for (label, size) in [("64KiB", 64 * 1024), ("1MiB", 1024 * 1024)] {
        let input = body(size);
        group.throughput(Throughput::Bytes(size as u64));
        let mut out = Vec::with_capacity(size * 2);
        group.bench_with_input(
            BenchmarkId::new(label, "smtp-sansio"),
            &input,
            |b, input| {
                let mut encoder = DataEncoder::new();
                b.iter(|| {
                    out.clear();
                    encoder.encode(black_box(input), &mut out);
                    encoder.finish(&mut out);
                    black_box(out.len())
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new(label, "lettre-algorithm"),
            &input,
            |b, input| {
                b.iter(|| {
                    out.clear();
                    lettre_algorithm::message(black_box(input), &mut out);
                    black_box(out.len())
                })
            },
        );
        group.bench_with_input(BenchmarkId::new(label, "memcpy"), &input, |b, input| {
            b.iter(|| {
                out.clear();
                out.extend_from_slice(black_box(input));
                black_box(out.len())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, data);
criterion_main!(benches);
