//! Diagnoses of failures that have no server reply: timeouts, closed connections, STARTTLS
//! injection, missing extensions, the client's own refusals, unparseable replies, and the
//! caller's socket and TLS errors.

use std::io;
use std::time::Duration;

use super::{Confidence, Diagnosis, DiagnosisClass, DiagnosisSeverity};
use crate::auth::Mechanism;
use crate::reply::{Reply, ReplyError};
use crate::stage::Stage;

pub(crate) const AUTH_AFTER_STARTTLS_CAUSES: &[&str] = &[
    "Most servers hide AUTH until the connection is encrypted; this one offers STARTTLS, so AUTH will most likely appear in its EHLO reply after it.",
];
pub(crate) const AUTH_AFTER_STARTTLS_REMEDIES: &[&str] = &[
    "Send STARTTLS, then EHLO again, then AUTH.",
    "Or connect to port 465 with implicit TLS, where AUTH is offered at once.",
];

impl Diagnosis {
    /// No complete reply arrived within the timeout for the command in flight (RFC 5321
    /// s4.5.3.2). At the greeting this is `greeting_timeout`, most often an implicit-TLS port
    /// (465) spoken to in plaintext; elsewhere `reply_timeout`.
    pub fn reply_timeout(stage: Stage, waited: Duration) -> Diagnosis {
        let detail = format!(
            "no complete reply to {} after {} s",
            stage,
            waited.as_secs()
        );
        let diagnosis = match stage {
            Stage::Connect | Stage::Greeting => Diagnosis::of_class(
                DiagnosisClass::GreetingTimeout,
                Stage::Greeting,
                "observed:greeting-timeout",
                Confidence::High,
            )
            .with_texts(
                "The connection opened but no 220 greeting came: probably an implicit-TLS port (465) spoken to in plaintext, or a server that delays its greeting (tarpitting).",
                DiagnosisClass::GreetingTimeout.info().causes,
                DiagnosisClass::GreetingTimeout.info().remedies,
            ),
            Stage::DataEnd => Diagnosis::of_class(
                DiagnosisClass::ReplyTimeout,
                stage,
                "observed:reply-timeout",
                Confidence::High,
            )
            .with_texts(
                "The server did not answer after the end of the message; it may or may not have accepted it.",
                &[
                    "Slow content scanning or an overloaded server.",
                    "A network path that silently drops packets.",
                ],
                &[
                    "Do not resend at once: the message may have been delivered, and a resend would duplicate it.",
                    "RFC 5321 allows 10 minutes after the final dot; wait that long before giving up.",
                ],
            ),
            Stage::StartTls => Diagnosis::of_class(
                DiagnosisClass::ReplyTimeout,
                stage,
                "observed:reply-timeout",
                Confidence::High,
            )
            .with_texts(
                "The server did not answer STARTTLS.",
                &[
                    "A firewall or proxy that blocks or swallows STARTTLS.",
                    "An overloaded server.",
                ],
                &[
                    "Try port 465 with implicit TLS.",
                    "Check for middleboxes that inspect SMTP.",
                ],
            ),
            _ => Diagnosis::of_class(
                DiagnosisClass::ReplyTimeout,
                stage,
                "observed:reply-timeout",
                Confidence::High,
            ),
        };
        diagnosis.with_detail(detail)
    }

    /// The connection ended (EOF or reset) in the middle of the session at `stage`.
    ///
    /// After a `5yz` or `421` reply ([`Diagnosis::code`] of `previous`) this is
    /// `dropped_after_reject`, which follows the earlier diagnosis; otherwise
    /// `connection_closed`.
    pub fn connection_closed(stage: Stage, previous: Option<&Diagnosis>) -> Diagnosis {
        if let Some(previous) = previous {
            let rejected = previous
                .code()
                .is_some_and(|code| code.is_permanent() || code.value() == 421);
            if rejected {
                return Diagnosis::of_class(
                    DiagnosisClass::DroppedAfterReject,
                    stage,
                    "observed:eof-after-reject",
                    Confidence::High,
                )
                .with_severity(previous.severity())
                .with_retry(previous.retry(), previous.retry_after())
                .with_caused_by(previous.clone());
            }
        }
        let diagnosis = Diagnosis::of_class(
            DiagnosisClass::ConnectionClosed,
            stage,
            "observed:eof",
            Confidence::High,
        );
        match stage {
            Stage::Connect | Stage::Greeting => diagnosis.with_texts(
                "The server accepted the connection and closed it before greeting.",
                &[
                    "The server refuses this client's IP address without saying so (access rules, postscreen).",
                    "It has too many connections or is shutting down.",
                    "On port 465 a plaintext client can be dropped by a server that expects TLS.",
                ],
                &[
                    "Retry later; if it persists, check the TLS mode for the port (465 implicit TLS, 587 STARTTLS) and ask the administrator whether your IP is refused.",
                ],
            ),
            _ => diagnosis,
        }
    }

