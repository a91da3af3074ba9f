use super::*;
use crate::reply::{Decoded, Reply, ReplyLimits, parse_reply};
use proptest::prelude::*;

fn reply(text: &str) -> Reply {
    let mut wire = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if !wire.ends_with("\r\n") {
        wire.push_str("\r\n");
    }
    match parse_reply(wire.as_bytes(), &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, .. }) => value,
        other => panic!("{text:?} did not parse: {other:?}"),
    }
}

fn caps(text: &str) -> Capabilities {
    Capabilities::from_reply(&reply(text))
}

fn mechanisms(caps: &Capabilities) -> Vec<String> {
    caps.auth_mechanisms().map(|m| m.to_string()).collect()
}

#[test]
fn gmail() {
    let c = caps(
        "250-smtp.gmail.com at your service, [2a01:e0a:cb5:13f0:293:37ff:fe81:3792]\n250-SIZE 35882577\n250-8BITMIME\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-CHUNKING\n250 SMTPUTF8",
    );
    assert_eq!(c.server_name(), ServerName::Domain("smtp.gmail.com"));
    assert_eq!(
        c.greeting(),
        "at your service, [2a01:e0a:cb5:13f0:293:37ff:fe81:3792]"
    );
    assert_eq!(c.size(), Some(35_882_577));
    assert_eq!(
        mechanisms(&c),
        [
            "PLAIN",
            "LOGIN",
            "XOAUTH2",
            "OAUTHBEARER",
            "XOAUTH",
            "PLAIN-CLIENTTOKEN"
        ]
    );
    assert!(
        c.eight_bit_mime()
            && c.enhanced_status_codes()
            && c.pipelining()
            && c.chunking()
            && c.smtputf8()
    );
    assert!(!c.starttls() && !c.dsn() && !c.binary_mime() && !c.requiretls());
    assert!(c.unknown().is_empty());
    assert_eq!(c.anomalies().count(), 0);
}

#[test]
fn microsoft_365_before_and_after_tls() {
    let before = caps(
        "250-SC1PR80CA0174.outlook.office365.com Hello [xxx.xxx.xx.x]\n250-SIZE 157286400\n250-PIPELINING\n250-DSN\n250-ENHANCEDSTATUSCODES\n250-STARTTLS\n250-8BITMIME\n250-BINARYMIME\n250-CHUNKING\n250 SMTPUTF8",
    );
    assert!(before.starttls() && !before.has(Keyword::Auth));
    assert_eq!(before.auth_mechanisms().count(), 0);
    assert!(before.binary_mime() && before.dsn());
    let after = caps(
        "250-xx.outlook.office365.com Hello [publicip]\n250-SIZE 157286400\n250-PIPELINING\n250-DSN\n250-ENHANCEDSTATUSCODES\n250-AUTH PLAIN LOGIN\n250-8BITMIME\n250-BINARYMIME\n250-CHUNKING\n250 SMTPUTF8",
    );
    assert!(!after.starttls());
    assert_eq!(mechanisms(&after), ["PLAIN", "LOGIN"]);
}

#[test]
fn yahoo_split_keyword_and_auth_on_last_line() {
    let c = caps(
        "250-smtp.mail.yahoo.com\n250-PIPELINING\n250-SIZE 41697280\n250-8 BITMIME\n250 AUTH PLAIN LOGIN XOAUTH2 XYMCOOKIE",
    );
    assert!(c.eight_bit_mime());
    assert!(c.has_anomaly(CapabilityAnomaly::SplitKeyword));
    assert_eq!(mechanisms(&c), ["PLAIN", "LOGIN", "XOAUTH2", "XYMCOOKIE"]);
    assert_eq!(c.server_name(), ServerName::Domain("smtp.mail.yahoo.com"));
    assert_eq!(c.greeting(), "");
}

