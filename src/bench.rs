//! `duijie bench`: reproducible performance figures for BENCHMARKS.md.
//!
//! Generates a corpus (or uses one), imports it into a fresh database, builds
//! the index, and measures: import records/s, analyzer MB/s against raw
//! jieba, index build docs/s and size, search latency over a fixed query set
//! with and without filters, write-to-searchable latency, and peak memory.
//! Every figure is printed as one `bench.<name> key=value …` line.
//! Run it on a release build; debug figures are not meaningful.

use crate::corpus_gen::{self, GenSpec};
use crate::domain::access::Visibility;
use crate::domain::{NeedDraft, PostingDraft};
use crate::interchange::import;
use crate::search::Kind;
use crate::search::analyzer::{Analyzer, Mode};
use crate::search::indexer::{self, Follower};
use crate::search::searcher::{self, Filters, SearchRequest};
use crate::search::store::{self, SearchIndex};
use crate::startup;
use crate::storage::entities::{capability, need};
use crate::storage::repo;
use anyhow::Context;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder, QuerySelect};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct BenchSpec {
    pub docs: usize,
    pub seed: u64,
    /// Work folder (corpus, SQLite database, index); created if missing.
    pub dir: PathBuf,
    /// Database URL; default: SQLite in `dir`.
    pub database_url: Option<String>,
    pub queries: usize,
    /// Keep the database and index of an earlier run (SQLite) and measure
    /// only what follows the build.
    pub reuse: bool,
    /// Match weights file; default: the shipped weights.
    pub weights: Option<PathBuf>,
}

