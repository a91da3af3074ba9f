#![no_main]
//! DMARC, DKIM key, MTA-STS (TXT and policy), TLS-RPT and TLSA parsers, chosen by the first byte.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::records(data));
