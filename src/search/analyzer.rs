//! The Chinese analyzer: normalization, jieba segmentation with the domain
//! dictionary, and stop-word removal, shared by indexing, queries, snippets
//! and match explanations so that all of them see the same terms.
//!
//! Indexing uses jieba's search mode: a long word is emitted whole and also as
//! its dictionary sub-words (碳化硅功率器件 → 碳化硅, 功率, 器件, …), so a query
//! for a part still finds the whole. Offsets are byte offsets into the text as
//! given (before normalization).
//!
//! Search mode is built here from jieba's `cut`, with the same output as its
//! `cut_for_search`: that way the dictionary lookups of the sub-words and the
//! stop-word test are one remembered answer (`gram_memo`), and the analyzer
//! costs less than `cut_for_search` would alone.

use super::assets;
use super::char_bits::CharBits;
use super::gram_memo::{self, GramMemo};
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

/// Words of up to this many characters take the fast paths (a bit per
/// character in a `u64`, boundaries on the stack); longer words are rare and
/// mostly noise.
const MAX_CHARS: usize = 64;

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
    /// Whose answers a thread's `GramMemo` holds.
    memo_owner: usize,
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
            memo_owner: gram_memo::new_owner(),
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
    fn each_term(&self, norm: &str, mode: Mode, mut emit: impl FnMut(&str, usize, usize)) {
        let words = self.jieba.cut(norm, true);
        match mode {
            Mode::Search => GramMemo::with(self.memo_owner, |memo| {
                self.search_terms(norm.as_bytes(), &words, memo, emit);
            }),
            Mode::Words => {
                for t in &words {
                    if self.is_term(t.word) {
                        emit(t.word, t.byte_start, t.byte_end);
                    }
                }
            }
        }
    }

    /// The terms of search mode among the `words` of `text`, in the order of
    /// jieba's `cut_for_search`: for each word, the parts of a compound
    /// joined by `.`, `_` or `-`, its dictionary words of two characters,
    /// then of three, then (see `longer_parts`) of four or more, and the
    /// word itself.
    #[inline(always)]
    fn search_terms(
        &self,
        text: &[u8],
        words: &[Token<'_>],
        memo: &mut GramMemo,
        mut emit: impl FnMut(&str, usize, usize),
    ) {
        for t in words {
            let chars = t.end - t.start;
            // Most words are 3-byte characters only (ideographs): no
            // connectors, and a character every 3 bytes. Two characters in 6
            // bytes have no ASCII, so no connector either. From three on, a
            // mix of ASCII and 4-byte characters can also average 3 bytes a
            // character, which `ideograph_parts` checks for.
            if t.word.len() == 3 * chars {
                if chars > 2 && !self.ideograph_parts(text, t, chars, memo, &mut emit) {
                    self.mixed_parts(text, t, chars, memo, &mut emit);
                }
            } else if chars > 1 {
                self.mixed_parts(text, t, chars, memo, &mut emit);
            }
            self.search_word(text, t.word, t.byte_start, memo, &mut emit);
        }
    }

    /// The dictionary words of two and three characters inside a word of
    /// `chars` 3-byte characters (2 < `chars`), or `false` (and nothing
    /// emitted) if its characters are not all 3-byte ones.
    #[inline(always)]
    fn ideograph_parts(
        &self,
        text: &[u8],
        t: &Token<'_>,
        chars: usize,
        memo: &mut GramMemo,
        emit: &mut impl FnMut(&str, usize, usize),
    ) -> bool {
        let word = t.word.as_bytes();
        // A 3-byte lead byte every 3 bytes: every 3i is a character boundary.
        if chars > MAX_CHARS || word.iter().step_by(3).any(|b| b & 0xF0 != 0xE0) {
            return false;
        }
        let term = |from: usize, len: usize| self.is_term_word(&t.word[from..from + len]);
        // Two-character words are emitted as found; three-character ones
        // are noted and emitted after them, in jieba's order.
        let mut threes = 0u64;
        for i in 0..chars - 1 {
            let at = t.byte_start + 3 * i;
            let lo = gram_memo::load8(text, at);
            if memo.ideographs(gram_memo::two_ideographs(lo), || term(3 * i, 6)) {
                emit(&t.word[3 * i..3 * i + 6], at, at + 6);
            }
            if chars > 3 && i + 3 <= chars {
                let key = gram_memo::three_ideographs(lo, word[3 * i + 8]);
                if memo.ideographs(key, || term(3 * i, 9)) {
                    threes |= 1 << i;
                }
            }
        }
        while threes != 0 {
            let i = threes.trailing_zeros() as usize;
            threes &= threes - 1;
            let at = t.byte_start + 3 * i;
            emit(&t.word[3 * i..3 * i + 9], at, at + 9);
        }
        true
    }

    /// The connector parts and the dictionary words of two and three
    /// characters of a word that is not all 3-byte characters (Latin,
    /// digits, mixed text).
    #[inline(never)]
    fn mixed_parts(
        &self,
        text: &[u8],
        t: &Token<'_>,
        chars: usize,
        memo: &mut GramMemo,
        emit: &mut impl FnMut(&str, usize, usize),
    ) {
        let word = t.word;
        // jieba offers the parts of `WES-5.4.5` that could be searched on
        // their own: of two bytes or more, with a letter.
        if word.bytes().any(|b| matches!(b, b'.' | b'_' | b'-')) {
            let mut offset = 0;
            for part in word.split(['.', '_', '-']) {
                if part.len() >= 2 && part.bytes().any(|b| b.is_ascii_alphabetic()) {
                    self.search_word(text, part, t.byte_start + offset, memo, emit);
                }
                offset += part.len() + 1;
            }
        }
        if chars <= 2 {
            return;
        }
        let mut bounds = [0u16; MAX_CHARS + 1];
        if chars > MAX_CHARS || word.len() > usize::from(u16::MAX) {
            return self.slow_grams(word, t.byte_start, emit);
        }
        for (b, (i, _)) in bounds.iter_mut().zip(word.char_indices()) {
            *b = i as u16;
        }
        bounds[chars] = word.len() as u16;
        for len in [2, 3] {
            if chars <= len {
                continue;
            }
            for (&from, &to) in bounds[..=chars].iter().zip(&bounds[len..=chars]) {
                let (from, to) = (usize::from(from), usize::from(to));
                let gram = &word[from..to];
                let at = t.byte_start + from;
                // Grams are of at most 3 characters: 12 bytes.
                if memo.bytes(text, at, gram.len(), || self.is_term_word(gram)) {
                    emit(gram, at, at + gram.len());
                }
            }
        }
    }

    /// `mixed_parts`'s grams of a word too long for its tables (noise).
    #[cold]
    fn slow_grams(&self, word: &str, byte_start: usize, emit: &mut impl FnMut(&str, usize, usize)) {
        let bounds: Vec<usize> = word
            .char_indices()
            .map(|(i, _)| i)
            .chain([word.len()])
            .collect();
        let chars = bounds.len() - 1;
        for len in [2, 3] {
            if chars <= len {
                continue;
            }
            for (&from, &to) in bounds.iter().zip(&bounds[len..]) {
                let gram = &word[from..to];
                if self.is_term_word(gram) {
                    emit(gram, byte_start + from, byte_start + to);
                }
            }
        }
    }

    /// Whether `part` is a dictionary word and a term.
    #[inline(always)]
    fn is_term_word(&self, part: &str) -> bool {
        self.jieba.has_word(part) && self.is_term(part)
    }

    /// One word of search mode at byte `from` of `text`: its longer
    /// dictionary words, then the word, if they are terms.
    #[inline(always)]
    fn search_word(
        &self,
        text: &[u8],
        word: &str,
        from: usize,
        memo: &mut GramMemo,
        emit: &mut impl FnMut(&str, usize, usize),
    ) {
        if word.len() > LONGER_PARTS_FROM {
            self.longer_parts(text, word, from, memo, emit);
        }
        if self.is_term(word) {
            emit(word, from, from + word.len());
        }
    }

    /// jieba's search mode re-emits only the 2- and 3-character dictionary
    /// words inside a long word; the longer ones matter as much in technical
    /// text (燃料电池 inside 氢燃料电池, 工业互联网 inside 工业互联网平台).
    #[inline(never)]
    fn longer_parts(
        &self,
        text: &[u8],
        word: &str,
        byte_start: usize,
        memo: &mut GramMemo,
        emit: &mut impl FnMut(&str, usize, usize),
    ) {
        const MIN_PART: usize = 4;
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
                let at = byte_start + from;
                let term = if part.len() <= gram_memo::MAX_BYTES {
                    memo.bytes(text, at, part.len(), || self.is_term_word(part))
                } else {
                    self.is_term_word(part)
                };
                if term {
                    emit(part, at, byte_start + to);
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

    /// Search mode as it was defined before it was built from `cut`: jieba's
    /// `cut_for_search`, the dictionary words of four characters or more
    /// inside long words, and the term test, written plainly.
    fn reference_search_terms(a: &Analyzer, text: &str) -> Vec<(String, usize, usize)> {
        let norm = normalize(text);
        let mut out = Vec::new();
        for t in a.jieba.cut_for_search(&norm.text, true) {
            let bounds: Vec<usize> = t
                .word
                .char_indices()
                .map(|(i, _)| i)
                .chain([t.word.len()])
                .collect();
            let chars = bounds.len() - 1;
            let has_parts = t.word.len() > LONGER_PARTS_FROM
                && chars <= 64
                && bounds[..chars].iter().all(|&b| b <= 255);
            if has_parts {
                for len in 4..chars {
                    for (&from, &to) in bounds.iter().zip(&bounds[len..]) {
                        let part = &t.word[from..to];
                        if a.jieba.has_word(part) && a.is_term(part) {
                            out.push((part.to_owned(), t.byte_start + from, t.byte_start + to));
                        }
                    }
                }
            }
            if a.is_term(t.word) {
                out.push((t.word.to_owned(), t.byte_start, t.byte_end));
            }
        }
        out.into_iter()
            .map(|(w, from, to)| (w, norm.original_offset(from), norm.original_offset(to)))
            .collect()
    }

    /// The analyzer's search mode against the reference over random texts
    /// made of the cases that take different paths: ideographs, stop words,
    /// compounds with connectors, Latin and digits, full-width and
    /// traditional text, characters outside the BMP mixed with ASCII (which
    /// can add up to 3 bytes a character), long dictionary words, a Latin
    /// word of over 64 characters, line breaks and symbols.
    #[test]
    fn search_mode_from_cut_equals_cut_for_search() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "碳化硅",
            "功率器件",
            "的",
            "，",
            "。",
            "SiC",
            "ＭＯＳＦＥＴ",
            "燃料電池",
            "a",
            "𠀀",
            "𠀁",
            "1",
            "-",
            ".",
            "_",
            "WES-5.4.5",
            "\r\n",
            " ",
            "氢燃料电池汽车加氢站",
            "工业互联网平台",
            "䷀",
            "😀",
            "é",
            "現代煤化工",
            "2024年",
            "v2.0",
            "mos-fet",
            "大数据标注",
            "也就是说",
            "这些",
            "a𠀀𠀀",
            "x𠀀",
            "深紫外LED",
            "㐀",
            "豈",
            "——",
            "PEMFC",
            "c++",
            "50%",
            "通用航空器",
            "柔性显示屏幕",
            "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789ab",
        ];
        let a = Analyzer::shared();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut terms = 0;
        for _ in 0..3000 {
            let n = rng.random_range(1..=14);
            let text: String = (0..n)
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            let ours: Vec<(String, usize, usize)> = a
                .terms(&text, Mode::Search)
                .into_iter()
                .map(|t| (t.text, t.from, t.to))
                .collect();
            assert_eq!(ours, reference_search_terms(&a, &text), "{text:?}");
            terms += ours.len();
        }
        assert!(terms > 10_000, "{terms}");
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
