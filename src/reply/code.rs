//! [`ReplyCode`]: the three digits that start every reply line (RFC 5321 s4.2).

use std::fmt;

/// A three-digit SMTP reply code such as `250` or `550`.
///
/// RFC 5321 s4.2 defines the digits: the first says whether the command worked
/// ([`Severity`]), the second what the reply is about ([`Category`]), the third is detail.
/// The parser accepts any three digits (RFC 5321 s4.3.2: clients "MUST be prepared to deal
/// with unrecognized reply codes") and flags codes outside 2xx-5xx as an anomaly; the writer
/// only emits codes in 200-599.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

/// What the first digit of a reply code says about the command (RFC 5321 s4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// `2yz`: the command worked.
    PositiveCompletion,
    /// `3yz`: go on (`334` AUTH challenge, `354` send the message).
    PositiveIntermediate,
    /// `4yz`: failed this time; the same command may work later.
    TransientNegative,
    /// `5yz`: failed; do not repeat it unchanged.
    PermanentNegative,
    /// Any other first digit: not SMTP (RFC 5321 s4.3.2 forbids it).
    Unknown,
}

/// What the second digit of a reply code says the reply is about (RFC 5321 s4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// `x0z`: syntax, or a command that does not fit.
    Syntax,
    /// `x1z`: information (help, status).
    Information,
    /// `x2z`: the transmission channel.
    Connections,
    /// `x5z`: the mail system.
    MailSystem,
    /// `x3z`, `x4z` (unspecified by RFC 5321) or a digit above 5.
    Unspecified,
}

impl ReplyCode {
    /// `220 Service ready`.
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// `221 Service closing transmission channel`.
    pub const CLOSING: ReplyCode = ReplyCode(221);
    /// `235 Authentication succeeded` (RFC 4954).
    pub const AUTH_SUCCEEDED: ReplyCode = ReplyCode(235);
    /// `250 Requested mail action okay, completed`.
    pub const OK: ReplyCode = ReplyCode(250);
    /// `251 User not local; will forward`.
    pub const FORWARDING: ReplyCode = ReplyCode(251);
    /// `252 Cannot VRFY user, but will accept message`.
    pub const CANNOT_VERIFY: ReplyCode = ReplyCode(252);
    /// `334` AUTH challenge (RFC 4954).
    pub const AUTH_CHALLENGE: ReplyCode = ReplyCode(334);
    /// `354 Start mail input`.
    pub const START_MAIL_INPUT: ReplyCode = ReplyCode(354);
    /// `421 Service not available, closing transmission channel`.
    pub const SERVICE_NOT_AVAILABLE: ReplyCode = ReplyCode(421);
    /// `500 Syntax error, command unrecognized`.
    pub const SYNTAX_ERROR: ReplyCode = ReplyCode(500);
    /// `502 Command not implemented`.
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    /// `554 Transaction failed` / "No SMTP service here" at the greeting.
    pub const TRANSACTION_FAILED: ReplyCode = ReplyCode(554);

    /// Makes a code from its value; `None` unless it has exactly three digits (100-999).
    pub const fn new(value: u16) -> Option<ReplyCode> {
        if value >= 100 && value <= 999 {
            Some(ReplyCode(value))
        } else {
            None
        }
    }

    /// Makes a code from three ASCII digits. Any digits are accepted, `000` included, because a
    /// reply line is framed by its three digits whatever they are.
    pub(crate) const fn from_digits(d: [u8; 3]) -> ReplyCode {
        ReplyCode((d[0] - b'0') as u16 * 100 + (d[1] - b'0') as u16 * 10 + (d[2] - b'0') as u16)
    }

    /// The numeric value, e.g. `250`.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The three ASCII digits as they appear on the wire.
    pub const fn digits(self) -> [u8; 3] {
        [
            b'0' + (self.0 / 100) as u8,
            b'0' + (self.0 / 10 % 10) as u8,
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// The first digit: what the reply says about the command.
    pub const fn severity(self) -> Severity {
        match self.0 / 100 {
            2 => Severity::PositiveCompletion,
            3 => Severity::PositiveIntermediate,
            4 => Severity::TransientNegative,
            5 => Severity::PermanentNegative,
            _ => Severity::Unknown,
        }
    }

    /// The second digit: what the reply is about.
    pub const fn category(self) -> Category {
        match self.0 / 10 % 10 {
            0 => Category::Syntax,
            1 => Category::Information,
            2 => Category::Connections,
            5 => Category::MailSystem,
            _ => Category::Unspecified,
        }
    }

    /// The third digit.
    pub const fn detail(self) -> u8 {
        (self.0 % 10) as u8
    }

    /// `2yz` or `3yz`.
    pub const fn is_positive(self) -> bool {
        matches!(self.0 / 100, 2 | 3)
    }

    /// `2yz`.
    pub const fn is_completion(self) -> bool {
        self.0 / 100 == 2
    }

    /// `3yz`.
    pub const fn is_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// `4yz`: try again later.
    pub const fn is_transient(self) -> bool {
        self.0 / 100 == 4
    }

    /// `5yz`: do not retry unchanged.
    pub const fn is_permanent(self) -> bool {
        self.0 / 100 == 5
    }

    /// `4yz` or `5yz`.
    pub const fn is_negative(self) -> bool {
        matches!(self.0 / 100, 4 | 5)
    }

    /// Whether RFC 5321 s4.2 allows a server to send this code (first digit 2-5, second 0-5).
    pub const fn is_standard(self) -> bool {
        matches!(self.0 / 100, 2..=5) && self.0 / 10 % 10 <= 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

impl TryFrom<u16> for ReplyCode {
    type Error = InvalidReplyCode;

    fn try_from(value: u16) -> Result<Self, Self::Error> {
        ReplyCode::new(value).ok_or(InvalidReplyCode(value))
    }
}

impl From<ReplyCode> for u16 {
    fn from(code: ReplyCode) -> u16 {
        code.0
    }
}

/// A number that is not a three-digit reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a three-digit SMTP reply code")]
pub struct InvalidReplyCode(pub u16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_classify() {
        let code = ReplyCode::new(452).unwrap();
        assert_eq!(code.severity(), Severity::TransientNegative);
        assert_eq!(code.category(), Category::MailSystem);
        assert_eq!(code.detail(), 2);
        assert!(code.is_transient() && code.is_negative() && !code.is_permanent());
        assert_eq!(code.digits(), *b"452");
        assert_eq!(code.to_string(), "452");
        assert_eq!(ReplyCode::from_digits(*b"007").to_string(), "007");
        assert_eq!(ReplyCode::new(600).unwrap().severity(), Severity::Unknown);
        assert!(!ReplyCode::new(600).unwrap().is_standard());
        assert!(!ReplyCode::new(260).unwrap().is_standard());
        assert!(ReplyCode::new(99).is_none() && ReplyCode::new(1000).is_none());
    }
}
