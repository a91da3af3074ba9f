//! Every state transition of the client, in one file: what each reply, EOF and timeout does.
//!
//! Rules, in the order they are applied to each complete reply:
//! 1. The oldest command in flight owns the reply (RFC 2920 s3.1). No command in flight:
//!    a `421` closes the session, anything else is a desync and fatal.
//! 2. A `421` to any command closes the session: the command is rejected, every other
//!    outstanding command is cancelled, [`Event::Closed`] follows (RFC 5321 s3.8).
//! 3. A reply whose first digit the command cannot get (RFC 5321 s4.3.2: `250` to DATA, `354`
//!    to MAIL, a code outside 2-5) is fatal: the client can no longer know the server's state.
//! 4. Otherwise the command's own handler runs; negative replies become
//!    [`Event::Rejected`] with a diagnosis read in the context of the session.
//! 5. Then the next command's reply timer is armed and waiting commands are written as far as
//!    the pipelining rules allow.
//!
//! STARTTLS: bytes left after the `220` go-ahead, or arriving before `tls_established`, are
//! fatal (response injection) and never read as replies.

use std::time::Instant;

use crate::capabilities::Capabilities;
use crate::command::{Command, Verb};
use crate::diagnosis::{Context, Diagnosis, diagnose_in_context};
use crate::reply::{Decoded, Reply, ReplyError};
use crate::stage::Stage;

use super::pipeline::{Expect, Origin, Outstanding};
use super::timer::Timer;
use super::{
    Client, CloseReason, CommandHandle, Error, Event, Handshake, Phase, RecipientState, Rejection,
    TlsPolicy,
};

impl Client {
    /// Frames and handles the complete replies at the start of `input` (the caller's bytes,
    /// or the buffered ones); returns how many octets they used. The rest is an unfinished
    /// reply, or was not read because the session failed.
    pub(super) fn process_replies(&mut self, now: Instant, input: &[u8]) -> usize {
        let mut used = 0;
        // Nothing left means no reply was cut: the decoder is between replies and would only
        // say `Incomplete`, so it is not asked.
        while !self.is_closed() && used < input.len() {
            match self.decoder.decode(&input[used..]) {
                Ok(Decoded::Complete { value, consumed }) => {
                    used += consumed;
                    self.on_reply(now, value);
                    if self.phase == Phase::TlsHandshake {
                        if used < input.len() {
                            self.fail_injection_of(input.len() - used, &input[used..]);
                        }
                        break;
                    }
                }
                Ok(Decoded::Incomplete) => break,
                Err(error) => {
                    self.fail_malformed(error, &input[used..]);
                    break;
                }
            }
        }
        used
    }

    fn on_reply(&mut self, now: Instant, reply: Reply) {
        let Some(command) = self.pipeline.in_flight.pop_front() else {
            self.on_unsolicited(reply);
            return;
        };
        if reply.code().value() == 421 {
            self.on_service_closing(Some(command), reply);
            return;
        }
        if !reply_fits(command.expect, &reply) {
            let stage = command.expect.stage();
            let diagnosis =
                Diagnosis::unexpected_reply(stage, &reply, expected_codes(command.expect));
            self.fail(Error::UnexpectedReply {
                stage,
                verb: (command.expect != Expect::Greeting).then_some(command.verb),
                reply,
                diagnosis: Box::new(diagnosis),
            });
            return;
        }
        match command.expect {
            Expect::Greeting => self.on_greeting(now, reply),
            Expect::Hello => self.on_hello(now, command, reply),
            Expect::StartTls => self.on_starttls(now, command, reply),
            Expect::Auth => self.on_auth(now, command, reply),
            Expect::Mail => self.on_mail(command, reply),
            Expect::Rcpt => self.on_rcpt(command, reply),
            Expect::Data => self.on_data(now, command, reply),
            Expect::DataEnd => self.on_data_end(now, command, reply),
            Expect::Chunk => self.on_chunk(now, command, reply),
            Expect::Rset => self.on_simple(command, reply, Verb::Rset),
            Expect::Query => self.on_simple(command, reply, command.verb),
            Expect::Quit => self.on_quit(reply),
        }
        if self.is_closed() {
            return;
        }
        self.rearm_reply_timer(now);
        if !self.pipeline.waiting.is_empty() {
            self.flush(now);
        }
    }

