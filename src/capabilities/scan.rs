//! The EHLO reply scanner: [`Capabilities::from_reply`] and the readers it is built from.
//!
//! Each keyword line is read a word at a time: the first word is measured and packed,
//! upper-cased, into an integer ([`scan_word`]), then looked up in a small perfect-hash
//! table of the known keywords ([`known_keyword`]), so the usual reply is read without
//! allocating and without comparing strings. Lines the fast path does not recognise go to
//! [`Capabilities::read_other_line`], which tolerates what real servers send and flags it.

use super::{
    Capabilities, CapabilityAnomaly, Extension, FirstLine, FutureRelease, Keyword,
    MAX_OTHER_MECHANISMS, MAX_PARAMS, MAX_UNKNOWN, NameKind,
};
use crate::auth::Mechanism;
use crate::octets::{
    find_blank, first_below_bang, halves, keep_octets, load_block, pack, pack_upper_block,
    upper_ascii,
};
use crate::reply::{Anomaly, Reply};

/// ```text
/// ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")   ; RFC 5321 s4.1.1.1
/// ```
fn is_ehlo_keyword(word: &[u8]) -> bool {
    match word.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphanumeric()
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        None => false,
    }
}

/// What real servers use as keywords beyond the grammar: `_` as well (Exim `PIPE_CONNECT`).
fn is_lenient_keyword(word: &[u8]) -> bool {
    word.first().is_some_and(u8::is_ascii_alphanumeric)
        && word
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Measures the first word at `at` (up to a space, tab or NUL, or the end of the text) and
/// packs its first 16 octets, upper-cased, as [`pack`] does: one pass finds the keyword and
/// its lookup key.
///
/// Works on eight octets at a time, read from the reply's bytes past the end of the text
/// when they are there (the word length is then cut at the text's end): keywords and AUTH
/// mechanisms are looked up for every EHLO line, and a byte-by-byte loop costs more than the
/// rest of the line's handling.
#[inline(always)]
fn scan_word(at: Cursor<'_>) -> (usize, u128) {
    let (high, low) = match at.buf.split_first_chunk::<8>() {
        Some((high, rest)) if rest.len() >= 8 => (
            u64::from_be_bytes(*high),
            u64::from_be_bytes(*rest.first_chunk::<8>().unwrap_or(&[0; 8])),
        ),
        _ => load_block(at.buf),
    };
    let len = match first_below_bang(high) {
        Some(i) => i,
        None => match first_below_bang(low) {
            Some(i) => 8 + i,
            None => 16,
        },
    };
    if len >= at.len {
        // The word runs to the end of the text (the usual keyword-only line).
        return (at.len, pack_upper_block(high, low, at.len));
    }
    if len == 16 || !matches!(at.buf[len], b' ' | b'\t' | 0) {
        // A long word, or a control character inside the word.
        let len = long_word_len(at.text());
        return (len, pack_upper_block(high, low, len.min(16)));
    }
    (len, pack_upper_block(high, low, len))
}

/// The length of a word of more than 16 octets, or holding a control character.
#[cold]
fn long_word_len(text: &[u8]) -> usize {
    text.iter()
        .position(|b| matches!(b, b' ' | b'\t' | 0))
        .unwrap_or(text.len())
}

/// A position in a line's text: `buf` holds the reply's bytes from here to the end of the
/// reply, of which the first `len` are what is left of the text.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    buf: &'a [u8],
    len: usize,
}

impl<'a> Cursor<'a> {
    /// The text left.
    #[inline]
    fn text(&self) -> &'a [u8] {
        &self.buf[..self.len]
    }

    /// Moves past `n` octets of the text.
    #[inline]
    fn advance(&mut self, n: usize) {
        self.buf = &self.buf[n..];
        self.len -= n;
    }

    /// Moves past spaces and tabs.
    #[inline]
    fn skip_blanks(&mut self) {
        while self.len > 0 && matches!(self.buf[0], b' ' | b'\t') {
            self.advance(1);
        }
    }
}

/// The words of a line, split on runs of spaces and tabs: the text is `buf[pos..end]`, and
/// `buf` runs on to the end of the reply (so that words are read eight octets at a time).
#[derive(Clone)]
struct Words<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

/// A word of a line, with its first 16 octets as sent as two big-endian words, the octets
/// past the word cleared (upper-cased only when a lookup needs it: servers send upper case).
#[derive(Clone, Copy)]
struct Word<'a> {
    bytes: &'a [u8],
    high: u64,
    low: u64,
}