    /// Bytes arrived after the server's `220` to STARTTLS and before the TLS handshake
    /// (RFC 3207 s5 and the "NO STARTTLS" response-injection attacks): abort.
    pub fn starttls_response_injection(injected: &[u8]) -> Diagnosis {
        let preview: String = String::from_utf8_lossy(&injected[..injected.len().min(64)])
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        Diagnosis::of_class(
            DiagnosisClass::StarttlsResponseInjection,
            Stage::StartTls,
            "observed:bytes-after-starttls-go-ahead",
            Confidence::High,
        )
        .with_detail(format!(
            "{} octets arrived before the handshake: {:?}",
            injected.len(),
            preview
        ))
    }

    /// A well-formed reply that is not a valid answer to the command in flight
    /// (RFC 5321 s4.3.2), or that arrived when no command was waiting for one: the client can
    /// no longer know what state the server is in. `expected` says what would have fitted.
    pub fn unexpected_reply(stage: Stage, reply: &Reply, expected: &str) -> Diagnosis {
        let mut diagnosis = Diagnosis::of_class(
            DiagnosisClass::UnexpectedReply,
            stage,
            "observed:reply-does-not-fit-command",
            Confidence::High,
        );
        diagnosis.code = Some(reply.code());
        diagnosis.enhanced = reply.enhanced_code();
        diagnosis.evidence.reply = Some(reply.clone());
        diagnosis.detail = Some(format!(
            "got {} where {expected} was expected",
            reply.code()
        ));
        diagnosis
    }

    /// TLS is required but the server's EHLO reply does not offer STARTTLS.
    pub fn tls_not_offered() -> Diagnosis {
        Diagnosis::of_class(
            DiagnosisClass::TlsNotOffered,
            Stage::Ehlo,
            "observed:starttls-not-advertised",
            Confidence::High,
        )
    }

    /// Credentials are configured but the server's EHLO reply does not offer AUTH. When STARTTLS
    /// is offered and TLS is not active yet, the diagnosis says "do STARTTLS first" rather than
    /// "the server has no AUTH".
    pub fn auth_not_offered(starttls_offered: bool, tls_active: bool) -> Diagnosis {
        let diagnosis = Diagnosis::of_class(
            DiagnosisClass::AuthNotOffered,
            Stage::Ehlo,
            "observed:auth-not-advertised",
            Confidence::High,
        );
        if starttls_offered && !tls_active {
            Diagnosis {
                evidence: super::Evidence {
                    rule: "observed:auth-after-starttls",
                    ..diagnosis.evidence.clone()
                },
                ..diagnosis
            }
            .with_texts(
                "The server does not offer AUTH before encryption: do STARTTLS first.",
                AUTH_AFTER_STARTTLS_CAUSES,
                AUTH_AFTER_STARTTLS_REMEDIES,
            )
        } else {
            diagnosis
        }
    }