    fn rearm_reply_timer(&mut self, now: Instant) {
        match self.pipeline.in_flight.front() {
            Some(next) => {
                let start = next.queued_at.map_or(now, |queued| queued.max(now));
                let timeout = self.timeout_for(next.expect);
                self.timers.arm(Timer::Reply, start, timeout);
            }
            None => self.timers.stop(Timer::Reply),
        }
    }

    // ---- greeting and hello ------------------------------------------------------------

    fn on_greeting(&mut self, now: Instant, reply: Reply) {
        if reply.code().is_completion() {
            self.phase = Phase::Greeted;
            self.events.push_back(Event::Greeted { reply });
            if self.config.handshake == Handshake::Automatic {
                let verb = self.hello_verb();
                // Cannot fail: the client name was validated when the config was built.
                let _ = self.queue_hello(now, verb, Origin::Engine);
            }
            return;
        }
        // RFC 5321 s3.1: after a 554 greeting the server waits for QUIT.
        let diagnosis = self.reject(CommandHandle(0), None, Stage::Greeting, None, reply);
        self.phase = Phase::Greeted;
        if self.config.handshake == Handshake::Automatic {
            self.abort(now, diagnosis);
        }
    }

    fn on_hello(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        let automatic = command.origin == Origin::Engine;
        if reply.code().is_completion() {
            let capabilities = if command.verb == Verb::Helo {
                Capabilities::default()
            } else {
                Capabilities::from_reply(&reply)
            };
            if !self.tls_active && capabilities.starttls() {
                self.starttls_was_offered = true;
            }
            self.capabilities = Some(capabilities.clone());
            self.phase = Phase::Ready;
            self.events.push_back(Event::HelloAccepted {
                handle: command.handle,
                verb: command.verb,
                capabilities: Box::new(capabilities.clone()),
                reply,
            });
            if automatic {
                self.continue_handshake(now, capabilities);
            }
            return;
        }
        let code = reply.code().value();
        let diagnosis = self.reject(command.handle, Some(command.verb), Stage::Ehlo, None, reply);
        // RFC 5321 s3.2: a server that does not know EHLO answers 500 or 502; use HELO.
        if automatic && command.verb == Verb::Ehlo && matches!(code, 500 | 502) {
            let _ = self.queue_hello(now, Verb::Helo, Origin::Engine);
        } else if automatic {
            self.abort(now, diagnosis);
        }
    }

    /// Automatic mode, after a successful EHLO/HELO: STARTTLS as the policy says, or ready.
    fn continue_handshake(&mut self, now: Instant, capabilities: Capabilities) {
        let wants_tls = matches!(
            self.config.tls,
            TlsPolicy::Required | TlsPolicy::Opportunistic
        );
        if !self.tls_active && wants_tls && capabilities.starttls() {
            let _ = self.queue(now, Command::StartTls, Expect::StartTls, Origin::Engine);
        } else if !self.tls_active && self.config.tls == TlsPolicy::Required {
            // RFC 3207 s4: a client that requires TLS ends the session here.
            self.abort(now, Diagnosis::tls_not_offered());
        } else {
            self.events.push_back(Event::Ready {
                tls: self.tls_active,
                capabilities: Box::new(capabilities),
            });
        }
    }

