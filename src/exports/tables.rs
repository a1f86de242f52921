//! The exported tables: each resource's columns (defined once, used by CSV
//! and XLSX) and the query that fills them with what the caller may read.

use super::{Cell, Column, MAX_ROWS, Table, col};
use crate::domain::access::{Caller, Visibility};
use crate::domain::permissions::StaffScope;
use crate::domain::{
    AgreementStatus, CapabilityStatus, ContractType, MatchState, NeedStatus, Taxonomy, TermKind,
};
use crate::storage::entities::organization;
use crate::storage::lists;
use crate::storage::repo::{
    Page, agreements, capabilities, matches, needs, organizations, program_items,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr};

/// The resources that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Needs,
    Capabilities,
    Matches,
    Agreements,
    /// The KPI report (program staff and admins only).
    Kpis,
}

impl Resource {
    pub const ALL: [Resource; 5] = [
        Resource::Needs,
        Resource::Capabilities,
        Resource::Matches,
        Resource::Agreements,
        Resource::Kpis,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Needs => "needs",
            Resource::Capabilities => "capabilities",
            Resource::Matches => "matches",
            Resource::Agreements => "agreements",
            Resource::Kpis => "kpis",
        }
    }

    /// Whether anonymous callers may export it (public records only).
    pub fn open_to_anonymous(self) -> bool {
        matches!(self, Resource::Needs | Resource::Capabilities)
    }
}

pub const NEED_COLUMNS: &[Column] = &[
    col("需求编号", 16.0),
    col("标题", 36.0),
    col("发布单位", 28.0),
    col("单位编号", 16.0),
    col("所在城市", 10.0),
    col("领域", 16.0),
    col("关键词", 28.0),
    col("合作方式", 24.0),
    col("预算（万元）", 12.0),
    col("截止日期", 12.0),
    col("是否保密", 10.0),
    col("状态", 10.0),
    col("需求描述", 60.0),
    col("更新时间", 20.0),
];

pub const CAPABILITY_COLUMNS: &[Column] = &[
    col("能力编号", 16.0),
    col("标题", 36.0),
    col("所属单位", 28.0),
    col("单位编号", 16.0),
    col("所在城市", 10.0),
    col("科研人员", 14.0),
    col("领域", 16.0),
    col("关键词", 28.0),
    col("合作方式", 24.0),
    col("成熟度", 8.0),
    col("状态", 10.0),
    col("能力描述", 60.0),
    col("更新时间", 20.0),
];

pub const MATCH_COLUMNS: &[Column] = &[
    col("对接编号", 10.0),
    col("状态", 12.0),
    col("得分", 8.0),
    col("来源", 10.0),
    col("需求编号", 16.0),
    col("需求标题", 36.0),
    col("需求单位", 28.0),
    col("能力编号", 16.0),
    col("能力标题", 36.0),
    col("能力单位", 28.0),
    col("领域", 16.0),
    col("进入当前状态时间", 20.0),
    col("创建时间", 20.0),
    col("更新时间", 20.0),
];

pub const AGREEMENT_COLUMNS: &[Column] = &[
    col("合同编号", 10.0),
    col("状态", 10.0),
    col("合同类型", 12.0),
    col("甲方", 28.0),
    col("甲方编号", 16.0),
    col("乙方", 28.0),
    col("乙方编号", 16.0),
    col("金额（万元）", 12.0),
    col("签订日期", 12.0),
    col("起始日期", 12.0),
    col("终止日期", 12.0),
    col("登记编号", 18.0),
    col("行动计划项目", 16.0),
    col("对接编号", 10.0),
    col("创建时间", 20.0),
];

