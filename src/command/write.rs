//! The strict command writer (RFC 5321 s4.1.1) and the redacting transcript form.
//!
//! Each command first checks what its argument types cannot guarantee (text arguments,
//! plain-data parameter fields, mechanism names), then copies bytes into the output with no
//! allocation on the common paths. The line length is checked last, against the limit of the
//! command ([`Command::line_limit`]), and the output is cut back on error.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::params::forbidden_octet;
use super::params::{Body, Ret};
use super::{
    Command, CommandError, MailParams, RFC_COMMAND_LINE_LENGTH, RFC_SASL_LINE_LENGTH, RcptParams,
    Verb,
};
use crate::address::{Domain, ForwardPath, Host, MAX_DOMAIN_LENGTH, MAX_PATH_LENGTH, ReversePath};
use crate::auth::Mechanism;

/// Checks a text argument (VRFY, EXPN, HELP, NOOP): non-empty, no CR, LF or NUL.
fn check_text(text: &str, field: &'static str) -> Result<(), CommandError> {
    if text.is_empty() {
        return Err(CommandError::EmptyArgument { field });
    }
    match forbidden_octet(text) {
        Some((offset, octet)) => Err(CommandError::ForbiddenOctet {
            field,
            offset,
            octet,
        }),
        None => Ok(()),
    }
}

/// Checks that the mechanism is in the form the parser gives back, so that it round-trips.
fn check_mechanism(mechanism: &Mechanism) -> Result<(), CommandError> {
    if let Mechanism::Other(name) = mechanism
        && Mechanism::from_name(name.as_bytes()).as_ref() != Some(mechanism)
    {
        return Err(CommandError::InvalidMechanism {
            found: name.clone(),
        });
    }
    Ok(())
}