    fn on_starttls(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            self.phase = Phase::TlsHandshake;
            self.timers.stop(Timer::Reply);
            self.events.push_back(Event::StartTlsReady {
                handle: command.handle,
                reply,
            });
            return;
        }
        let diagnosis = self.reject(
            command.handle,
            Some(Verb::StartTls),
            Stage::StartTls,
            None,
            reply,
        );
        if self.config.tls == TlsPolicy::Required {
            // Never downgrade: end the session before anything else is sent.
            self.abort(now, diagnosis);
        } else if command.origin == Origin::Engine
            && let Some(capabilities) = self.capabilities.clone()
        {
            self.events.push_back(Event::Ready {
                tls: false,
                capabilities: Box::new(capabilities),
            });
        }
    }

    // ---- AUTH ----------------------------------------------------------------------------

    fn on_auth(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        let Some(mut exchange) = self.sasl.take() else {
            // Cannot happen: AUTH is only queued with an exchange.
            return;
        };
        if reply.code().is_intermediate() {
            if exchange.cancelled {
                let diagnosis = Diagnosis::unexpected_reply(
                    Stage::Auth,
                    &reply,
                    "a final reply to the cancelled AUTH",
                );
                self.fail(Error::UnexpectedReply {
                    stage: Stage::Auth,
                    verb: Some(Verb::AuthCancel),
                    reply,
                    diagnosis: Box::new(diagnosis),
                });
                return;
            }
            // RFC 4954 s4: the challenge is base64 in the reply text.
            let answer = crate::auth::decode_challenge(reply_payload(&reply))
                .and_then(|challenge| exchange.client.respond(&challenge));
            let next = match answer {
                Ok(response) => Command::AuthResponse(response),
                Err(_) => {
                    // RFC 4954 s4: the client cancels with "*"; the server answers 501.
                    exchange.cancelled = true;
                    Command::AuthCancel
                }
            };
            let verb = next.verb();
            let mut bytes = Vec::new();
            if next.write_to(&mut bytes).is_err() {
                exchange.cancelled = true;
                bytes.clear();
                bytes.extend_from_slice(b"*\r\n");
            }
            // The exchange owns the connection: the answer goes before anything waiting.
            self.compact_output();
            self.output.extend_from_slice(&bytes);
            self.pipeline.in_flight.push_front(Outstanding {
                handle: command.handle,
                verb,
                expect: Expect::Auth,
                origin: command.origin,
                queued_at: Some(now),
            });
            self.sasl = Some(exchange);
            return;
        }
        if reply.code().is_completion() {
            if !exchange.client.is_complete() {
                // SCRAM: the server claims success without proving it knows the password.
                let diagnosis = Diagnosis::unexpected_reply(
                    Stage::Auth,
                    &reply,
                    "the server's proof (a 334) before success",
                );
                self.fail(Error::UnexpectedReply {
                    stage: Stage::Auth,
                    verb: Some(Verb::Auth),
                    reply,
                    diagnosis: Box::new(diagnosis),
                });
                return;
            }
            self.authenticated = Some(exchange.mechanism.clone());
            self.events.push_back(Event::Authenticated {
                handle: exchange.handle,
                mechanism: exchange.mechanism,
                reply,
            });
            return;
        }
        self.reject(exchange.handle, Some(Verb::Auth), Stage::Auth, None, reply);
    }

    // ---- the transaction -----------------------------------------------------------------

    fn on_mail(&mut self, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            if let Some(transaction) = self.transaction_of(command.handle) {
                transaction.mail_accepted = true;
            }
            self.events.push_back(Event::MailAccepted {
                handle: command.handle,
                reply,
            });
            return;
        }
        self.reject(command.handle, Some(Verb::Mail), Stage::Mail, None, reply);
        if let Some(transaction) = self.transaction_of(command.handle) {
            // No server-side transaction exists; replies to pipelined RCPT/DATA follow.
            transaction.failed = true;
            transaction.mail_accepted = false;
        }
        self.end_failed_transaction_if_idle(command.handle);
    }

    fn on_rcpt(&mut self, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            self.set_recipient(command.handle, RecipientState::Accepted);
            self.events.push_back(Event::RecipientAccepted {
                handle: command.handle,
                reply,
            });
            return;
        }
        let diagnosis = self.reject(command.handle, Some(Verb::Rcpt), Stage::Rcpt, None, reply);
        self.set_recipient(
            command.handle,
            RecipientState::Rejected(Box::new(diagnosis)),
        );
        self.end_failed_transaction_if_idle(command.handle);
    }

    fn on_data(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        let accepted = self
            .transaction_of(command.handle)
            .map_or(0, |t| t.accepted());
        if reply.code().is_intermediate() {
            if accepted == 0 {
                // RFC 2920 s3.1: every RCPT failed but DATA was accepted: send an empty
                // message end so the server leaves data mode, then RSET.
                self.compact_output();
                self.output.extend_from_slice(b".\r\n");
                self.pipeline.in_flight.push_front(Outstanding {
                    handle: command.handle,
                    verb: Verb::Data,
                    expect: Expect::DataEnd,
                    origin: Origin::Engine,
                    queued_at: Some(now),
                });
                if let Some(transaction) = self.transaction_of(command.handle) {
                    transaction.failed = true;
                }
                return;
            }
            let prepared = self
                .transaction_of(command.handle)
                .and_then(|t| t.prepared_body.take());
            match prepared {
                Some(body) => {
                    self.compact_output();
                    self.output.extend_from_slice(&body);
                    self.arm_data_block(now);
                    self.end_data(now);
                }
                None => {
                    self.phase = Phase::SendingData;
                    self.events.push_back(Event::DataReady {
                        handle: command.handle,
                        reply,
                    });
                }
            }
            return;
        }
        self.reject(command.handle, Some(Verb::Data), Stage::Data, None, reply);
        self.fail_transaction(now, command.handle);
    }

    /// After the message data (or its final dot) was written: await the reply(ies).
    pub(super) fn end_data(&mut self, now: Instant) {
        self.phase = if self.phase == Phase::SendingData {
            Phase::Ready
        } else {
            self.phase
        };
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        let Some(handle) = transaction.data else {
            return;
        };
        let first = self.pipeline.in_flight.is_empty();
        self.pipeline.in_flight.push_front(Outstanding {
            handle,
            verb: Verb::Data,
            expect: Expect::DataEnd,
            origin: Origin::Caller,
            queued_at: Some(now),
        });
        if first {
            self.timers
                .arm(Timer::Reply, now, self.config.timeouts.data_termination);
        }
    }

    fn on_data_end(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if command.origin == Origin::Engine {
            // The reply to the empty message end of RFC 2920 s3.1 recovery.
            let diagnosis = self.no_valid_recipients(command.handle, &reply);
            self.events.push_back(Event::MessageNotSent {
                handle: command.handle,
                diagnosis: Box::new(diagnosis),
            });
            self.fail_transaction(now, command.handle);
            return;
        }
        if self.config.lmtp {
            self.on_lmtp_reply(command, reply);
            return;
        }
        if reply.code().is_completion() {
            self.events.push_back(Event::MessageAccepted {
                handle: command.handle,
                reply,
            });
        } else {
            self.reject(
                command.handle,
                Some(command.verb),
                Stage::DataEnd,
                None,
                reply,
            );
        }
        // RFC 5321 s4.1.1.4: the transaction ends with the reply to the data.
        self.end_transaction();
    }

    /// RFC 2033 s4.2: one reply per accepted recipient, in RCPT order.
    fn on_lmtp_reply(&mut self, command: Outstanding, reply: Reply) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        if !transaction.lmtp_started {
            // Every RCPT reply has arrived (replies come in order): these are owed one each.
            transaction.lmtp_started = true;
            transaction.lmtp_owed = transaction
                .recipients
                .iter()
                .filter(|r| matches!(r.state, RecipientState::Accepted))
                .map(|r| r.handle)
                .collect();
        }
        let recipient = transaction.lmtp_owed.pop_front();
        let more = !transaction.lmtp_owed.is_empty();
        let positive = reply.code().is_completion();
        if positive {
            transaction.lmtp_delivered += 1;
        }
        let delivered = transaction.lmtp_delivered;
        match recipient {
            Some(recipient) if positive => self.events.push_back(Event::RecipientDelivered {
                handle: command.handle,
                recipient,
                reply: reply.clone(),
            }),
            _ => {
                self.reject(
                    command.handle,
                    Some(command.verb),
                    Stage::DataEnd,
                    recipient,
                    reply.clone(),
                );
            }
        }
        if more {
            self.pipeline.in_flight.push_front(command);
            return;
        }
        if delivered > 0 {
            self.events.push_back(Event::MessageAccepted {
                handle: command.handle,
                reply,
            });
        }
        self.end_transaction();
    }

    fn on_chunk(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            self.events.push_back(Event::ChunkAccepted {
                handle: command.handle,
                reply,
            });
            return;
        }
        self.reject(command.handle, Some(Verb::Bdat), Stage::Data, None, reply);
        // RFC 3030 s4.2: after a failed BDAT, later chunks are discarded; reset.
        self.fail_transaction(now, command.handle);
    }

    fn on_simple(&mut self, command: Outstanding, reply: Reply, verb: Verb) {
        if reply.code().is_completion() {
            if command.origin == Origin::Caller {
                self.events.push_back(Event::Replied {
                    handle: command.handle,
                    verb,
                    reply,
                });
            }
            return;
        }
        self.reject(
            command.handle,
            Some(verb),
            command.expect.stage(),
            None,
            reply,
        );
    }

    fn on_quit(&mut self, reply: Reply) {
        self.close(Some(reply));
    }

    /// Marks a recipient's outcome in the open transaction.
    fn set_recipient(&mut self, handle: CommandHandle, state: RecipientState) {
        if let Some(transaction) = &mut self.transaction
            && let Some(recipient) = transaction
                .recipients
                .iter_mut()
                .find(|r| r.handle == handle)
        {
            recipient.state = state;
        }
    }

    /// The open transaction, if `handle` belongs to it.
    fn transaction_of(&mut self, handle: CommandHandle) -> Option<&mut super::Transaction> {
        self.transaction.as_mut().filter(|t| {
            t.mail == handle
                || t.data == Some(handle)
                || t.recipients.iter().any(|r| r.handle == handle)
        })
    }

    /// The transaction failed before its data was accepted: reset the server if it holds a
    /// transaction (RFC 2920 s3.1) and forget it.
    fn fail_transaction(&mut self, now: Instant, handle: CommandHandle) {
        let Some(transaction) = self.transaction_of(handle) else {
            return;
        };
        let needs_reset = transaction.mail_accepted;
        self.end_transaction();
        if needs_reset {
            self.queue_reset_first(now);
        }
    }

    /// A failed transaction with nothing outstanding and no DATA asked for is over.
    fn end_failed_transaction_if_idle(&mut self, handle: CommandHandle) {
        let Some(transaction) = self.transaction_of(handle) else {
            return;
        };
        let mail_failed = transaction.failed && !transaction.mail_accepted;
        if mail_failed && transaction.data.is_none() {
            let pending = transaction
                .recipients
                .iter()
                .any(|r| matches!(r.state, RecipientState::Pending));
            if !pending {
                self.end_transaction();
            }
        }
    }

    /// Queues an engine RSET ahead of anything the caller queued.
    fn queue_reset_first(&mut self, now: Instant) {
        let handle = self.new_handle();
        self.pipeline.waiting.push_front(super::Waiting {
            command: Outstanding {
                handle,
                verb: Verb::Rset,
                expect: Expect::Rset,
                origin: Origin::Engine,
                queued_at: None,
            },
            bytes: b"RSET\r\n".to_vec(),
        });
        self.flush(now);
    }

    // ---- diagnoses -------------------------------------------------------------------------

    /// What a reply means here: the session's TLS state, and for DATA the recipients' own
    /// diagnoses (so "no valid recipients" points at them).
    fn diagnose(&self, stage: Stage, reply: &Reply) -> Diagnosis {
        let mut context = Context::new().with_tls(self.tls_active, self.starttls_was_offered);
        if matches!(stage, Stage::Data | Stage::DataEnd)
            && let Some(transaction) = &self.transaction
        {
            for recipient in &transaction.recipients {
                if let RecipientState::Rejected(diagnosis) = &recipient.state {
                    context.add_recipient((**diagnosis).clone());
                }
            }
        }
        if let Some(previous) = &self.last_rejection {
            context = context.with_previous((**previous).clone());
        }
        diagnose_in_context(stage, reply, &context)
    }

    fn no_valid_recipients(&self, _handle: CommandHandle, reply: &Reply) -> Diagnosis {
        self.diagnose(Stage::Data, reply)
    }

    /// Reports a negative reply and returns its diagnosis.
    fn reject(
        &mut self,
        handle: CommandHandle,
        verb: Option<Verb>,
        stage: Stage,
        recipient: Option<CommandHandle>,
        reply: Reply,
    ) -> Diagnosis {
        let diagnosis = self.diagnose(stage, &reply);
        self.last_rejection = Some(Box::new(diagnosis.clone()));
        self.events.push_back(Event::Rejected(Box::new(Rejection {
            handle,
            verb,
            stage,
            recipient,
            reply,
            diagnosis: diagnosis.clone(),
        })));
        diagnosis
    }

    // ---- ending ------------------------------------------------------------------------------

    /// The engine ends the session with QUIT because going on would break the configuration.
    fn abort(&mut self, now: Instant, diagnosis: Diagnosis) {
        if self.abort.is_some() {
            return;
        }
        self.abort = Some(Box::new(diagnosis));
        self.cancel_waiting();
        let _ = self.queue(now, Command::Quit, Expect::Quit, Origin::Engine);
        self.phase = Phase::Closing;
    }

    /// The session is over after QUIT (or EOF while closing).
    fn close(&mut self, reply: Option<Reply>) {
        let reason = match self.abort.take() {
            Some(diagnosis) => CloseReason::Aborted { diagnosis },
            None => CloseReason::Quit { reply },
        };
        self.cancel_all();
        self.phase = Phase::Closed;
        self.timers.stop_all();
        self.events.push_back(Event::Closed { reason });
    }

    fn on_service_closing(&mut self, command: Option<Outstanding>, reply: Reply) {
        let stage = command.as_ref().map_or(Stage::Any, |c| c.expect.stage());
        if let Some(command) = command
            && command.expect != Expect::Greeting
            && command.expect != Expect::Quit
        {
            self.reject(
                command.handle,
                Some(command.verb),
                stage,
                None,
                reply.clone(),
            );
        }
        let diagnosis = self.diagnose(stage, &reply);
        self.cancel_all();
        self.phase = Phase::Closed;
        self.timers.stop_all();
        self.events.push_back(Event::Closed {
            reason: CloseReason::ServiceClosing {
                reply,
                diagnosis: Box::new(diagnosis),
            },
        });
    }

    fn on_unsolicited(&mut self, reply: Reply) {
        if reply.code().value() == 421 {
            self.on_service_closing(None, reply);
            return;
        }
        let stage = if self.phase == Phase::SendingData {
            Stage::Data
        } else {
            Stage::Any
        };
        let diagnosis =
            Diagnosis::unexpected_reply(stage, &reply, "no reply (no command was waiting)");
        self.fail(Error::UnexpectedReply {
            stage,
            verb: None,
            reply,
            diagnosis: Box::new(diagnosis),
        });
    }

    pub(super) fn on_eof(&mut self, _now: Instant) {
        let mid_reply = self.decoder.is_mid_reply() || self.input_start < self.input.len();
        let quitting = self.phase == Phase::Closing
            && self
                .pipeline
                .in_flight
                .front()
                .is_none_or(|c| c.expect == Expect::Quit);
        if quitting && !mid_reply {
            // RFC 5321 s4.1.1.10: the server may close without waiting for more.
            self.close(None);
            return;
        }
        let stage = self.current_stage();
        let busy = !self.pipeline.in_flight.is_empty()
            || self.phase == Phase::SendingData
            || self.transaction.is_some()
            || self.phase == Phase::TlsHandshake;
        let previous = self.last_rejection.as_deref();
        let diagnosis = Diagnosis::connection_closed(stage, previous);
        if busy || mid_reply {
            self.fail(Error::UnexpectedEof {
                stage,
                mid_reply,
                diagnosis: Box::new(diagnosis),
            });
            return;
        }
        self.cancel_all();
        self.phase = Phase::Closed;
        self.timers.stop_all();
        self.events.push_back(Event::Closed {
            reason: CloseReason::ConnectionClosed {
                diagnosis: Box::new(diagnosis),
            },
        });
    }

    pub(super) fn on_timeout(&mut self, timer: Timer) {
        let (stage, waited) = match timer {
            Timer::Reply => {
                let expect = self
                    .pipeline
                    .in_flight
                    .front()
                    .map_or(Expect::Greeting, |c| c.expect);
                (expect.stage(), self.timeout_for(expect))
            }
            Timer::DataBlock => (Stage::Data, self.config.timeouts.data_block),
        };
        let diagnosis = Diagnosis::reply_timeout(stage, waited);
        self.fail(Error::Timeout {
            stage,
            diagnosis: Box::new(diagnosis),
        });
    }

    /// Where the session is, for errors that happen between replies.
    fn current_stage(&self) -> Stage {
        match self.phase {
            Phase::SendingData => Stage::Data,
            Phase::TlsHandshake => Stage::StartTls,
            _ => self
                .pipeline
                .in_flight
                .front()
                .map_or(Stage::Any, |c| c.expect.stage()),
        }
    }

    /// Bytes arrived after the STARTTLS go-ahead: `bytes` of them in all, the buffered ones
    /// shown in the diagnosis.
    pub(super) fn fail_injection(&mut self, bytes: usize) {
        let input = std::mem::take(&mut self.input);
        let start = self.input_start.min(input.len());
        self.fail_injection_of(bytes, &input[start..]);
    }

    /// [`Client::fail_injection`] with the injected bytes at hand.
    fn fail_injection_of(&mut self, bytes: usize, injected: &[u8]) {
        let diagnosis = Diagnosis::starttls_response_injection(injected);
        self.input.clear();
        self.input_start = 0;
        self.fail(Error::StartTlsInjection {
            bytes,
            diagnosis: Box::new(diagnosis),
        });
    }

    fn fail_malformed(&mut self, error: ReplyError, received: &[u8]) {
        let stage = self.current_stage();
        let received = &received[..received.len().min(256)];
        let diagnosis = Diagnosis::malformed_reply(stage, &error, received);
        self.fail(Error::MalformedReply {
            stage,
            source: error,
            diagnosis: Box::new(diagnosis),
        });
    }

    /// Ends the session with a fatal error: outstanding commands are cancelled first, so
    /// every handle gets a last event before the error.
    fn fail(&mut self, error: Error) {
        self.cancel_all();
        self.timers.stop_all();
        self.error = Some(error);
    }

    fn cancel_waiting(&mut self) {
        for waiting in std::mem::take(&mut self.pipeline.waiting) {
            if waiting.command.origin == Origin::Caller {
                self.events.push_back(Event::Cancelled {
                    handle: waiting.command.handle,
                    verb: waiting.command.verb,
                });
            }
        }
    }

    fn cancel_all(&mut self) {
        for command in self.pipeline.drain_all() {
            if command.origin == Origin::Caller && command.expect != Expect::Greeting {
                self.events.push_back(Event::Cancelled {
                    handle: command.handle,
                    verb: command.verb,
                });
            }
        }
        self.sasl = None;
        self.end_transaction();
    }
}

