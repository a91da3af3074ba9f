use std::time::Instant;

use proptest::prelude::*;

use super::*;
use crate::capabilities::Capabilities;
use crate::client::{Client, Config, TlsPolicy};
use crate::command::{CommandLimits, parse_command};
use crate::data::{DataDecoder, DataEncoder};
use crate::reply::{Anomaly, Decoded, ReplyDecoder, ReplyLimits, parse_reply};
use crate::testing::{End, Plan, Server};
use crate::{Credentials, Host};

proptest! {
    #[test]
    fn mailboxes_read_back_from_their_wire_form(mailbox in mailbox()) {
        use crate::address::{MAX_LOCAL_PART_LENGTH, MAX_PATH_LENGTH, Mailbox, ReversePath};
        let wire = mailbox.to_string();
        prop_assert!(wire.len() + 2 <= MAX_PATH_LENGTH);
        prop_assert!(mailbox.local_part().as_str().len() <= MAX_LOCAL_PART_LENGTH);
        prop_assert_eq!(Mailbox::parse(&wire), Ok(mailbox.clone()));
        let path = ReversePath::Mailbox(mailbox.clone());
        prop_assert_eq!(ReversePath::parse(&path.to_string()), Ok(path));
        prop_assert_eq!(mailbox.needs_smtputf8(), !wire.is_ascii());
    }

    #[test]
    fn written_commands_parse_back(command in command()) {
        use crate::command::{CommandError, Verb, parse_auth_response};
        let mut out = Vec::new();
        match command.write_to(&mut out) {
            Ok(()) => {}
            Err(CommandError::LineTooLong { .. }) => return Err(TestCaseError::reject("over the RFC length")),
            Err(err) => return Err(TestCaseError::fail(format!("{command:?}: {err}"))),
        }
        prop_assert!(out.ends_with(b"\r\n"));
        prop_assert_eq!(memchr::memchr(b'\n', &out), Some(out.len() - 1), "exactly one line");
        let parsed = match command.verb() {
            Verb::AuthResponse | Verb::AuthCancel => parse_auth_response(&out, &CommandLimits::default()),
            _ => parse_command(&out, &CommandLimits::default()),
        };
        match parsed {
            Ok(Decoded::Complete { value, consumed }) => {
                prop_assert_eq!((value, consumed), (command.clone(), out.len()));
            }
            other => return Err(TestCaseError::fail(format!("{command:?}: {other:?}"))),
        }
        prop_assert!(!command.to_string().contains(['\r', '\n']));
    }

    #[test]
    fn generated_replies_parse_back_to_themselves_with_no_anomaly(reply in reply()) {
        match parse_reply(reply.as_bytes(), &ReplyLimits::default()) {
            Ok(Decoded::Complete { value, consumed }) => {
                prop_assert_eq!(consumed, reply.as_bytes().len());
                prop_assert!(value.anomalies().is_empty(), "{:?}", value.anomalies());
                prop_assert_eq!(value, reply);
            }
            other => prop_assert!(false, "{:?} for {:?}", other, reply),
        }
    }

    #[test]
    fn sloppy_replies_parse_with_exactly_the_anomalies_put_in(sloppy in sloppy_reply()) {
        match parse_reply(&sloppy.bytes, &ReplyLimits::default()) {
            Ok(Decoded::Complete { value, consumed }) => {
                prop_assert_eq!(consumed, sloppy.bytes.len());
                prop_assert_eq!(value.code(), sloppy.code);
                prop_assert_eq!(value.line_count(), sloppy.lines);
                let found: Vec<Anomaly> = value.anomalies().iter().collect();
                for anomaly in &sloppy.anomalies {
                    prop_assert!(found.contains(anomaly), "{:?} not found in {:?}", anomaly, found);
                }
                for anomaly in &found {
                    prop_assert!(sloppy.anomalies.contains(anomaly), "unexpected {:?}", anomaly);
                }
            }
            other => prop_assert!(false, "{:?} for {:?}", other, String::from_utf8_lossy(&sloppy.bytes)),
        }
    }

    #[test]
    fn ehlo_replies_offer_what_their_keyword_lines_say(ehlo in ehlo_reply()) {
        let capabilities = Capabilities::from_reply(&ehlo.reply);
        let offers = |keyword: &str| {
            ehlo.keywords.iter().any(|line| {
                line.split([' ', '=']).next().is_some_and(|k| k.eq_ignore_ascii_case(keyword))
            })
        };
        prop_assert_eq!(capabilities.pipelining(), offers("PIPELINING"));
        prop_assert_eq!(capabilities.starttls(), offers("STARTTLS"));
        prop_assert_eq!(capabilities.chunking(), offers("CHUNKING"));
        prop_assert_eq!(capabilities.eight_bit_mime(), offers("8BITMIME"));
        prop_assert_eq!(capabilities.smtputf8(), offers("SMTPUTF8"));
        prop_assert_eq!(capabilities.enhanced_status_codes(), offers("ENHANCEDSTATUSCODES"));
        prop_assert_eq!(capabilities.size_advertised(), offers("SIZE"));
    }

    #[test]
    fn message_bodies_encode_with_one_end_of_data_and_decode_back(body in message_body()) {
        let encoded = DataEncoder::encode_message(&body);
        // An empty body is the end-of-data line alone (it follows DATA's own CRLF).
        prop_assert!(encoded == b".\r\n" || encoded.ends_with(b"\r\n.\r\n"));
        let mut decoder = DataDecoder::new();
        let mut decoded = Vec::new();
        let progress = decoder.decode(&encoded, &mut decoded);
        prop_assert!(progress.end);
        prop_assert_eq!(progress.consumed, encoded.len(), "the data ended early");
        // Line ends come back as CRLF; every other octet comes back as it was.
        let strip = |bytes: &[u8]| -> Vec<u8> {
            bytes.iter().copied().filter(|b| *b != b'\r' && *b != b'\n').collect()
        };
        prop_assert_eq!(strip(&decoded), strip(&body));
    }

    #[test]
    fn envelopes_write_as_commands_that_parse_back(envelope in envelope()) {
        let limits = CommandLimits::default();
        let mut commands = vec![crate::Command::Mail { from: envelope.from.clone(), params: Default::default() }];
        commands.extend(envelope.to.iter().map(|(to, params)| crate::Command::Rcpt { to: to.clone(), params: params.clone() }));
        for command in commands {
            let mut wire = Vec::new();
            command.write_to(&mut wire).unwrap();
            match parse_command(&wire, &limits) {
                Ok(Decoded::Complete { value, .. }) => prop_assert_eq!(value, command),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn clients_against_scripted_servers_always_finish_and_agree_on_delivery(
        script in server_script(),
        envelope in envelope(),
        body in message_body(),
        tls in prop_oneof![Just(TlsPolicy::None), Just(TlsPolicy::Opportunistic), Just(TlsPolicy::Required)],
        authenticate in any::<bool>(),
    ) {
        let mut server = Server::scripted(script);
        let config = Config::new(Host::parse("client.example").unwrap())
            .with_tls(tls)
            .dangerous_allow_plaintext_auth(true);
        let mut client = Client::new(config, Instant::now());
        let mut plan = Plan::new().send(envelope, body);
        if authenticate {
            plan = plan.authenticate(Credentials::password("user@example.test", "password"));
        }
        let outcome = plan.run(&mut client, &mut server, Instant::now());
        let transcript = server.transcript();
        prop_assert_ne!(outcome.end, End::Stalled, "{}", transcript);
        prop_assert_eq!(outcome.messages_accepted(), server.messages().len(), "{}", transcript);
        // Everything the client wrote was a well-formed command for the server's parser.
        prop_assert!(!transcript.contains("Syntax error: "), "{}", transcript);
        // TLS required: no AUTH or MAIL ever went out in the clear.
        if tls == TlsPolicy::Required {
            let before_tls = transcript.split("C: STARTTLS").next().unwrap_or("");
            prop_assert!(!before_tls.contains("C: AUTH") && !before_tls.contains("C: MAIL"), "{}", transcript);
        }
        // Every reply the server sent is one the client's decoder reads without anomaly.
        let mut decoder = ReplyDecoder::new(ReplyLimits::default());
        let mut wire = Vec::new();
        for line in transcript.lines().filter_map(|l| l.strip_prefix("S: ")) {
            wire.extend_from_slice(line.as_bytes());
            wire.extend_from_slice(b"\r\n");
        }
        let mut at = 0;
        while at < wire.len() {
            match decoder.decode(&wire[at..]) {
                Ok(Decoded::Complete { value, consumed }) => {
                    prop_assert!(value.anomalies().is_empty(), "{:?}", value);
                    at += consumed;
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
