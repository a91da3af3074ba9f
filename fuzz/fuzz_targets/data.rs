#![no_main]
//! The DATA encoder, decoder and BDAT chunker: chunking invariance, no bare CR/LF, no early
//! end of data, decode(encode(x)) == normalize(x), BDAT framing.
libfuzzer_sys::fuzz_target!(|data: &[u8]| smtp_sansio::fuzzing::data(data));