#[test]
fn auth_and_legacy_auth_equals_are_merged() {
    let c = caps(
        "250-win18.misterdomain.eu [5.90.170.34], this server offers 5 extensions\n250-AUTH LOGIN\n250-SIZE 52428800\n250-HELP\n250-AUTH=LOGIN\n250 STARTTLS",
    );
    assert_eq!(mechanisms(&c), ["LOGIN"]);
    assert!(c.has(Keyword::Help) && c.starttls());
    assert!(c.has_anomaly(CapabilityAnomaly::LegacyAuthEquals));
    assert!(!c.has_anomaly(CapabilityAnomaly::DuplicateKeyword));

    let c = caps(
        "250-smtp106.alice.it\n250-DSN\n250-8BITMIME\n250-PIPELINING\n250-HELP\n250-AUTH=LOGIN\n250-AUTH LOGIN CRAM-MD5 DIGEST-MD5 PLAIN\n250-DELIVERBY 300\n250 SIZE 31457280",
    );
    assert_eq!(mechanisms(&c), ["PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5"]);
    assert_eq!(c.deliver_by(), Some(300));
    assert_eq!(c.size(), Some(31_457_280));

    let c = caps(
        "250-<my domain> Hello <client hello> [<ip>])\n250-AUTH OAUTHBEARER XOAUTH2\n250-AUTH=OAUTHBEARER XOAUTH2\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250 8BITMIME",
    );
    assert_eq!(mechanisms(&c), ["XOAUTH2", "OAUTHBEARER"]);
}

#[test]
fn x_exps_mechanisms_stand_in_for_a_missing_auth() {
    let c = caps(
        "250-omta06.westchester.pa.mail.comcast.net hello [127.0.0.1], pleased to meet you\n250-HELP\n250-X-EXPS LOGIN PLAIN\n250-SIZE 36700160\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250 STARTTLS",
    );
    assert_eq!(mechanisms(&c), ["PLAIN", "LOGIN"]);
    assert!(c.has_anomaly(CapabilityAnomaly::AuthFromXExps));
    // With a real AUTH line, X-EXPS is only kept as an unknown keyword.
    let c = caps("250-mail.blah.com Hello\n250-X-EXPS GSSAPI NTLM\n250 AUTH GSSAPI NTLM LOGIN");
    assert_eq!(mechanisms(&c), ["LOGIN", "GSSAPI", "NTLM"]);
    assert_eq!(c.unknown()[0].keyword(), "X-EXPS");
    assert_eq!(c.unknown()[0].params(), ["GSSAPI", "NTLM"]);
}

#[test]
fn size_without_value_and_help_last() {
    let c = caps(
        "250-mail.xxx.com Hello [222.66.4.242], pleased to meet you\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-8BITMIME\n250-SIZE\n250-DSN\n250-ETRN\n250-AUTH DIGEST-MD5 CRAM-MD5 LOGIN PLAIN\n250-STARTTLS\n250-DELIVERBY\n250 HELP",
    );
    assert!(c.size_advertised());
    assert_eq!(c.size(), None);
    assert!(c.has(Keyword::DeliverBy) && c.deliver_by().is_none());
    assert!(c.has(Keyword::Help) && c.has(Keyword::Etrn));
    assert_eq!(caps("250-a\n250 SIZE 0").size(), None);
    assert!(caps("250-a\n250 SIZE 0").size_advertised());
    let bad = caps("250-a\n250 SIZE lots");
    assert!(bad.size_advertised() && bad.size().is_none());
    assert!(bad.has_anomaly(CapabilityAnomaly::BadParameter));
    // 19 digits fit (u64); 20 do not; a digit run ending in something else is not a number.
    let most = caps("250-a\n250 SIZE 9999999999999999999 x");
    assert_eq!(most.size(), Some(9_999_999_999_999_999_999));
    assert!(!most.has_anomaly(CapabilityAnomaly::BadParameter));
    for wire in [
        "250-a\n250 SIZE 10000000000000000000",
        "250-a\n250 SIZE \t 12x",
        "250-a\n250 SIZE 12\u{1}3",
    ] {
        let c = caps(wire);
        assert!(c.size().is_none(), "{wire:?}");
        assert!(c.has_anomaly(CapabilityAnomaly::BadParameter), "{wire:?}");
    }
    assert_eq!(caps("250-a\n250 SIZE\t 1024\t").size(), Some(1024));
}

