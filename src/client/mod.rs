//! [`Client`]: a whole SMTP (or LMTP) client session as a pure state machine.
//!
//! The client does no IO and reads no clock. The caller owns the socket and the time:
//!
//! 1. **inputs**: [`Client::receive`] bytes read from the socket, [`Client::receive_eof`]
//!    when it closes, [`Client::handle_timeout`] when the deadline of
//!    [`Client::poll_timeout`] passes, [`Client::tls_established`] after a TLS handshake;
//! 2. **commands**: [`Client::send`] any command, or the helpers ([`Client::mail`],
//!    [`Client::rcpt`], [`Client::data`], [`Client::send_mail`], [`Client::authenticate`],
//!    [`Client::starttls`], [`Client::quit`], ...): each returns a [`CommandHandle`] at once or
//!    a [`UsageError`] (state unchanged);
//! 3. **outputs**, after every input or command, in this order: write
//!    [`Client::pending_output`] to the socket and report what was written with
//!    [`Client::consume_output`]; drain [`Client::poll_event`] (events name the handle of the
//!    command they answer); read [`Client::poll_timeout`] last and wait for readable bytes
//!    or that deadline.
//!
//! Every method that changes state takes `now`. Server replies that refuse something are
//! [`Event::Rejected`] with a [`Diagnosis`], never errors; an [`Error`] means
//! the peer broke the protocol (or timed out) and the session is over.
//!
//! All state transitions on replies live in `state.rs`; the pipelining rules in
//! `pipeline.rs`; the deadlines in `timer.rs`.

mod config;
mod error;
mod event;
mod pipeline;
mod state;
mod timer;

use std::collections::VecDeque;
use std::time::Instant;

pub use config::{Config, Handshake, Pipelining, Timeouts, TlsPolicy};
pub use error::{Error, UsageError};
pub use event::{CloseReason, CommandHandle, Event, Rejection};

use crate::address::{ForwardPath, ReversePath};
use crate::auth::{
    Credentials, Mechanism, SaslClient, SaslOptions, choose_mechanism, supported_mechanisms,
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
    /// Over.
    Closed,
}

/// The per-recipient state inside a transaction.
#[derive(Debug, Clone)]
struct Recipient {
    handle: CommandHandle,
    state: RecipientState,
}

#[derive(Debug, Clone)]
enum RecipientState {
    Pending,
    Accepted,
    Rejected(Box<Diagnosis>),
}

/// How the message of a transaction travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Data,
    Bdat,
}

/// One mail transaction (RFC 5321 s3.3), from MAIL to the reply after the data.
#[derive(Debug)]
struct Transaction {
    mail: CommandHandle,
    /// The server accepted MAIL, so it holds a transaction that a failure must RSET.
    mail_accepted: bool,
    smtputf8: bool,
    eight_bit: bool,
    binary: bool,
    recipients: Vec<Recipient>,
    method: Option<Method>,
    /// The DATA (or first BDAT) command.
    data: Option<CommandHandle>,
    /// The encoded message `send_mail` queued, sent by the engine on `354`.
    prepared_body: Option<Vec<u8>>,
    /// LMTP: accepted recipients still owed a reply after the data, in RCPT order.
    lmtp_owed: VecDeque<CommandHandle>,
    lmtp_started: bool,
    lmtp_delivered: usize,
    /// The transaction failed; a recovery RSET is queued or done.
    failed: bool,
    /// Line-end state carried from one BDAT chunk to the next.
    bdat_normalizer: Normalizer,
}

impl Transaction {
    fn accepted(&self) -> usize {
        self.recipients
            .iter()
            .filter(|r| matches!(r.state, RecipientState::Accepted))
            .count()
    }
}

/// An AUTH exchange in progress.
struct SaslExchange {
    handle: CommandHandle,
    mechanism: Mechanism,
    client: SaslClient,
    /// The client gave up (sent `*`); the next reply ends the exchange.
    cancelled: bool,
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
    /// MAIL FROM.
    pub mail: CommandHandle,
    /// One RCPT TO per recipient, in the envelope's order.
    pub recipients: Vec<CommandHandle>,
    /// DATA: its events ([`Event::MessageAccepted`], [`Event::Rejected`],
    /// [`Event::MessageNotSent`]) end the message.
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
    transaction: Option<Transaction>,
    /// The recipient list of the last transaction, emptied, so the next one reuses its storage.
    spare_recipients: Vec<Recipient>,
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
        pipeline.in_flight.push_back(Outstanding {
            handle: CommandHandle(0),
            verb: Verb::Quit,
            expect: Expect::Greeting,
            origin: Origin::Engine,
            queued_at: Some(now),
        });
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
            pipeline,
            events: VecDeque::with_capacity(8),
            error: None,
            capabilities: None,
            starttls_was_offered: false,
            authenticated: None,
            sasl: None,
            transaction: None,
            spare_recipients: Vec::new(),
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

