use crate::reply::{Decoded, ReplyDecoder, ReplyLimits, parse_reply};

/// Feeds `data` to the reply decoder whole and in two-byte steps, and checks that both ways
/// give the same replies, that every reply re-parses from its own bytes to itself, and that
/// nothing exceeds the limits.
pub fn reply(data: &[u8]) {
    let limits = ReplyLimits::default()
        .with_max_line_length(128)
        .with_max_lines(16)
        .with_max_reply_length(1024);
    let whole = decode_all(data, limits, data.len().max(1));
    let stepped = decode_all(data, limits, 2);
    assert_eq!(whole, stepped, "splitting the input changed the replies");
    for reply in whole.iter().flatten() {
        assert!(reply.as_bytes().len() <= limits.max_reply_length);
        assert!(reply.line_count() <= limits.max_lines);
        match parse_reply(reply.as_bytes(), &limits) {
            Ok(Decoded::Complete { value, consumed }) => {
                assert_eq!(consumed, reply.as_bytes().len());
                assert_eq!(&value, reply);
            }
            other => panic!("a decoded reply does not re-parse: {other:?}"),
        }
        let _ = reply.text_lossy();
        let _ = reply.to_string();
    }
}

/// Decodes replies from `data` arriving `step` bytes at a time; the last entry is the error
/// that ended decoding, if any (as `None`).
fn decode_all(data: &[u8], limits: ReplyLimits, step: usize) -> Vec<Option<crate::Reply>> {
    let mut decoder = ReplyDecoder::new(limits);
    let mut buffer = Vec::new();
    let mut out = Vec::new();
    for chunk in data.chunks(step) {
        buffer.extend_from_slice(chunk);
        loop {
            match decoder.decode(&buffer) {
                Ok(Decoded::Complete { value, consumed }) => {
                    out.push(Some(value));
                    buffer.drain(..consumed);
                }
                Ok(Decoded::Incomplete) => {
                    assert!(buffer.len() < limits.max_reply_length + limits.max_line_length);
                    break;
                }
                Err(_) => {
                    out.push(None);
                    return out;
                }
            }
        }
    }
    out
}
