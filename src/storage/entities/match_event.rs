//! Table `match_events` (schema: migrations/src/m20261126_000001_create_core_tables.rs,
//! m20261126_000003_curation.rs). Append-only: the database refuses UPDATE and
//! DELETE, and no code path tries either.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub match_id: i64,
    pub actor_user_id: Option<i64>,
    pub at: DateTimeUtc,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
    /// `created`, `transition` or `interest` (migration 3).
    pub kind: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