/// Appends the base64 form of `data` (RFC 4648 s4, padded).
fn write_base64(data: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let length = base64::encoded_len(data.len(), true).unwrap_or(0);
    out.resize(start + length, 0);
    // The buffer was sized by `encoded_len`, so this cannot run short.
    let written = BASE64.encode_slice(data, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

/// Appends one command line, CRLF included, written by `line` (which returns the line's
/// length limit); on any error `out` is cut back to where it was.
#[inline]
fn write_checked(
    out: &mut Vec<u8>,
    verb: Verb,
    line: impl FnOnce(&mut Vec<u8>) -> Result<usize, CommandError>,
) -> Result<(), CommandError> {
    let start = out.len();
    let limit = match line(out) {
        Ok(limit) => limit,
        Err(err) => return Err(refuse(out, start, err)),
    };
    out.extend_from_slice(b"\r\n");
    let length = out.len() - start;
    if length > limit {
        let err = CommandError::LineTooLong {
            verb,
            length,
            limit,
        };
        return Err(refuse(out, start, err));
    }
    Ok(())
}

/// Cuts `out` back to where the line started; kept out of line, off the fast path.
#[cold]
#[inline(never)]
fn refuse(out: &mut Vec<u8>, start: usize, err: CommandError) -> CommandError {
    out.truncate(start);
    err
}

/// `MAIL FROM:<path> params` (RFC 5321 s4.1.1.2), without CRLF; returns the line limit.
#[inline]
fn mail_line<const TRANSCRIPT: bool>(
    from: &ReversePath,
    params: &MailParams,
    out: &mut Vec<u8>,
) -> Result<usize, CommandError> {
    if !TRANSCRIPT {
        params.validate()?;
    }
    out.extend_from_slice(b"MAIL FROM:");
    from.write_to(out);
    params.write_to(out);
    Ok(RFC_COMMAND_LINE_LENGTH + params.line_allowance())
}

/// `RCPT TO:<path> params` (RFC 5321 s4.1.1.3), without CRLF; returns the line limit.
#[inline]
fn rcpt_line<const TRANSCRIPT: bool>(
    to: &ForwardPath,
    params: &RcptParams,
    out: &mut Vec<u8>,
) -> Result<usize, CommandError> {
    if !TRANSCRIPT {
        params.validate()?;
    }
    out.extend_from_slice(b"RCPT TO:");
    to.write_to(out);
    params.write_to(out);
    Ok(RFC_COMMAND_LINE_LENGTH + params.line_allowance())
}

// Fast paths: lines whose every part is guaranteed by a type's invariant, so that nothing
// is checked and no line length measured while writing. No `reserve` up front: each
// `extend_from_slice` checks the capacity anyway, and a reused buffer already has it.

// Short lines: instead of one `extend_from_slice` per piece (each a capacity check and a
// length store), a fixed-size window is appended in one step, filled by stores at known
// offsets and cut back to the line's length. Variable parts of at most `SHORT_PART` octets
// are copied in two overlapping fixed-size chunks instead of a `memcpy` call.

/// The longest variable part (domain or path) written into a window.
const SHORT_PART: usize = 32;

/// The window of the HELO/EHLO/LHLO and RCPT lines: verb (at most 8), a part of at most
/// [`SHORT_PART`] octets and CRLF.
const SHORT_WINDOW: usize = 48;
const _: () = assert!(b"RCPT TO:".len() + SHORT_PART + 2 <= SHORT_WINDOW);

/// A window whose first octets are `prefix`, the rest zero.
const fn window_template<const W: usize>(prefix: &[u8]) -> [u8; W] {
    let mut window = [0u8; W];
    let mut i = 0;
    while i < prefix.len() {
        window[i] = prefix[i];
        i += 1;
    }
    window
}

const EHLO_WINDOW: [u8; SHORT_WINDOW] = window_template(b"EHLO ");
const HELO_WINDOW: [u8; SHORT_WINDOW] = window_template(b"HELO ");
const LHLO_WINDOW: [u8; SHORT_WINDOW] = window_template(b"LHLO ");
const RCPT_WINDOW: [u8; SHORT_WINDOW] = window_template(b"RCPT TO:");

/// Appends `template`, lets `line` write into it and return the line's length (at most `W`),
/// and cuts `out` back to that length.
#[inline(always)]
fn with_window<const W: usize>(
    out: &mut Vec<u8>,
    template: &[u8; W],
    line: impl FnOnce(&mut [u8; W]) -> usize,
) {
    let start = out.len();
    out.extend_from_slice(template);
    let length = match out.last_chunk_mut::<W>() {
        Some(window) => line(window),
        // Just appended: `out` holds at least `W` octets.
        None => W,
    };
    out.truncate(start + length);
}

/// Copies `part` into `window` at `at` and returns where it ends: parts of 2 to
/// [`SHORT_PART`] octets as two overlapping chunks of 2, 4, 8 or 16, others with
/// `copy_from_slice`.
#[inline(always)]
fn put_short<const W: usize>(window: &mut [u8; W], at: usize, part: &[u8]) -> usize {
    let n = part.len();
    let end = at + n;
    if (16..=SHORT_PART).contains(&n) {
        window[at..at + 16].copy_from_slice(&part[..16]);
        window[end - 16..end].copy_from_slice(&part[n - 16..]);
    } else if (8..16).contains(&n) {
        window[at..at + 8].copy_from_slice(&part[..8]);
        window[end - 8..end].copy_from_slice(&part[n - 8..]);
    } else if (4..8).contains(&n) {
        window[at..at + 4].copy_from_slice(&part[..4]);
        window[end - 4..end].copy_from_slice(&part[n - 4..]);
    } else if (2..4).contains(&n) {
        // Such as the null path `<>`.
        window[at..at + 2].copy_from_slice(&part[..2]);
        window[end - 2..end].copy_from_slice(&part[n - 2..]);
    } else {
        window[at..end].copy_from_slice(part);
    }
    end
}

/// The longest `HELO`/`EHLO`/`LHLO` line with a domain: a [`Domain`] is at most
/// [`MAX_DOMAIN_LENGTH`] octets of `sub-domain` labels, which hold no CR, LF or NUL.
const HELLO_DOMAIN_MAX: usize = b"EHLO ".len() + MAX_DOMAIN_LENGTH + 2;
const _: () = assert!(HELLO_DOMAIN_MAX <= RFC_COMMAND_LINE_LENGTH);

/// `HELO`/`EHLO`/`LHLO` and a domain, CRLF included; cannot fail ([`HELLO_DOMAIN_MAX`]).
#[inline]
fn write_hello(template: &[u8; SHORT_WINDOW], domain: &Domain, out: &mut Vec<u8>) {
    let name = domain.as_str().as_bytes();
    if name.len() <= SHORT_PART {
        // 5 + 32 + 2 octets fit in the window.
        with_window(out, template, |window| {
            let end = put_short(window, 5, name);
            window[end..end + 2].copy_from_slice(b"\r\n");
            end + 2
        });
        return;
    }
    out.extend_from_slice(&template[..5]);
    out.extend_from_slice(name);
    out.extend_from_slice(b"\r\n");
}

/// The longest MAIL line [`write_mail_plain`] writes: a path of at most [`MAX_PATH_LENGTH`]
/// octets and every parameter of [`MailParams::is_plain`] at its longest.
const MAIL_PLAIN_MAX: usize = b"MAIL FROM:".len()
    + MAX_PATH_LENGTH
    + b" SIZE=".len()
    + 20
    + b" BODY=BINARYMIME".len()
    + b" RET=FULL".len()
    + b" SMTPUTF8".len()
    + b" REQUIRETLS".len()
    + 2;
const _: () = assert!(MAIL_PLAIN_MAX <= RFC_COMMAND_LINE_LENGTH);

/// 10^0 to 10^19.
const POWERS_OF_TEN: [u64; 20] = {
    let mut powers = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        powers[i] = powers[i - 1] * 10;
        i += 1;
    }
    powers
};

/// How many decimal digits `value` has (1 for 0): the bit length times log10(2)
/// (1233 / 4096) is the digit count or one less, and one comparison tells which. `value | 1`
/// counts 0 as 1 and changes no comparison with 10^1 to 10^19, which are even.
#[inline]
fn decimal_digits(value: u64) -> usize {
    let value = value | 1;
    let bits = 64 - value.leading_zeros() as usize;
    let guess = (bits * 1233) >> 12;
    guess + usize::from(value >= POWERS_OF_TEN[guess])
}

/// The eight decimal digits of `value` (below 10^8, leading zeros kept) as ASCII, first digit
/// in the lowest byte: split into two halves of four digits, each half into two pairs, each
/// pair into two digits, all lanes at once (each multiply stays inside its lane: 9999 * 10486
/// < 2^32 and 99 * 103 < 2^16; both reciprocals are exact over those ranges).
#[inline]
fn eight_digits(value: u32) -> u64 {
    let mut x = u64::from(value / 10_000) | (u64::from(value % 10_000) << 32);
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007f_0000_007f;
    x = hundreds | ((x - hundreds * 100) << 16);
    let tens = ((x * 103) >> 10) & 0x000f_000f_000f_000f;
    x = tens | ((x - tens * 10) << 8);
    x | 0x3030_3030_3030_3030
}

/// Appends the last `count` (1 to 8) of the digits of [`eight_digits`]: eight bytes are
/// copied and the ones past the number cut off again.
#[inline]
fn write_digits(digits: u64, count: usize, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&(digits >> (8 * (8 - count))).to_le_bytes());
    out.truncate(start + count);
}

