//! `/api/v1/organizations`

use super::views::OrganizationView;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, text_filter};
use crate::domain::{OrgKind, TermKind};
use crate::http::extract::{Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::repo::organizations::{self, Filter};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(list))
        .route("/organizations/{id}", get(show))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `enterprise`, `university`, `institute`, `academy`, `leading_enterprise`
    kind: Option<String>,
    /// 地市，如 太原
    region: Option<String>,
    /// Provider tier code.
    tier: Option<String>,
    /// Field code; organizations active in it.
    field: Option<String>,
    above_scale: Option<bool>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// 组织列表 · List organizations.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(ListParams),
    responses((status = 200, body = PageOf<OrganizationView>), (status = 400, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<OrganizationView>>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    let filter = Filter {
        kind: enum_filter(p.kind, |v| OrgKind::parse("kind", v), &mut errors)
            .map(|k| k.as_str().to_owned()),
        region: text_filter(p.region),
        tier: code_filter(&state, TermKind::Tier, "tier", p.tier, &mut errors),
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
        above_scale: p.above_scale,
    };
    finish_filters(errors)?;
    let found = organizations::list(&state.db, &filter, page).await?;
    Ok(Json(PageOf {
        items: found.items.into_iter().map(Into::into).collect(),
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}

/// 组织详情 · One organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "External id")),
    responses((status = 200, body = OrganizationView), (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<OrganizationView>> {
    let org = organizations::get(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("组织", "organization", &id))?;
    Ok(Json(org.into()))
}
