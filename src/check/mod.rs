//! [`Check`]: check a server the way an expert would with telnet, without sending mail.
//!
//! The check walks the steps of a session — connect, greeting, EHLO, STARTTLS, EHLO after
//! TLS, AUTH, MAIL, RCPT, (DATA only when asked), RSET, QUIT — over a [`Client`] in manual
//! handshake mode, times each step from the `now` values the caller passes, attaches a
//! diagnosis to every failure, and returns a [`Report`]. Like the client it does no IO:
//!
//! 1. open the connection (and, for implicit TLS, the TLS session) and call
//!    [`Check::connected`], or [`Check::connection_failed`] with a diagnosis from
//!    [`classify_transport_error`](crate::classify_transport_error) /
//!    [`classify_tls_error`](crate::classify_tls_error);
//! 2. loop: write [`Check::pending_output`] and [`Check::consume_output`]; handle
//!    [`Check::poll_action`] ([`Action::StartTls`]: run the handshake, then
//!    [`Check::tls_established`] or [`Check::tls_failed`]; [`Action::Close`]: close the
//!    socket and stop); wait for bytes ([`Check::receive`], [`Check::receive_eof`]) or
//!    [`Check::poll_timeout`] ([`Check::handle_timeout`]);
//! 3. read [`Check::report`].
//!
//! Optional steps follow swaks' "optional-strict" rule: skipped when the server does not
//! offer them and the caller did not require them; failed when tried and refused.

mod domain;
mod probe;
mod report;

use std::time::{Duration, Instant};

pub use domain::DomainCheckReport;
pub use probe::{PortProbe, PortRole, best_port};
pub use report::{
    CapabilityChanges, Report, StepReport, StepStatus, TlsFacts, TranscriptLine, Verdict, Warning,
};

use crate::address::{ForwardPath, Host, ReversePath};
use crate::auth::{Credentials, Mechanism};
use crate::capabilities::Capabilities;
use crate::client::{
    Client, CloseReason, CommandHandle, Config, Event, Handshake, MessageStatus, Pipelining,
    Timeouts, TlsPolicy, UsageError,
};
use crate::command::{Command, MailParams, RcptParams, Verb};
use crate::diagnosis::Diagnosis;
use crate::reply::Reply;

/// How the check encrypts the session (the `--tls` of the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CheckTls {
    /// No TLS at all.
    None,
    /// STARTTLS is required: a server without it fails the check.
    #[default]
    StartTls,
    /// STARTTLS when offered (optional-strict: failed if offered and it fails).
    StartTlsOptional,
    /// TLS on connect (port 465, RFC 8314).
    Implicit,
}

impl CheckTls {
    /// The command-line name (`none`, `starttls`, `starttls-optional`, `implicit`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckTls::None => "none",
            CheckTls::StartTls => "starttls",
            CheckTls::StartTlsOptional => "starttls-optional",
            CheckTls::Implicit => "implicit",
        }
    }
}

/// One step of a check, in session order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// TCP connection (and TLS on connect).
    Connect,
    /// The server's `220`.
    Greeting,
    /// EHLO (or HELO when EHLO is refused).
    Ehlo,
    /// STARTTLS and the TLS handshake.
    StartTls,
    /// EHLO again after TLS (RFC 3207 s4.2).
    EhloAfterTls,
    /// AUTH.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO (one step per recipient).
    Rcpt,
    /// DATA and the message (only when a message was given).
    Data,
    /// RSET.
    Rset,
    /// QUIT.
    Quit,
}

impl Step {
    /// The stable name (`ehlo-after-tls`, ...), as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::Greeting => "greeting",
            Step::Ehlo => "ehlo",
            Step::StartTls => "starttls",
            Step::EhloAfterTls => "ehlo-after-tls",
            Step::Auth => "auth",
            Step::Mail => "mail",
            Step::Rcpt => "rcpt",
            Step::Data => "data",
            Step::Rset => "rset",
            Step::Quit => "quit",
        }
    }

    /// Reads a `--quit-after` value: `connect greeting ehlo tls auth mail rcpt` (swaks'
    /// names; `starttls`, `helo`, `from` and `to` are accepted too).
    pub fn from_quit_after(name: &str) -> Option<Step> {
        Some(match name.to_ascii_lowercase().as_str() {
            "connect" | "banner" => Step::Connect,
            "greeting" => Step::Greeting,
            "ehlo" | "helo" | "first-helo" => Step::Ehlo,
            "tls" | "starttls" => Step::StartTls,
            "auth" => Step::Auth,
            "mail" | "from" => Step::Mail,
            "rcpt" | "to" => Step::Rcpt,
            _ => return None,
        })
    }
}