/// Appends ` SIZE=value`, eight digits at a time.
#[inline]
fn write_size(size: u64, out: &mut Vec<u8>) {
    const E8: u64 = 100_000_000;
    out.extend_from_slice(b" SIZE=");
    let count = decimal_digits(size);
    if size < E8 {
        // Below 10^8, so it fits in u32.
        write_digits(eight_digits(size as u32), count, out);
    } else if size < E8 * E8 {
        // Both below 10^8.
        write_digits(eight_digits((size / E8) as u32), count - 8, out);
        write_digits(eight_digits((size % E8) as u32), 8, out);
    } else {
        crate::octets::write_decimal(size, out);
    }
}

/// The longest tail of [`MAIL_TAILS`]: ` BODY=BINARYMIME RET=FULL SMTPUTF8 REQUIRETLS` CRLF.
const MAIL_TAIL: usize = 48;

/// The MAIL window: `MAIL FROM:`, a path of at most [`SHORT_PART`] octets, ` SIZE=` and up to
/// 20 digits (`u64::MAX`), and a tail of [`MAIL_TAILS`].
const MAIL_WINDOW: usize = b"MAIL FROM:".len() + SHORT_PART + b" SIZE=".len() + 20 + MAIL_TAIL;

/// Appends `piece` to the first `length` octets of `tail`; returns the new length.
const fn push_tail(tail: &mut [u8; MAIL_TAIL], length: usize, piece: &[u8]) -> usize {
    let mut i = 0;
    while i < piece.len() {
        tail[length + i] = piece[i];
        i += 1;
    }
    length + piece.len()
}

