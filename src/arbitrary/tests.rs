//! The guarantee of the `Arbitrary` impls, checked on a few thousand inputs of varied length
//! (empty, one octet, constant, random from a fixed-seed xorshift), several values from each
//! input so that later ones meet spent input: every value is generated, and it round-trips
//! through the crate's own writer and parser.

use std::collections::BTreeSet;
use std::fmt::Debug;

use ::arbitrary::{Arbitrary, Unstructured};

use super::capabilities::ehlo;
use crate::address::{
    AddressLiteral, Domain, ForwardPath, Host, LocalPart, MAX_PATH_LENGTH, Mailbox, ReversePath,
};
use crate::auth::Mechanism;
use crate::capabilities::{Capabilities, Keyword, ServerName};
use crate::client::Envelope;
use crate::command::{
    Body, Command, CommandLimits, EsmtpParam, MailParams, Notify, Orcpt, RcptParams, Ret, Verb,
    parse_auth_response, parse_command,
};
use crate::reply::{
    Decoded, EnhancedCode, RFC_REPLY_LINE_LENGTH, Reply, ReplyCode, ReplyLimits, parse_reply,
};

/// Inputs per test.
const INPUTS: usize = 3000;
/// Values generated one after the other from each input.
const VALUES_PER_INPUT: usize = 3;

/// xorshift64 (Marsaglia 2003): a fixed sequence, so a failure reproduces.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The inputs: edge cases first, then random buffers, mostly short, up to 4 KiB.
fn inputs() -> Vec<Vec<u8>> {
    let mut inputs = vec![
        Vec::new(),
        vec![0],
        vec![0xff],
        vec![0; 64],
        vec![0xff; 64],
        vec![0x80; 700],
        (0..=255).collect(),
    ];
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    while inputs.len() < INPUTS {
        let bound = [16, 128, 1024, 4096][(rng.next() % 4) as usize];
        let length = (rng.next() % bound) as usize;
        let mut input = Vec::with_capacity(length + 8);
        while input.len() < length {
            input.extend_from_slice(&rng.next().to_le_bytes());
        }
        input.truncate(length);
        inputs.push(input);
    }
    inputs
}

/// Generates [`VALUES_PER_INPUT`] values of `T` from each input and hands each to `check`;
/// generation must never fail. Returns how many values were checked.
fn each<T>(mut check: impl FnMut(&T)) -> usize
where
    T: for<'a> Arbitrary<'a> + Debug,
{
    let mut checked = 0;
    for input in inputs() {
        let mut u = Unstructured::new(&input);
        for _ in 0..VALUES_PER_INPUT {
            let value = T::arbitrary(&mut u).unwrap_or_else(|err| {
                panic!("no {} from {input:?}: {err}", std::any::type_name::<T>())
            });
            check(&value);
            checked += 1;
        }
    }
    checked
}

/// Writes `command` and reads it back: one CRLF line within its RFC length that parses back
/// equal, consuming the whole line.
fn assert_round_trip(command: &Command) {
    let mut line = Vec::new();
    if let Err(err) = command.write_to(&mut line) {
        panic!("{command:?} does not write: {err}");
    }
    assert!(line.ends_with(b"\r\n"), "{command:?}");
    assert_eq!(
        memchr::memchr(b'\n', &line),
        Some(line.len() - 1),
        "{command:?}"
    );
    assert!(line.len() <= command.line_limit(), "{command:?}");
    let limits = CommandLimits::default();
    let parsed = match command.verb() {
        Verb::AuthResponse | Verb::AuthCancel => parse_auth_response(&line, &limits),
        _ => parse_command(&line, &limits),
    };
    match parsed {
        Ok(Decoded::Complete { value, consumed }) => {
            assert_eq!(&value, command, "{}", String::from_utf8_lossy(&line));
            assert_eq!(consumed, line.len());
        }
        other => panic!(
            "{command:?} wrote {:?}, which reads as {other:?}",
            String::from_utf8_lossy(&line)
        ),
    }
}

