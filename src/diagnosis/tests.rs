//! Unit tests of the diagnosis engine, one group per rule family, then the no-reply
//! diagnoses, pasted text, context, JSON and Display.

use std::io;
use std::time::Duration;

use super::*;
use crate::auth::Mechanism;
use crate::reply::{Decoded, ReplyError, ReplyLimits, parse_reply};

fn reply(wire: &str) -> Reply {
    let mut bytes = wire.replace('\n', "\r\n").into_bytes();
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    match parse_reply(&bytes, &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, .. }) => value,
        other => panic!("{wire:?} does not parse: {other:?}"),
    }
}

#[track_caller]
fn check(stage: Stage, wire: &str, class: DiagnosisClass, rule: &str) {
    let d = diagnose(stage, &reply(wire));
    assert_eq!(
        (d.class(), d.evidence().rule()),
        (class, rule),
        "{stage} {wire:?}"
    );
}

use DiagnosisClass as C;

#[test]
fn rule_table_is_well_formed() {
    let mut ids = std::collections::HashMap::new();
    for rule in rules::RULES {
        assert!(
            rule.words.is_empty()
                || rule.enhanced.is_none()
                || rule.provider != 0
                || rule.exact_stage,
            "{}: words and enhanced filters together are a provider or stage-strict rule",
            rule.id
        );
        for phrase in rule.words.iter().chain(rule.also).chain(rule.unless) {
            assert!(!phrase.is_empty(), "{}: empty phrase", rule.id);
            // The text is matched with white space folded to single spaces.
            assert!(
                !phrase.contains("  ") && !phrase.contains(['\t', '\r', '\n']),
                "{}: {phrase:?} can never match folded text",
                rule.id
            );
        }
        // The same id may name several rules of one family (e.g. enhanced:x.1.1 at MAIL and
        // elsewhere), but never two classes at once for the same filters.
        ids.entry(rule.id).or_insert_with(Vec::new).push(rule.class);
    }
    assert!(engine::phrase_count() > 500);
}

#[test]
fn decisive_phrases_win() {
    check(
        Stage::Rcpt,
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; Error: open resolver; https://www.spamhaus.org/returnc/pub/1.2.3.4",
        C::DnsblQueryRefused,
        "text:open resolver",
    );
    check(
        Stage::Auth,
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
        C::AuthDisabledByPolicy,
        "text:smtp auth disabled",
    );
    check(
        Stage::StartTls,
        "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade your client.",
        C::TlsVersionUnsupported,
        "text:tls version",
    );
}

#[test]
fn provider_rules_read_overloaded_enhanced_codes() {
    // Gmail's 5.7.26 means DMARC/SPF/DKIM even without the words.
    check(
        Stage::DataEnd,
        "550-5.7.26 Please visit https://support.google.com/mail/answer/81126\n550 5.7.26 for more information. xyz - gsmtp",
        C::SenderAuthPolicy,
        "provider:gmail:x.7.26",
    );
    // IANA's x.7.27 (sender null MX) means something else without a Gmail fingerprint.
    check(
        Stage::Mail,
        "550 5.7.27 sender address has null MX",
        C::SenderDomainUnresolvable,
        "enhanced:x.7.27",
    );
    check(
        Stage::DataEnd,
        "421-4.7.28 Our system has detected an unusual rate of mail from your DKIM domain.\n421 4.7.28 Try again. - gsmtp",
        C::RateLimited,
        "provider:gmail:4.7.28",
    );
    check(
        Stage::Rcpt,
        "452 4.1.1 <bob@comcast.net> mailbox full",
        C::MailboxFull,
        "provider:comcast:4.1.1",
    );
    check(
        Stage::Mail,
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred - see https://postmaster.yahooinc.com",
        C::RateLimited,
        "provider:yahoo:deferral",
    );
    check(
        Stage::DataEnd,
        "550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
        C::PolicyRejected,
        "provider:icloud:policy",
    );
    check(
        Stage::Rcpt,
        "550 5.4.1 Recipient address rejected: Access denied. [x.prod.protection.outlook.com]",
        C::RecipientUnknown,
        "provider:microsoft:5.4.1",
    );
    check(
        Stage::Rcpt,
        "550 5.7.606 Access denied, banned sending IP [192.0.2.9].",
        C::IpBlocklisted,
        "enhanced:5.7.606-649",
    );
}

