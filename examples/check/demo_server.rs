//! The embedded demo server that `check` talks to when no `--server` is given: a small ESMTP
//! submission server on 127.0.0.1, built on the crate's own command parser, SASL line parser,
//! DATA decoder and reply writer (the server-side mirrors of what the client uses).
//!
//! It behaves like a well-configured submission port (RFC 6409): STARTTLS with a freshly
//! generated certificate, AUTH PLAIN and LOGIN only after TLS (RFC 4954 s4: plaintext
//! mechanisms over an encrypted channel), relaying only for authenticated users, and a local
//! domain `sansio.test` whose unknown users are refused at RCPT. Messages are read and
//! dropped: nothing is stored or relayed.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::stream;

type Stream = stream::Stream<ServerConnection>;
use smtp_sansio::{
    Command, CommandLimits, DataDecoder, Decoded, EnhancedCode, Mechanism, Reply, ReplyCode,
    parse_auth_response, parse_command,
};

/// The demo account (shown in the example's output: it is a demo, not a secret).
pub const DEMO_USER: &str = "demo@sansio.test";
/// The demo account's password.
pub const DEMO_PASSWORD: &str = "demo-password";
/// The domain the demo server delivers for.
pub const LOCAL_DOMAIN: &str = "sansio.test";
/// Local users that exist; any other `@sansio.test` recipient is refused with 550 5.1.1.
const LOCAL_USERS: [&str; 3] = ["demo", "postmaster", "user"];
/// The SIZE the server advertises and enforces (RFC 1870).
const SIZE_LIMIT: u64 = 25 * 1024 * 1024;
/// How long the server waits for a client line before it gives up (RFC 5321 s4.5.3.2.7).
const IDLE: Duration = Duration::from_secs(60);

/// A running demo server.
pub struct DemoServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The CA that signed its certificate, to trust (DER).
    pub ca: CertificateDer<'static>,
}

/// Starts the server on an ephemeral loopback port; it serves connections on background
/// threads until the process ends.
pub fn start() -> Result<DemoServer, String> {
    let (tls, ca) = tls_config()?;
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|err| err.to_string())?;
    let addr = listener.local_addr().map_err(|err| err.to_string())?;
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let tls = tls.clone();
            thread::spawn(move || {
                let _ = Session::new(tls).serve(tcp);
            });
        }
    });
    Ok(DemoServer { addr, ca })
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
fn tls_config() -> Result<(Arc<ServerConfig>, CertificateDer<'static>), String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let err = |e: rcgen::Error| e.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtp-sansio demo CA");
    // Valid from the start of this year for two years: a real-looking validity period.
    let year = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(2026, |since| 1970 + since.as_secs() / 31_556_952);
    let year = i32::try_from(year).unwrap_or(2026);
    let (not_before, not_after) = (
        rcgen::date_time_ymd(year, 1, 1),
        rcgen::date_time_ymd(year + 2, 1, 1),
    );
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca = ca_params.self_signed(&ca_key).map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(err)?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    params
        .distinguished_name
        .push(DnType::CommonName, "demo.sansio.test");
    params.not_before = not_before;
    params.not_after = not_after;
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &ca, &ca_key).map_err(err)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| e.to_string())?;
    Ok((Arc::new(config), ca.der().clone()))
}

/// What the server waits for.
enum Phase {
    Commands,
    /// A SASL line for this mechanism; `step` counts the challenges sent.
    Sasl {
        mechanism: Mechanism,
        step: u8,
        user: Option<String>,
    },
    Data(DataDecoder),
}

/// One client connection.
struct Session {
    tls: Arc<ServerConfig>,
    is_tls: bool,
    greeted: bool,
    authenticated: bool,
    mail: bool,
    recipients: usize,
    phase: Phase,
    out: Vec<u8>,
    closing: bool,
}

impl Session {
    fn new(tls: Arc<ServerConfig>) -> Session {
        Session {
            tls,
            is_tls: false,
            greeted: false,
            authenticated: false,
            mail: false,
            recipients: 0,
            phase: Phase::Commands,
            out: Vec::new(),
            closing: false,
        }
    }

