//! Diagnosis speed: a few named replies, and every parseable reply of the corpus per iteration
//! (criterion reports the time per reply through `Throughput::Elements`). Replies are parsed
//! outside the timed loop. Run:
//! `cargo bench --bench diagnose -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smtp_sansio::{Decoded, Reply, ReplyLimits, Stage, diagnose, parse_reply};

fn parse(wire: &str) -> Reply {
    let bytes = format!("{wire}\r\n").into_bytes();
    match parse_reply(&bytes, &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, .. }) => value,
        other => panic!("{wire:?}: {other:?}"),
    }
}

fn corpus() -> Vec<(Stage, Reply)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/replies.jsonl");
    let text = std::fs::read_to_string(path).expect("corpus");
    text.lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            let stage: Stage = value["stage"].as_str()?.parse().ok()?;
            let bytes = format!("{}\r\n", value["reply"].as_str()?).into_bytes();
            match parse_reply(&bytes, &ReplyLimits::default()) {
                Ok(Decoded::Complete { value, .. }) => Some((stage, value)),
                _ => None,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "gmail_550_5_7_26",
            Stage::DataEnd,
            "550-5.7.26 Unauthenticated email from example.com is not accepted due to\r\n550-5.7.26 domain's DMARC policy. Please visit\r\n550-5.7.26 https://support.google.com/mail/answer/81126#authentication for\r\n550 5.7.26 more information. a1si2 - gsmtp",
        ),
        (
            "postfix_relay_denied",
            Stage::Rcpt,
            "554 5.7.1 <test@example.com>: Relay access denied",
        ),
        (
            "ms365_535_5_7_139",
            Stage::Auth,
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [PN0PR01CA0024.INDPRD01.PROD.OUTLOOK.COM 2025-01-26T18:54:30.055Z 08DD3DD7D75D7743]",
        ),
        ("ok_250", Stage::Rcpt, "250 2.1.5 Ok"),
    ];
    let mut group = c.benchmark_group("diagnose");
    // Build the automaton before timing anything.
    let _ = diagnose(Stage::Rcpt, &parse("250 ok"));
    for (name, stage, wire) in cases {
        let reply = parse(wire);
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new(name, "smtp-sansio"), &reply, |b, reply| {
            b.iter(|| diagnose(black_box(stage), black_box(reply)))
        });
    }
    let replies = corpus();
    group.throughput(Throughput::Elements(replies.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("corpus", "smtp-sansio"),
        &replies,
        |b, replies| {
            b.iter(|| {
                for (stage, reply) in replies {
                    black_box(diagnose(*stage, black_box(reply)));
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
