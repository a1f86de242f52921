//! Accounts: usernames, display names, passwords, and which organizations a
//! role may belong to.

use super::enums::{OrgKind, Role};
use super::validation::{FieldError, ValidationErrors, required_text};
use chrono::{DateTime, Duration, Utc};

pub const USERNAME_MIN: usize = 2;
pub const USERNAME_MAX: usize = 64;
pub const DISPLAY_NAME_MAX: usize = 100;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;
pub const TOKEN_NAME_MAX: usize = 100;
/// API tokens live at most ten years.
pub const TOKEN_DAYS_MAX: i64 = 3650;

/// Usernames: 2–64 ASCII letters, digits and `. _ - @`, so they are easy to
/// type on any keyboard and safe in logs and URLs.
pub fn parse_username(field: &str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let len = s.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
        return Err(FieldError::new(
            field,
            "out_of_range",
            format!("用户名长度应为 {USERNAME_MIN}–{USERNAME_MAX} 个字符"),
            format!("usernames are {USERNAME_MIN}–{USERNAME_MAX} characters long"),
        ));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(FieldError::new(
            field,
            "invalid_username",
            format!("用户名“{s}”只能包含英文字母、数字和 . _ - @"),
            format!("username '{s}' may only contain ASCII letters, digits and . _ - @"),
        ));
    }
    Ok(s.to_owned())
}

pub fn check_password(field: &str, p: &str) -> Result<(), FieldError> {
    let len = p.chars().count();
    if len < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("密码至少 {PASSWORD_MIN} 个字符"),
            format!("passwords have at least {PASSWORD_MIN} characters"),
        ));
    }
    if len > PASSWORD_MAX {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("密码最多 {PASSWORD_MAX} 个字符"),
            format!("passwords have at most {PASSWORD_MAX} characters"),
        ));
    }
    Ok(())
}

/// Whether a role belongs to an organization, and to which kinds.
/// `None`: the role has no organization (staff, admins).
pub fn org_kinds_for(role: Role) -> Option<&'static [OrgKind]> {
    match role {
        Role::EnterpriseMember => Some(&[OrgKind::Enterprise, OrgKind::LeadingEnterprise]),
        Role::Researcher => Some(&[
            OrgKind::University,
            OrgKind::Institute,
            OrgKind::Academy,
            OrgKind::LeadingEnterprise,
        ]),
        Role::ProgramStaff | Role::Admin => None,
    }
}

/// Validates the name and lifetime of a new API token; returns the name and
/// the expiry time.
pub fn check_token_request(
    name: &str,
    expires_in_days: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(String, Option<DateTime<Utc>>), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let name = required_text(&mut errors, "name", name, TOKEN_NAME_MAX);
    let expires_at = match expires_in_days {
        None => None,
        Some(d @ 1..=TOKEN_DAYS_MAX) => Some(now + Duration::days(d)),
        Some(_) => {
            errors.push(FieldError::new(
                "expires_in_days",
                "out_of_range",
                format!("有效天数应在 1 到 {TOKEN_DAYS_MAX} 之间"),
                format!("expires_in_days must be between 1 and {TOKEN_DAYS_MAX}"),
            ));
            None
        }
    };
    errors.finish((name, expires_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_ascii_and_bounded() {
        assert_eq!(
            parse_username("u", " li.wei ").ok().as_deref(),
            Some("li.wei")
        );
        assert!(parse_username("u", "李伟").is_err());
        assert!(parse_username("u", "a").is_err());
        assert!(parse_username("u", "a b").is_err());
    }

    #[test]
    fn researchers_belong_to_providers_and_members_to_enterprises() {
        let r = org_kinds_for(Role::Researcher).unwrap_or_default();
        assert!(r.contains(&OrgKind::University) && !r.contains(&OrgKind::Enterprise));
        let m = org_kinds_for(Role::EnterpriseMember).unwrap_or_default();
        assert!(m.contains(&OrgKind::Enterprise) && !m.contains(&OrgKind::University));
        assert!(org_kinds_for(Role::Admin).is_none());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("p", "short").is_err());
        assert!(check_password("p", "long enough").is_ok());
    }
}
