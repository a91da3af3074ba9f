//! The rule engine: one Aho-Corasick automaton over every phrase of [`RULES`], built once,
//! walked once per reply; then the first rule (in table order) whose filters fit.
//!
//! Finding the first fitting rule does not try every rule: each phrase knows the rules that use
//! it, so only rules whose phrases occurred, and the rules without phrases, are checked.

use std::sync::LazyLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

use super::rules::{
    Codes, FINGERPRINTS, NAMES_RECIPIENT, Providers, RULES, Rule, SENDER_SIDE_AT_MAIL, bit,
};
use super::{Confidence, Diagnosis, DiagnosisClass, DiagnosisSeverity, Retry};
use crate::reply::{Anomaly, EnhancedCode, Reply, ReplyCode};
use crate::stage::Stage;

/// Upper bound on distinct phrases, so the set of phrases found fits in a fixed array.
const MAX_PATTERNS: usize = 4096;
const WORDS: usize = MAX_PATTERNS / 64;

/// The class a rule (or the engine's own checks) chose, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) class: DiagnosisClass,
    pub(crate) rule: &'static str,
    pub(crate) confidence: Confidence,
}

impl Verdict {
    const fn new(class: DiagnosisClass, rule: &'static str, confidence: Confidence) -> Verdict {
        Verdict {
            class,
            rule,
            confidence,
        }
    }
}

/// What the rules look at besides the words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub(crate) stage: Stage,
    pub(crate) code: Option<ReplyCode>,
    pub(crate) enhanced: Option<EnhancedCode>,
}

struct Engine {
    dfa: NFA,
    start: StateID,
    /// Per phrase: the providers it fingerprints (0 for none).
    providers: Vec<Providers>,
    /// Per rule: its `words`, `also` and `unless` as phrase ids.
    words: Vec<Box<[u16]>>,
    also: Vec<Box<[u16]>>,
    unless: Vec<Box<[u16]>>,
    /// Per phrase: the rules whose `words` contain it, ascending.
    rules_by_phrase: Vec<Box<[u16]>>,
    /// Rules without `words`, ascending, indexed by the one filter that narrows them most:
    /// by reply code for rules that list exact codes, by enhanced subject for enhanced-code
    /// rules, and the rest.
    wordless_by_code: Vec<Box<[u16]>>,
    wordless_by_subject: Vec<Box<[u16]>>,
    wordless_other: Box<[u16]>,
    /// [`NAMES_RECIPIENT`] as phrase ids.
    names_recipient: Box<[u16]>,
}

/// The phrases found in one reply, and the providers they name.
struct Found {
    bits: [u64; WORDS],
    providers: Providers,
}

impl Found {
    fn contains(&self, phrase: u16) -> bool {
        let phrase = usize::from(phrase);
        self.bits[phrase / 64] & (1 << (phrase % 64)) != 0
    }

    fn is_empty(&self) -> bool {
        self.bits.iter().all(|&word| word == 0)
    }

    fn any(&self, phrases: &[u16]) -> bool {
        phrases.iter().any(|&phrase| self.contains(phrase))
    }
}

static ENGINE: LazyLock<Engine> = LazyLock::new(Engine::build);

