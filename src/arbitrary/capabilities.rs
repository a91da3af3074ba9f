//! EHLO keywords and [`Capabilities`], read by the crate's own parser from a generated EHLO
//! reply (RFC 5321 s4.1.1.1, the IANA "SMTP Service Extensions" registry).

use ::arbitrary::{Arbitrary, Error, Result, Unstructured};

use super::{LET_DIG, ascii_in, chance, one_of};
use crate::address::{AddressLiteral, Domain};
use crate::auth::Mechanism;
use crate::capabilities::{Capabilities, FutureRelease, Keyword, TransactionLimits};
use crate::reply::{Reply, ReplyCode};

/// Any keyword this crate knows.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Keyword {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&Keyword::ALL)?)
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(1))
    }
}

/// The keywords that take parameters, each generated on its own line below.
const WITH_PARAMS: [Keyword; 6] = [
    Keyword::Size,
    Keyword::Auth,
    Keyword::DeliverBy,
    Keyword::MtPriority,
    Keyword::FutureRelease,
    Keyword::Limits,
];

/// What a generated EHLO reply offers, as the parser should read it back.
#[derive(Debug, Clone, Default)]
pub(super) struct EhloOffer {
    /// The server name on the first line: a domain or an address literal with its brackets.
    pub(super) name: String,
    /// The rest of the first line.
    pub(super) greeting: String,
    /// Every keyword advertised, parameters or not.
    pub(super) keywords: Vec<Keyword>,
    /// The `SIZE` value, when one was given (0 means no fixed limit, RFC 1870 s4).
    pub(super) size: Option<u64>,
    /// The `AUTH` mechanisms, as advertised.
    pub(super) mechanisms: Vec<Mechanism>,
    /// The `DELIVERBY` minimum, when one was given.
    pub(super) deliver_by: Option<u32>,
    /// The `MT-PRIORITY` profile, when one was given.
    pub(super) mt_priority: Option<String>,
    /// The `FUTURERELEASE` parameters.
    pub(super) future_release: Option<FutureRelease>,
    /// The `LIMITS` values.
    pub(super) limits: TransactionLimits,
    /// Keywords the crate does not know, upper case, with their parameters.
    pub(super) unknown: Vec<(String, Vec<String>)>,
}

/// A keyword as a server may spell it: keywords are case-insensitive (RFC 5321 s2.4), so now
/// and then in lower case.
fn spelled(u: &mut Unstructured<'_>, keyword: &str) -> Result<String> {
    Ok(if chance(u, 15)? {
        keyword.to_ascii_lowercase()
    } else {
        keyword.to_owned()
    })
}

/// Digits that the EHLO parser reads as a number: at most 19 of them (`SIZE`, `FUTURERELEASE`).
fn number(u: &mut Unstructured<'_>) -> Result<u64> {
    if chance(u, 20)? {
        u.int_in_range(0..=9_999_999_999_999_999_999)
    } else {
        u.int_in_range(0..=100 << 20)
    }
}

/// An `ehlo-param` word (RFC 5321 s4.1.1.1: `1*(%d33-126)`) of 1 to 12 characters.
fn param_word(u: &mut Unstructured<'_>) -> Result<String> {
    let mut word = String::new();
    for _ in 0..u.int_in_range(1..=12)? {
        word.push(ascii_in(u, b'!', b'~')?);
    }
    Ok(word)
}

