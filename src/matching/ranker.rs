//! Ranking capabilities for a need, with the reasons for each rank.
//!
//! Stage 1 asks the capability index for candidates with a query built from
//! the whole need: its distinctive terms (by section and IDF) with weights,
//! plus synonym expansions. Stage 2 re-scores the candidates as a weighted sum
//! of features in [0, 1] (weights from a versioned file) and applies the
//! program's eligibility rules. Each result carries the matched terms with
//! where they occur on both sides, each feature's contribution to the score,
//! and the rules applied: the explanation is computed from the same numbers as
//! the score.

use super::text::{Idf, Section, TermTable, Texts, bigrams, dice};
use super::weights::Weights;
use crate::domain::access::Visibility;
use crate::domain::{Taxonomy, TermKind};
use crate::search::Kind;
use crate::search::analyzer::{Analyzer, Mode};
use crate::search::pool::score_pool;
use crate::search::store::SearchIndex;
use crate::search::synonyms::Synonyms;
use crate::search::visible::VisibleOnly;
use crate::semantic::vectors::Hubness;
use crate::semantic::{Snapshot, Vectors};
use crate::storage::entities::{capability, need};
use crate::storage::lists;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};
use utoipa::ToSchema;

/// The record a ranking is for: a need (ranking capabilities) or a
/// capability (ranking needs).
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub field: String,
    pub cooperation: Vec<String>,
}

impl Profile {
    pub fn from_capability(m: &capability::Model) -> Profile {
        Profile {
            id: m.external_id.clone(),
            title: m.title.clone(),
            description: m.description.clone(),
            keywords: lists::decode(&m.keywords),
            field: m.field.clone(),
            cooperation: lists::decode(&m.cooperation),
        }
    }

    pub fn from_model(m: &need::Model) -> Profile {
        Profile {
            id: m.external_id.clone(),
            title: m.title.clone(),
            description: m.description.clone(),
            keywords: lists::decode(&m.keywords),
            field: m.field.clone(),
            cooperation: lists::decode(&m.cooperation),
        }
    }

    fn texts(&self) -> Texts<'_> {
        Texts {
            title: &self.title,
            keywords: &self.keywords,
            description: &self.description,
        }
    }
}

/// A ranked record (capability or need) as read from the index.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    pub maturity: Option<u64>,
    pub org: String,
    pub org_name: String,
    pub tier: Option<String>,
    pub region: Option<String>,
    #[serde(skip)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contribution {
    pub feature: &'static str,
    /// The feature's value in [0, 1].
    pub value: f32,
    pub weight: f32,
    /// value × weight; the contributions add up to the score (before rules).
    pub contribution: f32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchedTerm {
    pub term: String,
    /// Where the term occurs in the need.
    pub need: Vec<Section>,
    /// Where it occurs in the capability.
    pub capability: Vec<Section>,
    /// Set when the capability has the term only through a synonym of the
    /// need's wording (the need's form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_synonym: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranked {
    #[serde(rename = "record")]
    pub capability: Candidate,
    pub score: f32,
    pub contributions: Vec<Contribution>,
    pub matched_terms: Vec<MatchedTerm>,
    /// Rules applied to this result (eligibility, guards), in words.
    pub rules: Vec<String>,
}

/// Program eligibility rules, applied as filters.
#[derive(Debug, Clone, Default)]
pub struct Eligibility {
    /// Only providers of these tiers (empty: any).
    pub tiers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct MatchOptions {
    pub top: usize,
    /// Compute every feature, also those with weight 0 (for training).
    pub all_features: bool,
    /// Candidates taken from stage 1.
    pub candidates: usize,
    pub eligibility: Eligibility,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            top: 20,
            all_features: false,
            candidates: 100,
            eligibility: Eligibility::default(),
        }
    }
}

pub struct Matcher<'a> {
    pub analyzer: &'a Analyzer,
    pub taxonomy: &'a Taxonomy,
    pub weights: &'a Weights,
    /// Sentence-embedding vectors, when the semantic model is in use.
    pub vectors: Option<&'a Vectors>,
}

/// The semantic side of one ranking: the cosine of the profile with every
/// record of the kind ranked, and their spread (for the z-score).
struct SemanticScores {
    snapshot: Arc<Snapshot>,
    /// The profile's vector (unit length) the cosines are of.
    query: Vec<f32>,
    /// Hubness of each row and how much of it to take off its cosine.
    hub: Option<(Arc<Hubness>, f32)>,
    cosines: Vec<f32>,
    mean: f32,
    std: f32,
}