    /// The server and the client share no SASL mechanism; both lists go into the detail.
    pub fn no_common_mechanism(server: &[Mechanism], client: &[Mechanism]) -> Diagnosis {
        let list = |mechanisms: &[Mechanism]| {
            if mechanisms.is_empty() {
                "none".to_owned()
            } else {
                mechanisms
                    .iter()
                    .map(Mechanism::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        Diagnosis::of_class(
            DiagnosisClass::AuthMechanismUnsupported,
            Stage::Auth,
            "observed:no-common-mechanism",
            Confidence::High,
        )
        .with_texts(
            "The server and the client have no authentication mechanism in common.",
            &[
                "The server offers only mechanisms the client does not implement (e.g. only NTLM or GSSAPI, or only OAuth2).",
                "Some mechanisms appear only after STARTTLS.",
            ],
            &[
                "Enable a mechanism the server lists in the client (OAuth2 for providers that require it).",
                "Do STARTTLS first if the plaintext EHLO reply lists fewer mechanisms.",
            ],
        )
        .with_detail(format!(
            "server offers: {}; client supports: {}",
            list(server),
            list(client)
        ))
    }

    /// The client refused to send credentials with `mechanism` over an unencrypted connection
    /// (its policy, not the server's).
    pub fn plaintext_auth_refused(mechanism: &Mechanism) -> Diagnosis {
        Diagnosis::of_class(
            DiagnosisClass::AuthEncryptionRequired,
            Stage::Auth,
            "observed:plaintext-auth-refused",
            Confidence::High,
        )
        .with_texts(
            "The client did not send the password because the connection is not encrypted.",
            &[
                "STARTTLS was not done (or not offered), and this mechanism would send the password readable to anyone on the path.",
            ],
            &[
                "Do STARTTLS first (port 587), or use implicit TLS (port 465).",
                "Allow plaintext authentication only on a trusted local connection, explicitly.",
            ],
        )
        .with_detail(format!("mechanism: {mechanism}"))
    }

    /// The message is larger than the limit the server advertised with SIZE (RFC 1870); the
    /// client refused to send it.
    pub fn size_over_limit(declared: u64, limit: u64) -> Diagnosis {
        Diagnosis::of_class(
            DiagnosisClass::MessageTooLarge,
            Stage::Mail,
            "observed:size-over-advertised-limit",
            Confidence::High,
        )
        .with_detail(format!(
            "the message is {} ({declared} octets); the server accepts at most {} ({limit} octets)",
            human_size(declared),
            human_size(limit)
        ))
    }

    /// The bytes the server sent are not an SMTP reply (`error` from the reply decoder;
    /// `received` the bytes it was given). An HTTP, POP3, IMAP or SSH banner means the wrong
    /// port or service; a TLS record where the greeting was due means an implicit-TLS port
    /// ([`DiagnosisClass::TlsModeMismatch`]). A reply with more lines than
    /// [`ReplyLimits::max_lines`](crate::ReplyLimits::max_lines) breaks no rule of SMTP (RFC
    /// 5321 sets no limit): the diagnosis says the limit is the client's and how to raise it.
    pub fn malformed_reply(stage: Stage, error: &ReplyError, received: &[u8]) -> Diagnosis {
        let detail = format!("{error}");
        if let ReplyError::TooManyLines { limit, .. } = error {
            return Diagnosis::of_class(
                DiagnosisClass::MalformedReply,
                stage,
                "observed:reply-over-client-line-limit",
                Confidence::High,
            )
            .with_texts(
                "The server's reply has more lines than this client accepts; SMTP itself sets no limit on the number of lines, so the limit that stopped it is the client's own.",
                &[
                    "The server sends an unusually long reply (a long EHLO list, a multi-line banner or policy text).",
                    "Less likely: a server or proxy that repeats lines without end.",
                ],
                &[
                    "Raise the client's limit: ReplyLimits::with_max_lines (and with_max_reply_length if the reply is also long in octets) in the client's configuration.",
                    "If the reply really is endless, report it to the server's administrator.",
                ],
            )
            .with_retry(super::Retry::AfterFix, None)
            .with_detail(format!(
                "more than {limit} lines in one reply (the client's ReplyLimits::max_lines)"
            ));
        }
        if let Some(foreign) = Foreign::recognise(received) {
            return foreign.diagnosis(stage, "observed:", detail);
        }
        Diagnosis::of_class(
            DiagnosisClass::MalformedReply,
            stage,
            "observed:unparseable-reply",
            Confidence::High,
        )
        .with_detail(detail)
    }

    /// [`Diagnosis::unexpected_reply`] for a reply the session cannot survive: the client
    /// ended the session because of it (it no longer knows the server's state). The severity
    /// is permanent, not a warning, and the advice is not "treat the reply by its first digit":
    /// nothing more is sent on this connection. At the end of DATA the message may or may not
    /// have been accepted, and the diagnosis says so.
    pub fn unexpected_reply_ending_session(
        stage: Stage,
        reply: &Reply,
        expected: &str,
    ) -> Diagnosis {
        let diagnosis = Diagnosis::unexpected_reply(stage, reply, expected)
            .with_severity(DiagnosisSeverity::Permanent)
            .with_retry(super::Retry::AfterFix, None);
        if stage == Stage::DataEnd {
            diagnosis.with_texts(
                "The server answered the end of the message with a reply that does not fit it, so the client ended the session; the message may or may not have been accepted.",
                &[
                    "A server bug, or a proxy between client and server that rewrites the conversation.",
                    "Client and server are out of step (a reply arrived for a command that was not sent).",
                ],
                &[
                    "Do not resend at once: the message may have been delivered, and a resend would duplicate it.",
                    "Report the transcript to the server's administrator.",
                ],
            )
        } else {
            diagnosis.with_texts(
                "The server sent a reply that does not fit the command in flight, so the client could no longer know the server's state and ended the session.",
                &[
                    "A server bug, or a proxy between client and server that rewrites the conversation.",
                    "Client and server are out of step (a reply arrived for a command that was not sent).",
                ],
                &[
                    "Report the transcript to the server's administrator; retry once on a new connection to rule out a glitch.",
                    "If a proxy, antivirus or firewall inspects SMTP on the path, try without it.",
                ],
            )
        }
    }

    /// [`Diagnosis::reply_timeout`] when part of a reply had arrived before the time ran out
    /// (`partial`, the bytes of the unfinished reply; empty: none, the same as
    /// [`Diagnosis::reply_timeout`]). A server that starts its greeting and stops is not an
    /// implicit-TLS port spoken to in plaintext (that one sends nothing): the diagnosis names
    /// both causes with medium confidence and shows what arrived.
    pub fn reply_timeout_after_partial(
        stage: Stage,
        waited: Duration,
        partial: &[u8],
    ) -> Diagnosis {
        let diagnosis = Diagnosis::reply_timeout(stage, waited);
        if partial.is_empty() {
            return diagnosis;
        }
        let shown = &partial[..partial.len().min(64)];
        let detail = format!(
            "{} octets of an unfinished reply arrived, then nothing for {} s: \"{}\"{}",
            partial.len(),
            waited.as_secs(),
            crate::escape::terminal_line(shown),
            if partial.len() > shown.len() {
                "..."
            } else {
                ""
            }
        );
        let diagnosis = match diagnosis.class {
            DiagnosisClass::GreetingTimeout => Diagnosis {
                confidence: Confidence::Medium,
                ..diagnosis
            }
            .with_texts(
                "The server began its greeting but did not finish it within the time allowed.",
                &[
                    "The server delays or trickles its greeting on purpose (tarpitting, greet-pause), or it is overloaded.",
                    "Less likely with a partial greeting: a TLS mode mismatch (an implicit-TLS port such as 465 sends nothing in plaintext), or a proxy in between that holds the rest.",
                ],
                &[
                    "Wait longer for the greeting (RFC 5321 s4.5.3.2 allows 5 minutes) and retry later.",
                    "Check the TLS mode for the port (465 implicit TLS, 587 STARTTLS) and any proxy on the path.",
                ],
            ),
            _ => diagnosis,
        };
        diagnosis.with_detail(detail)
    }
}

/// Another protocol's first bytes where an SMTP reply was due (DIAGNOSES.md s4.9b).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Foreign {
    /// A TLS record: handshake (`0x16 0x03`) or alert (`0x15 0x03`).
    Tls,
    Http,
    Pop3,
    Imap,
    Ssh,
    /// Control octets that text does not hold: not a protocol's text at all.
    Binary,
}

impl Foreign {
    /// The protocol whose banner `bytes` start with, or binary data: [`Foreign::banner`], then
    /// [`Foreign::is_binary`].
    pub(crate) fn recognise(bytes: &[u8]) -> Option<Foreign> {
        Foreign::banner(bytes).or_else(|| Foreign::is_binary(bytes).then_some(Foreign::Binary))
    }

    /// Control octets other than tab, CR, LF, VT and FF, in bytes that do not start with a
    /// reply code (a reply with an ESC in its text is still a reply).
    pub(crate) fn is_binary(bytes: &[u8]) -> bool {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&bytes[..0], |at| &bytes[at..]);
        !matches!(start, [a, b, c, ..] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit())
            && start.iter().any(|&b| {
                (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)) || b == 0x7f
            })
    }