impl<'a> Word<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let (high, low) = load_block(&bytes[..bytes.len().min(16)]);
        Word { bytes, high, low }
    }

    /// The first 16 octets upper-cased, as [`upper_halves`] reads them.
    fn upper(&self) -> (u64, u64) {
        (upper_ascii(self.high), upper_ascii(self.low))
    }

    /// The first 16 octets upper-cased, as [`pack`] packs the upper-cased word.
    fn packed(&self) -> u128 {
        let (high, low) = self.upper();
        (u128::from(high) << 64) | u128::from(low)
    }
}

impl<'a> Words<'a> {
    /// The words of the text at `at`.
    fn new(at: Cursor<'a>) -> Self {
        Words {
            buf: at.buf,
            pos: 0,
            end: at.len,
        }
    }

    /// Skips spaces and tabs: the start of the next word, or `None` (and the cursor at the
    /// end) when the text ends first.
    #[inline(always)]
    fn skip_blanks(&mut self) -> Option<usize> {
        let mut pos = self.pos;
        while pos < self.end && matches!(self.buf[pos], b' ' | b'\t') {
            pos += 1;
        }
        if pos >= self.end {
            self.pos = pos;
            return None;
        }
        Some(pos)
    }

    /// The next word, measured and upper-cased eight octets at a time.
    #[inline(always)]
    fn next_word(&mut self) -> Option<Word<'a>> {
        let pos = self.skip_blanks()?;
        let rest = &self.buf[pos..];
        let (high, low) = match rest.first_chunk::<16>() {
            Some(block) => halves(block),
            None => load_block(rest),
        };
        let (len, high, low) = match first_below_bang(high) {
            Some(n) => (n, high & keep_octets(n), 0),
            None => match first_below_bang(low) {
                Some(n) => (8 + n, high, low & keep_octets(n)),
                None => return Some(self.long_word(pos)),
            },
        };
        // The word ends at a space or a tab, or with the text (the octet after the text is
        // CR or LF, below `!`); anything else below `!` or not ASCII is inside the word.
        let left = self.end - pos;
        if len == 0 || len > left || (len < left && !matches!(rest[len], b' ' | b'\t')) {
            return Some(self.long_word(pos));
        }
        // The octet after the word, when in the text, is the blank just checked: skip it.
        self.pos = pos + len + usize::from(len < left);
        Some(Word {
            bytes: &rest[..len],
            high,
            low,
        })
    }

    /// The next word read as [`parse_u64`] reads it, in one pass: `None` when there is no
    /// word, `Some(None)` when the word is not 1 to 19 digits.
    #[inline]
    fn next_number(&mut self) -> Option<Option<u64>> {
        let pos = self.skip_blanks()?;
        let mut value = 0u64;
        for (i, &b) in self.buf[pos..self.end].iter().enumerate() {
            match b {
                b'0'..=b'9' if i < 19 => value = value * 10 + u64::from(b - b'0'),
                b' ' | b'\t' => {
                    self.pos = pos + i;
                    return Some(Some(value));
                }
                _ => {
                    self.long_word(pos);
                    return Some(None);
                }
            }
        }
        self.pos = self.end;
        Some(Some(value))
    }

    /// [`Words::next_word`] for a word of 16 octets or more, or holding a control character
    /// or an octet that is not ASCII.
    #[cold]
    #[inline(never)]
    fn long_word(&mut self, pos: usize) -> Word<'a> {
        let text = &self.buf[pos..self.end];
        let len = find_blank(text).unwrap_or(text.len());
        self.pos = pos + len;
        Word::new(&text[..len])
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_word().map(|word| word.bytes)
    }
}

/// The parameters of one keyword line: an optional first one (from `AUTH=first`) and the
/// remaining words, read lazily so no line allocates.
#[derive(Clone)]
struct Params<'a> {
    first: Option<&'a [u8]>,
    rest: Words<'a>,
}

impl<'a> Params<'a> {
    /// The next parameter with its first 16 octets upper-cased.
    #[inline]
    fn next_word(&mut self) -> Option<Word<'a>> {
        match self.first.take() {
            Some(first) => Some(Word::new(first)),
            None => self.rest.next_word(),
        }
    }

    /// The next parameter with its first 16 octets packed, upper-cased.
    #[inline]
    fn next_packed(&mut self) -> Option<(&'a [u8], u128)> {
        self.next_word().map(|word| (word.bytes, word.packed()))
    }
}

impl<'a> Iterator for Params<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.first.take().or_else(|| self.rest.next())
    }
}

/// What the line loop keeps besides the capabilities, for the rare lines.
#[derive(Default)]
struct Rare<'a> {
    /// The words of `X-EXPS` lines, read once every line has been seen.
    x_exps: Option<Vec<&'a [u8]>>,
    /// Whether an `AUTH` line (not `AUTH=`) has been seen.
    saw_auth: bool,
}

