//! Passage vectors of indexed records: a file-backed cache keyed by the
//! hash of model and text (derived data: deleting it only costs time), and
//! per-kind snapshots that matching reads.

use super::Model;
use crate::search::Kind;
use crate::search::store::SearchIndex;
use anyhow::Context;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::TantivyDocument;
use tantivy::schema::Value;

const MAGIC: &[u8; 4] = b"DJV1";

/// The text a record is embedded as: title, keywords and description.
pub fn passage(title: &str, keywords: &[String], description: &str) -> String {
    format!("passage: {title}。{}。{description}", keywords.join("，"))
}

type Key = [u8; 16];

fn key(model: &str, text: &str) -> Key {
    let mut h = Sha256::new();
    h.update(model.as_bytes());
    h.update([0]);
    h.update(text.as_bytes());
    let d = h.finalize();
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// Vectors by (model, text) hash, appended to a file as they are computed.
pub struct VectorCache {
    dim: usize,
    vectors: HashMap<Key, Arc<[f32]>>,
    file: Option<BufWriter<std::fs::File>>,
    path: PathBuf,
}

impl VectorCache {
    /// Opens (or creates) the cache file at `path`. A damaged tail (a crash
    /// in the middle of an append) is cut off; a file of another dimension is
    /// started afresh.
    pub fn open(path: &Path, dim: usize) -> anyhow::Result<VectorCache> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut vectors = HashMap::new();
        let record = 16 + dim * 4;
        let mut valid_len = 0u64;
        let mut fresh = true;
        if let Ok(f) = std::fs::File::open(path) {
            let mut r = BufReader::new(f);
            let mut head = [0u8; 8];
            if r.read_exact(&mut head).is_ok()
                && &head[..4] == MAGIC
                && u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize == dim
            {
                fresh = false;
                valid_len = 8;
                let mut buf = vec![0u8; record];
                while r.read_exact(&mut buf).is_ok() {
                    let mut k = [0u8; 16];
                    k.copy_from_slice(&buf[..16]);
                    let v: Arc<[f32]> = buf[16..]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    vectors.insert(k, v);
                    valid_len += record as u64;
                }
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(false)
            .write(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.set_len(valid_len)?;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        if fresh {
            file.write_all(MAGIC)?;
            file.write_all(&(dim as u32).to_le_bytes())?;
        }
        Ok(VectorCache {
            dim,
            vectors,
            file: Some(BufWriter::new(file)),
            path: path.to_owned(),
        })
    }

    /// A cache that lives only in memory.
    pub fn in_memory(dim: usize) -> VectorCache {
        VectorCache {
            dim,
            vectors: HashMap::new(),
            file: None,
            path: PathBuf::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    fn get(&self, k: &Key) -> Option<Arc<[f32]>> {
        self.vectors.get(k).cloned()
    }

    fn insert(&mut self, k: Key, v: Arc<[f32]>) -> anyhow::Result<()> {
        anyhow::ensure!(v.len() == self.dim, "vector of the wrong dimension");
        if let Some(f) = &mut self.file {
            f.write_all(&k)?;
            for x in v.iter() {
                f.write_all(&x.to_le_bytes())?;
            }
        }
        self.vectors.insert(k, v);
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(f) = &mut self.file {
            f.flush()
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        Ok(())
    }
}

/// The vectors of one index (needs or capabilities) at one moment.
#[derive(Default)]
pub struct Snapshot {
    /// Unique per snapshot: what a [`Hubness`] was computed for.
    pub id: u64,
    /// (external id, version) of each row.
    pub rows: Vec<(String, u64)>,
    row_of: HashMap<String, usize>,
    matrix: Vec<f32>,
    dim: usize,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, id: &str) -> Option<usize> {
        self.row_of.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&[f32]> {
        let r = self.row(id)?;
        self.matrix.get(r * self.dim..(r + 1) * self.dim)
    }

    /// Cosine of `v` with every row (vectors are unit length).
    pub fn cosines(&self, v: &[f32]) -> Vec<f32> {
        if self.dim == 0 {
            return Vec::new();
        }
        self.matrix
            .chunks_exact(self.dim)
            .map(|row| dot(row, v))
            .collect()
    }

    /// Cosine of `v` with row `row` (0 for a row that does not exist).
    pub fn cosine(&self, row: usize, v: &[f32]) -> f32 {
        self.matrix
            .get(row * self.dim..(row + 1) * self.dim)
            .map_or(0.0, |r| dot(r, v))
    }

    /// The rows, one slice each.
    pub fn vectors(&self) -> impl Iterator<Item = &[f32]> {
        self.matrix.chunks_exact(self.dim.max(1))
    }

    /// A snapshot of `rows` ((id, version) each) with their vectors, row
    /// after row in `matrix`.
    pub fn new(rows: Vec<(String, u64)>, matrix: Vec<f32>, dim: usize) -> Snapshot {
        let row_of = rows
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.clone(), i))
            .collect();
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Snapshot {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            rows,
            row_of,
            matrix,
            dim,
        }
    }
}

/// Dot product in eight independent lanes: the compiler vectorizes it
/// (a plain sum is one dependency chain).
/// How close each row of a snapshot is to the other kind's records in
/// general: the mean of its [`HUB_NEIGHBOURS`] highest cosines with them.
///
/// Sentence embeddings have hubs, texts that come out near almost anything
/// (broad, generic descriptions), and anti-hubs. Subtracting a row's hubness
/// from its cosine with a profile (cross-domain similarity local scaling, as
/// in bilingual lexicon induction) ranks by how much closer the two are than
/// the row usually is to the other side: plant and academic language meet in
/// a shared space where generic texts would otherwise crowd the top.
pub struct Hubness {
    /// The snapshot whose rows `values` follows.
    pub snapshot: u64,
    pub values: Vec<f32>,
    /// How many reference rows the values were computed against.
    reference: usize,
    /// By record: (version, value), to carry values over to the next snapshot.
    by_id: HashMap<String, (u64, f32)>,
}

/// Neighbours averaged into a row's hubness.
pub const HUB_NEIGHBOURS: usize = 3;
/// At most this many rows of the other kind (evenly spread) are the
/// reference: the cost per row stays bounded at any corpus size.
const HUB_REFERENCE: usize = 2048;
/// Too few records of the other kind say nothing about hubness.
const HUB_MIN_REFERENCE: usize = 20;

impl Hubness {
    /// Hubness of `of`'s rows against `other`, reusing `old` values of
    /// unchanged records while the reference has not grown or shrunk by more
    /// than a quarter (so that each row is recomputed O(log n) times as a
    /// corpus grows). `None` when `other` is too small.
    pub fn compute(of: &Snapshot, other: &Snapshot, old: Option<&Hubness>) -> Option<Hubness> {
        if other.len() < HUB_MIN_REFERENCE || of.dim != other.dim {
            return None;
        }
        let step = other.len().div_ceil(HUB_REFERENCE);
        let reference: Vec<&[f32]> = other.vectors().step_by(step).collect();
        let n = reference.len();
        let reuse = old.filter(|h| n * 4 <= h.reference * 5 && h.reference * 4 <= n * 5);
        let mut values = Vec::with_capacity(of.len());
        let mut by_id = HashMap::with_capacity(of.len());
        let mut best = Vec::with_capacity(n);
        for ((id, version), row) in of.rows.iter().zip(of.vectors()) {
            let kept = reuse
                .and_then(|h| h.by_id.get(id))
                .filter(|(v, _)| v == version)
                .map(|(_, x)| *x);
            let value = kept.unwrap_or_else(|| {
                best.clear();
                best.extend(reference.iter().map(|r| dot(row, r)));
                let k = HUB_NEIGHBOURS.min(best.len());
                best.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
                best[..k].iter().sum::<f32>() / k as f32
            });
            values.push(value);
            by_id.insert(id.clone(), (*version, value));
        }
        Some(Hubness {
            snapshot: of.id,
            values,
            reference: reuse.map_or(n, |h| h.reference),
            by_id,
        })
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Semantic vectors of a running index: the model, the cache and a
/// snapshot per kind, refreshed from the index in the background.
pub struct Vectors {
    pub model: Arc<Model>,
    cache: Mutex<VectorCache>,
    snapshots: [RwLock<Arc<Snapshot>>; 2],
    /// Per kind, the hubness of the current snapshot's rows (or of an older
    /// one until the next refresh catches up).
    hubness: [RwLock<Option<Arc<Hubness>>>; 2],
    generation: AtomicU64,
    /// Per kind, the (build, searcher generation) whose every record has a
    /// vector: nothing to do until the index moves on.
    complete: Mutex<[Option<(String, u64)>; 2]>,
    /// Texts the model failed on (logged once, not retried every round).
    failed: Mutex<std::collections::HashSet<Key>>,
}

/// A record's vector, or why there is none.
enum Lookup {
    Ready(Arc<[f32]>),
    /// Not embedded yet (the round's budget is spent).
    Waiting,
    /// The model failed on this text; ranked without a vector.
    Failed,
}

fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Need => 0,
        Kind::Capability => 1,
    }
}

impl Vectors {
    pub fn new(model: Arc<Model>, cache: VectorCache) -> Vectors {
        Vectors {
            model,
            cache: Mutex::new(cache),
            snapshots: Default::default(),
            hubness: Default::default(),
            generation: AtomicU64::new(0),
            complete: Mutex::new(Default::default()),
            failed: Mutex::new(Default::default()),
        }
    }

    pub fn snapshot(&self, kind: Kind) -> Arc<Snapshot> {
        self.snapshots[slot(kind)]
            .read()
            .map(|s| Arc::clone(&s))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }

    /// The hubness of `kind`'s rows, if computed for its current snapshot.
    pub fn hubness(&self, kind: Kind) -> Option<Arc<Hubness>> {
        let snapshot = self.snapshot(kind);
        self.hubness[slot(kind)]
            .read()
            .ok()
            .and_then(|h| h.clone())
            .filter(|h| h.snapshot == snapshot.id && h.values.len() == snapshot.len())
    }

    /// Recomputes what is stale of each kind's hubness.
    fn refresh_hubness(&self) {
        for (kind, other) in [
            (Kind::Need, Kind::Capability),
            (Kind::Capability, Kind::Need),
        ] {
            let of = self.snapshot(kind);
            let old = self.hubness[slot(kind)].read().ok().and_then(|h| h.clone());
            if old.as_ref().is_some_and(|h| h.snapshot == of.id) {
                continue;
            }
            let fresh = Hubness::compute(&of, &self.snapshot(other), old.as_deref());
            if let Ok(mut g) = self.hubness[slot(kind)].write() {
                *g = fresh.map(Arc::new);
            }
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Vectors in the cache.
    pub fn cached(&self) -> usize {
        self.lock_cache().len()
    }

    /// Moves whenever a snapshot changes: part of result-cache keys.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Brings the snapshots in step with `index`, embedding at most `budget`
    /// records that have no vector yet. Returns how many records still wait.
    pub fn refresh(&self, index: &SearchIndex, budget: usize) -> anyhow::Result<usize> {
        let mut waiting = 0;
        let mut budget = budget;
        for kind in [Kind::Need, Kind::Capability] {
            waiting += self.refresh_kind(index, kind, &mut budget)?;
        }
        self.refresh_hubness();
        Ok(waiting)
    }

    fn refresh_kind(
        &self,
        index: &SearchIndex,
        kind: Kind,
        budget: &mut usize,
    ) -> anyhow::Result<usize> {
        let reader = &index.kind(kind).reader;
        let searcher = reader.searcher();
        let seen = (index.build.clone(), searcher.generation().generation_id());
        if self.lock(&self.complete)[slot(kind)].as_ref() == Some(&seen) {
            return Ok(0);
        }
        let old = self.snapshot(kind);
        // Live (id, version, address) of the index; unchanged rows keep
        // their vectors without reading the document.
        let mut live = crate::search::store::live_records(&searcher)?;
        live.sort_by(|a, b| a.0.cmp(&b.0));
        let unchanged = live.len() == old.rows.len()
            && live
                .iter()
                .zip(&old.rows)
                .all(|(a, b)| a.0 == b.0 && a.1 == b.1);
        if unchanged {
            self.lock(&self.complete)[slot(kind)] = Some(seen);
            return Ok(0);
        }
        let dim = self.model.dim();
        let mut rows = Vec::with_capacity(live.len());
        let mut matrix = Vec::with_capacity(live.len() * dim);
        let mut waiting = 0;
        // Sorted by id: a record present twice (a moment between delete
        // and add in another segment) counts once.
        live.dedup_by(|a, b| a.0 == b.0);
        for (id, version, addr) in live {
            // Unchanged records keep their vector without reading anything.
            if let Some(v) = old
                .row(&id)
                .filter(|r| old.rows[*r].1 == version)
                .and_then(|_| old.get(&id))
            {
                matrix.extend_from_slice(v);
                rows.push((id, version));
                continue;
            }
            let doc: TantivyDocument = searcher.doc(addr)?;
            match self.vector_of(&doc, index, &id, budget)? {
                Lookup::Ready(v) => {
                    matrix.extend_from_slice(&v);
                    rows.push((id, version));
                }
                Lookup::Waiting => waiting += 1,
                Lookup::Failed => {}
            }
        }
        self.lock_cache().flush()?;
        let snapshot = Arc::new(Snapshot::new(rows, matrix, dim));
        if let Ok(mut g) = self.snapshots[slot(kind)].write() {
            *g = snapshot;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        if waiting == 0 {
            self.lock(&self.complete)[slot(kind)] = Some(seen);
        }
        Ok(waiting)
    }

    /// The vector of a stored record: from the cache, else embedded while
    /// `budget` lasts.
    fn vector_of(
        &self,
        doc: &TantivyDocument,
        index: &SearchIndex,
        id: &str,
        budget: &mut usize,
    ) -> anyhow::Result<Lookup> {
        let f = index.fields;
        let text_of = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
        };
        let keywords: Vec<String> = doc
            .get_all(f.keywords)
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let text = passage(text_of(f.title), &keywords, text_of(f.description));
        let k = key(self.model.id(), &text);
        if let Some(v) = self.lock_cache().get(&k) {
            return Ok(Lookup::Ready(v));
        }
        if self.lock(&self.failed).contains(&k) {
            return Ok(Lookup::Failed);
        }
        if *budget == 0 {
            return Ok(Lookup::Waiting);
        }
        *budget -= 1;
        match self.model.embed(&text) {
            Ok(v) => {
                let v: Arc<[f32]> = v.into();
                self.lock_cache().insert(k, Arc::clone(&v))?;
                Ok(Lookup::Ready(v))
            }
            Err(e) => {
                // Ranked without a vector (feature 0); not retried.
                tracing::warn!(%id, error = %format!("{e:#}"), "cannot embed a record");
                self.lock(&self.failed).insert(k);
                Ok(Lookup::Failed)
            }
        }
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, VectorCache> {
        self.lock(&self.cache)
    }

    fn lock<'a, T>(&self, m: &'a Mutex<T>) -> std::sync::MutexGuard<'a, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where a data directory keeps the vectors of `model`.
pub fn cache_path(data_dir: &Path, model: &Model) -> PathBuf {
    data_dir.join("vectors").join(format!("{}.bin", model.id()))
}

/// The configured model with the vectors of `index` (cached in `data_dir`),
/// embedding at most `budget` records not seen before: for commands that
/// rank without a running server. `None` without a model.
pub fn load_for(
    data_dir: &Path,
    index: &SearchIndex,
    budget: usize,
    model: Option<Arc<Model>>,
) -> anyhow::Result<Option<Vectors>> {
    let Some(model) = model else {
        return Ok(None);
    };
    let cache = VectorCache::open(&cache_path(data_dir, &model), model.dim())?;
    let vectors = Vectors::new(model, cache);
    let waiting = vectors.refresh(index, budget)?;
    if waiting > 0 {
        eprintln!(
            "注意：{waiting} 条记录尚无语义向量，本次排序未用到它们 \
             (note: {waiting} records have no semantic vector yet; the server computes them in the background)"
        );
    }
    Ok(Some(vectors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: [f32; 3]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    fn snapshot(rows: &[(&str, u64, [f32; 3])]) -> Snapshot {
        Snapshot::new(
            rows.iter().map(|(id, v, _)| (id.to_string(), *v)).collect(),
            rows.iter().flat_map(|(_, _, x)| unit(*x)).collect(),
            3,
        )
    }

    #[test]
    fn a_row_near_everything_has_more_hubness_than_a_row_near_few() -> anyhow::Result<()> {
        // 30 records of the other kind spread around the x axis.
        let others: Vec<(String, u64, [f32; 3])> = (0..30)
            .map(|i| {
                let t = i as f32 / 30.0;
                (format!("n{i}"), 1, [1.0, t - 0.5, 0.5 - t])
            })
            .collect();
        let others: Vec<(&str, u64, [f32; 3])> = others
            .iter()
            .map(|(id, v, x)| (id.as_str(), *v, *x))
            .collect();
        let other = snapshot(&others);
        let of = snapshot(&[("hub", 1, [1.0, 0.0, 0.0]), ("far", 1, [0.0, 1.0, 1.0])]);
        let h = Hubness::compute(&of, &other, None).context("enough reference rows")?;
        assert_eq!(h.snapshot, of.id);
        assert!(h.values[0] > 0.9 && h.values[1] < 0.5, "{:?}", h.values);

        // Unchanged records keep their value in the next snapshot; a changed
        // version is recomputed.
        let next = snapshot(&[("hub", 1, [0.0, 1.0, 1.0]), ("far", 2, [1.0, 0.0, 0.0])]);
        let h2 = Hubness::compute(&next, &other, Some(&h)).context("enough reference rows")?;
        assert_eq!(h2.values[0], h.values[0], "same version: carried over");
        assert!(h2.values[1] > 0.9, "new version: recomputed");

        // Too small a reference: no hubness at all.
        let few = snapshot(&others[..5]);
        assert!(Hubness::compute(&of, &few, None).is_none());
        Ok(())
    }

    #[test]
    fn the_cache_keeps_vectors_across_opens_and_cuts_a_torn_tail() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("v.bin");
        let (a, b) = (key("m", "passage: 甲"), key("m", "passage: 乙"));
        assert_ne!(a, b);
        assert_ne!(key("m", "x"), key("n", "x"), "the model is part of the key");
        {
            let mut c = VectorCache::open(&path, 3)?;
            c.insert(a, vec![1.0, 0.0, 0.0].into())?;
            c.insert(b, vec![0.0, 1.0, 0.0].into())?;
            c.flush()?;
        }
        // A crash in the middle of an append leaves half a record.
        let len = std::fs::metadata(&path)?.len();
        let mut f = std::fs::OpenOptions::new().append(true).open(&path)?;
        f.write_all(&[7u8; 20])?;
        drop(f);
        let mut c = VectorCache::open(&path, 3)?;
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&b).as_deref(), Some(&[0.0, 1.0, 0.0][..]));
        assert_eq!(std::fs::metadata(&path)?.len(), len, "torn tail cut off");
        c.insert(key("m", "丙"), vec![0.0, 0.0, 1.0].into())?;
        c.flush()?;
        assert_eq!(VectorCache::open(&path, 3)?.len(), 3);
        // Another dimension (another model format) starts afresh.
        assert_eq!(VectorCache::open(&path, 4)?.len(), 0);
        Ok(())
    }

    #[test]
    fn snapshot_cosines_follow_rows() {
        let s = Snapshot::new(
            vec![("a".into(), 1), ("b".into(), 1)],
            vec![1.0, 0.0, 0.6, 0.8],
            2,
        );
        assert_eq!(s.cosines(&[0.0, 1.0]), vec![0.0, 0.8]);
        assert_eq!(s.get("b"), Some(&[0.6, 0.8][..]));
        assert_eq!(s.get("c"), None);
    }

    #[test]
    fn the_lane_dot_product_equals_the_plain_one() {
        let a: Vec<f32> = (0..19).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..19).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-5);
    }
}
