//! The data of a mail transaction (RFC 5321 s3.3) and of the messages queued behind it. What
//! happens to them on each reply is in `state.rs`.

use std::collections::VecDeque;

use crate::data::Normalizer;
use crate::diagnosis::Diagnosis;
use crate::reply::Reply;

use super::{CommandHandle, Envelope, MessageHandles, RecipientStatus};

/// How the message of a transaction travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Data,
    Bdat,
}

/// Why a transaction can no longer deliver its message; the first cause wins.
#[derive(Debug, Clone)]
pub(super) enum Failure {
    /// The server refused MAIL, DATA, a chunk or the message.
    Refused(Box<Diagnosis>),
    /// The message cannot be sent (every recipient refused).
    NotSent(Box<Diagnosis>),
}

impl Failure {
    pub(super) fn diagnosis(&self) -> &Diagnosis {
        match self {
            Failure::Refused(diagnosis) | Failure::NotSent(diagnosis) => diagnosis,
        }
    }
}

/// One mail transaction, from MAIL to its finishing event.
#[derive(Debug)]
pub(super) struct Transaction {
    /// A serial number: the pipeline tags each command of the transaction with it.
    pub id: u64,
    pub mail: CommandHandle,
    /// The server accepted MAIL, so it holds a transaction that must be ended: by the reply
    /// to the end of the data, or else by an RSET.
    pub mail_accepted: bool,
    /// Queued with `send_mail`: the engine sends RCPT, DATA and the message itself, and stops
    /// early when the message can no longer be delivered.
    pub engine_driven: bool,
    pub(crate) smtputf8: bool,
    pub(crate) eight_bit: bool,
    pub binary: bool,
    /// Each recipient's RCPT handle and fate so far (`Unanswered` until its reply), moved
    /// whole into the [`MessageOutcome`](super::MessageOutcome).
    pub recipients: Vec<(CommandHandle, RecipientStatus)>,
    pub method: Option<Method>,
    /// The DATA (or first BDAT) command.
    pub data: Option<CommandHandle>,
    /// `BDAT ... LAST` was given: no more chunks (RFC 3030 s2).
    pub last_chunk: bool,
    /// The encoded message `send_mail` queued, sent by the engine on `354`.
    pub prepared_body: Option<Vec<u8>>,
    /// Lines over 998 octets in the message (RFC 5321 s4.5.3.1.6).
    pub(crate) long_lines: u64,
    /// LMTP: accepted recipients still owed a reply after the data, in RCPT order.
    pub lmtp_owed: VecDeque<CommandHandle>,
    pub lmtp_started: bool,
    /// LMTP: the last positive per-recipient reply.
    pub lmtp_accepted: Option<Reply>,
    pub failure: Option<Failure>,
    /// Line-end state carried from one BDAT chunk to the next.
    pub bdat_normalizer: Normalizer,
}

impl Transaction {
    pub(super) fn accepted(&self) -> usize {
        self.recipients
            .iter()
            .filter(|(_, status)| matches!(status, RecipientStatus::Accepted))
            .count()
    }

    /// Every recipient has its RCPT reply.
    pub(super) fn recipients_answered(&self) -> bool {
        !self.recipients.is_empty()
            && self
                .recipients
                .iter()
                .all(|(_, status)| !matches!(status, RecipientStatus::Unanswered))
    }

    /// The first refused recipient's diagnosis.
    pub(super) fn first_refusal(&self) -> Option<&Diagnosis> {
        self.recipients.iter().find_map(|(_, status)| match status {
            RecipientStatus::Refused { diagnosis } => Some(&**diagnosis),
            _ => None,
        })
    }

    pub(super) fn recipient_mut(&mut self, handle: CommandHandle) -> Option<&mut RecipientStatus> {
        self.recipients
            .iter_mut()
            .find(|(h, _)| *h == handle)
            .map(|(_, status)| status)
    }
}

/// A message handed to `send_mail` that waits for its turn: its envelope, its encoded
/// content and what the engine decided from them.
#[derive(Debug)]
pub(super) struct Queued {
    pub handles: MessageHandles,
    pub envelope: Envelope,
    pub prepared: Prepared,
}

/// A message made ready for the wire by `send_mail`.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Dot-stuffed, CRLF-normalised, with the final `.` line.
    pub(crate) encoded: Vec<u8>,
    /// RFC 1870 s3 size: CRLF line ends, without stuffing dots and the final dot.
    pub(crate) size: u64,
    /// Some address or a header is not ASCII (RFC 6531, RFC 6532).
    pub(crate) smtputf8: bool,
    /// The content has 8-bit octets (RFC 6152).
    pub(crate) eight_bit: bool,
    /// Lines over 998 octets (RFC 5321 s4.5.3.1.6).
    pub(crate) long_lines: u64,
}