/// One entry of [`MAIL_TAILS`]: the tail in the first [`MAIL_TAIL`] octets, its length in
/// the last one (64 octets, so that an index is a shift).
type MailTail = [u8; 64];

/// Every combination of BODY, RET, SMTPUTF8 and REQUIRETLS as written after SIZE, CRLF
/// included, at [`mail_tail_index`].
static MAIL_TAILS: [MailTail; 48] = {
    let bodies: [&[u8]; 4] = [b" BODY=7BIT", b" BODY=8BITMIME", b" BODY=BINARYMIME", b""];
    let rets: [&[u8]; 3] = [b" RET=FULL", b" RET=HDRS", b""];
    let mut tails = [[0u8; 64]; 48];
    let mut index = 0;
    while index < 48 {
        let mut tail = [0u8; MAIL_TAIL];
        let mut length = push_tail(&mut tail, 0, bodies[index / 12]);
        length = push_tail(&mut tail, length, rets[index / 4 % 3]);
        if index & 2 != 0 {
            length = push_tail(&mut tail, length, b" SMTPUTF8");
        }
        if index & 1 != 0 {
            length = push_tail(&mut tail, length, b" REQUIRETLS");
        }
        length = push_tail(&mut tail, length, b"\r\n");
        let mut i = 0;
        while i < MAIL_TAIL {
            tails[index][i] = tail[i];
            i += 1;
        }
        tails[index][63] = length as u8;
        index += 1;
    }
    tails
};

/// Where the tail of these parameters is in [`MAIL_TAILS`]. `None` takes the index after the
/// last variant, which is also how the option is stored, so each field is one load.
#[inline(always)]
fn mail_tail_index(params: &MailParams) -> usize {
    let body = match params.body {
        Some(body) => body as usize,
        None => 3,
    };
    let ret = match params.ret {
        Some(ret) => ret as usize,
        None => 2,
    };
    (body * 3 + ret) * 4 + usize::from(params.smtputf8) * 2 + usize::from(params.requiretls)
}

/// Stores the digits of `value` (below 10^8, at least one digit) at `at`; returns where they
/// end. Eight octets are stored; those past the number are overwritten or cut off. The leading
/// zero digits are the low zero octets of the digit values, counted with `trailing_zeros`.
#[inline(always)]
fn put_short_decimal(window: &mut [u8; MAIL_WINDOW], at: usize, value: u32) -> usize {
    let digits = eight_digits(value);
    // The last digit always counts, even for 0.
    let zeros = ((digits & 0x0f0f_0f0f_0f0f_0f0f) | (1 << 56)).trailing_zeros() & !7;
    window[at..at + 8].copy_from_slice(&(digits >> zeros).to_le_bytes());
    at + 8 - (zeros / 8) as usize
}