/// Builds the table of `resource` with what `caller` may read (matches and
/// agreements also limited to a program staff member's `scope`, as their
/// lists are). `None` when
/// the caller may not export it at all (anonymous callers and matches or
/// agreements; anyone but staff and admins and the KPI report).
pub async fn build(
    db: &impl ConnectionTrait,
    taxonomy: &Taxonomy,
    caller: &Caller,
    scope: &StaffScope,
    resource: Resource,
) -> Result<Option<Table>, DbErr> {
    let v = caller.visibility();
    let all = Page {
        page: 1,
        per_page: MAX_ROWS,
    };
    let labels = Labels { taxonomy };
    Ok(Some(match resource {
        Resource::Needs => {
            let found = needs::list(db, &needs::Filter::default(), v, all).await?;
            let orgs =
                organizations::by_ids(db, found.items.iter().map(|n| n.organization_id)).await?;
            let rows = found
                .items
                .iter()
                .map(|n| {
                    let org = orgs.get(&n.organization_id);
                    vec![
                        n.external_id.as_str().into(),
                        n.title.as_str().into(),
                        org_name(org),
                        org_id(org),
                        org_region(org),
                        labels.field(&n.field),
                        lists::decode(&n.keywords).join("、").into(),
                        labels.cooperation(&n.cooperation),
                        n.budget_wan.into(),
                        date(n.deadline),
                        (if n.confidential { "是" } else { "否" }).into(),
                        NeedStatus::from_code(&n.status)
                            .map_or(n.status.as_str(), |s| s.label_zh())
                            .into(),
                        n.description.as_str().into(),
                        time(n.updated_at),
                    ]
                })
                .collect();
            table("needs", "技术需求", NEED_COLUMNS, rows, found.total)
        }
        Resource::Capabilities => {
            let found = capabilities::list(db, &capabilities::Filter::default(), v, all).await?;
            let orgs =
                organizations::by_ids(db, found.items.iter().map(|c| c.organization_id)).await?;
            let rows = found
                .items
                .iter()
                .map(|c| {
                    let org = orgs.get(&c.organization_id);
                    vec![
                        c.external_id.as_str().into(),
                        c.title.as_str().into(),
                        org_name(org),
                        org_id(org),
                        org_region(org),
                        c.researcher.as_deref().into(),
                        labels.field(&c.field),
                        lists::decode(&c.keywords).join("、").into(),
                        labels.cooperation(&c.cooperation),
                        c.maturity.map(i64::from).into(),
                        CapabilityStatus::from_code(&c.status)
                            .map_or(c.status.as_str(), |s| s.label_zh())
                            .into(),
                        c.description.as_str().into(),
                        time(c.updated_at),
                    ]
                })
                .collect();
            table(
                "capabilities",
                "科研能力",
                CAPABILITY_COLUMNS,
                rows,
                found.total,
            )
        }
        Resource::Matches => {
            let Some(readable) = matches::Readable::of(v) else {
                return Ok(None);
            };
            let filter = matches::Filter {
                states: MatchState::ALL.to_vec(),
                scope: scope.clone(),
                ..Default::default()
            };
            let found = matches::list(db, &filter, readable, all).await?;
            let need_map = matches::needs_by_ids(db, found.items.iter().map(|m| m.need_id)).await?;
            let cap_map =
                matches::capabilities_by_ids(db, found.items.iter().map(|m| m.capability_id))
                    .await?;
            let orgs = organizations::by_ids(
                db,
                need_map
                    .values()
                    .map(|n| n.organization_id)
                    .chain(cap_map.values().map(|c| c.organization_id)),
            )
            .await?;
            let rows = found
                .items
                .iter()
                .map(|m| {
                    let n = need_map.get(&m.need_id);
                    let c = cap_map.get(&m.capability_id);
                    vec![
                        m.id.into(),
                        MatchState::from_code(&m.state)
                            .map_or(m.state.as_str(), |s| s.label_zh())
                            .into(),
                        ((m.score * 1000.0).round() / 1000.0).into(),
                        origin_zh(&m.origin).into(),
                        n.map(|n| n.external_id.as_str()).into(),
                        n.map(|n| n.title.as_str()).into(),
                        org_name(n.and_then(|n| orgs.get(&n.organization_id))),
                        c.map(|c| c.external_id.as_str()).into(),
                        c.map(|c| c.title.as_str()).into(),
                        org_name(c.and_then(|c| orgs.get(&c.organization_id))),
                        n.map_or(Cell::Empty, |n| labels.field(&n.field)),
                        m.state_since.map(time).unwrap_or(Cell::Empty),
                        time(m.created_at),
                        time(m.updated_at),
                    ]
                })
                .collect();
            table("matches", "对接", MATCH_COLUMNS, rows, found.total)
        }
        Resource::Agreements => {
            let readable = match v {
                Visibility::All => agreements::Readable::All,
                Visibility::PublicAndOrg(org) => agreements::Readable::Party(org),
                Visibility::Public => return Ok(None),
            };
            let found = agreements::list(
                db,
                &agreements::Filter {
                    scope: scope.clone(),
                    ..Default::default()
                },
                readable,
                all,
            )
            .await?;
            let orgs = organizations::by_ids(
                db,
                found
                    .items
                    .iter()
                    .flat_map(|a| [a.party_a_org_id, a.party_b_org_id]),
            )
            .await?;
            let items =
                program_items::by_ids(db, found.items.iter().filter_map(|a| a.program_item_id))
                    .await?;
            let rows = found
                .items
                .iter()
                .map(|a| {
                    let pa = orgs.get(&a.party_a_org_id);
                    let pb = orgs.get(&a.party_b_org_id);
                    vec![
                        a.id.into(),
                        AgreementStatus::from_code(&a.status)
                            .map_or(a.status.as_str(), |s| s.label_zh())
                            .into(),
                        ContractType::from_code(&a.contract_type)
                            .map_or(a.contract_type.as_str(), |s| s.label_zh())
                            .into(),
                        org_name(pa),
                        org_id(pa),
                        org_name(pb),
                        org_id(pb),
                        a.amount_wan.into(),
                        date(a.signing_date),
                        date(a.term_start),
                        date(a.term_end),
                        a.registration_no.as_deref().into(),
                        a.program_item_id
                            .and_then(|i| items.get(&i))
                            .map(|i| i.code.as_str())
                            .into(),
                        a.match_id.into(),
                        time(a.created_at),
                    ]
                })
                .collect();
            table(
                "agreements",
                "技术合同",
                AGREEMENT_COLUMNS,
                rows,
                found.total,
            )
        }
        Resource::Kpis => {
            // The same rule as `GET /api/v1/program/kpis`.
            if !crate::domain::curation::may_curate(caller) {
                return Ok(None);
            }
            let report = crate::kpi::report(db, &crate::kpi::Scope::default()).await?;
            let rows = super::kpis::rows(&report);
            let n = rows.len() as u64;
            table("kpis", "行动计划指标", super::kpis::KPI_COLUMNS, rows, n)
        }
    }))
}

