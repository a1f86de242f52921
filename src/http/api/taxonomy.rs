//! `/api/v1/taxonomy`: the codes of fields, cooperation modes and tiers.

use crate::domain::Taxonomy;
use crate::http::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/taxonomy", get(show))
}

/// 分类代码 · Fields, cooperation modes and provider tiers.
#[utoipa::path(get, path = "/api/v1/taxonomy", tag = "taxonomy", responses((status = 200, body = Taxonomy)))]
pub async fn show(State(state): State<AppState>) -> Json<Taxonomy> {
    Json(state.taxonomy.as_ref().clone())
}
