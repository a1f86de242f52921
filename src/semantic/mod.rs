//! Semantic similarity from a multilingual sentence-embedding model
//! (multilingual-e5-small, 4-bit, run in-process on candle).
//!
//! Plant language and academic language often share no words at all
//! (搓衣板状条纹 vs. 轴承电蚀); the model places both near each other. Its
//! cosine is one re-ranking feature beside the lexical ones, and its nearest
//! records join the lexical candidates. Optional: without the model file
//! matching is purely lexical. Passages are embedded in the background and
//! cached by text, never on the request path.

mod encoder;
mod model_file;
mod unigram;
pub mod vectors;

use anyhow::Context;
use std::path::{Path, PathBuf};

pub use vectors::{Snapshot, VectorCache, Vectors};

/// Where the model is looked for when no path is configured.
pub const DEFAULT_MODEL: &str = "models/e5-small-q4.bin";

pub struct Model {
    encoder: encoder::Encoder,
    id: String,
}

impl Model {
    pub fn open(path: &Path) -> anyhow::Result<Model> {
        let file = model_file::ModelFile::open(path)?;
        let encoder = encoder::Encoder::load(&file)
            .with_context(|| format!("cannot load the model {}", path.display()))?;
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(Model {
            encoder,
            id: format!("e5s1-{len}"),
        })
    }

    /// Names the model for cache keys (file format and size).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn dim(&self) -> usize {
        self.encoder.dim()
    }

    /// The unit-length embedding of `text` (prefix included).
    pub fn embed(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        self.encoder.embed(text)
    }
}

/// The model file to use: `setting` (`DUIJIE_MODEL`; `off` turns the
/// semantic signal off), else the default path when that file exists.
pub fn model_path(setting: Option<&str>) -> Option<PathBuf> {
    match setting.map(str::trim) {
        Some("off") | Some("") => None,
        Some(p) => Some(PathBuf::from(p)),
        None => {
            let p = PathBuf::from(DEFAULT_MODEL);
            p.exists().then_some(p)
        }
    }
}

/// Opens the configured model, if any. A configured path that cannot be
/// loaded is an error; a missing default is not.
pub fn open_configured(setting: Option<&str>) -> anyhow::Result<Option<std::sync::Arc<Model>>> {
    match model_path(setting) {
        None => Ok(None),
        Some(p) => {
            let m = Model::open(&p).with_context(|| {
                format!(
                    "无法加载语义模型 {}（设置 DUIJIE_MODEL=off 可关闭）· cannot load the semantic model",
                    p.display()
                )
            })?;
            Ok(Some(std::sync::Arc::new(m)))
        }
    }
}
