//! Text statistics the matcher needs: weighted need terms, inverse document
//! frequencies from the capability index, and character bigrams.

use crate::search::analyzer::{Analyzer, Mode};
use std::collections::{HashMap, HashSet};
use tantivy::{Searcher, Term};

/// Where a term occurs in a record.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Title,
    Keywords,
    Description,
}

/// The texts of one side of a match.
#[derive(Debug, Clone)]
pub struct Texts<'a> {
    pub title: &'a str,
    pub keywords: &'a [String],
    pub description: &'a str,
}

/// Each distinct term of a record with the sections it occurs in and its
/// number of occurrences.
#[derive(Debug, Clone, Default)]
pub struct TermTable {
    pub terms: HashMap<String, (Vec<Section>, u32)>,
}

impl TermTable {
    pub fn build(analyzer: &Analyzer, t: &Texts<'_>) -> TermTable {
        let mut table = TermTable::default();
        let mut add = |section: Section, text: &str| {
            analyzer.for_each_term(text, Mode::Search, |w, _, _| {
                let e = table.terms.entry(w.to_owned()).or_default();
                if !e.0.contains(&section) {
                    e.0.push(section);
                }
                e.1 += 1;
            });
        };
        add(Section::Title, t.title);
        for k in t.keywords {
            add(Section::Keywords, k);
        }
        add(Section::Description, t.description);
        table
    }

    pub fn sections(&self, term: &str) -> &[Section] {
        self.terms.get(term).map_or(&[], |(s, _)| s.as_slice())
    }

    pub fn contains(&self, term: &str) -> bool {
        self.terms.contains_key(term)
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Inverse document frequency over the capability index (BM25's form).
pub struct Idf<'s> {
    searcher: &'s Searcher,
    field: tantivy::schema::Field,
    n: f32,
    cache: HashMap<String, f32>,
}

impl<'s> Idf<'s> {
    pub fn new(searcher: &'s Searcher, field: tantivy::schema::Field) -> Self {
        Idf {
            searcher,
            field,
            n: searcher.num_docs() as f32,
            cache: HashMap::new(),
        }
    }

    /// IDF of `term`; 0 for terms no capability contains.
    pub fn get(&mut self, term: &str) -> f32 {
        if let Some(v) = self.cache.get(term) {
            return *v;
        }
        let df = self
            .searcher
            .doc_freq(&Term::from_field_text(self.field, term))
            .unwrap_or(0) as f32;
        let v = if df == 0.0 {
            0.0
        } else {
            (1.0 + (self.n - df + 0.5) / (df + 0.5)).ln()
        };
        self.cache.insert(term.to_owned(), v);
        v
    }
}

/// Character bigrams of the letters, digits and ideographs of a text
/// (lower-cased), ignoring punctuation and spaces.
pub fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Dice coefficient of two bigram sets.
pub fn dice(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.intersection(b).count() as f32;
    2.0 * common / (a.len() + b.len()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_of_identical_texts_is_one_and_of_disjoint_texts_zero() {
        let a = bigrams("焦炉煤气精脱硫");
        assert!((dice(&a, &a) - 1.0).abs() < 1e-6);
        assert_eq!(dice(&a, &bigrams("光伏组件")), 0.0);
    }

    #[test]
    fn the_term_table_records_sections() {
        let a = Analyzer::shared();
        let kw = vec!["精脱硫".to_owned()];
        let t = TermTable::build(
            &a,
            &Texts {
                title: "焦炉煤气精脱硫",
                keywords: &kw,
                description: "脱硫剂寿命短",
            },
        );
        assert!(t.sections("精脱硫").contains(&Section::Title));
        assert!(t.sections("精脱硫").contains(&Section::Keywords));
        assert!(t.contains("脱硫剂") || t.contains("寿命"));
    }
}