#[test]
fn domains_literals_and_hosts_read_back_from_their_text() {
    let domains = each::<Domain>(|domain| {
        assert_eq!(&Domain::parse(domain.as_str()).unwrap(), domain);
        assert!(domain.as_str().len() <= 255);
        assert_eq!(domain.needs_smtputf8(), !domain.as_str().is_ascii());
    });
    let literals = each::<AddressLiteral>(|literal| {
        assert_eq!(
            &AddressLiteral::parse(&literal.to_string()).unwrap(),
            literal
        );
    });
    let hosts = each::<Host>(|host| {
        assert_eq!(&Host::parse(&host.to_string()).unwrap(), host);
        // As the argument of EHLO, HELO and LHLO too.
        for command in [
            Command::Ehlo(host.clone()),
            Command::Helo(host.clone()),
            Command::Lhlo(host.clone()),
        ] {
            assert_round_trip(&command);
        }
    });
    eprintln!("{domains} domains, {literals} literals, {hosts} hosts");
}

#[test]
fn local_parts_and_mailboxes_read_back_from_their_text() {
    let local_parts = each::<LocalPart>(|local_part| {
        assert_eq!(&LocalPart::parse(local_part.as_str()).unwrap(), local_part);
        // From its content too: a local part is in the form `from_content` gives.
        assert_eq!(
            &LocalPart::from_content(&local_part.content()).unwrap(),
            local_part
        );
    });
    let mailboxes = each::<Mailbox>(|mailbox| {
        let text = mailbox.to_string();
        assert_eq!(&Mailbox::parse(&text).unwrap(), mailbox, "{text}");
        assert_eq!(&text.parse::<Mailbox>().unwrap(), mailbox);
        assert!(text.len() + 2 <= MAX_PATH_LENGTH, "{text}");
    });
    eprintln!("{local_parts} local parts, {mailboxes} mailboxes");
}

#[test]
fn paths_read_back_from_their_wire_form() {
    let reverse = each::<ReversePath>(|path| {
        assert_eq!(&ReversePath::parse(&path.to_string()).unwrap(), path);
        assert!(path.to_string().len() <= MAX_PATH_LENGTH);
    });
    let forward = each::<ForwardPath>(|path| {
        assert_eq!(&ForwardPath::parse(&path.to_string()).unwrap(), path);
        assert!(path.to_string().len() <= MAX_PATH_LENGTH);
    });
    eprintln!("{reverse} reverse paths, {forward} forward paths");
}

#[test]
fn commands_write_one_line_that_parses_back_equal() {
    let commands = each::<Command>(assert_round_trip);
    eprintln!("{commands} commands");
}

#[test]
fn parameters_fit_any_path_and_parse_back() {
    // The longest paths there are: 256 octets with the angle brackets.
    let local = "l".repeat(64);
    let domain = ["d".repeat(63), "d".repeat(63), "d".repeat(61)].join(".");
    let longest = Mailbox::parse(&format!("{local}@{domain}")).unwrap();
    assert_eq!(longest.to_string().len() + 2, MAX_PATH_LENGTH);
    let mail = each::<MailParams>(|params| {
        for from in [ReversePath::Null, ReversePath::Mailbox(longest.clone())] {
            assert_round_trip(&Command::Mail {
                from,
                params: params.clone(),
            });
        }
    });
    let rcpt = each::<RcptParams>(|params| {
        for to in [
            ForwardPath::Postmaster,
            ForwardPath::Mailbox(longest.clone()),
        ] {
            assert_round_trip(&Command::Rcpt {
                to,
                params: params.clone(),
            });
        }
    });
    // Each typed value on its own, in the parameters it belongs to.
    let orcpts = each::<Orcpt>(|orcpt| {
        assert_round_trip(&Command::Rcpt {
            to: ForwardPath::Postmaster,
            params: RcptParams::default().with_orcpt(orcpt.clone()),
        });
    });
    let notifies = each::<Notify>(|notify| {
        assert_round_trip(&Command::Rcpt {
            to: ForwardPath::Postmaster,
            params: RcptParams::default().with_notify(*notify),
        });
    });
    let raw = each::<EsmtpParam>(|param| {
        assert_round_trip(&Command::Mail {
            from: ReversePath::Null,
            params: MailParams::default().with_other(param.clone()),
        });
        assert_round_trip(&Command::Rcpt {
            to: ForwardPath::Postmaster,
            params: RcptParams::default().with_other(param.clone()),
        });
    });
    let bodies = each::<Body>(|body| {
        assert_round_trip(&Command::Mail {
            from: ReversePath::Null,
            params: MailParams::default().with_body(*body),
        });
    });
    let rets = each::<Ret>(|ret| {
        assert_round_trip(&Command::Mail {
            from: ReversePath::Null,
            params: MailParams::default().with_ret(*ret),
        });
    });
    eprintln!(
        "{mail} MAIL and {rcpt} RCPT parameter sets, {orcpts} ORCPT, {notifies} NOTIFY, {raw} raw, {bodies} BODY, {rets} RET"
    );
}

