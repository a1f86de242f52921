//! HTTP: the router, its middleware and the JSON API.
//!
//! Every error leaves as `application/problem+json`: handler errors through
//! `ApiError`, and errors raised by the framework or middleware (unknown route,
//! wrong method, body too large, timeout) through `problem_for_bare_errors`.

pub mod api;
pub mod caller;
pub mod extract;
pub mod openapi;
pub mod problem;
pub mod rate_limit;
pub mod state;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use state::AppState;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Request bodies above this are refused with 413.
pub const BODY_LIMIT_BYTES: usize = 1 << 20;
/// Requests taking longer than this are answered with 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    // The pages call the API in-process, without the outer middleware (the
    // page request already passed it).
    let internal_api = Router::new()
        .nest("/api/v1", api::router())
        .with_state(state.clone());
    let pages = crate::web::router(state.clone(), internal_api);
    let api = Router::new()
        .nest("/api/v1", api::router())
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async {
            problem::for_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(state);
    let docs: Router = SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", openapi::ApiDoc::openapi())
        .into();
    api.merge(docs)
        .merge(pages)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let path = req
                .extensions()
                .get::<MatchedPath>()
                .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("request", method = %req.method(), path = %path, request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Unknown addresses: an HTML page for browsers outside the API, a problem
/// document for everything else.
async fn not_found(req: Request) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let path = req.uri().path();
    let api_path = path.starts_with("/api/") || path == "/api";
    if wants_html && !api_path {
        crate::web::page::not_found_page()
    } else {
        problem::for_status(StatusCode::NOT_FOUND)
    }
}

/// Replaces the plain-text or empty bodies of error responses produced outside
/// the handlers (extractor limits, timeouts) with a problem document.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(problem::CONTENT_TYPE) || v.starts_with("text/html"));
    if is_problem {
        resp
    } else {
        problem::for_status(status)
    }
}
