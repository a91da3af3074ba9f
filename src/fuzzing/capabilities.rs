use crate::capabilities::{Capabilities, Keyword};
use crate::reply::{Decoded, Reply, ReplyLimits, parse_reply};

/// Reads `data` as the lines of an EHLO reply (any bytes, `250-` prefixes added where a line
/// lacks a code) and checks the capabilities parser: no panic, bounded output, and the same
/// result whether a known keyword is written in upper or lower case.
pub fn capabilities(data: &[u8]) {
    let mut wire = Vec::with_capacity(data.len() + 64);
    let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').take(64).collect();
    for (i, line) in lines.iter().enumerate() {
        let line: Vec<u8> = line.iter().copied().filter(|b| *b != b'\r').collect();
        wire.extend_from_slice(if i + 1 == lines.len() {
            b"250 "
        } else {
            b"250-"
        });
        wire.extend_from_slice(&line);
        wire.extend_from_slice(b"\r\n");
    }
    let Ok(Decoded::Complete { value: reply, .. }) = parse_reply(&wire, &ReplyLimits::default())
    else {
        return;
    };
    let caps = Capabilities::from_reply(&reply);
    assert!(caps.unknown().len() <= 64);
    let _ = format!("{caps:?}");
    let _ = caps.auth_mechanisms().count();
    // Keyword case never matters (RFC 5321 s2.4).
    if let Some(lowered) = lowercase(&reply) {
        let lower_caps = Capabilities::from_reply(&lowered);
        for keyword in Keyword::ALL {
            assert_eq!(caps.has(keyword), lower_caps.has(keyword), "{keyword:?}");
        }
        assert_eq!(caps.size(), lower_caps.size());
        assert_eq!(
            caps.auth_mechanisms().collect::<Vec<_>>(),
            lower_caps.auth_mechanisms().collect::<Vec<_>>()
        );
    }
}

fn lowercase(reply: &Reply) -> Option<Reply> {
    let lowered = reply.as_bytes().to_ascii_lowercase();
    match parse_reply(&lowered, &ReplyLimits::default()) {
        Ok(Decoded::Complete { value, .. }) => Some(value),
        _ => None,
    }
}
