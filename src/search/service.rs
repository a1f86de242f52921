//! The search service of a running process: the current index (swapped
//! atomically after a rebuild), the indexer task that keeps it in step with the
//! database, and searches run off the async runtime with bounded concurrency.

use super::analyzer::Analyzer;
use super::indexer::{self, Follower};
use super::searcher::{self, SearchRequest, SearchResults};
use super::store::{self, SearchIndex};
use crate::matching::Weights;
use crate::semantic::{VectorCache, Vectors};
use sea_orm::DatabaseConnection;
use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// How often the indexer looks for changes when nobody told it about one
/// (another replica's writes, a rebuild finished by `duijie reindex`).
const POLL: Duration = Duration::from_millis(100);
/// How often trained weights are looked for.
const WEIGHTS_RELOAD: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the search index is being built")]
    NotReady,
    #[error("too many searches at once")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

struct Inner {
    root: PathBuf,
    current: RwLock<Option<Arc<SearchIndex>>>,
    changed: Notify,
    permits: Semaphore,
    analyzer: Arc<Analyzer>,
    /// Change-log position that searches see (set after the reader reloads).
    position: AtomicI64,
    /// Match re-ranking weights in use.
    weights: RwLock<Arc<Weights>>,
    /// Recent results (searches, rankings), keyed by the request and the
    /// change-log position the index reflects: any change to the index
    /// moves the position, so a cached result is never older than the index.
    results: quick_cache::sync::Cache<String, Arc<dyn Any + Send + Sync>>,
    /// Sentence-embedding vectors, when a semantic model is configured.
    vectors: Option<Arc<Vectors>>,
}

/// Cached results kept at most (a few MB: a page of hits or twenty ranked
/// matches each).
const RESULT_CACHE_ENTRIES: usize = 2048;

#[derive(Clone)]
pub struct SearchService {
    inner: Arc<Inner>,
}

