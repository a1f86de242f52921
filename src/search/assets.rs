//! Search assets, versioned in `index/` and compiled in so that a binary and
//! its index always agree on them.

use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::LazyLock;

const USER_DICT: &str = include_str!("../../index/user_dict.txt");
const STOP_WORDS: &str = include_str!("../../index/stopwords.txt");
const SYNONYMS: &str = include_str!("../../index/synonyms.txt");
const AMBIGUOUS: &str = include_str!("../../index/ambiguous.txt");

fn content_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// `(word, frequency, part-of-speech tag)` of the domain dictionary.
pub fn user_dictionary() -> impl Iterator<Item = (&'static str, usize, Option<&'static str>)> {
    content_lines(USER_DICT).filter_map(|line| {
        let mut parts = line.split_whitespace();
        let word = parts.next()?;
        let freq = parts.next().and_then(|f| f.parse().ok()).unwrap_or(20_000);
        Some((word, freq, parts.next()))
    })
}

pub fn stop_words() -> impl Iterator<Item = &'static str> {
    content_lines(STOP_WORDS)
}

/// Synonym groups; the first form of a group is its canonical one.
pub fn synonym_groups() -> impl Iterator<Item = Vec<&'static str>> {
    content_lines(SYNONYMS).map(|l| {
        l.split([',', '，'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// Abbreviations with other common meanings (SCR is also a thyristor).
pub fn ambiguous_forms() -> impl Iterator<Item = &'static str> {
    content_lines(AMBIGUOUS).filter_map(|l| l.split('\t').next().map(str::trim))
}

/// Normalized words of the domain dictionary and the synonym groups.
static DOMAIN_TERMS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    user_dictionary()
        .map(|(w, _, _)| w)
        .chain(synonym_groups().flatten())
        .map(|w| super::normalize::normalize(w).text.into_owned())
        .collect()
});

/// Whether an analyzer term (normalized) is a technology term duijie knows:
/// a word of the domain dictionary or of a synonym group.
pub fn is_domain_term(term: &str) -> bool {
    DOMAIN_TERMS.contains(term)
}

/// A fingerprint of everything that decides how text becomes index terms and
/// of the index schema: when it changes, an existing index is rebuilt.
pub fn fingerprint(schema_source: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        schema_source,
        include_str!("analyzer.rs"),
        include_str!("gram_memo.rs"),
        include_str!("normalize.rs"),
        include_str!("stop_words.rs"),
        include_str!("char_bits.rs"),
        include_str!("tokenizer.rs"),
        include_str!("document.rs"),
        USER_DICT,
        STOP_WORDS,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