#[test]
fn text_rules_by_family() {
    let cases: &[(Stage, &str, C, &str)] = &[
        (
            Stage::Rcpt,
            "554 5.7.1 <a@b.example>: Relay access denied",
            C::RelayDenied,
            "text:relay access denied",
        ),
        (
            Stage::Rcpt,
            "550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in local recipient table",
            C::RecipientUnknown,
            "text:user unknown",
        ),
        (
            Stage::Rcpt,
            "450 4.2.0 <a@b.example>: Recipient address rejected: Greylisted, see http://postgrey.example/",
            C::Greylisted,
            "text:greylisted",
        ),
        (
            Stage::Rcpt,
            "550 5.2.1 The email account that you tried to reach is disabled.",
            C::MailboxDisabled,
            "text:mailbox disabled",
        ),
        (
            Stage::Rcpt,
            "552 5.2.2 The email account that you tried to reach is over quota.",
            C::MailboxFull,
            "text:mailbox full",
        ),
        (
            Stage::Rcpt,
            "452 4.5.3 Error: too many recipients",
            C::TooManyRecipients,
            "text:too many recipients",
        ),
        (
            Stage::Mail,
            "530 5.7.0 Must issue a STARTTLS command first",
            C::TlsRequired,
            "text:tls required",
        ),
        (
            Stage::Mail,
            "530 5.7.0 Authentication required",
            C::AuthRequired,
            "text:authentication required",
        ),
        (
            Stage::Mail,
            "553 5.7.1 <x@y.example>: Sender address rejected: not owned by user z@y.example",
            C::SenderNotPermitted,
            "text:send as denied",
        ),
        (
            Stage::Rcpt,
            "550 Verification failed for <x@y.example>\n550 Sender verify failed",
            C::SenderRejected,
            "text:sender verify failed",
        ),
        (
            Stage::Auth,
            "535 5.7.8 Error: authentication failed: authentication failure",
            C::AuthFailed,
            "text:authentication failed",
        ),
        (
            Stage::Auth,
            "534-5.7.9 Application-specific password required.\n534 5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor",
            C::AuthAppPasswordRequired,
            "provider:gmail:x.7.9",
        ),
        (
            Stage::Auth,
            "454 4.7.0 Too many login attempts, please try again later.",
            C::AuthRateLimited,
            "text:too many logins",
        ),
        (
            Stage::Auth,
            "504 5.5.4 Encryption required for requested authentication mechanism",
            C::AuthEncryptionRequired,
            "text:auth encryption required",
        ),
        (
            Stage::Auth,
            "503 5.5.1 Error: authentication not enabled",
            C::AuthNotOffered,
            "text:auth not offered",
        ),
        (
            Stage::Auth,
            "501 Cancelled",
            C::AuthCancelled,
            "text:auth cancelled",
        ),
        (
            Stage::StartTls,
            "454 4.7.0 TLS not available due to local problem",
            C::TlsUnavailable,
            "text:tls unavailable",
        ),
        (
            Stage::StartTls,
            "502 5.5.1 Error: command not implemented",
            C::TlsNotOffered,
            "text:starttls not implemented",
        ),
        (
            Stage::StartTls,
            "503 5.5.1 Error: TLS already active",
            C::TlsAlreadyActive,
            "text:tls already active",
        ),
        (
            Stage::Greeting,
            "554 mx.example.com ESMTP not accepting connections",
            C::GreetingRejected,
            "text:not accepting connections",
        ),
        (
            Stage::Greeting,
            "421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1",
            C::ConnectionLimit,
            "text:connection limit",
        ),
        (
            Stage::Greeting,
            "521 5.5.1 Protocol error",
            C::PipeliningViolation,
            "text:protocol error",
        ),
        (
            Stage::Rcpt,
            "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
            C::HeloRejected,
            "text:helo rejected",
        ),
        (
            Stage::Rcpt,
            "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
            C::ReverseDnsRequired,
            "text:reverse dns",
        ),
        (
            Stage::Rcpt,
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            C::IpBlocklisted,
            "text:ip blocklisted",
        ),
        (
            Stage::DataEnd,
            "550 5.7.1 Your email was rejected due to having a domain present in the Spamhaus DBL",
            C::DomainBlocklisted,
            "text:domain blocklisted",
        ),
        (
            Stage::DataEnd,
            "550 5.7.1 Your message was rejected due to example.com's DMARC policy.",
            C::SenderAuthPolicy,
            "text:sender authentication",
        ),
        (
            Stage::DataEnd,
            "554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam.",
            C::ContentRejected,
            "text:spam content",
        ),
        (
            Stage::DataEnd,
            "552 5.7.1 virus Eicar detected",
            C::VirusDetected,
            "text:virus",
        ),
        (
            Stage::DataEnd,
            "552 5.3.4 Message size exceeds fixed limit",
            C::MessageTooLarge,
            "text:message too large",
        ),
        (
            Stage::DataEnd,
            "550 5.6.0 Message is not RFC 5322 compliant",
            C::MessageNoncompliant,
            "text:noncompliant format",
        ),
        (
            Stage::DataEnd,
            "554 5.6.0 Message contains a NUL character",
            C::MessageNoncompliant,
            "text:noncompliant message",
        ),
        (
            Stage::DataEnd,
            "521 5.5.2 mx.example.com Error: bare <LF> received",
            C::ClientProtocolViolation,
            "text:bare lf",
        ),
        (
            Stage::DataEnd,
            "554 5.4.6 Too many hops",
            C::MailLoop,
            "text:mail loop",
        ),
        (
            Stage::Mail,
            "452 4.3.1 Insufficient system storage",
            C::ServerStorageFull,
            "text:storage",
        ),
        (
            Stage::Any,
            "421 4.4.2 mx.example.com Error: timeout exceeded",
            C::ServerTimeout,
            "text:server timeout",
        ),
        (
            Stage::Any,
            "421 4.7.0 mx.example.com Error: too many errors",
            C::TooManyErrors,
            "text:too many errors",
        ),
        (
            Stage::Mail,
            "503 5.5.1 Error: send HELO/EHLO first",
            C::ProtocolSequenceError,
            "text:bad sequence",
        ),
        (
            Stage::Any,
            "500 5.5.2 Error: command not recognized",
            C::SyntaxError,
            "text:syntax error",
        ),
        (
            Stage::Data,
            "554 5.5.1 Error: no valid recipients",
            C::NoValidRecipients,
            "text:no valid recipients",
        ),
        (
            Stage::Any,
            "554 SMTP synchronization error",
            C::PipeliningViolation,
            "text:pipelining",
        ),
        (
            Stage::Mail,
            "555 5.5.4 Unsupported option: RET",
            C::ParamsNotSupported,
            "text:unsupported parameter",
        ),
        (
            Stage::Rcpt,
            "553 5.6.7 Must declare SMTPUTF8 to send unicode address",
            C::Smtputf8Required,
            "text:smtputf8",
        ),
        (
            Stage::Rcpt,
            "501 5.1.3 Bad recipient address syntax",
            C::AddressSyntaxError,
            "text:address syntax",
        ),
        (
            Stage::Rcpt,
            "550 Unrouteable address",
            C::RecipientDomainNotFound,
            "text:recipient domain",
        ),
        (
            Stage::Rcpt,
            "450 4.1.8 <x@nowhere.example>: Sender address rejected: Domain not found",
            C::SenderDomainUnresolvable,
            "text:sender domain",
        ),
        (
            Stage::DataEnd,
            "451 4.3.0 Error: queue file write error",
            C::ServerTemporaryError,
            "text:temporary server error",
        ),
        (
            Stage::Rcpt,
            "451 4.7.1 Please try again later",
            C::Greylisted,
            "text:try again later at rcpt",
        ),
        (
            Stage::Rcpt,
            "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required",
            C::RecipientRestricted,
            "enhanced:5.7.133-136",
        ),
        (
            Stage::Mail,
            "550 5.4.5 Daily user sending limit exceeded.",
            C::SendingQuotaExceeded,
            "text:sending quota",
        ),
        (
            Stage::DataEnd,
            "421 4.7.0 [192.0.2.1] Our system has detected that this message is suspicious due to the very low reputation of the sending domain.",
            C::DomainReputationBlock,
            "text:domain reputation",
        ),
        (
            Stage::Rcpt,
            "550 5.7.1 Connections not accepted from servers with a poor reputation",
            C::IpReputationBlock,
            "text:ip reputation",
        ),
        (
            Stage::Ehlo,
            "501 5.5.4 HELO/EHLO argument is invalid",
            C::HeloRejected,
            "text:helo rejected",
        ),
        (
            Stage::Ehlo,
            "500 5.5.1 Command unrecognized",
            C::EhloNotSupported,
            "text:ehlo unsupported",
        ),
    ];
    for (stage, wire, class, rule) in cases {
        check(*stage, wire, *class, rule);
    }
}

#[test]
fn stage_changes_the_meaning_of_a_code() {
    check(
        Stage::Greeting,
        "554 go away",
        C::GreetingRejected,
        "text:not accepting connections",
    );
    check(
        Stage::Greeting,
        "554 mx.example.com",
        C::GreetingRejected,
        "code:greeting:5xx",
    );
    check(
        Stage::Rcpt,
        "550 mx.example.com",
        C::RecipientUnknown,
        "code:rcpt:550",
    );
    check(
        Stage::Mail,
        "550 mx.example.com",
        C::SenderRejected,
        "code:mail:5xx",
    );
    check(
        Stage::DataEnd,
        "554 mx.example.com",
        C::PolicyRejected,
        "code:data-end:5xx",
    );
    check(
        Stage::Data,
        "554 mx.example.com",
        C::NoValidRecipients,
        "code:data:554",
    );
    check(
        Stage::Mail,
        "530 5.7.0 mx.example.com",
        C::AuthRequired,
        "code:530",
    );
    check(
        Stage::Mail,
        "552 mx.example.com",
        C::MessageTooLarge,
        "code:mail:552",
    );
    check(
        Stage::Rcpt,
        "552 mx.example.com",
        C::MailboxFull,
        "code:rcpt:552",
    );
    check(
        Stage::Rcpt,
        "421 mx.example.com closing",
        C::ServiceUnavailable,
        "code:any:421",
    );
    check(Stage::Auth, "535 mx.example.com", C::AuthFailed, "code:535");
    check(
        Stage::Auth,
        "502 5.5.2 mx.example.com",
        C::AuthNotOffered,
        "code:auth:500-502",
    );
    check(
        Stage::Ehlo,
        "502 mx.example.com",
        C::EhloNotSupported,
        "code:ehlo:500-502",
    );
}

#[test]
fn enhanced_codes_decide_when_words_do_not() {
    check(
        Stage::Rcpt,
        "550 5.1.1 mx.example.com",
        C::RecipientUnknown,
        "enhanced:x.1.1",
    );
    check(
        Stage::Mail,
        "550 5.1.1 mx.example.com",
        C::SenderRejected,
        "enhanced:x.1.1",
    );
    check(
        Stage::Rcpt,
        "550 5.1.10 mx.example.com",
        C::RecipientDomainNotFound,
        "enhanced:x.1.10",
    );
    check(
        Stage::Rcpt,
        "452 4.2.2 mx.example.com",
        C::MailboxFull,
        "enhanced:x.2.2",
    );
    check(
        Stage::DataEnd,
        "554 5.3.4 mx.example.com",
        C::MessageTooLarge,
        "enhanced:x.3.4",
    );
    check(
        Stage::Rcpt,
        "452 4.5.3 mx.example.com",
        C::TooManyRecipients,
        "enhanced:x.5.3",
    );
    check(
        Stage::DataEnd,
        "550 5.7.1 mx.example.com",
        C::PolicyRejected,
        "enhanced:x.7.1",
    );
    check(
        Stage::DataEnd,
        "550 5.7.23 mx.example.com",
        C::SenderAuthPolicy,
        "enhanced:x.7.20-24",
    );
}