/// The keywords whose parameters [`Capabilities::read_params`] reads.
const WITH_PARAMS: u64 = Keyword::Size.bit()
    | Keyword::Auth.bit()
    | Keyword::DeliverBy.bit()
    | Keyword::MtPriority.bit()
    | Keyword::FutureRelease.bit()
    | Keyword::Limits.bit();

/// One slot of [`KEYWORDS`]: a keyword's first 16 octets as two big-endian words and its
/// length (0 for an empty slot, which no word matches).
#[derive(Clone, Copy)]
struct Slot {
    high: u64,
    low: u64,
    len: u8,
    keyword: Keyword,
}

/// The multiplier of the perfect hash of [`KEYWORDS`] (found by search; the table's
/// construction fails to compile if two names share a slot).
const KEYWORD_HASH: u64 = 0x3dc8_2944_e4a8_9b21;

/// Where a word's first eight octets (upper-cased, cleared past the word) fall in
/// [`KEYWORDS`].
#[inline(always)]
const fn keyword_slot(high: u64) -> usize {
    (high.wrapping_mul(KEYWORD_HASH) >> 58) as usize
}

/// Every keyword of at most 16 octets (and the `SEND` synonyms `SOML` and `SAML`), by
/// [`keyword_slot`] of its first eight octets.
const KEYWORDS: [Slot; 64] = {
    const NAMES: [(&[u8], Keyword); 34] = [
        (b"SIZE", Keyword::Size),
        (b"PIPELINING", Keyword::Pipelining),
        (b"STARTTLS", Keyword::StartTls),
        (b"AUTH", Keyword::Auth),
        (b"8BITMIME", Keyword::EightBitMime),
        (b"SMTPUTF8", Keyword::SmtpUtf8),
        (b"CHUNKING", Keyword::Chunking),
        (b"BINARYMIME", Keyword::BinaryMime),
        (b"DSN", Keyword::Dsn),
        (b"REQUIRETLS", Keyword::RequireTls),
        (b"DELIVERBY", Keyword::DeliverBy),
        (b"MT-PRIORITY", Keyword::MtPriority),
        (b"FUTURERELEASE", Keyword::FutureRelease),
        (b"LIMITS", Keyword::Limits),
        (b"ETRN", Keyword::Etrn),
        (b"ATRN", Keyword::Atrn),
        (b"VRFY", Keyword::Vrfy),
        (b"EXPN", Keyword::Expn),
        (b"HELP", Keyword::Help),
        (b"BURL", Keyword::Burl),
        (b"CHECKPOINT", Keyword::Checkpoint),
        (b"CONNEG", Keyword::Conneg),
        (b"CONPERM", Keyword::Conperm),
        (b"MTRK", Keyword::Mtrk),
        (b"NO-SOLICITING", Keyword::NoSoliciting),
        (b"RRVS", Keyword::Rrvs),
        (b"TURN", Keyword::Turn),
        (b"SEND", Keyword::Send),
        (b"SOML", Keyword::Send),
        (b"SAML", Keyword::Send),
        (b"VERB", Keyword::Verb),
        (b"ONEX", Keyword::Onex),
        (b"UTF8SMTP", Keyword::Utf8Smtp),
        // Longer than 16 octets: its first 16 here, the rest checked by `known_keyword`.
        (b"ENHANCEDSTATUSCODES", Keyword::EnhancedStatusCodes),
    ];
    let mut table = [Slot {
        high: 0,
        low: 0,
        len: 0,
        keyword: Keyword::Size,
    }; 64];
    let mut i = 0;
    while i < NAMES.len() {
        let (name, keyword) = NAMES[i];
        let packed = pack(if name.len() > 16 {
            name.split_at(16).0
        } else {
            name
        });
        let high = (packed >> 64) as u64;
        let slot = keyword_slot(high);
        assert!(
            table[slot].len == 0,
            "two keywords share a slot: change KEYWORD_HASH"
        );
        table[slot] = Slot {
            high,
            low: packed as u64,
            len: name.len() as u8,
            keyword,
        };
        i += 1;
    }
    table
};

