//! [`run`] and [`Plan`]: a [`Client`] against a [`Server`] to the end, on a virtual clock.

use std::time::{Duration, Instant};

use super::Server;
use crate::auth::Credentials;
use crate::client::{Client, CloseReason, Envelope, Error, Event, TlsPolicy, UsageError};

/// At most this many delivery rounds; a session that needs more is reported as stalled.
const MAX_ROUNDS: usize = 100_000;

/// Idle turns offered in a row while the reactions change nothing (a reaction may step
/// through several actions the client refuses before one takes); then the session has
/// stalled.
const MAX_IDLE_TURNS: usize = 256;

/// How a driven session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum End {
    /// The client closed the session ([`Event::Closed`] was given, not for an [`Error`]).
    Closed,
    /// The session ended in an [`Error`] (the server broke SMTP, or went silent):
    /// [`Event::Closed`] with [`CloseReason::Failed`].
    Failed,
    /// Neither side could go on and the client had no deadline, or the round budget ran out:
    /// a bug in the client, the server script or the caller's reactions.
    Stalled,
}

/// What happened when a [`Client`] ran against a [`Server`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// Every event the client gave, in order.
    pub events: Vec<Event>,
    /// The error that ended the session, if any.
    pub error: Option<Error>,
    /// Errors the reactions got from the client's methods.
    pub usage_errors: Vec<UsageError>,
    /// How it ended.
    pub end: End,
    /// Virtual time from the start: the sum of the waits for the client's deadlines.
    pub elapsed: Duration,
}

impl Outcome {
    /// The events' names, in order (see [`Event::name`]).
    pub fn event_names(&self) -> Vec<&'static str> {
        self.events.iter().map(Event::name).collect()
    }

    /// How many messages the server took responsibility for ([`Event::MessageFinished`]
    /// with [`MessageStatus::Accepted`](crate::MessageStatus::Accepted)).
    pub fn messages_accepted(&self) -> usize {
        self.events
            .iter()
            .filter(
                |event| matches!(event, Event::MessageFinished(outcome) if outcome.is_accepted()),
            )
            .count()
    }

    /// The finishing events' outcomes, in order.
    pub fn message_outcomes(&self) -> Vec<&crate::MessageOutcome> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::MessageFinished(outcome) => Some(outcome),
                _ => None,
            })
            .collect()
    }
}

/// Runs `client` against `server` until the session ends, starting the virtual clock at
/// `start`.
///
/// Each round moves the client's output to the server, then one piece of the server's
/// output to the client (see [`Server::with_splits`]), then hands each of the client's
/// events to `react` as a [`Turn::Event`], and a [`Turn::Idle`] when nothing is in flight.
/// `react` may give the client commands; its errors are collected in
/// [`Outcome::usage_errors`]. When nothing moves, the clock jumps to the client's next
/// deadline, so a silent server costs no real time. The driver does the TLS part itself:
/// after [`Event::StartTlsReady`] it tells both sides the handshake succeeded, and for
/// [`TlsPolicy::Implicit`] the connection starts "encrypted".
///
/// ```
/// use std::time::Instant;
/// use smtp_sansio::testing::{run, Policy, Server, Turn};
/// use smtp_sansio::{Client, Command, Config, Event, Host, TlsPolicy};
///
/// let mut server = Server::new(Policy::new());
/// let config = Config::new(Host::parse("client.example")?).with_tls(TlsPolicy::None);
/// let mut client = Client::new(config, Instant::now());
/// let mut noops = 0;
/// let outcome = run(&mut client, &mut server, Instant::now(), |client, now, turn| {
///     match turn {
///         Turn::Idle if noops < 3 => {
///             noops += 1;
///             client.send(now, Command::Noop(None))?;
///         }
///         Turn::Idle => {
///             client.quit(now)?;
///         }
///         _ => {}
///     }
///     Ok(())
/// });
/// assert_eq!(outcome.event_names().iter().filter(|name| **name == "Replied").count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run<F>(client: &mut Client, server: &mut Server, start: Instant, mut react: F) -> Outcome
where
    F: FnMut(&mut Client, Instant, Turn<'_>) -> Result<(), UsageError>,
{
    drive(client, server, start, &mut react)
}

/// What the driver hands to the caller's reaction.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Turn<'a> {
    /// The client gave this event.
    Event(&'a Event),
    /// Nothing is in flight: no command awaits a reply, no output is pending, the server has
    /// nothing to say. The client waits for the caller (to send, or to quit).
    Idle,
}

type Hook<'a> = dyn FnMut(&mut Client, Instant, Turn<'_>) -> Result<(), UsageError> + 'a;