impl Engine {
    fn build() -> Engine {
        let mut phrases: Vec<String> = Vec::new();
        let mut ids = std::collections::HashMap::new();
        let mut intern = |phrase: &str, phrases: &mut Vec<String>| -> u16 {
            let key = phrase.to_ascii_lowercase();
            *ids.entry(key.clone()).or_insert_with(|| {
                phrases.push(key);
                // The table is static and tested to stay under MAX_PATTERNS.
                u16::try_from(phrases.len() - 1).unwrap_or(u16::MAX)
            })
        };
        let mut fingerprint_ids = Vec::with_capacity(FINGERPRINTS.len());
        for (phrase, provider) in FINGERPRINTS {
            fingerprint_ids.push((intern(phrase, &mut phrases), *provider));
        }
        let mut compile = |list: &[&str], phrases: &mut Vec<String>| -> Box<[u16]> {
            list.iter().map(|phrase| intern(phrase, phrases)).collect()
        };
        let mut words = Vec::with_capacity(RULES.len());
        let mut also = Vec::with_capacity(RULES.len());
        let mut unless = Vec::with_capacity(RULES.len());
        for rule in RULES {
            words.push(compile(rule.words, &mut phrases));
            also.push(compile(rule.also, &mut phrases));
            unless.push(compile(rule.unless, &mut phrases));
        }
        let names_recipient = compile(NAMES_RECIPIENT, &mut phrases);
        assert!(phrases.len() <= MAX_PATTERNS, "raise MAX_PATTERNS");
        let mut providers = vec![0; phrases.len()];
        for (id, provider) in fingerprint_ids {
            providers[usize::from(id)] |= provider;
        }
        let mut by_phrase: Vec<Vec<u16>> = vec![Vec::new(); phrases.len()];
        let mut by_code: Vec<Vec<u16>> = vec![Vec::new(); 1000];
        let mut by_subject: Vec<Vec<u16>> = vec![Vec::new(); 1000];
        let mut other = Vec::new();
        for (index, rule_words) in words.iter().enumerate() {
            let rule = &RULES[index];
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            if rule_words.is_empty() {
                match (rule.codes, rule.enhanced) {
                    (Codes::Exact(codes), _) => {
                        for &code in codes {
                            by_code[usize::from(code) % 1000].push(index);
                        }
                    }
                    (_, Some(filter)) => by_subject[usize::from(filter.subject) % 1000].push(index),
                    _ => other.push(index),
                }
            }
            for &phrase in rule_words.iter() {
                let rules = &mut by_phrase[usize::from(phrase)];
                if rules.last() != Some(&index) {
                    rules.push(index);
                }
            }
        }
        // Phrases are lowercased when interned and the scan lowercases the text, which keeps
        // the automaton half the size of an ASCII case-insensitive one.
        let dfa = NFA::builder()
            .match_kind(MatchKind::Standard)
            .dense_depth(3)
            .build(&phrases)
            .expect("the phrase table compiles into an Aho-Corasick automaton");
        let start = dfa
            .start_state(Anchored::No)
            .expect("an unanchored DFA has an unanchored start state");
        Engine {
            dfa,
            start,
            providers,
            words,
            also,
            unless,
            rules_by_phrase: by_phrase.into_iter().map(Vec::into_boxed_slice).collect(),
            wordless_by_code: by_code.into_iter().map(Vec::into_boxed_slice).collect(),
            wordless_by_subject: by_subject.into_iter().map(Vec::into_boxed_slice).collect(),
            wordless_other: other.into_boxed_slice(),
            names_recipient,
        }
    }