    /// The protocol whose banner `bytes` start with (leading white space skipped).
    pub(crate) fn banner(bytes: &[u8]) -> Option<Foreign> {
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&bytes[..0], |at| &bytes[at..]);
        if matches!(start, [0x15 | 0x16, 0x03, ..]) {
            return Some(Foreign::Tls);
        }
        let head: Vec<u8> = start.iter().take(16).map(u8::to_ascii_lowercase).collect();
        let starts = |prefixes: &[&[u8]]| prefixes.iter().any(|p| head.starts_with(p));
        if starts(&[b"http/", b"<!doctype", b"<html"]) {
            Some(Foreign::Http)
        } else if starts(&[b"+ok", b"-err"]) {
            Some(Foreign::Pop3)
        } else if starts(&[b"* ok", b"* bye", b"* preauth"]) {
            Some(Foreign::Imap)
        } else if starts(&[b"ssh-"]) {
            Some(Foreign::Ssh)
        } else {
            None
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Foreign::Tls => "a TLS record",
            Foreign::Http => "a web (HTTP) server",
            Foreign::Pop3 => "a POP3 server",
            Foreign::Imap => "an IMAP server",
            Foreign::Ssh => "an SSH server",
            Foreign::Binary => "binary data",
        }
    }

    /// The diagnosis: `tls_mode_mismatch` for a TLS record before the session started (at the
    /// greeting, in answer to STARTTLS, or where the stage is unknown), `malformed_reply`
    /// naming what it looks like otherwise. `origin` is `observed:` (bytes a server sent) or
    /// `pasted:` (text given to [`diagnose_text`](super::diagnose_text)).
    pub(crate) fn diagnosis(self, stage: Stage, origin: &str, detail: String) -> Diagnosis {
        let pasted = origin == "pasted:";
        let at_start = matches!(
            stage,
            Stage::Connect | Stage::Greeting | Stage::StartTls | Stage::Any
        );
        if self == Foreign::Tls && at_start {
            return Diagnosis::of_class(
                DiagnosisClass::TlsModeMismatch,
                stage,
                if pasted {
                    "pasted:tls-record"
                } else {
                    "observed:tls-record-instead-of-reply"
                },
                Confidence::High,
            )
            .with_texts(
                "The server sent TLS data instead of an SMTP greeting: this port expects TLS from the start.",
                &["This is an implicit-TLS port (usually 465) and the client spoke plaintext."],
                &[
                    "Turn on implicit TLS (TLS on connect) for this port, or use port 587 with STARTTLS.",
                ],
            )
            .with_detail(detail);
        }
        let rule = match (self, pasted) {
            (Foreign::Tls, false) => "observed:tls-record-mid-session",
            (Foreign::Tls, true) => "pasted:tls-record-mid-session",
            (Foreign::Binary, false) => "observed:binary-data",
            (Foreign::Binary, true) => "pasted:binary-data",
            (_, false) => "observed:other-protocol",
            (_, true) => "pasted:other-protocol",
        };
        let diagnosis = Diagnosis::of_class(
            DiagnosisClass::MalformedReply,
            stage,
            rule,
            Confidence::High,
        )
        .with_retry(super::Retry::AfterFix, None);
        let diagnosis = match self {
            Foreign::Tls => diagnosis.with_texts(
                "TLS data arrived in the middle of a plaintext SMTP session, where a reply was due.",
                &["A proxy or middlebox that starts TLS on its own, or a broken server."],
                &[
                    "Check for proxies, antivirus or firewalls that inspect SMTP on the path.",
                    "Report the transcript to the server's administrator.",
                ],
            ),
            Foreign::Binary => diagnosis.with_texts(
                "Binary data arrived where an SMTP reply was due: this is not a mail server's text.",
                &[
                    "The host and port point to a service that is not SMTP, or to a proxy that speaks another protocol.",
                    "The connection is being tampered with, or the wrong bytes were copied.",
                ],
                &[
                    "Check the port: 25 for relay (MX), 587 for submission with STARTTLS, 465 for submission with implicit TLS.",
                    "Check that the host name is the mail server's.",
                ],
            ),
            _ => diagnosis.with_texts(
                "Another service answered on this port, not an SMTP server: wrong port or service.",
                &["The host and port point to a different service (web, POP3, IMAP, SSH) or a proxy."],
                &[
                    "Check the port: 25 for relay (MX), 587 for submission with STARTTLS, 465 for submission with implicit TLS.",
                    "Check that the host name is the mail server's.",
                ],
            ),
        };
        diagnosis.with_detail(match self {
            Foreign::Tls | Foreign::Binary => format!("{}: {detail}", self.name()),
            _ => format!("{} answered: {detail}", self.name()),
        })
    }
}

