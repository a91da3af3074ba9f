//! [`Script`] and [`Answer`]: a policy server whose answers are overridden one reply at a time.

use super::Policy;
use crate::command::Verb;
use crate::reply::{EnhancedCode, Reply, ReplyCode};

/// How the server answers one point of the session: the greeting, a command, or the end of a
/// message (LMTP: each recipient's reply after the data).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// As the [`Policy`] says.
    Policy,
    /// A negative reply that RFC 5321 s4.3.2 (RFC 4954 s6 for AUTH, RFC 3207 s4 for
    /// STARTTLS, RFC 3030 s2 for BDAT) lists for this command: transient (4xx) or permanent
    /// (5xx), `pick` choosing among the listed codes. Nothing changes on the server.
    Refuse {
        /// 5xx rather than 4xx.
        permanent: bool,
        /// Which of the listed codes (modulo their number).
        pick: u8,
    },
    /// This reply, verbatim. A positive one has the effect the command's success has (a
    /// `250` to MAIL opens the transaction, a `354` to DATA starts the data).
    Reply(Reply),
    /// `421 4.3.2`, then the server closes the connection (RFC 5321 s3.8).
    ServiceClosing,
    /// The connection drops with no reply.
    HangUp,
}

/// A [`Policy`] server with scripted answers: `answers[0]` answers the greeting, each next
/// one the next command or end of data; past the end of the list the policy answers. The
/// server's output reaches the client in pieces of `splits` octets (cycled; empty: whole).
///
/// The `proptest` feature generates these (`strategies::server_script`); write them by hand
/// to test one path:
///
/// ```
/// use smtp_sansio::testing::{Answer, Policy, Script, Server};
/// // The greeting is fine, EHLO is fine, then MAIL FROM gets a transient refusal.
/// let script = Script::new(Policy::new())
///     .with_answers([Answer::Policy, Answer::Policy, Answer::Refuse { permanent: false, pick: 0 }]);
/// let server = Server::scripted(script);
/// assert!(server.pending_output().starts_with(b"220 "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Script {
    /// What the server offers and accepts when an answer says [`Answer::Policy`].
    pub policy: Policy,
    /// One answer per reply point, in session order.
    pub answers: Vec<Answer>,
    /// Sizes of the pieces the output is delivered in (cycled); `0` or empty: all at once.
    pub splits: Vec<usize>,
}

impl Script {
    /// A script where the policy answers everything, delivered whole.
    pub fn new(policy: Policy) -> Script {
        Script {
            policy,
            answers: Vec::new(),
            splits: Vec::new(),
        }
    }

    /// Sets the answers.
    pub fn with_answers(mut self, answers: impl IntoIterator<Item = Answer>) -> Script {
        self.answers = answers.into_iter().collect();
        self
    }

    /// Sets the delivery pieces.
    pub fn with_splits(mut self, splits: impl IntoIterator<Item = usize>) -> Script {
        self.splits = splits.into_iter().collect();
        self
    }
}

/// Where a reply is given, for the codes it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    Greeting,
    Command(Verb),
    DataEnd,
}

/// The negative codes the RFCs list for `point`: (transient, permanent). `421` is possible
/// after any command (RFC 5321 s4.3.2) and closes the session; it stands in where the RFC
/// lists no other transient code.
fn refusals(point: Point) -> (&'static [u16], &'static [u16]) {
    match point {
        // RFC 5321 s4.3.2: "CONNECTION ESTABLISHMENT S: 220 E: 554"; s3.8 allows 421.
        Point::Greeting => (&[421], &[554]),
        Point::Command(verb) => match verb {
            Verb::Ehlo | Verb::Helo | Verb::Lhlo => (&[421], &[502, 504, 550]),
            Verb::Mail => (&[451, 452, 455], &[503, 550, 552, 553, 555]),
            Verb::Rcpt => (&[450, 451, 452, 455], &[503, 550, 551, 552, 553, 555]),
            // DATA's own reply; the reply after the data is Point::DataEnd.
            Verb::Data => (&[451, 452], &[503, 554]),
            // RFC 3030 s2: a BDAT chunk is answered like the end of data.
            Verb::Bdat => (&[451, 452], &[503, 552, 554]),
            Verb::Vrfy => (&[421], &[502, 504, 550, 551, 553]),
            Verb::Expn => (&[421], &[500, 502, 504, 550]),
            Verb::Help => (&[421], &[502, 504]),
            // RFC 3207 s4.
            Verb::StartTls => (&[454], &[501]),
            // RFC 4954 s6.
            Verb::Auth => (&[432, 454], &[500, 501, 504, 530, 534, 535, 538]),
            _ => (&[421], &[500, 501]),
        },
        Point::DataEnd => (&[450, 451, 452], &[550, 552, 554]),
    }
}

