//! Entry points of the `fuzz/` targets. Each takes arbitrary bytes and asserts the
//! invariants of one parser or encoder; the cargo-fuzz targets call them, and
//! `tests/fuzz_corpus.rs` replays every committed corpus file through them on stable Rust.
//! Not a stable API.

mod capabilities;
mod client;
mod command;
mod data;
mod diagnose;
mod records;
mod reply;
mod spf;

pub use capabilities::capabilities;
pub use client::client;
pub use command::command;
pub use data::data;
pub use diagnose::diagnose;
pub use records::records;
pub use reply::reply;
pub use spf::{FuzzZone, max_queries, spf_eval, spf_record};
