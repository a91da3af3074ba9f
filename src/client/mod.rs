//! [`Client`]: a whole SMTP (or LMTP) client session as a pure state machine.
//!
//! The client does no IO and reads no clock. The caller owns the socket and the time:
//!
//! 1. **inputs**: [`Client::receive`] bytes read from the socket, [`Client::receive_eof`]
//!    when it closes, [`Client::handle_timeout`] when the deadline of
//!    [`Client::poll_timeout`] passes, [`Client::tls_established`] after a TLS handshake;
//! 2. **commands**: [`Client::send_mail`] queues a whole message (any number, up to
//!    [`Config::max_queued_messages`]), [`Client::quit`] ends the session once they are done;
//!    for step-by-step control [`Client::send`] any command, or the helpers
//!    ([`Client::mail`], [`Client::rcpt`], [`Client::data`], [`Client::authenticate`],
//!    [`Client::starttls`], ...): each returns a handle at once or a [`UsageError`] (state
//!    unchanged);
//! 3. **outputs**, after every input or command, in this order: write
//!    [`Client::pending_output`] to the socket and report what was written with
//!    [`Client::consume_output`] (before feeding any more bytes from the server: a reply can
//!    only answer what was written); drain [`Client::poll_event`] (events name the handle of
//!    the command they answer); read [`Client::poll_timeout`] last and wait for readable
//!    bytes or that deadline.
//!
//! Every method that changes state takes `now`. Server replies that refuse something are
//! [`Event::Rejected`] with a [`Diagnosis`]; every message ends with one
//! [`Event::MessageFinished`]; every session ends with one [`Event::Closed`], whose
//! [`CloseReason`] says why (a clean QUIT, a `421`, a hang-up, or an [`Error`]: the peer broke
//! the protocol or went silent). [`Client::is_closed`] turns true only once that last event
//! has been taken, so `while !client.is_closed()` loses nothing.
//!
//! All the state transitions on replies, EOF and timeouts are in one place in the source,
//! as are the pipelining rules and the deadlines.

mod config;
mod error;
mod event;
mod outcome;
mod pipeline;
mod state;
mod timer;
mod transaction;

use std::collections::VecDeque;
use std::time::Instant;

pub use config::{Config, Handshake, Pipelining, Timeouts, TlsPolicy};
pub use error::{Error, UsageError};
pub use event::{CloseReason, CommandHandle, Event, Rejection};
pub use outcome::{MessageOutcome, MessageStatus, RecipientStatus};

use crate::address::{ForwardPath, ReversePath};
use crate::auth::{
    Credentials, Mechanism, SaslClient, SaslError, SaslOptions, choose_mechanism,
    supported_mechanisms,
};
use crate::capabilities::{Capabilities, Keyword};
use crate::command::{
    Body, Command, CommandError, MailParams, RcptParams, Verb, write_mail, write_rcpt,
};
use crate::data::{DataEncoder, Normalizer};
use crate::diagnosis::Diagnosis;
use crate::reply::ReplyDecoder;

use pipeline::{Expect, Origin, Outstanding, Pipeline, Waiting};
use timer::{Timer, TimerTable};
use transaction::{Method, Prepared, Queued, Transaction};

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the greeting.
    Connecting,
    /// Greeted (or TLS just established); no EHLO/HELO answered yet.
    Greeted,
    /// EHLO/HELO answered: commands may be sent.
    Ready,
    /// The server said `220` to STARTTLS: no plaintext may be read until the handshake.
    TlsHandshake,
    /// The server said `354`: the caller is sending the message.
    SendingData,
    /// QUIT given (by the caller or the engine): no more commands.
    Closing,
    /// Over: the last event is queued.
    Closed,
}

/// An AUTH exchange in progress.
struct SaslExchange {
    handle: CommandHandle,
    mechanism: Mechanism,
    client: SaslClient,
    /// Started by the engine from [`Config::credentials`].
    origin: Origin,
    /// The client gave up (sent `*`) for this reason; the next reply ends the exchange.
    cancelled: Option<SaslError>,
}

impl std::fmt::Debug for SaslExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslExchange")
            .field("handle", &self.handle)
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

/// The dots the DATA encoder added: one at the start of every line that begins with `.`,
/// except the final `.` line.
fn stuffing_dots(encoded: &[u8]) -> usize {
    let body = &encoded[..encoded.len().saturating_sub(3)];
    let first = usize::from(body.starts_with(b".."));
    first + memchr::memmem::find_iter(body, b"\r\n..").count()
}

/// The handles of a message queued with [`Client::send_mail`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHandles {
    /// MAIL FROM; it also names the message in [`Event::MessageFinished`]
    /// ([`MessageOutcome::mail`]).
    pub mail: CommandHandle,
    /// One RCPT TO per recipient, in the envelope's order.
    pub recipients: Vec<CommandHandle>,
    /// DATA.
    pub data: CommandHandle,
}

/// The sender and recipients of one message, for [`Client::send_mail`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// The reverse path (`MAIL FROM`); `<>` for bounces.
    pub from: ReversePath,
    /// The recipients, each with its own RCPT parameters.
    pub to: Vec<(ForwardPath, RcptParams)>,
    /// Extra MAIL parameters (DSN's RET and ENVID, REQUIRETLS, ...). SIZE, BODY and SMTPUTF8
    /// are set by the engine from the message and the addresses.
    pub mail_params: MailParams,
}

impl Envelope {
    /// An envelope with default parameters.
    pub fn new(from: ReversePath, to: impl IntoIterator<Item = ForwardPath>) -> Envelope {
        Envelope {
            from,
            to: to.into_iter().map(|t| (t, RcptParams::default())).collect(),
            mail_params: MailParams::default(),
        }
    }

    /// An envelope from addresses as text, with or without angle brackets (`a@b` or
    /// `<a@b>`; an empty sender `<>` or `""` is the null reverse path of bounces).
    ///
    /// ```
    /// use smtp_sansio::Envelope;
    /// let envelope = Envelope::parse("alice@example.org", ["bob@example.com", "<carol@example.net>"])?;
    /// assert_eq!(envelope.to.len(), 2);
    /// assert!(Envelope::parse("alice@example.org", ["not an address"]).is_err());
    /// # Ok::<(), smtp_sansio::EnvelopeError>(())
    /// ```
    pub fn parse<I, S>(from: &str, to: I) -> Result<Envelope, crate::address::EnvelopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        use crate::address::EnvelopeError;
        let sender = ReversePath::parse(from).map_err(|error| EnvelopeError {
            address: from.to_owned(),
            error,
        })?;
        let mut recipients = Vec::new();
        for to in to {
            let to = to.as_ref();
            let path = ForwardPath::parse(to).map_err(|error| EnvelopeError {
                address: to.to_owned(),
                error,
            })?;
            recipients.push(path);
        }
        Ok(Envelope::new(sender, recipients))
    }
}

