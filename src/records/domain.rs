//! Every check of a mail domain as one sans-IO machine (DESIGN s7): MX, SPF (the record tree,
//! and the sending IP's evaluation), DMARC, DKIM keys, MTA-STS, TLS-RPT, DANE TLSA, reverse DNS
//! and block lists, with one [`DomainReport`] at the end.
//!
//! [`DomainCheck`] runs the record layer's machines side by side and offers all their queries
//! at once; a name and type that two checks need is asked once. When the MX answer is in, it
//! asks for what the chosen servers need (their TLSA records, the reverse names and block-list
//! entries of their addresses). Three facts come from IO the caller does after DNS:
//!
//! - the MTA-STS policy, fetched over HTTPS ([`DomainCheck::policy_request`], then
//!   [`DomainCheck::policy_fetched`]);
//! - the certificate chain each server presented in TLS, for DANE
//!   ([`DomainCheck::tls_chain`]);
//! - the SMTP session itself, judged with the records by
//!   [`DomainCheckReport`](crate::check::DomainCheckReport).
//!
//! ```
//! use smtp_sansio::records::{resolve_with, Answer, QueryKind, Rdata};
//! use smtp_sansio::records::domain::{CheckKind, CheckStatus, DomainCheck, DomainOptions};
//!
//! let mut check = DomainCheck::new(DomainOptions::new("example.org"));
//! resolve_with(&mut check, |q| match (q.name.as_str(), q.kind) {
//!     ("example.org", QueryKind::Mx) => Answer::records(vec![Rdata::Mx {
//!         preference: 10,
//!         exchange: "mx.example.org".into(),
//!     }]),
//!     ("mx.example.org", QueryKind::A) => Answer::records(vec![Rdata::A("192.0.2.25".parse().unwrap())]),
//!     ("example.org", QueryKind::Txt) => Answer::records(vec![Rdata::txt("v=spf1 mx -all")]),
//!     ("_dmarc.example.org", QueryKind::Txt) => Answer::records(vec![Rdata::txt(
//!         "v=DMARC1; p=reject; rua=mailto:dmarc@example.org",
//!     )]),
//!     _ => Answer::NxDomain,
//! });
//! assert!(check.policy_request().is_none()); // no MTA-STS record: nothing to fetch
//! let targets = check.smtp_targets();
//! assert_eq!(targets[0].host, "mx.example.org");
//! let report = check.report();
//! let spf = report.check(CheckKind::Spf).unwrap();
//! assert_eq!(spf.status, CheckStatus::Pass);
//! assert_eq!(spf.spf.as_ref().unwrap().lookups, 1);
//! assert_eq!(report.check(CheckKind::MtaSts).unwrap().status, CheckStatus::Info);
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::dane::{TlsaRecord, tlsa_name};
use super::dkim::{self, DkimReport};
use super::dmarc::{DmarcCheck, DmarcReport};
use super::dnsbl::{DnsblCheck, DnsblReport, Listing};
use super::mta_sts::{self, Mode, MtaStsReport, PolicyFetch, StsPolicy};
use super::mx::{MxCheck, MxHost, MxReport};
use super::query::{
    Answer, Lookups, Query, QueryId, QueryKind, Rdata, UnknownQuery, normalize_name,
};
use super::rdns::{FcrdnsCheck, FcrdnsReport};
use super::spf::{SpfAnalysis, SpfEvaluation, SpfOutcome, SpfReport, SpfResult};
use super::tags::txt_texts;
use super::tls_rpt;
use crate::diagnosis::{Diagnosis, DiagnosisClass, DiagnosisSeverity, Retry};
use crate::escape::terminal_line as line;
use crate::json::JsonWriter;

/// The most addresses of one server whose reverse name and block listings are checked.
const MAX_ADDRESSES_PER_HOST: usize = 4;
/// The most server addresses checked in all (an MX set can name 32 hosts).
const MAX_ADDRESSES: usize = 16;

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DomainOptions {
    /// The mail domain.
    pub domain: String,
    /// The sending IP: its SPF result, reverse DNS and block listings.
    pub ip: Option<IpAddr>,
    /// The MAIL FROM address for the SPF evaluation (default `postmaster@<domain>`).
    pub sender: Option<String>,
    /// The HELO name for the SPF evaluation (default the domain).
    pub helo: Option<String>,
    /// DKIM selectors whose keys are checked (`<selector>._domainkey.<domain>`).
    pub dkim_selectors: Vec<String>,
    /// DNS block lists to query for [`DomainOptions::ip`] and every checked server address.
    pub dnsbl_zones: Vec<String>,
    /// Check every MX host, not only the most preferred one that has an address.
    pub all_mx: bool,
    /// The server that will be checked over SMTP instead of the MX (a host name or an IP
    /// address); its TLSA, reverse DNS and listings are checked.
    pub server: Option<String>,
    /// The SMTP port the servers are checked on: the TLSA name is `_<port>._tcp.<host>`
    /// (RFC 7672 s2.2; 25 for an MX).
    pub port: u16,
}

impl DomainOptions {
    /// The checks of `domain`'s records and its most preferred MX on port 25.
    pub fn new(domain: impl Into<String>) -> DomainOptions {
        DomainOptions {
            domain: domain.into(),
            ip: None,
            sender: None,
            helo: None,
            dkim_selectors: Vec::new(),
            dnsbl_zones: Vec::new(),
            all_mx: false,
            server: None,
            port: 25,
        }
    }
}

/// Which check a [`DomainCheckResult`] is (its JSON name is [`CheckKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CheckKind {
    /// The MX records and their targets.
    Mx,
    /// SPF: the record tree, and the sending IP's result.
    Spf,
    /// The DMARC policy.
    Dmarc,
    /// A DKIM key.
    Dkim,
    /// MTA-STS: the TXT record and the policy.
    MtaSts,
    /// The TLS-RPT record.
    TlsRpt,
    /// A server's DANE TLSA records, and whether they match its certificate chain.
    Dane,
    /// Reverse DNS of an address, forward-confirmed.
    Fcrdns,
    /// Block-list listings of an address.
    Dnsbl,
}

