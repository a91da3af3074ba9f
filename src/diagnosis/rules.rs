//! The rule table: which reply means which [`DiagnosisClass`], as data.
//!
//! [`RULES`] is tried top to bottom and the first rule that fits decides (the engine finds it
//! without trying every rule; see `engine.rs`). A rule fits when every filter it has fits:
//!
//! - `provider`: the reply's text carries one of the provider's fingerprints ([`FINGERPRINTS`]);
//! - `stages`: the reply answered one of these stages (a reply diagnosed at [`Stage::Any`] fits
//!   every stage filter of a word or enhanced rule, since the stage is unknown; stage-code rules
//!   need the exact stage);
//! - `codes`: the reply code (any, negative, 4xx, 5xx, or a list); when the code is unknown
//!   (text pasted without it) the enhanced code's class stands in, and a rule that lists
//!   exact codes does not fit;
//! - `enhanced`: the enhanced status code (class, subject, a detail range);
//! - `words`: at least one of these phrases occurs in the text (ASCII case-insensitive, after
//!   joining the lines with single spaces and folding runs of white space; the text is padded
//!   with a space at each end, so a leading or trailing space in a phrase marks a word edge);
//! - `also`: at least one of these phrases occurs too; `unless`: none of these occurs.
//!
//! Sections, in priority order (DIAGNOSES.md s4.10): decisive phrases; provider-private
//! enhanced codes; provider rules; phrases, grouped by what they mean; reply codes that mean one
//! thing wherever they come; enhanced status codes; reply codes at a stage. What no rule
//! decides is settled in `engine.rs` by the RFC 5321 s4.3.2 table of valid replies and then the
//! first digit.
//!
//! Phrases describe what each class MEANS, in the wordings MTAs and providers use (Postfix, Exim,
//! Sendmail, qmail, Courier, Exchange, Gmail, Yahoo, iCloud, hMailServer, MDaemon, Zimbra,
//! Dovecot, SES, SendGrid, Mailgun...). To add a wording, add it to the right rule's `words`.

use super::{Confidence, DiagnosisClass as C};
use crate::stage::Stage;

/// Which reply codes a rule accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Codes {
    /// `4yz` or `5yz` (or no code known).
    Negative,
    /// `4yz` (or, with no code, an enhanced code of class 4).
    Transient,
    /// `5yz` (or, with no code, an enhanced code of class 5).
    Permanent,
    /// Exactly these codes (a reply without a code never fits).
    Exact(&'static [u16]),
}

/// A filter on the enhanced status code: class (0 for 4 or 5), subject and a detail range.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Enhanced {
    pub(crate) class: u8,
    pub(crate) subject: u16,
    pub(crate) detail_min: u16,
    pub(crate) detail_max: u16,
}

/// `X.subject.detail` of either class.
const fn x(subject: u16, detail: u16) -> Enhanced {
    Enhanced {
        class: 0,
        subject,
        detail_min: detail,
        detail_max: detail,
    }
}

/// `class.subject.detail` exactly.
const fn e(class: u8, subject: u16, detail: u16) -> Enhanced {
    Enhanced {
        class,
        subject,
        detail_min: detail,
        detail_max: detail,
    }
}

/// `class.subject.min` to `class.subject.max` (class 0 for either).
const fn range(class: u8, subject: u16, detail_min: u16, detail_max: u16) -> Enhanced {
    Enhanced {
        class,
        subject,
        detail_min,
        detail_max,
    }
}

/// A set of stages as bits of `1 << stage`.
pub(crate) type Stages = u16;

pub(crate) const fn bit(stage: Stage) -> Stages {
    1 << stage as u16
}

const GREETING: Stages = bit(Stage::Greeting);
const EHLO: Stages = bit(Stage::Ehlo);
const STARTTLS: Stages = bit(Stage::StartTls);
const AUTH: Stages = bit(Stage::Auth);
const MAIL: Stages = bit(Stage::Mail);
const RCPT: Stages = bit(Stage::Rcpt);
const DATA: Stages = bit(Stage::Data);
const DATA_END: Stages = bit(Stage::DataEnd);
const QUIT: Stages = bit(Stage::Quit);
const ANY: Stages = bit(Stage::Any);

/// Providers recognised from the reply text, as bits.
pub(crate) type Providers = u32;

pub(crate) const GOOGLE: Providers = 1 << 0;
pub(crate) const MICROSOFT: Providers = 1 << 1;
pub(crate) const YAHOO: Providers = 1 << 2;
pub(crate) const APPLE: Providers = 1 << 3;
pub(crate) const COMCAST: Providers = 1 << 4;
pub(crate) const MIMECAST: Providers = 1 << 5;
pub(crate) const PROOFPOINT: Providers = 1 << 6;
pub(crate) const BARRACUDA: Providers = 1 << 7;
pub(crate) const ZOHO: Providers = 1 << 8;
pub(crate) const TENCENT: Providers = 1 << 9;
pub(crate) const GMX: Providers = 1 << 10;

/// Text that names the provider that wrote a reply (trailers, help links, banner names).
pub(crate) const FINGERPRINTS: &[(&str, Providers)] = &[
    ("gsmtp", GOOGLE),
    ("google.com", GOOGLE),
    ("google's", GOOGLE),
    ("gmail", GOOGLE),
    ("outlook.com", MICROSOFT),
    ("office365", MICROSOFT),
    ("microsoft", MICROSOFT),
    ("hotmail", MICROSOFT),
    ("aka.ms/", MICROSOFT),
    ("postmaster.live.com", MICROSOFT),
    ("resolver.adr", MICROSOFT),
    ("resolver.rst", MICROSOFT),
    ("eop-", MICROSOFT),
    ("yahoo", YAHOO),
    ("aol.com", YAHOO),
    ("yahoodns", YAHOO),
    ("[ts0", YAHOO),
    ("[tss0", YAHOO),
    ("[ipts0", YAHOO),
    ("[gl01]", YAHOO),
    ("[bl2", YAHOO),
    ("[ph0", YAHOO),
    ("icloud", APPLE),
    ("apple.com", APPLE),
    ("iscream", APPLE),
    ("[cs0", APPLE),
    ("[hme", APPLE),
    ("comcast", COMCAST),
    ("mimecast", MIMECAST),
    ("proofpoint", PROOFPOINT),
    ("pphosted", PROOFPOINT),
    ("barracuda", BARRACUDA),
    ("zoho", ZOHO),
    ("qq.com", TENCENT),
    ("tencent", TENCENT),
    ("exmail", TENCENT),
    ("gmx", GMX),
    ("web.de", GMX),
    ("nemesis", GMX),
];

/// One row of the table; see the module documentation for what each filter means.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub(crate) id: &'static str,
    pub(crate) class: C,
    pub(crate) confidence: Confidence,
    pub(crate) provider: Providers,
    pub(crate) stages: Stages,
    pub(crate) exact_stage: bool,
    pub(crate) codes: Codes,
    pub(crate) enhanced: Option<Enhanced>,
    pub(crate) words: &'static [&'static str],
    pub(crate) also: &'static [&'static str],
    pub(crate) unless: &'static [&'static str],
}

