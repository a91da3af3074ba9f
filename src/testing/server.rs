//! [`Server`]: a scripted in-memory SMTP server, sans-IO like the client it answers.

use std::collections::VecDeque;

use super::script::{Answer, Point, Script, refusal, reply};
use super::transcript::{Transcript, TranscriptError};
use super::{Policy, policy::RecipientVerdict};
use crate::address::{ForwardPath, ReversePath};
use crate::auth::Mechanism;
use crate::command::{
    Command, CommandLimits, MailParams, Verb, parse_auth_response, parse_command,
};
use crate::data::DataDecoder;
use crate::reply::{Decoded, Reply};

/// The most client octets the server holds while waiting for the end of a line; a longer
/// line is answered `500` and skipped (RFC 5321 s4.5.3.1.4 lets a server refuse it).
pub(super) const MAX_PENDING_LINE: usize = 16 * 1024;

/// A message the server accepted: what a test asserts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// The MAIL FROM path.
    pub from: ReversePath,
    /// The MAIL FROM parameters.
    pub params: MailParams,
    /// The accepted recipients, in order.
    pub to: Vec<ForwardPath>,
    /// The message as the server stored it: dot-unstuffed, without the end-of-data line
    /// (DATA), or the chunks joined (BDAT).
    pub content: Vec<u8>,
    /// The user the session authenticated as, if any.
    pub authenticated_as: Option<String>,
}

/// A scripted in-memory SMTP server for tests.
///
/// It is driven like the [`Client`](crate::Client): bytes the client wrote go in with
/// [`Server::receive`], the server's bytes come out of [`Server::pending_output`]. It answers
/// from a [`Policy`] (a small but real ESMTP server: STARTTLS, AUTH PLAIN and LOGIN, SIZE,
/// PIPELINING, CHUNKING, LMTP), from a [`Script`] (a policy with answers overridden one by
/// one), or from a C:/S: [`Transcript`]. It records everything the client sent, the session
/// as a transcript, and the messages it accepted.
///
/// The server's own replies are always valid SMTP; what the client sends is parsed with the
/// crate's command parser, and a line that does not parse gets `500 5.5.2` (and is recorded),
/// as a real server would answer.
#[derive(Debug)]
pub struct Server {
    mode: Mode,
    /// Client octets not yet used.
    input: Vec<u8>,
    /// Discarding the rest of an over-long or unparsable line.
    skip_line: bool,
    output: Vec<u8>,
    received: Vec<u8>,
    log: Vec<String>,
    messages: Vec<ReceivedMessage>,
    closed: bool,
    tls: bool,
    awaiting_tls: bool,
    splits: Vec<usize>,
    next_split: usize,
}

#[derive(Debug)]
enum Mode {
    Policy(Box<Session>),
    Transcript(Transcript),
}

/// The policy server's session state.
#[derive(Debug)]
struct Session {
    policy: Policy,
    answers: VecDeque<Answer>,
    greeted: bool,
    authenticated: Option<String>,
    mail: Option<(ReversePath, MailParams)>,
    recipients: Vec<ForwardPath>,
    phase: Phase,
    bdat_content: Vec<u8>,
}

#[derive(Debug)]
enum Phase {
    Commands,
    /// A SASL line for `mechanism`; `user` once LOGIN has it.
    Sasl {
        mechanism: Mechanism,
        user: Option<String>,
    },
    Data {
        decoder: DataDecoder,
        content: Vec<u8>,
    },
    /// The octets of a BDAT chunk still to come.
    Chunk {
        remaining: u64,
        last: bool,
    },
}

impl Server {
    /// A server that answers as `policy` says. Its greeting is already in
    /// [`Server::pending_output`].
    pub fn new(policy: Policy) -> Server {
        Server::scripted(Script::new(policy))
    }

