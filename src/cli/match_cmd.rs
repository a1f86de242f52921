//! `duijie eval` and `duijie match`.

use super::search_cmd::open_current;
use crate::config::Config;
use crate::matching::eval;
use crate::matching::{MatchOptions, Matcher, Profile, Weights};
use crate::search::analyzer::Analyzer;
use crate::semantic::vectors::load_for;
use crate::startup;
use crate::storage::entities::need;
use anyhow::Context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Records a command embeds itself at most (~0.1 s each); the server's
/// background task embeds the rest.
const CLI_EMBED_BUDGET: usize = 2_000;

fn weights_for(config: &Config, file: Option<&Path>) -> anyhow::Result<Weights> {
    match file {
        Some(f) => Ok(toml::from_str(
            &std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
        )?),
        None => Weights::load(&config.data_dir),
    }
}

pub async fn eval(
    config: &Config,
    dir: &Path,
    json: bool,
    weights: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let weights = weights_for(config, weights)?;
    let started = Instant::now();
    let r = eval::eval_dir(dir, &weights, config.semantic_model()?).await?;
    if json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "权重 / weights: {}   用时 / seconds: {:.1}   每条需求排序 / per need: {:.1} ms (p50)",
        r.weights,
        started.elapsed().as_secs_f64(),
        r.rank_ms_p50
    );
    println!(
        "语义模型 / semantic model: {}",
        r.semantic
            .as_deref()
            .unwrap_or("未启用（仅词汇特征） / off (lexical only)")
    );
    println!("最差的五条需求 / five worst needs:");
    for w in &r.worst {
        println!(
            "  {}  ndcg@10={:.3} recall@20={:.3}  {}",
            w.need, w.ndcg10, w.recall20, w.title
        );
    }
    println!(
        "ndcg@10={:.3} recall@20={:.3} mrr={:.3} needs={}",
        r.ndcg10, r.recall20, r.mrr, r.needs
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run(
    config: &Config,
    url: &str,
    need_id: &str,
    top: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let (db, taxonomy) = startup::open_database(url).await?;
    let Some(n) = need::Entity::find()
        .filter(need::Column::ExternalId.eq(need_id))
        .one(&db)
        .await?
    else {
        eprintln!("需求“{need_id}”不存在 (need '{need_id}' does not exist)");
        return Ok(ExitCode::from(2));
    };
    let index = open_current(config, &db).await?;
    let weights = Weights::load(&config.data_dir)?;
    let analyzer = Analyzer::shared();
    let need = Profile::from_model(&n);
    let data_dir = config.data_dir.clone();
    let model = config.semantic_model()?;
    let ranked = tokio::task::spawn_blocking(move || {
        let vectors = load_for(&data_dir, &index, CLI_EMBED_BUDGET, model)?;
        let m = Matcher {
            analyzer: &analyzer,
            taxonomy: &taxonomy,
            weights: &weights,
            vectors: vectors.as_ref(),
        };
        m.rank_capabilities(
            &index,
            &need,
            &MatchOptions {
                top,
                ..MatchOptions::default()
            },
        )
    })
    .await??;
    if json {
        println!("{}", serde_json::to_string_pretty(&ranked)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("需求 / need {}: {}", n.external_id, n.title);
    for (i, r) in ranked.iter().enumerate() {
        let c = &r.capability;
        println!(
            "{:>3}. {:.3}  {}  {}  〔{}｜{}｜TRL {}〕",
            i + 1,
            r.score,
            c.id,
            c.title,
            c.org_name,
            c.field,
            c.maturity.map_or("-".to_owned(), |m| m.to_string())
        );
        let terms: Vec<&str> = r
            .matched_terms
            .iter()
            .take(8)
            .map(|m| m.term.as_str())
            .collect();
        let parts: Vec<String> = r
            .contributions
            .iter()
            .filter(|c| c.contribution > 0.0)
            .map(|c| format!("{} {:.2}", c.feature, c.contribution))
            .collect();
        println!(
            "      命中 / terms: {}   构成 / parts: {}",
            terms.join("、"),
            parts.join(", ")
        );
        for rule in &r.rules {
            println!("      规则 / rule: {rule}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `duijie suggest`: the top suggestions of every open need become matches
/// in state `suggested`; pairs that already exist are left alone.
pub async fn suggest(config: &Config, url: &str, top: usize) -> anyhow::Result<ExitCode> {
    use crate::storage::entities::capability;
    use crate::storage::repo::matches;
    let (db, taxonomy) = startup::open_database(url).await?;
    let index = open_current(config, &db).await?;
    let weights = Weights::load(&config.data_dir)?;
    let open = need::Entity::find()
        .filter(need::Column::Status.eq(crate::domain::NeedStatus::Open.as_str()))
        .all(&db)
        .await?;
    let analyzer = Analyzer::shared();
    let vectors = {
        let (dir, index) = (config.data_dir.clone(), Arc::clone(&index));
        let model = config.semantic_model()?;
        tokio::task::spawn_blocking(move || load_for(&dir, &index, CLI_EMBED_BUDGET, model))
            .await??
    };
    let (mut inserted, mut considered) = (0usize, 0usize);
    for n in &open {
        let profile = Profile::from_model(n);
        let ranked = {
            let m = Matcher {
                analyzer: &analyzer,
                taxonomy: &taxonomy,
                weights: &weights,
                vectors: vectors.as_ref(),
            };
            m.rank_capabilities(
                &index,
                &profile,
                &MatchOptions {
                    top,
                    ..MatchOptions::default()
                },
            )?
        };
        let ids: Vec<&str> = ranked.iter().map(|r| r.capability.id.as_str()).collect();
        let internal: std::collections::HashMap<String, i64> = capability::Entity::find()
            .filter(capability::Column::ExternalId.is_in(ids))
            .all(&db)
            .await?
            .into_iter()
            .map(|c| (c.external_id, c.id))
            .collect();
        let pairs: Vec<(i64, f64)> = ranked
            .iter()
            .filter_map(|r| Some((*internal.get(&r.capability.id)?, f64::from(r.score))))
            .collect();
        considered += pairs.len();
        let txn = crate::storage::begin_write(&db).await?;
        inserted += matches::insert_suggestions(&txn, n.id, &pairs, chrono::Utc::now()).await?;
        txn.commit().await?;
    }
    println!(
        "suggest: needs={} suggestions={considered} inserted={inserted} existing={}",
        open.len(),
        considered - inserted
    );
    Ok(ExitCode::SUCCESS)
}

/// `duijie train`: refit the weights from confirmed/rejected matches, print
/// the judged-corpus metrics before and after, save a new weights version.
pub async fn train(config: &Config, url: &str, eval_dir: &Path) -> anyhow::Result<ExitCode> {
    use crate::matching::learn;
    use crate::storage::repo::matches;
    let (db, taxonomy) = startup::open_database(url).await?;
    let index = open_current(config, &db).await?;
    let current = Weights::load(&config.data_dir)?;
    let decisions = matches::decisions(&db).await?;
    let mut needs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for d in &decisions {
        if seen.insert(d.need.clone())
            && let Some(n) = need::Entity::find()
                .filter(need::Column::ExternalId.eq(&d.need))
                .one(&db)
                .await?
        {
            needs.push(Profile::from_model(&n));
        }
    }
    let analyzer = Analyzer::shared();
    let vectors = {
        let (dir, index) = (config.data_dir.clone(), Arc::clone(&index));
        let model = config.semantic_model()?;
        tokio::task::spawn_blocking(move || load_for(&dir, &index, CLI_EMBED_BUDGET, model))
            .await??
    };
    let fit = {
        let m = Matcher {
            analyzer: &analyzer,
            taxonomy: &taxonomy,
            weights: &current,
            vectors: vectors.as_ref(),
        };
        learn::fit(&m, &index, &needs, &decisions, &current)?
    };
    println!(
        "train: decisions={} pairs={} skipped={} loss_before={:.4} loss_after={:.4}",
        decisions.len(),
        fit.pairs,
        fit.skipped,
        fit.loss_before,
        fit.loss_after
    );
    if fit.pairs < learn::MIN_PAIRS {
        println!(
            "决策太少，权重未改变 / too few decisions: {} pairs (at least {} needed); weights stay {}",
            fit.pairs,
            learn::MIN_PAIRS,
            current.version
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut next = current.clone();
    next.weights = fit.weights;
    if eval_dir.join("qrels.tsv").exists() {
        let model = config.semantic_model()?;
        let before = eval::eval_dir(eval_dir, &current, model.clone()).await?;
        let after = eval::eval_dir(eval_dir, &next, model).await?;
        println!(
            "before ({}): ndcg@10={:.3} recall@20={:.3} mrr={:.3}",
            current.version, before.ndcg10, before.recall20, before.mrr
        );
        println!(
            "after:  ndcg@10={:.3} recall@20={:.3} mrr={:.3}",
            after.ndcg10, after.recall20, after.mrr
        );
    }
    let path = crate::matching::learn::save_next_version(&config.data_dir, next)?;
    println!("weights saved: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