    /// Walks the text of `segments` through the automaton: segments joined by one space, runs
    /// of white space folded to one, a space added at both ends.
    fn scan<'a, I>(&self, segments: I) -> Found
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut found = Found {
            bits: [0; WORDS],
            providers: 0,
        };
        let dfa = &self.dfa;
        let mut sid = self.start;
        let mut step = |byte: u8, found: &mut Found| {
            sid = dfa.next_state(Anchored::No, sid, byte);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                for index in 0..dfa.match_len(sid) {
                    let phrase = dfa.match_pattern(sid, index).as_usize();
                    found.bits[phrase / 64] |= 1 << (phrase % 64);
                    found.providers |= self.providers[phrase];
                }
            }
        };
        step(b' ', &mut found);
        let mut after_space = true;
        for segment in segments {
            if !after_space {
                step(b' ', &mut found);
                after_space = true;
            }
            for &byte in segment {
                if matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C) {
                    if !after_space {
                        step(b' ', &mut found);
                        after_space = true;
                    }
                } else {
                    step(byte.to_ascii_lowercase(), &mut found);
                    after_space = false;
                }
            }
        }
        if !after_space {
            step(b' ', &mut found);
        }
        found
    }

    fn fits(&self, index: usize, facts: &Facts, found: &Found) -> bool {
        let rule: &Rule = &RULES[index];
        if rule.provider != 0 && found.providers & rule.provider == 0 {
            return false;
        }
        if rule.stages != 0
            && rule.stages & bit(facts.stage) == 0
            && (rule.exact_stage || facts.stage != Stage::Any)
        {
            return false;
        }
        if !codes_fit(rule.codes, facts) {
            return false;
        }
        if let Some(filter) = rule.enhanced {
            let Some(code) = facts.enhanced else {
                return false;
            };
            if (filter.class != 0 && filter.class != code.class)
                || filter.subject != code.subject
                || code.detail < filter.detail_min
                || code.detail > filter.detail_max
            {
                return false;
            }
        }
        let words = &self.words[index];
        if !words.is_empty() && !found.any(words) {
            return false;
        }
        let also = &self.also[index];
        if !also.is_empty() && !found.any(also) {
            return false;
        }
        !found.any(&self.unless[index])
    }

    /// The first rule in table order that fits.
    fn first_fit(&self, facts: &Facts, found: &Found) -> Option<usize> {
        let mut best = usize::MAX;
        for (word_index, &word) in found.bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let phrase = word_index * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                for &rule in self.rules_by_phrase[phrase].iter() {
                    let rule = usize::from(rule);
                    if rule >= best {
                        break;
                    }
                    if self.fits(rule, facts, found) {
                        best = rule;
                        break;
                    }
                }
            }
        }
        let empty: &[u16] = &[];
        let by_code = facts.code.map_or(empty, |code| {
            &self.wordless_by_code[usize::from(code.value()) % 1000]
        });
        let by_subject = facts.enhanced.map_or(empty, |enhanced| {
            &self.wordless_by_subject[usize::from(enhanced.subject) % 1000]
        });
        for list in [by_code, by_subject, &self.wordless_other] {
            for &rule in list {
                let rule = usize::from(rule);
                if rule >= best {
                    break;
                }
                if self.fits(rule, facts, found) {
                    best = rule;
                    break;
                }
            }
        }
        (best != usize::MAX).then_some(best)
    }
}

fn codes_fit(codes: Codes, facts: &Facts) -> bool {
    let first_digit = match (facts.code, facts.enhanced) {
        (Some(code), _) => Some(code.value() / 100),
        (None, Some(enhanced)) => Some(u16::from(enhanced.class)),
        (None, None) => None,
    };
    match codes {
        Codes::Negative => first_digit.is_none_or(|digit| matches!(digit, 4 | 5)),
        Codes::Transient => first_digit.is_none_or(|digit| digit == 4),
        Codes::Permanent => first_digit.is_none_or(|digit| digit == 5),
        Codes::Exact(list) => facts.code.is_some_and(|code| list.contains(&code.value())),
    }
}

/// The replies RFC 5321 s4.3.2 (with the AUTH, STARTTLS and SIZE extensions) allows for the
/// command answered at `stage`; `None` when any code may come.
fn valid_codes(stage: Stage) -> Option<&'static [u16]> {
    Some(match stage {
        Stage::Connect | Stage::Greeting => &[220, 421, 554],
        Stage::Ehlo => &[250, 421, 500, 501, 502, 504, 550],
        Stage::StartTls => &[220, 421, 454, 500, 501, 502, 503],
        Stage::Auth => &[
            235, 334, 421, 432, 454, 500, 501, 502, 503, 504, 525, 530, 534, 535, 538,
        ],
        Stage::Mail => &[
            250, 421, 451, 452, 455, 500, 501, 503, 530, 550, 552, 553, 554, 555,
        ],
        Stage::Rcpt => &[
            250, 251, 252, 421, 450, 451, 452, 455, 500, 501, 503, 530, 550, 551, 552, 553, 554,
            555,
        ],
        Stage::Data => &[354, 421, 451, 452, 500, 501, 503, 530, 550, 552, 554],
        Stage::DataEnd => &[250, 421, 450, 451, 452, 550, 552, 553, 554],
        Stage::Quit => &[221, 421, 500, 501],
        _ => return None,
    })
}

