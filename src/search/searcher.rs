//! Running a search: query building, filters, ranking, facets and snippets.
//!
//! The text part of a query is a disjunction of term queries over one field,
//! which tantivy's top-k collector prunes with block-max WAND. Filters are
//! separate required clauses that score nothing; visibility wraps the query
//! (a required clause would turn the pruning off). Hits, counts and facets are
//! taken from the best [`WINDOW`] matches; `total_is_lower_bound` says when
//! there are more (counting every match of a broad OR query would cost a full
//! scan on every request).

use super::analyzer::{Analyzer, Mode};
use super::document::Kind;
use super::highlight;
use super::pool::score_pool;
use super::schema::Fields;
use super::store::SearchIndex;
use super::synonyms::{Expansion, Synonyms};
use super::visible::VisibleOnly;
use crate::domain::access::Visibility;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

/// Matches ranked, counted and faceted per request at most.
pub const WINDOW: usize = 200;
/// Query terms used at most (the rest of a very long query is ignored).
pub const MAX_QUERY_TERMS: usize = 64;
/// Query text considered at most, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;
/// Terms in more than this share of the documents (and in more than
/// [`COMMON_MIN_DOCS`]) are left out of the pruned first pass of a query that
/// also has rarer terms (see `ranked_window`). On a small index nothing is common
/// and every search is a single exact pass.
pub const COMMON_SHARE: f64 = 0.05;
pub const COMMON_MIN_DOCS: u64 = 10_000;

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub field: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub cooperation: Option<String>,
    pub status: Option<String>,
    pub maturity_min: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub q: String,
    pub kind: Kind,
    pub filters: Filters,
    pub visibility: Visibility,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// External id.
    pub id: String,
    pub kind: &'static str,
    pub score: f32,
    pub title: String,
    /// Title, HTML-escaped, matched terms in `<mark>`.
    pub title_html: String,
    /// Best passage of the description, HTML-escaped, matched terms in `<mark>`.
    pub snippet_html: String,
    pub matched_terms: Vec<String>,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    pub maturity: Option<u64>,
    pub status: String,
    pub org: String,
    pub org_name: String,
    pub region: Option<String>,
    pub tier: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Facets {
    pub field: Vec<FacetCount>,
    pub tier: Vec<FacetCount>,
    pub region: Vec<FacetCount>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueryExpansion {
    pub matched: String,
    pub form: String,
    pub weight: f32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Matches counted (at most [`WINDOW`]).
    pub total: u64,
    /// True when there are more matches than counted.
    pub total_is_lower_bound: bool,
    pub facets: Facets,
    /// The analyzed query terms.
    pub terms: Vec<String>,
    /// Synonym expansions applied.
    pub expansions: Vec<QueryExpansion>,
}

/// The text part of a query: literal terms plus weighted synonym expansions.
pub struct TextQuery {
    pub terms: Vec<String>,
    pub expansions: Vec<(Expansion, Vec<String>)>,
}

impl TextQuery {
    pub fn analyze(analyzer: &Analyzer, q: &str) -> TextQuery {
        let q: String = q.chars().take(MAX_QUERY_CHARS).collect();
        let mut terms = analyzer.distinct_terms(&q, Mode::Search);
        terms.truncate(MAX_QUERY_TERMS);
        let mut expansions = Vec::new();
        for e in Synonyms::shared().expand(&q) {
            let e_terms = analyzer.distinct_terms(&e.form, Mode::Words);
            // Skip an expansion that adds nothing beyond the literal terms.
            let redundant = e_terms.iter().all(|t| terms.contains(t));
            if !redundant {
                expansions.push((e, e_terms));
            }
        }
        TextQuery { terms, expansions }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.expansions.is_empty()
    }

    /// The query without its common terms (in more than `limit` documents),
    /// when it has some and a term that occurs in the index remains.
    fn without_common(&self, searcher: &Searcher, f: &Fields, limit: f64) -> Option<TextQuery> {
        let mut rare = Vec::new();
        let mut common = 0;
        for t in &self.terms {
            let df = searcher
                .doc_freq(&Term::from_field_text(f.text, t))
                .unwrap_or(0);
            if df as f64 > limit {
                common += 1;
            } else if df > 0 {
                rare.push(t.clone());
            }
        }
        if common == 0 || rare.is_empty() {
            return None;
        }
        Some(TextQuery {
            terms: rare,
            expansions: self.expansions.clone(),
        })
    }

    /// Every term a hit may match on (for highlighting).
    pub fn all_terms(&self) -> HashSet<String> {
        self.terms
            .iter()
            .chain(self.expansions.iter().flat_map(|(_, t)| t.iter()))
            .cloned()
            .collect()
    }

    pub fn to_query(&self, f: &Fields) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            self.clauses(f)
                .into_iter()
                .map(|q| (Occur::Should, q))
                .collect(),
        ))
    }

    /// The scoring clauses: one per term and per expansion.
    pub fn clauses(&self, f: &Fields) -> Vec<Box<dyn Query>> {
        let term = |t: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f.text, t),
                IndexRecordOption::WithFreqs,
            ))
        };
        let mut clauses: Vec<Box<dyn Query>> = self.terms.iter().map(|t| term(t)).collect();
        for (e, terms) in &self.expansions {
            let q: Box<dyn Query> = if terms.len() == 1 {
                term(&terms[0])
            } else {
                Box::new(BooleanQuery::new(
                    terms.iter().map(|t| (Occur::Must, term(t))).collect(),
                ))
            };
            clauses.push(Box::new(BoostQuery::new(q, e.weight)));
        }
        clauses
    }
}

