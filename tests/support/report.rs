//! Reading a check [`Report`] in tests: the steps as `(name, status)` pairs and the diagnosis
//! classes of one step, so that assertions read like the report.
#![allow(dead_code)]

use smtp_sansio::Report;
use smtp_sansio::check::Step;

/// Every step as `("rcpt", "fail")`, in order.
pub fn statuses(report: &Report) -> Vec<(&'static str, &'static str)> {
    report
        .steps
        .iter()
        .map(|step| (step.step.as_str(), step.status.as_str()))
        .collect()
}

/// The diagnosis classes of every report of `step` (several for RCPT), in order.
pub fn classes(report: &Report, step: Step) -> Vec<&'static str> {
    report
        .steps
        .iter()
        .filter(|s| s.step == step)
        .flat_map(|s| s.diagnoses.iter().map(|d| d.class().as_str()))
        .collect()
}
