//! Re-ranking weights, read from a versioned TOML file.
//!
//! The shipped default is `index/ranking/weights-v1.toml`; `duijie train`
//! writes `weights-vN.toml` files into `<data>/ranking/`, and the highest
//! version found there is used instead.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const DEFAULT_TOML: &str = include_str!("../../index/ranking/weights-v1.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureWeights {
    pub text: f32,
    pub focus: f32,
    pub bigram: f32,
    pub field: f32,
    pub cooperation: f32,
    pub maturity: f32,
    pub tier: f32,
    /// Cosine of the two records' sentence embeddings (see `semantic`),
    /// as a z-score among all records of the kind ranked.
    #[serde(default)]
    pub semantic: f32,
}

/// Number of re-ranking features.
pub const FEATURES: usize = 8;

impl FeatureWeights {
    /// `(name, weight)` in a fixed order, for explanations and training.
    pub fn named(&self) -> [(&'static str, f32); FEATURES] {
        [
            ("text", self.text),
            ("focus", self.focus),
            ("bigram", self.bigram),
            ("field", self.field),
            ("cooperation", self.cooperation),
            ("maturity", self.maturity),
            ("tier", self.tier),
            ("semantic", self.semantic),
        ]
    }

    pub fn from_vec(v: &[f32; FEATURES]) -> Self {
        Self {
            text: v[0],
            focus: v[1],
            bigram: v[2],
            field: v[3],
            cooperation: v[4],
            maturity: v[5],
            tier: v[6],
            semantic: v[7],
        }
    }
}

/// Stage-1 query construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryWeights {
    pub title: f32,
    pub keywords: f32,
    pub description: f32,
    /// Query terms taken from a need at most (the most distinctive ones).
    pub max_terms: usize,
    /// Weight of synonym expansions relative to a keyword term.
    pub synonyms: f32,
    /// Terms added by pseudo-relevance feedback (0 turns it off) and their weight.
    pub feedback_terms: usize,
    pub feedback_weight: f32,
    /// Candidates the feedback terms are taken from.
    pub feedback_docs: usize,
    /// Stage 2's text feature is (BM25 / best BM25)^text_power: below 1,
    /// candidates a little behind the best lexical match keep more of their
    /// score, so field and cooperation fit can lift them.
    #[serde(default = "one")]
    pub text_power: f32,
    /// When > 0: a first pass with only this many most distinctive terms
    /// collects `pool` candidates, and the full query (with feedback) is
    /// scored on that pool only. Keeps matching fast on large indexes.
    #[serde(default)]
    pub first_pass_terms: usize,
    #[serde(default = "default_pool")]
    pub pool: usize,
    /// Nearest records by embedding added to the lexical candidates (0:
    /// none), when the semantic model is in use.
    #[serde(default)]
    pub semantic_candidates: usize,
    /// The semantic feature is the cosine's z-score divided by this,
    /// clamped to [0, 1].
    #[serde(default = "default_semantic_scale")]
    pub semantic_scale: f32,
    /// How much of a record's hubness (its mean cosine with its nearest
    /// records of the other kind, `semantic::vectors::Hubness`) is taken off
    /// its cosine before the z-score (0: none).
    #[serde(default)]
    pub semantic_hubness: f32,
    /// Semantic pseudo-relevance feedback: the profile's vector is moved
    /// towards the mean vector of this many best-ranked records (0: off) by
    /// `semantic_feedback_weight`, and the semantic feature recomputed with
    /// the moved vector.
    #[serde(default)]
    pub semantic_feedback_docs: usize,
    #[serde(default)]
    pub semantic_feedback_weight: f32,
}

fn default_semantic_scale() -> f32 {
    3.0
}

fn one() -> f32 {
    1.0
}

fn default_pool() -> usize {
    300
}

impl Default for QueryWeights {
    fn default() -> Self {
        QueryWeights {
            title: 3.0,
            keywords: 2.5,
            description: 1.0,
            max_terms: 48,
            synonyms: 2.5,
            feedback_terms: 0,
            feedback_weight: 0.0,
            feedback_docs: 3,
            text_power: 1.0,
            first_pass_terms: 0,
            pool: default_pool(),
            semantic_candidates: 0,
            semantic_scale: default_semantic_scale(),
            semantic_hubness: 0.0,
            semantic_feedback_docs: 0,
            semantic_feedback_weight: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// Capabilities with fewer characters of title and description have
    /// their score scaled down in proportion.
    pub min_profile_chars: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub version: String,
    pub weights: FeatureWeights,
    pub tier_prior: BTreeMap<String, f32>,
    pub rules: Rules,
    #[serde(default)]
    pub query: QueryWeights,
}

impl Weights {
    pub fn builtin() -> anyhow::Result<Weights> {
        Ok(toml::from_str(DEFAULT_TOML)?)
    }

    /// The newest trained version in `<data>/ranking/`, else the shipped one.
    pub fn load(data_dir: &Path) -> anyhow::Result<Weights> {
        let dir = data_dir.join("ranking");
        let mut best: Option<(u32, std::path::PathBuf)> = None;
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name
                    .strip_prefix("weights-v")
                    .and_then(|r| r.strip_suffix(".toml"))
                    .and_then(|n| n.parse::<u32>().ok());
                if let Some(n) = n
                    && best.as_ref().is_none_or(|(b, _)| n > *b)
                {
                    best = Some((n, e.path()));
                }
            }
        }
        match best {
            Some((_, path)) => Ok(toml::from_str(&std::fs::read_to_string(path)?)?),
            None => Self::builtin(),
        }
    }

    pub fn tier(&self, tier: Option<&str>) -> f32 {
        tier.and_then(|t| self.tier_prior.get(t).copied())
            .unwrap_or(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_parse() {
        let w = Weights::builtin();
        assert!(w.is_ok_and(|w| w.version == "v1" && w.weights.text > 0.0));
    }
}