    /// A policy server whose answers the script overrides (see [`Script`]).
    pub fn scripted(script: Script) -> Server {
        let session = Session {
            policy: script.policy,
            answers: script.answers.into(),
            greeted: false,
            authenticated: None,
            mail: None,
            recipients: Vec::new(),
            phase: Phase::Commands,
            bdat_content: Vec::new(),
        };
        let mut server = Server::with_mode(Mode::Policy(Box::new(session)));
        server.splits = script.splits;
        server.greet();
        server
    }

    /// A server that replays a C:/S: transcript (see [`Transcript`]): it sends the `S:`
    /// lines, and expects the client to send the `C:` lines, in order. After a mismatch it
    /// answers `421` and closes; [`Server::finish`] says what differed.
    ///
    /// ```
    /// use smtp_sansio::testing::Server;
    /// let server = Server::from_transcript("S: 220 mx.example.test ESMTP\nC: EHLO client.example\nS: 250 mx.example.test")?;
    /// assert_eq!(server.pending_output(), b"220 mx.example.test ESMTP\r\n");
    /// # Ok::<(), smtp_sansio::testing::TranscriptError>(())
    /// ```
    pub fn from_transcript(text: &str) -> Result<Server, TranscriptError> {
        let transcript = Transcript::parse(text)?;
        let mut server = Server::with_mode(Mode::Transcript(transcript));
        server.replay();
        Ok(server)
    }

    fn with_mode(mode: Mode) -> Server {
        Server {
            mode,
            input: Vec::new(),
            skip_line: false,
            output: Vec::new(),
            received: Vec::new(),
            log: Vec::new(),
            messages: Vec::new(),
            closed: false,
            tls: false,
            awaiting_tls: false,
            splits: Vec::new(),
            next_split: 0,
        }
    }

    /// Sets the sizes of the pieces [`Server::next_delivery_len`] hands out (cycled; `0` or
    /// none: everything at once). Splitting replies at odd places is how a test checks that
    /// a client reassembles them.
    pub fn with_splits(mut self, splits: impl IntoIterator<Item = usize>) -> Server {
        self.splits = splits.into_iter().collect();
        self
    }

    /// What the server has to send.
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// Marks `n` octets of [`Server::pending_output`] as delivered.
    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// How many octets of the pending output to deliver next, following the splits.
    pub fn next_delivery_len(&mut self) -> usize {
        let pending = self.output.len();
        if self.splits.is_empty() {
            return pending;
        }
        let split = self.splits[self.next_split % self.splits.len()];
        self.next_split += 1;
        if split == 0 {
            pending
        } else {
            split.min(pending)
        }
    }

    /// Whether the server has closed the connection (after QUIT, a `421`, a hang-up or a
    /// transcript mismatch). Its last output may still be pending.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Client octets held, waiting for the end of a line (for the bound tests).
    #[cfg(test)]
    pub(super) fn held_input(&self) -> usize {
        self.input.len()
    }

    /// Whether the server said `220` to STARTTLS and waits for the TLS handshake: a server
    /// on a real socket runs it now, then calls [`Server::start_tls`].
    pub fn wants_tls(&self) -> bool {
        self.awaiting_tls
    }

    /// Whether the (simulated) TLS layer is up.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Everything the client sent, as raw octets.
    pub fn received(&self) -> &[u8] {
        &self.received
    }

    /// The messages the server accepted, in order.
    pub fn messages(&self) -> &[ReceivedMessage] {
        &self.messages
    }

