//! Where indexes live on disk and which one is current.
//!
//! ```text
//! <data>/index/CURRENT                 name of the build in use (replaced atomically)
//! <data>/index/<build>/FINGERPRINT     schema + analyzer fingerprint of the build
//! <data>/index/<build>/needs/          tantivy index of needs
//! <data>/index/<build>/capabilities/   tantivy index of capabilities
//! ```
//!
//! A rebuild writes a new build folder next to the current one and then
//! switches `CURRENT`, so the old index keeps answering until the new one is
//! complete; a build whose fingerprint differs from this binary's is ignored
//! and rebuilt.

use super::analyzer::Analyzer;
use super::document::Kind;
use super::schema::{self, Fields};
use super::tokenizer::{ChineseTokenizer, TOKENIZER};
use anyhow::Context;
use std::path::{Path, PathBuf};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy};

const CURRENT: &str = "CURRENT";
const FINGERPRINT: &str = "FINGERPRINT";

/// The fingerprint of this binary's schema and analyzer.
pub fn fingerprint() -> String {
    super::assets::fingerprint(schema::SOURCE)
}

pub fn root(data_dir: &Path) -> PathBuf {
    data_dir.join("index")
}

/// The current build, if there is one made with this binary's fingerprint.
pub fn current_build(root: &Path) -> Option<String> {
    let name = std::fs::read_to_string(root.join(CURRENT)).ok()?;
    let name = name.trim().to_owned();
    let fp = std::fs::read_to_string(root.join(&name).join(FINGERPRINT)).ok()?;
    (fp.trim() == fingerprint()).then_some(name)
}

/// A fresh, unused build name.
pub fn new_build_name() -> String {
    format!(
        "b{}-{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S%3f"),
        &fingerprint()[..8]
    )
}

/// Marks a complete build as current (write to a temporary file, then rename).
pub fn set_current(root: &Path, build: &str) -> anyhow::Result<()> {
    std::fs::write(root.join(build).join(FINGERPRINT), fingerprint())?;
    let tmp = root.join(format!("{CURRENT}.tmp"));
    std::fs::write(&tmp, build)?;
    let dir = std::fs::File::open(root.join(build))?;
    dir.sync_all()?;
    std::fs::rename(&tmp, root.join(CURRENT)).context("switching the current index")?;
    Ok(())
}

/// Removes build folders other than `keep` (old or abandoned builds).
pub fn remove_other_builds(root: &Path, keep: &str) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir()
            && name != keep
            && name.starts_with('b')
            && let Err(err) = std::fs::remove_dir_all(e.path())
        {
            tracing::warn!(build = %name, error = %err, "cannot remove an old index build");
        }
    }
}

/// One opened index (of one kind).
pub struct KindIndex {
    pub index: Index,
    pub reader: IndexReader,
}

/// The two indexes of one build.
pub struct SearchIndex {
    pub build: String,
    pub fields: Fields,
    needs: KindIndex,
    capabilities: KindIndex,
}

impl SearchIndex {
    /// Opens (creating if needed) the indexes of `build` under `root`, with
    /// the tokenizer registered: the one place an index is opened.
    pub fn open(root: &Path, build: &str) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = schema::build();
        let analyzer = Analyzer::shared();
        let search_threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let open_kind = |kind: Kind| -> anyhow::Result<KindIndex> {
            let dir = root.join(build).join(match kind {
                Kind::Need => "needs",
                Kind::Capability => "capabilities",
            });
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mmap = MmapDirectory::open(&dir)?;
            let mut index = Index::open_or_create(mmap, schema.clone())?;
            index
                .tokenizers()
                .register(TOKENIZER, ChineseTokenizer::new(analyzer.clone()));
            // Segments are searched in parallel: a large index has a few big
            // segments, and one request then uses the idle cores (matching at
            // 800,000 capabilities: the first pass takes about half as long).
            if search_threads > 1 {
                index.set_multithread_executor(search_threads)?;
            }
            // Reloaded explicitly after each commit: searches see a write as
            // soon as it is committed, and tests are deterministic.
            let reader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            Ok(KindIndex { index, reader })
        };
        Ok(SearchIndex {
            build: build.to_owned(),
            fields,
            needs: open_kind(Kind::Need)?,
            capabilities: open_kind(Kind::Capability)?,
        })
    }

    pub fn kind(&self, kind: Kind) -> &KindIndex {
        match kind {
            Kind::Need => &self.needs,
            Kind::Capability => &self.capabilities,
        }
    }

    /// The last change-log position applied to the index of `kind`, read from
    /// its last commit.
    pub fn applied_seq(&self, kind: Kind) -> anyhow::Result<i64> {
        let metas = self.kind(kind).index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| p.strip_prefix("seq="))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }
}

impl SearchIndex {
    /// Every live document of `kind` as `(external id, version)`, sorted: for
    /// checking that the index has converged to the database.
    pub fn contents(&self, kind: Kind) -> anyhow::Result<Vec<(String, u64)>> {
        let reader = &self.kind(kind).reader;
        reader.reload()?;
        let mut out: Vec<(String, u64)> = live_records(&reader.searcher())?
            .into_iter()
            .map(|(id, version, _)| (id, version))
            .collect();
        out.sort();
        Ok(out)
    }
}

/// Every live document of a searcher as `(external id, version, address)`,
/// read from the fast fields (no stored document is opened).
pub fn live_records(
    searcher: &tantivy::Searcher,
) -> anyhow::Result<Vec<(String, u64, tantivy::DocAddress)>> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let ids = segment
            .fast_fields()
            .str("id")?
            .context("id column missing")?;
        let versions = segment.fast_fields().u64("version")?;
        for doc in 0..segment.max_doc() {
            if segment.is_deleted(doc) {
                continue;
            }
            let Some(term) = ids.term_ords(doc).next() else {
                continue;
            };
            buf.clear();
            ids.ord_to_str(term, &mut buf)?;
            out.push((
                buf.clone(),
                versions.first(doc).unwrap_or(0),
                tantivy::DocAddress::new(segment_ord as u32, doc),
            ));
        }
    }
    Ok(out)
}

pub fn seq_payload(seq: i64) -> String {
    format!("seq={seq}")
}
