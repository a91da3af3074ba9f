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
    /// port or service; TLS records mean an implicit-TLS port.
    pub fn malformed_reply(stage: Stage, error: &ReplyError, received: &[u8]) -> Diagnosis {
        let start = received
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&received[..0], |at| &received[at..]);
        let detail = format!("{error}");
        if matches!(start, [0x15 | 0x16, 0x03, ..]) {
            return Diagnosis::of_class(
                DiagnosisClass::TlsModeMismatch,
                stage,
                "observed:tls-record-instead-of-reply",
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
        let lower: Vec<u8> = start.iter().take(16).map(u8::to_ascii_lowercase).collect();
        let service = if lower.starts_with(b"http/")
            || lower.starts_with(b"<!doctype")
            || lower.starts_with(b"<html")
        {
            Some("a web (HTTP) server")
        } else if lower.starts_with(b"+ok") || lower.starts_with(b"-err") {
            Some("a POP3 server")
        } else if lower.starts_with(b"* ok") || lower.starts_with(b"* bye") {
            Some("an IMAP server")
        } else if lower.starts_with(b"ssh-") {
            Some("an SSH server")
        } else {
            None
        };
        let diagnosis = Diagnosis::of_class(
            DiagnosisClass::MalformedReply,
            stage,
            "observed:unparseable-reply",
            Confidence::High,
        );
        match service {
            Some(service) => diagnosis
                .with_texts(
                    "Another service answered on this port, not an SMTP server: wrong port or service.",
                    &["The host and port point to a different service (web, POP3, IMAP, SSH) or a proxy."],
                    &[
                        "Check the port: 25 for relay (MX), 587 for submission with STARTTLS, 465 for submission with implicit TLS.",
                        "Check that the host name is the mail server's.",
                    ],
                )
                .with_detail(format!("{service} answered: {detail}")),
            None => diagnosis.with_detail(detail),
        }
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
