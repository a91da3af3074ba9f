#![no_main]
//! The whole client: arbitrary server bytes, EOFs, timeouts and caller actions.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::client(data));