fn line(name: &str, fields: &[(&str, String)]) {
    let kv: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("bench.{name} {}", kv.join(" "));
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Peak resident set size of this process, from /proc (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

/// A memory figure of this process from /proc/self/status, in MiB.
fn status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Current resident memory, split into heap (anonymous) and mapped index
/// files: the file part is page cache the kernel can drop under pressure.
fn memory_now() -> Vec<(&'static str, String)> {
    let mib = |key| format!("{:.0}", status_mib(key).unwrap_or(0.0));
    vec![
        ("rss_mib", mib("VmRSS:")),
        ("anon_mib", mib("RssAnon:")),
        ("file_mib", mib("RssFile:")),
        ("peak_rss_mib", mib("VmHWM:")),
    ]
}

pub async fn run(spec: BenchSpec) -> anyhow::Result<()> {
    std::fs::create_dir_all(&spec.dir)?;
    let corpus = spec.dir.join(format!("corpus-{}-{}", spec.docs, spec.seed));
    let needs = spec.docs / 5;
    let caps = spec.docs - needs;
    if !corpus.join("capabilities.jsonl").exists() {
        let started = Instant::now();
        let r = corpus_gen::generate(
            &corpus,
            &GenSpec {
                needs,
                capabilities: caps,
                seed: spec.seed,
            },
        )?;
        line(
            "gen",
            &[
                ("docs", spec.docs.to_string()),
                ("bytes", r.bytes.to_string()),
                ("seconds", format!("{:.1}", started.elapsed().as_secs_f64())),
            ],
        );
    }

    // Import into a fresh database.
    let url = match &spec.database_url {
        Some(u) => u.clone(),
        None => {
            let db_file = spec.dir.join(format!("bench-{}.db", spec.docs));
            if !spec.reuse {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", db_file.display()));
                }
            }
            format!("sqlite://{}?mode=rwc", db_file.display())
        }
    };
    let (db, taxonomy) = startup::open_database(&url).await?;
    let started = Instant::now();
    let report = import::import_dir(&db, &taxonomy, &corpus, import::Options::default()).await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.rejected() == 0,
        "generated corpus had rejected lines"
    );
    // With --reuse every record is already there: the line then measures an
    // import that finds everything unchanged.
    line(
        if spec.reuse {
            "reimport_unchanged"
        } else {
            "import"
        },
        &[
            (
                "backend",
                if url.starts_with("postgres") {
                    "postgres".into()
                } else {
                    "sqlite".into()
                },
            ),
            ("records", report.records().to_string()),
            ("seconds", format!("{secs:.2}")),
            (
                "records_per_second",
                format!("{:.0}", report.records() as f64 / secs),
            ),
        ],
    );

    // Analyzer throughput against raw jieba on the same texts (one core).
    let texts = sample_texts(&db, 20_000).await?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let analyzer = Analyzer::shared();
    // Five rounds. Within a round the two alternate every 64 texts (which
    // one goes first alternating too, so that neither always finds the
    // texts in cache): a noisy neighbour then slows both sides of the ratio
    // alike. Whole passes back to back gave ratios from 0.69 to 0.96 on one
    // build; this gives 0.81-0.83. Medians are reported.
    let rounds = tokio::task::spawn_blocking({
        let analyzer = Arc::clone(&analyzer);
        move || {
            let mut n = 0usize;
            let mut rounds = Vec::new();
            for _ in 0..5 {
                let (mut ours, mut raw) = (0f64, 0f64);
                for (k, chunk) in texts.chunks(64).enumerate() {
                    let time_ours = |n: &mut usize| {
                        let t = Instant::now();
                        for s in chunk {
                            analyzer.for_each_term(s, Mode::Search, |_, _, _| *n += 1);
                        }
                        t.elapsed().as_secs_f64()
                    };
                    let time_raw = |n: &mut usize| {
                        let t = Instant::now();
                        for s in chunk {
                            *n += analyzer.raw_cut(s, true).len();
                        }
                        t.elapsed().as_secs_f64()
                    };
                    if k % 2 == 0 {
                        ours += time_ours(&mut n);
                        raw += time_raw(&mut n);
                    } else {
                        raw += time_raw(&mut n);
                        ours += time_ours(&mut n);
                    }
                }
                rounds.push((ours, raw));
            }
            std::hint::black_box(n);
            rounds
        }
    })
    .await?;
    let mb = bytes as f64 / 1e6;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ours = median(rounds.iter().map(|r| mb / r.0).collect());
    let raw = median(rounds.iter().map(|r| mb / r.1).collect());
    let ratio = median(rounds.iter().map(|r| r.1 / r.0).collect());
    line(
        "tokenizer",
        &[
            ("mb", format!("{mb:.1}")),
            ("rounds", rounds.len().to_string()),
            ("analyzer_mb_per_s", format!("{ours:.1}")),
            ("raw_jieba_cut_for_search_mb_per_s", format!("{raw:.1}")),
            ("ratio", format!("{ratio:.2}")),
        ],
    );

    // Full index build.
    let root = store::root(&spec.dir.join(format!("data-{}", spec.docs)));
    let reused = if spec.reuse {
        store::current_build(&root)
    } else {
        None
    };
    let r = match reused {
        Some(build) => indexer::RebuildReport {
            needs: need::Entity::find().count(&db).await?,
            capabilities: capability::Entity::find().count(&db).await?,
            build,
            seconds: f64::NAN,
            position: 0,
        },
        None => {
            let _ = std::fs::remove_dir_all(&root);
            indexer::rebuild(&db, &root, false).await?
        }
    };
    let docs = r.needs + r.capabilities;
    let corpus_bytes = dir_size(&corpus);
    let index_bytes = dir_size(&root.join(&r.build));
    if r.seconds.is_finite() {
        line(
            "reindex",
            &[
                ("docs", docs.to_string()),
                ("seconds", format!("{:.2}", r.seconds)),
                ("docs_per_second", format!("{:.0}", docs as f64 / r.seconds)),
                (
                    "mb_per_second",
                    format!("{:.1}", corpus_bytes as f64 / 1e6 / r.seconds),
                ),
                (
                    "index_mib",
                    format!("{:.1}", index_bytes as f64 / (1 << 20) as f64),
                ),
                (
                    "corpus_mib",
                    format!("{:.1}", corpus_bytes as f64 / (1 << 20) as f64),
                ),
            ],
        );
    }

    line("memory_after_index", &memory_now());

    // Search latency over a fixed query set: need titles (long, matching-like)
    // and their first keyword (short), against capabilities.
    let index = Arc::new(SearchIndex::open(&root, &r.build)?);
    let queries = query_set(&db, spec.queries, 0).await?;
    // One untimed pass first, with other needs' titles: a server that has
    // been answering for a while has the index pages it needs mapped; the
    // first queries after opening an index pay page faults that no later
    // query does. (Other queries, so that the timed ones find no pages
    // warmed for them in particular.)
    for (q, _) in &query_set(&db, spec.queries, spec.queries as u64).await? {
        let req = SearchRequest {
            q: q.clone(),
            kind: Kind::Capability,
            filters: Filters::default(),
            visibility: Visibility::Public,
            offset: 0,
            limit: 10,
        };
        searcher::search(&index, &analyzer, &req)?;
    }
    for (label, filtered) in [("search", false), ("search_filtered", true)] {
        let mut lat = Vec::with_capacity(queries.len());
        for (q, field) in &queries {
            let req = SearchRequest {
                q: q.clone(),
                kind: Kind::Capability,
                filters: Filters {
                    field: filtered.then(|| field.clone()),
                    ..Default::default()
                },
                visibility: Visibility::Public,
                offset: 0,
                limit: 10,
            };
            let index = Arc::clone(&index);
            let analyzer = Arc::clone(&analyzer);
            let t = Instant::now();
            tokio::task::spawn_blocking(move || searcher::search(&index, &analyzer, &req))
                .await??;
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        lat.sort_by(f64::total_cmp);
        line(
            label,
            &[
                ("queries", lat.len().to_string()),
                ("p50_ms", format!("{:.2}", percentile(&lat, 0.5))),
                ("p99_ms", format!("{:.2}", percentile(&lat, 0.99))),
                (
                    "max_ms",
                    format!("{:.2}", lat.last().copied().unwrap_or(0.0)),
                ),
            ],
        );
    }
    line("memory_after_search", &memory_now());

    // Matching: rank capabilities for needs (stage 1 + feedback + re-rank).
    let weights = match &spec.weights {
        Some(path) => toml::from_str(
            &std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?,
        )?,
        None => crate::matching::Weights::builtin()?,
    };
    let needs_sample: Vec<need::Model> = need::Entity::find()
        .order_by_asc(need::Column::Id)
        .limit(spec.queries.min(200) as u64)
        .all(&db)
        .await?;
    // Warm-up as for search: other needs first, untimed.
    let warm_up: Vec<need::Model> = need::Entity::find()
        .order_by_asc(need::Column::Id)
        .offset(needs_sample.len() as u64)
        .limit(needs_sample.len() as u64)
        .all(&db)
        .await?;
    // Lexical only: embedding a million generated records would take days
    // on this machine; the semantic signal is for curated corpora.
    let matcher = crate::matching::Matcher {
        vectors: None,
        analyzer: &analyzer,
        taxonomy: &taxonomy,
        weights: &weights,
    };
    let options = crate::matching::MatchOptions::default();
    for n in &warm_up {
        let profile = crate::matching::Profile::from_model(n);
        std::hint::black_box(matcher.rank_capabilities(&index, &profile, &options)?);
    }
    let mut lat = Vec::with_capacity(needs_sample.len());
    for n in &needs_sample {
        let profile = crate::matching::Profile::from_model(n);
        let t = Instant::now();
        let ranked = matcher.rank_capabilities(&index, &profile, &options)?;
        std::hint::black_box(ranked);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    line(
        "match",
        &[
            ("needs", lat.len().to_string()),
            ("capabilities", r.capabilities.to_string()),
            ("p50_ms", format!("{:.2}", percentile(&lat, 0.5))),
            ("p99_ms", format!("{:.2}", percentile(&lat, 0.99))),
        ],
    );
    drop(index);
    line("memory_after_match", &memory_now());
    semantic_scan(usize::try_from(r.capabilities).unwrap_or(usize::MAX));

    // Write → searchable: a need written to the database, followed by the
    // indexer loop as the server runs it (poll or notification).
    let lat = write_to_searchable(&db, &root, &r.build, &taxonomy).await?;
    line(
        "write_to_searchable",
        &[
            ("writes", lat.len().to_string()),
            ("p50_ms", format!("{:.1}", percentile(&lat, 0.5))),
            ("p99_ms", format!("{:.1}", percentile(&lat, 0.99))),
        ],
    );
    line("memory", &memory_now());
    Ok(())
}

/// What semantic matching adds to a ranking beyond the lexical work: the
/// cosine with every record's vector and the nearest 50. Measured on
/// random unit vectors (embedding a generated million records would take
/// days), at most 20,000 rows so that the run's peak memory stays the
/// index's; the scan is linear in the rows.
fn semantic_scan(records: usize) {
    use rand::{Rng, SeedableRng};
    const DIM: usize = 384;
    let rows = records.clamp(1, 20_000);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut matrix = Vec::with_capacity(rows * DIM);
    for _ in 0..rows {
        let v: Vec<f32> = (0..DIM).map(|_| rng.random::<f32>() - 0.5).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        matrix.extend(v.iter().map(|x| x / norm));
    }
    let snapshot = crate::semantic::Snapshot::new(
        (0..rows).map(|i| (i.to_string(), 1)).collect(),
        matrix,
        DIM,
    );
    let mut lat = Vec::new();
    for q in 0..200 {
        let query = snapshot.get(&(q % rows).to_string()).map(<[f32]>::to_vec);
        let t = Instant::now();
        let mut cos = snapshot.cosines(query.as_deref().unwrap_or(&[]));
        let k = 50.min(cos.len()).max(1);
        cos.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        std::hint::black_box(&cos);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    let p50 = percentile(&lat, 0.5);
    line(
        "semantic_scan",
        &[
            ("rows", rows.to_string()),
            ("p50_ms", format!("{p50:.3}")),
            (
                "ms_per_100k_rows",
                format!("{:.1}", p50 * 100_000.0 / rows as f64),
            ),
        ],
    );

    // The hubness of new records (see `semantic::vectors::Hubness`), which
    // the background thread computes after embedding them: each row against
    // at most 2,048 reference rows of the other kind.
    let new_rows = rows.min(2_000);
    let of = crate::semantic::Snapshot::new(
        (0..new_rows).map(|i| (i.to_string(), 1)).collect(),
        (0..new_rows)
            .filter_map(|i| snapshot.get(&i.to_string()))
            .flatten()
            .copied()
            .collect(),
        DIM,
    );
    let t = Instant::now();
    let hub = crate::semantic::vectors::Hubness::compute(&of, &snapshot, None);
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box(&hub);
    line(
        "semantic_hubness",
        &[
            ("rows", new_rows.to_string()),
            ("reference", rows.div_ceil(rows.div_ceil(2_048)).to_string()),
            ("ms_per_row", format!("{:.3}", ms / new_rows as f64)),
            (
                "s_per_100k_rows",
                format!("{:.1}", ms * 100.0 / new_rows as f64),
            ),
        ],
    );
}

async fn sample_texts(db: &sea_orm::DatabaseConnection, n: u64) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, String)> = capability::Entity::find()
        .select_only()
        .column(capability::Column::Title)
        .column(capability::Column::Description)
        .order_by_asc(capability::Column::Id)
        .limit(n)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(t, d)| format!("{t}\n{d}")).collect())
}