impl SemanticScores {
    /// Cosines of the profile with every record of `target`, less `hubness`
    /// times each record's hubness when it is known for this snapshot.
    fn new(
        vectors: &Vectors,
        target: Kind,
        profile_id: &str,
        hubness: f32,
    ) -> Option<SemanticScores> {
        let own = vectors.snapshot(match target {
            Kind::Capability => Kind::Need,
            Kind::Need => Kind::Capability,
        });
        let snapshot = vectors.snapshot(target);
        // The z-score needs a population; a handful of records is none.
        if snapshot.len() < 20 {
            return None;
        }
        let query = own.get(profile_id)?.to_vec();
        let hub = (hubness > 0.0)
            .then(|| vectors.hubness(target))
            .flatten()
            .filter(|h| h.snapshot == snapshot.id)
            .map(|h| (h, hubness));
        Some(Self::of_query(snapshot, query, hub))
    }

    /// The scores of `query` (unit length) less `hub` (β × each row's hubness).
    fn of_query(
        snapshot: Arc<Snapshot>,
        query: Vec<f32>,
        hub: Option<(Arc<Hubness>, f32)>,
    ) -> SemanticScores {
        let mut cosines = snapshot.cosines(&query);
        if let Some((hub, beta)) = &hub {
            cosines
                .iter_mut()
                .zip(&hub.values)
                .for_each(|(c, h)| *c -= beta * h);
        }
        let n = cosines.len().max(1) as f32;
        let mean = cosines.iter().sum::<f32>() / n;
        let var = cosines.iter().map(|c| (c - mean) * (c - mean)).sum::<f32>() / n;
        SemanticScores {
            snapshot,
            query,
            hub,
            cosines,
            mean,
            std: var.sqrt().max(1e-6),
        }
    }

    /// Pseudo-relevance feedback in the embedding space (Rocchio): the
    /// profile's vector moved by `weight` towards the mean vector of `ids`
    /// (the best-ranked records), renormalized. The records that rank best
    /// on words and meaning together speak the other side's language, so
    /// their neighbourhood holds relevant records that the profile's own
    /// wording sits far from. None when no id has a vector.
    fn with_feedback(&self, ids: &[&str], weight: f32) -> Option<MovedScores<'_>> {
        let mut mean = vec![0f32; self.query.len()];
        let mut n = 0usize;
        for v in ids.iter().filter_map(|id| self.snapshot.get(id)) {
            mean.iter_mut().zip(v).for_each(|(m, x)| *m += x);
            n += 1;
        }
        if n == 0 {
            return None;
        }
        let mut query: Vec<f32> = self
            .query
            .iter()
            .zip(&mean)
            .map(|(q, m)| q + weight * m / n as f32)
            .collect();
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm <= f32::EPSILON {
            return None;
        }
        query.iter_mut().for_each(|x| *x /= norm);
        let mut moved = MovedScores {
            base: self,
            query,
            mean: 0.0,
            std: 1.0,
        };
        // The spread from evenly spread rows: all of them up to
        // FEEDBACK_SAMPLE, so that feedback costs a bounded number of
        // cosines (not another pass over the whole index) on a large one.
        let rows = self.snapshot.len();
        let step = rows.div_ceil(FEEDBACK_SAMPLE).max(1);
        let sample: Vec<f32> = (0..rows).step_by(step).map(|r| moved.cosine(r)).collect();
        let k = sample.len().max(1) as f32;
        moved.mean = sample.iter().sum::<f32>() / k;
        let var = sample
            .iter()
            .map(|c| (c - moved.mean) * (c - moved.mean))
            .sum::<f32>()
            / k;
        moved.std = var.sqrt().max(1e-6);
        Some(moved)
    }

    /// The `k` nearest records' ids.
    fn nearest(&self, k: usize) -> Vec<&str> {
        let mut order: Vec<usize> = (0..self.cosines.len()).collect();
        let k = k.min(order.len());
        if k == 0 {
            return Vec::new();
        }
        order.select_nth_unstable_by(k - 1, |a, b| self.cosines[*b].total_cmp(&self.cosines[*a]));
        order.truncate(k);
        order
            .into_iter()
            .map(|i| self.snapshot.rows[i].0.as_str())
            .collect()
    }

    /// The `k` nearest records the caller may see that are not in `have`.
    fn candidates(
        &self,
        searcher: &tantivy::Searcher,
        id_field: tantivy::schema::Field,
        k: usize,
        visibility: Visibility,
        have: &[(f32, tantivy::DocAddress)],
    ) -> tantivy::Result<Vec<tantivy::DocAddress>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let ids: Vec<(Occur, Box<dyn Query>)> = self
            .nearest(k)
            .into_iter()
            .map(|id| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(id_field, id),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        // Filtered inside the search, like every other candidate.
        let query = VisibleOnly::wrap(Box::new(BooleanQuery::new(ids)), visibility);
        let found = searcher.search(&*query, &TopDocs::with_limit(k).order_by_score())?;
        let have: HashSet<tantivy::DocAddress> = have.iter().map(|(_, a)| *a).collect();
        Ok(found
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| !have.contains(a))
            .collect())
    }

    /// The feature: z-score / scale, clamped to [0, 1]; 0 for a record
    /// without a vector yet.
    fn feature(&self, id: &str, scale: f32) -> f32 {
        match self.snapshot.row(id) {
            Some(r) => ((self.cosines[r] - self.mean) / self.std / scale.max(1e-3)).clamp(0.0, 1.0),
            None => 0.0,
        }
    }
}