#[test]
fn mechanisms_are_in_the_form_from_name_gives() {
    let mechanisms = each::<Mechanism>(|mechanism| {
        assert_eq!(
            Mechanism::from_name(mechanism.as_str().as_bytes()).as_ref(),
            Some(mechanism)
        );
        assert_round_trip(&Command::Auth {
            mechanism: mechanism.clone(),
            initial_response: None,
        });
    });
    eprintln!("{mechanisms} mechanisms");
}

#[test]
fn envelopes_write_their_commands_with_room_for_the_engine() {
    let envelopes = each::<Envelope>(|envelope| {
        assert!(!envelope.to.is_empty());
        let params = &envelope.mail_params;
        assert_eq!(
            (params.size, params.body, params.smtputf8),
            (None, None, false)
        );
        // What the engine may add: SIZE, SMTPUTF8 and BODY=8BITMIME.
        let mut added = params.clone();
        added.size = Some(u64::MAX);
        added.smtputf8 = true;
        added.body = Some(Body::EightBitMime);
        for params in [params.clone(), added] {
            assert_round_trip(&Command::Mail {
                from: envelope.from.clone(),
                params,
            });
        }
        for (to, params) in &envelope.to {
            assert_round_trip(&Command::Rcpt {
                to: to.clone(),
                params: params.clone(),
            });
        }
    });
    eprintln!("{envelopes} envelopes");
}

#[test]
fn replies_parse_back_equal_with_no_anomaly() {
    let limits = ReplyLimits::default();
    let replies = each::<Reply>(|reply| {
        let bytes = reply.as_bytes();
        match parse_reply(bytes, &limits) {
            Ok(Decoded::Complete { value, consumed }) => {
                assert_eq!(&value, reply, "{}", String::from_utf8_lossy(bytes));
                assert_eq!(consumed, bytes.len());
                assert!(value.anomalies().is_empty(), "{value:?}");
            }
            other => panic!("{reply:?} reads as {other:?}"),
        }
        assert!(reply.code().is_standard());
        assert!(reply.line_count() >= 1 && reply.line_count() <= limits.max_lines);
        for line in reply.lines() {
            assert!(
                line.as_bytes().len() + 2 <= RFC_REPLY_LINE_LENGTH,
                "{reply:?}"
            );
            assert_eq!(line.code(), reply.code());
        }
        if let Some(enhanced) = reply.enhanced_code() {
            assert_eq!(u16::from(enhanced.class), reply.code().value() / 100);
        }
    });
    eprintln!("{replies} replies");
}

#[test]
fn codes_are_what_rfc_5321_and_rfc_3463_allow() {
    let codes = each::<ReplyCode>(|code| {
        assert!(code.is_standard(), "{code}");
        assert_eq!(ReplyCode::new(code.value()), Some(*code));
    });
    let enhanced = each::<EnhancedCode>(|code| {
        assert_eq!(
            EnhancedCode::new(code.class, code.subject, code.detail),
            Some(*code)
        );
        assert_eq!(&code.to_string().parse::<EnhancedCode>().unwrap(), code);
    });
    eprintln!("{codes} reply codes, {enhanced} enhanced codes");
}

