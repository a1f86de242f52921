//! Table `webhook_subscriptions` (schema: migrations/src/m20261126_000005_webhooks.rs).
//! `secret` is a shared secret kept in clear (needed to sign each delivery).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// NULL: a staff-wide subscription.
    pub organization_id: Option<i64>,
    pub url: String,
    pub secret: String,
    /// JSON list of event names.
    #[sea_orm(column_type = "Text")]
    pub events: String,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