#[test]
fn postfix_mx_and_exchange() {
    let c = caps(
        "250-mail.saloniamatteo.top\n250-PIPELINING\n250-SIZE 10240000\n250-VRFY\n250-ETRN\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250-DSN\n250-SMTPUTF8\n250 CHUNKING",
    );
    assert!(!c.has(Keyword::Auth) && c.starttls() && c.has(Keyword::Vrfy));
    let c = caps(
        "250-mail.blah.com Hello [10.30.75.34]\n250-SIZE 20725760\n250-PIPELINING\n250-DSN\n250-ENHANCEDSTATUSCODES\n250-STARTTLS\n250-AUTH GSSAPI NTLM\n250-8BITMIME\n250-BINARYMIME\n250 CHUNKING",
    );
    assert_eq!(mechanisms(&c), ["GSSAPI", "NTLM"]);
}

#[test]
fn case_insensitive_keywords_and_unknowns_kept() {
    let c = caps(
        "250-mx hello\n250-starttls\n250-auth login plain\n250-Size 100\n250-XCLIENT NAME ADDR PROTO\n250-x-link2state\n250 requiretls",
    );
    assert!(c.starttls() && c.requiretls());
    assert_eq!(c.size(), Some(100));
    assert_eq!(mechanisms(&c), ["PLAIN", "LOGIN"]);
    let unknown: Vec<(&str, &[String])> = c
        .unknown()
        .iter()
        .map(|e| (e.keyword(), e.params()))
        .collect();
    assert_eq!(
        unknown,
        [
            (
                "XCLIENT",
                &["NAME".to_string(), "ADDR".into(), "PROTO".into()][..]
            ),
            ("X-LINK2STATE", &[][..])
        ]
    );
}

#[test]
fn server_name_forms() {
    assert_eq!(
        caps("250-[192.0.2.1] hi\n250 8BITMIME").server_name(),
        ServerName::AddressLiteral("[192.0.2.1]")
    );
    assert_eq!(caps("250-\n250 8BITMIME").server_name(), ServerName::Empty);
    assert_eq!(
        caps("250 mx.example").server_name(),
        ServerName::Domain("mx.example")
    );
    assert!(caps("250-\n250 8BITMIME").eight_bit_mime());
}

#[test]
fn extension_parameters() {
    let c = caps(
        "250-mx\n250-MT-PRIORITY MIXER\n250-FUTURERELEASE 604800 2026-12-31T23:59:59Z\n250-LIMITS RCPTMAX=100 MAILMAX=5 FOO=1\n250-DUP\n250 DUP",
    );
    assert_eq!(c.mt_priority_profile(), Some("MIXER"));
    assert_eq!(c.future_release().map(|f| f.max_interval), Some(604_800));
    assert_eq!(
        c.limits(),
        TransactionLimits {
            rcpt_max: Some(100),
            mail_max: Some(5),
            rcpt_domain_max: None
        }
    );
    assert!(c.has_anomaly(CapabilityAnomaly::DuplicateKeyword));
    assert_eq!(c.unknown().len(), 1);
    assert!(caps("250-mx\n250 ?weird").has_anomaly(CapabilityAnomaly::MalformedLine));
    let exim = caps("250-mx Hello\n250-PIPE_CONNECT\n250 PRDR");
    assert_eq!(
        exim.unknown()
            .iter()
            .map(|e| e.keyword())
            .collect::<Vec<_>>(),
        ["PIPE_CONNECT", "PRDR"]
    );
    assert!(exim.has_anomaly(CapabilityAnomaly::NonStandardKeyword));
}

