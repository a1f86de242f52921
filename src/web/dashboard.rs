//! 项目看板 · The program dashboard: the KPI report of
//! `GET /api/v1/program/kpis` as tiles against the plan's targets, three
//! server-rendered SVG charts (coverage by city, by field, program-item
//! progress) each with a table of the same numbers, and export links.
//!
//! The report is staff-only in the API; other roles get its 403 as a page.

use super::WebState;
use super::charts::{BarChart, Group, number};
use super::format::{Names, minute};
use super::page::{Layout, PageResult, Viewer, render, render_status};
use crate::domain::{ProgramItemKind, TermKind};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<WebState> {
    Router::new().route("/dashboard", get(dashboard))
}

/// One figure of the report (see `crate::kpi::Figure`).
#[derive(Deserialize, Clone)]
pub struct Figure {
    pub numerator: u64,
    pub denominator: Option<u64>,
    pub value: Option<f64>,
    pub target: Option<f64>,
}

impl Figure {
    /// Progress toward the target in percent (0 when there is none).
    fn progress(&self) -> Option<f64> {
        match (self.value, self.target) {
            (Some(v), Some(t)) if t > 0.0 => Some(100.0 * v / t),
            _ => None,
        }
    }
    /// A share as `num / den`.
    pub fn ratio(&self) -> String {
        match self.denominator {
            Some(d) => format!("{} / {}", self.numerator, d),
            None => self.numerator.to_string(),
        }
    }
    pub fn percent(&self) -> String {
        self.value
            .map_or_else(|| "—".to_owned(), |v| format!("{}%", number(v)))
    }
}

#[derive(Deserialize)]
struct ItemKpis {
    kind: ProgramItemKind,
    total: u64,
    started: Figure,
    with_agreement: Figure,
    completed: Figure,
}

#[derive(Deserialize)]
struct AgreementGroup {
    key: String,
    label_zh: String,
    count: u64,
    amount_wan: f64,
}

#[derive(Deserialize)]
struct AgreementKpis {
    count: u64,
    amount_wan: f64,
    by_contract_type: Vec<AgreementGroup>,
    by_provider_tier: Vec<AgreementGroup>,
}

#[derive(Deserialize)]
struct AllianceKpis {
    count: Figure,
    cluster_coverage: Figure,
}

#[derive(Deserialize)]
struct Kpis {
    above_scale_coverage: Figure,
    provincial_soe_coverage: Figure,
    program_items: Vec<ItemKpis>,
    agreements: AgreementKpis,
    days_to_confirmation: Figure,
    alliances: AllianceKpis,
}

#[derive(Deserialize)]
struct Slice {
    label_zh: String,
    kpis: Kpis,
}

#[derive(Deserialize)]
struct Report {
    generated_at: String,
    overall: Kpis,
    by_city: Vec<Slice>,
    by_field: Vec<Slice>,
}

/// A KPI tile: the figure, its target and how far along it is.
pub struct Tile {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    pub detail: String,
    pub target: Option<String>,
    /// Progress toward the target, 0–100 (the bar; capped).
    pub bar: Option<f64>,
    /// Progress as text (may exceed 100%).
    pub progress: Option<String>,
}

impl Tile {
    fn against(id: &'static str, label: &str, f: &Figure, unit: &str, detail: String) -> Self {
        let progress = f.progress();
        Tile {
            id,
            label: label.to_owned(),
            value: f
                .value
                .map_or_else(|| "—".to_owned(), |v| format!("{}{unit}", number(v))),
            detail,
            target: f.target.map(|t| format!("{}{unit}", number(t))),
            bar: progress.map(|p| (p.clamp(0.0, 100.0) * 10.0).round() / 10.0),
            progress: progress.map(|p| format!("{}%", number(p))),
        }
    }
}

/// A row of a breakdown table.
pub struct SliceRow {
    pub label: String,
    pub above_scale: Figure,
    pub soe: Figure,
    pub agreements: u64,
    pub amount: String,
}

/// A row of the program-item table.
pub struct ItemRow {
    pub label: &'static str,
    pub total: u64,
    pub started: u64,
    pub with_agreement: u64,
    pub completed: u64,
    pub target: String,
}

/// A row of the agreements tables.
pub struct GroupRow {
    pub label: String,
    pub count: u64,
    pub amount: String,
}

/// The dashboard's filters.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct DashForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub city: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    form: DashForm,
    fields: Vec<(String, String)>,
    scope: String,
    generated: String,
    tiles: Vec<Tile>,
    city_chart: String,
    field_chart: String,
    item_chart: String,
    cities: Vec<SliceRow>,
    field_rows: Vec<SliceRow>,
    items: Vec<ItemRow>,
    by_type: Vec<GroupRow>,
    by_tier: Vec<GroupRow>,
    error: Option<String>,
}

fn slice_rows(slices: &[Slice]) -> Vec<SliceRow> {
    slices
        .iter()
        .map(|s| SliceRow {
            label: s.label_zh.clone(),
            above_scale: s.kpis.above_scale_coverage.clone(),
            soe: s.kpis.provincial_soe_coverage.clone(),
            agreements: s.kpis.agreements.count,
            amount: number(s.kpis.agreements.amount_wan),
        })
        .collect()
}

/// Coverage of above-scale enterprises per slice, against its target.
fn coverage_chart(id: &str, title: &str, slices: &[Slice]) -> String {
    let target = slices
        .iter()
        .find_map(|s| s.kpis.above_scale_coverage.target);
    BarChart {
        id: id.to_owned(),
        title: title.to_owned(),
        unit: "%".to_owned(),
        series: vec!["规上工业企业合作覆盖率".to_owned()],
        groups: slices
            .iter()
            .map(|s| Group {
                label: s.label_zh.clone(),
                values: vec![s.kpis.above_scale_coverage.value],
            })
            .collect(),
        max: Some(100.0),
        target: target.map(|t| (t, "目标".to_owned())),
    }
    .to_svg()
}

