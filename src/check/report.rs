//! [`Report`]: what a [`Check`](super::Check) found, as plain text for a terminal and as JSON
//! (hand-written with the crate's small JSON writer: the library has no serde dependency, and
//! the report's shape is a fixed contract, DESIGN.md s5).

use std::fmt::Write as _;
use std::time::Duration;

use crate::capabilities::{Capabilities, Keyword};
use crate::diagnosis::{Diagnosis, capabilities_line, write_capabilities};
use crate::escape::terminal_line as line;
use crate::json::JsonWriter;
use crate::reply::Reply;

use super::{CheckOptions, Step};

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepStatus {
    /// It worked.
    Pass,
    /// It worked, with something an expert would point out.
    Warn,
    /// It failed; the diagnoses say why.
    Fail,
    /// Not tried (not asked for, or not offered and not required).
    Skip,
}

impl StepStatus {
    /// `pass`, `warn`, `fail` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pass => "pass",
            StepStatus::Warn => "warn",
            StepStatus::Fail => "fail",
            StepStatus::Skip => "skip",
        }
    }
}

/// One step's result.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StepReport {
    /// Which step.
    pub step: Step,
    /// How it went.
    pub status: StepStatus,
    /// The reply that ended it, if any.
    pub reply: Option<Reply>,
    /// What went wrong (empty when nothing did).
    pub diagnoses: Vec<Diagnosis>,
    /// How long it took, from the `now` values the caller passed.
    pub duration: Option<Duration>,
    /// For RCPT: the recipient.
    pub target: Option<String>,
    /// A short note (why skipped, the mechanism used, a usage refusal).
    pub detail: Option<String>,
}

impl StepReport {
    pub(super) fn new(
        step: Step,
        status: StepStatus,
        reply: Option<Reply>,
        diagnoses: Vec<Diagnosis>,
    ) -> StepReport {
        StepReport {
            step,
            status,
            reply,
            diagnoses,
            duration: None,
            target: None,
            detail: None,
        }
    }
}

/// What the caller's TLS layer reports about the session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TlsFacts {
    /// `TLSv1.3`, `TLSv1.2`.
    pub protocol: String,
    /// The cipher suite.
    pub cipher: String,
    /// The certificate's subject.
    pub subject: Option<String>,
    /// The certificate's issuer.
    pub issuer: Option<String>,
    /// Valid from.
    pub not_before: Option<String>,
    /// Valid until.
    pub not_after: Option<String>,
    /// Whether the certificate chain and name were verified.
    pub verified: bool,
    /// Why verification failed, when the caller went on anyway.
    pub verify_error: Option<String>,
    /// The certificate did not verify against the trust anchors but is byte-equal to one
    /// the caller trusts explicitly (a pinned, typically self-signed, certificate).
    pub pinned: bool,
    /// The certificate chain the server presented, DER, its own certificate first: what DANE
    /// TLSA records are matched against (RFC 7672 s3). Not in the JSON report.
    pub chain: Vec<Vec<u8>>,
}

impl TlsFacts {
    /// Facts for a session with `protocol` and `cipher`.
    pub fn new(protocol: impl Into<String>, cipher: impl Into<String>, verified: bool) -> TlsFacts {
        TlsFacts {
            protocol: protocol.into(),
            cipher: cipher.into(),
            verified,
            ..TlsFacts::default()
        }
    }
}

/// Something an expert would point out, with a diagnosis when one applies.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Warning {
    /// The warning in plain words.
    pub text: String,
    /// What it means, when a diagnosis class fits.
    pub diagnosis: Option<Diagnosis>,
}

impl Warning {
    pub(crate) fn new(text: String) -> Warning {
        Warning {
            text,
            diagnosis: None,
        }
    }

    pub(crate) fn with_diagnosis(text: String, diagnosis: Diagnosis) -> Warning {
        Warning {
            text,
            diagnosis: Some(diagnosis),
        }
    }
}

/// Who said a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Speaker {
    /// The client (`C:`).
    Client,
    /// The server (`S:`).
    Server,
    /// A note: the TLS boundary, a redaction.
    Note,
}

/// One line of the session as it happened (secrets redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TranscriptLine {
    /// Who.
    pub speaker: Speaker,
    /// What, without the line end.
    pub text: String,
}

impl TranscriptLine {
    pub(super) fn client(text: String) -> TranscriptLine {
        TranscriptLine {
            speaker: Speaker::Client,
            text,
        }
    }

    pub(super) fn server(text: String) -> TranscriptLine {
        TranscriptLine {
            speaker: Speaker::Server,
            text,
        }
    }

    pub(super) fn info(text: String) -> TranscriptLine {
        TranscriptLine {
            speaker: Speaker::Note,
            text,
        }
    }
}