impl CheckKind {
    /// `mx`, `spf`, `dmarc`, `dkim`, `mta-sts`, `tls-rpt`, `dane`, `fcrdns` or `dnsbl`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Mx => "mx",
            CheckKind::Spf => "spf",
            CheckKind::Dmarc => "dmarc",
            CheckKind::Dkim => "dkim",
            CheckKind::MtaSts => "mta-sts",
            CheckKind::TlsRpt => "tls-rpt",
            CheckKind::Dane => "dane",
            CheckKind::Fcrdns => "fcrdns",
            CheckKind::Dnsbl => "dnsbl",
        }
    }
}

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CheckStatus {
    /// Nothing to point out.
    Pass,
    /// Only informational diagnoses (a record not published that is optional, a null MX).
    Info,
    /// A diagnosis of severity warning.
    Warn,
    /// A diagnosis of severity permanent or transient: something fails now.
    Fail,
    /// Not checked (nothing to check, or a fact the caller did not give).
    Skip,
}

impl CheckStatus {
    /// `pass`, `info`, `warn`, `fail` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Info => "info",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
            CheckStatus::Skip => "skip",
        }
    }

    /// The status that `diagnoses` call for.
    pub fn of(diagnoses: &[Diagnosis]) -> CheckStatus {
        diagnoses
            .iter()
            .map(|d| match d.severity() {
                DiagnosisSeverity::Permanent | DiagnosisSeverity::Transient => CheckStatus::Fail,
                DiagnosisSeverity::Warning => CheckStatus::Warn,
                DiagnosisSeverity::Info => CheckStatus::Info,
            })
            .fold(CheckStatus::Pass, CheckStatus::max)
    }
}

/// The SPF figures of the `spf` check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpfFigures {
    /// DNS-querying terms of the record tree in the worst case (RFC 7208 s4.6.4 allows 10).
    pub lookups: u32,
    /// Names in the tree that do not exist or have no records (2 void lookups are allowed).
    pub void_lookups: u32,
    /// The sending IP's result, when an IP was given.
    pub result: Option<SpfResult>,
    /// The IP evaluated.
    pub ip: Option<IpAddr>,
}

/// One check's result: a line of the report's "Domain" section, one object of its JSON.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DomainCheckResult {
    /// Which check.
    pub check: CheckKind,
    /// What it is about: the domain, a record name, a host or an address.
    pub subject: String,
    /// How it went.
    pub status: CheckStatus,
    /// The records as published (TXT joined, MX as `pref host (addresses)`, TLSA in
    /// presentation format), and for MTA-STS the policy.
    pub records: Vec<String>,
    /// What is wrong (DIAGNOSES.md s4.12, and `dns_failure` for a lookup that failed).
    pub diagnoses: Vec<Diagnosis>,
    /// A short note when there is nothing to diagnose but something to say (why skipped, not
    /// published, not matched).
    pub note: Option<String>,
    /// For `spf`: the lookup counts and the IP's result.
    pub spf: Option<SpfFigures>,
}

impl DomainCheckResult {
    fn new(check: CheckKind, subject: impl Into<String>) -> DomainCheckResult {
        DomainCheckResult {
            check,
            subject: subject.into(),
            status: CheckStatus::Pass,
            records: Vec::new(),
            diagnoses: Vec::new(),
            note: None,
            spf: None,
        }
    }

    fn skipped(check: CheckKind, subject: impl Into<String>, why: &str) -> DomainCheckResult {
        let mut result = DomainCheckResult::new(check, subject);
        result.status = CheckStatus::Skip;
        result.note = Some(why.to_owned());
        result
    }

    /// Sets the status from the diagnoses (a skipped check stays skipped).
    fn settle(mut self) -> DomainCheckResult {
        if self.status != CheckStatus::Skip {
            self.status = CheckStatus::of(&self.diagnoses);
            if self.status == CheckStatus::Pass && self.records.is_empty() && self.note.is_some() {
                self.status = CheckStatus::Info;
            }
        }
        self
    }
}

/// A server the caller should check over SMTP: the chosen MX hosts (or the server given
/// instead), with the addresses DNS gave for them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmtpTarget {
    /// The host name: the TLS certificate must carry it, and its TLSA records are at
    /// `_<port>._tcp.<host>`.
    pub host: String,
    /// Its addresses, to connect to in order.
    pub addresses: Vec<IpAddr>,
    /// The MX preference, when it is an MX.
    pub preference: Option<u16>,
}

/// The HTTPS request for the domain's MTA-STS policy (RFC 8461 s3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyRequest {
    /// `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    pub url: String,
    /// `mta-sts.<domain>`: the name the certificate must carry.
    pub host: String,
    /// Its addresses, from the same DNS answers as everything else.
    pub addresses: Vec<IpAddr>,
}

/// A reverse-DNS fact about a checked address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReverseName {
    /// The address.
    pub ip: IpAddr,
    /// Its PTR names.
    pub names: Vec<String>,
    /// The PTR names that resolve back to it.
    pub confirmed: Vec<String>,
}

/// Everything [`DomainCheck`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DomainReport {
    /// The domain.
    pub name: String,
    /// One result per check, in report order: mx, spf, dmarc, dkim, mta-sts, tls-rpt, dane,
    /// fcrdns, dnsbl.
    pub checks: Vec<DomainCheckResult>,
    /// The MX hosts (by preference).
    pub mx_hosts: Vec<MxHost>,
    /// The domain publishes a null MX: it accepts no mail, and no server is checked.
    pub null_mx: bool,
    /// The MTA-STS policy, when it was fetched and parsed.
    pub mta_sts_policy: Option<StsPolicy>,
    /// The reverse names of the checked server addresses (and of the sending IP).
    pub reverse_names: Vec<ReverseName>,
}

impl DomainReport {
    /// The first result of `check`.
    pub fn check(&self, check: CheckKind) -> Option<&DomainCheckResult> {
        self.checks.iter().find(|c| c.check == check)
    }

