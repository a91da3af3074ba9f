//! A whole pipelined transaction through the engine, against the same codec work alone.
//!
//! `session/pipelined_3rcpt_1KiB/smtp-sansio`: a client whose EHLO reply is already parsed
//! sends MAIL, three RCPT and DATA in one group, gets the five replies, sends a 1 KiB body and
//! gets the final reply, draining every event. The same client runs transaction after
//! transaction, as on a real connection, so this is the steady state (no buffer regrowth).
//! `session/pipelined_3rcpt_1KiB/codec-only`: the same five commands written, the same six
//! replies parsed and the same body encoded, with no state machine around them.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::command::{Command, MailParams, RcptParams};
use smtp_sansio::{Client, Config, DataEncoder, Decoded, ReplyLimits, TlsPolicy, parse_reply};

const REPLIES: &[u8] = b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n";
const FINAL: &[u8] = b"250 2.0.0 Ok: queued as 4BqR1x0Jz9z9sW\r\n";

fn body() -> Vec<u8> {
    let mut body =
        b"From: alice@example.org\r\nTo: bob@example.com\r\nSubject: benchmark\r\n\r\n".to_vec();
    while body.len() < 1024 {
        body.extend_from_slice(
            b"The quick brown fox jumps over the lazy dog, again and again.\r\n",
        );
    }
    body.truncate(1022);
    body.extend_from_slice(b"\r\n");
    body
}

fn ready_client(now: Instant) -> Client {
    let config = Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
    let mut client = Client::new(config, now);
    client.receive(now, b"220 mx.example.com ESMTP Postfix\r\n");
    let n = client.pending_output().len();
    client.consume_output(now, n);
    client.receive(now, b"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n");
    let n = client.pending_output().len();
    client.consume_output(now, n);
    while client.poll_event().is_some() {}
    client
}

struct Envelope {
    from: ReversePath,
    to: Vec<ForwardPath>,
}

fn envelope() -> Envelope {
    Envelope {
        from: ReversePath::from(Mailbox::parse("alice@example.org").unwrap()),
        to: ["bob@example.com", "carol@example.com", "dave@example.com"]
            .iter()
            .map(|t| ForwardPath::from(Mailbox::parse(t).unwrap()))
            .collect(),
    }
}

/// The engine borrows the addresses (it writes them at once), as the codec-only case borrows
/// its prepared commands.
fn transaction(client: &mut Client, now: Instant, envelope: &Envelope, body: &[u8]) -> usize {
    let mut written = 0;
    let mut events = 0;
    client
        .mail(now, &envelope.from, MailParams::default())
        .unwrap();
    for to in &envelope.to {
        client.rcpt(now, to, RcptParams::default()).unwrap();
    }
    client.data(now).unwrap();
    written += client.pending_output().len();
    client.consume_output(now, usize::MAX);
    client.receive(now, REPLIES);
    while client.poll_event().is_some() {
        events += 1;
    }
    client.send_data(now, body).unwrap();
    client.finish_data(now).unwrap();
    written += client.pending_output().len();
    client.consume_output(now, usize::MAX);
    client.receive(now, FINAL);
    while client.poll_event().is_some() {
        events += 1;
    }
    assert_eq!(
        events, 6,
        "MAIL, three RCPT, the 354, and the finishing event"
    );
    written
}

fn codec_only(out: &mut Vec<u8>, commands: &[Command], body: &[u8], limits: &ReplyLimits) -> usize {
    out.clear();
    for command in commands {
        command.write_to(out).unwrap();
    }
    let mut replies = 0;
    for stream in [REPLIES, FINAL] {
        let mut rest = stream;
        while let Ok(Decoded::Complete { value, consumed }) = parse_reply(rest, limits) {
            black_box(&value);
            rest = &rest[consumed..];
            replies += 1;
        }
    }
    assert_eq!(replies, 6);
    let mut encoder = DataEncoder::new();
    encoder.encode(body, out);
    encoder.finish(out);
    out.len()
}

fn session(c: &mut Criterion) {
    let body = body();
    let sample = envelope();
    let now = Instant::now();
    let mut group = c.benchmark_group("session");
    let mut client = ready_client(now);
    group.bench_function("pipelined_3rcpt_1KiB/smtp-sansio", |b| {
        b.iter(|| transaction(&mut client, now, black_box(&sample), black_box(&body)))
    });
    let mut commands = vec![Command::Mail {
        from: sample.from.clone(),
        params: MailParams::default(),
    }];
    for to in &sample.to {
        commands.push(Command::Rcpt {
            to: to.clone(),
            params: RcptParams::default(),
        });
    }
    commands.push(Command::Data);
    let limits = ReplyLimits::default();
    let mut out = Vec::with_capacity(4096);
    group.bench_function("pipelined_3rcpt_1KiB/codec-only", |b| {
        b.iter(|| codec_only(&mut out, black_box(&commands), black_box(&body), &limits))
    });
    group.finish();
}

criterion_group!(benches, session);
criterion_main!(benches);
