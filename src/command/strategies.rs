//! proptest strategies for addresses, ESMTP parameters and commands (feature `proptest`).
//!
//! Every value is built through the public constructors, so it is valid: a generated
//! [`Command`] writes unless its line is over the RFC length (many long parameters), and what
//! it writes parses back to it.
//!
//! ```
//! use proptest::prelude::*;
//! use smtp_sansio::command::strategies;
//! proptest!(|(mailbox in strategies::mailbox())| {
//!     prop_assert_eq!(mailbox.to_string().parse::<smtp_sansio::Mailbox>().unwrap(), mailbox);
//! });
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::{Body, Command, EsmtpParam, MailParams, Notify, Orcpt, RcptParams, Ret};
use crate::address::{AddressLiteral, Domain, ForwardPath, Host, LocalPart, Mailbox, ReversePath};
use crate::auth::Mechanism;
use crate::secret::Secret;

/// One domain label: ASCII letter-digit-hyphen, or a short U-label.
fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?",
        1 => "[a-zéüß中日]{1,6}",
    ]
}

/// A domain name of one to four labels.
pub fn domain() -> impl Strategy<Value = Domain> {
    vec(label(), 1..5).prop_filter_map("valid domain", |labels| {
        Domain::parse(&labels.join(".")).ok()
    })
}

/// An address literal: IPv4, IPv6 or general.
pub fn address_literal() -> impl Strategy<Value = AddressLiteral> {
    prop_oneof![
        any::<u32>().prop_map(|ip| AddressLiteral::from(Ipv4Addr::from(ip))),
        any::<u128>().prop_map(|ip| AddressLiteral::from(Ipv6Addr::from(ip))),
        ("x-[a-z0-9]{1,6}", "[!-Z^-~]{1,16}")
            .prop_filter_map("valid general literal", |(tag, content)| {
                AddressLiteral::general(&tag, &content).ok()
            }),
    ]
}

/// A host: mostly domains, sometimes literals.
pub fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        4 => domain().prop_map(Host::Domain),
        1 => address_literal().prop_map(Host::Literal),
    ]
}

/// A local part: dot-strings (ASCII or UTF-8) and quoted strings with any printable content.
pub fn local_part() -> impl Strategy<Value = LocalPart> {
    prop_oneof![
        3 => "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,12}(\\.[a-zA-Z0-9_-]{1,8}){0,2}",
        1 => "[a-zé中]{1,8}",
        1 => "[ -~é]{0,20}",
    ]
    .prop_filter_map("valid local part", |content| {
        LocalPart::from_content(&content).ok()
    })
}

/// A mailbox that fits in a path.
pub fn mailbox() -> impl Strategy<Value = Mailbox> {
    (local_part(), host()).prop_filter_map("fits in a path", |(local, host)| {
        Mailbox::new(local, host).ok()
    })
}

/// `<>` or a mailbox.
pub fn reverse_path() -> impl Strategy<Value = ReversePath> {
    prop_oneof![
        1 => Just(ReversePath::Null),
        6 => mailbox().prop_map(ReversePath::Mailbox),
    ]
}

/// `<Postmaster>` or a mailbox.
pub fn forward_path() -> impl Strategy<Value = ForwardPath> {
    prop_oneof![
        1 => Just(ForwardPath::Postmaster),
        6 => mailbox().prop_map(ForwardPath::Mailbox),
    ]
}

/// A raw parameter with a keyword no typed field uses.
pub fn esmtp_param() -> impl Strategy<Value = EsmtpParam> {
    (
        "(X-[A-Z0-9]{1,6}|HOLDFOR|BY|[a-z][a-z0-9-]{0,8})",
        option::of("[!-<>-~]{1,12}"),
    )
        .prop_filter_map("not a typed keyword", |(keyword, value)| {
            let typed = [
                "SIZE",
                "BODY",
                "SMTPUTF8",
                "RET",
                "ENVID",
                "AUTH",
                "REQUIRETLS",
                "MT-PRIORITY",
                "NOTIFY",
                "ORCPT",
            ];
            if typed.iter().any(|k| k.eq_ignore_ascii_case(&keyword)) {
                return None;
            }
            EsmtpParam::new(&keyword, value.as_deref()).ok()
        })
}

/// MAIL parameters, each present about half of the time.
pub fn mail_params() -> impl Strategy<Value = MailParams> {
    (
        option::of(any::<u64>()),
        option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        option::of("[!-~]{1,30}"),
        option::of(reverse_path()),
        any::<bool>(),
        option::of(-9i8..=9),
        vec(esmtp_param(), 0..3),
    )
        .prop_map(
            |(size, body, smtputf8, ret, envid, auth, requiretls, mt_priority, other)| MailParams {
                size,
                body,
                smtputf8,
                ret,
                envid,
                auth,
                requiretls,
                mt_priority,
                other,
            },
        )
}

/// `NOTIFY=` values: `NEVER` or a non-empty set.
pub fn notify() -> impl Strategy<Value = Notify> {
    prop_oneof![
        Just(Notify::Never),
        (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_filter("at least one", |(s, f, d)| *s || *f || *d)
            .prop_map(|(success, failure, delay)| Notify::On {
                success,
                failure,
                delay
            }),
    ]
}

/// `ORCPT=` values: `rfc822` with printable ASCII, `utf-8` with any text.
pub fn orcpt() -> impl Strategy<Value = Orcpt> {
    prop_oneof![
        "[ -~]{1,40}".prop_filter_map("valid", |a| Orcpt::new("rfc822", &a).ok()),
        "[a-zé中+=\\\\ @.]{1,20}".prop_filter_map("valid", |a| Orcpt::new("utf-8", &a).ok()),
        mailbox().prop_filter_map("valid", |m| Orcpt::for_mailbox(&m).ok()),
    ]
}

/// RCPT parameters.
pub fn rcpt_params() -> impl Strategy<Value = RcptParams> {
    (
        option::of(notify()),
        option::of(orcpt()),
        vec(esmtp_param(), 0..3),
    )
        .prop_map(|(notify, orcpt, other)| RcptParams {
            notify,
            orcpt,
            other,
        })
}

/// A SASL mechanism, registered or not.
pub fn mechanism() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::Login),
        Just(Mechanism::XOAuth2),
        Just(Mechanism::CramMd5),
        "[A-Za-z0-9_-]{1,20}".prop_filter_map("valid", |n| Mechanism::from_name(n.as_bytes())),
    ]
}

/// Text for VRFY, EXPN, HELP and NOOP: anything but CR, LF and NUL.
fn text() -> impl Strategy<Value = String> {
    "[ -~\té中\u{1}]{1,40}"
}

/// Any command line a client may write (SASL lines included).
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        host().prop_map(Command::Helo),
        host().prop_map(Command::Ehlo),
        host().prop_map(Command::Lhlo),
        (reverse_path(), mail_params()).prop_map(|(from, params)| Command::Mail { from, params }),
        (forward_path(), rcpt_params()).prop_map(|(to, params)| Command::Rcpt { to, params }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text().prop_map(Command::Vrfy),
        text().prop_map(Command::Expn),
        option::of(text()).prop_map(Command::Help),
        option::of(text()).prop_map(Command::Noop),
        Just(Command::Quit),
        Just(Command::StartTls),
        (mechanism(), option::of(vec(any::<u8>(), 0..200))).prop_map(|(mechanism, initial)| {
            Command::Auth {
                mechanism,
                initial_response: initial.map(Secret::new),
            }
        }),
        vec(any::<u8>(), 0..600).prop_map(|data| Command::AuthResponse(Secret::new(data))),
        Just(Command::AuthCancel),
    ]
}
