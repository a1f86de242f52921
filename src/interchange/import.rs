//! `duijie import DIR`: loads a corpus folder, upserting by external id.
//!
//! A bad line (unreadable, bad JSON, unknown code, bad USCC, missing
//! organization, over-long field …) never aborts the run and never half-writes a
//! record: every line is validated completely before anything is written, the
//! valid ones are written in batches of one transaction each, and each rejected
//! line is reported as `FILE:LINE: reason`.

use super::records::{CapabilityLine, NeedLine, OrganizationLine};
use super::{CAPABILITIES_FILE, NEEDS_FILE, ORGANIZATIONS_FILE};
use crate::domain::{Capability, Need, Organization, Taxonomy, ValidationErrors};
use crate::storage::repo::{self, Outcome};
use anyhow::Context;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sea_orm::{DatabaseConnection, DbErr};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::Path;

/// Records written per transaction: large enough to amortise the commit, small
/// enough to keep bound parameters well under the databases' limits.
const BATCH: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The file as named on the command line (`DIR/needs.jsonl`).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

impl FileReport {
    pub fn records(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.rejected
    }

    fn count(&mut self, o: Outcome) {
        match o {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

impl std::fmt::Display for FileReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: inserted={} updated={} unchanged={} rejected={}",
            self.file, self.inserted, self.updated, self.unchanged, self.rejected
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    pub rejections: Vec<Rejection>,
}

impl ImportReport {
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }

    pub fn records(&self) -> u64 {
        self.files.iter().map(FileReport::records).sum()
    }
}

/// Options of one import run.
#[derive(Default)]
pub struct Options<'a> {
    /// Draw a progress bar on a terminal.
    pub progress: bool,
    /// Called for each rejected line as soon as it is known.
    pub on_reject: Option<&'a mut dyn FnMut(&Rejection)>,
}

/// One interchange file to import: its kind (by file name), how to name it
/// in messages, and its content.
pub struct Source {
    /// `organizations.jsonl`, `needs.jsonl` or `capabilities.jsonl`.
    pub name: &'static str,
    /// How rejections name the file (`DIR/needs.jsonl`).
    pub display: String,
    pub reader: Box<dyn BufRead + Send>,
    /// Size in bytes, for the progress bar (0 if unknown).
    pub size: u64,
}

/// Imports `organizations.jsonl`, `needs.jsonl` and `capabilities.jsonl` from
/// `dir`, in that order (needs and capabilities refer to organizations).
/// Missing files are skipped. Errors only when the folder cannot be read or the
/// database fails; bad lines end up in the report.
pub async fn import_dir(
    db: &DatabaseConnection,
    taxonomy: &Taxonomy,
    dir: &Path,
    opts: Options<'_>,
) -> anyhow::Result<ImportReport> {
    anyhow::ensure!(
        dir.is_dir(),
        "目录不存在 / not a directory: {}",
        dir.display()
    );
    let mut sources = Vec::new();
    for name in [ORGANIZATIONS_FILE, NEEDS_FILE, CAPABILITIES_FILE] {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let file = std::fs::File::open(&path)
            .with_context(|| format!("无法打开 / cannot open {}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        sources.push(Source {
            name,
            display: path.display().to_string(),
            reader: Box::new(BufReader::new(file)),
            size,
        });
    }
    import_sources(db, taxonomy, sources, opts).await
}

/// Imports the given sources in the order organizations, needs, capabilities.
pub async fn import_sources(
    db: &DatabaseConnection,
    taxonomy: &Taxonomy,
    mut sources: Vec<Source>,
    mut opts: Options<'_>,
) -> anyhow::Result<ImportReport> {
    let order = |name: &str| match name {
        ORGANIZATIONS_FILE => 0,
        NEEDS_FILE => 1,
        _ => 2,
    };
    sources.sort_by_key(|s| order(s.name));
    let mut report = ImportReport::default();
    for source in sources {
        let mut importer = FileImporter {
            db,
            taxonomy,
            name: source.name,
            display: source.display,
            rejections: &mut report.rejections,
            opts: &mut opts,
        };
        let file_report = match source.name {
            ORGANIZATIONS_FILE => importer.run::<OrgKind>(source.reader, source.size).await?,
            NEEDS_FILE => importer.run::<NeedKind>(source.reader, source.size).await?,
            CAPABILITIES_FILE => importer.run::<CapKind>(source.reader, source.size).await?,
            other => anyhow::bail!("unknown interchange file {other}"),
        };
        report.files.push(file_report);
    }
    Ok(report)
}

