//! SMTP commands: the [`Command`] enum, its strict writer ([`Command::write_to`]) and the
//! server side's mirror parser ([`parse_command`], [`parse_auth_response`]).
//!
//! The writer never puts anything on the wire that RFC 5321 does not allow: CR, LF or NUL in
//! an argument, a raw ESMTP value that needs xtext, or an over-long line is a
//! [`CommandError`], and `out` is left as it was. Typed arguments (hosts, paths, parameters)
//! are checked when they are built, so writing them is a copy.
//!
//! The parser reads one CRLF-terminated line within [`CommandLimits`] and then the grammar of
//! that line. It accepts exactly what the writer writes, in any letter case, so for every
//! command `parse(write(c)) == c`. Deliberate strictness, each an error naming the offset:
//!
//! | Input | Why it is refused |
//! |---|---|
//! | a line ending in LF alone | RFC 5321 s2.3.8 requires CRLF; lenient line ends are how SMTP smuggling starts |
//! | `MAIL FROM: <a@b>` (space after the colon) | RFC 5321 s3.3: "spaces are not permitted on either side of the colon" |
//! | trailing spaces, `HELP ` with nothing after | RFC 5321 s4.1.1 has no trailing space |
//! | a line over the RFC length for its command | RFC 5321 s4.5.3.1.4 and the extensions' allowances, as the writer |
//! | octets that are not UTF-8 | every argument is text; RFC 6531 allows UTF-8 only |
//!
//! ```
//! use smtp_sansio::{Command, CommandLimits, Decoded, MailParams, Body, parse_command};
//! let mail = Command::Mail {
//!     from: "<a@example.com>".parse()?,
//!     params: MailParams::default().with_size(12345).with_body(Body::EightBitMime),
//! };
//! let mut out = Vec::new();
//! mail.write_to(&mut out)?;
//! assert_eq!(out, b"MAIL FROM:<a@example.com> SIZE=12345 BODY=8BITMIME\r\n");
//! let Decoded::Complete { value, consumed } = parse_command(&out, &CommandLimits::default())?
//! else { unreachable!() };
//! assert_eq!((value, consumed), (mail, out.len()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod params;
mod parse;
mod write;

pub(crate) use write::{write_mail, write_rcpt};
pub mod xtext;

use std::fmt;

use crate::address::{AddressError, ForwardPath, Host, ReversePath};
use crate::auth::Mechanism;
use crate::secret::Secret;

pub use params::{Body, EsmtpParam, MailParams, Notify, Orcpt, RcptParams, Ret};
pub use parse::{parse_auth_response, parse_command};

/// RFC 5321 s4.5.3.1.4: "The maximum total length of a command line including the command
/// word and the `<CRLF>` is 512 octets."
pub const RFC_COMMAND_LINE_LENGTH: usize = 512;

/// RFC 4954 s4: "12288 octets is considered to be a sufficient line length limit for handling
/// of deployed authentication mechanisms" (SASL continuation lines).
pub const RFC_SASL_LINE_LENGTH: usize = 12288;