fn filter_clauses(f: &Fields, filters: &Filters) -> Vec<Box<dyn Query>> {
    let exact = |field, value: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    };
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    for (field, value) in [
        (f.field, &filters.field),
        (f.region, &filters.region),
        (f.tier, &filters.tier),
        (f.cooperation, &filters.cooperation),
        (f.status, &filters.status),
    ] {
        if let Some(v) = value {
            out.push(exact(field, v));
        }
    }
    if let Some(m) = filters.maturity_min {
        out.push(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_u64(f.maturity, m)),
            Bound::Unbounded,
        )));
    }
    out
}

/// Runs a search on the index of `req.kind`. Blocking: call it off the async runtime.
pub fn search(
    index: &SearchIndex,
    analyzer: &Analyzer,
    req: &SearchRequest,
) -> anyhow::Result<SearchResults> {
    let f = index.fields;
    let searcher = index.kind(req.kind).reader.searcher();
    let text = TextQuery::analyze(analyzer, &req.q);
    let filters = filter_clauses(&f, &req.filters);
    let browsing = req.q.trim().is_empty();
    if text.is_empty() && !browsing {
        // Only stop words, punctuation or emoji: nothing to look for.
        return Ok(SearchResults {
            hits: Vec::new(),
            total: 0,
            total_is_lower_bound: false,
            facets: Facets::default(),
            terms: Vec::new(),
            expansions: Vec::new(),
        });
    }
    // Visibility wraps the whole query rather than adding a clause, so that
    // an unfiltered search stays a prunable disjunction (see `visible`).
    let restrict = |text_query: Box<dyn Query>| -> Box<dyn Query> {
        if filters.is_empty() {
            return VisibleOnly::wrap(text_query, req.visibility);
        }
        let mut clauses = vec![(Occur::Must, text_query)];
        clauses.extend(filters.iter().map(|q| {
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(q.box_clone(), 0.0)) as Box<dyn Query>,
            )
        }));
        VisibleOnly::wrap(Box::new(BooleanQuery::new(clauses)), req.visibility)
    };
    let window = WINDOW;
    let top = if browsing {
        let collector = TopDocs::with_limit(window).order_by_score();
        searcher.search(&*restrict(Box::new(AllQuery)), &collector)?
    } else {
        let common = (COMMON_SHARE * searcher.num_docs() as f64).max(COMMON_MIN_DOCS as f64);
        ranked_window(&searcher, &f, &text, &restrict, window, common)?
    };
    let facets = facet_counts(&searcher, &top)?;
    let wanted = text.all_terms();
    let hits = top
        .iter()
        .skip(req.offset)
        .take(req.limit)
        .map(|(score, addr)| hit(&searcher, &f, analyzer, req.kind, *score, *addr, &wanted))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(SearchResults {
        hits,
        total: top.len() as u64,
        total_is_lower_bound: top.len() >= window,
        facets,
        terms: text.terms.clone(),
        expansions: text
            .expansions
            .iter()
            .map(|(e, _)| QueryExpansion {
                matched: e.matched.clone(),
                form: e.form.clone(),
                weight: e.weight,
            })
            .collect(),
    })
}

/// The best `window` matches of `text`. A long query (a need's title) has
/// common words (in more than `common` documents) that match most of the
/// index and defeat block-max WAND: the window is then collected with the
/// distinctive terms and scored exactly with all of them. A record that
/// matches only common words ranks low in any case.
fn ranked_window(
    searcher: &Searcher,
    f: &Fields,
    text: &TextQuery,
    restrict: &dyn Fn(Box<dyn Query>) -> Box<dyn Query>,
    window: usize,
    common: f64,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    let collector = TopDocs::with_limit(window).order_by_score();
    match text.without_common(searcher, f, common) {
        Some(distinctive) => {
            let pooled = searcher.search(&*restrict(distinctive.to_query(f)), &collector)?;
            let pool: Vec<DocAddress> = pooled.iter().map(|(_, a)| *a).collect();
            score_pool(searcher, &text.clauses(f), &pool, window)
        }
        None => searcher.search(&*restrict(text.to_query(f)), &collector),
    }
}

