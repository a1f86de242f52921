//! The Chinese analyzer: normalization, jieba segmentation with the domain
//! dictionary, and stop-word removal, shared by indexing, queries, snippets
//! and match explanations so that all of them see the same terms.
//!
//! Indexing uses jieba's search mode: a long word is emitted whole and also as
//! its dictionary sub-words (碳化硅功率器件 → 碳化硅, 功率, 器件, …), so a query
//! for a part still finds the whole. Offsets are byte offsets into the text as
//! given (before normalization).

use super::assets;
use super::char_bits::CharBits;
use super::normalize::normalize;
use super::stop_words::StopWords;
use jieba_rs::{Jieba, Token};
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

/// Tokens longer than this are noise (base64, hashes) and would bloat the
/// term dictionary.
const MAX_TOKEN_BYTES: usize = 60;

/// Words of more than four CJK characters (12 bytes) are searched for
/// dictionary words of four characters or more inside them.
const LONGER_PARTS_FROM: usize = 12;

/// One term of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    /// Byte offsets into the original text.
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Whole words and their dictionary sub-words (indexing, queries).
    Search,
    /// Whole words only (display, explanations).
    Words,
}

/// Letters, digits and ideographs; punctuation and spaces are not terms.
/// The common cases (ASCII, CJK ideographs) skip the Unicode table lookup of
/// `char::is_alphanumeric`, which is measurable at millions of tokens.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else if ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c) {
        true
    } else if is_common_punctuation(c) {
        // Chinese text has a ，or 。 every few words: answer without the table.
        false
    } else {
        c.is_alphanumeric()
    }
}

/// Whether a token has a letter, digit or ideograph. jieba's tokens are
/// whole words or single separators, so the first character nearly always
/// decides: an ideograph or ASCII letter at once, punctuation or space alone.
#[inline(always)]
fn has_word_char(word: &str) -> bool {
    let b = word.as_bytes();
    match b.first() {
        Some(x) if x.is_ascii_alphanumeric() => true,
        // An ideograph: U+3400..=U+9FFF less U+4DC0..=U+4DFF (E4 B7 xx, the
        // hexagram symbols).
        Some(&x @ 0xE3..=0xE9) if b.len() >= 3 => match (x, b[1]) {
            (0xE3, y) if y < 0x90 => word.chars().any(is_word_char),
            (0xE4, 0xB7) => word.chars().any(is_word_char),
            _ => true,
        },
        _ => word.chars().any(is_word_char),
    }
}

/// The BMP characters that are terms on their own (see `Analyzer::char_terms`),
/// by the plain definition: a word character that is not a stop word.
fn char_terms(stop_words: &StopWords) -> CharBits {
    let mut bits = CharBits::new();
    let mut buf = [0u8; 4];
    for c in (0..0x10000).filter_map(char::from_u32) {
        if is_word_char(c) && !stop_words.contains(c.encode_utf8(&mut buf)) {
            bits.insert(c.into());
        }
    }
    bits
}

/// General punctuation (— “ ” …), CJK punctuation (、。「」《》 but not 〇)
/// and full-width punctuation (，：；（）！？): none of them is alphanumeric.
fn is_common_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{2000}'..='\u{206F}'
            | '\u{3000}'..='\u{3006}'
            | '\u{3008}'..='\u{3020}'
            | '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}'
    )
}

pub struct Analyzer {
    jieba: Jieba,
    /// Normalized stop words.
    stop_words: StopWords,
    /// Bit per BMP character that is a term on its own: a letter, digit or
    /// ideograph that is not a stop word. A third of jieba's tokens are one
    /// character, and this answers them with one load.
    char_terms: CharBits,
}

static SHARED: LazyLock<Arc<Analyzer>> = LazyLock::new(|| Arc::new(Analyzer::build()));

impl Analyzer {
    /// The process-wide analyzer: building one loads the jieba dictionary
    /// (~150 ms, ~35 MB), so it happens once.
    pub fn shared() -> Arc<Analyzer> {
        Arc::clone(&SHARED)
    }

    fn build() -> Analyzer {
        let mut jieba = Jieba::new();
        for (word, freq, tag) in assets::user_dictionary() {
            jieba.add_word(word, Some(freq), tag);
        }
        let normalized: Vec<String> = assets::stop_words()
            .map(|w| normalize(w).text.into_owned())
            .collect();
        let stop_words = StopWords::new(normalized.iter().map(String::as_str));
        let char_terms = char_terms(&stop_words);
        Analyzer {
            jieba,
            stop_words,
            char_terms,
        }
    }

    pub fn is_stop_word(&self, normalized: &str) -> bool {
        self.stop_words.contains(normalized)
    }

    /// Whether a token of jieba's is a term: not too long, not a separator,
    /// not a stop word. Runs for every token of every indexed text.
    #[inline(always)]
    fn is_term(&self, word: &str) -> bool {
        let stop = &self.stop_words;
        match word.as_bytes() {
            // Most tokens: a word of two or more ideographs (U+4000..=U+9FFF,
            // less the hexagram symbols U+4DC0..=U+4DFF, E4 B7 xx). The packed
            // table answers, behind a bitmap of the characters stop words
            // start with.
            [x @ 0xE4..=0xE9, y, z, _, ..] if *x != 0xE4 || *y != 0xB7 => {
                word.len() <= MAX_TOKEN_BYTES && !stop.contains_long3(word, *x, *y, *z)
            }
            // One character of three bytes (ideographs, CJK punctuation) or
            // one byte (ASCII): a bitmap answers.
            [x @ 0xE0..=0xEF, y, z] => self.char_terms.contains_utf8(*x, *y, *z),
            [x] => self.char_terms.contains(u32::from(*x)),
            // A longer word starting with a letter or digit (numbers, Latin).
            [x, _, ..] if x.is_ascii_alphanumeric() => {
                word.len() <= MAX_TOKEN_BYTES && !stop.contains_long1(word, *x)
            }
            _ => word.len() <= MAX_TOKEN_BYTES && has_word_char(word) && !stop.contains(word),
        }
    }