/// [`write_mail_plain`] for a path of at most [`SHORT_PART`] octets: one window, one
/// fixed-size copy of the parameter tail.
#[inline]
fn write_mail_short(path: &[u8], params: &MailParams, out: &mut Vec<u8>) {
    const E8: u64 = 100_000_000;
    // Zeros are cheaper to store than a template; the verb is stored on its own.
    with_window(out, &[0; MAIL_WINDOW], |window| {
        window[..10].copy_from_slice(b"MAIL FROM:");
        let mut end = put_short(window, 10, path);
        if let Some(size) = params.size {
            window[end..end + 8].copy_from_slice(b" SIZE=\0\0");
            end += 6;
            if size < E8 {
                // Below 10^8, so it fits in u32.
                end = put_short_decimal(window, end, size as u32);
            } else {
                // The leading digits (below 10^8, as u64::MAX / 10^16 < 1845) without zeros,
                // then eight digits for each further 10^8.
                let (high, middle) = if size < E8 * E8 {
                    (size / E8, None)
                } else {
                    (size / (E8 * E8), Some(size / E8 % E8))
                };
                end = put_short_decimal(window, end, high as u32);
                if let Some(middle) = middle {
                    let digits = eight_digits(middle as u32).to_le_bytes();
                    window[end..end + 8].copy_from_slice(&digits);
                    end += 8;
                }
                let low = eight_digits((size % E8) as u32).to_le_bytes();
                window[end..end + 8].copy_from_slice(&low);
                end += 8;
            }
        }
        let tail = &MAIL_TAILS[mail_tail_index(params)];
        window[end..end + MAIL_TAIL].copy_from_slice(&tail[..MAIL_TAIL]);
        end + usize::from(tail[63])
    });
}

/// `MAIL FROM:<path> params` CRLF for [`MailParams::is_plain`] parameters: the path is
/// checked by its type, these parameters need no check, and the line fits in 512 octets
/// ([`MAIL_PLAIN_MAX`]), so this cannot fail.
#[inline]
fn write_mail_plain(from: &ReversePath, params: &MailParams, out: &mut Vec<u8>) {
    let path = from.path_bytes();
    if path.len() <= SHORT_PART {
        write_mail_short(path, params, out);
        return;
    }
    out.extend_from_slice(b"MAIL FROM:");
    out.extend_from_slice(path);
    if let Some(size) = params.size {
        write_size(size, out);
    }
    match params.body {
        None => {}
        Some(Body::SevenBit) => out.extend_from_slice(b" BODY=7BIT"),
        Some(Body::EightBitMime) => out.extend_from_slice(b" BODY=8BITMIME"),
        Some(Body::BinaryMime) => out.extend_from_slice(b" BODY=BINARYMIME"),
    }
    match params.ret {
        None => {}
        Some(Ret::Full) => out.extend_from_slice(b" RET=FULL"),
        Some(Ret::Headers) => out.extend_from_slice(b" RET=HDRS"),
    }
    if params.smtputf8 {
        out.extend_from_slice(b" SMTPUTF8");
    }
    if params.requiretls {
        out.extend_from_slice(b" REQUIRETLS");
    }
    out.extend_from_slice(b"\r\n");
}

/// `RCPT TO:<path>` CRLF with no parameters: the path is checked by its type and the line is
/// at most 8 + [`MAX_PATH_LENGTH`] + 2 octets, so this cannot fail.
#[inline]
fn write_rcpt_plain(to: &ForwardPath, out: &mut Vec<u8>) {
    let path = to.path_bytes();
    if path.len() <= SHORT_PART {
        // 8 + 32 + 2 octets fit in the window.
        with_window(out, &RCPT_WINDOW, |window| {
            let end = put_short(window, 8, path);
            window[end..end + 2].copy_from_slice(b"\r\n");
            end + 2
        });
        return;
    }
    out.extend_from_slice(b"RCPT TO:");
    out.extend_from_slice(path);
    out.extend_from_slice(b"\r\n");
}
const _: () = assert!(b"RCPT TO:".len() + MAX_PATH_LENGTH + 2 <= RFC_COMMAND_LINE_LENGTH);

/// Writes what `Command::Mail { from, params }` writes, from borrowed parts.
#[inline]
pub(crate) fn write_mail(
    from: &ReversePath,
    params: &MailParams,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    if params.is_plain() {
        write_mail_plain(from, params, out);
        return Ok(());
    }
    write_mail_checked(from, params, out)
}

/// [`write_mail`] for parameters that need checks; out of line, off the fast path.
#[inline(never)]
fn write_mail_checked(
    from: &ReversePath,
    params: &MailParams,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    write_checked(out, Verb::Mail, |out| mail_line::<false>(from, params, out))
}

