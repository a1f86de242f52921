//! Schema migrations of duijie, applied by `duijie migrate` and at `duijie serve` start.
//!
//! Never edit a migration that has been released: add a new one. sea-orm keeps no
//! checksums, so nothing would notice an edited file on a database that already ran it.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_core_tables;
mod m20261126_000002_accounts;
mod m20261126_000003_curation;
mod m20261126_000004_kpis;
mod m20261126_000005_webhooks;
mod m20261126_000006_staff_scopes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_core_tables::Migration),
            Box::new(m20261126_000002_accounts::Migration),
            Box::new(m20261126_000003_curation::Migration),
            Box::new(m20261126_000004_kpis::Migration),
            Box::new(m20261126_000005_webhooks::Migration),
            Box::new(m20261126_000006_staff_scopes::Migration),
        ]
    }
}
