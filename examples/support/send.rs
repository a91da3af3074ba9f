//! What the `send_std` and `send_tokio` examples share: the command line, checked before
//! anything connects, and the printed form of a message's outcome. The sending itself is the
//! crate's `blocking` / `tokio` adapter.
#![allow(dead_code)]

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smtp_sansio::tls::{TlsConnect, TlsConnector};
use smtp_sansio::{
    Config, Credentials, Envelope, Host, Mechanism, MessageOutcome, MessageStatus, Pipelining,
    RecipientStatus, SessionError, Timeouts, TlsPolicy, escape,
};

/// The command line, shared by both examples.
pub const USAGE: &str = "\
usage: send_std|send_tokio --server HOST:PORT --from ADDR --to ADDR [--to ADDR]... --body FILE
         [--tls starttls|implicit|none] [--ca PEM] [--insecure] [--ehlo NAME]
         [--user U --password-env VAR] [--auth MECH] [--timeout SECS]
         [--no-pipelining] [--no-size] [--dangerous-plaintext-auth]
  Sends FILE (headers and body, any line ends) to every --to and prints what happened
  to each recipient, with a diagnosis for every refusal.
  --tls          starttls (default: required, never downgrades), implicit (TLS on connect,
                 port 465), none (plaintext; for loopback tests)
  --ca PEM       trust the certificates in PEM as well as the webpki roots
  --insecure     do not verify the server's certificate (tests only)
  --ehlo NAME    the client's name (default: an address literal of the local address)
  --timeout SECS every reply, connect and handshake timeout (default: RFC 5321 s4.5.3.2)
  --no-size      do not declare SIZE= on MAIL, so the server's own limit applies after
                 the final dot
Exit code: 0 when the message was accepted for at least one recipient, 1 otherwise,
2 for bad usage.";

/// What to send, where, and how: the parsed and checked command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// `HOST:PORT`.
    pub server: String,
    /// The engine's configuration (TLS policy, EHLO name, credentials, timeouts, ...).
    pub config: Config,
    /// Extra trusted certificates (PEM), besides the webpki roots.
    pub ca: Option<PathBuf>,
    /// Skip certificate verification.
    pub insecure: bool,
    /// The envelope.
    pub envelope: Envelope,
    /// The recipients as given, for the printed outcome.
    pub to: Vec<String>,
    /// The message: headers and body.
    pub message: Vec<u8>,
}

impl Options {
    /// Parses and checks the command line (without the program name): every address, the
    /// EHLO name and the port are checked here, before connecting. `Err` is a usage error.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let (mut server, mut from, mut to, mut body) = (None, None, Vec::new(), None);
        let (mut tls, mut ca, mut insecure, mut ehlo) = (TlsPolicy::Required, None, false, None);
        let (mut user, mut password_env, mut mechanism, mut timeout) = (None, None, None, None);
        let (mut pipelining, mut declare_size, mut plaintext_auth) = (true, true, false);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--server" => server = Some(value()?),
                "--tls" => {
                    tls = match value()?.as_str() {
                        "starttls" => TlsPolicy::Required,
                        "implicit" => TlsPolicy::Implicit,
                        "none" => TlsPolicy::None,
                        other => return Err(format!("unknown --tls mode {other:?}")),
                    }
                }
                "--ca" => ca = Some(PathBuf::from(value()?)),
                "--insecure" => insecure = true,
                "--ehlo" => ehlo = Some(value()?),
                "--user" => user = Some(value()?),
                "--password-env" => password_env = Some(value()?),
                "--auth" => {
                    let name = value()?;
                    let parsed: Mechanism =
                        name.parse().map_err(|_| format!("bad --auth {name:?}"))?;
                    mechanism = Some(parsed);
                }
                "--from" => from = Some(value()?),
                "--to" => to.push(value()?),
                "--body" => body = Some(value()?),
                "--timeout" => {
                    let secs = value()?;
                    let secs: u64 = secs
                        .parse()
                        .map_err(|_| format!("bad --timeout {secs:?}"))?;
                    timeout = Some(Duration::from_secs(secs.max(1)));
                }
                "--no-pipelining" => pipelining = false,
                "--no-size" => declare_size = false,
                "--dangerous-plaintext-auth" => plaintext_auth = true,
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        let server = server.ok_or("--server is required")?;
        let from = from.ok_or("--from is required")?;
        if to.is_empty() {
            return Err("--to is required".to_owned());
        }
        let body = body.ok_or("--body is required")?;
        match server.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
            _ => return Err(format!("--server {server:?}: expected HOST:PORT")),
        }
        let envelope =
            Envelope::parse(&from, &to).map_err(|error| format!("--from/--to {error}"))?;
        // Without --ehlo the adapter puts the connection's own address literal here.
        let name = ehlo.unwrap_or_else(|| "[0.0.0.0]".to_owned());
        let client_name = Host::parse(&name).map_err(|error| format!("--ehlo: {error}"))?;
        let mut config = Config::new(client_name)
            .with_tls(tls)
            .dangerous_allow_plaintext_auth(plaintext_auth)
            .with_declared_size(declare_size);
        if !pipelining {
            config = config.with_pipelining(Pipelining::Off);
        }
        if let Some(timeout) = timeout {
            config = config.with_timeouts(Timeouts::uniform(timeout));
        }
        match (user, password_env) {
            (Some(user), Some(var)) => {
                let password = std::env::var(&var)
                    .map_err(|_| format!("--password-env {var}: the variable is not set"))?;
                config = config.with_credentials(Credentials::password(user, password));
                if let Some(mechanism) = mechanism {
                    config = config.with_auth_mechanism(mechanism);
                }
            }
            (None, None) => {}
            _ => return Err("--user and --password-env go together".to_owned()),
        }
        let message = std::fs::read(&body).map_err(|err| format!("--body {body}: {err}"))?;
        Ok(Options {
            server,
            config,
            ca,
            insecure,
            envelope,
            to,
            message,
        })
    }

    /// The TLS connector: the webpki roots plus `--ca`; with `--insecure` the handshake goes
    /// on whatever the certificate (loudly). `None` for `--tls none`.
    pub fn tls(&self) -> Result<Option<Arc<dyn TlsConnect>>, String> {
        if self.config.tls == TlsPolicy::None {
            return Ok(None);
        }
        let mut builder = TlsConnector::builder();
        if let Some(path) = &self.ca {
            builder = builder.ca_file(path).map_err(|err| format!("--ca {err}"))?;
        }
        if self.insecure {
            eprintln!(
                "WARNING: --insecure: the server's certificate is NOT verified; anyone on the \
                 path can read and change this session, password included"
            );
            builder = builder.dangerous_accept_invalid_certificates(true);
        }
        let connector = builder.build().map_err(|err| err.to_string())?;
        Ok(Some(Arc::new(connector)))
    }
}

