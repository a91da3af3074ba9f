//! [`Policy`]: how a policy-driven [`Server`](super::Server) behaves.

use crate::address::ForwardPath;

/// What a policy-driven [`Server`](super::Server) offers and accepts, like the configuration
/// of a real MTA.
///
/// [`Policy::new`] is an open, accept-everything ESMTP server: PIPELINING, 8BITMIME,
/// SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING and SIZE 10 MB, no TLS, no AUTH, every recipient
/// accepted. The builder methods narrow it down.
///
/// ```
/// use smtp_sansio::testing::Policy;
/// let policy = Policy::new()
///     .with_hostname("mx.example.test")
///     .with_starttls(true)
///     .with_user("alice@example.test", "s3cret")
///     .with_recipients(["bob@example.test"])
///     .with_size_limit(1_000);
/// assert!(policy.ehlo_keywords(false).contains(&"STARTTLS".to_owned()));
/// assert!(policy.ehlo_keywords(true).contains(&"AUTH PLAIN LOGIN".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub(crate) hostname: String,
    pub(crate) banner: String,
    pub(crate) extensions: Vec<String>,
    pub(crate) size_limit: Option<u64>,
    pub(crate) starttls: bool,
    pub(crate) auth_needs_tls: bool,
    pub(crate) users: Vec<(String, String)>,
    pub(crate) recipients: Option<Vec<String>>,
    pub(crate) relay_needs_auth: bool,
    pub(crate) max_recipients: usize,
    pub(crate) lmtp: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new()
    }
}

impl Policy {
    /// An open ESMTP server that accepts every recipient and message up to 10 MB.
    pub fn new() -> Policy {
        Policy {
            hostname: "mx.example.test".to_owned(),
            banner: "ESMTP ready".to_owned(),
            extensions: [
                "PIPELINING",
                "8BITMIME",
                "SMTPUTF8",
                "ENHANCEDSTATUSCODES",
                "CHUNKING",
            ]
            .map(str::to_owned)
            .to_vec(),
            size_limit: Some(10_000_000),
            starttls: false,
            auth_needs_tls: true,
            users: Vec::new(),
            recipients: None,
            relay_needs_auth: false,
            max_recipients: 100,
            lmtp: false,
        }
    }

    /// The name the server gives in its greeting and EHLO reply.
    pub fn with_hostname(mut self, hostname: impl Into<String>) -> Policy {
        self.hostname = hostname.into();
        self
    }

    /// The greeting's text after the host name (default `ESMTP ready`; an LMTP server says
    /// `LMTP ready`).
    pub fn with_banner(mut self, banner: impl Into<String>) -> Policy {
        self.banner = banner.into();
        self
    }

    /// Offers (or stops offering) an EHLO keyword line such as `"DSN"` or `"PIPELINING"`
    /// (SIZE, STARTTLS and AUTH have their own methods). The keyword is compared without
    /// regard to case.
    pub fn with_extension(mut self, line: impl Into<String>, offered: bool) -> Policy {
        let line = line.into();
        let keyword = first_word(&line).to_ascii_uppercase();
        self.extensions
            .retain(|existing| first_word(existing).to_ascii_uppercase() != keyword);
        if offered {
            self.extensions.push(line);
        }
        self
    }

    /// The SIZE the server advertises and enforces (RFC 1870); `None` offers no SIZE and
    /// takes messages of any size.
    pub fn with_size_limit(mut self, limit: impl Into<Option<u64>>) -> Policy {
        self.size_limit = limit.into();
        self
    }

    /// Offers STARTTLS (RFC 3207). The in-memory "TLS" is a marker: after the `220` the
    /// driver tells both sides that TLS is up, and the bytes stay plain.
    pub fn with_starttls(mut self, offered: bool) -> Policy {
        self.starttls = offered;
        self
    }

    /// Adds an account and offers AUTH PLAIN and LOGIN (RFC 4954, RFC 4616). By default AUTH
    /// is offered only under TLS; see [`Policy::with_auth_before_tls`].
    pub fn with_user(mut self, user: impl Into<String>, password: impl Into<String>) -> Policy {
        self.users.push((user.into(), password.into()));
        self
    }

    /// Offers AUTH on a plaintext session too (as many test servers do; RFC 4954 s4 asks for
    /// TLS before plaintext mechanisms).
    pub fn with_auth_before_tls(mut self, allowed: bool) -> Policy {
        self.auth_needs_tls = !allowed;
        self
    }

    /// Accepts only these recipients (compared without regard to case). Another recipient in
    /// one of their domains is an unknown user (`550 5.1.1`); one in another domain is a
    /// relay attempt (`554 5.7.1`), accepted only after AUTH.
    pub fn with_recipients<I, S>(mut self, recipients: I) -> Policy
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.recipients = Some(
            recipients
                .into_iter()
                .map(|r| r.as_ref().to_ascii_lowercase())
                .collect(),
        );
        self.relay_needs_auth = true;
        self
    }

    /// The most recipients one transaction may have; more get `452 4.5.3` (RFC 5321
    /// s4.5.3.1.8 says a server must take at least 100).
    pub fn with_max_recipients(mut self, max: usize) -> Policy {
        self.max_recipients = max;
        self
    }

    /// Speaks LMTP (RFC 2033): answers LHLO instead of EHLO and gives one reply per
    /// recipient after the data.
    pub fn with_lmtp(mut self, lmtp: bool) -> Policy {
        self.lmtp = lmtp;
        self
    }

    /// The EHLO keyword lines the server offers, with TLS active or not.
    pub fn ehlo_keywords(&self, tls: bool) -> Vec<String> {
        let mut lines = self.extensions.clone();
        if let Some(limit) = self.size_limit {
            lines.push(format!("SIZE {limit}"));
        }
        if self.starttls && !tls {
            lines.push("STARTTLS".to_owned());
        }
        if self.offers_auth(tls) {
            lines.push("AUTH PLAIN LOGIN".to_owned());
        }
        lines
    }

    pub(crate) fn offers_auth(&self, tls: bool) -> bool {
        !self.users.is_empty() && (tls || !self.auth_needs_tls)
    }

    pub(crate) fn offers(&self, keyword: &str) -> bool {
        self.extensions
            .iter()
            .any(|line| first_word(line).eq_ignore_ascii_case(keyword))
    }

    pub(crate) fn password_of(&self, user: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(name, _)| name == user)
            .map(|(_, password)| password.as_str())
    }

    /// What RCPT gets for `to`.
    pub(crate) fn recipient(&self, to: &ForwardPath, authenticated: bool) -> RecipientVerdict {
        let Some(known) = &self.recipients else {
            return RecipientVerdict::Accept;
        };
        let Some(mailbox) = to.mailbox() else {
            // <Postmaster> must always be accepted (RFC 5321 s4.5.1).
            return RecipientVerdict::Accept;
        };
        let address = mailbox.as_str().to_ascii_lowercase();
        if known.contains(&address) {
            return RecipientVerdict::Accept;
        }
        let domain = domain_of(&address);
        if known.iter().any(|k| domain_of(k) == domain) {
            RecipientVerdict::UnknownUser
        } else if self.relay_needs_auth && !authenticated {
            RecipientVerdict::RelayDenied
        } else {
            RecipientVerdict::Accept
        }
    }
}

/// What the policy says about one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecipientVerdict {
    Accept,
    UnknownUser,
    RelayDenied,
}

fn first_word(line: &str) -> &str {
    line.split([' ', '=']).next().unwrap_or("")
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, domain)| domain)
}