/// One line a client sends.
///
/// The SASL lines ([`Command::AuthResponse`], [`Command::AuthCancel`]) are not commands but
/// travel in their place during an AUTH exchange; they are here so that everything a client
/// writes has one type. `Debug` and `Display` never show SASL data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `HELO host` (RFC 5321 s4.1.1.1).
    Helo(Host),
    /// `EHLO host` (RFC 5321 s4.1.1.1).
    Ehlo(Host),
    /// `LHLO host` (RFC 2033 s4.1).
    Lhlo(Host),
    /// `MAIL FROM:<path> params` (RFC 5321 s4.1.1.2).
    Mail {
        /// The reverse path (`<>` for bounces).
        from: ReversePath,
        /// ESMTP parameters.
        params: MailParams,
    },
    /// `RCPT TO:<path> params` (RFC 5321 s4.1.1.3).
    Rcpt {
        /// The forward path.
        to: ForwardPath,
        /// ESMTP parameters.
        params: RcptParams,
    },
    /// `DATA` (RFC 5321 s4.1.1.4).
    Data,
    /// `BDAT size [LAST]` (RFC 3030 s2); the chunk's octets follow the line.
    Bdat {
        /// The chunk size in octets.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET` (RFC 5321 s4.1.1.5).
    Rset,
    /// `VRFY string` (RFC 5321 s4.1.1.6).
    Vrfy(String),
    /// `EXPN string` (RFC 5321 s4.1.1.7).
    Expn(String),
    /// `HELP [string]` (RFC 5321 s4.1.1.8).
    Help(Option<String>),
    /// `NOOP [string]` (RFC 5321 s4.1.1.9).
    Noop(Option<String>),
    /// `QUIT` (RFC 5321 s4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207 s4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 s4).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism,
        /// The decoded initial response, base64-encoded on the wire; an empty one is written
        /// `=` (RFC 4954 s4).
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// A SASL response to a `334` challenge: the decoded data, base64 on the wire (RFC 4954 s4).
    AuthResponse(Secret<Vec<u8>>),
    /// `*`: cancel the AUTH exchange (RFC 4954 s4).
    AuthCancel,
}