/// Classifies text that may carry no reply code (pasted from a log).
pub(crate) fn classify<'a, I>(facts: Facts, segments: I) -> Verdict
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let facts = Facts {
        // A reply before any command is the greeting.
        stage: if facts.stage == Stage::Connect {
            Stage::Greeting
        } else {
            facts.stage
        },
        ..facts
    };
    if let Some(code) = facts.code
        && !matches!(code.value() / 100, 2..=5)
    {
        return Verdict::new(
            DiagnosisClass::MalformedReply,
            "code:nonstandard",
            Confidence::High,
        );
    }
    let engine = &*ENGINE;
    let found = engine.scan(segments);
    if facts.code.is_none() && facts.enhanced.is_none() && found.is_empty() {
        // DIAGNOSES.md s4.9b: no code, no enhanced code, no known phrase.
        return Verdict::new(
            DiagnosisClass::Unrecognized,
            "pasted:unrecognized",
            Confidence::Low,
        );
    }
    if let Some(index) = engine.first_fit(&facts, &found) {
        let rule = &RULES[index];
        let class = match SENDER_SIDE_AT_MAIL
            .iter()
            .find(|(from, _)| *from == rule.class)
        {
            Some(&(_, sender_side))
                if facts.stage == Stage::Mail
                    && rule.stages == 0
                    && !found.any(&engine.names_recipient) =>
            {
                sender_side
            }
            _ => rule.class,
        };
        return Verdict::new(class, rule.id, rule.confidence);
    }
    let Some(code) = facts.code else {
        return match facts.enhanced.map(|enhanced| enhanced.class) {
            Some(2) => Verdict::new(DiagnosisClass::Ok, "enhanced-class:2", Confidence::Low),
            Some(4) => Verdict::new(
                DiagnosisClass::ServerTemporaryError,
                "enhanced-class:4",
                Confidence::Low,
            ),
            Some(_) => Verdict::new(
                DiagnosisClass::PolicyRejected,
                "enhanced-class:5",
                Confidence::Low,
            ),
            // Phrases were found, but none fits a rule on its own.
            None => Verdict::new(
                DiagnosisClass::Unrecognized,
                "pasted:unrecognized",
                Confidence::Low,
            ),
        };
    };
    if let Some(valid) = valid_codes(facts.stage)
        && !valid.contains(&code.value())
    {
        return Verdict::new(
            DiagnosisClass::UnexpectedReply,
            "rfc5321:not-valid-for-command",
            Confidence::Medium,
        );
    }
    match code.value() / 100 {
        2 => Verdict::new(DiagnosisClass::Ok, "class:2", Confidence::Low),
        3 => Verdict::new(DiagnosisClass::Ok, "class:3", Confidence::Low),
        4 => Verdict::new(
            DiagnosisClass::ServerTemporaryError,
            "class:4",
            Confidence::Low,
        ),
        _ => Verdict::new(DiagnosisClass::PolicyRejected, "class:5", Confidence::Low),
    }
}

/// Classifies a parsed reply: the reply-shape checks, then [`classify`] over its lines.
pub(crate) fn classify_reply(stage: Stage, reply: &Reply) -> Verdict {
    let code = reply.code();
    let anomalies = reply.anomalies();
    if code == ReplyCode::AUTH_CHALLENGE
        && anomalies.contains(Anomaly::BareCode)
        && matches!(stage, Stage::Auth | Stage::Any)
    {
        // RFC 4954 s4: a challenge is "334" SP [base64]; a bare "334" hangs strict clients.
        return Verdict::new(
            DiagnosisClass::MalformedReply,
            "anomaly:bare-334",
            Confidence::High,
        );
    }
    if code.is_positive()
        && stage != Stage::Ehlo
        && (anomalies.contains(Anomaly::BlankLine)
            || anomalies.contains(Anomaly::InconsistentCodes))
    {
        return Verdict::new(
            DiagnosisClass::MalformedReply,
            if anomalies.contains(Anomaly::BlankLine) {
                "anomaly:blank-line"
            } else {
                "anomaly:inconsistent-codes"
            },
            Confidence::Medium,
        );
    }
    classify(
        Facts {
            stage,
            code: Some(code),
            enhanced: enhanced_code(reply),
        },
        reply.lines().map(|line| line.message()),
    )
}

