//! Shared state of the HTTP handlers.

use crate::domain::Taxonomy;
use crate::search::SearchService;
use sea_orm::DatabaseConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The taxonomy in use, replaced as a whole when an admin edits it.
#[derive(Default)]
pub struct TaxonomyCell(RwLock<Arc<Taxonomy>>, AtomicU64);

impl TaxonomyCell {
    pub fn new(t: Taxonomy) -> Self {
        Self(RwLock::new(Arc::new(t)), AtomicU64::new(0))
    }

    /// Counts replacements (part of cache keys of results that depend on
    /// the taxonomy, such as match rankings).
    pub fn generation(&self) -> u64 {
        self.1.load(Ordering::Acquire)
    }

    /// A snapshot: holders keep a consistent taxonomy for their whole request.
    pub fn current(&self) -> Arc<Taxonomy> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    pub fn replace(&self, t: Taxonomy) {
        match self.0.write() {
            Ok(mut g) => *g = Arc::new(t),
            Err(p) => *p.into_inner() = Arc::new(t),
        }
        self.1.fetch_add(1, Ordering::AcqRel);
    }
}

#[derive(Clone)]
pub struct AppState {
    /// Already a cloneable pool: not wrapped in `Arc`.
    pub db: DatabaseConnection,
    pub taxonomy: Arc<TaxonomyCell>,
    pub search: SearchService,
    /// Webhook subscriptions may target internal addresses
    /// (`WebhookConfig::allow_private_targets`).
    pub webhook_allow_private: bool,
    /// Requests per minute per API token (`None`: no limit).
    pub token_limiter: Option<Arc<crate::http::rate_limit::TokenLimiter>>,
}
