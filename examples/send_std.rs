//! Sends one message with the crate's blocking adapter: std sockets and rustls.
//!
//! ```text
//! SMTP_PASSWORD=... cargo run --example send_std -- --server smtp.example.com:587 \
//!     --user me@example.com --password-env SMTP_PASSWORD \
//!     --from me@example.com --to you@example.org --body message.eml
//! ```
//!
//! Flags: see `support/send.rs` (`USAGE`). Exit code 0 when the message was accepted for at
//! least one recipient, 1 otherwise, 2 for bad usage.

use std::process::ExitCode;

use smtp_sansio::blocking::Connection;

#[path = "support/send.rs"]
mod support;

use support::{Options, Report, USAGE, print_error};

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("send_std: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tls = match options.tls() {
        Ok(tls) => tls,
        Err(message) => {
            eprintln!("send_std: {message}");
            return ExitCode::from(2);
        }
    };
    let mut smtp = match Connection::connect_with(&options.server, options.config.clone(), tls) {
        Ok(smtp) => smtp,
        Err(error) => {
            print_error("send_std", &error);
            return ExitCode::from(1);
        }
    };
    let outcome = match smtp.send(&options.envelope, &options.message) {
        Ok(outcome) => outcome,
        Err(error) => {
            print_error("send_std", &error);
            return ExitCode::from(1);
        }
    };
    let _ = smtp.quit();
    let report = Report {
        to: &options.to,
        outcome: &outcome,
    };
    print!("{report}");
    ExitCode::from(report.exit_code())
}