/// Builds an EHLO reply and what it offers:
///
/// ```text
/// ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
///             / ( "250-" Domain [ SP ehlo-greet ] CRLF
///                 *( "250-" ehlo-line CRLF )
///                 "250" SP ehlo-line CRLF )          ; RFC 5321 s4.1.1.1
/// ehlo-line   = ehlo-keyword *( SP ehlo-param )
/// ```
/// Each keyword at most once, in any order; unknown keywords start with `X` (never `X-EXPS`,
/// which the parser reads as AUTH), so that no two words join into a known keyword.
pub(super) fn ehlo(u: &mut Unstructured<'_>) -> Result<(EhloOffer, Reply)> {
    let mut offer = EhloOffer {
        name: if chance(u, 20)? {
            AddressLiteral::arbitrary(u)?.to_string()
        } else {
            Domain::arbitrary(u)?.to_string()
        },
        ..EhloOffer::default()
    };
    let mut greeting = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        greeting.push(param_word(u)?);
    }
    offer.greeting = greeting.join(" ");
    let mut lines = Vec::new();
    for keyword in Keyword::ALL {
        if WITH_PARAMS.contains(&keyword) || !u.arbitrary::<bool>()? {
            continue;
        }
        // SEND, SOML and SAML are one keyword to the parser: advertise one of them.
        let name = if keyword == Keyword::Send {
            *u.choose(&["SEND", "SOML", "SAML"])?
        } else {
            keyword.as_str()
        };
        lines.push(spelled(u, name)?);
        offer.keywords.push(keyword);
    }
    if u.arbitrary()? {
        let mut line = spelled(u, "SIZE")?;
        if u.arbitrary()? {
            let size = number(u)?;
            line.push_str(&format!(" {size}"));
            offer.size = Some(size);
        }
        lines.push(line);
        offer.keywords.push(Keyword::Size);
    }
    if u.arbitrary()? {
        let mut line = spelled(u, "AUTH")?;
        for _ in 0..u.int_in_range(1..=4)? {
            let mechanism = Mechanism::arbitrary(u)?;
            line.push(' ');
            line.push_str(&spelled(u, mechanism.as_str())?);
            offer.mechanisms.push(mechanism);
        }
        lines.push(line);
        offer.keywords.push(Keyword::Auth);
    }
    if chance(u, 20)? {
        let mut line = spelled(u, "DELIVERBY")?;
        if u.arbitrary()? {
            let seconds: u32 = u.arbitrary()?;
            line.push_str(&format!(" {seconds}"));
            offer.deliver_by = Some(seconds);
        }
        lines.push(line);
        offer.keywords.push(Keyword::DeliverBy);
    }
    if chance(u, 20)? {
        let mut line = spelled(u, "MT-PRIORITY")?;
        if u.arbitrary()? {
            // RFC 6710 s9.3: the registered profiles; or any word.
            let profile = match u.int_in_range(0..=3u8)? {
                0 => "MIXER".to_owned(),
                1 => "STANAG4406".to_owned(),
                2 => "NSEP".to_owned(),
                _ => param_word(u)?,
            };
            line.push(' ');
            line.push_str(&profile);
            offer.mt_priority = Some(profile);
        }
        lines.push(line);
        offer.keywords.push(Keyword::MtPriority);
    }
    if chance(u, 20)? {
        // RFC 4865 s3: the longest hold in seconds and the latest release date-time.
        let release = FutureRelease {
            max_interval: number(u)?,
            max_date_time: param_word(u)?,
        };
        lines.push(format!(
            "{} {} {}",
            spelled(u, "FUTURERELEASE")?,
            release.max_interval,
            release.max_date_time
        ));
        offer.future_release = Some(release);
        offer.keywords.push(Keyword::FutureRelease);
    }
    if chance(u, 20)? {
        // RFC 9422 s3: `limit-name "=" limit-value`, values of at least 1.
        let mut line = spelled(u, "LIMITS")?;
        let slots = [
            ("RCPTMAX", &mut offer.limits.rcpt_max),
            ("MAILMAX", &mut offer.limits.mail_max),
            ("RCPTDOMAINMAX", &mut offer.limits.rcpt_domain_max),
        ];
        // Which limits: a non-empty set.
        let set = u.int_in_range(1..=7u8)?;
        for (index, (name, slot)) in slots.into_iter().enumerate() {
            if set & (1 << index) != 0 {
                let value: u32 = u.int_in_range(1..=u32::MAX)?;
                line.push_str(&format!(" {name}={value}"));
                *slot = Some(value);
            }
        }
        lines.push(line);
        offer.keywords.push(Keyword::Limits);
    }
    for _ in 0..u.int_in_range(0..=3)? {
        let mut keyword = String::from("X");
        for _ in 0..u.int_in_range(0..=10)? {
            keyword.push(if chance(u, 15)? {
                '-'
            } else {
                one_of(u, LET_DIG)?
            });
        }
        let upper = keyword.to_ascii_uppercase();
        if upper == "X-EXPS" || offer.unknown.iter().any(|(known, _)| *known == upper) {
            continue;
        }
        let mut params = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            params.push(param_word(u)?);
        }
        let mut line = keyword;
        for param in &params {
            line.push(' ');
            line.push_str(param);
        }
        lines.push(line);
        offer.unknown.push((upper, params));
    }
    // Any order (Fisher-Yates, driven by the input).
    for i in 0..lines.len().saturating_sub(1) {
        let j = i + u.choose_index(lines.len() - i)?;
        lines.swap(i, j);
    }
    let first = if offer.greeting.is_empty() {
        offer.name.clone()
    } else {
        format!("{} {}", offer.name, offer.greeting)
    };
    lines.insert(0, first);
    let reply = match Reply::new(ReplyCode::OK, None, &lines) {
        Ok(reply) => reply,
        Err(_) => {
            // A server name such as `4.5.6` reads as an enhanced code of another class,
            // which the writer refuses; name the server by its address instead.
            offer.name = String::from("[127.0.0.1]");
            offer.greeting.clear();
            lines[0].clone_from(&offer.name);
            Reply::new(ReplyCode::OK, None, &lines).map_err(|_| Error::IncorrectFormat)?
        }
    };
    Ok((offer, reply))
}

/// What the crate's parser reads from a well-formed generated EHLO reply: a server name and
/// greeting, any set of the keywords this crate knows (SIZE, AUTH, DELIVERBY, MT-PRIORITY,
/// FUTURERELEASE and LIMITS with parameters), and up to three unknown ones, with no anomaly.
#[cfg_attr(docsrs, doc(cfg(feature = "arbitrary")))]
impl<'a> Arbitrary<'a> for Capabilities {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let (_, reply) = ehlo(u)?;
        Ok(Capabilities::from_reply(&reply))
    }
}