    /// Whether a check failed (a diagnosis of severity permanent or transient).
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }

    /// The MTA-STS mode the domain enforces, when a policy was fetched.
    pub fn mta_sts_mode(&self) -> Option<Mode> {
        self.mta_sts_policy.as_ref().map(|p| p.mode)
    }

    /// The reverse names of `ip`, when it was checked.
    pub fn reverse_name(&self, ip: IpAddr) -> Option<&ReverseName> {
        self.reverse_names.iter().find(|r| r.ip == ip)
    }

    /// The "Domain" section for a terminal: one line per check with its status, then its
    /// records and diagnoses. Every text that came from DNS or a server is escaped
    /// ([`escape::terminal_line`](crate::escape::terminal_line)).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Domain {}", line(&self.name));
        for check in &self.checks {
            let label = if check.subject.is_empty() || check.subject == self.name {
                check.check.as_str().to_owned()
            } else {
                format!("{} {}", check.check.as_str(), check.subject)
            };
            // A DKIM key's base64 runs to hundreds of characters: the human text shows its
            // ends and length (the JSON keeps the record whole).
            let mut lines: Vec<String> =
                check.records.iter().map(|r| elide_long_words(r)).collect();
            if let Some(figures) = &check.spf {
                let mut text = format!(
                    "lookups {}/10, void {}/2",
                    figures.lookups, figures.void_lookups
                );
                if let (Some(result), Some(ip)) = (figures.result, figures.ip) {
                    let _ = write!(text, "; {ip}: {result}");
                }
                lines.push(text);
            }
            if let Some(note) = &check.note {
                lines.push(note.clone());
            }
            let first = if lines.is_empty() {
                String::new()
            } else {
                lines.remove(0)
            };
            let label = line(&label).to_string();
            if label.len() > 22 {
                let _ = writeln!(
                    out,
                    "  {:<4}  {label}",
                    check.status.as_str().to_uppercase()
                );
                if !first.is_empty() {
                    let _ = writeln!(out, "        {}", line(&first));
                }
            } else {
                let _ = writeln!(
                    out,
                    "  {:<4}  {label:<22} {}",
                    check.status.as_str().to_uppercase(),
                    line(&first)
                );
            }
            for rest in &lines {
                let _ = writeln!(out, "        {}", line(rest));
            }
            for diagnosis in &check.diagnoses {
                let _ = writeln!(
                    out,
                    "        -> {}: {}",
                    diagnosis.class().as_str(),
                    line(diagnosis.summary())
                );
                if let Some(detail) = diagnosis.detail() {
                    let _ = writeln!(out, "           seen: {}", line(detail));
                }
                if let Some(remedy) = diagnosis.remedies().first() {
                    let _ = writeln!(out, "           do: {}", line(remedy));
                }
            }
        }
        out
    }

    /// The report as one JSON object: `{"name", "checks": [{"check", "status", "records",
    /// "diagnoses", "subject", "note"}]}`; the `spf` check adds `"lookups"`, `"void_lookups"`
    /// and, when an IP was evaluated, `"result"` and `"ip"`.
    pub fn to_json(&self) -> String {
        let mut json = JsonWriter::new();
        self.write_json(&mut json);
        json.finish()
    }

    pub(crate) fn write_json(&self, json: &mut JsonWriter) {
        json.begin_object();
        json.key("name").string(&self.name);
        json.key("checks").begin_array();
        for check in &self.checks {
            json.begin_object();
            json.key("check").string(check.check.as_str());
            json.key("status").string(check.status.as_str());
            json.key("records")
                .string_array(check.records.iter().map(String::as_str));
            json.key("diagnoses").begin_array();
            for diagnosis in &check.diagnoses {
                diagnosis.write_json(json);
            }
            json.end_array();
            json.key("subject").string(&check.subject);
            json.key("note").optional_string(check.note.as_deref());
            if let Some(figures) = &check.spf {
                json.key("lookups").number(u64::from(figures.lookups));
                json.key("void_lookups")
                    .number(u64::from(figures.void_lookups));
                if let Some(result) = figures.result {
                    json.key("result").string(result.as_str());
                    json.key("ip")
                        .optional_string(figures.ip.map(|ip| ip.to_string()).as_deref());
                }
            }
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
}

/// Shortens every word (between spaces, `;` and `=`) longer than 64 characters to its first 12
/// and last 8 characters around an ellipsis with its length, for a terminal line.
fn elide_long_words(text: &str) -> String {
    const LONG: usize = 64;
    let mut out = String::with_capacity(text.len().min(256));
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find([' ', ';', '=']).unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        let chars = word.chars().count();
        if chars > LONG {
            let head: String = word.chars().take(12).collect();
            let tail: String = word.chars().skip(chars - 8).collect();
            let _ = write!(out, "{head}...{tail} ({chars} characters)");
        } else {
            out.push_str(word);
        }
        match after.chars().next() {
            Some(c) => {
                out.push(c);
                rest = &after[c.len_utf8()..];
            }
            None => rest = after,
        }
    }
    out
}

// ---- the machine ---------------------------------------------------------------------------

/// One query's answer, asked by exactly one sub-check.
#[derive(Debug, Clone)]
struct Single {
    name: String,
    kind: QueryKind,
    asked: bool,
    answer: Option<Answer>,
}

impl Single {
    fn new(name: &str, kind: QueryKind) -> Single {
        Single {
            name: normalize_name(name),
            kind,
            asked: false,
            answer: None,
        }
    }

    fn result(&self) -> Answer {
        self.answer.clone().unwrap_or(Answer::TempFail)
    }
}

impl Lookups for Single {
    fn poll_query(&mut self) -> Option<Query> {
        if self.asked {
            return None;
        }
        self.asked = true;
        Some(Query {
            id: QueryId(1),
            name: self.name.clone(),
            kind: self.kind,
        })
    }

    fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery> {
        if id != QueryId(1) || !self.asked || self.answer.is_some() {
            return Err(UnknownQuery(id));
        }
        self.answer = Some(answer);
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.answer.is_some()
    }
}

/// What a sub-check is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Mx,
    DomainAddress,
    Spf,
    SpfEvaluation,
    Dmarc,
    Dkim(String),
    MtaStsTxt,
    MtaStsHost,
    TlsRpt,
    IpFcrdns,
    IpDnsbl,
    ServerAddress,
    Tlsa(String),
    AddressFcrdns(IpAddr),
    AddressDnsbl(IpAddr),
}

