//! The command line: `duijie serve | migrate | import | export`.

use crate::config::Config;
use crate::interchange::{export, import};
use crate::startup::{self, Application};
use crate::{demo, storage};

mod accounts;
mod kpi_cmd;
mod match_cmd;
mod search_cmd;
use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "duijie",
    version,
    about = "产学研技术对接服务 · matching enterprises' technology needs with research capabilities"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 启动服务（启动时自动迁移数据库）· Serve the API (applies migrations first).
    Serve {
        /// 监听地址 · Address to listen on.
        #[arg(long, env = "DUIJIE_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// 数据库为空时载入演示数据和演示账号 · Load the demo corpus and accounts into an empty database.
        #[arg(long)]
        demo: bool,
    },
    /// 数据库迁移 · Database migrations.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// 导入语料目录（JSON Lines）· Import a corpus folder; exit 2 if any line was rejected.
    Import { dir: PathBuf },
    /// 导出为语料目录（JSON Lines）· Export everything as a corpus folder.
    Export { dir: PathBuf },
    /// 全文检索（命令行，管理员视角）· Search from the command line (sees everything).
    Search {
        query: String,
        /// `capability` (default) or `need`.
        #[arg(long, default_value = "capability")]
        kind: String,
        /// 返回条数 · Number of hits.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// 输出 JSON · Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// 账号管理 · Manage users.
    User {
        #[command(subcommand)]
        action: accounts::UserCommand,
    },
    /// API 令牌管理 · Manage API tokens.
    Token {
        #[command(subcommand)]
        action: accounts::TokenCommand,
    },
    /// 从数据库重建搜索索引（运行中的服务继续使用旧索引，完成后切换）· Rebuild the search index.
    Reindex {
        /// 只核对索引与数据库是否一致（不重建）；不一致时退出码 1 · Only check that the
        /// index holds exactly the database's records and versions; exit 1 if not.
        #[arg(long)]
        check: bool,
    },
    /// 在评测语料上评估匹配排序（临时数据库与索引）· Evaluate ranking on a judged corpus.
    Eval {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
        /// 使用指定的权重文件 · Use this weights file instead of the current one.
        #[arg(long)]
        weights: Option<PathBuf>,
    },
    /// 把每条征集中需求的前几名推荐存为“系统推荐”匹配（可重复执行）· Store top suggestions as matches.
    Suggest {
        #[arg(long, default_value_t = 5)]
        top: usize,
    },
    /// 用项目人员的确认/否决重新拟合排序权重 · Refit ranking weights from staff decisions.
    Train {
        /// 训练前后评估用的语料 · Judged corpus for the before/after metrics.
        #[arg(long, default_value = "../shared/eval/dev")]
        eval: PathBuf,
    },
    /// 为一条需求推荐科研能力 · Rank capabilities for a need.
    Match {
        need_id: String,
        #[arg(long, default_value_t = 20)]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// 行动计划指标报告 · The KPI report of the action plan.
    Kpi {
        /// 输出 JSON · Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// 只统计某个城市 · Only this city.
        #[arg(long)]
        city: Option<String>,
        /// 只统计某个领域（代码）· Only this field code.
        #[arg(long)]
        field: Option<String>,
    },
    /// 性能基准（请用 release 构建）· Benchmarks; run a release build.
    Bench {
        /// 文档总数（1/5 需求，4/5 能力）· Total documents (1/5 needs, 4/5 capabilities).
        #[arg(long, default_value_t = 100_000)]
        docs: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 固定查询集的大小 · Size of the fixed query set.
        #[arg(long, default_value_t = 400)]
        queries: usize,
        /// 工作目录（语料、数据库、索引）· Work folder.
        #[arg(long, default_value = "./bench-data")]
        dir: PathBuf,
        /// 复用上次的数据库和索引（只测其后的项目）· Reuse the last run's database and index.
        #[arg(long)]
        reuse: bool,
        /// 匹配使用指定的权重文件 · Match with this weights file instead of the shipped one.
        #[arg(long)]
        weights: Option<PathBuf>,
    },
    /// 生成合成语料（基准测试用，同一种子同样的字节）· Generate a synthetic corpus.
    Gen {
        dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        needs: usize,
        #[arg(long, default_value_t = 1000)]
        capabilities: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back the last applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again (deletes all data).
    Fresh,
}

/// Exit code when an import rejected lines (the valid ones are loaded).
pub const EXIT_REJECTED: u8 = 2;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config;
    if config.database_url.is_none() {
        config.prepare_data_dir()?;
    }
    let url = config.database_url();
    match cli.command {
        Command::Serve { bind, demo } => serve(&config, &url, &bind, demo).await,
        Command::Migrate { action } => migrate(&url, action).await,
        Command::Import { dir } => import(&url, &dir).await,
        Command::Export { dir } => export(&url, &dir).await,
        Command::Search {
            query,
            kind,
            top,
            json,
        } => search_cmd::run(&config, &url, &query, &kind, top, json).await,
        Command::Reindex { check: false } => search_cmd::reindex(&config, &url).await,
        Command::Reindex { check: true } => search_cmd::check(&config, &url).await,
        Command::User { action } => accounts::user(&url, action).await,
        Command::Token { action } => accounts::token(&url, action).await,
        Command::Eval { dir, json, weights } => {
            match_cmd::eval(&config, &dir, json, weights.as_deref()).await
        }
        Command::Suggest { top } => match_cmd::suggest(&config, &url, top).await,
        Command::Train { eval } => match_cmd::train(&config, &url, &eval).await,
        Command::Match { need_id, top, json } => {
            match_cmd::run(&config, &url, &need_id, top, json).await
        }
        Command::Kpi { json, city, field } => kpi_cmd::run(&url, json, city, field).await,
        Command::Bench {
            docs,
            seed,
            queries,
            dir,
            reuse,
            weights,
        } => {
            crate::bench::run(crate::bench::BenchSpec {
                docs,
                seed,
                dir,
                database_url: config.database_url.clone(),
                queries,
                reuse,
                weights,
            })
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen {
            dir,
            needs,
            capabilities,
            seed,
        } => gen_corpus(&dir, needs, capabilities, seed),
    }
}

async fn serve(config: &Config, url: &str, bind: &str, demo: bool) -> anyhow::Result<ExitCode> {
    // The index lives in the data directory even when the database does not.
    config.prepare_data_dir()?;
    let (db, taxonomy) = startup::open_database(url).await?;
    if demo {
        match demo::load_if_empty(&db, &taxonomy).await? {
            Some(report) => {
                tracing::info!(records = report.records(), "loaded the demo corpus");
                let names: Vec<&str> = demo::ACCOUNTS.iter().map(|a| a.username).collect();
                tracing::info!(
                    "演示账号 / demo accounts: {} (password: {})",
                    names.join(", "),
                    demo::DEMO_PASSWORD
                );
            }
            None => tracing::info!("database not empty: demo data not loaded"),
        }
    }
    let webhooks = crate::webhooks::WebhookConfig {
        allow_private_targets: webhook_allow_private_from_env(),
        ..Default::default()
    };
    if webhooks.allow_private_targets {
        tracing::warn!("DUIJIE_WEBHOOK_ALLOW_PRIVATE: webhooks may target internal addresses");
    }
    let model = config.semantic_model()?;
    match &model {
        Some(m) => tracing::info!(model = m.id(), "semantic matching is on"),
        None => tracing::info!("no semantic model: matching is lexical only"),
    }
    let app = Application::build(db, taxonomy, bind, &config.data_dir, model)
        .await?
        .with_webhook_config(webhooks);
    let addr = app.local_addr()?;
    tracing::info!(%addr, database = %storage::redact(url), "duijie listening");
    println!(
        "duijie 已启动 / listening on http://{addr}  (API 文档 / docs: http://{addr}/api/docs)"
    );
    app.run_until_stopped(startup::shutdown_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// `DUIJIE_WEBHOOK_ALLOW_PRIVATE=1` (or `true`/`yes`): webhook subscriptions
/// may target loopback, private and link-local addresses.
fn webhook_allow_private_from_env() -> bool {
    std::env::var("DUIJIE_WEBHOOK_ALLOW_PRIVATE").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

async fn migrate(url: &str, action: MigrateAction) -> anyhow::Result<ExitCode> {
    let db = storage::connect(url).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await?,
        MigrateAction::Down => Migrator::down(&db, Some(1)).await?,
        MigrateAction::Fresh => {
            // SQLite checks foreign keys while dropping tables one by one, which
            // fails part-way; on one connection with the checks off it does not.
            if !storage::is_postgres(&db) {
                db.close().await.ok();
                let single = storage::connect_single(url).await?;
                single
                    .execute_unprepared("PRAGMA foreign_keys = OFF")
                    .await?;
                Migrator::fresh(&single).await?;
                single
                    .execute_unprepared("PRAGMA foreign_keys = ON")
                    .await?;
                println!("migrate {action:?}: ok");
                return Ok(ExitCode::SUCCESS);
            }
            Migrator::fresh(&db).await?
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db).await? {
                let status = match m.status() {
                    migration::MigrationStatus::Applied => "applied",
                    migration::MigrationStatus::Pending => "pending",
                };
                println!("{}\t{status}", m.name());
            }
            return Ok(ExitCode::SUCCESS);
        }
    }
    println!("migrate {action:?}: ok");
    Ok(ExitCode::SUCCESS)
}

async fn import(url: &str, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let (db, taxonomy) = startup::open_database(url).await?;
    let started = Instant::now();
    let mut print_rejection = |r: &import::Rejection| eprintln!("{r}");
    let report = import::import_dir(
        &db,
        &taxonomy,
        dir,
        import::Options {
            progress: true,
            on_reject: Some(&mut print_rejection),
        },
    )
    .await
    .with_context(|| format!("导入失败 / import of {} failed", dir.display()))?;
    let secs = started.elapsed().as_secs_f64();
    for f in &report.files {
        println!("{f}");
    }
    let records = report.records();
    println!(
        "total: records={records} rejected={} seconds={secs:.2} records_per_second={:.0}",
        report.rejected(),
        records as f64 / secs.max(1e-9)
    );
    if report.files.is_empty() {
        eprintln!(
            "{}: 没有找到 organizations.jsonl、needs.jsonl 或 capabilities.jsonl (no interchange files found)",
            dir.display()
        );
    }
    Ok(if report.rejected() > 0 {
        ExitCode::from(EXIT_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

async fn export(url: &str, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let (db, _) = startup::open_database(url).await?;
    let r = export::export_dir(&db, dir)
        .await
        .with_context(|| format!("导出失败 / export to {} failed", dir.display()))?;
    println!(
        "exported: organizations={} needs={} capabilities={} dir={}",
        r.organizations,
        r.needs,
        r.capabilities,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn gen_corpus(
    dir: &std::path::Path,
    needs: usize,
    capabilities: usize,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let r = crate::corpus_gen::generate(
        dir,
        &crate::corpus_gen::GenSpec {
            needs,
            capabilities,
            seed,
        },
    )?;
    println!(
        "generated: organizations={} needs={} capabilities={} bytes={} seconds={:.2} dir={}",
        r.organizations,
        r.needs,
        r.capabilities,
        r.bytes,
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
