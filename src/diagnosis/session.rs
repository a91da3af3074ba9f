//! Diagnoses of what the client engine observes itself, beyond a single reply: a reply that
//! came before its command was written, a server that stops reading, a message that cannot
//! be sent to this server, a SASL proof that failed, a refusal that follows from an earlier one.

use std::time::Duration;

use crate::auth::{Mechanism, SaslError};
use crate::capabilities::Keyword;
use crate::reply::Reply;
use crate::stage::Stage;

use super::{Confidence, Diagnosis, DiagnosisClass, DiagnosisSeverity, Retry};

impl Diagnosis {
    /// A reply arrived for a command whose last octet the client had not written yet (a final
    /// reply before the end of the message, a reply before QUIT went out): the server did not
    /// wait for the command, so the reply answers nothing the client said. Nothing it says
    /// can be trusted, least of all "accepted" (RFC 5321 s4.2: a reply follows its command).
    pub(crate) fn early_reply(stage: Stage, reply: &Reply) -> Diagnosis {
        let mut diagnosis = Diagnosis::unexpected_reply(stage, reply, "nothing yet")
            .with_texts(
                "The server answered before the command it would answer was sent: the reply cannot be trusted, and the session was ended.",
                &[
                    "A broken or hostile server that sends canned replies without reading the client's commands.",
                    "A proxy or security device that answers on the server's behalf.",
                ],
                &[
                    "Do not count a message as delivered on such a reply; report the server's behaviour to its administrator.",
                ],
            )
            .with_severity(DiagnosisSeverity::Permanent)
            .with_retry(Retry::AfterFix, None);
        diagnosis.detail = Some(format!(
            "got {} during {stage} before the command was written",
            reply.code()
        ));
        diagnosis
    }

    /// The server stopped reading: output the client had to write made no progress for
    /// `waited`.
    pub(crate) fn write_stalled(stage: Stage, waited: Duration, pending: usize) -> Diagnosis {
        Diagnosis::of_class(
            DiagnosisClass::ReplyTimeout,
            stage,
            "observed:write-stalled",
            Confidence::High,
        )
        .with_texts(
            "The server stopped reading what the client was sending: nothing could be written for too long.",
            &[
                "The server is overloaded, or slows down suspected spammers on purpose.",
                "A network path that silently drops packets, or a full receive window on the server's side.",
            ],
            &[
                "Retry later; if it happens during a large message, check the server's size and time limits.",
            ],
        )
        .with_detail(format!(
            "{pending} octets still to write after {} s without progress",
            waited.as_secs()
        ))
    }

    /// Every recipient of the transaction was refused, so the message was not sent; `first`
    /// is the first refusal (the real reason).
    pub(crate) fn recipients_all_refused(first: Option<&Diagnosis>) -> Diagnosis {
        let diagnosis = Diagnosis::of_class(
            DiagnosisClass::NoValidRecipients,
            Stage::Rcpt,
            "observed:every-recipient-refused",
            Confidence::High,
        )
        .with_texts(
            "Every recipient was refused, so the message was not sent.",
            &["See the refusal of each recipient: the first one is attached."],
            &[
                "Fix or remove the refused addresses (see each refusal's diagnosis), then send again.",
            ],
        );
        match first {
            Some(first) => diagnosis
                .with_severity(first.severity())
                .with_retry(first.retry(), first.retry_after())
                .with_caused_by(first.clone()),
            None => diagnosis,
        }
    }

