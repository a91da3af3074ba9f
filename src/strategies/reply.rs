//! Replies: valid ones, and the wire bytes of sloppy ones with the anomalies they carry.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::reply::{Anomaly, EnhancedCode, Reply, ReplyCode};

/// A standard reply code: first digit 2 to 5, second 0 to 5 (RFC 5321 s4.2).
pub fn reply_code() -> impl Strategy<Value = ReplyCode> {
    (2u16..=5, 0u16..=5, 0u16..=9).prop_filter_map("a standard code", |(x, y, z)| {
        ReplyCode::new(x * 100 + y * 10 + z)
    })
}

/// An enhanced status code of `class` (RFC 3463 s2: subject and detail up to three digits),
/// mostly from the registered ranges (subject 0 to 7).
pub fn enhanced_code(class: u8) -> impl Strategy<Value = EnhancedCode> {
    prop_oneof![
        4 => (0u16..=7, 0u16..=30),
        1 => (0u16..=999, 0u16..=999),
    ]
    .prop_filter_map("a valid enhanced code", move |(subject, detail)| {
        EnhancedCode::new(class, subject, detail)
    })
}

/// Reply text: printable ASCII and tabs, sometimes empty (RFC 5321 s4.2 `textstring`).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[ -~\t]{1,60}",
        1 => "[a-zA-Z]{1,10}",
        1 => Just(String::new()),
    ]
}

/// A valid reply, single or multi-line, with or without an enhanced code (of the same class
/// as the reply code, on every line, RFC 2034 s4), built with [`Reply::new`].
pub fn reply() -> impl Strategy<Value = Reply> {
    (reply_code(), any::<bool>(), vec(text(), 1..6))
        .prop_flat_map(|(code, with_enhanced, lines)| {
            let class = (code.value() / 100) as u8;
            let enhanced = if with_enhanced && class != 3 {
                option::of(enhanced_code(class)).boxed()
            } else {
                Just(None).boxed()
            };
            (Just(code), enhanced, Just(lines))
        })
        .prop_filter_map("a writable reply", |(code, enhanced, lines)| {
            Reply::new(code, enhanced, lines).ok()
        })
}

/// The wire bytes of a reply with the deviations real servers are seen to produce, and what
/// a parser should make of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloppyReply {
    /// The reply as it arrives, CRLF or LF ended.
    pub bytes: Vec<u8>,
    /// The code that counts (the last line's).
    pub code: ReplyCode,
    /// How many lines it has.
    pub lines: usize,
    /// The deviations put in; a strict parser refuses them, the crate's records each one as
    /// an [`Anomaly`] on the parsed [`Reply`].
    pub anomalies: Vec<Anomaly>,
}

/// One line's text and the deviations it may carry.
#[derive(Debug, Clone)]
struct SloppyLine {
    text: String,
    bare_lf: bool,
    other_code: bool,
    non_utf8: bool,
    long: bool,
}

fn sloppy_line() -> impl Strategy<Value = SloppyLine> {
    (
        "[ -~]{1,40}",
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(text, bare_lf, other_code, non_utf8, long)| SloppyLine {
            text,
            bare_lf,
            other_code,
            non_utf8,
            long,
        })
}

/// Replies with the anomalies of real servers: bare LF line ends (old qmail, scripts),
/// lines of one reply with different codes, text that is not UTF-8 (GBK, Latin-1), lines
/// over 512 octets, a last line with only its code (`250<CRLF>`), an enhanced code whose
/// class disagrees with the reply code, and codes outside the standard range (`600`).
/// About a third come out clean (no anomaly).
pub fn sloppy_reply() -> impl Strategy<Value = SloppyReply> {
    (
        reply_code(),
        vec(sloppy_line(), 1..5),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(code, lines, bare_code, class_mismatch, non_standard)| {
            sloppy(code, &lines, bare_code, class_mismatch, non_standard)
        })
}

fn sloppy(
    code: ReplyCode,
    lines: &[SloppyLine],
    bare_code: bool,
    class_mismatch: bool,
    non_standard: bool,
) -> SloppyReply {
    let mut anomalies = Vec::new();
    let mut note = |anomaly: Anomaly| {
        if !anomalies.contains(&anomaly) {
            anomalies.push(anomaly);
        }
    };
    let last_code = if non_standard {
        note(Anomaly::NonStandardCode);
        600 + code.value() % 100
    } else {
        code.value()
    };
    let class = last_code / 100;
    let mut bytes = Vec::new();
    let count = lines.len();
    for (index, line) in lines.iter().enumerate() {
        let last = index + 1 == count;
        let mut line_code = last_code;
        if line.other_code && !last && !non_standard {
            // Same class, other detail: what servers that glue replies together send.
            line_code = class * 100 + (last_code % 100 + 1) % 60;
            if line_code != last_code {
                note(Anomaly::InconsistentCodes);
            }
        }
        bytes.extend_from_slice(line_code.to_string().as_bytes());
        if last && bare_code {
            note(Anomaly::BareCode);
            if class_mismatch && count > 1 && (2..=5).contains(&class) && class != 3 {
                // The earlier lines carry a code, this one cannot (RFC 2034 s4).
                note(Anomaly::InconsistentEnhancedCodes);
            }
        } else {
            bytes.push(if last { b' ' } else { b'-' });
            if class_mismatch && (2..=5).contains(&class) && class != 3 {
                let other = if class == 2 { 5 } else { 2 };
                bytes.extend_from_slice(format!("{other}.0.0 ").as_bytes());
                note(Anomaly::EnhancedClassMismatch);
            }
            bytes.extend_from_slice(line.text.as_bytes());
            if line.non_utf8 {
                // "错误" in GBK.
                bytes.extend_from_slice(&[0xb4, 0xed, 0xce, 0xf3]);
                note(Anomaly::NonUtf8Text);
            }
            if line.long {
                bytes.extend(std::iter::repeat_n(b'x', 520));
                note(Anomaly::LongLine);
            }
        }
        if line.bare_lf {
            bytes.push(b'\n');
            note(Anomaly::BareLineFeed);
        } else {
            bytes.extend_from_slice(b"\r\n");
        }
    }
    SloppyReply {
        bytes,
        code: ReplyCode::new(last_code).unwrap_or(code),
        lines: count,
        anomalies,
    }
}
