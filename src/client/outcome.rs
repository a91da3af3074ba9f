//! [`MessageOutcome`]: what became of one message, given once in
//! [`Event::MessageFinished`](super::Event::MessageFinished).

use std::fmt;

use crate::diagnosis::Diagnosis;
use crate::reply::Reply;

use super::CommandHandle;

/// What became of one message (one mail transaction, RFC 5321 s3.3): its status and each
/// recipient's.
///
/// Every transaction, whether queued with [`Client::send_mail`](super::Client::send_mail)
/// or built from [`Client::mail`](super::Client::mail), [`Client::rcpt`](super::Client::rcpt)
/// and [`Client::data`](super::Client::data), ends with exactly one
/// [`Event::MessageFinished`](super::Event::MessageFinished) carrying this, after every other
/// event of the transaction, whatever happened: accepted, refused at any stage, or cut off by
/// a `421`, a hang-up, a timeout or a protocol error.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MessageOutcome {
    /// The MAIL command: it names the message
    /// ([`MessageHandles::mail`](super::MessageHandles::mail)).
    pub mail: CommandHandle,
    /// The DATA (or first BDAT) command, once given.
    pub data: Option<CommandHandle>,
    /// The message's fate.
    pub status: MessageStatus,
    /// Each recipient's RCPT handle and fate, in the order they were given.
    pub recipients: Vec<(CommandHandle, RecipientStatus)>,
    /// Lines of the message longer than 998 octets (RFC 5321 s4.5.3.1.6): a server may
    /// refuse the message or break the lines. Counted for messages the engine encoded
    /// (`send_mail`, `send_data`), zero for BDAT.
    pub long_lines: u64,
}

impl MessageOutcome {
    /// Whether the server took responsibility for the message (RFC 5321 s4.2.5), for at
    /// least one recipient.
    pub fn is_accepted(&self) -> bool {
        matches!(self.status, MessageStatus::Accepted { .. })
    }

    /// Why the message was not accepted (or may not have been), when it was not.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match &self.status {
            MessageStatus::Accepted { .. } | MessageStatus::Abandoned => None,
            MessageStatus::Refused { diagnosis }
            | MessageStatus::NotSent { diagnosis }
            | MessageStatus::Unconfirmed { diagnosis } => Some(diagnosis),
        }
    }

    /// The recipients the message was delivered to: every accepted recipient when the
    /// message was accepted (for LMTP, those the server confirmed one by one); none
    /// otherwise.
    pub fn delivered_to(&self) -> impl Iterator<Item = CommandHandle> + '_ {
        let accepted = self.is_accepted();
        self.recipients
            .iter()
            .filter(move |(_, status)| match status {
                RecipientStatus::Delivered { .. } => true,
                RecipientStatus::Accepted => accepted,
                _ => false,
            })
            .map(|(handle, _)| *handle)
    }

    /// The status of the recipient named by its RCPT handle.
    pub fn recipient(&self, handle: CommandHandle) -> Option<&RecipientStatus> {
        self.recipients
            .iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, status)| status)
    }
}

/// The fate of a message.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MessageStatus {
    /// The server took responsibility for the message after its end (RFC 5321 s4.2.5); for
    /// LMTP, for at least one recipient.
    Accepted {
        /// The server's reply after the data (for LMTP, the last positive per-recipient
        /// reply).
        reply: Reply,
    },
    /// The server refused the message: MAIL, DATA, a BDAT chunk, or the reply after the
    /// data. The diagnosis names the stage and the reply.
    Refused {
        /// What the refusal means.
        diagnosis: Box<Diagnosis>,
    },
    /// The message was not sent in full, so the server cannot have accepted it: every
    /// recipient was refused (the diagnosis's `caused_by` is the first refusal), the server
    /// does not offer what the message needs (SIZE, SMTPUTF8, 8BITMIME), or the session
    /// ended first (`421`, hang-up, timeout, a protocol error, the engine ending the session).
    /// Safe to send again.
    NotSent {
        /// Why.
        diagnosis: Box<Diagnosis>,
    },
    /// The whole message was written, but the session ended before the server's reply: the
    /// server may or may not have accepted it. Sending it again may deliver it twice.
    Unconfirmed {
        /// How the session ended.
        diagnosis: Box<Diagnosis>,
    },
    /// The caller abandoned the transaction (RSET, or QUIT while it was open) before the
    /// message was sent.
    Abandoned,
}

impl MessageStatus {
    /// `accepted`, `refused`, `not-sent`, `unconfirmed` or `abandoned`.
    pub fn as_str(&self) -> &'static str {
        match self {
            MessageStatus::Accepted { .. } => "accepted",
            MessageStatus::Refused { .. } => "refused",
            MessageStatus::NotSent { .. } => "not-sent",
            MessageStatus::Unconfirmed { .. } => "unconfirmed",
            MessageStatus::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fate of one recipient of a message.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RecipientStatus {
    /// RCPT was accepted. For SMTP the message reached this recipient if the message was
    /// accepted (and a `250` to RCPT proves nothing about final delivery).
    Accepted,
    /// LMTP: the server confirmed delivery to this recipient after the data (RFC 2033 s4.2).
    Delivered {
        /// The per-recipient reply.
        reply: Reply,
    },
    /// Refused at RCPT, or (LMTP) after the data.
    Refused {
        /// What the refusal means.
        diagnosis: Box<Diagnosis>,
    },
    /// Never answered: the transaction ended first.
    Unanswered,
}
