//! `/api/v1/capabilities`: research capabilities and results (drafts only for their owner and staff).

use super::views::CapabilityView;
use super::writes;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, text_filter};
use crate::domain::permissions::{self, Target};
use crate::domain::{
    CapabilityDraft, CapabilityStatus, ExternalId, FieldError, PostingDraft, TermKind,
    ValidationErrors,
};
use crate::http::caller::{CallerOf, RequireUser};
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::{capability, organization};
use crate::storage::repo::{self, Edit, capabilities, organizations};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/capabilities", get(list).post(create))
        .route("/capabilities/{id}", get(show).put(update))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Field code.
    field: Option<String>,
    /// City of the posting organization.
    region: Option<String>,
    /// `draft`, `published`, `archived`.
    status: Option<String>,
    /// Minimum technology readiness level (TRL 1–9).
    maturity_min: Option<i16>,
    /// External id of the providing organization.
    org: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// 科研能力列表 · List capabilities.
#[utoipa::path(get, path = "/api/v1/capabilities", tag = "capabilities", params(ListParams),
    responses((status = 200, body = PageOf<CapabilityView>), (status = 400, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<CapabilityView>>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    let mut filter = capabilities::Filter {
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
        region: text_filter(p.region),
        status: enum_filter(
            p.status,
            |v| CapabilityStatus::parse("status", v),
            &mut errors,
        )
        .map(|s| s.as_str().to_owned()),
        organization_id: None,
        maturity_min: p.maturity_min,
    };
    if p.maturity_min.is_some_and(|m| !(1..=9).contains(&m)) {
        errors.push(FieldError::new(
            "maturity_min",
            "out_of_range",
            "技术成熟度应为 1–9",
            "maturity_min must be 1–9",
        ));
    }
    if let Some(org) = text_filter(p.org) {
        match organizations::get(&state.db, &org).await? {
            Some(o) => filter.organization_id = Some(o.id),
            None => errors.push(FieldError::new(
                "org",
                "unknown_org",
                format!("组织“{org}”不存在"),
                format!("organization '{org}' does not exist"),
            )),
        }
    }
    finish_filters(errors)?;
    let found = capabilities::list(&state.db, &filter, caller.visibility(), page).await?;
    let orgs =
        organizations::by_ids(&state.db, found.items.iter().map(|c| c.organization_id)).await?;
    let items = found
        .items
        .into_iter()
        .map(|c| {
            let org = orgs
                .get(&c.organization_id)
                .context("capability without organization")?;
            Ok(CapabilityView::new(c, org))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Json(PageOf {
        items,
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}

/// 科研能力详情 · One capability. One the caller may not see answers 404.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}", tag = "capabilities",
    params(("id" = String, Path, description = "External id")),
    responses((status = 200, body = CapabilityView), (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Path(id): Path<String>,
) -> ApiResult<Json<CapabilityView>> {
    let cap = capabilities::get_visible(&state.db, &id, caller.visibility())
        .await?
        .ok_or_else(|| ApiError::not_found("科研能力", "capability", &id))?;
    let orgs = organizations::by_ids(&state.db, [cap.organization_id]).await?;
    let org = orgs
        .get(&cap.organization_id)
        .context("capability without organization")?;
    Ok(Json(CapabilityView::new(cap, org)))
}

/// A capability as posted or edited: the interchange fields of
/// `capabilities.jsonl`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilityInput {
    /// External id of the providing organization. Researchers post for their
    /// own institution (may be left out); staff and admins must name one.
    /// Cannot change in an edit.
    pub org: Option<String>,
    /// Lead researcher or team; a researcher's own name when left out.
    pub researcher: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Field code.
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Cooperation-mode codes.
    #[serde(default)]
    pub cooperation: Vec<String>,
    /// 技术成熟度 TRL 1–9
    pub maturity: Option<i64>,
    /// `draft`, `published` (default), `archived`.
    pub status: Option<String>,
    /// Edits: the `version` the edit is based on (required). Ignored when posting.
    pub version: Option<i32>,
}

impl CapabilityInput {
    fn draft<'a>(
        &'a self,
        id: &'a str,
        org: &'a str,
        researcher: Option<&'a str>,
    ) -> CapabilityDraft<'a> {
        CapabilityDraft {
            posting: PostingDraft {
                id,
                org,
                title: &self.title,
                description: &self.description,
                field: &self.field,
                keywords: &self.keywords,
                cooperation: &self.cooperation,
            },
            researcher,
            maturity: self.maturity,
            status: self.status.as_deref(),
        }
    }
}

fn forbidden_capability() -> ApiError {
    ApiError::forbidden(
        "无权修改该科研能力：科研人员只能管理本人在本单位发布的能力",
        "you may not change this capability: researchers manage the capabilities they posted for their institution only",
    )
}

fn conflict(m: capability::Model, org: &organization::Model) -> ApiError {
    match serde_json::to_value(CapabilityView::new(m, org)) {
        Ok(v) => ApiError::version_conflict(v),
        Err(e) => ApiError::Internal(e.into()),
    }
}

/// 发布科研能力 · Post a capability (researchers: for their institution,
/// owned by them). The id is generated.
#[utoipa::path(post, path = "/api/v1/capabilities", tag = "capabilities", request_body = CapabilityInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = CapabilityView, headers(("location" = String))),
        (status = 400, body = crate::http::problem::Problem), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 415, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<CapabilityInput>,
) -> ApiResult<Response> {
    if !permissions::may_post_capabilities(a.role) {
        return Err(ApiError::forbidden(
            "只有科研人员、项目管理人员和管理员可以发布科研能力",
            "only researchers, program staff and admins post capabilities",
        ));
    }
    let org = writes::posting_org(&state, &a, input.org.as_deref()).await?;
    let owner = (a.role == crate::domain::Role::Researcher).then_some(a.user.id);
    let researcher = match (&input.researcher, owner) {
        (Some(r), _) => Some(r.as_str()),
        (None, Some(_)) => Some(a.user.display_name.as_str()),
        (None, None) => None,
    };
    let id = writes::new_external_id("cap");
    let mut cap = input
        .draft(&id, &org.external_id, researcher)
        .validate(&state.taxonomy.current())
        .map_err(ApiError::validation)?;
    let scope = writes::staff_scope(&state, &a).await?;
    let target = Target {
        org_id: org.id,
        region: org.region.as_deref(),
        field: &cap.posting.field,
        owner_user_id: owner,
    };
    if !permissions::may_write_capability(&a.caller(), &scope, &target) {
        return Err(forbidden_capability());
    }
    let mut attempt = 1;
    let saved = loop {
        match capabilities::create(&state.db, &cap, org.id, owner, Utc::now()).await {
            Ok(m) => break m,
            Err(e) if repo::is_unique_violation(&e) && attempt < writes::ID_ATTEMPTS => {
                attempt += 1;
                cap.posting.external_id = ExternalId::parse("id", &writes::new_external_id("cap"))
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("generated id: {e}")))?;
            }
            Err(e) => return Err(e.into()),
        }
    };
    state.search.notify_change();
    tracing::info!(user_id = a.user.id, capability = %saved.external_id, "capability posted");
    let location = HeaderValue::from_str(&format!("/api/v1/capabilities/{}", saved.external_id))
        .context("capability id in a header")?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(CapabilityView::new(saved, &org)),
    )
        .into_response())
}