/// RFC 5321 s4.3.2 and RFC 4954 s4: which first digits a command's reply may have.
fn reply_fits(expect: Expect, reply: &Reply) -> bool {
    match reply.code().value() / 100 {
        2 => !matches!(expect, Expect::Data),
        3 => matches!(expect, Expect::Data | Expect::Auth),
        4 | 5 => true,
        _ => false,
    }
}

/// What a command's reply may be, in words, for the unexpected-reply diagnosis.
fn expected_codes(expect: Expect) -> &'static str {
    match expect {
        Expect::Data => "354 (or 4xx/5xx)",
        Expect::Auth => "235 or 334 (or 4xx/5xx)",
        Expect::Greeting => "220 (or 421/554)",
        _ => "2xx, 4xx or 5xx",
    }
}

/// The text of a one-line `334` challenge: everything after `334 ` (RFC 4954 s4).
fn reply_payload(reply: &Reply) -> &[u8] {
    reply.lines().next().map_or(&[], |line| line.text())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::address::Host;
    use crate::client::{Client, Config, Error, TlsPolicy};

    /// A client that sent STARTTLS (after EHLO offered it) and waits for the go-ahead.
    fn awaiting_go_ahead(now: Instant) -> Client {
        let config =
            Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::Required);
        let mut client = Client::new(config, now);
        client.receive(now, b"220 mx.example.com ESMTP\r\n");
        client.receive(now, b"250-mx.example.com\r\n250 STARTTLS\r\n");
        assert!(client.pending_output().ends_with(b"STARTTLS\r\n"));
        client.consume_output(now, usize::MAX);
        client
    }

    fn injection(client: &mut Client) -> (usize, String) {
        loop {
            match client.poll_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(Error::StartTlsInjection { bytes, diagnosis }) => {
                    return (bytes, diagnosis.detail().unwrap_or_default().to_owned());
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    }

    /// Bytes behind the go-ahead are caught whether they come in the same read (read
    /// straight from the caller's bytes) or after part of the go-ahead was buffered.
    #[test]
    fn injection_is_caught_in_one_read_and_across_reads() {
        let now = Instant::now();
        let mut client = awaiting_go_ahead(now);
        client.receive(now, b"220 Go ahead\r\n250 injected\r\n");
        let (bytes, detail) = injection(&mut client);
        assert_eq!(bytes, 14);
        assert!(detail.contains("250 injected"), "{detail}");

        let mut client = awaiting_go_ahead(now);
        client.receive(now, b"220 Go");
        client.receive(now, b" ahead\r\n250 injected\r\n");
        let (bytes, detail) = injection(&mut client);
        assert_eq!(bytes, 14);
        assert!(detail.contains("250 injected"), "{detail}");
    }

    /// A reply cut anywhere is finished by the next read, and a malformed one is shown in its
    /// diagnosis either way.
    #[test]
    fn cut_replies_and_malformed_replies() {
        let now = Instant::now();
        let greeting = b"220 mx.example.com ESMTP\r\n";
        for cut in 0..=greeting.len() {
            let config =
                Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
            let mut client = Client::new(config, now);
            client.receive(now, &greeting[..cut]);
            client.receive(now, &greeting[cut..]);
            assert_eq!(client.poll_event().unwrap().unwrap().name(), "Greeted");
            assert!(client.pending_output().starts_with(b"EHLO "));
        }
        for first in [&b""[..], b"22"] {
            let config =
                Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
            let mut client = Client::new(config, now);
            client.receive(now, first);
            client.receive(now, b"HTTP/1.1 400 Bad Request\r\n");
            match client.poll_event() {
                Err(Error::MalformedReply { .. }) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}