#[test]
fn unknown_keywords_are_bounded() {
    let mut text = String::from("250-mx\n");
    for i in 0..200 {
        text.push_str(&format!("250-X{i} a b\n"));
    }
    text.push_str("250 PIPELINING");
    let c = caps(&text);
    assert_eq!(c.unknown().len(), MAX_UNKNOWN);
    assert!(c.has_anomaly(CapabilityAnomaly::Truncated) && c.pipelining());
}

/// Every EHLO reply of the shared corpus yields the capabilities it advertises: each keyword
/// line of the reply is accounted for, either as a known keyword or kept as unknown.
#[test]
fn every_corpus_ehlo_reply() {
    let corpus = include_str!("../../tests/data/replies.jsonl");
    let mut checked = 0;
    for line in corpus.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        if entry["class"] != "capabilities" {
            continue;
        }
        let text = entry["reply"].as_str().unwrap();
        let c = caps(text);
        for keyword_line in text.split("\r\n").skip(1) {
            let word = keyword_line[4..]
                .split([' ', '='])
                .next()
                .unwrap()
                .to_ascii_uppercase();
            let known = Keyword::ALL.iter().any(|k| k.as_str() == word)
                || (word == "8" && c.eight_bit_mime())
                || (word == "X-EXPS" && c.has(Keyword::Auth));
            let kept = c.unknown().iter().any(|e| e.keyword() == word);
            assert!(known || kept, "{}: {word} lost", entry["id"]);
            if let Some(k) = Keyword::ALL.iter().find(|k| k.as_str() == word) {
                assert!(c.has(*k), "{}: {word} not detected", entry["id"]);
            }
            if word == "AUTH" {
                for mech in keyword_line[9..].split(' ') {
                    let mech: Mechanism = mech.parse().unwrap();
                    assert!(c.supports_auth(&mech), "{}: {mech} missing", entry["id"]);
                }
            }
            if word == "SIZE" {
                let value: Option<u64> = keyword_line[4..]
                    .split(' ')
                    .nth(1)
                    .map(|v| v.parse().unwrap());
                assert_eq!(c.size(), value.filter(|v| *v > 0), "{}", entry["id"]);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 14);
}

proptest! {
    #[test]
    fn known_keywords_in_any_case_are_found(picks in proptest::collection::vec((0..Keyword::ALL.len(), any::<bool>()), 1..12), name in "[a-z0-9.-]{0,20}") {
        let mut text = format!("250-{name}\n");
        for (index, lower) in &picks {
            let word = Keyword::ALL[*index].as_str();
            let word = if *lower { word.to_ascii_lowercase() } else { word.to_string() };
            text.push_str(&format!("250-{word}\n"));
        }
        text.push_str("250 X-END");
        let c = caps(&text);
        for (index, _) in &picks {
            prop_assert!(c.has(Keyword::ALL[*index]));
        }
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>().prop_filter("no line ends", |b| *b != b'\r' && *b != b'\n'), 0..60), 1..20)) {
        let mut wire = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            wire.extend_from_slice(if i + 1 == lines.len() { b"250 " } else { b"250-" });
            wire.extend_from_slice(line);
            wire.extend_from_slice(b"\r\n");
        }
        if let Ok(Decoded::Complete { value, .. }) = parse_reply(&wire, &ReplyLimits::default()) {
            let c = Capabilities::from_reply(&value);
            prop_assert!(c.unknown().len() <= MAX_UNKNOWN);
            let _ = format!("{c:?}");
        }
    }
}

