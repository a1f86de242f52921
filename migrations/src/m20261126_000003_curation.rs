//! The curation workflow and agreements:
//!
//! - `matches.state_since`: when the match entered its current state (the
//!   staff queue sorts by it: days waiting);
//! - `match_events.kind`: `created`, `transition` or `interest`;
//! - `interests`: a party's request for an introduction (one per match, side
//!   and organization);
//! - `agreement_events`: the audit trail of agreement status changes;
//! - `program_items.version`: optimistic concurrency for edits;
//! - triggers making `match_events` and `agreement_events` append-only on
//!   both SQLite and PostgreSQL: any UPDATE or DELETE (including a cascade
//!   from a deleted match or a `SET NULL` from a deleted user) is refused by
//!   the database itself, whatever code runs against it. Matches with history
//!   and users who acted on one are therefore never deleted (disable users
//!   instead).

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ts(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .take()
}

fn index(table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", cols.join("_")))
        .table(table)
        .if_not_exists();
    for c in cols {
        stmt.col(*c);
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}

/// Append-only tables.
const APPEND_ONLY: &[&str] = &["match_events", "agreement_events"];

fn sqlite_triggers(table: &str) -> [String; 2] {
    [
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} \
             BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END"
        ),
        format!(
            "CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} \
             BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END"
        ),
    ]
}

const PG_FUNCTION: &str = "CREATE OR REPLACE FUNCTION duijie_refuse_change() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP \
     USING ERRCODE = 'insufficient_privilege'; \
     END; $$;";

fn pg_triggers(table: &str) -> [String; 4] {
    [
        format!("DROP TRIGGER IF EXISTS {table}_append_only ON {table}"),
        format!(
            "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION duijie_refuse_change()"
        ),
        format!("DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"),
        format!(
            "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION duijie_refuse_change()"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.alter_table(
            Table::alter()
                .table("matches")
                .add_column(timestamp_with_time_zone_null("state_since"))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("UPDATE matches SET state_since = updated_at")
            .await?;
        m.create_index(index("matches", &["state", "state_since"], false))
            .await?;

        m.alter_table(
            Table::alter()
                .table("match_events")
                .add_column(string_len("kind", 16).default("transition"))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("UPDATE match_events SET kind = 'created' WHERE from_state IS NULL")
            .await?;

        m.alter_table(
            Table::alter()
                .table("program_items")
                .add_column(integer("version").default(1))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("interests")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("match_id"))
                // `need` (the enterprise asks) or `capability` (the institution asks).
                .col(string_len("side", 16))
                .col(big_integer("organization_id"))
                .col(big_integer_null("user_id"))
                .col(text_null("note"))
                .col(ts("created_at"))
                .foreign_key(&mut fk(
                    "interests",
                    "match_id",
                    "matches",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "interests",
                    "organization_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "interests",
                    "user_id",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "interests",
            &["match_id", "side", "organization_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("agreement_events")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("agreement_id"))
                .col(big_integer_null("actor_user_id"))
                .col(ts("at"))
                .col(string_len_null("from_status", 16))
                .col(string_len("to_status", 16))
                .col(text_null("note"))
                .foreign_key(&mut fk(
                    "agreement_events",
                    "agreement_id",
                    "agreements",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "agreement_events",
                    "actor_user_id",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("agreement_events", &["agreement_id"], false))
            .await?;
        m.create_index(index("agreements", &["match_id"], false))
            .await?;
        m.create_index(index("agreements", &["status"], false))
            .await?;

        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(PG_FUNCTION).await?;
                for t in APPEND_ONLY {
                    for stmt in pg_triggers(t) {
                        db.execute_unprepared(&stmt).await?;
                    }
                }
            }
            _ => {
                for t in APPEND_ONLY {
                    for stmt in sqlite_triggers(t) {
                        db.execute_unprepared(&stmt).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                for t in APPEND_ONLY {
                    for trigger in ["append_only", "no_truncate"] {
                        db.execute_unprepared(&format!(
                            "DROP TRIGGER IF EXISTS {t}_{trigger} ON {t}"
                        ))
                        .await?;
                    }
                }
                db.execute_unprepared("DROP FUNCTION IF EXISTS duijie_refuse_change()")
                    .await?;
            }
            _ => {
                for t in APPEND_ONLY {
                    for trigger in ["no_update", "no_delete"] {
                        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {t}_{trigger}"))
                            .await?;
                    }
                }
            }
        }
        for (table, ix) in [
            ("agreements", "ix_agreements_status"),
            ("agreements", "ix_agreements_match_id"),
            ("matches", "ix_matches_state_state_since"),
        ] {
            m.drop_index(Index::drop().name(ix).table(table).if_exists().to_owned())
                .await?;
        }
        for table in ["agreement_events", "interests"] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for (table, col) in [
            ("program_items", "version"),
            ("match_events", "kind"),
            ("matches", "state_since"),
        ] {
            m.alter_table(Table::alter().table(table).drop_column(col).to_owned())
                .await?;
        }
        Ok(())
    }
}
