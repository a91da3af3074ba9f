//! Known answers for the command writer and parser, each run whole, a byte at a time, with
//! trailing bytes and round-tripped; injection attempts in every text field; property tests
//! for the round trip and for arbitrary input.

use super::*;
use crate::address::{Domain, Mailbox};
use crate::reply::Decoded;
use proptest::prelude::*;

fn mailbox(text: &str) -> Mailbox {
    Mailbox::parse(text).unwrap()
}

fn host(text: &str) -> Host {
    Host::parse(text).unwrap()
}

fn mail(from: &str, params: MailParams) -> Command {
    Command::Mail {
        from: ReversePath::parse(from).unwrap(),
        params,
    }
}

fn rcpt(to: &str, params: RcptParams) -> Command {
    Command::Rcpt {
        to: ForwardPath::parse(to).unwrap(),
        params,
    }
}

fn secret(data: &[u8]) -> Secret<Vec<u8>> {
    Secret::new(data.to_vec())
}

/// One vector: the line as a client may send it, the command, and the canonical line the
/// writer gives (`None`: the same as the input).
struct Kat {
    input: &'static [u8],
    command: Command,
    canonical: Option<&'static [u8]>,
}

fn kats() -> Vec<Kat> {
    let kat = |input: &'static [u8], command: Command| Kat {
        input,
        command,
        canonical: None,
    };
    let lenient = |input: &'static [u8], command: Command, canonical: &'static [u8]| Kat {
        input,
        command,
        canonical: Some(canonical),
    };
    vec![
        kat(b"EHLO mail.example.com\r\n", Command::Ehlo(host("mail.example.com"))),
        kat(b"HELO example.com\r\n", Command::Helo(host("example.com"))),
        kat(b"LHLO lmtp.example\r\n", Command::Lhlo(host("lmtp.example"))),
        kat(b"EHLO [192.0.2.1]\r\n", Command::Ehlo(host("[192.0.2.1]"))),
        kat(b"EHLO [IPv6:2001:db8::1]\r\n", Command::Ehlo(host("[IPv6:2001:db8::1]"))),
        lenient(
            b"ehlo [ipv6:2001:DB8:0:0:0:0:0:1]\r\n",
            Command::Ehlo(host("[IPv6:2001:db8::1]")),
            b"EHLO [IPv6:2001:db8::1]\r\n",
        ),
        kat(b"EHLO b\xc3\xbccher.example\r\n", Command::Ehlo(host("bücher.example"))),
        kat(
            b"MAIL FROM:<a@example.com>\r\n",
            mail("<a@example.com>", MailParams::default()),
        ),
        kat(b"MAIL FROM:<>\r\n", mail("<>", MailParams::default())),
        kat(
            b"MAIL FROM:<a@example.com> SIZE=12345 BODY=8BITMIME\r\n",
            mail(
                "<a@example.com>",
                MailParams::default()
                    .with_size(12345)
                    .with_body(Body::EightBitMime),
            ),
        ),
        lenient(
            b"mail from:<a@example.com> body=8bitmime size=12345\r\n",
            mail(
                "<a@example.com>",
                MailParams::default()
                    .with_size(12345)
                    .with_body(Body::EightBitMime),
            ),
            b"MAIL FROM:<a@example.com> SIZE=12345 BODY=8BITMIME\r\n",
        ),
        kat(
            b"MAIL FROM:<> SIZE=0 BODY=BINARYMIME RET=HDRS ENVID=QQ314159+2B1 AUTH=<> SMTPUTF8 REQUIRETLS MT-PRIORITY=-3 HOLDFOR=600 XFLAG\r\n",
            mail(
                "<>",
                MailParams::default()
                    .with_size(0)
                    .with_body(Body::BinaryMime)
                    .with_ret(Ret::Headers)
                    .with_envid("QQ314159+1")
                    .with_auth(ReversePath::Null)
                    .with_smtputf8()
                    .with_requiretls()
                    .with_mt_priority(-3)
                    .with_other(EsmtpParam::new("HOLDFOR", Some("600")).unwrap())
                    .with_other(EsmtpParam::new("XFLAG", None).unwrap()),
            ),
        ),
        kat(
            b"MAIL FROM:<b@example.org> AUTH=e+2Bmc2@example.com\r\n",
            mail(
                "<b@example.org>",
                MailParams::default().with_auth(ReversePath::Mailbox(mailbox("e+mc2@example.com"))),
            ),
        ),
        lenient(
            b"MAIL FROM:<@relay.example,@r2.example:a@example.com> MT-PRIORITY=+4\r\n",
            mail("<a@example.com>", MailParams::default().with_mt_priority(4)),
            b"MAIL FROM:<a@example.com> MT-PRIORITY=4\r\n",
        ),
        kat(
            b"MAIL FROM:<\"john doe\"@example.com>\r\n",
            mail("<\"john doe\"@example.com>", MailParams::default()),
        ),
        lenient(
            b"MAIL FROM:<\"j\\ohn\\\"x\"@example.com>\r\n",
            mail("<\"john\\\"x\"@example.com>", MailParams::default()),
            b"MAIL FROM:<\"john\\\"x\"@example.com>\r\n",
        ),
        kat(
            "MAIL FROM:<jöran@bücher.example> SMTPUTF8\r\n".as_bytes(),
            mail(
                "<jöran@bücher.example>",
                MailParams::default().with_smtputf8(),
            ),
        ),
        kat(
            b"RCPT TO:<b@example.org>\r\n",
            rcpt("<b@example.org>", RcptParams::default()),
        ),
        lenient(
            b"RCPT TO:<postmaster>\r\n",
            Command::Rcpt {
                to: ForwardPath::Postmaster,
                params: RcptParams::default(),
            },
            b"RCPT TO:<Postmaster>\r\n",
        ),
        kat(
            b"RCPT TO:<Postmaster@example.com>\r\n",
            rcpt("<Postmaster@example.com>", RcptParams::default()),
        ),
        kat(
            b"RCPT TO:<b@[192.0.2.7]> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2Bx@example.org\r\n",
            rcpt(
                "<b@[192.0.2.7]>",
                RcptParams::default()
                    .with_notify(Notify::On {
                        success: true,
                        failure: false,
                        delay: true,
                    })
                    .with_orcpt(Orcpt::new("rfc822", "b+x@example.org").unwrap()),
            ),
        ),
        lenient(
            b"RCPT TO:<b@example.org> notify=delay,failure,delay\r\n",
            rcpt(
                "<b@example.org>",
                RcptParams::default().with_notify(Notify::On {
                    success: false,
                    failure: true,
                    delay: true,
                }),
            ),
            b"RCPT TO:<b@example.org> NOTIFY=FAILURE,DELAY\r\n",
        ),
        kat(
            b"RCPT TO:<b@example.org> NOTIFY=NEVER ORCPT=utf-8;j\\x{F6}ran\\x{2B}1@b\\x{FC}cher.example\r\n",
            rcpt(
                "<b@example.org>",
                RcptParams::default()
                    .with_notify(Notify::Never)
                    .with_orcpt(Orcpt::new("utf-8", "jöran+1@bücher.example").unwrap()),
            ),
        ),
        kat(b"DATA\r\n", Command::Data),
        kat(b"BDAT 1000\r\n", Command::Bdat { size: 1000, last: false }),
        kat(b"BDAT 0 LAST\r\n", Command::Bdat { size: 0, last: true }),
        lenient(
            b"bdat 007 last\r\n",
            Command::Bdat { size: 7, last: true },
            b"BDAT 7 LAST\r\n",
        ),
        kat(b"RSET\r\n", Command::Rset),
        kat(b"VRFY Smith\r\n", Command::Vrfy("Smith".into())),
        kat(b"VRFY John Smith\r\n", Command::Vrfy("John Smith".into())),
        kat(b"EXPN <list@example.com>\r\n", Command::Expn("<list@example.com>".into())),
        kat(b"HELP\r\n", Command::Help(None)),
        kat(b"HELP MAIL\r\n", Command::Help(Some("MAIL".into()))),
        kat(b"NOOP\r\n", Command::Noop(None)),
        kat(b"NOOP still there?\r\n", Command::Noop(Some("still there?".into()))),
        kat(b"QUIT\r\n", Command::Quit),
        lenient(b"quit\r\n", Command::Quit, b"QUIT\r\n"),
        kat(b"STARTTLS\r\n", Command::StartTls),
        kat(
            b"AUTH PLAIN\r\n",
            Command::Auth {
                mechanism: Mechanism::Plain,
                initial_response: None,
            },
        ),
        kat(
            b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n",
            Command::Auth {
                mechanism: Mechanism::Plain,
                initial_response: Some(secret(b"\0user\0pass")),
            },
        ),
        kat(
            b"AUTH EXTERNAL =\r\n",
            Command::Auth {
                mechanism: Mechanism::External,
                initial_response: Some(secret(b"")),
            },
        ),
        lenient(
            b"auth x-custom-mech\r\n",
            Command::Auth {
                mechanism: Mechanism::Other("X-CUSTOM-MECH".into()),
                initial_response: None,
            },
            b"AUTH X-CUSTOM-MECH\r\n",
        ),
    ]
}

