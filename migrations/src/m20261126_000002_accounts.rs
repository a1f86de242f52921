//! Accounts: browser sessions and the login-attempt log that rate-limits
//! password guessing. (`users` and `api_tokens` are in the core tables.)
//!
//! Login attempts live in the database rather than in process memory so that
//! the limit holds across restarts and across several duijie processes behind
//! one load balancer (PostgreSQL in production); they also leave a trail that
//! an administrator can read after an incident. Rows older than a day are
//! deleted as new attempts come in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ts(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

fn index(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", cols.join("_")))
        .table(table)
        .if_not_exists();
    for c in cols {
        stmt.col(*c);
    }
    stmt.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("sessions")
                .if_not_exists()
                // SHA-256 (hex) of the cookie value: a database dump holds no
                // usable session.
                .col(string_len("id", 64).primary_key())
                .col(big_integer("user_id"))
                .col(string_len("csrf_token", 64))
                .col(ts("created_at"))
                .col(ts("expires_at"))
                .col(ts("last_seen_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_user_id")
                        .from("sessions", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", &["user_id"])).await?;
        m.create_index(index("sessions", &["expires_at"])).await?;

        m.create_table(
            Table::create()
                .table("login_attempts")
                .if_not_exists()
                .col(big_pk_auto("id"))
                // The username as typed (trimmed, lower-cased), whether or not
                // such a user exists.
                .col(string_len("username", 64))
                .col(string_len("client_ip", 45))
                .col(boolean("succeeded"))
                .col(ts("attempted_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("login_attempts", &["username", "attempted_at"]))
            .await?;
        m.create_index(index("login_attempts", &["client_ip", "attempted_at"]))
            .await?;
        m.create_index(index("login_attempts", &["attempted_at"]))
            .await?;

        m.create_index(index("api_tokens", &["user_id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_api_tokens_user_id")
                .table("api_tokens")
                .if_exists()
                .to_owned(),
        )
        .await?;
        for table in ["login_attempts", "sessions"] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
