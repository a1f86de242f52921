//! 图表 · Server-rendered SVG charts for the program dashboard.
//!
//! No script and no chart library: a chart is a string of SVG markup built
//! here and placed in the page as is. Every piece of text that comes from
//! data (city and field names, titles) goes through [`escape`], because the
//! template cannot escape inside markup it is told is safe. Each chart is an
//! image to assistive technology (`role="img"`, an `aria-label`, `<title>`
//! and a `<desc>` listing the numbers), and the dashboard shows the same
//! numbers in a table beside it. Colours are presentation attributes, not
//! inline styles, so the site's content policy (`style-src 'self'`) allows
//! them.

use std::fmt::Write;

/// Width of the drawing (user units; the SVG scales to its container).
const WIDTH: f64 = 640.0;
/// Where the bars start (group labels are right-aligned before this).
const PLOT_X: f64 = 176.0;
/// Longest bar (room is left after it for the value text).
const PLOT_W: f64 = 380.0;
const BAR_H: f64 = 16.0;
const BAR_GAP: f64 = 3.0;
const GROUP_GAP: f64 = 12.0;
const TOP: f64 = 8.0;
const LEGEND_H: f64 = 22.0;
const AXIS_H: f64 = 24.0;
/// Group labels longer than this are cut (the full label is the tooltip).
const LABEL_CHARS: usize = 10;

/// Bar colours, one per series (brand blue, green, amber).
const PALETTE: &[&str] = &["#0b5cad", "#1d7a46", "#a15c00"];

/// Escapes text for SVG/HTML content and double- or single-quoted
/// attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The length of a bar for `value` on a scale from 0 to `max` drawn over
/// `length` units: proportional, clamped to `[0, length]`, and 0 for a
/// missing scale or a value that is not a number.
pub fn scale(value: f64, max: f64, length: f64) -> f64 {
    if !value.is_finite() || !max.is_finite() || max <= 0.0 || value <= 0.0 {
        return 0.0;
    }
    (value / max * length).min(length)
}