pub(crate) fn human_size(octets: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    // Display only: the octet count is also given exactly.
    #[allow(clippy::cast_precision_loss)]
    let megabytes = octets as f64 / MB;
    format!("{megabytes:.1} MiB")
}

/// Diagnoses an error from the caller's socket (connect, read or write): `connection_refused`,
/// `connection_timeout`, `dns_failure` or `connection_closed`; TLS errors that arrive this way
/// go to [`classify_tls_error`]. `detail` is the error's text (`err.to_string()`), read for
/// what the kind does not say (a failed name lookup has kind `Other` or `Uncategorized`).
pub fn classify_transport_error(kind: io::ErrorKind, detail: &str) -> Diagnosis {
    let lower = detail.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    let (class, rule) = if has(&[
        "name or service not known",
        "nodename nor servname",
        "no such host",
        "failed to lookup address",
        "name resolution",
        "nxdomain",
        "getaddrinfo",
        "no address associated",
        "could not resolve",
        "unknown host",
        "dns",
        "no data record",
    ]) {
        (DiagnosisClass::DnsFailure, "transport:dns")
    } else if has(&["ssl", "tls", "certificate", "handshake"]) {
        return classify_tls_error(detail);
    } else if kind == io::ErrorKind::ConnectionRefused
        || has(&["connection refused", "actively refused"])
    {
        (DiagnosisClass::ConnectionRefused, "transport:refused")
    } else if matches!(
        kind,
        io::ErrorKind::TimedOut
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
    ) || has(&["timed out", "timeout", "unreachable", "no route to host"])
    {
        (DiagnosisClass::ConnectionTimeout, "transport:timeout")
    } else {
        (DiagnosisClass::ConnectionClosed, "transport:closed")
    };
    let stage = if class == DiagnosisClass::ConnectionClosed {
        Stage::Any
    } else {
        Stage::Connect
    };
    let confidence = if class == DiagnosisClass::ConnectionClosed
        && !matches!(
            kind,
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        ) {
        Confidence::Low
    } else {
        Confidence::High
    };
    let mut diagnosis = Diagnosis::of_class(class, stage, rule, confidence);
    if class == DiagnosisClass::DnsFailure && has(&["temporary failure", "try again", "eai_again"])
    {
        diagnosis = diagnosis
            .with_severity(DiagnosisSeverity::Transient)
            .with_retry(super::Retry::Later, None);
    }
    diagnosis.with_detail(format!("{kind:?}: {detail}"))
}

