//! The change log (outbox) of needs and capabilities, followed by the search
//! indexer. Rows are appended in the same transaction as the change they record.

use crate::storage::entities::change_log::{self, Entity as ChangeLog};
use crate::storage::is_postgres;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, Statement};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    Need,
    Capability,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Need => "need",
            Self::Capability => "capability",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    pub entity: EntityKind,
    pub external_id: String,
    pub version: i32,
    pub deleted: bool,
}

/// Appends changes. On PostgreSQL a transaction-scoped advisory lock is taken
/// first: sequence numbers are handed out before commit, so without it a
/// follower reading `seq > last_seen` could pass a lower number that commits
/// later and never see it. The lock makes commit order follow `seq` order.
pub async fn append(
    db: &impl ConnectionTrait,
    changes: &[Change],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if changes.is_empty() {
        return Ok(());
    }
    if is_postgres(db) {
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            // language=PostgreSQL
            "SELECT pg_advisory_xact_lock(7130518)",
        ))
        .await?;
    }
    let rows = changes.iter().map(|c| change_log::ActiveModel {
        entity: Set(c.entity.as_str().to_owned()),
        external_id: Set(c.external_id.clone()),
        op: Set(if c.deleted { "delete" } else { "upsert" }.to_owned()),
        version: Set(c.version),
        changed_at: Set(at),
        ..Default::default()
    });
    ChangeLog::insert_many(rows).exec(db).await?;
    Ok(())
}