/// What to check.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The server as the user named it (`mx.example.com:25`), for the report.
    pub server: String,
    /// The port, when known: it shapes the expert warnings (587 without STARTTLS, ...).
    pub port: Option<u16>,
    /// How to encrypt.
    pub tls: CheckTls,
    /// The name sent with EHLO.
    pub client_name: Host,
    /// Credentials: when given, AUTH is required and tried.
    pub credentials: Option<Credentials>,
    /// A mechanism to use instead of the best common one.
    pub auth_mechanism: Option<Mechanism>,
    /// The MAIL FROM reverse path; `<>` when recipients are given without a sender.
    pub from: Option<ReversePath>,
    /// RCPT TO targets; MAIL and RCPT are only checked when there is at least one, or a sender.
    pub to: Vec<ForwardPath>,
    /// Stop (with QUIT) after this step.
    pub quit_after: Option<Step>,
    /// A message to send with DATA. Without one, DATA is never sent.
    pub data: Option<Vec<u8>>,
    /// Reply timeouts.
    pub timeouts: Timeouts,
}

impl CheckOptions {
    /// A check of `server` with STARTTLS required, no AUTH and no MAIL/RCPT.
    pub fn new(server: impl Into<String>, client_name: Host) -> CheckOptions {
        CheckOptions {
            server: server.into(),
            port: None,
            tls: CheckTls::default(),
            client_name,
            credentials: None,
            auth_mechanism: None,
            from: None,
            to: Vec::new(),
            quit_after: None,
            data: None,
            timeouts: Timeouts::uniform(Duration::from_secs(30)),
        }
    }
}

/// What the caller must do for the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Run the TLS handshake on the socket now (no plaintext may be read first), then call
    /// [`Check::tls_established`] or [`Check::tls_failed`].
    StartTls,
    /// The check is over: close the socket and read the report.
    Close,
}

/// Where the step machine is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Connect,
    Greeting,
    Hello { helo: bool },
    StartTls,
    Handshake,
    Auth,
    Mail,
    Rcpt,
    Data,
    Rset,
    Quit,
    Done,
}

/// A server check in progress. See the [module docs](self).
#[derive(Debug)]
pub struct Check {
    client: Client,
    options: CheckOptions,
    waiting: Waiting,
    step_started: Instant,
    report: Report,
    /// The command whose reply ends the current step.
    handle: Option<CommandHandle>,
    /// RCPT handles still awaiting replies, in order.
    rcpt_pending: Vec<(Option<CommandHandle>, ForwardPath)>,
    rcpt_accepted: usize,
    action: Option<Action>,
    /// Client output already shown in the transcript.
    in_auth: bool,
    in_data: bool,
    server_partial: Vec<u8>,
}

impl Check {
    /// Starts a check; the connect step runs from `now` until [`Check::connected`].
    pub fn new(options: CheckOptions, now: Instant) -> Check {
        let policy = match options.tls {
            CheckTls::None => TlsPolicy::None,
            CheckTls::StartTls => TlsPolicy::Required,
            CheckTls::StartTlsOptional => TlsPolicy::Opportunistic,
            CheckTls::Implicit => TlsPolicy::Implicit,
        };
        let config = Config::new(options.client_name.clone())
            .with_tls(policy)
            .with_handshake(Handshake::Manual)
            .with_pipelining(Pipelining::Off)
            .with_timeouts(options.timeouts);
        let report = Report::new(&options);
        Check {
            client: Client::new(config, now),
            options,
            waiting: Waiting::Connect,
            step_started: now,
            report,
            handle: None,
            rcpt_pending: Vec::new(),
            rcpt_accepted: 0,
            action: None,
            in_auth: false,
            in_data: false,
            server_partial: Vec::new(),
        }
    }

    /// The TCP connection (and for implicit TLS, the TLS session) is open.
    pub fn connected(&mut self, now: Instant, tls: Option<TlsFacts>) {
        if self.waiting != Waiting::Connect {
            return;
        }
        if let Some(tls) = tls {
            self.note_tls(&tls);
            self.report.tls = Some(tls);
        }
        self.finish_step(now, Step::Connect, StepStatus::Pass, None, Vec::new());
        if self.options.quit_after == Some(Step::Connect) {
            // Nothing to say yet: closing here is the whole point of quit-after connect.
            self.end(now);
            return;
        }
        // The greeting timer runs from the client's creation; restart it from the connection.
        self.client = Client::new(self.client.config().clone(), now);
        self.waiting = Waiting::Greeting;
        self.step_started = now;
    }

    /// The connection could not be opened: the check ends with this diagnosis.
    pub fn connection_failed(&mut self, now: Instant, diagnosis: Diagnosis) {
        if self.waiting != Waiting::Connect {
            return;
        }
        self.finish_step(now, Step::Connect, StepStatus::Fail, None, vec![diagnosis]);
        self.end(now);
    }