#[test]
fn positive_and_unexpected_replies() {
    check(
        Stage::Greeting,
        "220 mx.example.com ESMTP",
        C::Ok,
        "code:greeting:220",
    );
    check(
        Stage::Ehlo,
        "250-mx.example.com\n250 SIZE 1000",
        C::Capabilities,
        "code:ehlo:250",
    );
    check(Stage::Rcpt, "250 2.1.5 Ok", C::Ok, "code:rcpt:250");
    check(Stage::Data, "354 go ahead", C::Ok, "code:data:354");
    check(Stage::Auth, "334 VXNlcm5hbWU6", C::Ok, "code:auth:235");
    check(
        Stage::Data,
        "250 2.0.0 OK",
        C::UnexpectedReply,
        "rfc5321:not-valid-for-command",
    );
    check(
        Stage::Rcpt,
        "220 ready",
        C::UnexpectedReply,
        "rfc5321:not-valid-for-command",
    );
    check(
        Stage::Mail,
        "354 go ahead",
        C::UnexpectedReply,
        "rfc5321:not-valid-for-command",
    );
    check(Stage::Any, "250 ok", C::Ok, "code:any:2xx");
    check(Stage::Any, "599 x", C::PolicyRejected, "class:5");
    check(Stage::Any, "450 x", C::ServerTemporaryError, "class:4");
    // A positive reply whose words sound negative is still positive.
    check(
        Stage::Greeting,
        "220-mx.example.com ESMTP\n220 We do not authorize the use of this system to transport unsolicited mail; violators are blocked",
        C::Ok,
        "code:greeting:220",
    );
    let ok = diagnose(Stage::Rcpt, &reply("250 ok"));
    assert_eq!(ok.severity(), DiagnosisSeverity::Info);
    assert!(!ok.is_problem());
    let unexpected = diagnose(Stage::Data, &reply("250 ok"));
    assert_eq!(unexpected.severity(), DiagnosisSeverity::Warning);
}

#[test]
fn reply_shape_anomalies() {
    check(Stage::Auth, "334", C::MalformedReply, "anomaly:bare-334");
    check(Stage::Any, "600 odd", C::MalformedReply, "code:nonstandard");
    check(
        Stage::Greeting,
        "220-a\n221 b",
        C::MalformedReply,
        "anomaly:inconsistent-codes",
    );
    let blank = match parse_reply(b"\r\n220 hi\r\n", &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, .. }) => value,
        other => panic!("{other:?}"),
    };
    assert_eq!(diagnose(Stage::Greeting, &blank).class(), C::MalformedReply);
    // Non-UTF-8 text is read as bytes.
    let gbk = match parse_reply(
        b"550 \xC7\xEB Mailbox not found\r\n",
        &ReplyLimits::default(),
    ) {
        Ok(Decoded::Complete { value, .. }) => value,
        other => panic!("{other:?}"),
    };
    assert_eq!(diagnose(Stage::Rcpt, &gbk).class(), C::RecipientUnknown);
}

#[test]
fn continuation_lines_are_joined_and_spaces_folded() {
    check(
        Stage::Rcpt,
        "550-5.7.1 <a@b.example>: Relay\n550 5.7.1    access   denied",
        C::RelayDenied,
        "text:relay access denied",
    );
    // Case does not matter.
    check(
        Stage::Rcpt,
        "550 RELAY ACCESS DENIED",
        C::RelayDenied,
        "text:relay access denied",
    );
}

#[test]
fn severity_and_retry_follow_the_code() {
    let d = diagnose(Stage::Rcpt, &reply("452 4.2.2 mailbox full"));
    assert_eq!(
        (d.severity(), d.retry()),
        (DiagnosisSeverity::Transient, Retry::Later)
    );
    let d = diagnose(Stage::Rcpt, &reply("552 5.2.2 mailbox full"));
    assert_eq!(
        (d.severity(), d.retry()),
        (DiagnosisSeverity::Permanent, Retry::No)
    );
    let d = diagnose(
        Stage::Rcpt,
        &reply("450 4.1.1 <a@b>: Recipient address rejected: User unknown"),
    );
    assert_eq!((d.class(), d.retry()), (C::RecipientUnknown, Retry::Later));
    let d = diagnose(Stage::Rcpt, &reply("450 4.2.0 Greylisted"));
    assert_eq!(d.retry(), Retry::Later);
    assert_eq!(d.retry_after(), Some(Duration::from_secs(300)));
    let d = diagnose(
        Stage::Mail,
        &reply("550 5.4.5 Daily user sending limit exceeded. - gsmtp"),
    );
    assert_eq!(
        (d.severity(), d.retry()),
        (DiagnosisSeverity::Permanent, Retry::Window)
    );
    assert_eq!(d.retry_after(), Some(Duration::from_secs(86_400)));
    assert_eq!(d.confidence(), Confidence::High);
    let d = diagnose(Stage::Rcpt, &reply("550 mx.example.com"));
    assert_eq!(d.confidence(), Confidence::Low);
}

#[test]
fn pasted_text_in_every_form() {
    let forms: &[(&str, C)] = &[
        ("5.7.1 Relay access denied", C::RelayDenied),
        ("550 5.1.1 User unknown", C::RecipientUnknown),
        (
            "550-5.7.26 Unauthenticated email from example.com is not accepted due to\n550-5.7.26 domain's DMARC policy.\r\n550 5.7.26 See https://support.google.com/ - gsmtp",
            C::SenderAuthPolicy,
        ),
        (
            "550-5.7.1 [192.0.2.1] Our system has detected an unusual rate of 550-5.7.1 unsolicited mail originating from your IP address. 550 5.7.1 blocked. - gsmtp",
            C::IpReputationBlock,
        ),
        (
            "(534, b'5.7.9 Application-specific password required. Learn more at\\n5.7.9 https://support.google.com/mail/?p=InvalidSecondFactor x - gsmtp')",
            C::AuthAppPasswordRequired,
        ),
        (
            "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
            C::RecipientUnknown,
        ),
        ("  Relay access denied  ", C::RelayDenied),
        ("535", C::AuthFailed),
    ];
    for (text, class) in forms {
        let d = diagnose_text(Stage::Any, text);
        assert_eq!(d.class(), *class, "{text:?}");
    }
    let d = diagnose_text(Stage::Rcpt, "5.7.1 Relay access denied");
    assert_eq!(d.code(), None);
    assert_eq!(
        d.enhanced_code().map(|c| c.to_string()),
        Some("5.7.1".into())
    );
    assert_eq!(d.severity(), DiagnosisSeverity::Permanent);
    assert_eq!(d.evidence().pasted(), Some("5.7.1 Relay access denied"));
    let d = diagnose_text(
        Stage::Rcpt,
        "550-5.7.1 first\n550 5.7.1 Relay access denied",
    );
    let reply = d.evidence().reply().expect("rebuilt reply");
    assert_eq!(reply.line_count(), 2);
    assert_eq!(d.code().map(|c| c.value()), Some(550));
    // Joined on one line: split back at the code markers.
    let d = diagnose_text(
        Stage::Rcpt,
        "550-5.7.1 a 550-5.7.1 b 550 5.7.1 Relay access denied",
    );
    assert_eq!(d.evidence().reply().map(Reply::line_count), Some(3));
    for text in [
        "",
        "   ",
        "\r\n",
        "(550, b'')",
        "(",
        "()",
        "(550, b'\\x",
        "5.",
        "999",
    ] {
        let _ = diagnose_text(Stage::Any, text);
    }
}