/// A whole SMTP or LMTP client session, without IO. See the [module docs](self).
#[derive(Debug)]
pub struct Client {
    config: Config,
    next_handle: u64,
    phase: Phase,
    // Input.
    input: Vec<u8>,
    input_start: usize,
    decoder: ReplyDecoder,
    // Output.
    output: Vec<u8>,
    output_start: usize,
    /// Octets the caller reported written since the start (the stream offset of
    /// `output[output_start]`).
    written: u64,
    // Commands.
    pipeline: Pipeline,
    events: VecDeque<Event>,
    error: Option<Error>,
    // Session facts.
    capabilities: Option<Capabilities>,
    tls_active: bool,
    /// STARTTLS was offered before TLS (so "no AUTH" likely means "STARTTLS first").
    starttls_was_offered: bool,
    authenticated: Option<Mechanism>,
    sasl: Option<SaslExchange>,
    /// Mail may start: automatic mode emitted `Ready`, or manual mode has an answered EHLO.
    ready: bool,
    transaction: Option<Transaction>,
    next_txn: u64,
    /// Messages handed to `send_mail` that wait for the open transaction to finish.
    queue: VecDeque<Queued>,
    /// QUIT was asked for while queued messages were still to be sent.
    quit_requested: Option<CommandHandle>,
    encoder: DataEncoder,
    /// The last negative reply's diagnosis (for EOF right after a rejection).
    last_rejection: Option<Box<Diagnosis>>,
    /// Why the engine is ending the session, once it has decided to.
    abort: Option<Box<Diagnosis>>,
    // Time.
    timers: TimerTable,
}

impl Client {
    /// Starts a session on a connection the caller just opened (and, for
    /// [`TlsPolicy::Implicit`], already encrypted). Arms the greeting timer.
    pub fn new(config: Config, now: Instant) -> Client {
        let mut timers = TimerTable::default();
        timers.arm(Timer::Reply, now, config.timeouts.greeting);
        let mut pipeline = Pipeline::default();
        let mut greeting = Outstanding::new(
            CommandHandle(0),
            Verb::Quit,
            Expect::Greeting,
            Origin::Engine,
            None,
        );
        greeting.end = 0;
        pipeline.in_flight.push_back(greeting);
        Client {
            decoder: ReplyDecoder::new(config.reply_limits),
            tls_active: config.tls == TlsPolicy::Implicit,
            config,
            next_handle: 1,
            phase: Phase::Connecting,
            // Room for a typical reply and command group, so short sessions do not regrow them.
            input: Vec::with_capacity(512),
            input_start: 0,
            output: Vec::with_capacity(512),
            output_start: 0,
            written: 0,
            pipeline,
            events: VecDeque::with_capacity(8),
            error: None,
            capabilities: None,
            starttls_was_offered: false,
            authenticated: None,
            sasl: None,
            ready: false,
            transaction: None,
            next_txn: 0,
            queue: VecDeque::new(),
            quit_requested: None,
            encoder: DataEncoder::new(),
            last_rejection: None,
            abort: None,
            timers,
        }
    }

