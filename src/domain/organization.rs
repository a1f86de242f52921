//! Organizations: enterprises on the demand side, universities, institutes,
//! academies and leading enterprises on the provider side.

use super::ExternalId;
use super::enums::{OrgKind, Ownership};
use super::taxonomy::{Taxonomy, TermKind};
use super::uscc::Uscc;
use super::validation::{FieldError, ValidationErrors, optional_text, required_text};

pub const NAME_MAX: usize = 200;
pub const REGION_MAX: usize = 50;

/// A validated organization, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub external_id: ExternalId,
    pub name: String,
    pub kind: OrgKind,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub above_scale: Option<bool>,
    pub ownership: Option<Ownership>,
    pub uscc: Option<Uscc>,
    pub fields: Vec<String>,
}

/// Unvalidated input, as read from a file or a request.
#[derive(Debug, Clone, Default)]
pub struct OrganizationDraft<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub tier: Option<&'a str>,
    pub region: Option<&'a str>,
    pub above_scale: Option<bool>,
    pub ownership: Option<&'a str>,
    pub uscc: Option<&'a str>,
    pub fields: &'a [String],
}

impl OrganizationDraft<'_> {
    pub fn validate(&self, taxonomy: &Taxonomy) -> Result<Organization, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let external_id = ExternalId::parse("id", self.id)
            .map_err(|e| errors.push(e))
            .ok();
        let name = required_text(&mut errors, "name", self.name, NAME_MAX);
        let kind = OrgKind::parse("kind", self.kind)
            .map_err(|e| errors.push(e))
            .ok();
        let tier = self
            .tier
            .map(|t| taxonomy.check(TermKind::Tier, "tier", t))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let region = optional_text(&mut errors, "region", self.region, REGION_MAX);
        let ownership = self
            .ownership
            .map(|o| Ownership::parse("ownership", o))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let uscc = match self.uscc.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) => match Uscc::parse(u) {
                Ok(u) => Some(u),
                Err(e) => {
                    errors.push(FieldError::new(
                        "uscc",
                        "invalid_uscc",
                        format!("统一社会信用代码无效：{e}"),
                        format!("invalid unified social credit code: {e}"),
                    ));
                    None
                }
            },
        };
        let fields = taxonomy.check_list(TermKind::Field, "fields", self.fields, &mut errors);
        if let (Some(k), Some(true)) = (kind, self.above_scale)
            && k != OrgKind::Enterprise
            && k != OrgKind::LeadingEnterprise
        {
            errors.push(FieldError::new(
                "above_scale",
                "not_an_enterprise",
                "只有企业可以标记为规模以上工业企业",
                "only enterprises can be above-scale industrial enterprises",
            ));
        }
        match (external_id, kind, errors.is_empty()) {
            (Some(external_id), Some(kind), true) => Ok(Organization {
                external_id,
                name,
                kind,
                tier,
                region,
                above_scale: self.above_scale,
                ownership,
                uscc,
                fields,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taxonomy() -> Taxonomy {
        Taxonomy::builtin().unwrap_or_default()
    }

    #[test]
    fn a_complete_enterprise_validates() {
        let fields = vec!["materials".to_owned(), "green".to_owned()];
        let d = OrganizationDraft {
            id: "org-tisco",
            name: "太原钢铁（集团）有限公司",
            kind: "enterprise",
            region: Some("太原"),
            above_scale: Some(true),
            ownership: Some("provincial_soe"),
            uscc: Some("91140000110114391W"),
            fields: &fields,
            ..Default::default()
        };
        let org = d.validate(&taxonomy());
        assert!(org.is_ok(), "{org:?}");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_field() {
        let fields = vec!["steel".to_owned()];
        let d = OrganizationDraft {
            id: "bad id",
            name: "",
            kind: "company",
            tier: Some("top"),
            uscc: Some("91140000110114391X"),
            fields: &fields,
            ..Default::default()
        };
        let Err(errs) = d.validate(&taxonomy()) else {
            panic!("must fail")
        };
        let where_: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(where_, ["id", "name", "kind", "tier", "uscc", "fields[0]"]);
    }
}