#[test]
fn context_refines() {
    let refused = diagnose(Stage::Rcpt, &reply("550 5.1.1 User unknown"));
    let accepted = diagnose(Stage::Rcpt, &reply("250 ok"));
    let context = Context::new()
        .with_recipient(accepted)
        .with_recipient(refused.clone());
    let d = diagnose_in_context(
        Stage::Data,
        &reply("554 5.5.1 Error: no valid recipients"),
        &context,
    );
    assert_eq!(d.class(), C::NoValidRecipients);
    assert_eq!(
        d.caused_by().map(Diagnosis::class),
        Some(C::RecipientUnknown)
    );
    assert!(d.detail().is_some_and(|detail| detail.contains("1 of 2")));

    let plain = Context::new().with_tls(false, true);
    let d = diagnose_in_context(
        Stage::Auth,
        &reply("503 5.5.1 Error: authentication not enabled"),
        &plain,
    );
    assert_eq!(d.class(), C::AuthNotOffered);
    assert!(d.summary().contains("STARTTLS first"));
    let tls = Context::new().with_tls(true, false);
    let d = diagnose_in_context(
        Stage::Auth,
        &reply("503 5.5.1 Error: authentication not enabled"),
        &tls,
    );
    assert!(!d.summary().contains("STARTTLS first"));

    let context = Context::new().with_previous(refused);
    let d = diagnose_in_context(
        Stage::Any,
        &reply("421 4.7.0 mx Error: too many errors"),
        &context,
    );
    assert_eq!(d.class(), C::TooManyErrors);
    assert_eq!(
        d.caused_by().map(Diagnosis::class),
        Some(C::RecipientUnknown)
    );
}

#[test]
fn diagnoses_without_a_reply() {
    let d = Diagnosis::reply_timeout(Stage::Greeting, Duration::from_secs(300));
    assert_eq!(d.class(), C::GreetingTimeout);
    assert!(d.summary().contains("465"));
    let d = Diagnosis::reply_timeout(Stage::Rcpt, Duration::from_secs(300));
    assert_eq!((d.class(), d.retry()), (C::ReplyTimeout, Retry::Later));
    let d = Diagnosis::reply_timeout(Stage::DataEnd, Duration::from_secs(600));
    assert!(d.remedies()[0].contains("duplicate"));

    let rejected = diagnose(
        Stage::Greeting,
        &reply("554 5.7.1 blocked using zen.spamhaus.org"),
    );
    let d = Diagnosis::connection_closed(Stage::Ehlo, Some(&rejected));
    assert_eq!(d.class(), C::DroppedAfterReject);
    assert_eq!(d.caused_by().map(Diagnosis::class), Some(C::IpBlocklisted));
    assert_eq!(d.retry(), rejected.retry());
    let ok = diagnose(Stage::Greeting, &reply("220 hi"));
    assert_eq!(
        Diagnosis::connection_closed(Stage::Mail, Some(&ok)).class(),
        C::ConnectionClosed
    );
    assert_eq!(
        Diagnosis::connection_closed(Stage::Greeting, None).class(),
        C::ConnectionClosed
    );

    let d = Diagnosis::starttls_response_injection(b"250 fake\r\n");
    assert_eq!(
        (d.class(), d.retry()),
        (C::StarttlsResponseInjection, Retry::No)
    );
    assert!(
        d.detail()
            .is_some_and(|detail| detail.contains("10 octets"))
    );

    assert_eq!(Diagnosis::tls_not_offered().class(), C::TlsNotOffered);
    let d = Diagnosis::auth_not_offered(true, false);
    assert_eq!(d.class(), C::AuthNotOffered);
    assert_eq!(d.evidence().rule(), "observed:auth-after-starttls");
    assert!(d.summary().contains("STARTTLS first"));
    let d = Diagnosis::auth_not_offered(true, true);
    assert_eq!(d.evidence().rule(), "observed:auth-not-advertised");

    let d = Diagnosis::no_common_mechanism(
        &[Mechanism::Gssapi, Mechanism::Ntlm],
        &[Mechanism::Plain, Mechanism::Login],
    );
    assert_eq!(d.class(), C::AuthMechanismUnsupported);
    assert_eq!(
        d.detail(),
        Some("server offers: GSSAPI NTLM; client supports: PLAIN LOGIN")
    );
    let d = Diagnosis::plaintext_auth_refused(&Mechanism::Plain);
    assert_eq!(d.class(), C::AuthEncryptionRequired);

    let d = Diagnosis::size_over_limit(31_457_280, 26_214_400);
    assert_eq!((d.class(), d.stage()), (C::MessageTooLarge, Stage::Mail));
    assert!(
        d.detail()
            .is_some_and(|detail| detail.contains("30.0 MiB") && detail.contains("25.0 MiB"))
    );
}

#[test]
fn malformed_replies_name_the_service() {
    let error = ReplyError::BadCode {
        line: 1,
        offset: 0,
        found: "HTTP/1.1 400 Bad Request".into(),
    };
    let d = Diagnosis::malformed_reply(Stage::Greeting, &error, b"HTTP/1.1 400 Bad Request\r\n");
    assert_eq!(d.class(), C::MalformedReply);
    assert!(d.summary().contains("wrong port"));
    let d = Diagnosis::malformed_reply(Stage::Greeting, &error, b"+OK POP3 ready\r\n");
    assert!(d.detail().is_some_and(|detail| detail.contains("POP3")));
    let d = Diagnosis::malformed_reply(Stage::Greeting, &error, b"\x15\x03\x03\x00\x02\x02\x46");
    assert_eq!(d.class(), C::TlsModeMismatch);
    let d = Diagnosis::malformed_reply(Stage::Greeting, &error, b"garbage\r\n");
    assert_eq!(d.evidence().rule(), "observed:unparseable-reply");
}

#[test]
fn transport_errors() {
    let cases: &[(io::ErrorKind, &str, C)] = &[
        (
            io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
            C::ConnectionRefused,
        ),
        (
            io::ErrorKind::TimedOut,
            "connection timed out",
            C::ConnectionTimeout,
        ),
        (
            io::ErrorKind::Other,
            "failed to lookup address information: Name or service not known",
            C::DnsFailure,
        ),
        (
            io::ErrorKind::Other,
            "No such host is known. (os error 11001)",
            C::DnsFailure,
        ),
        (
            io::ErrorKind::NetworkUnreachable,
            "Network is unreachable (os error 101)",
            C::ConnectionTimeout,
        ),
        (
            io::ErrorKind::ConnectionReset,
            "Connection reset by peer (os error 104)",
            C::ConnectionClosed,
        ),
        (
            io::ErrorKind::Other,
            "error:0A00010B:SSL routines::wrong version number",
            C::TlsModeMismatch,
        ),
    ];
    for (kind, detail, class) in cases {
        let d = classify_transport_error(*kind, detail);
        assert_eq!(d.class(), *class, "{kind:?} {detail}");
        assert!(d.detail().is_some_and(|text| text.contains(detail)));
    }
    let refused = classify_transport_error(io::ErrorKind::ConnectionRefused, "refused");
    assert!(
        refused
            .remedies()
            .iter()
            .any(|r| r.contains("587") && r.contains("465"))
    );
    let timeout = classify_transport_error(io::ErrorKind::TimedOut, "timed out");
    assert!(timeout.remedies().iter().any(|r| r.contains("587")));
    let temporary =
        classify_transport_error(io::ErrorKind::Other, "Temporary failure in name resolution");
    assert_eq!(
        (temporary.class(), temporary.retry()),
        (C::DnsFailure, Retry::Later)
    );
}

