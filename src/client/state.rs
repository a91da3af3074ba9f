//! Every state transition of the client, in one file: what each reply, EOF and timeout does.
//!
//! Rules, in the order they are applied to each complete reply:
//! 1. The oldest command in flight owns the reply (RFC 2920 s3.1). No command in flight:
//!    a `421` closes the session, anything else is a desync and fatal. A command whose last
//!    octet the caller has not reported written cannot be answered yet: such a reply is an
//!    early answer, and fatal (nothing it says, "accepted" least of all, can be trusted).
//! 2. A `421` to any command closes the session: the command is rejected, every other
//!    outstanding command is cancelled, [`Event::Closed`] follows (RFC 5321 s3.8).
//! 3. A reply whose code the command cannot get (RFC 5321 s4.3.2 and the extensions' RFCs:
//!    `250` to EHLO, MAIL, RSET and after the data, `250`/`251` to RCPT, `354` to DATA, `220`
//!    to STARTTLS, `235`/`334` to AUTH, `221` to QUIT; any `4yz`/`5yz` refuses) is fatal: the
//!    client can no longer know the server's state.
//! 4. Otherwise the command's own handler runs; negative replies become
//!    [`Event::Rejected`] with a diagnosis read in the context of the session, linked
//!    ([`Diagnosis::caused_by`]) to an earlier refusal they follow from.
//! 5. A transaction that can no longer deliver its message (MAIL refused; every RCPT refused;
//!    DATA, a chunk or the message refused) drops its unwritten commands and ends with one
//!    [`Event::MessageFinished`] once its last written command is answered; an RSET follows
//!    when the server still holds the transaction. Then the next queued message starts, or
//!    the QUIT the caller asked for goes out.
//! 6. Then the next command's reply timer is armed (if its last octet is written) and waiting
//!    commands are written as far as the pipelining rules allow.
//!
//! STARTTLS: bytes left after the `220` go-ahead, or arriving before `tls_established`, are
//! fatal (response injection) and never read as replies. Every ending goes through
//! `end_session`: it cancels what is outstanding, finishes every message and queues the last
//! event, [`Event::Closed`].

use std::time::Instant;

use crate::auth::SaslError;
use crate::capabilities::Capabilities;
use crate::command::{Command, Verb};
use crate::diagnosis::{Context, Diagnosis, diagnose_in_context};
use crate::reply::{Decoded, Reply, ReplyError};
use crate::stage::Stage;

use super::pipeline::{Expect, Origin, Outstanding, Waiting};
use super::timer::Timer;
use super::transaction::{Failure, Transaction};
use super::{
    Client, CloseReason, CommandHandle, Error, Event, Handshake, MessageHandles, MessageOutcome,
    MessageStatus, Phase, RecipientStatus, Rejection, TlsPolicy, unstarted_outcome,
};

impl Client {
    /// Frames and handles the complete replies at the start of `input` (the caller's bytes,
    /// or the buffered ones); returns how many octets they used. The rest is an unfinished
    /// reply, or was not read because the session ended.
    pub(super) fn process_replies(&mut self, now: Instant, input: &[u8]) -> usize {
        let mut used = 0;
        // Nothing left means no reply was cut: the decoder is between replies and would only
        // say `Incomplete`, so it is not asked.
        while !self.has_ended() && used < input.len() {
            match self.decoder.decode(&input[used..]) {
                Ok(Decoded::Complete { value, consumed }) => {
                    used += consumed;
                    self.on_reply(now, value);
                    if self.phase == Phase::TlsHandshake {
                        if used < input.len() {
                            self.fail_injection(now, input.len() - used, &input[used..]);
                        }
                        break;
                    }
                }
                Ok(Decoded::Incomplete) => break,
                Err(error) => {
                    self.fail_malformed(now, error, &input[used..]);
                    break;
                }
            }
        }
        used
    }

    fn on_reply(&mut self, now: Instant, reply: Reply) {
        let Some(command) = self.pipeline.in_flight.front().copied() else {
            self.on_unsolicited(now, reply);
            return;
        };
        if command.end > self.written {
            if reply.code().value() == 421 {
                // RFC 5321 s3.8: a server shutting down may say 421 at any time, unasked.
                self.on_service_closing(now, None, reply);
                return;
            }
            // RFC 5321 s4.2: a reply answers a command the server received; this one was not
            // even written yet.
            let stage = command.expect.stage();
            let diagnosis = Diagnosis::early_reply(stage, &reply);
            self.fail(
                now,
                Error::UnexpectedReply {
                    stage,
                    verb: (command.expect != Expect::Greeting).then_some(command.verb),
                    reply,
                    diagnosis: Box::new(diagnosis),
                },
            );
            return;
        }
        self.pipeline.in_flight.pop_front();
        if mixes_classes(&reply) {
            // RFC 5321 s4.2.1: every line of a reply carries the same code. One that says
            // both yes and no (`550-...` then `250 ...`) cannot be taken either way.
            let stage = command.expect.stage();
            let diagnosis = Diagnosis::unexpected_reply_ending_session(
                stage,
                &reply,
                "one reply code on every line",
            );
            // The command got no valid answer: it is cancelled with the others.
            self.pipeline.in_flight.push_front(command);
            self.fail(
                now,
                Error::UnexpectedReply {
                    stage,
                    verb: (command.expect != Expect::Greeting).then_some(command.verb),
                    reply,
                    diagnosis: Box::new(diagnosis),
                },
            );
            return;
        }
        if reply.code().value() == 421 {
            self.on_service_closing(now, Some(command), reply);
            return;
        }
        if !reply_fits(command.expect, command.verb, &reply) {
            let stage = command.expect.stage();
            let diagnosis = Diagnosis::unexpected_reply_ending_session(
                stage,
                &reply,
                expected_codes(command.expect, command.verb),
            );
            self.pipeline.in_flight.push_front(command);
            self.fail(
                now,
                Error::UnexpectedReply {
                    stage,
                    verb: (command.expect != Expect::Greeting).then_some(command.verb),
                    reply,
                    diagnosis: Box::new(diagnosis),
                },
            );
            return;
        }
        match command.expect {
            Expect::Greeting => self.on_greeting(now, reply),
            Expect::Hello => self.on_hello(now, command, reply),
            Expect::StartTls => self.on_starttls(now, command, reply),
            Expect::Auth => self.on_auth(now, command, reply),
            Expect::Mail => self.on_mail(now, command, reply),
            Expect::Rcpt => self.on_rcpt(now, command, reply),
            Expect::Data => self.on_data(now, command, reply),
            Expect::DataEnd => self.on_data_end(now, command, reply),
            Expect::Chunk => self.on_chunk(now, command, reply),
            Expect::Rset | Expect::Query => self.on_simple(now, command, reply),
            Expect::Quit => self.end_session(now, CloseReason::Quit { reply: Some(reply) }),
        }
        if self.has_ended() {
            return;
        }
        self.rearm_reply_timer(now);
        if !self.pipeline.waiting.is_empty() {
            self.flush(now);
        }
        self.pump(now);
    }

