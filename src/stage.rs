//! [`Stage`]: where in a session a reply arrived or a failure happened.

use std::fmt;
use std::str::FromStr;

/// The point in an SMTP session that a reply answers.
///
/// The same reply means different things at different stages (RFC 5321 s4.3.2): `554` at the
/// greeting is "no SMTP service here", `554` after the final dot is a content or policy verdict.
/// The names are a contract: `as_str` and `FromStr` use the spellings of the diagnosis
/// taxonomy (`greeting ehlo starttls auth mail rcpt data data-end quit any`), plus
/// `connect` for failures before any reply (refused, timed out, TLS on connect), and `dns` for
/// the domain's published records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Stage {
    /// Before the server said anything: TCP connect, DNS, TLS on connect (port 465).
    Connect,
    /// The server's opening reply (`220`, or `554`/`421` to refuse service).
    Greeting,
    /// EHLO, HELO or LHLO.
    Ehlo,
    /// STARTTLS and the TLS handshake that follows it.
    StartTls,
    /// AUTH and its SASL exchange.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA (the `354` go-ahead) or a non-final BDAT.
    Data,
    /// The reply after the final dot (or `BDAT ... LAST`).
    DataEnd,
    /// QUIT.
    Quit,
    /// Unknown or not tied to a command (RSET, NOOP, VRFY, an unsolicited reply).
    Any,
    /// Not a session at all: the domain's published DNS records (DIAGNOSES.md s4.12).
    Dns,
}

impl Stage {
    /// Every stage, in session order.
    pub const ALL: [Stage; 12] = [
        Stage::Connect,
        Stage::Greeting,
        Stage::Ehlo,
        Stage::StartTls,
        Stage::Auth,
        Stage::Mail,
        Stage::Rcpt,
        Stage::Data,
        Stage::DataEnd,
        Stage::Quit,
        Stage::Any,
        Stage::Dns,
    ];

    /// The stable lowercase name (`data-end`, `starttls`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Greeting => "greeting",
            Stage::Ehlo => "ehlo",
            Stage::StartTls => "starttls",
            Stage::Auth => "auth",
            Stage::Mail => "mail",
            Stage::Rcpt => "rcpt",
            Stage::Data => "data",
            Stage::DataEnd => "data-end",
            Stage::Quit => "quit",
            Stage::Any => "any",
            Stage::Dns => "dns",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a stage name that is not one of [`Stage::as_str`]'s spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown stage {0:?}: expected one of connect, greeting, ehlo, starttls, auth, mail, rcpt, data, data-end, quit, any, dns"
)]
pub struct UnknownStage(pub String);

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let lower = lower.as_str();
        Stage::ALL
            .into_iter()
            .find(|stage| stage.as_str() == lower)
            .or(match lower {
                "helo" | "lhlo" => Some(Stage::Ehlo),
                "tls" => Some(Stage::StartTls),
                "dot" | "data_end" | "dataend" => Some(Stage::DataEnd),
                _ => None,
            })
            .ok_or_else(|| UnknownStage(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for stage in Stage::ALL {
            assert_eq!(stage.as_str().parse::<Stage>(), Ok(stage));
        }
        assert_eq!("DATA-END".parse::<Stage>(), Ok(Stage::DataEnd));
        assert!("bogus".parse::<Stage>().is_err());
    }
}