#[test]
fn tls_errors() {
    let cases: &[(&str, C)] = &[
        (
            "error:0A00010B:SSL routines::wrong version number",
            C::TlsModeMismatch,
        ),
        (
            "[SSL: UNKNOWN_PROTOCOL] unknown protocol (_ssl.c:1129)",
            C::TlsModeMismatch,
        ),
        (
            "received corrupt message of type InvalidContentType",
            C::TlsModeMismatch,
        ),
        (
            "tls: first record does not look like a TLS handshake",
            C::TlsModeMismatch,
        ),
        (
            "expected a TLS ServerHello, received '220 mx.example.com ESMTP'",
            C::TlsModeMismatch,
        ),
        (
            "invalid peer certificate: Expired",
            C::TlsCertificateInvalid,
        ),
        (
            "invalid peer certificate: UnknownIssuer",
            C::TlsCertificateInvalid,
        ),
        (
            "invalid peer certificate: NotValidForName",
            C::TlsCertificateInvalid,
        ),
        (
            "certificate verify failed: self signed certificate in certificate chain",
            C::TlsCertificateInvalid,
        ),
        (
            "received fatal alert: ProtocolVersion",
            C::TlsVersionUnsupported,
        ),
        (
            "No appropriate protocol (protocol is disabled or cipher suites are inappropriate)",
            C::TlsVersionUnsupported,
        ),
        ("sslv3 alert handshake failure", C::TlsHandshakeFailed),
        (
            "received fatal alert: HandshakeFailure",
            C::TlsHandshakeFailed,
        ),
        ("something odd", C::TlsHandshakeFailed),
    ];
    for (text, class) in cases {
        assert_eq!(classify_tls_error(text).class(), *class, "{text}");
    }
    let mismatch = classify_tls_error("wrong version number");
    assert!(mismatch.remedies().iter().any(|r| r.contains("587")));
    assert!(mismatch.remedies().iter().any(|r| r.contains("465")));
}

#[test]
fn certificate_errors_lead_with_the_problem_the_tls_library_named() {
    let first_cause = |text: &str| classify_tls_error(text).causes()[0];
    for text in [
        "invalid peer certificate: Expired",
        "certificate verify failed: certificate has expired",
        "invalid peer certificate: NotValidYet",
    ] {
        assert!(first_cause(text).contains("renewed"), "{text}");
    }
    for text in [
        "invalid peer certificate: NotValidForName",
        "Hostname mismatch, certificate is not valid for 'smtp.example.com'",
    ] {
        assert!(first_cause(text).contains("alias"), "{text}");
    }
    for text in [
        "invalid peer certificate: UnknownIssuer",
        "certificate verify failed: self signed certificate in certificate chain",
        "unable to get local issuer certificate",
    ] {
        let diagnosis = classify_tls_error(text);
        assert_eq!(diagnosis.class(), DiagnosisClass::TlsCertificateInvalid);
        assert!(diagnosis.causes()[0].contains("self-signed"), "{text}");
        assert_eq!(diagnosis.detail(), Some(text));
    }
}

#[test]
fn json_has_the_contract_fields() {
    let d = diagnose(
        Stage::Rcpt,
        &reply("550-5.1.1 \"quoted\"\n550 5.1.1 User unknown"),
    );
    let json: serde_json::Value = serde_json::from_str(&d.to_json()).expect("valid JSON");
    for field in [
        "class",
        "severity",
        "retry",
        "stage",
        "code",
        "enhanced",
        "summary",
        "causes",
        "remedies",
        "confidence",
    ] {
        assert!(json.get(field).is_some(), "missing {field}");
    }
    assert_eq!(json["class"], "recipient_unknown");
    assert_eq!(json["severity"], "permanent");
    assert_eq!(json["retry"], "no");
    assert_eq!(json["stage"], "rcpt");
    assert_eq!(json["code"], 550);
    assert_eq!(json["enhanced"], "5.1.1");
    assert_eq!(json["confidence"], "high");
    assert_eq!(json["evidence"][0], "550-5.1.1 \"quoted\"");
    assert!(
        json["causes"]
            .as_array()
            .is_some_and(|causes| !causes.is_empty())
    );
    let timeout = Diagnosis::reply_timeout(Stage::Greeting, Duration::from_secs(300));
    let json: serde_json::Value = serde_json::from_str(&timeout.to_json()).expect("valid JSON");
    assert_eq!(json["code"], serde_json::Value::Null);
    assert_eq!(json["retry"], "after-fix");
    let grey = diagnose(Stage::Rcpt, &reply("450 4.2.0 Greylisted"));
    let json: serde_json::Value = serde_json::from_str(&grey.to_json()).expect("valid JSON");
    assert_eq!(json["retry_after_secs"], 300);
    let blocked = diagnose(
        Stage::Rcpt,
        &reply("554 5.7.1 blocked using zen.spamhaus.org"),
    );
    let closed = Diagnosis::connection_closed(Stage::Rcpt, Some(&blocked));
    let json: serde_json::Value = serde_json::from_str(&closed.to_json()).expect("valid JSON");
    assert_eq!(json["caused_by"]["class"], "ip_blocklisted");
}

#[test]
fn display_is_short_and_plain() {
    let d = diagnose(
        Stage::Rcpt,
        &reply("554 5.7.1 <a@b.example>: Relay access denied"),
    );
    let text = d.to_string();
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("relay_denied (rcpt): "), "{first}");
    assert!(text.contains("  server said: 554 5.7.1 <a@b.example>: Relay access denied"));
    assert!(text.contains("\n    - "));
    assert!(text.contains("retry: after-fix"));
    assert!(text.lines().count() < 20);
}

#[test]
fn class_names_and_enums_round_trip() {
    assert_eq!(Retry::AfterFix.as_str(), "after-fix");
    assert_eq!(DiagnosisSeverity::Transient.to_string(), "transient");
    assert_eq!(Confidence::Medium.to_string(), "medium");
    assert_eq!(
        C::ALL.len(),
        C::ALL
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
    );
}

/// The phrase table and its automaton stay within bounds: the phrase ids fit the engine's
/// fixed bit set, and the automaton stays small enough to build on first use in every
/// process. (Figures when the bounds were set, 64-bit: 1,408 phrases, 331 KB; the bounds
/// leave room to grow the table about threefold.)
#[test]
fn automaton_size() {
    let phrases = engine::phrase_count();
    let bytes = engine::automaton_memory();
    println!("phrases: {phrases}, automaton bytes: {bytes}");
    assert!(
        phrases <= engine::PHRASE_LIMIT,
        "{phrases} phrases: raise MAX_PATTERNS"
    );
    assert!(
        phrases > 1000,
        "{phrases} phrases: the table lost most of its words"
    );
    assert!(
        bytes <= AUTOMATON_BYTES_BOUND,
        "the automaton takes {bytes} bytes"
    );
}

const AUTOMATON_BYTES_BOUND: usize = 1 << 20;

/// Building the automaton (done once, on the first diagnosis) takes well under a second even
/// unoptimised on a loaded machine: the bound catches a build that turns quadratic, not a
/// slow CI runner. (Figures when the bounds were set: 4.5 ms optimised, 95 ms in the test
/// profile.)
#[test]
fn automaton_build_time() {
    let started = std::time::Instant::now();
    let phrases = engine::build_afresh();
    let took = started.elapsed();
    println!("automaton build: {phrases} phrases in {took:?}");
    assert_eq!(phrases, engine::phrase_count());
    let bound = if cfg!(debug_assertions) {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(300)
    };
    assert!(
        took < bound,
        "the automaton took {took:?} to build (bound {bound:?})"
    );
}