    // ---- (A) getters -------------------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the last successful EHLO/LHLO advertised (`None` before it, after HELO, and
    /// between STARTTLS and the next EHLO).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// Whether the session is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls_active
    }

    /// The mechanism AUTH succeeded with, if it did.
    pub fn authenticated(&self) -> Option<&Mechanism> {
        self.authenticated.as_ref()
    }

    /// Whether the session is over **and** its last event ([`Event::Closed`]) has been taken
    /// with [`Client::poll_event`]: close the socket. Until then keep draining events.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed && self.events.is_empty()
    }

    /// Whether the session has ended (its last event may still be waiting to be taken).
    pub fn has_ended(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The error that ended the session, if it failed.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Whether the engine waits for bytes from the server: a written command awaits its
    /// reply (or the greeting is due). When this is false, nothing is pending and no output
    /// waits, the engine waits for the caller: send something, or [`Client::quit`].
    pub fn wants_read(&self) -> bool {
        !self.has_ended()
            && self.phase != Phase::TlsHandshake
            && self
                .pipeline
                .in_flight
                .front()
                .is_some_and(|c| c.end <= self.written)
    }

    /// Whether the caller may send message data now ([`Event::DataReady`] came).
    pub fn is_sending_data(&self) -> bool {
        self.phase == Phase::SendingData
    }

    /// Messages handed to [`Client::send_mail`] and not yet finished (the one being sent
    /// included).
    pub fn queued_messages(&self) -> usize {
        self.queue.len() + usize::from(self.transaction.as_ref().is_some_and(|t| t.engine_driven))
    }

    // ---- (B) inputs --------------------------------------------------------------------

    /// Feeds bytes read from the socket (plaintext, or decrypted by the caller's TLS).
    /// Never fails: problems come out of [`Client::poll_event`].
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        if self.has_ended() || bytes.is_empty() {
            return;
        }
        if self.phase == Phase::TlsHandshake {
            let injected = self.input.len() - self.input_start + bytes.len();
            self.fail_injection(now, injected, bytes);
            return;
        }
        if self.input_start == self.input.len() {
            // Nothing buffered: the replies are read straight from `bytes`, and only an
            // unfinished one is kept for the next call.
            self.input.clear();
            self.input_start = 0;
            let used = self.process_replies(now, bytes);
            if used < bytes.len() && !self.has_ended() {
                self.input.extend_from_slice(&bytes[used..]);
            }
            return;
        }
        self.input.extend_from_slice(bytes);
        // Taken out while the replies are handled (nothing there reads the buffer), so they
        // can borrow it; put back after.
        let input = std::mem::take(&mut self.input);
        let used = self.process_replies(now, &input[self.input_start..]);
        self.input = input;
        self.input_start += used;
        if self.has_ended() || self.input_start == self.input.len() {
            self.input.clear();
            self.input_start = 0;
        } else if self.input_start > 4096 {
            // Only bytes already consumed are dropped, so the decoder's progress stays valid.
            self.input.drain(..self.input_start);
            self.input_start = 0;
        }
    }

    /// Tells the engine the server closed the connection (a read returned 0).
    pub fn receive_eof(&mut self, now: Instant) {
        if self.has_ended() {
            return;
        }
        self.on_eof(now);
    }

    /// Tells the engine that `now` is at or past [`Client::poll_timeout`]. Calls before the
    /// deadline do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.has_ended() {
            return;
        }
        if let Some(timer) = self.timers.expired(now) {
            self.on_timeout(now, timer);
        }
    }

    /// Tells the engine the connection failed under it (a socket error, a reset): the
    /// session ends with [`Error::ConnectionLost`] carrying `diagnosis` (build it with
    /// [`classify_transport_error`](crate::classify_transport_error)).
    pub fn connection_lost(&mut self, now: Instant, diagnosis: Diagnosis) {
        if self.has_ended() {
            return;
        }
        let stage = self.current_stage();
        self.fail(
            now,
            Error::ConnectionLost {
                stage,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    /// Tells the engine the TLS handshake after [`Event::StartTlsReady`] failed: the session
    /// ends with [`Error::ConnectionLost`] carrying `diagnosis` (build it with
    /// [`classify_tls_error`](crate::classify_tls_error)).
    pub fn tls_failed(&mut self, now: Instant, diagnosis: Diagnosis) {
        if self.phase != Phase::TlsHandshake {
            self.connection_lost(now, diagnosis);
            return;
        }
        self.fail(
            now,
            Error::ConnectionLost {
                stage: crate::stage::Stage::StartTls,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    /// Tells the engine the TLS handshake after [`Event::StartTlsReady`] succeeded. The
    /// engine forgets everything the server said before (RFC 3207 s4.2) and, in automatic
    /// mode, sends EHLO again.
    pub fn tls_established(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open()?;
        if self.phase != Phase::TlsHandshake {
            return Err(UsageError::NotNow {
                verb: Verb::StartTls,
                reason: "no STARTTLS go-ahead is waiting for a handshake",
            });
        }
        self.tls_active = true;
        self.capabilities = None;
        self.authenticated = None;
        self.phase = Phase::Greeted;
        if self.config.handshake == Handshake::Automatic {
            self.queue_hello(now, self.hello_verb(), Origin::Engine)?;
        }
        Ok(())
    }

    // ---- (C) commands ------------------------------------------------------------------

    /// Sends any command, checked against the session's state and the server's
    /// capabilities. Use [`Client::authenticate`] for AUTH (it runs the SASL exchange) and
    /// [`Client::data`] / [`Client::bdat`] for message data.
    pub fn send(&mut self, now: Instant, command: Command) -> Result<CommandHandle, UsageError> {
        self.check_open()?;
        match command {
            Command::Ehlo(_) | Command::Helo(_) | Command::Lhlo(_) => {
                self.check_hello_allowed(command.verb())?;
                self.queue(now, command, Expect::Hello, Origin::Caller, None)
            }
            Command::StartTls => self.starttls(now),
            Command::Mail { from, params } => self.mail(now, &from, params),
            Command::Rcpt { to, params } => self.rcpt(now, &to, params),
            Command::Data => self.data(now),
            Command::Rset => self.rset(now),
            Command::Quit => self.quit(now),
            Command::Vrfy(_) | Command::Expn(_) | Command::Help(_) | Command::Noop(_) => {
                let verb = command.verb();
                if verb != Verb::Noop && verb != Verb::Help {
                    self.check_policy(verb)?;
                }
                self.check_ready(verb)?;
                self.queue(now, command, Expect::Query, Origin::Caller, None)
            }
            Command::Bdat { .. } => Err(UsageError::NotNow {
                verb: Verb::Bdat,
                reason: "use Client::bdat, which sends the chunk with its command",
            }),
            Command::Auth { .. } | Command::AuthResponse(_) | Command::AuthCancel => {
                Err(UsageError::NotNow {
                    verb: Verb::Auth,
                    reason: "use Client::authenticate, which runs the SASL exchange",
                })
            }
        }
    }

    /// Sends EHLO (or LHLO in LMTP mode) with the configured client name. Only needed in
    /// [`Handshake::Manual`] mode.
    pub fn ehlo(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_open()?;
        let verb = self.hello_verb();
        self.check_hello_allowed(verb)?;
        self.queue_hello(now, verb, Origin::Caller)
    }

    /// Sends HELO (no extensions; RFC 5321 s4.1.1.1). Only needed in manual mode, e.g. after
    /// EHLO was refused.
    pub fn helo(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_open()?;
        self.check_hello_allowed(Verb::Helo)?;
        self.queue_hello(now, Verb::Helo, Origin::Caller)
    }

    /// Sends STARTTLS (RFC 3207). On [`Event::StartTlsReady`] the caller runs the handshake
    /// and calls [`Client::tls_established`].
    pub fn starttls(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::StartTls)?;
        if self.tls_active {
            return Err(UsageError::NotNow {
                verb: Verb::StartTls,
                reason: "the session is already encrypted",
            });
        }
        if !self.has(Keyword::StartTls) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::StartTls,
            });
        }
        if self.transaction.is_some() || !self.queue.is_empty() {
            return Err(UsageError::NotNow {
                verb: Verb::StartTls,
                reason: "a mail transaction is open",
            });
        }
        self.queue(
            now,
            Command::StartTls,
            Expect::StartTls,
            Origin::Caller,
            None,
        )
    }

    /// Authenticates (RFC 4954) with `mechanism`, or the best one both sides support, using
    /// [`Config::sasl_options`]. With [`Config::credentials`] the engine does this by itself.
    ///
    /// Refused before anything is sent when AUTH is not offered, no mechanism is common, or
    /// TLS is not active (unless [`Config::dangerous_allow_plaintext_auth`]): without TLS
    /// even CRAM-MD5 and SCRAM hand an eavesdropper something to attack offline. The
    /// automatic choice skips SCRAM when no client nonce is configured. The SASL exchange
    /// runs inside the engine; challenges and answers never leave it. Ends with
    /// [`Event::Authenticated`] or [`Event::Rejected`].
    pub fn authenticate(
        &mut self,
        now: Instant,
        credentials: &Credentials,
        mechanism: Option<Mechanism>,
    ) -> Result<CommandHandle, UsageError> {
        let options = self.config.sasl_options.clone();
        self.authenticate_with(now, credentials, mechanism, options)
    }

    /// [`Client::authenticate`] with SASL options: an authorization identity, or the client
    /// nonce SCRAM needs (the engine has no randomness of its own).
    pub fn authenticate_with(
        &mut self,
        now: Instant,
        credentials: &Credentials,
        mechanism: Option<Mechanism>,
        options: SaslOptions,
    ) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Auth)?;
        self.check_policy(Verb::Auth)?;
        self.start_auth(now, credentials, mechanism, options, Origin::Caller)
    }

    /// Starts a transaction: MAIL FROM (RFC 5321 s4.1.1.2).
    ///
    /// Adds `SMTPUTF8` when the reverse path needs it (RFC 6531); refuses a declared SIZE over
    /// the server's limit before sending (RFC 1870), and parameters whose extension the
    /// server did not advertise. A SIZE the server did not ask for is dropped (RFC 1870 s6).
    /// The transaction ends with [`Event::MessageFinished`].
    pub fn mail(
        &mut self,
        now: Instant,
        from: &ReversePath,
        mut params: MailParams,
    ) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Mail)?;
        self.check_policy(Verb::Mail)?;
        if self.transaction.is_some() || !self.queue.is_empty() {
            return Err(UsageError::NotNow {
                verb: Verb::Mail,
                reason: "a transaction is already open or messages are queued (finish it or RSET)",
            });
        }
        if from.needs_smtputf8() {
            params.smtputf8 = true;
        }
        self.check_mail_params(&mut params)?;
        let handle = self.new_handle();
        self.open_transaction(now, handle, from, &params, false)?;
        Ok(handle)
    }

    /// Adds a recipient: RCPT TO (RFC 5321 s4.1.1.3). A refused recipient is an
    /// [`Event::Rejected`]; the transaction goes on with the others.
    pub fn rcpt(
        &mut self,
        now: Instant,
        to: &ForwardPath,
        params: RcptParams,
    ) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Rcpt)?;
        let transaction = self.manual_transaction(Verb::Rcpt)?;
        if transaction.method.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::Rcpt,
                reason: "the message data has started",
            });
        }
        if to.needs_smtputf8() && !transaction.smtputf8 {
            return Err(UsageError::SmtpUtf8NotDeclared);
        }
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.has(Keyword::Dsn) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::Dsn,
            });
        }
        let handle = self.new_handle();
        self.queue_rcpt(now, handle, to, &params)?;
        Ok(handle)
    }

    /// Asks to send the message: DATA (RFC 5321 s4.1.1.4). On [`Event::DataReady`] send the
    /// message with [`Client::send_data`] and end it with [`Client::finish_data`].
    pub fn data(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Data)?;
        let transaction = self.manual_transaction(Verb::Data)?;
        Self::check_data_allowed(transaction, Verb::Data)?;
        if transaction.binary {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "BODY=BINARYMIME needs BDAT (RFC 3030 s3)",
            });
        }
        let handle = self.new_handle();
        self.queue_data(now, handle)?;
        Ok(handle)
    }

    /// Sends part of the message after [`Event::DataReady`]. Line ends are normalised to
    /// CRLF and lines starting with `.` are doubled (RFC 5321 s4.5.2), across any split of
    /// the message into parts. 8-bit octets need `BODY=8BITMIME` declared on MAIL.
    pub fn send_data(&mut self, now: Instant, chunk: &[u8]) -> Result<(), UsageError> {
        self.check_open()?;
        if self.phase != Phase::SendingData {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "wait for DataReady before sending message data",
            });
        }
        let eight_bit_ok = self.transaction.as_ref().is_some_and(|t| t.eight_bit);
        if !eight_bit_ok && !crate::data::is_ascii(chunk) {
            return Err(UsageError::EightBitNotDeclared);
        }
        self.compact_output();
        self.encoder.encode(chunk, &mut self.output);
        self.output_appended(now);
        Ok(())
    }

    /// Ends the message: writes the final `.` line without adding a blank line
    /// (RFC 5321 s4.1.1.4). The reply comes as [`Event::MessageFinished`] (and an
    /// [`Event::Rejected`] when refused; for LMTP one [`Event::RecipientDelivered`] or
    /// rejection per recipient first).
    pub fn finish_data(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open()?;
        if self.phase != Phase::SendingData {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "no message is being sent",
            });
        }
        self.compact_output();
        let summary = self.encoder.finish(&mut self.output);
        self.output_appended(now);
        self.phase = Phase::Ready;
        self.await_data_end(summary.long_lines);
        Ok(())
    }

    /// Sends one BDAT chunk (RFC 3030) with its data. Line ends are normalised to CRLF
    /// unless the transaction declared `BODY=BINARYMIME`; no dot-stuffing. The last chunk
    /// (`last`) ends the message. After a refused chunk, or after the last one, no more
    /// chunks are accepted (RFC 3030 s2).
    pub fn bdat(
        &mut self,
        now: Instant,
        chunk: &[u8],
        last: bool,
    ) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Bdat)?;
        if !self.has(Keyword::Chunking) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::Chunking,
            });
        }
        let transaction = self.manual_transaction(Verb::Bdat)?;
        Self::check_data_allowed(transaction, Verb::Bdat)?;
        if transaction.method == Some(Method::Data) {
            return Err(UsageError::NotNow {
                verb: Verb::Bdat,
                reason: "DATA and BDAT cannot be mixed in one transaction (RFC 3030 s3)",
            });
        }
        if !transaction.eight_bit && !crate::data::is_ascii(chunk) {
            return Err(UsageError::EightBitNotDeclared);
        }
        let binary = transaction.binary;
        let txn = transaction.id;
        let mut normalizer = transaction.bdat_normalizer;
        let mut payload = Vec::with_capacity(chunk.len() + chunk.len() / 32);
        if binary {
            payload.extend_from_slice(chunk);
        } else {
            // RFC 3030 s3: no dot-stuffing, but a non-binary body still ends lines in CRLF.
            normalizer.run::<false>(chunk, &mut payload);
        }
        let size = u64::try_from(payload.len()).unwrap_or(u64::MAX);
        let expect = if last { Expect::DataEnd } else { Expect::Chunk };
        let mut bytes = Vec::with_capacity(payload.len() + 24);
        Command::Bdat { size, last }.write_to(&mut bytes)?;
        bytes.extend_from_slice(&payload);
        let handle = self.new_handle();
        self.queue_bytes(
            now,
            handle,
            Verb::Bdat,
            bytes,
            expect,
            Origin::Caller,
            Some(txn),
        )?;
        if let Some(transaction) = &mut self.transaction {
            transaction.method = Some(Method::Bdat);
            transaction.data.get_or_insert(handle);
            transaction.bdat_normalizer = normalizer;
            transaction.last_chunk = last;
        }
        Ok(handle)
    }

    /// Hands over a whole message: MAIL FROM, every RCPT TO, DATA and the message, pipelined
    /// when the server allows it. Messages queue up (at most
    /// [`Config::max_queued_messages`]) and go out one transaction after another on this
    /// connection, once the session is ready (after STARTTLS and, with
    /// [`Config::credentials`], AUTH); call it before or after [`Event::Ready`]. Each message
    /// ends with one [`Event::MessageFinished`] naming [`MessageHandles::mail`].
    ///
    /// The engine decides the parameters from the message: `SMTPUTF8` when an address or a
    /// header is not ASCII (RFC 6531, RFC 6532), `BODY=8BITMIME` when the message has 8-bit
    /// octets (RFC 6152), and `SIZE=` with the exact encoded size when SIZE is offered. What
    /// the server cannot take (over its SIZE, an extension it lacks) finishes the message as
    /// [`MessageStatus::NotSent`] with a diagnosis, before anything of it is sent. Without
    /// PIPELINING the engine stops at the first sign the message cannot be delivered: no RCPT
    /// after a refused MAIL, no DATA when every RCPT was refused.
    ///
    /// `Err` only for the caller's mistakes: no recipient, `BODY=BINARYMIME` (it needs
    /// [`Client::bdat`]), a parameter that cannot be written, a full queue, a session that is
    /// ending, or a transaction the caller opened with [`Client::mail`] still open.
    pub fn send_mail(
        &mut self,
        now: Instant,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<MessageHandles, UsageError> {
        self.check_open()?;
        if self.phase == Phase::Closing || self.quit_requested.is_some() {
            return Err(UsageError::Closed);
        }
        if self.transaction.as_ref().is_some_and(|t| !t.engine_driven) {
            return Err(UsageError::NotNow {
                verb: Verb::Mail,
                reason: "a transaction opened with Client::mail is open (finish it or RSET)",
            });
        }
        if envelope.to.is_empty() {
            return Err(UsageError::NotNow {
                verb: Verb::Rcpt,
                reason: "the envelope has no recipient",
            });
        }
        if envelope.mail_params.body == Some(Body::BinaryMime) {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "BODY=BINARYMIME needs BDAT; use Client::bdat",
            });
        }
        if envelope.to.len() + 3 > self.config.max_outstanding_commands {
            return Err(UsageError::TooManyOutstanding {
                limit: self.config.max_outstanding_commands,
            });
        }
        if self.queued_messages() >= self.config.max_queued_messages {
            return Err(UsageError::QueueFull {
                limit: self.config.max_queued_messages,
            });
        }
        let prepared = Self::prepare(envelope, message)?;
        let handles = MessageHandles {
            mail: self.new_handle(),
            recipients: envelope.to.iter().map(|_| self.new_handle()).collect(),
            data: self.new_handle(),
        };
        if self.queue.is_empty() && self.can_start_message() {
            self.start_message(now, &handles, envelope, prepared);
        } else {
            self.queue.push_back(Queued {
                handles: handles.clone(),
                envelope: envelope.clone(),
                prepared,
            });
        }
        Ok(handles)
    }

    /// Ends the session: QUIT (RFC 5321 s4.1.1.10). When messages handed to
    /// [`Client::send_mail`] are still to be sent, QUIT goes out after the last of them
    /// finishes. [`Event::Closed`] follows the reply.
    pub fn quit(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_open()?;
        if self.phase == Phase::Closing || self.quit_requested.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::Quit,
                reason: "QUIT is already given",
            });
        }
        if self.has_engine_work() || self.phase == Phase::Connecting {
            // After the queued messages, or once the server has greeted.
            let handle = self.new_handle();
            self.quit_requested = Some(handle);
            return Ok(handle);
        }
        if matches!(self.phase, Phase::TlsHandshake | Phase::SendingData) {
            return Err(UsageError::NotNow {
                verb: Verb::Quit,
                reason: "a TLS handshake or message is in progress",
            });
        }
        let handle = self.queue(now, Command::Quit, Expect::Quit, Origin::Caller, None)?;
        self.phase = Phase::Closing;
        Ok(handle)
    }

    // ---- (D) outputs -------------------------------------------------------------------

    /// The bytes to write to the socket now. After writing, call
    /// [`Client::consume_output`] with how many were written.
    pub fn pending_output(&self) -> &[u8] {
        &self.output[self.output_start..]
    }

    /// Reports that the first `n` bytes of [`Client::pending_output`] were written (more
    /// than are pending counts as all). Call it as soon as they are written, and before
    /// feeding the server's next bytes: a command's reply timer starts when its last octet is
    /// written, and a reply to a command not yet written is a protocol violation. Progress
    /// re-arms the write timer ([`Timeouts::data_block`]).
    pub fn consume_output(&mut self, now: Instant, n: usize) {
        let pending = self.output.len() - self.output_start;
        let n = n.min(pending);
        if n == 0 {
            return;
        }
        self.output_start += n;
        self.written += n as u64;
        if self.output_start == self.output.len() {
            self.output.clear();
            self.output_start = 0;
            self.timers.stop(Timer::Write);
        } else {
            self.timers
                .arm(Timer::Write, now, self.config.timeouts.data_block);
        }
        // The oldest command's reply timer starts once its last octet is out.
        if !self.timers.is_armed(Timer::Reply)
            && self.phase != Phase::TlsHandshake
            && let Some(front) = self.pipeline.in_flight.front()
            && front.end <= self.written
        {
            let timeout = self.timeout_for(front.expect);
            self.timers.arm(Timer::Reply, now, timeout);
        }
    }

    /// The next event, oldest first. The last one of a session is [`Event::Closed`]; after
    /// it, `None` for ever and [`Client::is_closed`] is true.
    #[must_use = "events carry the replies to commands and the end of the session"]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next deadline: when it passes, call [`Client::handle_timeout`]. Read it after
    /// every other call; `None` when nothing is awaited (then see [`Client::wants_read`]).
    #[must_use = "without the deadline a silent server hangs the session"]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.has_ended() {
            None
        } else {
            self.timers.earliest()
        }
    }

    // ---- internals shared with state.rs ------------------------------------------------

    fn new_handle(&mut self) -> CommandHandle {
        let handle = CommandHandle(self.next_handle);
        self.next_handle += 1;
        handle
    }

    fn has(&self, keyword: Keyword) -> bool {
        self.capabilities.as_ref().is_some_and(|c| c.has(keyword))
    }

    fn hello_verb(&self) -> Verb {
        if self.config.lmtp {
            Verb::Lhlo
        } else {
            Verb::Ehlo
        }
    }

    fn pipelining(&self) -> bool {
        self.config.pipelining == Pipelining::Auto && self.has(Keyword::Pipelining)
    }

    fn check_open(&self) -> Result<(), UsageError> {
        if self.has_ended() {
            Err(UsageError::Closed)
        } else {
            Ok(())
        }
    }

    /// Work the engine does on its own that QUIT must wait for: queued messages, a message
    /// it is sending, an AUTH it started, or an automatic handshake that has not yet made the
    /// session ready while messages wait.
    fn has_engine_work(&self) -> bool {
        !self.queue.is_empty()
            || self.transaction.as_ref().is_some_and(|t| t.engine_driven)
            || self
                .sasl
                .as_ref()
                .is_some_and(|s| s.origin == Origin::Engine)
    }

    /// Whether a queued message may start now.
    fn can_start_message(&self) -> bool {
        self.ready
            && self.phase == Phase::Ready
            && self.transaction.is_none()
            && self.sasl.is_none()
            && self.abort.is_none()
    }

    /// Commands other than EHLO/HELO need a greeting and an answered EHLO/HELO, and may not
    /// interrupt TLS, message data or QUIT.
    #[inline]
    fn check_ready(&self, verb: Verb) -> Result<(), UsageError> {
        if self.phase == Phase::Ready {
            return Ok(());
        }
        self.not_ready(verb)
    }

    /// [`Client::check_ready`] when the session is not simply ready: why not.
    #[inline(never)]
    fn not_ready(&self, verb: Verb) -> Result<(), UsageError> {
        match self.phase {
            Phase::Ready => Ok(()),
            Phase::Closing | Phase::Closed => Err(UsageError::Closed),
            Phase::Connecting | Phase::Greeted => Err(UsageError::NotNow {
                verb,
                reason: "the server has not answered EHLO/HELO yet",
            }),
            Phase::TlsHandshake => Err(UsageError::NotNow {
                verb,
                reason: "a TLS handshake is in progress",
            }),
            Phase::SendingData => Err(UsageError::NotNow {
                verb,
                reason: "the message data is being sent",
            }),
        }
    }

    fn check_hello_allowed(&self, verb: Verb) -> Result<(), UsageError> {
        match self.phase {
            Phase::Greeted | Phase::Ready if self.transaction.is_none() => Ok(()),
            Phase::Connecting => Err(UsageError::NotNow {
                verb,
                reason: "the server has not greeted yet (RFC 5321 s4.3.1)",
            }),
            _ => Err(UsageError::NotNow {
                verb,
                reason: "EHLO/HELO only fit between transactions",
            }),
        }
    }

    /// The TLS policy: with `Required`, nothing but EHLO, STARTTLS, NOOP, HELP, RSET and QUIT
    /// goes out before TLS.
    fn check_policy(&self, verb: Verb) -> Result<(), UsageError> {
        if self.config.tls == TlsPolicy::Required && !self.tls_active {
            return Err(UsageError::TlsRequired { verb });
        }
        Ok(())
    }

    /// The open transaction, for the caller's step-by-step commands.
    fn manual_transaction(&self, verb: Verb) -> Result<&Transaction, UsageError> {
        match &self.transaction {
            None => Err(UsageError::NotNow {
                verb,
                reason: "no transaction: send MAIL first",
            }),
            Some(t) if t.engine_driven => Err(UsageError::NotNow {
                verb,
                reason: "the engine is sending a message queued with send_mail",
            }),
            Some(t) => Ok(t),
        }
    }

    fn check_data_allowed(transaction: &Transaction, verb: Verb) -> Result<(), UsageError> {
        let reason = if transaction.recipients.is_empty() {
            "no recipient: send RCPT first"
        } else if transaction.failure.is_some() {
            "the transaction already failed"
        } else if transaction.recipients_answered() && transaction.accepted() == 0 {
            "every recipient was refused"
        } else if transaction.method == Some(Method::Data) {
            "DATA was already given"
        } else if transaction.last_chunk {
            "the last BDAT chunk was already given (RFC 3030 s2)"
        } else {
            return Ok(());
        };
        Err(UsageError::NotNow { verb, reason })
    }

    fn check_mail_params(&self, params: &mut MailParams) -> Result<(), UsageError> {
        if let Some(extension) = self.missing_extension(params) {
            return Err(UsageError::ExtensionNotOffered { extension });
        }
        match (params.size, self.capabilities.as_ref()) {
            (Some(declared), Some(caps)) if caps.size_advertised() => {
                if let Some(limit) = caps.size()
                    && declared > limit
                {
                    return Err(UsageError::MessageTooLarge { declared, limit });
                }
            }
            // RFC 1870 s6: SIZE is only sent to a server that advertised it.
            (Some(_), _) => params.size = None,
            (None, _) => {}
        }
        Ok(())
    }

    /// The first extension the MAIL parameters need and the server did not advertise.
    fn missing_extension(&self, params: &MailParams) -> Option<Keyword> {
        let needs = [
            (params.smtputf8, Keyword::SmtpUtf8),
            (
                params.body == Some(Body::EightBitMime),
                Keyword::EightBitMime,
            ),
            (params.body == Some(Body::BinaryMime), Keyword::BinaryMime),
            (params.ret.is_some() || params.envid.is_some(), Keyword::Dsn),
            (params.requiretls, Keyword::RequireTls),
            (params.mt_priority.is_some(), Keyword::MtPriority),
            (params.auth.is_some(), Keyword::Auth),
        ];
        needs
            .into_iter()
            .find(|(needed, keyword)| *needed && !self.has(*keyword))
            .map(|(_, keyword)| keyword)
    }

    /// Encodes a message for `send_mail` and reads what it needs from it. Its MAIL and RCPT
    /// lines are written once here so that a bad parameter is the caller's error now, not a
    /// failure when the message's turn comes.
    fn prepare(envelope: &Envelope, message: &[u8]) -> Result<Prepared, UsageError> {
        let mut prepared = encode_message(message);
        prepared.smtputf8 |=
            envelope.from.needs_smtputf8() || envelope.to.iter().any(|(to, _)| to.needs_smtputf8());
        let Prepared {
            size,
            smtputf8,
            eight_bit,
            ..
        } = prepared;
        let mut params = envelope.mail_params.clone();
        params.smtputf8 |= smtputf8;
        if eight_bit && params.body.is_none() {
            params.body = Some(Body::EightBitMime);
        }
        params.size = Some(size);
        let mut scratch = Vec::with_capacity(128);
        write_mail(&envelope.from, &params, &mut scratch)?;
        for (to, rcpt_params) in &envelope.to {
            scratch.clear();
            write_rcpt(to, rcpt_params, &mut scratch)?;
        }
        Ok(prepared)
    }

    /// Starts the transaction of a message handed to `send_mail`: MAIL, every RCPT, DATA
    /// (the content goes out on `354`). What the server cannot take finishes it at once.
    fn start_message(
        &mut self,
        now: Instant,
        handles: &MessageHandles,
        envelope: &Envelope,
        prepared: Prepared,
    ) {
        let mut params = envelope.mail_params.clone();
        params.smtputf8 |= prepared.smtputf8;
        if prepared.eight_bit && params.body.is_none() {
            params.body = Some(Body::EightBitMime);
        }
        if self.config.declare_size && self.has(Keyword::Size) {
            params.size = Some(prepared.size);
        }
        let dsn_per_recipient = envelope
            .to
            .iter()
            .any(|(_, p)| p.notify.is_some() || p.orcpt.is_some());
        let refused = match self.check_mail_params(&mut params) {
            Err(UsageError::MessageTooLarge { declared, limit }) => {
                Some(Diagnosis::size_over_limit(declared, limit))
            }
            Err(UsageError::ExtensionNotOffered { extension }) => {
                Some(Diagnosis::extension_missing(extension))
            }
            _ if dsn_per_recipient && !self.has(Keyword::Dsn) => {
                Some(Diagnosis::extension_missing(Keyword::Dsn))
            }
            _ => None,
        };
        if let Some(diagnosis) = refused {
            let status = MessageStatus::NotSent {
                diagnosis: Box::new(diagnosis),
            };
            self.finish_unstarted(handles, status, prepared.long_lines);
            return;
        }
        // The commands were written once in `send_mail` (`prepare`), so they cannot fail
        // here; if they somehow do, the message is finished honestly rather than left open.
        let opened = self
            .open_transaction(now, handles.mail, &envelope.from, &params, true)
            .and_then(|()| {
                for ((to, rcpt_params), handle) in envelope.to.iter().zip(&handles.recipients) {
                    self.queue_rcpt(now, *handle, to, rcpt_params)?;
                }
                self.queue_data(now, handles.data)
            });
        match (opened, &mut self.transaction) {
            (Ok(()), Some(transaction)) => {
                transaction.prepared_body = Some(prepared.encoded);
                transaction.long_lines = prepared.long_lines;
            }
            (Err(error), Some(transaction)) => {
                transaction.failure = Some(transaction::Failure::NotSent(Box::new(
                    Diagnosis::envelope_unwritable(&error),
                )));
                self.settle(now);
            }
            (Err(error), None) => {
                let status = MessageStatus::NotSent {
                    diagnosis: Box::new(Diagnosis::envelope_unwritable(&error)),
                };
                self.finish_unstarted(handles, status, prepared.long_lines);
            }
            (Ok(()), None) => {}
        }
    }

    /// Opens a transaction and queues its MAIL.
    fn open_transaction(
        &mut self,
        now: Instant,
        handle: CommandHandle,
        from: &ReversePath,
        params: &MailParams,
        engine_driven: bool,
    ) -> Result<(), UsageError> {
        let txn = self.next_txn;
        self.queue_with(
            now,
            handle,
            Verb::Mail,
            Expect::Mail,
            Origin::Caller,
            Some(txn),
            |out| write_mail(from, params, out),
        )?;
        self.next_txn += 1;
        self.transaction = Some(Transaction {
            id: txn,
            mail: handle,
            mail_accepted: false,
            engine_driven,
            smtputf8: params.smtputf8,
            eight_bit: matches!(params.body, Some(Body::EightBitMime | Body::BinaryMime)),
            binary: params.body == Some(Body::BinaryMime),
            recipients: Vec::with_capacity(4),
            method: None,
            data: None,
            last_chunk: false,
            prepared_body: None,
            long_lines: 0,
            lmtp_owed: VecDeque::new(),
            lmtp_started: false,
            lmtp_accepted: None,
            failure: None,
            bdat_normalizer: Normalizer::default(),
        });
        Ok(())
    }

    fn queue_rcpt(
        &mut self,
        now: Instant,
        handle: CommandHandle,
        to: &ForwardPath,
        params: &RcptParams,
    ) -> Result<(), UsageError> {
        let txn = self.transaction.as_ref().map(|t| t.id);
        self.queue_with(
            now,
            handle,
            Verb::Rcpt,
            Expect::Rcpt,
            Origin::Caller,
            txn,
            |out| write_rcpt(to, params, out),
        )?;
        if let Some(transaction) = &mut self.transaction {
            transaction
                .recipients
                .push((handle, RecipientStatus::Unanswered));
        }
        Ok(())
    }

    fn queue_data(&mut self, now: Instant, handle: CommandHandle) -> Result<(), UsageError> {
        let txn = self.transaction.as_ref().map(|t| t.id);
        // The line is fixed: written as is, without building a `Command` to write it.
        self.queue_with(
            now,
            handle,
            Verb::Data,
            Expect::Data,
            Origin::Caller,
            txn,
            |out| {
                out.extend_from_slice(b"DATA\r\n");
                Ok(())
            },
        )?;
        if let Some(transaction) = &mut self.transaction {
            transaction.method = Some(Method::Data);
            transaction.data = Some(handle);
        }
        self.encoder = DataEncoder::new();
        Ok(())
    }

    /// The caller's RSET: ends the open transaction (its message is abandoned).
    fn rset(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Rset)?;
        if self.transaction.as_ref().is_some_and(|t| t.engine_driven) {
            return Err(UsageError::NotNow {
                verb: Verb::Rset,
                reason: "the engine is sending a message queued with send_mail",
            });
        }
        let handle = self.queue(now, Command::Rset, Expect::Rset, Origin::Caller, None)?;
        if self.transaction.is_some() {
            self.finish_transaction(now, Some(MessageStatus::Abandoned), false);
        }
        Ok(handle)
    }

    /// Starts AUTH for the caller or, from [`Config::credentials`], for the engine.
    fn start_auth(
        &mut self,
        now: Instant,
        credentials: &Credentials,
        mechanism: Option<Mechanism>,
        options: SaslOptions,
        origin: Origin,
    ) -> Result<CommandHandle, UsageError> {
        if self.authenticated.is_some() || self.sasl.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::Auth,
                reason: "already authenticated or authenticating (RFC 4954 s4)",
            });
        }
        if self.transaction.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::Auth,
                reason: "a mail transaction is open (RFC 4954 s4)",
            });
        }
        let offered: Vec<Mechanism> = self
            .capabilities
            .as_ref()
            .map(|c| c.auth_mechanisms().collect())
            .unwrap_or_default();
        if offered.is_empty() {
            return Err(UsageError::AuthNotOffered {
                starttls_first: !self.tls_active && self.starttls_was_offered,
            });
        }
        let mechanism = match mechanism {
            Some(m) if offered.contains(&m) => m,
            Some(_) => return Err(UsageError::NoCommonMechanism { offered }),
            None => {
                // SCRAM needs a fresh client nonce the engine cannot make: without one, the
                // next best mechanism.
                let usable: Vec<Mechanism> = supported_mechanisms()
                    .into_iter()
                    .filter(|m| {
                        options.client_nonce.is_some()
                            || !matches!(m, Mechanism::ScramSha256 | Mechanism::ScramSha1)
                    })
                    .collect();
                choose_mechanism(&offered, credentials, &usable)
                    .ok_or(UsageError::NoCommonMechanism { offered })?
            }
        };
        // RFC 8314 s3, and the crate's rule: no AUTH of any mechanism outside TLS unless the
        // caller opts in. CRAM-MD5 and SCRAM still give an eavesdropper a challenge and
        // response to attack offline.
        if !self.tls_active && !self.config.dangerous_allow_plaintext_auth {
            return Err(UsageError::PlaintextAuthRefused { mechanism });
        }
        let mut client = SaslClient::new(mechanism.clone(), credentials, options.clone())?;
        let mut bytes = Vec::new();
        let with_initial = Command::Auth {
            mechanism: mechanism.clone(),
            initial_response: client.initial_response(),
        };
        if let Err(error) = with_initial.write_to(&mut bytes) {
            if !matches!(error, CommandError::LineTooLong { .. }) {
                return Err(error.into());
            }
            // RFC 4954 s4: an initial response that would make the line too long is not sent;
            // it answers the server's empty first challenge instead.
            client = SaslClient::new(mechanism.clone(), credentials, options)?;
            Command::Auth {
                mechanism: mechanism.clone(),
                initial_response: None,
            }
            .write_to(&mut bytes)?;
        }
        let handle = self.new_handle();
        self.queue_bytes(now, handle, Verb::Auth, bytes, Expect::Auth, origin, None)?;
        self.sasl = Some(SaslExchange {
            handle,
            mechanism,
            client,
            origin,
            cancelled: None,
        });
        Ok(handle)
    }

    fn queue_hello(
        &mut self,
        now: Instant,
        verb: Verb,
        origin: Origin,
    ) -> Result<CommandHandle, UsageError> {
        let host = self.config.client_name.clone();
        let command = match verb {
            Verb::Helo => Command::Helo(host),
            Verb::Lhlo => Command::Lhlo(host),
            _ => Command::Ehlo(host),
        };
        self.queue(now, command, Expect::Hello, origin, None)
    }

    /// Serialises a command (strictly: a bad argument is an error and nothing is queued)
    /// and queues it under a new handle; it is written at once when the pipelining rules
    /// allow.
    fn queue(
        &mut self,
        now: Instant,
        command: Command,
        expect: Expect,
        origin: Origin,
        txn: Option<u64>,
    ) -> Result<CommandHandle, UsageError> {
        let handle = self.new_handle();
        self.queue_with(now, handle, command.verb(), expect, origin, txn, |out| {
            command.write_to(out)
        })?;
        Ok(handle)
    }

    /// Queues a command under `handle`, given as its writer (MAIL and RCPT are written from
    /// borrowed paths, so the caller keeps them).
    #[allow(clippy::too_many_arguments)]
    fn queue_with(
        &mut self,
        now: Instant,
        handle: CommandHandle,
        verb: Verb,
        expect: Expect,
        origin: Origin,
        txn: Option<u64>,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), CommandError>,
    ) -> Result<(), UsageError> {
        self.check_outstanding(origin)?;
        let command = Outstanding::new(handle, verb, expect, origin, txn);
        if self.pipeline.waiting.is_empty() && self.can_write_now() {
            // The common case: nothing waits ahead of it, so it goes straight into the output
            // (the writer leaves the output unchanged when it refuses the command).
            self.compact_output();
            write(&mut self.output)?;
            self.output_appended(now);
            self.push_in_flight(command);
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(64);
        write(&mut bytes)?;
        self.pipeline.waiting.push_back(Waiting { command, bytes });
        self.flush(now);
        Ok(())
    }

    fn check_outstanding(&self, origin: Origin) -> Result<(), UsageError> {
        if origin == Origin::Caller && self.pipeline.len() >= self.config.max_outstanding_commands {
            return Err(UsageError::TooManyOutstanding {
                limit: self.config.max_outstanding_commands,
            });
        }
        Ok(())
    }

    /// Whether a command queued now could be written at once.
    fn can_write_now(&self) -> bool {
        matches!(self.phase, Phase::Greeted | Phase::Ready | Phase::Closing)
            && self.pipeline.may_write(self.pipelining())
    }

    /// Records a command whose bytes were just appended to the output.
    fn push_in_flight(&mut self, mut command: Outstanding) {
        command.end = self.output_end();
        self.pipeline.in_flight.push_back(command);
    }

    /// [`Client::queue_with`] for a command whose bytes are already built.
    #[allow(clippy::too_many_arguments)]
    fn queue_bytes(
        &mut self,
        now: Instant,
        handle: CommandHandle,
        verb: Verb,
        bytes: Vec<u8>,
        expect: Expect,
        origin: Origin,
        txn: Option<u64>,
    ) -> Result<(), UsageError> {
        self.check_outstanding(origin)?;
        self.pipeline.waiting.push_back(Waiting {
            command: Outstanding::new(handle, verb, expect, origin, txn),
            bytes,
        });
        self.flush(now);
        Ok(())
    }

    /// Writes waiting commands into the output while the pipelining rules allow.
    fn flush(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::Greeted | Phase::Ready | Phase::Closing) {
            return;
        }
        let pipelining = self.pipelining();
        while !self.pipeline.waiting.is_empty() && self.pipeline.may_write(pipelining) {
            let Some(Waiting { command, bytes }) = self.pipeline.waiting.pop_front() else {
                break;
            };
            self.compact_output();
            self.output.extend_from_slice(&bytes);
            self.output_appended(now);
            self.push_in_flight(command);
        }
    }

    /// The stream offset just past the last octet in the output.
    fn output_end(&self) -> u64 {
        self.written + (self.output.len() - self.output_start) as u64
    }

    /// Output was appended: the write timer guards it until it is written.
    fn output_appended(&mut self, now: Instant) {
        if self.output_start < self.output.len() && !self.timers.is_armed(Timer::Write) {
            self.timers
                .arm(Timer::Write, now, self.config.timeouts.data_block);
        }
    }

    fn timeout_for(&self, expect: Expect) -> std::time::Duration {
        let t = &self.config.timeouts;
        match expect {
            Expect::Greeting => t.greeting,
            Expect::Mail => t.mail,
            Expect::Rcpt => t.rcpt,
            Expect::Data => t.data_initiation,
            Expect::DataEnd => t.data_termination,
            _ => t.other,
        }
    }

    /// Drops written bytes from the front of the output when that saves a lot of memory.
    fn compact_output(&mut self) {
        if self.output_start > 4096 && self.output_start * 2 > self.output.len() {
            self.output.drain(..self.output_start);
            self.output_start = 0;
        }
    }
}