    /// The open connection failed (a read or write error, e.g. a reset): the current step
    /// fails with `diagnosis` (from
    /// [`classify_transport_error`](crate::classify_transport_error)) and the check ends.
    /// Before [`Check::connected`] this is [`Check::connection_failed`].
    pub fn transport_failed(&mut self, now: Instant, diagnosis: Diagnosis) {
        match self.waiting {
            Waiting::Done => {}
            Waiting::Connect => self.connection_failed(now, diagnosis),
            _ => {
                let step = self.current_step();
                self.finish_step(now, step, StepStatus::Fail, None, vec![diagnosis]);
                self.end(now);
            }
        }
    }

    /// Bytes read from the socket.
    pub fn receive(&mut self, now: Instant, bytes: &[u8]) {
        if self.is_done() {
            return;
        }
        self.record_server(bytes);
        self.client.receive(now, bytes);
        self.drive(now);
    }

    /// The server closed the connection.
    pub fn receive_eof(&mut self, now: Instant) {
        if self.is_done() {
            return;
        }
        self.client.receive_eof(now);
        self.drive(now);
    }

    /// The deadline of [`Check::poll_timeout`] passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.is_done() {
            return;
        }
        self.client.handle_timeout(now);
        self.drive(now);
    }

    /// The TLS handshake after [`Action::StartTls`] succeeded.
    pub fn tls_established(&mut self, now: Instant, tls: TlsFacts) {
        if self.waiting != Waiting::Handshake {
            return;
        }
        self.report.transcript.push(TranscriptLine::info(format!(
            "--- TLS established: {} {}{} ---",
            tls.protocol,
            tls.cipher,
            if tls.verified {
                ", certificate verified"
            } else {
                ", certificate NOT verified"
            }
        )));
        self.note_tls(&tls);
        self.report.tls = Some(tls);
        if self.client.tls_established(now).is_err() {
            return;
        }
        self.finish_step(now, Step::StartTls, StepStatus::Pass, None, Vec::new());
        if self.options.quit_after == Some(Step::StartTls) {
            self.quit(now);
            return;
        }
        self.hello(now, false);
        self.drive(now);
    }

    /// The TLS handshake failed; `diagnosis` comes from
    /// [`classify_tls_error`](crate::classify_tls_error). The check ends (the connection is
    /// unusable).
    pub fn tls_failed(&mut self, now: Instant, diagnosis: Diagnosis) {
        if self.waiting != Waiting::Handshake {
            return;
        }
        self.report
            .transcript
            .push(TranscriptLine::info("--- TLS handshake failed ---".into()));
        self.finish_step(now, Step::StartTls, StepStatus::Fail, None, vec![diagnosis]);
        self.end(now);
    }

    /// The bytes to write to the socket now.
    pub fn pending_output(&self) -> &[u8] {
        if self.is_done() {
            &[]
        } else {
            self.client.pending_output()
        }
    }

    /// Reports that `n` bytes of [`Check::pending_output`] were written.
    pub fn consume_output(&mut self, now: Instant, n: usize) {
        let n = n.min(self.client.pending_output().len());
        let written = self.client.pending_output()[..n].to_vec();
        self.record_client(&written);
        self.client.consume_output(now, n);
    }

    /// What the check was asked to do.
    pub fn options(&self) -> &CheckOptions {
        &self.options
    }

    /// What the caller must do next, if anything.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.action.take()
    }

    /// The next deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_done() {
            None
        } else {
            self.client.poll_timeout()
        }
    }

    /// Whether the check is over.
    pub fn is_done(&self) -> bool {
        self.waiting == Waiting::Done
    }

    /// The report so far (complete once [`Check::is_done`]).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Takes the report.
    pub fn into_report(self) -> Report {
        self.report
    }

    // ---- the step machine -------------------------------------------------------------

    fn drive(&mut self, now: Instant) {
        while let Some(event) = self.client.poll_event() {
            self.on_event(now, event);
            if self.is_done() {
                break;
            }
        }
    }

    fn current_step(&self) -> Step {
        match self.waiting {
            Waiting::Connect => Step::Connect,
            Waiting::Greeting => Step::Greeting,
            Waiting::Hello { .. }
                if self.client.is_tls() && self.options.tls != CheckTls::Implicit =>
            {
                Step::EhloAfterTls
            }
            Waiting::Hello { .. } => Step::Ehlo,
            Waiting::StartTls | Waiting::Handshake => Step::StartTls,
            Waiting::Auth => Step::Auth,
            Waiting::Mail => Step::Mail,
            Waiting::Rcpt => Step::Rcpt,
            Waiting::Data => Step::Data,
            Waiting::Rset => Step::Rset,
            Waiting::Quit | Waiting::Done => Step::Quit,
        }
    }

    fn on_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Greeted { reply } => {
                let waited = now.saturating_duration_since(self.step_started);
                if waited > Duration::from_secs(5) {
                    self.report.warnings.push(Warning::new(format!(
                        "the greeting took {:.1} s: a greet pause or tarpit (clients give up at 5 minutes, RFC 5321 s4.5.3.2.1, but impatient ones sooner)",
                        waited.as_secs_f64()
                    )));
                }
                self.note_anomalies(&reply);
                self.finish_step(
                    now,
                    Step::Greeting,
                    StepStatus::Pass,
                    Some(reply),
                    Vec::new(),
                );
                if self.options.quit_after == Some(Step::Greeting) {
                    self.quit(now);
                } else {
                    self.hello(now, false);
                }
            }
            Event::HelloAccepted {
                verb,
                capabilities,
                reply,
                ..
            } => self.on_hello(now, verb, *capabilities, reply),
            Event::StartTlsReady { .. } => {
                self.waiting = Waiting::Handshake;
                self.report
                    .transcript
                    .push(TranscriptLine::info("--- TLS handshake ---".into()));
                self.action = Some(Action::StartTls);
            }
            Event::Authenticated {
                reply, mechanism, ..
            } => {
                self.in_auth = false;
                let mut step =
                    StepReport::new(Step::Auth, StepStatus::Pass, Some(reply), Vec::new());
                step.detail = Some(format!("mechanism {mechanism}"));
                self.push_step(now, step);
                if self.options.quit_after == Some(Step::Auth) {
                    self.quit(now);
                } else {
                    self.mail(now);
                }
            }
            Event::MailAccepted { reply, .. } => {
                self.note_anomalies(&reply);
                self.finish_step(now, Step::Mail, StepStatus::Pass, Some(reply), Vec::new());
                if self.options.quit_after == Some(Step::Mail) {
                    self.quit(now);
                } else {
                    self.rcpt(now);
                }
            }
            Event::RecipientAccepted { handle, reply } => {
                self.rcpt_accepted += 1;
                self.rcpt_done(now, handle, StepStatus::Pass, reply, Vec::new());
            }
            Event::DataReady { .. } => {
                self.in_data = true;
                let body = self.options.data.clone().unwrap_or_default();
                let sent = self
                    .client
                    .send_data(now, &body)
                    .and_then(|()| self.client.finish_data(now));
                if let Err(error) = sent {
                    self.usage_failure(now, Step::Data, &error);
                }
            }
            Event::MessageFinished(outcome) if self.in_data => {
                self.in_data = false;
                if outcome.long_lines > 0 {
                    self.report.warnings.push(Warning::new(format!(
                        "the message has {} line(s) longer than 998 octets (RFC 5321 s4.5.3.1.6): servers may refuse it or break the lines",
                        outcome.long_lines
                    )));
                }
                match outcome.status {
                    MessageStatus::Accepted { reply } => {
                        self.finish_step(
                            now,
                            Step::Data,
                            StepStatus::Pass,
                            Some(reply),
                            Vec::new(),
                        );
                    }
                    MessageStatus::NotSent { diagnosis } | MessageStatus::Refused { diagnosis } => {
                        self.finish_step(now, Step::Data, StepStatus::Fail, None, vec![*diagnosis]);
                    }
                    _ => {}
                }
                self.quit(now);
            }
            Event::Replied {
                verb: Verb::Rset,
                reply,
                ..
            } => {
                self.finish_step(now, Step::Rset, StepStatus::Pass, Some(reply), Vec::new());
                self.quit(now);
            }
            Event::Replied { .. } | Event::ChunkAccepted { .. } | Event::Ready { .. } => {}
            Event::Rejected(rejection) => {
                let rejection = *rejection;
                self.on_rejected(
                    now,
                    rejection.handle,
                    rejection.verb,
                    rejection.reply,
                    rejection.diagnosis,
                );
            }
            Event::Closed { reason } => self.on_closed(now, reason),
            _ => {}
        }
    }

    fn on_hello(&mut self, now: Instant, verb: Verb, capabilities: Capabilities, reply: Reply) {
        let after_tls = self.client.is_tls() && self.options.tls != CheckTls::Implicit;
        let step = if after_tls {
            Step::EhloAfterTls
        } else {
            Step::Ehlo
        };
        self.note_anomalies(&reply);
        let status = if verb == Verb::Helo {
            self.report.warnings.push(Warning::new(
                "the server refused EHLO and only speaks HELO: no extensions (no STARTTLS, AUTH, SIZE or PIPELINING)".into(),
            ));
            StepStatus::Warn
        } else {
            StepStatus::Pass
        };
        for anomaly in capabilities.anomalies() {
            self.report
                .warnings
                .push(Warning::new(format!("EHLO reply: {anomaly}")));
        }
        if after_tls {
            if capabilities.starttls() {
                self.report.warnings.push(Warning::new(
                    "STARTTLS is still advertised after TLS (RFC 3207 s4.2 forbids it)".into(),
                ));
            }
            self.report.capabilities_after_tls = Some(capabilities.clone());
        } else {
            self.report.capabilities_before_tls = Some(capabilities.clone());
            self.plaintext_warnings(&capabilities);
        }
        self.finish_step(now, step, status, Some(reply), Vec::new());
        if step == Step::Ehlo && self.options.quit_after == Some(Step::Ehlo) {
            self.quit(now);
            return;
        }
        if step == Step::Ehlo {
            self.maybe_starttls(now, &capabilities);
        } else {
            self.size_warning(&capabilities);
            self.auth(now, &capabilities);
        }
    }

    fn plaintext_warnings(&mut self, capabilities: &Capabilities) {
        let plaintext: Vec<String> = capabilities
            .auth_mechanisms()
            .filter(Mechanism::sends_plaintext_secret)
            .map(|m| m.to_string())
            .collect();
        if !self.client.is_tls() && !plaintext.is_empty() {
            self.report.warnings.push(Warning::new(format!(
                "AUTH {} is offered before TLS: passwords can cross the network in the clear",
                plaintext.join(" ")
            )));
        }
        if matches!(self.options.port, Some(587))
            && !capabilities.starttls()
            && !self.client.is_tls()
        {
            self.report.warnings.push(Warning::with_diagnosis(
                "no STARTTLS on a submission port (587): credentials and mail would travel unencrypted".into(),
                Diagnosis::tls_not_offered(),
            ));
        }
        if self.options.tls == CheckTls::Implicit || !capabilities.starttls() {
            self.size_warning(capabilities);
        }
    }

    fn size_warning(&mut self, capabilities: &Capabilities) {
        if let Some(size) = capabilities.size()
            && size < 10 * 1024 * 1024
        {
            self.report.warnings.push(Warning::new(format!(
                "SIZE {size} is under 10 MB: ordinary attachments (base64 adds a third) will be refused"
            )));
        }
    }

    fn maybe_starttls(&mut self, now: Instant, capabilities: &Capabilities) {
        match self.options.tls {
            CheckTls::None | CheckTls::Implicit => {
                self.skip(now, Step::StartTls, "not requested");
                self.skip(now, Step::EhloAfterTls, "no TLS upgrade");
                self.auth(now, capabilities);
            }
            CheckTls::StartTls | CheckTls::StartTlsOptional if capabilities.starttls() => {
                self.step_started = now;
                self.waiting = Waiting::StartTls;
                match self.client.starttls(now) {
                    Ok(handle) => self.handle = Some(handle),
                    Err(error) => self.usage_failure(now, Step::StartTls, &error),
                }
            }
            CheckTls::StartTls => {
                self.finish_step(
                    now,
                    Step::StartTls,
                    StepStatus::Fail,
                    None,
                    vec![Diagnosis::tls_not_offered()],
                );
                self.quit(now);
            }
            CheckTls::StartTlsOptional => {
                self.skip(now, Step::StartTls, "not offered by the server");
                self.skip(now, Step::EhloAfterTls, "no TLS upgrade");
                self.auth(now, capabilities);
            }
        }
    }

    fn auth(&mut self, now: Instant, capabilities: &Capabilities) {
        let Some(credentials) = self.options.credentials.clone() else {
            let offered = capabilities.auth_mechanisms().next().is_some();
            self.skip(
                now,
                Step::Auth,
                if offered {
                    "no credentials given"
                } else {
                    "not offered, no credentials given"
                },
            );
            if self.options.quit_after == Some(Step::Auth) {
                self.quit(now);
            } else {
                self.mail(now);
            }
            return;
        };
        self.step_started = now;
        self.waiting = Waiting::Auth;
        match self
            .client
            .authenticate(now, &credentials, self.options.auth_mechanism.clone())
        {
            Ok(handle) => {
                self.handle = Some(handle);
                self.in_auth = true;
            }
            Err(error) => self.usage_failure(now, Step::Auth, &error),
        }
    }

    fn mail(&mut self, now: Instant) {
        if self.options.from.is_none() && self.options.to.is_empty() {
            self.skip(now, Step::Mail, "no sender or recipient given");
            self.quit(now);
            return;
        }
        let from = self.options.from.clone().unwrap_or(ReversePath::Null);
        // What the addresses and the message need, as the client declares it for mail it
        // sends: SMTPUTF8 for a non-ASCII address or header (RFC 6531, RFC 6532),
        // BODY=8BITMIME for 8-bit content (RFC 6152), and SIZE= the octets that will be
        // sent, CRLF line ends without stuffing dots (RFC 1870 s3).
        let mut params = MailParams {
            smtputf8: from.needs_smtputf8()
                || self.options.to.iter().any(ForwardPath::needs_smtputf8),
            ..MailParams::default()
        };
        if let Some(data) = &self.options.data {
            let facts = crate::client::encode_message(data);
            params.size = Some(facts.size);
            params.smtputf8 |= facts.smtputf8;
            if facts.eight_bit {
                params.body = Some(crate::command::Body::EightBitMime);
            }
        }
        self.step_started = now;
        self.waiting = Waiting::Mail;
        match self.client.mail(now, &from, params) {
            Ok(handle) => self.handle = Some(handle),
            Err(error) => self.usage_failure(now, Step::Mail, &error),
        }
    }

    fn rcpt(&mut self, now: Instant) {
        if self.options.to.is_empty() {
            self.skip(now, Step::Rcpt, "no recipient given");
            self.rset(now);
            return;
        }
        self.step_started = now;
        self.waiting = Waiting::Rcpt;
        for to in self.options.to.clone() {
            match self.client.rcpt(now, &to, RcptParams::default()) {
                Ok(handle) => self.rcpt_pending.push((Some(handle), to)),
                // The session ended: the recipient waits for the reason in the last event.
                Err(UsageError::Closed) if !self.client.is_closed() => {
                    self.rcpt_pending.push((None, to));
                }
                Err(error) => {
                    let diagnoses = error.diagnosis().into_iter().collect();
                    let mut step = StepReport::new(Step::Rcpt, StepStatus::Fail, None, diagnoses);
                    step.target = Some(to.to_string());
                    step.detail = Some(error.to_string());
                    self.push_step(now, step);
                }
            }
        }
        if self.rcpt_pending.is_empty() {
            self.after_rcpts(now);
        }
    }

    fn rcpt_done(
        &mut self,
        now: Instant,
        handle: CommandHandle,
        status: StepStatus,
        reply: Reply,
        diagnoses: Vec<Diagnosis>,
    ) {
        let Some(index) = self
            .rcpt_pending
            .iter()
            .position(|(h, _)| *h == Some(handle))
        else {
            return;
        };
        let (_, to) = self.rcpt_pending.remove(index);
        self.note_anomalies(&reply);
        let mut step = StepReport::new(Step::Rcpt, status, Some(reply), diagnoses);
        step.target = Some(to.to_string());
        self.push_step(now, step);
        self.step_started = now;
        if self.rcpt_pending.is_empty() {
            self.after_rcpts(now);
        }
    }

    fn after_rcpts(&mut self, now: Instant) {
        if self.rcpt_accepted > 0 {
            self.report.warnings.push(Warning::new(
                "a 250 to RCPT proves nothing about delivery: catch-all domains, accept-then-bounce providers and greylisting later all say 250 here".into(),
            ));
        }
        if self.options.quit_after == Some(Step::Rcpt) {
            self.quit(now);
            return;
        }
        if self.options.data.is_some() && self.rcpt_accepted > 0 {
            self.step_started = now;
            self.waiting = Waiting::Data;
            match self.client.data(now) {
                Ok(handle) => self.handle = Some(handle),
                Err(error) => self.usage_failure(now, Step::Data, &error),
            }
            return;
        }
        if self.options.data.is_some() {
            self.skip(now, Step::Data, "no recipient was accepted");
        }
        self.rset(now);
    }

    fn rset(&mut self, now: Instant) {
        self.step_started = now;
        self.waiting = Waiting::Rset;
        match self.client.send(now, Command::Rset) {
            Ok(handle) => self.handle = Some(handle),
            Err(_) => self.quit(now),
        }
    }

    fn hello(&mut self, now: Instant, helo: bool) {
        self.step_started = now;
        self.waiting = Waiting::Hello { helo };
        let sent = if helo {
            self.client.helo(now)
        } else {
            self.client.ehlo(now)
        };
        match sent {
            Ok(handle) => self.handle = Some(handle),
            Err(error) => {
                let step = self.current_step();
                self.usage_failure(now, step, &error);
            }
        }
    }

    fn quit(&mut self, now: Instant) {
        if matches!(self.waiting, Waiting::Quit | Waiting::Done) {
            return;
        }
        self.step_started = now;
        match self.client.quit(now) {
            Ok(handle) => {
                self.handle = Some(handle);
                self.waiting = Waiting::Quit;
            }
            // The engine already sent QUIT (it ended the session for its TLS policy): wait
            // for the reply like any QUIT.
            Err(UsageError::NotNow {
                verb: Verb::Quit, ..
            }) => self.waiting = Waiting::Quit,
            // The session already ended: its last event, still to come, says why.
            Err(_) if !self.client.is_closed() => self.waiting = Waiting::Quit,
            Err(_) => self.end(now),
        }
    }

    fn on_rejected(
        &mut self,
        now: Instant,
        handle: CommandHandle,
        verb: Option<Verb>,
        reply: Reply,
        diagnosis: Diagnosis,
    ) {
        self.note_anomalies(&reply);
        match verb {
            None => {
                self.finish_step(
                    now,
                    Step::Greeting,
                    StepStatus::Fail,
                    Some(reply),
                    vec![diagnosis],
                );
                self.quit(now);
            }
            Some(Verb::Ehlo) if matches!(reply.code().value(), 500 | 502) => {
                // RFC 5321 s3.2: an old server; try HELO and report the step as a warning.
                self.hello(now, true);
            }
            Some(Verb::Ehlo | Verb::Helo | Verb::Lhlo) => {
                let step = self.current_step();
                self.finish_step(now, step, StepStatus::Fail, Some(reply), vec![diagnosis]);
                self.quit(now);
            }
            Some(Verb::StartTls) => {
                self.finish_step(
                    now,
                    Step::StartTls,
                    StepStatus::Fail,
                    Some(reply),
                    vec![diagnosis],
                );
                self.quit(now);
            }
            Some(Verb::Auth) => {
                self.in_auth = false;
                self.finish_step(
                    now,
                    Step::Auth,
                    StepStatus::Fail,
                    Some(reply),
                    vec![diagnosis],
                );
                self.quit(now);
            }
            Some(Verb::Mail) => {
                self.finish_step(
                    now,
                    Step::Mail,
                    StepStatus::Fail,
                    Some(reply),
                    vec![diagnosis],
                );
                self.quit(now);
            }
            Some(Verb::Rcpt) => {
                self.rcpt_done(now, handle, StepStatus::Fail, reply, vec![diagnosis])
            }
            Some(Verb::Data | Verb::Bdat) => {
                self.in_data = false;
                self.finish_step(
                    now,
                    Step::Data,
                    StepStatus::Fail,
                    Some(reply),
                    vec![diagnosis],
                );
                self.quit(now);
            }
            Some(Verb::Rset) => {
                self.finish_step(
                    now,
                    Step::Rset,
                    StepStatus::Fail,
                    Some(reply),
                    vec![diagnosis],
                );
                self.quit(now);
            }
            Some(Verb::Quit) => {
                self.finish_step(
                    now,
                    Step::Quit,
                    StepStatus::Warn,
                    Some(reply),
                    vec![diagnosis],
                );
            }
            Some(_) => {}
        }
    }

    fn on_closed(&mut self, now: Instant, reason: CloseReason) {
        match reason {
            CloseReason::Quit { reply } => {
                let status = if reply.as_ref().is_some_and(|r| r.code().value() == 221) {
                    StepStatus::Pass
                } else {
                    StepStatus::Warn
                };
                self.close_pending_recipients(now, None, None);
                if self.report.step(Step::Quit).is_none() {
                    self.finish_step(now, Step::Quit, status, reply, Vec::new());
                }
            }
            CloseReason::Aborted { diagnosis } => {
                self.close_pending_recipients(now, None, None);
                self.finish_step(now, Step::Quit, StepStatus::Pass, None, Vec::new());
                self.report.warnings.push(Warning::with_diagnosis(
                    "the session was ended by the client's policy".into(),
                    *diagnosis,
                ));
            }
            CloseReason::ServiceClosing { reply, diagnosis } => {
                self.session_ended(now, Some(reply), *diagnosis);
            }
            CloseReason::ConnectionClosed { diagnosis } => {
                self.session_ended(now, None, *diagnosis);
            }
            CloseReason::Failed { error } => {
                let diagnosis = error.diagnosis().clone();
                let reply = match error {
                    crate::client::Error::UnexpectedReply { reply, .. } => Some(reply),
                    _ => None,
                };
                self.session_ended(now, reply, diagnosis);
            }
        }
        self.end(now);
    }

    /// The session ended under the check (a `421`, a hang-up, a timeout, a protocol error):
    /// the step it ended gets the reason, once; recipients not yet answered are listed as not
    /// tried.
    fn session_ended(&mut self, now: Instant, reply: Option<Reply>, diagnosis: Diagnosis) {
        // A 421 that answered a command was already reported on that command's step.
        let already = reply.as_ref().is_some_and(|reply| {
            self.report
                .steps
                .iter()
                .any(|step| step.reply.as_ref() == Some(reply))
        });
        if !self.rcpt_pending.is_empty() {
            let first = (!already).then_some((reply, diagnosis));
            self.close_pending_recipients(now, first, Some(()));
            return;
        }
        if already {
            return;
        }
        let step = self.current_step();
        if step == Step::Quit && self.report.step(Step::Quit).is_some() {
            return;
        }
        self.finish_step(now, step, StepStatus::Fail, reply, vec![diagnosis]);
    }

    /// Reports the recipients still awaiting their RCPT reply: the first one with the reason
    /// the session ended, if it has not been reported elsewhere, the others as not tried.
    fn close_pending_recipients(
        &mut self,
        now: Instant,
        mut first: Option<(Option<Reply>, Diagnosis)>,
        ended: Option<()>,
    ) {
        for (_, to) in std::mem::take(&mut self.rcpt_pending) {
            let mut step = match first.take() {
                Some((reply, diagnosis)) => {
                    StepReport::new(Step::Rcpt, StepStatus::Fail, reply, vec![diagnosis])
                }
                None => {
                    let mut skipped =
                        StepReport::new(Step::Rcpt, StepStatus::Skip, None, Vec::new());
                    skipped.detail = Some(if ended.is_some() {
                        "not tried: the session ended first".to_owned()
                    } else {
                        "not tried".to_owned()
                    });
                    skipped
                }
            };
            step.target = Some(to.to_string());
            self.push_step(now, step);
        }
    }

    fn usage_failure(&mut self, now: Instant, step: Step, error: &UsageError) {
        if matches!(error, UsageError::Closed) && !self.client.is_closed() {
            // The session ended under the check: the reason is in its last event, which
            // is still to come and lands on this step.
            return;
        }
        let diagnoses = error.diagnosis().into_iter().collect();
        let mut report = StepReport::new(step, StepStatus::Fail, None, diagnoses);
        report.detail = Some(error.to_string());
        self.push_step(now, report);
        self.quit(now);
    }

    fn skip(&mut self, now: Instant, step: Step, why: &str) {
        let mut report = StepReport::new(step, StepStatus::Skip, None, Vec::new());
        report.detail = Some(why.to_string());
        report.duration = None;
        self.report.steps.push(report);
        self.step_started = now;
    }

    fn finish_step(
        &mut self,
        now: Instant,
        step: Step,
        status: StepStatus,
        reply: Option<Reply>,
        diagnoses: Vec<Diagnosis>,
    ) {
        self.push_step(now, StepReport::new(step, status, reply, diagnoses));
    }

    fn push_step(&mut self, now: Instant, mut step: StepReport) {
        step.duration = Some(now.saturating_duration_since(self.step_started));
        self.report.steps.push(step);
        self.step_started = now;
    }

    fn end(&mut self, now: Instant) {
        if self.waiting == Waiting::Done {
            return;
        }
        let _ = now;
        self.waiting = Waiting::Done;
        self.action = Some(Action::Close);
        self.report.finish();
    }

    fn note_tls(&mut self, tls: &TlsFacts) {
        if tls.pinned {
            self.report.warnings.push(Warning::new(
                "the server certificate did not verify against any authority; it was accepted because it is byte-equal to one given with --ca (a pinned, probably self-signed, certificate): senders that verify certificates will not trust it".into(),
            ));
        }
        if !tls.verified {
            self.report
                .warnings
                .push(Warning::new(match &tls.verify_error {
                    Some(error) => format!("the server certificate was NOT verified: {error}"),
                    None => "the server certificate was NOT verified (--insecure)".into(),
                }));
        }
    }

    fn note_anomalies(&mut self, reply: &Reply) {
        for anomaly in reply.anomalies().iter() {
            let text = format!(
                "the server broke RFC 5321: {anomaly} (reply {})",
                reply.code()
            );
            if !self.report.warnings.iter().any(|w| w.text == text) {
                self.report.warnings.push(Warning::new(text));
            }
        }
    }

    // ---- the transcript ---------------------------------------------------------------

    fn record_client(&mut self, bytes: &[u8]) {
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let text = String::from_utf8_lossy(line);
            let text = text.trim_end_matches(['\r', '\n']);
            if self.in_data {
                continue;
            }
            let shown = if self.in_auth {
                match text.split_once(' ') {
                    Some((verb, rest)) if verb.eq_ignore_ascii_case("AUTH") => {
                        match rest.split_once(' ') {
                            Some((mechanism, _)) => format!("AUTH {mechanism} [redacted]"),
                            None => text.to_string(),
                        }
                    }
                    _ => "[redacted]".to_string(),
                }
            } else {
                text.to_string()
            };
            self.report.transcript.push(TranscriptLine::client(shown));
        }
        if self.in_data && !bytes.is_empty() {
            let note = format!("[message data: {} octets]", bytes.len());
            self.report.transcript.push(TranscriptLine::client(note));
        }
    }

    fn record_server(&mut self, bytes: &[u8]) {
        self.server_partial.extend_from_slice(bytes);
        while let Some(end) = self.server_partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.server_partial.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            let shown = if self.in_auth && text.starts_with("334") {
                "334 [redacted]".to_string()
            } else {
                text.to_string()
            };
            self.report.transcript.push(TranscriptLine::server(shown));
        }
        // Bounded: a line longer than the reply limit ends the session anyway.
        if self.server_partial.len() > 8192 {
            self.server_partial.clear();
        }
    }
}

#[cfg(test)]
mod tests;
