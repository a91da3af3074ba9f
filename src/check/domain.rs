//! [`DomainCheckReport`]: a mail domain's record checks
//! ([`records::domain`](crate::records::domain)) and the SMTP checks of its servers, judged
//! together.
//!
//! The records say what a server must do: an MX of a domain whose MTA-STS policy is
//! `enforce` must offer STARTTLS (RFC 8461 s5: senders that honour the policy will not deliver
//! in plaintext), and a server's banner and EHLO names should be the PTR name of its address
//! (RFC 5321 s4.1.4 asks EHLO to give the primary host name; receivers compare it with the
//! reverse name). Those judgements land in each server's [`Report`]: a failure of the
//! STARTTLS step, or a warning.

use std::fmt::Write as _;

use super::{Report, Step, StepStatus, Verdict, Warning};
use crate::diagnosis::{Diagnosis, DiagnosisClass};
use crate::escape::terminal_line as line;
use crate::json::JsonWriter;
use crate::records::domain::DomainReport;
use crate::records::mta_sts::Mode;
use crate::reply::Reply;

/// A domain's record checks and the SMTP check of each of its servers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DomainCheckReport {
    /// The record checks.
    pub domain: DomainReport,
    /// One report per server checked over SMTP, in MX order (empty when none was: a null MX,
    /// no address, or DNS checks only).
    pub servers: Vec<Report>,
}

impl DomainCheckReport {
    /// Joins the record checks with the SMTP checks: `servers` holds each server's host name
    /// (the MX name, or the server checked instead) and its report, which gains what the
    /// records imply: a failed STARTTLS step when the MX does not offer STARTTLS and the
    /// domain's MTA-STS policy is `enforce` (RFC 8461 s5), and an `fcrdns_mismatch` warning
    /// when its banner or EHLO name is not the PTR name of its address.
    pub fn new(domain: DomainReport, servers: Vec<(String, Report)>) -> DomainCheckReport {
        let servers = servers
            .into_iter()
            .map(|(host, mut report)| {
                judge(&domain, &host, &mut report);
                report
            })
            .collect();
        DomainCheckReport { domain, servers }
    }

    /// The outcome of everything: fail when a record check or a server step failed, warn
    /// when anything warned, else pass.
    pub fn verdict(&self) -> Verdict {
        use crate::records::domain::CheckStatus;
        let statuses = self.domain.checks.iter().map(|c| c.status);
        let mut verdict = Verdict::Pass;
        for status in statuses {
            match status {
                CheckStatus::Fail => return Verdict::Fail,
                CheckStatus::Warn => verdict = Verdict::Warn,
                _ => {}
            }
        }
        for server in &self.servers {
            match server.verdict {
                Verdict::Fail => return Verdict::Fail,
                Verdict::Warn => verdict = Verdict::Warn,
                Verdict::Pass => {}
            }
        }
        verdict
    }

    /// The exit code of `check --domain`: 1 when a record check or a step failed, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.verdict() == Verdict::Fail {
            1
        } else {
            0
        }
    }

    /// Everything for a terminal: the "Domain" section, then each server's transcript and
    /// steps (under a heading when there are several), then the overall verdict. Escaped as
    /// every other output ([`escape::terminal_line`](crate::escape::terminal_line)).
    pub fn text(&self) -> String {
        let mut out = self.domain.text();
        for server in &self.servers {
            let _ = writeln!(out);
            if self.servers.len() > 1 {
                let at = server
                    .address
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "Server {}{}\n", line(&server.server), line(&at));
            }
            out.push_str(&server.transcript_text());
            let _ = writeln!(out);
            out.push_str(&server.summary_text());
        }
        let failed = self
            .domain
            .checks
            .iter()
            .filter(|c| c.status == crate::records::domain::CheckStatus::Fail)
            .count();
        let steps: usize = self
            .servers
            .iter()
            .map(|s| {
                s.steps
                    .iter()
                    .filter(|step| step.status == StepStatus::Fail)
                    .count()
            })
            .sum();
        let _ = writeln!(
            out,
            "\nOverall: {} ({failed} domain check(s) and {steps} step(s) failed)",
            self.verdict().as_str().to_uppercase()
        );
        out
    }

    /// One JSON object: the first server's report (`server`, `steps`, `capabilities`, `tls`,
    /// ... as [`Report::to_json`]; `null` and empty when no server was checked), plus
    /// `"domain"` ([`DomainReport::to_json`]) and `"mx_servers"` (every server's report, the
    /// first included); `verdict` is the overall one.
    pub fn to_json(&self) -> String {
        let mut json = JsonWriter::new();
        let verdict = self.verdict();
        let extra = |json: &mut JsonWriter| {
            json.key("domain");
            self.domain.write_json(json);
            json.key("mx_servers").begin_array();
            for server in &self.servers {
                server.write_json(json, server.verdict, |_| {});
            }
            json.end_array();
        };
        match self.servers.first() {
            Some(first) => first.write_json(&mut json, verdict, extra),
            None => {
                json.begin_object();
                json.key("server").null();
                json.key("tls_mode").null();
                json.key("steps").begin_array().end_array();
                json.key("capabilities").null();
                json.key("tls").null();
                json.key("warnings").begin_array().end_array();
                json.key("transcript").begin_array().end_array();
                extra(&mut json);
                json.key("verdict").string(verdict.as_str());
                json.end_object();
            }
        }
        json.finish()
    }
}

