//! `/api/v1/taxonomy`: the codes of fields, cooperation modes and tiers, and
//! their management by admins (the taxonomy is data, extended without a release).

use crate::domain::validation::{optional_text, required_text};
use crate::domain::{FieldError, Role, Taxonomy, Term, TermKind, ValidationErrors};
use crate::http::caller::RequireUser;
use crate::http::extract::{JsonBody, Path};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::repo;
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/taxonomy", get(show))
        .route("/taxonomy/{kind}/{code}", put(upsert))
}

/// 分类代码 · Fields, cooperation modes and provider tiers.
#[utoipa::path(get, path = "/api/v1/taxonomy", tag = "taxonomy", responses((status = 200, body = Taxonomy)))]
pub async fn show(State(state): State<AppState>) -> Json<Taxonomy> {
    Json(state.taxonomy.current().as_ref().clone())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TermInput {
    pub name_zh: String,
    pub name_en: Option<String>,
    /// Related field codes (fields only), used by match ranking.
    #[serde(default)]
    pub related: Vec<String>,
    /// false retires the code: existing records keep it, new ones cannot use it.
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TermView {
    pub kind: TermKind,
    #[serde(flatten)]
    pub term: Term,
    pub active: bool,
    pub created: bool,
}

/// 新增或修改分类代码（仅系统管理员）· Add or change a code (admins only).
#[utoipa::path(put, path = "/api/v1/taxonomy/{kind}/{code}", tag = "taxonomy", request_body = TermInput,
    params(("kind" = String, Path, description = "field | cooperation | tier"), ("code" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = TermView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem),
        (status = 404, description = "No such taxonomy kind", body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn upsert(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path((kind, code)): Path<(String, String)>,
    JsonBody(input): JsonBody<TermInput>,
) -> ApiResult<Json<TermView>> {
    if a.role != Role::Admin {
        return Err(ApiError::forbidden(
            "只有系统管理员可以维护分类代码",
            "only admins manage the taxonomy",
        ));
    }
    let kind = TermKind::parse(&kind)
        .ok_or_else(|| ApiError::not_found("分类", "taxonomy kind", &kind))?;
    let mut errors = ValidationErrors::default();
    let code_ok = !code.is_empty()
        && code.len() <= 32
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !code_ok {
        errors.push(FieldError::new(
            "code",
            "invalid_code",
            "代码只能由小写英文字母、数字和下划线组成，最长 32 个字符",
            "codes are 1–32 lower-case ASCII letters, digits or underscores",
        ));
    }
    let name_zh = required_text(&mut errors, "name_zh", &input.name_zh, 100);
    let name_en =
        optional_text(&mut errors, "name_en", input.name_en.as_deref(), 100).unwrap_or_default();
    let current = state.taxonomy.current();
    if kind != TermKind::Field && !input.related.is_empty() {
        errors.push(FieldError::new(
            "related",
            "not_allowed",
            "只有领域代码可以设置相关领域",
            "only fields have related fields",
        ));
    }
    let related = current.check_list(TermKind::Field, "related", &input.related, &mut errors);
    if related.contains(&code) {
        errors.push(FieldError::new(
            "related",
            "self_reference",
            "领域不能与自身相关",
            "a field cannot relate to itself",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let term = Term {
        code,
        name_zh,
        name_en,
        related,
    };
    let active = input.active.unwrap_or(true);
    let created = repo::taxonomy::upsert_term(&state.db, kind, &term, active).await?;
    // Every later request validates against the new taxonomy.
    state
        .taxonomy
        .replace(repo::taxonomy::load(&state.db).await?);
    tracing::info!(kind = kind.as_str(), code = %term.code, active, "taxonomy term saved");
    Ok(Json(TermView {
        kind,
        term,
        active,
        created,
    }))
}
