#!/usr/bin/env python3
"""Writes the seed corpus of the `diagnose` fuzz target from the labelled reply sets.

Each seed is one byte naming the stage (its index in `Stage::ALL`) followed by the reply's
bytes, as the target reads them. Run from the repository root; the fuzzer's minimizer
(`cargo fuzz cmin diagnose`) then keeps the seeds that add coverage.
"""
import hashlib
import json
import pathlib

STAGES = ["connect", "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data",
          "data-end", "quit", "any"]
out = pathlib.Path("fuzz/corpus/diagnose")
out.mkdir(parents=True, exist_ok=True)
count = 0
for path in sorted(pathlib.Path("tests/data").glob("*.jsonl")):
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        reply = entry["reply"].encode("utf-8", "surrogateescape")
        if not reply.endswith(b"\r\n"):
            reply += b"\r\n"
        stage = entry.get("stage", "any")
        data = bytes([STAGES.index(stage) if stage in STAGES else 10]) + reply
        (out / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)
        count += 1
print(f"{count} seeds written to {out}")
