//! The `tag=value; ...` list shared by DKIM key records (RFC 6376 s3.2) and DMARC records
//! (RFC 7489 s6.3, which borrows it), and the `key=value` fields of MTA-STS and TLS-RPT TXT
//! records (RFC 8461 s3.1, RFC 8460 s3), which differ only in details handled by callers.

/// One `tag=value` with the value's byte offset in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a str,
    pub(crate) offset: usize,
}

/// What is wrong with a tag list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagFault {
    /// A part without `=`.
    MissingEquals,
    /// A name that is not `ALPHA *(ALPHA / DIGIT / "_")`.
    InvalidName,
    /// A value with a character outside `VALCHAR` (`%x21-3A / %x3C-7E`) and white space.
    InvalidValue,
    /// The same tag twice (RFC 6376 s3.2: the whole list is then invalid).
    Duplicate,
}

/// `tag-list = tag-spec *( ";" tag-spec ) [ ";" ]` (RFC 6376 s3.2): the tags in order, or the
/// fault with the offending part and its offset.
pub(crate) fn parse_tags(text: &str) -> Result<Vec<Tag<'_>>, (TagFault, String, usize)> {
    let mut tags: Vec<Tag<'_>> = Vec::with_capacity(8);
    let mut offset = 0;
    let mut parts = text.split(';').peekable();
    while let Some(part) = parts.next() {
        let start = offset;
        offset += part.len() + 1;
        if part.trim_matches(is_fws).is_empty() {
            // Only the optional trailing ";" may leave an empty part.
            if parts.peek().is_none() {
                continue;
            }
            return Err((TagFault::MissingEquals, part.to_owned(), start));
        }
        let Some(eq) = part.find('=') else {
            return Err((TagFault::MissingEquals, part.trim().to_owned(), start));
        };
        let name = part[..eq].trim_matches(is_fws);
        let valid_name = name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid_name {
            return Err((TagFault::InvalidName, part.trim().to_owned(), start));
        }
        let raw = &part[eq + 1..];
        let lead = raw.len() - raw.trim_start_matches(is_fws).len();
        let value = raw.trim_matches(is_fws);
        if !value
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b';' || is_fws(char::from(b)))
        {
            return Err((TagFault::InvalidValue, part.trim().to_owned(), start));
        }
        if tags.iter().any(|t| t.name == name) {
            return Err((TagFault::Duplicate, part.trim().to_owned(), start));
        }
        tags.push(Tag {
            name,
            value,
            offset: start + eq + 1 + lead,
        });
    }
    Ok(tags)
}

/// Folding white space as it survives in a TXT record: space, tab, CR, LF.
pub(crate) fn is_fws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The text of a TXT answer's records, joined per record (RFC 7208 s3.3), lossy for non-UTF-8.
pub(crate) fn txt_texts(answer: &crate::records::Answer) -> Vec<String> {
    answer
        .rdata()
        .iter()
        .filter_map(crate::records::Rdata::txt_joined)
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists() {
        let tags = parse_tags("v=DKIM1; k=rsa;\r\n p=AB CD ;").unwrap();
        assert_eq!(
            tags.iter().map(|t| (t.name, t.value)).collect::<Vec<_>>(),
            [("v", "DKIM1"), ("k", "rsa"), ("p", "AB CD")]
        );
        assert_eq!(
            &"v=DKIM1; k=rsa;\r\n p=AB CD ;"[tags[2].offset..][..5],
            "AB CD"
        );
        assert_eq!(
            parse_tags("a=1;;b=2").unwrap_err().0,
            TagFault::MissingEquals
        );
        assert_eq!(parse_tags("a=1; a=2").unwrap_err().0, TagFault::Duplicate);
        assert_eq!(parse_tags("1a=1").unwrap_err().0, TagFault::InvalidName);
        assert_eq!(
            parse_tags("a=\u{7f}").unwrap_err().0,
            TagFault::InvalidValue
        );
        assert_eq!(
            parse_tags("novalue").unwrap_err().0,
            TagFault::MissingEquals
        );
        assert!(parse_tags("a=").unwrap()[0].value.is_empty());
    }
}
