//! `duijie eval DIR`: ranking quality on a judged corpus (qrels.tsv), in a
//! temporary database and index that nothing else touches.
//!
//! nDCG@10 uses gain 2^grade − 1 with unjudged results counted as 0; the ideal
//! ordering is taken from every judgment of the need. recall@20 and MRR count
//! grade ≥ 1 as relevant.

use super::ranker::{MatchOptions, Matcher, Profile};
use super::weights::Weights;
use crate::interchange::import;
use crate::search::analyzer::Analyzer;
use crate::search::indexer;
use crate::search::store::SearchIndex;
use crate::semantic::{Model, VectorCache, Vectors};
use crate::startup;
use crate::storage::entities::need;
use anyhow::Context;
use sea_orm::{EntityTrait, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize)]
pub struct NeedScore {
    pub need: String,
    pub title: String,
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    #[serde(rename = "recall@20")]
    pub recall20: f64,
    pub rr: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    #[serde(rename = "recall@20")]
    pub recall20: f64,
    pub mrr: f64,
    pub needs: usize,
    pub weights: String,
    /// The sentence-embedding model used, if any.
    pub semantic: Option<String>,
    /// Median time to rank one need (milliseconds).
    pub rank_ms_p50: f64,
    pub worst: Vec<NeedScore>,
    /// Every need's scores, in id order.
    pub per_need: Vec<NeedScore>,
}

pub type Qrels = HashMap<String, HashMap<String, u8>>;

pub fn read_qrels(path: &Path) -> anyhow::Result<Qrels> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut q: Qrels = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split('\t').collect();
        let [n, c, g] = parts.as_slice() else {
            anyhow::bail!(
                "{}:{}: expected need_id<TAB>capability_id<TAB>grade",
                path.display(),
                i + 1
            );
        };
        let g: u8 = g
            .trim()
            .parse()
            .with_context(|| format!("{}:{}: bad grade", path.display(), i + 1))?;
        q.entry((*n).to_owned())
            .or_default()
            .insert((*c).to_owned(), g);
    }
    Ok(q)
}

