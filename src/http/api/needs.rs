//! `/api/v1/needs`: technology needs, filtered by what the caller may see.

use super::views::NeedView;
use super::writes;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, text_filter};
use crate::domain::advice::Advice;
use crate::domain::permissions::{self, Target};
use crate::domain::{
    ExternalId, FieldError, NeedDraft, NeedStatus, PostingDraft, Role, TermKind, ValidationErrors,
};
use crate::http::caller::{CallerOf, RequireUser};
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::{need, organization};
use crate::storage::repo::{self, Edit, needs, organizations};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs", get(list).post(create))
        .route("/needs/{id}", get(show).put(update))
        .route("/needs/{id}/close", post(close))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Field code.
    field: Option<String>,
    /// City of the posting organization.
    region: Option<String>,
    /// `draft`, `open`, `matched`, `closed`.
    status: Option<String>,
    /// External id of the posting organization.
    org: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// 技术需求列表 · List needs (confidential ones only for their owner and staff).
#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(ListParams),
    responses((status = 200, body = PageOf<NeedView>), (status = 400, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<NeedView>>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    let mut filter = needs::Filter {
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
        region: text_filter(p.region),
        status: enum_filter(p.status, |v| NeedStatus::parse("status", v), &mut errors)
            .map(|s| s.as_str().to_owned()),
        organization_id: None,
    };
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
    let found = needs::list(&state.db, &filter, caller.visibility(), page).await?;
    let orgs =
        organizations::by_ids(&state.db, found.items.iter().map(|n| n.organization_id)).await?;
    let items = found
        .items
        .into_iter()
        .map(|n| {
            let org = orgs
                .get(&n.organization_id)
                .context("need without organization")?;
            Ok(NeedView::new(n, org))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Json(PageOf {
        items,
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}

/// 技术需求详情 · One need. A need the caller may not see answers 404.
#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "needs",
    params(("id" = String, Path, description = "External id")),
    responses((status = 200, body = NeedView), (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Path(id): Path<String>,
) -> ApiResult<Json<NeedView>> {
    let need = needs::get_visible(&state.db, &id, caller.visibility())
        .await?
        .ok_or_else(|| ApiError::not_found("技术需求", "need", &id))?;
    let orgs = organizations::by_ids(&state.db, [need.organization_id]).await?;
    let org = orgs
        .get(&need.organization_id)
        .context("need without organization")?;
    Ok(Json(NeedView::new(need, org)))
}

/// A need as posted or edited: the interchange fields of `needs.jsonl`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    /// External id of the posting organization. Enterprise members post for
    /// their own (may be left out); staff and admins must name one. Cannot
    /// change in an edit.
    pub org: Option<String>,
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
    /// 预算（万元）
    pub budget_wan: Option<f64>,
    /// `YYYY-MM-DD`
    pub deadline: Option<String>,
    /// Visible only to the organization and program staff.
    pub confidential: Option<bool>,
    /// `draft`, `open` (default), `matched`, `closed`.
    pub status: Option<String>,
    /// Edits: the `version` the edit is based on (required). Ignored when posting.
    pub version: Option<i32>,
}

impl NeedInput {
    fn draft<'a>(&'a self, id: &'a str, org: &'a str) -> NeedDraft<'a> {
        NeedDraft {
            posting: PostingDraft {
                id,
                org,
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// The `version` the close is based on (required).
    pub version: Option<i32>,
}

/// A saved need with advice on making it easier to match.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedWritten {
    #[serde(flatten)]
    pub need: NeedView,
    /// 建议（不影响保存）· Advice; the need is saved either way.
    pub advice: Vec<Advice>,
}

fn forbidden_need() -> ApiError {
    ApiError::forbidden(
        "无权修改该技术需求：企业用户只能管理本单位的需求",
        "you may not change this need: enterprise members manage their own organization's needs only",
    )
}

fn conflict(m: need::Model, org: &organization::Model) -> ApiError {
    match serde_json::to_value(NeedView::new(m, org)) {
        Ok(v) => ApiError::version_conflict(v),
        Err(e) => ApiError::Internal(e.into()),
    }
}

async fn written(m: need::Model, org: &organization::Model) -> ApiResult<NeedWritten> {
    let keywords = crate::storage::lists::decode(&m.keywords);
    let cooperation = crate::storage::lists::decode(&m.cooperation);
    let advice = writes::need_advice(&m.title, &m.description, &keywords, &cooperation).await?;
    Ok(NeedWritten {
        need: NeedView::new(m, org),
        advice,
    })
}

/// 发布技术需求 · Post a need. The id is generated; the response carries
/// advice on what would make the need easier to match.
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", request_body = NeedInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = NeedWritten, headers(("location" = String))),
        (status = 400, body = crate::http::problem::Problem), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 415, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<NeedInput>,
) -> ApiResult<Response> {
    if !permissions::may_post_needs(a.role) {
        return Err(ApiError::forbidden(
            "只有企业用户、项目管理人员和管理员可以发布技术需求",
            "only enterprise members, program staff and admins post needs",
        ));
    }
    let org = writes::posting_org(&state, &a, input.org.as_deref()).await?;
    let id = writes::new_external_id("need");
    let mut need = input
        .draft(&id, &org.external_id)
        .validate(&state.taxonomy.current())
        .map_err(ApiError::validation)?;
    let scope = writes::staff_scope(&state, &a).await?;
    let target = Target {
        org_id: org.id,
        region: org.region.as_deref(),
        field: &need.posting.field,
        owner_user_id: None,
    };
    if !permissions::may_write_need(&a.caller(), &scope, &target) {
        return Err(forbidden_need());
    }
    let mut attempt = 1;
    let saved = loop {
        match needs::create(&state.db, &need, org.id, Utc::now()).await {
            Ok(m) => break m,
            Err(e) if repo::is_unique_violation(&e) && attempt < writes::ID_ATTEMPTS => {
                attempt += 1;
                need.posting.external_id =
                    ExternalId::parse("id", &writes::new_external_id("need"))
                        .map_err(|e| ApiError::Internal(anyhow::anyhow!("generated id: {e}")))?;
            }
            Err(e) => return Err(e.into()),
        }
    };
    state.search.notify_change();
    tracing::info!(user_id = a.user.id, need = %saved.external_id, "need posted");
    let location = HeaderValue::from_str(&format!("/api/v1/needs/{}", saved.external_id))
        .context("need id in a header")?;
    let body = written(saved, &org).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// The need to change, if the caller may see it (404 otherwise) and change
/// it (403 otherwise), with its organization.
async fn editable(
    state: &AppState,
    a: &crate::http::caller::Authenticated,
    id: &str,
) -> ApiResult<(need::Model, organization::Model)> {
    let caller = a.caller();
    let current = needs::get_visible(&state.db, id, caller.visibility())
        .await?
        .ok_or_else(|| ApiError::not_found("技术需求", "need", id))?;
    let org = writes::org_of(state, current.organization_id).await?;
    let scope = writes::staff_scope(state, a).await?;
    let target = Target {
        org_id: org.id,
        region: org.region.as_deref(),
        field: &current.field,
        owner_user_id: None,
    };
    if !permissions::may_write_need(&caller, &scope, &target) {
        return Err(forbidden_need());
    }
    Ok((current, org))
}

/// 修改技术需求 · Replace a need's content. Send the `version` you read: a
/// stale one gets 409 `version_conflict` with the current need in `current`.
#[utoipa::path(put, path = "/api/v1/needs/{id}", tag = "needs", request_body = NeedInput,
    params(("id" = String, Path, description = "External id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = NeedWritten), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<NeedInput>,
) -> ApiResult<Json<NeedWritten>> {
    let (current, org) = editable(&state, &a, &id).await?;
    let mut extra = ValidationErrors::default();
    writes::check_org_unchanged(input.org.as_deref(), &org.external_id, &mut extra);
    let version = writes::require_version(input.version, &mut extra);
    let need = writes::finish(
        input
            .draft(&current.external_id, &org.external_id)
            .validate(&state.taxonomy.current()),
        extra,
    )?;
    let scope = writes::staff_scope(&state, &a).await?;
    let target = Target {
        org_id: org.id,
        region: org.region.as_deref(),
        field: &need.posting.field,
        owner_user_id: None,
    };
    if !permissions::may_write_need(&a.caller(), &scope, &target) {
        return Err(forbidden_need());
    }
    // `matched` is set by the curation workflow (staff), not by the
    // enterprise itself; a need already matched may keep its status.
    if a.role == Role::EnterpriseMember
        && need.status == NeedStatus::Matched
        && current.status != NeedStatus::Matched.as_str()
    {
        let zh = "“已对接”（matched）状态由项目管理人员在对接流程中设置，企业用户不能直接设置";
        let en = "the status 'matched' is set by program staff through the curation workflow; enterprise members cannot set it";
        return Err(ApiError::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "status_reserved",
            message: zh.to_owned(),
            message_en: en.to_owned(),
            errors: vec![FieldError::new("status", "status_reserved", zh, en)],
        });
    }
    match needs::update(&state.db, &current.external_id, version, &need, Utc::now()).await? {
        Edit::Saved(m) => {
            state.search.notify_change();
            tracing::info!(user_id = a.user.id, need = %m.external_id, version = m.version, "need edited");
            Ok(Json(written(m, &org).await?))
        }
        Edit::Conflict(m) => Err(conflict(m, &org)),
        Edit::Missing => Err(ApiError::not_found("技术需求", "need", &id)),
    }
}

/// 关闭技术需求 · Close a need (status `closed`). Closing a closed need
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/needs/{id}/close", tag = "needs", request_body = CloseInput,
    params(("id" = String, Path, description = "External id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = NeedView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn close(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CloseInput>,
) -> ApiResult<Json<NeedView>> {
    let (current, org) = editable(&state, &a, &id).await?;
    let mut errors = ValidationErrors::default();
    let version = writes::require_version(input.version, &mut errors);
    errors.finish(()).map_err(ApiError::validation)?;
    match needs::close(&state.db, &current.external_id, version, Utc::now()).await? {
        Edit::Saved(m) => {
            state.search.notify_change();
            tracing::info!(user_id = a.user.id, need = %m.external_id, "need closed");
            Ok(Json(NeedView::new(m, &org)))
        }
        Edit::Conflict(m) => Err(conflict(m, &org)),
        Edit::Missing => Err(ApiError::not_found("技术需求", "need", &id)),
    }
}