fn complete(result: Result<Decoded<Command>, CommandParseError>) -> (Command, usize) {
    match result {
        Ok(Decoded::Complete { value, consumed }) => (value, consumed),
        other => panic!("expected a complete command, got {other:?}"),
    }
}

fn parse(input: &[u8]) -> Result<Decoded<Command>, CommandParseError> {
    parse_command(input, &CommandLimits::default())
}

fn write(command: &Command) -> Result<Vec<u8>, CommandError> {
    let mut out = Vec::new();
    command.write_to(&mut out).map(|()| out)
}

#[test]
fn kats_whole() {
    for kat in kats() {
        let (command, consumed) = complete(parse(kat.input));
        assert_eq!(
            command,
            kat.command,
            "{:?}",
            String::from_utf8_lossy(kat.input)
        );
        assert_eq!(consumed, kat.input.len());
    }
}

#[test]
fn kats_byte_by_byte() {
    for kat in kats() {
        for end in 0..kat.input.len() {
            assert_eq!(
                parse(&kat.input[..end]),
                Ok(Decoded::Incomplete),
                "{:?} at {end}",
                String::from_utf8_lossy(kat.input)
            );
        }
        assert_eq!(complete(parse(kat.input)).0, kat.command);
    }
}

#[test]
fn kats_with_trailing_bytes() {
    for kat in kats() {
        let mut input = kat.input.to_vec();
        input.extend_from_slice(b"RSET\r\nQUI");
        let (command, consumed) = complete(parse(&input));
        assert_eq!(command, kat.command);
        assert_eq!(
            consumed,
            kat.input.len(),
            "nothing after the line is consumed"
        );
        let (next, used) = complete(parse(&input[consumed..]));
        assert_eq!(next, Command::Rset);
        assert_eq!(parse(&input[consumed + used..]), Ok(Decoded::Incomplete));
    }
}

