//! Addresses: domains, address literals, hosts, local parts, mailboxes and paths
//! (RFC 5321 s4.1.2 and s4.1.3, with the UTF-8 forms of RFC 6531 s3.3).

use std::net::{Ipv4Addr, Ipv6Addr};

use ::arbitrary::{Arbitrary, Error, Result, Unstructured};

use super::{LET_DIG, ascii_in, chance, count, non_ascii_letter, one_of};
use crate::address::{
    AddressLiteral, Domain, ForwardPath, GeneralLiteral, Host, LocalPart, MAX_DOMAIN_LENGTH,
    MAX_LOCAL_PART_LENGTH, Mailbox, ReversePath,
};

/// RFC 1035 s2.3.4: labels are 63 octets or less.
const MAX_LABEL_LENGTH: usize = 63;

/// The `atext` specials (RFC 5322 s3.2.3), which a dot-string may hold besides letters and
/// digits.
const ATEXT_SPECIALS: &[u8] = b"!#$%&'*+-/=?^_`{|}~";

/// A `sub-domain` of at most `budget` octets (at least 1):
///
/// ```text
/// sub-domain = Let-dig [Ldh-str]                 ; RFC 5321 s4.1.2
/// Ldh-str    = *( ALPHA / DIGIT / "-" ) Let-dig
/// sub-domain =/ U-label                          ; RFC 6531 s3.3
/// ```
fn label(u: &mut Unstructured<'_>, budget: usize) -> Result<String> {
    let utf8 = chance(u, 20)?;
    let chars = count(u, 1, 12, MAX_LABEL_LENGTH)?;
    let mut label = String::new();
    for i in 0..chars {
        let inner = i > 0 && i + 1 < chars;
        let c = match u.int_in_range(0..=7u8)? {
            0 if inner => '-',
            1 | 2 if utf8 => non_ascii_letter(u)?,
            _ => one_of(u, LET_DIG)?,
        };
        if label.len() + c.len_utf8() > budget {
            break;
        }
        label.push(c);
    }
    // Cut short by the budget, the label may end in a hyphen, which Ldh-str forbids.
    while label.ends_with('-') {
        label.pop();
    }
    if label.is_empty() {
        label.push('a');
    }
    Ok(label)
}

/// A domain name of one or more labels, at most 255 octets (RFC 5321 s4.5.3.1.2).
fn domain_name(u: &mut Unstructured<'_>) -> Result<String> {
    let labels = count(u, 1, 4, 8)?;
    let mut name = String::new();
    for _ in 0..labels {
        let dot = usize::from(!name.is_empty());
        let room = MAX_DOMAIN_LENGTH.saturating_sub(name.len() + dot);
        if room == 0 {
            break;
        }
        let label = label(u, room.min(MAX_LABEL_LENGTH))?;
        if dot == 1 {
            name.push('.');
        }
        name.push_str(&label);
    }
    Ok(name)
}

/// ASCII letters and digits, U-labels now and then, 1 to 8 labels.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Domain {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let name = domain_name(u)?;
        Domain::parse(&name)
            .or_else(|_| Domain::parse("example.org"))
            .map_err(|_| Error::IncorrectFormat)
    }
}

/// `dcontent = %d33-90 / %d94-126` (RFC 5321 s4.1.3).
fn dcontent(u: &mut Unstructured<'_>) -> Result<char> {
    let index = u.int_in_range(0..=90u8)?;
    Ok(char::from(if index < 58 {
        b'!' + index
    } else {
        b'^' + (index - 58)
    }))
}

/// ```text
/// General-address-literal = Standardized-tag ":" 1*dcontent   ; RFC 5321 s4.1.3
/// Standardized-tag        = Ldh-str
/// ```
/// The tag is never `IPv6` (that literal has its own form).
fn general_literal(u: &mut Unstructured<'_>) -> Result<AddressLiteral> {
    let mut tag = String::from(if u.arbitrary()? { "x-" } else { "" });
    let tag_chars = u.int_in_range(1..=8)?;
    for i in 0..tag_chars {
        let c = if i + 1 < tag_chars && chance(u, 15)? {
            '-'
        } else {
            one_of(u, LET_DIG)?
        };
        tag.push(c);
    }
    let content_chars = count(u, 1, 16, 40)?;
    let mut content = String::with_capacity(content_chars);
    for _ in 0..content_chars {
        content.push(dcontent(u)?);
    }
    Ok(
        AddressLiteral::general(&tag, &content)
            .unwrap_or(AddressLiteral::Ipv4(Ipv4Addr::LOCALHOST)),
    )
}

/// IPv6 addresses in the shapes that print differently (RFC 5952): any 128 bits, runs of
/// zero groups (written `::`), IPv4-mapped (`::ffff:192.0.2.1`), and the documentation prefix.
fn ipv6(u: &mut Unstructured<'_>) -> Result<Ipv6Addr> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u.arbitrary()?),
        1 => Ipv6Addr::from(u.arbitrary::<u128>()?),
        2 => {
            let mut groups = [0u16; 8];
            for group in &mut groups {
                if u.arbitrary()? {
                    *group = u.arbitrary()?;
                }
            }
            Ipv6Addr::from(groups)
        }
        _ => Ipv4Addr::from(u.arbitrary::<u32>()?).to_ipv6_mapped(),
    })
}

