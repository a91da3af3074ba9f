//! Text from a server or a user, made safe to print on a terminal.
//!
//! A server controls the text of its replies, and a terminal obeys control sequences: an ESC
//! in a reply can set the window title, clear the screen or paint a fake `PASS`, and a bare CR
//! sends the cursor back to overwrite what was printed before it. Every human-readable output
//! of this crate (`Display` of [`Reply`](crate::Reply) and [`Diagnosis`](crate::Diagnosis), the
//! check's [`Report`](crate::Report) texts) passes such text through this module; the JSON
//! outputs have their own escaping. Programs that print server or user text themselves should
//! do the same:
//!
//! ```
//! use smtp_sansio::escape;
//!
//! let text = b"550 5.1.1 \x1b]0;pwned\x07\x1b[2J\r  PASS \xff";
//! assert_eq!(
//!     escape::terminal_line(text).to_string(),
//!     r"550 5.1.1 \x1b]0;pwned\x07\x1b[2J\r  PASS \xff"
//! );
//! ```
//!
//! What is escaped, and how:
//!
//! | Input | Shown as |
//! |---|---|
//! | CR | `\r` (always: a bare CR moves the cursor back over printed text) |
//! | LF | a line break in [`terminal`]; `\n` in [`terminal_line`] (one-line contexts: a step line, a transcript line) |
//! | CRLF | a line break in [`terminal`]; `\r\n` in [`terminal_line`] |
//! | tab | kept: it only moves the cursor right, it cannot overwrite or hide text |
//! | other C0 controls (NUL, BEL, ESC...) and DEL | `\xNN`, e.g. `\x1b` |
//! | C1 controls U+0080 to U+009F (some terminals read U+009B as CSI) | `\u{9b}` |
//! | Unicode direction controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) and line / paragraph separators (U+2028, U+2029), which reorder or break what is shown | `\u{202e}` |
//! | an octet that is not part of valid UTF-8 | `\xNN`, its value: a visible marker instead of a silent U+FFFD |
//! | everything else, backslash included | itself |
//!
//! Backslash is not escaped: the output is for reading, not for parsing back, and it makes
//! escaping idempotent (escaped text escapes to itself), so text that was escaped once, e.g.
//! in a diagnosis's detail, is not mangled when printed through a second layer.

use std::fmt;

/// `text` for a terminal, line breaks kept: see the module documentation.
pub fn terminal<T: AsRef<[u8]> + ?Sized>(text: &T) -> Terminal<'_> {
    Terminal {
        bytes: text.as_ref(),
        keep_line_breaks: true,
    }
}

/// `text` for one line of a terminal (line breaks escaped too): see the module documentation.
pub fn terminal_line<T: AsRef<[u8]> + ?Sized>(text: &T) -> Terminal<'_> {
    Terminal {
        bytes: text.as_ref(),
        keep_line_breaks: false,
    }
}

/// Text that prints safely on a terminal; made by [`terminal`] and [`terminal_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal<'a> {
    bytes: &'a [u8],
    keep_line_breaks: bool,
}

impl fmt::Display for Terminal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.bytes.utf8_chunks() {
            let valid = chunk.valid();
            let mut chars = valid.char_indices().peekable();
            let mut run_start = 0;
            while let Some((at, c)) = chars.next() {
                let escaped: Option<Escaped> = match c {
                    '\t' => None,
                    '\n' if self.keep_line_breaks => None,
                    '\r' if self.keep_line_breaks
                        && chars.peek().is_some_and(|&(_, next)| next == '\n') =>
                    {
                        // CRLF: the LF that follows is the line break.
                        f.write_str(&valid[run_start..at])?;
                        run_start = at + 1;
                        continue;
                    }
                    '\r' => Some(Escaped::Text("\\r")),
                    '\n' => Some(Escaped::Text("\\n")),
                    '\0'..='\x1f' | '\x7f' => Some(Escaped::Octet(c as u8)),
                    '\u{80}'..='\u{9f}'
                    | '\u{61c}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{2028}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}' => Some(Escaped::Char(c)),
                    _ => None,
                };
                if let Some(escaped) = escaped {
                    f.write_str(&valid[run_start..at])?;
                    match escaped {
                        Escaped::Text(text) => f.write_str(text)?,
                        Escaped::Octet(octet) => write!(f, "\\x{octet:02x}")?,
                        Escaped::Char(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                    }
                    run_start = at + c.len_utf8();
                }
            }
            f.write_str(&valid[run_start..])?;
            for octet in chunk.invalid() {
                write!(f, "\\x{octet:02x}")?;
            }
        }
        Ok(())
    }
}

