//! `duijie export DIR`: writes the database in the interchange format.
//!
//! Files are written to a temporary name and renamed when complete, so a
//! failed export never leaves a truncated file that looks whole. Records are
//! read in id order, in chunks, so memory stays flat on large databases.

use super::records::{CapabilityLine, NeedLine, OrganizationLine};
use super::{CAPABILITIES_FILE, NEEDS_FILE, ORGANIZATIONS_FILE};
use crate::storage::entities::{capability, need, organization};
use crate::storage::{lists, repo};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;

const CHUNK: u64 = 2000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    pub organizations: u64,
    pub needs: u64,
    pub capabilities: u64,
}

pub async fn export_dir(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<ExportReport> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("无法创建目录 / cannot create {}", dir.display()))?;
    let mut report = ExportReport::default();

    // Organizations first; remember their external ids for the references.
    let mut org_ext: HashMap<i64, String> = HashMap::new();
    let mut out = JsonlFile::create(dir, ORGANIZATIONS_FILE)?;
    let mut after = 0;
    loop {
        let chunk = repo::organizations::chunk_after(db, after, CHUNK).await?;
        let Some(last) = chunk.last() else { break };
        after = last.id;
        for m in chunk {
            org_ext.insert(m.id, m.external_id.clone());
            out.write(&organization_line(m))?;
            report.organizations += 1;
        }
    }
    out.finish()?;

    let org_of = |id: i64| -> anyhow::Result<String> {
        org_ext
            .get(&id)
            .cloned()
            .with_context(|| format!("organization {id} referenced but missing"))
    };

    let mut out = JsonlFile::create(dir, NEEDS_FILE)?;
    let mut after = 0;
    loop {
        let chunk = repo::needs::chunk_after(db, after, CHUNK).await?;
        let Some(last) = chunk.last() else { break };
        after = last.id;
        for m in chunk {
            let org = org_of(m.organization_id)?;
            out.write(&need_line(m, org))?;
            report.needs += 1;
        }
    }
    out.finish()?;

    let mut out = JsonlFile::create(dir, CAPABILITIES_FILE)?;
    let mut after = 0;
    loop {
        let chunk = repo::capabilities::chunk_after(db, after, CHUNK).await?;
        let Some(last) = chunk.last() else { break };
        after = last.id;
        for m in chunk {
            let org = org_of(m.organization_id)?;
            out.write(&capability_line(m, org))?;
            report.capabilities += 1;
        }
    }
    out.finish()?;
    Ok(report)
}

pub fn organization_line(m: organization::Model) -> OrganizationLine {
    OrganizationLine {
        id: m.external_id,
        name: m.name,
        kind: m.kind,
        tier: m.tier,
        region: m.region,
        above_scale: m.above_scale,
        ownership: m.ownership,
        uscc: m.uscc,
        fields: lists::decode(&m.fields),
    }
}

pub fn need_line(m: need::Model, org: String) -> NeedLine {
    NeedLine {
        id: m.external_id,
        org,
        title: m.title,
        description: m.description,
        field: m.field,
        keywords: lists::decode(&m.keywords),
        cooperation: lists::decode(&m.cooperation),
        budget_wan: m.budget_wan,
        deadline: m.deadline.map(|d| d.format("%Y-%m-%d").to_string()),
        confidential: m.confidential.then_some(true),
        status: (m.status != crate::domain::NeedStatus::Open.as_str()).then_some(m.status),
    }
}

pub fn capability_line(m: capability::Model, org: String) -> CapabilityLine {
    CapabilityLine {
        id: m.external_id,
        org,
        researcher: m.researcher,
        title: m.title,
        description: m.description,
        field: m.field,
        keywords: lists::decode(&m.keywords),
        maturity: m.maturity.map(i64::from),
        cooperation: lists::decode(&m.cooperation),
        status: (m.status != crate::domain::CapabilityStatus::Published.as_str())
            .then_some(m.status),
    }
}

/// A JSONL file written under a temporary name and renamed on `finish`.
struct JsonlFile {
    tmp: std::path::PathBuf,
    dest: std::path::PathBuf,
    out: BufWriter<std::fs::File>,
}

impl JsonlFile {
    fn create(dir: &Path, name: &str) -> anyhow::Result<Self> {
        let dest = dir.join(name);
        let tmp = dir.join(format!(".{name}.partial"));
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("无法写入 / cannot write {}", tmp.display()))?;
        Ok(Self {
            tmp,
            dest,
            out: BufWriter::new(file),
        })
    }

    fn write(&mut self, record: &impl Serialize) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        std::fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("无法写入 / cannot write {}", self.dest.display()))?;
        Ok(())
    }
}
