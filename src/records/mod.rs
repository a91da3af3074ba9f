//! The domain's published mail records, read and judged without doing any IO (DESIGN s7).
//!
//! Record parsers are plain functions over a record's text (TXT strings joined with no
//! separator, RFC 7208 s3.3). Checks that need DNS — an SPF evaluation, the SPF tree
//! analysis, DMARC discovery, MX checks — are machines that *ask* for answers: poll
//! [`Query`]s (all the ones that can be resolved in parallel are offered at once), resolve
//! them however you like, hand back each [`Answer`] by id in any order, and read the result
//! when the machine is finished. There is no clock: limits are counts, and a caller that gives
//! up on a lookup answers [`Answer::TempFail`]. Every fault becomes a
//! [`Diagnosis`](crate::Diagnosis) of DIAGNOSES.md s4.12 at stage `dns`.
//!
//! # The drive loop
//!
//! ```
//! use smtp_sansio::records::{Answer, Lookups, Query, QueryKind, Rdata};
//! use smtp_sansio::records::spf::{SpfEvaluation, SpfResult};
//!
//! // The caller's resolver: here a table; in real life hickory-resolver, a cache, ...
//! fn my_resolver(query: &Query) -> Answer {
//!     match (query.name.as_str(), query.kind) {
//!         ("example.org", QueryKind::Txt) => Answer::records(vec![Rdata::txt(
//!             "v=spf1 mx include:_spf.example.net -all",
//!         )]),
//!         ("example.org", QueryKind::Mx) => Answer::records(vec![Rdata::Mx {
//!             preference: 10,
//!             exchange: "mx.example.org".into(),
//!         }]),
//!         ("mx.example.org", QueryKind::A) => Answer::records(vec![Rdata::A("192.0.2.25".parse().unwrap())]),
//!         ("_spf.example.net", QueryKind::Txt) => Answer::records(vec![Rdata::txt(
//!             "v=spf1 ip4:198.51.100.0/24 -all",
//!         )]),
//!         _ => Answer::NxDomain,
//!     }
//! }
//!
//! let mut spf = SpfEvaluation::new("198.51.100.7".parse().unwrap(), "alice@example.org", "mail.example.org");
//! while !spf.is_finished() {
//!     // Everything offered now can be resolved in parallel...
//!     let mut batch = Vec::new();
//!     while let Some(query) = spf.poll_query() {
//!         batch.push(query);
//!     }
//!     // ...and answered in any order.
//!     for query in batch.iter().rev() {
//!         spf.answer(query.id, my_resolver(query)).unwrap();
//!     }
//! }
//! let outcome = spf.outcome().unwrap();
//! assert_eq!(outcome.result, SpfResult::Pass);
//! assert_eq!((outcome.lookups, outcome.void_lookups), (2, 0));
//! println!("{}", outcome.trace); // the tree, with "lookups 2/10, void 0/2"
//! ```
//!
//! [`resolve_with`] runs that loop for a synchronous resolver.
//!
//! # Modules
//!
//! | Module | Records |
//! |---|---|
//! | [`spf`] | SPF (RFC 7208): parser, macros, `check_host()`, static analysis |
//! | [`dmarc`] | DMARC (RFC 7489, RFC 9989): parser, policy discovery, checks, alignment |
//! | [`dkim`] | DKIM key records (RFC 6376 s3.6.1, RFC 8301, RFC 8463) |
//! | [`mta_sts`] | MTA-STS (RFC 8461): TXT record, policy file, MX patterns |
//! | [`tls_rpt`] | TLS-RPT (RFC 8460) |
//! | [`mx`] | MX checks (RFC 5321 s5.1, RFC 7505) |
//! | [`dnsbl`] | DNS block lists: query names and return codes |
//! | [`rdns`] | reverse DNS and its forward confirmation (FCrDNS) |
//! | [`dane`] | DANE TLSA records; the matcher with feature `dane` |
//! | [`domain`] | every check of a mail domain as one machine, with one report |

pub mod dane;
pub mod dkim;
pub mod dmarc;
pub mod dnsbl;
pub mod domain;
pub mod mta_sts;
pub mod mx;
mod query;
pub mod rdns;
pub mod spf;
mod tags;
pub mod tls_rpt;

pub use query::{
    Answer, Lookups, Query, QueryId, QueryKind, Rdata, UnknownQuery, resolve_with, reverse_name,
    reversed_labels,
};