fn drive(client: &mut Client, server: &mut Server, start: Instant, hook: &mut Hook<'_>) -> Outcome {
    let mut now = start;
    let mut outcome = Outcome {
        events: Vec::new(),
        error: None,
        usage_errors: Vec::new(),
        end: End::Stalled,
        elapsed: Duration::ZERO,
    };
    if client.config().tls == TlsPolicy::Implicit {
        server.start_tls();
    }
    let mut eof_sent = false;
    let mut idle_turns = 0;
    for _ in 0..MAX_ROUNDS {
        let mut moved = false;
        // 1. The client's bytes to the server.
        let written = client.pending_output().len();
        if written > 0 {
            server.receive(client.pending_output());
            client.consume_output(now, written);
            moved = true;
        }
        // 2. One piece of the server's bytes to the client, or its hang-up.
        if !server.pending_output().is_empty() {
            let n = server.next_delivery_len();
            client.receive(now, &server.pending_output()[..n]);
            server.consume_output(n);
            moved = true;
        } else if server.is_closed() && !eof_sent && !client.is_closed() {
            client.receive_eof(now);
            eof_sent = true;
            moved = true;
        }
        // 3. The client's events.
        while let Some(event) = client.poll_event() {
            moved = true;
            if matches!(event, Event::StartTlsReady { .. }) {
                server.start_tls();
                if let Err(error) = client.tls_established(now) {
                    outcome.usage_errors.push(error);
                }
            }
            if let Err(error) = hook(client, now, Turn::Event(&event)) {
                outcome.usage_errors.push(error);
            }
            if let Event::Closed { reason } = &event {
                if let CloseReason::Failed { error } = reason {
                    outcome.error = Some(error.clone());
                    outcome.end = End::Failed;
                } else {
                    outcome.end = End::Closed;
                }
            }
            outcome.events.push(event);
        }
        if client.is_closed() {
            flush(client, server, now);
            outcome.elapsed = now - start;
            return outcome;
        }
        // 4. The caller's turn when nothing is in flight.
        let idle = !client.wants_read()
            && client.pending_output().is_empty()
            && !client.is_sending_data()
            && server.pending_output().is_empty();
        if idle {
            if let Err(error) = hook(client, now, Turn::Idle) {
                outcome.usage_errors.push(error);
            }
            if !client.pending_output().is_empty() || client.is_closed() {
                moved = true;
            }
        }
        if moved {
            idle_turns = 0;
        } else if idle && idle_turns < MAX_IDLE_TURNS {
            // The reaction may have more to try: give it another turn.
            idle_turns += 1;
            continue;
        }
        // 5. Nothing moved: time passes until the client's next deadline.
        if !moved {
            match client.poll_timeout() {
                Some(deadline) => {
                    now = now.max(deadline);
                    client.handle_timeout(now);
                }
                None => break,
            }
        }
    }
    outcome.elapsed = now - start;
    outcome
}

/// Hands the client's last bytes (a QUIT, say) to the server.
fn flush(client: &mut Client, server: &mut Server, now: Instant) {
    let written = client.pending_output().len();
    if written > 0 {
        server.receive(client.pending_output());
        client.consume_output(now, written);
    }
}

/// A common session as data: authenticate (optionally), send each message in turn, quit.
///
/// ```
/// use std::time::Instant;
/// use smtp_sansio::testing::{Plan, Policy, Server};
/// use smtp_sansio::{Client, Config, Envelope, ForwardPath, Host, Mailbox, ReversePath, TlsPolicy};
///
/// let mut server = Server::new(Policy::new());
/// let config = Config::new(Host::parse("client.example")?).with_tls(TlsPolicy::None);
/// let mut client = Client::new(config, Instant::now());
/// let envelope = Envelope::new(
///     ReversePath::from(Mailbox::parse("alice@example.test")?),
///     [ForwardPath::from(Mailbox::parse("bob@example.test")?)],
/// );
/// let outcome = Plan::new()
///     .send(envelope, b"Subject: hi\r\n\r\n.hello\r\n".to_vec())
///     .run(&mut client, &mut server, Instant::now());
/// assert_eq!(outcome.messages_accepted(), 1);
/// assert_eq!(server.messages()[0].content, b"Subject: hi\r\n\r\n.hello\r\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Plan {
    credentials: Option<Credentials>,
    messages: Vec<(Envelope, Vec<u8>)>,
}

impl Plan {
    /// An empty plan: connect, greet, quit.
    pub fn new() -> Plan {
        Plan::default()
    }

    /// Authenticate first (with the best mechanism both sides have); when AUTH fails, the
    /// plan quits without sending.
    pub fn authenticate(mut self, credentials: Credentials) -> Plan {
        self.credentials = Some(credentials);
        self
    }

    /// Send this message (after any earlier ones, whatever became of them).
    pub fn send(mut self, envelope: Envelope, message: impl Into<Vec<u8>>) -> Plan {
        self.messages.push((envelope, message.into()));
        self
    }

    /// Runs the plan (see [`run`] for how the session is driven).
    pub fn run(&self, client: &mut Client, server: &mut Server, start: Instant) -> Outcome {
        #[derive(PartialEq)]
        enum State {
            Connecting,
            Ready,
            Authenticating,
            Sending(usize),
            Quitting,
        }
        let mut state = State::Connecting;
        drive(client, server, start, &mut |client, now, step| {
            match step {
                Turn::Event(Event::Ready { .. }) if state == State::Connecting => {
                    state = State::Ready;
                }
                Turn::Event(_) => {}
                Turn::Idle => loop {
                    match state {
                        State::Connecting | State::Quitting => return Ok(()),
                        State::Ready => match &self.credentials {
                            Some(credentials) => {
                                state = State::Authenticating;
                                client.authenticate(now, credentials, None)?;
                                return Ok(());
                            }
                            None => state = State::Sending(0),
                        },
                        State::Authenticating if client.authenticated().is_some() => {
                            state = State::Sending(0);
                        }
                        State::Authenticating => {
                            state = State::Quitting;
                            client.quit(now)?;
                            return Ok(());
                        }
                        State::Sending(next) => match self.messages.get(next) {
                            Some((envelope, message)) => {
                                state = State::Sending(next + 1);
                                client.send_mail(now, envelope, message)?;
                                return Ok(());
                            }
                            None => {
                                state = State::Quitting;
                                client.quit(now)?;
                                return Ok(());
                            }
                        },
                    }
                },
            }
            Ok(())
        })
    }
}