/// Rows whose cosines estimate the spread of the semantic feature after
/// feedback.
const FEEDBACK_SAMPLE: usize = 4096;

/// The semantic feature after feedback: cosines with the moved vector are
/// computed for the records asked about only.
struct MovedScores<'s> {
    base: &'s SemanticScores,
    query: Vec<f32>,
    mean: f32,
    std: f32,
}

impl MovedScores<'_> {
    fn cosine(&self, row: usize) -> f32 {
        let hub = self
            .base
            .hub
            .as_ref()
            .and_then(|(h, beta)| Some(beta * h.values.get(row)?));
        self.base.snapshot.cosine(row, &self.query) - hub.unwrap_or(0.0)
    }

    /// As [`SemanticScores::feature`], with the moved vector.
    fn feature(&self, id: &str, scale: f32) -> f32 {
        match self.base.snapshot.row(id) {
            Some(r) => ((self.cosine(r) - self.mean) / self.std / scale.max(1e-3)).clamp(0.0, 1.0),
            None => 0.0,
        }
    }
}

/// `pool` with its scores under `clauses`; 0 for a document none matches
/// (a semantic candidate may share no word with the profile).
fn scored_with_zeros(
    searcher: &tantivy::Searcher,
    clauses: &[Box<dyn Query>],
    pool: Vec<tantivy::DocAddress>,
) -> tantivy::Result<Vec<(f32, tantivy::DocAddress)>> {
    if pool.is_empty() {
        return Ok(Vec::new());
    }
    let scored: std::collections::HashMap<tantivy::DocAddress, f32> =
        score_pool(searcher, clauses, &pool, pool.len())?
            .into_iter()
            .map(|(s, a)| (a, s))
            .collect();
    Ok(pool
        .into_iter()
        .map(|a| (scored.get(&a).copied().unwrap_or(0.0), a))
        .collect())
}

fn clone_clauses(c: &[(Occur, Box<dyn Query>)]) -> Vec<(Occur, Box<dyn Query>)> {
    c.iter().map(|(o, q)| (*o, q.box_clone())).collect()
}

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

fn texts_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