    /// The session so far as `C:`/`S:` lines (the client's message content included, SASL
    /// lines as sent), one per line: readable in a failing test and parseable by
    /// [`Server::from_transcript`].
    pub fn transcript(&self) -> String {
        let mut text = String::new();
        for line in &self.log {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// For a transcript server: `Ok` when the client sent every `C:` line and nothing else.
    /// Other servers have no expectations and always give `Ok`.
    pub fn finish(&self) -> Result<(), TranscriptError> {
        match &self.mode {
            Mode::Transcript(transcript) => transcript.finish(),
            Mode::Policy(_) => Ok(()),
        }
    }

    /// The TLS handshake after `220` to STARTTLS is done (or, for implicit TLS, the
    /// connection starts encrypted). The session starts over, as RFC 3207 s4.2 requires.
    pub fn start_tls(&mut self) {
        self.tls = true;
        self.awaiting_tls = false;
        if let Mode::Policy(session) = &mut self.mode {
            session.greeted = false;
            session.authenticated = None;
            session.mail = None;
            session.recipients.clear();
        }
    }

    /// Takes octets the client wrote and answers every complete command in them.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.received.extend_from_slice(bytes);
        if self.closed || self.awaiting_tls {
            // RFC 3207 s4.2: what arrives before the handshake is not part of the session.
            return;
        }
        self.input.extend_from_slice(bytes);
        match self.mode {
            Mode::Policy(_) => self.serve(),
            Mode::Transcript(_) => self.replay(),
        }
    }

    /// The client closed its side.
    pub fn receive_eof(&mut self) {
        self.closed = true;
    }

    /// Sends `reply`; after a `421` the server closes (RFC 5321 s3.8).
    fn send(&mut self, reply: &Reply) {
        if reply.code() == crate::ReplyCode::SERVICE_NOT_AVAILABLE {
            self.closed = true;
        }
        for line in reply.lines() {
            self.log.push(format!(
                "S: {}",
                String::from_utf8_lossy(trim_crlf(line.as_bytes()))
            ));
        }
        reply.write_to(&mut self.output);
    }

    fn log_client(&mut self, bytes: &[u8]) {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            self.log
                .push(format!("C: {}", String::from_utf8_lossy(trim_crlf(line))));
        }
    }

    // ---- transcript mode -----------------------------------------------------------------

    fn replay(&mut self) {
        loop {
            let Mode::Transcript(transcript) = &mut self.mode else {
                return;
            };
            for line in transcript.take_server_lines() {
                self.log.push(format!("S: {line}"));
                self.output.extend_from_slice(line.as_bytes());
                self.output.extend_from_slice(b"\r\n");
            }
            if self.closed {
                return;
            }
            let Some(end) = self.input.iter().position(|&b| b == b'\n') else {
                if self.input.len() > MAX_PENDING_LINE {
                    self.input.clear();
                }
                return;
            };
            let line: Vec<u8> = self.input.drain(..=end).collect();
            self.log_client(&line);
            let Mode::Transcript(transcript) = &mut self.mode else {
                return;
            };
            if let Err(expected) = transcript.expect_client_line(trim_crlf(&line)) {
                let text = format!("4.3.0 transcript mismatch: expected {expected}");
                let text: String = text.chars().filter(|c| (' '..='~').contains(c)).collect();
                self.send(&reply(421, None, &text));
                return;
            }
        }
    }

    // ---- policy mode -----------------------------------------------------------------------

    fn session(&mut self) -> &mut Session {
        match &mut self.mode {
            Mode::Policy(session) => session,
            Mode::Transcript(_) => unreachable!("policy code runs only in policy mode"),
        }
    }

    fn next_answer(&mut self) -> Answer {
        self.session().answers.pop_front().unwrap_or(Answer::Policy)
    }

    fn enhanced(&mut self) -> bool {
        self.session().policy.offers("ENHANCEDSTATUSCODES")
    }

    /// Sends a reply of the policy's, with its enhanced code when the server offers them.
    fn say(&mut self, code: u16, enhanced: (u8, u16, u16), text: &str) {
        let enhanced = self.enhanced().then_some(enhanced);
        self.send(&reply(code, enhanced, text));
    }

    fn greet(&mut self) {
        match self.next_answer() {
            Answer::Policy => {
                let policy = &self.session().policy;
                let banner = if policy.lmtp && policy.banner == "ESMTP ready" {
                    "LMTP ready"
                } else {
                    &policy.banner
                };
                let text = format!("{} {banner}", policy.hostname);
                self.send(&reply(220, None, &text));
            }
            other => {
                self.answer_otherwise(Point::Greeting, other);
            }
        }
    }