#[test]
fn kats_round_trip() {
    for kat in kats() {
        let written = write(&kat.command).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(kat.canonical.unwrap_or(kat.input)),
        );
        assert_eq!(complete(parse(&written)), (kat.command, written.len()));
    }
}

#[test]
fn sasl_lines() {
    let limits = CommandLimits::default();
    let kats: &[(&[u8], Command)] = &[
        (b"*\r\n", Command::AuthCancel),
        (b"\r\n", Command::AuthResponse(secret(b""))),
        (b"dXNlcg==\r\n", Command::AuthResponse(secret(b"user"))),
    ];
    for (input, command) in kats {
        assert_eq!(
            complete(parse_auth_response(input, &limits)),
            (command.clone(), input.len())
        );
        assert_eq!(write(command).unwrap(), *input);
        for end in 0..input.len() {
            assert_eq!(
                parse_auth_response(&input[..end], &limits),
                Ok(Decoded::Incomplete)
            );
        }
    }
    assert!(matches!(
        parse_auth_response(b"not base64!\r\n", &limits),
        Err(CommandParseError::InvalidBase64 { offset: 0, .. })
    ));
    // A long SASL line (a big GSSAPI or OAuth token) is fine up to 12288 octets.
    let long = Command::AuthResponse(Secret::new(vec![7; 9000]));
    let written = write(&long).unwrap();
    assert!(written.len() > 12000);
    assert_eq!(complete(parse_auth_response(&written, &limits)).0, long);
    let too_long = Command::AuthResponse(Secret::new(vec![7; 9300]));
    assert!(matches!(
        write(&too_long),
        Err(CommandError::LineTooLong {
            verb: Verb::AuthResponse,
            limit: 12288,
            ..
        })
    ));
}

