//! The KPI report (`crate::kpi`) as one flat table: one row per figure, for
//! the whole province, each city and each field.

use super::{Cell, Column, col};
use crate::kpi::{Figure, Kpis, Report};

pub const KPI_COLUMNS: &[Column] = &[
    col("范围", 8.0),
    col("范围名称", 18.0),
    col("指标", 40.0),
    col("单位", 8.0),
    col("数值", 12.0),
    col("分子", 10.0),
    col("分母", 10.0),
    col("目标", 10.0),
    col("完成进度（%）", 14.0),
];

fn unit_zh(unit: &str) -> &str {
    match unit {
        "percent" => "%",
        "count" => "个",
        "days" => "天",
        other => other,
    }
}

fn figure_row(scope: &str, name: &str, metric: &str, f: &Figure) -> Vec<Cell> {
    #[allow(clippy::cast_precision_loss)]
    let numerator = f.numerator as f64;
    #[allow(clippy::cast_precision_loss)]
    let denominator = f.denominator.map(|d| d as f64);
    vec![
        scope.into(),
        name.into(),
        metric.into(),
        unit_zh(f.unit).into(),
        f.value.into(),
        numerator.into(),
        denominator.into(),
        f.target.into(),
        f.progress.into(),
    ]
}

fn plain_row(scope: &str, name: &str, metric: &str, unit: &str, value: f64) -> Vec<Cell> {
    vec![
        scope.into(),
        name.into(),
        metric.into(),
        unit.into(),
        value.into(),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]
}

fn kpi_rows(scope: &str, name: &str, k: &Kpis, out: &mut Vec<Vec<Cell>>) {
    out.push(figure_row(
        scope,
        name,
        "规上工业企业开展产学研合作的比例",
        &k.above_scale_coverage,
    ));
    out.push(figure_row(
        scope,
        name,
        "省属国有企业与高校、院所合作的比例",
        &k.provincial_soe_coverage,
    ));
    for item in &k.program_items {
        out.push(figure_row(
            scope,
            name,
            &format!("{}：已启动", item.label_zh),
            &item.started,
        ));
        out.push(figure_row(
            scope,
            name,
            &format!("{}：已签技术合同", item.label_zh),
            &item.with_agreement,
        ));
        out.push(figure_row(
            scope,
            name,
            &format!("{}：已完成", item.label_zh),
            &item.completed,
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let count = k.agreements.count as f64;
    out.push(plain_row(scope, name, "技术合同数", "份", count));
    out.push(plain_row(
        scope,
        name,
        "技术合同金额",
        "万元",
        k.agreements.amount_wan,
    ));
    for (prefix, groups) in [
        ("按合同类型", &k.agreements.by_contract_type),
        ("按乙方层级", &k.agreements.by_provider_tier),
    ] {
        for g in groups {
            #[allow(clippy::cast_precision_loss)]
            let n = g.count as f64;
            out.push(plain_row(
                scope,
                name,
                &format!("技术合同数（{prefix}：{}）", g.label_zh),
                "份",
                n,
            ));
            out.push(plain_row(
                scope,
                name,
                &format!("技术合同金额（{prefix}：{}）", g.label_zh),
                "万元",
                g.amount_wan,
            ));
        }
    }
    out.push(figure_row(
        scope,
        name,
        "从推荐到确认合作的天数（中位数）",
        &k.days_to_confirmation,
    ));
    out.push(figure_row(scope, name, "产业联盟数", &k.alliances.count));
    out.push(figure_row(
        scope,
        name,
        "产业联盟覆盖的产业集群比例",
        &k.alliances.cluster_coverage,
    ));
}

/// One row per figure: the province, then each city, then each field.
pub fn rows(r: &Report) -> Vec<Vec<Cell>> {
    let mut out = Vec::new();
    kpi_rows("全省", "全省", &r.overall, &mut out);
    for s in &r.by_city {
        kpi_rows("城市", &s.label_zh, &s.kpis, &mut out);
    }
    for s in &r.by_field {
        kpi_rows("领域", &s.label_zh, &s.kpis, &mut out);
    }
    out
}
