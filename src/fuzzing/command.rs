use crate::command::{
    Command, CommandLimits, CommandParseError, parse_auth_response, parse_command,
};
use crate::reply::Decoded;

type Parser = fn(&[u8], &CommandLimits) -> Result<Decoded<Command>, CommandParseError>;

/// Reads `data` as a stream of pipelined command lines, and again as SASL lines, and checks
/// that every command that parses writes back, that the written line is canonical (it parses
/// to the same command and writes to itself), that nothing exceeds the limits, and that the
/// transcript form is one line.
pub fn command(data: &[u8]) {
    let limits = CommandLimits::default()
        .with_max_line_length(1024)
        .with_max_sasl_line_length(1024);
    for parser in [parse_command as Parser, parse_auth_response] {
        let mut rest = data;
        while let Ok(Decoded::Complete { value, consumed }) = parser(rest, &limits) {
            assert!(consumed > 0 && consumed <= rest.len() && consumed <= 1024);
            assert!(rest[..consumed].ends_with(b"\r\n"));
            let mut written = Vec::new();
            if let Err(err) = value.write_to(&mut written) {
                panic!("{value:?} parsed but does not write back: {err}");
            }
            match parser(&written, &CommandLimits::default()) {
                Ok(Decoded::Complete {
                    value: reparsed,
                    consumed,
                }) => {
                    assert_eq!(consumed, written.len());
                    assert_eq!(reparsed, value, "the written line reads as another command");
                }
                other => panic!("{written:?} (from {value:?}) does not re-parse: {other:?}"),
            }
            let mut again = Vec::new();
            value.write_to(&mut again).unwrap_or_default();
            assert_eq!(again, written, "writing is deterministic");
            let shown = value.to_string();
            assert!(!shown.contains(['\r', '\n']));
            let _ = value.needs_smtputf8();
            rest = &rest[consumed..];
        }
    }
}
