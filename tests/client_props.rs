//! Property tests of the whole client:
//! 1. feeding a server's byte stream in any split gives the same events and output;
//! 2. a client driven by a random but legal server (every command answered with a reply the
//!    RFC allows for it, sometimes multi-line, sometimes a 421, sometimes an EOF or silence)
//!    never panics, never grows past its limits, and always ends in a defined state.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use smtp_sansio::address::{ForwardPath, Host, Mailbox, ReversePath};
use smtp_sansio::command::{Command, CommandLimits, RcptParams};
use smtp_sansio::{
    Client, Config, DataDecoder, Decoded, Envelope, Event, Pipelining, TlsPolicy, parse_command,
};

fn config(pipelining: bool) -> Config {
    Config::new(Host::parse("client.example.org").unwrap())
        .with_tls(TlsPolicy::None)
        .with_pipelining(if pipelining {
            Pipelining::Auto
        } else {
            Pipelining::Off
        })
}

fn envelope(n: usize) -> Envelope {
    let from = ReversePath::from(Mailbox::parse("alice@example.org").unwrap());
    let to =
        (0..n).map(|i| ForwardPath::from(Mailbox::parse(&format!("r{i}@example.com")).unwrap()));
    Envelope::new(from, to)
}

/// What a run produced: event names with their handles and reply codes, and all output.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<String>,
    output: Vec<u8>,
    error: Option<String>,
}

fn describe(event: &Event) -> String {
    format!(
        "{}{}{}",
        event.name(),
        event.handle().map(|h| format!(" {h}")).unwrap_or_default(),
        event
            .reply()
            .map(|r| format!(" {}", r.code()))
            .unwrap_or_default()
    )
}

/// Feeds round 1 (greeting, EHLO reply), queues a message and QUIT on `Ready`, then feeds
/// round 2 (the transaction's replies), each round cut at `cuts`.
fn run_rounds(round1: &[u8], round2: &[u8], recipients: usize, cuts: &[usize]) -> Outcome {
    let now = Instant::now();
    let mut client = Client::new(config(true), now);
    let mut outcome = Outcome {
        events: Vec::new(),
        output: Vec::new(),
        error: None,
    };
    let feed = |client: &mut Client, bytes: &[u8], outcome: &mut Outcome| {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(bytes.len());
        points.sort_unstable();
        let mut start = 0;
        for point in points {
            client.receive(now, &bytes[start..point]);
            start = point;
            loop {
                match client.poll_event() {
                    Ok(Some(event)) => {
                        if matches!(event, Event::Ready { .. }) {
                            client
                                .send_mail(
                                    now,
                                    &envelope(recipients),
                                    b"Subject: x\r\n\r\n.hello\r\n",
                                )
                                .unwrap();
                            client.quit(now).unwrap();
                        }
                        outcome.events.push(describe(&event));
                    }
                    Ok(None) => break,
                    Err(error) => {
                        outcome.error = Some(error.to_string());
                        break;
                    }
                }
            }
            let n = client.pending_output().len();
            outcome.output.extend_from_slice(client.pending_output());
            client.consume_output(now, n);
        }
    };
    feed(&mut client, round1, &mut outcome);
    feed(&mut client, round2, &mut outcome);
    outcome
}

fn rcpt_reply() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("250 2.1.5 Ok\r\n"),
        Just("550 5.1.1 <x>: User unknown\r\n"),
        Just("452 4.2.2 Mailbox full\r\n"),
        Just("250-2.1.5 Ok\r\n250 2.1.5 still ok\r\n"),
    ]
}

proptest! {
    #[test]
    fn any_split_gives_the_same_events_and_output(
        rcpts in proptest::collection::vec(rcpt_reply(), 1..4),
        data_accepted in any::<bool>(),
        bare_lf in any::<bool>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let mut round1 = b"220-mx.example.com ESMTP\r\n220 second banner line\r\n250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 100000\r\n250 8BITMIME\r\n".to_vec();
        let mut round2 = b"250 2.1.0 Ok\r\n".to_vec();
        for reply in &rcpts {
            round2.extend_from_slice(reply.as_bytes());
        }
        let any_accepted = rcpts.iter().any(|r| r.starts_with("250"));
        if data_accepted {
            round2.extend_from_slice(b"354 go ahead\r\n");
            round2.extend_from_slice(if any_accepted { b"250 2.0.0 queued\r\n" } else { b"554 5.5.1 no valid recipients\r\n" });
            if !any_accepted {
                round2.extend_from_slice(b"250 2.0.0 reset\r\n");
            }
        } else {
            round2.extend_from_slice(b"554 5.5.1 Error: no valid recipients\r\n");
            round2.extend_from_slice(b"250 2.0.0 reset\r\n");
        }
        round2.extend_from_slice(b"221 2.0.0 Bye\r\n");
        if bare_lf {
            round1 = String::from_utf8(round1).unwrap().replace("\r\n", "\n").into_bytes();
        }
        let whole = run_rounds(&round1, &round2, rcpts.len(), &[]);
        let split = run_rounds(&round1, &round2, rcpts.len(), &cuts);
        prop_assert_eq!(&split, &whole);
        let byte_by_byte = run_rounds(&round1, &round2, rcpts.len(), &(0..round1.len().max(round2.len())).collect::<Vec<_>>());
        prop_assert_eq!(&byte_by_byte, &whole);
        prop_assert!(whole.error.is_none(), "{:?}", whole);
        prop_assert_eq!(whole.events.last().map(String::as_str), Some("Closed 221"));
    }
}

