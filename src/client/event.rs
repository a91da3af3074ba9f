//! [`Event`]: what happened, as past-tense facts, each tied to the command that caused it.

use std::fmt;

use crate::auth::Mechanism;
use crate::capabilities::Capabilities;
use crate::command::Verb;
use crate::diagnosis::Diagnosis;
use crate::reply::Reply;
use crate::stage::Stage;

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
#[derive(Debug, Clone)]
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
}

/// Something that happened in the session. Drain them with
/// [`Client::poll_event`](super::Client::poll_event) after every input.
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
    /// Automatic mode: greeting, EHLO and STARTTLS (as the policy says) are done. The caller
    /// may now authenticate or send mail.
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
    /// The server said `354` to DATA. The caller now sends the message with
    /// [`Client::send_data`](super::Client::send_data) and ends it with
    /// [`Client::finish_data`](super::Client::finish_data).
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
    /// The server accepted the message after the final dot or `BDAT ... LAST`: it now has
    /// responsibility for it (RFC 5321 s4.2.5). For LMTP this comes after the per-recipient
    /// replies, when at least one recipient got the message.
    MessageAccepted {
        /// The DATA (or last BDAT) command.
        handle: CommandHandle,
        /// The reply (for LMTP, the last positive per-recipient reply).
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
    /// The message of a transaction was not sent: every recipient was refused. When the
    /// server had already said `354`, the engine sent an empty message end and RSET
    /// (RFC 2920 s3.1), so the session stays in step.
    MessageNotSent {
        /// The DATA (or BDAT) command.
        handle: CommandHandle,
        /// Why: `no_valid_recipients`, deferring to the recipients' own diagnoses.
        diagnosis: Box<Diagnosis>,
    },
    /// A command was never answered because the session ended first (it may not have been
    /// sent at all).
    Cancelled {
        /// The command.
        handle: CommandHandle,
        /// Which command.
        verb: Verb,
    },
    /// The session is over; close the socket.
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
            Event::MessageAccepted { .. } => "MessageAccepted",
            Event::RecipientDelivered { .. } => "RecipientDelivered",
            Event::Replied { .. } => "Replied",
            Event::Rejected(_) => "Rejected",
            Event::MessageNotSent { .. } => "MessageNotSent",
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
            | Event::MessageAccepted { handle, .. }
            | Event::RecipientDelivered { handle, .. }
            | Event::Replied { handle, .. }
            | Event::MessageNotSent { handle, .. }
            | Event::Cancelled { handle, .. } => Some(*handle),
            Event::Rejected(rejection) => Some(rejection.handle),
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
            | Event::MessageAccepted { reply, .. }
            | Event::RecipientDelivered { reply, .. }
            | Event::Replied { reply, .. } => Some(reply),
            Event::Rejected(rejection) => Some(&rejection.reply),
            Event::Closed {
                reason: CloseReason::Quit { reply },
            } => reply.as_ref(),
            Event::Closed {
                reason: CloseReason::ServiceClosing { reply, .. },
            } => Some(reply),
            _ => None,
        }
    }
}