/// How one kind of record is validated and stored.
trait RecordKind {
    type Line: DeserializeOwned;
    type Valid: Send + Sync;
    fn validate(line: &Self::Line, t: &Taxonomy) -> Result<Self::Valid, ValidationErrors>;
    fn external_id(v: &Self::Valid) -> &str;
    /// External id of the owning organization, for records that have one.
    fn org(v: &Self::Valid) -> Option<&str>;
    async fn store(
        db: &impl sea_orm::ConnectionTrait,
        batch: &[(Self::Valid, i64)],
    ) -> Result<Vec<Outcome>, DbErr>;
}

struct OrgKind;
struct NeedKind;
struct CapKind;

impl RecordKind for OrgKind {
    type Line = OrganizationLine;
    type Valid = Organization;
    fn validate(line: &OrganizationLine, t: &Taxonomy) -> Result<Organization, ValidationErrors> {
        line.draft().validate(t)
    }
    fn external_id(v: &Organization) -> &str {
        v.external_id.as_str()
    }
    fn org(_: &Organization) -> Option<&str> {
        None
    }
    async fn store(
        db: &impl sea_orm::ConnectionTrait,
        batch: &[(Organization, i64)],
    ) -> Result<Vec<Outcome>, DbErr> {
        let orgs: Vec<Organization> = batch.iter().map(|(o, _)| o.clone()).collect();
        repo::organizations::upsert_batch(db, &orgs, Utc::now()).await
    }
}

impl RecordKind for NeedKind {
    type Line = NeedLine;
    type Valid = Need;
    fn validate(line: &NeedLine, t: &Taxonomy) -> Result<Need, ValidationErrors> {
        line.draft().validate(t)
    }
    fn external_id(v: &Need) -> &str {
        v.posting.external_id.as_str()
    }
    fn org(v: &Need) -> Option<&str> {
        Some(v.posting.org.as_str())
    }
    async fn store(
        db: &impl sea_orm::ConnectionTrait,
        batch: &[(Need, i64)],
    ) -> Result<Vec<Outcome>, DbErr> {
        repo::needs::upsert_batch(db, batch, Utc::now()).await
    }
}

impl RecordKind for CapKind {
    type Line = CapabilityLine;
    type Valid = Capability;
    fn validate(line: &CapabilityLine, t: &Taxonomy) -> Result<Capability, ValidationErrors> {
        line.draft().validate(t)
    }
    fn external_id(v: &Capability) -> &str {
        v.posting.external_id.as_str()
    }
    fn org(v: &Capability) -> Option<&str> {
        Some(v.posting.org.as_str())
    }
    async fn store(
        db: &impl sea_orm::ConnectionTrait,
        batch: &[(Capability, i64)],
    ) -> Result<Vec<Outcome>, DbErr> {
        repo::capabilities::upsert_batch(db, batch, Utc::now()).await
    }
}

struct FileImporter<'a, 'o> {
    db: &'a DatabaseConnection,
    taxonomy: &'a Taxonomy,
    name: &'static str,
    display: String,
    rejections: &'a mut Vec<Rejection>,
    opts: &'a mut Options<'o>,
}

impl FileImporter<'_, '_> {
    fn reject(&mut self, report: &mut FileReport, line: usize, reason: String) {
        let r = Rejection {
            file: self.display.clone(),
            line,
            reason,
        };
        if let Some(cb) = self.opts.on_reject.as_mut() {
            cb(&r);
        }
        self.rejections.push(r);
        report.rejected += 1;
    }