#[test]
fn injection_in_every_text_field_is_refused() {
    let evil = ["a\r\nRCPT TO:<x@evil.example>", "a\nb", "a\rb", "a\0b"];
    for text in evil {
        let commands = [
            Command::Vrfy(text.into()),
            Command::Expn(text.into()),
            Command::Help(Some(text.into())),
            Command::Noop(Some(text.into())),
        ];
        for command in commands {
            let mut out = b"kept".to_vec();
            let err = command.write_to(&mut out).unwrap_err();
            assert!(
                matches!(err, CommandError::ForbiddenOctet { offset: 1, .. }),
                "{err:?}"
            );
            assert_eq!(out, b"kept", "the output is left as it was");
            assert!(err.to_string().contains("offset 1"));
        }
        // Typed values refuse it when they are built.
        assert!(Domain::parse(text).is_err());
        assert!(Host::parse(text).is_err());
        assert!(Mailbox::parse(&format!("{text}@example.com")).is_err());
        assert!(Mailbox::parse(&format!("a@{text}")).is_err());
        assert!(crate::LocalPart::from_content(text).is_err());
        assert!(matches!(
            EsmtpParam::new("X-A", Some(text)),
            Err(CommandError::ForbiddenOctet { .. })
        ));
        assert!(matches!(
            EsmtpParam::new(text, None),
            Err(CommandError::ForbiddenOctet { .. })
        ));
        assert!(matches!(
            Orcpt::new("rfc822", text),
            Err(CommandError::ForbiddenOctet { .. })
        ));
        assert!(matches!(
            Orcpt::new("utf-8", text),
            Err(CommandError::ForbiddenOctet { .. })
        ));
        assert!(Orcpt::new(text, "a@b").is_err());
        let envid = mail("<>", MailParams::default().with_envid(text));
        assert!(matches!(
            write(&envid),
            Err(CommandError::ForbiddenOctet { field: "ENVID", .. })
        ));
    }
    // Mechanism::Other has a public field; the writer checks it.
    let auth = Command::Auth {
        mechanism: Mechanism::Other("PLAIN\r\nMAIL FROM:<x@evil.example>".into()),
        initial_response: None,
    };
    assert!(matches!(
        write(&auth),
        Err(CommandError::InvalidMechanism { .. })
    ));
    let lower = Command::Auth {
        mechanism: Mechanism::Other("plain".into()),
        initial_response: None,
    };
    assert!(matches!(
        write(&lower),
        Err(CommandError::InvalidMechanism { .. })
    ));
}