impl SearchService {
    /// Opens the current index under `data_dir` (or schedules a rebuild when
    /// there is none for this binary) and starts the indexer task.
    ///
    /// With a `model`, record vectors are computed in the background and
    /// matching uses them (see `semantic`).
    pub fn start(
        db: DatabaseConnection,
        data_dir: &Path,
        model: Option<Arc<crate::semantic::Model>>,
    ) -> SearchService {
        let root = store::root(data_dir);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let service = SearchService {
            inner: Arc::new(Inner {
                root,
                current: RwLock::new(None),
                changed: Notify::new(),
                // Searches are CPU-bound: more at once than cores only queue.
                permits: Semaphore::new(cores * 2),
                analyzer: Analyzer::shared(),
                position: AtomicI64::new(-1),
                weights: RwLock::new(Arc::new(Weights::load(data_dir).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot read trained weights; using the shipped ones");
                    Weights::builtin().unwrap_or_else(|_| unreachable_weights())
                }))),
                results: quick_cache::sync::Cache::new(RESULT_CACHE_ENTRIES),
                vectors: model.and_then(|m| open_vectors(data_dir, m)),
            }),
        };
        tokio::spawn(service.clone().run_indexer(db, data_dir.to_owned()));
        if let Some(vectors) = service.vectors() {
            let weak = Arc::downgrade(&service.inner);
            std::thread::Builder::new()
                .name("semantic".into())
                .spawn(move || follow_vectors(&weak, &vectors))
                .map_err(|e| tracing::warn!(error = %e, "cannot start the semantic task"))
                .ok();
        }
        service
    }

    /// The semantic vectors, when a model is configured.
    pub fn vectors(&self) -> Option<Arc<Vectors>> {
        self.inner.vectors.clone()
    }

    /// Tells the indexer that the change log has grown.
    pub fn notify_change(&self) {
        self.inner.changed.notify_one();
    }

    /// The match re-ranking weights in use.
    pub fn weights(&self) -> Arc<Weights> {
        self.inner
            .weights
            .read()
            .map(|w| Arc::clone(&w))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }

    /// The change-log position searches reflect; -1 before the index is open.
    pub fn position(&self) -> i64 {
        self.inner.position.load(Ordering::Acquire)
    }

    pub fn index(&self) -> Option<Arc<SearchIndex>> {
        self.inner.current.read().ok().and_then(|g| g.clone())
    }

    fn set_index(&self, index: Arc<SearchIndex>) {
        if let Ok(mut g) = self.inner.current.write() {
            *g = Some(index);
        }
    }

    pub async fn search(&self, req: SearchRequest) -> Result<SearchResults, SearchError> {
        // The request's every part (text, filters, visibility, page) is in
        // the key, so callers who see different records never share a result.
        let key = format!("search|{req:?}");
        self.run_cached(key, move |index, analyzer| {
            searcher::search(index, analyzer, &req)
        })
        .await
    }

    /// `run`, answered from the result cache when the same `key` was
    /// computed on the index as it is now. `key` must name everything the
    /// result depends on besides the index.
    pub async fn run_cached<T: Clone + Send + Sync + 'static>(
        &self,
        key: String,
        work: impl FnOnce(&SearchIndex, &Analyzer) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, SearchError> {
        // Read before the work: a result computed on a newer index is only
        // ever filed under an older position, which no later request uses.
        let key = format!("{}|{key}", self.position());
        if let Some(hit) = self.inner.results.get(&key)
            && let Some(value) = hit.downcast_ref::<T>()
        {
            return Ok(value.clone());
        }
        let value = self.run(work).await?;
        self.inner.results.insert(key, Arc::new(value.clone()));
        Ok(value)
    }

    /// Runs blocking index work (a search, a ranking) on the blocking pool,
    /// at most a few at a time: it is CPU-bound, and queueing beats thrashing.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SearchIndex, &Analyzer) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, SearchError> {
        let index = self.index().ok_or(SearchError::NotReady)?;
        let _permit = tokio::time::timeout(Duration::from_secs(5), self.inner.permits.acquire())
            .await
            .map_err(|_| SearchError::Busy)?
            .map_err(|_| SearchError::Busy)?;
        let analyzer = self.inner.analyzer.clone();
        tokio::task::spawn_blocking(move || work(&index, &analyzer))
            .await
            .map_err(|e| SearchError::Failed(e.into()))?
            .map_err(SearchError::Failed)
    }

    /// The indexer: open or build the index, then follow the change log until
    /// the process ends. Errors are logged and retried: a database outage
    /// pauses indexing, it does not end it.
    async fn run_indexer(self, db: DatabaseConnection, data_dir: PathBuf) {
        let mut follower: Option<Follower> = None;
        let mut weights_checked = std::time::Instant::now();
        loop {
            // `duijie train` writes new weight versions; pick them up.
            if weights_checked.elapsed() > WEIGHTS_RELOAD {
                weights_checked = std::time::Instant::now();
                if let Ok(w) = Weights::load(&data_dir)
                    && w.version != self.weights().version
                {
                    tracing::info!(version = %w.version, "using new match weights");
                    if let Ok(mut g) = self.inner.weights.write() {
                        *g = Arc::new(w);
                    }
                }
            }
            match self.indexer_round(&db, follower.take()).await {
                Ok((f, applied)) => {
                    follower = Some(f);
                    if applied > 0 {
                        continue;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "indexer: will retry");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            tokio::select! {
                () = self.inner.changed.notified() => {},
                () = tokio::time::sleep(POLL) => {},
            }
        }
    }

    async fn indexer_round(
        &self,
        db: &DatabaseConnection,
        follower: Option<Follower>,
    ) -> anyhow::Result<(Follower, usize)> {
        let root = &self.inner.root;
        let wanted = store::current_build(root);
        let follower = match (follower, wanted) {
            // Still on the current build.
            (Some(f), Some(b)) if f.index.build == b => f,
            // No usable build (first start, deleted, or made by another
            // version): build one from the database.
            (_, None) => {
                tracing::info!("building the search index from the database");
                let report = indexer::rebuild(db, root, false).await?;
                tracing::info!(
                    build = %report.build, needs = report.needs, capabilities = report.capabilities,
                    seconds = report.seconds, "search index built"
                );
                self.open_build(&report.build)?
            }
            // A rebuild (ours or `duijie reindex`) switched the current build.
            (old, Some(b)) => {
                drop(old);
                self.open_build(&b)?
            }
        };
        let (follower, n) = follower.step(db).await?;
        self.inner
            .position
            .store(follower.position(), Ordering::Release);
        Ok((follower, n))
    }

    fn open_build(&self, build: &str) -> anyhow::Result<Follower> {
        let root = &self.inner.root;
        let index = Arc::new(SearchIndex::open(root, build)?);
        let follower = Follower::new(Arc::clone(&index))?;
        self.set_index(index);
        store::remove_other_builds(root, build);
        Ok(follower)
    }
}

/// The vector cache of `model` in `data_dir`; when it cannot be opened
/// (logged), matching is lexical.
fn open_vectors(data_dir: &Path, model: Arc<crate::semantic::Model>) -> Option<Arc<Vectors>> {
    let path = crate::semantic::vectors::cache_path(data_dir, &model);
    match VectorCache::open(&path, model.dim()) {
        Ok(cache) => {
            tracing::info!(
                model = model.id(),
                cached = cache.len(),
                "semantic matching is on"
            );
            Some(Arc::new(Vectors::new(model, cache)))
        }
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "cannot open the vector cache; semantic matching is off");
            None
        }
    }
}

/// Records embedded per round before the snapshots are republished, so
/// that a large backlog becomes usable piece by piece.
const EMBED_BATCH: usize = 32;

/// The semantic task: keeps the vector snapshots in step with the current
/// index, embedding new and changed records off the async runtime. Ends
/// with the service.
fn follow_vectors(service: &std::sync::Weak<Inner>, vectors: &Vectors) {
    loop {
        let Some(inner) = service.upgrade() else {
            return;
        };
        let index = inner.current.read().ok().and_then(|g| g.clone());
        drop(inner);
        let waiting = match index {
            Some(index) => vectors.refresh(&index, EMBED_BATCH).unwrap_or_else(|e| {
                tracing::warn!(error = %format!("{e:#}"), "semantic vectors: will retry");
                0
            }),
            None => 0,
        };
        if waiting == 0 {
            std::thread::sleep(VECTORS_POLL);
        }
    }
}

/// How often the semantic task looks for new or changed records.
const VECTORS_POLL: Duration = Duration::from_millis(500);

/// The shipped weights file is compiled in and parsed by a unit test; this is
/// only reached if that test was ignored.
fn unreachable_weights() -> Weights {
    Weights {
        version: "fallback".into(),
        weights: crate::matching::weights::FeatureWeights::from_vec(&[
            1.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.0,
        ]),
        tier_prior: Default::default(),
        rules: crate::matching::weights::Rules {
            min_profile_chars: 40,
        },
        query: Default::default(),
    }
}