/// What the records imply for the session with `host`.
fn judge(domain: &DomainReport, host: &str, report: &mut Report) {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let is_mx = domain.mx_hosts.iter().any(|h| h.exchange == host);
    if is_mx && domain.mta_sts_mode() == Some(Mode::Enforce) {
        starttls_required_by_policy(domain, report);
    }
    if let Some(address) = report.address
        && let Some(reverse) = domain.reverse_name(address.ip())
        && !reverse.names.is_empty()
    {
        let names = [
            (
                "banner",
                report
                    .step(Step::Greeting)
                    .and_then(|s| s.reply.as_ref())
                    .and_then(announced_name),
            ),
            (
                "EHLO",
                report
                    .step(Step::Ehlo)
                    .and_then(|s| s.reply.as_ref())
                    .and_then(announced_name),
            ),
        ];
        for (what, name) in names {
            let Some(name) = name else { continue };
            if reverse.names.contains(&name) {
                continue;
            }
            let detail = format!(
                "the {what} name {name} is not the PTR name of {} ({})",
                address.ip(),
                reverse.names.join(", ")
            );
            let diagnosis = Diagnosis::from_record_with_severity(
                DiagnosisClass::FcrdnsMismatch,
                crate::diagnosis::DiagnosisSeverity::Warning,
                "fcrdns:server-name",
                None,
                detail.clone(),
            );
            report
                .warnings
                .push(Warning::with_diagnosis(detail, diagnosis));
        }
    }
    report.finish();
}

/// RFC 8461 s5: with policy mode `enforce`, a sender delivers to a matching MX only over TLS
/// with a valid certificate, so an MX without STARTTLS receives no mail from such senders.
fn starttls_required_by_policy(domain: &DomainReport, report: &mut Report) {
    if report.tls.is_some() || report.tls_mode == "implicit" {
        return;
    }
    let offered = report
        .capabilities_before_tls
        .as_ref()
        .map(|c| c.starttls());
    if offered != Some(false) {
        return;
    }
    let detail = format!(
        "{} publishes an MTA-STS policy in mode enforce (RFC 8461 s5): senders that honour it will not deliver to this MX without STARTTLS",
        domain.name
    );
    let step = report.steps.iter_mut().find(|s| s.step == Step::StartTls);
    match step {
        Some(step) if step.status == StepStatus::Skip => {
            step.status = StepStatus::Fail;
            step.detail = Some("not offered, and the domain's MTA-STS policy is enforce".into());
            step.diagnoses
                .push(Diagnosis::tls_not_offered().with_detail(detail));
        }
        _ => {
            let diagnosis = Diagnosis::tls_not_offered().with_detail(detail.clone());
            report
                .warnings
                .push(Warning::with_diagnosis(detail, diagnosis));
        }
    }
}

/// The host name a greeting or EHLO reply announces: the first word after the code
/// (RFC 5321 s4.2: `220 domain ...`, `250 domain ...`), lowercased, without a trailing dot;
/// `None` for an address literal or nothing.
fn announced_name(reply: &Reply) -> Option<String> {
    let first = reply.lines().next()?;
    let text = String::from_utf8_lossy(first.text());
    let word = text.split_ascii_whitespace().next()?;
    if word.starts_with('[') || !word.contains('.') {
        return None;
    }
    Some(word.trim_end_matches('.').to_ascii_lowercase())
}