/// `[192.0.2.1]`, `[IPv6:...]` or `[tag:content]` (RFC 5321 s4.1.3).
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for AddressLiteral {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0..=2u8)? {
            0 => AddressLiteral::Ipv4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
            1 => AddressLiteral::Ipv6(ipv6(u)?),
            _ => general_literal(u)?,
        })
    }
}

/// The general form `[tag:content]` of RFC 5321 s4.1.3.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for GeneralLiteral {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        match general_literal(u)? {
            AddressLiteral::General(general) => Ok(general),
            // `general_literal` falls back to IPv4 only when the tag or content was refused.
            _ => match AddressLiteral::general("x-fuzz", "0") {
                Ok(AddressLiteral::General(general)) => Ok(general),
                _ => Err(Error::IncorrectFormat),
            },
        }
    }
}

/// A domain four times in five, else an address literal.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Host {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if chance(u, 20)? {
            Host::Literal(u.arbitrary()?)
        } else {
            Host::Domain(u.arbitrary()?)
        })
    }
}

/// A character of an `Atom` (RFC 5321 s4.1.2, `atext` of RFC 5322 s3.2.3 and RFC 6531 s3.3).
fn atext(u: &mut Unstructured<'_>, utf8: bool) -> Result<char> {
    match u.int_in_range(0..=9u8)? {
        8 | 9 if utf8 => non_ascii_letter(u),
        6 | 7 => one_of(u, ATEXT_SPECIALS),
        _ => one_of(u, LET_DIG),
    }
}

/// `Dot-string = Atom *("." Atom)` (RFC 5321 s4.1.2), at most 64 octets.
fn dot_string(u: &mut Unstructured<'_>, utf8: bool) -> Result<String> {
    let atoms = count(u, 1, 2, 5)?;
    let mut text = String::new();
    for _ in 0..atoms {
        let dot = usize::from(!text.is_empty());
        if text.len() + dot >= MAX_LOCAL_PART_LENGTH {
            break;
        }
        let start = text.len() + dot;
        let mut atom = String::new();
        for _ in 0..count(u, 1, 10, 40)? {
            let c = atext(u, utf8)?;
            if start + atom.len() + c.len_utf8() > MAX_LOCAL_PART_LENGTH {
                break;
            }
            atom.push(c);
        }
        if atom.is_empty() {
            break;
        }
        if dot == 1 {
            text.push('.');
        }
        text.push_str(&atom);
    }
    if text.is_empty() {
        text.push('u');
    }
    Ok(text)
}

/// What a `Quoted-string` may hold once decoded: any printable ASCII (`"` and `\` are written
/// with a backslash) and UTF-8 letters (RFC 5321 s4.1.2 `QcontentSMTP`, RFC 6531 s3.3).
/// At most 64 octets once quoted.
fn quoted_content(u: &mut Unstructured<'_>) -> Result<String> {
    let mut content = String::new();
    // The two quotes.
    let mut wire = 2;
    for _ in 0..count(u, 0, 12, 40)? {
        let c = if chance(u, 15)? {
            non_ascii_letter(u)?
        } else {
            ascii_in(u, b' ', b'~')?
        };
        let octets = c.len_utf8() + usize::from(matches!(c, '"' | '\\'));
        if wire + octets > MAX_LOCAL_PART_LENGTH {
            break;
        }
        wire += octets;
        content.push(c);
    }
    Ok(content)
}

/// Dot-strings, ASCII or UTF-8, and quoted strings with any printable content (empty too),
/// made by [`LocalPart::from_content`], so a content that can be a dot-string is one.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for LocalPart {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let content = match u.int_in_range(0..=4u8)? {
            0..=2 => dot_string(u, false)?,
            3 => dot_string(u, true)?,
            _ => quoted_content(u)?,
        };
        LocalPart::from_content(&content)
            .or_else(|_| LocalPart::parse("postmaster"))
            .map_err(|_| Error::IncorrectFormat)
    }
}

/// A local part and a host. When `<local@host>` would be over the 256 octets of
/// RFC 5321 s4.5.3.1.3, the host becomes `[127.0.0.1]`.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Mailbox {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let local_part = LocalPart::arbitrary(u)?;
        let host = Host::arbitrary(u)?;
        Mailbox::new(local_part.clone(), host)
            .or_else(|_| Mailbox::new(local_part, Host::Literal(Ipv4Addr::LOCALHOST.into())))
            .map_err(|_| Error::IncorrectFormat)
    }
}

/// `<>` one time in seven, else a mailbox (RFC 5321 s4.1.2 `Reverse-path`).
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for ReversePath {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.int_in_range(0..=6u8)? == 6 {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(u.arbitrary()?)
        })
    }
}

/// `<Postmaster>` one time in seven, else a mailbox (RFC 5321 s4.1.1.3).
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for ForwardPath {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.int_in_range(0..=6u8)? == 6 {
            ForwardPath::Postmaster
        } else {
            ForwardPath::Mailbox(u.arbitrary()?)
        })
    }
}
