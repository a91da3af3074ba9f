//! Checks an SMTP server the way an expert would with telnet, openssl s_client or swaks — and
//! says what is wrong and how to fix it.
//!
//! ```text
//! cargo run --example check -- [--server HOST:PORT] [--tls none|starttls|starttls-optional|implicit]
//!     [--ca PEM] [--insecure] [--ehlo NAME] [--user U --password-env VAR] [--auth MECH]
//!     [--from ADDR] [--to ADDR]... [--quit-after connect|greeting|ehlo|tls|auth|mail|rcpt]
//!     [--data FILE] [--timeout SECS] [--json]
//!     [--domain DOMAIN [--resolver IP[:PORT]] [--mx-port PORT] [--all-mx] [--no-smtp]
//!      [--ip ADDR] [--dkim-selector S]... [--dnsbl ZONE]... [--trust-anchor FILE]
//!      [--mta-sts-port PORT]]
//!     [--probe-ports[=SUBMISSION,SUBMISSIONS,RELAY]]
//! ```
//!
//! It walks connect, greeting, EHLO, STARTTLS, EHLO again, AUTH, MAIL, RCPT, (DATA only with
//! `--data`), RSET and QUIT, then prints the transcript (secrets redacted, the TLS boundary
//! marked), one line per step with its diagnosis, the capabilities and the TLS facts. With
//! `--json` it prints the report as one JSON object instead. Exit code: 0 when every step
//! passed or warned, 1 when one failed, 2 on bad usage.
//!
//! With no `--server` it starts an embedded demo server on 127.0.0.1 (STARTTLS with a
//! generated certificate, AUTH after TLS, a local domain with unknown users) and checks that.
//!
//! With `--domain DOMAIN` it first checks the domain's published records (MX, SPF, DMARC, DKIM
//! keys, MTA-STS, TLS-RPT, DANE TLSA, reverse DNS, block lists), then the SMTP server of its
//! most preferred MX (every MX with `--all-mx`, the `--server` instead when given, none with
//! `--no-smtp`), and prints a "Domain" section before the SMTP steps. `--probe-ports` with
//! `--server HOST` tries ports 587, 465 and 25 first and checks the best one.
//!
//! All of SMTP happens in the library's sans-IO `Check`, driven by its blocking adapter
//! (`smtp_sansio::blocking::check`, std sockets and rustls), and every domain check in its
//! sans-IO `records::domain::DomainCheck`; this example reads the command line, does the DNS
//! and HTTPS IO of a domain check (`domain.rs`: hickory-resolver, hyper), prints the report and
//! runs the demo server (`demo_server.rs`).

mod demo_server;
mod domain;
mod probe;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use smtp_sansio::check::{DomainCheckReport, Step};
use smtp_sansio::records::domain::{DomainCheck, DomainOptions};
use smtp_sansio::tls::{TlsConnect, TlsConnector, TlsConnectorBuilder};
use smtp_sansio::{
    CheckOptions, CheckTls, Credentials, ForwardPath, Host, Mechanism, ReversePath, Timeouts,
    escape,
};

const USAGE: &str = "\
usage: check [--server HOST:PORT] [--tls none|starttls|starttls-optional|implicit]
             [--ca PEM] [--insecure] [--ehlo NAME] [--user U --password-env VAR]
             [--auth MECH] [--from ADDR] [--to ADDR]...
             [--quit-after connect|greeting|ehlo|tls|auth|mail|rcpt]
             [--data FILE] [--timeout SECS] [--json]
             [--domain DOMAIN [--resolver IP[:PORT]] [--mx-port PORT] [--all-mx]
              [--no-smtp] [--ip ADDR] [--dkim-selector S]... [--dnsbl ZONE]...
              [--trust-anchor FILE] [--mta-sts-port PORT]]
             [--probe-ports[=SUBMISSION,SUBMISSIONS,RELAY]]

Checks an SMTP server step by step (connect, greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT,
RSET, QUIT; DATA only with --data) and explains every failure. Without --server it checks
an embedded demo server on 127.0.0.1. Exit code 0: all steps passed or warned; 1: a step
failed; 2: bad usage.

