//! `/api/v1/needs`: technology needs, filtered by what the caller may see.

use super::views::NeedView;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, text_filter};
use crate::domain::{FieldError, NeedStatus, TermKind};
use crate::http::caller::CallerOf;
use crate::http::extract::{Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::repo::{needs, organizations};
use anyhow::Context;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs", get(list))
        .route("/needs/{id}", get(show))
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