#[test]
fn parameters_are_strict() {
    // A raw value that would need xtext is an error, never wire bytes.
    assert!(matches!(
        EsmtpParam::new("X-NAME", Some("a b")),
        Err(CommandError::InvalidValue { .. })
    ));
    assert!(matches!(
        EsmtpParam::new("X-NAME", Some("a=b")),
        Err(CommandError::InvalidValue { .. })
    ));
    assert!(matches!(
        EsmtpParam::new("X-NAME", Some("bjørn")),
        Err(CommandError::InvalidValue { .. })
    ));
    assert!(matches!(
        EsmtpParam::new("X-NAME", Some("")),
        Err(CommandError::InvalidValue { .. })
    ));
    assert!(matches!(
        EsmtpParam::new("-X", None),
        Err(CommandError::InvalidKeyword { .. })
    ));
    assert!(matches!(
        EsmtpParam::new("", None),
        Err(CommandError::InvalidKeyword { .. })
    ));
    let encoded = super::xtext::encode("bjørn".as_bytes());
    assert!(EsmtpParam::new("X-NAME", Some(&encoded)).is_ok());

    let reserved = mail(
        "<>",
        MailParams::default().with_other(EsmtpParam::new("size", Some("1")).unwrap()),
    );
    assert_eq!(
        write(&reserved),
        Err(CommandError::ReservedKeyword { keyword: "SIZE" })
    );
    let reserved = rcpt(
        "<a@b.example>",
        RcptParams::default().with_other(EsmtpParam::new("Notify", Some("NEVER")).unwrap()),
    );
    assert_eq!(
        write(&reserved),
        Err(CommandError::ReservedKeyword { keyword: "NOTIFY" })
    );
    let priority = mail("<>", MailParams::default().with_mt_priority(10));
    assert!(matches!(
        write(&priority),
        Err(CommandError::InvalidParameter {
            keyword: "MT-PRIORITY",
            ..
        })
    ));
    let notify = rcpt(
        "<a@b.example>",
        RcptParams::default().with_notify(Notify::On {
            success: false,
            failure: false,
            delay: false,
        }),
    );
    assert!(matches!(
        write(&notify),
        Err(CommandError::InvalidParameter {
            keyword: "NOTIFY",
            ..
        })
    ));
    let envid = mail("<>", MailParams::default().with_envid("has space"));
    assert!(matches!(
        write(&envid),
        Err(CommandError::InvalidParameter {
            keyword: "ENVID",
            ..
        })
    ));
    let envid = mail("<>", MailParams::default().with_envid("+".repeat(34)));
    assert!(matches!(
        write(&envid),
        Err(CommandError::ParameterTooLong {
            keyword: "ENVID",
            length: 102,
            limit: 100
        })
    ));
    assert!(
        write(&mail(
            "<>",
            MailParams::default().with_envid("+".repeat(33))
        ))
        .is_ok()
    );
    assert!(matches!(
        Orcpt::new("rfc822", "jöran@example.com"),
        Err(CommandError::InvalidParameter {
            keyword: "ORCPT",
            ..
        })
    ));
    assert!(Orcpt::new("rfc822", &"a".repeat(493)).is_ok());
    assert!(matches!(
        Orcpt::new("rfc822", &"a".repeat(494)),
        Err(CommandError::ParameterTooLong {
            keyword: "ORCPT",
            length: 501,
            limit: 500
        })
    ));
    let for_mailbox = Orcpt::for_mailbox(&mailbox("jöran@example.com")).unwrap();
    assert_eq!(for_mailbox.addr_type(), "utf-8");
    assert_eq!(for_mailbox.address(), "jöran@example.com");
    assert_eq!(
        Orcpt::for_mailbox(&mailbox("a@example.com"))
            .unwrap()
            .addr_type(),
        "rfc822"
    );
}

