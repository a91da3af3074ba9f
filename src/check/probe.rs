//! Port discovery for a submission server (`check --probe-ports`): which of 587 (STARTTLS,
//! RFC 6409), 465 (implicit TLS, RFC 8314) and 25 (relay, RFC 5321) answer, and how.
//!
//! The caller tries each port in its role's TLS mode and stops after the greeting (a
//! [`Check`](super::Check) with `quit_after` [`Step::Greeting`]); on a STARTTLS port that
//! stays silent it tries implicit TLS as well. [`PortProbe::judge`] reads those reports: a
//! plaintext greeting on the implicit-TLS port, or a TLS handshake on a STARTTLS port, is
//! `tls_mode_mismatch`. [`best_port`] picks the port to check in full.

use super::{Report, Step, StepStatus};
use crate::diagnosis::{Confidence, Diagnosis, DiagnosisClass};
use crate::json::JsonWriter;
use crate::stage::Stage;

/// What a port is tried as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortRole {
    /// Message submission with STARTTLS (port 587, RFC 6409, RFC 3207).
    Submission,
    /// Message submission over implicit TLS (port 465, RFC 8314 s3.3).
    Submissions,
    /// Relay (port 25, RFC 5321): STARTTLS when offered.
    Relay,
}

impl PortRole {
    /// `submission`, `submissions` or `relay`.
    pub fn as_str(self) -> &'static str {
        match self {
            PortRole::Submission => "submission",
            PortRole::Submissions => "submissions",
            PortRole::Relay => "relay",
        }
    }

    /// The TLS mode a port of this role is tried with.
    pub fn tls(self) -> super::CheckTls {
        match self {
            PortRole::Submission => super::CheckTls::StartTls,
            PortRole::Submissions => super::CheckTls::Implicit,
            PortRole::Relay => super::CheckTls::StartTlsOptional,
        }
    }
}

/// How one port answered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PortProbe {
    /// The port.
    pub port: u16,
    /// What it was tried as.
    pub role: PortRole,
    /// Pass: it greeted in its role's mode; fail: it did not (the diagnoses say why).
    pub status: StepStatus,
    /// How it answered, in words.
    pub answer: String,
    /// What went wrong.
    pub diagnoses: Vec<Diagnosis>,
}

impl PortProbe {
    /// Judges the probe of `port` from `first`, the check in the role's own mode that stopped
    /// after the greeting, and `implicit_retry`, the check with implicit TLS the caller ran
    /// when a STARTTLS-role port sent no greeting.
    pub fn judge(
        port: u16,
        role: PortRole,
        first: &Report,
        implicit_retry: Option<&Report>,
    ) -> PortProbe {
        let greeting = first.step(Step::Greeting);
        let greeted = greeting.is_some_and(|s| s.status == StepStatus::Pass);
        let reply = greeting.and_then(|s| s.reply.as_ref()).map(|r| {
            String::from_utf8_lossy(r.lines().next().map_or(&[][..], |l| l.as_bytes())).into_owned()
        });
        if greeted {
            let answer = match role {
                PortRole::Submissions => {
                    format!("TLS on connect, then {}", reply.unwrap_or_default())
                }
                _ => format!("plaintext greeting: {}", reply.unwrap_or_default()),
            };
            return PortProbe {
                port,
                role,
                status: StepStatus::Pass,
                answer,
                diagnoses: Vec::new(),
            };
        }
        let retried = implicit_retry.is_some_and(|retry| {
            retry
                .step(Step::Greeting)
                .is_some_and(|s| s.status == StepStatus::Pass)
        });
        if retried {
            let diagnosis = Diagnosis::of_class(
                DiagnosisClass::TlsModeMismatch,
                Stage::Greeting,
                "probe:tls-on-starttls-port",
                Confidence::High,
            )
            .with_detail(format!(
                "port {port} sent no plaintext greeting but completed a TLS handshake and greeted inside TLS: it is an implicit-TLS port, not a {} port",
                role.as_str()
            ));
            return PortProbe {
                port,
                role,
                status: StepStatus::Fail,
                answer: "TLS handshake where a plaintext greeting was expected".to_owned(),
                diagnoses: vec![diagnosis],
            };
        }
        let failed = first.steps.iter().find(|s| s.status == StepStatus::Fail);
        let diagnoses = failed.map(|s| s.diagnoses.clone()).unwrap_or_default();
        let answer = match diagnoses.first().map(Diagnosis::class) {
            Some(DiagnosisClass::TlsModeMismatch) => {
                "plaintext where a TLS handshake was expected".to_owned()
            }
            Some(DiagnosisClass::ConnectionRefused) => "connection refused".to_owned(),
            Some(class) => format!("no usable answer ({class})"),
            None => "no usable answer".to_owned(),
        };
        PortProbe {
            port,
            role,
            status: StepStatus::Fail,
            answer,
            diagnoses,
        }
    }

    pub(crate) fn write_json(&self, json: &mut JsonWriter) {
        json.begin_object();
        json.key("port").number(u64::from(self.port));
        json.key("role").string(self.role.as_str());
        json.key("tls").string(self.role.tls().as_str());
        json.key("status").string(self.status.as_str());
        json.key("answer").string(&self.answer);
        json.key("diagnoses").begin_array();
        for diagnosis in &self.diagnoses {
            diagnosis.write_json(json);
        }
        json.end_array();
        json.end_object();
    }
}

/// The port to check in full: implicit TLS first (RFC 8314 s3.3: preferred for submission),
/// then STARTTLS submission, then relay; `None` when none answered in its mode.
pub fn best_port(probes: &[PortProbe]) -> Option<&PortProbe> {
    [PortRole::Submissions, PortRole::Submission, PortRole::Relay]
        .iter()
        .find_map(|role| {
            probes
                .iter()
                .find(|p| p.role == *role && p.status == StepStatus::Pass)
        })
}
