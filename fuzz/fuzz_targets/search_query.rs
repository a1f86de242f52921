//! The search query builder and the matcher's query builder on arbitrary text.
//!
//! Per input: `TextQuery::analyze` → `to_query` (src/search/searcher.rs), run
//! on a small index of the demo corpus; the whole `searcher::search` path
//! (filters, facets, highlighted titles and snippets); highlighting of the
//! input itself with its own terms (src/search/highlight.rs); and
//! `Matcher::rank_capabilities` with a need built from the input
//! (src/matching/ranker.rs: weighted term query, synonyms, feedback, rules).
//! Must never panic, and the HTML it produces must not let markup through.
#![no_main]

use chrono::{TimeZone, Utc};
use duijie::domain::Taxonomy;
use duijie::domain::access::Visibility;
use duijie::interchange::records::{CapabilityLine, NeedLine, OrganizationLine};
use duijie::matching::{MatchOptions, Matcher, Profile, Weights};
use duijie::search::Kind;
use duijie::search::analyzer::Analyzer;
use duijie::search::document::{capability_document, need_document};
use duijie::search::highlight;
use duijie::search::searcher::{self, Filters, SearchRequest, TextQuery};
use duijie::search::store::SearchIndex;
use duijie::storage::entities::{capability, need, organization};
use duijie::storage::lists;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use tantivy::collector::TopDocs;

struct World {
    _dir: tempfile::TempDir,
    index: SearchIndex,
    analyzer: Arc<Analyzer>,
    taxonomy: Taxonomy,
    weights: Weights,
}

static WORLD: LazyLock<World> = LazyLock::new(|| build().unwrap_or_else(|e| panic!("setup: {e:#}")));

fn build() -> anyhow::Result<World> {
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path(), "fuzz")?;
    let f = index.fields;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let mut orgs: HashMap<String, organization::Model> = HashMap::new();
    for (i, l) in include_str!("../../src/demo/organizations.jsonl").lines().enumerate() {
        let o: OrganizationLine = serde_json::from_str(l)?;
        orgs.insert(
            o.id.clone(),
            organization::Model {
                id: i as i64 + 1,
                external_id: o.id,
                name: o.name,
                kind: o.kind,
                tier: o.tier,
                region: o.region,
                above_scale: o.above_scale,
                ownership: o.ownership,
                uscc: o.uscc,
                fields: lists::encode(&o.fields),
                created_at: t0,
                updated_at: t0,
            },
        );
    }
    let org = |id: &str| orgs.get(id).ok_or_else(|| anyhow::anyhow!("no org {id}"));
    let mut w = index.kind(Kind::Need).index.writer_with_num_threads(1, 15_000_000)?;
    for (i, l) in include_str!("../../src/demo/needs.jsonl").lines().enumerate() {
        let n: NeedLine = serde_json::from_str(l)?;
        let o = org(&n.org)?;
        let m = need::Model {
            id: i as i64 + 1,
            external_id: n.id,
            organization_id: o.id,
            title: n.title,
            description: n.description,
            field: n.field,
            keywords: lists::encode(&n.keywords),
            cooperation: lists::encode(&n.cooperation),
            budget_wan: n.budget_wan,
            deadline: None,
            confidential: n.confidential.unwrap_or(false),
            status: n.status.unwrap_or_else(|| "open".to_owned()),
            created_at: t0,
            updated_at: t0,
            version: 1,
        };
        w.add_document(need_document(&f, &m, o))?;
    }
    w.commit()?;
    let mut w = index.kind(Kind::Capability).index.writer_with_num_threads(1, 15_000_000)?;
    for (i, l) in include_str!("../../src/demo/capabilities.jsonl").lines().enumerate() {
        let c: CapabilityLine = serde_json::from_str(l)?;
        let o = org(&c.org)?;
        let m = capability::Model {
            id: i as i64 + 1,
            external_id: c.id,
            organization_id: o.id,
            researcher: c.researcher,
            owner_user_id: None,
            title: c.title,
            description: c.description,
            field: c.field,
            keywords: lists::encode(&c.keywords),
            cooperation: lists::encode(&c.cooperation),
            maturity: c.maturity.and_then(|m| i16::try_from(m).ok()),
            status: c.status.unwrap_or_else(|| "published".to_owned()),
            created_at: t0,
            updated_at: t0,
            version: 1,
        };
        w.add_document(capability_document(&f, &m, o))?;
    }
    w.commit()?;
    for k in Kind::ALL {
        index.kind(k).reader.reload()?;
    }
    Ok(World {
        _dir: dir,
        index,
        analyzer: Analyzer::shared(),
        taxonomy: Taxonomy::builtin()?,
        weights: Weights::builtin()?,
    })
}

/// Highlighted HTML must contain no markup but the `<mark>` tags.
fn check_html(html: &str, input: &str) {
    let stripped = html.replace("<mark>", "").replace("</mark>", "");
    assert!(
        !stripped.contains('<') && !stripped.contains('>') && !stripped.contains('"'),
        "markup leaked into {html:?} (input {input:?})"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    let w = &*WORLD;
    let a = &*w.analyzer;
    let f = w.index.fields;

    // The query builder on its own, run on the capability index.
    let text = TextQuery::analyze(a, q);
    assert!(text.terms.len() <= searcher::MAX_QUERY_TERMS);
    let query = text.to_query(&f);
    let s = w.index.kind(Kind::Capability).reader.searcher();
    if let Err(e) = s.search(&*query, &TopDocs::with_limit(10).order_by_score()) {
        panic!("query of {q:?} failed: {e}");
    }

    // Highlighting the input with its own terms (titles and snippets).
    let wanted = text.all_terms();
    let h = highlight::highlight_all(a, q, &wanted);
    check_html(&h.html, q);
    let sn = highlight::snippet(a, q, &wanted);
    check_html(&sn.html, q);

    // The whole search path, both kinds.
    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let req = SearchRequest {
            q: q.to_owned(),
            kind,
            filters: Filters::default(),
            visibility: if i == 0 { Visibility::Public } else { Visibility::All },
            offset: 0,
            limit: 5,
        };
        match searcher::search(&w.index, a, &req) {
            Ok(r) => {
                for hit in &r.hits {
                    check_html(&hit.title_html, q);
                    check_html(&hit.snippet_html, q);
                }
            }
            Err(e) => panic!("search for {q:?} failed: {e:#}"),
        }
    }

    // The matcher's query, from a need whose title is the first line, whose
    // keywords are the comma-separated parts of the second and whose
    // description is the whole input.
    let mut lines = q.lines();
    let title = lines.next().unwrap_or_default().to_owned();
    let keywords: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split([',', '，'])
        .map(str::to_owned)
        .take(30)
        .collect();
    let need = Profile {
        id: "fuzz-need".to_owned(),
        title,
        description: q.to_owned(),
        keywords,
        field: "semiconductor".to_owned(),
        cooperation: vec!["tech_development".to_owned()],
    };
    let m = Matcher {
        analyzer: a,
        taxonomy: &w.taxonomy,
        weights: &w.weights,
    };
    if let Err(e) = m.rank_capabilities(&w.index, &need, &MatchOptions::default()) {
        panic!("matching {q:?} failed: {e:#}");
    }
});