#[test]
fn xtext_values_on_the_wire() {
    // ENVID, ORCPT and AUTH= carry xtext; '+', '=' and non-ASCII are encoded per octet.
    let command = mail(
        "<a@example.com>",
        MailParams::default()
            .with_envid("id=1+2")
            .with_auth(ReversePath::Mailbox(mailbox("jöran+x@example.com"))),
    );
    assert_eq!(
        write(&command).unwrap(),
        b"MAIL FROM:<a@example.com> ENVID=id+3D1+2B2 AUTH=j+C3+B6ran+2Bx@example.com\r\n"
    );
    assert!(!command.needs_smtputf8(), "xtext is ASCII on the wire");
    let command = rcpt(
        "<b@example.org>",
        RcptParams::default().with_orcpt(Orcpt::new("rfc822", "a b=c").unwrap()),
    );
    assert_eq!(
        write(&command).unwrap(),
        b"RCPT TO:<b@example.org> ORCPT=rfc822;a+20b+3Dc\r\n"
    );
    let command = rcpt(
        "<b@example.org>",
        RcptParams::default().with_orcpt(Orcpt::new("UTF-8", "中😀 \\x").unwrap()),
    );
    let written = write(&command).unwrap();
    assert_eq!(
        written,
        b"RCPT TO:<b@example.org> ORCPT=UTF-8;\\x{4E2D}\\x{1F600}\\x{20}\\x{5C}x\r\n"
    );
    assert_eq!(complete(parse(&written)).0, command);
}

#[test]
fn smtputf8_is_flagged_not_decided() {
    let ascii = mail("<a@example.com>", MailParams::default());
    assert!(!ascii.needs_smtputf8());
    let utf8 = mail("<jöran@example.com>", MailParams::default());
    assert!(utf8.needs_smtputf8());
    // The writer does not add SMTPUTF8 by itself.
    assert_eq!(
        write(&utf8).unwrap(),
        "MAIL FROM:<jöran@example.com>\r\n".as_bytes()
    );
    assert!(rcpt("<a@bücher.example>", RcptParams::default()).needs_smtputf8());
    assert!(
        !Command::Rcpt {
            to: ForwardPath::Postmaster,
            params: RcptParams::default()
        }
        .needs_smtputf8()
    );
    assert!(Command::Ehlo(host("bücher.example")).needs_smtputf8());
    assert!(!Command::Ehlo(host("[IPv6:::1]")).needs_smtputf8());
    assert!(Command::Vrfy("jöran".into()).needs_smtputf8());
    assert!(!Command::Noop(None).needs_smtputf8());
}

#[test]
fn line_lengths() {
    // 512 octets with CRLF for plain commands (RFC 5321 s4.5.3.1.4).
    let fits = Command::Vrfy("x".repeat(512 - 7));
    assert_eq!(write(&fits).unwrap().len(), 512);
    let over = Command::Vrfy("x".repeat(512 - 6));
    let mut out = b"kept".to_vec();
    assert_eq!(
        over.write_to(&mut out),
        Err(CommandError::LineTooLong {
            verb: Verb::Vrfy,
            length: 513,
            limit: 512
        })
    );
    assert_eq!(out, b"kept");
    // The parser applies the same limit.
    let mut line = b"VRFY ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 512 - 6));
    line.extend_from_slice(b"\r\n");
    assert_eq!(
        parse(&line),
        Err(CommandParseError::OverRfcLength {
            verb: Verb::Vrfy,
            length: 513,
            limit: 512
        })
    );
    // AUTH with its initial response stays within 512 (RFC 4954 s4).
    let auth = Command::Auth {
        mechanism: Mechanism::XOAuth2,
        initial_response: Some(Secret::new(vec![b'a'; 400])),
    };
    assert!(matches!(
        write(&auth),
        Err(CommandError::LineTooLong {
            verb: Verb::Auth,
            limit: 512,
            ..
        })
    ));
    // MAIL gets the extensions' allowances: SIZE 26, AUTH= 500.
    let local = "l".repeat(64);
    let domain = format!("{}.{}.{}", "d".repeat(63), "e".repeat(63), "f".repeat(60));
    let long = mailbox(&format!("{local}@{domain}"));
    let params = MailParams::default()
        .with_size(u64::MAX)
        .with_auth(ReversePath::Mailbox(long.clone()));
    let command = Command::Mail {
        from: ReversePath::Mailbox(long),
        params,
    };
    let written = write(&command).unwrap();
    assert!(written.len() > 512);
    assert_eq!(complete(parse(&written)).0, command);
    // The framing limit is the parser's own.
    let limits = CommandLimits::default().with_max_line_length(16);
    assert_eq!(
        parse_command(b"NOOP 0123456789ABCDEF", &limits),
        Err(CommandParseError::LineTooLong { limit: 16 })
    );
    assert_eq!(
        parse_command(b"NOOP 0123456789", &limits),
        Ok(Decoded::Incomplete)
    );
    assert!(parse_command(b"NOOP 012345678\r\n", &limits).is_ok());
}