impl Matcher<'_> {
    /// Ranks capabilities for a need. Blocking: run it off the async runtime.
    pub fn rank_capabilities(
        &self,
        index: &SearchIndex,
        need: &Profile,
        opts: &MatchOptions,
    ) -> anyhow::Result<Vec<Ranked>> {
        self.rank(index, Kind::Capability, need, opts, Visibility::All)
    }

    /// Ranks needs for a capability, showing only needs `visibility` allows
    /// (filtered inside the search, before ranking).
    pub fn rank_needs(
        &self,
        index: &SearchIndex,
        capability: &Profile,
        opts: &MatchOptions,
        visibility: Visibility,
    ) -> anyhow::Result<Vec<Ranked>> {
        self.rank(index, Kind::Need, capability, opts, visibility)
    }

    fn rank(
        &self,
        index: &SearchIndex,
        target: Kind,
        need: &Profile,
        opts: &MatchOptions,
        visibility: Visibility,
    ) -> anyhow::Result<Vec<Ranked>> {
        let f = index.fields;
        let searcher = index.kind(target).reader.searcher();
        let mut idf = Idf::new(&searcher, f.text);
        let need_terms = TermTable::build(self.analyzer, &need.texts());
        let qw = &self.weights.query;

        // Stage 1: a weighted disjunction of the need's most distinctive terms.
        let mut weighted: Vec<(String, f32, f32)> = need_terms
            .terms
            .iter()
            .filter_map(|(t, (sections, tf))| {
                let section = sections
                    .iter()
                    .map(|s| match s {
                        Section::Title => qw.title,
                        Section::Keywords => qw.keywords,
                        Section::Description => qw.description,
                    })
                    .fold(0.0f32, f32::max);
                let w = section * (1.0 + (*tf as f32).ln() * 0.5);
                let i = idf.get(t);
                (i > 0.0).then(|| (t.clone(), w, w * i))
            })
            .collect();
        weighted.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        weighted.truncate(qw.max_terms);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term_query = |t: &str, w: f32| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(f.text, t),
                    IndexRecordOption::WithFreqs,
                )),
                w,
            ))
        };
        for (t, w, _) in &weighted {
            clauses.push((Occur::Should, term_query(t, *w)));
        }
        // Synonyms of the need's wording (SiC ↔ 碳化硅), weaker than the literal terms.
        let mut synonym_of: Vec<(String, String)> = Vec::new();
        let need_text = format!(
            "{}\n{}\n{}",
            need.title,
            need.keywords.join(" "),
            need.description
        );
        for e in Synonyms::shared().expand(&need_text) {
            for t in self.analyzer.distinct_terms(&e.form, Mode::Words) {
                if !need_terms.contains(&t) && idf.get(&t) > 0.0 {
                    clauses.push((Occur::Should, term_query(&t, qw.synonyms * e.weight)));
                    synonym_of.push((t, e.matched.clone()));
                }
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let limit = opts.candidates.max(opts.top);
        // A pass over the whole index (top-k with block-max WAND), or the
        // scores of the pooled candidates only.
        let run = |clauses: Vec<(Occur, Box<dyn Query>)>,
                   within: Option<&[tantivy::DocAddress]>,
                   k: usize|
         -> tantivy::Result<Vec<(f32, tantivy::DocAddress)>> {
            match within {
                Some(pool) => {
                    let queries: Vec<Box<dyn Query>> =
                        clauses.into_iter().map(|(_, q)| q).collect();
                    score_pool(&searcher, &queries, pool, k)
                }
                None => {
                    // Visibility wraps the query: the disjunction stays prunable.
                    let query = VisibleOnly::wrap(Box::new(BooleanQuery::new(clauses)), visibility);
                    searcher.search(&*query, &TopDocs::with_limit(k).order_by_score())
                }
            }
        };
        // First pass: on a large index, a short query of the most distinctive
        // terms (plus synonyms) collects a pool cheaply; the full query is
        // then scored on that pool only (the pool is already restricted to
        // what the caller may see).
        let two_pass = qw.first_pass_terms > 0 && qw.first_pass_terms < weighted.len();
        let (mut top, pool) = if two_pass {
            let mut first: Vec<(Occur, Box<dyn Query>)> = weighted
                .iter()
                .take(qw.first_pass_terms)
                .map(|(t, w, _)| (Occur::Should, term_query(t, *w)))
                .collect();
            first.extend(clone_clauses(&clauses[weighted.len()..]));
            let pooled = run(first, None, qw.pool.max(limit))?;
            let pool: Vec<tantivy::DocAddress> = pooled.iter().map(|(_, a)| *a).collect();
            let top = run(clone_clauses(&clauses), Some(&pool), limit)?;
            (top, Some(pool))
        } else {
            (run(clone_clauses(&clauses), None, limit)?, None)
        };
        // Pseudo-relevance feedback: the best first-pass candidates speak the
        // providers' language; their most distinctive terms bridge the gap
        // between the need's plant wording and academic wording.
        if qw.feedback_terms > 0 && qw.feedback_weight > 0.0 {
            let mut scores: std::collections::HashMap<String, f32> =
                std::collections::HashMap::new();
            for (_, addr) in top.iter().take(qw.feedback_docs) {
                let doc: TantivyDocument = searcher.doc(*addr)?;
                let kw = texts_of(&doc, f.keywords);
                let title = text_of(&doc, f.title);
                let desc = text_of(&doc, f.description);
                let table = TermTable::build(
                    self.analyzer,
                    &Texts {
                        title: &title,
                        keywords: &kw,
                        description: &desc,
                    },
                );
                for (t, (_, tf)) in &table.terms {
                    if need_terms.contains(t) || t.chars().count() < 2 {
                        continue;
                    }
                    let i = idf.get(t);
                    *scores.entry(t.clone()).or_default() += (1.0 + (*tf as f32).ln()) * i;
                }
            }
            let mut fb: Vec<(String, f32)> = scores.into_iter().collect();
            fb.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            fb.truncate(qw.feedback_terms);
            if let Some(max) = fb.first().map(|x| x.1).filter(|m| *m > 0.0) {
                for (t, sc) in &fb {
                    clauses.push((Occur::Should, term_query(t, qw.feedback_weight * sc / max)));
                }
                top = run(clone_clauses(&clauses), pool.as_deref(), limit)?;
            }
        }
        // Semantic candidates: the nearest records by embedding that the
        // lexical passes missed (they may share no word with the profile),
        // with whatever lexical score they have.
        let semantic = self
            .vectors
            .and_then(|v| SemanticScores::new(v, target, &need.id, qw.semantic_hubness));
        if let Some(sem) = &semantic {
            let extra =
                sem.candidates(&searcher, f.id, qw.semantic_candidates, visibility, &top)?;
            let queries: Vec<Box<dyn Query>> = clauses.iter().map(|(_, q)| q.box_clone()).collect();
            top.extend(scored_with_zeros(&searcher, &queries, extra)?);
        }
        let best = top
            .iter()
            .map(|(s, _)| *s)
            .fold(0.0f32, f32::max)
            .max(f32::EPSILON);

        // Stage 2: features, weights, rules.
        let need_focus: Vec<(&String, f32)> = need_terms
            .terms
            .iter()
            .filter(|(_, (s, _))| s.contains(&Section::Title) || s.contains(&Section::Keywords))
            .map(|(t, _)| (t, idf.get(t)))
            .filter(|(_, i)| *i > 0.0)
            .collect();
        let focus_total: f32 = need_focus.iter().map(|(_, i)| i).sum();
        let need_bigrams = bigrams(&format!("{}{}", need.title, need.keywords.join("")));
        let related: HashSet<&str> = self
            .taxonomy
            .get(TermKind::Field, &need.field)
            .map(|t| t.related.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let w = &self.weights.weights;
        let query_terms: HashSet<&str> = weighted.iter().map(|(t, _, _)| t.as_str()).collect();

        // Each result with its term table (when computed) and its
        // thin-profile factor, which semantic feedback below reapplies.
        let mut ranked: Vec<(Ranked, Option<TermTable>, f32)> = Vec::with_capacity(top.len());
        for (bm25, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let cap = Candidate {
                id: text_of(&doc, f.id),
                kind: target.as_str(),
                title: text_of(&doc, f.title),
                description: text_of(&doc, f.description),
                field: text_of(&doc, f.field),
                keywords: texts_of(&doc, f.keywords),
                cooperation: texts_of(&doc, f.cooperation),
                maturity: doc
                    .get_first(f.maturity)
                    .and_then(|v| v.as_u64())
                    .filter(|m| *m > 0),
                org: text_of(&doc, f.org),
                org_name: text_of(&doc, f.org_name),
                tier: doc
                    .get_first(f.tier)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                region: doc
                    .get_first(f.region)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            };
            let mut rules = Vec::new();
            if !opts.eligibility.tiers.is_empty()
                && !cap
                    .tier
                    .as_ref()
                    .is_some_and(|t| opts.eligibility.tiers.contains(t))
            {
                continue;
            }
            if !opts.eligibility.tiers.is_empty() {
                rules.push(format!(
                    "仅限机构层级 {} (provider tiers)",
                    opts.eligibility.tiers.join("/")
                ));
            }
            // Term-level features cost a tokenization per candidate: only when
            // they carry weight (or training asks for every feature).
            let term_features = opts.all_features || w.focus > 0.0 || w.bigram > 0.0;
            let cap_terms = term_features.then(|| {
                TermTable::build(
                    self.analyzer,
                    &Texts {
                        title: &cap.title,
                        keywords: &cap.keywords,
                        description: &cap.description,
                    },
                )
            });
            let focus = match &cap_terms {
                Some(ct) if focus_total > 0.0 => {
                    need_focus
                        .iter()
                        .filter(|(t, _)| ct.contains(t))
                        .map(|(_, i)| i)
                        .sum::<f32>()
                        / focus_total
                }
                _ => 0.0,
            };
            let bigram = if term_features {
                dice(
                    &need_bigrams,
                    &bigrams(&format!("{}{}", cap.title, cap.keywords.join(""))),
                )
            } else {
                0.0
            };
            let field = if cap.field == need.field {
                1.0
            } else if related.contains(cap.field.as_str()) {
                0.5
            } else {
                0.0
            };
            let cooperation = if need.cooperation.is_empty() {
                1.0
            } else {
                need.cooperation
                    .iter()
                    .filter(|m| cap.cooperation.contains(m))
                    .count() as f32
                    / need.cooperation.len() as f32
            };
            let wants_deployable = need.cooperation.iter().any(|m| {
                matches!(
                    m.as_str(),
                    "tech_transfer" | "tech_license" | "tech_service"
                )
            });
            let maturity = match (cap.maturity, wants_deployable) {
                (Some(m), true) => (m as f32 / 6.0).min(1.0),
                (Some(_), false) | (None, _) => 0.5,
            };
            let values = [
                ("text", (bm25 / best).max(0.0).powf(qw.text_power)),
                ("focus", focus),
                ("bigram", bigram),
                ("field", field),
                ("cooperation", cooperation),
                ("maturity", maturity),
                ("tier", self.weights.tier(cap.tier.as_deref())),
                (
                    "semantic",
                    semantic
                        .as_ref()
                        .map_or(0.0, |s| s.feature(&cap.id, qw.semantic_scale)),
                ),
            ];
            let contributions: Vec<Contribution> = values
                .iter()
                .zip(w.named())
                .filter(|(_, (_, weight))| opts.all_features || *weight != 0.0)
                .map(|((name, value), (_, weight))| Contribution {
                    feature: name,
                    value: *value,
                    weight,
                    contribution: value * weight,
                })
                .collect();
            let mut score: f32 = contributions.iter().map(|c| c.contribution).sum();
            let chars = cap.title.chars().count() + cap.description.chars().count();
            let min_chars = self.weights.rules.min_profile_chars;
            let mut factor = 1.0;
            if chars < min_chars {
                factor = chars as f32 / min_chars as f32;
                score *= factor;
                rules.push(format!(
                    "能力描述过短（{chars} 字），得分按 {:.0}% 计 (thin profile: score × {factor:.2})",
                    factor * 100.0
                ));
            }
            ranked.push((
                Ranked {
                    capability: cap,
                    score,
                    contributions,
                    matched_terms: Vec::new(),
                    rules,
                },
                cap_terms,
                factor,
            ));
        }
        let by_score = |(a, ..): &(Ranked, Option<TermTable>, f32),
                        (b, ..): &(Ranked, Option<TermTable>, f32)| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.capability.id.cmp(&b.capability.id))
        };
        ranked.sort_by(by_score);
        // Semantic feedback: the best results move the profile's vector;
        // the semantic feature (and so the score) is recomputed with it.
        let feedback = semantic.as_ref().filter(|_| {
            qw.semantic_feedback_docs > 0 && qw.semantic_feedback_weight > 0.0 && w.semantic != 0.0
        });
        if let Some(sem) = feedback {
            let best: Vec<&str> = ranked
                .iter()
                .take(qw.semantic_feedback_docs)
                .map(|(r, ..)| r.capability.id.as_str())
                .collect();
            if let Some(moved) = sem.with_feedback(&best, qw.semantic_feedback_weight) {
                for (r, _, factor) in &mut ranked {
                    for c in r
                        .contributions
                        .iter_mut()
                        .filter(|c| c.feature == "semantic")
                    {
                        c.value = moved.feature(&r.capability.id, qw.semantic_scale);
                        c.contribution = c.value * c.weight;
                    }
                    r.score = r.contributions.iter().map(|c| c.contribution).sum::<f32>() * *factor;
                }
                ranked.sort_by(by_score);
            }
        }
        ranked.truncate(opts.top);
        // Explanations for the results shown: which terms matched, where.
        let ranked = ranked
            .into_iter()
            .map(|(mut r, cap_terms, _)| {
                let cap_terms = cap_terms.unwrap_or_else(|| {
                    TermTable::build(
                        self.analyzer,
                        &Texts {
                            title: &r.capability.title,
                            keywords: &r.capability.keywords,
                            description: &r.capability.description,
                        },
                    )
                });
                r.matched_terms = matched_terms(&need_terms, &cap_terms, &query_terms, &synonym_of);
                r
            })
            .collect();
        Ok(ranked)
    }
}

