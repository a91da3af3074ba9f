#![no_main]
//! The command parser: whatever parses writes back, canonically, and re-parses to itself.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::command(data));