    /// Applies a non-policy answer; returns the positive reply's code when the command's
    /// success should take effect.
    fn answer_otherwise(&mut self, point: Point, answer: Answer) -> Option<u16> {
        match answer {
            Answer::Policy => None,
            Answer::Refuse { permanent, pick } => {
                let enhanced = point != Point::Greeting && self.enhanced();
                self.send(&refusal(point, permanent, pick, enhanced));
                None
            }
            Answer::Reply(reply) => {
                self.send(&reply);
                reply.is_positive().then_some(reply.code().value())
            }
            Answer::ServiceClosing => {
                self.say(
                    421,
                    (4, 3, 2),
                    "Service shutting down, closing transmission channel",
                );
                None
            }
            Answer::HangUp => {
                self.closed = true;
                None
            }
        }
    }

    fn serve(&mut self) {
        let limits = CommandLimits::default();
        while !self.closed && !self.awaiting_tls && !self.input.is_empty() {
            if self.skip_line {
                match self.input.iter().position(|&b| b == b'\n') {
                    Some(end) => {
                        let line: Vec<u8> = self.input.drain(..=end).collect();
                        self.log_client(&line);
                        self.skip_line = false;
                    }
                    None => {
                        self.input.clear();
                        return;
                    }
                }
                continue;
            }
            let phase = std::mem::replace(&mut self.session().phase, Phase::Commands);
            match phase {
                Phase::Data {
                    mut decoder,
                    mut content,
                } => {
                    let progress = decoder.decode(&self.input, &mut content);
                    let used: Vec<u8> = self.input.drain(..progress.consumed).collect();
                    self.log_client(&used);
                    if progress.end {
                        let answer = self.next_answer();
                        self.end_of_message(content, answer);
                    } else {
                        self.session().phase = Phase::Data { decoder, content };
                    }
                }
                Phase::Chunk { remaining, last } => {
                    let take = usize::try_from(remaining)
                        .unwrap_or(usize::MAX)
                        .min(self.input.len());
                    let chunk: Vec<u8> = self.input.drain(..take).collect();
                    self.log.push(format!("C: <{take} octets of BDAT data>"));
                    self.session().bdat_content.extend_from_slice(&chunk);
                    let remaining = remaining - take as u64;
                    if remaining > 0 {
                        self.session().phase = Phase::Chunk { remaining, last };
                    } else {
                        self.end_of_chunk(last);
                    }
                }
                Phase::Sasl { mechanism, user } => {
                    match parse_auth_response(&self.input, &limits) {
                        Ok(Decoded::Complete { value, consumed }) => {
                            let line: Vec<u8> = self.input.drain(..consumed).collect();
                            self.log_client(&line);
                            self.sasl(mechanism, user, value);
                        }
                        Ok(Decoded::Incomplete) => {
                            self.session().phase = Phase::Sasl { mechanism, user };
                            return self.check_pending_line();
                        }
                        Err(_) => {
                            self.say(501, (5, 5, 2), "Invalid SASL response");
                            self.skip_line = true;
                        }
                    }
                }
                Phase::Commands => match parse_command(&self.input, &limits) {
                    Ok(Decoded::Complete { value, consumed }) => {
                        let line: Vec<u8> = self.input.drain(..consumed).collect();
                        self.log_client(&line);
                        self.command(value);
                    }
                    Ok(Decoded::Incomplete) => return self.check_pending_line(),
                    Err(error) => {
                        let text = format!("Syntax error: {error}");
                        let text: String = text
                            .chars()
                            .filter(|c| (' '..='~').contains(c))
                            .take(200)
                            .collect();
                        self.say(500, (5, 5, 2), &text);
                        self.skip_line = true;
                    }
                },
            }
        }
    }

    /// An incomplete line that is already too long is refused and skipped.
    fn check_pending_line(&mut self) {
        if self.input.len() > MAX_PENDING_LINE {
            self.say(500, (5, 5, 2), "Line too long");
            self.input.clear();
            self.skip_line = true;
        }
    }