/// The need's query terms found in the capability (and synonyms of the
/// need's wording found there), with the sections they occur in on each side.
fn matched_terms(
    need_terms: &TermTable,
    cap_terms: &TermTable,
    query_terms: &HashSet<&str>,
    synonym_of: &[(String, String)],
) -> Vec<MatchedTerm> {
    let mut matched: Vec<MatchedTerm> = need_terms
        .terms
        .keys()
        .filter(|t| query_terms.contains(&t[..]) && cap_terms.contains(t))
        .map(|t| MatchedTerm {
            term: t.clone(),
            need: need_terms.sections(t).to_vec(),
            capability: cap_terms.sections(t).to_vec(),
            via_synonym: None,
        })
        .collect();
    for (t, from) in synonym_of {
        if cap_terms.contains(t) && !matched.iter().any(|m| &m.term == t) {
            matched.push(MatchedTerm {
                term: t.clone(),
                need: Vec::new(),
                capability: cap_terms.sections(t).to_vec(),
                via_synonym: Some(from.clone()),
            });
        }
    }
    // Terms in both titles first, then longer (more specific) terms.
    matched.sort_by(|a, b| {
        let key = |m: &MatchedTerm| (m.need.first().copied(), m.capability.first().copied());
        key(a)
            .cmp(&key(b))
            .then_with(|| b.term.chars().count().cmp(&a.term.chars().count()))
            .then_with(|| a.term.cmp(&b.term))
    });
    matched.truncate(20);
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// 30 records: "near" along the profile, "side" at right angles to it,
    /// "best" between the two, and filler spread around the third axis.
    fn scores() -> SemanticScores {
        let mut rows = vec![
            ("near".to_string(), 1),
            ("side".to_string(), 1),
            ("best".to_string(), 1),
        ];
        let mut matrix = [
            unit(&[1.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.6, 0.8, 0.0]),
        ]
        .concat();
        for i in 0..27 {
            rows.push((format!("f{i}"), 1));
            matrix.extend(unit(&[(i % 3) as f32 * 0.1, (i % 5) as f32 * 0.1, 1.0]));
        }
        let snapshot = Arc::new(Snapshot::new(rows, matrix, 3));
        SemanticScores::of_query(snapshot, unit(&[1.0, 0.0, 0.0]), None)
    }

    #[test]
    fn feedback_moves_the_profile_towards_the_best_ranked() -> anyhow::Result<()> {
        let base = scores();
        let moved = base
            .with_feedback(&["best"], 1.0)
            .ok_or_else(|| anyhow::anyhow!("best has a vector"))?;
        // "side" shares nothing with the profile, but its neighbour ranked
        // best: feedback raises its cosine (and feature) and lowers that of
        // the record only the profile itself is near.
        let side = base
            .snapshot
            .row("side")
            .ok_or_else(|| anyhow::anyhow!("row"))?;
        let near = base
            .snapshot
            .row("near")
            .ok_or_else(|| anyhow::anyhow!("row"))?;
        assert!(moved.cosine(side) > base.cosines[side] + 0.3);
        assert!(moved.cosine(near) < base.cosines[near]);
        assert!(moved.feature("side", 1.0) > base.feature("side", 1.0));
        // Up to FEEDBACK_SAMPLE rows the spread is the whole population's.
        let all: Vec<f32> = (0..base.snapshot.len()).map(|r| moved.cosine(r)).collect();
        let mean = all.iter().sum::<f32>() / all.len() as f32;
        assert!((moved.mean - mean).abs() < 1e-5);
        Ok(())
    }

    #[test]
    fn feedback_without_known_records_changes_nothing() {
        let base = scores();
        assert!(base.with_feedback(&["unknown"], 1.0).is_none());
        assert!(base.with_feedback(&[], 1.0).is_none());
    }
}
