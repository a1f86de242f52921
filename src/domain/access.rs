//! Who may see what. Every read path (lists, details, search, matches, exports)
//! asks these rules instead of deciding for itself, so confidential needs cannot
//! leak through a path that forgot a check.

use super::enums::Role;

/// The party behind a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    User {
        user_id: i64,
        role: Role,
        /// Internal id of the caller's organization, if any.
        org_id: Option<i64>,
    },
}

/// Which needs or capabilities a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Published, non-confidential records only.
    Public,
    /// Public records plus everything of one organization (its own drafts and
    /// confidential needs).
    PublicAndOrg(i64),
    /// Everything (program staff and admins).
    All,
}

impl Caller {
    pub fn visibility(&self) -> Visibility {
        match *self {
            Caller::Anonymous => Visibility::Public,
            Caller::User {
                role: Role::ProgramStaff | Role::Admin,
                ..
            } => Visibility::All,
            Caller::User {
                org_id: Some(org), ..
            } => Visibility::PublicAndOrg(org),
            Caller::User { org_id: None, .. } => Visibility::Public,
        }
    }
}

impl Visibility {
    /// Whether a need with these properties may be read.
    pub fn allows_need(self, org_id: i64, confidential: bool, is_draft: bool) -> bool {
        match self {
            Visibility::All => true,
            Visibility::PublicAndOrg(own) if own == org_id => true,
            _ => !confidential && !is_draft,
        }
    }

    /// Whether a capability with these properties may be read.
    pub fn allows_capability(self, org_id: i64, is_draft: bool) -> bool {
        match self {
            Visibility::All => true,
            Visibility::PublicAndOrg(own) if own == org_id => true,
            _ => !is_draft,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_callers_never_see_confidential_or_draft_needs() {
        let v = Caller::Anonymous.visibility();
        assert!(v.allows_need(1, false, false));
        assert!(!v.allows_need(1, true, false));
        assert!(!v.allows_need(1, false, true));
    }

    #[test]
    fn members_see_their_own_confidential_needs_but_not_others() {
        let v = Caller::User {
            user_id: 7,
            role: Role::EnterpriseMember,
            org_id: Some(3),
        }
        .visibility();
        assert!(v.allows_need(3, true, true));
        assert!(!v.allows_need(4, true, false));
    }

    #[test]
    fn staff_see_everything() {
        let v = Caller::User {
            user_id: 1,
            role: Role::ProgramStaff,
            org_id: None,
        }
        .visibility();
        assert!(v.allows_need(9, true, true));
    }
}