// ---- a random but legal server ------------------------------------------------------------

/// How the scripted server answers. Every answer is legal SMTP for the command it answers.
#[derive(Debug, Clone)]
struct ServerScript {
    pipelining: bool,
    chunking: bool,
    /// Choices consumed one per reply; each picks among the legal replies for the command.
    choices: Vec<u8>,
    /// Output splits.
    cuts: Vec<usize>,
    /// Caller actions, consumed whenever the client is idle.
    actions: Vec<u8>,
}

struct Server {
    script: ServerScript,
    next: usize,
    input: Vec<u8>,
    data: Option<DataDecoder>,
    rcpts_ok: usize,
    closed: bool,
}

impl Server {
    fn choice(&mut self, n: u8) -> u8 {
        let c = self.script.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        c % n
    }

    fn greeting(&mut self) -> Vec<u8> {
        match self.choice(12) {
            0 => b"554 5.7.1 no service\r\n".to_vec(),
            1 => b"421 4.3.2 busy, try later\r\n".to_vec(),
            2 => b"220-mx.example.com ESMTP\r\n220 multi-line banner\r\n".to_vec(),
            _ => b"220 mx.example.com ESMTP\r\n".to_vec(),
        }
    }

    /// Reads what the client wrote and answers every complete command.
    fn answer(&mut self, client_output: &[u8]) -> Vec<u8> {
        self.input.extend_from_slice(client_output);
        let mut out = Vec::new();
        loop {
            if self.closed {
                return out;
            }
            if let Some(decoder) = &mut self.data {
                let mut sink = Vec::new();
                let progress = decoder.decode(&self.input, &mut sink);
                self.input.drain(..progress.consumed);
                if !progress.end {
                    return out;
                }
                self.data = None;
                let reply: &[u8] = if self.rcpts_ok == 0 {
                    b"554 5.5.1 no valid recipients\r\n"
                } else {
                    match self.choice(5) {
                        0 => b"552 5.3.4 too big\r\n",
                        1 => b"451 4.3.0 local error\r\n",
                        _ => b"250 2.0.0 queued as ABC\r\n",
                    }
                };
                out.extend_from_slice(reply);
                self.rcpts_ok = 0;
                continue;
            }
            let limits = CommandLimits::default();
            let command = match parse_command(&self.input, &limits) {
                Ok(Decoded::Complete { value, consumed }) => {
                    self.input.drain(..consumed);
                    value
                }
                Ok(Decoded::Incomplete) => return out,
                Err(error) => panic!(
                    "the client wrote something that is not a command: {error:?} in {:?}",
                    String::from_utf8_lossy(&self.input)
                ),
            };
            if self.choice(40) == 0 {
                out.extend_from_slice(b"421 4.4.2 timeout exceeded\r\n");
                self.closed = true;
                return out;
            }
            let reply: Vec<u8> = match command {
                Command::Ehlo(_) | Command::Lhlo(_) => match self.choice(10) {
                    0 => b"502 5.5.2 not recognized\r\n".to_vec(),
                    1 => b"550 5.7.1 go away\r\n".to_vec(),
                    _ => {
                        let mut r =
                            b"250-mx.example.com\r\n250-SIZE 100000\r\n250-8BITMIME\r\n".to_vec();
                        if self.script.pipelining {
                            r.extend_from_slice(b"250-PIPELINING\r\n");
                        }
                        if self.script.chunking {
                            r.extend_from_slice(b"250-CHUNKING\r\n");
                        }
                        r.extend_from_slice(b"250 HELP\r\n");
                        r
                    }
                },
                Command::Helo(_) => b"250 mx.example.com\r\n".to_vec(),
                Command::Mail { .. } => match self.choice(6) {
                    0 => b"451 4.7.1 greylisted\r\n".to_vec(),
                    1 => b"550 5.7.1 sender rejected\r\n".to_vec(),
                    _ => b"250 2.1.0 Ok\r\n".to_vec(),
                },
                Command::Rcpt { .. } => match self.choice(4) {
                    0 => b"550 5.1.1 no such user\r\n".to_vec(),
                    1 => b"452 4.5.3 too many recipients\r\n".to_vec(),
                    _ => {
                        self.rcpts_ok += 1;
                        b"250 2.1.5 Ok\r\n".to_vec()
                    }
                },
                Command::Data => match self.choice(5) {
                    0 => {
                        self.rcpts_ok = 0;
                        b"554 5.5.1 no valid recipients\r\n".to_vec()
                    }
                    _ => {
                        self.data = Some(DataDecoder::new());
                        b"354 go ahead\r\n".to_vec()
                    }
                },
                Command::Bdat { size, last } => {
                    let size = usize::try_from(size).unwrap();
                    if self.input.len() < size {
                        // Put the command back and wait for the chunk.
                        let mut again =
                            format!("BDAT {size}{}\r\n", if last { " LAST" } else { "" })
                                .into_bytes();
                        again.extend_from_slice(&self.input);
                        self.input = again;
                        self.next -= 1;
                        return out;
                    }
                    self.input.drain(..size);
                    if last {
                        self.rcpts_ok = 0;
                        b"250 2.0.0 message accepted\r\n".to_vec()
                    } else {
                        b"250 2.0.0 chunk accepted\r\n".to_vec()
                    }
                }
                Command::Rset => {
                    self.rcpts_ok = 0;
                    b"250 2.0.0 Ok\r\n".to_vec()
                }
                Command::Noop(_) | Command::Vrfy(_) | Command::Help(_) | Command::Expn(_) => {
                    match self.choice(3) {
                        0 => b"502 5.5.1 not implemented\r\n".to_vec(),
                        _ => b"250 2.0.0 Ok\r\n".to_vec(),
                    }
                }
                Command::Quit => {
                    self.closed = true;
                    b"221 2.0.0 Bye\r\n".to_vec()
                }
                other => panic!("the client sent {other:?} to a server that never offered it"),
            };
            out.extend_from_slice(&reply);
        }
    }
}