enum Escaped {
    Text(&'static str),
    Octet(u8),
    Char(char),
}

/// Whether `text` holds nothing a terminal would act on: what the crate's human-readable
/// outputs promise (tab and, outside one-line contexts, LF are allowed).
#[cfg(test)]
pub(crate) fn is_inert(text: &str, line_breaks: bool) -> bool {
    text.chars().all(|c| match c {
        '\t' => true,
        '\n' => line_breaks,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' => false,
        '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            false
        }
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The two attack strings of issue 11: a title/clear/paint sequence, and a CR that redraws
    /// a failed step as passed.
    const TITLE_ATTACK: &[u8] = b"550 5.1.1 \x1b]0;pwned-title\x07\x1b[2J\x1b[31mfake PASS";
    const REDRAW_ATTACK: &[u8] = b"550 5.1.1 no\r  PASS  rcpt <b@fake.test> 250 2.1.5 ok\x1b[K";

    #[test]
    fn the_attack_strings_come_out_inert_and_readable() {
        assert_eq!(
            terminal_line(TITLE_ATTACK).to_string(),
            r"550 5.1.1 \x1b]0;pwned-title\x07\x1b[2J\x1b[31mfake PASS"
        );
        assert_eq!(
            terminal_line(REDRAW_ATTACK).to_string(),
            r"550 5.1.1 no\r  PASS  rcpt <b@fake.test> 250 2.1.5 ok\x1b[K"
        );
        for attack in [TITLE_ATTACK, REDRAW_ATTACK] {
            assert!(is_inert(&terminal(attack).to_string(), true));
        }
    }

    #[test]
    fn line_breaks_depend_on_the_context() {
        assert_eq!(terminal("a\r\nb\nc\rd").to_string(), "a\nb\nc\\rd");
        assert_eq!(terminal_line("a\r\nb\nc\rd").to_string(), r"a\r\nb\nc\rd");
        assert_eq!(terminal("a\tb").to_string(), "a\tb");
        assert_eq!(terminal("end\r").to_string(), "end\\r");
    }

    #[test]
    fn invalid_utf8_c1_and_direction_controls_are_marked() {
        assert_eq!(terminal(b"ok \xff\xfe!").to_string(), r"ok \xff\xfe!");
        // A truncated sequence: each octet of it marked.
        assert_eq!(terminal(b"\xe4\xb8").to_string(), r"\xe4\xb8");
        assert_eq!(terminal("\u{9b}31m").to_string(), r"\u{9b}31m");
        assert_eq!(terminal("abc\u{202e}fed").to_string(), r"abc\u{202e}fed");
        assert_eq!(terminal("\x7f\0").to_string(), r"\x7f\x00");
        assert_eq!(
            terminal("Grüße 中文 é \\x1b").to_string(),
            "Grüße 中文 é \\x1b"
        );
    }

    proptest! {
        #[test]
        fn any_bytes_come_out_inert(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let multi = terminal(&bytes).to_string();
            let line = terminal_line(&bytes).to_string();
            prop_assert!(is_inert(&multi, true), "{multi:?}");
            prop_assert!(is_inert(&line, false), "{line:?}");
            // Idempotent: escaped text escapes to itself.
            prop_assert_eq!(terminal(&multi).to_string(), multi.clone());
            prop_assert_eq!(terminal_line(&line).to_string(), line.clone());
            // Nothing is lost: printable ASCII passes through in order.
            let kept: Vec<u8> = bytes.iter().copied().filter(|b| b.is_ascii_graphic() && *b != b'\\').collect();
            let shown: Vec<u8> = line.bytes().filter(|b| b.is_ascii_graphic() && *b != b'\\').collect();
            prop_assert!(is_subsequence(&kept, &shown));
        }
    }

    fn is_subsequence(needle: &[u8], hay: &[u8]) -> bool {
        let mut hay = hay.iter();
        needle.iter().all(|n| hay.any(|h| h == n))
    }
}
