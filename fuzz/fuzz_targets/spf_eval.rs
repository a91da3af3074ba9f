#![no_main]
//! SPF check_host(): a fuzzer-chosen fixture zone, answered in two orders.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::spf_eval(data));
