//! Addresses: domains, literals, local parts, mailboxes and paths, ASCII and SMTPUTF8.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::prelude::*;

use crate::address::{AddressLiteral, Domain, ForwardPath, Host, LocalPart, Mailbox, ReversePath};

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