#[derive(Debug, Clone)]
enum Machine {
    Mx(MxCheck),
    Spf(SpfAnalysis),
    SpfEvaluation(Box<SpfEvaluation>),
    Dmarc(DmarcCheck),
    Fcrdns(FcrdnsCheck),
    Dnsbl(DnsblCheck),
    Single(Single),
}

impl Machine {
    fn lookups(&mut self) -> &mut dyn Lookups {
        match self {
            Machine::Mx(m) => m,
            Machine::Spf(m) => m,
            Machine::SpfEvaluation(m) => m.as_mut(),
            Machine::Dmarc(m) => m,
            Machine::Fcrdns(m) => m,
            Machine::Dnsbl(m) => m,
            Machine::Single(m) => m,
        }
    }

    fn is_finished(&self) -> bool {
        match self {
            Machine::Mx(m) => m.is_finished(),
            Machine::Spf(m) => m.is_finished(),
            Machine::SpfEvaluation(m) => m.is_finished(),
            Machine::Dmarc(m) => m.is_finished(),
            Machine::Fcrdns(m) => m.is_finished(),
            Machine::Dnsbl(m) => m.is_finished(),
            Machine::Single(m) => m.is_finished(),
        }
    }
}

#[derive(Debug, Clone)]
struct Part {
    role: Role,
    machine: Machine,
    /// Every (name, type) it asked, for the lookups that failed.
    asked: Vec<(String, QueryKind)>,
}

/// All of a domain's checks as one [`Lookups`] machine; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct DomainCheck {
    options: DomainOptions,
    domain: String,
    parts: Vec<Part>,
    /// Set when the servers' own checks (TLSA, reverse names, listings) were added.
    targets: Option<Vec<SmtpTarget>>,
    /// Our query id → the sub-checks waiting for it (part index, their id).
    waiting: HashMap<QueryId, Vec<(usize, QueryId)>>,
    /// Outstanding queries by name and type, to ask each once.
    pending: HashMap<(String, QueryKind), QueryId>,
    /// Answers received, to answer a later identical query at once.
    answers: HashMap<(String, QueryKind), Answer>,
    /// Why a lookup failed, as the caller said ([`DomainCheck::answer_failed`]).
    failures: HashMap<(String, QueryKind), String>,
    to_offer: std::collections::VecDeque<Query>,
    next_id: u32,
    policy: PolicyFetch,
    chains: HashMap<String, Vec<Vec<u8>>>,
}

impl DomainCheck {
    /// Starts the checks of `options.domain`.
    pub fn new(options: DomainOptions) -> DomainCheck {
        let domain = normalize_name(&options.domain);
        let mut check = DomainCheck {
            domain: domain.clone(),
            parts: Vec::new(),
            targets: None,
            waiting: HashMap::new(),
            pending: HashMap::new(),
            answers: HashMap::new(),
            failures: HashMap::new(),
            to_offer: std::collections::VecDeque::new(),
            next_id: 0,
            policy: PolicyFetch::NotFetched,
            chains: HashMap::new(),
            options,
        };
        check.add(Role::Mx, Machine::Mx(MxCheck::new(&domain)));
        // The implicit MX (RFC 5321 s5.1) when there is no MX record: asked at once, so it
        // costs no round trip.
        for kind in [QueryKind::A, QueryKind::Aaaa] {
            check.add(
                Role::DomainAddress,
                Machine::Single(Single::new(&domain, kind)),
            );
        }
        check.add(Role::Spf, Machine::Spf(SpfAnalysis::new(&domain)));
        if let Some(ip) = check.options.ip {
            let sender = check
                .options
                .sender
                .clone()
                .unwrap_or_else(|| format!("postmaster@{domain}"));
            let helo = check.options.helo.clone().unwrap_or_else(|| domain.clone());
            check.add(
                Role::SpfEvaluation,
                Machine::SpfEvaluation(Box::new(SpfEvaluation::new(ip, &sender, &helo))),
            );
        }
        check.add(Role::Dmarc, Machine::Dmarc(DmarcCheck::new(&domain)));
        for selector in check.options.dkim_selectors.clone() {
            let name = dkim::key_name(&selector, &domain);
            check.add(
                Role::Dkim(selector),
                Machine::Single(Single::new(&name, QueryKind::Txt)),
            );
        }
        check.add(
            Role::MtaStsTxt,
            Machine::Single(Single::new(&format!("_mta-sts.{domain}"), QueryKind::Txt)),
        );
        // The policy host's addresses, asked with the rest: the HTTPS fetch needs no more DNS.
        for kind in [QueryKind::A, QueryKind::Aaaa] {
            check.add(
                Role::MtaStsHost,
                Machine::Single(Single::new(&format!("mta-sts.{domain}"), kind)),
            );
        }
        check.add(
            Role::TlsRpt,
            Machine::Single(Single::new(&format!("_smtp._tls.{domain}"), QueryKind::Txt)),
        );
        if let Some(ip) = check.options.ip {
            let helo = check.options.helo.clone();
            check.add(
                Role::IpFcrdns,
                Machine::Fcrdns(FcrdnsCheck::new(ip, helo.as_deref())),
            );
            if !check.options.dnsbl_zones.is_empty() {
                let zones = check.options.dnsbl_zones.clone();
                let zones: Vec<&str> = zones.iter().map(String::as_str).collect();
                check.add(Role::IpDnsbl, Machine::Dnsbl(DnsblCheck::new(ip, &zones)));
            }
        }
        if let Some(server) = check.options.server.clone()
            && server.parse::<IpAddr>().is_err()
        {
            for kind in [QueryKind::A, QueryKind::Aaaa] {
                check.add(
                    Role::ServerAddress,
                    Machine::Single(Single::new(&server, kind)),
                );
            }
        }
        check
    }

    /// What the check was asked to do.
    pub fn options(&self) -> &DomainOptions {
        &self.options
    }

