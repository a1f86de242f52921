//! Settings shared by every command: where runtime files live and which
//! database to use.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// 运行数据目录（SQLite 数据库、搜索索引）· Runtime data directory.
    #[arg(long, env = "DUIJIE_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// 数据库地址 · Database URL (`sqlite://…` or `postgres://…`).
    /// Default: the SQLite file `duijie.db` in the data directory.
    #[arg(
        long,
        env = "DUIJIE_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// 日志格式 · Log format.
    #[arg(
        long,
        env = "DUIJIE_LOG_FORMAT",
        value_enum,
        default_value = "compact",
        global = true
    )]
    pub log_format: LogFormat,

    /// 语义模型文件（multilingual-e5-small，4 位量化；scripts/fetch-model.sh 获取），
    /// `off` 关闭 · Sentence-embedding model file for semantic matching, or
    /// `off`. Default: models/e5-small-q4.bin when it exists.
    #[arg(long, env = "DUIJIE_MODEL", global = true)]
    pub model: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Compact,
    Pretty,
    Json,
}

impl Config {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("duijie.db").display()
            ),
        }
    }

    /// The configured semantic model, loaded (see `semantic::open_configured`).
    pub fn semantic_model(&self) -> anyhow::Result<Option<std::sync::Arc<crate::semantic::Model>>> {
        crate::semantic::open_configured(self.model.as_deref())
    }

    /// Creates the data directory when the database lives in it.
    pub fn prepare_data_dir(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "无法创建数据目录 {}：{e}。请用 --data-dir 或 DUIJIE_DATA_DIR 指定一个可写目录 \
                 (cannot create the data directory; set --data-dir or DUIJIE_DATA_DIR to a writable folder)",
                self.data_dir.display()
            )
        })?;
        // The index and (by default) the database are written here: say so
        // at start rather than fail later on the first write.
        let probe = self.data_dir.join(".duijie-write-check");
        std::fs::write(&probe, b"ok")
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(|e| {
                anyhow::anyhow!(
                    "数据目录 {} 不可写（只读或磁盘已满）：{e}。请检查挂载与磁盘空间，或用 --data-dir 指定可写目录 (the data directory is not writable — read-only or full)",
                    self.data_dir.display()
                )
            })
    }
}
