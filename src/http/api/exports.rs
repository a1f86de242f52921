//! `/api/v1/exports/{resource}.{csv|xlsx}`: needs, capabilities, matches
//! and agreements as CSV (UTF-8 with BOM) or XLSX, with exactly what the
//! caller could read through the list endpoints.

use crate::domain::access::Caller;
use crate::exports::tables::{self, Resource};
use crate::exports::{self, FileFormat, MAX_ROWS};
use crate::http::caller::CallerOf;
use crate::http::extract::Path;
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub const TRUNCATED_HEADER: &str = "x-duijie-truncated";
pub const ROW_COUNT_HEADER: &str = "x-duijie-row-count";

pub fn router() -> Router<AppState> {
    Router::new().route("/exports/{file}", get(export))
}

/// 导出 · Export needs, capabilities, matches or agreements as CSV or XLSX.
///
/// `file` is `needs.csv`, `capabilities.xlsx`, `matches.csv`,
/// `agreements.xlsx`, `kpis.xlsx`…. Anonymous callers may export public
/// needs and capabilities only (the others: 401); the KPI report is for
/// program staff and admins (others: 403). At most 100,000 rows;
/// `X-Duijie-Truncated: true` says rows were left out, `X-Duijie-Row-Count`
/// gives the rows in the file.
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "exports",
    params(("file" = String, Path, description = "`{resource}.{csv|xlsx}`, resource one of needs, capabilities, matches, agreements, kpis")),
    responses(
        (status = 200, description = "The file (text/csv with BOM, or XLSX)"),
        (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem)))]
pub async fn export(
    State(state): State<AppState>,
    CallerOf(caller): CallerOf,
    Path(file): Path<String>,
) -> ApiResult<Response> {
    let parsed = file
        .rsplit_once('.')
        .and_then(|(r, ext)| Some((Resource::parse(r)?, FileFormat::parse(ext)?)));
    let Some((resource, format)) = parsed else {
        return Err(ApiError::not_found("导出", "export", &file));
    };
    if caller == Caller::Anonymous && !resource.open_to_anonymous() {
        return Err(ApiError::unauthorized(
            "请先登录（或在 Authorization 请求头中提供 API 令牌）",
            "sign in first (or send an API token in the Authorization header)",
        ));
    }
    // Scoped staff export the matches and agreements they could list.
    let scope = super::writes::staff_scope_of(&state, &caller).await?;
    let Some(table) = tables::build(
        &state.db,
        &state.taxonomy.current(),
        &caller,
        &scope,
        resource,
    )
    .await?
    else {
        return Err(if resource == Resource::Kpis {
            ApiError::forbidden(
                "只有项目管理人员和管理员可以导出行动计划指标",
                "only program staff and admins export the KPI report",
            )
        } else {
            ApiError::forbidden("无权导出这些记录", "you may not export these records")
        });
    };
    let (name, title_zh, truncated, row_count) = (
        table.name,
        table.title_zh,
        table.truncated,
        table.rows.len(),
    );
    // Writing up to 100,000 rows is CPU work: keep it off the async workers.
    let bytes = tokio::task::spawn_blocking(move || exports::render(&table, format))
        .await
        .map_err(anyhow::Error::from)??;
    let date = chrono::Utc::now().format("%Y%m%d");
    let ext = format.extension();
    let disposition = exports::content_disposition(
        &format!("duijie-{name}-{date}.{ext}"),
        &format!("{title_zh}-{date}.{ext}"),
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        HeaderName::from_static(TRUNCATED_HEADER),
        HeaderValue::from_static(if truncated { "true" } else { "false" }),
    );
    h.insert(
        HeaderName::from_static(ROW_COUNT_HEADER),
        HeaderValue::from(row_count),
    );
    if truncated {
        tracing::warn!(
            resource = resource.as_str(),
            max = MAX_ROWS,
            "export truncated"
        );
    }
    Ok(resp)
}