/// Everything the public API says about a reading, as text, for both the current reader and
/// the frozen reference (`super::reference`), whose types differ but print alike.
macro_rules! describe {
    ($c:expr) => {{
        let c = $c;
        let unknown: Vec<(String, Vec<String>)> = c
            .unknown()
            .iter()
            .map(|e| (e.keyword().to_string(), e.params().to_vec()))
            .collect();
        let limits = c.limits();
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            c.server_name(),
            c.greeting(),
            c.keywords().map(|k| k.to_string()).collect::<Vec<_>>(),
            c.size(),
            c.size_advertised(),
            c.auth_mechanisms().collect::<Vec<_>>(),
            unknown,
            c.anomalies().map(|a| a.to_string()).collect::<Vec<_>>(),
            c.deliver_by(),
            c.mt_priority_profile(),
            c.future_release()
                .map(|f| (f.max_interval, f.max_date_time.clone())),
            (limits.rcpt_max, limits.mail_max, limits.rcpt_domain_max),
            c.supports_auth(&Mechanism::Other("PLAIN-CLIENTTOKEN".into())),
            c
        )
    }};
}

fn agrees_with_reference(wire: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(Decoded::Complete { value, .. }) = parse_reply(wire, &ReplyLimits::default()) {
        let now = describe!(Capabilities::from_reply(&value));
        let then = describe!(super::reference::Capabilities::from_reply(&value));
        prop_assert_eq!(now, then, "{:?}", String::from_utf8_lossy(wire));
    }
    Ok(())
}

/// One word of an EHLO-like line: mostly keywords, mechanisms and parameters in any case,
/// sometimes arbitrary octets.
fn ehlo_word() -> impl Strategy<Value = Vec<u8>> {
    let named = prop_oneof![
        (0..Keyword::ALL.len()).prop_map(|i| Keyword::ALL[i].as_str().to_string()),
        prop::sample::select(vec![
            "AUTH",
            "AUTH=PLAIN",
            "AUTH=LOGIN",
            "auth=login",
            "AUTH=",
            "X-EXPS",
            "x-exps",
            "8",
            "BITMIME",
            "bitmime",
            "8BIT",
            "MIME",
            "SOML",
            "SAML",
            "PLAIN",
            "LOGIN",
            "XOAUTH2",
            "PLAIN-CLIENTTOKEN",
            "OAUTHBEARER",
            "XOAUTH",
            "CRAM-MD5",
            "SCRAM-SHA-256",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
            "GSSAPI",
            "NTLM",
            "0",
            "35882577",
            "99999999999999999999",
            "12x",
            "RCPTMAX=10",
            "MAILMAX=0",
            "rcptdomainmax=7",
            "FOO=1",
            "2025-01-01T00:00:00Z",
            "604800",
            "PIPE_CONNECT",
            "XCLIENT",
            "X-LINK2STATE",
            "ENHANCEDSTATUSCODESX",
            "ENHANCEDSTATUSCODE",
            "[192.0.2.1]",
            "ENHANCEDSTATUS",
            "PIPELININGS",
            "STARTTL",
            "-X",
            "_X",
            "\u{e9}t\u{e9}",
        ])
        .prop_map(str::to_string),
        "[A-Za-z0-9_=.-]{1,24}",
    ]
    .prop_flat_map(|w: String| {
        (
            Just(w.clone()),
            proptest::collection::vec(any::<bool>(), w.len()),
        )
    })
    .prop_map(|(w, lower)| {
        w.bytes()
            .zip(lower)
            .map(|(b, l)| if l { b.to_ascii_lowercase() } else { b })
            .collect::<Vec<u8>>()
    });
    prop_oneof![
        8 => named,
        1 => proptest::collection::vec(
            any::<u8>().prop_filter("no line ends", |b| *b != b'\r' && *b != b'\n'),
            0..20
        ),
        1 => proptest::collection::vec(prop::sample::select(vec![b'\0', b'\t', b' ', 0xc3, 0xa9, b'A', 0x7f]), 1..4),
    ]
}

