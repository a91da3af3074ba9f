#![no_main]
//! The diagnosis engine: arbitrary bytes as wire replies and as pasted text, at every stage.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::diagnose(data));