/// The hot path of [`Capabilities::from_reply`]: the known keyword a line's text starts
/// with, and its length, when the text is `KEYWORD` or `KEYWORD SP/HT ...` with an ASCII
/// keyword in any case; for `AUTH=first ...`, [`Keyword::Auth`] and the length of
/// `AUTH=first`. `None` sends the line to [`Capabilities::read_other_line`], which
/// handles everything (this is only a shortcut for the lines that need nothing else).
///
/// `buf` is the reply from the text's start on, of which `len` octets are text (the octet
/// after the text is CR or LF).
#[inline(always)]
fn known_keyword(buf: &[u8], len: usize) -> Option<(Keyword, usize)> {
    let (high, low) = match buf.first_chunk::<16>() {
        Some(block) => {
            let (high, low) = block.split_at(8);
            (
                u64::from_be_bytes(high.try_into().unwrap_or_default()),
                u64::from_be_bytes(low.try_into().unwrap_or_default()),
            )
        }
        None => load_block(buf),
    };
    // The word ends at the first octet below `!` (or with the high bit set); the text ends
    // with one (CR or LF follows it), so the word never runs past the text.
    let (word_len, high, low) = match first_below_bang(high) {
        Some(0) => return None,
        Some(n) => (n, high & keep_octets(n), 0),
        None => match first_below_bang(low) {
            Some(n) => (8 + n, high, low & keep_octets(n)),
            // Longer than 15 octets (or not ASCII): only ENHANCEDSTATUSCODES is known.
            None => return enhanced_status_codes(buf, len, high, low),
        },
    };
    if word_len < len && !matches!(buf[word_len], b' ' | b'\t') {
        return None;
    }
    // Servers nearly always send keywords in upper case: look the word up as it is first,
    // and upper-case it only when that misses.
    let slot = &KEYWORDS[keyword_slot(high)];
    if slot.high == high && slot.low == low && usize::from(slot.len) == word_len {
        return Some((slot.keyword, word_len));
    }
    folded_keyword(word_len, high, low)
}

/// [`known_keyword`] for a word that is not a keyword as sent: upper-cased, then looked up
/// again; also `AUTH=first`.
#[inline(never)]
fn folded_keyword(word_len: usize, high: u64, low: u64) -> Option<(Keyword, usize)> {
    let (key_high, key_low) = (upper_ascii(high), upper_ascii(low));
    // `AUTH=LOGIN PLAIN` (the legacy form): the keyword and the first mechanism share a
    // word, which the caller tells by the `=`.
    const AUTH_EQUALS: u64 = (pack(b"AUTH=") >> 64) as u64;
    let slot = &KEYWORDS[keyword_slot(key_high)];
    if slot.high == key_high && slot.low == key_low && usize::from(slot.len) == word_len {
        Some((slot.keyword, word_len))
    } else if key_high & keep_octets(5) == AUTH_EQUALS && word_len > 5 {
        Some((Keyword::Auth, word_len))
    } else {
        None
    }
}

/// [`known_keyword`] for a word of 16 octets or more: `ENHANCEDSTATUSCODES`, compared as
/// sent first and case-insensitively only when that misses.
#[inline(never)]
fn enhanced_status_codes(buf: &[u8], len: usize, high: u64, low: u64) -> Option<(Keyword, usize)> {
    const HIGH: u64 = u64::from_be_bytes(*b"ENHANCED");
    const LOW: u64 = u64::from_be_bytes(*b"STATUSCO");
    // The text holds at least 19 octets and is followed by CR or LF.
    let (true, Some(&[d, e, s, after])) = (len >= 19, buf.get(16..20)) else {
        return None;
    };
    let name = (high == HIGH && low == LOW && [d, e, s] == *b"DES")
        || (upper_ascii(high) == HIGH
            && upper_ascii(low) == LOW
            && [d, e, s].eq_ignore_ascii_case(b"DES"));
    (name && (len == 19 || matches!(after, b' ' | b'\t')))
        .then_some((Keyword::EnhancedStatusCodes, 19))
}

fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')),
    )
}

