//! The SPF macro language (RFC 7208 s7): parsing of `macro-string`, `domain-spec` and
//! `explain-string`, and expansion.

use std::fmt;
use std::net::IpAddr;

use super::parse::{SpfErrorKind, SpfParseError};

/// A macro letter (RFC 7208 s7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacroLetter {
    /// `s`: the sender (`<sender>`).
    Sender,
    /// `l`: the local-part of the sender.
    LocalPart,
    /// `o`: the domain of the sender.
    SenderDomain,
    /// `d`: the domain being checked (`<domain>`).
    Domain,
    /// `i`: the client IP, dotted quad or dot-separated nibbles.
    Ip,
    /// `p`: the validated domain name of the client IP (discouraged).
    ValidatedName,
    /// `v`: `in-addr` or `ip6`.
    IpVersion,
    /// `h`: the HELO/EHLO domain.
    Helo,
    /// `c`: the client IP in readable form (explanations only).
    ClientIp,
    /// `r`: the receiving host's domain (explanations only).
    Receiver,
    /// `t`: the current timestamp (explanations only).
    Timestamp,
}

impl MacroLetter {
    fn from_char(c: char) -> Option<MacroLetter> {
        Some(match c.to_ascii_lowercase() {
            's' => MacroLetter::Sender,
            'l' => MacroLetter::LocalPart,
            'o' => MacroLetter::SenderDomain,
            'd' => MacroLetter::Domain,
            'i' => MacroLetter::Ip,
            'p' => MacroLetter::ValidatedName,
            'v' => MacroLetter::IpVersion,
            'h' => MacroLetter::Helo,
            'c' => MacroLetter::ClientIp,
            'r' => MacroLetter::Receiver,
            't' => MacroLetter::Timestamp,
            _ => return None,
        })
    }

    /// The lowercase letter.
    pub fn as_char(self) -> char {
        match self {
            MacroLetter::Sender => 's',
            MacroLetter::LocalPart => 'l',
            MacroLetter::SenderDomain => 'o',
            MacroLetter::Domain => 'd',
            MacroLetter::Ip => 'i',
            MacroLetter::ValidatedName => 'p',
            MacroLetter::IpVersion => 'v',
            MacroLetter::Helo => 'h',
            MacroLetter::ClientIp => 'c',
            MacroLetter::Receiver => 'r',
            MacroLetter::Timestamp => 't',
        }
    }

    /// Whether the letter may only appear in explanation text (`c`, `r`, `t`: s7.2).
    pub fn is_explanation_only(self) -> bool {
        matches!(
            self,
            MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp
        )
    }
}

/// One `%{...}` expansion (RFC 7208 s7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MacroExpand {
    /// The letter.
    pub letter: MacroLetter,
    /// Written in upper case: the value is URL-escaped (s7.3).
    pub url_escape: bool,
    /// Keep only this many right-hand parts (nonzero).
    pub keep: Option<u32>,
    /// The `r` transformer: reverse the parts.
    pub reverse: bool,
    /// The delimiters that split the value into parts (default `.`), as written.
    pub delimiters: String,
}

/// A piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MacroToken {
    /// Literal text (visible ASCII except `%`, plus spaces in explanations).
    Literal(String),
    /// A `%{...}` expansion.
    Expand(MacroExpand),
    /// `%%`: a percent sign.
    Percent,
    /// `%_`: a space.
    Space,
    /// `%-`: `%20`, an escaped space.
    EscapedSpace,
}

/// A parsed `macro-string`, `domain-spec` or `explain-string`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MacroString {
    tokens: Vec<MacroToken>,
}

/// Where a macro string is used, which decides what it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacroContext {
    /// A `domain-spec` (mechanism or `redirect`/`exp` argument): no spaces, no `c r t`, must end
    /// in a macro or a valid top label.
    DomainSpec,
    /// An unknown modifier's value: any `macro-string`.
    ModifierValue,
    /// Explanation text fetched by `exp=`: spaces and `c r t` allowed.
    Explanation,
}

impl MacroString {
    /// The pieces.
    pub fn tokens(&self) -> &[MacroToken] {
        &self.tokens
    }

