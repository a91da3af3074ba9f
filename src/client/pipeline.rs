//! Commands waiting to be written and commands awaiting their reply, in order.
//!
//! Replies come back strictly in the order of the commands (RFC 2920 s3.1), so the oldest
//! command in flight owns the next reply. Which commands may be written before earlier
//! ones are answered is RFC 2920's rule: RSET, MAIL and RCPT may appear anywhere in a group;
//! EHLO, DATA, VRFY, EXPN, NOOP and QUIT only last; STARTTLS last (RFC 3207 s4.2) and AUTH
//! last, because both change the session's state.

use std::collections::VecDeque;

use crate::command::Verb;
use crate::stage::Stage;

use super::CommandHandle;

/// What a written command waits for, and so how its reply is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// The server's greeting (not a command: the connection itself asked).
    Greeting,
    /// EHLO, LHLO or HELO.
    Hello,
    /// STARTTLS.
    StartTls,
    /// AUTH or a SASL response line.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA, waiting for `354`.
    Data,
    /// The final dot or `BDAT ... LAST`: one reply (SMTP) or one per accepted recipient (LMTP).
    DataEnd,
    /// A BDAT chunk that is not the last.
    Chunk,
    /// RSET.
    Rset,
    /// NOOP, VRFY, EXPN or HELP: a query whose positive reply is reported as is.
    Query,
    /// QUIT.
    Quit,
}

impl Expect {
    /// RFC 2920 s3.1: may more commands be written after this one before its reply?
    pub(crate) fn ends_group(self) -> bool {
        !matches!(
            self,
            Expect::Mail | Expect::Rcpt | Expect::Rset | Expect::Chunk
        )
    }

    /// The stage a reply to this command belongs to.
    pub(crate) fn stage(self) -> Stage {
        match self {
            Expect::Greeting => Stage::Greeting,
            Expect::Hello => Stage::Ehlo,
            Expect::StartTls => Stage::StartTls,
            Expect::Auth => Stage::Auth,
            Expect::Mail => Stage::Mail,
            Expect::Rcpt => Stage::Rcpt,
            Expect::Data | Expect::Chunk => Stage::Data,
            Expect::DataEnd => Stage::DataEnd,
            Expect::Quit => Stage::Quit,
            Expect::Rset | Expect::Query => Stage::Any,
        }
    }
}

/// Who asked for a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The caller: its events are reported.
    Caller,
    /// The engine, to keep the session in step (the automatic handshake reports its events
    /// too; recovery RSETs and empty message ends report only failures).
    Engine,
}

/// A command the engine has accepted and not yet seen answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outstanding {
    pub handle: CommandHandle,
    pub verb: Verb,
    pub expect: Expect,
    pub origin: Origin,
    /// The mail transaction the command belongs to, if any.
    pub txn: Option<u64>,
    /// Where its last octet lies in the stream of everything ever written to the server
    /// (set when it enters the output). A reply can only answer a command whose last octet
    /// the caller reported written; the reply timeout runs from that moment.
    pub end: u64,
}

impl Outstanding {
    /// A command not yet put into the output.
    pub(crate) fn new(
        handle: CommandHandle,
        verb: Verb,
        expect: Expect,
        origin: Origin,
        txn: Option<u64>,
    ) -> Outstanding {
        Outstanding {
            handle,
            verb,
            expect,
            origin,
            txn,
            end: u64::MAX,
        }
    }
}

/// A command waiting for its turn, with its wire bytes.
#[derive(Debug, Clone)]
pub(crate) struct Waiting {
    pub command: Outstanding,
    pub bytes: Vec<u8>,
}

/// The two queues.
#[derive(Debug, Default)]
pub(crate) struct Pipeline {
    /// Accepted by the engine, not yet written.
    pub waiting: VecDeque<Waiting>,
    /// Written, awaiting a reply; the front owns the next reply.
    pub in_flight: VecDeque<Outstanding>,
}

impl Pipeline {
    /// Whether another command may be written now, given whether pipelining is in use.
    pub(crate) fn may_write(&self, pipelining: bool) -> bool {
        match self.in_flight.back() {
            None => true,
            Some(last) => pipelining && !last.expect.ends_group(),
        }
    }

    /// How many commands are outstanding (waiting or in flight).
    pub(crate) fn len(&self) -> usize {
        self.waiting.len() + self.in_flight.len()
    }

    /// Removes and returns every outstanding command, oldest first.
    pub(crate) fn drain_all(&mut self) -> Vec<Outstanding> {
        let mut all: Vec<Outstanding> = self.in_flight.drain(..).collect();
        all.extend(self.waiting.drain(..).map(|w| w.command));
        all
    }

    /// Whether a command of transaction `txn` is waiting or awaiting its reply.
    pub(crate) fn has_txn(&self, txn: u64) -> bool {
        self.in_flight.iter().any(|c| c.txn == Some(txn))
            || self.waiting.iter().any(|w| w.command.txn == Some(txn))
    }

    /// Removes the waiting (unwritten) commands of transaction `txn`; returns them.
    pub(crate) fn remove_waiting_of(&mut self, txn: u64) -> Vec<Outstanding> {
        let mut removed = Vec::new();
        self.waiting.retain(|w| {
            let ours = w.command.txn == Some(txn);
            if ours {
                removed.push(w.command);
            }
            !ours
        });
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outstanding(expect: Expect) -> Outstanding {
        Outstanding::new(CommandHandle(1), Verb::Mail, expect, Origin::Caller, None)
    }

    #[test]
    fn group_rules_follow_rfc_2920() {
        let mut pipeline = Pipeline::default();
        assert!(pipeline.may_write(false));
        pipeline.in_flight.push_back(outstanding(Expect::Mail));
        assert!(pipeline.may_write(true));
        assert!(!pipeline.may_write(false));
        pipeline.in_flight.push_back(outstanding(Expect::Rcpt));
        assert!(pipeline.may_write(true));
        pipeline.in_flight.push_back(outstanding(Expect::Data));
        assert!(!pipeline.may_write(true));
        for expect in [
            Expect::Hello,
            Expect::StartTls,
            Expect::Auth,
            Expect::Query,
            Expect::Quit,
            Expect::DataEnd,
        ] {
            assert!(expect.ends_group(), "{expect:?}");
        }
        assert!(!Expect::Chunk.ends_group() && !Expect::Rset.ends_group());
    }
}
