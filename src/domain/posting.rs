//! Needs (技术需求) and capabilities (科研能力/成果) share most of their shape:
//! a title, a description, a field, keywords and cooperation modes. This module
//! validates both, so the two can never drift apart in their rules.

use super::ExternalId;
use super::enums::{CapabilityStatus, NeedStatus};
use super::taxonomy::{Taxonomy, TermKind};
use super::validation::{FieldError, ValidationErrors, keywords, optional_text, required_text};
use chrono::NaiveDate;

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const RESEARCHER_MAX: usize = 100;
/// Budgets above this (10 billion yuan) are typing errors, not needs.
pub const BUDGET_MAX_WAN: f64 = 1_000_000.0;

/// The parts common to needs and capabilities, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    pub external_id: ExternalId,
    pub org: ExternalId,
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PostingDraft<'a> {
    pub id: &'a str,
    pub org: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub field: &'a str,
    pub keywords: &'a [String],
    pub cooperation: &'a [String],
}

impl PostingDraft<'_> {
    fn validate(&self, taxonomy: &Taxonomy, errors: &mut ValidationErrors) -> Option<Posting> {
        let external_id = ExternalId::parse("id", self.id)
            .map_err(|e| errors.push(e))
            .ok();
        let org = ExternalId::parse("org", self.org)
            .map_err(|e| errors.push(e))
            .ok();
        let title = required_text(errors, "title", self.title, TITLE_MAX);
        let description = required_text(errors, "description", self.description, DESCRIPTION_MAX);
        let field = taxonomy
            .check(TermKind::Field, "field", self.field)
            .map_err(|e| errors.push(e))
            .ok();
        let keywords = keywords(errors, "keywords", self.keywords);
        let cooperation = taxonomy.check_list(
            TermKind::Cooperation,
            "cooperation",
            self.cooperation,
            errors,
        );
        Some(Posting {
            external_id: external_id?,
            org: org?,
            title,
            description,
            field: field?,
            keywords,
            cooperation,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub posting: Posting,
    pub budget_wan: Option<f64>,
    pub deadline: Option<NaiveDate>,
    pub confidential: bool,
    pub status: NeedStatus,
}

#[derive(Debug, Clone, Default)]
pub struct NeedDraft<'a> {
    pub posting: PostingDraft<'a>,
    pub budget_wan: Option<f64>,
    pub deadline: Option<&'a str>,
    pub confidential: Option<bool>,
    pub status: Option<&'a str>,
}

impl NeedDraft<'_> {
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<Need, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let posting = self.posting.validate(taxonomy, &mut errors);
        if let Some(b) = self.budget_wan
            && !(b.is_finite() && (0.0..=BUDGET_MAX_WAN).contains(&b))
        {
            errors.push(FieldError::new(
                "budget_wan",
                "out_of_range",
                format!("预算应在 0 到 {BUDGET_MAX_WAN} 万元之间"),
                format!("budget must be between 0 and {BUDGET_MAX_WAN} (10k yuan)"),
            ));
        }
        let deadline = self
            .deadline
            .map(|d| parse_date("deadline", d))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let status = self
            .status
            .map(|s| NeedStatus::parse("status", s))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            .unwrap_or(NeedStatus::Open);
        match posting {
            Some(posting) if errors.is_empty() => Ok(Need {
                posting,
                budget_wan: self.budget_wan,
                deadline,
                confidential: self.confidential.unwrap_or(false),
                status,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Capability {
    pub posting: Posting,
    pub researcher: Option<String>,
    pub maturity: Option<i16>,
    pub status: CapabilityStatus,
}

#[derive(Debug, Clone, Default)]
pub struct CapabilityDraft<'a> {
    pub posting: PostingDraft<'a>,
    pub researcher: Option<&'a str>,
    pub maturity: Option<i64>,
    pub status: Option<&'a str>,
}

impl CapabilityDraft<'_> {
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<Capability, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let posting = self.posting.validate(taxonomy, &mut errors);
        let researcher = optional_text(&mut errors, "researcher", self.researcher, RESEARCHER_MAX);
        let maturity = match self.maturity {
            None => None,
            Some(m @ 1..=9) => i16::try_from(m).ok(),
            Some(m) => {
                errors.push(FieldError::new(
                    "maturity",
                    "out_of_range",
                    format!("技术成熟度（TRL）应为 1–9，实际为 {m}"),
                    format!("maturity (TRL) must be 1–9, got {m}"),
                ));
                None
            }
        };
        let status = self
            .status
            .map(|s| CapabilityStatus::parse("status", s))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
            .unwrap_or(CapabilityStatus::Published);
        match posting {
            Some(posting) if errors.is_empty() => Ok(Capability {
                posting,
                researcher,
                maturity,
                status,
            }),
            _ => Err(errors),
        }
    }
}

/// Dates are written `YYYY-MM-DD` (ISO 8601) and must exist in the calendar.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    let s = s.trim();
    let well_formed = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) if well_formed => Ok(d),
        _ => Err(FieldError::new(
            field,
            "invalid_date",
            format!("日期“{s}”无效，格式应为 YYYY-MM-DD"),
            format!("'{s}' is not a valid date of the form YYYY-MM-DD"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::builtin().unwrap_or_default()
    }

    fn posting<'a>(kw: &'a [String], coop: &'a [String]) -> PostingDraft<'a> {
        PostingDraft {
            id: "need-1",
            org: "org-1",
            title: "焦炉煤气精脱硫",
            description: "脱硫效率下降，精脱硫剂寿命短",
            field: "coal_chem",
            keywords: kw,
            cooperation: coop,
        }
    }

    #[test]
    fn a_need_defaults_to_open_and_not_confidential() {
        let kw = vec!["精脱硫".to_owned()];
        let coop = vec!["tech_development".to_owned()];
        let need = NeedDraft {
            posting: posting(&kw, &coop),
            budget_wan: Some(500.0),
            deadline: Some("2027-06-30"),
            ..Default::default()
        }
        .validate(&taxonomy());
        let need = need.map(|n| (n.status, n.confidential));
        assert_eq!(need, Ok((NeedStatus::Open, false)));
    }

    #[test]
    fn impossible_dates_and_negative_budgets_are_rejected() {
        let need = NeedDraft {
            posting: posting(&[], &[]),
            budget_wan: Some(-1.0),
            deadline: Some("2027-02-30"),
            ..Default::default()
        }
        .validate(&taxonomy());
        let codes: Vec<&str> = need
            .err()
            .map(|e| e.0)
            .unwrap_or_default()
            .iter()
            .map(|e| e.code)
            .collect();
        assert_eq!(codes, ["out_of_range", "invalid_date"]);
    }

    #[test]
    fn dates_must_be_zero_padded_iso() {
        assert!(parse_date("d", "2027-6-30").is_err());
        assert!(parse_date("d", "2027-06-30").is_ok());
    }

    #[test]
    fn maturity_outside_trl_range_is_rejected() {
        for m in [0, 10, -3] {
            let cap = CapabilityDraft {
                posting: posting(&[], &[]),
                maturity: Some(m),
                ..Default::default()
            }
            .validate(&taxonomy());
            assert!(cap.is_err(), "{m}");
        }
    }

    #[test]
    fn an_over_long_description_is_rejected_with_its_length() {
        let long = "长".repeat(DESCRIPTION_MAX + 1);
        let mut p = posting(&[], &[]);
        p.description = &long;
        let err = NeedDraft {
            posting: p,
            ..Default::default()
        }
        .validate(&taxonomy());
        let err = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("description: 长度为 20001 个字符"), "{err}");
    }
}