    /// Whether the string has no expansion at all (a plain domain name).
    pub fn is_literal(&self) -> bool {
        self.tokens
            .iter()
            .all(|t| matches!(t, MacroToken::Literal(_)))
    }

    /// The text when it is literal.
    pub fn as_literal(&self) -> Option<String> {
        if !self.is_literal() {
            return None;
        }
        Some(
            self.tokens
                .iter()
                .map(|t| match t {
                    MacroToken::Literal(s) => s.as_str(),
                    _ => "",
                })
                .collect(),
        )
    }

    /// Whether any expansion uses `letter`.
    pub fn uses(&self, letter: MacroLetter) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, MacroToken::Expand(e) if e.letter == letter))
    }

    /// Parses `text` (starting at `offset` of the record, for errors) in `context`.
    pub(crate) fn parse(
        text: &str,
        context: MacroContext,
        term: &str,
        offset: usize,
    ) -> Result<MacroString, SpfParseError> {
        let err = |kind, at: usize| SpfParseError::new(kind, term, offset + at);
        let bytes = text.as_bytes();
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                let Some(&next) = bytes.get(i + 1) else {
                    return Err(err(SpfErrorKind::InvalidMacro, i));
                };
                let token = match next {
                    b'%' => MacroToken::Percent,
                    b'_' => MacroToken::Space,
                    b'-' => MacroToken::EscapedSpace,
                    b'{' => {
                        let close = text[i..]
                            .find('}')
                            .ok_or_else(|| err(SpfErrorKind::InvalidMacro, i))?;
                        let body = &text[i + 2..i + close];
                        let expand =
                            parse_expand(body).ok_or_else(|| err(SpfErrorKind::InvalidMacro, i))?;
                        if expand.letter.is_explanation_only()
                            && context != MacroContext::Explanation
                        {
                            return Err(err(SpfErrorKind::ExplanationOnlyMacro, i));
                        }
                        if !literal.is_empty() {
                            tokens.push(MacroToken::Literal(std::mem::take(&mut literal)));
                        }
                        tokens.push(MacroToken::Expand(expand));
                        i += close + 1;
                        continue;
                    }
                    _ => return Err(err(SpfErrorKind::InvalidMacro, i)),
                };
                if !literal.is_empty() {
                    tokens.push(MacroToken::Literal(std::mem::take(&mut literal)));
                }
                tokens.push(token);
                i += 2;
                continue;
            }
            let allowed = match context {
                MacroContext::Explanation => (0x20..=0x7e).contains(&b),
                _ => (0x21..=0x7e).contains(&b),
            };
            if !allowed {
                return Err(err(SpfErrorKind::InvalidCharacter, i));
            }
            literal.push(char::from(b));
            i += 1;
        }
        if !literal.is_empty() {
            tokens.push(MacroToken::Literal(literal));
        }
        let parsed = MacroString { tokens };
        if context == MacroContext::DomainSpec && !parsed.has_domain_end() {
            return Err(err(SpfErrorKind::InvalidDomainSpec, 0));
        }
        Ok(parsed)
    }

    /// `domain-end = ( "." toplabel [ "." ] ) / macro-expand` (RFC 7208 s7.1).
    fn has_domain_end(&self) -> bool {
        match self.tokens.last() {
            None => false,
            Some(MacroToken::Literal(tail)) => {
                let tail = tail.strip_suffix('.').unwrap_or(tail);
                match tail.rfind('.') {
                    Some(dot) => is_toplabel(&tail[dot + 1..]),
                    None => false,
                }
            }
            Some(_) => true,
        }
    }

    /// Expands the string (RFC 7208 s7.3). `p` is the validated name of the client when the
    /// caller has found it (`None` gives `unknown`).
    pub(crate) fn expand(&self, vars: &MacroVars<'_>) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                MacroToken::Literal(s) => out.push_str(s),
                MacroToken::Percent => out.push('%'),
                MacroToken::Space => out.push(' '),
                MacroToken::EscapedSpace => out.push_str("%20"),
                MacroToken::Expand(e) => {
                    let value = vars.value(e.letter);
                    let delims: &str = if e.delimiters.is_empty() {
                        "."
                    } else {
                        &e.delimiters
                    };
                    let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
                    if e.reverse {
                        parts.reverse();
                    }
                    if let Some(keep) = e.keep {
                        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
                        if keep < parts.len() {
                            parts.drain(..parts.len() - keep);
                        }
                    }
                    let joined = parts.join(".");
                    if e.url_escape {
                        url_escape(&joined, &mut out);
                    } else {
                        out.push_str(&joined);
                    }
                }
            }
        }
        out
    }
}

