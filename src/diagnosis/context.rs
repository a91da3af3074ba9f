//! [`Context`]: what the session knows, for diagnoses that depend on earlier replies
//! (DIAGNOSES.md s4.10 step 5).

use super::noreply::{AUTH_AFTER_STARTTLS_CAUSES, AUTH_AFTER_STARTTLS_REMEDIES};
use super::{Diagnosis, DiagnosisClass};

/// What the session knows when a reply arrives; give it to
/// [`diagnose_in_context`](super::diagnose_in_context).
///
/// - the RCPT diagnoses of the current transaction: `no_valid_recipients` then points at the
///   first refusal ([`Diagnosis::caused_by`]), since that is the real reason;
/// - whether TLS is active and STARTTLS was offered: "AUTH not offered" or "authentication
///   required" on a plaintext connection that offers STARTTLS becomes "do STARTTLS first";
/// - the previous negative reply's diagnosis: `too_many_errors` and `dropped_after_reject`
///   point at it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Context {
    tls_active: bool,
    starttls_offered: bool,
    recipients: Vec<Diagnosis>,
    previous: Option<Diagnosis>,
}

impl Context {
    /// A context that knows nothing.
    pub fn new() -> Self {
        Context::default()
    }

    /// Records whether TLS is active and whether the server's EHLO reply offered STARTTLS.
    pub fn with_tls(mut self, active: bool, starttls_offered: bool) -> Self {
        self.tls_active = active;
        self.starttls_offered = starttls_offered;
        self
    }

    /// Adds the diagnosis of one RCPT TO reply of the current transaction.
    pub fn with_recipient(mut self, diagnosis: Diagnosis) -> Self {
        self.add_recipient(diagnosis);
        self
    }

    /// Adds the diagnosis of one RCPT TO reply of the current transaction.
    pub fn add_recipient(&mut self, diagnosis: Diagnosis) {
        self.recipients.push(diagnosis);
    }

    /// Records the diagnosis of the previous negative reply in the session.
    pub fn with_previous(mut self, diagnosis: Diagnosis) -> Self {
        self.previous = Some(diagnosis);
        self
    }

    /// Whether TLS is active on the connection.
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// Whether the server offered STARTTLS.
    pub fn starttls_offered(&self) -> bool {
        self.starttls_offered
    }

    /// The RCPT diagnoses of the current transaction.
    pub fn recipients(&self) -> &[Diagnosis] {
        &self.recipients
    }

    /// The previous negative reply's diagnosis.
    pub fn previous(&self) -> Option<&Diagnosis> {
        self.previous.as_ref()
    }

    pub(crate) fn refine(&self, diagnosis: Diagnosis) -> Diagnosis {
        match diagnosis.class() {
            DiagnosisClass::NoValidRecipients => {
                let refused: Vec<&Diagnosis> = self
                    .recipients
                    .iter()
                    .filter(|recipient| recipient.is_problem())
                    .collect();
                match refused.first() {
                    Some(first) => {
                        let detail = format!(
                            "{} of {} recipients were refused; the first refusal was {}: {}",
                            refused.len(),
                            self.recipients.len(),
                            first.class(),
                            first.summary()
                        );
                        let first = (*first).clone();
                        diagnosis.with_detail(detail).with_caused_by(first)
                    }
                    None => diagnosis,
                }
            }
            DiagnosisClass::TooManyErrors | DiagnosisClass::DroppedAfterReject => {
                match &self.previous {
                    Some(previous) => diagnosis.with_caused_by(previous.clone()),
                    None => diagnosis,
                }
            }
            DiagnosisClass::AuthNotOffered | DiagnosisClass::AuthRequired
                if self.starttls_offered && !self.tls_active =>
            {
                diagnosis.with_texts(
                    "The server only accepts a login after STARTTLS: do STARTTLS first.",
                    AUTH_AFTER_STARTTLS_CAUSES,
                    AUTH_AFTER_STARTTLS_REMEDIES,
                )
            }
            _ => diagnosis,
        }
    }
}