/// Diagnoses an error from the caller's TLS library (its `Display` text: OpenSSL, rustls,
/// native-tls, Go, Java, .NET and Python wordings are recognised): `tls_mode_mismatch`,
/// `tls_certificate_invalid`, `tls_version_unsupported` or `tls_handshake_failed`.
pub fn classify_tls_error(description: &str) -> Diagnosis {
    let lower = description.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    let (class, rule, confidence) = if has(&[
        "wrong version number",
        "unknown_protocol",
        "unknown protocol",
        "invalidcontenttype",
        "invalid content type",
        "corrupt message",
        "corruptmessage",
        "record overflow",
        "packet length too long",
        "http request",
        "does not look like a tls",
        "not a tls",
        "record_layer_failure",
        "record layer failure",
        "greeting received",
        "220 ",
        "esmtp",
        "bad record mac",
    ]) {
        (
            DiagnosisClass::TlsModeMismatch,
            "tls:mode-mismatch",
            Confidence::High,
        )
    } else if has(&[
        "protocol version",
        "protocolversion",
        "unsupported protocol",
        "no protocols available",
        "no appropriate protocol",
        "version too low",
        "unsupported_protocol",
        "tlsv1 alert protocol",
        "inappropriate fallback",
    ]) {
        (
            DiagnosisClass::TlsVersionUnsupported,
            "tls:version",
            Confidence::High,
        )
    } else if has(&[
        "certificate",
        "cert ",
        "expired",
        "unknown issuer",
        "unknownissuer",
        "self signed",
        "self-signed",
        "not valid for name",
        "notvalidforname",
        "hostname mismatch",
        "name mismatch",
        "verify failed",
        "local issuer",
        "untrusted",
        "unknown ca",
        "unknown_ca",
        "not trusted",
        "revoked",
        "notvalidyet",
        "x509",
        "remotecertificatenamemismatch",
        "chain",
    ]) {
        (
            DiagnosisClass::TlsCertificateInvalid,
            "tls:certificate",
            Confidence::High,
        )
    } else if has(&[
        "handshake",
        "alert",
        "no shared cipher",
        "cipher",
        "decrypt",
        "peer",
    ]) {
        (
            DiagnosisClass::TlsHandshakeFailed,
            "tls:handshake",
            Confidence::High,
        )
    } else {
        (
            DiagnosisClass::TlsHandshakeFailed,
            "tls:other",
            Confidence::Low,
        )
    };
    let diagnosis = Diagnosis::of_class(class, Stage::StartTls, rule, confidence);
    let diagnosis = if class == DiagnosisClass::TlsCertificateInvalid {
        certificate_variant(diagnosis, &has)
    } else {
        diagnosis
    };
    diagnosis.with_detail(description.to_owned())
}