--domain DOMAIN checks the domain's records (MX, SPF, DMARC, DKIM, MTA-STS, TLS-RPT, DANE,
reverse DNS, block lists), then its most preferred MX on port 25 (--mx-port moves it;
--all-mx: every MX; --server: that server instead; --no-smtp: none). --ip ADDR: the sending
IP (SPF for --from or postmaster@DOMAIN, reverse DNS, block lists). --dkim-selector and
--dnsbl repeat. --resolver: the DNS server to ask (default: the system's). --trust-anchor
FILE: DNSKEY records to validate TLSA answers with (default: the root's keys).
--mta-sts-port: the policy's HTTPS port (default 443, for tests). Exit code 1 when a check
or a step failed.

--probe-ports with --server HOST (no port) tries 587 (STARTTLS), 465 (implicit TLS) and 25,
says which answer and how, then checks the best one (=P,P,P: other ports in those roles).";

/// The parsed command line.
struct Args {
    server: Option<String>,
    tls: CheckTls,
    ca: Option<String>,
    insecure: bool,
    ehlo: Option<String>,
    user: Option<String>,
    password_env: Option<String>,
    auth: Option<Mechanism>,
    from: Option<String>,
    to: Vec<String>,
    quit_after: Option<Step>,
    data: Option<String>,
    timeout: Duration,
    json: bool,
    domain: Option<String>,
    resolver: Option<std::net::SocketAddr>,
    mx_port: Option<u16>,
    all_mx: bool,
    no_smtp: bool,
    ip: Option<std::net::IpAddr>,
    dkim_selectors: Vec<String>,
    dnsbl: Vec<String>,
    trust_anchor: Option<String>,
    mta_sts_port: u16,
    probe_ports: Option<[u16; 3]>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args {
        server: None,
        tls: CheckTls::StartTls,
        ca: None,
        insecure: false,
        ehlo: None,
        user: None,
        password_env: None,
        auth: None,
        from: None,
        to: Vec::new(),
        quit_after: None,
        data: None,
        timeout: Duration::from_secs(30),
        json: false,
        domain: None,
        resolver: None,
        mx_port: None,
        all_mx: false,
        no_smtp: false,
        ip: None,
        dkim_selectors: Vec::new(),
        dnsbl: Vec::new(),
        trust_anchor: None,
        mta_sts_port: 443,
        probe_ports: None,
    };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| args.next()) {
                Some(value) => Ok(value),
                None => Err(format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => parsed.json = true,
            "--insecure" => parsed.insecure = true,
            "--server" => parsed.server = Some(value("--server")?),
            "--tls" => {
                parsed.tls = match value("--tls")?.as_str() {
                    "none" => CheckTls::None,
                    "starttls" => CheckTls::StartTls,
                    "starttls-optional" => CheckTls::StartTlsOptional,
                    "implicit" => CheckTls::Implicit,
                    other => return Err(format!("--tls: unknown mode {other:?}")),
                }
            }
            "--ca" => parsed.ca = Some(value("--ca")?),
            "--ehlo" => parsed.ehlo = Some(value("--ehlo")?),
            "--user" => parsed.user = Some(value("--user")?),
            "--password-env" => parsed.password_env = Some(value("--password-env")?),
            "--auth" => {
                let name = value("--auth")?;
                let mechanism = name
                    .parse::<Mechanism>()
                    .map_err(|err| format!("--auth {name:?}: {err}"))?;
                parsed.auth = Some(mechanism);
            }
            "--from" => parsed.from = Some(value("--from")?),
            "--to" => parsed.to.push(value("--to")?),
            "--quit-after" => {
                let name = value("--quit-after")?;
                parsed.quit_after = Some(
                    Step::from_quit_after(&name)
                        .ok_or_else(|| format!("--quit-after: unknown step {name:?}"))?,
                );
            }
            "--data" => parsed.data = Some(value("--data")?),
            "--timeout" => {
                let text = value("--timeout")?;
                let secs: f64 = text
                    .parse()
                    .ok()
                    .filter(|secs: &f64| secs.is_finite() && *secs > 0.0 && *secs <= 3600.0)
                    .ok_or_else(|| format!("--timeout {text:?}: give seconds, 0 < SECS <= 3600"))?;
                parsed.timeout = Duration::from_secs_f64(secs);
            }
            "--domain" => parsed.domain = Some(value("--domain")?),
            "--resolver" => {
                parsed.resolver = Some(domain::resolver_address(&value("--resolver")?)?)
            }
            "--mx-port" => parsed.mx_port = Some(port("--mx-port", &value("--mx-port")?)?),
            "--all-mx" => parsed.all_mx = true,
            "--no-smtp" => parsed.no_smtp = true,
            "--ip" => {
                let text = value("--ip")?;
                parsed.ip = Some(
                    text.parse()
                        .map_err(|_| format!("--ip {text:?} is not an IP address"))?,
                );
            }
            "--dkim-selector" => parsed.dkim_selectors.push(value("--dkim-selector")?),
            "--dnsbl" => parsed.dnsbl.push(value("--dnsbl")?),
            "--trust-anchor" => parsed.trust_anchor = Some(value("--trust-anchor")?),
            "--mta-sts-port" => {
                parsed.mta_sts_port = port("--mta-sts-port", &value("--mta-sts-port")?)?
            }
            "--probe-ports" => {
                parsed.probe_ports = Some(match &inline {
                    None => [587, 465, 25],
                    Some(list) => {
                        let ports: Vec<u16> = list
                            .split(',')
                            .map(|p| port("--probe-ports", p))
                            .collect::<Result<_, _>>()?;
                        <[u16; 3]>::try_from(ports).map_err(|_| {
                            "--probe-ports=P,P,P: three ports (STARTTLS submission, implicit TLS, relay)".to_owned()
                        })?
                    }
                })
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    if parsed.user.is_some() != parsed.password_env.is_some() {
        return Err("--user and --password-env go together".into());
    }
    if parsed.domain.is_none() {
        let domain_only = [
            ("--resolver", parsed.resolver.is_some()),
            ("--mx-port", parsed.mx_port.is_some()),
            ("--all-mx", parsed.all_mx),
            ("--no-smtp", parsed.no_smtp),
            ("--ip", parsed.ip.is_some()),
            ("--dkim-selector", !parsed.dkim_selectors.is_empty()),
            ("--dnsbl", !parsed.dnsbl.is_empty()),
            ("--trust-anchor", parsed.trust_anchor.is_some()),
        ];
        if let Some((flag, _)) = domain_only.iter().find(|(_, given)| *given) {
            return Err(format!("{flag} goes with --domain"));
        }
    } else if parsed.server.is_some() && (parsed.all_mx || parsed.mx_port.is_some()) {
        return Err("--all-mx and --mx-port choose MX servers: not with --server".into());
    }
    if parsed.probe_ports.is_some() {
        match &parsed.server {
            Some(server) if target(server, 0).is_ok_and(|(_, port)| port == 0) => {}
            _ => return Err("--probe-ports needs --server HOST, without a port".into()),
        }
        if parsed.domain.is_some() {
            return Err("--probe-ports checks a submission server: not with --domain".into());
        }
    }
    Ok(Some(parsed))
}

/// A port number for `flag`.
fn port(flag: &str, text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| format!("{flag} {text:?} is not a port number"))
}

/// The EHLO name: `--ehlo`, else this machine's name when it is a fully qualified domain,
/// else `localhost` (RFC 5321 s4.1.1.1 wants the FQDN; many servers refuse a bare word).
fn client_name(ehlo: Option<&str>) -> Result<Host, String> {
    if let Some(name) = ehlo {
        return Host::parse(name).map_err(|err| format!("--ehlo {name:?}: {err}"));
    }
    let hostname = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let hostname = hostname.trim();
    match Host::parse(hostname) {
        Ok(host) if hostname.contains('.') => Ok(host),
        _ => Host::parse("localhost").map_err(|err| err.to_string()),
    }
}

/// Where to connect: `HOST:PORT`, `[IPv6]:PORT` or `HOST` (then `default_port`).
fn target(text: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{text:?}: missing ']'"))?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(format!("{text:?}: expected ':PORT' after ']'")),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            _ => (text, None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text:?}: no host"));
    }
    let port = match port {
        Some(port) => port
            .parse()
            .map_err(|_| format!("{text:?}: {port:?} is not a port number"))?,
        None => default_port,
    };
    Ok((host.to_owned(), port))
}