    fn command(&mut self, command: Command) {
        if let Command::Bdat { size, last } = command {
            // RFC 3030 s2: the chunk follows the command whatever the reply will be, so the
            // server reads it first and answers after it.
            if size == 0 {
                self.end_of_chunk(last);
            } else {
                self.session().phase = Phase::Chunk {
                    remaining: size,
                    last,
                };
            }
            return;
        }
        let verb = command.verb();
        let answer = self.next_answer();
        let accepted = match answer {
            Answer::Policy => self.policy_answer(&command),
            other => self.answer_otherwise(Point::Command(verb), other),
        };
        if let Some(code) = accepted {
            self.take_effect(command, code);
        }
    }

    /// The policy's reply to `command`; returns the code when the command succeeded.
    fn policy_answer(&mut self, command: &Command) -> Option<u16> {
        let tls = self.tls;
        let session = self.session();
        let greeted = session.greeted;
        let lmtp = session.policy.lmtp;
        let has_mail = session.mail.is_some();
        let recipients = session.recipients.len();
        let authenticated = session.authenticated.is_some();
        match command {
            Command::Ehlo(host) | Command::Lhlo(host) => {
                if matches!(command, Command::Lhlo(_)) != lmtp {
                    // RFC 2033 s4.1: an LMTP server does not take EHLO, and the reverse.
                    self.say(500, (5, 5, 1), "Command unrecognized");
                    return None;
                }
                let policy = &self.session().policy;
                let mut lines = vec![format!("{} greets {host}", policy.hostname)];
                lines.extend(policy.ehlo_keywords(tls));
                let reply = Reply::new(crate::ReplyCode::OK, None, &lines).unwrap_or_else(|_| {
                    reply(
                        250,
                        None,
                        "mx.example.test (an EHLO keyword line was not valid)",
                    )
                });
                self.send(&reply);
                Some(250)
            }
            Command::Helo(host) if !lmtp => {
                let name = self.session().policy.hostname.clone();
                self.send(&reply(250, None, &format!("{name} greets {host}")));
                Some(250)
            }
            Command::StartTls if tls => {
                self.say(503, (5, 5, 1), "TLS already active");
                None
            }
            Command::StartTls if !self.session().policy.starttls => {
                self.say(502, (5, 5, 1), "Command not implemented");
                None
            }
            Command::StartTls => {
                self.say(220, (2, 0, 0), "Ready to start TLS");
                Some(220)
            }
            Command::Auth { .. } if !self.session().policy.offers_auth(true) => {
                self.say(502, (5, 5, 1), "Command not implemented");
                None
            }
            Command::Auth { .. } if !self.session().policy.offers_auth(tls) => {
                // RFC 4954 s6: 538 when the mechanism needs an encrypted channel.
                self.say(538, (5, 7, 11), "Encryption required: use STARTTLS first");
                None
            }
            Command::Auth { .. } if authenticated => {
                self.say(503, (5, 5, 1), "Already authenticated");
                None
            }
            Command::Auth { mechanism, .. }
                if *mechanism != Mechanism::Plain && *mechanism != Mechanism::Login =>
            {
                self.say(504, (5, 5, 4), "Unrecognized authentication type");
                None
            }
            Command::Auth {
                mechanism,
                initial_response: Some(response),
            } => {
                self.sasl(
                    mechanism.clone(),
                    None,
                    Command::AuthResponse(response.clone()),
                );
                None
            }
            Command::Auth { mechanism, .. } => {
                // PLAIN's empty challenge; "Username:" in base64 for LOGIN.
                let challenge = if *mechanism == Mechanism::Plain {
                    ""
                } else {
                    "VXNlcm5hbWU6"
                };
                self.send(&reply(334, None, challenge));
                Some(334)
            }
            Command::Quit => {
                self.say(221, (2, 0, 0), "Bye");
                Some(221)
            }
            Command::Rset => {
                self.say(250, (2, 0, 0), "Ok");
                Some(250)
            }
            Command::Noop(_) => {
                self.say(250, (2, 0, 0), "Ok");
                Some(250)
            }
            Command::Vrfy(_) => {
                self.say(
                    252,
                    (2, 0, 0),
                    "Cannot VRFY user; try RCPT to attempt delivery",
                );
                Some(252)
            }
            Command::Help(_) => {
                self.say(214, (2, 0, 0), "See RFC 5321");
                Some(214)
            }
            _ if !greeted => {
                self.say(503, (5, 5, 1), "Send EHLO first");
                None
            }
            Command::Mail { params, .. } => {
                let policy = &self.session().policy;
                if has_mail {
                    self.say(503, (5, 5, 1), "Nested MAIL command");
                } else if params
                    .size
                    .zip(policy.size_limit)
                    .is_some_and(|(size, limit)| size > limit)
                {
                    self.say(552, (5, 3, 4), "Message size exceeds fixed limit");
                } else if params.smtputf8 && !policy.offers("SMTPUTF8") {
                    self.say(555, (5, 5, 4), "SMTPUTF8 not supported");
                } else {
                    self.say(250, (2, 1, 0), "Ok");
                    return Some(250);
                }
                None
            }
            Command::Rcpt { .. } if !has_mail => {
                self.say(503, (5, 5, 1), "Need MAIL command");
                None
            }
            Command::Rcpt { .. } if recipients >= self.session().policy.max_recipients => {
                self.say(452, (4, 5, 3), "Too many recipients");
                None
            }
            Command::Rcpt { to, .. } => {
                match self.session().policy.recipient(to, authenticated) {
                    RecipientVerdict::Accept => {
                        self.say(250, (2, 1, 5), "Ok");
                        return Some(250);
                    }
                    RecipientVerdict::UnknownUser => {
                        let text = format!(
                            "{to}: Recipient address rejected: User unknown in local recipient table"
                        );
                        self.say(550, (5, 1, 1), &text);
                    }
                    RecipientVerdict::RelayDenied => {
                        self.say(554, (5, 7, 1), &format!("{to}: Relay access denied"));
                    }
                }
                None
            }
            Command::Data if !has_mail => {
                self.say(503, (5, 5, 1), "Need MAIL command");
                None
            }
            Command::Data if recipients == 0 => {
                self.say(554, (5, 5, 1), "No valid recipients");
                None
            }
            Command::Data => {
                self.send(&reply(354, None, "End data with <CR><LF>.<CR><LF>"));
                Some(354)
            }
            _ => {
                self.say(502, (5, 5, 1), "Command not implemented");
                None
            }
        }
    }

