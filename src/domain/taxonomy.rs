//! The taxonomy (fields, cooperation modes, provider tiers) as data.
//!
//! The base set ships in `taxonomy.toml` beside this file and is written into the
//! database at start; the database copy is what the service reads, so staff can
//! extend it without a release.

use super::validation::FieldError;
use serde::{Deserialize, Serialize};

/// The base taxonomy shipped with the service.
pub const BUILTIN_TOML: &str = include_str!("taxonomy.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    Field,
    Cooperation,
    Tier,
}

impl TermKind {
    pub const ALL: [TermKind; 3] = [Self::Field, Self::Cooperation, Self::Tier];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Field => "field",
            Self::Cooperation => "cooperation",
            Self::Tier => "tier",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn label_zh(self) -> &'static str {
        match self {
            Self::Field => "领域",
            Self::Cooperation => "合作方式",
            Self::Tier => "机构层级",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Term {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Neighbouring codes (fields only), used by match ranking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Taxonomy {
    #[serde(default, rename = "field")]
    pub fields: Vec<Term>,
    #[serde(default)]
    pub cooperation: Vec<Term>,
    #[serde(default, rename = "tier")]
    pub tiers: Vec<Term>,
}

impl Taxonomy {
    /// Parses taxonomy TOML (the format of `taxonomy.toml`).
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The taxonomy shipped with the service.
    pub fn builtin() -> Result<Self, toml::de::Error> {
        Self::from_toml(BUILTIN_TOML)
    }

    pub fn terms(&self, kind: TermKind) -> &[Term] {
        match kind {
            TermKind::Field => &self.fields,
            TermKind::Cooperation => &self.cooperation,
            TermKind::Tier => &self.tiers,
        }
    }

    pub fn terms_mut(&mut self, kind: TermKind) -> &mut Vec<Term> {
        match kind {
            TermKind::Field => &mut self.fields,
            TermKind::Cooperation => &mut self.cooperation,
            TermKind::Tier => &mut self.tiers,
        }
    }

    pub fn get(&self, kind: TermKind, code: &str) -> Option<&Term> {
        self.terms(kind).iter().find(|t| t.code == code)
    }

    /// Validates one code of the given kind, naming the known codes on error.
    pub fn check(&self, kind: TermKind, field: &str, code: &str) -> Result<String, FieldError> {
        let code = code.trim();
        if self.get(kind, code).is_some() {
            return Ok(code.to_owned());
        }
        let known: Vec<&str> = self.terms(kind).iter().map(|t| t.code.as_str()).collect();
        Err(FieldError::new(
            field,
            "unknown_code",
            format!(
                "未知的{}代码“{code}”，可用：{}",
                kind.label_zh(),
                known.join(", ")
            ),
            format!(
                "unknown {} code '{code}'; known: {}",
                kind.as_str(),
                known.join(", ")
            ),
        ))
    }

    /// Validates a list of codes; duplicates are dropped, order kept.
    pub fn check_list(
        &self,
        kind: TermKind,
        field: &str,
        codes: &[String],
        errors: &mut super::ValidationErrors,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::with_capacity(codes.len());
        for (i, c) in codes.iter().enumerate() {
            match self.check(kind, &format!("{field}[{i}]"), c) {
                Ok(c) if !out.contains(&c) => out.push(c),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_taxonomy_has_the_plans_twelve_fields_seven_modes_and_seven_tiers() {
        let t = Taxonomy::builtin().map_err(|e| e.to_string());
        let t = t
            .as_ref()
            .map(|t| (t.fields.len(), t.cooperation.len(), t.tiers.len()));
        assert_eq!(t, Ok((12, 7, 7)));
    }

    #[test]
    fn related_fields_name_known_fields() {
        let Ok(t) = Taxonomy::builtin() else {
            panic!("builtin taxonomy parses")
        };
        for f in &t.fields {
            for r in &f.related {
                assert!(t.get(TermKind::Field, r).is_some(), "{} → {r}", f.code);
            }
        }
    }

    #[test]
    fn an_unknown_code_lists_the_known_ones() {
        let Ok(t) = Taxonomy::builtin() else {
            panic!("builtin taxonomy parses")
        };
        let err = t.check(TermKind::Field, "field", "steel");
        let Err(err) = err else {
            panic!("steel is not a field code")
        };
        assert_eq!(err.code, "unknown_code");
        assert!(err.message.contains("materials"));
    }
}