    /// The message needs an extension the server did not advertise (SMTPUTF8, 8BITMIME,
    /// DSN, ...), so it was not sent.
    pub(crate) fn extension_missing(keyword: Keyword) -> Diagnosis {
        let diagnosis = if keyword == Keyword::SmtpUtf8 {
            Diagnosis::of_class(
                DiagnosisClass::Smtputf8Required,
                Stage::Mail,
                "observed:smtputf8-not-offered",
                Confidence::High,
            )
            .with_texts(
                "The message has non-ASCII addresses or headers, and the server does not offer SMTPUTF8 (RFC 6531), so it was not sent.",
                &["The server does not support internationalized email."],
                &[
                    "Use ASCII addresses and encode non-ASCII headers (RFC 2047), or send through a server that offers SMTPUTF8.",
                ],
            )
        } else {
            Diagnosis::of_class(
                DiagnosisClass::ParamsNotSupported,
                Stage::Mail,
                "observed:extension-not-offered",
                Confidence::High,
            )
            .with_texts(
                "The message needs an SMTP extension the server does not offer, so it was not sent.",
                &[
                    "8-bit content without 8BITMIME (RFC 6152), or DSN, REQUIRETLS or MT-PRIORITY parameters the server does not support.",
                ],
                &[
                    "Encode the content in 7 bits (quoted-printable or base64), or drop the parameters the server does not offer.",
                ],
            )
        };
        diagnosis.with_detail(format!("the server did not advertise {}", keyword.as_str()))
    }

    /// The client could not write a message's envelope (a parameter or address it cannot put
    /// on the wire). `send_mail` checks this before queueing, so it only covers the
    /// impossible case honestly.
    pub(crate) fn envelope_unwritable(error: &dyn std::fmt::Display) -> Diagnosis {
        Diagnosis::of_class(
            DiagnosisClass::AddressSyntaxError,
            Stage::Mail,
            "observed:envelope-unwritable",
            Confidence::High,
        )
        .with_detail(format!("the client could not write the envelope: {error}"))
    }

    /// The server's SASL proof failed verification (a forged SCRAM server signature).
    pub(crate) fn server_not_verified(mechanism: &Mechanism, error: &SaslError) -> Diagnosis {
        Diagnosis::of_class(
            DiagnosisClass::AuthServerProofInvalid,
            Stage::Auth,
            "observed:sasl-server-proof",
            Confidence::High,
        )
        .with_detail(format!("{}: {error}", mechanism.as_str()))
    }

    /// The client cancelled a SASL exchange (`*`, RFC 4954 s4) because of `error`; `reply`
    /// is the server's answer to the cancel.
    pub(crate) fn sasl_cancelled(reply: &Reply, error: &SaslError) -> Diagnosis {
        let mut diagnosis = Diagnosis::of_class(
            DiagnosisClass::AuthCancelled,
            Stage::Auth,
            "observed:sasl-cancelled",
            Confidence::High,
        )
        .with_texts(
            "The client cancelled the authentication exchange: the server's challenge could not be answered.",
            &[
                "The server sent a challenge the mechanism does not allow (malformed, or for another mechanism).",
            ],
            &[
                "Try another mechanism (see the server's AUTH list), and report the challenge to the server's administrator.",
            ],
        )
        .with_detail(format!("the client gave up: {error}"));
        diagnosis.code = Some(reply.code());
        diagnosis.enhanced = reply.enhanced_code();
        diagnosis.evidence.reply = Some(reply.clone());
        diagnosis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::ReplyCode;

    #[test]
    fn session_diagnoses_carry_their_classes_and_causes() {
        let reply = Reply::new(ReplyCode::OK, None, ["queued"]).unwrap();
        let early = Diagnosis::early_reply(Stage::DataEnd, &reply);
        assert_eq!(early.class(), DiagnosisClass::UnexpectedReply);
        assert_eq!(early.severity(), DiagnosisSeverity::Permanent);
        assert!(
            early
                .detail()
                .unwrap()
                .contains("before the command was written")
        );

        let first = Diagnosis::extension_missing(Keyword::EightBitMime);
        assert_eq!(first.class(), DiagnosisClass::ParamsNotSupported);
        let all = Diagnosis::recipients_all_refused(Some(&first));
        assert_eq!(all.class(), DiagnosisClass::NoValidRecipients);
        assert_eq!(all.caused_by(), Some(&first));
        assert_eq!(
            Diagnosis::extension_missing(Keyword::SmtpUtf8).class(),
            DiagnosisClass::Smtputf8Required
        );
        let stalled = Diagnosis::write_stalled(Stage::Data, Duration::from_secs(180), 10);
        assert_eq!(stalled.class(), DiagnosisClass::ReplyTimeout);
        assert!(stalled.detail().unwrap().contains("10 octets"));
    }
}