impl Keyword {
    /// Looks up a keyword of `len` octets (1 to 16) already packed, upper-cased, by
    /// [`scan_word`]: case-insensitively and without allocating, by comparing the packed word
    /// with the few packed names of its length. (`ENHANCEDSTATUSCODES`, 19 octets, is checked
    /// by the caller.)
    #[inline]
    fn lookup_packed(len: usize, packed: u128) -> Option<Keyword> {
        const SIZE: u128 = pack(b"SIZE");
        const PIPELINING: u128 = pack(b"PIPELINING");
        const STARTTLS: u128 = pack(b"STARTTLS");
        const AUTH: u128 = pack(b"AUTH");
        const EIGHTBITMIME: u128 = pack(b"8BITMIME");
        const SMTPUTF8: u128 = pack(b"SMTPUTF8");
        const CHUNKING: u128 = pack(b"CHUNKING");
        const BINARYMIME: u128 = pack(b"BINARYMIME");
        const DSN: u128 = pack(b"DSN");
        const REQUIRETLS: u128 = pack(b"REQUIRETLS");
        const DELIVERBY: u128 = pack(b"DELIVERBY");
        const MT_PRIORITY: u128 = pack(b"MT-PRIORITY");
        const FUTURERELEASE: u128 = pack(b"FUTURERELEASE");
        const LIMITS: u128 = pack(b"LIMITS");
        const ETRN: u128 = pack(b"ETRN");
        const ATRN: u128 = pack(b"ATRN");
        const VRFY: u128 = pack(b"VRFY");
        const EXPN: u128 = pack(b"EXPN");
        const HELP: u128 = pack(b"HELP");
        const BURL: u128 = pack(b"BURL");
        const CHECKPOINT: u128 = pack(b"CHECKPOINT");
        const CONNEG: u128 = pack(b"CONNEG");
        const CONPERM: u128 = pack(b"CONPERM");
        const MTRK: u128 = pack(b"MTRK");
        const NO_SOLICITING: u128 = pack(b"NO-SOLICITING");
        const RRVS: u128 = pack(b"RRVS");
        const TURN: u128 = pack(b"TURN");
        const SEND: u128 = pack(b"SEND");
        const SOML: u128 = pack(b"SOML");
        const SAML: u128 = pack(b"SAML");
        const VERB: u128 = pack(b"VERB");
        const ONEX: u128 = pack(b"ONEX");
        const UTF8SMTP: u128 = pack(b"UTF8SMTP");
        Some(match len {
            3 => match packed {
                DSN => Keyword::Dsn,
                _ => return None,
            },
            4 => match packed {
                SIZE => Keyword::Size,
                AUTH => Keyword::Auth,
                ETRN => Keyword::Etrn,
                ATRN => Keyword::Atrn,
                VRFY => Keyword::Vrfy,
                EXPN => Keyword::Expn,
                HELP => Keyword::Help,
                BURL => Keyword::Burl,
                MTRK => Keyword::Mtrk,
                RRVS => Keyword::Rrvs,
                TURN => Keyword::Turn,
                SEND => Keyword::Send,
                SOML => Keyword::Send,
                SAML => Keyword::Send,
                VERB => Keyword::Verb,
                ONEX => Keyword::Onex,
                _ => return None,
            },
            6 => match packed {
                LIMITS => Keyword::Limits,
                CONNEG => Keyword::Conneg,
                _ => return None,
            },
            7 => match packed {
                CONPERM => Keyword::Conperm,
                _ => return None,
            },
            8 => match packed {
                STARTTLS => Keyword::StartTls,
                EIGHTBITMIME => Keyword::EightBitMime,
                SMTPUTF8 => Keyword::SmtpUtf8,
                CHUNKING => Keyword::Chunking,
                UTF8SMTP => Keyword::Utf8Smtp,
                _ => return None,
            },
            9 => match packed {
                DELIVERBY => Keyword::DeliverBy,
                _ => return None,
            },
            10 => match packed {
                PIPELINING => Keyword::Pipelining,
                BINARYMIME => Keyword::BinaryMime,
                REQUIRETLS => Keyword::RequireTls,
                CHECKPOINT => Keyword::Checkpoint,
                _ => return None,
            },
            11 => match packed {
                MT_PRIORITY => Keyword::MtPriority,
                _ => return None,
            },
            13 => match packed {
                FUTURERELEASE => Keyword::FutureRelease,
                NO_SOLICITING => Keyword::NoSoliciting,
                _ => return None,
            },
            _ => return None,
        })
    }
}

impl Capabilities {
    /// Reads the capabilities from an EHLO or LHLO reply.
    ///
    /// The first line names the server; every later line is `keyword *(SP param)`
    /// (RFC 5321 s4.1.1.1). Call it on a `250` reply; for any other reply the result lists
    /// whatever lines look like keywords.
    pub fn from_reply(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        let raw = reply.as_bytes();
        let mut rare = Rare::default();
        match reply.plain_line_ends() {
            Some(ends) => {
                // Every line is `ddd-text<CRLF>` or `ddd text<CRLF>`: the text is between
                // the separator and the CR.
                if let Some((&first, rest)) = ends.split_first() {
                    let mut start = usize::from(first);
                    let utf8 = !reply.framing_anomalies().contains(Anomaly::NonUtf8Text);
                    caps.read_first_line(&raw[4..start - 2], utf8);
                    for &end in rest {
                        let end = usize::from(end);
                        caps.read_line(&raw[start + 4..], end - 6 - start, &mut rare);
                        start = end;
                    }
                }
            }
            None => {
                let mut lines = reply.text_spans();
                if let Some((start, end)) = lines.next() {
                    caps.read_first_line(&raw[start..end], false);
                }
                for (start, end) in lines {
                    caps.read_line(&raw[start..], end - start, &mut rare);
                }
            }
        }
        if let Some(mechanisms) = rare.x_exps {
            if caps.has(Keyword::Auth) {
                caps.keep_unknown(b"X-EXPS", mechanisms.iter().copied());
            } else {
                caps.keywords |= Keyword::Auth.bit();
                caps.flag(CapabilityAnomaly::AuthFromXExps);
                for name in mechanisms {
                    caps.add_mechanism(Word::new(name));
                }
            }
        }
        caps
    }

