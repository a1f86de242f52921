//! The Chinese analyzer (src/search/analyzer.rs) on arbitrary text, in both
//! modes, plus the tantivy tokenizer wrapping it (src/search/tokenizer.rs).
//!
//! Must never panic, and every term must point back into the input: byte
//! offsets within it, on char boundaries, `from <= to` (highlighting slices
//! the original text with them).
#![no_main]

use duijie::search::analyzer::{Analyzer, Mode};
use duijie::search::tokenizer::ChineseTokenizer;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};
use tantivy::tokenizer::{TokenStream, Tokenizer};

static ANALYZER: LazyLock<Arc<Analyzer>> = LazyLock::new(Analyzer::shared);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let a = &**ANALYZER;
    for mode in [Mode::Search, Mode::Words] {
        let mut n = 0usize;
        a.for_each_term(text, mode, |w, from, to| {
            check(text, w, from, to);
            n += 1;
        });
        let terms = a.terms(text, mode);
        assert_eq!(terms.len(), n, "terms() and for_each_term() disagree");
        for t in &terms {
            check(text, &t.text, t.from, t.to);
        }
        let distinct = a.distinct_terms(text, mode);
        assert!(distinct.len() <= terms.len());
        for d in &distinct {
            assert!(terms.iter().any(|t| &t.text == d));
        }
    }
    let mut tok = ChineseTokenizer::new(ANALYZER.clone());
    let mut stream = tok.token_stream(text);
    let mut position = 0usize;
    while stream.advance() {
        let t = stream.token();
        check(text, &t.text, t.offset_from, t.offset_to);
        assert_eq!(t.position, position);
        position += 1;
    }
});

fn check(text: &str, term: &str, from: usize, to: usize) {
    assert!(from <= to, "term {term:?}: from {from} > to {to} in {text:?}");
    assert!(to <= text.len(), "term {term:?}: to {to} past the end ({}) of {text:?}", text.len());
    assert!(
        text.is_char_boundary(from) && text.is_char_boundary(to),
        "term {term:?}: offsets {from}..{to} not on char boundaries of {text:?}"
    );
    assert!(!term.is_empty(), "empty term at {from}..{to} in {text:?}");
}