/// `macro-letter transformers *delimiter` between `%{` and `}`.
fn parse_expand(body: &str) -> Option<MacroExpand> {
    let mut chars = body.chars();
    let first = chars.next()?;
    let letter = MacroLetter::from_char(first)?;
    let rest = chars.as_str();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let keep = if digits_end == 0 {
        None
    } else {
        let n: u32 = rest[..digits_end].parse().ok()?;
        if n == 0 {
            return None;
        }
        Some(n)
    };
    let mut rest = &rest[digits_end..];
    let reverse = if let Some(after) = rest.strip_prefix(['r', 'R']) {
        rest = after;
        true
    } else {
        false
    };
    if !rest.chars().all(|c| ".-+,/_=".contains(c)) {
        return None;
    }
    Some(MacroExpand {
        letter,
        url_escape: first.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters: rest.to_owned(),
    })
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
pub(crate) fn is_toplabel(label: &str) -> bool {
    let bytes = label.as_bytes();
    if bytes.is_empty()
        || !bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        return false;
    }
    if bytes.contains(&b'-') {
        bytes[0].is_ascii_alphanumeric() && bytes[bytes.len() - 1].is_ascii_alphanumeric()
    } else {
        bytes.iter().any(u8::is_ascii_alphabetic)
    }
}

/// URL-escapes everything but RFC 3986's unreserved characters (RFC 7208 s7.3).
fn url_escape(text: &str, out: &mut String) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The values macros expand to.
#[derive(Debug, Clone)]
pub(crate) struct MacroVars<'a> {
    pub(crate) sender_local: &'a str,
    pub(crate) sender_domain: &'a str,
    pub(crate) domain: &'a str,
    pub(crate) ip: IpAddr,
    pub(crate) helo: &'a str,
    pub(crate) validated: Option<&'a str>,
    pub(crate) receiver: &'a str,
    pub(crate) timestamp: u64,
}

impl MacroVars<'_> {
    fn value(&self, letter: MacroLetter) -> String {
        match letter {
            MacroLetter::Sender => format!("{}@{}", self.sender_local, self.sender_domain),
            MacroLetter::LocalPart => self.sender_local.to_owned(),
            MacroLetter::SenderDomain => self.sender_domain.to_owned(),
            MacroLetter::Domain => self.domain.to_owned(),
            MacroLetter::Ip => match self.ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(_) => {
                    // Dot-separated nibbles, most significant first (s7.3).
                    let reversed = crate::records::query::reversed_labels(self.ip);
                    reversed.split('.').rev().collect::<Vec<_>>().join(".")
                }
            },
            MacroLetter::ValidatedName => self.validated.unwrap_or("unknown").to_owned(),
            MacroLetter::IpVersion => match self.ip {
                IpAddr::V4(_) => "in-addr".to_owned(),
                IpAddr::V6(_) => "ip6".to_owned(),
            },
            MacroLetter::Helo => self.helo.to_owned(),
            MacroLetter::ClientIp => self.ip.to_string(),
            MacroLetter::Receiver => self.receiver.to_owned(),
            MacroLetter::Timestamp => self.timestamp.to_string(),
        }
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for token in &self.tokens {
            match token {
                MacroToken::Literal(s) => f.write_str(s)?,
                MacroToken::Percent => f.write_str("%%")?,
                MacroToken::Space => f.write_str("%_")?,
                MacroToken::EscapedSpace => f.write_str("%-")?,
                MacroToken::Expand(e) => {
                    let letter = if e.url_escape {
                        e.letter.as_char().to_ascii_uppercase()
                    } else {
                        e.letter.as_char()
                    };
                    write!(f, "%{{{letter}")?;
                    if let Some(keep) = e.keep {
                        write!(f, "{keep}")?;
                    }
                    if e.reverse {
                        f.write_str("r")?;
                    }
                    write!(f, "{}}}", e.delimiters)?;
                }
            }
        }
        Ok(())
    }
}