    /// Whether the session is over (closed or failed): close the socket.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed || self.error.is_some()
    }

    /// Whether the engine waits for bytes from the server (a command is in flight or the
    /// greeting is due).
    pub fn wants_read(&self) -> bool {
        !self.is_closed()
            && self.phase != Phase::TlsHandshake
            && !self.pipeline.in_flight.is_empty()
    }

    /// Whether the caller may send message data now ([`Event::DataReady`] came).
    pub fn is_sending_data(&self) -> bool {
        self.phase == Phase::SendingData && !self.is_closed()
    }

    // ---- (B) inputs --------------------------------------------------------------------

    /// Feeds bytes read from the socket (plaintext, or decrypted by the caller's TLS).
    /// Never fails: problems come out of [`Client::poll_event`].
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        if self.is_closed() || bytes.is_empty() {
            return;
        }
        if self.phase == Phase::TlsHandshake {
            let injected = self.input.len() - self.input_start + bytes.len();
            self.fail_injection(injected);
            return;
        }
        if self.input_start == self.input.len() {
            // Nothing buffered: the replies are read straight from `bytes`, and only an
            // unfinished one is kept for the next call.
            self.input.clear();
            self.input_start = 0;
            let used = self.process_replies(now, bytes);
            if used < bytes.len() && !self.is_closed() {
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
        if self.is_closed() || self.input_start == self.input.len() {
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
        if self.is_closed() {
            return;
        }
        self.on_eof(now);
    }

    /// Tells the engine that `now` is at or past [`Client::poll_timeout`]. Calls before the
    /// deadline do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        if let Some(timer) = self.timers.expired(now) {
            self.on_timeout(timer);
        }
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
                self.queue(now, command, Expect::Hello, Origin::Caller)
            }
            Command::StartTls => self.starttls(now),
            Command::Mail { from, params } => self.mail(now, &from, params),
            Command::Rcpt { to, params } => self.rcpt(now, &to, params),
            Command::Data => self.data(now),
            Command::Rset => {
                self.check_ready(Verb::Rset)?;
                let handle = self.queue(now, Command::Rset, Expect::Rset, Origin::Caller)?;
                self.end_transaction();
                Ok(handle)
            }
            Command::Quit => self.quit(now),
            Command::Vrfy(_) | Command::Expn(_) | Command::Help(_) | Command::Noop(_) => {
                let verb = command.verb();
                if verb != Verb::Noop && verb != Verb::Help {
                    self.check_policy(verb)?;
                }
                self.check_ready(verb)?;
                self.queue(now, command, Expect::Query, Origin::Caller)
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
        if self.transaction.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::StartTls,
                reason: "a mail transaction is open",
            });
        }
        self.queue(now, Command::StartTls, Expect::StartTls, Origin::Caller)
    }

    /// Authenticates (RFC 4954) with `mechanism`, or the best one both sides support.
    ///
    /// Refused before anything is sent when AUTH is not offered, no mechanism is common, or
    /// the mechanism would send a password in the clear and TLS is not active (unless
    /// [`Config::dangerous_allow_plaintext_auth`]). The SASL exchange runs inside the engine;
    /// challenges and answers never leave it. Ends with [`Event::Authenticated`] or
    /// [`Event::Rejected`].
    pub fn authenticate(
        &mut self,
        now: Instant,
        credentials: &Credentials,
        mechanism: Option<Mechanism>,
    ) -> Result<CommandHandle, UsageError> {
        self.authenticate_with(now, credentials, mechanism, SaslOptions::default())
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
        let plaintext_ok = self.tls_active || self.config.dangerous_allow_plaintext_auth;
        let mechanism = match mechanism {
            Some(m) if offered.contains(&m) => m,
            Some(_) => return Err(UsageError::NoCommonMechanism { offered }),
            None => {
                // Without TLS, prefer a mechanism that does not expose the password.
                let allowed: Vec<Mechanism> = supported_mechanisms()
                    .into_iter()
                    .filter(|m| plaintext_ok || !m.sends_plaintext_secret())
                    .collect();
                match choose_mechanism(&offered, credentials, &allowed) {
                    Some(m) => m,
                    None => {
                        match choose_mechanism(&offered, credentials, &supported_mechanisms()) {
                            Some(m) => {
                                return Err(UsageError::PlaintextAuthRefused { mechanism: m });
                            }
                            None => return Err(UsageError::NoCommonMechanism { offered }),
                        }
                    }
                }
            }
        };
        if mechanism.sends_plaintext_secret() && !plaintext_ok {
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
        let handle = self.queue_bytes(now, Verb::Auth, bytes, Expect::Auth, Origin::Caller)?;
        self.sasl = Some(SaslExchange {
            handle,
            mechanism,
            client,
            cancelled: false,
        });
        Ok(handle)
    }

    /// Starts a transaction: MAIL FROM (RFC 5321 s4.1.1.2).
    ///
    /// Adds `SMTPUTF8` when the reverse path needs it (RFC 6531); refuses a declared SIZE over
    /// the server's limit before sending (RFC 1870), and parameters whose extension the
    /// server did not advertise. A SIZE the server did not ask for is dropped (RFC 1870 s6).
    pub fn mail(
        &mut self,
        now: Instant,
        from: &ReversePath,
        mut params: MailParams,
    ) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Mail)?;
        self.check_policy(Verb::Mail)?;
        if self.transaction.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::Mail,
                reason: "a transaction is already open (finish it or RSET)",
            });
        }
        if from.needs_smtputf8() {
            params.smtputf8 = true;
        }
        self.check_mail_params(&mut params)?;
        let handle = self.queue_with(now, Verb::Mail, Expect::Mail, Origin::Caller, |out| {
            write_mail(from, &params, out)
        })?;
        let mut recipients = std::mem::take(&mut self.spare_recipients);
        recipients.reserve(4);
        self.transaction = Some(Transaction {
            mail: handle,
            mail_accepted: false,
            smtputf8: params.smtputf8,
            eight_bit: matches!(params.body, Some(Body::EightBitMime | Body::BinaryMime)),
            binary: params.body == Some(Body::BinaryMime),
            recipients,
            method: None,
            data: None,
            prepared_body: None,
            lmtp_owed: VecDeque::new(),
            lmtp_started: false,
            lmtp_delivered: 0,
            failed: false,
            bdat_normalizer: Normalizer::default(),
        });
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
        let Some(transaction) = &self.transaction else {
            return Err(UsageError::NotNow {
                verb: Verb::Rcpt,
                reason: "no transaction: send MAIL first",
            });
        };
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
        let handle = self.queue_with(now, Verb::Rcpt, Expect::Rcpt, Origin::Caller, |out| {
            write_rcpt(to, &params, out)
        })?;
        if let Some(transaction) = &mut self.transaction {
            transaction.recipients.push(Recipient {
                handle,
                state: RecipientState::Pending,
            });
        }
        Ok(handle)
    }

    /// Asks to send the message: DATA (RFC 5321 s4.1.1.4). On [`Event::DataReady`] send the
    /// message with [`Client::send_data`] and end it with [`Client::finish_data`].
    pub fn data(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_ready(Verb::Data)?;
        let transaction = self.transaction_for_data(Verb::Data)?;
        if transaction.binary {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "BODY=BINARYMIME needs BDAT (RFC 3030 s3)",
            });
        }
        // The line is fixed: written as is, without building a `Command` to write it.
        let handle = self.queue_with(now, Verb::Data, Expect::Data, Origin::Caller, |out| {
            out.extend_from_slice(b"DATA\r\n");
            Ok(())
        })?;
        if let Some(transaction) = &mut self.transaction {
            transaction.method = Some(Method::Data);
            transaction.data = Some(handle);
        }
        self.encoder = DataEncoder::new();
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
        self.arm_data_block(now);
        Ok(())
    }

    /// Ends the message: writes the final `.` line without adding a blank line
    /// (RFC 5321 s4.1.1.4). The reply comes as [`Event::MessageAccepted`] or
    /// [`Event::Rejected`] (LMTP: one [`Event::RecipientDelivered`] or rejection per
    /// recipient first).
    pub fn finish_data(&mut self, now: Instant) -> Result<(), UsageError> {
        self.check_open()?;
        if self.phase != Phase::SendingData {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "no message is being sent",
            });
        }
        self.encoder.finish(&mut self.output);
        self.arm_data_block(now);
        self.end_data(now);
        Ok(())
    }

    /// Sends one BDAT chunk (RFC 3030) with its data. Line ends are normalised to CRLF
    /// unless the transaction declared `BODY=BINARYMIME`; no dot-stuffing. The last chunk
    /// (`last`) ends the message.
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
        let transaction = self.transaction_for_data(Verb::Bdat)?;
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
        let handle = self.queue_bytes(now, Verb::Bdat, bytes, expect, Origin::Caller)?;
        if let Some(transaction) = &mut self.transaction {
            transaction.method = Some(Method::Bdat);
            transaction.data.get_or_insert(handle);
            transaction.bdat_normalizer = normalizer;
        }
        Ok(handle)
    }

    /// Queues a whole message: MAIL FROM, every RCPT TO, DATA and the message, pipelined
    /// when the server allows it. The engine sends the message itself on `354`.
    ///
    /// The engine decides the parameters from the message: `SMTPUTF8` when an address or a
    /// header is not ASCII (RFC 6531, RFC 6532), `BODY=8BITMIME` when the message has 8-bit
    /// octets (RFC 6152), and `SIZE=` with the exact encoded size when SIZE is offered — a
    /// message over the server's limit is refused here, before anything is sent. Each is
    /// refused with a clear error when the server does not offer what the message needs.
    pub fn send_mail(
        &mut self,
        now: Instant,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<MessageHandles, UsageError> {
        self.check_ready(Verb::Mail)?;
        self.check_policy(Verb::Mail)?;
        if self.transaction.is_some() {
            return Err(UsageError::NotNow {
                verb: Verb::Mail,
                reason: "a transaction is already open (finish it or RSET)",
            });
        }
        if envelope.to.is_empty() {
            return Err(UsageError::NotNow {
                verb: Verb::Rcpt,
                reason: "the envelope has no recipient",
            });
        }
        let mut params = envelope.mail_params.clone();
        let headers_end = memchr::memmem::find(message, b"\r\n\r\n")
            .or_else(|| memchr::memmem::find(message, b"\n\n"))
            .unwrap_or(message.len());
        params.smtputf8 |= envelope.from.needs_smtputf8()
            || envelope.to.iter().any(|(to, _)| to.needs_smtputf8())
            || !message[..headers_end].is_ascii();
        if !crate::data::is_ascii(message) && params.body.is_none() {
            params.body = Some(Body::EightBitMime);
        }
        let mut encoded = Vec::with_capacity(message.len() + message.len() / 32 + 8);
        let mut encoder = DataEncoder::new();
        encoder.encode(message, &mut encoded);
        encoder.finish(&mut encoded);
        if self.has(Keyword::Size) {
            // RFC 1870 s3: octets with CRLF line ends, "but not the SMTP DATA command's
            // terminating dot or doubled quoting dots".
            let size = encoded.len().saturating_sub(3) - stuffing_dots(&encoded);
            params.size = Some(u64::try_from(size).unwrap_or(u64::MAX));
        }
        if params.body == Some(Body::BinaryMime) {
            return Err(UsageError::NotNow {
                verb: Verb::Data,
                reason: "BODY=BINARYMIME needs BDAT; use Client::bdat",
            });
        }
        self.check_mail_params(&mut params)?;
        if self.pipeline.len() + envelope.to.len() + 2 > self.config.max_outstanding_commands {
            return Err(UsageError::TooManyOutstanding {
                limit: self.config.max_outstanding_commands,
            });
        }
        // Everything is checked: from here the commands are queued.
        let mail = self.mail(now, &envelope.from, params)?;
        let mut recipients = Vec::with_capacity(envelope.to.len());
        for (to, rcpt_params) in &envelope.to {
            recipients.push(self.rcpt(now, to, rcpt_params.clone())?);
        }
        let data = self.data(now)?;
        if let Some(transaction) = &mut self.transaction {
            transaction.prepared_body = Some(encoded);
        }
        Ok(MessageHandles {
            mail,
            recipients,
            data,
        })
    }

    /// Ends the session: QUIT (RFC 5321 s4.1.1.10). [`Event::Closed`] follows the reply.
    pub fn quit(&mut self, now: Instant) -> Result<CommandHandle, UsageError> {
        self.check_open()?;
        if matches!(
            self.phase,
            Phase::Closing | Phase::TlsHandshake | Phase::SendingData
        ) {
            return Err(UsageError::NotNow {
                verb: Verb::Quit,
                reason: "QUIT is already given, or a TLS handshake or message is in progress",
            });
        }
        let handle = self.queue(now, Command::Quit, Expect::Quit, Origin::Caller)?;
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
    /// than are pending counts as all). Re-arms the data-block timer while message data is
    /// still pending.
    pub fn consume_output(&mut self, now: Instant, n: usize) {
        let pending = self.output.len() - self.output_start;
        let n = n.min(pending);
        self.output_start += n;
        if self.output_start == self.output.len() {
            self.output.clear();
            self.output_start = 0;
            self.timers.stop(Timer::DataBlock);
        } else if n > 0 && self.timers.is_armed(Timer::DataBlock) {
            self.timers
                .arm(Timer::DataBlock, now, self.config.timeouts.data_block);
        }
    }

    /// The next event, oldest first. After the events, a fatal [`Error`] is returned, again
    /// on every call: the session is over.
    #[must_use = "events carry the replies to commands; an error ends the session"]
    #[inline]
    pub fn poll_event(&mut self) -> Result<Option<Event>, Error> {
        match self.events.pop_front() {
            Some(event) => Ok(Some(event)),
            None if self.error.is_none() => Ok(None),
            None => self.fatal_error(),
        }
    }

    /// [`Client::poll_event`] once the events are drained and the session failed.
    #[cold]
    #[inline(never)]
    fn fatal_error(&self) -> Result<Option<Event>, Error> {
        match &self.error {
            Some(error) => Err(error.clone()),
            None => Ok(None),
        }
    }

    /// The next deadline: when it passes, call [`Client::handle_timeout`]. Read it after
    /// every other call; `None` when nothing is awaited.
    #[must_use = "without the deadline a silent server hangs the session"]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_closed() {
            None
        } else {
            self.timers.earliest()
        }
    }

    // ---- internals shared with state.rs ------------------------------------------------

    /// Forgets the open transaction; its recipient list's storage is kept for the next one
    /// (unless a large envelope made it big), so a connection sending message after message
    /// does not allocate it each time.
    fn end_transaction(&mut self) {
        const KEEP_AT_MOST: usize = 64;
        if let Some(transaction) = &mut self.transaction
            && transaction.recipients.capacity() <= KEEP_AT_MOST
        {
            transaction.recipients.clear();
            self.spare_recipients = std::mem::take(&mut transaction.recipients);
        }
        self.transaction = None;
    }

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
        if self.is_closed() {
            Err(UsageError::Closed)
        } else {
            Ok(())
        }
    }

    /// Commands other than EHLO/HELO need a greeting and an answered EHLO/HELO, and may not
    /// interrupt TLS, message data or QUIT.
    #[inline]
    fn check_ready(&self, verb: Verb) -> Result<(), UsageError> {
        if self.phase == Phase::Ready && self.error.is_none() {
            return Ok(());
        }
        self.not_ready(verb)
    }

    /// [`Client::check_ready`] when the session is not simply ready: why not.
    #[inline(never)]
    fn not_ready(&self, verb: Verb) -> Result<(), UsageError> {
        self.check_open()?;
        match self.phase {
            Phase::Ready => Ok(()),
            Phase::Closing => Err(UsageError::Closed),
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
            Phase::Closed => Err(UsageError::Closed),
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

    fn check_mail_params(&self, params: &mut MailParams) -> Result<(), UsageError> {
        if params.smtputf8 && !self.has(Keyword::SmtpUtf8) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::SmtpUtf8,
            });
        }
        match params.body {
            Some(Body::EightBitMime) if !self.has(Keyword::EightBitMime) => {
                return Err(UsageError::ExtensionNotOffered {
                    extension: Keyword::EightBitMime,
                });
            }
            Some(Body::BinaryMime) if !self.has(Keyword::BinaryMime) => {
                return Err(UsageError::ExtensionNotOffered {
                    extension: Keyword::BinaryMime,
                });
            }
            _ => {}
        }
        if (params.ret.is_some() || params.envid.is_some()) && !self.has(Keyword::Dsn) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::Dsn,
            });
        }
        if params.requiretls && !self.has(Keyword::RequireTls) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::RequireTls,
            });
        }
        if params.mt_priority.is_some() && !self.has(Keyword::MtPriority) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::MtPriority,
            });
        }
        if params.auth.is_some() && !self.has(Keyword::Auth) {
            return Err(UsageError::ExtensionNotOffered {
                extension: Keyword::Auth,
            });
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

    fn transaction_for_data(&self, verb: Verb) -> Result<&Transaction, UsageError> {
        let Some(transaction) = &self.transaction else {
            return Err(UsageError::NotNow {
                verb,
                reason: "no transaction: send MAIL and RCPT first",
            });
        };
        if transaction.recipients.is_empty() {
            return Err(UsageError::NotNow {
                verb,
                reason: "no recipient: send RCPT first",
            });
        }
        if transaction.failed {
            return Err(UsageError::NotNow {
                verb,
                reason: "the transaction already failed",
            });
        }
        if transaction.method == Some(Method::Data) {
            return Err(UsageError::NotNow {
                verb,
                reason: "DATA was already given",
            });
        }
        Ok(transaction)
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
        self.queue(now, command, Expect::Hello, origin)
    }

    /// Serialises a command (strictly: a bad argument is an error and nothing is queued)
    /// and queues it; it is written at once when the pipelining rules allow.
    fn queue(
        &mut self,
        now: Instant,
        command: Command,
        expect: Expect,
        origin: Origin,
    ) -> Result<CommandHandle, UsageError> {
        self.queue_with(now, command.verb(), expect, origin, |out| {
            command.write_to(out)
        })
    }

    /// [`Client::queue`] with the command given as its writer (MAIL and RCPT are written from
    /// borrowed paths, so the caller keeps them).
    fn queue_with(
        &mut self,
        now: Instant,
        verb: Verb,
        expect: Expect,
        origin: Origin,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), CommandError>,
    ) -> Result<CommandHandle, UsageError> {
        if self.pipeline.waiting.is_empty() && self.can_write_now() {
            // The common case: nothing waits ahead of it, so it goes straight into the output
            // (the writer leaves the output unchanged when it refuses the command).
            self.check_outstanding(origin)?;
            self.compact_output();
            write(&mut self.output)?;
            let handle = self.new_handle();
            self.push_in_flight(
                now,
                Outstanding {
                    handle,
                    verb,
                    expect,
                    origin,
                    queued_at: None,
                },
            );
            return Ok(handle);
        }
        let mut bytes = Vec::with_capacity(64);
        write(&mut bytes)?;
        self.queue_bytes(now, verb, bytes, expect, origin)
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
            && !self.is_closed()
            && self.pipeline.may_write(self.pipelining())
    }

    fn push_in_flight(&mut self, now: Instant, mut command: Outstanding) {
        command.queued_at = Some(now);
        if self.pipeline.in_flight.is_empty() {
            let timeout = self.timeout_for(command.expect);
            self.timers.arm(Timer::Reply, now, timeout);
        }
        self.pipeline.in_flight.push_back(command);
    }

    fn queue_bytes(
        &mut self,
        now: Instant,
        verb: Verb,
        bytes: Vec<u8>,
        expect: Expect,
        origin: Origin,
    ) -> Result<CommandHandle, UsageError> {
        self.check_outstanding(origin)?;
        let handle = self.new_handle();
        self.pipeline.waiting.push_back(Waiting {
            command: Outstanding {
                handle,
                verb,
                expect,
                origin,
                queued_at: None,
            },
            bytes,
        });
        self.flush(now);
        Ok(handle)
    }

    /// Writes waiting commands into the output while the pipelining rules allow.
    fn flush(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::Greeted | Phase::Ready | Phase::Closing) || self.is_closed()
        {
            return;
        }
        let pipelining = self.pipelining();
        while !self.pipeline.waiting.is_empty() && self.pipeline.may_write(pipelining) {
            let Some(Waiting { mut command, bytes }) = self.pipeline.waiting.pop_front() else {
                break;
            };
            self.compact_output();
            self.output.extend_from_slice(&bytes);
            command.queued_at = Some(now);
            let first = self.pipeline.in_flight.is_empty();
            let timeout = self.timeout_for(command.expect);
            self.pipeline.in_flight.push_back(command);
            if first {
                self.timers.arm(Timer::Reply, now, timeout);
            }
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

    fn arm_data_block(&mut self, now: Instant) {
        if self.output_start < self.output.len() && !self.timers.is_armed(Timer::DataBlock) {
            self.timers
                .arm(Timer::DataBlock, now, self.config.timeouts.data_block);
        }
    }
}
