use crate::diagnosis::{self, DiagnosisClass, diagnose_bytes, diagnose_text};
use crate::reply::{Decoded, ReplyLimits, parse_reply};
use crate::stage::Stage;

/// Diagnoses arbitrary bytes three ways (as wire bytes, as pasted text, and as a parsed
/// reply when they parse) at the stage the first byte picks, and checks what a caller of
/// `diagnose` relies on: no panic, a class whose id parses back to it, a diagnosis that
/// carries the reply's own codes and no code the input does not hold, a success code never
/// diagnosed as a refusal (a malformed one may be), JSON output that is balanced and free of
/// raw control characters, and a `Display` free of them too (LF and tab aside).
pub fn diagnose(data: &[u8]) {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let stage = Stage::ALL[usize::from(pick) % Stage::ALL.len()];

    let from_bytes = diagnose_bytes(stage, input);
    check_common(&from_bytes);
    let text = String::from_utf8_lossy(input);
    let from_text = diagnose_text(stage, &text);
    check_common(&from_text);
    // DIAGNOSES.md s4.9b: a diagnosis cites no code the input does not hold.
    for diagnosis in [&from_bytes, &from_text] {
        if let Some(code) = diagnosis.code() {
            assert!(
                text.contains(&format!("{:03}", code.value())),
                "the diagnosis cites {code}, which the input {text:?} does not hold"
            );
        }
        if let Some(enhanced) = diagnosis.enhanced_code() {
            assert!(
                holds_enhanced_code(text.as_bytes(), enhanced),
                "the diagnosis cites {enhanced}, which the input {text:?} does not hold"
            );
        }
        if diagnosis.code().is_none()
            && diagnosis.enhanced_code().is_none()
            && diagnosis.evidence().rule() == "pasted:unrecognized"
        {
            assert_eq!(diagnosis.severity(), crate::DiagnosisSeverity::Info);
        }
    }

    if let Ok(Decoded::Complete { value: reply, .. }) = parse_reply(input, &ReplyLimits::default())
    {
        let diagnosis = diagnosis::diagnose(stage, &reply);
        check_common(&diagnosis);
        assert_eq!(
            diagnosis.code(),
            Some(reply.code()),
            "the diagnosis lost the reply code"
        );
        assert_eq!(diagnosis.stage(), stage);
        if reply.code().is_completion() {
            // A success is never a refusal: at most a reply the stage did not expect, or one
            // whose shape broke the rules (mixed codes, blank lines).
            let class = diagnosis.class();
            assert!(
                !diagnosis.is_problem()
                    || class == DiagnosisClass::UnexpectedReply
                    || (class == DiagnosisClass::MalformedReply && !reply.anomalies().is_empty()),
                "a 2xx reply diagnosed as a refusal: {}",
                class.as_str()
            );
        }
    }
}

/// Whether `text` writes `enhanced` somewhere (`5.7.1`, or with leading zeros `5.07.001`).
pub(crate) fn holds_enhanced_code(text: &[u8], enhanced: crate::EnhancedCode) -> bool {
    /// The number written at the start of `digits` (1 to 3 digits) and what follows it.
    fn number(digits: &[u8]) -> Option<(u16, &[u8])> {
        let len = digits
            .iter()
            .take(3)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let value = digits[..len]
            .iter()
            .fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'));
        (len > 0).then(|| (value, &digits[len..]))
    }
    (0..text.len()).any(|at| {
        let Some((class, rest)) = number(&text[at..]) else {
            return false;
        };
        let Some((subject, rest)) = rest.strip_prefix(b".").and_then(number) else {
            return false;
        };
        let Some((detail, _)) = rest.strip_prefix(b".").and_then(number) else {
            return false;
        };
        class == u16::from(enhanced.class)
            && subject == enhanced.subject
            && detail == enhanced.detail
    })
}

fn check_common(diagnosis: &crate::Diagnosis) {
    let class = diagnosis.class();
    assert_eq!(class.as_str().parse::<DiagnosisClass>(), Ok(class));
    assert!(!diagnosis.summary().is_empty());
    let json = diagnosis.to_json();
    assert!(json.starts_with('{') && json.ends_with('}'));
    assert!(
        !json.bytes().any(|b| b < 0x20),
        "raw control character in the JSON output"
    );
    // What the server or the user wrote is shown, never obeyed (crate::escape).
    let shown = diagnosis.to_string();
    assert!(
        !shown
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "a control character reaches the terminal: {shown:?}"
    );
}

#[cfg(test)]
mod tests {
    /// Regression (the first minutes of this target's campaign): a `220` greeting banner with
    /// a `440-` line in its middle; the target had assumed a 2xx reply could only be `ok`,
    /// `capabilities` or `unexpected_reply` (the diagnosis tests check the class itself).
    #[test]
    fn a_success_with_a_foreign_code_inside_passes_the_target() {
        // Stage index 1: the greeting.
        let mut input = vec![1u8];
        input.extend_from_slice(
            b"220-mx.example.com ESMTP\r\n220-* no unsolicited mail\r\n440-*\r\n220 *\r\n",
        );
        super::diagnose(&input);
    }
}
