//! Known answers for the address grammar and the length limits, and property tests over
//! arbitrary text. (That every generated address reads back from its own wire form is a test
//! of the generators, in `strategies`.)

use super::*;
use proptest::prelude::*;

/// Mailboxes that parse: input, wire form, whether the local part is quoted, SMTPUTF8.
const VALID: &[(&str, &str, bool, bool)] = &[
    ("a@example.com", "a@example.com", false, false),
    ("John.Doe@Example.COM", "John.Doe@Example.COM", false, false),
    (
        "!#$%&'*+-/=?^_`{|}~@x.example",
        "!#$%&'*+-/=?^_`{|}~@x.example",
        false,
        false,
    ),
    (
        "\"john doe\"@example.com",
        "\"john doe\"@example.com",
        true,
        false,
    ),
    ("\"\"@example.com", "\"\"@example.com", true, false),
    (
        "\"a\\\"b\\\\c\"@example.com",
        "\"a\\\"b\\\\c\"@example.com",
        true,
        false,
    ),
    ("\"a\\bc\"@example.com", "\"abc\"@example.com", true, false),
    ("\"a@b\"@example.com", "\"a@b\"@example.com", true, false),
    ("user@[192.0.2.1]", "user@[192.0.2.1]", false, false),
    (
        "user@[IPv6:2001:db8::1]",
        "user@[IPv6:2001:db8::1]",
        false,
        false,
    ),
    (
        "user@[ipv6:::FFFF:192.0.2.1]",
        "user@[IPv6:::ffff:192.0.2.1]",
        false,
        false,
    ),
    ("user@[x-tag:abc.def]", "user@[x-tag:abc.def]", false, false),
    ("jöran@example.com", "jöran@example.com", false, true),
    ("用户@例子.广告", "用户@例子.广告", false, true),
    ("a@bücher.example", "a@bücher.example", false, true),
    (
        "\"jöran bo\"@example.com",
        "\"jöran bo\"@example.com",
        true,
        true,
    ),
    (
        "a@xn--bcher-kva.example",
        "a@xn--bcher-kva.example",
        false,
        false,
    ),
    ("a@1.2.3.4", "a@1.2.3.4", false, false),
    ("a@localhost", "a@localhost", false, false),
];

#[test]
fn valid_mailboxes() {
    for &(input, wire, quoted, utf8) in VALID {
        let mailbox = Mailbox::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(mailbox.to_string(), wire, "{input}");
        assert_eq!(mailbox.local_part().is_quoted(), quoted, "{input}");
        assert_eq!(mailbox.needs_smtputf8(), utf8, "{input}");
        assert_eq!(mailbox.as_str(), wire);
        let mut out = Vec::new();
        ReversePath::Mailbox(mailbox.clone()).write_to(&mut out);
        assert_eq!(out, format!("<{wire}>").as_bytes());
        assert_eq!(Mailbox::parse(wire), Ok(mailbox), "{input}");
    }
}

#[test]
fn invalid_mailboxes_say_where_and_what() {
    let syntax = |input: &str, offset: usize, expected_part: &str| match Mailbox::parse(input) {
        Err(AddressError::Syntax {
            offset: got,
            expected,
            ..
        }) => {
            assert_eq!(got, offset, "{input}");
            assert!(expected.contains(expected_part), "{input}: {expected}");
        }
        other => panic!("{input}: {other:?}"),
    };
    syntax("", 0, "atom");
    syntax("a", 1, "'@'");
    syntax("a@", 2, "domain");
    syntax("@example.com", 0, "atom");
    syntax("a..b@example.com", 2, "atom");
    syntax(".a@example.com", 0, "atom");
    syntax("a.@example.com", 2, "atom");
    syntax("a b@example.com", 1, "'@'");
    syntax("a@example..com", 10, "label");
    syntax("a@example.com.", 14, "label");
    syntax("a@-example.com", 2, "start the label");
    syntax("a@example-.com", 9, "end the label");
    syntax("a@exa_mple.com", 5, "end of the address");
    syntax("a@example.com>", 13, "end of the address");
    syntax("\"abc@example.com", 16, "close the quoted string");
    syntax("\"a\tb\"@example.com", 2, "printable");
    syntax("\"a\\\u{7f}\"@example.com", 3, "after '\\'");
    syntax("a\u{85}b@example.com", 1, "'@'");
    syntax("a@[192.0.2.1", 12, "']'");
    let err = Mailbox::parse("a@[300.0.0.1]").unwrap_err();
    assert_eq!(
        err,
        AddressError::InvalidAddressLiteral {
            offset: 2,
            found: "[300.0.0.1]".into()
        }
    );
    assert!(err.to_string().contains("RFC 5321 s4.1.3"));
    assert!(Mailbox::parse("a@[IPv6:1.2.3.4]").is_err());
    assert!(Mailbox::parse("a@[01.2.3.4]").is_err());
    assert!(Mailbox::parse("a@[x-:abc]").is_err());
    assert!(Mailbox::parse("a@[x:a\\b]").is_err());
    assert_eq!(
        Mailbox::parse("a").unwrap_err().to_string(),
        "offset 1: expected '@' after the local part, found end of input"
    );
}