/// The reply's enhanced code, or one written after a `#` on its first line when its class
/// agrees with the reply code.
pub(crate) fn enhanced_code(reply: &Reply) -> Option<EnhancedCode> {
    reply.enhanced_code().or_else(|| {
        let first = reply.lines().next()?;
        hashed_enhanced_code(first.message())
            .filter(|enhanced| u16::from(enhanced.class) == reply.code().value() / 100)
    })
}

/// An enhanced code written after a `#` (`550 #5.1.0 Address rejected`: old Exchange, qmail
/// and Courier), which RFC 3463 does not allow and the reply parser therefore leaves in the
/// text; the diagnosis reads it all the same.
pub(crate) fn hashed_enhanced_code(text: &[u8]) -> Option<EnhancedCode> {
    let text = text.strip_prefix(b"#")?;
    crate::reply::leading_enhanced_code(text).map(|(code, _)| code)
}

/// Turns a verdict into a diagnosis: class texts, then severity and retry from the codes.
pub(crate) fn build(
    stage: Stage,
    verdict: Verdict,
    code: Option<ReplyCode>,
    enhanced: Option<EnhancedCode>,
) -> Diagnosis {
    let class = verdict.class;
    let mut diagnosis = Diagnosis::of_class(class, stage, verdict.rule, verdict.confidence);
    diagnosis.code = code;
    diagnosis.enhanced = enhanced;
    let first_digit = code
        .map(|code| code.value() / 100)
        .or(enhanced.map(|enhanced| u16::from(enhanced.class)));
    let severity = match (class, first_digit) {
        (DiagnosisClass::Ok | DiagnosisClass::Capabilities, _) => DiagnosisSeverity::Info,
        (DiagnosisClass::UnexpectedReply, _) => DiagnosisSeverity::Warning,
        (_, Some(2 | 3)) => DiagnosisSeverity::Warning,
        (_, Some(4)) => DiagnosisSeverity::Transient,
        (_, Some(5)) => DiagnosisSeverity::Permanent,
        _ => class.info().severity,
    };
    let info = class.info();
    let (retry, after) = match (class, severity) {
        (DiagnosisClass::MailboxFull, DiagnosisSeverity::Permanent) => (Retry::No, None),
        (DiagnosisClass::MalformedReply, DiagnosisSeverity::Warning) => (Retry::No, None),
        (_, DiagnosisSeverity::Transient) if info.retry == Retry::No => (Retry::Later, None),
        (DiagnosisClass::SenderDomainUnresolvable, DiagnosisSeverity::Transient) => {
            (Retry::Later, None)
        }
        _ => (info.retry, info.retry_after),
    };
    diagnosis.severity = severity;
    diagnosis.retry = retry;
    diagnosis.retry_after = after;
    if class == DiagnosisClass::Ok && stage == Stage::DataEnd {
        // "Mail not received" after a 250 is the most common question: say where to look.
        diagnosis = diagnosis.with_texts(
            "The server accepted the message and took responsibility for delivering it.",
            &[
                "If it never arrives: the receiving side filed it as spam, or dropped it after accepting.",
                "Missing SPF, DKIM or DMARC for the sender's domain, or a poor IP or domain reputation, makes that likely.",
                "The recipient's mailbox may be full or inactive; a bounce then arrives later, by mail.",
            ],
            &[
                "Check the recipient's spam folder and the sender's inbox for a later bounce.",
                "Check the domain's SPF, DKIM and DMARC records and the sending IP's reputation.",
            ],
        );
    }
    diagnosis
}

/// Whether `text` holds a phrase of any rule (fingerprints and the referent words included).
#[cfg(test)]
pub(crate) fn knows_a_phrase(text: &[u8]) -> bool {
    !ENGINE.scan([text]).is_empty()
}

#[cfg(test)]
pub(crate) fn phrase_count() -> usize {
    ENGINE.providers.len()
}

#[cfg(test)]
pub(crate) const PHRASE_LIMIT: usize = MAX_PATTERNS;

/// Builds the automaton afresh (not the shared one) and returns its phrase count, for timing.
#[cfg(test)]
pub(crate) fn build_afresh() -> usize {
    Engine::build().providers.len()
}

#[cfg(test)]
pub(crate) fn automaton_memory() -> usize {
    ENGINE.dfa.memory_usage()
}