    /// Hands the machine a failed lookup with the reason the caller's resolver gave
    /// (`SERVFAIL`, `timed out after 2 s`): [`Answer::TempFail`], with the reason in the
    /// `dns_failure` diagnosis.
    ///
    /// # Errors
    /// [`UnknownQuery`] when `id` is not outstanding.
    pub fn answer_failed(&mut self, id: QueryId, reason: &str) -> Result<(), UnknownQuery> {
        let key = self
            .pending
            .iter()
            .find(|(_, pending)| **pending == id)
            .map(|(key, _)| key.clone())
            .ok_or(UnknownQuery(id))?;
        self.failures.insert(key, reason.to_owned());
        self.answer(id, Answer::TempFail)
    }

    /// The MTA-STS policy to fetch, once DNS is done and the domain publishes an MTA-STS TXT
    /// record (RFC 8461 s3.3).
    pub fn policy_request(&self) -> Option<PolicyRequest> {
        if !self.is_finished() {
            return None;
        }
        let txt = self.single(&Role::MtaStsTxt)?;
        if !txt_texts(&txt).iter().any(|t| t.starts_with("v=STSv1")) {
            return None;
        }
        let host = format!("mta-sts.{}", self.domain);
        Some(PolicyRequest {
            url: mta_sts::policy_url(&self.domain),
            host,
            addresses: self.addresses_of(&Role::MtaStsHost),
        })
    }

    /// The outcome of the policy fetch of [`DomainCheck::policy_request`].
    pub fn policy_fetched(&mut self, fetch: PolicyFetch) {
        self.policy = fetch;
    }

    /// The servers to check over SMTP, once DNS is done: the most preferred MX that has an
    /// address (every MX with [`DomainOptions::all_mx`]), the implicit MX (the domain's own
    /// address, RFC 5321 s5.1) when there is no MX record, none for a null MX; or the server
    /// given in [`DomainOptions::server`].
    pub fn smtp_targets(&self) -> Vec<SmtpTarget> {
        self.targets.clone().unwrap_or_default()
    }

    /// The certificate chain (DER, the server's own first) that `host` presented in TLS: its
    /// TLSA records are matched against it (feature `dane`).
    pub fn tls_chain(&mut self, host: &str, chain: Vec<Vec<u8>>) {
        self.chains.insert(normalize_name(host), chain);
    }

    fn add(&mut self, role: Role, machine: Machine) {
        self.parts.push(Part {
            role,
            machine,
            asked: Vec::new(),
        });
    }

