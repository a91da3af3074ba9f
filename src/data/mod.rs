//! The message itself: DATA transparency (RFC 5321 s4.5.2) and BDAT chunking (RFC 3030).
//!
//! | Type | Side | Does |
//! |---|---|---|
//! | [`DataEncoder`] | client | bare CR/LF to CRLF, dot-stuffing on every line, `.<CRLF>` terminator |
//! | [`DataDecoder`] | server | removes stuffing dots, stops after `<CRLF>.<CRLF>` (strict CRLF) |
//! | [`BdatChunker`] | client | `BDAT <n>` / `BDAT <n> LAST` chunks, optional CRLF normalization |
//!
//! All three stream: they take input in chunks of any size, write into a `Vec` the caller
//! owns and reuses, and give the same output for any chunking of the same input. The
//! encoder and the chunker share one normalizer, so a message's line ends come out the same
//! whichever command carries it.

mod bdat;
mod decode;
mod encode;
mod normalize;

#[cfg(test)]
mod tests;

pub use bdat::{BdatChunker, BdatConfig};
pub use decode::{DataDecoder, DecodeProgress};
pub use encode::{DataEncoder, EncodeSummary};
pub use normalize::RFC_TEXT_LINE_LENGTH;
pub(crate) use normalize::{Normalizer, is_ascii};