/// The user's own list of troubles (shared/seeds): each comes out as a diagnosis in plain words.
#[test]
fn seed_troubles_are_diagnosed() {
    let refused = classify_transport_error(io::ErrorKind::ConnectionRefused, "Connection refused");
    assert_eq!(refused.class(), C::ConnectionRefused);
    assert!(refused.causes().iter().any(|c| c.contains("firewall")));
    let auth = diagnose_text(Stage::Auth, "535 Authentication failed");
    assert_eq!(auth.class(), C::AuthFailed);
    assert!(auth.remedies().iter().any(|r| r.contains("app password")));
    assert_eq!(
        classify_tls_error("No appropriate protocol").class(),
        C::TlsVersionUnsupported
    );
    assert_eq!(
        classify_tls_error("SSL handshake failed").class(),
        C::TlsHandshakeFailed
    );
    assert_eq!(
        diagnose_text(Stage::Rcpt, "554 5.7.1 Relay access denied").class(),
        C::RelayDenied
    );
    let delivered = diagnose_text(Stage::DataEnd, "250 2.0.0 Ok: queued as 4F3");
    assert_eq!(delivered.class(), C::Ok);
    assert!(
        delivered
            .remedies()
            .iter()
            .any(|r| r.contains("spam folder"))
    );
    assert_eq!(
        diagnose_text(Stage::Rcpt, "550 5.1.1 unknown or illegal user").class(),
        C::RecipientUnknown
    );
    assert_eq!(
        diagnose_text(Stage::Mail, "552 5.3.4 Message size exceeds fixed limit").class(),
        C::MessageTooLarge
    );
    assert_eq!(
        Diagnosis::size_over_limit(60_000_000, 52_428_800).class(),
        C::MessageTooLarge
    );
}

/// Generic fixes from the first run over real replies pasted in public issues
/// (`tests/data/blind-real.jsonl`); each stands for a family, not one string.
#[test]
fn real_reply_families() {
    let class = |stage: Stage, wire: &str| diagnose(stage, &reply(wire)).class();
    // 421 names the command it answers; it is never a HELO rejection.
    assert_eq!(
        class(
            Stage::Ehlo,
            "421 4.7.0 Try again later, closing connection. (EHLO) x - gsmtp"
        ),
        C::ServiceUnavailable
    );
    assert_eq!(
        class(Stage::Ehlo, "550 5.7.1 Invalid HELO name"),
        C::HeloRejected
    );
    // 535 means the credentials were refused, whatever general word follows.
    assert_eq!(class(Stage::Auth, "535 Denied"), C::AuthFailed);
    assert_eq!(class(Stage::Any, "535 Access refused"), C::AuthFailed);
    // "#5.1.0" (old Exchange, qmail): the enhanced code is read all the same.
    let d = diagnose(Stage::Rcpt, &reply("550 #5.1.0 Address rejected."));
    assert_eq!(d.class(), C::RecipientUnknown);
    assert_eq!(d.enhanced_code(), EnhancedCode::new(5, 1, 0));
    assert_eq!(
        class(Stage::Any, "550 #5.1.0 Address rejected."),
        C::RecipientUnknown
    );
    assert_eq!(
        class(
            Stage::Mail,
            "550 5.1.0 Sender address rejected: not owned by you"
        ),
        C::SenderNotPermitted
    );
    // A Yahoo deferral code that names a block list is a listing.
    assert_eq!(
        class(
            Stage::Mail,
            "553 5.7.1 [TSS07] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list"
        ),
        C::IpBlocklisted
    );
    assert_eq!(
        class(
            Stage::Mail,
            "553 5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred"
        ),
        C::IpReputationBlock
    );
    // Asking for AUTH first is auth_required, whatever the enhanced code.
    assert_eq!(
        class(Stage::Mail, "503 5.5.4 Error: send AUTH command first."),
        C::AuthRequired
    );
    assert_eq!(class(Stage::Any, "550 5.2.5 Folder full"), C::MailboxFull);
    assert_eq!(
        class(Stage::Any, "552 message line is too long"),
        C::MessageNoncompliant
    );
    assert_eq!(
        class(Stage::Any, "450 Too many recipient attempts"),
        C::RateLimited
    );
    // "Try again later": greylisting as 451 4.7.1 with the stage unknown, but 421 is a closing
    // service, and at a known stage the stage's own rules decide.
    assert_eq!(
        class(Stage::Any, "451 4.7.1 Try again later"),
        C::Greylisted
    );
    assert_eq!(
        class(Stage::Any, "421 4.7.0 Try again later, closing connection."),
        C::ServiceUnavailable
    );
    assert_eq!(
        class(Stage::Rcpt, "451 4.7.1 Try again later"),
        C::Greylisted
    );
}

/// Regression (the `diagnose` fuzz target, first minutes of its campaign): a `220` greeting
/// banner with a `440-` line in its middle is a malformed reply, not a refusal and not a plain
/// success; the fuzz target had assumed a 2xx reply could only be `ok`, `capabilities` or
/// `unexpected_reply`.
#[test]
fn a_success_with_a_foreign_code_inside_is_malformed() {
    let wire = "220-mx.example.com ESMTP\n220-* no unsolicited mail\n440-*\n220 *";
    let reply = reply(wire);
    assert!(
        reply
            .anomalies()
            .contains(crate::reply::Anomaly::InconsistentCodes)
    );
    check(
        Stage::Greeting,
        wire,
        C::MalformedReply,
        "anomaly:inconsistent-codes",
    );
}

// ---- Issue 11: pasted text that is not a reply (DIAGNOSES.md s4.9b) ----

/// Every `NNN` and `N.N.N` the diagnosis cites can be read in the input (numerically: an
/// enhanced code may be written with leading zeros).
fn cites_only_codes_in(diagnosis: &Diagnosis, input: &str) -> bool {
    let code_ok = diagnosis
        .code()
        .is_none_or(|code| input.contains(&code.value().to_string()));
    let enhanced_ok = diagnosis.enhanced_code().is_none_or(|enhanced| {
        let bytes = input.as_bytes();
        (0..bytes.len()).any(|at| {
            let rest = &bytes[at..];
            let rest = rest.strip_prefix(b"#").unwrap_or(rest);
            crate::reply::leading_enhanced_code(rest).is_some_and(|(found, _)| found == enhanced)
                || rest.starts_with(enhanced.to_string().as_bytes())
        })
    });
    code_ok && enhanced_ok
}

#[track_caller]
fn given(stage: Stage, text: &str, class: DiagnosisClass, rule: &str) -> Diagnosis {
    let d = diagnose_text(stage, text);
    assert_eq!(
        (d.class(), d.evidence().rule()),
        (class, rule),
        "{stage} {text:?}"
    );
    assert_eq!((d.code(), d.enhanced_code()), (None, None), "{text:?}");
    assert!(cites_only_codes_in(&d, text));
    d
}

#[test]
fn other_protocols_banners_are_malformed_replies_that_name_the_protocol() {
    for (text, protocol) in [
        ("HTTP/1.1 400 Bad Request", "HTTP"),
        ("+OK Dovecot ready.", "POP3"),
        ("-ERR unknown command", "POP3"),
        ("* OK IMAP4rev1 Service Ready", "IMAP"),
        ("* OK [CAPABILITY IMAP4rev1] Dovecot ready.", "IMAP"),
        ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13", "SSH"),
        ("<!DOCTYPE html><html><body>502</body></html>", "HTTP"),
    ] {
        for stage in [Stage::Greeting, Stage::Rcpt, Stage::Any] {
            let d = given(stage, text, C::MalformedReply, "pasted:other-protocol");
            assert!(d.summary().contains("wrong port"), "{text:?}");
            assert!(
                d.detail().is_some_and(|detail| detail.contains(protocol)),
                "{text:?}: {:?}",
                d.detail()
            );
            assert!(d.remedies().iter().any(|r| r.contains("587")));
            assert_eq!(d.evidence().pasted(), Some(text));
            // Not presented as a server's SMTP reply.
            assert!(d.to_string().contains("text given: "), "{d}");
        }
        let d = diagnose_bytes(Stage::Greeting, text.as_bytes());
        assert_eq!(d.class(), C::MalformedReply, "{text:?}");
        assert_eq!(d.code(), None);
    }
    // "HTTP/1.1 400" carries digits, but no SMTP reply code: 400 is never cited.
    let d = diagnose_text(
        Stage::Greeting,
        "HTTP/1.1 400 Bad Request\r\n\r\n400 Bad Request",
    );
    assert_eq!((d.class(), d.code()), (C::MalformedReply, None));
}

