//! `--probe-ports`: tries the submission ports of `--server HOST` (587 STARTTLS, 465 implicit
//! TLS, 25), each up to its greeting, then checks the best one in full. The judging is the
//! library's (`check::PortProbe`); this is the IO.

use std::sync::Arc;
use std::time::Duration;

use smtp_sansio::check::{PortProbe, PortRole, Step, best_port};
use smtp_sansio::tls::TlsConnect;
use smtp_sansio::{CheckTls, Timeouts};

use super::{Args, server_options, target, tls_builder};

/// Probes, checks the best port, prints the report; the exit code. `Err` is bad usage.
pub fn run(args: &Args, ports: [u16; 3]) -> Result<i32, String> {
    let server = args.server.as_deref().unwrap_or_default();
    let (host, _) = target(server, 0).map_err(|err| format!("--server {err}"))?;
    let tls: Arc<dyn TlsConnect> = Arc::new(
        tls_builder(args)?
            .build()
            .map_err(|err| format!("TLS: {err}"))?,
    );
    // A probe waits for a greeting, not for a tarpit: a few seconds at most.
    let wait = args.timeout.min(Duration::from_secs(5));
    let roles = [
        (ports[0], PortRole::Submission),
        (ports[1], PortRole::Submissions),
        (ports[2], PortRole::Relay),
    ];
    let mut probes = Vec::new();
    for (port, role) in roles {
        let attempt = |tls_mode: CheckTls| -> Result<smtp_sansio::Report, String> {
            let mut options = server_options(args, &host, port, false)?;
            options.tls = tls_mode;
            options.quit_after = Some(Step::Greeting);
            options.from = None;
            options.to.clear();
            options.credentials = None;
            options.data = None;
            options.timeouts = Timeouts::uniform(wait);
            Ok(smtp_sansio::blocking::check(options, Some(tls.clone())))
        };
        let first = attempt(role.tls())?;
        let silent = first.step(Step::Greeting).is_some_and(|s| {
            s.diagnoses
                .iter()
                .any(|d| d.class() == smtp_sansio::DiagnosisClass::GreetingTimeout)
        });
        let retry = if silent && role != PortRole::Submissions {
            Some(attempt(CheckTls::Implicit)?)
        } else {
            None
        };
        probes.push(PortProbe::judge(port, role, &first, retry.as_ref()));
    }
    let (port, tls_mode) = match best_port(&probes) {
        Some(best) if best.role == PortRole::Submissions => (best.port, CheckTls::Implicit),
        Some(best) => (best.port, args.tls),
        // Nothing answered: the full check of the submission port shows why.
        None => (ports[0], args.tls),
    };
    let mut options = server_options(args, &host, port, false)?;
    options.tls = tls_mode;
    let mut report = smtp_sansio::blocking::check(options, Some(tls));
    report.ports = probes;
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!("{}", report.transcript_text());
        println!("{}", report.summary_text());
    }
    Ok(report.exit_code())
}