/// What kind of line a [`Command`] is, without its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Verb {
    /// `HELO`.
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO`.
    Lhlo,
    /// `MAIL`.
    Mail,
    /// `RCPT`.
    Rcpt,
    /// `DATA`.
    Data,
    /// `BDAT`.
    Bdat,
    /// `RSET`.
    Rset,
    /// `VRFY`.
    Vrfy,
    /// `EXPN`.
    Expn,
    /// `HELP`.
    Help,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    StartTls,
    /// `AUTH`.
    Auth,
    /// A SASL response line (no keyword on the wire).
    AuthResponse,
    /// A SASL cancel line, `*` (no keyword on the wire).
    AuthCancel,
}

/// The verbs that start a command line, in their registered spelling.
const VERBS: [(Verb, &str); 15] = [
    (Verb::Helo, "HELO"),
    (Verb::Ehlo, "EHLO"),
    (Verb::Lhlo, "LHLO"),
    (Verb::Mail, "MAIL"),
    (Verb::Rcpt, "RCPT"),
    (Verb::Data, "DATA"),
    (Verb::Bdat, "BDAT"),
    (Verb::Rset, "RSET"),
    (Verb::Vrfy, "VRFY"),
    (Verb::Expn, "EXPN"),
    (Verb::Help, "HELP"),
    (Verb::Noop, "NOOP"),
    (Verb::Quit, "QUIT"),
    (Verb::StartTls, "STARTTLS"),
    (Verb::Auth, "AUTH"),
];

impl Verb {
    /// Every verb, in the order of the enum.
    pub const ALL: [Verb; 17] = [
        Verb::Helo,
        Verb::Ehlo,
        Verb::Lhlo,
        Verb::Mail,
        Verb::Rcpt,
        Verb::Data,
        Verb::Bdat,
        Verb::Rset,
        Verb::Vrfy,
        Verb::Expn,
        Verb::Help,
        Verb::Noop,
        Verb::Quit,
        Verb::StartTls,
        Verb::Auth,
        Verb::AuthResponse,
        Verb::AuthCancel,
    ];

    /// The keyword as written (`MAIL`, `STARTTLS`). The two SASL lines carry no keyword and
    /// are named `SASL-RESPONSE` and `SASL-CANCEL`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Helo => "HELO",
            Verb::Ehlo => "EHLO",
            Verb::Lhlo => "LHLO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
            Verb::AuthResponse => "SASL-RESPONSE",
            Verb::AuthCancel => "SASL-CANCEL",
        }
    }

    /// Reads a command keyword, case-insensitively (RFC 5321 s2.4). `None` for anything that
    /// is not one of the fifteen verbs this crate knows.
    pub fn from_keyword(keyword: &[u8]) -> Option<Verb> {
        VERBS
            .iter()
            .find(|(_, name)| name.as_bytes().eq_ignore_ascii_case(keyword))
            .map(|(verb, _)| *verb)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a command cannot be written. Nothing was appended to the output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A CR, LF or NUL in a text argument would end the line early or break the stream: the
    /// rest would reach the server as a command of its own (command injection).
    #[error(
        "expected no CR, LF or NUL in the {field}, found octet {octet:#04x} at offset {offset}"
    )]
    ForbiddenOctet {
        /// The argument, e.g. `VRFY argument`.
        field: &'static str,
        /// Offset of the octet inside the argument.
        offset: usize,
        /// The octet.
        octet: u8,
    },
    /// A text argument that RFC 5321 requires is empty.
    #[error("expected a non-empty {field}, found an empty string")]
    EmptyArgument {
        /// The argument, e.g. `VRFY argument`.
        field: &'static str,
    },
    /// A raw parameter keyword that is not an `esmtp-keyword` (RFC 5321 s4.1.2).
    #[error(
        "expected an ESMTP keyword (a letter or digit, then letters, digits or '-'; RFC 5321 s4.1.2), found {found:?}"
    )]
    InvalidKeyword {
        /// The keyword given.
        found: String,
    },
    /// A raw parameter value that is not an `esmtp-value` (RFC 5321 s4.1.2).
    #[error(
        "expected an esmtp-value for {keyword} (printable ASCII except '=' and space; RFC 5321 s4.1.2; encode other text as xtext), found {found:?}"
    )]
    InvalidValue {
        /// The parameter's keyword.
        keyword: String,
        /// The value given.
        found: String,
    },
    /// A raw parameter reuses a keyword that has a typed field.
    #[error("{keyword} has a typed field in the parameters; set that instead of a raw parameter")]
    ReservedKeyword {
        /// The keyword, upper case.
        keyword: &'static str,
    },
    /// A typed parameter holds a value its extension does not allow.
    #[error("expected {expected} for {keyword}, found {found:?}")]
    InvalidParameter {
        /// The parameter's keyword.
        keyword: &'static str,
        /// What the extension allows.
        expected: &'static str,
        /// The value given.
        found: String,
    },
    /// A typed parameter is longer than its extension allows.
    #[error("{keyword} would be {length} characters on the wire; its RFC allows {limit}")]
    ParameterTooLong {
        /// The parameter's keyword.
        keyword: &'static str,
        /// Its encoded length.
        length: usize,
        /// The limit.
        limit: usize,
    },
    /// The mechanism is not a SASL mechanism name in the form [`Mechanism::from_name`] gives.
    #[error(
        "expected a SASL mechanism name (1-20 of A-Z, 0-9, '-', '_', as Mechanism::from_name makes it), found {found:?}"
    )]
    InvalidMechanism {
        /// The name given.
        found: String,
    },
    /// The line is longer than RFC 5321 s4.5.3.1.4 (with the extensions' allowances) or
    /// RFC 4954 s4 allows. For AUTH, send the initial response after the `334` instead.
    #[error("the {verb} line would be {length} octets with its CRLF; the limit is {limit}")]
    LineTooLong {
        /// The command.
        verb: Verb,
        /// The line's length.
        length: usize,
        /// The limit for this command.
        limit: usize,
    },
}

/// How long a line the parser frames before it gives up. The grammar then applies the RFC
/// limit of each command, as the writer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandLimits {
    /// Longest command line in octets, CRLF included. Default 2048: room for a MAIL line with
    /// every extension's allowance (RFC 5321 s4.5.3.1.4 plus RFC 1870, 3461, 4954, 6531).
    pub max_line_length: usize,
    /// Longest SASL line in octets, CRLF included. Default 12288 (RFC 4954 s4).
    pub max_sasl_line_length: usize,
}

impl Default for CommandLimits {
    fn default() -> Self {
        CommandLimits {
            max_line_length: 2048,
            max_sasl_line_length: RFC_SASL_LINE_LENGTH,
        }
    }
}

impl CommandLimits {
    /// Sets [`CommandLimits::max_line_length`].
    pub const fn with_max_line_length(mut self, octets: usize) -> Self {
        self.max_line_length = octets;
        self
    }

    /// Sets [`CommandLimits::max_sasl_line_length`].
    pub const fn with_max_sasl_line_length(mut self, octets: usize) -> Self {
        self.max_sasl_line_length = octets;
        self
    }
}

/// Why bytes from a client are not a command. Offsets count octets from the start of the
/// input. After an error the caller should reply `500`/`501` and drop the line (or, for
/// [`CommandParseError::LineTooLong`], the connection).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandParseError {
    /// No line end within the limit.
    #[error("expected a line end within {limit} octets, found none")]
    LineTooLong {
        /// The limit that was hit.
        limit: usize,
    },
    /// The line is within the framing limit but longer than the RFC allows for its command.
    #[error("the {verb} line is {length} octets; the RFC limit for it is {limit}")]
    OverRfcLength {
        /// The command.
        verb: Verb,
        /// The line's length, CRLF included.
        length: usize,
        /// The RFC limit.
        limit: usize,
    },
    /// The line ends in LF without CR (RFC 5321 s2.3.8).
    #[error("offset {offset}: expected CRLF, found a bare LF")]
    BareLineFeed {
        /// Offset of the LF.
        offset: usize,
    },
    /// The line is not UTF-8.
    #[error("offset {offset}: expected UTF-8 text, found an invalid octet sequence")]
    NotUtf8 {
        /// Offset of the first invalid octet.
        offset: usize,
    },
    /// The first word is not a command this crate knows.
    #[error("expected an SMTP command, found {found:?}")]
    UnknownVerb {
        /// Up to the first 16 characters of the line.
        found: String,
    },
    /// The line does not follow the command's grammar.
    #[error(
        "offset {offset}: expected {expected}, found {}",
        crate::escape::terminal_line(found)
    )]
    Syntax {
        /// Where the grammar stopped.
        offset: usize,
        /// What it wanted there.
        expected: &'static str,
        /// What was there: up to 16 characters, quoted, or "end of input".
        found: String,
    },
    /// A path, host or domain is invalid; the inner offsets count from the start of the line.
    #[error("invalid address: {0}")]
    InvalidAddress(AddressError),
    /// A typed ESMTP parameter has a value its extension does not allow.
    #[error("offset {offset}: expected {expected} for {keyword}")]
    InvalidParameter {
        /// Where the parameter starts.
        offset: usize,
        /// The parameter's keyword.
        keyword: &'static str,
        /// What its extension allows.
        expected: &'static str,
    },
    /// A typed ESMTP parameter appears twice.
    #[error("offset {offset}: expected {keyword} at most once, found it again")]
    DuplicateParameter {
        /// Where the second one starts.
        offset: usize,
        /// Its keyword, upper case.
        keyword: String,
    },
    /// SASL data that is not base64 (RFC 4954 s4).
    #[error(
        "offset {offset}: expected base64 (RFC 4648 s4, with padding), found {}",
        crate::escape::terminal_line(found)
    )]
    InvalidBase64 {
        /// Where the data starts.
        offset: usize,
        /// Up to 16 characters of it.
        found: String,
    },
    /// The line parses, but the writer would refuse the command (a rule of its extension is
    /// broken). The parser checks the same rules first, so this is a safety net.
    #[error("the command breaks a rule of its extension: {0}")]
    Refused(CommandError),
    /// Not a SASL mechanism name (RFC 4422 s3.1).
    #[error(
        "offset {offset}: expected a SASL mechanism name (1-20 of A-Z, 0-9, '-', '_'), found {}",
        crate::escape::terminal_line(found)
    )]
    InvalidMechanism {
        /// Where the name starts.
        offset: usize,
        /// Up to 16 characters of it.
        found: String,
    },
}

#[cfg(test)]
mod tests;