#[test]
fn malformed_lines_are_typed_errors_with_offsets() {
    let syntax = |input: &[u8], offset: usize| match parse(input) {
        Err(CommandParseError::Syntax { offset: got, .. }) => {
            assert_eq!(got, offset, "{:?}", String::from_utf8_lossy(input))
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    };
    syntax(b"MAIL FROM: <a@example.com>\r\n", 10);
    syntax(b"MAIL FROM:<a@example.com \r\n", 24);
    syntax(b"MAIL FROM:<a@example.com> \r\n", 26);
    syntax(b"MAIL TO:<a@example.com>\r\n", 4);
    syntax(b"QUIT now\r\n", 4);
    syntax(b"DATA \r\n", 4);
    syntax(b"HELP \r\n", 5);
    syntax(b"VRFY\r\n", 4);
    syntax(b"BDAT\r\n", 4);
    syntax(b"BDAT 99999999999999999999999\r\n", 5);
    syntax(b"BDAT 10 FIRST\r\n", 8);
    syntax(b"NOOP a\rb\r\n", 6);
    syntax(b"NOOP a\0b\r\n", 6);
    assert_eq!(
        parse(b"HTTP/1.1 GET /\r\n"),
        Err(CommandParseError::UnknownVerb {
            found: "HTTP/1.1 GET /".into()
        })
    );
    assert!(matches!(
        parse(b"\r\n"),
        Err(CommandParseError::UnknownVerb { .. })
    ));
    assert_eq!(
        parse(b"QUIT\n"),
        Err(CommandParseError::BareLineFeed { offset: 4 })
    );
    assert_eq!(
        parse(b"NOOP \xff\r\n"),
        Err(CommandParseError::NotUtf8 { offset: 5 })
    );
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> SIZE=1 SIZE=2\r\n"),
        Err(CommandParseError::DuplicateParameter { offset: 33, .. })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> SIZE=big\r\n"),
        Err(CommandParseError::InvalidParameter {
            offset: 26,
            keyword: "SIZE",
            ..
        })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> BODY=9BIT\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "BODY",
            ..
        })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> SMTPUTF8=yes\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "SMTPUTF8",
            ..
        })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> ENVID=a+2b\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "ENVID",
            ..
        })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> ENVID=a+0D+0Ab\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "ENVID",
            ..
        })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> AUTH=nobody\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "AUTH",
            ..
        })
    ));
    assert!(matches!(
        parse(b"MAIL FROM:<a@example.com> MT-PRIORITY=10\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "MT-PRIORITY",
            ..
        })
    ));
    assert!(matches!(
        parse(b"RCPT TO:<a@example.com> NOTIFY=NEVER,SUCCESS\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "NOTIFY",
            ..
        })
    ));
    assert!(matches!(
        parse(b"RCPT TO:<a@example.com> ORCPT=a@example.com\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "ORCPT",
            ..
        })
    ));
    assert!(matches!(
        parse(b"RCPT TO:<a@example.com> ORCPT=rfc822;a+0Db\r\n"),
        Err(CommandParseError::InvalidParameter {
            keyword: "ORCPT",
            ..
        })
    ));
    assert!(matches!(
        parse(b"RCPT TO:<a@example.com> X==\r\n"),
        Err(CommandParseError::Syntax { offset: 26, .. })
    ));
    assert!(matches!(
        parse(b"AUTH PLAIN not-base64\r\n"),
        Err(CommandParseError::InvalidBase64 { offset: 11, .. })
    ));
    assert!(matches!(
        parse(b"AUTH PLAIN \r\n"),
        Err(CommandParseError::InvalidBase64 { offset: 11, .. })
    ));
    assert!(matches!(
        parse(b"AUTH PL@IN\r\n"),
        Err(CommandParseError::InvalidMechanism { offset: 5, .. })
    ));
    syntax(b"RCPT TO:<a@-bad.example>\r\n", 11);
    match parse(format!("RCPT TO:<{}@example.com>\r\n", "a".repeat(65)).as_bytes()) {
        Err(CommandParseError::InvalidAddress(AddressError::LocalPartTooLong {
            offset,
            length,
        })) => assert_eq!((offset, length), (9, 65)),
        other => panic!("{other:?}"),
    }
    match parse(b"EHLO [300.1.2.3]\r\n") {
        Err(CommandParseError::InvalidAddress(AddressError::InvalidAddressLiteral {
            offset,
            found,
        })) => assert_eq!((offset, found.as_str()), (5, "[300.1.2.3]")),
        other => panic!("{other:?}"),
    }
    assert!(
        parse(b"MAIL FROM: <a@example.com>\r\n")
            .unwrap_err()
            .to_string()
            .contains("no space after the colon")
    );
}