    /// What a successful `command` changes (`code` is the positive reply it got).
    fn take_effect(&mut self, command: Command, code: u16) {
        let session = self.session();
        match command {
            Command::Ehlo(_) | Command::Helo(_) | Command::Lhlo(_) => {
                session.greeted = true;
                session.mail = None;
                session.recipients.clear();
            }
            Command::StartTls => {
                self.awaiting_tls = true;
                self.input.clear();
            }
            Command::Auth { mechanism, .. } => {
                if code == 334 {
                    session.phase = Phase::Sasl {
                        mechanism,
                        user: None,
                    };
                } else {
                    session.authenticated = Some(String::new());
                }
            }
            Command::Mail { from, params } => {
                session.mail = Some((from, params));
                session.recipients.clear();
            }
            Command::Rcpt { to, .. } => session.recipients.push(to),
            Command::Data => {
                session.phase = Phase::Data {
                    decoder: DataDecoder::new(),
                    content: Vec::new(),
                };
            }
            Command::Rset => {
                session.mail = None;
                session.recipients.clear();
                session.bdat_content.clear();
            }
            Command::Quit => self.closed = true,
            _ => {}
        }
    }

    /// One SASL line (RFC 4954 s4) for PLAIN (RFC 4616) or LOGIN.
    fn sasl(&mut self, mechanism: Mechanism, user: Option<String>, line: Command) {
        let data = match line {
            Command::AuthResponse(data) => data.expose_secret().clone(),
            _ => {
                self.say(501, (5, 0, 0), "Authentication canceled");
                return;
            }
        };
        let login = mechanism == Mechanism::Login;
        let (user, password) = match (login, user) {
            (true, None) => {
                let user = String::from_utf8_lossy(&data).into_owned();
                self.session().phase = Phase::Sasl {
                    mechanism,
                    user: Some(user),
                };
                // "Password:" in base64.
                self.send(&reply(334, None, "UGFzc3dvcmQ6"));
                return;
            }
            (true, Some(user)) => (user, data),
            _ => {
                let mut parts = data.split(|&b| b == 0).skip(1);
                let user = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
                (user, parts.next().unwrap_or_default().to_vec())
            }
        };
        let valid = self
            .session()
            .policy
            .password_of(&user)
            .is_some_and(|expected| expected.as_bytes() == password.as_slice());
        if valid {
            self.session().authenticated = Some(user);
            self.say(235, (2, 7, 0), "Authentication successful");
        } else {
            self.say(535, (5, 7, 8), "Authentication credentials invalid");
        }
    }