#[test]
fn capabilities_say_what_the_ehlo_reply_offered() {
    let mut checked = 0;
    for input in inputs() {
        let mut u = Unstructured::new(&input);
        for _ in 0..VALUES_PER_INPUT {
            let (offer, reply) = ehlo(&mut u).unwrap();
            let caps = Capabilities::from_reply(&reply);
            let text = String::from_utf8_lossy(reply.as_bytes());
            assert_eq!(caps.anomalies().count(), 0, "{text}{caps:?}");
            let name = if offer.name.starts_with('[') {
                ServerName::AddressLiteral(&offer.name)
            } else {
                ServerName::Domain(&offer.name)
            };
            assert_eq!(caps.server_name(), name, "{text}");
            assert_eq!(caps.greeting(), offer.greeting, "{text}");
            for keyword in Keyword::ALL {
                assert_eq!(
                    caps.has(keyword),
                    offer.keywords.contains(&keyword),
                    "{keyword} in {text}"
                );
            }
            assert_eq!(caps.size(), offer.size.filter(|size| *size > 0), "{text}");
            let offered: BTreeSet<_> = offer.mechanisms.iter().cloned().collect();
            let read: BTreeSet<_> = caps.auth_mechanisms().collect();
            assert_eq!(read, offered, "{text}");
            assert_eq!(caps.deliver_by(), offer.deliver_by, "{text}");
            assert_eq!(caps.mt_priority_profile(), offer.mt_priority.as_deref());
            assert_eq!(caps.future_release(), offer.future_release.as_ref());
            assert_eq!(caps.limits(), offer.limits, "{text}");
            // Unknown keywords come in the order of the lines, which are shuffled.
            let unknown: BTreeSet<_> = caps
                .unknown()
                .iter()
                .map(|e| (e.keyword().to_owned(), e.params().to_vec()))
                .collect();
            assert_eq!(caps.unknown().len(), offer.unknown.len(), "{text}");
            assert_eq!(unknown, offer.unknown.into_iter().collect(), "{text}");
            checked += 1;
        }
    }
    // And the impl is the parser's reading of that reply.
    let capabilities = each::<Capabilities>(|caps| assert_eq!(caps.anomalies().count(), 0));
    eprintln!("{checked} EHLO replies, {capabilities} capabilities");
}

/// Spent input gives the simplest values, as the module docs say, and they are valid.
#[test]
fn spent_input_gives_the_simplest_values() {
    fn from_nothing<T: for<'a> Arbitrary<'a>>() -> T {
        T::arbitrary(&mut Unstructured::new(&[])).unwrap()
    }
    let host = Host::parse("a").unwrap();
    assert_eq!(from_nothing::<Command>(), Command::Ehlo(host.clone()));
    assert_eq!(from_nothing::<Reply>().as_bytes(), b"250 \r\n");
    assert_eq!(from_nothing::<Mailbox>(), Mailbox::parse("a@a").unwrap());
    assert_eq!(from_nothing::<MailParams>(), MailParams::default());
    assert_eq!(from_nothing::<RcptParams>(), RcptParams::default());
    let envelope = from_nothing::<Envelope>();
    let mailbox = Mailbox::parse("a@a").unwrap();
    assert_eq!(envelope.from, ReversePath::Mailbox(mailbox.clone()));
    assert_eq!(
        envelope.to,
        [(ForwardPath::Mailbox(mailbox), RcptParams::default())]
    );
    let caps = from_nothing::<Capabilities>();
    assert_eq!(caps.server_name(), ServerName::Domain("a"));
    assert_eq!(caps.keywords().count(), 0);
}

