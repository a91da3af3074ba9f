//! Writing the envelope: EHLO, `MAIL FROM:<a@example.com> SIZE=12345 BODY=8BITMIME` and
//! `RCPT TO:<b@example.org>`, against lettre's `Display` of the same commands. Values are
//! built before the timed loop for both; each writes into a reused buffer.
//!
//! `cargo bench --bench command -- --warm-up-time 1 --measurement-time 3`

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use smtp_sansio::{Body, Command, ForwardPath, Host, MailParams, RcptParams, ReversePath};

fn envelope(c: &mut Criterion) {
    let mut group = c.benchmark_group("command/envelope");

    let ours = [
        Command::Ehlo(Host::parse("client.example.com").unwrap()),
        Command::Mail {
            from: ReversePath::parse("<a@example.com>").unwrap(),
            params: MailParams::default()
                .with_size(12345)
                .with_body(Body::EightBitMime),
        },
        Command::Rcpt {
            to: ForwardPath::parse("<b@example.org>").unwrap(),
            params: RcptParams::default(),
        },
    ];
    let mut out = Vec::with_capacity(256);
    group.bench_function("smtp-sansio", |b| {
        b.iter(|| {
            out.clear();
            for command in black_box(&ours) {
                command.write_to(&mut out).unwrap();
            }
            black_box(out.len())
        })
    });

    use lettre::Address;
    use lettre::transport::smtp::commands::{Ehlo, Mail, Rcpt};
    use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};
    let ehlo = Ehlo::new(ClientId::Domain("client.example.com".into()));
    let mail = Mail::new(
        Some("a@example.com".parse::<Address>().unwrap()),
        vec![
            MailParameter::Size(12345),
            MailParameter::Body(MailBodyParameter::EightBitMime),
        ],
    );
    let rcpt = Rcpt::new("b@example.org".parse::<Address>().unwrap(), vec![]);
    let mut text = String::with_capacity(256);
    group.bench_function("lettre", |b| {
        b.iter(|| {
            text.clear();
            write!(text, "{}", black_box(&ehlo)).unwrap();
            write!(text, "{}", black_box(&mail)).unwrap();
            write!(text, "{}", black_box(&rcpt)).unwrap();
            black_box(text.len())
        })
    });

    // Both write the same bytes.
    let mut ours_bytes = Vec::new();
    for command in &ours {
        command.write_to(&mut ours_bytes).unwrap();
    }
    let theirs = format!("{ehlo}{mail}{rcpt}");
    assert_eq!(String::from_utf8(ours_bytes).unwrap(), theirs);
    group.finish();
}

criterion_group!(benches, envelope);
criterion_main!(benches);