    /// The reply to a BDAT, once its chunk is read: the policy's checks, then `250` for a
    /// middle chunk or the end-of-message reply for the last (RFC 3030 s2).
    fn end_of_chunk(&mut self, last: bool) {
        let answer = self.next_answer();
        if answer == Answer::Policy {
            let session = self.session();
            let refusal = if !session.policy.offers("CHUNKING") {
                Some((502, (5, 5, 1), "Command not implemented"))
            } else if session.mail.is_none() {
                Some((503, (5, 5, 1), "Need MAIL command"))
            } else if session.recipients.is_empty() {
                Some((554, (5, 5, 1), "No valid recipients"))
            } else {
                None
            };
            if let Some((code, enhanced, text)) = refusal {
                self.say(code, enhanced, text);
                self.discard_transaction();
                return;
            }
        }
        if last {
            let content = std::mem::take(&mut self.session().bdat_content);
            self.end_of_message(content, answer);
        } else if answer == Answer::Policy {
            self.say(250, (2, 0, 0), "Chunk accepted");
        } else if self
            .answer_otherwise(Point::Command(Verb::Bdat), answer)
            .is_none()
        {
            // A refused chunk ends the transaction: its data is discarded (RFC 3030 s2).
            self.discard_transaction();
        }
    }

    fn discard_transaction(&mut self) {
        let session = self.session();
        session.mail = None;
        session.recipients.clear();
        session.bdat_content.clear();
    }

    /// The reply (LMTP: one per recipient, RFC 2033 s4.2) after a whole message.
    fn end_of_message(&mut self, content: Vec<u8>, first: Answer) {
        let mut first = Some(first);
        let session = self.session();
        let mail = session.mail.take();
        let recipients = std::mem::take(&mut session.recipients);
        session.bdat_content.clear();
        let replies = if session.policy.lmtp {
            recipients.len().max(1)
        } else {
            1
        };
        let too_big = session
            .policy
            .size_limit
            .is_some_and(|limit| content.len() as u64 > limit);
        let mut delivered = false;
        for _ in 0..replies {
            if self.closed {
                return;
            }
            let answer = first.take().unwrap_or_else(|| self.next_answer());
            let accepted = match answer {
                Answer::Policy if too_big => {
                    self.say(552, (5, 3, 4), "Message size exceeds fixed limit");
                    false
                }
                Answer::Policy => {
                    let queued = self.messages.len() + 1;
                    self.say(250, (2, 0, 0), &format!("Ok: queued as Q{queued}"));
                    true
                }
                other => self.answer_otherwise(Point::DataEnd, other).is_some(),
            };
            delivered |= accepted;
        }
        if let (true, Some((from, params))) = (delivered, mail) {
            let authenticated_as = self.session().authenticated.clone();
            self.messages.push(ReceivedMessage {
                from,
                params,
                to: recipients,
                content,
                authenticated_as,
            });
        }
    }
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}
