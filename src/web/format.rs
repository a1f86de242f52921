//! Small helpers that turn API values into what a reader expects: taxonomy
//! codes into Chinese names, timestamps into dates.

use crate::domain::Taxonomy;
use crate::domain::taxonomy::TermKind;
use std::sync::Arc;

/// Chinese names of taxonomy codes (the code itself when unknown).
#[derive(Clone)]
pub struct Names(pub Arc<Taxonomy>);

impl Names {
    fn name(&self, kind: TermKind, code: &str) -> String {
        self.0
            .get(kind, code)
            .map_or_else(|| code.to_owned(), |t| t.name_zh.clone())
    }
    pub fn field(&self, code: &str) -> String {
        self.name(TermKind::Field, code)
    }
    pub fn tier(&self, code: &str) -> String {
        self.name(TermKind::Tier, code)
    }
    pub fn cooperation(&self, code: &str) -> String {
        self.name(TermKind::Cooperation, code)
    }
    pub fn cooperation_list(&self, codes: &[String]) -> String {
        codes
            .iter()
            .map(|c| self.cooperation(c))
            .collect::<Vec<_>>()
            .join("、")
    }
    /// `(code, name)` pairs of one kind, for select boxes.
    pub fn options(&self, kind: TermKind) -> Vec<(String, String)> {
        self.0
            .terms(kind)
            .iter()
            .map(|t| (t.code.clone(), t.name_zh.clone()))
            .collect()
    }
}

/// `2026-11-26T08:00:00Z` → `2026-11-26`.
pub fn date(timestamp: &str) -> String {
    timestamp.chars().take(10).collect()
}

/// `2026-11-26T08:03:04.123Z` → `2026-11-26 08:03`.
pub fn minute(timestamp: &str) -> String {
    timestamp
        .chars()
        .take(16)
        .collect::<String>()
        .replace('T', " ")
}

/// At most `n` characters, with an ellipsis when cut.
pub fn clip(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if text.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_characters_not_bytes() {
        assert_eq!(clip("碳化硅衬底", 3), "碳化硅…");
        assert_eq!(clip("碳化硅", 3), "碳化硅");
        assert_eq!(minute("2026-11-26T08:03:04Z"), "2026-11-26 08:03");
    }
}