#[test]
fn display_redacts_and_escapes() {
    let auth = Command::Auth {
        mechanism: Mechanism::Plain,
        initial_response: Some(secret(b"\0user\0hunter2")),
    };
    assert_eq!(auth.to_string(), "AUTH PLAIN [redacted]");
    assert!(!format!("{auth:?}").contains("hunter2"));
    assert_eq!(
        Command::AuthResponse(secret(b"hunter2")).to_string(),
        "[redacted]"
    );
    assert_eq!(Command::AuthCancel.to_string(), "*");
    assert_eq!(
        Command::Vrfy("a\r\nb".into()).to_string(),
        "VRFY a\\r\\nb",
        "a transcript line never breaks"
    );
    assert_eq!(
        mail("<a@example.com>", MailParams::default().with_size(5)).to_string(),
        "MAIL FROM:<a@example.com> SIZE=5"
    );
    assert_eq!(Command::StartTls.verb().as_str(), "STARTTLS");
    assert_eq!(Verb::from_keyword(b"starttls"), Some(Verb::StartTls));
    assert_eq!(Verb::from_keyword(b"SASL-RESPONSE"), None);
    assert_eq!(Verb::from_keyword(b"XCLIENT"), None);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        let limits = CommandLimits::default().with_max_line_length(256);
        for result in [parse_command(&input, &limits), parse_auth_response(&input, &limits)] {
            match result {
                Ok(Decoded::Complete { value, consumed }) => {
                    prop_assert!(consumed <= 256 && consumed <= input.len());
                    let mut out = Vec::new();
                    value.write_to(&mut out).unwrap();
                    let _ = value.to_string();
                }
                Ok(Decoded::Incomplete) => prop_assert!(input.len() < 256 || limits.max_sasl_line_length > 256),
                Err(err) => { let _ = err.to_string(); }
            }
        }
    }

    #[test]
    fn command_shaped_noise_never_panics(input in "(EHLO|MAIL FROM:|RCPT TO:|AUTH|BDAT|VRFY|NOOP|mail from:)[ -~<>@\\[\\]:=+é]{0,60}\r\n") {
        if let Ok(Decoded::Complete { value, .. }) = parse(input.as_bytes()) {
            let written = write(&value).unwrap();
            prop_assert_eq!(complete(parse(&written)).0, value);
        }
    }
}
