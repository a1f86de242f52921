//! Keeping the index in step with the database.
//!
//! The database is the source of truth. Every change to a need or capability
//! writes a row to the change log in the same transaction; one indexer task
//! per process owns the index writers and follows that log: it reads the
//! changes after the position recorded in the index's last commit, re-reads
//! the current rows, replaces their documents, and commits once per batch with
//! the new position as the commit payload. A crash at any moment leaves the
//! index at some committed position, and the next start resumes from there:
//! applying a change twice is harmless (delete, then add the current row).

use super::document::{self, Kind};
use super::store::{self, SearchIndex, seq_payload};
use crate::storage::entities::{capability, change_log, need, organization};
use crate::storage::repo;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tantivy::{IndexWriter, Term};

/// Change-log rows applied per commit at most.
const FOLLOW_BATCH: u64 = 5_000;
/// Rows read from the database per chunk while rebuilding.
const REBUILD_CHUNK: u64 = 2_000;
/// Writer memory while following (one thread) and rebuilding (per thread).
const FOLLOW_WRITER_BYTES: usize = 50_000_000;
const REBUILD_WRITER_BYTES: usize = 128_000_000;

/// Owns the writers of one build and applies the change log to them.
pub struct Follower {
    pub index: Arc<SearchIndex>,
    writers: HashMap<Kind, IndexWriter>,
    applied: HashMap<Kind, i64>,
}

impl Follower {
    pub fn new(index: Arc<SearchIndex>) -> anyhow::Result<Follower> {
        let mut writers = HashMap::new();
        let mut applied = HashMap::new();
        for kind in Kind::ALL {
            let w = index
                .kind(kind)
                .index
                .writer_with_num_threads(1, FOLLOW_WRITER_BYTES)
                .context("the index is locked by another process")?;
            writers.insert(kind, w);
            applied.insert(kind, index.applied_seq(kind)?);
        }
        Ok(Follower {
            index,
            writers,
            applied,
        })
    }

    /// The lowest position applied to both indexes.
    pub fn position(&self) -> i64 {
        self.applied.values().copied().min().unwrap_or(0)
    }

    /// Applies the next batch of changes; returns how many log rows it read.
    pub async fn step(mut self, db: &DatabaseConnection) -> anyhow::Result<(Follower, usize)> {
        let from = self.position();
        let changes = change_log::Entity::find()
            .filter(change_log::Column::Seq.gt(from))
            .order_by_asc(change_log::Column::Seq)
            .limit(FOLLOW_BATCH)
            .all(db)
            .await?;
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok((self, 0));
        };
        let n = changes.len();
        let rows = Rows::load(db, &changes).await?;
        let follower = tokio::task::spawn_blocking(move || -> anyhow::Result<Follower> {
            self.apply(&changes, &rows, last)?;
            Ok(self)
        })
        .await??;
        Ok((follower, n))
    }

    fn apply(
        &mut self,
        changes: &[change_log::Model],
        rows: &Rows,
        last: i64,
    ) -> anyhow::Result<()> {
        let f = self.index.fields;
        let mut touched: HashSet<(Kind, &str)> = HashSet::new();
        for c in changes {
            let Some(kind) = Kind::parse(&c.entity) else {
                continue;
            };
            if c.seq <= self.applied[&kind] || !touched.insert((kind, c.external_id.as_str())) {
                continue;
            }
            let Some(writer) = self.writers.get_mut(&kind) else {
                continue;
            };
            writer.delete_term(Term::from_field_text(f.id, &c.external_id));
            if let Some(doc) = rows.document(kind, &c.external_id, &f) {
                writer.add_document(doc)?;
            }
        }
        for kind in Kind::ALL {
            if last <= self.applied[&kind] {
                continue;
            }
            if let Some(writer) = self.writers.get_mut(&kind) {
                let mut commit = writer.prepare_commit()?;
                commit.set_payload(&seq_payload(last));
                commit.commit()?;
                self.index.kind(kind).reader.reload()?;
                self.applied.insert(kind, last);
            }
        }
        Ok(())
    }
}

/// The current rows behind a batch of changes.
struct Rows {
    needs: HashMap<String, need::Model>,
    capabilities: HashMap<String, capability::Model>,
    orgs: HashMap<i64, organization::Model>,
}