/// Builds the check from the command line; starts the demo server when there is no
/// `--server`.
fn prepare(args: &Args) -> Result<(CheckOptions, Arc<dyn TlsConnect>), String> {
    let mut tls = tls_builder(args)?;
    let demo = args.server.is_none();
    let (host, port) = match &args.server {
        Some(server) => {
            let default_port = if args.tls == CheckTls::Implicit {
                465
            } else {
                25
            };
            target(server, default_port).map_err(|err| format!("--server {err}"))?
        }
        None => {
            let server = demo_server::start().map_err(|err| format!("demo server: {err}"))?;
            tls = tls.ca_der(server.ca);
            eprintln!(
                "No --server given: checking the embedded demo server on {} \
                 (account {} / {}).\nTry --to nobody@{} to see a refused recipient, or \
                 --server HOST:PORT to check your own server.\n",
                server.addr,
                demo_server::DEMO_USER,
                demo_server::DEMO_PASSWORD,
                demo_server::LOCAL_DOMAIN,
            );
            (server.addr.ip().to_string(), server.addr.port())
        }
    };
    let options = server_options(args, &host, port, demo)?;
    let tls = tls.build().map_err(|err| format!("TLS: {err}"))?;
    Ok((options, Arc::new(tls)))
}

/// The TLS trust of the command line: the WebPKI roots, `--ca`, `--insecure`.
fn tls_builder(args: &Args) -> Result<TlsConnectorBuilder, String> {
    let mut tls = TlsConnector::builder().dangerous_accept_invalid_certificates(args.insecure);
    if let Some(ca) = &args.ca {
        tls = tls.ca_file(ca).map_err(|err| format!("--ca {err}"))?;
    }
    Ok(tls)
}

