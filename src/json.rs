//! A small JSON writer, because the library has no serde.
//!
//! It writes one value into a `String` and inserts the commas itself, so callers only say
//! what comes next. Strings are escaped per RFC 8259 s7: `"` and `\`, every control character
//! (U+0000-U+001F, as `\n`, `\t`... or `\u00XX`), and also U+007F, U+2028 and U+2029 so the
//! output is safe to embed in JavaScript. Byte strings that are not UTF-8 are written with
//! U+FFFD in place of each invalid sequence.

use std::fmt::Write as _;

/// Builds one JSON value. Misuse (a key outside an object, unbalanced ends) is a bug in the
/// caller, caught by the tests of each writer, not by this type.
#[derive(Debug, Default)]
pub(crate) struct JsonWriter {
    out: String,
    /// One entry per open object or array: whether it has no member yet.
    empty: Vec<bool>,
    /// Set after a key, so the value that follows takes no comma.
    after_key: bool,
}

impl JsonWriter {
    /// An empty writer.
    pub(crate) fn new() -> Self {
        JsonWriter::default()
    }

    /// The JSON written so far.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(empty) = self.empty.last_mut() {
            if !*empty {
                self.out.push(',');
            }
            *empty = false;
        }
    }

    /// Opens an object (`{`).
    pub(crate) fn begin_object(&mut self) -> &mut Self {
        self.separate();
        self.out.push('{');
        self.empty.push(true);
        self
    }

    /// Closes the innermost object (`}`).
    pub(crate) fn end_object(&mut self) -> &mut Self {
        self.empty.pop();
        self.out.push('}');
        self
    }

    /// Opens an array (`[`).
    pub(crate) fn begin_array(&mut self) -> &mut Self {
        self.separate();
        self.out.push('[');
        self.empty.push(true);
        self
    }

    /// Closes the innermost array (`]`).
    pub(crate) fn end_array(&mut self) -> &mut Self {
        self.empty.pop();
        self.out.push(']');
        self
    }

    /// Writes an object member's key; the next call writes its value.
    pub(crate) fn key(&mut self, key: &str) -> &mut Self {
        self.separate();
        write_escaped(&mut self.out, key);
        self.out.push(':');
        self.after_key = true;
        self
    }

    /// Writes a string value.
    pub(crate) fn string(&mut self, value: &str) -> &mut Self {
        self.separate();
        write_escaped(&mut self.out, value);
        self
    }

    /// Writes octets as a string value, replacing invalid UTF-8 with U+FFFD.
    pub(crate) fn bytes_lossy(&mut self, value: &[u8]) -> &mut Self {
        self.string(&String::from_utf8_lossy(value))
    }

    /// Writes an unsigned number.
    pub(crate) fn number(&mut self, value: u64) -> &mut Self {
        self.separate();
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{value}");
        self
    }

    /// Writes `true` or `false`.
    pub(crate) fn boolean(&mut self, value: bool) -> &mut Self {
        self.separate();
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    /// Writes `null`.
    pub(crate) fn null(&mut self) -> &mut Self {
        self.separate();
        self.out.push_str("null");
        self
    }

    /// Writes `value` as a string, or `null` when there is none.
    pub(crate) fn optional_string(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(value),
            None => self.null(),
        }
    }

    /// Writes an array of strings.
    pub(crate) fn string_array<'a, I>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = &'a str>,
    {
        self.begin_array();
        for value in values {
            self.string(value);
        }
        self.end_array()
    }
}

fn write_escaped(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\u{00}'..='\u{1F}' | '\u{7F}' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_get_their_commas() {
        let mut json = JsonWriter::new();
        json.begin_object()
            .key("a")
            .number(1)
            .key("b")
            .string_array(["x", "y"])
            .key("c")
            .begin_object()
            .key("d")
            .boolean(true)
            .key("e")
            .null()
            .end_object()
            .key("f")
            .begin_array()
            .end_array()
            .end_object();
        assert_eq!(
            json.finish(),
            r#"{"a":1,"b":["x","y"],"c":{"d":true,"e":null},"f":[]}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut json = JsonWriter::new();
        json.string("q\"b\\n\nr\rt\tnul\0bel\u{7}del\u{7f}ls\u{2028}é’");
        let text = json.finish();
        assert_eq!(
            text,
            "\"q\\\"b\\\\n\\nr\\rt\\tnul\\u0000bel\\u0007del\\u007fls\\u2028é’\""
        );
        let parsed: String = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, "q\"b\\n\nr\rt\tnul\0bel\u{7}del\u{7f}ls\u{2028}é’");
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let mut json = JsonWriter::new();
        json.bytes_lossy(b"535 \xC7\xEB ok");
        let parsed: String = serde_json::from_str(&json.finish()).unwrap();
        assert_eq!(parsed, "535 \u{FFFD}\u{FFFD} ok");
    }
}
