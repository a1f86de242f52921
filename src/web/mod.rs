//! 网页界面 · The web pages: server-rendered, in Simplified Chinese, from the
//! askama templates in `templates/`.
//!
//! Pages are a client of the JSON API in the same process (`client::Api`):
//! what a viewer may read or change, validation and confidentiality are
//! decided by the API handlers alone, so a page can never show more than the
//! API would. Forms post `application/x-www-form-urlencoded` with a
//! `csrf_token` field (the session's token, or for visitors a random token
//! in the `duijie_csrf` cookie), checked before anything is sent on.

pub mod agreements_pages;
pub mod assets;
pub mod auth_pages;
pub mod capabilities_pages;
pub mod charts;
pub mod client;
pub mod curation_pages;
pub mod dashboard;
pub mod format;
pub mod forms;
pub mod home;
pub mod needs_pages;
pub mod page;
pub mod providers_page;
pub mod search_page;

use crate::http::state::AppState;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

pub use page::{Layout, PageError, PageResult, Viewer, render};

/// What page handlers share: the application state and the API they use.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    /// The API router (`/api/v1/…`), with its state, for in-process calls.
    pub api: Router,
}

/// The pages. `api` is the API router the pages call into.
pub fn router(app: AppState, api: Router) -> Router {
    let state = WebState { app, api };
    Router::new()
        .route("/", get(home::home))
        .route(
            "/login",
            get(auth_pages::login_form).post(auth_pages::login),
        )
        .route("/logout", post(auth_pages::logout))
        .route("/search", get(search_page::search))
        .route("/static/{file}", get(assets::serve))
        .merge(needs_pages::routes())
        .merge(capabilities_pages::routes())
        .merge(providers_page::routes())
        .merge(curation_pages::routes())
        .merge(agreements_pages::routes())
        .merge(dashboard::routes())
        .layer(middleware::from_fn(page::visitor_csrf_cookie))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers every page carries: no framing, no sniffing, no referrer to
/// other sites, and a content policy that allows only this site's own
/// styles and scripts (the pages use no inline script).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'self'",
    );
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