/// The outcome of the whole check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Every step passed and nothing is worth a warning.
    Pass,
    /// Every step passed or was skipped, but there are warnings.
    Warn,
    /// At least one step failed.
    Fail,
}

impl Verdict {
    /// `pass`, `warn` or `fail`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// What TLS changed in the capabilities (RFC 3207 s4.2: the list MAY differ after TLS).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapabilityChanges {
    /// Keywords (and AUTH mechanisms, as `AUTH X`) offered only after TLS.
    pub added: Vec<String>,
    /// Keywords offered only before TLS.
    pub removed: Vec<String>,
}

/// What a check found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The server as the user named it.
    pub server: String,
    /// The TLS mode asked for.
    pub tls_mode: &'static str,
    /// Every step, in order (RCPT once per recipient).
    pub steps: Vec<StepReport>,
    /// The EHLO capabilities before TLS (or on an implicit-TLS session).
    pub capabilities_before_tls: Option<Capabilities>,
    /// The EHLO capabilities after STARTTLS.
    pub capabilities_after_tls: Option<Capabilities>,
    /// The TLS session, as the caller reported it.
    pub tls: Option<TlsFacts>,
    /// What an expert would point out.
    pub warnings: Vec<Warning>,
    /// The session, line by line, secrets redacted, the TLS boundary marked.
    pub transcript: Vec<TranscriptLine>,
    /// The outcome (final once the check is done).
    pub verdict: Verdict,
    /// The address the session ran on, when the IO adapter reports it (not in the JSON).
    pub address: Option<std::net::SocketAddr>,
    /// The ports tried before this check (`--probe-ports`), when any: shown first, and in the
    /// JSON as `"ports"`.
    pub ports: Vec<super::PortProbe>,
}

impl Report {
    pub(super) fn new(options: &CheckOptions) -> Report {
        Report {
            server: options.server.clone(),
            tls_mode: options.tls.as_str(),
            steps: Vec::new(),
            capabilities_before_tls: None,
            capabilities_after_tls: None,
            tls: None,
            warnings: Vec::new(),
            transcript: Vec::new(),
            verdict: Verdict::Pass,
            address: None,
            ports: Vec::new(),
        }
    }

    pub(crate) fn finish(&mut self) {
        self.verdict = if self.steps.iter().any(|s| s.status == StepStatus::Fail) {
            Verdict::Fail
        } else if !self.warnings.is_empty()
            || self.steps.iter().any(|s| s.status == StepStatus::Warn)
        {
            Verdict::Warn
        } else {
            Verdict::Pass
        };
    }