/// The certificate problem the TLS library named (expired, wrong name, untrusted issuer), so
/// that the likely cause and the remedy come first; the class stays `tls_certificate_invalid`.
fn certificate_variant(diagnosis: Diagnosis, has: &dyn Fn(&[&str]) -> bool) -> Diagnosis {
    if has(&["expired", "notvalidyet", "not yet valid", "not valid yet"]) {
        diagnosis.with_texts(
            "The server's TLS certificate has expired or is not yet valid.",
            &[
                "The certificate was not renewed in time (or its validity has not started).",
                "The client machine's clock is wrong.",
            ],
            &[
                "Have the server's administrator renew the certificate, and automate renewal.",
                "Check the date and time of the machine that connects.",
            ],
        )
    } else if has(&[
        "not valid for name",
        "notvalidforname",
        "hostname mismatch",
        "name mismatch",
        "namemismatch",
        "doesn't match",
        "does not match",
    ]) {
        diagnosis.with_texts(
            "The server's TLS certificate does not name the host the client connected to.",
            &[
                "The client connected by IP address or by an alias (a CNAME, or the MX name instead of the provider's SMTP host name) that the certificate does not list.",
                "The server presents a default certificate for another domain (shared hosting).",
            ],
            &[
                "Connect using a host name written in the certificate (its subject or alternative names).",
                "Ask the provider which host name to use for SMTP, or have the certificate reissued with that name.",
            ],
        )
    } else if has(&[
        "unknown issuer",
        "unknownissuer",
        "self signed",
        "self-signed",
        "local issuer",
        "unknown ca",
        "unknown_ca",
        "untrusted",
        "not trusted",
        "chain",
    ]) {
        diagnosis.with_texts(
            "The server's TLS certificate is self-signed or issued by an authority the client does not trust.",
            &[
                "The server uses a self-signed certificate or one from a private authority.",
                "The server does not send its intermediate certificates (an incomplete chain).",
                "A proxy, antivirus or attacker intercepts TLS with its own certificate.",
            ],
            &[
                "For a private authority, add its certificate to the client's trust store (the check example's --ca); do not simply turn verification off.",
                "Have the server's administrator install the full chain: the certificate and its intermediates.",
                "If no interception is expected, treat this as an attack: send no credentials.",
            ],
        )
    } else {
        diagnosis
    }
}

