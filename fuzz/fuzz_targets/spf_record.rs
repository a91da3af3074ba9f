#![no_main]
//! SPF record parser and writer: arbitrary record text.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::spf_record(data));
