//! Shared state of the HTTP handlers.

use crate::domain::Taxonomy;
use crate::search::SearchService;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    /// Already a cloneable pool: not wrapped in `Arc`.
    pub db: DatabaseConnection,
    pub taxonomy: Arc<Taxonomy>,
    pub search: SearchService,
    /// Webhook subscriptions may target internal addresses
    /// (`WebhookConfig::allow_private_targets`).
    pub webhook_allow_private: bool,
}
