//! `/api/v1/alliances`: industry alliances (产业联盟), the organizations that
//! belong to them and the industry clusters they cover. Everyone signed in
//! reads; program staff and admins write. Alliances are addressed by their
//! code, which cannot change.

use super::views::OrgRef;
use super::writes;
use crate::domain::agreement::parse_item_code;
use crate::domain::curation;
use crate::domain::validation::required_text;
use crate::domain::{FieldError, ValidationErrors};
use crate::http::caller::RequireUser;
use crate::http::extract::{JsonBody, Path};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::kpi::entities::{alliance, industry_cluster};
use crate::kpi::store;
use crate::storage::lists;
use crate::storage::repo::{self, Edit, organizations};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alliances", get(list).post(create))
        .route("/alliances/{code}", get(show).put(update))
        .route("/alliances/{code}/members", post(add_member))
        .route("/alliances/{code}/members/{org}", delete(remove_member))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterRef {
    pub code: String,
    pub name_zh: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllianceView {
    pub code: String,
    pub name: String,
    /// The industry clusters the alliance covers.
    pub clusters: Vec<ClusterRef>,
    pub members: Vec<OrgRef>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

async fn views(state: &AppState, rows: Vec<alliance::Model>) -> ApiResult<Vec<AllianceView>> {
    let clusters = store::clusters(&state.db).await?;
    let mut members = store::members(&state.db, rows.iter().map(|a| a.id)).await?;
    let orgs = organizations::by_ids(
        &state.db,
        members.values().flatten().copied().collect::<Vec<_>>(),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|a| AllianceView {
            clusters: lists::decode(&a.clusters)
                .into_iter()
                .map(|code| ClusterRef {
                    name_zh: clusters
                        .iter()
                        .find(|c| c.code == code)
                        .map_or_else(|| code.clone(), |c| c.name_zh.clone()),
                    code,
                })
                .collect(),
            members: members
                .remove(&a.id)
                .unwrap_or_default()
                .iter()
                .filter_map(|id| orgs.get(id))
                .map(OrgRef::from)
                .collect(),
            code: a.code,
            name: a.name,
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        })
        .collect())
}

async fn view_one(state: &AppState, a: alliance::Model) -> ApiResult<AllianceView> {
    views(state, vec![a])
        .await?
        .pop()
        .context("an alliance view")
        .map_err(ApiError::Internal)
}

fn not_found(code: &str) -> ApiError {
    ApiError::not_found("产业联盟", "alliance", code)
}

fn not_staff() -> ApiError {
    ApiError::forbidden(
        "只有项目管理人员和管理员可以管理产业联盟",
        "only program staff and admins manage alliances",
    )
}

async fn find(state: &AppState, code: &str) -> ApiResult<alliance::Model> {
    store::alliance(&state.db, code)
        .await?
        .ok_or_else(|| not_found(code))
}

/// 产业联盟列表 · Alliances, by code.
#[utoipa::path(get, path = "/api/v1/alliances", tag = "alliances",
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<AllianceView>), (status = 401, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _user: RequireUser,
) -> ApiResult<Json<Vec<AllianceView>>> {
    let rows = store::alliances(&state.db).await?;
    Ok(Json(views(&state, rows).await?))
}

