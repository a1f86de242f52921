//! JSON API under `/api/v1`. Each module owns its routes; handlers only
//! translate between HTTP and the domain/storage layers.

pub mod agreements;
pub mod alliances;
pub mod auth;
pub mod capabilities;
pub mod curation;
pub mod exports;
pub mod health;
pub mod kpis;
pub mod matches;
pub mod needs;
pub mod organizations;
pub mod program_items;
pub mod search;
pub mod taxonomy;
pub mod views;
pub mod webhooks;
pub mod writes;

use super::problem::ApiError;
use super::state::AppState;
use crate::domain::{FieldError, TermKind};
use crate::storage::repo::Page;
use axum::Router;
use serde::Serialize;

pub const DEFAULT_PER_PAGE: u64 = 20;
pub const MAX_PER_PAGE: u64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(organizations::router())
        .merge(needs::router())
        .merge(capabilities::router())
        .merge(taxonomy::router())
        .merge(search::router())
        .merge(matches::router())
        .merge(auth::router())
        .merge(curation::router())
        .merge(agreements::router())
        .merge(program_items::router())
        .merge(exports::router())
        .merge(webhooks::router())
        .merge(alliances::router())
        .merge(kpis::router())
}

/// One page of a list.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PageOf<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    /// Number of items over all pages.
    pub total: u64,
}

/// Validates paging parameters; collects errors into `errors`.
pub(crate) fn paging(
    page: Option<u64>,
    per_page: Option<u64>,
    errors: &mut Vec<FieldError>,
) -> Page {
    let page_no = page.unwrap_or(1);
    if page_no == 0 || page_no > 100_000 {
        errors.push(FieldError::new(
            "page",
            "out_of_range",
            "页码应在 1 到 100000 之间",
            "page must be between 1 and 100000",
        ));
    }
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        errors.push(FieldError::new(
            "per_page",
            "out_of_range",
            format!("每页条数应在 1 到 {MAX_PER_PAGE} 之间"),
            format!("per_page must be between 1 and {MAX_PER_PAGE}"),
        ));
    }
    Page {
        page: page_no.max(1),
        per_page: per_page.clamp(1, MAX_PER_PAGE),
    }
}

/// Checks an optional taxonomy code filter.
pub(crate) fn code_filter(
    state: &AppState,
    kind: TermKind,
    name: &str,
    value: Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = value.filter(|v| !v.trim().is_empty())?;
    match state.taxonomy.current().check(kind, name, &v) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// Checks an optional filter against a closed set of codes.
pub(crate) fn enum_filter<T>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = value.filter(|v| !v.trim().is_empty())?;
    parse(&v).map_err(|e| errors.push(e)).ok()
}

pub(crate) fn finish_filters(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::bad_query(errors))
    }
}

/// A plain optional string filter; empty means absent.
pub(crate) fn text_filter(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}