    /// Calls `emit(term_text, from, to)` for every indexable term of `text`.
    pub fn for_each_term(&self, text: &str, mode: Mode, mut emit: impl FnMut(&str, usize, usize)) {
        let normalized = normalize(text);
        let norm = normalized.text.as_ref();
        if normalized.offsets_unchanged() {
            // Nearly every text: the loop over the tokens has nothing to map.
            self.each_term(norm, mode, emit);
        } else {
            self.each_term(norm, mode, |w, from, to| {
                emit(
                    w,
                    normalized.original_offset(from),
                    normalized.original_offset(to),
                );
            });
        }
    }

    /// `for_each_term` of normalized text, with offsets into it.
    #[inline(always)]
    fn each_term(&self, norm: &str, mode: Mode, emit: impl FnMut(&str, usize, usize)) {
        // A loop per mode, so that the loop does not test the mode per token.
        match mode {
            Mode::Search => self.terms_of(&self.jieba.cut_for_search(norm, true), true, emit),
            Mode::Words => self.terms_of(&self.jieba.cut(norm, true), false, emit),
        }
    }

    /// The terms among jieba's `tokens`, with the longer dictionary words
    /// inside long ones when `with_parts`.
    #[inline(always)]
    fn terms_of(
        &self,
        tokens: &[Token<'_>],
        with_parts: bool,
        mut emit: impl FnMut(&str, usize, usize),
    ) {
        for t in tokens {
            if with_parts && t.word.len() > LONGER_PARTS_FROM {
                self.longer_parts(t.word, t.byte_start, &mut emit);
            }
            if self.is_term(t.word) {
                emit(t.word, t.byte_start, t.byte_end);
            }
        }
    }

    /// jieba's search mode re-emits only the 2- and 3-character dictionary
    /// words inside a long word; the longer ones matter as much in technical
    /// text (燃料电池 inside 氢燃料电池, 工业互联网 inside 工业互联网平台).
    #[inline(never)]
    fn longer_parts(
        &self,
        word: &str,
        byte_start: usize,
        emit: &mut impl FnMut(&str, usize, usize),
    ) {
        const MIN_PART: usize = 4;
        const MAX_CHARS: usize = 64;
        // Character boundaries and the end, on the stack: tokens this long
        // are rare and short (a word of over 64 characters, or with a
        // character starting past byte 255, is noise and has no parts).
        let mut bounds = [0u16; MAX_CHARS + 1];
        let mut n = 0;
        for (i, _) in word.char_indices() {
            if n == MAX_CHARS || i > usize::from(u8::MAX) {
                return;
            }
            bounds[n] = i as u16;
            n += 1;
        }
        if n <= MIN_PART {
            return;
        }
        bounds[n] = word.len() as u16;
        for len in MIN_PART..n {
            for (&from, &to) in bounds[..=n].iter().zip(&bounds[len..=n]) {
                let (from, to) = (usize::from(from), usize::from(to));
                let part = &word[from..to];
                if self.jieba.has_word(part) && self.is_term(part) {
                    emit(part, byte_start + from, byte_start + to);
                }
            }
        }
    }

    /// The terms of `text`, in order (with repeats).
    pub fn terms(&self, text: &str, mode: Mode) -> Vec<Term> {
        let mut out = Vec::new();
        self.for_each_term(text, mode, |w, from, to| {
            out.push(Term {
                text: w.to_owned(),
                from,
                to,
            });
        });
        out
    }

    /// Distinct terms of `text`, in first-seen order.
    pub fn distinct_terms(&self, text: &str, mode: Mode) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        self.for_each_term(text, mode, |w, _, _| {
            if seen.insert(w.to_owned()) {
                out.push(w.to_owned());
            }
        });
        out
    }

    /// Plain jieba segmentation (no normalization or stop words), for
    /// comparing with the reference implementation.
    pub fn raw_cut<'a>(&self, text: &'a str, search: bool) -> Vec<&'a str> {
        let tokens = if search {
            self.jieba.cut_for_search(text, true)
        } else {
            self.jieba.cut(text, true)
        };
        tokens.into_iter().map(|t| t.word).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast paths of `is_term` against its plain definition, over every
    /// substring of a text with ideographs, stop words, hexagram symbols,
    /// punctuation, Latin, digits and characters outside the BMP.
    #[test]
    fn is_term_agrees_with_its_plain_definition() {
        let a = Analyzer::shared();
        let text = "的碳化硅和这些䷀䷁功率器件，与GaN及PEMFC的ＳｉＣ、2024年𠀀也就是说因此 ";
        let plain = |w: &str| {
            w.len() <= MAX_TOKEN_BYTES && w.chars().any(is_word_char) && !a.stop_words.contains(w)
        };
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        for (k, &from) in bounds.iter().enumerate() {
            for &to in &bounds[k + 1..] {
                let w = &text[from..to];
                assert_eq!(a.is_term(w), plain(w), "{w:?}");
            }
        }
    }

    #[test]
    fn stop_words_of_every_length_are_dropped() {
        let a = Analyzer::shared();
        let terms = a.distinct_terms("碳化硅的衬底，这些也就是说工艺", Mode::Search);
        assert!(terms.contains(&"碳化硅".to_owned()), "{terms:?}");
        for stop in ["的", "这些", "也就是说", "，"] {
            assert!(!terms.iter().any(|t| t == stop), "{stop} in {terms:?}");
        }
    }
}
