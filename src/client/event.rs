//! [`Event`]: what happened, as past-tense facts, each tied to the command that caused it.

use std::fmt;

use crate::auth::Mechanism;
use crate::capabilities::Capabilities;
use crate::command::Verb;
use crate::diagnosis::Diagnosis;
use crate::reply::Reply;
use crate::stage::Stage;

use super::{Error, MessageOutcome};

/// Names one command given to the client. It comes back in every event about that command.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandHandle(pub(crate) u64);

impl fmt::Debug for CommandHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl fmt::Display for CommandHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A server's negative (4xx/5xx) reply to a command, with what it means.
///
/// When the refusal is the consequence of an earlier one in the same transaction (a `503`
/// to RCPT after MAIL was refused, a `554` to DATA after every RCPT was), the diagnosis says
/// so: [`Diagnosis::caused_by`] is the earlier refusal, and the client is not at fault.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rejection {
    /// The command that was refused.
    pub handle: CommandHandle,
    /// What kind of command it was (`None` for a refused greeting).
    pub verb: Option<Verb>,
    /// Where in the session it happened.
    pub stage: Stage,
    /// For a per-recipient reply after the data (LMTP, RFC 2033 s4.2): the RCPT it is about.
    pub recipient: Option<CommandHandle>,
    /// The reply.
    pub reply: Reply,
    /// What the reply means, its likely causes and what to do.
    pub diagnosis: Diagnosis,
}

/// Why the session ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CloseReason {
    /// QUIT was answered (or the server closed after QUIT).
    Quit {
        /// The `221`, when it arrived.
        reply: Option<Reply>,
    },
    /// The server said `421`: it is shutting down or refusing to continue (RFC 5321 s3.8).
    ServiceClosing {
        /// The `421`.
        reply: Reply,
        /// What it means.
        diagnosis: Box<Diagnosis>,
    },
    /// The engine ended the session (with QUIT) because going on would break the
    /// configuration: TLS required but not offered or refused, the greeting or EHLO refused.
    /// Nothing sensitive was sent.
    Aborted {
        /// Why.
        diagnosis: Box<Diagnosis>,
    },
    /// The server closed the connection while nothing was pending.
    ConnectionClosed {
        /// What it likely means (often following an earlier rejection).
        diagnosis: Box<Diagnosis>,
    },
    /// The session failed: the server broke SMTP (a malformed or unexpected reply, an early
    /// answer, STARTTLS response injection, a forged SASL proof), hung up in the middle of
    /// something, or went silent past a deadline.
    Failed {
        /// What went wrong, with its diagnosis.
        error: Error,
    },
}

impl CloseReason {
    /// Whether the session ended as the client wanted: QUIT answered (or the server closing
    /// after QUIT).
    pub fn is_clean(&self) -> bool {
        matches!(self, CloseReason::Quit { .. })
    }

    /// What the ending means, when it was not a clean QUIT.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            CloseReason::Quit { .. } => None,
            CloseReason::ServiceClosing { diagnosis, .. }
            | CloseReason::Aborted { diagnosis }
            | CloseReason::ConnectionClosed { diagnosis } => Some(diagnosis),
            CloseReason::Failed { error } => Some(error.diagnosis()),
        }
    }

    /// The error, when the session failed.
    pub fn error(&self) -> Option<&Error> {
        match self {
            CloseReason::Failed { error } => Some(error),
            _ => None,
        }
    }
}