#[test]
fn a_tls_record_at_the_greeting_is_a_tls_mode_mismatch() {
    // A TLS 1.2 handshake record (ServerHello) and an alert, as a plaintext client reads them.
    let hello = b"\x16\x03\x03\x00\x5d\x02\x00\x00\x59\x03\x03\xfe\x80";
    let alert = b"\x15\x03\x01\x00\x02\x02\x46";
    for bytes in [&hello[..], &alert[..]] {
        for stage in [Stage::Greeting, Stage::Connect, Stage::Any] {
            let d = diagnose_bytes(stage, bytes);
            assert_eq!(
                (d.class(), d.code(), d.enhanced_code()),
                (C::TlsModeMismatch, None, None)
            );
            assert!(d.remedies()[0].contains("implicit TLS"));
        }
        // In the middle of a plaintext session it is a malformed reply that names TLS.
        let d = diagnose_bytes(Stage::Rcpt, bytes);
        assert_eq!(d.class(), C::MalformedReply);
        assert!(d.detail().is_some_and(|detail| detail.contains("TLS")));
    }
    let d = diagnose_text(Stage::Greeting, "\u{16}\u{3}\u{1}\u{0}\u{2}");
    assert_eq!(d.class(), C::TlsModeMismatch);
}

#[test]
fn binary_bytes_are_a_malformed_reply_not_a_refusal() {
    let d = diagnose_bytes(Stage::Greeting, b"\x00\x01\x02\xff\xfe garbage \x1b\x7f");
    assert_eq!(
        (d.class(), d.evidence().rule(), d.code()),
        (C::MalformedReply, "pasted:binary-data", None)
    );
    assert_ne!(d.severity(), DiagnosisSeverity::Transient);
    // Display shows the bytes escaped, never raw.
    let shown = d.to_string();
    assert!(shown.contains(r"\x00\x01\x02"), "{shown}");
    assert!(!shown.contains('\u{1b}'));
}

#[test]
fn program_and_os_errors_get_the_class_they_name() {
    given(
        Stage::Any,
        "Connection refused",
        C::ConnectionRefused,
        "pasted:os:refused",
    );
    given(
        Stage::Greeting,
        "Connection refused",
        C::ConnectionRefused,
        "pasted:os:refused",
    );
    given(
        Stage::Connect,
        "[Errno 111] Connection refused",
        C::ConnectionRefused,
        "pasted:os:refused",
    );
    // Python's smtplib.SMTPServerDisconnected.
    given(
        Stage::Rcpt,
        "Connection unexpectedly closed",
        C::ConnectionClosed,
        "pasted:os:closed",
    );
    given(
        Stage::Any,
        "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
        C::ConnectionClosed,
        "pasted:os:closed",
    );
    // A timeout names when it happened.
    given(
        Stage::Connect,
        "timed out",
        C::ConnectionTimeout,
        "pasted:os:timeout",
    );
    given(
        Stage::Greeting,
        "timed out",
        C::GreetingTimeout,
        "pasted:os:timeout",
    );
    given(
        Stage::DataEnd,
        "Connection unexpectedly closed: timed out",
        C::ReplyTimeout,
        "pasted:os:timeout",
    );
    given(
        Stage::Any,
        "socket.gaierror: [Errno -2] Name or service not known",
        C::DnsFailure,
        "pasted:os:dns",
    );
    let d = given(
        Stage::Any,
        "[Errno -3] Temporary failure in name resolution",
        C::DnsFailure,
        "pasted:os:dns",
    );
    assert_eq!(d.retry(), Retry::Later);
    let d = given(
        Stage::StartTls,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
        C::TlsCertificateInvalid,
        "pasted:tls:certificate",
    );
    assert_eq!(d.stage(), Stage::StartTls);
    given(
        Stage::Connect,
        "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)",
        C::TlsModeMismatch,
        "pasted:tls:mode-mismatch",
    );
    // With a reply code, the same words are the server's: the rules decide.
    let d = diagnose_text(Stage::Greeting, "554 Connection refused");
    assert_eq!(
        (d.class(), d.code().map(ReplyCode::value)),
        (C::GreetingRejected, Some(554))
    );
}

#[test]
fn text_with_nothing_to_go_on_is_unrecognized() {
    for text in [
        "hello world",
        "",
        "   \r\n  ",
        "lorem ipsum dolor",
        "éàü 中文",
    ] {
        let d = given(Stage::Rcpt, text, C::Unrecognized, "pasted:unrecognized");
        assert_eq!(
            (d.severity(), d.confidence(), d.retry()),
            (DiagnosisSeverity::Info, Confidence::Low, Retry::No)
        );
        assert!(d.remedies()[0].contains("three-digit code"));
        assert!(d.is_problem());
    }
    // The same through the bytes entry point, and for invalid UTF-8 without control octets.
    let d = diagnose_bytes(Stage::Mail, b"hello world");
    assert_eq!(d.class(), C::Unrecognized);
    let d = diagnose_bytes(Stage::Mail, b"\xc3\x28 \xa0\xa1");
    assert_eq!((d.class(), d.code()), (C::Unrecognized, None));
    // A phrase still decides without a code; an enhanced code still gives its class.
    let d = diagnose_text(Stage::Rcpt, "Relay access denied");
    assert_eq!((d.class(), d.code()), (C::RelayDenied, None));
    let d = diagnose_text(Stage::Rcpt, "5.9.9 xyzzy");
    assert_eq!(
        d.enhanced_code().map(|e| e.to_string()),
        Some("5.9.9".into())
    );
    assert_ne!(d.class(), C::Unrecognized);
}

proptest::proptest! {
    /// DIAGNOSES.md s4.9b for any input: no code or enhanced code that the text does not hold,
    /// and `unrecognized` for text without codes, known phrases or program error words.
    #[test]
    fn pasted_text_never_yields_a_code_it_does_not_hold(
        text in proptest::prop_oneof![
            ".{0,80}",
            "[a-z .,:;!?-]{0,60}",
            "([0-9]{3}[ -])?([245]\\.[0-9]{1,3}\\.[0-9]{1,3} )?[a-zA-Z ]{0,40}",
            "\\(([0-9]{3}), b'[ -~]{0,40}'\\)",
            "[\\x00-\\x7f]{0,40}",
        ],
        stage in proptest::sample::select(Stage::ALL.to_vec()),
    ) {
        let d = diagnose_text(stage, &text);
        proptest::prop_assert!(cites_only_codes_in(&d, &text), "{text:?}: {:?} {:?}", d.code(), d.enhanced_code());
        let bytes_d = diagnose_bytes(stage, text.as_bytes());
        proptest::prop_assert!(cites_only_codes_in(&bytes_d, &text), "{text:?}: {:?} {:?}", bytes_d.code(), bytes_d.enhanced_code());
        let has_code = text.split(['\r', '\n']).any(|line| {
            let line = line.trim().trim_start_matches('(');
            line.len() >= 3 && line.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        });
        let has_enhanced = (0..text.len()).any(|at| {
            crate::reply::leading_enhanced_code(&text.as_bytes()[at..]).is_some()
        });
        let bare = !has_code
            && !has_enhanced
            && !engine::knows_a_phrase(text.as_bytes())
            && noreply::pasted_error(stage, &text).is_none()
            && noreply::Foreign::recognise(text.trim().as_bytes()).is_none();
        if bare {
            proptest::prop_assert_eq!(d.class(), C::Unrecognized, "{:?}", text);
        }
        if d.code().is_none() && d.enhanced_code().is_none() {
            // Without a code no refusal is invented: a phrase, a program's error or a
            // foreign banner decided, or nothing did.
            proptest::prop_assert!(
                d.class() == C::Unrecognized
                    || d.evidence().rule().starts_with("pasted:")
                    || d.evidence().rule().starts_with("text:")
                    || d.evidence().rule().starts_with("provider:"),
                "{:?}: {} by {}", text, d.class(), d.evidence().rule()
            );
        }
    }
}