/// Error text that a client library or the operating system wrote, not a server
/// (DIAGNOSES.md s4.9b): the transport or TLS class it names, at `stage`, with the text as
/// evidence; `None` when the text names none of them. Only for text with no reply code and
/// no enhanced status code: a server's reply may use the same words.
pub(crate) fn pasted_error(stage: Stage, text: &str) -> Option<Diagnosis> {
    let lower = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    // TLS libraries (OpenSSL, Python's ssl, rustls, Go, Java, .NET) in their own words.
    if has(&[
        "certificate verify failed",
        "certificate_verify_failed",
        "wrong version number",
        "wrong_version_number",
        "sslerror",
        "ssl:",
        "[ssl",
        "ssl routines",
        "tlsv1 alert",
        "sslv3 alert",
        "ssl handshake",
        "tls handshake",
        "handshake failure",
        "invalid peer certificate",
        "invalidcertificate",
        "unknownissuer",
        "unable to get local issuer",
        "self signed certificate",
        "self-signed certificate",
        "certificate has expired",
        "x509: ",
        "received corrupt message",
        "pkix path",
        "remote certificate is invalid",
    ]) {
        let mut diagnosis = classify_tls_error(text);
        diagnosis.stage = stage;
        diagnosis.evidence.rule = match diagnosis.evidence.rule {
            "tls:mode-mismatch" => "pasted:tls:mode-mismatch",
            "tls:version" => "pasted:tls:version",
            "tls:certificate" => "pasted:tls:certificate",
            "tls:handshake" => "pasted:tls:handshake",
            _ => "pasted:tls:other",
        };
        diagnosis.detail = None;
        return Some(diagnosis);
    }
    let (class, rule) = if has(&[
        "name or service not known",
        "nodename nor servname",
        "no such host is known",
        "temporary failure in name resolution",
        "getaddrinfo",
        "could not resolve host",
        "failed to lookup address",
        "no address associated with hostname",
        "name resolution",
        "nxdomain",
    ]) {
        (DiagnosisClass::DnsFailure, "pasted:os:dns")
    } else if has(&[
        "connection refused",
        "actively refused",
        "econnrefused",
        "winerror 10061",
    ]) {
        (DiagnosisClass::ConnectionRefused, "pasted:os:refused")
    } else if has(&[
        "timed out",
        "etimedout",
        "winerror 10060",
        "no route to host",
        "network is unreachable",
        "host is unreachable",
    ]) {
        // A timeout names the moment it happened: before the connection, before the
        // greeting, or waiting for a reply.
        match stage {
            Stage::Connect | Stage::Any => (DiagnosisClass::ConnectionTimeout, "pasted:os:timeout"),
            Stage::Greeting => (DiagnosisClass::GreetingTimeout, "pasted:os:timeout"),
            _ => (DiagnosisClass::ReplyTimeout, "pasted:os:timeout"),
        }
    } else if has(&[
        "connection unexpectedly closed",
        "server disconnected",
        "connection reset",
        "connection aborted",
        "connection closed by",
        "closed the connection",
        "remote end closed",
        "connection was closed",
        "broken pipe",
        "unexpected eof",
        "econnreset",
        "epipe",
        "winerror 10054",
    ]) {
        (DiagnosisClass::ConnectionClosed, "pasted:os:closed")
    } else {
        return None;
    };
    let mut diagnosis = Diagnosis::of_class(class, stage, rule, Confidence::Medium);
    if class == DiagnosisClass::DnsFailure && has(&["temporary failure", "try again", "eai_again"])
    {
        diagnosis = diagnosis
            .with_severity(DiagnosisSeverity::Transient)
            .with_retry(super::Retry::Later, None);
    }
    Some(diagnosis)
}