/// The check of `host` on `port` as the command line asks (the demo server's account and
/// recipient when `demo`).
fn server_options(args: &Args, host: &str, port: u16, demo: bool) -> Result<CheckOptions, String> {
    let name = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut options = CheckOptions::new(name, client_name(args.ehlo.as_deref())?);
    options.port = Some(port);
    options.tls = args.tls;
    options.timeouts = Timeouts::uniform(args.timeout);
    options.quit_after = args.quit_after;
    options.auth_mechanism = args.auth.clone();
    options.credentials = match (&args.user, &args.password_env) {
        (Some(user), Some(var)) => {
            let password = std::env::var(var)
                .map_err(|_| format!("--password-env {var}: the variable is not set"))?;
            Some(Credentials::password(user.clone(), password))
        }
        _ if demo => Some(Credentials::password(
            demo_server::DEMO_USER,
            demo_server::DEMO_PASSWORD,
        )),
        _ => None,
    };
    let from = args
        .from
        .clone()
        .or_else(|| demo.then(|| demo_server::DEMO_USER.to_owned()));
    if let Some(from) = from {
        options.from =
            Some(ReversePath::parse(&from).map_err(|err| format!("--from {from:?}: {err}"))?);
    }
    let mut to = args.to.clone();
    if demo && to.is_empty() {
        to.push(format!("postmaster@{}", demo_server::LOCAL_DOMAIN));
    }
    for address in &to {
        options
            .to
            .push(ForwardPath::parse(address).map_err(|err| format!("--to {address:?}: {err}"))?);
    }
    if let Some(file) = &args.data {
        options.data = Some(std::fs::read(file).map_err(|err| format!("--data {file:?}: {err}"))?);
    }
    Ok(options)
}