/// A number as a reader expects it: no trailing zeros, at most two decimals.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    let rounded = (x * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_owned()
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `x` (a round top for the
/// axis).
fn nice_ceiling(x: f64) -> f64 {
    if !x.is_finite() || x <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(x.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= x {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// One row of bars: a city, a field, a kind of program item.
pub struct Group {
    pub label: String,
    /// One value per series; `None`: no figure (e.g. a share of nothing).
    pub values: Vec<Option<f64>>,
}

/// A horizontal bar chart: one group per row, one bar per series in each.
pub struct BarChart {
    /// Unique on the page (ids of `<desc>` derive from it).
    pub id: String,
    pub title: String,
    /// Appended to values: `%`, ` 项`, ….
    pub unit: String,
    /// Series names (a legend is drawn when there are several).
    pub series: Vec<String>,
    pub groups: Vec<Group>,
    /// A fixed top of the scale (100 for percentages); else the largest
    /// value or target, rounded up.
    pub max: Option<f64>,
    /// A target line: value and caption.
    pub target: Option<(f64, String)>,
}

impl BarChart {
    /// The top of the scale.
    fn top(&self) -> f64 {
        if let Some(m) = self.max.filter(|m| m.is_finite() && *m > 0.0) {
            return m;
        }
        let largest = self
            .groups
            .iter()
            .flat_map(|g| g.values.iter().flatten())
            .copied()
            .chain(self.target.as_ref().map(|t| t.0))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        nice_ceiling(largest)
    }

    /// A plain-text account of the numbers, for `<desc>`.
    pub fn description(&self) -> String {
        if self.groups.is_empty() {
            return "暂无数据".to_owned();
        }
        let mut parts = Vec::new();
        for g in &self.groups {
            let values: Vec<String> = g
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let shown = v.map_or_else(|| "无数据".to_owned(), |x| self.value_text(x));
                    match self.series.get(i) {
                        Some(name) if self.series.len() > 1 => format!("{name} {shown}"),
                        _ => shown,
                    }
                })
                .collect();
            parts.push(format!("{}：{}", g.label, values.join("，")));
        }
        let mut text = parts.join("；");
        if let Some((t, caption)) = &self.target {
            let _ = write!(text, "。{caption}：{}", self.value_text(*t));
        }
        text
    }

    fn value_text(&self, x: f64) -> String {
        format!("{}{}", number(x), self.unit)
    }

    /// The chart as SVG markup (everything from data escaped).
    pub fn to_svg(&self) -> String {
        let title = escape(&self.title);
        let desc_id = format!("{}-desc", escape(&self.id));
        let n = self.series.len().max(1) as f64;
        let legend = if self.series.len() > 1 { LEGEND_H } else { 0.0 };
        let group_h = n * BAR_H + (n - 1.0) * BAR_GAP;
        let rows = self.groups.len() as f64;
        let plot_top = TOP + legend;
        let plot_h = if self.groups.is_empty() {
            BAR_H * 2.0
        } else {
            rows * group_h + (rows - 1.0) * GROUP_GAP
        };
        // Room under the axis for the target's caption.
        let caption_h = if self.target.is_some() { 16.0 } else { 0.0 };
        let height = plot_top + plot_h + AXIS_H + caption_h;
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{title}" aria-describedby="{desc_id}" viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet"><title>{title}</title><desc id="{desc_id}">{desc}</desc>"#,
            desc = escape(&self.description()),
        );
        if self.groups.is_empty() {
            let _ = write!(
                s,
                r##"<text x="{x}" y="{y}" text-anchor="middle" font-size="14" fill="#5f6b7a">暂无数据</text></svg>"##,
                x = WIDTH / 2.0,
                y = plot_top + BAR_H * 1.3,
            );
            return s;
        }
        let top = self.top();
        // Legend.
        if self.series.len() > 1 {
            let mut x = PLOT_X;
            for (i, name) in self.series.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let _ = write!(
                    s,
                    r##"<rect x="{x}" y="{y}" width="12" height="12" fill="{color}"/><text x="{tx}" y="{ty}" font-size="12" fill="#1f2933">{name}</text>"##,
                    y = TOP,
                    tx = x + 16.0,
                    ty = TOP + 11.0,
                    name = escape(name),
                );
                x += 28.0 + 13.0 * name.chars().count() as f64;
            }
        }
        // Grid lines and ticks at 0, half and the top of the scale.
        let axis_y = plot_top + plot_h;
        for frac in [0.0, 0.5, 1.0] {
            let x = PLOT_X + PLOT_W * frac;
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{plot_top}" x2="{x:.1}" y2="{axis_y}" stroke="#d9dee5" stroke-width="1"/><text x="{x:.1}" y="{ty}" text-anchor="middle" font-size="11" fill="#5f6b7a">{label}</text>"##,
                ty = axis_y + 16.0,
                label = escape(&self.value_text(top * frac)),
            );
        }
        // The bars.
        for (gi, g) in self.groups.iter().enumerate() {
            let gy = plot_top + gi as f64 * (group_h + GROUP_GAP);
            let full = escape(&g.label);
            let shown = escape(&super::format::clip(&g.label, LABEL_CHARS));
            let _ = write!(
                s,
                r##"<g><title>{full}</title><text x="{lx}" y="{ly:.1}" text-anchor="end" font-size="13" fill="#1f2933">{shown}</text>"##,
                lx = PLOT_X - 8.0,
                ly = gy + group_h / 2.0 + 4.5,
            );
            for (i, v) in g.values.iter().enumerate() {
                let y = gy + i as f64 * (BAR_H + BAR_GAP);
                let color = PALETTE[i % PALETTE.len()];
                let w = v.map_or(0.0, |x| scale(x, top, PLOT_W));
                let text = v.map_or_else(|| "无数据".to_owned(), |x| self.value_text(x));
                if v.is_some() {
                    let _ = write!(
                        s,
                        r##"<rect x="{PLOT_X}" y="{y:.1}" width="{w:.1}" height="{BAR_H}" fill="{color}"/>"##,
                    );
                }
                let _ = write!(
                    s,
                    r##"<text x="{tx:.1}" y="{ty:.1}" font-size="12" fill="#1f2933">{text}</text>"##,
                    tx = PLOT_X + w + 5.0,
                    ty = y + BAR_H - 4.0,
                    text = escape(&text),
                );
            }
            s.push_str("</g>");
        }
        // The target line.
        if let Some((t, caption)) = &self.target
            && t.is_finite()
            && *t >= 0.0
        {
            let x = PLOT_X + scale(*t, top, PLOT_W);
            let _ = write!(
                s,
                r##"<line x1="{x:.1}" y1="{y1}" x2="{x:.1}" y2="{axis_y}" stroke="#b42318" stroke-width="2" stroke-dasharray="4 3"/><text x="{x:.1}" y="{ty}" text-anchor="middle" font-size="11" fill="#b42318">{caption}</text>"##,
                y1 = plot_top - 2.0,
                ty = axis_y + 32.0,
                caption = escape(&format!("{} {}", caption, self.value_text(*t))),
            );
        }
        s.push_str("</svg>");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(groups: Vec<Group>) -> BarChart {
        BarChart {
            id: "c".into(),
            title: "覆盖率".into(),
            unit: "%".into(),
            series: vec!["覆盖率".into()],
            groups,
            max: Some(100.0),
            target: None,
        }
    }

    #[test]
    fn bars_scale_in_proportion_and_are_clamped() {
        assert_eq!(scale(50.0, 100.0, 380.0), 190.0);
        assert_eq!(scale(100.0, 100.0, 380.0), 380.0);
        assert_eq!(scale(250.0, 100.0, 380.0), 380.0);
        assert_eq!(scale(-5.0, 100.0, 380.0), 0.0);
        assert_eq!(scale(f64::NAN, 100.0, 380.0), 0.0);
        assert_eq!(scale(5.0, 0.0, 380.0), 0.0);
        let svg = chart(vec![
            Group {
                label: "太原".into(),
                values: vec![Some(50.0)],
            },
            Group {
                label: "吕梁".into(),
                values: vec![Some(25.0)],
            },
        ])
        .to_svg();
        assert!(svg.contains(r#"width="190.0""#), "{svg}");
        assert!(svg.contains(r#"width="95.0""#), "{svg}");
        assert!(svg.contains("50%") && svg.contains("25%"), "{svg}");
    }

    #[test]
    fn the_scale_without_a_fixed_top_rounds_the_largest_value_up() {
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(100.0), 100.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        let mut c = chart(vec![Group {
            label: "关键核心技术攻关".into(),
            values: vec![Some(1.0)],
        }]);
        c.max = None;
        c.target = Some((100.0, "目标".into()));
        // 1 of a scale topped by the target 100: 1 % of the plot width.
        assert!(c.to_svg().contains(r#"width="3.8""#), "{}", c.to_svg());
    }

    #[test]
    fn labels_are_escaped_everywhere() {
        let mut c = chart(vec![Group {
            label: r#"<script>alert("x")</script>&'"#.into(),
            values: vec![Some(10.0)],
        }]);
        c.title = "a<b".into();
        c.id = "x\"y".into();
        let svg = c.to_svg();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(!svg.contains("a<b"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)"), "{svg}");
        assert!(svg.contains("&amp;&#39;"), "{svg}");
        assert!(svg.contains(r#"aria-label="a&lt;b""#), "{svg}");
        assert!(svg.contains(r#"id="x&quot;y-desc""#), "{svg}");
        assert_eq!(escape("太原 & <晋中>"), "太原 &amp; &lt;晋中&gt;");
    }

    #[test]
    fn an_empty_chart_says_so_and_stays_an_image() {
        let svg = chart(Vec::new()).to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title>覆盖率</title>"));
        assert!(svg.contains("暂无数据"), "{svg}");
        assert!(!svg.contains("<rect"), "{svg}");
    }

    #[test]
    fn missing_values_draw_no_bar_and_the_description_lists_the_numbers() {
        let mut c = chart(vec![
            Group {
                label: "示范项目".into(),
                values: vec![Some(3.0), None],
            },
            Group {
                label: "一个非常非常非常长的领域名称".into(),
                values: vec![Some(12.5), Some(0.0)],
            },
        ]);
        c.series = vec!["已启动".into(), "已完成".into()];
        c.unit = " 项".into();
        let d = c.description();
        assert_eq!(
            d,
            "示范项目：已启动 3 项，已完成 无数据；一个非常非常非常长的领域名称：已启动 12.5 项，已完成 0 项"
        );
        let svg = c.to_svg();
        // The long label is cut on the axis, whole in the tooltip.
        assert!(svg.contains("一个非常非常非常长的…"), "{svg}");
        // Two legend swatches and three bars: none for the missing value.
        assert_eq!(svg.matches("<rect").count(), 5, "{svg}");
        assert!(
            svg.contains("<title>一个非常非常非常长的领域名称</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("已启动") && svg.contains("已完成"),
            "legend: {svg}"
        );
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(320.0), "320");
        assert_eq!(number(33.333), "33.33");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }
}