#[test]
fn length_limits_count_octets() {
    let ok = |text: &str| Mailbox::parse(text).unwrap_or_else(|e| panic!("{e}"));
    // Local part: 64 octets (RFC 5321 s4.5.3.1.1).
    ok(&format!("{}@example.com", "a".repeat(64)));
    assert_eq!(
        Mailbox::parse(&format!("{}@example.com", "a".repeat(65))),
        Err(AddressError::LocalPartTooLong {
            offset: 0,
            length: 65
        })
    );
    // 32 two-octet characters are 64 octets; 33 are 66.
    ok(&format!("{}@example.com", "é".repeat(32)));
    assert!(matches!(
        Mailbox::parse(&format!("{}@example.com", "é".repeat(33))),
        Err(AddressError::LocalPartTooLong { length: 66, .. })
    ));
    // Quotes count.
    assert!(matches!(
        Mailbox::parse(&format!("\"{}\"@example.com", "a".repeat(63))),
        Err(AddressError::LocalPartTooLong { length: 65, .. })
    ));
    // Label: 63 octets (RFC 1035 s2.3.4).
    Domain::parse(&"a".repeat(63)).unwrap();
    assert_eq!(
        Domain::parse(&format!("x.{}", "a".repeat(64))),
        Err(AddressError::LabelTooLong {
            offset: 2,
            length: 64
        })
    );
    // Domain: 255 octets (RFC 5321 s4.5.3.1.2).
    let label = "a".repeat(63);
    let domain_255 = format!("{label}.{label}.{label}.{}", "b".repeat(63));
    assert_eq!(domain_255.len(), 255);
    Domain::parse(&domain_255).unwrap();
    assert_eq!(
        Domain::parse(&format!("{domain_255}.c").replacen('a', "", 1)),
        Err(AddressError::DomainTooLong {
            offset: 0,
            length: 256
        })
    );
    // Path: 256 octets with its angle brackets (RFC 5321 s4.5.3.1.3).
    let domain = format!("{label}.{label}.{label}.{}", "b".repeat(60));
    let fits = format!("{}@{domain}", "l".repeat(254 - 1 - domain.len()));
    assert_eq!(ok(&fits).to_string().len() + 2, 256);
    let over = format!("l{fits}");
    assert_eq!(
        Mailbox::parse(&over),
        Err(AddressError::PathTooLong {
            offset: 0,
            length: 257
        })
    );
    assert!(ReversePath::parse(&format!("<{over}>")).is_err());
    let local = LocalPart::parse(&"l".repeat(2)).unwrap();
    assert!(matches!(
        Mailbox::new(local, Host::Domain(Domain::parse(&domain_255).unwrap())),
        Err(AddressError::PathTooLong { length: 260, .. })
    ));
}

#[test]
fn paths() {
    assert_eq!(ReversePath::parse("<>"), Ok(ReversePath::Null));
    assert_eq!(ReversePath::Null.to_string(), "<>");
    assert_eq!(
        ReversePath::parse("<a@example.com>").unwrap().to_string(),
        "<a@example.com>"
    );
    assert_eq!(
        ForwardPath::parse("<Postmaster>"),
        Ok(ForwardPath::Postmaster)
    );
    assert_eq!(
        ForwardPath::parse("<POSTMASTER>"),
        Ok(ForwardPath::Postmaster)
    );
    assert_eq!(ForwardPath::Postmaster.to_string(), "<Postmaster>");
    let with_domain = ForwardPath::parse("<Postmaster@example.com>").unwrap();
    assert_eq!(
        with_domain.mailbox().map(|m| m.to_string()).as_deref(),
        Some("Postmaster@example.com")
    );
    assert!(ReversePath::parse("<Postmaster>").is_err());
    assert!(ForwardPath::parse("<>").is_err());
    // Without brackets the same path is read (users type addresses that way).
    assert_eq!(
        ReversePath::parse("a@example.com").unwrap(),
        ReversePath::parse("<a@example.com>").unwrap()
    );
    assert_eq!(ReversePath::parse("").unwrap(), ReversePath::Null);
    assert_eq!(
        ForwardPath::parse("b@example.com").unwrap(),
        ForwardPath::parse("<b@example.com>").unwrap()
    );
    assert_eq!(
        ForwardPath::parse("postmaster").unwrap(),
        ForwardPath::Postmaster
    );
    assert!(ReversePath::parse("<a@example.com").is_err());
    assert!(ReversePath::parse("a@example.com>").is_err());
    assert!(ForwardPath::parse("not an address").is_err());
    // Source routes are read and dropped (RFC 5321 s4.1.1.3, Appendix C).
    assert_eq!(
        ForwardPath::parse("<@a.example,@b.example:c@d.example>")
            .unwrap()
            .to_string(),
        "<c@d.example>"
    );
    assert!(ForwardPath::parse("<@a.example:>").is_err());
    assert!(ForwardPath::parse("<@a.example,c@d.example>").is_err());
    assert!(
        ReversePath::parse("<jöran@example.com>")
            .unwrap()
            .needs_smtputf8()
    );
    assert!(!ReversePath::Null.needs_smtputf8());
}

