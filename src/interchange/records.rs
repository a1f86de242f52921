//! One line of each interchange file, as serde reads and writes it.
//!
//! Unknown keys are refused rather than dropped: a misspelt `budget` would
//! otherwise lose the value without a word. Optional keys that hold their
//! default are left out on export, so exported files look like hand-written ones.

use crate::domain::{CapabilityDraft, NeedDraft, OrganizationDraft, PostingDraft};
use serde::{Deserialize, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationLine {
    pub id: String,
    pub name: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above_scale: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

impl OrganizationLine {
    pub fn draft(&self) -> OrganizationDraft<'_> {
        OrganizationDraft {
            id: &self.id,
            name: &self.name,
            kind: &self.kind,
            tier: self.tier.as_deref(),
            region: self.region.as_deref(),
            above_scale: self.above_scale,
            ownership: self.ownership.as_deref(),
            uscc: self.uscc.as_deref(),
            fields: &self.fields,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedLine {
    pub id: String,
    pub org: String,
    pub title: String,
    pub description: String,
    pub field: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooperation: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "plain_number"
    )]
    pub budget_wan: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidential: Option<bool>,
    /// duijie extension: `draft`, `open` (default), `matched`, `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl NeedLine {
    pub fn draft(&self) -> NeedDraft<'_> {
        NeedDraft {
            posting: PostingDraft {
                id: &self.id,
                org: &self.org,
                title: &self.title,
                description: &self.description,
                field: &self.field,
                keywords: &self.keywords,
                cooperation: &self.cooperation,
            },
            budget_wan: self.budget_wan,
            deadline: self.deadline.as_deref(),
            confidential: self.confidential,
            status: self.status.as_deref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityLine {
    pub id: String,
    pub org: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub researcher: Option<String>,
    pub title: String,
    pub description: String,
    pub field: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooperation: Vec<String>,
    /// duijie extension: `draft`, `published` (default), `archived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl CapabilityLine {
    pub fn draft(&self) -> CapabilityDraft<'_> {
        CapabilityDraft {
            posting: PostingDraft {
                id: &self.id,
                org: &self.org,
                title: &self.title,
                description: &self.description,
                field: &self.field,
                keywords: &self.keywords,
                cooperation: &self.cooperation,
            },
            researcher: self.researcher.as_deref(),
            maturity: self.maturity,
            status: self.status.as_deref(),
        }
    }
}

/// Writes whole numbers without a fraction (`500`, not `500.0`), as people write
/// budgets; other values as they are.
fn plain_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match *v {
        Some(x) if x.fract() == 0.0 && x.abs() < EXACT => s.serialize_i64(x as i64),
        Some(x) => s.serialize_f64(x),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let line = r#"{"id":"n","org":"o","title":"t","description":"d","field":"nev","budget":5}"#;
        let err = serde_json::from_str::<NeedLine>(line)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("unknown field `budget`")));
    }

    #[test]
    fn whole_budgets_are_written_without_a_fraction() {
        let line =
            r#"{"id":"n","org":"o","title":"t","description":"d","field":"nev","budget_wan":500}"#;
        let parsed: Result<NeedLine, _> = serde_json::from_str(line);
        let out = parsed.ok().and_then(|p| serde_json::to_string(&p).ok());
        assert_eq!(out.as_deref(), Some(line));
    }
}
