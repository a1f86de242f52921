//! `/api/v1/program-items`: the items of the provincial action plan that
//! matches and agreements count toward. Staff and admins write; everyone
//! signed in reads. Items are addressed by their code, which cannot change.

use super::views::OrgRef;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, writes};
use crate::domain::agreement::parse_item_code;
use crate::domain::curation;
use crate::domain::validation::{optional_text, required_text};
use crate::domain::{FieldError, ProgramItemKind, ProgramItemStatus, TermKind, ValidationErrors};
use crate::http::caller::RequireUser;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::{organization, program_item};
use crate::storage::repo::program_items::{self, ItemRow};
use crate::storage::repo::{self, Edit, organizations};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/program-items", get(list).post(create))
        .route("/program-items/{code}", get(show).put(update))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramItemView {
    /// Unique code, e.g. `KT-2026-001`.
    pub code: String,
    pub kind: ProgramItemKind,
    pub title: String,
    pub field: Option<String>,
    /// The lead organization.
    pub lead_org: Option<OrgRef>,
    pub status: ProgramItemStatus,
    /// The target (free text, e.g. 攻克…，形成…).
    pub target: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

fn view(
    m: program_item::Model,
    orgs: &HashMap<i64, organization::Model>,
) -> ApiResult<ProgramItemView> {
    Ok(ProgramItemView {
        kind: ProgramItemKind::from_code(&m.kind)
            .with_context(|| format!("program item {} has an unknown kind", m.code))?,
        status: ProgramItemStatus::from_code(&m.status)
            .with_context(|| format!("program item {} has an unknown status", m.code))?,
        lead_org: m.lead_org_id.and_then(|id| orgs.get(&id)).map(OrgRef::from),
        code: m.code,
        title: m.title,
        field: m.field,
        target: m.target,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

async fn view_one(state: &AppState, m: program_item::Model) -> ApiResult<ProgramItemView> {
    let orgs = organizations::by_ids(&state.db, m.lead_org_id).await?;
    view(m, &orgs)
}

fn not_found(code: &str) -> ApiError {
    ApiError::not_found("行动计划项目", "program item", code)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `key_technology`, `innovation_project`, `demonstration`.
    kind: Option<String>,
    /// `planned`, `started`, `completed`.
    status: Option<String>,
    field: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// 行动计划项目列表 · Program items, by code.
#[utoipa::path(get, path = "/api/v1/program-items", tag = "program", params(ListParams),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<ProgramItemView>), (status = 400, body = crate::http::problem::Problem),
        (status = 401, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _user: RequireUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<ProgramItemView>>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    let filter = program_items::Filter {
        kind: enum_filter(p.kind, |v| ProgramItemKind::parse("kind", v), &mut errors)
            .map(|k| k.as_str().to_owned()),
        status: enum_filter(
            p.status,
            |v| ProgramItemStatus::parse("status", v),
            &mut errors,
        )
        .map(|s| s.as_str().to_owned()),
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
    };
    finish_filters(errors)?;
    let found = program_items::list(&state.db, &filter, page).await?;
    let orgs =
        organizations::by_ids(&state.db, found.items.iter().filter_map(|i| i.lead_org_id)).await?;
    let items = found
        .items
        .into_iter()
        .map(|m| view(m, &orgs))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(PageOf {
        items,
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}

/// 行动计划项目详情 · One program item.
#[utoipa::path(get, path = "/api/v1/program-items/{code}", tag = "program",
    params(("code" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = ProgramItemView), (status = 401, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    _user: RequireUser,
    Path(code): Path<String>,
) -> ApiResult<Json<ProgramItemView>> {
    let m = program_items::by_code(&state.db, &code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    Ok(Json(view_one(&state, m).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramItemInput {
    /// Unique code (1–32 letters, digits, `-`, `_`, `.`); cannot change in an edit.
    pub code: Option<String>,
    /// `key_technology`, `innovation_project`, `demonstration`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// Field code.
    pub field: Option<String>,
    /// External id of the lead organization.
    pub lead_org: Option<String>,
    /// `planned` (default), `started`, `completed`.
    pub status: Option<String>,
    pub target: Option<String>,
    /// Edits: the `version` the edit is based on (required).
    pub version: Option<i32>,
}

async fn validate(
    state: &AppState,
    input: &ProgramItemInput,
    errors: &mut ValidationErrors,
) -> ApiResult<Option<ItemRow>> {
    let kind = if input.kind.trim().is_empty() {
        errors.push(FieldError::new(
            "kind",
            "required",
            "须指定类型：key_technology、innovation_project 或 demonstration",
            "kind is required: key_technology, innovation_project or demonstration",
        ));
        None
    } else {
        ProgramItemKind::parse("kind", &input.kind)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let title = required_text(errors, "title", &input.title, 200);
    let field = match input
        .field
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(f) => state
            .taxonomy
            .current()
            .check(TermKind::Field, "field", f)
            .map_err(|e| errors.push(e))
            .ok(),
        None => None,
    };
    let status = match input
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => ProgramItemStatus::parse("status", s)
            .map_err(|e| errors.push(e))
            .ok(),
        None => Some(ProgramItemStatus::Planned),
    };
    let target = optional_text(errors, "target", input.target.as_deref(), 2000);
    let lead_org_id = match input
        .lead_org
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(ext) => match organizations::get(&state.db, ext).await? {
            Some(o) => Some(o.id),
            None => {
                errors.push(FieldError::new(
                    "lead_org",
                    "unknown_org",
                    format!("组织“{ext}”不存在"),
                    format!("organization '{ext}' does not exist"),
                ));
                None
            }
        },
        None => None,
    };
    Ok(match (kind, status) {
        (Some(kind), Some(status)) => Some(ItemRow {
            kind: kind.as_str().to_owned(),
            title,
            field,
            lead_org_id,
            status: status.as_str().to_owned(),
            target,
        }),
        _ => None,
    })
}

fn not_staff() -> ApiError {
    ApiError::forbidden(
        "只有项目管理人员和管理员可以管理行动计划项目",
        "only program staff and admins manage program items",
    )
}

fn code_taken(code: &str) -> ApiError {
    ApiError::validation(ValidationErrors::single(FieldError::new(
        "code",
        "taken",
        format!("编号“{code}”已被使用"),
        format!("code '{code}' is already in use"),
    )))
}

/// 新建行动计划项目 · Create a program item.
#[utoipa::path(post, path = "/api/v1/program-items", tag = "program", request_body = ProgramItemInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = ProgramItemView, headers(("location" = String))),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<ProgramItemInput>,
) -> ApiResult<Response> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_staff());
    }
    let mut errors = ValidationErrors::default();
    let code = match input.code.as_deref() {
        Some(c) => parse_item_code("code", c).map_err(|e| errors.push(e)).ok(),
        None => {
            errors.push(FieldError::new(
                "code",
                "required",
                "须指定编号（code）",
                "code is required",
            ));
            None
        }
    };
    let row = validate(&state, &input, &mut errors).await?;
    let (Some(code), Some(row)) = (code, row) else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    let saved = match program_items::create(&state.db, &code, row, Utc::now()).await {
        Ok(m) => m,
        Err(e) if repo::is_unique_violation(&e) => return Err(code_taken(&code)),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user_id = a.user.id, code = %saved.code, "program item created");
    let location = HeaderValue::from_str(&format!("/api/v1/program-items/{}", saved.code))
        .context("item code in a header")?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view_one(&state, saved).await?),
    )
        .into_response())
}

/// 修改行动计划项目 · Replace an item's content (not its code). Send the
/// `version` you read: a stale one gets 409 `version_conflict`.
#[utoipa::path(put, path = "/api/v1/program-items/{code}", tag = "program", request_body = ProgramItemInput,
    params(("code" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = ProgramItemView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(code): Path<String>,
    JsonBody(input): JsonBody<ProgramItemInput>,
) -> ApiResult<Json<ProgramItemView>> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_staff());
    }
    let current = program_items::by_code(&state.db, &code)
        .await?
        .ok_or_else(|| not_found(&code))?;
    let mut errors = ValidationErrors::default();
    if let Some(c) = input
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        && c != current.code
    {
        errors.push(FieldError::new(
            "code",
            "immutable",
            "编号不能修改",
            "the code of a program item cannot be changed",
        ));
    }
    let version = writes::require_version(input.version, &mut errors);
    let row = validate(&state, &input, &mut errors).await?;
    let Some(row) = row else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    match program_items::update(&state.db, &current.code, version, row, Utc::now()).await? {
        Edit::Saved(m) => Ok(Json(view_one(&state, m).await?)),
        Edit::Conflict(m) => {
            let v = serde_json::to_value(view_one(&state, m).await?)
                .map_err(|e| ApiError::Internal(e.into()))?;
            Err(ApiError::version_conflict(v))
        }
        Edit::Missing => Err(not_found(&code)),
    }
}
