#![no_main]
//! The reply decoder: whole vs. split input, re-parse identity, limits.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::reply(data));
