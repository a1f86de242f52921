//! `/api/v1/capabilities`: research capabilities and results (drafts only for their owner and staff).

use super::views::CapabilityView;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, text_filter};
use crate::domain::{CapabilityStatus, FieldError, TermKind};
use crate::http::caller::CallerOf;
use crate::http::extract::{Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::repo::{capabilities, organizations};
use anyhow::Context;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/capabilities", get(list))
        .route("/capabilities/{id}", get(show))
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
