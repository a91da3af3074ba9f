//! Diagnoses one SMTP reply read from standard input.
//!
//! ```text
//! cargo run --example diagnose -- --stage STAGE [--json] < reply.txt
//! ```
//!
//! STAGE is the command the reply answered: `greeting ehlo starttls auth mail rcpt data
//! data-end quit any`. The reply may come with or without its code prefix, with CRLF or LF line
//! ends, as logs and libraries print it. Prints a short diagnosis, or with `--json` one JSON
//! object (`class`, `severity`, `retry`, `stage`, `code`, `enhanced`, `summary`, `causes`,
//! `remedies`, `confidence`, and `capabilities` for an EHLO reply). Exit code 2 on bad usage.

use std::io::Read;
use std::process::ExitCode;

use smtp_sansio::{Stage, diagnose_bytes, escape};

const STAGES: [&str; 10] = [
    "greeting", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "data-end", "quit", "any",
];

const USAGE: &str = "usage: diagnose --stage STAGE [--json] < reply
  STAGE: greeting ehlo starttls auth mail rcpt data data-end quit any
  Reads one SMTP reply from standard input (with or without the code prefix)
  and says what it means, why it happens and what to do.";

fn usage_error(message: &str) -> ExitCode {
    eprintln!("diagnose: {}\n{USAGE}", escape::terminal_line(message));
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut stage: Option<String> = None;
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--stage" => match args.next() {
                Some(value) => stage = Some(value),
                None => return usage_error("--stage needs a value"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => match other.strip_prefix("--stage=") {
                Some(value) => stage = Some(value.to_owned()),
                None => return usage_error(&format!("unexpected argument {other:?}")),
            },
        }
    }
    let Some(stage) = stage else {
        return usage_error("--stage is required");
    };
    if !STAGES.contains(&stage.as_str()) {
        return usage_error(&format!("unknown stage {stage:?}"));
    }
    let Ok(stage) = stage.parse::<Stage>() else {
        return usage_error(&format!("unknown stage {stage:?}"));
    };
    let mut input = Vec::new();
    if let Err(err) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("diagnose: cannot read standard input: {err}");
        return ExitCode::from(1);
    }
    if input.iter().all(u8::is_ascii_whitespace) {
        return usage_error("no reply on standard input");
    }
    let diagnosis = diagnose_bytes(stage, &input);
    if json {
        println!("{}", diagnosis.to_json());
    } else {
        // The Display escapes what was pasted (control bytes, invalid UTF-8): a reply that
        // holds terminal escape sequences is shown, not obeyed (smtp_sansio::escape).
        println!("{diagnosis}");
    }
    ExitCode::SUCCESS
}