fn build(v: &Viewer, names: &Names, form: DashForm, r: Report) -> DashboardPage {
    let o = &r.overall;
    let mut tiles = vec![
        Tile::against(
            "kpi-above-scale",
            "规上工业企业产学研合作覆盖率",
            &o.above_scale_coverage,
            "%",
            format!("合作企业 {}", o.above_scale_coverage.ratio()),
        ),
        Tile::against(
            "kpi-soe",
            "省属国有企业与高校院所合作覆盖率",
            &o.provincial_soe_coverage,
            "%",
            format!("合作企业 {}", o.provincial_soe_coverage.ratio()),
        ),
        Tile {
            id: "kpi-agreements",
            label: "技术合同（未终止）".to_owned(),
            value: format!("{} 份", o.agreements.count),
            detail: format!("合同金额 {} 万元", number(o.agreements.amount_wan)),
            target: None,
            bar: None,
            progress: None,
        },
    ];
    for item in &o.program_items {
        let id = match item.kind {
            ProgramItemKind::KeyTechnology => "kpi-key-technology",
            ProgramItemKind::InnovationProject => "kpi-innovation-project",
            ProgramItemKind::Demonstration => "kpi-demonstration",
        };
        tiles.push(Tile::against(
            id,
            &format!("{}（已启动）", item.kind.label_zh()),
            &item.started,
            " 项",
            format!(
                "共 {} 项，有合同 {} 项，已完成 {} 项",
                item.total, item.with_agreement.numerator, item.completed.numerator
            ),
        ));
    }
    tiles.push(Tile::against(
        "kpi-alliances",
        "产业联盟",
        &o.alliances.count,
        " 个",
        format!(
            "产业链覆盖率 {}（{}）",
            o.alliances.cluster_coverage.percent(),
            o.alliances.cluster_coverage.ratio()
        ),
    ));
    let days = &o.days_to_confirmation;
    tiles.push(Tile {
        id: "kpi-days",
        label: "推荐到确认合作（中位天数）".to_owned(),
        value: days
            .value
            .map_or_else(|| "—".to_owned(), |d| format!("{} 天", number(d))),
        detail: format!("基于 {} 个已确认对接", days.numerator),
        target: None,
        bar: None,
        progress: None,
    });

    let item_target = o.program_items.iter().find_map(|i| i.started.target);
    let item_chart = BarChart {
        id: "chart-items".to_owned(),
        title: "行动计划项目进展".to_owned(),
        unit: " 项".to_owned(),
        series: vec![
            "已启动".to_owned(),
            "有合同".to_owned(),
            "已完成".to_owned(),
        ],
        groups: o
            .program_items
            .iter()
            .map(|i| Group {
                label: i.kind.label_zh().to_owned(),
                values: vec![i.started.value, i.with_agreement.value, i.completed.value],
            })
            .collect(),
        max: None,
        target: item_target.map(|t| (t, "目标".to_owned())),
    }
    .to_svg();

    let scope = match (form.city.trim(), form.field.trim()) {
        ("", "") => "全省".to_owned(),
        (c, "") => c.to_owned(),
        ("", f) => names.field(f),
        (c, f) => format!("{c} · {}", names.field(f)),
    };
    DashboardPage {
        layout: v.layout("项目看板", "dashboard"),
        fields: names.options(TermKind::Field),
        generated: minute(&r.generated_at),
        city_chart: coverage_chart("chart-city", "各城市规上工业企业合作覆盖率", &r.by_city),
        field_chart: coverage_chart("chart-field", "各领域规上工业企业合作覆盖率", &r.by_field),
        item_chart,
        cities: slice_rows(&r.by_city),
        field_rows: slice_rows(&r.by_field),
        items: o
            .program_items
            .iter()
            .map(|i| ItemRow {
                label: i.kind.label_zh(),
                total: i.total,
                started: i.started.numerator,
                with_agreement: i.with_agreement.numerator,
                completed: i.completed.numerator,
                target: i.started.target.map_or_else(|| "—".to_owned(), number),
            })
            .collect(),
        by_type: o
            .agreements
            .by_contract_type
            .iter()
            .map(|g| GroupRow {
                label: g.label_zh.clone(),
                count: g.count,
                amount: number(g.amount_wan),
            })
            .collect(),
        by_tier: o
            .agreements
            .by_provider_tier
            .iter()
            .map(|g| GroupRow {
                label: if g.key == "none" {
                    g.label_zh.clone()
                } else {
                    names.tier(&g.key)
                },
                count: g.count,
                amount: number(g.amount_wan),
            })
            .collect(),
        tiles,
        scope,
        form,
        error: None,
    }
}

pub async fn dashboard(
    v: Viewer,
    State(s): State<WebState>,
    Query(form): Query<DashForm>,
) -> PageResult {
    v.require_user()?;
    let names = Names(s.app.taxonomy.current());
    let found: Result<Report, _> = v.api.get_with("/api/v1/program/kpis", &form).await;
    match found {
        Ok(r) => render(&build(&v, &names, form, r)),
        // A bad filter: show the province with the message.
        Err(p) if p.status == StatusCode::BAD_REQUEST => {
            let r: Report = v.api.get("/api/v1/program/kpis").await?;
            let mut page = build(&v, &names, DashForm::default(), r);
            page.form = form;
            page.error = Some(super::curation_pages::problem_text(&p));
            render_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(p) => Err(p.into()),
    }
}