/// Truncates an expanded domain name from the left, label by label, to 253 octets (s7.3).
pub(crate) fn truncate_domain(name: &str) -> &str {
    let mut name = name.strip_suffix('.').unwrap_or(name);
    while name.len() > 253 {
        match name.find('.') {
            Some(dot) => name = &name[dot + 1..],
            None => return "",
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(ip: &str) -> MacroVars<'static> {
        MacroVars {
            sender_local: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            validated: None,
            receiver: "unknown",
            timestamp: 0,
        }
    }

    fn expand(text: &str, ip: &str) -> String {
        MacroString::parse(text, MacroContext::Explanation, text, 0)
            .unwrap()
            .expand(&vars(ip))
    }

    /// The examples of RFC 7208 s7.4.
    #[test]
    fn rfc7208_section_7_4_examples() {
        let v4 = "192.0.2.3";
        assert_eq!(expand("%{s}", v4), "strong-bad@email.example.com");
        assert_eq!(expand("%{o}", v4), "email.example.com");
        assert_eq!(expand("%{d}", v4), "email.example.com");
        assert_eq!(expand("%{d4}", v4), "email.example.com");
        assert_eq!(expand("%{d3}", v4), "email.example.com");
        assert_eq!(expand("%{d2}", v4), "example.com");
        assert_eq!(expand("%{d1}", v4), "com");
        assert_eq!(expand("%{dr}", v4), "com.example.email");
        assert_eq!(expand("%{d2r}", v4), "example.email");
        assert_eq!(expand("%{l}", v4), "strong-bad");
        assert_eq!(expand("%{l-}", v4), "strong.bad");
        assert_eq!(expand("%{lr}", v4), "strong-bad");
        assert_eq!(expand("%{lr-}", v4), "bad.strong");
        assert_eq!(expand("%{l1r-}", v4), "strong");
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", v4),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp._spf.%{d2}", v4),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", v4),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", v4),
            "3.2.0.192.in-addr.strong.lp._spf.example.com"
        );
        assert_eq!(
            expand("%{d2}.trusted-domains.example.net", v4),
            "example.com.trusted-domains.example.net"
        );
        let v6 = "2001:db8::cb01";
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", v6),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn escapes_and_errors() {
        assert_eq!(expand("%%%_%-", "192.0.2.3"), "% %20");
        assert_eq!(
            expand("%{S}", "192.0.2.3"),
            "strong-bad%40email.example.com"
        );
        for bad in ["%", "%x", "%{x}", "%{d0}", "%{d", "%{d2q}"] {
            assert!(
                MacroString::parse(bad, MacroContext::Explanation, bad, 0).is_err(),
                "{bad}"
            );
        }
        assert!(MacroString::parse("%{c}.example.com", MacroContext::DomainSpec, "", 0).is_err());
        assert!(MacroString::parse("example.com", MacroContext::DomainSpec, "", 0).is_ok());
        assert!(MacroString::parse("museum", MacroContext::DomainSpec, "", 0).is_err());
        assert!(MacroString::parse("foo.1", MacroContext::DomainSpec, "", 0).is_err());
        assert!(MacroString::parse("foo.-com", MacroContext::DomainSpec, "", 0).is_err());
        assert!(MacroString::parse("foo.bar.", MacroContext::DomainSpec, "", 0).is_ok());
        assert!(MacroString::parse("%{d}", MacroContext::DomainSpec, "", 0).is_ok());
    }

    #[test]
    fn truncation() {
        let long = format!("{}.example.com", "abcdefghi.".repeat(30));
        let cut = truncate_domain(&long);
        assert!(cut.len() <= 253);
        assert!(cut.ends_with(".example.com"));
        assert!(!cut.starts_with('.'));
    }
}
