#![no_main]
//! EHLO capabilities: arbitrary keyword lines.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::capabilities(data));
