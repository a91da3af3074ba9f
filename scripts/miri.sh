#!/usr/bin/env bash
# The codec's unit tests under Miri (undefined behaviour, out-of-bounds and aliasing checks).
#
#   scripts/miri.sh            codec modules (reply, command, capabilities, address, data, secret,
#                              octets, escape)
#   scripts/miri.sh --avx2     also the DATA scanner's AVX2 path (a second build with +avx2)
#
# Needs nightly with the miri and rust-src components. Property tests run a few cases each
# (PROPTEST_CASES, default 2): Miri is ~1000x slower than native code, and the point here is
# every code path once under the checker, not many inputs (the fuzzers and `cargo test` do
# that). Isolation is off so that proptest may read its regression files.
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES="${PROPTEST_CASES:-2}"
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}"
modules=(reply:: command:: capabilities:: address:: data:: secret:: octets:: escape::)
# Tests that replay whole corpora: many minutes under Miri for no new code path.
skip=(--skip the_corpus_agrees_with_the_reference --skip every_corpus_ehlo_reply)
cargo +nightly miri test --lib -- "${modules[@]}" "${skip[@]}"
if [ "${1:-}" = "--avx2" ]; then
    RUSTFLAGS="-C target-feature=+avx2" CARGO_TARGET_DIR=target/miri-avx2 \
        cargo +nightly miri test --lib -- data:: "${skip[@]}"
fi
