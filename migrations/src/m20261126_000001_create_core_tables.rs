//! The core schema: organizations, people, needs, capabilities, the curation
//! workflow (matches, audit events, agreements, program items), the taxonomy
//! and the change log that the search index follows.
//!
//! Lists (fields, keywords, cooperation modes) are stored as JSON text so the
//! same schema works unchanged on SQLite and PostgreSQL; nothing filters on
//! them in SQL except through the search index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Timestamps with time zone: `timestamptz` on PostgreSQL, ISO text on SQLite.
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("taxonomy_terms")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("kind", 16))
                .col(string_len("code", 32))
                .col(string_len("name_zh", 100))
                .col(string_len("name_en", 100))
                .col(text("related"))
                .col(integer("position"))
                .col(boolean("active"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("taxonomy_terms", &["kind", "code"], true))
            .await?;

        m.create_table(
            Table::create()
                .table("organizations")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("external_id", 64))
                .col(string_len("name", 200))
                .col(string_len("kind", 32))
                .col(string_len_null("tier", 32))
                .col(string_len_null("region", 50))
                .col(boolean_null("above_scale"))
                .col(string_len_null("ownership", 32))
                .col(string_len_null("uscc", 18))
                .col(text("fields"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("organizations", &["kind"], false))
            .await?;
        m.create_index(index("organizations", &["region"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("users")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("username", 64))
                .col(string_len("display_name", 100))
                .col(string_len("role", 32))
                .col(big_integer_null("organization_id"))
                .col(text_null("password_hash"))
                .col(boolean("disabled"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk(
                    "users",
                    "organization_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_tokens")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len("name", 100))
                // SHA-256 of the token: the token itself is shown once and never stored.
                .col(string_len_uniq("token_hash", 64))
                .col(string_len("token_prefix", 16))
                .col(ts("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk(
                    "api_tokens",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("needs")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("external_id", 64))
                .col(big_integer("organization_id"))
                .col(string_len("title", 200))
                .col(text("description"))
                .col(string_len("field", 32))
                .col(text("keywords"))
                .col(text("cooperation"))
                .col(double_null("budget_wan"))
                .col(date_null("deadline"))
                .col(boolean("confidential"))
                .col(string_len("status", 16))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(
                    "needs",
                    "organization_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        for cols in [&["organization_id"][..], &["field"], &["status"]] {
            m.create_index(index("needs", cols, false)).await?;
        }

        m.create_table(
            Table::create()
                .table("capabilities")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("external_id", 64))
                .col(big_integer("organization_id"))
                .col(string_len_null("researcher", 100))
                .col(big_integer_null("owner_user_id"))
                .col(string_len("title", 200))
                .col(text("description"))
                .col(string_len("field", 32))
                .col(text("keywords"))
                .col(text("cooperation"))
                .col(small_integer_null("maturity"))
                .col(string_len("status", 16))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(
                    "capabilities",
                    "organization_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "capabilities",
                    "owner_user_id",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        for cols in [&["organization_id"][..], &["field"], &["status"]] {
            m.create_index(index("capabilities", cols, false)).await?;
        }

        m.create_table(
            Table::create()
                .table("program_items")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("kind", 32))
                .col(string_len_uniq("code", 32))
                .col(string_len("title", 200))
                .col(string_len_null("field", 32))
                .col(big_integer_null("lead_org_id"))
                .col(string_len("status", 16))
                .col(text_null("target"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk(
                    "program_items",
                    "lead_org_id",
                    "organizations",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("matches")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("need_id"))
                .col(big_integer("capability_id"))
                .col(double("score"))
                .col(string_len("state", 16))
                .col(string_len("origin", 16))
                .col(big_integer_null("program_item_id"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(
                    "matches",
                    "need_id",
                    "needs",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "matches",
                    "capability_id",
                    "capabilities",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "matches",
                    "program_item_id",
                    "program_items",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("matches", &["need_id", "capability_id"], true))
            .await?;
        m.create_index(index("matches", &["state"], false)).await?;

        // Append-only audit trail of match transitions.
        m.create_table(
            Table::create()
                .table("match_events")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("match_id"))
                .col(big_integer_null("actor_user_id"))
                .col(ts("at"))
                .col(string_len_null("from_state", 16))
                .col(string_len("to_state", 16))
                .col(text_null("note"))
                .foreign_key(&mut fk(
                    "match_events",
                    "match_id",
                    "matches",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "match_events",
                    "actor_user_id",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("match_events", &["match_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("agreements")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer_null("match_id"))
                .col(string_len("contract_type", 32))
                .col(big_integer("party_a_org_id"))
                .col(big_integer("party_b_org_id"))
                .col(double_null("amount_wan"))
                .col(date_null("signing_date"))
                .col(date_null("term_start"))
                .col(date_null("term_end"))
                .col(string_len_null("registration_no", 32))
                .col(big_integer_null("program_item_id"))
                .col(string_len("status", 16))
                .col(big_integer_null("created_by"))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(integer("version"))
                .foreign_key(&mut fk(
                    "agreements",
                    "match_id",
                    "matches",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "agreements",
                    "party_a_org_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "agreements",
                    "party_b_org_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "agreements",
                    "program_item_id",
                    "program_items",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "agreements",
                    "created_by",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("agreements", &["registration_no"], true))
            .await?;

        // The outbox the search indexer follows: one row per change of a need or
        // capability, written in the same transaction as the change itself.
        m.create_table(
            Table::create()
                .table("change_log")
                .if_not_exists()
                .col(big_pk_auto("seq"))
                .col(string_len("entity", 16))
                .col(string_len("external_id", 64))
                .col(string_len("op", 16))
                .col(integer("version"))
                .col(ts("changed_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "change_log",
            "agreements",
            "match_events",
            "matches",
            "program_items",
            "capabilities",
            "needs",
            "api_tokens",
            "users",
            "organizations",
            "taxonomy_terms",
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
