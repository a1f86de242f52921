//! Quality advice for needs: what would make a need easier to match. Advice
//! never blocks a save; it is returned with the saved need so the author can
//! improve it. The rules are pure functions over the need's text; whether the
//! text names a recognised technology term is decided by the caller (the
//! search analyzer knows the domain dictionary, the domain does not).

use serde::Serialize;

/// Descriptions shorter than this rarely say enough to match on.
pub const MIN_DESCRIPTION_CHARS: usize = 80;

/// One piece of advice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Advice {
    /// Stable code: `description_too_short`, `no_figures`,
    /// `no_technology_term`, `no_cooperation_mode`.
    pub code: &'static str,
    /// 中文建议
    pub message: String,
    /// English advice.
    pub message_en: String,
}

impl Advice {
    fn new(code: &'static str, message: impl Into<String>, message_en: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            message_en: message_en.into(),
        }
    }
}

/// What the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct NeedText<'a> {
    pub description: &'a str,
    pub cooperation: &'a [String],
    /// Whether the title, description or keywords name a technology term of
    /// the domain dictionary.
    pub mentions_technology_term: bool,
}

/// Advice for a need, in a fixed order; empty when nothing stands out.
pub fn for_need(need: &NeedText<'_>) -> Vec<Advice> {
    let mut out = Vec::new();
    let len = need.description.trim().chars().count();
    if len < MIN_DESCRIPTION_CHARS {
        out.push(Advice::new(
            "description_too_short",
            format!(
                "需求描述只有 {len} 个字，建议写到 {MIN_DESCRIPTION_CHARS} 字以上：现状、遇到的具体问题、已经试过的办法、希望达到的效果"
            ),
            format!(
                "the description has {len} characters; at least {MIN_DESCRIPTION_CHARS} help: the current situation, the concrete problem, what was tried, the result wanted"
            ),
        ));
    }
    if !has_figures(need.description) {
        out.push(Advice::new(
            "no_figures",
            "描述中没有数字：写出现在的指标和希望达到的目标（如良品率 92% → 98%、寿命 4 个月 → 1 年），更容易找到合适的合作方",
            "the description has no figures: state current values and targets (e.g. yield 92% → 98%, service life 4 months → 1 year)",
        ));
    }
    if !need.mentions_technology_term {
        out.push(Advice::new(
            "no_technology_term",
            "没有识别出专业技术名词：补充涉及的材料、工艺、设备或技术名称（如“精脱硫”“热误差补偿”），可作为关键词填写",
            "no recognised technology term: name the materials, processes, equipment or technologies involved, e.g. as keywords",
        ));
    }
    if need.cooperation.is_empty() {
        out.push(Advice::new(
            "no_cooperation_mode",
            "没有选择合作方式：注明希望的合作方式（技术开发、技术转让、技术许可、技术咨询、技术服务等）",
            "no cooperation mode: choose how you want to cooperate (development, transfer, licence, consulting, service …)",
        ));
    }
    out
}

/// Whether the text holds a figure (ASCII or full-width digit).
pub fn has_figures(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(a: &[Advice]) -> Vec<&'static str> {
        a.iter().map(|a| a.code).collect()
    }

    #[test]
    fn a_terse_need_gets_every_piece_of_advice() {
        let a = for_need(&NeedText {
            description: "设备老化，想改造。",
            cooperation: &[],
            mentions_technology_term: false,
        });
        assert_eq!(
            codes(&a),
            [
                "description_too_short",
                "no_figures",
                "no_technology_term",
                "no_cooperation_mode"
            ]
        );
        assert!(
            a.iter()
                .all(|x| !x.message.is_ascii() && !x.message_en.is_empty())
        );
    }

    #[test]
    fn a_complete_need_gets_none() {
        let description = "焦炉煤气经湿法脱硫后进入精脱硫工段，精脱硫剂更换周期由一年缩短到四个月，出口硫化氢经常超过 20 mg/m³。希望延长吸附剂寿命到一年以上，出口总硫稳定低于 0.1 ppm，并给出再生或更换方案与经济性评估。";
        assert!(description.chars().count() >= MIN_DESCRIPTION_CHARS);
        let coop = vec!["tech_development".to_owned()];
        let a = for_need(&NeedText {
            description,
            cooperation: &coop,
            mentions_technology_term: true,
        });
        assert_eq!(codes(&a), Vec::<&str>::new());
    }

    #[test]
    fn length_counts_characters_not_bytes_and_ignores_padding() {
        let exact = "字".repeat(MIN_DESCRIPTION_CHARS);
        let padded = format!("  {}  ", "字".repeat(MIN_DESCRIPTION_CHARS - 1));
        let short = |d: &str| {
            codes(&for_need(&NeedText {
                description: d,
                cooperation: &[],
                mentions_technology_term: true,
            }))
            .contains(&"description_too_short")
        };
        assert!(!short(&exact));
        assert!(short(&padded));
    }

    #[test]
    fn full_width_digits_count_as_figures() {
        assert!(has_figures("良品率提高到９８％"));
        assert!(has_figures("寿命 4 个月"));
        assert!(!has_figures("寿命太短"));
    }
}