async fn query_set(
    db: &sea_orm::DatabaseConnection,
    n: usize,
    skip_needs: u64,
) -> anyhow::Result<Vec<(String, String)>> {
    let rows: Vec<(String, String, String)> = need::Entity::find()
        .select_only()
        .column(need::Column::Title)
        .column(need::Column::Keywords)
        .column(need::Column::Field)
        .order_by_asc(need::Column::Id)
        .offset(skip_needs)
        .limit(n as u64 / 2 + 1)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::new();
    for (title, keywords, field) in rows {
        out.push((title, field.clone()));
        if let Some(k) = crate::storage::lists::decode(&keywords).into_iter().next() {
            out.push((k, field));
        }
    }
    out.truncate(n);
    Ok(out)
}

async fn write_to_searchable(
    db: &sea_orm::DatabaseConnection,
    root: &Path,
    build: &str,
    taxonomy: &crate::domain::Taxonomy,
) -> anyhow::Result<Vec<f64>> {
    let index = Arc::new(SearchIndex::open(root, build)?);
    let mut follower = Some(Follower::new(Arc::clone(&index))?);
    let org = crate::storage::entities::organization::Entity::find()
        .one(db)
        .await?
        .context("no organization")?;
    let analyzer = Analyzer::shared();
    let mut lat = Vec::new();
    for i in 0..20 {
        let id = format!("bench-write-{i}");
        let title = format!("写入延迟测试{i}号钒钛磁铁矿综合利用");
        let kw: Vec<String> = Vec::new();
        let draft = NeedDraft {
            posting: PostingDraft {
                id: &id,
                org: &org.external_id,
                title: &title,
                description: "测量从写入数据库到可被检索的时间。",
                field: "materials",
                keywords: &kw,
                cooperation: &kw,
            },
            ..Default::default()
        };
        let need = draft
            .validate(taxonomy)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let t = Instant::now();
        repo::needs::upsert_batch(db, &[(need, org.id)], chrono::Utc::now()).await?;
        // The server's indexer wakes on a notification or its 100 ms poll;
        // here one step runs as soon as the write returns, as after a notification.
        loop {
            let f = follower.take().context("follower")?;
            let (f, _) = f.step(db).await?;
            follower = Some(f);
            let req = SearchRequest {
                q: format!("写入延迟测试{i}号"),
                kind: Kind::Need,
                filters: Filters::default(),
                visibility: Visibility::All,
                offset: 0,
                limit: 1,
            };
            let found = searcher::search(&index, &analyzer, &req)?;
            if found.hits.first().is_some_and(|h| h.id == id) {
                break;
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(10),
                "write {i} never became searchable"
            );
        }
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    Ok(lat)
}