/// Writes what `Command::Rcpt { to, params }` writes, from borrowed parts.
#[inline]
pub(crate) fn write_rcpt(
    to: &ForwardPath,
    params: &RcptParams,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    if params.is_plain() {
        write_rcpt_plain(to, out);
        return Ok(());
    }
    write_rcpt_checked(to, params, out)
}

/// [`write_rcpt`] for parameters that need checks; out of line, off the fast path.
#[inline(never)]
fn write_rcpt_checked(
    to: &ForwardPath,
    params: &RcptParams,
    out: &mut Vec<u8>,
) -> Result<(), CommandError> {
    write_checked(out, Verb::Rcpt, |out| rcpt_line::<false>(to, params, out))
}

impl Command {
    /// Appends the command line, CRLF included, to `out`.
    ///
    /// On error nothing is appended: the argument would have put something on the wire that
    /// RFC 5321 does not allow (see [`CommandError`]). SMTPUTF8 and BODY are not decided here;
    /// ask [`Command::needs_smtputf8`] and set the parameters before writing.
    #[inline]
    pub fn write_to(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        // Three cases only, so that the dispatch is a few comparisons rather than a jump
        // table; HELO and LHLO take their fast path out of line.
        match self {
            Command::Ehlo(Host::Domain(domain)) => write_hello(&EHLO_WINDOW, domain, out),
            Command::Mail { from, params } => return write_mail(from, params, out),
            Command::Rcpt { to, params } => return write_rcpt(to, params, out),
            _ => return self.write_other(out),
        }
        Ok(())
    }

    /// [`Command::write_to`] for the commands other than EHLO, MAIL and RCPT; out of line.
    #[inline(never)]
    fn write_other(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        match self {
            Command::Helo(Host::Domain(domain)) => write_hello(&HELO_WINDOW, domain, out),
            Command::Lhlo(Host::Domain(domain)) => write_hello(&LHLO_WINDOW, domain, out),
            _ => return write_checked(out, self.verb(), |out| self.write_line::<false>(out)),
        }
        Ok(())
    }