/// The refusal [`Answer::Refuse`] names for `point`.
pub(crate) fn refusal(point: Point, permanent: bool, pick: u8, enhanced: bool) -> Reply {
    let (transient, permanent_codes) = refusals(point);
    let codes = if permanent {
        permanent_codes
    } else {
        transient
    };
    let code = codes[usize::from(pick) % codes.len()];
    reply(
        code,
        enhanced.then(|| enhanced_for(point, code)),
        refusal_text(code),
    )
}

/// Builds a reply the server's own tables guarantee to be valid.
pub(crate) fn reply(code: u16, enhanced: Option<(u8, u16, u16)>, text: &str) -> Reply {
    let code = ReplyCode::new(code).unwrap_or(ReplyCode::SERVICE_NOT_AVAILABLE);
    let enhanced =
        enhanced.and_then(|(class, subject, detail)| EnhancedCode::new(class, subject, detail));
    // Only a bad entry in the tables above could fail (a unit test writes every one); a
    // 421 keeps the session legal even then.
    Reply::new(code, enhanced, [text]).unwrap_or_else(|_| {
        Reply::new(ReplyCode::SERVICE_NOT_AVAILABLE, None, ["local error"])
            .unwrap_or_else(|_| unreachable!("a fixed, valid reply"))
    })
}

/// An enhanced status code that fits `code` at `point` (RFC 3463 s3).
fn enhanced_for(point: Point, code: u16) -> (u8, u16, u16) {
    let class = (code / 100) as u8;
    let (subject, detail) = match (code, point) {
        (421, _) => (3, 2),
        (432, _) => (7, 12),
        (450, _) => (2, 1),
        (451, _) => (3, 0),
        (452, Point::Command(Verb::Rcpt)) => (5, 3),
        (452, _) => (3, 1),
        (454, _) => (7, 0),
        (455, _) | (555, _) => (5, 4),
        (500, _) => (5, 2),
        (501, _) => (5, 4),
        (502, _) | (503, _) => (5, 1),
        (504, _) => (5, 4),
        (530, _) => (7, 0),
        (534, _) => (7, 9),
        (535, _) => (7, 8),
        (538, _) => (7, 11),
        (550, Point::Command(Verb::Rcpt | Verb::Vrfy | Verb::Expn)) => (1, 1),
        (551, _) => (1, 6),
        (552, Point::Command(Verb::Rcpt)) => (2, 2),
        (552, _) => (3, 4),
        (553, _) => (1, 3),
        _ => (7, 1),
    };
    (class, subject, detail)
}

fn refusal_text(code: u16) -> &'static str {
    match code {
        421 => "Service not available, closing transmission channel",
        432 => "A password transition is needed",
        450 => "Mailbox unavailable, try again later",
        451 => "Local error in processing, try again later",
        452 => "Insufficient system storage",
        454 => "Temporary failure, try again later",
        455 => "Server unable to accommodate parameters",
        500 => "Syntax error, command unrecognized",
        501 => "Syntax error in parameters or arguments",
        502 => "Command not implemented",
        503 => "Bad sequence of commands",
        504 => "Command parameter not implemented",
        530 => "Authentication required",
        534 => "Authentication mechanism is too weak",
        535 => "Authentication credentials invalid",
        538 => "Encryption required for requested authentication mechanism",
        550 => "Requested action not taken: mailbox unavailable",
        551 => "User not local",
        552 => "Requested mail action aborted: exceeded storage allocation",
        553 => "Requested action not taken: mailbox name not allowed",
        554 => "Transaction failed",
        555 => "MAIL FROM/RCPT TO parameters not recognized or not implemented",
        _ => "Refused",
    }
}