impl Rows {
    async fn load(db: &DatabaseConnection, changes: &[change_log::Model]) -> anyhow::Result<Rows> {
        let ids = |kind: Kind| -> Vec<&str> {
            let mut v: Vec<&str> = changes
                .iter()
                .filter(|c| c.entity == kind.as_str())
                .map(|c| c.external_id.as_str())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut needs = HashMap::new();
        for chunk in ids(Kind::Need).chunks(1000) {
            for n in need::Entity::find()
                .filter(need::Column::ExternalId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                needs.insert(n.external_id.clone(), n);
            }
        }
        let mut capabilities = HashMap::new();
        for chunk in ids(Kind::Capability).chunks(1000) {
            for c in capability::Entity::find()
                .filter(capability::Column::ExternalId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                capabilities.insert(c.external_id.clone(), c);
            }
        }
        let org_ids = needs
            .values()
            .map(|n| n.organization_id)
            .chain(capabilities.values().map(|c| c.organization_id));
        let orgs = repo::organizations::by_ids(db, org_ids).await?;
        Ok(Rows {
            needs,
            capabilities,
            orgs,
        })
    }

    fn document(
        &self,
        kind: Kind,
        id: &str,
        f: &super::schema::Fields,
    ) -> Option<tantivy::TantivyDocument> {
        match kind {
            Kind::Need => {
                let n = self.needs.get(id)?;
                Some(document::need_document(
                    f,
                    n,
                    self.orgs.get(&n.organization_id)?,
                ))
            }
            Kind::Capability => {
                let c = self.capabilities.get(id)?;
                if !document::capability_is_indexed(c) {
                    return None;
                }
                Some(document::capability_document(
                    f,
                    c,
                    self.orgs.get(&c.organization_id)?,
                ))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct RebuildReport {
    pub build: String,
    pub needs: u64,
    pub capabilities: u64,
    pub seconds: f64,
    /// The change-log position the build reflects; later changes are applied
    /// by the follower after the switch.
    pub position: i64,
}

/// Builds a complete new index from the database and makes it current. The
/// index in use (if any) keeps answering meanwhile.
pub async fn rebuild(
    db: &DatabaseConnection,
    root: &Path,
    progress: bool,
) -> anyhow::Result<RebuildReport> {
    let started = Instant::now();
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    // Read the position first: a change committed while the rows are read is
    // either in the rows or after this position, so it is never lost.
    let position: i64 = change_log::Entity::find()
        .select_only()
        .column_as(change_log::Column::Seq.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0);
    let build = store::new_build_name();
    let index = Arc::new(SearchIndex::open(root, &build)?);
    let total =
        need::Entity::find().count(db).await? + capability::Entity::find().count(db).await?;
    let bar = if progress && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "重建索引 reindex [{bar:40}] {pos}/{len} {per_sec} 剩余 {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let mut counts = HashMap::new();
    for kind in Kind::ALL {
        let ki = index.kind(kind);
        let writer: IndexWriter = ki
            .index
            .writer_with_num_threads(threads, REBUILD_WRITER_BYTES * threads)?;
        let writer = Arc::new(writer);
        let mut after = 0i64;
        let mut count = 0u64;
        loop {
            let (docs, last_id) = match kind {
                Kind::Need => {
                    let rows = repo::needs::chunk_after(db, after, REBUILD_CHUNK).await?;
                    let orgs =
                        repo::organizations::by_ids(db, rows.iter().map(|n| n.organization_id))
                            .await?;
                    let last = rows.last().map(|n| n.id);
                    let docs: Vec<_> = rows
                        .iter()
                        .filter_map(|n| {
                            Some(document::need_document(
                                &index.fields,
                                n,
                                orgs.get(&n.organization_id)?,
                            ))
                        })
                        .collect();
                    (docs, last)
                }
                Kind::Capability => {
                    let rows = repo::capabilities::chunk_after(db, after, REBUILD_CHUNK).await?;
                    let orgs =
                        repo::organizations::by_ids(db, rows.iter().map(|c| c.organization_id))
                            .await?;
                    let last = rows.last().map(|c| c.id);
                    let docs: Vec<_> = rows
                        .iter()
                        .filter(|c| document::capability_is_indexed(c))
                        .filter_map(|c| {
                            Some(document::capability_document(
                                &index.fields,
                                c,
                                orgs.get(&c.organization_id)?,
                            ))
                        })
                        .collect();
                    (docs, last)
                }
            };
            let Some(last_id) = last_id else { break };
            after = last_id;
            count += docs.len() as u64;
            bar.inc(docs.len() as u64);
            let w = Arc::clone(&writer);
            // add_document hands documents to the writer's threads, which
            // tokenize them while the next chunk is read from the database.
            tokio::task::spawn_blocking(move || -> tantivy::Result<()> {
                for d in docs {
                    w.add_document(d)?;
                }
                Ok(())
            })
            .await??;
        }
        let mut writer =
            Arc::try_unwrap(writer).map_err(|_| anyhow::anyhow!("index writer still shared"))?;
        tokio::task::spawn_blocking(move || -> tantivy::Result<()> {
            let mut commit = writer.prepare_commit()?;
            commit.set_payload(&seq_payload(position));
            commit.commit()?;
            writer.wait_merging_threads()
        })
        .await??;
        counts.insert(kind, count);
    }
    bar.finish_and_clear();
    store::set_current(root, &build)?;
    Ok(RebuildReport {
        build,
        needs: counts.get(&Kind::Need).copied().unwrap_or(0),
        capabilities: counts.get(&Kind::Capability).copied().unwrap_or(0),
        seconds: started.elapsed().as_secs_f64(),
        position,
    })
}

/// What the index must hold according to the database: `(external id,
/// version)` of every need and of every capability that is indexed, sorted.
/// Read in chunks, like `rebuild`, so that it works at any size.
pub async fn database_contents(
    db: &DatabaseConnection,
) -> anyhow::Result<(Vec<(String, u64)>, Vec<(String, u64)>)> {
    let mut needs = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = repo::needs::chunk_after(db, after, REBUILD_CHUNK).await?;
        let Some(last) = rows.last().map(|n| n.id) else {
            break;
        };
        after = last;
        needs.extend(
            rows.into_iter()
                .map(|n| (n.external_id, u64::try_from(n.version).unwrap_or(0))),
        );
    }
    let mut caps = Vec::new();
    after = 0;
    loop {
        let rows = repo::capabilities::chunk_after(db, after, REBUILD_CHUNK).await?;
        let Some(last) = rows.last().map(|c| c.id) else {
            break;
        };
        after = last;
        caps.extend(
            rows.into_iter()
                .filter(document::capability_is_indexed)
                .map(|c| (c.external_id, u64::try_from(c.version).unwrap_or(0))),
        );
    }
    needs.sort();
    caps.sort();
    Ok((needs, caps))
}
