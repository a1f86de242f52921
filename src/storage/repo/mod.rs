//! Queries and writes. Functions take `&impl ConnectionTrait` so a caller can
//! run several of them in one transaction.

pub mod capabilities;
pub mod change_log;
pub mod needs;
pub mod organizations;
pub mod taxonomy;
pub mod users;

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