/// Runs one session; returns whether it ended closed or failed within the step budget.
fn simulate(script: ServerScript) -> Result<(), TestCaseError> {
    let mut now = Instant::now();
    let mut client = Client::new(config(script.pipelining), now);
    let mut server = Server {
        script: script.clone(),
        next: 0,
        input: Vec::new(),
        data: None,
        rcpts_ok: 0,
        closed: false,
    };
    let mut to_client = server.greeting();
    let mut actions = script.actions.iter().copied();
    let mut cut = script.cuts.iter().copied().cycle();
    let mut quit_sent = false;
    for _step in 0..400 {
        // Deliver the server's bytes in two pieces.
        if !to_client.is_empty() {
            let at = cut.next().unwrap_or(0) % (to_client.len() + 1);
            client.receive(now, &to_client[..at]);
            client.receive(now, &to_client[at..]);
            to_client.clear();
        } else if server.closed {
            client.receive_eof(now);
        } else if client.wants_read() && client.pending_output().is_empty() {
            // Silence: let time run out.
            if let Some(deadline) = client.poll_timeout() {
                now = deadline;
                client.handle_timeout(now);
            }
        }
        let mut idle = true;
        loop {
            match client.poll_event() {
                Ok(Some(Event::DataReady { .. })) => {
                    client
                        .send_data(now, b"line one\r\n.dot line\nbare lf\r")
                        .unwrap();
                    client.finish_data(now).unwrap();
                    idle = false;
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => break,
            }
        }
        if client.is_closed() {
            prop_assert_eq!(client.poll_timeout(), None);
            return Ok(());
        }
        // The caller acts when the session is idle.
        if idle
            && !client.wants_read()
            && client.pending_output().is_empty()
            && !client.is_sending_data()
        {
            match actions.next() {
                Some(a) if a % 5 == 0 => {
                    let _ = client.send_mail(
                        now,
                        &envelope(1 + usize::from(a % 3)),
                        b"Subject: s\r\n\r\nbody\r\n",
                    );
                }
                Some(a) if a % 5 == 1 => {
                    let _ = client.send(now, Command::Noop(None));
                }
                Some(a) if a % 5 == 2 => {
                    let from = ReversePath::from(Mailbox::parse("a@example.org").unwrap());
                    let _ = client.mail(now, &from, Default::default());
                    let _ = client.rcpt(now, &ForwardPath::Postmaster, RcptParams::default());
                    if script.chunking && a % 2 == 0 {
                        let _ = client.bdat(now, b"chunk one\n", false);
                        let _ = client.bdat(now, b"chunk two\n", true);
                    } else {
                        let _ = client.data(now);
                    }
                }
                Some(_) => {
                    let _ = client.send(now, Command::Rset);
                }
                None if !quit_sent => {
                    quit_sent = true;
                    let _ = client.quit(now);
                }
                None => {}
            }
        }
        // Memory stays bounded: output is drained every step and is never large.
        prop_assert!(client.pending_output().len() < 64 * 1024);
        let written = client.pending_output().to_vec();
        client.consume_output(now, written.len());
        if !server.closed {
            to_client = server.answer(&written);
        }
        now += Duration::from_millis(1);
    }
    prop_assert!(false, "the session did not end within the step budget");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn random_legal_servers_never_break_the_client(
        pipelining in any::<bool>(),
        chunking in any::<bool>(),
        choices in proptest::collection::vec(any::<u8>(), 0..64),
        cuts in proptest::collection::vec(any::<usize>(), 1..8),
        actions in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        simulate(ServerScript { pipelining, chunking, choices, cuts, actions })?;
    }
}
