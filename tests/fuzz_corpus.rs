//! Replays every committed fuzz corpus file through its target's entry function, so the
//! invariants the fuzzers check are also checked by `cargo test` on stable Rust.

use std::fs;
use std::path::Path;

fn replay(target: &str, entry: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    if !fuzz.is_dir() {
        // The published crate holds no fuzz targets or corpora (Cargo.toml `include`); in the
        // repository a missing corpus directory still fails below.
        eprintln!(
            "skipped: {} is absent (the fuzz corpora are not part of the published package)",
            fuzz.display()
        );
        return;
    }
    let dir = fuzz.join("corpus").join(target);
    let mut count = 0;
    for file in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = file.unwrap().path();
        entry(&fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count > 0, "no corpus files in {}", dir.display());
}

#[test]
fn reply_corpus() {
    replay("reply", smtp_sansio::fuzzing::reply);
}

#[test]
fn data_corpus() {
    replay("data", smtp_sansio::fuzzing::data);
}

#[test]
fn command_corpus() {
    replay("command", smtp_sansio::fuzzing::command);
}

#[test]
fn client_corpus() {
    replay("client", smtp_sansio::fuzzing::client);
}

#[test]
fn capabilities_corpus() {
    replay("capabilities", smtp_sansio::fuzzing::capabilities);
}

#[test]
fn diagnose_corpus() {
    replay("diagnose", smtp_sansio::fuzzing::diagnose);
}

#[test]
fn spf_record_corpus() {
    replay("spf_record", smtp_sansio::fuzzing::spf_record);
}

#[test]
fn spf_eval_corpus() {
    replay("spf_eval", smtp_sansio::fuzzing::spf_eval);
}

#[test]
fn records_corpus() {
    replay("records", smtp_sansio::fuzzing::records);
}
