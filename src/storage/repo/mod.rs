//! Queries and writes. Functions take `&impl ConnectionTrait` so a caller can
//! run several of them in one transaction.

pub mod agreements;
pub mod api_tokens;
pub mod capabilities;
pub mod change_log;
pub mod login_attempts;
pub mod matches;
pub mod needs;
pub mod organizations;
pub mod program_items;
pub mod sessions;
pub mod staff_scopes;
pub mod taxonomy;
pub mod users;
pub mod webhooks;

/// What an upsert did to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Inserted,
    Updated,
    Unchanged,
}

/// A page request, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
}

impl Page {
    pub fn offset(self) -> u64 {
        self.page.saturating_sub(1).saturating_mul(self.per_page)
    }
}

/// One page of results and the total count over all pages.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// What an edit guarded by a version (optimistic concurrency) did.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit<T> {
    /// Saved (or already as requested): the record as it now is.
    Saved(T),
    /// The record changed since the caller read it: nothing was written; the
    /// record as it now is.
    Conflict(T),
    /// No such record.
    Missing,
}

/// Whether a write failed on a unique constraint (e.g. a generated external
/// id that already exists).
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