/// 产业联盟详情 · One alliance.
#[utoipa::path(get, path = "/api/v1/alliances/{code}", tag = "alliances",
    params(("code" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = AllianceView), (status = 401, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    _user: RequireUser,
    Path(code): Path<String>,
) -> ApiResult<Json<AllianceView>> {
    let a = find(&state, &code).await?;
    Ok(Json(view_one(&state, a).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllianceInput {
    /// Unique code (1–32 letters, digits, `-`, `_`, `.`); cannot change in an edit.
    pub code: Option<String>,
    #[serde(default)]
    pub name: String,
    /// Industry clusters covered: codes or Chinese names (see `GET /api/v1/industry-clusters`).
    #[serde(default)]
    pub clusters: Vec<String>,
    /// Edits: the `version` the edit is based on (required).
    pub version: Option<i32>,
}

/// Cluster codes of `input`, each known; duplicates dropped.
fn check_clusters(
    known: &[industry_cluster::Model],
    input: &[String],
    errors: &mut ValidationErrors,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, c) in input.iter().enumerate() {
        let c = c.trim();
        match known.iter().find(|k| k.code == c || k.name_zh == c) {
            Some(k) => {
                if !out.contains(&k.code) {
                    out.push(k.code.clone());
                }
            }
            None => errors.push(FieldError::new(
                format!("clusters[{i}]"),
                "unknown_code",
                format!("未知的产业链“{c}”"),
                format!("unknown industry cluster '{c}'"),
            )),
        }
    }
    out
}

/// 新建产业联盟 · Create an alliance.
#[utoipa::path(post, path = "/api/v1/alliances", tag = "alliances", request_body = AllianceInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = AllianceView, headers(("location" = String))),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<AllianceInput>,
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
    let name = required_text(&mut errors, "name", &input.name, 200);
    let known = store::clusters(&state.db).await?;
    let clusters = check_clusters(&known, &input.clusters, &mut errors);
    let Some(code) = code else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    let saved = match store::create_alliance(&state.db, &code, &name, &clusters, Utc::now()).await {
        Ok(m) => m,
        Err(e) if repo::is_unique_violation(&e) => {
            return Err(ApiError::validation(ValidationErrors::single(
                FieldError::new(
                    "code",
                    "taken",
                    format!("编号“{code}”已被使用"),
                    format!("code '{code}' is already in use"),
                ),
            )));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user_id = a.user.id, code = %saved.code, "alliance created");
    let location = HeaderValue::from_str(&format!("/api/v1/alliances/{}", saved.code))
        .context("alliance code in a header")?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(view_one(&state, saved).await?),
    )
        .into_response())
}

/// 修改产业联盟 · Replace an alliance's name and clusters. Send the `version`
/// you read: a stale one gets 409 `version_conflict`.
#[utoipa::path(put, path = "/api/v1/alliances/{code}", tag = "alliances", request_body = AllianceInput,
    params(("code" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = AllianceView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(code): Path<String>,
    JsonBody(input): JsonBody<AllianceInput>,
) -> ApiResult<Json<AllianceView>> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_staff());
    }
    let current = find(&state, &code).await?;
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
            "the code of an alliance cannot be changed",
        ));
    }
    let version = writes::require_version(input.version, &mut errors);
    let name = required_text(&mut errors, "name", &input.name, 200);
    let known = store::clusters(&state.db).await?;
    let clusters = check_clusters(&known, &input.clusters, &mut errors);
    errors.finish(()).map_err(ApiError::validation)?;
    match store::update_alliance(
        &state.db,
        &current.code,
        version,
        &name,
        &clusters,
        Utc::now(),
    )
    .await?
    {
        Edit::Saved(m) => Ok(Json(view_one(&state, m).await?)),
        Edit::Conflict(m) => {
            let v = serde_json::to_value(view_one(&state, m).await?)
                .map_err(|e| ApiError::Internal(e.into()))?;
            Err(ApiError::version_conflict(v))
        }
        Edit::Missing => Err(not_found(&code)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// External id of the organization.
    #[serde(default)]
    pub org: String,
}

/// 加入联盟 · Add a member organization (idempotent).
#[utoipa::path(post, path = "/api/v1/alliances/{code}/members", tag = "alliances", request_body = MemberInput,
    params(("code" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = AllianceView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn add_member(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(code): Path<String>,
    JsonBody(input): JsonBody<MemberInput>,
) -> ApiResult<Json<AllianceView>> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_staff());
    }
    let al = find(&state, &code).await?;
    let ext = input.org.trim();
    let Some(org) = organizations::get(&state.db, ext).await? else {
        return Err(ApiError::validation(ValidationErrors::single(
            FieldError::new(
                "org",
                "unknown_org",
                format!("组织“{ext}”不存在"),
                format!("organization '{ext}' does not exist"),
            ),
        )));
    };
    store::add_member(&state.db, al.id, org.id, Utc::now()).await?;
    Ok(Json(view_one(&state, al).await?))
}

/// 退出联盟 · Remove a member organization.
#[utoipa::path(delete, path = "/api/v1/alliances/{code}/members/{org}", tag = "alliances",
    params(("code" = String, Path), ("org" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = AllianceView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)))]
pub async fn remove_member(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path((code, org)): Path<(String, String)>,
) -> ApiResult<Json<AllianceView>> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_staff());
    }
    let al = find(&state, &code).await?;
    let member = match organizations::get(&state.db, &org).await? {
        Some(o) => store::remove_member(&state.db, al.id, o.id).await?,
        None => false,
    };
    if !member {
        return Err(ApiError::not_found("联盟成员", "alliance member", &org));
    }
    Ok(Json(view_one(&state, al).await?))
}
