//! `duijie kpi [--json] [--city C] [--field F]`: the KPI report of the
//! action plan, as readable Chinese text or as the JSON of
//! `GET /api/v1/program/kpis`.

use crate::domain::TermKind;
use crate::kpi::{self, Figure, Kpis, Report, Scope};
use crate::startup;
use std::fmt::Write as _;
use std::process::ExitCode;

pub async fn run(
    url: &str,
    json: bool,
    city: Option<String>,
    field: Option<String>,
) -> anyhow::Result<ExitCode> {
    let (db, taxonomy) = startup::open_database(url).await?;
    let field = match field.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()) {
        Some(f) => match taxonomy.check(TermKind::Field, "field", &f) {
            Ok(code) => Some(code),
            Err(e) => {
                eprintln!("{} ({})", e.message, e.message_en);
                return Ok(ExitCode::from(super::EXIT_REJECTED));
            }
        },
        None => None,
    };
    let scope = Scope {
        city: city.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
        field,
    };
    let report = kpi::report(&db, &scope).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn share(f: &Figure) -> String {
    let value = f
        .value
        .map_or_else(|| "—".to_owned(), |v| format!("{}%", num(v)));
    let target = f
        .target
        .map(|t| format!("，目标 {}%", num(t)))
        .unwrap_or_default();
    format!(
        "{}/{}（{value}{target}）",
        f.numerator,
        f.denominator.unwrap_or(0)
    )
}

fn count(f: &Figure) -> String {
    match (f.target, f.progress) {
        (Some(t), Some(p)) => format!("{} / 目标 {}（{}%）", f.numerator, num(t), num(p)),
        _ => f.numerator.to_string(),
    }
}

fn section(out: &mut String, k: &Kpis, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}规上工业企业合作覆盖：{}",
        share(&k.above_scale_coverage)
    );
    let _ = writeln!(
        out,
        "{indent}省属国企与高校院所合作：{}",
        share(&k.provincial_soe_coverage)
    );
    for i in &k.program_items {
        let _ = writeln!(
            out,
            "{indent}{}：共 {} 项；已启动 {}；已签合同 {}；已完成 {}",
            i.label_zh,
            i.total,
            count(&i.started),
            count(&i.with_agreement),
            count(&i.completed)
        );
    }
    let a = &k.agreements;
    let _ = writeln!(
        out,
        "{indent}技术合同：{} 份，金额 {} 万元",
        a.count,
        num(a.amount_wan)
    );
    for g in a.by_contract_type.iter().filter(|g| g.count > 0) {
        let _ = writeln!(
            out,
            "{indent}  {}：{} 份，{} 万元",
            g.label_zh,
            g.count,
            num(g.amount_wan)
        );
    }
    for g in &a.by_provider_tier {
        let _ = writeln!(
            out,
            "{indent}  乙方层级 {}：{} 份，{} 万元",
            g.label_zh,
            g.count,
            num(g.amount_wan)
        );
    }
    let d = &k.days_to_confirmation;
    let _ = writeln!(
        out,
        "{indent}从推荐到确认的天数中位数：{}（{} 个已确认对接）",
        d.value.map_or_else(|| "—".to_owned(), num),
        d.numerator
    );
    let _ = writeln!(
        out,
        "{indent}产业联盟：{}；产业链覆盖：{}",
        count(&k.alliances.count),
        share(&k.alliances.cluster_coverage)
    );
}

/// The report as Chinese text.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let scope = match (&r.scope.city, &r.scope.field) {
        (None, None) => "全省".to_owned(),
        (c, f) => [c.as_deref(), f.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
    };
    let _ = writeln!(
        out,
        "行动计划指标报告 · {scope} · {}",
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(out, "\n== 总体 ==");
    section(&mut out, &r.overall, "  ");
    let _ = writeln!(out, "\n== 按城市 ==");
    for s in &r.by_city {
        let _ = writeln!(out, "[{}]", s.label_zh);
        section(&mut out, &s.kpis, "  ");
    }
    let _ = writeln!(out, "\n== 按领域 ==");
    for s in &r.by_field {
        let _ = writeln!(out, "[{}（{}）]", s.label_zh, s.key);
        section(&mut out, &s.kpis, "  ");
    }
    out
}
