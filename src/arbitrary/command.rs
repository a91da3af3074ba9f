//! Commands (RFC 5321 s4.1.1), their ESMTP parameters (RFC 5321 s4.1.2 and the extensions
//! named on each), SASL mechanisms (RFC 4954) and the client's [`Envelope`].

use ::arbitrary::{Arbitrary, Error, Result, Unstructured};

use super::{LET_DIG, ascii_in, chance, count, non_ascii_letter, one_of, some_bytes};
use crate::address::{ForwardPath, Mailbox, ReversePath};
use crate::auth::Mechanism;
use crate::client::Envelope;
use crate::command::params::is_typed_keyword;
use crate::command::{
    Body, Command, CommandError, EsmtpParam, MailParams, Notify, Orcpt, RFC_COMMAND_LINE_LENGTH,
    RcptParams, Ret, Verb, write_mail, write_rcpt, xtext,
};
use crate::secret::Secret;

/// `7BIT`, `8BITMIME` or `BINARYMIME` (RFC 6152, RFC 3030).
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Body {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&[Body::SevenBit, Body::EightBitMime, Body::BinaryMime])?)
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// `FULL` or `HDRS` (RFC 3461 s4.3).
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Ret {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&[Ret::Full, Ret::Headers])?)
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// `NEVER` or a non-empty set of `SUCCESS`, `FAILURE`, `DELAY` (RFC 3461 s4.1); never the
/// empty `On` that the writer refuses.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Notify {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let set = u.int_in_range(0..=7u8)?;
        Ok(if set == 0 {
            Notify::Never
        } else {
            Notify::On {
                success: set & 1 != 0,
                failure: set & 2 != 0,
                delay: set & 4 != 0,
            }
        })
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// Printable ASCII, space included, of `min` to a few dozen characters.
fn printable(u: &mut Unstructured<'_>, min: usize, short: usize, long: usize) -> Result<String> {
    let chars = count(u, min, short, long)?;
    let mut text = String::with_capacity(chars);
    for _ in 0..chars {
        text.push(ascii_in(u, b' ', b'~')?);
    }
    Ok(text)
}

/// `ORCPT=` values: `rfc822` with printable ASCII (RFC 3461 s4.2), `utf-8` with UTF-8 letters
/// as well (RFC 6533 s3), another atom as the address type, or a generated mailbox. Over the
/// 500 characters of RFC 3461 s4.2 once encoded, it falls back to `rfc822;postmaster`.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Orcpt {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let candidate = match u.int_in_range(0..=3u8)? {
            0 => {
                let addr_type = *u.choose(&["rfc822", "RFC822", "Rfc822"])?;
                Orcpt::new(addr_type, &printable(u, 1, 30, 120)?)
            }
            1 => {
                let addr_type = *u.choose(&["utf-8", "UTF-8"])?;
                let mut address = String::new();
                for _ in 0..count(u, 1, 20, 60)? {
                    address.push(if chance(u, 30)? {
                        non_ascii_letter(u)?
                    } else {
                        ascii_in(u, b' ', b'~')?
                    });
                }
                Orcpt::new(addr_type, &address)
            }
            2 => Orcpt::for_mailbox(&Mailbox::arbitrary(u)?),
            _ => {
                // addr-type = atom (RFC 3461 s4.2), here letters, digits and '-'.
                let mut addr_type = String::from("x");
                for _ in 0..u.int_in_range(0..=7)? {
                    addr_type.push(if chance(u, 10)? {
                        '-'
                    } else {
                        one_of(u, LET_DIG)?
                    });
                }
                Orcpt::new(&addr_type, &printable(u, 1, 30, 60)?)
            }
        };
        candidate
            .or_else(|_| Orcpt::new("rfc822", "postmaster"))
            .map_err(|_| Error::IncorrectFormat)
    }
}

/// Registered parameters without a typed field: RFC 4865 (`HOLDFOR`, `HOLDUNTIL`), RFC 2852
/// (`BY`), RFC 3885 (`MTRK`), RFC 7293 (`RRVS`).
const OTHER_KEYWORDS: [&str; 5] = ["HOLDFOR", "HOLDUNTIL", "BY", "MTRK", "RRVS"];