/// Something that happened in the session. Drain them with
/// [`Client::poll_event`](super::Client::poll_event) after every input.
///
/// Three promises hold for every session, whatever the server does:
/// - every command handle the caller got comes back in exactly one final event: its positive
///   reply, [`Event::Rejected`], or [`Event::Cancelled`] (the commands of a queued message
///   that never started end with its [`Event::MessageFinished`] instead);
/// - every message (mail transaction) ends with exactly one [`Event::MessageFinished`], after
///   the other events of its commands;
/// - the last event of a session is exactly one [`Event::Closed`], failures included.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The server greeted (`220`). In automatic mode the engine answers with EHLO; in manual
    /// mode the caller sends EHLO (or LHLO) next.
    Greeted {
        /// The greeting.
        reply: Reply,
    },
    /// EHLO, LHLO or (after a refused EHLO) HELO was accepted. `capabilities` replace any
    /// earlier ones (empty after HELO: no extensions may be used, RFC 5321 s4.1.1.1).
    HelloAccepted {
        /// The command.
        handle: CommandHandle,
        /// EHLO, LHLO or HELO.
        verb: Verb,
        /// What the server offers.
        capabilities: Box<Capabilities>,
        /// The reply.
        reply: Reply,
    },
    /// The server agreed to start TLS. The caller MUST now run the TLS handshake on the
    /// socket, without reading any more plaintext, and then call
    /// [`Client::tls_established`](super::Client::tls_established).
    StartTlsReady {
        /// The STARTTLS command.
        handle: CommandHandle,
        /// The `220`.
        reply: Reply,
    },
    /// Automatic mode: greeting, EHLO, STARTTLS (as the policy says) and, with credentials
    /// in the configuration, AUTH are done. Queued messages start now; the caller may send
    /// mail.
    Ready {
        /// Whether the session is encrypted.
        tls: bool,
        /// What the server offers now.
        capabilities: Box<Capabilities>,
    },
    /// AUTH succeeded (`235`).
    Authenticated {
        /// The AUTH command.
        handle: CommandHandle,
        /// The mechanism used.
        mechanism: Mechanism,
        /// The reply.
        reply: Reply,
    },
    /// MAIL FROM was accepted.
    MailAccepted {
        /// The MAIL command.
        handle: CommandHandle,
        /// The reply.
        reply: Reply,
    },
    /// RCPT TO was accepted (`250` or `251`). For SMTP this proves nothing about delivery:
    /// servers accept and bounce later.
    RecipientAccepted {
        /// The RCPT command.
        handle: CommandHandle,
        /// The reply.
        reply: Reply,
    },
    /// The server said `354` to a DATA the caller gave with
    /// [`Client::data`](super::Client::data). The caller now sends the message with
    /// [`Client::send_data`](super::Client::send_data) and ends it with
    /// [`Client::finish_data`](super::Client::finish_data). (For messages queued with
    /// [`Client::send_mail`](super::Client::send_mail) the engine sends the message itself.)
    DataReady {
        /// The DATA command.
        handle: CommandHandle,
        /// The `354`.
        reply: Reply,
    },
    /// A non-final BDAT chunk was accepted (RFC 3030).
    ChunkAccepted {
        /// The BDAT command.
        handle: CommandHandle,
        /// The reply.
        reply: Reply,
    },
    /// LMTP: the message was delivered to one recipient (RFC 2033 s4.2).
    RecipientDelivered {
        /// The DATA (or last BDAT) command.
        handle: CommandHandle,
        /// The RCPT command of the recipient.
        recipient: CommandHandle,
        /// The reply.
        reply: Reply,
    },
    /// A positive reply to RSET, NOOP, VRFY, EXPN or HELP.
    Replied {
        /// The command.
        handle: CommandHandle,
        /// Which command.
        verb: Verb,
        /// The reply.
        reply: Reply,
    },
    /// The server refused a command (4xx or 5xx). The session goes on (a rejected recipient
    /// does not end the transaction); a `421` is followed by [`Event::Closed`].
    Rejected(Box<Rejection>),
    /// A message (mail transaction) is over: accepted, refused, not sent or unconfirmed, with
    /// every recipient's fate. Exactly one per transaction, after its other events.
    MessageFinished(MessageOutcome),
    /// A command was never answered because the session ended first (it may not have been
    /// sent at all).
    Cancelled {
        /// The command.
        handle: CommandHandle,
        /// Which command.
        verb: Verb,
    },
    /// The session is over; close the socket. Always the last event.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

impl Event {
    /// The event's name, for logs and tests (`"MailAccepted"`, `"Rejected"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Event::Greeted { .. } => "Greeted",
            Event::HelloAccepted { .. } => "HelloAccepted",
            Event::StartTlsReady { .. } => "StartTlsReady",
            Event::Ready { .. } => "Ready",
            Event::Authenticated { .. } => "Authenticated",
            Event::MailAccepted { .. } => "MailAccepted",
            Event::RecipientAccepted { .. } => "RecipientAccepted",
            Event::DataReady { .. } => "DataReady",
            Event::ChunkAccepted { .. } => "ChunkAccepted",
            Event::RecipientDelivered { .. } => "RecipientDelivered",
            Event::Replied { .. } => "Replied",
            Event::Rejected(_) => "Rejected",
            Event::MessageFinished(_) => "MessageFinished",
            Event::Cancelled { .. } => "Cancelled",
            Event::Closed { .. } => "Closed",
        }
    }

    /// The command the event is about, when there is one.
    pub fn handle(&self) -> Option<CommandHandle> {
        match self {
            Event::HelloAccepted { handle, .. }
            | Event::StartTlsReady { handle, .. }
            | Event::Authenticated { handle, .. }
            | Event::MailAccepted { handle, .. }
            | Event::RecipientAccepted { handle, .. }
            | Event::DataReady { handle, .. }
            | Event::ChunkAccepted { handle, .. }
            | Event::RecipientDelivered { handle, .. }
            | Event::Replied { handle, .. }
            | Event::Cancelled { handle, .. } => Some(*handle),
            Event::Rejected(rejection) => Some(rejection.handle),
            Event::MessageFinished(outcome) => Some(outcome.mail),
            Event::Greeted { .. } | Event::Ready { .. } | Event::Closed { .. } => None,
        }
    }

    /// The server reply behind the event, when there is one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Event::Greeted { reply }
            | Event::HelloAccepted { reply, .. }
            | Event::StartTlsReady { reply, .. }
            | Event::Authenticated { reply, .. }
            | Event::MailAccepted { reply, .. }
            | Event::RecipientAccepted { reply, .. }
            | Event::DataReady { reply, .. }
            | Event::ChunkAccepted { reply, .. }
            | Event::RecipientDelivered { reply, .. }
            | Event::Replied { reply, .. } => Some(reply),
            Event::Rejected(rejection) => Some(&rejection.reply),
            Event::Closed {
                reason: CloseReason::Quit { reply },
            } => reply.as_ref(),
            Event::Closed {
                reason: CloseReason::ServiceClosing { reply, .. },
            } => Some(reply),
            Event::MessageFinished(outcome) => match &outcome.status {
                super::MessageStatus::Accepted { reply } => Some(reply),
                _ => None,
            },
            _ => None,
        }
    }
}