/// The printed outcome of one message: one line per recipient, then every diagnosis.
pub struct Report<'a> {
    /// The recipients as given.
    pub to: &'a [String],
    /// The message's outcome.
    pub outcome: &'a MessageOutcome,
}

impl Report<'_> {
    /// 0 when the message was accepted for at least one recipient, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.outcome.delivered_to().next().is_none())
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = self.outcome;
        let accepted_reply = match &outcome.status {
            MessageStatus::Accepted { reply } => Some(reply.text_lossy()),
            _ => None,
        };
        for (address, (_, status)) in self.to.iter().zip(&outcome.recipients) {
            let address = escape::terminal_line(address.as_bytes());
            match (status, &accepted_reply) {
                (RecipientStatus::Accepted | RecipientStatus::Delivered { .. }, Some(reply)) => {
                    writeln!(
                        f,
                        "<{address}>: delivered ({})",
                        escape::terminal_line(reply.as_bytes())
                    )?
                }
                (RecipientStatus::Accepted, None) => {
                    writeln!(f, "<{address}>: accepted, but the message was not")?
                }
                (RecipientStatus::Refused { diagnosis }, _) => {
                    writeln!(f, "<{address}>: refused: {}", diagnosis.summary())?
                }
                _ => writeln!(f, "<{address}>: no answer")?,
            }
        }
        if outcome
            .diagnosis()
            .is_some_and(|d| matches!(d.class().as_str(), "unexpected_reply" | "malformed_reply"))
        {
            writeln!(
                f,
                "note: the server's replies fell out of step with the commands; the per-recipient results above may belong to other commands"
            )?;
        }
        if outcome.long_lines > 0 {
            writeln!(
                f,
                "warning: {} line(s) over 998 octets (RFC 5321 s4.5.3.1.6): a server may refuse the message or break the lines",
                outcome.long_lines
            )?;
        }
        if let Some(diagnosis) = outcome.diagnosis() {
            writeln!(f, "\n{diagnosis}")?;
        }
        for (_, status) in &outcome.recipients {
            if let RecipientStatus::Refused { diagnosis } = status {
                writeln!(f, "\n{diagnosis}")?;
            }
        }
        Ok(())
    }
}

/// Prints a session error (with its diagnosis) for `program`.
pub fn print_error(program: &str, error: &SessionError) {
    eprintln!("{program}: {error}");
    if let Some(diagnosis) = error.diagnosis() {
        eprintln!("\n{diagnosis}");
    }
}