/// `esmtp-value = 1*(%d33-60 / %d62-126)` (RFC 5321 s4.1.2): printable ASCII but `=`.
fn esmtp_value_char(u: &mut Unstructured<'_>) -> Result<char> {
    let index = u.int_in_range(0..=92u8)?;
    Ok(char::from(if index < 28 {
        b'!' + index
    } else {
        b'>' + (index - 28)
    }))
}

/// A raw parameter, keyword and optional value:
///
/// ```text
/// esmtp-param   = esmtp-keyword ["=" esmtp-value]   ; RFC 5321 s4.1.2
/// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// ```
/// Never a keyword with a typed field (such a keyword gets an `X-` in front). At most 11
/// octets of keyword and 16 of value, so that two fit any MAIL or RCPT line.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for EsmtpParam {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut keyword = match u.int_in_range(0..=3u8)? {
            0 => String::from(*u.choose(&OTHER_KEYWORDS)?),
            1 => String::from("X-"),
            _ => String::new(),
        };
        if keyword.is_empty() || keyword == "X-" {
            keyword.push(one_of(u, LET_DIG)?);
            for _ in 0..u.int_in_range(0..=8)? {
                keyword.push(if chance(u, 15)? {
                    '-'
                } else {
                    one_of(u, LET_DIG)?
                });
            }
        }
        // A raw parameter may not reuse a typed field's keyword.
        if is_typed_keyword(&keyword) {
            keyword.insert_str(0, "X-");
        }
        let value = if u.arbitrary()? {
            let mut value = String::new();
            for _ in 0..count(u, 1, 8, 16)? {
                value.push(esmtp_value_char(u)?);
            }
            Some(value)
        } else {
            None
        };
        EsmtpParam::new(&keyword, value.as_deref())
            .or_else(|_| EsmtpParam::new("X-FUZZ", None))
            .map_err(|_| Error::IncorrectFormat)
    }
}

/// A size in octets: mostly realistic, sometimes anything up to `u64::MAX`.
fn size(u: &mut Unstructured<'_>) -> Result<u64> {
    if chance(u, 25)? {
        u.arbitrary()
    } else {
        u.int_in_range(0..=64 << 20)
    }
}

/// `ENVID=` (RFC 3461 s4.4): printable ASCII without spaces, at most 33 characters, which
/// stay within the 100 of the RFC once xtext-encoded (3 each at worst).
fn envid(u: &mut Unstructured<'_>) -> Result<String> {
    let chars = count(u, 1, 12, 33)?;
    let mut envid = String::with_capacity(chars);
    for _ in 0..chars {
        envid.push(ascii_in(u, b'!', b'~')?);
    }
    Ok(envid)
}

/// The longest `AUTH=` value kept, in octets of xtext. The longest MAIL line around it holds
/// a 256-octet path, BODY, REQUIRETLS, MT-PRIORITY, two raw parameters, ENVID and RET (which
/// bring 116 octets and an allowance of 100): 620 octets would still fit its limit of
/// 512 + 500 + 100 (RFC 5321 s4.5.3.1.4, RFC 4954 s5, RFC 3461 s4); 600 leave a margin.
const MAX_AUTH_XTEXT: usize = 600;

/// Each parameter about half of the time (SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH, REQUIRETLS,
/// MT-PRIORITY, and up to two raw ones), short enough to fit a MAIL line with any path: an
/// `AUTH=` mailbox over 600 octets of xtext becomes `AUTH=<>`.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for MailParams {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut params = MailParams::default();
        if u.arbitrary()? {
            params.size = Some(size(u)?);
        }
        if u.arbitrary()? {
            params.body = Some(u.arbitrary()?);
        }
        params.smtputf8 = u.arbitrary()?;
        if u.arbitrary()? {
            params.ret = Some(u.arbitrary()?);
        }
        if u.arbitrary()? {
            params.envid = Some(envid(u)?);
        }
        if chance(u, 30)? {
            params.auth = Some(match ReversePath::arbitrary(u)? {
                ReversePath::Mailbox(mailbox)
                    if xtext::encoded_len(mailbox.as_str().as_bytes()) > MAX_AUTH_XTEXT =>
                {
                    ReversePath::Null
                }
                submitter => submitter,
            });
        }
        params.requiretls = u.arbitrary()?;
        if u.arbitrary()? {
            // RFC 6710 s2: -9 to 9.
            params.mt_priority = Some(u.int_in_range(-9..=9)?);
        }
        for _ in 0..u.int_in_range(0..=2)? {
            params.other.push(u.arbitrary()?);
        }
        Ok(params)
    }
}

