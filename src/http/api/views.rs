//! What the API returns for each resource: external ids only, lists decoded,
//! organizations summarised where a record refers to one.

use crate::storage::entities::{capability, need, organization};
use crate::storage::lists;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationView {
    /// External id.
    pub id: String,
    pub name: String,
    /// `enterprise`, `university`, `institute`, `academy`, `leading_enterprise`.
    pub kind: String,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub above_scale: Option<bool>,
    pub ownership: Option<String>,
    pub uscc: Option<String>,
    pub fields: Vec<String>,
}

impl From<organization::Model> for OrganizationView {
    fn from(m: organization::Model) -> Self {
        Self {
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
}

/// The organization a need or capability belongs to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrgRef {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub tier: Option<String>,
    pub region: Option<String>,
}

impl From<&organization::Model> for OrgRef {
    fn from(m: &organization::Model) -> Self {
        Self {
            id: m.external_id.clone(),
            name: m.name.clone(),
            kind: m.kind.clone(),
            tier: m.tier.clone(),
            region: m.region.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NeedView {
    pub id: String,
    pub org: OrgRef,
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    /// 预算（万元）
    pub budget_wan: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub confidential: bool,
    /// `draft`, `open`, `matched`, `closed`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it back when editing.
    pub version: i32,
}

impl NeedView {
    pub fn new(m: need::Model, org: &organization::Model) -> Self {
        Self {
            id: m.external_id,
            org: org.into(),
            title: m.title,
            description: m.description,
            field: m.field,
            keywords: lists::decode(&m.keywords),
            cooperation: lists::decode(&m.cooperation),
            budget_wan: m.budget_wan,
            deadline: m.deadline,
            confidential: m.confidential,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CapabilityView {
    pub id: String,
    pub org: OrgRef,
    pub researcher: Option<String>,
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    /// 技术成熟度 TRL 1–9
    pub maturity: Option<i16>,
    /// `draft`, `published`, `archived`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl CapabilityView {
    pub fn new(m: capability::Model, org: &organization::Model) -> Self {
        Self {
            id: m.external_id,
            org: org.into(),
            researcher: m.researcher,
            title: m.title,
            description: m.description,
            field: m.field,
            keywords: lists::decode(&m.keywords),
            cooperation: lists::decode(&m.cooperation),
            maturity: m.maturity,
            status: m.status,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}