    /// The reply timer follows the oldest command in flight, from now (its reply is due
    /// after this one) if its last octet is written; otherwise the write timer guards it.
    fn rearm_reply_timer(&mut self, now: Instant) {
        match self.pipeline.in_flight.front() {
            Some(next) if next.end <= self.written => {
                let timeout = self.timeout_for(next.expect);
                self.timers.arm(Timer::Reply, now, timeout);
            }
            _ => self.timers.stop(Timer::Reply),
        }
    }

    // ---- greeting, hello, STARTTLS -------------------------------------------------------

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
        let diagnosis = self.reject(CommandHandle(0), None, Stage::Greeting, None, reply, None);
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
            if self.phase != Phase::Closing {
                self.phase = Phase::Ready;
            }
            self.events.push_back(Event::HelloAccepted {
                handle: command.handle,
                verb: command.verb,
                capabilities: Box::new(capabilities.clone()),
                reply,
            });
            if automatic {
                self.continue_handshake(now, capabilities);
            } else if self.config.handshake == Handshake::Manual {
                self.ready = true;
            }
            return;
        }
        let code = reply.code().value();
        let diagnosis = self.reject(
            command.handle,
            Some(command.verb),
            Stage::Ehlo,
            None,
            reply,
            None,
        );
        // RFC 5321 s3.2: a server that does not know EHLO answers 500 or 502; use HELO.
        if automatic && command.verb == Verb::Ehlo && matches!(code, 500 | 502) {
            let _ = self.queue_hello(now, Verb::Helo, Origin::Engine);
        } else if automatic {
            self.abort(now, diagnosis);
        }
    }

    /// Automatic mode, after a successful EHLO/HELO: STARTTLS as the policy says, then AUTH
    /// with the configured credentials, then ready.
    fn continue_handshake(&mut self, now: Instant, capabilities: Capabilities) {
        if self.phase == Phase::Closing {
            return;
        }
        let wants_tls = matches!(
            self.config.tls,
            TlsPolicy::Required | TlsPolicy::Opportunistic
        );
        if !self.tls_active && wants_tls && capabilities.starttls() {
            let _ = self.queue(
                now,
                Command::StartTls,
                Expect::StartTls,
                Origin::Engine,
                None,
            );
        } else if !self.tls_active && self.config.tls == TlsPolicy::Required {
            // RFC 3207 s4: a client that requires TLS ends the session here.
            self.abort(now, Diagnosis::tls_not_offered());
        } else {
            self.authenticate_or_ready(now, capabilities);
        }
    }

    /// The last step of the automatic handshake: AUTH from the configuration, or `Ready`.
    fn authenticate_or_ready(&mut self, now: Instant, capabilities: Capabilities) {
        if let Some(credentials) = self.config.credentials.clone()
            && self.authenticated.is_none()
        {
            let mechanism = self.config.auth_mechanism.clone();
            let options = self.config.sasl_options.clone();
            if let Err(refused) =
                self.start_auth(now, &credentials, mechanism, options, Origin::Engine)
            {
                let diagnosis = refused.diagnosis().unwrap_or_else(|| {
                    Diagnosis::no_common_mechanism(
                        &capabilities.auth_mechanisms().collect::<Vec<_>>(),
                        &crate::auth::supported_mechanisms(),
                    )
                });
                self.abort(now, diagnosis);
            }
            return;
        }
        self.ready = true;
        self.events.push_back(Event::Ready {
            tls: self.tls_active,
            capabilities: Box::new(capabilities),
        });
    }

    fn on_starttls(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            self.phase = Phase::TlsHandshake;
            self.ready = false;
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
            None,
        );
        if self.config.tls == TlsPolicy::Required {
            // Never downgrade: end the session before anything else is sent.
            self.abort(now, diagnosis);
        } else if command.origin == Origin::Engine
            && let Some(capabilities) = self.capabilities.clone()
        {
            self.authenticate_or_ready(now, capabilities);
        }
    }

    // ---- AUTH ----------------------------------------------------------------------------

    fn on_auth(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        let Some(mut exchange) = self.sasl.take() else {
            // Cannot happen: AUTH is only queued with an exchange.
            return;
        };
        if reply.code().is_intermediate() {
            if exchange.cancelled.is_some() {
                self.fail_unexpected(
                    now,
                    Stage::Auth,
                    Verb::AuthCancel,
                    reply,
                    "501 to the cancelled AUTH (RFC 4954 s4)",
                );
                return;
            }
            // RFC 4954 s4: the challenge is base64 in the reply text.
            let answer = crate::auth::decode_challenge(reply_payload(&reply))
                .and_then(|challenge| exchange.client.respond(&challenge));
            let next = match answer {
                Ok(response) => Command::AuthResponse(response),
                Err(error) if is_forgery(&error) => {
                    let diagnosis = Diagnosis::server_not_verified(&exchange.mechanism, &error);
                    self.fail(
                        now,
                        Error::ServerNotVerified {
                            mechanism: exchange.mechanism,
                            source: error,
                            diagnosis: Box::new(diagnosis),
                        },
                    );
                    return;
                }
                Err(error) => {
                    // RFC 4954 s4: the client cancels with "*"; the server answers 501.
                    exchange.cancelled = Some(error);
                    Command::AuthCancel
                }
            };
            let verb = next.verb();
            let mut bytes = Vec::new();
            if let Err(error) = next.write_to(&mut bytes) {
                exchange.cancelled = Some(SaslError::MalformedChallenge {
                    mechanism: exchange.mechanism.clone(),
                    expected: "a challenge whose answer fits on a command line",
                    found: error.to_string(),
                });
                bytes.clear();
                bytes.extend_from_slice(b"*\r\n");
            }
            // The exchange owns the connection: the answer goes before anything waiting.
            self.compact_output();
            self.output.extend_from_slice(&bytes);
            self.output_appended(now);
            let mut answer =
                Outstanding::new(command.handle, verb, Expect::Auth, command.origin, None);
            answer.end = self.output_end();
            self.pipeline.in_flight.push_front(answer);
            self.sasl = Some(exchange);
            return;
        }
        if reply.code().is_completion() {
            if exchange.cancelled.is_some() {
                // RFC 4954 s4: a cancelled exchange ends in 501; a server that says "235"
                // instead has no credentials from this client to trust.
                self.fail_unexpected(
                    now,
                    Stage::Auth,
                    Verb::AuthCancel,
                    reply,
                    "501 to the cancelled AUTH (RFC 4954 s4)",
                );
                return;
            }
            if !exchange.client.is_complete() {
                let expected = if exchange.mechanism.as_str().starts_with("SCRAM") {
                    "the server's proof (a 334 with its signature, RFC 5802 s5) before success"
                } else {
                    "a 334 challenge: the client had not sent its credentials yet"
                };
                self.fail_unexpected(now, Stage::Auth, Verb::Auth, reply, expected);
                return;
            }
            self.authenticated = Some(exchange.mechanism.clone());
            self.events.push_back(Event::Authenticated {
                handle: exchange.handle,
                mechanism: exchange.mechanism,
                reply,
            });
            if exchange.origin == Origin::Engine
                && let Some(capabilities) = self.capabilities.clone()
            {
                self.authenticate_or_ready(now, capabilities);
            }
            return;
        }
        let diagnosis = match &exchange.cancelled {
            Some(error) => Diagnosis::sasl_cancelled(&reply, error),
            None => self.diagnose(Stage::Auth, &reply),
        };
        self.reject_with(
            exchange.handle,
            Some(Verb::Auth),
            Stage::Auth,
            None,
            reply,
            diagnosis.clone(),
        );
        if exchange.origin == Origin::Engine {
            self.abort(now, diagnosis);
        }
    }

    // ---- the transaction -----------------------------------------------------------------

    /// The open transaction, if `command` belongs to it.
    fn transaction_of(&mut self, command: &Outstanding) -> Option<&mut Transaction> {
        self.transaction
            .as_mut()
            .filter(|t| command.txn == Some(t.id))
    }

    /// The diagnosis an earlier failure of the command's transaction gives its refusals.
    fn earlier_failure(&self, command: &Outstanding) -> Option<Diagnosis> {
        self.transaction
            .as_ref()
            .filter(|t| command.txn == Some(t.id))
            .and_then(|t| t.failure.as_ref())
            .map(|f| f.diagnosis().clone())
    }

    fn on_mail(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            if let Some(transaction) = self.transaction_of(&command) {
                transaction.mail_accepted = true;
            }
            self.events.push_back(Event::MailAccepted {
                handle: command.handle,
                reply,
            });
            return;
        }
        let diagnosis = self.reject(
            command.handle,
            Some(Verb::Mail),
            Stage::Mail,
            None,
            reply,
            None,
        );
        if let Some(transaction) = self.transaction_of(&command) {
            // No server-side transaction exists; what is still to be sent is not sent.
            transaction
                .failure
                .get_or_insert(Failure::Refused(Box::new(diagnosis)));
        }
        self.settle(now);
    }

    fn on_rcpt(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            if let Some(transaction) = self.transaction_of(&command)
                && let Some(recipient) = transaction.recipient_mut(command.handle)
            {
                *recipient = RecipientStatus::Accepted;
            }
            self.events.push_back(Event::RecipientAccepted {
                handle: command.handle,
                reply,
            });
            return;
        }
        let earlier = self.earlier_failure(&command);
        let diagnosis = self.reject(
            command.handle,
            Some(Verb::Rcpt),
            Stage::Rcpt,
            None,
            reply,
            earlier.as_ref(),
        );
        if let Some(transaction) = self.transaction_of(&command)
            && let Some(recipient) = transaction.recipient_mut(command.handle)
        {
            *recipient = RecipientStatus::Refused {
                diagnosis: Box::new(diagnosis),
            };
        }
        self.settle(now);
    }

    fn on_data(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        let Some(transaction) = self.transaction_of(&command) else {
            self.on_orphan(now, command, reply, Stage::Data);
            return;
        };
        let no_recipient = transaction.accepted() == 0;
        if reply.code().is_intermediate() {
            if transaction.failure.is_some() || no_recipient {
                // RFC 2920 s3.1: the message can no longer be delivered but the server wants
                // data: an empty message end takes it out of data mode.
                if transaction.failure.is_none() {
                    let diagnosis = Diagnosis::recipients_all_refused(transaction.first_refusal());
                    transaction.failure = Some(Failure::NotSent(Box::new(diagnosis)));
                }
                self.write_engine_line(now, b".\r\n", command.handle, Expect::DataEnd, command.txn);
                return;
            }
            match transaction.prepared_body.take() {
                Some(body) => {
                    self.compact_output();
                    self.output.extend_from_slice(&body);
                    self.output_appended(now);
                    let mut end = Outstanding::new(
                        command.handle,
                        Verb::Data,
                        Expect::DataEnd,
                        Origin::Caller,
                        command.txn,
                    );
                    end.end = self.output_end();
                    self.pipeline.in_flight.push_front(end);
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
        let earlier = match &transaction.failure {
            Some(failure) => Some(failure.diagnosis().clone()),
            None if no_recipient && transaction.recipients_answered() => Some(
                Diagnosis::recipients_all_refused(transaction.first_refusal()),
            ),
            None => None,
        };
        let diagnosis = self.reject(
            command.handle,
            Some(Verb::Data),
            Stage::Data,
            None,
            reply,
            earlier.as_ref(),
        );
        if let Some(transaction) = self.transaction_of(&command) {
            let failure = match earlier {
                Some(earlier) if no_recipient => Failure::NotSent(Box::new(earlier)),
                _ => Failure::Refused(Box::new(diagnosis)),
            };
            transaction.failure.get_or_insert(failure);
        }
        self.settle(now);
    }

    /// Writes a line the engine sends on its own ahead of everything waiting (the empty
    /// message end of RFC 2920 s3.1), awaiting its reply first.
    fn write_engine_line(
        &mut self,
        now: Instant,
        line: &[u8],
        handle: CommandHandle,
        expect: Expect,
        txn: Option<u64>,
    ) {
        self.compact_output();
        self.output.extend_from_slice(line);
        self.output_appended(now);
        let mut command = Outstanding::new(handle, Verb::Data, expect, Origin::Engine, txn);
        command.end = self.output_end();
        self.pipeline.in_flight.push_front(command);
    }

    /// After `finish_data` wrote the final dot: await the reply(ies).
    pub(super) fn await_data_end(&mut self, long_lines: u64) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        transaction.long_lines = long_lines;
        let Some(handle) = transaction.data else {
            return;
        };
        let mut command = Outstanding::new(
            handle,
            Verb::Data,
            Expect::DataEnd,
            Origin::Caller,
            Some(transaction.id),
        );
        command.end = self.output_end();
        self.pipeline.in_flight.push_front(command);
    }

    fn on_data_end(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if self.transaction_of(&command).is_none() {
            self.on_orphan(now, command, reply, Stage::DataEnd);
            return;
        }
        if command.origin == Origin::Engine {
            // The reply to the empty message end of RFC 2920 s3.1 recovery: the transaction
            // is over on the server either way.
            self.finish_transaction(now, None, true);
            return;
        }
        if self.config.lmtp {
            self.on_lmtp_reply(now, command, reply);
            return;
        }
        let Some(transaction) = self.transaction_of(&command) else {
            return;
        };
        let accepted = transaction.accepted();
        let failure = transaction.failure.clone();
        let first_refusal = transaction.first_refusal().cloned();
        if reply.code().is_completion() {
            let status = match failure {
                // A chunk was refused: the message is incomplete whatever the server says of
                // the last one (RFC 3030 s2).
                Some(_) => None,
                None if accepted == 0 => Some(MessageStatus::NotSent {
                    diagnosis: Box::new(Diagnosis::recipients_all_refused(first_refusal.as_ref())),
                }),
                None => Some(MessageStatus::Accepted { reply }),
            };
            self.finish_transaction(now, status, true);
            return;
        }
        let earlier = failure.as_ref().map(|f| f.diagnosis().clone());
        let diagnosis = self.reject(
            command.handle,
            Some(command.verb),
            Stage::DataEnd,
            None,
            reply,
            earlier.as_ref(),
        );
        let status = match failure {
            Some(_) => None,
            None => Some(MessageStatus::Refused {
                diagnosis: Box::new(diagnosis),
            }),
        };
        self.finish_transaction(now, status, true);
    }

    /// RFC 2033 s4.2: one reply per accepted recipient, in RCPT order.
    fn on_lmtp_reply(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        let Some(transaction) = self.transaction_of(&command) else {
            return;
        };
        if !transaction.lmtp_started {
            // Every RCPT reply has arrived (replies come in order): these are owed one each.
            transaction.lmtp_started = true;
            transaction.lmtp_owed = transaction
                .recipients
                .iter()
                .filter(|(_, status)| matches!(status, RecipientStatus::Accepted))
                .map(|(handle, _)| *handle)
                .collect();
        }
        let recipient = transaction.lmtp_owed.pop_front();
        let more = !transaction.lmtp_owed.is_empty();
        if reply.code().is_completion() {
            transaction.lmtp_accepted = Some(reply.clone());
            if let Some(handle) = recipient
                && let Some(r) = transaction.recipient_mut(handle)
            {
                *r = RecipientStatus::Delivered {
                    reply: reply.clone(),
                };
            }
            if let Some(recipient) = recipient {
                self.events.push_back(Event::RecipientDelivered {
                    handle: command.handle,
                    recipient,
                    reply,
                });
            }
        } else {
            let diagnosis = self.reject(
                command.handle,
                Some(command.verb),
                Stage::DataEnd,
                recipient,
                reply,
                None,
            );
            if let Some(transaction) = self.transaction_of(&command) {
                if let Some(handle) = recipient
                    && let Some(r) = transaction.recipient_mut(handle)
                {
                    *r = RecipientStatus::Refused {
                        diagnosis: Box::new(diagnosis.clone()),
                    };
                }
                transaction
                    .failure
                    .get_or_insert(Failure::Refused(Box::new(diagnosis)));
            }
        }
        if more {
            self.pipeline.in_flight.push_front(command);
            return;
        }
        let Some(transaction) = self.transaction_of(&command) else {
            return;
        };
        let status = match transaction.lmtp_accepted.take() {
            Some(reply) => Some(MessageStatus::Accepted { reply }),
            None if transaction.failure.is_none() => Some(MessageStatus::NotSent {
                diagnosis: Box::new(Diagnosis::recipients_all_refused(
                    transaction.first_refusal(),
                )),
            }),
            None => None,
        };
        self.finish_transaction(now, status, true);
    }

    fn on_chunk(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            self.events.push_back(Event::ChunkAccepted {
                handle: command.handle,
                reply,
            });
            return;
        }
        let earlier = self.earlier_failure(&command);
        let diagnosis = self.reject(
            command.handle,
            Some(Verb::Bdat),
            Stage::Data,
            None,
            reply,
            earlier.as_ref(),
        );
        if let Some(transaction) = self.transaction_of(&command) {
            // RFC 3030 s2: after a failed chunk the transaction has failed; no more chunks.
            transaction
                .failure
                .get_or_insert(Failure::Refused(Box::new(diagnosis)));
        }
        self.settle(now);
    }

    /// A reply to a transaction command whose transaction the caller already ended (RSET):
    /// reported, nothing more.
    fn on_orphan(&mut self, now: Instant, command: Outstanding, reply: Reply, stage: Stage) {
        if !reply.code().is_completion() && !reply.code().is_intermediate() {
            self.reject(command.handle, Some(command.verb), stage, None, reply, None);
        } else if reply.code().is_intermediate() && command.expect == Expect::Data {
            // The caller reset the transaction, yet DATA was accepted: end the data at once.
            self.write_engine_line(now, b".\r\n", command.handle, Expect::DataEnd, None);
        }
    }

    fn on_simple(&mut self, now: Instant, command: Outstanding, reply: Reply) {
        if reply.code().is_completion() {
            if command.origin == Origin::Caller {
                self.events.push_back(Event::Replied {
                    handle: command.handle,
                    verb: command.verb,
                    reply,
                });
            }
            return;
        }
        if command.origin == Origin::Engine {
            // The engine's RSET was refused: the server's state is unknown.
            self.fail_unexpected(now, Stage::Any, command.verb, reply, "250 to RSET");
            return;
        }
        self.reject(
            command.handle,
            Some(command.verb),
            command.expect.stage(),
            None,
            reply,
            None,
        );
    }

    /// After a reply about the open transaction: when it can no longer deliver its message,
    /// drop its unwritten commands and finish it once nothing of it is awaited.
    pub(super) fn settle(&mut self, now: Instant) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        if transaction.failure.is_none()
            && transaction.engine_driven
            && transaction.recipients_answered()
            && transaction.accepted() == 0
        {
            // Every recipient refused: no DATA (and without PIPELINING it was not written).
            let diagnosis = Diagnosis::recipients_all_refused(transaction.first_refusal());
            transaction.failure = Some(Failure::NotSent(Box::new(diagnosis)));
        }
        if transaction.failure.is_none() {
            return;
        }
        let id = transaction.id;
        for command in self.pipeline.remove_waiting_of(id) {
            if command.origin == Origin::Caller {
                self.events.push_back(Event::Cancelled {
                    handle: command.handle,
                    verb: command.verb,
                });
            }
        }
        if !self.pipeline.has_txn(id) && self.phase != Phase::SendingData {
            self.finish_transaction(now, None, false);
        }
    }

    /// Ends the open transaction with its one [`Event::MessageFinished`]: `status`, or the
    /// failure recorded. An RSET follows when the server still holds the transaction (MAIL
    /// accepted, and no reply to the end of the data ended it).
    pub(super) fn finish_transaction(
        &mut self,
        now: Instant,
        status: Option<MessageStatus>,
        ended_by_data_reply: bool,
    ) {
        // The outcome takes what it needs from the transaction in place: the transaction
        // itself is large and is not moved.
        let Some(transaction) = self.transaction.as_mut() else {
            return;
        };
        let status = status.unwrap_or_else(|| failure_status(transaction));
        let abandoned = matches!(status, MessageStatus::Abandoned);
        let reset = transaction.mail_accepted && !ended_by_data_reply && !abandoned;
        let outcome = outcome(transaction, status);
        self.transaction = None;
        if reset && !self.has_ended() {
            self.queue_reset_first(now);
        }
        self.events.push_back(Event::MessageFinished(outcome));
    }

    /// A queued message finished before its MAIL was sent.
    pub(super) fn finish_unstarted(
        &mut self,
        handles: &MessageHandles,
        status: MessageStatus,
        long_lines: u64,
    ) {
        self.events
            .push_back(Event::MessageFinished(unstarted_outcome(
                handles, status, long_lines,
            )));
    }

    /// Starts queued messages while the session is free, then the QUIT the caller asked for
    /// once nothing is left.
    pub(super) fn pump(&mut self, now: Instant) {
        if self.queue.is_empty() && self.quit_requested.is_none() {
            // The common case after every reply: nothing waits.
            return;
        }
        while self.can_start_message() {
            let Some(next) = self.queue.front() else {
                break;
            };
            if self.pipeline.len() + next.envelope.to.len() + 2
                > self.config.max_outstanding_commands
            {
                // Too much still outstanding for the whole envelope: wait for replies.
                break;
            }
            let Some(next) = self.queue.pop_front() else {
                break;
            };
            self.start_message(now, &next.handles, &next.envelope, next.prepared);
        }
        if self.quit_requested.is_some()
            && !self.has_engine_work()
            && matches!(self.phase, Phase::Ready | Phase::Greeted)
            && self.abort.is_none()
            && let Some(handle) = self.quit_requested.take()
        {
            let queued = self.queue_with(
                now,
                handle,
                Verb::Quit,
                Expect::Quit,
                Origin::Caller,
                None,
                |out| Command::Quit.write_to(out),
            );
            if queued.is_ok() {
                self.phase = Phase::Closing;
            }
        }
    }

    /// Queues an engine RSET ahead of anything the caller queued.
    fn queue_reset_first(&mut self, now: Instant) {
        let handle = self.new_handle();
        self.pipeline.waiting.push_front(Waiting {
            command: Outstanding::new(handle, Verb::Rset, Expect::Rset, Origin::Engine, None),
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
            for (_, status) in &transaction.recipients {
                if let RecipientStatus::Refused { diagnosis } = status {
                    context.add_recipient((**diagnosis).clone());
                }
            }
        }
        if let Some(previous) = &self.last_rejection {
            context = context.with_previous((**previous).clone());
        }
        diagnose_in_context(stage, reply, &context)
    }

    /// Reports a negative reply and returns its diagnosis; `earlier` is the refusal it
    /// follows from, if any.
    fn reject(
        &mut self,
        handle: CommandHandle,
        verb: Option<Verb>,
        stage: Stage,
        recipient: Option<CommandHandle>,
        reply: Reply,
        earlier: Option<&Diagnosis>,
    ) -> Diagnosis {
        let mut diagnosis = self.diagnose(stage, &reply);
        if let Some(earlier) = earlier
            && diagnosis.caused_by().is_none()
        {
            diagnosis = diagnosis.with_caused_by(earlier.clone());
        }
        self.reject_with(handle, verb, stage, recipient, reply, diagnosis.clone());
        diagnosis
    }

    fn reject_with(
        &mut self,
        handle: CommandHandle,
        verb: Option<Verb>,
        stage: Stage,
        recipient: Option<CommandHandle>,
        reply: Reply,
        diagnosis: Diagnosis,
    ) {
        self.last_rejection = Some(Box::new(diagnosis.clone()));
        self.events.push_back(Event::Rejected(Box::new(Rejection {
            handle,
            verb,
            stage,
            recipient,
            reply,
            diagnosis,
        })));
    }

    // ---- ending ------------------------------------------------------------------------------

    /// The engine ends the session with QUIT because going on would break the configuration.
    pub(super) fn abort(&mut self, now: Instant, diagnosis: Diagnosis) {
        if self.abort.is_some() || self.has_ended() {
            return;
        }
        self.abort = Some(Box::new(diagnosis));
        for waiting in std::mem::take(&mut self.pipeline.waiting) {
            if waiting.command.origin == Origin::Caller {
                self.events.push_back(Event::Cancelled {
                    handle: waiting.command.handle,
                    verb: waiting.command.verb,
                });
            }
        }
        if self.phase != Phase::Closing {
            let _ = self.queue(now, Command::Quit, Expect::Quit, Origin::Engine, None);
            self.phase = Phase::Closing;
        }
    }

    /// Ends the session: every outstanding command gets its last event, every message its
    /// finishing event, then [`Event::Closed`].
    pub(super) fn end_session(&mut self, _now: Instant, reason: CloseReason) {
        let reason = match (reason, self.abort.take()) {
            (CloseReason::Quit { .. }, Some(diagnosis)) => CloseReason::Aborted { diagnosis },
            (reason, _) => reason,
        };
        let cause = reason.diagnosis().cloned();
        // Whether the end of the open transaction's data was written: then the server may
        // have taken the message.
        let data_end_written = self.transaction.as_ref().is_some_and(|t| {
            self.pipeline.in_flight.iter().any(|c| {
                c.expect == Expect::DataEnd && c.txn == Some(t.id) && c.end <= self.written
            })
        });
        for command in self.pipeline.drain_all() {
            if command.origin == Origin::Caller && command.expect != Expect::Greeting {
                self.events.push_back(Event::Cancelled {
                    handle: command.handle,
                    verb: command.verb,
                });
            }
        }
        if let Some(handle) = self.quit_requested.take() {
            self.events.push_back(Event::Cancelled {
                handle,
                verb: Verb::Quit,
            });
        }
        if self.phase == Phase::SendingData
            && let Some(handle) = self.transaction.as_ref().and_then(|t| t.data)
        {
            self.events.push_back(Event::Cancelled {
                handle,
                verb: Verb::Data,
            });
        }
        self.sasl = None;
        if let Some(mut transaction) = self.transaction.take() {
            let status = match (&cause, &transaction.failure, &transaction.lmtp_accepted) {
                (_, Some(_), _) => failure_status(&transaction),
                // LMTP: some recipients have the message already.
                (_, None, Some(reply)) => MessageStatus::Accepted {
                    reply: reply.clone(),
                },
                (None, None, None) => MessageStatus::Abandoned,
                (Some(cause), None, None) if data_end_written => MessageStatus::Unconfirmed {
                    diagnosis: Box::new(cause.clone()),
                },
                (Some(cause), None, None) => MessageStatus::NotSent {
                    diagnosis: Box::new(cause.clone()),
                },
            };
            let outcome = outcome(&mut transaction, status);
            self.events.push_back(Event::MessageFinished(outcome));
        }
        for queued in std::mem::take(&mut self.queue) {
            let diagnosis = cause
                .clone()
                .unwrap_or_else(|| Diagnosis::connection_closed(Stage::Any, None));
            let status = MessageStatus::NotSent {
                diagnosis: Box::new(diagnosis),
            };
            self.finish_unstarted(&queued.handles, status, queued.prepared.long_lines);
        }
        self.phase = Phase::Closed;
        self.timers.stop_all();
        self.events.push_back(Event::Closed { reason });
    }

    fn on_service_closing(&mut self, now: Instant, command: Option<Outstanding>, reply: Reply) {
        let stage = command.as_ref().map_or(Stage::Any, |c| c.expect.stage());
        if let Some(command) = command
            && command.expect != Expect::Greeting
            && command.expect != Expect::Quit
        {
            let diagnosis = self.reject(
                command.handle,
                Some(command.verb),
                stage,
                None,
                reply.clone(),
                None,
            );
            if command.expect == Expect::Rcpt
                && let Some(transaction) = self.transaction_of(&command)
                && let Some(recipient) = transaction.recipient_mut(command.handle)
            {
                *recipient = RecipientStatus::Refused {
                    diagnosis: Box::new(diagnosis),
                };
            }
        }
        let diagnosis = self.diagnose(stage, &reply);
        self.end_session(
            now,
            CloseReason::ServiceClosing {
                reply,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    fn on_unsolicited(&mut self, now: Instant, reply: Reply) {
        if reply.code().value() == 421 {
            self.on_service_closing(now, None, reply);
            return;
        }
        let stage = if self.phase == Phase::SendingData {
            Stage::Data
        } else {
            Stage::Any
        };
        let diagnosis = Diagnosis::unexpected_reply_ending_session(
            stage,
            &reply,
            "no reply (no command was waiting)",
        );
        self.fail(
            now,
            Error::UnexpectedReply {
                stage,
                verb: None,
                reply,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    pub(super) fn on_eof(&mut self, now: Instant) {
        let mid_reply = self.decoder.is_mid_reply() || self.input_start < self.input.len();
        let quitting = self.phase == Phase::Closing
            && self
                .pipeline
                .in_flight
                .front()
                .is_none_or(|c| c.expect == Expect::Quit);
        if quitting && !mid_reply {
            // RFC 5321 s4.1.1.10: the server may close without waiting for more.
            self.end_session(now, CloseReason::Quit { reply: None });
            return;
        }
        let stage = self.current_stage();
        let busy = !self.pipeline.in_flight.is_empty()
            || !self.pipeline.waiting.is_empty()
            || self.phase == Phase::SendingData
            || self.transaction.is_some()
            || !self.queue.is_empty()
            || self.phase == Phase::TlsHandshake;
        let previous = self.last_rejection.as_deref();
        let diagnosis = Diagnosis::connection_closed(stage, previous);
        if busy || mid_reply {
            self.fail(
                now,
                Error::UnexpectedEof {
                    stage,
                    mid_reply,
                    diagnosis: Box::new(diagnosis),
                },
            );
            return;
        }
        self.end_session(
            now,
            CloseReason::ConnectionClosed {
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    pub(super) fn on_timeout(&mut self, now: Instant, timer: Timer) {
        let (stage, diagnosis) = match timer {
            Timer::Reply => {
                let expect = self
                    .pipeline
                    .in_flight
                    .front()
                    .map_or(Expect::Greeting, |c| c.expect);
                let stage = expect.stage();
                (
                    stage,
                    Diagnosis::reply_timeout(stage, self.timeout_for(expect)),
                )
            }
            Timer::Write => {
                let stage = self.current_stage();
                let pending = self.pending_output().len();
                let waited = self.config.timeouts.data_block;
                (stage, Diagnosis::write_stalled(stage, waited, pending))
            }
        };
        self.fail(
            now,
            Error::Timeout {
                stage,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    /// Where the session is, for errors that happen between replies.
    pub(super) fn current_stage(&self) -> Stage {
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

    /// Bytes arrived after the STARTTLS go-ahead: `count` of them in all, `shown` in the
    /// diagnosis. The go-ahead is withdrawn if the caller has not taken it yet, so no
    /// handshake starts on a session that is over.
    pub(super) fn fail_injection(&mut self, now: Instant, count: usize, shown: &[u8]) {
        if let Some(position) = self
            .events
            .iter()
            .rposition(|e| matches!(e, Event::StartTlsReady { .. }))
        {
            self.events.remove(position);
        }
        let buffered = &self.input[self.input_start.min(self.input.len())..];
        let mut injected = buffered.to_vec();
        injected.extend_from_slice(shown);
        let diagnosis = Diagnosis::starttls_response_injection(&injected);
        self.input.clear();
        self.input_start = 0;
        self.fail(
            now,
            Error::StartTlsInjection {
                bytes: count,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    fn fail_malformed(&mut self, now: Instant, error: ReplyError, received: &[u8]) {
        let stage = self.current_stage();
        let received = &received[..received.len().min(256)];
        let diagnosis = Diagnosis::malformed_reply(stage, &error, received);
        self.fail(
            now,
            Error::MalformedReply {
                stage,
                source: error,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    fn fail_unexpected(
        &mut self,
        now: Instant,
        stage: Stage,
        verb: Verb,
        reply: Reply,
        expected: &str,
    ) {
        let diagnosis = Diagnosis::unexpected_reply_ending_session(stage, &reply, expected);
        self.fail(
            now,
            Error::UnexpectedReply {
                stage,
                verb: Some(verb),
                reply,
                diagnosis: Box::new(diagnosis),
            },
        );
    }

    /// Ends the session with a fatal error, as the last event.
    pub(super) fn fail(&mut self, now: Instant, error: Error) {
        self.error = Some(error.clone());
        self.end_session(now, CloseReason::Failed { error });
    }
}

/// The finishing event's content, taken from the transaction in place (the transaction is
/// large; only the recipients are moved out).
fn outcome(transaction: &mut Transaction, status: MessageStatus) -> MessageOutcome {
    MessageOutcome {
        mail: transaction.mail,
        data: transaction.data,
        status,
        recipients: std::mem::take(&mut transaction.recipients),
        long_lines: transaction.long_lines,
    }
}

/// The status a transaction's recorded failure gives it.
fn failure_status(transaction: &Transaction) -> MessageStatus {
    match &transaction.failure {
        Some(Failure::Refused(diagnosis)) => MessageStatus::Refused {
            diagnosis: diagnosis.clone(),
        },
        Some(Failure::NotSent(diagnosis)) => MessageStatus::NotSent {
            diagnosis: diagnosis.clone(),
        },
        None => MessageStatus::Abandoned,
    }
}

/// Whether the lines of a reply carry codes of different classes (a `5yz` line in a reply
/// that ends `2yz`, or the other way round).
fn mixes_classes(reply: &Reply) -> bool {
    // Framing already noted whether the codes differ at all (most replies: one line, or
    // the same code on every line); only then are the lines read again.
    if !reply
        .framing_anomalies()
        .contains(crate::reply::Anomaly::InconsistentCodes)
    {
        return false;
    }
    let class = reply.code().value() / 100;
    reply.lines().any(|line| line.code().value() / 100 != class)
}

/// Whether a SASL error means the server failed to prove who it is (RFC 5802 s9): a forged
/// signature or a nonce that does not extend the client's.
fn is_forgery(error: &SaslError) -> bool {
    matches!(
        error,
        SaslError::ServerSignatureMismatch { .. } | SaslError::NonceMismatch { .. }
    )
}

/// RFC 5321 s4.3.2, RFC 3207 s4, RFC 4954 s4 and RFC 3030 s2: which replies a command may
/// get. Any `4yz`/`5yz` refuses; the positive codes are the ones the RFCs list.
fn reply_fits(expect: Expect, verb: Verb, reply: &Reply) -> bool {
    let code = reply.code().value();
    match code / 100 {
        4 | 5 => true,
        3 => matches!((expect, code), (Expect::Data, 354) | (Expect::Auth, 334)),
        2 => match expect {
            Expect::Greeting | Expect::StartTls => code == 220,
            Expect::Hello | Expect::Mail | Expect::DataEnd | Expect::Chunk | Expect::Rset => {
                code == 250
            }
            Expect::Rcpt => matches!(code, 250 | 251),
            Expect::Auth => code == 235,
            Expect::Data => false,
            Expect::Query => match verb {
                Verb::Vrfy => matches!(code, 250..=252),
                Verb::Expn => matches!(code, 250 | 252),
                Verb::Help => matches!(code, 211 | 214),
                _ => code == 250,
            },
            // The session ends whatever the server says to QUIT.
            Expect::Quit => true,
        },
        _ => false,
    }
}

/// What a command's reply may be, in words, for the unexpected-reply diagnosis.
fn expected_codes(expect: Expect, verb: Verb) -> &'static str {
    match expect {
        Expect::Greeting => "220 (or 421/554)",
        Expect::StartTls => "220 (or 454/501)",
        Expect::Hello => "250 (or 4xx/5xx)",
        Expect::Rcpt => "250 or 251 (or 4xx/5xx)",
        Expect::Data => "354 (or 4xx/5xx)",
        Expect::Auth => "235 or 334 (or 4xx/5xx)",
        Expect::Query if verb == Verb::Help => "211 or 214 (or 4xx/5xx)",
        Expect::Query if verb == Verb::Vrfy => "250, 251 or 252 (or 4xx/5xx)",
        Expect::Query if verb == Verb::Expn => "250 or 252 (or 4xx/5xx)",
        _ => "250 (or 4xx/5xx)",
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
    use crate::client::{Client, CloseReason, Config, Error, Event, TlsPolicy};

    /// A client that sent STARTTLS (after EHLO offered it) and waits for the go-ahead.
    fn awaiting_go_ahead(now: Instant) -> Client {
        let config =
            Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::Required);
        let mut client = Client::new(config, now);
        client.receive(now, b"220 mx.example.com ESMTP\r\n");
        client.consume_output(now, usize::MAX);
        client.receive(now, b"250-mx.example.com\r\n250 STARTTLS\r\n");
        assert!(client.pending_output().ends_with(b"STARTTLS\r\n"));
        client.consume_output(now, usize::MAX);
        client
    }

    fn closing_error(client: &mut Client) -> Error {
        let mut names = Vec::new();
        while let Some(event) = client.poll_event() {
            names.push(event.name());
            if let Event::Closed {
                reason: CloseReason::Failed { error },
            } = event
            {
                assert!(
                    !names.contains(&"StartTlsReady"),
                    "the go-ahead was withdrawn: {names:?}"
                );
                return error;
            }
        }
        panic!("no failure: {names:?}");
    }

    fn injection(client: &mut Client) -> (usize, String) {
        match closing_error(client) {
            Error::StartTlsInjection { bytes, diagnosis } => {
                (bytes, diagnosis.detail().unwrap_or_default().to_owned())
            }
            other => panic!("{other:?}"),
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
            assert_eq!(client.poll_event().unwrap().name(), "Greeted");
            assert!(client.pending_output().starts_with(b"EHLO "));
        }
        for first in [&b""[..], b"22"] {
            let config =
                Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
            let mut client = Client::new(config, now);
            client.receive(now, first);
            client.receive(now, b"HTTP/1.1 400 Bad Request\r\n");
            assert!(matches!(
                closing_error(&mut client),
                Error::MalformedReply { .. }
            ));
        }
    }
}
