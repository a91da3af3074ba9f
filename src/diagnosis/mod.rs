//! Diagnoses: what an expert would say about a server reply, or about a failure with no reply.
//!
//! [`diagnose`] takes the [`Stage`] a reply answered and the [`Reply`] and returns one
//! [`Diagnosis`]: the class of problem ([`DiagnosisClass`], a stable id of the [`taxonomy`]),
//! probable causes and remedies in plain words, whether and when to retry, and the evidence (the
//! reply and the id of the rule that decided). [`diagnose_text`] does the same for a reply
//! pasted from a log; [`diagnose_in_context`] uses what the session knows; the constructors on
//! [`Diagnosis`] and [`classify_transport_error`] / [`classify_tls_error`] cover failures that
//! have no reply at all (refused connections, timeouts, TLS errors, STARTTLS injection...).
//!
//! ```
//! use smtp_sansio::{diagnose_text, DiagnosisClass, Retry, Stage};
//!
//! let d = diagnose_text(Stage::Rcpt, "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown");
//! assert_eq!(d.class(), DiagnosisClass::RecipientUnknown);
//! assert_eq!(d.retry(), Retry::No);
//! println!("{d}");
//! ```
//!
//! # How a class is chosen
//!
//! The rules are data: one static table, tried in priority order ([`taxonomy`] s4.10). Decisive phrases and provider-private enhanced codes come first, then provider rules
//! (the provider is recognised from trailers such as `gsmtp` or `prod.outlook.com`), then the
//! words servers use for each class, then reply codes that mean one thing wherever they come
//! (`530`, `535`...), then the enhanced status code, then the reply code at this stage, then a
//! check against the replies RFC 5321 s4.3.2 allows for the command, then the first digit.
//! Enhanced codes come late on purpose: providers overload them (Gmail's 5.7.26-5.7.32,
//! Microsoft's 5.7.5xx, Comcast's 4.1.1), so words decide when there are any.
//!
//! All the words of all rules are compiled once into one Aho-Corasick automaton (ASCII
//! case-insensitive, over bytes, so non-UTF-8 replies work). A reply's lines are walked through
//! it once, joined by single spaces with runs of white space folded, without building the joined
//! text; the rules are then checked against the set of words found. Nothing is allocated per
//! reply except the diagnosis's copy of the reply.
//!
//! # Confidence
//!
//! [`Confidence`] is a coarse, documented judgement rather than a probability: `High` when a
//! phrase or provider code that means exactly this class matched, `Medium` when the enhanced
//! status code or a reply code specific to this class decided, `Low` when only the reply code at
//! this stage or its first digit did.

mod class;
mod context;
mod engine;
mod noreply;
mod records;
mod rules;
mod session;
mod text;

/// The diagnosis taxonomy: every [`DiagnosisClass`] id with how it is detected, its probable
/// causes, remedies and retry advice, and how neighbouring classes are told apart. The ids are
/// a public contract. (This is the crate's `docs/DIAGNOSES.md`.)
#[doc = include_str!("../../docs/DIAGNOSES.md")]
pub mod taxonomy {}

use std::fmt;
use std::time::Duration;

use crate::capabilities::Capabilities;
use crate::escape::terminal_line;
use crate::json::JsonWriter;
use crate::reply::{EnhancedCode, Reply, ReplyCode};
use crate::stage::Stage;

pub use class::{DiagnosisClass, UnknownClass};
pub use context::Context;
pub use noreply::{classify_tls_error, classify_transport_error};
pub use text::{diagnose_bytes, diagnose_text};

/// How bad a diagnosed situation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosisSeverity {
    /// The command failed and will fail again unchanged (a `5yz` reply, or a failure of the
    /// same nature without a reply).
    Permanent,
    /// The command failed this time; the same command may work later (a `4yz` reply).
    Transient,
    /// Nothing failed, but something is wrong (a reply that breaks the protocol yet was
    /// understood).
    Warning,
    /// Nothing is wrong (a positive reply, an EHLO capability list).
    Info,
}

