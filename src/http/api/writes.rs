//! What the write endpoints of needs and capabilities share: whose
//! organization a new record belongs to, generated external ids, the version
//! an edit is based on, the staff scope, and need-quality advice.

use crate::domain::access::Caller;
use crate::domain::advice::{self, Advice, NeedText};
use crate::domain::permissions::StaffScope;
use crate::domain::{FieldError, Role, ValidationErrors};
use crate::http::caller::Authenticated;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::search::analyzer::{Analyzer, Mode};
use crate::search::assets;
use crate::storage::entities::organization;
use crate::storage::repo::organizations;
use anyhow::Context;

/// Attempts at a fresh external id before giving up (a clash of 48 random
/// bits is already rare).
pub const ID_ATTEMPTS: usize = 3;

/// A new external id: `<kind>-<12 hex digits of a random UUID>`.
pub fn new_external_id(kind: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{kind}-{}", &uuid[..12])
}

/// The organization a new record is posted for: the caller's own (members
/// and researchers; naming another one is refused), or the one named in
/// `org` (staff and admins, who must name one).
pub async fn posting_org(
    state: &AppState,
    a: &Authenticated,
    requested: Option<&str>,
) -> ApiResult<organization::Model> {
    let requested = requested.map(str::trim).filter(|s| !s.is_empty());
    match a.role {
        Role::ProgramStaff | Role::Admin => {
            let Some(ext) = requested else {
                return Err(ApiError::validation(ValidationErrors::single(
                    FieldError::new(
                        "org",
                        "required",
                        "项目管理人员和管理员发布时须指定所属单位（org）",
                        "staff and admins must name the organization (org)",
                    ),
                )));
            };
            organizations::get(&state.db, ext).await?.ok_or_else(|| {
                ApiError::validation(ValidationErrors::single(FieldError::new(
                    "org",
                    "unknown_org",
                    format!("组织“{ext}”不存在"),
                    format!("organization '{ext}' does not exist"),
                )))
            })
        }
        Role::EnterpriseMember | Role::Researcher => {
            let own_id = a.user.organization_id.ok_or_else(|| {
                ApiError::forbidden(
                    "账号未关联单位，不能发布",
                    "your account belongs to no organization and cannot post",
                )
            })?;
            let own = organizations::by_ids(&state.db, [own_id])
                .await?
                .remove(&own_id)
                .context("user's organization is missing")?;
            match requested {
                Some(ext) if ext != own.external_id => Err(ApiError::forbidden(
                    "只能为本单位发布",
                    "you can only post for your own organization",
                )),
                _ => Ok(own),
            }
        }
    }
}

/// The organization of an existing record.
pub async fn org_of(state: &AppState, org_id: i64) -> ApiResult<organization::Model> {
    Ok(organizations::by_ids(&state.db, [org_id])
        .await?
        .remove(&org_id)
        .context("record without organization")?)
}

/// What the caller may curate: a program staff member's cities and fields
/// (table `staff_scopes`, empty means unlimited); everyone else unlimited
/// (their writes are decided by role and organization). The one place the
/// scope is loaded: every write rule, the match queue and the agreement
/// list take it from here.
pub async fn staff_scope(state: &AppState, a: &Authenticated) -> ApiResult<StaffScope> {
    staff_scope_of(state, &a.caller()).await
}

/// [`staff_scope`] for a caller that may be anonymous (exports).
pub async fn staff_scope_of(state: &AppState, caller: &Caller) -> ApiResult<StaffScope> {
    match *caller {
        Caller::User {
            role: Role::ProgramStaff,
            user_id,
            ..
        } => Ok(crate::storage::repo::staff_scopes::load(&state.db, user_id).await?),
        _ => Ok(StaffScope::unlimited()),
    }
}

/// `org` cannot change in an edit (a record moves between organizations only
/// by an administrator re-importing it).
pub fn check_org_unchanged(
    requested: Option<&str>,
    current_ext: &str,
    errors: &mut ValidationErrors,
) {
    if let Some(r) = requested.map(str::trim).filter(|s| !s.is_empty())
        && r != current_ext
    {
        errors.push(FieldError::new(
            "org",
            "immutable",
            "所属单位不能修改",
            "the organization of a record cannot be changed",
        ));
    }
}

/// The version an edit is based on; missing is a validation error.
pub fn require_version(version: Option<i32>, errors: &mut ValidationErrors) -> i32 {
    match version {
        Some(v) => v,
        None => {
            errors.push(FieldError::new(
                "version",
                "required",
                "修改时须提供读取时的版本号（version），以免覆盖他人的修改",
                "edits must send the version they are based on, so that no one's change is overwritten",
            ));
            0
        }
    }
}

/// Merges the errors of a domain validation with those found around it.
pub fn finish<T>(
    validated: Result<T, ValidationErrors>,
    mut extra: ValidationErrors,
) -> ApiResult<T> {
    match validated {
        Ok(v) if extra.is_empty() => Ok(v),
        Ok(_) => Err(ApiError::validation(extra)),
        Err(mut e) => {
            e.0.append(&mut extra.0);
            Err(ApiError::validation(e))
        }
    }
}

/// Advice on a need's text (runs the analyzer off the async threads).
pub async fn need_advice(
    title: &str,
    description: &str,
    keywords: &[String],
    cooperation: &[String],
) -> ApiResult<Vec<Advice>> {
    let text = format!("{title}\n{description}\n{}", keywords.join("\n"));
    let mentions = tokio::task::spawn_blocking(move || mentions_domain_term(&text))
        .await
        .context("advice analysis panicked")?;
    Ok(advice::for_need(&NeedText {
        description,
        cooperation,
        mentions_technology_term: mentions,
    }))
}

/// Whether any term of `text` is in the domain dictionary.
fn mentions_domain_term(text: &str) -> bool {
    let mut found = false;
    Analyzer::shared().for_each_term(text, Mode::Search, |term, _, _| {
        found = found || assets::is_domain_term(term);
    });
    found
}