// ---- Issue 11 item 3: at MAIL the words are about the sender (DIAGNOSES.md s4.9c) ----

#[test]
fn a_refusal_at_mail_names_the_sender_class() {
    // The issue's reply: the text says the client may not use that sender.
    check(
        Stage::Mail,
        "550 5.7.1 <alice@example.org> rejected: not permitted",
        C::SenderNotPermitted,
        "text:not permitted at mail",
    );
    check(
        Stage::Mail,
        "553 5.7.1 <alice@example.org>: sender not allowed here",
        C::SenderRejected,
        "text:sender rejected",
    );
    // Words of the recipient family, stage-blind, refer to the sender at MAIL...
    check(
        Stage::Mail,
        "550 5.1.1 <alice@example.org>: User unknown",
        C::SenderRejected,
        "text:user unknown",
    );
    check(
        Stage::Mail,
        "550 5.1.1 <alice@nowhere.example>: Domain not found",
        C::SenderDomainUnresolvable,
        "text:recipient domain",
    );
    check(
        Stage::Mail,
        "552 5.2.2 Quota exceeded for this account",
        C::SendingQuotaExceeded,
        "text:mailbox full",
    );
    // ...unless the text names the recipient.
    check(
        Stage::Mail,
        "550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown",
        C::RecipientUnknown,
        "text:user unknown",
    );
    // At RCPT the same words keep their recipient classes.
    check(
        Stage::Rcpt,
        "550 5.1.1 <bob@example.com>: User unknown",
        C::RecipientUnknown,
        "text:user unknown",
    );
    check(
        Stage::Rcpt,
        "550 5.7.1 <bob@example.com> rejected: not permitted",
        C::PolicyRejected,
        "text:refused",
    );
    // A refusal in general words that names no cause stays the policy's (labelled corpus).
    check(
        Stage::Mail,
        "550 5.7.1 <x@y.example>... Access denied",
        C::PolicyRejected,
        "text:refused",
    );
    // The same through diagnose_text, as a user pastes it.
    let d = diagnose_text(
        Stage::Mail,
        "550 5.7.1 <alice@example.org> rejected: not permitted",
    );
    assert_eq!(
        (d.class(), d.severity()),
        (C::SenderNotPermitted, DiagnosisSeverity::Permanent)
    );
}

// ---- Issue 11 item 7: wording that says only what is known ----

#[test]
fn a_reply_over_the_line_limit_blames_the_clients_own_limit() {
    // A 1002-line EHLO reply through the decoder with the default limits.
    let mut wire = Vec::new();
    for i in 0..1001 {
        wire.extend_from_slice(format!("250-EXT{i}\r\n").as_bytes());
    }
    wire.extend_from_slice(b"250 HELP\r\n");
    let limits = ReplyLimits::default().with_max_reply_length(1 << 20);
    let error = match parse_reply(&wire, &limits) {
        Err(error @ ReplyError::TooManyLines { .. }) => error,
        other => panic!("expected TooManyLines, got {other:?}"),
    };
    let d = Diagnosis::malformed_reply(Stage::Ehlo, &error, &wire);
    assert_eq!(d.class(), C::MalformedReply);
    assert!(!d.summary().contains("does not follow"), "{}", d.summary());
    assert!(d.summary().contains("sets no limit"), "{}", d.summary());
    assert!(d.remedies()[0].contains("ReplyLimits::with_max_lines"));
    assert!(d.detail().is_some_and(|detail| detail.contains("256")));
    assert_eq!(d.retry(), Retry::AfterFix);
}

#[test]
fn an_unexpected_reply_that_ends_the_session_says_so() {
    let wrong = reply("250 2.0.0 Ok");
    let warning = Diagnosis::unexpected_reply(Stage::Data, &wrong, "354");
    assert_eq!(warning.severity(), DiagnosisSeverity::Warning);
    let fatal = Diagnosis::unexpected_reply_ending_session(Stage::Data, &wrong, "354");
    assert_eq!(
        (
            fatal.class(),
            fatal.severity(),
            fatal.code().map(ReplyCode::value)
        ),
        (C::UnexpectedReply, DiagnosisSeverity::Permanent, Some(250))
    );
    let shown = fatal.to_string();
    assert!(!shown.contains("severity: warning"), "{shown}");
    assert!(!shown.contains("first digit"), "{shown}");
    assert!(fatal.summary().contains("ended the session"));
    assert_eq!(fatal.detail(), Some("got 250 where 354 was expected"));
    let at_end = Diagnosis::unexpected_reply_ending_session(Stage::DataEnd, &wrong, "250");
    assert!(at_end.remedies()[0].contains("duplicate"));
}

#[test]
fn a_greeting_cut_by_a_timeout_names_both_causes_without_certainty() {
    let silent = Diagnosis::reply_timeout(Stage::Greeting, Duration::from_secs(300));
    assert_eq!(silent.confidence(), Confidence::High);
    let partial = Diagnosis::reply_timeout_after_partial(
        Stage::Greeting,
        Duration::from_secs(300),
        b"220 mx.exam",
    );
    assert_eq!(partial.class(), C::GreetingTimeout);
    assert!(partial.confidence() < Confidence::High);
    assert!(!partial.summary().contains("most often"));
    let causes = partial.causes().join(" ");
    assert!(
        causes.contains("tarpitting") && causes.contains("implicit-TLS"),
        "{causes}"
    );
    assert!(
        partial
            .detail()
            .is_some_and(|detail| detail.contains("11 octets") && detail.contains("220 mx.exam"))
    );
    // Escaped: a partial line is server text.
    let d =
        Diagnosis::reply_timeout_after_partial(Stage::Rcpt, Duration::from_secs(5), b"25\x1b[2J");
    assert_eq!(d.class(), C::ReplyTimeout);
    assert!(d.detail().is_some_and(|detail| detail.contains(r"\x1b[2J")));
    // Nothing arrived: the same as reply_timeout.
    assert_eq!(
        Diagnosis::reply_timeout_after_partial(Stage::Greeting, Duration::from_secs(300), b""),
        silent
    );
}

// ---- Issue 11 item 1: what the server says is shown, never obeyed ----

const TITLE_ATTACK: &str = "550 5.1.1 \u{1b}]0;pwned-title\u{7}\u{1b}[2J\u{1b}[31mfake PASS";
const REDRAW_ATTACK: &str = "550 5.1.1 refused\r  PASS  rcpt <b@fake.test> 250 2.1.5 ok\u{1b}[K";

#[test]
fn the_attack_strings_reach_no_terminal_through_reply_and_diagnosis() {
    for attack in [TITLE_ATTACK, REDRAW_ATTACK] {
        let mut wire = attack.as_bytes().to_vec();
        wire.extend_from_slice(b"\r\n");
        let Ok(Decoded::Complete { value: parsed, .. }) =
            parse_reply(&wire, &ReplyLimits::default())
        else {
            panic!("{attack:?} does not parse");
        };
        let outputs = [
            parsed.to_string(),
            parsed
                .lines()
                .next()
                .map(|line| line.to_string())
                .unwrap_or_default(),
            diagnose(Stage::Rcpt, &parsed).to_string(),
            diagnose_text(Stage::Rcpt, attack).to_string(),
            diagnose_bytes(Stage::Rcpt, attack.as_bytes()).to_string(),
            diagnose_text(Stage::Rcpt, &attack[4..]).to_string(),
            diagnose_text(Stage::Rcpt, &attack[10..]).to_string(),
        ];
        for shown in outputs {
            assert!(crate::escape::is_inert(&shown, true), "{shown:?}");
            assert!(
                shown.contains(r"\x1b") || shown.contains(r"\r"),
                "{shown:?}"
            );
        }
        // The JSON keeps its own escaping.
        let json = diagnose(Stage::Rcpt, &parsed).to_json();
        assert!(json.contains("\\u001b") || json.contains("\\r"), "{json}");
    }
}
