//! Sends one message with the crate's tokio adapter: tokio sockets and rustls.
//!
//! ```text
//! SMTP_PASSWORD=... cargo run --example send_tokio -- --server smtp.example.com:465 --tls implicit \
//!     --user me@example.com --password-env SMTP_PASSWORD \
//!     --from me@example.com --to you@example.org --body message.eml
//! ```
//!
//! Flags as `send_std` (see `support/send.rs`, `USAGE`).

use std::process::ExitCode;

use smtp_sansio::tokio::Connection;

#[path = "support/send.rs"]
mod support;

use support::{Options, Report, USAGE, print_error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("send_tokio: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tls = match options.tls() {
        Ok(tls) => tls,
        Err(message) => {
            eprintln!("send_tokio: {message}");
            return ExitCode::from(2);
        }
    };
    let connecting = Connection::connect_with(&options.server, options.config.clone(), tls);
    let mut smtp = match connecting.await {
        Ok(smtp) => smtp,
        Err(error) => {
            print_error("send_tokio", &error);
            return ExitCode::from(1);
        }
    };
    let outcome = match smtp.send(&options.envelope, &options.message).await {
        Ok(outcome) => outcome,
        Err(error) => {
            print_error("send_tokio", &error);
            return ExitCode::from(1);
        }
    };
    let _ = smtp.quit().await;
    let report = Report {
        to: &options.to,
        outcome: &outcome,
    };
    print!("{report}");
    ExitCode::from(report.exit_code())
}
