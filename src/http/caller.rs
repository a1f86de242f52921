//! Who is calling. Every read handler takes a `Caller` and passes its
//! visibility to the storage layer, so adding authentication later changes
//! this one extractor, not the handlers.
//!
//! Sign-in (sessions and API tokens) is built by the accounts issue; until a
//! request carries valid credentials it is anonymous, and anonymous callers see
//! only published, non-confidential records.

use super::problem::ApiError;
use super::state::AppState;
use crate::domain::access::Caller;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

pub struct CallerOf(pub Caller);

impl FromRequestParts<AppState> for CallerOf {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        Ok(CallerOf(Caller::Anonymous))
    }
}