/// NOTIFY and ORCPT each about half of the time, and up to two raw parameters.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for RcptParams {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut params = RcptParams::default();
        if u.arbitrary()? {
            params.notify = Some(u.arbitrary()?);
        }
        if u.arbitrary()? {
            params.orcpt = Some(u.arbitrary()?);
        }
        for _ in 0..u.int_in_range(0..=2)? {
            params.other.push(u.arbitrary()?);
        }
        Ok(params)
    }
}

/// Every mechanism this crate names, in [`Mechanism::from_name`]'s table.
const KNOWN_MECHANISMS: [Mechanism; 16] = [
    Mechanism::Plain,
    Mechanism::Login,
    Mechanism::XOAuth2,
    Mechanism::OAuthBearer,
    Mechanism::CramMd5,
    Mechanism::ScramSha256,
    Mechanism::ScramSha256Plus,
    Mechanism::ScramSha1,
    Mechanism::ScramSha1Plus,
    Mechanism::DigestMd5,
    Mechanism::CramSha1,
    Mechanism::Gssapi,
    Mechanism::Ntlm,
    Mechanism::External,
    Mechanism::Anonymous,
    Mechanism::XOAuth,
];

/// A known mechanism four times in five, else a name of 1 to 20 of `A-Z 0-9 - _` in any case
/// (RFC 4422 s3.1) read by [`Mechanism::from_name`], so it is upper-cased and may turn out
/// known.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Mechanism {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        if !chance(u, 20)? {
            return Ok(u.choose(&KNOWN_MECHANISMS)?.clone());
        }
        let mut name = String::new();
        for _ in 0..u.int_in_range(1..=20)? {
            name.push(match u.int_in_range(0..=15u8)? {
                0 => '-',
                1 => '_',
                _ => one_of(u, LET_DIG)?,
            });
        }
        Ok(Mechanism::from_name(name.as_bytes()).unwrap_or(Mechanism::Plain))
    }
}

/// Any of the seventeen kinds of line.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Verb {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&Verb::ALL)?)
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// Control characters the writer lets through in a text argument (all but CR, LF and NUL).
const CONTROLS: &[u8] = b"\x01\x07\x08\x0b\x0c\x1b\x7f";

/// The argument of VRFY, EXPN, HELP and NOOP: 1 to 40 characters, mostly printable ASCII,
/// with tabs, UTF-8 letters and now and then another control character. The writer refuses
/// only CR, LF and NUL, and the parser reads the rest of the line as it is.
fn argument(u: &mut Unstructured<'_>) -> Result<String> {
    let chars = count(u, 1, 16, 40)?;
    let mut text = String::with_capacity(chars);
    for _ in 0..chars {
        text.push(match u.int_in_range(0..=29u8)? {
            29 => one_of(u, CONTROLS)?,
            28 => '\t',
            25..=27 => non_ascii_letter(u)?,
            _ => ascii_in(u, b' ', b'~')?,
        });
    }
    Ok(text)
}

/// The longest decoded initial response that keeps `AUTH <20-character name> <base64>` within
/// 512 octets (RFC 4954 s4): 300 octets are 400 in base64.
const MAX_INITIAL_RESPONSE: usize = 300;

/// Room kept on an envelope's MAIL line for what the engine adds without an allowance of its
/// own: ` BODY=8BITMIME` (14 octets; SIZE and SMTPUTF8 bring their allowance).
const ENGINE_MAIL_ROOM: usize = 16;

