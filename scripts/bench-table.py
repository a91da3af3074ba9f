#!/usr/bin/env python3
"""Prints a Markdown table of criterion results with ratios against a baseline impl.

Usage: scripts/bench-table.py GROUP [BASELINE_IMPL]
Reads target/criterion/GROUP/*/new/{benchmark,estimates}.json (the id `GROUP/<case>/<impl>`
and the point estimate of the mean, in ns) as written by the last `cargo bench` run.
"""
import json
import pathlib
import sys

group = sys.argv[1]
baseline = sys.argv[2] if len(sys.argv) > 2 else "smtp-sansio"
root = pathlib.Path("target/criterion") / group
if not root.is_dir():
    sys.exit(f"no results under {root}: run `cargo bench --bench ...` first")

def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"

rows = {}
impls = []
for est in sorted(root.glob("*/new/estimates.json")):
    full_id = json.loads((est.parent / "benchmark.json").read_text())["full_id"]
    _, case, impl = full_id.split("/", 2)
    mean = json.loads(est.read_text())["mean"]["point_estimate"]
    rows.setdefault(case, {})[impl] = mean
    if impl not in impls:
        impls.append(impl)
impls.sort(key=lambda i: (i != baseline, i))
print("| case | " + " | ".join(impls) + " |")
print("|---|" + "---|" * len(impls))
for case, values in rows.items():
    base = values.get(baseline)
    cells = []
    for impl in impls:
        v = values.get(impl)
        if v is None:
            cells.append("")
        elif impl == baseline or base is None:
            cells.append(fmt(v))
        else:
            cells.append(f"{fmt(v)} ({v / base:.2f}x)")
    print(f"| {case} | " + " | ".join(cells) + " |")
