//! The database: connection, migrations and the queries the service runs.
//!
//! | module | holds |
//! | --- | --- |
//! | `entities` | one sea-orm entity per table, mirroring `migrations/` |
//! | `repo` | queries and writes, generic over `ConnectionTrait` so that a use case can pass a transaction |
//!
//! SQLite (the embedded default) runs in WAL mode with foreign keys on;
//! PostgreSQL is the production system of record. Both run the same migrations.

pub mod entities;
pub mod lists;
pub mod repo;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use std::time::Duration;

pub use sea_orm::DatabaseConnection as Db;

/// Opens a pool for `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, None).await
}

/// A pool of exactly one connection, for work that sets per-connection state
/// (SQLite pragmas) and must see it on every statement.
pub async fn connect_single(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_with(url, Some(1)).await
}

async fn connect_with(
    url: &str,
    max_connections: Option<u32>,
) -> anyhow::Result<DatabaseConnection> {
    let mut opt = ConnectOptions::new(url.to_owned());
    opt.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(5));
    if url.starts_with("sqlite:") {
        // An in-memory database exists per connection: one connection only.
        if url.contains(":memory:") || url.contains("mode=memory") {
            opt.max_connections(1);
        } else {
            opt.max_connections(8);
        }
        opt.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        });
        // A connection handed back while still inside a transaction (a COMMIT
        // or ROLLBACK that failed, e.g. on a full disk) would keep the write
        // lock and block every later write: close it instead of reusing it.
        opt.map_sqlx_sqlite_pool_opts(|p| {
            p.after_release(|conn, _meta| {
                Box::pin(async move {
                    use sea_orm::sqlx::Connection as _;
                    let in_transaction = conn.is_in_transaction();
                    if in_transaction {
                        tracing::warn!("SQLite connection released inside a transaction: closed");
                    }
                    Ok(!in_transaction)
                })
            })
        });
    } else {
        opt.max_connections(16);
    }
    if let Some(n) = max_connections {
        opt.max_connections(n).min_connections(n);
    }
    Database::connect(opt).await.with_context(|| {
        format!(
            "无法连接数据库 / cannot connect to the database at {}",
            redact(url)
        )
    })
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("数据库迁移失败 / applying migrations failed")
}

/// Serializes schema work (migrations, seeding the taxonomy) between
/// processes: replicas started together on one PostgreSQL database would
/// otherwise apply the same migration at once, and all but one fail to start
/// (`duplicate key value violates unique constraint`). Holds a
/// transaction-scoped advisory lock on one connection of the pool until the
/// returned transaction is committed or dropped; the schema work runs on the
/// pool's other connections meanwhile. `None` on SQLite (one process).
pub async fn schema_lock(
    db: &DatabaseConnection,
) -> anyhow::Result<Option<sea_orm::DatabaseTransaction>> {
    use sea_orm::{ConnectionTrait, Statement};
    if !is_postgres(db) {
        return Ok(None);
    }
    let txn = crate::storage::begin_write(db).await?;
    txn.execute_raw(Statement::from_string(
        DbBackend::Postgres,
        // language=PostgreSQL
        "SELECT pg_advisory_xact_lock(7130519)",
    ))
    .await
    .context("cannot take the schema lock")?;
    Ok(Some(txn))
}

pub fn is_postgres(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The URL with any password replaced, for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at `BEGIN` (IMMEDIATE), so that waiting for another writer goes through
/// the busy timeout; a deferred transaction that reads first and writes
/// later fails at once with "database is locked" when another connection
/// wrote in between. Elsewhere it is a plain `BEGIN`.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://data/duijie.db"), "sqlite://data/duijie.db");
    }
}
