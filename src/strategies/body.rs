//! Message bodies that stress dot-stuffing and line ends.

use proptest::collection::vec;
use proptest::prelude::*;

/// One piece of a body.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => "[ -~]{0,30}".prop_map(String::into_bytes),
        // Line ends of every kind (RFC 5321 s2.3.8 wants CRLF; mail arrives with all).
        3 => Just(b"\r\n".to_vec()),
        2 => Just(b"\n".to_vec()),
        1 => Just(b"\r".to_vec()),
        // Leading dots and would-be end-of-data lines (RFC 5321 s4.5.2), and the
        // "SMTP smuggling" variants with bare CR or LF around the dot.
        2 => Just(b".".to_vec()),
        1 => Just(b"\r\n.\r\n".to_vec()),
        1 => Just(b"\n.\n".to_vec()),
        1 => Just(b"\r\n.\n".to_vec()),
        1 => Just(b"\n.\r\n".to_vec()),
        1 => Just(b"\r.\r".to_vec()),
        1 => Just(b"..".to_vec()),
        // 8-bit text and the odd control octet.
        1 => "[é中 ]{1,8}".prop_map(String::into_bytes),
        1 => vec(any::<u8>(), 1..8),
        // A line past the 998-octet limit of RFC 5322 s2.1.1.
        1 => (999usize..1100).prop_map(|n| vec![b'x'; n]),
    ]
}

/// A message body: text, every kind of line end, dot lines, would-be end-of-data sequences,
/// 8-bit octets and over-long lines, in any order, up to a few kilobytes. What a DATA
/// encoder must send without ending the data early and a decoder must give back.
pub fn message_body() -> impl Strategy<Value = Vec<u8>> {
    vec(piece(), 0..40).prop_map(|pieces| pieces.concat())
}

/// A whole message: a few header fields, a blank line and a [`message_body`].
pub fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        "[A-Z][a-z]{1,8}(-[A-Z][a-z]{1,6})?",
        "[ -~]{0,40}",
        message_body(),
    )
        .prop_map(|(field, value, body)| {
            let mut message =
                format!("From: <a@example.test>\r\n{field}: {value}\r\n\r\n").into_bytes();
            message.extend_from_slice(&body);
            message
        })
}

/// A whole message that `policy`'s server can take: 8-bit octets only when it offers
/// 8BITMIME, UTF-8 headers only with SMTPUTF8, and no larger than its SIZE limit (RFC 1870),
/// so that generated messages reach the wire instead of being refused before sending.
pub fn message_for(policy: &crate::testing::Policy) -> impl Strategy<Value = Vec<u8>> + use<> {
    let eight_bit = policy.offers("8BITMIME");
    let limit = policy.size_limit.map_or(usize::MAX, |limit| {
        usize::try_from(limit / 2).unwrap_or(usize::MAX)
    });
    message().prop_map(move |mut message| {
        if !eight_bit {
            // Fold every octet into 7 bits, keeping the line structure intact.
            for byte in &mut message {
                if *byte >= 0x80 {
                    *byte = b'x';
                }
            }
        }
        message.truncate(limit.max(16));
        message
    })
}
