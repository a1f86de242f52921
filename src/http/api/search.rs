//! `/api/v1/search`: full-text search over needs or capabilities.

use super::{code_filter, enum_filter, finish_filters, paging, text_filter};
use crate::domain::{CapabilityStatus, FieldError, NeedStatus, TermKind};
use crate::http::caller::CallerOf;
use crate::http::extract::Query;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::search::searcher::{Facets, QueryExpansion, SearchHit, SearchRequest, WINDOW};
use crate::search::{Kind, SearchError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// 查询文字；为空时按筛选条件浏览 · Query text; empty browses by the filters.
    q: Option<String>,
    /// `need` or `capability` (default).
    kind: Option<String>,
    field: Option<String>,
    /// City of the organization.
    region: Option<String>,
    /// Provider tier code.
    tier: Option<String>,
    /// Cooperation-mode code.
    cooperation: Option<String>,
    /// Minimum TRL (capabilities).
    maturity_min: Option<u64>,
    status: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    pub hits: Vec<SearchHit>,
    /// Matches counted, at most 200 (see `total_is_lower_bound`).
    pub total: u64,
    /// True when more than `total` records match.
    pub total_is_lower_bound: bool,
    pub page: u64,
    pub per_page: u64,
    /// Counts by field, tier and region over the counted matches.
    pub facets: Facets,
    /// The query's terms after segmentation.
    pub terms: Vec<String>,
    /// Synonyms and abbreviations added to the query.
    pub expansions: Vec<QueryExpansion>,
}

/// 全文检索 · Search needs or capabilities. Confidential needs are filtered
/// inside the search for callers who may not see them.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = crate::http::problem::Problem),
        (status = 503, body = crate::http::problem::Problem)))]
pub async fn search(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    if page.page.saturating_mul(page.per_page) > WINDOW as u64 && errors.is_empty() {
        errors.push(FieldError::new(
            "page",
            "out_of_range",
            format!("只能浏览前 {WINDOW} 条结果，请缩小查询范围"),
            format!("only the first {WINDOW} results can be paged; narrow the query"),
        ));
    }
    let kind = match text_filter(p.kind).as_deref() {
        None | Some("capability") => Kind::Capability,
        Some("need") => Kind::Need,
        Some(other) => {
            errors.push(FieldError::new(
                "kind",
                "unknown_code",
                format!("未知的类型“{other}”，可用：need, capability"),
                format!("unknown kind '{other}'; allowed: need, capability"),
            ));
            Kind::Capability
        }
    };
    let status = match kind {
        Kind::Need => enum_filter(p.status, |v| NeedStatus::parse("status", v), &mut errors)
            .map(|s| s.as_str()),
        Kind::Capability => enum_filter(
            p.status,
            |v| CapabilityStatus::parse("status", v),
            &mut errors,
        )
        .map(|s| s.as_str()),
    };
    if p.maturity_min.is_some_and(|m| !(1..=9).contains(&m)) {
        errors.push(FieldError::new(
            "maturity_min",
            "out_of_range",
            "技术成熟度应为 1–9",
            "maturity_min must be 1–9",
        ));
    }
    let filters = crate::search::searcher::Filters {
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
        region: text_filter(p.region),
        tier: code_filter(&state, TermKind::Tier, "tier", p.tier, &mut errors),
        cooperation: code_filter(
            &state,
            TermKind::Cooperation,
            "cooperation",
            p.cooperation,
            &mut errors,
        ),
        status: status.map(str::to_owned),
        maturity_min: p.maturity_min,
    };
    finish_filters(errors)?;
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let req = SearchRequest {
        q: p.q.unwrap_or_default(),
        kind,
        filters,
        visibility: caller.visibility(),
        offset,
        limit: usize::try_from(page.per_page).unwrap_or(20),
    };
    let results = state.search.search(req).await?;
    Ok(Json(SearchResponse {
        hits: results.hits,
        total: results.total,
        total_is_lower_bound: results.total_is_lower_bound,
        page: page.page,
        per_page: page.per_page,
        facets: results.facets,
        terms: results.terms,
        expansions: results.expansions,
    }))
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::NotReady => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "search_unavailable",
                "搜索索引正在建立，请稍后重试",
                "the search index is being built; retry shortly",
            ),
            SearchError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "search_busy",
                "检索请求过多，请稍后重试",
                "too many searches at once; retry shortly",
            ),
            SearchError::Failed(e) => ApiError::Internal(e),
        }
    }
}