/// The MAIL line of `from` and `params` writes within its RFC length (RFC 5321 s4.5.3.1.4
/// plus the extensions' allowances) with `room` octets to spare.
fn mail_fits(from: &ReversePath, params: &MailParams, room: usize) -> bool {
    let mut line = Vec::new();
    match write_mail(from, params, &mut line) {
        Ok(()) => line.len() + room <= RFC_COMMAND_LINE_LENGTH + params.line_allowance(),
        Err(CommandError::LineTooLong { .. }) => false,
        // Any other refusal is a bug in the generator: keep the value, so the tests see it.
        Err(_) => true,
    }
}

/// MAIL parameters that fit a line with `from` and `room` to spare: as generated, else
/// without `AUTH=`, else none. Generated parameters always fit with no room ([`MailParams`]);
/// for an envelope's room the first fallback can be taken.
fn fit_mail_params(from: &ReversePath, mut params: MailParams, room: usize) -> MailParams {
    if mail_fits(from, &params, room) {
        return params;
    }
    params.auth = None;
    if mail_fits(from, &params, room) {
        params
    } else {
        MailParams::default()
    }
}

/// RCPT parameters that fit a line with `to`, else none. With the bounds above they always
/// fit (path 256, NOTIFY 31, ORCPT 507 and two raw parameters 60, within 1012); the check
/// keeps that true if the bounds change.
fn fit_rcpt_params(to: &ForwardPath, params: RcptParams) -> RcptParams {
    match write_rcpt(to, &params, &mut Vec::new()) {
        Err(CommandError::LineTooLong { .. }) => RcptParams::default(),
        _ => params,
    }
}

/// Any command line a client may write, SASL lines included, every verb: MAIL and RCPT most
/// often, with their parameters. The line always writes within its RFC length (RFC 5321
/// s4.5.3.1.4 with the extensions' allowances; RFC 4954 s4 for SASL).
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Command {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=20u8)? {
            0 => Command::Ehlo(u.arbitrary()?),
            1 => Command::Helo(u.arbitrary()?),
            2 => Command::Lhlo(u.arbitrary()?),
            3..=5 => {
                let from = ReversePath::arbitrary(u)?;
                let params = MailParams::arbitrary(u)?;
                let params = fit_mail_params(&from, params, 0);
                Command::Mail { from, params }
            }
            6..=8 => {
                let to = ForwardPath::arbitrary(u)?;
                let params = fit_rcpt_params(&to, RcptParams::arbitrary(u)?);
                Command::Rcpt { to, params }
            }
            9 => Command::Data,
            10 => Command::Bdat {
                size: size(u)?,
                last: u.arbitrary()?,
            },
            11 => Command::Rset,
            12 => Command::Vrfy(argument(u)?),
            13 => Command::Expn(argument(u)?),
            14 => Command::Help(if u.arbitrary()? {
                Some(argument(u)?)
            } else {
                None
            }),
            15 => Command::Noop(if u.arbitrary()? {
                Some(argument(u)?)
            } else {
                None
            }),
            16 => Command::Quit,
            17 => Command::StartTls,
            18 => Command::Auth {
                mechanism: u.arbitrary()?,
                initial_response: if u.arbitrary()? {
                    Some(Secret::new(some_bytes(u, MAX_INITIAL_RESPONSE)?))
                } else {
                    None
                },
            },
            19 => Command::AuthResponse(Secret::new(some_bytes(u, 1024)?)),
            _ => Command::AuthCancel,
        })
    }
}

/// A sender, one to eight recipients (up to 32 now and then) with their RCPT parameters, and
/// MAIL parameters other than SIZE, BODY and SMTPUTF8, which the engine sets. Every MAIL and
/// RCPT line fits with room for what the engine adds.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Envelope {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let from = ReversePath::arbitrary(u)?;
        let recipients = count(u, 1, 8, 32)?;
        let mut to = Vec::with_capacity(recipients);
        for _ in 0..recipients {
            let path = ForwardPath::arbitrary(u)?;
            let params = fit_rcpt_params(&path, RcptParams::arbitrary(u)?);
            to.push((path, params));
        }
        let mut params = MailParams::arbitrary(u)?;
        params.size = None;
        params.body = None;
        params.smtputf8 = false;
        let mut envelope = Envelope::new(from, []);
        envelope.mail_params = fit_mail_params(&envelope.from, params, ENGINE_MAIL_ROOM);
        envelope.to = to;
        Ok(envelope)
    }
}
