//! EHLO replies with capability sets.

use proptest::collection::vec;
use proptest::prelude::*;

use super::address::domain;
use crate::reply::{Reply, ReplyCode};

/// An EHLO reply and the keyword lines it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EhloReply {
    /// The `250` reply: the server's name, then one keyword line per extension.
    pub reply: Reply,
    /// The keyword lines after the first, as sent (`"SIZE 35882577"`, `"AUTH PLAIN LOGIN"`).
    pub keywords: Vec<String>,
}

/// One extension line, drawn from what real servers offer (RFC 5321 s4.1.1.1 syntax:
/// `ehlo-keyword *(SP ehlo-param)`).
fn keyword_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("PIPELINING".to_owned()),
        Just("8BITMIME".to_owned()),
        Just("SMTPUTF8".to_owned()),
        Just("ENHANCEDSTATUSCODES".to_owned()),
        Just("CHUNKING".to_owned()),
        Just("BINARYMIME".to_owned()),
        Just("DSN".to_owned()),
        Just("STARTTLS".to_owned()),
        Just("REQUIRETLS".to_owned()),
        Just("ETRN".to_owned()),
        Just("VRFY".to_owned()),
        Just("HELP".to_owned()),
        any::<u32>().prop_map(|n| format!("SIZE {n}")),
        Just("SIZE".to_owned()),
        (0u32..=86_400).prop_map(|n| format!("DELIVERBY {n}")),
        (1u32..=1000, 1u32..=100).prop_map(|(r, m)| format!("LIMITS RCPTMAX={r} MAILMAX={m}")),
        Just("MT-PRIORITY MIXER".to_owned()),
        vec(
            prop_oneof![
                Just("PLAIN"),
                Just("LOGIN"),
                Just("CRAM-MD5"),
                Just("SCRAM-SHA-256"),
                Just("XOAUTH2"),
                Just("OAUTHBEARER"),
                Just("GSSAPI"),
            ],
            1..5
        )
        .prop_map(|mechanisms| format!("AUTH {}", mechanisms.join(" "))),
        // The pre-RFC 4954 spelling some servers still add (old Outlook clients read it).
        Just("AUTH=LOGIN PLAIN".to_owned()),
        "X-[A-Z0-9]{1,8}( [!-~]{1,10}){0,2}",
    ]
}

/// A valid `250` EHLO reply: the server's domain and a greeting, then zero to a dozen
/// extension lines, keywords in any case and sometimes repeated, as servers send them.
pub fn ehlo_reply() -> impl Strategy<Value = EhloReply> {
    (
        domain(),
        "( [ -~]{1,30})?",
        vec((keyword_line(), any::<bool>()), 0..12),
    )
        .prop_filter_map("a writable reply", |(domain, greeting, lines)| {
            let keywords: Vec<String> = lines
                .into_iter()
                .map(|(line, lower)| if lower { line.to_lowercase() } else { line })
                .collect();
            let first = format!("{}{greeting}", domain.as_str());
            let reply = Reply::new(
                ReplyCode::OK,
                None,
                std::iter::once(first.as_str()).chain(keywords.iter().map(String::as_str)),
            )
            .ok()?;
            Some(EhloReply { reply, keywords })
        })
}