/// `--domain`: the records, then the servers; the report; its exit code. `Err` is bad usage.
fn run_domain(args: &Args, name: &str) -> Result<i32, String> {
    let tls = Arc::new(
        tls_builder(args)?
            .build()
            .map_err(|err| format!("TLS: {err}"))?,
    );
    let https = domain::https_config(args.ca.as_deref())?;
    let server = match &args.server {
        Some(server) => {
            let default_port = if args.tls == CheckTls::Implicit {
                465
            } else {
                25
            };
            Some(target(server, default_port).map_err(|err| format!("--server {err}"))?)
        }
        None => None,
    };
    let port = match &server {
        Some((_, port)) => *port,
        None => args.mx_port.unwrap_or(25),
    };
    let mut options = DomainOptions::new(name);
    options.ip = args.ip;
    options.sender = args
        .from
        .as_ref()
        .map(|from| from.trim_matches(['<', '>']).to_owned());
    options.helo = args.ehlo.clone();
    options.dkim_selectors = args.dkim_selectors.clone();
    options.dnsbl_zones = args.dnsbl.clone();
    options.all_mx = args.all_mx;
    options.server = server.as_ref().map(|(host, _)| host.clone());
    options.port = port;
    let settings = domain::DnsSettings {
        server: args.resolver,
        trust_anchor: args.trust_anchor.as_ref().map(std::path::PathBuf::from),
        timeout: args.timeout.min(Duration::from_secs(5)),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("tokio: {err}"))?;
    let mut check = DomainCheck::new(options);
    runtime.block_on(async {
        let dns = domain::Dns::new(&settings)?;
        domain::resolve(&mut check, &dns).await;
        if let Some(request) = check.policy_request() {
            let fetched =
                domain::fetch_policy(&request, args.mta_sts_port, https, settings.timeout * 2)
                    .await;
            check.policy_fetched(fetched);
        }
        Ok::<(), String>(())
    })?;
    let mut servers = Vec::new();
    if !args.no_smtp {
        for target in check.smtp_targets() {
            let options = server_options(args, &target.host, port, false)?;
            let addresses: Vec<std::net::SocketAddr> = target
                .addresses
                .iter()
                .map(|ip| std::net::SocketAddr::new(*ip, port))
                .collect();
            let report = smtp_sansio::blocking::check_at(
                options,
                &addresses,
                &target.host,
                Some(tls.clone() as Arc<dyn TlsConnect>),
            );
            if let Some(facts) = &report.tls {
                check.tls_chain(&target.host, facts.chain.clone());
            }
            servers.push((target.host.clone(), report));
        }
    }
    let report = DomainCheckReport::new(check.report(), servers);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.text());
    }
    Ok(report.exit_code())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("check: {}\n\n{USAGE}", escape::terminal_line(&message));
            return ExitCode::from(2);
        }
    };
    if args.insecure {
        eprintln!(
            "WARNING: --insecure: the server certificate is NOT verified; anyone on the path \
             could read and change this session. The report still says what verification found.\n"
        );
    }
    if let Some(name) = &args.domain {
        return match run_domain(&args, name) {
            Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(message) => {
                eprintln!("check: {}\n\n{USAGE}", escape::terminal_line(&message));
                ExitCode::from(2)
            }
        };
    }
    if let Some(ports) = args.probe_ports {
        return match probe::run(&args, ports) {
            Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(message) => {
                eprintln!("check: {}\n\n{USAGE}", escape::terminal_line(&message));
                ExitCode::from(2)
            }
        };
    }
    let (options, tls) = match prepare(&args) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("check: {}\n\n{USAGE}", escape::terminal_line(&message));
            return ExitCode::from(2);
        }
    };
    let report = smtp_sansio::blocking::check(options, Some(tls));
    if args.json {
        println!("{}", report.to_json());
    } else {
        // Both texts escape what the server and the user wrote (smtp_sansio::escape).
        println!("{}", report.transcript_text());
        println!("{}", report.summary_text());
    }
    ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(1))
}