    /// What kind of command this is.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Helo(_) => Verb::Helo,
            Command::Ehlo(_) => Verb::Ehlo,
            Command::Lhlo(_) => Verb::Lhlo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat { .. } => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Vrfy(_) => Verb::Vrfy,
            Command::Expn(_) => Verb::Expn,
            Command::Help(_) => Verb::Help,
            Command::Noop(_) => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::Auth { .. } => Verb::Auth,
            Command::AuthResponse(_) => Verb::AuthResponse,
            Command::AuthCancel => Verb::AuthCancel,
        }
    }

    /// Whether the line would carry non-ASCII text, so the server must have offered SMTPUTF8
    /// (RFC 6531 s3.2): a UTF-8 path or host, or a UTF-8 text argument. For MAIL the client
    /// then adds the `SMTPUTF8` parameter (RFC 6531 s3.4). xtext-encoded values (`AUTH=`,
    /// `ENVID=`, `ORCPT=`) are ASCII on the wire and do not count.
    pub fn needs_smtputf8(&self) -> bool {
        match self {
            Command::Helo(host) | Command::Ehlo(host) | Command::Lhlo(host) => {
                host.needs_smtputf8()
            }
            Command::Mail { from, .. } => from.needs_smtputf8(),
            Command::Rcpt { to, .. } => to.needs_smtputf8(),
            Command::Vrfy(text) | Command::Expn(text) => !text.is_ascii(),
            Command::Help(text) | Command::Noop(text) => {
                text.as_ref().is_some_and(|t| !t.is_ascii())
            }
            _ => false,
        }
    }

    /// The longest line the RFCs allow for this command, CRLF included: 512 octets
    /// (RFC 5321 s4.5.3.1.4) plus, for MAIL and RCPT, the allowances of the extensions whose
    /// parameters are present; 12288 for a SASL response (RFC 4954 s4). An AUTH command with
    /// its initial response stays within 512 (RFC 4954 s4).
    pub(crate) fn line_limit(&self) -> usize {
        match self {
            Command::Mail { params, .. } => RFC_COMMAND_LINE_LENGTH + params.line_allowance(),
            Command::Rcpt { params, .. } => RFC_COMMAND_LINE_LENGTH + params.line_allowance(),
            Command::AuthResponse(_) => RFC_SASL_LINE_LENGTH,
            _ => RFC_COMMAND_LINE_LENGTH,
        }
    }

    /// Appends the line without its CRLF and returns its length limit
    /// ([`Command::line_limit`]).
    ///
    /// For the wire (`TRANSCRIPT` false) each arm first checks what the argument types do not
    /// guarantee, then copies; on error the caller cuts `out` back. For a transcript nothing
    /// is checked and SASL data becomes `[redacted]`. One function serves both so that a
    /// transcript shows exactly what is sent.
    #[inline]
    fn write_line<const TRANSCRIPT: bool>(&self, out: &mut Vec<u8>) -> Result<usize, CommandError> {
        match self {
            Command::Helo(host) => {
                out.extend_from_slice(b"HELO ");
                host.write_to(out);
            }
            Command::Ehlo(host) => {
                out.extend_from_slice(b"EHLO ");
                host.write_to(out);
            }
            Command::Lhlo(host) => {
                out.extend_from_slice(b"LHLO ");
                host.write_to(out);
            }
            Command::Mail { from, params } => return mail_line::<TRANSCRIPT>(from, params, out),
            Command::Rcpt { to, params } => return rcpt_line::<TRANSCRIPT>(to, params, out),
            Command::Data => out.extend_from_slice(b"DATA"),
            Command::Bdat { size, last } => {
                out.extend_from_slice(b"BDAT ");
                crate::octets::write_decimal(*size, out);
                if *last {
                    out.extend_from_slice(b" LAST");
                }
            }
            Command::Rset => out.extend_from_slice(b"RSET"),
            Command::Vrfy(text) => {
                if !TRANSCRIPT {
                    check_text(text, "VRFY argument")?;
                }
                out.extend_from_slice(b"VRFY ");
                out.extend_from_slice(text.as_bytes());
            }
            Command::Expn(text) => {
                if !TRANSCRIPT {
                    check_text(text, "EXPN argument")?;
                }
                out.extend_from_slice(b"EXPN ");
                out.extend_from_slice(text.as_bytes());
            }
            Command::Help(text) => {
                out.extend_from_slice(b"HELP");
                if let Some(text) = text {
                    if !TRANSCRIPT {
                        check_text(text, "HELP argument")?;
                    }
                    out.push(b' ');
                    out.extend_from_slice(text.as_bytes());
                }
            }
            Command::Noop(text) => {
                out.extend_from_slice(b"NOOP");
                if let Some(text) = text {
                    if !TRANSCRIPT {
                        check_text(text, "NOOP argument")?;
                    }
                    out.push(b' ');
                    out.extend_from_slice(text.as_bytes());
                }
            }
            Command::Quit => out.extend_from_slice(b"QUIT"),
            Command::StartTls => out.extend_from_slice(b"STARTTLS"),
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                if !TRANSCRIPT {
                    check_mechanism(mechanism)?;
                }
                out.extend_from_slice(b"AUTH ");
                out.extend_from_slice(mechanism.as_str().as_bytes());
                match initial_response {
                    None => {}
                    Some(_) if TRANSCRIPT => out.extend_from_slice(b" [redacted]"),
                    Some(data) if data.expose_secret().is_empty() => out.extend_from_slice(b" ="),
                    Some(data) => {
                        out.push(b' ');
                        write_base64(data.expose_secret(), out);
                    }
                }
            }
            Command::AuthResponse(_) if TRANSCRIPT => out.extend_from_slice(b"[redacted]"),
            Command::AuthResponse(data) => {
                write_base64(data.expose_secret(), out);
                return Ok(RFC_SASL_LINE_LENGTH);
            }
            Command::AuthCancel => out.push(b'*'),
        }
        Ok(RFC_COMMAND_LINE_LENGTH)
    }
}