fn ehlo_line() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(vec![&b""[..], b"", b"", b" ", b"\t", b"  "]),
        proptest::collection::vec(
            (
                ehlo_word(),
                prop::sample::select(vec![&b" "[..], b" ", b" ", b"\t", b"  ", b" \t"]),
            ),
            0..6,
        ),
        prop::sample::select(vec![&b""[..], b"", b"", b" ", b"\t"]),
    )
        .prop_map(|(lead, words, trail)| {
            let mut line = lead.to_vec();
            for (i, (word, sep)) in words.iter().enumerate() {
                if i > 0 {
                    line.extend_from_slice(sep);
                }
                line.extend_from_slice(word);
            }
            line.extend_from_slice(trail);
            line
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn the_reader_agrees_with_the_reference(
        first in ehlo_line(),
        lines in proptest::collection::vec((ehlo_line(), 0..20u8), 0..24),
        last_bare in any::<bool>(),
    ) {
        let mut wire = b"250-".to_vec();
        wire.extend_from_slice(&first);
        wire.extend_from_slice(b"\r\n");
        for (line, shape) in &lines {
            match shape {
                0 => wire.extend_from_slice(b"\r\n"),
                1 => wire.extend_from_slice(b"250-\r\n"),
                2 => {
                    wire.extend_from_slice(b"251-");
                    wire.extend_from_slice(line);
                    wire.extend_from_slice(b"\n");
                }
                _ => {
                    wire.extend_from_slice(b"250-");
                    wire.extend_from_slice(line);
                    wire.extend_from_slice(b"\r\n");
                }
            }
        }
        wire.extend_from_slice(if last_bare { b"250\r\n" } else { b"250 HELP\r\n" });
        agrees_with_reference(&wire)?;
        // The same reply with its last keyword line ending the reply (short tails).
        if let Some((line, _)) = lines.last() {
            let mut short = b"250-x\r\n250 ".to_vec();
            short.extend_from_slice(line);
            short.extend_from_slice(b"\r\n");
            agrees_with_reference(&short)?;
        }
    }
}

#[test]
fn the_corpus_agrees_with_the_reference() {
    let corpus = include_str!("../../tests/data/replies.jsonl");
    for line in corpus.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = entry["reply"].as_str().unwrap();
        let mut wire = text.to_string();
        if !wire.ends_with('\n') {
            wire.push_str("\r\n");
        }
        agrees_with_reference(wire.as_bytes()).unwrap();
    }
}

#[test]
fn unregistered_mechanisms_past_the_inline_buffer() {
    let wire = "250-a\n250-AUTH x-one PLAIN X-TWO-LONGER-NAME\n250 AUTH=X-THREE x-one X-FOUR_4";
    let c = caps(wire);
    assert_eq!(
        mechanisms(&c),
        ["PLAIN", "X-ONE", "X-TWO-LONGER-NAME", "X-THREE", "X-FOUR_4"]
    );
    assert!(c.supports_auth(&Mechanism::Other("X-FOUR_4".into())));
    assert!(!c.supports_auth(&Mechanism::Other("X-FOUR".into())));
    assert_eq!(c, caps(wire));
    let short = caps("250-a\n250 AUTH X-ONE");
    assert_eq!(mechanisms(&short), ["X-ONE"]);
    assert_ne!(c, short);
    // 32 are kept; more are dropped and flagged.
    let many: Vec<String> = (0..40).map(|i| format!("X-MECH-{i}")).collect();
    let c = caps(&format!("250-a\n250 AUTH {}", many.join(" ")));
    assert_eq!(mechanisms(&c), many[..32]);
    assert!(c.has_anomaly(CapabilityAnomaly::Truncated));
}

#[test]
fn first_lines_with_unicode_white_space_agree_with_the_reference() {
    for wire in [
        "250-\u{a0}host.example greets you\r\n250 SIZE 10\r\n",
        "250-\u{3000}h\u{e9}te.example\r\n250 HELP\r\n",
        "250- \u{85}host \u{e9}t\u{e9}\r\n250 HELP\r\n",
        "250-\t\u{2003}\r\n250 HELP\r\n",
        "250-host.example \u{e9}t\u{e9}\r\n250 HELP\r\n",
    ] {
        agrees_with_reference(wire.as_bytes()).unwrap();
    }
    agrees_with_reference(b"250-\xa0host \xff\r\n250 HELP\r\n").unwrap();
}
