//! `duijie search` and `duijie reindex`.

use crate::config::Config;
use crate::domain::access::Visibility;
use crate::search::Kind;
use crate::search::analyzer::Analyzer;
use crate::search::indexer::{self, Follower};
use crate::search::searcher::{self, Filters, SearchRequest};
use crate::search::store::{self, SearchIndex};
use crate::startup;
use std::process::ExitCode;
use std::sync::Arc;

/// Rebuilds the index from the database; a running server keeps answering
/// from its index and switches to the new one when it is complete.
pub async fn reindex(config: &Config, url: &str) -> anyhow::Result<ExitCode> {
    let (db, _) = startup::open_database(url).await?;
    let r = indexer::rebuild(&db, &store::root(&config.data_dir), true).await?;
    let docs = r.needs + r.capabilities;
    println!(
        "reindex: needs={} capabilities={} seconds={:.2} docs_per_second={:.0} build={} position={}",
        r.needs,
        r.capabilities,
        r.seconds,
        docs as f64 / r.seconds.max(1e-9),
        r.build,
        r.position
    );
    Ok(ExitCode::SUCCESS)
}

/// Compares the current index with the database: the same needs and indexed
/// capabilities, at the same versions. Prints one line; exit 1 on a
/// difference (used after crashes, by the fault script and by operators).
pub async fn check(config: &Config, url: &str) -> anyhow::Result<ExitCode> {
    let (db, _) = startup::open_database(url).await?;
    let root = store::root(&config.data_dir);
    let Some(build) = store::current_build(&root) else {
        println!("index-check: status=missing");
        return Ok(ExitCode::from(1));
    };
    let index = SearchIndex::open(&root, &build)?;
    let (want_needs, want_caps) = indexer::database_contents(&db).await?;
    let got_needs = index.contents(Kind::Need)?;
    let got_caps = index.contents(Kind::Capability)?;
    let differ = |want: &[(String, u64)], got: &[(String, u64)]| {
        let want: std::collections::HashSet<_> = want.iter().collect();
        let got: std::collections::HashSet<_> = got.iter().collect();
        want.symmetric_difference(&got).count()
    };
    let (dn, dc) = (
        differ(&want_needs, &got_needs),
        differ(&want_caps, &got_caps),
    );
    let ok = dn == 0 && dc == 0;
    println!(
        "index-check: status={} needs={} capabilities={} differing_needs={dn} differing_capabilities={dc} build={build}",
        if ok { "ok" } else { "differs" },
        want_needs.len(),
        want_caps.len(),
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Opens the current index, bringing it up to date with the database first
/// when no server holds it (a server keeps its own index current).
pub(super) async fn open_current(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<Arc<SearchIndex>> {
    let root = store::root(&config.data_dir);
    let build = match store::current_build(&root) {
        Some(b) => b,
        None => indexer::rebuild(db, &root, true).await?.build,
    };
    let index = Arc::new(SearchIndex::open(&root, &build)?);
    if let Ok(mut follower) = Follower::new(Arc::clone(&index)) {
        loop {
            let (f, n) = follower.step(db).await?;
            follower = f;
            if n == 0 {
                break;
            }
        }
    }
    Ok(index)
}

pub async fn run(
    config: &Config,
    url: &str,
    query: &str,
    kind: &str,
    top: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let kind = Kind::parse(kind).ok_or_else(|| {
        anyhow::anyhow!("--kind 只能是 need 或 capability (--kind must be need or capability)")
    })?;
    let (db, _) = startup::open_database(url).await?;
    let index = open_current(config, &db).await?;
    let req = SearchRequest {
        q: query.to_owned(),
        kind,
        filters: Filters::default(),
        visibility: Visibility::All,
        offset: 0,
        limit: top.clamp(1, searcher::WINDOW),
    };
    let analyzer = Analyzer::shared();
    let results =
        tokio::task::spawn_blocking(move || searcher::search(&index, &analyzer, &req)).await??;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    let more = if results.total_is_lower_bound {
        "+"
    } else {
        ""
    };
    println!(
        "{} 条结果 / hits: {}{more}  检索词 / terms: {}",
        results.hits.len(),
        results.total,
        results.terms.join(" ")
    );
    for e in &results.expansions {
        println!(
            "  同义扩展 / expansion: {} → {} (×{})",
            e.matched, e.form, e.weight
        );
    }
    for (i, h) in results.hits.iter().enumerate() {
        println!(
            "{:>3}. {:>7.3}  {}  {}  〔{}｜{}〕",
            i + 1,
            h.score,
            h.id,
            h.title,
            h.org_name,
            h.field
        );
        println!("      {}", terminal_text(&h.snippet_html));
    }
    Ok(ExitCode::SUCCESS)
}

/// Snippet HTML for a terminal: marks as 【】, entities decoded.
fn terminal_text(html: &str) -> String {
    html.replace("<mark>", "【")
        .replace("</mark>", "】")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