    /// The first report of `step`.
    pub fn step(&self, step: Step) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.step == step)
    }

    /// The capabilities that count: after TLS when there was an upgrade, else before.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities_after_tls
            .as_ref()
            .or(self.capabilities_before_tls.as_ref())
    }

    /// What changed between the EHLO before and after STARTTLS.
    pub fn capability_changes(&self) -> Option<CapabilityChanges> {
        let (before, after) = (
            self.capabilities_before_tls.as_ref()?,
            self.capabilities_after_tls.as_ref()?,
        );
        let names = |caps: &Capabilities| -> Vec<String> {
            let mut names: Vec<String> = caps
                .keywords()
                .filter(|k| *k != Keyword::Auth)
                .map(|k| match (k, caps.size()) {
                    (Keyword::Size, Some(size)) => format!("SIZE {size}"),
                    _ => k.as_str().to_string(),
                })
                .collect();
            names.extend(caps.auth_mechanisms().map(|m| format!("AUTH {m}")));
            names.extend(caps.unknown().iter().map(|e| e.keyword().to_string()));
            names
        };
        let (before, after) = (names(before), names(after));
        Some(CapabilityChanges {
            added: after
                .iter()
                .filter(|n| !before.contains(n))
                .cloned()
                .collect(),
            removed: before
                .iter()
                .filter(|n| !after.contains(n))
                .cloned()
                .collect(),
        })
    }

    /// The exit code of the `check` command line: 0 when every step passed or warned, 1 when
    /// a step failed.
    pub fn exit_code(&self) -> i32 {
        if self.verdict == Verdict::Fail { 1 } else { 0 }
    }

    /// The transcript as `C:` / `S:` lines, each escaped for a terminal
    /// ([`escape::terminal_line`](crate::escape::terminal_line)).
    pub fn transcript_text(&self) -> String {
        let mut out = String::new();
        for line in &self.transcript {
            let prefix = match line.speaker {
                Speaker::Client => "C: ",
                Speaker::Server => "S: ",
                Speaker::Note => "",
            };
            let _ = writeln!(out, "{prefix}{}", self::line(&line.text));
        }
        out
    }

    /// The steps, capabilities, TLS facts, warnings and verdict, for a terminal: every text
    /// that came from the server or the user is escaped
    /// ([`escape::terminal_line`](crate::escape::terminal_line)), so each step stays on its line.
    pub fn summary_text(&self) -> String {
        let mut out = String::new();
        if !self.ports.is_empty() {
            let _ = writeln!(out, "Ports");
            for probe in &self.ports {
                let _ = writeln!(
                    out,
                    "  {:<4}  {:<5} {:<12} {}",
                    probe.status.as_str().to_uppercase(),
                    probe.port,
                    probe.role.as_str(),
                    line(&probe.answer)
                );
                for diagnosis in &probe.diagnoses {
                    let _ = writeln!(
                        out,
                        "        -> {}: {}",
                        diagnosis.class().as_str(),
                        line(diagnosis.summary())
                    );
                    if let Some(detail) = diagnosis.detail() {
                        let _ = writeln!(out, "           seen: {}", line(detail));
                    }
                }
            }
            let _ = writeln!(out, "Checked: {}\n", line(&self.server));
        }
        let _ = writeln!(out, "Steps");
        for step in &self.steps {
            let label = match &step.target {
                Some(target) => format!(
                    "{} <{}>",
                    step.step.as_str(),
                    target.trim_matches(['<', '>'])
                ),
                None => step.step.as_str().to_string(),
            };
            let reply = step
                .reply
                .as_ref()
                .map(first_line)
                .or_else(|| step.detail.clone())
                .unwrap_or_default();
            let duration = step
                .duration
                .map(|d| format!(" ({})", human_duration(d)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<4}  {:<22} {}{}",
                step.status.as_str().to_uppercase(),
                line(&label).to_string(),
                line(&reply),
                duration
            );
            for diagnosis in &step.diagnoses {
                let _ = writeln!(
                    out,
                    "        -> {}: {}",
                    diagnosis.class().as_str(),
                    line(diagnosis.summary())
                );
                if let Some(detail) = diagnosis.detail() {
                    let _ = writeln!(out, "           seen: {}", line(detail));
                }
                if let Some(cause) = diagnosis.causes().first() {
                    let _ = writeln!(out, "           likely: {}", line(cause));
                }
                for remedy in diagnosis.remedies().iter().take(2) {
                    let _ = writeln!(out, "           do: {}", line(remedy));
                }
            }
        }
        match (&self.capabilities_before_tls, &self.capabilities_after_tls) {
            (Some(before), Some(after)) => {
                let _ = writeln!(
                    out,
                    "\nCapabilities before TLS: {}",
                    line(&capabilities_line(before))
                );
                let _ = writeln!(
                    out,
                    "Capabilities after TLS:  {}",
                    line(&capabilities_line(after))
                );
                if let Some(changes) = self.capability_changes() {
                    if !changes.added.is_empty() {
                        let _ = writeln!(out, "  TLS added:   {}", line(&changes.added.join(", ")));
                    }
                    if !changes.removed.is_empty() {
                        let _ =
                            writeln!(out, "  TLS removed: {}", line(&changes.removed.join(", ")));
                    }
                }
            }
            (Some(caps), None) | (None, Some(caps)) => {
                let _ = writeln!(out, "\nCapabilities: {}", line(&capabilities_line(caps)));
            }
            (None, None) => {}
        }
        if let Some(tls) = &self.tls {
            let _ = writeln!(
                out,
                "\nTLS: {} {}, certificate {}",
                line(&tls.protocol),
                line(&tls.cipher),
                if tls.verified {
                    "verified"
                } else {
                    "NOT verified"
                }
            );
            if let Some(subject) = &tls.subject {
                let _ = writeln!(out, "  subject: {}", line(subject));
            }
            if let Some(issuer) = &tls.issuer {
                let _ = writeln!(out, "  issuer:  {}", line(issuer));
            }
            if let (Some(from), Some(until)) = (&tls.not_before, &tls.not_after) {
                let _ = writeln!(out, "  valid:   {} .. {}", line(from), line(until));
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "\nWarnings");
            for warning in &self.warnings {
                let _ = writeln!(out, "  ! {}", line(&warning.text));
                if let Some(diagnosis) = &warning.diagnosis {
                    let _ = writeln!(
                        out,
                        "    -> {}: {}",
                        diagnosis.class().as_str(),
                        line(diagnosis.summary())
                    );
                }
            }
        }
        let failed = self
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Fail)
            .count();
        let _ = writeln!(
            out,
            "\nVerdict: {}{}",
            self.verdict.as_str().to_uppercase(),
            match failed {
                0 => String::new(),
                1 => " (1 step failed)".into(),
                n => format!(" ({n} steps failed)"),
            }
        );
        out
    }

    /// The report as one JSON object: `server`, `steps` (each `step`, `status`, `reply`,
    /// `diagnoses`), `capabilities`, `tls`, `verdict` (a stable contract), plus `tls_mode`,
    /// `capabilities_before_tls`, `capabilities_after_tls`, `capability_changes`, `warnings`
    /// and `transcript`.
    pub fn to_json(&self) -> String {
        let mut json = JsonWriter::new();
        self.write_json(&mut json, self.verdict, |_| {});
        json.finish()
    }

    /// The JSON object of [`Report::to_json`] with `verdict` as its verdict and `extra` keys
    /// written before it.
    pub(crate) fn write_json(
        &self,
        json: &mut JsonWriter,
        verdict: Verdict,
        extra: impl FnOnce(&mut JsonWriter),
    ) {
        json.begin_object();
        json.key("server").string(&self.server);
        json.key("tls_mode").string(self.tls_mode);
        json.key("steps").begin_array();
        for step in &self.steps {
            json.begin_object();
            json.key("step").string(step.step.as_str());
            json.key("status").string(step.status.as_str());
            json.key("reply");
            match &step.reply {
                Some(reply) => json.string(&reply.lines_lossy()),
                None => json.null(),
            };
            json.key("diagnoses").begin_array();
            for diagnosis in &step.diagnoses {
                diagnosis.write_json(json);
            }
            json.end_array();
            json.key("duration_ms");
            match step.duration {
                Some(d) => json.number(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                None => json.null(),
            };
            json.key("duration_us");
            match step.duration {
                Some(d) => json.number(u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
                None => json.null(),
            };
            json.key("target").optional_string(step.target.as_deref());
            json.key("detail").optional_string(step.detail.as_deref());
            json.end_object();
        }
        json.end_array();
        json.key("capabilities");
        write_optional_capabilities(json, self.capabilities());
        json.key("capabilities_before_tls");
        write_optional_capabilities(json, self.capabilities_before_tls.as_ref());
        json.key("capabilities_after_tls");
        write_optional_capabilities(json, self.capabilities_after_tls.as_ref());
        json.key("capability_changes");
        match self.capability_changes() {
            Some(changes) => {
                json.begin_object();
                json.key("added")
                    .string_array(changes.added.iter().map(String::as_str));
                json.key("removed")
                    .string_array(changes.removed.iter().map(String::as_str));
                json.end_object();
            }
            None => {
                json.null();
            }
        }
        json.key("tls");
        match &self.tls {
            Some(tls) => {
                json.begin_object();
                json.key("protocol").string(&tls.protocol);
                json.key("cipher").string(&tls.cipher);
                json.key("subject").optional_string(tls.subject.as_deref());
                json.key("issuer").optional_string(tls.issuer.as_deref());
                json.key("not_before")
                    .optional_string(tls.not_before.as_deref());
                json.key("not_after")
                    .optional_string(tls.not_after.as_deref());
                json.key("verified").boolean(tls.verified);
                json.key("pinned").boolean(tls.pinned);
                json.key("verify_error")
                    .optional_string(tls.verify_error.as_deref());
                json.end_object();
            }
            None => {
                json.null();
            }
        }
        json.key("warnings").begin_array();
        for warning in &self.warnings {
            json.begin_object();
            json.key("text").string(&warning.text);
            json.key("class")
                .optional_string(warning.diagnosis.as_ref().map(|d| d.class().as_str()));
            json.end_object();
        }
        json.end_array();
        json.key("transcript").begin_array();
        for line in &self.transcript {
            let prefix = match line.speaker {
                Speaker::Client => "C: ",
                Speaker::Server => "S: ",
                Speaker::Note => "",
            };
            json.string(&format!("{prefix}{}", line.text));
        }
        json.end_array();
        if !self.ports.is_empty() {
            json.key("ports").begin_array();
            for probe in &self.ports {
                probe.write_json(json);
            }
            json.end_array();
        }
        extra(json);
        json.key("verdict").string(verdict.as_str());
        json.end_object();
    }
}

fn write_optional_capabilities(json: &mut JsonWriter, capabilities: Option<&Capabilities>) {
    match capabilities {
        Some(capabilities) => write_capabilities(json, capabilities),
        None => {
            json.null();
        }
    }
}

fn first_line(reply: &Reply) -> String {
    let text = reply.to_string();
    let first = text.lines().next().unwrap_or_default().to_string();
    if reply.line_count() > 1 {
        format!("{first} [+{} lines]", reply.line_count() - 1)
    } else {
        first
    }
}

fn human_duration(duration: Duration) -> String {
    if duration >= Duration::from_secs(1) {
        format!("{:.2} s", duration.as_secs_f64())
    } else if duration >= Duration::from_millis(10) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    }
}
