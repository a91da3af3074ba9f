//! Reply parsing: smtp-sansio against smtp-proto (today's fastest Rust SMTP reply parser) and
//! lettre, measured in the same run. Ids: `reply/<case>/<impl>`.
//!
//! What each implementation does per iteration, from the same wire bytes:
//! - smtp-sansio: frame and parse one reply (wire bytes kept, enhanced code, anomalies,
//!   limits); for EHLO cases also read the capabilities.
//! - smtp-proto: `ResponseReceiver::parse` (or `EhloResponse::parse` for EHLO cases).
//! - lettre: `Response::from_str` (plus `ServerInfo::from_response` for EHLO cases).

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use smtp_sansio::{Capabilities, Decoded, ReplyLimits, parse_reply};

const GREETING: &str = "220 mx.google.com ESMTP d9443c01a7336-2a0dab6b2fesm1234567ad.1 - gsmtp\r\n";
const OK_SINGLE: &str = "250 OK\r\n";
const OK_ENHANCED: &str = "250 2.1.5 Ok\r\n";
const GMAIL_EHLO: &str = "250-smtp.gmail.com at your service, [2a01:e0a:cb5:13f0:293:37ff:fe81:3792]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";
const POSTFIX_EHLO: &str = "250-mail.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n";
const EXIM_EHLO: &str = "250-mail.example.net Hello client.example.org [192.0.2.10]\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-CHUNKING\r\n250-STARTTLS\r\n250-SMTPUTF8\r\n250 HELP\r\n";
const GMAIL_550_MULTILINE: &str = "550-5.7.26 This mail has been blocked because the sender is unauthenticated.\r\n550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\r\n550-5.7.26\r\n550-5.7.26  Authentication results:\r\n550-5.7.26  DKIM = did not pass\r\n550-5.7.26  SPF [example.com] with ip: [192.0.2.1] = did not pass\r\n550-5.7.26\r\n550-5.7.26  For instructions on setting up authentication, go to\r\n550 5.7.26  https://support.google.com/mail/answer/81126#authentication d2e1a72fcca58-7f1a1b2c3d4sm123456b3a.12 - gsmtp\r\n";
const ERR_535: &str = "535 5.7.8 Error: authentication failed: authentication failure\r\n";

const CASES: &[(&str, &str, bool)] = &[
    ("greeting", GREETING, false),
    ("ok_single", OK_SINGLE, false),
    ("ok_enhanced", OK_ENHANCED, false),
    ("gmail_ehlo", GMAIL_EHLO, true),
    ("postfix_ehlo", POSTFIX_EHLO, true),
    ("exim_ehlo", EXIM_EHLO, true),
    ("gmail_550_multiline", GMAIL_550_MULTILINE, false),
    ("err_535", ERR_535, false),
];

fn sansio(wire: &[u8], limits: &ReplyLimits, ehlo: bool) -> usize {
    match parse_reply(wire, limits) {
        Ok(Decoded::Complete { value, consumed }) => {
            if ehlo {
                let caps = Capabilities::from_reply(&value);
                black_box(&caps);
            }
            black_box(&value);
            consumed
        }
        other => panic!("smtp-sansio did not parse: {other:?}"),
    }
}

fn smtp_proto(wire: &[u8], ehlo: bool) -> usize {
    if ehlo {
        let parsed = smtp_proto::EhloResponse::parse(&mut wire.iter()).expect("smtp-proto EHLO");
        black_box(&parsed);
        parsed.capabilities as usize
    } else {
        let parsed = smtp_proto::response::parser::ResponseReceiver::default()
            .parse(&mut wire.iter())
            .expect("smtp-proto reply");
        black_box(&parsed);
        parsed.code as usize
    }
}

fn lettre(wire: &str, ehlo: bool) -> usize {
    let response =
        lettre::transport::smtp::response::Response::from_str(wire).expect("lettre reply");
    if ehlo {
        let info = lettre::transport::smtp::extension::ServerInfo::from_response(&response)
            .expect("lettre EHLO");
        black_box(&info);
    }
    black_box(&response);
    response.message().count()
}

fn reply(c: &mut Criterion) {
    let limits = ReplyLimits::default();
    let mut group = c.benchmark_group("reply");
    for &(case, wire, ehlo) in CASES {
        // Check that every implementation accepts the input before timing it.
        sansio(wire.as_bytes(), &limits, ehlo);
        smtp_proto(wire.as_bytes(), ehlo);
        lettre(wire, ehlo);
        group.bench_function(format!("{case}/smtp-sansio"), |b| {
            b.iter(|| sansio(black_box(wire.as_bytes()), &limits, ehlo))
        });
        group.bench_function(format!("{case}/smtp-proto"), |b| {
            b.iter(|| smtp_proto(black_box(wire.as_bytes()), ehlo))
        });
        group.bench_function(format!("{case}/lettre"), |b| {
            b.iter(|| lettre(black_box(wire), ehlo))
        });
    }
    group.finish();
}

criterion_group!(benches, reply);
criterion_main!(benches);
