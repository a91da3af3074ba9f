//! Property tests: any reply at any stage gives exactly one diagnosis and never panics;
//! `diagnose_text` accepts any string; the JSON is always valid.

use proptest::prelude::*;
use smtp_sansio::{
    Decoded, DiagnosisClass, ReplyDecoder, ReplyLimits, Stage, diagnose, diagnose_text,
};

fn stage() -> impl Strategy<Value = Stage> {
    proptest::sample::select(Stage::ALL.to_vec())
}

/// Lines that look like replies: a code, a separator, and text mixing real phrases with noise.
fn reply_bytes() -> impl Strategy<Value = Vec<u8>> {
    let phrase = proptest::sample::select(vec![
        "Relay access denied",
        "User unknown",
        "5.7.1",
        "4.7.0",
        "gsmtp",
        "[TSS04]",
        "blocked using zen.spamhaus.org",
        "open resolver",
        "quota",
        "Greylisted",
        "spf",
        "",
        "\u{00e9}\u{2019}",
        "STARTTLS",
        "try again later",
    ]);
    let line = (
        100u16..1000,
        prop_oneof![Just(b' '), Just(b'-')],
        proptest::collection::vec(phrase, 0..4),
        proptest::collection::vec(any::<u8>(), 0..12),
    )
        .prop_map(|(code, sep, phrases, noise)| {
            let mut line = code.to_string().into_bytes();
            line.push(sep);
            line.extend_from_slice(phrases.join(" ").as_bytes());
            line.extend(noise.into_iter().filter(|b| *b != b'\n' && *b != b'\r'));
            line
        });
    proptest::collection::vec(line, 1..5).prop_map(|lines| {
        let mut out = Vec::new();
        let count = lines.len();
        for (index, mut line) in lines.into_iter().enumerate() {
            if index + 1 == count && line.len() > 3 {
                line[3] = b' ';
            } else if line.len() > 3 {
                line[3] = b'-';
            }
            out.extend_from_slice(&line);
            out.extend_from_slice(b"\r\n");
        }
        out
    })
}

fn check_json(json: &str) {
    let value: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    let class = value["class"].as_str().expect("class is a string");
    assert!(class.parse::<DiagnosisClass>().is_ok());
}

proptest! {
    #[test]
    fn any_reply_gets_one_diagnosis(stage in stage(), bytes in reply_bytes()) {
        let mut decoder = ReplyDecoder::new(ReplyLimits::default());
        if let Ok(Decoded::Complete { value, .. }) = decoder.decode(&bytes) {
            let d = diagnose(stage, &value);
            prop_assert!(DiagnosisClass::ALL.contains(&d.class()));
            prop_assert_eq!(d.code(), Some(value.code()));
            check_json(&d.to_json());
            let _ = d.to_string();
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(stage in stage(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut decoder = ReplyDecoder::new(ReplyLimits::default());
        if let Ok(Decoded::Complete { value, .. }) = decoder.decode(&bytes) {
            let d = diagnose(stage, &value);
            check_json(&d.to_json());
        }
    }

    #[test]
    fn diagnose_text_accepts_any_string(stage in stage(), text in any::<String>()) {
        let d = diagnose_text(stage, &text);
        prop_assert!(DiagnosisClass::ALL.contains(&d.class()));
        check_json(&d.to_json());
        let _ = d.to_string();
    }

    #[test]
    fn diagnose_text_accepts_reply_like_strings(stage in stage(), text in "(\\(5[0-9]{2}, b'|[245][0-9]{2}[ -]|[245]\\.[0-9]\\.[0-9]{1,3} |Diagnostic-Code: smtp; )?[ -~\\n\\r\\\\]{0,120}\\)?") {
        let d = diagnose_text(stage, &text);
        check_json(&d.to_json());
    }
}
