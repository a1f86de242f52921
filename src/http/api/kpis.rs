//! `/api/v1/program/targets`, `/api/v1/program/kpis` and
//! `/api/v1/industry-clusters`: the plan's targets (data that admins edit),
//! the KPI report (program staff and admins: it is the province's dashboard)
//! and the industry clusters alliances cover. See `crate::kpi` for the
//! definitions of the figures.

use super::{code_filter, finish_filters, text_filter};
use crate::domain::curation;
use crate::domain::validation::optional_text;
use crate::domain::{FieldError, Role, TermKind, ValidationErrors};
use crate::http::caller::RequireUser;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::kpi::{self, Report, Scope, store};
use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/program/targets", get(targets))
        .route("/program/targets/{metric}", put(set_target))
        .route("/program/kpis", get(kpis))
        .route("/industry-clusters", get(clusters))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    /// Metric code, e.g. `key_technology`, `alliances`, `provincial_soe_coverage`.
    pub metric: String,
    pub target: f64,
    /// `count` or `percent`.
    pub unit: String,
    pub label_zh: String,
    pub label_en: String,
    pub updated_at: DateTime<Utc>,
}

impl From<kpi::entities::program_target::Model> for TargetView {
    fn from(m: kpi::entities::program_target::Model) -> Self {
        Self {
            metric: m.metric,
            target: m.target,
            unit: m.unit,
            label_zh: m.label_zh,
            label_en: m.label_en,
            updated_at: m.updated_at,
        }
    }
}

/// 行动计划目标 · The plan's targets.
#[utoipa::path(get, path = "/api/v1/program/targets", tag = "program",
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<TargetView>), (status = 401, body = crate::http::problem::Problem)))]
pub async fn targets(
    State(state): State<AppState>,
    _user: RequireUser,
) -> ApiResult<Json<Vec<TargetView>>> {
    Ok(Json(
        store::targets(&state.db)
            .await?
            .into_iter()
            .map(TargetView::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// The new target (≥ 0; percent targets at most 100).
    pub target: Option<f64>,
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
}

/// 修改目标（仅管理员）· Change a target (admins only).
#[utoipa::path(put, path = "/api/v1/program/targets/{metric}", tag = "program", request_body = TargetInput,
    params(("metric" = String, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = TargetView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn set_target(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(metric): Path<String>,
    JsonBody(input): JsonBody<TargetInput>,
) -> ApiResult<Json<TargetView>> {
    if a.role != Role::Admin {
        return Err(ApiError::forbidden(
            "只有系统管理员可以修改行动计划目标",
            "only admins change the plan's targets",
        ));
    }
    let current = store::targets(&state.db)
        .await?
        .into_iter()
        .find(|t| t.metric == metric)
        .ok_or_else(|| ApiError::not_found("指标", "metric", &metric))?;
    let mut errors = ValidationErrors::default();
    let target = match input.target {
        Some(t) if t.is_finite() && t >= 0.0 && (current.unit != "percent" || t <= 100.0) => t,
        Some(_) => {
            errors.push(FieldError::new(
                "target",
                "out_of_range",
                "目标值须为非负数（百分比不超过 100）",
                "target must be a non-negative number (at most 100 for percentages)",
            ));
            0.0
        }
        None => {
            errors.push(FieldError::new(
                "target",
                "required",
                "须提供目标值（target）",
                "target is required",
            ));
            0.0
        }
    };
    let label_zh = optional_text(&mut errors, "label_zh", input.label_zh.as_deref(), 100);
    let label_en = optional_text(&mut errors, "label_en", input.label_en.as_deref(), 200);
    errors.finish(()).map_err(ApiError::validation)?;
    let saved = store::set_target(&state.db, &metric, target, label_zh, label_en, Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found("指标", "metric", &metric))?;
    tracing::info!(user_id = a.user.id, %metric, target, "program target changed");
    Ok(Json(saved.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterView {
    pub code: String,
    pub name_zh: String,
    /// The taxonomy field the cluster belongs to.
    pub field: Option<String>,
}

/// 产业链列表 · Industry clusters.
#[utoipa::path(get, path = "/api/v1/industry-clusters", tag = "program",
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = Vec<ClusterView>), (status = 401, body = crate::http::problem::Problem)))]
pub async fn clusters(
    State(state): State<AppState>,
    _user: RequireUser,
) -> ApiResult<Json<Vec<ClusterView>>> {
    Ok(Json(
        store::clusters(&state.db)
            .await?
            .into_iter()
            .map(|c| ClusterView {
                code: c.code,
                name_zh: c.name_zh,
                field: c.field,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiParams {
    /// City (organization region).
    city: Option<String>,
    /// Field code.
    field: Option<String>,
}

/// 行动计划指标（项目管理人员和管理员）· The KPI report, overall and by city and
/// field. Aggregates only; program staff and admins only (other signed-in
/// users get 403).
#[utoipa::path(get, path = "/api/v1/program/kpis", tag = "program", params(KpiParams),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = Report), (status = 400, body = crate::http::problem::Problem),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem)))]
pub async fn kpis(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Query(p): Query<KpiParams>,
) -> ApiResult<Json<Report>> {
    if !curation::may_curate(&a.caller()) {
        return Err(ApiError::forbidden(
            "只有项目管理人员和管理员可以查看行动计划指标",
            "only program staff and admins see the KPI report",
        ));
    }
    let mut errors = Vec::new();
    let field = code_filter(&state, TermKind::Field, "field", p.field, &mut errors);
    finish_filters(errors)?;
    let scope = Scope {
        city: text_filter(p.city),
        field,
    };
    Ok(Json(kpi::report(&state.db, &scope).await?))
}
