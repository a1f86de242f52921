//! Who may change what. Reading is decided in `access` (visibility); these
//! rules decide writes of needs and capabilities, for every write path (API,
//! later exports of drafts, the curation workflow) to ask.
//!
//! | role | needs | capabilities |
//! | --- | --- | --- |
//! | enterprise member | create, edit, close those of their organization | — |
//! | researcher | — | create for their institution; edit those they own |
//! | program staff | any within their scope | any within their scope |
//! | admin | any | any |

use super::access::Caller;
use super::enums::Role;

/// The record a write is about, as the rules need it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Internal id of the owning organization.
    pub org_id: i64,
    /// City of the owning organization.
    pub region: Option<&'a str>,
    /// Field code of the record.
    pub field: &'a str,
    /// The user owning a capability (`None` for imported ones and for needs).
    pub owner_user_id: Option<i64>,
}

/// What program staff may curate: the cities and fields of table
/// `staff_scopes` (see `storage::repo::staff_scopes`), loaded for each
/// request by `http::api::writes::staff_scope` and honoured by every rule
/// below, the curation checks, the match queue and the agreement list. The
/// KPI report stays province-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffScope {
    /// Cities the staff member covers; empty means all.
    pub regions: Vec<String>,
    /// Field codes the staff member covers; empty means all.
    pub fields: Vec<String>,
}

impl StaffScope {
    pub fn unlimited() -> Self {
        Self::default()
    }

    pub fn allows(&self, region: Option<&str>, field: &str) -> bool {
        let region_ok =
            self.regions.is_empty() || region.is_some_and(|r| self.regions.iter().any(|x| x == r));
        let field_ok = self.fields.is_empty() || self.fields.iter().any(|x| x == field);
        region_ok && field_ok
    }
}

/// Whether `caller` may create, edit or close the need `t`.
pub fn may_write_need(caller: &Caller, scope: &StaffScope, t: &Target<'_>) -> bool {
    match *caller {
        Caller::Anonymous => false,
        Caller::User { role, org_id, .. } => match role {
            Role::Admin => true,
            Role::ProgramStaff => scope.allows(t.region, t.field),
            Role::EnterpriseMember => org_id == Some(t.org_id),
            Role::Researcher => false,
        },
    }
}

/// Whether `caller` may create or edit the capability `t`. For a new
/// capability posted by a researcher, `owner_user_id` is the researcher.
pub fn may_write_capability(caller: &Caller, scope: &StaffScope, t: &Target<'_>) -> bool {
    match *caller {
        Caller::Anonymous => false,
        Caller::User {
            role,
            org_id,
            user_id,
        } => match role {
            Role::Admin => true,
            Role::ProgramStaff => scope.allows(t.region, t.field),
            Role::Researcher => org_id == Some(t.org_id) && t.owner_user_id == Some(user_id),
            Role::EnterpriseMember => false,
        },
    }
}

/// Which role may post needs and which capabilities at all (before looking
/// at a particular record): lets a handler answer 403 early.
pub fn may_post_needs(role: Role) -> bool {
    matches!(
        role,
        Role::EnterpriseMember | Role::ProgramStaff | Role::Admin
    )
}

pub fn may_post_capabilities(role: Role) -> bool {
    matches!(role, Role::Researcher | Role::ProgramStaff | Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, user_id: i64, org_id: Option<i64>) -> Caller {
        Caller::User {
            user_id,
            role,
            org_id,
        }
    }

    fn target(org_id: i64, owner: Option<i64>) -> Target<'static> {
        Target {
            org_id,
            region: Some("太原"),
            field: "materials",
            owner_user_id: owner,
        }
    }

    #[test]
    fn members_write_only_their_organizations_needs() {
        let s = StaffScope::unlimited();
        let m = user(Role::EnterpriseMember, 1, Some(10));
        assert!(may_write_need(&m, &s, &target(10, None)));
        assert!(!may_write_need(&m, &s, &target(11, None)));
        assert!(!may_write_capability(&m, &s, &target(10, Some(1))));
    }

    #[test]
    fn researchers_write_only_capabilities_they_own_at_their_institution() {
        let s = StaffScope::unlimited();
        let r = user(Role::Researcher, 2, Some(20));
        assert!(may_write_capability(&r, &s, &target(20, Some(2))));
        assert!(!may_write_capability(&r, &s, &target(20, Some(3))));
        assert!(!may_write_capability(&r, &s, &target(20, None)));
        assert!(!may_write_capability(&r, &s, &target(21, Some(2))));
        assert!(!may_write_need(&r, &s, &target(20, None)));
    }

    #[test]
    fn staff_and_admins_write_everything_anonymous_nothing() {
        let s = StaffScope::unlimited();
        for c in [
            user(Role::ProgramStaff, 3, None),
            user(Role::Admin, 4, None),
        ] {
            assert!(may_write_need(&c, &s, &target(10, None)));
            assert!(may_write_capability(&c, &s, &target(20, None)));
        }
        assert!(!may_write_need(&Caller::Anonymous, &s, &target(10, None)));
        assert!(!may_write_capability(
            &Caller::Anonymous,
            &s,
            &target(10, None)
        ));
    }

    #[test]
    fn a_staff_scope_limits_staff_but_not_admins() {
        let s = StaffScope {
            regions: vec!["大同".into()],
            fields: vec![],
        };
        assert!(!may_write_need(
            &user(Role::ProgramStaff, 3, None),
            &s,
            &target(10, None)
        ));
        assert!(may_write_need(
            &user(Role::Admin, 4, None),
            &s,
            &target(10, None)
        ));
        let fields = StaffScope {
            regions: vec![],
            fields: vec!["materials".into()],
        };
        assert!(fields.allows(None, "materials"));
        assert!(!fields.allows(Some("太原"), "coal_chem"));
    }
}