impl DiagnosisSeverity {
    /// `permanent`, `transient`, `warning` or `info`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DiagnosisSeverity::Permanent => "permanent",
            DiagnosisSeverity::Transient => "transient",
            DiagnosisSeverity::Warning => "warning",
            DiagnosisSeverity::Info => "info",
        }
    }
}

impl fmt::Display for DiagnosisSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether to try again (the retry column of the [`taxonomy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// Do not retry unchanged: it will fail the same way (or there is nothing to retry).
    No,
    /// A transient condition: retry with growing delays.
    Later,
    /// Permanent until something is changed (configuration, DNS, credentials); then retry.
    AfterFix,
    /// Refused now, but the refusal expires (a daily quota, a lockout): retry after the window.
    Window,
}

impl Retry {
    /// `no`, `later`, `after-fix` or `window`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Retry::No => "no",
            Retry::Later => "later",
            Retry::AfterFix => "after-fix",
            Retry::Window => "window",
        }
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure the engine is of the class; see the module documentation for what each level means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Confidence {
    /// Only the reply code at this stage, or its first digit, decided.
    Low,
    /// An enhanced status code or a class-specific reply code decided.
    Medium,
    /// A phrase or provider code that means exactly this class matched, or the engine observed
    /// the situation itself (a timeout, an injection).
    High,
}

impl Confidence {
    /// `low`, `medium` or `high`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a diagnosis rests on: the reply (or the pasted text when it had no reply code) and the
/// id of the rule that decided, e.g. `text:relay access denied`, `provider:gmail:5.7.26`,
/// `enhanced:5.1.1`, `code:rcpt:550`, `class:5`, or `observed:...` for situations without a
/// reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    reply: Option<Reply>,
    pasted: Option<String>,
    rule: &'static str,
}

impl Evidence {
    /// The server's reply, when there was one.
    pub fn reply(&self) -> Option<&Reply> {
        self.reply.as_ref()
    }

    /// The text given to [`diagnose_text`] when it carried no reply code to rebuild a reply from.
    pub fn pasted(&self) -> Option<&str> {
        self.pasted.as_deref()
    }

    /// The id of the rule that decided the class.
    pub fn rule(&self) -> &'static str {
        self.rule
    }
}

/// What an expert would say about one reply or one failure.
///
/// Build one with [`diagnose`], [`diagnose_text`], [`diagnose_in_context`], the constructors
/// below for failures without a reply, or [`classify_transport_error`] /
/// [`classify_tls_error`]. `Display` renders a short text for a terminal; [`Diagnosis::to_json`]
/// the contract JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    class: DiagnosisClass,
    severity: DiagnosisSeverity,
    retry: Retry,
    retry_after: Option<Duration>,
    stage: Stage,
    code: Option<ReplyCode>,
    enhanced: Option<EnhancedCode>,
    summary: &'static str,
    causes: &'static [&'static str],
    remedies: &'static [&'static str],
    detail: Option<String>,
    evidence: Evidence,
    confidence: Confidence,
    caused_by: Option<Box<Diagnosis>>,
}

impl Diagnosis {
    /// A diagnosis of `class` with the class's own texts and defaults.
    pub(crate) fn of_class(
        class: DiagnosisClass,
        stage: Stage,
        rule: &'static str,
        confidence: Confidence,
    ) -> Diagnosis {
        let info = class.info();
        Diagnosis {
            class,
            severity: info.severity,
            retry: info.retry,
            retry_after: info.retry_after,
            stage,
            code: None,
            enhanced: None,
            summary: info.summary,
            causes: info.causes,
            remedies: info.remedies,
            detail: None,
            evidence: Evidence {
                reply: None,
                pasted: None,
                rule,
            },
            confidence,
            caused_by: None,
        }
    }

    /// Replaces the texts with a variant that fits the situation better than the class's own.
    pub(crate) fn with_texts(
        mut self,
        summary: &'static str,
        causes: &'static [&'static str],
        remedies: &'static [&'static str],
    ) -> Diagnosis {
        self.summary = summary;
        self.causes = causes;
        self.remedies = remedies;
        self
    }

    pub(crate) fn with_detail(mut self, detail: String) -> Diagnosis {
        self.detail = Some(detail);
        self
    }

    pub(crate) fn with_caused_by(mut self, earlier: Diagnosis) -> Diagnosis {
        self.caused_by = Some(Box::new(earlier));
        self
    }

    pub(crate) fn with_severity(mut self, severity: DiagnosisSeverity) -> Diagnosis {
        self.severity = severity;
        self
    }

    pub(crate) fn with_retry(mut self, retry: Retry, after: Option<Duration>) -> Diagnosis {
        self.retry = retry;
        self.retry_after = after;
        self
    }

    /// The class of problem.
    pub fn class(&self) -> DiagnosisClass {
        self.class
    }

    /// How bad it is.
    pub fn severity(&self) -> DiagnosisSeverity {
        self.severity
    }

    /// Whether to retry.
    pub fn retry(&self) -> Retry {
        self.retry
    }

    /// A suggested delay before the next attempt, where one is known (greylisting: 5 minutes,
    /// a daily quota: 24 hours). `None` means no specific advice: for a queued message,
    /// RFC 5321 s4.5.4.1 suggests at least 30 minutes between attempts.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The stage the reply answered, or where the failure happened.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The reply code, when there was one.
    pub fn code(&self) -> Option<ReplyCode> {
        self.code
    }

    /// The enhanced status code (RFC 3463), when the reply carried one.
    pub fn enhanced_code(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// One plain sentence saying what happened.
    pub fn summary(&self) -> &'static str {
        self.summary
    }

    /// Probable causes, most likely first.
    pub fn causes(&self) -> &'static [&'static str] {
        self.causes
    }

    /// What to do, most useful first.
    pub fn remedies(&self) -> &'static [&'static str] {
        self.remedies
    }

    /// Facts specific to this case (sizes, mechanism lists, the error text), when there are any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// What the diagnosis rests on.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// How sure the engine is.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// The earlier diagnosis this one follows from (the RCPT refusals behind
    /// `no_valid_recipients`, the refusal before `dropped_after_reject`...), when known.
    pub fn caused_by(&self) -> Option<&Diagnosis> {
        self.caused_by.as_deref()
    }

    /// Whether this diagnosis reports a problem (anything but `ok` and `capabilities`).
    pub fn is_problem(&self) -> bool {
        !matches!(
            self.class,
            DiagnosisClass::Ok | DiagnosisClass::Capabilities
        )
    }

    /// The contract JSON object (its fields are a stable contract): `class`, `severity`, `retry`, `stage`, `code`,
    /// `enhanced`, `summary`, `causes`, `remedies`, `confidence`, plus `retry_after_secs`,
    /// `rule`, `evidence` (the reply's lines), `detail` and `caused_by` (`null` when absent).
    pub fn to_json(&self) -> String {
        let mut json = JsonWriter::new();
        self.write_json(&mut json);
        json.finish()
    }

    pub(crate) fn write_json(&self, json: &mut JsonWriter) {
        json.begin_object();
        json.key("class").string(self.class.as_str());
        json.key("severity").string(self.severity.as_str());
        json.key("retry").string(self.retry.as_str());
        json.key("stage").string(self.stage.as_str());
        json.key("code");
        match self.code {
            Some(code) => json.number(u64::from(code.value())),
            None => json.null(),
        };
        json.key("enhanced");
        match self.enhanced {
            Some(enhanced) => json.string(&enhanced.to_string()),
            None => json.null(),
        };
        json.key("summary").string(self.summary);
        json.key("causes").string_array(self.causes.iter().copied());
        json.key("remedies")
            .string_array(self.remedies.iter().copied());
        json.key("confidence").string(self.confidence.as_str());
        json.key("retry_after_secs");
        match self.retry_after {
            Some(after) => json.number(after.as_secs()),
            None => json.null(),
        };
        json.key("rule").string(self.evidence.rule);
        json.key("evidence").begin_array();
        if let Some(reply) = &self.evidence.reply {
            for line in reply.lines() {
                json.bytes_lossy(line.as_bytes());
            }
        } else if let Some(pasted) = &self.evidence.pasted {
            for line in pasted_lines(pasted) {
                json.string(line);
            }
        }
        json.end_array();
        json.key("detail").optional_string(self.detail.as_deref());
        json.key("caused_by");
        match &self.caused_by {
            Some(earlier) => earlier.write_json(json),
            None => {
                json.null();
            }
        }
        if let Some(capabilities) = self.capabilities() {
            json.key("capabilities");
            write_capabilities(json, &capabilities);
        }
        json.end_object();
    }

    /// The capabilities an EHLO reply advertised, for a `capabilities` diagnosis.
    pub fn capabilities(&self) -> Option<Capabilities> {
        match (&self.class, &self.evidence.reply) {
            (DiagnosisClass::Capabilities, Some(reply)) => Some(Capabilities::from_reply(reply)),
            _ => None,
        }
    }
}

/// A short text for a terminal: the summary on one line, then what the server said, causes and
/// remedies as bullet lines, and the retry advice. What the server said, the pasted text and the
/// detail are escaped ([`escape::terminal_line`](crate::escape::terminal_line)): a control
/// octet in a reply is shown, never obeyed.
impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({}): {}", self.class, self.stage, self.summary)?;
        if let Some(reply) = &self.evidence.reply {
            for line in reply.lines() {
                writeln!(f, "  server said: {line}")?;
            }
        } else if let Some(pasted) = &self.evidence.pasted {
            // Text that is not a server's reply (an OS error, another protocol's banner,
            // nothing recognisable) is not presented as one.
            let said = if self.evidence.rule.starts_with("pasted:") {
                "  text given:"
            } else {
                "  server said:"
            };
            for line in pasted_lines(pasted) {
                writeln!(f, "{said} {}", terminal_line(line))?;
            }
        }
        if let Some(detail) = &self.detail {
            writeln!(f, "  detail: {}", terminal_line(detail))?;
        }
        if let Some(capabilities) = self.capabilities() {
            writeln!(
                f,
                "  offers: {}",
                terminal_line(&capabilities_line(&capabilities))
            )?;
            if !capabilities.starttls() && capabilities.auth_mechanisms().next().is_none() {
                writeln!(
                    f,
                    "  note: neither STARTTLS nor AUTH is offered: this looks like a relay (MX) port, not a submission port"
                )?;
            } else if capabilities.starttls() && capabilities.auth_mechanisms().next().is_none() {
                writeln!(
                    f,
                    "  note: AUTH is not offered yet; most servers offer it after STARTTLS"
                )?;
            }
        }
        if !self.causes.is_empty() {
            writeln!(f, "  probable causes:")?;
            for cause in self.causes {
                writeln!(f, "    - {cause}")?;
            }
        }
        if !self.remedies.is_empty() {
            writeln!(f, "  what to do:")?;
            for remedy in self.remedies {
                writeln!(f, "    - {remedy}")?;
            }
        }
        if let Some(earlier) = &self.caused_by {
            writeln!(
                f,
                "  follows from: {} ({}): {}",
                earlier.class, earlier.stage, earlier.summary
            )?;
        }
        write!(f, "  retry: {}", self.retry)?;
        if let Some(after) = self.retry_after {
            write!(f, " (after {})", human_duration(after))?;
        }
        write!(
            f,
            "; severity: {}; confidence: {} (rule {})",
            self.severity, self.confidence, self.evidence.rule
        )
    }
}

/// The non-blank lines of pasted evidence, trimmed (a lone CR counts as a line break, as in
/// [`diagnose_text`]).
fn pasted_lines(pasted: &str) -> impl Iterator<Item = &str> {
    pasted
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
}

/// `{"size", "auth", "starttls", "pipelining", "8bitmime", "smtputf8", "chunking", "dsn",
/// "enhancedstatuscodes", "requiretls", "other"}`.
pub(crate) fn write_capabilities(json: &mut JsonWriter, capabilities: &Capabilities) {
    json.begin_object();
    json.key("size");
    match capabilities.size() {
        Some(size) => json.number(size),
        None => json.null(),
    };
    json.key("auth").begin_array();
    for mechanism in capabilities.auth_mechanisms() {
        json.string(mechanism.as_str());
    }
    json.end_array();
    json.key("starttls").boolean(capabilities.starttls());
    json.key("pipelining").boolean(capabilities.pipelining());
    json.key("8bitmime").boolean(capabilities.eight_bit_mime());
    json.key("smtputf8").boolean(capabilities.smtputf8());
    json.key("chunking").boolean(capabilities.chunking());
    json.key("dsn").boolean(capabilities.dsn());
    json.key("enhancedstatuscodes")
        .boolean(capabilities.enhanced_status_codes());
    json.key("requiretls").boolean(capabilities.requiretls());
    json.key("other").string_array(
        capabilities
            .unknown()
            .iter()
            .map(|extension| extension.keyword()),
    );
    json.end_object();
}

/// One line listing what an EHLO reply offers, for [`Diagnosis`]'s `Display`.
pub(crate) fn capabilities_line(capabilities: &Capabilities) -> String {
    let mut offers: Vec<String> = Vec::new();
    match (capabilities.size(), capabilities.size_advertised()) {
        (Some(size), _) => offers.push(format!("SIZE {size} ({})", noreply_size(size))),
        (None, true) => offers.push("SIZE (no fixed limit)".to_owned()),
        _ => {}
    }
    let mechanisms: Vec<String> = capabilities
        .auth_mechanisms()
        .map(|mechanism| mechanism.as_str().to_owned())
        .collect();
    if !mechanisms.is_empty() {
        offers.push(format!("AUTH {}", mechanisms.join(" ")));
    }
    for (on, name) in [
        (capabilities.starttls(), "STARTTLS"),
        (capabilities.pipelining(), "PIPELINING"),
        (capabilities.eight_bit_mime(), "8BITMIME"),
        (capabilities.smtputf8(), "SMTPUTF8"),
        (capabilities.chunking(), "CHUNKING"),
        (capabilities.dsn(), "DSN"),
        (capabilities.enhanced_status_codes(), "ENHANCEDSTATUSCODES"),
        (capabilities.requiretls(), "REQUIRETLS"),
    ] {
        if on {
            offers.push(name.to_owned());
        }
    }
    for extension in capabilities.unknown() {
        offers.push(extension.keyword().to_owned());
    }
    if offers.is_empty() {
        "no extensions".to_owned()
    } else {
        offers.join(", ")
    }
}

fn noreply_size(octets: u64) -> String {
    noreply::human_size(octets)
}

fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{} h", secs / 3600)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// Diagnoses a reply received at `stage`: exactly one [`Diagnosis`], for any reply (a positive
/// reply gives `ok`, an EHLO reply `capabilities`).
///
/// ```
/// use smtp_sansio::{diagnose, parse_reply, Decoded, DiagnosisClass, ReplyLimits, Stage};
///
/// let bytes = b"554 5.7.1 <bob@example.net>: Relay access denied\r\n";
/// let Ok(Decoded::Complete { value: reply, .. }) = parse_reply(bytes, &ReplyLimits::default()) else {
///     panic!("not a reply");
/// };
/// let d = diagnose(Stage::Rcpt, &reply);
/// assert_eq!(d.class(), DiagnosisClass::RelayDenied);
/// assert_eq!(d.evidence().rule(), "text:relay access denied");
/// ```
pub fn diagnose(stage: Stage, reply: &Reply) -> Diagnosis {
    let verdict = engine::classify_reply(stage, reply);
    let mut diagnosis = engine::build(
        stage,
        verdict,
        Some(reply.code()),
        engine::enhanced_code(reply),
    );
    diagnosis.evidence.reply = Some(reply.clone());
    diagnosis
}

/// Diagnoses a reply with what the session knows ([`taxonomy`] s4.10 step 5): see [`Context`].
pub fn diagnose_in_context(stage: Stage, reply: &Reply, context: &Context) -> Diagnosis {
    context.refine(diagnose(stage, reply))
}

#[cfg(test)]
mod tests;