/// The same input gives the same value: nothing but the input decides.
#[test]
fn generation_is_deterministic() {
    fn twice<T>(input: &[u8])
    where
        T: for<'a> Arbitrary<'a> + PartialEq + Debug,
    {
        let first = T::arbitrary(&mut Unstructured::new(input)).unwrap();
        let second = T::arbitrary(&mut Unstructured::new(input)).unwrap();
        assert_eq!(first, second);
    }
    for input in inputs().iter().take(500) {
        twice::<Command>(input);
        twice::<Reply>(input);
        twice::<Envelope>(input);
        twice::<Capabilities>(input);
    }
}

/// The generators reach every kind of value their docs promise, so a broken branch (or a
/// fallback taken every time) shows here.
#[test]
fn generators_reach_every_variant() {
    let mut verbs = BTreeSet::new();
    let mut mail = [false; 9];
    let mut rcpt = [false; 3];
    each::<Command>(|command| {
        verbs.insert(command.verb());
        match command {
            Command::Mail { from, params } => {
                mail[0] |= params.size.is_some();
                mail[1] |= params.body.is_some();
                mail[2] |= params.smtputf8;
                mail[3] |= params.ret.is_some();
                mail[4] |= params.envid.is_some();
                mail[5] |= matches!(params.auth, Some(ReversePath::Mailbox(_)));
                mail[6] |= params.requiretls;
                mail[7] |= params.mt_priority.is_some() && !params.other.is_empty();
                mail[8] |= *from == ReversePath::Null;
            }
            Command::Rcpt { to, params } => {
                rcpt[0] |= params.notify.is_some();
                rcpt[1] |= params.orcpt.is_some() && !params.other.is_empty();
                rcpt[2] |= *to == ForwardPath::Postmaster;
            }
            _ => {}
        }
    });
    assert_eq!(verbs.len(), 17, "{verbs:?}");
    assert!(mail.iter().all(|seen| *seen), "{mail:?}");
    assert!(rcpt.iter().all(|seen| *seen), "{rcpt:?}");

    // Addresses: ASCII and SMTPUTF8, quoted local parts, literals of each kind, paths at the
    // limits.
    let mut seen = [false; 8];
    each::<Mailbox>(|mailbox| {
        seen[0] |= !mailbox.needs_smtputf8();
        seen[1] |= mailbox.local_part().needs_smtputf8();
        seen[2] |= mailbox.host().needs_smtputf8();
        seen[3] |= mailbox.local_part().is_quoted();
        match mailbox.host() {
            Host::Literal(AddressLiteral::Ipv4(_)) => seen[4] = true,
            Host::Literal(AddressLiteral::Ipv6(_)) => seen[5] = true,
            Host::Literal(AddressLiteral::General(_)) => seen[6] = true,
            _ => {}
        }
        seen[7] |= mailbox.local_part().as_str().len() >= 60;
    });
    assert!(seen.iter().all(|seen| *seen), "{seen:?}");

    // Replies: every class, one line and several, with and without an enhanced code.
    let mut classes = BTreeSet::new();
    let mut shapes = [false; 4];
    each::<Reply>(|reply| {
        classes.insert(reply.code().value() / 100);
        shapes[0] |= reply.line_count() == 1;
        shapes[1] |= reply.line_count() > 1;
        shapes[2] |= reply.enhanced_code().is_some();
        shapes[3] |= reply.enhanced_code().is_none() && reply.code().value() / 100 != 3;
    });
    assert_eq!(classes, BTreeSet::from([2, 3, 4, 5]));
    assert!(shapes.iter().all(|seen| *seen), "{shapes:?}");

    // Capabilities: every known keyword somewhere, mechanisms known and not.
    let mut keywords = BTreeSet::new();
    let mut other_mechanism = false;
    each::<Capabilities>(|caps| {
        keywords.extend(caps.keywords().map(|k| k.as_str()));
        other_mechanism |= caps
            .auth_mechanisms()
            .any(|m| matches!(m, Mechanism::Other(_)));
    });
    assert_eq!(keywords.len(), Keyword::ALL.len(), "{keywords:?}");
    assert!(other_mechanism);
}