/// A rule on phrases: fits negative replies (or text without a code) at any stage.
const fn words(id: &'static str, class: C, words: &'static [&'static str]) -> Rule {
    Rule {
        id,
        class,
        confidence: Confidence::High,
        provider: 0,
        stages: 0,
        exact_stage: false,
        codes: Codes::Negative,
        enhanced: None,
        words,
        also: &[],
        unless: &[],
    }
}

/// A rule on the enhanced status code alone.
const fn enhanced(id: &'static str, class: C, filter: Enhanced) -> Rule {
    Rule {
        enhanced: Some(filter),
        confidence: Confidence::Medium,
        ..words(id, class, &[])
    }
}

/// A rule on reply codes that mean one thing at any stage.
const fn code(id: &'static str, class: C, codes: &'static [u16]) -> Rule {
    Rule {
        codes: Codes::Exact(codes),
        confidence: Confidence::Medium,
        ..words(id, class, &[])
    }
}

/// A rule on reply codes at exactly these stages.
const fn at_stage(id: &'static str, class: C, stages: Stages, codes: &'static [u16]) -> Rule {
    Rule {
        stages,
        exact_stage: true,
        codes: Codes::Exact(codes),
        confidence: Confidence::Low,
        ..words(id, class, &[])
    }
}

impl Rule {
    const fn at(mut self, stages: Stages) -> Rule {
        self.stages = stages;
        self
    }
    const fn codes(mut self, codes: Codes) -> Rule {
        self.codes = codes;
        self
    }
    const fn transient(self) -> Rule {
        self.codes(Codes::Transient)
    }
    const fn permanent(self) -> Rule {
        self.codes(Codes::Permanent)
    }
    const fn exact(self, codes: &'static [u16]) -> Rule {
        self.codes(Codes::Exact(codes))
    }
    const fn also(mut self, words: &'static [&'static str]) -> Rule {
        self.also = words;
        self
    }
    const fn unless(mut self, words: &'static [&'static str]) -> Rule {
        self.unless = words;
        self
    }
    const fn by(mut self, provider: Providers) -> Rule {
        self.provider = provider;
        self
    }
    const fn medium(mut self) -> Rule {
        self.confidence = Confidence::Medium;
        self
    }
    const fn low(mut self) -> Rule {
        self.confidence = Confidence::Low;
        self
    }
    /// A stage filter that [`Stage::Any`] does not pass (the words only mean this class at
    /// these stages).
    const fn strict(mut self) -> Rule {
        self.exact_stage = true;
        self
    }
    const fn with_enhanced(mut self, filter: Enhanced) -> Rule {
        self.enhanced = Some(filter);
        self
    }
    const fn high(mut self) -> Rule {
        self.confidence = Confidence::High;
        self
    }
}

/// Words that make a Yahoo deferral code a block-list listing.
const YAHOO_LISTED: &[&str] = &["spamhaus", "blocklist", "blacklist", "block list", "dnsbl"];

/// At MAIL the words of a rule without a stage filter are about the sender (DIAGNOSES.md
/// s4.9c: "at MAIL, 'mailbox' and 'domain' are the sender's"): a recipient-side class such a
/// rule gives becomes its sender-side twin, unless the text names the recipient
/// ([`NAMES_RECIPIENT`]). "550 5.1.1 User unknown" to MAIL FROM refuses the sender.
pub(crate) const SENDER_SIDE_AT_MAIL: &[(C, C)] = &[
    (C::RecipientUnknown, C::SenderRejected),
    (C::RecipientDomainNotFound, C::SenderDomainUnresolvable),
    (C::MailboxDisabled, C::AccountDisabled),
    (C::MailboxFull, C::SendingQuotaExceeded),
];

/// Words that keep a recipient-side class at MAIL: the text says it is about a recipient.
pub(crate) const NAMES_RECIPIENT: &[&str] = &["recipient", "rcpt", "addressee", "forward-path"];

