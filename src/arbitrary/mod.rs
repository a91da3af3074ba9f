//! `arbitrary::Arbitrary` for the wire types (feature `arbitrary`), so that cargo-fuzz targets
//! can take structured SMTP input: `fuzz_target!(|command: smtp_sansio::Command| ...)`.
//!
//! The guarantee: every generated value is valid, because it is built only through the
//! public constructors, and it round-trips through the crate's own writer and parser.
//!
//! | Type | What holds |
//! |---|---|
//! | [`Command`](crate::Command) | [`Command::write_to`](crate::Command::write_to) writes one line, within its RFC length, that [`parse_command`](crate::parse_command) (or [`parse_auth_response`](crate::parse_auth_response) for the SASL lines) reads back equal |
//! | [`MailParams`](crate::MailParams), [`RcptParams`](crate::RcptParams) | they fit a MAIL or RCPT line that writes and reads back equal |
//! | [`Mailbox`](crate::Mailbox), the paths, [`Host`](crate::Host), [`Domain`](crate::Domain), [`AddressLiteral`](crate::AddressLiteral), [`LocalPart`](crate::LocalPart) | their text parses back equal |
//! | [`Reply`](crate::Reply) | its bytes, within the default [`ReplyLimits`](crate::ReplyLimits), parse back with [`parse_reply`](crate::parse_reply) to an equal reply with no anomaly |
//! | [`Envelope`](crate::Envelope) | at least one recipient; its MAIL and RCPT lines write and read back equal, with room for the parameters the engine adds |
//! | [`Capabilities`](crate::Capabilities) | read by the crate's parser from a well-formed EHLO reply: no anomaly |
//!
//! Generation never loops without bound and never panics. When a constructor refuses a
//! candidate (a path over 256 octets, a MAIL line over its length), the value falls back to
//! a simpler valid one, the same for the same input; input that runs out gives the simplest
//! values (`EHLO a`, `250 `), still valid. Coverage follows the proptest strategies of the
//! `proptest` feature: ASCII and SMTPUTF8 addresses, address literals of every kind, quoted
//! local parts, every command and ESMTP parameter, single- and multi-line replies with and
//! without enhanced status codes.
//!
//! ```
//! use arbitrary::{Arbitrary, Unstructured};
//! use smtp_sansio::{Command, CommandLimits, Decoded, parse_command};
//!
//! let bytes = [3u8, 141, 59, 26, 5, 89, 97, 144, 233, 17, 42, 250, 8, 64, 128, 7];
//! let mut u = Unstructured::new(&bytes);
//! let command = Command::arbitrary(&mut u)?;
//! let mut line = Vec::new();
//! command.write_to(&mut line)?;
//! assert!(line.ends_with(b"\r\n"));
//! if !matches!(command, Command::AuthResponse(_) | Command::AuthCancel) {
//!     let Decoded::Complete { value, .. } = parse_command(&line, &CommandLimits::default())?
//!     else { unreachable!("a written line is complete") };
//!     assert_eq!(value, command);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod capabilities;
mod command;
mod reply;

#[cfg(test)]
mod tests;

use ::arbitrary::{Result, Unstructured};

/// Letters beyond ASCII, as ranges of code points, for U-labels, UTF-8 local parts and text
/// (RFC 6531 s3.3 `UTF8-non-ascii`): Latin-1, Greek, Cyrillic, CJK and a CJK extension, so
/// that characters of two, three and four octets all occur. Never white space, never a
/// control character, never a surrogate.
const NON_ASCII_LETTERS: [(u32, u32); 5] = [
    (0xdf, 0xf6),
    (0x3b1, 0x3c9),
    (0x430, 0x44f),
    (0x4e00, 0x9fa5),
    (0x2_0000, 0x2_a6df),
];

/// ASCII letters and digits (RFC 5321 s4.1.2 `Let-dig`).
const LET_DIG: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A letter from [`NON_ASCII_LETTERS`].
fn non_ascii_letter(u: &mut Unstructured<'_>) -> Result<char> {
    let &(low, high) = u.choose(&NON_ASCII_LETTERS)?;
    let code = u.int_in_range(low..=high)?;
    // The ranges hold no surrogates, so the fallback is never taken.
    Ok(char::from_u32(code).unwrap_or('é'))
}

/// An ASCII character from `low` to `high`.
fn ascii_in(u: &mut Unstructured<'_>, low: u8, high: u8) -> Result<char> {
    Ok(char::from(u.int_in_range(low..=high)?))
}

/// One of the ASCII characters of `set` (never empty).
fn one_of(u: &mut Unstructured<'_>, set: &[u8]) -> Result<char> {
    Ok(char::from(*u.choose(set)?))
}

/// True about `percent` times in a hundred, and false once the input is spent, so that spent
/// input leaves optional parts out.
fn chance(u: &mut Unstructured<'_>, percent: u8) -> Result<bool> {
    Ok(u.int_in_range(0..=99u8)? >= 100 - percent.min(100))
}

/// A count from `min` to a bound that is `short` most of the time and `long` now and then,
/// so that typical values stay small while the limits are still reached.
fn count(u: &mut Unstructured<'_>, min: usize, short: usize, long: usize) -> Result<usize> {
    let max = if chance(u, 15)? { long } else { short };
    u.int_in_range(min..=max.max(min))
}

/// Up to `max` octets of the input, as many as are left.
fn some_bytes(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<u8>> {
    let wanted = count(u, 0, max / 4, max)?;
    let taken = wanted.min(u.len());
    Ok(u.bytes(taken)?.to_vec())
}