fn table(
    name: &'static str,
    title_zh: &'static str,
    columns: &'static [Column],
    rows: Vec<Vec<Cell>>,
    total: u64,
) -> Table {
    debug_assert!(rows.iter().all(|r| r.len() == columns.len()));
    Table {
        name,
        title_zh,
        columns,
        truncated: total > rows.len() as u64,
        rows,
    }
}

struct Labels<'a> {
    taxonomy: &'a Taxonomy,
}

impl Labels<'_> {
    fn field(&self, code: &str) -> Cell {
        self.taxonomy
            .get(TermKind::Field, code)
            .map_or(code, |t| t.name_zh.as_str())
            .into()
    }

    fn cooperation(&self, json_list: &str) -> Cell {
        lists::decode(json_list)
            .iter()
            .map(|c| {
                self.taxonomy
                    .get(TermKind::Cooperation, c)
                    .map_or(c.as_str(), |t| t.name_zh.as_str())
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("、")
            .into()
    }
}

fn org_name(o: Option<&organization::Model>) -> Cell {
    o.map(|o| o.name.as_str()).into()
}

fn org_id(o: Option<&organization::Model>) -> Cell {
    o.map(|o| o.external_id.as_str()).into()
}

fn org_region(o: Option<&organization::Model>) -> Cell {
    o.and_then(|o| o.region.as_deref()).into()
}

fn date(d: Option<NaiveDate>) -> Cell {
    d.map(|d| d.format("%Y-%m-%d").to_string()).into()
}

fn time(t: DateTime<Utc>) -> Cell {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string().into()
}

fn origin_zh(origin: &str) -> &str {
    match origin {
        "suggested" => "系统推荐",
        "manual" => "人工创建",
        "interest" => "对接意向",
        other => other,
    }
}