/// Every rule, highest priority first.
#[rustfmt::skip]
pub(crate) static RULES: &[Rule] = &[
    // ================= Decisive phrases: they override everything below =================
    // "blocked using zen.spamhaus.org; Error: open resolver": the RECEIVER's lookups are refused.
    words("text:open resolver", C::DnsblQueryRefused, &[
        "open resolver", "/returnc/", "open dns resolver", "public resolver",
    ]),
    words("text:smtp auth disabled", C::AuthDisabledByPolicy, &[
        "smtpclientauthentication is disabled", "basic authentication is disabled",
        "smtp auth is disabled", "smtp authentication is disabled", "smtp_auth_disabled",
        "authenticated smtp is disabled", "smtp client authentication is disabled",
        "basic auth is disabled", "basic authentication has been disabled",
    ]),
    words("text:tls version", C::TlsVersionUnsupported, &[
        "tls 1.0 and 1.1", "tls 1.0 and tls 1.1", "tls versions 1.0 and 1.1",
        "support tls 1.2", "unsupported tls version", "tls version is not supported",
        "tls version not supported", "requires tls 1.2", "tls 1.2 or higher",
        "tls1.0 and tls1.1",
    ]),
    words("text:sender verify failed", C::SenderRejected, &[
        "sender verify failed", "verification failed for", "sender verification failed",
        "could not verify sender", "sender callout", "unverified sender",
        "could not complete sender verify", "sender address verification",
    ]),
    // ================= Provider-private enhanced codes (no IANA meaning this high) =============
    enhanced("enhanced:5.7.139", C::AuthDisabledByPolicy, x(7, 139)).high(),
    enhanced("enhanced:5.7.57", C::AuthRequired, x(7, 57)).high(),
    enhanced("enhanced:5.7.60", C::SenderNotPermitted, x(7, 60)).high(),
    enhanced("enhanced:5.2.252", C::SenderNotPermitted, x(2, 252)).high(),
    enhanced("enhanced:5.7.750", C::SenderNotPermitted, x(7, 750)).high(),
    enhanced("enhanced:5.1.90", C::SendingQuotaExceeded, x(1, 90)).high(),
    enhanced("enhanced:5.2.121-122", C::RateLimited, range(0, 2, 121, 122)).high(),
    enhanced("enhanced:4.7.66", C::TlsVersionUnsupported, x(7, 66)).high(),
    enhanced("enhanced:4.7.500-699", C::RateLimited, range(4, 7, 500, 699)).high()
        .unless(&["number of connections", "too many connections", "concurrent connections"]),
    enhanced("enhanced:5.7.501-503", C::AccountDisabled, range(5, 7, 501, 503)),
    enhanced("enhanced:5.7.506", C::HeloRejected, x(7, 506)).high(),
    enhanced("enhanced:5.7.509", C::SenderAuthPolicy, x(7, 509)).high(),
    enhanced("enhanced:5.7.511", C::IpBlocklisted, x(7, 511)),
    enhanced("enhanced:5.7.512", C::MessageNoncompliant, x(7, 512)).high(),
    enhanced("enhanced:5.7.515", C::SenderAuthPolicy, x(7, 515)).high(),
    enhanced("enhanced:5.7.606-649", C::IpBlocklisted, range(5, 7, 606, 649)).high(),
    enhanced("enhanced:5.7.700-749", C::IpReputationBlock, range(5, 7, 700, 749)),
    enhanced("enhanced:5.7.124", C::RecipientRestricted, x(7, 124)).high(),
    enhanced("enhanced:5.7.133-136", C::RecipientRestricted, range(5, 7, 133, 136)).high(),
    enhanced("enhanced:5.7.64", C::RelayDenied, x(7, 64)),
    enhanced("enhanced:5.4.14", C::MailLoop, x(4, 14)).high(),
    // ================= Provider rules (fingerprinted from the text) =================
    enhanced("provider:gmail:x.7.26", C::SenderAuthPolicy, x(7, 26))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.27", C::SenderAuthPolicy, x(7, 27))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.30", C::SenderAuthPolicy, x(7, 30))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.32", C::SenderAuthPolicy, x(7, 32))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:4.7.28", C::RateLimited, e(4, 7, 28))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:5.7.28", C::IpReputationBlock, e(5, 7, 28))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.29", C::TlsRequired, x(7, 29))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.23", C::ReverseDnsRequired, x(7, 23))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.25", C::ReverseDnsRequired, x(7, 25))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:5.4.5", C::SendingQuotaExceeded, e(5, 4, 5))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:4.2.1", C::RateLimited, e(4, 2, 1))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.14", C::AuthWebLoginRequired, x(7, 14))
        .by(GOOGLE)
        .high(),
    enhanced("provider:gmail:x.7.9", C::AuthAppPasswordRequired, x(7, 9))
        .by(GOOGLE)
        .high(),
    enhanced("provider:microsoft:5.4.1", C::RecipientUnknown, e(5, 4, 1))
        .by(MICROSOFT)
        .high(),
    enhanced("provider:microsoft:5.5.0", C::RecipientUnknown, e(5, 5, 0))
        .by(MICROSOFT)
        .at(RCPT),
    enhanced("provider:comcast:4.1.1", C::MailboxFull, e(4, 1, 1))
        .by(COMCAST)
        .high(),
    words("provider:comcast:blocklist", C::IpBlocklisted, &["#bl0", "block for spam", "blocked for spam"]).by(COMCAST),
    words("provider:comcast:rate", C::RateLimited, &["#rl0"]).by(COMCAST),
    words("provider:yahoo:blocklist", C::IpBlocklisted, &["[bl2"]).by(YAHOO),
    // A [TSxx] code that names a block list is a listing (the text rules below say which).
    words("provider:yahoo:deferral", C::RateLimited, &["[ts0", "[tss0", "[ipts0", "[gl01]"]).by(YAHOO).transient().unless(YAHOO_LISTED),
    words("provider:yahoo:permanent-deferral", C::IpReputationBlock, &["[ts0", "[tss0", "[ipts0"]).by(YAHOO).permanent().unless(YAHOO_LISTED),
    words("provider:yahoo:policy", C::PolicyRejected, &["[ph0"]).by(YAHOO),
    words("provider:icloud:policy", C::PolicyRejected, &["[cs0"]).by(APPLE),
    words("provider:icloud:authentication", C::SenderAuthPolicy, &["[hme"]).by(APPLE),
    words("provider:mimecast:greylisting", C::Greylisted, &["temporarily unavailable", "doc-1369#451"]).by(MIMECAST).transient(),
    words("provider:mimecast:anti-spoofing", C::SenderAuthPolicy, &["anti-spoofing"]).by(MIMECAST),
    words("provider:mimecast:envelope-blocked", C::PolicyRejected, &["envelope blocked"]).by(MIMECAST),
    words("provider:proofpoint:reputation", C::IpBlocklisted, &["reputation", "dnsbl", "blocked"]).by(PROOFPOINT),
    words("provider:barracuda:reputation", C::IpBlocklisted, &["reputation", " rbl", "blocked using"]).by(BARRACUDA),
    words("provider:zoho:relaying-disallowed", C::SenderNotPermitted, &["relaying disallowed", "not allowed to relay"]).by(ZOHO),
    words("provider:tencent:frequency", C::RateLimited, &["frequency limited", "frequency limit"]).by(TENCENT).unless(&["connection frequency"]),
    words("provider:tencent:authorization-code", C::AuthAppPasswordRequired, &["authorization code", "\u{6388}\u{6743}\u{7801}"]).by(TENCENT),
    // ================= Phrases =================
    // --- Client-side protocol problems that servers name precisely ---
    words("text:pipelining", C::PipeliningViolation, &[
        "protocol synchronization", "synchronization error", "no commands allowed to pipeline",
        "improper use of smtp command pipelining", "pipelining not allowed", "pregreet",
        "talking too soon", "sent data before", "command pipelining", "pipelining is not",
        "pipelining not advertised", "pipelining without",
    ]),
    words("text:protocol error", C::PipeliningViolation, &["protocol error"]).at(GREETING | ANY).low(),
    words("text:bare lf", C::ClientProtocolViolation, &[
        "bare <lf>", "bare lf", "bare linefeed", "bare line feed", "bare newline", "smtplf",
        "bare <cr>", "bare cr ", "line too long", "line length exceeded", "lone lf",
    ]),
    // --- Decisive STARTTLS / EHLO / AUTH stage replies ---
    words("text:starttls not implemented", C::TlsNotOffered, &[
        "not implemented", "not recognized", "unrecognized", "unrecognised", "unknown command",
        "not supported", "not available", "not offered", "not advertised",
    ]).at(STARTTLS).strict().exact(&[500, 502, 503, 504]).unless(&["already"]),
    words("text:auth not implemented", C::AuthNotOffered, &[
        "not implemented", "not recognized", "unrecognized", "unrecognised", "unknown command",
        "command not understood", "syntax error",
    ]).at(AUTH).strict().exact(&[500, 502]),
    // --- TLS ---
    words("text:tls already active", C::TlsAlreadyActive, &[
        "tls already active", "already in tls", "tls already started", "tls is already",
        "already using tls", "already running tls", "tls session already", "already encrypted",
        "already under tls", "tls already in use", "already tls",
    ]),
    words("text:tls unavailable", C::TlsUnavailable, &[
        "tls not available", "tls currently unavailable", "tls currently not available",
        "tls unavailable", "starttls not available", "tls is not available", "tls temporarily",
        "tls failed to start", "tls initiali", "unable to initialize tls", "tls error",
    ]).transient(),
    words("text:tls not available (permanent)", C::TlsNotOffered, &[
        "tls not available", "tls not supported", "starttls not supported",
        "tls is not available", "starttls is not supported", "tls not offered", "no tls",
    ]).permanent(),
    words("text:auth encryption required", C::AuthEncryptionRequired, &[
        "encryption required for requested authentication",
        "plaintext authentication disallowed", "plaintext auth",
        "authentication not allowed without tls", "authentication requires encryption",
        "auth requires tls", "encryption required for requested auth",
        "must use tls to authenticate", "cleartext authentication",
        "plain text authentication", "unencrypted authentication",
        "encryption is required for authentication", "tls required for authentication",
        "starttls before auth", "starttls before authentication",
    ]),
    words("text:tls required", C::TlsRequired, &[
        "must issue a starttls", "issue a starttls", "starttls first",
        "starttls command first", "tls required", "requires tls", "tls is required",
        "must use starttls", "use starttls", "wasn't sent over a tls", "not sent over tls",
        "not sent over a tls", "secure connection required", "requires a secure connection",
        "encryption required", "requires encryption", "must start tls", "must use tls",
        "tls needed", "tls must be", "only accepts tls", "requiretls", "without tls",
        "tls connection required", "needs tls",
    ]),
    // --- EHLO ---
    words("text:ehlo unsupported", C::EhloNotSupported, &[
        "not implemented", "not recognized", "unrecognized", "unrecognised", "unknown command",
        "command not understood",
    ]).at(EHLO).strict().exact(&[500, 502]),
    // --- Protocol order (before HELO and recipient phrases that share words) ---
    words("text:bad sequence", C::ProtocolSequenceError, &[
        "bad sequence", "send hello first", "send helo", "send ehlo", "say helo", "say ehlo",
        "helo first", "ehlo first", "hello first", "introduce yourself", "already said helo",
        "already said ehlo", "duplicate helo", "duplicate ehlo", "wrong state", "need mail",
        "mail first", "nested mail", "no data after bdat", "out of sequence",
        "already authenticated", "already specified", "sender already given",
        "mail transaction in progress", "mail command first", "expecting mail",
        "expecting rcpt", "not in a transaction", "no mail transaction",
        "mixing data and bdat", "bdat after data", "polite people",
        "valid mail command must precede", "rset first", "must be preceded by",
        "before mail from", "command out of order", "need helo", "need ehlo",
    ]).unless(&["need ehlo and auth"]),
    words("text:no valid recipients", C::NoValidRecipients, &[
        "no valid recipients", "no valid recipient", "need rcpt", "rcpt first",
        "no recipients", "no recipient", "need recipient", "valid rcpt command must precede",
        "rcpt command first", "all recipients", "recipients rejected", "no rcpt",
        "needs recipient",
    ]).at(DATA | DATA_END).unless(&["too many recipients"]),
    words("text:no recipients yet", C::ProtocolSequenceError, &[
        "need rcpt", "rcpt first", "rcpt command first", "valid rcpt command must precede",
    ]),
    // --- Authentication ---
    words("text:app password", C::AuthAppPasswordRequired, &[
        "application-specific password", "application specific password", "app password",
        "app-specific password", "invalidsecondfactor", "authorization code",
        "\u{6388}\u{6743}\u{7801}",
    ]),
    words("text:web login", C::AuthWebLoginRequired, &[
        "web browser", "weblogin", "signin/continue", "sign in via", "log in via your web",
        "please log in through", "verify your account", "interactive login",
    ]).at(AUTH | MAIL | ANY),
    words("text:too many logins", C::AuthRateLimited, &[
        "too many login attempts", "too many bad auth", "too many auth",
        "too many authentication", "#auth005", "too many failed login",
        "too many invalid login", "login attempts exceeded", "too many failed authentication",
        "authentication rate", "login rate", "too many logins", "too many failed auth",
    ]),
    words("text:auth temporary", C::AuthTemporaryFailure, &[
        "temporary authentication failure", "unable to authenticate at present",
        "cannot authenticate due to a temporary", "authentication temporarily",
        "temporary auth", "authentication service is unavailable", "auth service unavailable",
        "authentication server", "authentication backend",
        "temporarily unable to authenticate",
    ]).transient(),
    words("text:password transition", C::AuthPasswordTransition, &["password transition"]),
    words("text:auth mechanism", C::AuthMechanismUnsupported, &[
        "auth mechanism", "unrecognized authentication type",
        "unrecognised authentication type", "unsupported authentication mechanism",
        "authentication mechanism not supported", "mechanism not supported",
        "mechanism not available", "invalid authentication mechanism",
        "unknown authentication mechanism", "authentication mechanism is too weak",
        "mechanism too weak", "unsupported auth", "unknown auth mechanism", "mechanism is not",
        "unrecognized authentication", "authentication type not supported", "sasl mechanism",
    ]),
    words("text:auth not offered", C::AuthNotOffered, &[
        "authentication not enabled", "auth command used when not advertised",
        "auth not available", "authentication not available", "auth not enabled",
        "authentication is not enabled", "authentication not supported", "auth not supported",
        "authentication is not supported", "auth not advertised",
        "authentication not allowed on this port", "auth disabled", "authentication disabled",
        "auth is not", "smtp auth not",
    ]).unless(&["auth first", "not logged in"]),
    words("text:auth cancelled", C::AuthCancelled, &["cancel", "aborted", "exchange aborted"]).at(AUTH).exact(&[501]),
    // --- Accounts blocked from sending (sender side) ---
    words("text:account disabled", C::AccountDisabled, &[
        "bad outbound sender", "spam abuse detected", "sending suspended",
        "account has been suspended", "account is suspended", "account suspended",
        "account disabled", "account is disabled", "account has been disabled",
        "account is locked", "account has been locked", "account locked", "account is blocked",
        "account has been blocked", "account blocked", "account is not active",
        "account inactive", "account is inactive", "user account is disabled",
        "sending has been disabled", "sending is disabled", "suspended for sending",
        "outbound spam", "blocked from sending mail", "login disabled",
    ]).at(AUTH | MAIL | DATA | DATA_END | ANY).unless(&["tried to reach", "recipient", "mailbox"]),
    // --- Sender identity ---
    words("text:send as denied", C::SenderNotPermitted, &[
        "sendasdenied", "send as denied", "send-as", "permissions to send as",
        "permission to send as", "not owned by", "relaying disallowed as",
        "must be same as authorization", "same as authorization user", "same as authenticated",
        "unregistered domain", "not allowed to send as", "not authorized to send as",
        "not authorised to send as", "verified sender identity", "address is not verified",
        "identities failed the check", "email address is not verified",
        "sender is not allowed to relay", "does not match the authenticated",
        "does not match authenticated", "not match the authenticated",
        "from address does not match", "from address must match", "mail from must equal",
        "sender address does not match", "not authorized to send from",
        "not authorised to send from", "not allowed to send from",
        "not permitted to send from", "sender mismatch", "sender address mismatch",
        "authorized recipients", "domain is not allowed to send",
        "domain isn't allowed to send", "not allowed to send mail as",
        "is not permitted to send as", "unauthorized sender", "sender not authorized",
        "sender not authorised", "sender address not authorized",
        "from domain is not verified", "sender signature", "does not have permission to send",
    ]),
    // --- Requires login (before the relay phrases; generic wording after them) ---
    words("text:authentication required for relay", C::AuthRequired, &[
        "authentication is required for relay", "authentication required for relay",
        "smtp auth required", "smtp authentication is required",
        "smtp authentication required", "need ehlo and auth first", "auth first",
        "unauthenticated senders not allowed", "not logged in", "client was not authenticated",
        "not authenticated to send", "client not authenticated", "must authenticate",
        "please authenticate", "authenticate first", "authentication is required to send",
        "login required", "authorization required", "sender is not authenticated",
        "auth command first", "authentication first", "login first", "log in first",
        "you must log in", "must be authenticated", "requires authentication",
        "authentication needed", "have not authenticated", "anonymous mail",
        "not authenticated",
    ]).unless(&[
        "authentication checks", "group", "dmarc", "spf", "dkim",
        "unauthenticated mail not allowed from this range",
    ]),
    // --- Relaying ---
    words("text:relay access denied", C::RelayDenied, &[
        "relay access denied", "relaying denied", "relay denied", "unable to relay",
        "relay not permitted", "not permitted to relay", "relaying not permitted",
        "relay not allowed", "relaying not allowed", "we do not relay", "not allowed to relay",
        "relay prohibited", "relaying prohibited", "mail relay denied", "no relaying",
        "allowed rcpthosts", "rcpthosts", "relay through this server", "cannot relay",
        "can't relay", "relaying to", "open relay", "relay attempt", "credentials for relay",
        "relay access", "relaying is not", "relay is not", "not a permitted relay",
        "relay not authorized", "relaying not authorized", "isn't allowed to be relayed",
        "not allowed to be relayed", "relaying mail to", "relay of mail", "no relay",
        "not configured to relay", "not an open relay", "relay host", "relaying refused",
        "relay refused", "tenantattribution", "is not a local domain", "not local; please try",
        "don't relay", "do not relay", "relayed thru",
    ]),
    words("text:authentication required", C::AuthRequired, &[
        "authentication required", "authentication is required", "auth required",
        "authentication needed",
    ]).unless(&["authentication checks", "group", "resolver.rst"]),
    // --- Credentials ---
    words("text:authentication failed", C::AuthFailed, &[
        "authentication failed", "authentication unsuccessful",
        "username and password not accepted", "incorrect authentication data", "invalid login",
        "login failed", "login fail", "bad username", "incorrect password", "wrong password",
        "credentials invalid", "authentication credentials invalid", "authorization failed",
        "invalid user name or password", "invalid username or password", "password incorrect",
        "badcredentials", "invalid xoauth2", "auth failed", "bad credentials",
        "invalid credentials", "authentication failure", "incorrect username",
        "wrong username", "username or password", "password is incorrect", "invalid password",
        "authentication error", "login incorrect", "access denied for user", "invalid token",
        "token expired", "token has expired", "expired token", "authorization grant",
        "invalid_grant", "bad password", "auth data", "unable to authenticate",
        "could not authenticate", "authentication rejected", "authentication mismatch",
        "user not found", "no such user", "invalid user",
    ]).at(AUTH).unless(&["too many", "credits"]),
    words("text:authentication failed (any stage)", C::AuthFailed, &[
        "authentication failed", "authentication unsuccessful",
        "username and password not accepted", "incorrect authentication data", "invalid login",
        "authentication credentials invalid", "invalid xoauth2", "login failed",
        "authentication failure",
    ]).unless(&["too many", "credits"]),
    // --- Sender authentication (SPF/DKIM/DMARC), before rate limits: Gmail 421 4.7.26 ---
    words("text:sender authentication", C::SenderAuthPolicy, &[
        "dmarc", "spf", "dkim", "sender policy framework", "domainkeys",
        "unauthenticated email", "it is unauthenticated", "fails to pass authentication",
        "authentication checks", "authentication level", "authentication requirements",
        "sender authentication", "5322.from", "does not have authentication information",
        "not pass authentication", "authentication information", "arc validation", "spoofed",
        "spoofing", "forged", "header from", "from header domain", "impersonat",
    ]).unless(&["helo", "ehlo"]),
    // --- Block lists and reputation ---
    words("text:domain blocklisted", C::DomainBlocklisted, &[
        "spamhaus dbl", "dbl.spamhaus", "/dbl/", "domain is listed",
        "mailfrom domain is listed", "sender domain is listed", "domain is blacklisted",
        "domain is blocklisted", "domain blacklisted", "domain blocklisted", "uribl", "surbl",
        "rhsbl", "domain is on a block", "domain is in a block", "domain present in",
        "domain listed", "url blocklist", "url blacklist", "domain in a blocklist",
        "multi.surbl", "domain has been blacklisted", "domain has been blocked",
        "sending domain is blocked", "sender domain is blocked",
    ]),
    words("text:helo blocklisted", C::DomainBlocklisted, &["blocked using"]).also(&["helo command", "sender address [", "helo name"]),
    words("text:ip blocklisted", C::IpBlocklisted, &[
        "blocked using", "spamhaus", "block list", "blocklist", "blacklist", "black list",
        "blocklisted", "block listed", "blacklisted", "black listed", "dnsbl", " rbl", "rbl:",
        "spamcop", "barracuda reputation", "barracudanetworks.com/reputation",
        "proofpoint reputation", "dnsbl-lookup", "sorbs", "psbl", "uceprotect",
        "banned sending ip", "(s3150)", "(s3140)", "found on one or more", "our block",
        "listed at", "listed in", "listed on", "is listed", "ip is blocked",
        "ip address is blocked", "ip blocked", "blocked ip", "ip banned", "banned ip",
        "ip is banned", "ip address has been blocked", "ip has been blocked", "abusix",
        "mailspike", "junkmail rejected", "sender ip is blocked", "client host blocked",
        "host is blocked", "blocked - see",
    ]).unless(&[
        "unusual rate", "rate limited", "reputation of the sending domain",
        "nature of the content", "spam abuse",
    ]),
    words("text:domain reputation", C::DomainReputationBlock, &[
        "reputation of the sending domain", "domain reputation",
        "domain has a poor reputation", "low reputation of the domain", "sending domain has",
        "domain's reputation", "reputation of your domain", "domain has a low reputation",
        "bad domain reputation",
    ]),
    // --- Throttling, quotas, limits ---
    words("text:connection limit", C::ConnectionLimit, &[
        "too many connections", "too many concurrent", "maximum number of connections",
        "max message per connection", "max messages per connection", "messages per connection",
        "connection limit", "too many simultaneous", "connection frequency",
        "too many open connections", "maximum connections", "connections per",
        "concurrent connections", "too many sessions", "connection rate",
        "too many smtp sessions", "too many messages in this session", "session limit",
        "messages per session", "per connection",
    ]),
    words("text:receiver rate", C::RateLimited, &[
        "can receive per hour", "messages they can receive", "receiving mail too quickly",
        "receiving mail at a rate", "receiving too many", "too much mail for this recipient",
        "queue quota", "sending rate",
    ]),
    words("text:sending quota", C::SendingQuotaExceeded, &[
        "sending limit", "daily limit", "sending quota", "submission quota",
        "messages per day", "per 24 hours", "24-hour", "24 hour", "daily user sending",
        "daily sending", "daily message quota", "message quota exceeded", "maximum credits",
        "emails per hour", "max emails per", "outgoing mail limit", "outgoing message limit",
        "outbound limit", "hourly sending", "max defers", "daily quota",
        "message limit exceeded", "you have exceeded your", "sending limits",
        "recipients per day", "rcpts per", "mails per day", "emails per day",
        "daily relay", "relay limit", "quota for sending", "send limit", "sent too many",
        "too many messages sent", "limit exceeded for user", "credits exceeded",
    ]).unless(&["storage", "mailbox"]),
    words("text:rate limited", C::RateLimited, &[
        "rate limit", "rate-limit", "ratelimit", "rate limited", "too quickly",
        "excessive volume", "unexpected volume", "too many recent", "frequency limited",
        "throttl", "server busy", "too much mail", "too many messages", "too many emails",
        "temporarily deferred", "deferred due to", "slow down", "reduce the rate",
        "sending too fast", "too fast", "exceeded the rate", "volume of mail", "unusual rate",
        "message rate", "high volume", "traffic is temporarily", "temporarily rate", "per hour",
        "deferred because", "too many mails", "recipient attempts",
    ]).transient().unless(&[
        "greylist", "graylist", "grey list", "gray list", "too many messages in this",
        "unresolvable", "domain not found", "dns",
    ]),
    // Gmail's permanent "unusual rate of unsolicited mail ... has been blocked".
    words("text:unusual rate (permanent)", C::IpReputationBlock, &["unusual rate", "volume of unsolicited"]).permanent(),
    words("text:ip reputation", C::IpReputationBlock, &[
        "poor reputation", "low reputation", "bad reputation", "ip reputation", "reputation",
        "permanently deferred", "not authorized to send email directly",
        "traffic not accepted", "sbrs", "senderbase",
        "unauthenticated mail not allowed from this range", "dynamic ip", "dynamic address",
        "residential", "dial-up", "dialup", "dynamic pool", "generic reverse",
        "not accepting mail from this ip", "mail from your ip", "your ip address",
        "from your ip", "ip address is not allowed", "end-user ip", "consumer ip",
        "direct-to-mx", "direct to mx", "use your isp", "use your provider", "smarthost",
        "connections will not be accepted", "not allowed to send mail directly",
    ]).permanent(),
    // --- Envelope addresses ---
    words("text:sender domain", C::SenderDomainUnresolvable, &[
        "sender address rejected: domain not found", "domain of sender address",
        "sender domain must exist", "sender domain must resolve", "unresolvable rfc",
        "sender domain not found", "sender's domain does not exist",
        "sender domain does not exist", "from domain", "return-path domain",
        "domain of sender", "sender domain is invalid", "sender domain unknown",
        "unknown sender domain", "envelope sender domain", "sender domain has no",
        "mail from domain",
    ]),
    words("text:sender syntax", C::SenderRejected, &["bad sender address syntax", "sender address syntax"]),
    words("text:address syntax", C::AddressSyntaxError, &[
        "bad recipient address syntax", "bad address syntax", "invalid address",
        "address syntax", "not a valid rfc", "not a valid address", "malformed address",
        "illegal address", "address invalid", "missing final '@domain'",
        "need fully-qualified address", "fully qualified address", "fully-qualified address",
        "unbalanced", "user address required", "domain name required", "syntax: mail from",
        "syntax: rcpt to", "mailbox syntax", "path syntax", "invalid email address",
        "syntax error in address", "syntax error in mailbox",
        "address is not valid", "bad address", "invalid character in address",
        "address contains", "malformed mailbox",
        "not a valid email",
    ]).unless(&["does not exist", "unknown", "not found", "unavailable"]),
    words("text:smtputf8", C::Smtputf8Required, &[
        "smtputf8", "utf-8 address", "utf8 address", "unicode address", "non-ascii address",
        "non-ascii characters in", "internationalized address",
    ]),
    words("text:unsupported parameter", C::ParamsNotSupported, &[
        "unsupported option", "dsn support is disabled", "unrecognized parameter",
        "unknown parameter", "parameter not", "parameters not", "unsupported parameter",
        "we do not allow dsn", "envid not supported", "notify not supported",
        "invalid parameter", "unrecognized option", "unknown option", "not supported",
        "not recognized", "unrecognised parameter", "parameter unrecognized", "dsn not",
        "extension not", "bad parameter", "illegal parameter",
    ]).at(MAIL | RCPT).strict().exact(&[501, 504, 555, 455, 553, 550]),
    words("text:sender rejected", C::SenderRejected, &[
        "sender address rejected", "sender rejected", "sender denied", "envelope sender",
        "sender blocked", "sender is blocked", "invalid sender", "sender unknown",
        "sender address is invalid", "sender not allowed", "bad sender",
        "sender address not allowed", "sender refused", "mail from refused",
        "sender is not allowed", "sender address denied",
    ]),
    // --- Greylisting ---
    words("text:greylisted", C::Greylisted, &[
        "greylist", "graylist", "grey-list", "gray-list", "grey list", "gray list",
        "is not yet authorized to deliver mail from", "internal resource", "postgrey",
        "sqlgrey", "not yet authorized", "triplet", "greylisting", "graylisting",
    ]).transient(),
    // --- Content and policy ---
    words("text:av failure", C::ServerTemporaryError, &[
        "virus scan", "antivirus", "anti-virus", "av scan", "virus scanner", "malware scan",
    ]).transient(),
    words("text:noncompliant format", C::MessageNoncompliant, &[
        "not rfc 5322", "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "not rfc compliant",
        "rfc compliant", "headers are not", "missing a valid address", "duplicate header",
        "multiple from", "corrupt message", "invalid header", "malformed header",
        "missing required header", "header syntax", "message-id header", "bare lf",
    ]).unless(&["dmarc", "spf", "dkim"]),
    // An attachment TYPE that is refused (executables...) is not a virus found.
    words("text:attachment type", C::ContentRejected, &[
        "executable", "form of attachment", "attachment type", "file type", "banned attachment",
        "prohibited attachment", "blocked attachment", "illegal attachment",
        "attachment is not allowed", "attachments are not allowed", "dangerous attachment",
        "file extension",
    ]),
    words("text:virus", C::VirusDetected, &[
        "virus", "malware", "infected", "trojan", "worm ", "eicar", "ransomware",
    ]),
    words("text:spam content", C::ContentRejected, &[
        "flagged as spam", "classified as spam", "detected as spam", "looks like spam",
        "identified as spam", "considered spam", "spam content", "likely unsolicited",
        "unsolicited", "spam score", "spamassassin", "high spam", "message content rejected",
        "content rejected", "nature of the content", "potential security issue",
        "illegal attachment", "attachment", "executable", "message rejected as spam",
        "suspected spam", "suspicious", "content denied", "content filter", "filtered",
        "phishing", "bulk mail", "as spam", "spam detected", "is spam", "spam message",
        "spam filter", "spam rejected", " spam ", " spam.", " spam;", " spam,", " spam)",
        "unacceptable content", "inappropriate content", "content is not acceptable",
        "message looks", "spamlike", "scored as",
        "rejected by content", "links within", "url in", "content policy",
        "prohibited content", "objectionable", "junk mail", "detected a potential",
        "blocked content", "message content", "was classified",
    ]).unless(&["spamhaus", "spam abuse", "anti-spam policy"]),
    words("text:policy", C::PolicyRejected, &[
        "local policy", "policy reasons", "policy violation", "policy restrictions",
        "administrative prohibition", "administratively denied", "rejected by policy",
        "security policies", "against policy", "not allowed by policy", "envelope blocked",
        "rejected for policy", "policy rejection", "violates our policy", "usage policy", "will not accept delivery", "not accept delivery",
        "will not accept this message", "does not accept this message",
        "acceptable use",
    ]).medium(),
    // --- Reverse DNS and HELO ---
    words("text:reverse dns", C::ReverseDnsRequired, &[
        "reverse dns", "reverse hostname", "ptr record", "cannot find your hostname",
        "reverse lookup", "rdns", "no ptr", "reverse-dns", "dns ptr", "reverse resolution",
        "reverse mapping", "could not resolve your", "cannot resolve your", "unknown reverse",
        "fcrdns", "forward confirmed", "forward-confirmed", "hostname does not match",
        "reverse name", "ptr for", "ptr mismatch", "missing ptr", "ptr",
        "valid hostname for your ip", "client host rejected: cannot find", "your hostname",
    ]),
    words("text:helo rejected", C::HeloRejected, &[
        "helo command rejected", "ehlo command rejected", "bad helo", "invalid helo",
        "helo name", "ehlo name", "helo argument", "ehlo argument", "helo/ehlo argument",
        "fully-qualified hostname", "fully qualified hostname", "fqdn", "bad ehlo",
        "invalid ehlo", "helo requires", "ehlo requires", "invalid domain name",
        "not a valid hostname", "hostname required", "helo hostname", "ehlo hostname",
        "your helo", "your ehlo", "helo rejected", "ehlo rejected", "helo is", "helo greeting",
        "local host name", "host name required",
    ]).unless(&[
        "send helo", "say helo", "helo first", "ehlo first", "already said",
    ]),
    // Permanent only: Gmail's "421 4.7.0 Try again later, closing connection. (EHLO)" names
    // the command, not a fault in the name.
    words("text:helo at ehlo", C::HeloRejected, &["helo", "ehlo", "hostname", "host name", "domain name"]).at(EHLO).strict().permanent(),
    // --- Greeting refusals ---
    words("text:not accepting connections", C::GreetingRejected, &[
        "not accepting connections", "no smtp service", "smtp service not available",
        "not accepting mail", "access denied", "go away", "connection refused", "not welcome",
        "not allowed to connect", "refused", "connections not accepted", "service unavailable",
        "service not available", "not available", "rejected", "denied", "blocked",
    ]).at(GREETING).strict().permanent(),
    // --- Recipient ---
    words("text:restricted recipient", C::RecipientRestricted, &[
        "resolver.rst", "authrequired", "allowed-senders", "allowed senders",
        "not authenticated for group", "sender not authenticated for",
        "not authorized to send to", "not authorised to send to", "delivery not authorized",
        "restricted to internal", "only accepts mail from",
        "does not accept mail from external", "external senders", "not allowed to send to",
        "not permitted to send to", "delivery not allowed",
        "delivery is not allowed to this address", "not authorized to mail",
        "accept messages only from", "accepts messages only from", "moderat", "members only",
        "only members", "restricted recipient", "group only", "does not accept external",
        "not allowed to post", "does not accept email from your sender",
        "does not accept messages from",
    ]),
    words("text:recipient domain", C::RecipientDomainNotFound, &[
        "find the recipient domain", "unrouteable address", "unroutable address", "nullmx",
        "null mx", "nonexistent domain", "non-existent domain", "domain not found",
        "domain does not exist", "no such domain", "unknown domain", "host unknown",
        "host not found", "domain name not found", "recipient domain", "no mx",
        "does not accept mail", "domain doesn't exist", "domain isn't in", "unrouteable",
        "unroutable", "no route to domain", "cannot route", "unable to route",
        "invalid domain", "domain is not", "domain name not",
    ]).unless(&["sender", "mail from", "helo", "ehlo"]),
    words("text:mailbox disabled", C::MailboxDisabled, &[
        "mailbox disabled", "mailbox is disabled", "tried to reach is disabled", "is disabled",
        "inactive", "discontinued", "no longer valid", "account is disabled",
        "account has been disabled", "suspended", "deactivated", "frozen", "account closed",
        "account has been closed", "account expired", "not active", "disableduser",
        "account disabled", "mailbox is inactive", "user is inactive",
        "mailbox has been disabled", "mailbox is locked", "mailbox locked",
        "account is locked", "user disabled", "blocked mailbox", "mailbox has been blocked",
    ]).at(RCPT | DATA_END | ANY),
    words("text:mailbox full", C::MailboxFull, &[
        "over quota", "overquota", "quota exceeded", "mailbox full", "mailbox is full",
        "mailbox size limit", "exceeded storage", "storage allocation", "out of storage",
        "mailbox quota", "user is over", "full mailbox", "mail box full", "inbox is full",
        "inbox full", "not enough storage", "disk quota", "storage space",
        "mailbox has exceeded", "has exceeded its quota", "exceeds its quota",
        "mailfolder is full", "storage limit", "quota", "mailbox exceeded",
        "insufficient storage", "is full", "full storage", "exceeded the storage",
        "no space in mailbox", "mailbox size", "space exceeded", "folder full",
        "folder is full",
    ]).unless(&[
        "system storage", "system resources", "disk", "queue", "spool",
    ]),
    words("text:too many recipients", C::TooManyRecipients, &[
        "too many recipients", "recipient limit", "maximum number of recipients",
        "too many rcpt", "excessive recipients", "recipients limit", "max recipients",
        "too many envelope recipients", "rcpt limit", "number of recipients",
        "recipients exceeded", "too many addresses", "recipient count", "maximum recipients",
    ]),
    words("text:user unknown", C::RecipientUnknown, &[
        "does not exist", "doesn't exist", "user unknown", "unknown user", "no such user",
        "recipient not found", "recipientnotfound", "recipnotfound", "mailbox unavailable",
        "addressee unknown", "no longer on server", "mailbox not found", "no mailbox",
        "not a valid mailbox", "invalid recipient", "recipient unknown", "unknown recipient",
        "no such recipient", "no such mailbox", "user not found", "account does not exist",
        "address does not exist", "mailbox does not exist", "user doesn't have",
        "doesn't have a", "does not have an account", "not our customer", "unknown local part",
        "not a known user", "unknown address", "address unknown", "no such address",
        "recipient address rejected", "recipient rejected", "unknown or illegal",
        "undeliverable address", "no such person", "user invalid", "mailbox is unavailable",
        "not exist", "bad destination", "recipient invalid", "invalid user", "invalid mailbox",
        "user does not", "unknown account", "not listed in", "not found",
    ]),
    // --- Message ---
    words("text:mail loop", C::MailLoop, &[
        "mail loop", "loop detected", "looping", "too many hops", "hops", "hop count",
        "routing loop", "loops back", "forwarding loop", "loop",
    ]),
    words("text:message too large", C::MessageTooLarge, &[
        "size exceeds", "message size", "too big", "too large", "exceeds fixed",
        "exceeds maximum", "size limit", "maximum message size", "message length exceeds",
        "chunk exceeds", "databytes", "file too big", "exceeds the maximum allowed",
        "email size", "larger than", "exceeds the size", "oversized", "message is too",
        "maximum size", "size of your message", "size exceeded", "exceeds the limit",
        "exceeded the maximum size", "max message size", "maximum email size",
    ]).unless(&["mailbox size", "line too"]),
    words("text:noncompliant message", C::MessageNoncompliant, &[
        "not rfc 5322", "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822",
        "not rfc compliant", "rfc compliant", "headers are not", "missing a valid address",
        "message-id", "duplicate header", "invalid characters", "malformed", "corrupt message",
        "missing header", "multiple from", "date header", "invalid header", "bad header",
        "header syntax", "improperly formatted", "missing required header", "mime", "8-bit",
        "8bit", "header field", "headers are", "message format", "non-compliant",
        "noncompliant", "invalid message", "message is not", "header", "nul character",
        "null character", "message line", "line is too long", "lines too long",
    ]).unless(&["header from", "dmarc", "spf", "dkim"]),
    // --- Server side ---
    words("text:storage", C::ServerStorageFull, &[
        "insufficient system storage", "insufficient system resources", "space shortage",
        "insufficient disk space", "disk full", "out of disk", "no space left",
        "not enough disk", "queue full", "system resources", "disk space", "system storage",
        "spool", "storage full", "out of memory", "queue is full",
    ]),
    words("text:server timeout", C::ServerTimeout, &[
        "timeout exceeded", "timeout - closing", "idle timeout", "timed out",
        "timeout waiting", "inactivity", "too slow", "timeout", "idle too long", "time limit",
        "took too long",
    ]),
    words("text:too many errors", C::TooManyErrors, &[
        "too many errors", "too many bad commands", "too many invalid commands",
        "too many unrecognized commands", "too many syntax", "too many protocol errors",
        "too many nonmail commands", "too many failed commands", "error limit",
        "too many unknown commands", "too many invalid", "too many bad", "too many failures",
        "too many rejected", "too many unrecognised",
    ]),
    // "Try again later" to RCPT on first contact is how most greylisting implementations word it.
    words("text:try again later at rcpt", C::Greylisted, &[
        "try again later", "retry later", "please retry", "come back later", "try again in",
        "temporarily rejected", "deferred for", "temporary deferral", "please try again",
        "try later", "retry in", "delayed",
    ]).at(RCPT).strict().exact(&[450, 451]).low().unless(&[
        "problem", "error", "failure", "internal", "lookup", "system", "unavailable",
    ]),
    // With the stage unknown, 450/451 4.7.1 "try again later" is how greylisting reads
    // (DIAGNOSES.md: greylisted); 421 stays service_unavailable.
    words("text:try again later 4.7.1", C::Greylisted, &[
        "try again later", "retry later", "please retry", "try later", "please try again",
    ]).at(ANY).strict().exact(&[450, 451]).with_enhanced(e(4, 7, 1)).low().unless(&[
        "problem", "error", "failure", "internal", "lookup", "system", "unavailable",
    ]),
    words("text:service unavailable", C::ServiceUnavailable, &[
        "service not available", "service unavailable", "no smtp service",
        "smtp service not available", "all server ports are busy", "closing connection",
        "temporary system problem", "shutting down", "closing transmission channel",
        "too busy", "server is busy", "maintenance", "try again later", "not accepting",
        "overloaded", "server busy", "system busy", "out of resources",
    ]).transient().unless(&["authentication"]),
    words("text:temporary server error", C::ServerTemporaryError, &[
        "local error", "temporary server error", "temporary lookup", "lookup failure",
        "server configuration", "configuration error", "resources temporarily unavailable",
        "temporary failure", "temporary local problem", "temporary problem", "internal error",
        "queue file write error", "system error", "temporary error", "unable to process",
        "try again", "temporarily unavailable", "server error", "database", "write error",
        "processing error", "transient", "internal server", "backend", "unavailable",
    ]).transient(),
    words("text:syntax error", C::SyntaxError, &[
        "command not recognized", "unrecognized command", "unrecognised command",
        "command unrecognized", "syntax error", "unknown command", "bad command",
        "invalid command", "command not understood", "not recognized", "unrecognized",
        "syntax", "invalid argument", "invalid arguments", "argument", "unknown verb",
    ]),
    words("text:not implemented", C::CommandNotImplemented, &[
        "not implemented", "unimplemented", "command disabled", "command not allowed",
        "not supported", "not available", "disabled",
    ]),
    // A refusal in general words, with nothing more specific: the content/policy family.
    // A recipient refused in general words, at RCPT.
    // With the stage unknown (a pasted bounce), "address rejected" is about a recipient far
    // more often than about the sender, who would be named.
    words("text:address rejected", C::RecipientUnknown, &["address rejected", "recipient rejected"])
        .at(RCPT | ANY).strict().medium().unless(&["sender", "from address"]),
    // A refusal after the final dot that names the content.
    words("text:content at data-end", C::ContentRejected, &["content"])
        .at(DATA_END).strict().permanent().low(),
    // ================= Reply codes that mean one thing at any stage =================
    at_stage("code:ehlo:500-502", C::EhloNotSupported, EHLO, &[500, 502]).medium(),
    at_stage("code:auth:500-502", C::AuthNotOffered, AUTH, &[500, 502]).medium(),
    at_stage("code:starttls:500-503", C::TlsNotOffered, STARTTLS, &[500, 502, 503]).medium(),
    code("code:530", C::AuthRequired, &[530]),
    code("code:535", C::AuthFailed, &[535]),
    code("code:534", C::AuthMechanismUnsupported, &[534]),
    code("code:538", C::AuthEncryptionRequired, &[538, 523]),
    code("code:432", C::AuthPasswordTransition, &[432]),
    code("code:525", C::AccountDisabled, &[525]),
    code("code:555", C::ParamsNotSupported, &[555, 455]),
    at_stage("code:auth:454", C::AuthTemporaryFailure, AUTH, &[454, 435]).medium(),
    at_stage("code:starttls:454", C::TlsUnavailable, STARTTLS, &[454]).medium(),
    // At MAIL, words of permission refuse the client the use of that sender (DIAGNOSES.md
    // s4.9c: the stage gives words their referent): "<alice@example.org> rejected: not
    // permitted". A refusal in general words only ("Access denied") stays the policy's.
    words("text:not permitted at mail", C::SenderNotPermitted, &[
        "not permitted", "not allowed", "not authorized", "not authorised", "unauthorized",
        "unauthorised", "forbidden", "prohibited",
    ]).at(MAIL).strict().permanent().low(),
    // A refusal in general words: after the codes that mean one thing ("535 Denied" is a
    // failed login, not a policy), before the enhanced codes and the stage table.
    words("text:refused", C::PolicyRejected, &[
        "policy", "prohibited", "not accepted", "refused", "rejected", "denied", "blocked",
        "not allowed", "not permitted", "forbidden", "unauthorized", "unauthorised",
    ]).permanent().low(),
    // ================= Enhanced status codes (RFC 3463 and the RFC 5248 registry) ============
    enhanced("enhanced:x.1.1", C::SenderRejected, x(1, 1)).at(MAIL),
    enhanced("enhanced:x.1.1", C::RecipientUnknown, x(1, 1)),
    enhanced("enhanced:x.1.0", C::SenderRejected, x(1, 0))
        .at(MAIL)
        .low(),
    enhanced("enhanced:x.1.0", C::RecipientUnknown, x(1, 0))
        .at(RCPT)
        .low(),
    enhanced("enhanced:x.1.2", C::SenderDomainUnresolvable, x(1, 2)).at(MAIL),
    enhanced("enhanced:x.1.2", C::RecipientDomainNotFound, x(1, 2)),
    enhanced("enhanced:x.1.3", C::AddressSyntaxError, x(1, 3)),
    enhanced("enhanced:x.1.4", C::RecipientUnknown, x(1, 4)).low(),
    enhanced("enhanced:x.1.6", C::RecipientUnknown, x(1, 6)),
    enhanced("enhanced:x.1.7", C::SenderRejected, x(1, 7)),
    enhanced("enhanced:x.1.8", C::SenderDomainUnresolvable, x(1, 8)),
    enhanced("enhanced:x.1.10", C::RecipientDomainNotFound, x(1, 10)),
    enhanced("enhanced:x.2.0", C::RecipientUnknown, x(2, 0))
        .at(RCPT)
        .low(),
    enhanced("enhanced:x.2.1", C::MailboxDisabled, x(2, 1)),
    enhanced("enhanced:x.2.2", C::MailboxFull, x(2, 2)),
    enhanced("enhanced:x.2.3", C::MessageTooLarge, x(2, 3)),
    enhanced("enhanced:4.3.0", C::ServerTemporaryError, e(4, 3, 0)),
    enhanced("enhanced:x.3.1", C::ServerStorageFull, x(3, 1)),
    enhanced("enhanced:x.3.2", C::ServiceUnavailable, x(3, 2)),
    enhanced("enhanced:x.3.3", C::ParamsNotSupported, x(3, 3))
        .at(MAIL | RCPT)
        .low(),
    enhanced("enhanced:x.3.4", C::MessageTooLarge, x(3, 4)),
    enhanced("enhanced:x.3.5", C::ServerTemporaryError, x(3, 5)),
    enhanced("enhanced:4.4.x", C::ServerTemporaryError, range(4, 4, 0, 1)),
    enhanced("enhanced:x.4.2", C::ServerTimeout, x(4, 2)).low(),
    enhanced("enhanced:x.4.3", C::ServerTemporaryError, x(4, 3)),
    enhanced("enhanced:5.4.1", C::RecipientUnknown, e(5, 4, 1))
        .at(RCPT)
        .low(),
    enhanced("enhanced:5.4.4", C::RecipientDomainNotFound, e(5, 4, 4)),
    enhanced("enhanced:4.4.4", C::ServerTemporaryError, e(4, 4, 4)),
    enhanced("enhanced:x.4.5", C::ServerStorageFull, x(4, 5)),
    enhanced("enhanced:x.4.6", C::MailLoop, x(4, 6)),
    enhanced("enhanced:x.5.2", C::SyntaxError, x(5, 2)),
    enhanced("enhanced:x.5.3", C::TooManyRecipients, x(5, 3)),
    enhanced("enhanced:x.5.4", C::ParamsNotSupported, x(5, 4))
        .at(MAIL | RCPT)
        .low(),
    enhanced("enhanced:x.5.4", C::SyntaxError, x(5, 4)).low(),
    enhanced("enhanced:x.5.6", C::SyntaxError, x(5, 6)),
    enhanced("enhanced:x.6.7-10", C::Smtputf8Required, range(0, 6, 7, 10)),
    enhanced("enhanced:x.6.x", C::MessageNoncompliant, range(0, 6, 0, 999)),
    enhanced("enhanced:x.7.2", C::RecipientRestricted, x(7, 2)).low(),
    enhanced("enhanced:x.7.4", C::AuthMechanismUnsupported, x(7, 4)).at(AUTH),
    enhanced("enhanced:x.7.8", C::AuthFailed, x(7, 8)),
    enhanced("enhanced:x.7.9", C::AuthMechanismUnsupported, x(7, 9)),
    enhanced("enhanced:x.7.10-11", C::AuthEncryptionRequired, range(0, 7, 10, 11)),
    enhanced("enhanced:x.7.12", C::AuthPasswordTransition, x(7, 12)),
    enhanced("enhanced:x.7.13", C::AccountDisabled, x(7, 13)),
    enhanced("enhanced:x.7.17", C::RecipientUnknown, x(7, 17)),
    enhanced("enhanced:x.7.20-24", C::SenderAuthPolicy, range(0, 7, 20, 24)),
    enhanced("enhanced:x.7.25", C::ReverseDnsRequired, x(7, 25)),
    enhanced("enhanced:x.7.26", C::SenderAuthPolicy, x(7, 26)),
    enhanced("enhanced:x.7.27", C::SenderDomainUnresolvable, x(7, 27)),
    enhanced("enhanced:x.7.28", C::RateLimited, x(7, 28)),
    enhanced("enhanced:x.7.29", C::SenderAuthPolicy, x(7, 29)),
    enhanced("enhanced:x.7.30", C::TlsRequired, x(7, 30)),
    enhanced("enhanced:5.7.x-auth", C::AuthFailed, range(5, 7, 0, 3))
        .at(AUTH)
        .low(),
    enhanced("enhanced:x.7.1", C::PolicyRejected, x(7, 1))
        .permanent()
        .low(),
    enhanced("enhanced:x.7.0", C::PolicyRejected, x(7, 0))
        .permanent()
        .at(DATA_END | DATA)
        .low(),
    // ================= Reply codes at a stage (RFC 5321 s4.3.2 and practice) =================
    at_stage("code:greeting:220", C::Ok, GREETING, &[220]).high(),
    at_stage("code:greeting:421", C::ServiceUnavailable, GREETING, &[421]),
    at_stage("code:greeting:5xx", C::GreetingRejected, GREETING, &[554, 550, 521, 553, 571, 501, 500, 502, 503, 552, 551, 556]),
    at_stage("code:greeting:4xx", C::ServiceUnavailable, GREETING, &[450, 451, 452, 453, 454, 420]),
    at_stage("code:ehlo:250", C::Capabilities, EHLO, &[250]).high(),
    at_stage("code:ehlo:5xx", C::HeloRejected, EHLO, &[501, 504, 550, 553, 554, 555]),
    at_stage("code:starttls:220", C::Ok, STARTTLS, &[220]).high(),
    at_stage("code:starttls:501", C::SyntaxError, STARTTLS, &[501]),
    at_stage("code:auth:235", C::Ok, AUTH, &[235, 334]).high(),
    at_stage("code:auth:503", C::ProtocolSequenceError, AUTH, &[503]),
    at_stage("code:auth:501", C::SyntaxError, AUTH, &[501]),
    at_stage("code:auth:504", C::AuthMechanismUnsupported, AUTH, &[504]),
    at_stage("code:auth:550", C::AuthFailed, AUTH, &[550, 554]),
    at_stage("code:mail:250", C::Ok, MAIL, &[250]).high(),
    at_stage("code:mail:552", C::MessageTooLarge, MAIL, &[552]),
    at_stage("code:mail:452", C::ServerStorageFull, MAIL, &[452]),
    at_stage("code:mail:501", C::AddressSyntaxError, MAIL, &[501]),
    at_stage("code:mail:5xx", C::SenderRejected, MAIL, &[550, 553, 554, 551]),
    at_stage("code:mail:4xx", C::ServerTemporaryError, MAIL, &[450, 451]),
    at_stage("code:rcpt:250", C::Ok, RCPT, &[250, 251, 252]).high(),
    at_stage("code:rcpt:550", C::RecipientUnknown, RCPT, &[550, 551, 553, 554]),
    at_stage("code:rcpt:552", C::MailboxFull, RCPT, &[552]),
    at_stage("code:rcpt:452", C::TooManyRecipients, RCPT, &[452]),
    at_stage("code:rcpt:450", C::Greylisted, RCPT, &[450]),
    at_stage("code:rcpt:451", C::ServerTemporaryError, RCPT, &[451]),
    at_stage("code:rcpt:501", C::AddressSyntaxError, RCPT, &[501]),
    at_stage("code:data:354", C::Ok, DATA, &[354]).high(),
    at_stage("code:data:554", C::NoValidRecipients, DATA, &[554]),
    at_stage("code:data:550", C::PolicyRejected, DATA, &[550, 553]),
    at_stage("code:data:552", C::MessageTooLarge, DATA | DATA_END, &[552]),
    at_stage("code:data:451", C::ServerTemporaryError, DATA | DATA_END, &[451, 450]),
    at_stage("code:data:452", C::ServerStorageFull, DATA | DATA_END, &[452]),
    at_stage("code:data-end:250", C::Ok, DATA_END, &[250, 251]).high(),
    at_stage("code:data-end:5xx", C::PolicyRejected, DATA_END, &[550, 554, 553, 551]),
    at_stage("code:quit:221", C::Ok, QUIT, &[221]).high(),
    at_stage("code:any:421", C::ServiceUnavailable, 0x7FF, &[421]),
    at_stage("code:any:503", C::ProtocolSequenceError, 0x7FF, &[503]),
    at_stage("code:any:500", C::SyntaxError, 0x7FF, &[500, 501]),
    at_stage("code:any:502", C::CommandNotImplemented, 0x7FF, &[502, 504]),
    at_stage("code:any:2xx", C::Ok, ANY, &[211, 214, 220, 221, 235, 250, 251, 252, 334, 354]),
];