    async fn run<K: RecordKind>(
        &mut self,
        mut reader: Box<dyn BufRead + Send>,
        size: u64,
    ) -> anyhow::Result<FileReport> {
        let progress = self.progress_bar(size);
        let mut report = FileReport {
            file: self.name.to_owned(),
            ..Default::default()
        };
        let mut batch: Vec<(usize, K::Valid)> = Vec::with_capacity(BATCH);
        let mut ids_in_batch: HashSet<String> = HashSet::new();
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("读取失败 / cannot read {}", self.display))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            progress.inc(n as u64);
            let text = match std::str::from_utf8(&buf) {
                Ok(t) => t.trim_start_matches('\u{feff}').trim(),
                Err(e) => {
                    self.reject(
                        &mut report,
                        line_no,
                        format!("不是有效的 UTF-8 文本 / not valid UTF-8: {e}"),
                    );
                    continue;
                }
            };
            if text.is_empty() {
                continue;
            }
            let parsed: K::Line = match serde_json::from_str(text) {
                Ok(p) => p,
                Err(e) => {
                    self.reject(
                        &mut report,
                        line_no,
                        format!("JSON 无法解析 / invalid JSON: {e}"),
                    );
                    continue;
                }
            };
            let valid = match K::validate(&parsed, self.taxonomy) {
                Ok(v) => v,
                Err(errors) => {
                    self.reject(&mut report, line_no, errors.to_string());
                    continue;
                }
            };
            // A repeated id inside one batch would make the batch's outcome
            // depend on statement order: write what came before it first.
            if ids_in_batch.contains(K::external_id(&valid)) {
                self.flush::<K>(&mut batch, &mut report).await?;
                ids_in_batch.clear();
            }
            ids_in_batch.insert(K::external_id(&valid).to_owned());
            batch.push((line_no, valid));
            if batch.len() >= BATCH {
                self.flush::<K>(&mut batch, &mut report).await?;
                ids_in_batch.clear();
            }
        }
        self.flush::<K>(&mut batch, &mut report).await?;
        progress.finish_and_clear();
        Ok(report)
    }

    fn progress_bar(&self, size: u64) -> ProgressBar {
        const WORTH_A_BAR: u64 = 4 << 20;
        if !self.opts.progress || size < WORTH_A_BAR || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} 剩余 {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(self.name);
        bar
    }

    /// Resolves organizations, then writes the batch in one transaction. If the
    /// database refuses the batch, each record is retried alone so that one
    /// record it refuses is reported and the others still load.
    async fn flush<K: RecordKind>(
        &mut self,
        batch: &mut Vec<(usize, K::Valid)>,
        report: &mut FileReport,
    ) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(batch);
        let org_ids: Vec<&str> = pending.iter().filter_map(|(_, v)| K::org(v)).collect();
        let orgs = repo::organizations::ids_by_external(self.db, &org_ids)
            .await
            .context("查询组织失败 / looking up organizations failed")?;
        let mut ready: Vec<(usize, K::Valid, i64)> = Vec::with_capacity(pending.len());
        for (line, v) in pending {
            match K::org(&v) {
                None => ready.push((line, v, 0)),
                Some(org) => match orgs.get(org) {
                    Some(&id) => ready.push((line, v, id)),
                    None => {
                        let reason = format!(
                            "org: 组织“{org}”不存在，请先导入该组织 (organization '{org}' does not exist; import it first)"
                        );
                        self.reject(report, line, reason);
                    }
                },
            }
        }
        let (lines, records): (Vec<usize>, Vec<(K::Valid, i64)>) =
            ready.into_iter().map(|(l, v, id)| (l, (v, id))).unzip();
        match store_in_transaction::<K>(self.db, &records).await {
            Ok(outcomes) => outcomes.into_iter().for_each(|o| report.count(o)),
            Err(e) => {
                tracing::warn!(error = %e, "batch refused by the database; retrying record by record");
                for (line, record) in lines.into_iter().zip(&records) {
                    match store_in_transaction::<K>(self.db, std::slice::from_ref(record)).await {
                        Ok(outcomes) => outcomes.into_iter().for_each(|o| report.count(o)),
                        Err(e) => self.reject(
                            report,
                            line,
                            format!("数据库拒绝写入 / the database refused the record: {e}"),
                        ),
                    }
                }
            }
        }
        Ok(())
    }
}

/// Stores records in one transaction (rolled back on error when dropped).
async fn store_in_transaction<K: RecordKind>(
    db: &DatabaseConnection,
    records: &[(K::Valid, i64)],
) -> Result<Vec<Outcome>, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    let outcomes = K::store(&txn, records).await?;
    txn.commit().await?;
    Ok(outcomes)
}
