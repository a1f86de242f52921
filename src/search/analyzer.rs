//! The Chinese analyzer: normalization, jieba segmentation with the domain
//! dictionary, and stop-word removal, shared by indexing, queries, snippets
//! and match explanations so that all of them see the same terms.
//!
//! Indexing uses jieba's search mode: a long word is emitted whole and also as
//! its dictionary sub-words (碳化硅功率器件 → 碳化硅, 功率, 器件, …), so a query
//! for a part still finds the whole. Offsets are byte offsets into the text as
//! given (before normalization).

use super::assets;
use super::normalize::normalize;
use jieba_rs::Jieba;
use rustc_hash::FxHashSet;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

/// Tokens longer than this are noise (base64, hashes) and would bloat the
/// term dictionary.
const MAX_TOKEN_BYTES: usize = 60;

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
    /// Hashed with Fx: looked up once per token on the indexing hot path.
    stop_words: FxHashSet<String>,
    /// Longest stop word in bytes: longer tokens skip the lookup.
    stop_max_len: usize,
    /// Bit per first character (below U+10000) that some stop word starts
    /// with: most technical terms start with none of them and skip hashing.
    stop_first: Vec<u64>,
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
        let stop_words: FxHashSet<String> = assets::stop_words()
            .map(|w| normalize(w).text.into_owned())
            .collect();
        let stop_max_len = stop_words.iter().map(String::len).max().unwrap_or(0);
        let mut stop_first = vec![0u64; 0x10000 / 64];
        for w in &stop_words {
            match w.chars().next().map(u32::from) {
                Some(cp) if cp < 0x10000 => stop_first[cp as usize >> 6] |= 1 << (cp & 63),
                // A stop word outside the table: every token is looked up.
                Some(_) => stop_first.iter_mut().for_each(|b| *b = u64::MAX),
                None => {}
            }
        }
        Analyzer {
            jieba,
            stop_words,
            stop_max_len,
            stop_first,
        }
    }

    pub fn is_stop_word(&self, normalized: &str) -> bool {
        self.stop_words.contains(normalized)
    }

    /// `is_stop_word` for the indexing hot path: length and first-character
    /// checks before hashing.
    fn is_stop_token(&self, word: &str) -> bool {
        if word.len() > self.stop_max_len {
            return false;
        }
        let Some(cp) = word.chars().next().map(u32::from) else {
            return false;
        };
        let candidate = cp >= 0x10000 || self.stop_first[cp as usize >> 6] & (1 << (cp & 63)) != 0;
        candidate && self.stop_words.contains(word)
    }

    /// Calls `emit(term_text, from, to)` for every indexable term of `text`.
    pub fn for_each_term(&self, text: &str, mode: Mode, mut emit: impl FnMut(&str, usize, usize)) {
        let normalized = normalize(text);
        let norm = normalized.text.as_ref();
        let tokens = match mode {
            Mode::Search => self.jieba.cut_for_search(norm, true),
            Mode::Words => self.jieba.cut(norm, true),
        };
        let mut keep = |word: &str, from: usize, to: usize| {
            if word.len() <= MAX_TOKEN_BYTES
                && word.chars().any(is_word_char)
                && !self.is_stop_token(word)
            {
                emit(
                    word,
                    normalized.original_offset(from),
                    normalized.original_offset(to),
                );
            }
        };
        for t in tokens {
            if mode == Mode::Search {
                self.longer_parts(t.word, t.byte_start, &mut keep);
            }
            keep(t.word, t.byte_start, t.byte_end);
        }
    }

    /// jieba's search mode re-emits only the 2- and 3-character dictionary
    /// words inside a long word; the longer ones matter as much in technical
    /// text (燃料电池 inside 氢燃料电池, 工业互联网 inside 工业互联网平台).
    fn longer_parts(
        &self,
        word: &str,
        byte_start: usize,
        keep: &mut impl FnMut(&str, usize, usize),
    ) {
        const MIN_PART: usize = 4;
        // A word of at most 12 bytes has at most four CJK characters: no
        // longer parts (and no allocation for the common short word).
        if word.len() <= MIN_PART * 3 {
            return;
        }
        let starts: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
        let n = starts.len();
        if n <= MIN_PART {
            return;
        }
        let at = |k: usize| if k == n { word.len() } else { starts[k] };
        for len in MIN_PART..n {
            for i in 0..=n - len {
                let part = &word[at(i)..at(i + len)];
                if self.jieba.has_word(part) {
                    keep(part, byte_start + at(i), byte_start + at(i + len));
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
