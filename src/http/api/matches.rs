//! Ranked matches with reasons: capabilities for a need, needs for a
//! capability, providers for a need.

use crate::domain::FieldError;
use crate::http::caller::CallerOf;
use crate::http::extract::{Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::matching::providers::{self, Provider};
use crate::matching::ranker::{Eligibility, MatchOptions, Matcher, Profile, Ranked};
use crate::storage::repo::{capabilities, needs};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/needs/{id}/matches", get(need_matches))
        .route("/needs/{id}/providers", get(need_providers))
        .route("/capabilities/{id}/matches", get(capability_matches))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// Results (1–100, default 20).
    top: Option<usize>,
    /// Only providers of these tiers, comma-separated (e.g. `c9,cas`).
    tiers: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResponse {
    /// The record the ranking is for.
    pub id: String,
    /// Weights version used.
    pub weights: String,
    pub results: Vec<Ranked>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderResponse {
    pub id: String,
    pub weights: String,
    pub providers: Vec<Provider>,
}

fn options(state: &AppState, p: &MatchParams) -> Result<MatchOptions, ApiError> {
    let mut errors = Vec::new();
    let top = p.top.unwrap_or(20);
    if !(1..=100).contains(&top) {
        errors.push(FieldError::new(
            "top",
            "out_of_range",
            "top 应在 1 到 100 之间",
            "top must be 1–100",
        ));
    }
    let mut tiers = Vec::new();
    for t in p
        .tiers
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        match state
            .taxonomy
            .current()
            .check(crate::domain::TermKind::Tier, "tiers", t)
        {
            Ok(code) => tiers.push(code),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::bad_query(errors));
    }
    Ok(MatchOptions {
        top,
        candidates: 100.max(top),
        eligibility: Eligibility { tiers },
        ..MatchOptions::default()
    })
}

/// Ranks capabilities for a need the caller may see (404 otherwise).
async fn rank_for_need(
    state: &AppState,
    caller: &crate::domain::access::Caller,
    id: &str,
    opts: MatchOptions,
) -> ApiResult<Vec<Ranked>> {
    let need = needs::get_visible(&state.db, id, caller.visibility())
        .await?
        .ok_or_else(|| ApiError::not_found("技术需求", "need", id))?;
    let profile = Profile::from_model(&need);
    let (weights, taxonomy) = (state.search.weights(), state.taxonomy.current());
    // The need was checked visible above; its ranking depends on the need
    // (id, version), the options, the weights and the taxonomy.
    let vectors = state.search.vectors();
    let key = format!(
        "need-matches|{}|{}|{opts:?}|{}|{}|{}",
        need.external_id,
        need.version,
        weights.version,
        state.taxonomy.generation(),
        vectors.as_ref().map_or(0, |v| v.generation())
    );
    Ok(state
        .search
        .run_cached(key, move |index, analyzer| {
            Matcher {
                analyzer,
                taxonomy: &taxonomy,
                weights: &weights,
                vectors: vectors.as_deref(),
            }
            .rank_capabilities(index, &profile, &opts)
        })
        .await?)
}

/// 需求的匹配能力 · Capabilities ranked for a need, with reasons.
#[utoipa::path(get, path = "/api/v1/needs/{id}/matches", tag = "matching", params(("id" = String, Path), MatchParams),
    responses((status = 200, body = MatchResponse), (status = 404, body = crate::http::problem::Problem)))]
pub async fn need_matches(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Path(id): Path<String>,
    Query(p): Query<MatchParams>,
) -> ApiResult<Json<MatchResponse>> {
    let opts = options(&state, &p)?;
    let results = rank_for_need(&state, &caller, &id, opts).await?;
    Ok(Json(MatchResponse {
        id,
        weights: state.search.weights().version.clone(),
        results,
    }))
}

/// 需求的候选合作单位 · Providers ranked for a need (from their capabilities).
#[utoipa::path(get, path = "/api/v1/needs/{id}/providers", tag = "matching", params(("id" = String, Path), MatchParams),
    responses((status = 200, body = ProviderResponse), (status = 404, body = crate::http::problem::Problem)))]
pub async fn need_providers(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Path(id): Path<String>,
    Query(p): Query<MatchParams>,
) -> ApiResult<Json<ProviderResponse>> {
    let mut opts = options(&state, &p)?;
    let top = opts.top;
    // Providers are aggregated from a deeper list than is shown.
    opts.top = 100;
    let ranked = rank_for_need(&state, &caller, &id, opts).await?;
    Ok(Json(ProviderResponse {
        id,
        weights: state.search.weights().version.clone(),
        providers: providers::aggregate(&ranked, top),
    }))
}

/// 能力的匹配需求 · Needs ranked for a capability (confidential needs only
/// for those who may see them).
#[utoipa::path(get, path = "/api/v1/capabilities/{id}/matches", tag = "matching", params(("id" = String, Path), MatchParams),
    responses((status = 200, body = MatchResponse), (status = 404, body = crate::http::problem::Problem)))]
pub async fn capability_matches(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Path(id): Path<String>,
    Query(p): Query<MatchParams>,
) -> ApiResult<Json<MatchResponse>> {
    let opts = options(&state, &p)?;
    let visibility = caller.visibility();
    let cap = capabilities::get_visible(&state.db, &id, visibility)
        .await?
        .ok_or_else(|| ApiError::not_found("科研能力", "capability", &id))?;
    let profile = Profile::from_capability(&cap);
    let (weights, taxonomy) = (state.search.weights(), state.taxonomy.current());
    // Ranked needs are filtered by the caller's visibility: it is in the key.
    let vectors = state.search.vectors();
    let key = format!(
        "capability-matches|{}|{}|{opts:?}|{visibility:?}|{}|{}|{}",
        cap.external_id,
        cap.version,
        weights.version,
        state.taxonomy.generation(),
        vectors.as_ref().map_or(0, |v| v.generation())
    );
    let results = state
        .search
        .run_cached(key, move |index, analyzer| {
            Matcher {
                analyzer,
                taxonomy: &taxonomy,
                weights: &weights,
                vectors: vectors.as_deref(),
            }
            .rank_needs(index, &profile, &opts, visibility)
        })
        .await?;
    Ok(Json(MatchResponse {
        id,
        weights: state.search.weights().version.clone(),
        results,
    }))
}
