//! SPF (RFC 7208): the record parser and writer, the macro language, `check_host()` as a
//! sans-IO evaluation with its trace, and a static analysis of a domain's record tree.
//!
//! The evaluation counts exactly what RFC 7208 s4.6.4 counts: the terms `include`, `a`, `mx`,
//! `ptr`, `exists` and the `redirect` modifier, at most 10 (the 11th ends in permerror and is
//! not queried); not `ip4`, `ip6`, `all`, nor the address lookups of one `mx` or `ptr` (at most
//! 10 each, their own limit); at most 2 void lookups (NXDOMAIN or no data).

mod analysis;
mod eval;
mod macros;
mod parse;

pub use analysis::{IncludeCount, SpfAnalysis, SpfReport};
pub use eval::{SpfError, SpfEvaluation, SpfOptions, SpfOutcome, SpfResult, SpfTrace, TraceNode};
pub use macros::{MacroExpand, MacroLetter, MacroString, MacroToken};
pub use parse::{
    DualCidr, Mechanism, Modifier, Qualifier, SpfErrorKind, SpfParseError, SpfRecord, Term,
    is_spf_record,
};
