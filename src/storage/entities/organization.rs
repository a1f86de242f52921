//! Table `organizations` (schema: migrations/src/m20261126_000001_create_core_tables.rs).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub external_id: String,
    pub name: String,
    pub kind: String,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub above_scale: Option<bool>,
    pub ownership: Option<String>,
    pub uscc: Option<String>,
    /// JSON array of field codes.
    pub fields: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
