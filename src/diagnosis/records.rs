//! Diagnoses from a domain's published DNS records (DIAGNOSES.md s4.12): built by the record
//! layer (`crate::records`), not from a server reply.

use super::{Confidence, Diagnosis, DiagnosisClass, DiagnosisSeverity};
use crate::stage::Stage;

impl Diagnosis {
    /// A diagnosis of a published record at stage `dns`: the class's texts, `detail` with the
    /// facts of the case, and the record text as published (quoted after the detail) when
    /// there is one. `rule` names the check that decided (`spf:analysis`, `dmarc:policy`...).
    pub(crate) fn from_record(
        class: DiagnosisClass,
        rule: &'static str,
        record: Option<&str>,
        detail: String,
    ) -> Diagnosis {
        let detail = match record {
            Some(record) => format!("{detail}; record: {record:?}"),
            None => detail,
        };
        Diagnosis::of_class(class, Stage::Dns, rule, Confidence::High).with_detail(detail)
    }

    /// [`Diagnosis::from_record`] with another severity than the class's default (a failure
    /// class reported as a warning near a limit, a refused block-list query as info).
    pub(crate) fn from_record_with_severity(
        class: DiagnosisClass,
        severity: DiagnosisSeverity,
        rule: &'static str,
        record: Option<&str>,
        detail: String,
    ) -> Diagnosis {
        Diagnosis::from_record(class, rule, record, detail).with_severity(severity)
    }
}