fn first_text(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

fn all_texts(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn hit(
    searcher: &Searcher,
    f: &Fields,
    analyzer: &Analyzer,
    kind: Kind,
    score: f32,
    addr: DocAddress,
    wanted: &HashSet<String>,
) -> anyhow::Result<SearchHit> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let title = first_text(&doc, f.title).unwrap_or_default();
    let description = first_text(&doc, f.description).unwrap_or_default();
    let title_h = highlight::highlight_all(analyzer, &title, wanted);
    let snippet = highlight::snippet(analyzer, &description, wanted);
    let mut matched = title_h.matched.clone();
    for m in snippet.matched {
        if !matched.contains(&m) {
            matched.push(m);
        }
    }
    let maturity = doc
        .get_first(f.maturity)
        .and_then(|v| v.as_u64())
        .filter(|m| *m > 0);
    Ok(SearchHit {
        id: first_text(&doc, f.id).unwrap_or_default(),
        kind: kind.as_str(),
        score,
        title_html: title_h.html,
        title,
        snippet_html: snippet.html,
        matched_terms: matched,
        field: first_text(&doc, f.field).unwrap_or_default(),
        keywords: all_texts(&doc, f.keywords),
        cooperation: all_texts(&doc, f.cooperation),
        maturity,
        status: first_text(&doc, f.status).unwrap_or_default(),
        org: first_text(&doc, f.org).unwrap_or_default(),
        org_name: first_text(&doc, f.org_name).unwrap_or_default(),
        region: first_text(&doc, f.region),
        tier: first_text(&doc, f.tier),
    })
}

/// Counts of field, tier and region over the ranked window, from fast fields.
fn facet_counts(searcher: &Searcher, top: &[(f32, DocAddress)]) -> anyhow::Result<Facets> {
    let names = ["field", "tier", "region"];
    let mut counts: [BTreeMap<String, u64>; 3] = Default::default();
    let mut by_segment: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (_, a) in top {
        by_segment.entry(a.segment_ord).or_default().push(a.doc_id);
    }
    let mut buf = String::new();
    for (segment, docs) in by_segment {
        let reader = searcher.segment_reader(segment);
        for (i, name) in names.iter().enumerate() {
            let Some(col) = reader.fast_fields().str(name)? else {
                continue;
            };
            for &d in &docs {
                for ord in col.term_ords(d) {
                    buf.clear();
                    if col.ord_to_str(ord, &mut buf)? {
                        *counts[i].entry(buf.clone()).or_default() += 1;
                    }
                }
            }
        }
    }
    let sorted = |m: BTreeMap<String, u64>| {
        let mut v: Vec<FacetCount> = m
            .into_iter()
            .map(|(value, count)| FacetCount { value, count })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        v
    };
    let [field, tier, region] = counts;
    Ok(Facets {
        field: sorted(field),
        tier: sorted(tier),
        region: sorted(region),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::TantivyDocument;

    /// The two-step window (distinctive terms, then exact scores) returns the
    /// same best matches as one exact pass when the common terms are left
    /// out of the first step.
    #[test]
    fn leaving_common_terms_out_of_the_first_step_keeps_the_best_matches() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let index = SearchIndex::open(dir.path(), "test")?;
        let f = index.fields;
        let kind = index.kind(Kind::Capability);
        let mut writer: tantivy::IndexWriter = kind.index.writer_with_num_threads(1, 15_000_000)?;
        let common = ["技术", "工艺", "设备", "提升"];
        let rare = [
            "碳化硅",
            "衬底",
            "外延",
            "焦炉煤气",
            "脱硫",
            "氢燃料电池",
            "膜电极",
            "催化剂",
        ];
        for n in 0..600usize {
            let mut text = String::new();
            for (k, w) in common.iter().enumerate() {
                // Common words: in nearly every record, a few times.
                for _ in 0..(1 + (n + k) % 3) {
                    text.push_str(w);
                    text.push('，');
                }
            }
            for (k, w) in rare.iter().enumerate() {
                if (n * (k + 3)) % 11 == 0 {
                    for _ in 0..(1 + n % 2) {
                        text.push_str(w);
                        text.push('。');
                    }
                }
            }
            let mut doc = TantivyDocument::default();
            doc.add_text(f.id, format!("cap-{n}"));
            doc.add_text(f.text, &text);
            doc.add_u64(f.public, 1);
            writer.add_document(doc)?;
            if n % 200 == 199 {
                writer.commit()?;
            }
        }
        writer.commit()?;
        kind.reader.reload()?;
        let searcher = kind.reader.searcher();
        let analyzer = Analyzer::shared();
        let text = TextQuery::analyze(&analyzer, "提升碳化硅衬底外延技术与设备工艺，兼顾膜电极");
        let restrict = |q: Box<dyn Query>| q;
        let exact = ranked_window(&searcher, &f, &text, &restrict, 10, f64::INFINITY)?;
        // Every common word is in more than 500 of the 600 records.
        let two_step = ranked_window(&searcher, &f, &text, &restrict, 10, 500.0)?;
        assert!(text.without_common(&searcher, &f, 500.0).is_some());
        assert_eq!(exact.len(), 10);
        assert_eq!(two_step.len(), 10);
        for ((a, _), (b, _)) in exact.iter().zip(&two_step) {
            assert!((a - b).abs() < 1e-4, "{exact:?} vs {two_step:?}");
        }
        // A query of common words only is answered in one pass.
        let plain = TextQuery::analyze(&analyzer, "技术工艺设备");
        assert!(plain.without_common(&searcher, &f, 500.0).is_none());
        Ok(())
    }
}
