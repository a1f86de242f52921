//! The analyzer as a tantivy tokenizer, registered under [`TOKENIZER`] by the
//! one function that opens an index (tokenizers are not stored in the index).

use super::analyzer::{Analyzer, Mode};
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const TOKENIZER: &str = "duijie_zh";

#[derive(Clone)]
pub struct ChineseTokenizer {
    analyzer: Arc<Analyzer>,
    /// Reused between documents: (from, to, start of the text in `texts`, len).
    spans: Vec<(usize, usize, usize, usize)>,
    texts: String,
}

impl ChineseTokenizer {
    pub fn new(analyzer: Arc<Analyzer>) -> Self {
        Self {
            analyzer,
            spans: Vec::new(),
            texts: String::new(),
        }
    }
}

pub struct ChineseTokenStream<'a> {
    spans: &'a [(usize, usize, usize, usize)],
    texts: &'a str,
    next: usize,
    token: Token,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream<'a> {
        self.spans.clear();
        self.texts.clear();
        let (spans, texts) = (&mut self.spans, &mut self.texts);
        self.analyzer
            .for_each_term(text, Mode::Search, |w, from, to| {
                spans.push((from, to, texts.len(), w.len()));
                texts.push_str(w);
            });
        ChineseTokenStream {
            spans: &self.spans,
            texts: &self.texts,
            next: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for ChineseTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(&(from, to, start, len)) = self.spans.get(self.next) else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&self.texts[start..start + len]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        // Ordinal positions: search mode emits overlapping sub-words, so
        // positions only order terms; no phrase queries are built on them.
        self.token.position = self.next;
        self.token.position_length = 1;
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}