/// 修改科研能力 · Replace a capability's content. Send the `version` you
/// read: a stale one gets 409 `version_conflict` with the current record.
#[utoipa::path(put, path = "/api/v1/capabilities/{id}", tag = "capabilities", request_body = CapabilityInput,
    params(("id" = String, Path, description = "External id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = CapabilityView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CapabilityInput>,
) -> ApiResult<Json<CapabilityView>> {
    let caller = a.caller();
    let current = capabilities::get_visible(&state.db, &id, caller.visibility())
        .await?
        .ok_or_else(|| ApiError::not_found("科研能力", "capability", &id))?;
    let org = writes::org_of(&state, current.organization_id).await?;
    let scope = writes::staff_scope(&state, &a).await?;
    let target = |field| Target {
        org_id: org.id,
        region: org.region.as_deref(),
        field,
        owner_user_id: current.owner_user_id,
    };
    if !permissions::may_write_capability(&caller, &scope, &target(&current.field)) {
        return Err(forbidden_capability());
    }
    let mut extra = ValidationErrors::default();
    writes::check_org_unchanged(input.org.as_deref(), &org.external_id, &mut extra);
    let version = writes::require_version(input.version, &mut extra);
    let cap = writes::finish(
        input
            .draft(
                &current.external_id,
                &org.external_id,
                input.researcher.as_deref(),
            )
            .validate(&state.taxonomy.current()),
        extra,
    )?;
    if !permissions::may_write_capability(&caller, &scope, &target(&cap.posting.field)) {
        return Err(forbidden_capability());
    }
    match capabilities::update(&state.db, &current.external_id, version, &cap, Utc::now()).await? {
        Edit::Saved(m) => {
            state.search.notify_change();
            tracing::info!(user_id = a.user.id, capability = %m.external_id, version = m.version, "capability edited");
            Ok(Json(CapabilityView::new(m, &org)))
        }
        Edit::Conflict(m) => Err(conflict(m, &org)),
        Edit::Missing => Err(ApiError::not_found("科研能力", "capability", &id)),
    }
}
