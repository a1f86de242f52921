//! Table `agreements` (schema: migrations/src/m20261126_000001_create_core_tables.rs).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agreements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub match_id: Option<i64>,
    pub contract_type: String,
    pub party_a_org_id: i64,
    pub party_b_org_id: i64,
    #[sea_orm(column_type = "Double", nullable)]
    pub amount_wan: Option<f64>,
    pub signing_date: Option<Date>,
    pub term_start: Option<Date>,
    pub term_end: Option<Date>,
    pub registration_no: Option<String>,
    pub program_item_id: Option<i64>,
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
