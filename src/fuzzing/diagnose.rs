use crate::diagnosis::{self, DiagnosisClass, diagnose_bytes, diagnose_text};
use crate::reply::{Decoded, ReplyLimits, parse_reply};
use crate::stage::Stage;

/// Diagnoses arbitrary bytes three ways (as wire bytes, as pasted text, and as a parsed
/// reply when they parse) at the stage the first byte picks, and checks what a caller of
/// `diagnose` relies on: no panic, a class whose id parses back to it, a diagnosis that
/// carries the reply's own codes, a success code never diagnosed as a refusal (a malformed one may be), and JSON
/// output that is balanced and free of raw control characters.
pub fn diagnose(data: &[u8]) {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let stage = Stage::ALL[usize::from(pick) % Stage::ALL.len()];

    let from_bytes = diagnose_bytes(stage, input);
    check_common(&from_bytes);
    let from_text = diagnose_text(stage, &String::from_utf8_lossy(input));
    check_common(&from_text);

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
    let _ = diagnosis.to_string();
}