/// Encodes a message for DATA (CRLF line ends, dot-stuffing, the final dot) and reads what
/// the envelope needs from it: its RFC 1870 size, whether its headers are not ASCII
/// (SMTPUTF8, RFC 6532), whether it has 8-bit octets (8BITMIME, RFC 6152), its over-long
/// lines. Addresses are the caller's to add to `smtputf8`.
pub(crate) fn encode_message(message: &[u8]) -> Prepared {
    let headers_end = memchr::memmem::find(message, b"\r\n\r\n")
        .or_else(|| memchr::memmem::find(message, b"\n\n"))
        .unwrap_or(message.len());
    let smtputf8 = !message[..headers_end].is_ascii();
    let eight_bit = !crate::data::is_ascii(message);
    let mut encoded = Vec::with_capacity(message.len() + message.len() / 32 + 8);
    let mut encoder = DataEncoder::new();
    encoder.encode(message, &mut encoded);
    let long_lines = encoder.finish(&mut encoded).long_lines;
    // RFC 1870 s3: octets with CRLF line ends, "but not the SMTP DATA command's terminating
    // dot or doubled quoting dots".
    let size = u64::try_from(encoded.len().saturating_sub(3) - stuffing_dots(&encoded))
        .unwrap_or(u64::MAX);
    Prepared {
        encoded,
        size,
        smtputf8,
        eight_bit,
        long_lines,
    }
}

/// The outcome of a message finished before it started.
fn unstarted_outcome(
    handles: &MessageHandles,
    status: MessageStatus,
    long_lines: u64,
) -> MessageOutcome {
    MessageOutcome {
        mail: handles.mail,
        data: None,
        status,
        recipients: handles
            .recipients
            .iter()
            .map(|h| (*h, RecipientStatus::Unanswered))
            .collect(),
        long_lines,
    }
}