/// nDCG@k of a ranking against graded judgments.
pub fn ndcg_at(ranking: &[String], judged: &HashMap<String, u8>, k: usize) -> f64 {
    let gain = |g: u8| 2f64.powi(i32::from(g)) - 1.0;
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| gain(judged.get(id).copied().unwrap_or(0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u8> = judged.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| gain(*g) / ((i + 2) as f64).log2())
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

pub fn recall_at(ranking: &[String], judged: &HashMap<String, u8>, k: usize) -> f64 {
    let relevant = judged.values().filter(|g| **g >= 1).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|id| judged.get(*id).is_some_and(|g| *g >= 1))
        .count();
    found as f64 / relevant as f64
}

pub fn reciprocal_rank(ranking: &[String], judged: &HashMap<String, u8>) -> f64 {
    ranking
        .iter()
        .position(|id| judged.get(id).is_some_and(|g| *g >= 1))
        .map_or(0.0, |p| 1.0 / (p + 1) as f64)
}

/// The configured model with vectors for every record of `index`, computed
/// in memory (eval touches nothing persistent), or cached by text in the
/// file `DUIJIE_VECTOR_CACHE` names: vectors are a pure function of model
/// and text, so repeated evaluations then skip the ~0.1 s a record.
fn semantic_vectors(
    index: &SearchIndex,
    model: Option<Arc<Model>>,
) -> anyhow::Result<Option<Vectors>> {
    let Some(model) = model else {
        return Ok(None);
    };
    let cache = match std::env::var_os("DUIJIE_VECTOR_CACHE").filter(|p| !p.is_empty()) {
        Some(p) => VectorCache::open(Path::new(&p), model.dim())?,
        None => VectorCache::in_memory(model.dim()),
    };
    let vectors = Vectors::new(model, cache);
    let (before, started) = (vectors.cached(), std::time::Instant::now());
    vectors.refresh(index, usize::MAX)?;
    let embedded = vectors.cached() - before;
    if embedded > 0 {
        let s = started.elapsed().as_secs_f64();
        eprintln!(
            "语义向量 / vectors: {embedded} embedded in {s:.1} s ({:.0} ms each)",
            s * 1000.0 / embedded as f64
        );
    }
    Ok(Some(vectors))
}

/// Loads `dir` into a temporary database and index and ranks every judged need.
pub async fn eval_dir(
    dir: &Path,
    weights: &Weights,
    model: Option<Arc<Model>>,
) -> anyhow::Result<EvalReport> {
    let qrels = read_qrels(&dir.join("qrels.tsv"))?;
    let tmp = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", tmp.path().join("eval.db").display());
    let (db, taxonomy) = startup::open_database(&url).await?;
    let report = import::import_dir(&db, &taxonomy, dir, import::Options::default()).await?;
    anyhow::ensure!(
        report.rejected() == 0,
        "the corpus has rejected lines: {:?}",
        report.rejections
    );
    let root = tmp.path().join("index");
    let build = indexer::rebuild(&db, &root, false).await?.build;
    let index = SearchIndex::open(&root, &build)?;
    let needs = need::Entity::find()
        .order_by_asc(need::Column::Id)
        .all(&db)
        .await?;
    db.close().await.ok();

    let vectors = semantic_vectors(&index, model)?;
    let analyzer = Analyzer::shared();
    let matcher = Matcher {
        analyzer: &analyzer,
        taxonomy: &taxonomy,
        weights,
        vectors: vectors.as_ref(),
    };
    let opts = MatchOptions {
        top: 20,
        ..MatchOptions::default()
    };
    let mut per_need = Vec::new();
    let mut rank_ms = Vec::new();
    for n in &needs {
        let Some(judged) = qrels.get(&n.external_id) else {
            continue;
        };
        let started = std::time::Instant::now();
        let ranked = matcher.rank_capabilities(&index, &Profile::from_model(n), &opts)?;
        rank_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let ids: Vec<String> = ranked.into_iter().map(|r| r.capability.id).collect();
        per_need.push(NeedScore {
            need: n.external_id.clone(),
            title: n.title.clone(),
            ndcg10: ndcg_at(&ids, judged, 10),
            recall20: recall_at(&ids, judged, 20),
            rr: reciprocal_rank(&ids, judged),
        });
    }
    let count = per_need.len().max(1) as f64;
    let mean = |f: fn(&NeedScore) -> f64| per_need.iter().map(f).sum::<f64>() / count;
    let mut worst = per_need.clone();
    worst.sort_by(|a, b| a.ndcg10.total_cmp(&b.ndcg10));
    worst.truncate(5);
    Ok(EvalReport {
        ndcg10: mean(|s| s.ndcg10),
        recall20: mean(|s| s.recall20),
        mrr: mean(|s| s.rr),
        needs: per_need.len(),
        weights: weights.version.clone(),
        semantic: vectors.as_ref().map(|v| v.model.id().to_owned()),
        rank_ms_p50: {
            rank_ms.sort_by(f64::total_cmp);
            rank_ms.get(rank_ms.len() / 2).copied().unwrap_or(0.0)
        },
        worst,
        per_need,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u8)]) -> HashMap<String, u8> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_perfect_ranking_has_ndcg_one() {
        let j = judged(&[("a", 3), ("b", 2), ("c", 0)]);
        assert!((ndcg_at(&ids(&["a", "b", "c"]), &j, 10) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn ndcg_matches_a_hand_computed_value() {
        // Ranking b, x, a with a=3, b=1: DCG = 1/log2(2) + 0 + 7/log2(4) = 1 + 3.5 = 4.5;
        // IDCG = 7/1 + 1/log2(3) = 7.6309; nDCG = 0.58971.
        let j = judged(&[("a", 3), ("b", 1)]);
        let v = ndcg_at(&ids(&["b", "x", "a"]), &j, 10);
        assert!((v - 4.5 / (7.0 + 1.0 / 3f64.log2())).abs() < 1e-9, "{v}");
    }

    #[test]
    fn recall_and_reciprocal_rank_count_grade_one_and_up() {
        let j = judged(&[("a", 1), ("b", 0), ("c", 2)]);
        assert_eq!(recall_at(&ids(&["b", "c"]), &j, 20), 0.5);
        assert_eq!(reciprocal_rank(&ids(&["b", "c"]), &j), 0.5);
    }
}