    fn serve(mut self, tcp: TcpStream) -> io::Result<()> {
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(IDLE))?;
        tcp.set_write_timeout(Some(IDLE))?;
        let mut stream = Stream::Plain(tcp);
        self.reply(
            220,
            None,
            &["demo.sansio.test ESMTP smtp-sansio demo server"],
        );
        let mut input: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        let limits = CommandLimits::default();
        loop {
            stream.write_all(&self.out)?;
            self.out.clear();
            if self.closing {
                return Ok(());
            }
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            input.extend_from_slice(&buf[..n]);
            let mut used = 0;
            while used < input.len() && !self.closing {
                let rest = &input[used..];
                let step = match &mut self.phase {
                    Phase::Data(decoder) => {
                        let mut message = Vec::new();
                        let progress = decoder.decode(rest, &mut message);
                        if progress.end {
                            self.end_of_data();
                        }
                        Some(progress.consumed)
                    }
                    Phase::Sasl { .. } => match parse_auth_response(rest, &limits) {
                        Ok(Decoded::Complete { value, consumed }) => {
                            self.sasl(value);
                            Some(consumed)
                        }
                        Ok(Decoded::Incomplete) => None,
                        Err(_) => {
                            self.phase = Phase::Commands;
                            self.reply(501, Some((5, 5, 2)), &["Invalid SASL response"]);
                            Some(line_length(rest))
                        }
                    },
                    Phase::Commands => match parse_command(rest, &limits) {
                        Ok(Decoded::Complete { value, consumed }) => {
                            let starttls = matches!(value, Command::StartTls);
                            self.command(value);
                            if starttls && !self.is_tls {
                                // RFC 3207 s4.2: anything the client sent after STARTTLS,
                                // before the handshake, is discarded.
                                let _ = consumed;
                                input.clear();
                                used = 0;
                                stream.write_all(&self.out)?;
                                self.out.clear();
                                stream = upgrade(stream, &self.tls)?;
                                self.is_tls = true;
                                self.greeted = false;
                                self.authenticated = false;
                                self.reset_transaction();
                                continue;
                            }
                            Some(consumed)
                        }
                        Ok(Decoded::Incomplete) => None,
                        Err(err) => {
                            self.reply(500, Some((5, 5, 2)), &[&format!("Syntax error: {err}")]);
                            Some(line_length(rest))
                        }
                    },
                };
                match step {
                    Some(consumed) => used += consumed,
                    None => break,
                }
            }
            input.drain(..used.min(input.len()));
        }
    }

    fn reply(&mut self, code: u16, enhanced: Option<(u8, u16, u16)>, lines: &[&str]) {
        let code = ReplyCode::new(code).expect("the demo server's codes are in range");
        let enhanced =
            enhanced.and_then(|(class, subject, detail)| EnhancedCode::new(class, subject, detail));
        let reply = Reply::new(code, enhanced, lines).expect("the demo server's replies are valid");
        reply.write_to(&mut self.out);
    }

    fn reset_transaction(&mut self) {
        self.mail = false;
        self.recipients = 0;
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Ehlo(host) | Command::Helo(host) => {
                self.greeted = true;
                self.reset_transaction();
                let greet = format!("demo.sansio.test greets {host}");
                let size = format!("SIZE {SIZE_LIMIT}");
                let mut lines = vec![greet.as_str(), "PIPELINING", size.as_str(), "8BITMIME"];
                lines.extend(["ENHANCEDSTATUSCODES", "SMTPUTF8"]);
                lines.push(if self.is_tls {
                    "AUTH PLAIN LOGIN"
                } else {
                    "STARTTLS"
                });
                self.reply(250, None, &lines);
            }
            Command::StartTls if self.is_tls => {
                self.reply(503, Some((5, 5, 1)), &["TLS already active"]);
            }
            Command::StartTls => self.reply(220, Some((2, 0, 0)), &["Ready to start TLS"]),
            Command::Auth { .. } if !self.is_tls => {
                // RFC 4954 s6: 538 when the mechanism needs an encrypted channel.
                self.reply(
                    538,
                    Some((5, 7, 11)),
                    &["Encryption required: use STARTTLS first"],
                );
            }
            Command::Auth { .. } if self.authenticated => {
                self.reply(503, Some((5, 5, 1)), &["Already authenticated"]);
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                if mechanism != Mechanism::Plain && mechanism != Mechanism::Login {
                    self.reply(504, Some((5, 5, 4)), &["Unrecognized authentication type"]);
                    return;
                }
                let plain = mechanism == Mechanism::Plain;
                self.phase = Phase::Sasl {
                    mechanism,
                    step: 0,
                    user: None,
                };
                match initial_response {
                    Some(response) => self.sasl(Command::AuthResponse(response)),
                    None if plain => self.reply(334, None, &[""]),
                    // "Username:" in base64 (the LOGIN mechanism's customary prompts).
                    None => self.reply(334, None, &["VXNlcm5hbWU6"]),
                }
            }
            _ if !self.greeted => {
                self.reply(503, Some((5, 5, 1)), &["Send EHLO first"]);
            }
            Command::Mail { params, .. } => {
                if self.mail {
                    self.reply(503, Some((5, 5, 1)), &["Nested MAIL command"]);
                } else if params.size.is_some_and(|size| size > SIZE_LIMIT) {
                    self.reply(552, Some((5, 3, 4)), &["Message size exceeds fixed limit"]);
                } else {
                    self.mail = true;
                    self.reply(250, Some((2, 1, 0)), &["Ok"]);
                }
            }
            Command::Rcpt { .. } if !self.mail => {
                self.reply(503, Some((5, 5, 1)), &["Need MAIL command"]);
            }
            Command::Rcpt { to, .. } => {
                let address = to.to_string();
                let (user, domain) = match to.mailbox() {
                    Some(mailbox) => {
                        let text = mailbox.as_str();
                        let at = text.rfind('@').unwrap_or(text.len());
                        (
                            text[..at].to_ascii_lowercase(),
                            text[at + 1..].to_ascii_lowercase(),
                        )
                    }
                    None => ("postmaster".to_owned(), LOCAL_DOMAIN.to_owned()),
                };
                if domain == LOCAL_DOMAIN && !LOCAL_USERS.contains(&user.as_str()) {
                    let text = format!(
                        "{address}: Recipient address rejected: User unknown in local recipient table"
                    );
                    self.reply(550, Some((5, 1, 1)), &[&text]);
                } else if domain != LOCAL_DOMAIN && !self.authenticated {
                    let text = format!("{address}: Relay access denied");
                    self.reply(554, Some((5, 7, 1)), &[&text]);
                } else {
                    self.recipients += 1;
                    self.reply(250, Some((2, 1, 5)), &["Ok"]);
                }
            }
            Command::Data if self.recipients == 0 => {
                self.reply(554, Some((5, 5, 1)), &["No valid recipients"]);
            }
            Command::Data => {
                self.phase = Phase::Data(DataDecoder::new());
                self.reply(354, None, &["End data with <CR><LF>.<CR><LF>"]);
            }
            Command::Rset => {
                self.reset_transaction();
                self.reply(250, Some((2, 0, 0)), &["Ok"]);
            }
            Command::Noop(_) => self.reply(250, Some((2, 0, 0)), &["Ok"]),
            Command::Vrfy(_) => self.reply(
                252,
                Some((2, 0, 0)),
                &["Cannot VRFY user; try RCPT to attempt delivery"],
            ),
            Command::Quit => {
                self.reply(221, Some((2, 0, 0)), &["Bye"]);
                self.closing = true;
            }
            _ => self.reply(502, Some((5, 5, 1)), &["Command not implemented"]),
        }
    }

    /// One SASL line (RFC 4954 s4) for PLAIN (RFC 4616) or LOGIN.
    fn sasl(&mut self, line: Command) {
        let Phase::Sasl {
            mechanism,
            step,
            user,
        } = &mut self.phase
        else {
            return;
        };
        let data = match line {
            Command::AuthResponse(data) => data.expose_secret().clone(),
            _ => {
                self.phase = Phase::Commands;
                self.reply(501, Some((5, 0, 0)), &["Authentication canceled"]);
                return;
            }
        };
        let verdict = match mechanism {
            Mechanism::Login if *step == 0 => {
                *user = Some(String::from_utf8_lossy(&data).into_owned());
                *step = 1;
                self.reply(334, None, &["UGFzc3dvcmQ6"]);
                return;
            }
            Mechanism::Login => {
                user.as_deref() == Some(DEMO_USER) && data == DEMO_PASSWORD.as_bytes()
            }
            _ => {
                let mut parts = data.split(|&b| b == 0);
                let (_authzid, authcid, password) = (parts.next(), parts.next(), parts.next());
                authcid == Some(DEMO_USER.as_bytes()) && password == Some(DEMO_PASSWORD.as_bytes())
            }
        };
        self.phase = Phase::Commands;
        if verdict {
            self.authenticated = true;
            self.reply(235, Some((2, 7, 0)), &["Authentication successful"]);
        } else {
            self.reply(
                535,
                Some((5, 7, 8)),
                &["Authentication credentials invalid"],
            );
        }
    }

    fn end_of_data(&mut self) {
        self.phase = Phase::Commands;
        self.reset_transaction();
        self.reply(
            250,
            Some((2, 0, 0)),
            &["Ok: queued as DEMO (and dropped: this is a demo)"],
        );
    }
}

/// The octets up to and including the next LF (all of `rest` when there is none).
fn line_length(rest: &[u8]) -> usize {
    rest.iter()
        .position(|&b| b == b'\n')
        .map_or(rest.len(), |at| at + 1)
}

/// Turns the plain socket into a TLS one (the handshake runs on the first read).
fn upgrade(stream: Stream, tls: &Arc<ServerConfig>) -> io::Result<Stream> {
    let Stream::Plain(tcp) = stream else {
        return Ok(stream);
    };
    let conn = ServerConnection::new(tls.clone()).map_err(io::Error::other)?;
    Ok(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
}