#[test]
fn hosts_and_literals() {
    assert_eq!(
        Host::parse("[192.0.2.1]"),
        Ok(Host::Literal(AddressLiteral::Ipv4(Ipv4Addr::new(
            192, 0, 2, 1
        ))))
    );
    assert_eq!(Host::from(Ipv6Addr::LOCALHOST).to_string(), "[IPv6:::1]");
    assert_eq!(Host::from(Ipv4Addr::LOCALHOST).to_string(), "[127.0.0.1]");
    let general = AddressLiteral::general("x-tag", "abc").unwrap();
    assert_eq!(general.to_string(), "[x-tag:abc]");
    let AddressLiteral::General(parts) = &general else {
        panic!()
    };
    assert_eq!((parts.tag(), parts.content()), ("x-tag", "abc"));
    assert!(AddressLiteral::general("IPv6", "::1").is_err());
    assert!(AddressLiteral::general("x", "a]b").is_err());
    assert!(Host::parse("example.com").unwrap().to_string() == "example.com");
    assert!(Host::parse("").is_err());
    assert!(Host::parse("[]").is_err());
    let domain = Domain::parse("Mail.Example.com").unwrap();
    assert_eq!(
        domain.labels().collect::<Vec<_>>(),
        ["Mail", "Example", "com"]
    );
    assert!(!domain.needs_smtputf8());
    for literal in [
        AddressLiteral::from(Ipv4Addr::new(10, 0, 0, 255)),
        AddressLiteral::from(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        general,
    ] {
        let mut out = Vec::new();
        literal.write_to(&mut out);
        assert_eq!(out, literal.to_string().as_bytes());
        assert_eq!(AddressLiteral::parse(&literal.to_string()), Ok(literal));
    }
}

#[test]
fn local_parts() {
    let plain = LocalPart::from_content("john.doe").unwrap();
    assert!(!plain.is_quoted());
    assert_eq!(plain.as_str(), "john.doe");
    let quoted = LocalPart::from_content("john doe \"jr\"").unwrap();
    assert!(quoted.is_quoted());
    assert_eq!(quoted.as_str(), "\"john doe \\\"jr\\\"\"");
    assert_eq!(quoted.content(), "john doe \"jr\"");
    assert_eq!(
        LocalPart::from_content("a..b").unwrap().as_str(),
        "\"a..b\""
    );
    assert_eq!(LocalPart::from_content("").unwrap().as_str(), "\"\"");
    assert!(LocalPart::from_content("tab\there").is_err());
    assert!(LocalPart::parse("\"abc\"").unwrap().is_quoted());
    assert_eq!(LocalPart::parse("\"abc\"").unwrap().content(), "abc");
}

proptest! {
    #[test]
    fn local_part_content_round_trips(content in "[ -~é中]{0,30}") {
        if let Ok(local) = LocalPart::from_content(&content) {
            prop_assert_eq!(local.content(), content.as_str());
            prop_assert_eq!(LocalPart::parse(local.as_str()), Ok(local.clone()));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        if let Ok(mailbox) = Mailbox::parse(&text) {
            prop_assert_eq!(Mailbox::parse(&mailbox.to_string()), Ok(mailbox));
        }
        let _ = ForwardPath::parse(&text);
        let _ = Host::parse(&text);
    }
}

/// RFC 1123 s2.1, RFC 3696 s2: a dotted quad is not a host name; the error suggests the
/// address literal, which parses.
#[test]
fn a_bare_ip_address_is_not_a_host_name() {
    for text in ["127.0.0.1", "192.0.2.10"] {
        match Host::parse(text) {
            Err(AddressError::NumericDomain { found, suggestion }) => {
                assert_eq!(found, text);
                assert_eq!(suggestion, format!("[{text}]"));
                assert!(Host::parse(&suggestion).is_ok());
            }
            other => panic!("{text}: {other:?}"),
        }
        assert!(Domain::parse(text).is_err());
    }
    assert!(matches!(
        Host::parse("mail.123"),
        Err(AddressError::NumericDomain { .. })
    ));
    assert!(
        Host::parse("123.example.com").is_ok(),
        "numeric labels below the top are fine"
    );
}