    /// Reads one keyword line: `buf` is the reply from the line's text on (it runs on past
    /// the text, to the end of the reply), of which `len` octets are text.
    #[inline(always)]
    fn read_line<'a>(&mut self, buf: &'a [u8], len: usize, rare: &mut Rare<'a>) {
        let caps = self;
        match known_keyword(buf, len) {
            Some((keyword, word_len)) => {
                if keyword.bit() & WITH_PARAMS == 0 {
                    caps.add_keyword(keyword, rare);
                } else {
                    let mut first = None;
                    if keyword == Keyword::Auth && buf[4] == b'=' {
                        // `AUTH=first ...`; an `AUTH` line after it is not a repeat.
                        first = Some(&buf[5..word_len]);
                        caps.flag(CapabilityAnomaly::LegacyAuthEquals);
                        caps.keywords |= keyword.bit();
                    } else {
                        caps.add_keyword(keyword, rare);
                    }
                    // The octet after the keyword, when in the text, is a blank: skip it.
                    let skip = word_len + usize::from(word_len < len);
                    let rest = Cursor {
                        buf: &buf[skip..],
                        len: len - skip,
                    };
                    caps.read_params(
                        keyword,
                        Params {
                            first,
                            rest: Words::new(rest),
                        },
                    );
                }
            }
            None => caps.read_other_line(Cursor { buf, len }, rare),
        }
    }

    /// Records a keyword line (not `AUTH=`), flagging a repeat.
    #[inline(always)]
    fn add_keyword(&mut self, keyword: Keyword, rare: &mut Rare<'_>) {
        // An `AUTH` line after an `AUTH=` line is the usual legacy pairing, not a repeat.
        let repeat = if keyword == Keyword::Auth {
            std::mem::replace(&mut rare.saw_auth, true)
        } else {
            true
        };
        if self.keywords & keyword.bit() != 0 && repeat {
            self.flag(CapabilityAnomaly::DuplicateKeyword);
        }
        self.keywords |= keyword.bit();
    }

    /// A keyword line that [`known_keyword`] does not recognise: leading blanks,
    /// `X-EXPS`, a split keyword (`8 BITMIME`), an unknown or malformed keyword, octets
    /// outside ASCII or control characters in the keyword, or a keyword longer than 16
    /// octets other than `ENHANCEDSTATUSCODES`.
    #[cold]
    #[inline(never)]
    fn read_other_line<'a>(&mut self, mut at: Cursor<'a>, rare: &mut Rare<'a>) {
        let caps = self;
        at.skip_blanks();
        if at.len == 0 {
            return;
        }
        let (len, packed) = scan_word(at);
        let mut word = &at.buf[..len];
        at.advance(len);
        // `AUTH=LOGIN PLAIN`: the keyword and the first mechanism share a word.
        let mut first = None;
        if word.len() > 5 && word[4] == b'=' && word[..4].eq_ignore_ascii_case(b"AUTH") {
            first = Some(&word[5..]);
            word = &word[..4];
        }
        let legacy_auth = first.is_some();
        let mut params = Params {
            first,
            rest: Words::new(at),
        };
        if word.len() == 6 && word.eq_ignore_ascii_case(b"X-EXPS") {
            rare.x_exps.get_or_insert_with(Vec::new).extend(params);
            return;
        }
        let mut keyword = if legacy_auth {
            Some(Keyword::Auth)
        } else if word.len() == 19 {
            word.eq_ignore_ascii_case(b"ENHANCEDSTATUSCODES")
                .then_some(Keyword::EnhancedStatusCodes)
        } else if word.len() <= 16 {
            Keyword::lookup_packed(word.len(), packed)
        } else {
            None
        };
        // `8 BITMIME` (Yahoo): a known keyword split by a space.
        if keyword.is_none() && word.len() < 16 {
            let mut peek = params.clone();
            if let Some((next, next_packed)) = peek.next_packed()
                && let joined = word.len() + next.len()
                && joined <= 16
                && let Some(k) =
                    Keyword::lookup_packed(joined, packed | (next_packed >> (word.len() * 8)))
            {
                keyword = Some(k);
                params = peek;
                caps.flag(CapabilityAnomaly::SplitKeyword);
            }
        }
        let Some(keyword) = keyword else {
            if is_ehlo_keyword(word) {
                caps.keep_unknown(word, params);
            } else if is_lenient_keyword(word) {
                caps.flag(CapabilityAnomaly::NonStandardKeyword);
                caps.keep_unknown(word, params);
            } else {
                caps.flag(CapabilityAnomaly::MalformedLine);
            }
            return;
        };
        if legacy_auth {
            caps.flag(CapabilityAnomaly::LegacyAuthEquals);
            caps.keywords |= keyword.bit();
        } else {
            caps.add_keyword(keyword, rare);
        }
        caps.read_params(keyword, params);
    }

    /// Reads the first line's text; `utf8` says the decoder found the reply's text valid
    /// UTF-8 (so it need not be checked again).
    fn read_first_line(&mut self, text: &[u8], utf8: bool) {
        if text.len() <= FirstLine::INLINE && (utf8 || text.is_ascii()) {
            // The usual line: valid UTF-8 (or ASCII), so it is kept with no validation pass.
            // The blanks trimmed are those `str::trim_start` trims in ASCII; a line whose
            // first other character is not ASCII (it may be Unicode white space) is left to
            // `trim_start` below.
            let skip = text
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
                .count();
            if text.get(skip).is_none_or(u8::is_ascii) {
                let trimmed = &text[skip..];
                self.read_server_name(trimmed);
                // Written in place: `self` is fresh, so its first line is inline and empty.
                match &mut self.first_line {
                    FirstLine::Inline { len, bytes } => {
                        bytes[..trimmed.len()].copy_from_slice(trimmed);
                        *len = trimmed.len() as u8;
                    }
                    line => *line = FirstLine::inline(trimmed),
                }
                return;
            }
        }
        // Valid UTF-8 (the usual case, checked a word at a time for ASCII) needs no lossy
        // pass, which decodes character by character.
        let lossy;
        let text = match std::str::from_utf8(text) {
            Ok(text) => text,
            Err(_) => {
                lossy = String::from_utf8_lossy(text);
                &*lossy
            }
        };
        let trimmed = text.trim_start();
        self.read_server_name(trimmed.as_bytes());
        self.first_line = FirstLine::new(trimmed);
    }

    /// Where the server name ends in the trimmed first line, and what kind it is.
    #[inline]
    fn read_server_name(&mut self, trimmed: &[u8]) {
        // SP and HT are ASCII, so they never occur inside a multi-octet character.
        let name_end = find_blank(trimmed).unwrap_or(trimmed.len());
        self.name_kind = match trimmed.first() {
            _ if name_end == 0 => NameKind::Empty,
            Some(b'[') => NameKind::AddressLiteral,
            _ => NameKind::Domain,
        };
        self.name_end = name_end;
    }

    fn read_params(&mut self, keyword: Keyword, mut params: Params<'_>) {
        match keyword {
            // RFC 1870 s4: `SIZE [number]`; no value or 0 means no fixed limit.
            Keyword::Size => match params.rest.next_number() {
                None => {}
                Some(Some(0)) => self.size = None,
                Some(Some(limit)) => self.size = Some(limit),
                Some(None) => self.flag(CapabilityAnomaly::BadParameter),
            },
            // RFC 4954 s3: `AUTH mechanism *(SP mechanism)`.
            Keyword::Auth => {
                if let Some(first) = params.first.take() {
                    self.add_mechanism(Word::new(first));
                }
                while let Some(word) = params.rest.next_word() {
                    self.add_mechanism(word);
                }
            }
            // RFC 2852 s4: `DELIVERBY [min-by-time]`.
            Keyword::DeliverBy => {
                if let Some(value) = params.next() {
                    match parse_u64(value).and_then(|v| u32::try_from(v).ok()) {
                        Some(seconds) => self.more.get_mut().deliver_by = Some(seconds),
                        None => self.flag(CapabilityAnomaly::BadParameter),
                    }
                }
            }
            // RFC 6710 s4: `MT-PRIORITY [priority-profile]`.
            Keyword::MtPriority => {
                if let Some(profile) = params.next() {
                    self.more.get_mut().mt_priority =
                        Some(String::from_utf8_lossy(profile).into_owned());
                }
            }
            // RFC 4865 s3: `FUTURERELEASE max-future-release-interval max-future-release-date-time`.
            Keyword::FutureRelease => match (params.next(), params.next()) {
                (Some(interval), Some(date)) => match parse_u64(interval) {
                    Some(max_interval) => {
                        self.more.get_mut().future_release = Some(FutureRelease {
                            max_interval,
                            max_date_time: String::from_utf8_lossy(date).into_owned(),
                        });
                    }
                    None => self.flag(CapabilityAnomaly::BadParameter),
                },
                _ => self.flag(CapabilityAnomaly::BadParameter),
            },
            // RFC 9422 s3: `LIMITS limit-name "=" limit-value *(SP ...)`; unknown names ignored.
            Keyword::Limits => {
                for param in params {
                    let Some(eq) = param.iter().position(|b| *b == b'=') else {
                        self.flag(CapabilityAnomaly::BadParameter);
                        continue;
                    };
                    let (name, value) = (&param[..eq], &param[eq + 1..]);
                    let value = parse_u64(value).and_then(|v| u32::try_from(v).ok());
                    let slot = if name.eq_ignore_ascii_case(b"RCPTMAX") {
                        &mut self.more.get_mut().limits.rcpt_max
                    } else if name.eq_ignore_ascii_case(b"MAILMAX") {
                        &mut self.more.get_mut().limits.mail_max
                    } else if name.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                        &mut self.more.get_mut().limits.rcpt_domain_max
                    } else {
                        continue;
                    };
                    match value {
                        Some(v) if v > 0 => *slot = Some(v),
                        _ => self.flag(CapabilityAnomaly::BadParameter),
                    }
                }
            }
            _ => {}
        }
    }

    /// Adds an AUTH mechanism.
    #[inline]
    fn add_mechanism(&mut self, name: Word<'_>) {
        match Mechanism::lookup_halves(name.bytes, name.high, name.low) {
            Some(index) => self.auth_known |= 1 << index,
            None => self.add_folded_mechanism(name),
        }
    }

    /// Adds a mechanism whose name as sent is not a known one: upper-cased, it may be.
    #[inline(never)]
    fn add_folded_mechanism(&mut self, name: Word<'_>) {
        let (high, low) = name.upper();
        match Mechanism::lookup_halves(name.bytes, high, low) {
            Some(index) => self.auth_known |= 1 << index,
            None => self.add_other_mechanism(name.bytes),
        }
    }

    /// Adds a mechanism that is not in the table of known names (or is not a name at all).
    #[inline]
    fn add_other_mechanism(&mut self, name: &[u8]) {
        // What `Mechanism::from_name` accepts: 1 to 20 of `A-Z 0-9 - _`, any case.
        if name.is_empty()
            || name.len() > 20
            || !name
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        {
            self.flag(CapabilityAnomaly::BadParameter);
            return;
        }
        let mut upper = [0u8; 20];
        let upper = &mut upper[..name.len()];
        upper.copy_from_slice(name);
        upper.make_ascii_uppercase();
        // Checked above: every octet is ASCII.
        let upper = std::str::from_utf8(upper).unwrap_or_default();
        let mut count = 0;
        for other in self.other_mechanisms() {
            if other == upper {
                return;
            }
            count += 1;
        }
        if count == MAX_OTHER_MECHANISMS {
            self.flag(CapabilityAnomaly::Truncated);
            return;
        }
        self.auth_other.push(upper);
    }

    fn keep_unknown<'a>(&mut self, keyword: &[u8], params: impl Iterator<Item = &'a [u8]>) {
        let keyword = String::from_utf8_lossy(keyword).to_ascii_uppercase();
        if self.more.get().unknown.iter().any(|e| e.keyword == keyword) {
            self.flag(CapabilityAnomaly::DuplicateKeyword);
            return;
        }
        if self.more.get().unknown.len() == MAX_UNKNOWN {
            self.flag(CapabilityAnomaly::Truncated);
            return;
        }
        let mut kept = Vec::new();
        for param in params {
            if kept.len() == MAX_PARAMS {
                self.flag(CapabilityAnomaly::Truncated);
                break;
            }
            kept.push(String::from_utf8_lossy(param).into_owned());
        }
        let params = kept;
        self.more
            .get_mut()
            .unknown
            .push(Extension { keyword, params });
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_octet_one_above_a_blank_is_not_a_blank() {
        // `!` is SP + 1 and BS is HT + 1: a borrow-based zero test flags them before a blank.
        for text in [&b"A! B"[..], b"A\x08\tB", b"A\x01\0B", b"ABCDEFGHIJKLMN! x"] {
            let len = text.len() - 2;
            let at = Cursor {
                buf: text,
                len: text.len(),
            };
            assert_eq!(scan_word(at).0, len, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn scan_word_matches_a_plain_loop(text in proptest::collection::vec(prop_oneof![Just(b' '), Just(b'\t'), Just(0u8), Just(b'a'), Just(b'z'), Just(b'{'), Just(b'`'), Just(b'-'), any::<u8>()], 0..40)) {
            let len = text.iter().position(|b| matches!(b, b' ' | b'\t' | 0)).unwrap_or(text.len());
            let expected = text[..len.min(16)].iter().enumerate().fold(0u128, |acc, (i, b)| acc | u128::from(b.to_ascii_uppercase()) << (120 - 8 * i));
            // The scan may read the reply's bytes past the text; they must not count.
            for after in [&b""[..], b"x", b"\r\n250-SIZE 1000\r\n", b"abcdefghijklmnopqrstuvwxyz"] {
                let buf = [&text[..], after].concat();
                prop_assert_eq!(scan_word(Cursor { buf: &buf, len: text.len() }), (len, expected));
            }
        }
    }
}