    fn part(&self, role: &Role) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(move |p| &p.role == role)
    }

    fn single(&self, role: &Role) -> Option<Answer> {
        self.part(role).find_map(|p| match &p.machine {
            Machine::Single(s) => Some(s.result()),
            _ => None,
        })
    }

    fn addresses_of(&self, role: &Role) -> Vec<IpAddr> {
        self.part(role)
            .filter_map(|p| match &p.machine {
                Machine::Single(s) => Some(s.result()),
                _ => None,
            })
            .flat_map(|answer| {
                answer
                    .rdata()
                    .iter()
                    .filter_map(|r| match r {
                        Rdata::A(v4) => Some(IpAddr::V4(*v4)),
                        Rdata::Aaaa(v6) => Some(IpAddr::V6(*v6)),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn mx_report(&self) -> Option<&MxReport> {
        self.part(&Role::Mx).find_map(|p| match &p.machine {
            Machine::Mx(m) => m.report(),
            _ => None,
        })
    }

    /// Polls every sub-check for its queries: known answers are given at once, a query asked
    /// already joins it, a new one is offered. Adds the servers' checks when the answers
    /// that choose them are in.
    fn pump(&mut self) {
        loop {
            let mut answered = false;
            for index in 0..self.parts.len() {
                while let Some(query) = self.parts[index].machine.lookups().poll_query() {
                    let key = (query.name.clone(), query.kind);
                    self.parts[index].asked.push(key.clone());
                    if let Some(answer) = self.answers.get(&key).cloned() {
                        let _ = self.parts[index].machine.lookups().answer(query.id, answer);
                        answered = true;
                    } else if let Some(outer) = self.pending.get(&key) {
                        self.waiting
                            .entry(*outer)
                            .or_default()
                            .push((index, query.id));
                    } else {
                        self.next_id += 1;
                        let outer = QueryId(self.next_id);
                        self.pending.insert(key, outer);
                        self.waiting.insert(outer, vec![(index, query.id)]);
                        self.to_offer.push_back(Query {
                            id: outer,
                            name: query.name,
                            kind: query.kind,
                        });
                    }
                }
            }
            if !answered && !self.choose_targets() {
                return;
            }
        }
    }

    /// Adds the servers' checks once the answers that name them are in; whether it did.
    fn choose_targets(&mut self) -> bool {
        if self.targets.is_some() {
            return false;
        }
        let ready = |role: &Role| self.part(role).all(|p| p.machine.is_finished());
        if !ready(&Role::Mx) || !ready(&Role::DomainAddress) || !ready(&Role::ServerAddress) {
            return false;
        }
        let mut targets = Vec::new();
        if let Some(server) = self.options.server.clone() {
            let host = normalize_name(&server);
            let addresses = match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => self.addresses_of(&Role::ServerAddress),
            };
            targets.push(SmtpTarget {
                host,
                addresses,
                preference: None,
            });
        } else if let Some(mx) = self.mx_report() {
            let hosts: Vec<&MxHost> = mx
                .hosts
                .iter()
                .filter(|h| !h.addresses.is_empty())
                .collect();
            let chosen: Vec<&MxHost> = if self.options.all_mx {
                hosts
            } else {
                hosts.into_iter().take(1).collect()
            };
            for host in chosen {
                targets.push(SmtpTarget {
                    host: host.exchange.clone(),
                    addresses: host.addresses.clone(),
                    preference: Some(host.preference),
                });
            }
            let no_mx = mx.hosts.is_empty()
                && !mx.null_mx
                && mx
                    .diagnoses
                    .iter()
                    .any(|d| d.class() == DiagnosisClass::MxMissing);
            if no_mx {
                let addresses = self.addresses_of(&Role::DomainAddress);
                if !addresses.is_empty() {
                    targets.push(SmtpTarget {
                        host: self.domain.clone(),
                        addresses,
                        preference: None,
                    });
                }
            }
        }
        let mut budget = MAX_ADDRESSES;
        for target in &targets {
            self.add(
                Role::Tlsa(target.host.clone()),
                Machine::Single(Single::new(
                    &tlsa_name(&target.host, self.options.port),
                    QueryKind::Tlsa,
                )),
            );
            for ip in target.addresses.iter().take(MAX_ADDRESSES_PER_HOST) {
                if budget == 0 {
                    break;
                }
                budget -= 1;
                if self.part(&Role::AddressFcrdns(*ip)).next().is_some() {
                    continue;
                }
                self.add(
                    Role::AddressFcrdns(*ip),
                    Machine::Fcrdns(FcrdnsCheck::new(*ip, None)),
                );
                if !self.options.dnsbl_zones.is_empty() {
                    let zones = self.options.dnsbl_zones.clone();
                    let zones: Vec<&str> = zones.iter().map(String::as_str).collect();
                    self.add(
                        Role::AddressDnsbl(*ip),
                        Machine::Dnsbl(DnsblCheck::new(*ip, &zones)),
                    );
                }
            }
        }
        self.targets = Some(targets);
        true
    }

    /// The report: final once [`Lookups::is_finished`], with the policy fetch and TLS chains
    /// given so far.
    pub fn report(&self) -> DomainReport {
        let mut checks = Vec::new();
        let mx = self.mx_report();
        checks.push(self.mx_check(mx));
        checks.push(self.spf_check());
        checks.push(self.dmarc_check());
        checks.extend(self.dkim_checks());
        let mta_sts = self.mta_sts_check(mx);
        checks.push(mta_sts.0);
        checks.push(self.tls_rpt_check());
        checks.extend(self.dane_checks());
        let (fcrdns, reverse_names) = self.fcrdns_checks();
        checks.extend(fcrdns);
        checks.extend(self.dnsbl_checks());
        DomainReport {
            name: self.domain.clone(),
            checks,
            mx_hosts: mx.map(|m| m.hosts.clone()).unwrap_or_default(),
            null_mx: mx.is_some_and(|m| m.null_mx),
            mta_sts_policy: mta_sts.1,
            reverse_names,
        }
    }

    /// `dns_failure` for each lookup of `parts` that failed, unless `unless` is already
    /// among the diagnoses (SPF says temperror itself).
    fn failed_lookups<'a>(
        &self,
        parts: impl Iterator<Item = &'a Part>,
        what: &str,
        diagnoses: &mut Vec<Diagnosis>,
        unless: Option<DiagnosisClass>,
    ) {
        if unless.is_some_and(|class| diagnoses.iter().any(|d| d.class() == class)) {
            return;
        }
        let mut seen: Vec<&(String, QueryKind)> = Vec::new();
        for part in parts {
            for key in &part.asked {
                if seen.contains(&key) || self.answers.get(key) != Some(&Answer::TempFail) {
                    continue;
                }
                seen.push(key);
                let reason = self
                    .failures
                    .get(key)
                    .map_or("SERVFAIL, REFUSED or no answer in time", String::as_str);
                diagnoses.push(
                    Diagnosis::from_record(
                        DiagnosisClass::DnsFailure,
                        "dns:lookup",
                        None,
                        format!(
                            "the {} lookup of {} failed ({reason}): {what} cannot be judged until it answers",
                            key.1, key.0
                        ),
                    )
                    .with_severity(DiagnosisSeverity::Transient)
                    .with_retry(Retry::Later, None),
                );
            }
        }
    }

    fn mx_check(&self, mx: Option<&MxReport>) -> DomainCheckResult {
        let mut result = DomainCheckResult::new(CheckKind::Mx, &self.domain);
        if let Some(mx) = mx {
            if mx.null_mx {
                result.records.push("0 .".to_owned());
            }
            for host in &mx.hosts {
                let addresses: Vec<String> =
                    host.addresses.iter().map(ToString::to_string).collect();
                result.records.push(if addresses.is_empty() {
                    format!("{} {}", host.preference, host.exchange)
                } else {
                    format!(
                        "{} {} ({})",
                        host.preference,
                        host.exchange,
                        addresses.join(", ")
                    )
                });
            }
            result.diagnoses.extend(mx.diagnoses.iter().cloned());
            if mx.hosts.is_empty() && !mx.null_mx {
                let addresses = self.addresses_of(&Role::DomainAddress);
                if !addresses.is_empty() {
                    let shown: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                    result.note = Some(format!(
                        "implicit MX: {} ({})",
                        self.domain,
                        shown.join(", ")
                    ));
                }
            }
        }
        self.failed_lookups(
            self.part(&Role::Mx),
            "the domain's mail servers",
            &mut result.diagnoses,
            None,
        );
        result.settle()
    }

    fn spf_check(&self) -> DomainCheckResult {
        let mut result = DomainCheckResult::new(CheckKind::Spf, &self.domain);
        let analysis: Option<&SpfReport> = self.part(&Role::Spf).find_map(|p| match &p.machine {
            Machine::Spf(m) => m.report(),
            _ => None,
        });
        let evaluation: Option<&SpfOutcome> =
            self.part(&Role::SpfEvaluation)
                .find_map(|p| match &p.machine {
                    Machine::SpfEvaluation(m) => m.outcome(),
                    _ => None,
                });
        let mut figures = SpfFigures {
            lookups: 0,
            void_lookups: 0,
            result: evaluation.map(|o| o.result),
            ip: self.options.ip,
        };
        if let Some(analysis) = analysis {
            if let Some(record) = &analysis.record {
                result.records.push(record.clone());
            }
            figures.lookups = analysis.lookups;
            figures.void_lookups = u32::try_from(analysis.void_names.len()).unwrap_or(u32::MAX);
            result.diagnoses.extend(analysis.diagnoses.iter().cloned());
        }
        if let Some(outcome) = evaluation {
            for diagnosis in outcome.diagnoses() {
                // The tree analysis already said what the evaluation repeats.
                if !result
                    .diagnoses
                    .iter()
                    .any(|d| d.class() == diagnosis.class())
                {
                    result.diagnoses.push(diagnosis);
                }
            }
        }
        result.spf = Some(figures);
        self.failed_lookups(
            self.part(&Role::Spf).chain(self.part(&Role::SpfEvaluation)),
            "SPF",
            &mut result.diagnoses,
            Some(DiagnosisClass::SpfTemporaryError),
        );
        result.settle()
    }

    fn dmarc_check(&self) -> DomainCheckResult {
        let report: Option<&DmarcReport> = self.part(&Role::Dmarc).find_map(|p| match &p.machine {
            Machine::Dmarc(m) => m.report(),
            _ => None,
        });
        let subject = report.and_then(|r| r.policy_domain.clone()).map_or_else(
            || format!("_dmarc.{}", self.domain),
            |d| format!("_dmarc.{d}"),
        );
        let mut result = DomainCheckResult::new(CheckKind::Dmarc, subject);
        if let Some(report) = report {
            if let Some(text) = &report.record_text {
                result.records.push(text.clone());
            }
            result.diagnoses.extend(report.diagnoses.iter().cloned());
        }
        self.failed_lookups(
            self.part(&Role::Dmarc),
            "DMARC",
            &mut result.diagnoses,
            None,
        );
        result.settle()
    }

    fn dkim_checks(&self) -> Vec<DomainCheckResult> {
        if self.options.dkim_selectors.is_empty() {
            return vec![DomainCheckResult::skipped(
                CheckKind::Dkim,
                "",
                "no selector given: a DKIM key is found by the selector (s=) of a signature",
            )];
        }
        self.parts
            .iter()
            .filter_map(|part| match (&part.role, &part.machine) {
                (Role::Dkim(selector), Machine::Single(single)) => {
                    let report: DkimReport =
                        dkim::check_key(selector, &self.domain, &single.result());
                    let mut result = DomainCheckResult::new(CheckKind::Dkim, report.name.clone());
                    result.records.extend(report.record_text.clone());
                    result.note = report.key.as_ref().and_then(|key| match key.public_key {
                        dkim::PublicKey::Rsa { bits } => Some(format!("key: RSA, {bits} bits")),
                        dkim::PublicKey::Ed25519 => Some("key: Ed25519".to_owned()),
                        dkim::PublicKey::Revoked => None,
                    });
                    result.diagnoses = report.diagnoses;
                    self.failed_lookups(
                        std::iter::once(part),
                        "this DKIM key",
                        &mut result.diagnoses,
                        None,
                    );
                    Some(result.settle())
                }
                _ => None,
            })
            .collect()
    }

    fn mta_sts_check(&self, mx: Option<&MxReport>) -> (DomainCheckResult, Option<StsPolicy>) {
        let txt = self.single(&Role::MtaStsTxt).unwrap_or(Answer::TempFail);
        let hosts: Vec<String> = mx
            .map(|m| m.hosts.iter().map(|h| h.exchange.clone()).collect())
            .unwrap_or_default();
        let report: MtaStsReport = mta_sts::check_mta_sts(&self.domain, &txt, &self.policy, &hosts);
        let mut result =
            DomainCheckResult::new(CheckKind::MtaSts, format!("_mta-sts.{}", self.domain));
        if let Some(record) = &report.record {
            result.records.push(record.to_string());
        }
        match (&report.policy, &self.policy) {
            (Some(policy), _) => result.records.push(format!(
                "policy: mode {}; mx {}; max_age {}",
                policy.mode.as_str(),
                policy.mx.join(", "),
                policy.max_age
            )),
            (None, PolicyFetch::NotFetched) if report.record.is_some() => {
                result.note = Some(format!(
                    "the policy at {} was not fetched",
                    mta_sts::policy_url(&self.domain)
                ));
            }
            _ => {}
        }
        result.diagnoses = report.diagnoses;
        self.failed_lookups(
            self.part(&Role::MtaStsTxt),
            "MTA-STS",
            &mut result.diagnoses,
            None,
        );
        (result.settle(), report.policy)
    }

    fn tls_rpt_check(&self) -> DomainCheckResult {
        let answer = self.single(&Role::TlsRpt).unwrap_or(Answer::TempFail);
        let (record, diagnoses) = tls_rpt::check_tls_rpt(&self.domain, &answer);
        let mut result =
            DomainCheckResult::new(CheckKind::TlsRpt, format!("_smtp._tls.{}", self.domain));
        if let Some(record) = record {
            result.records.push(record.to_string());
        } else if let Some(text) = txt_texts(&answer)
            .into_iter()
            .find(|t| t.starts_with("v=TLSRPTv1"))
        {
            result.records.push(text);
        }
        result.diagnoses = diagnoses;
        self.failed_lookups(
            self.part(&Role::TlsRpt),
            "TLS-RPT",
            &mut result.diagnoses,
            None,
        );
        result.settle()
    }

    fn dane_checks(&self) -> Vec<DomainCheckResult> {
        let mut results = Vec::new();
        for part in &self.parts {
            let (Role::Tlsa(host), Machine::Single(single)) = (&part.role, &part.machine) else {
                continue;
            };
            let name = tlsa_name(host, self.options.port);
            let answer = single.result();
            let records: Vec<TlsaRecord> = answer
                .rdata()
                .iter()
                .filter_map(|r| match r {
                    Rdata::Tlsa(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            let authenticated = matches!(
                answer,
                Answer::Records {
                    authenticated: true,
                    ..
                }
            );
            let mut result = DomainCheckResult::new(CheckKind::Dane, host.clone());
            result.records = records.iter().map(ToString::to_string).collect();
            if records.is_empty() {
                if answer != Answer::TempFail {
                    result.note = Some(format!(
                        "no TLSA records at {name}: DANE is not published for this server"
                    ));
                }
            } else {
                if let Some(diagnosis) =
                    super::dane::check_authenticated(&name, &records, authenticated)
                {
                    result.diagnoses.push(diagnosis);
                } else {
                    result.records.push("DNSSEC: authenticated".to_owned());
                }
                match self.chains.get(host) {
                    Some(chain) => self.match_chain(&name, &records, chain, &mut result),
                    None => {
                        result.note = Some(
                            "not matched: no TLS session with this server to match against"
                                .to_owned(),
                        )
                    }
                }
            }
            self.failed_lookups(std::iter::once(part), "DANE", &mut result.diagnoses, None);
            results.push(result.settle());
        }
        if results.is_empty() {
            let why = match self.mx_report() {
                Some(mx) if mx.null_mx => "no server: the domain publishes a null MX",
                _ => "no server to check",
            };
            results.push(DomainCheckResult::skipped(CheckKind::Dane, "", why));
        }
        results
    }

    #[cfg(feature = "dane")]
    fn match_chain(
        &self,
        name: &str,
        records: &[TlsaRecord],
        chain: &[Vec<u8>],
        result: &mut DomainCheckResult,
    ) {
        match super::dane::check_chain(name, records, chain) {
            Ok(Some(record)) => {
                result.note = Some(format!(
                    "{record} matches the {}-certificate chain presented",
                    chain.len()
                ));
            }
            Ok(None) => {}
            Err(diagnosis) => result.diagnoses.push(*diagnosis),
        }
    }

    #[cfg(not(feature = "dane"))]
    fn match_chain(
        &self,
        _name: &str,
        _records: &[TlsaRecord],
        _chain: &[Vec<u8>],
        result: &mut DomainCheckResult,
    ) {
        result.note = Some("not matched: built without the `dane` feature".to_owned());
    }

    fn fcrdns_checks(&self) -> (Vec<DomainCheckResult>, Vec<ReverseName>) {
        let mut results = Vec::new();
        let mut names = Vec::new();
        for part in &self.parts {
            let (role, Machine::Fcrdns(check)) = (&part.role, &part.machine) else {
                continue;
            };
            let Some(report): Option<&FcrdnsReport> = check.report() else {
                continue;
            };
            let sending = *role == Role::IpFcrdns;
            let subject = if sending {
                format!("{} (sending IP)", report.ip)
            } else {
                let hosts: Vec<String> = self
                    .smtp_targets()
                    .iter()
                    .filter(|t| t.addresses.contains(&report.ip))
                    .map(|t| t.host.clone())
                    .collect();
                format!("{} ({})", report.ip, hosts.join(", "))
            };
            let mut result = DomainCheckResult::new(CheckKind::Fcrdns, subject);
            for name in &report.names {
                let confirmed = if report.confirmed.contains(name) {
                    "resolves back"
                } else {
                    "does not resolve back"
                };
                result
                    .records
                    .push(format!("{} PTR {name} ({confirmed})", report.ip));
            }
            result.diagnoses = report
                .diagnoses
                .iter()
                .map(|d| {
                    // A missing PTR fails a sending IP (receivers refuse it); for a receiving
                    // server it is a warning: the MX often sends too.
                    if !sending && d.class() == DiagnosisClass::FcrdnsMissing {
                        d.clone().with_severity(DiagnosisSeverity::Warning)
                    } else {
                        d.clone()
                    }
                })
                .collect();
            self.failed_lookups(
                std::iter::once(part),
                "reverse DNS",
                &mut result.diagnoses,
                None,
            );
            names.push(ReverseName {
                ip: report.ip,
                names: report.names.clone(),
                confirmed: report.confirmed.clone(),
            });
            results.push(result.settle());
        }
        if results.is_empty() {
            results.push(DomainCheckResult::skipped(
                CheckKind::Fcrdns,
                "",
                "no sending IP given and no server address to check",
            ));
        }
        (results, names)
    }

    fn dnsbl_checks(&self) -> Vec<DomainCheckResult> {
        if self.options.dnsbl_zones.is_empty() {
            return vec![DomainCheckResult::skipped(
                CheckKind::Dnsbl,
                "",
                "no block list given",
            )];
        }
        let mut results = Vec::new();
        for part in &self.parts {
            let (role, Machine::Dnsbl(check)) = (&part.role, &part.machine) else {
                continue;
            };
            let Some(report): Option<&DnsblReport> = check.report() else {
                continue;
            };
            let subject = if *role == Role::IpDnsbl {
                format!("{} (sending IP)", report.ip)
            } else {
                report.ip.to_string()
            };
            let mut result = DomainCheckResult::new(CheckKind::Dnsbl, subject);
            for (zone, listing) in &report.listings {
                result.records.push(match listing {
                    Listing::NotListed => format!("{zone}: not listed"),
                    Listing::Listed { codes, reason } => {
                        let codes: Vec<String> = codes.iter().map(ToString::to_string).collect();
                        match reason {
                            Some(reason) => {
                                format!("{zone}: listed ({}): {reason}", codes.join(", "))
                            }
                            None => format!("{zone}: listed ({})", codes.join(", ")),
                        }
                    }
                    Listing::Refused { code } => format!("{zone}: query refused ({code})"),
                    _ => format!("{zone}: no usable answer"),
                });
            }
            result.diagnoses = report.diagnoses.clone();
            self.failed_lookups(
                std::iter::once(part),
                "this block list",
                &mut result.diagnoses,
                None,
            );
            results.push(result.settle());
        }
        if results.is_empty() {
            results.push(DomainCheckResult::skipped(
                CheckKind::Dnsbl,
                "",
                "no sending IP given and no server address to check",
            ));
        }
        results
    }
}

impl Lookups for DomainCheck {
    fn poll_query(&mut self) -> Option<Query> {
        self.pump();
        self.to_offer.pop_front()
    }

    fn answer(&mut self, id: QueryId, answer: Answer) -> Result<(), UnknownQuery> {
        let waiters = self.waiting.remove(&id).ok_or(UnknownQuery(id))?;
        let key = self
            .pending
            .iter()
            .find(|(_, pending)| **pending == id)
            .map(|(key, _)| key.clone());
        if let Some(key) = key {
            self.pending.remove(&key);
            self.answers.insert(key, answer.clone());
        }
        self.to_offer.retain(|q| q.id != id);
        for (index, inner) in waiters {
            let _ = self.parts[index]
                .machine
                .lookups()
                .answer(inner, answer.clone());
        }
        self.pump();
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.targets.is_some()
            && self.waiting.is_empty()
            && self.to_offer.is_empty()
            && self.parts.iter().all(|p| p.machine.is_finished())
    }
}

#[cfg(test)]
mod tests;
