#!/usr/bin/env bash
# Fuzz campaigns over the cargo-fuzz targets in fuzz/ (needs nightly and cargo-fuzz).
#
#   scripts/fuzz.sh run TARGET [SECONDS]   fuzz TARGET with its dictionary (default 1800 s);
#                                          new inputs go to a scratch dir, not the committed
#                                          corpus; the log is in $FUZZ_WORK/TARGET.log
#   scripts/fuzz.sh merge TARGET           minimize: the committed corpus plus the scratch dir
#                                          become the smallest set with the same coverage,
#                                          written back to fuzz/corpus/TARGET
#   scripts/fuzz.sh replay                 every target over its committed corpus, no new inputs
#
# FUZZ_WORK (default /tmp/smtp-sansio-fuzz) holds the scratch corpora and logs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
work="${FUZZ_WORK:-/tmp/smtp-sansio-fuzz}"
mkdir -p "$work"
bin_dir=target/x86_64-unknown-linux-gnu/release

build() { cargo +nightly fuzz build "$1" >&2; }

case "${1:-}" in
run)
    target="$2"
    seconds="${3:-1800}"
    build "$target"
    mkdir -p "$work/$target"
    # A copy of the binary, so a later build does not swap it out under a running campaign.
    cp "$bin_dir/$target" "$work/$target.bin"
    "$work/$target.bin" "$work/$target" "corpus/$target" \
        -dict="dict/$target.dict" -max_total_time="$seconds" -print_final_stats=1 \
        -rss_limit_mb=2048 -max_len=4096 2>&1 | tee "$work/$target.log" | grep -E '^#[0-9]+ +(pulse|DONE)|^stat::|ERROR|SUMMARY' || true
    ;;
merge)
    target="$2"
    build "$target"
    fresh="$work/$target.min"
    rm -rf "$fresh"
    mkdir -p "$fresh"
    "$bin_dir/$target" -merge=1 -dict="dict/$target.dict" "$fresh" "corpus/$target" "$work/$target" 2>&1 |
        grep -E 'MERGE-OUTER: [0-9]+ new files|cov:|ft:' | tail -3
    rm -rf "corpus/$target"
    mv "$fresh" "corpus/$target"
    echo "corpus/$target: $(ls "corpus/$target" | wc -l) files"
    ;;
replay)
    for target in $(cargo +nightly fuzz list); do
        echo "-- fuzz target $target"
        cargo +nightly fuzz run "$target" "corpus/$target" -- -runs=0 -dict="dict/$target.dict"
    done
    ;;
*)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
