//! Learning re-ranking weights from staff decisions.
//!
//! Each confirmed match of a need is paired with each rejected match of the
//! same need; a pairwise logistic model (RankNet-style, linear in the
//! features) is fitted by gradient descent, pulled towards the current weights
//! by an L2 term so that a handful of decisions nudges rather than overturns
//! them. With fewer than [`MIN_PAIRS`] pairs nothing is learned and the
//! weights stay as they are.

use super::ranker::{MatchOptions, Matcher, Profile};
use super::weights::{FEATURES, FeatureWeights, Weights};
use crate::search::store::SearchIndex;
use crate::storage::repo::matches::Decision;

/// Decision pairs needed before the weights move at all.
pub const MIN_PAIRS: usize = 10;
const ITERATIONS: usize = 400;
const LEARNING_RATE: f32 = 0.5;
/// Pull towards the current weights.
const L2: f32 = 0.05;

#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub weights: FeatureWeights,
    pub pairs: usize,
    /// Decisions whose capability was not among the need's candidates.
    pub skipped: usize,
    /// Mean pairwise loss before and after.
    pub loss_before: f32,
    pub loss_after: f32,
}

fn feature_vector(r: &super::ranker::Ranked) -> [f32; FEATURES] {
    let mut v = [0.0; FEATURES];
    for (i, c) in r.contributions.iter().take(FEATURES).enumerate() {
        v[i] = c.value;
    }
    v
}

fn dot(w: &[f32; FEATURES], x: &[f32; FEATURES]) -> f32 {
    w.iter().zip(x).map(|(a, b)| a * b).sum()
}

fn weights_vec(w: &FeatureWeights) -> [f32; FEATURES] {
    let named = w.named();
    let mut v = [0.0; FEATURES];
    for (i, (_, x)) in named.iter().enumerate() {
        v[i] = *x;
    }
    v
}

fn mean_loss(w: &[f32; FEATURES], diffs: &[[f32; FEATURES]]) -> f32 {
    if diffs.is_empty() {
        return 0.0;
    }
    diffs
        .iter()
        .map(|d| (1.0 + (-dot(w, d)).exp()).ln())
        .sum::<f32>()
        / diffs.len() as f32
}

/// Fits new weights from `decisions` (features computed with `current`).
/// Blocking: run it off the async runtime.
pub fn fit(
    matcher: &Matcher<'_>,
    index: &SearchIndex,
    needs: &[Profile],
    decisions: &[Decision],
    current: &Weights,
) -> anyhow::Result<Fit> {
    let opts = MatchOptions {
        top: 1000,
        candidates: 1000,
        all_features: true,
        ..MatchOptions::default()
    };
    let mut diffs: Vec<[f32; FEATURES]> = Vec::new();
    let mut skipped = 0;
    for need in needs {
        let mine: Vec<&Decision> = decisions.iter().filter(|d| d.need == need.id).collect();
        if mine.is_empty() {
            continue;
        }
        let ranked = matcher.rank_capabilities(index, need, &opts)?;
        let features = |cap: &str| {
            ranked
                .iter()
                .find(|r| r.capability.id == cap)
                .map(feature_vector)
        };
        let mut pos = Vec::new();
        let mut neg = Vec::new();
        for d in mine {
            match features(&d.capability) {
                Some(x) if d.confirmed => pos.push(x),
                Some(x) => neg.push(x),
                None => skipped += 1,
            }
        }
        for p in &pos {
            for n in &neg {
                let mut d = [0.0; FEATURES];
                for i in 0..FEATURES {
                    d[i] = p[i] - n[i];
                }
                diffs.push(d);
            }
        }
    }
    let w0 = weights_vec(&current.weights);
    let loss_before = mean_loss(&w0, &diffs);
    if diffs.len() < MIN_PAIRS {
        return Ok(Fit {
            weights: current.weights.clone(),
            pairs: diffs.len(),
            skipped,
            loss_before,
            loss_after: loss_before,
        });
    }
    let mut w = w0;
    for _ in 0..ITERATIONS {
        let mut grad = [0.0f32; FEATURES];
        for d in &diffs {
            // d/dw log(1 + e^{-w·d}) = -d · σ(-w·d)
            let s = 1.0 / (1.0 + dot(&w, d).exp());
            for i in 0..FEATURES {
                grad[i] -= d[i] * s;
            }
        }
        for i in 0..FEATURES {
            grad[i] = grad[i] / diffs.len() as f32 + 2.0 * L2 * (w[i] - w0[i]);
            // Weights stay non-negative: every feature is meant as evidence for a match.
            w[i] = (w[i] - LEARNING_RATE * grad[i]).max(0.0);
        }
    }
    Ok(Fit {
        weights: FeatureWeights::from_vec(&w),
        pairs: diffs.len(),
        skipped,
        loss_before,
        loss_after: mean_loss(&w, &diffs),
    })
}

/// Writes `weights` as the next version in `<data>/ranking/`; returns its path.
pub fn save_next_version(
    data_dir: &std::path::Path,
    mut weights: Weights,
) -> anyhow::Result<std::path::PathBuf> {
    let dir = data_dir.join("ranking");
    std::fs::create_dir_all(&dir)?;
    let mut next = 2;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = name
                .strip_prefix("weights-v")
                .and_then(|r| r.strip_suffix(".toml"))
                .and_then(|n| n.parse::<u32>().ok())
            {
                next = next.max(n + 1);
            }
        }
    }
    weights.version = format!("v{next}");
    let path = dir.join(format!("weights-v{next}.toml"));
    let text = format!(
        "# Trained by `duijie train` on {} from staff decisions.\n{}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        toml::to_string(&weights)?
    );
    let tmp = dir.join(format!(".weights-v{next}.toml.partial"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}
