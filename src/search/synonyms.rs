//! Synonyms and abbreviations (`index/synonyms.txt`), applied to queries so
//! that either form finds the other: SiC finds 碳化硅 and 碳化硅 finds SiC.
//!
//! Expansions are added as extra, weaker alternatives beside the literal
//! terms, never in their place. An abbreviation with other common meanings
//! (`index/ambiguous.txt`: SCR is also a thyristor) expands with an even lower
//! weight, so a text that says what the query literally says still ranks first.

use super::assets;
use super::normalize::normalize;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashSet;
use std::sync::LazyLock;

/// Weight of an expansion relative to the literal query terms.
pub const EXPANSION_WEIGHT: f32 = 0.6;
/// Weight when the matched form or the expansion is an ambiguous abbreviation.
pub const AMBIGUOUS_WEIGHT: f32 = 0.25;

pub struct Synonyms {
    /// Normalized forms, for the matcher; `form_group[i]` is the group of form i.
    forms: Vec<String>,
    form_group: Vec<usize>,
    groups: Vec<Vec<String>>,
    ambiguous: HashSet<String>,
    matcher: Option<AhoCorasick>,
}

/// One expansion of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// The form found in the query.
    pub matched: String,
    /// The form to add.
    pub form: String,
    pub weight: f32,
}

static SHARED: LazyLock<Synonyms> =
    LazyLock::new(|| Synonyms::new(assets::synonym_groups(), assets::ambiguous_forms()));

impl Synonyms {
    pub fn shared() -> &'static Synonyms {
        &SHARED
    }

    pub fn new<'a>(
        groups: impl Iterator<Item = Vec<&'a str>>,
        ambiguous: impl Iterator<Item = &'a str>,
    ) -> Synonyms {
        let mut forms = Vec::new();
        let mut form_group = Vec::new();
        let mut all_groups = Vec::new();
        for g in groups {
            let normalized: Vec<String> = g
                .iter()
                .map(|f| normalize(f).text.into_owned())
                .filter(|f| !f.is_empty())
                .collect();
            if normalized.len() < 2 {
                continue;
            }
            for f in &normalized {
                forms.push(f.clone());
                form_group.push(all_groups.len());
            }
            all_groups.push(normalized);
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&forms)
            .ok();
        Synonyms {
            forms,
            form_group,
            groups: all_groups,
            ambiguous: ambiguous.map(|a| normalize(a).text.into_owned()).collect(),
            matcher,
        }
    }

    /// Expansions for a query text: for each synonym form found in it (Latin
    /// forms only as whole words), the other forms of its group.
    pub fn expand(&self, query: &str) -> Vec<Expansion> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let q = normalize(query);
        let text = q.text.as_ref();
        let bytes = text.as_bytes();
        let mut out: Vec<Expansion> = Vec::new();
        for m in matcher.find_iter(text) {
            let form = &self.forms[m.pattern().as_usize()];
            let is_word_char = |b: u8| b.is_ascii_alphanumeric();
            let latin = form
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric());
            if latin {
                let before = m.start().checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(m.end()).copied();
                if before.is_some_and(is_word_char) || after.is_some_and(is_word_char) {
                    continue;
                }
            }
            let group = &self.groups[self.form_group[m.pattern().as_usize()]];
            for other in group.iter().filter(|o| *o != form) {
                let weight = if self.ambiguous.contains(form) || self.ambiguous.contains(other) {
                    AMBIGUOUS_WEIGHT
                } else {
                    EXPANSION_WEIGHT
                };
                if !out.iter().any(|e| &e.form == other) {
                    out.push(Expansion {
                        matched: form.clone(),
                        form: other.clone(),
                        weight,
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Synonyms {
        Synonyms::new(
            [
                vec!["碳化硅", "SiC"],
                vec!["选择性催化还原", "SCR"],
                vec!["制造执行系统", "MES"],
            ]
            .into_iter(),
            ["SCR"].into_iter(),
        )
    }

    #[test]
    fn an_abbreviation_expands_to_its_full_form_and_back() {
        let s = sample();
        let e = s.expand("SiC 外延");
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].form.as_str(), e[0].weight),
            ("碳化硅", EXPANSION_WEIGHT)
        );
        let e = s.expand("碳化硅衬底");
        assert_eq!(e[0].form, "sic");
    }

    #[test]
    fn latin_forms_match_only_as_whole_words() {
        let s = sample();
        assert!(s.expand("basic research").is_empty(), "sic inside basic");
        assert!(s.expand("MESH网络").is_empty(), "mes inside mesh");
        assert_eq!(
            s.expand("MES系统").len(),
            1,
            "Chinese next to Latin is a boundary"
        );
    }

    #[test]
    fn ambiguous_abbreviations_expand_weakly() {
        let s = sample();
        let e = s.expand("SCR 脱硝");
        assert_eq!(e[0].weight, AMBIGUOUS_WEIGHT);
        let e = s.expand("选择性催化还原");
        assert_eq!((e[0].form.as_str(), e[0].weight), ("scr", AMBIGUOUS_WEIGHT));
    }
}