/// The line as a transcript shows it: no CRLF, SASL data as `[redacted]`, control characters
/// escaped. Shown as is even when [`Command::write_to`] would refuse it.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = Vec::with_capacity(64);
        // The transcript form checks nothing, so it cannot fail.
        let _ = self.write_line::<true>(&mut line);
        write!(f, "{}", crate::escape::terminal_line(&line))
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    /// What the checked writer writes: the transcript line (no SASL here) and CRLF.
    fn expected(command: &Command) -> Vec<u8> {
        let mut line = b"x".to_vec();
        command.write_line::<true>(&mut line).unwrap();
        line.extend_from_slice(b"\r\n");
        line
    }

    fn written(command: &Command) -> Vec<u8> {
        let mut out = b"x".to_vec();
        command.write_to(&mut out).unwrap();
        out
    }

    #[test]
    fn window_paths_write_what_the_checked_writer_writes() {
        use crate::address::Mailbox;
        let mut paths = vec![ReversePath::Null];
        let mut forward = vec![ForwardPath::Postmaster];
        let mut domains = Vec::new();
        // Under Miri, which interprets every step, a sample (lengths around the 8-octet
        // chunks, sizes around one digit, every third parameter set); natively, all of them.
        let lengths: Vec<usize> = if cfg!(miri) {
            vec![1, 8, 9, 40]
        } else {
            (1..=40).collect()
        };
        for length in lengths {
            let local = "l".repeat(length);
            let mailbox = Mailbox::parse(&format!("{local}@x.org")).unwrap();
            paths.push(ReversePath::Mailbox(mailbox.clone()));
            forward.push(ForwardPath::Mailbox(mailbox));
            domains.push(Host::parse(&format!("{}.org", "d".repeat(length))).unwrap());
        }
        domains.push(Host::parse("a").unwrap());
        for host in &domains {
            for command in [
                Command::Ehlo(host.clone()),
                Command::Helo(host.clone()),
                Command::Lhlo(host.clone()),
            ] {
                assert_eq!(written(&command), expected(&command));
            }
        }
        for to in &forward {
            let command = Command::Rcpt {
                to: to.clone(),
                params: RcptParams::default(),
            };
            assert_eq!(written(&command), expected(&command));
        }
        let mut sizes = vec![None];
        for power in POWERS_OF_TEN {
            sizes.extend([power - 1, power, power + 1].map(Some));
        }
        sizes.push(Some(u64::MAX));
        if cfg!(miri) {
            sizes.retain(|size| size.is_none_or(|n| n < 11 || n == u64::MAX));
        }
        for from in &paths {
            for size in &sizes {
                for index in (0..48).step_by(if cfg!(miri) { 3 } else { 1 }) {
                    let mut params = MailParams {
                        size: *size,
                        ..MailParams::default()
                    };
                    params.body = [
                        Some(Body::SevenBit),
                        Some(Body::EightBitMime),
                        Some(Body::BinaryMime),
                        None,
                    ][index / 12];
                    params.ret = [Some(Ret::Full), Some(Ret::Headers), None][index / 4 % 3];
                    params.smtputf8 = index & 2 != 0;
                    params.requiretls = index & 1 != 0;
                    assert_eq!(mail_tail_index(&params), index);
                    let command = Command::Mail {
                        from: from.clone(),
                        params,
                    };
                    assert_eq!(written(&command), expected(&command));
                }
            }
        }
    }

    #[test]
    fn decimal_digits_matches_formatting_at_every_power_of_ten() {
        let mut values = vec![0, 1, 9, u64::MAX, u64::MAX - 1];
        for power in POWERS_OF_TEN {
            values.extend([power - 1, power, power + 1, power.saturating_mul(2)]);
        }
        // Fewer under Miri, which interprets every step: the powers of ten above are the
        // boundaries that matter.
        let count = if cfg!(miri) { 500 } else { 100_000 };
        values.extend(0..count);
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..count {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.extend([x, x >> (x % 64)]);
        }
        for value in values {
            assert_eq!(decimal_digits(value), value.to_string().len(), "{value}");
            let mut out = b"x".to_vec();
            write_size(value, &mut out);
            assert_eq!(out, format!("x SIZE={value}").into_bytes());
        }
    }
}
