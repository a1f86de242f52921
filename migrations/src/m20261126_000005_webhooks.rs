//! Webhooks: subscriptions, the transactional outbox and the delivery log.
//!
//! - `webhook_subscriptions`: who wants which events at which URL.
//!   `organization_id` NULL means a staff-wide subscription (every event).
//!   `secret` is a shared secret kept in clear: duijie needs it to sign each
//!   body (HMAC-SHA256), so it cannot be stored hashed.
//! - `webhook_outbox`: one row per event and subscription, written in the
//!   same transaction as the change it reports; the delivery task sends
//!   rows whose `next_attempt_at` has come. `delivered_at` set: done;
//!   both `delivered_at` and `next_attempt_at` NULL: given up (failed).
//! - `webhook_deliveries`: one row per attempt (status code or error, time).

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
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
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
                .table("webhook_subscriptions")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer_null("organization_id"))
                .col(string_len("url", 2048))
                .col(string_len("secret", 256))
                // JSON list of event names.
                .col(text("events"))
                .col(boolean("active").default(true))
                .col(big_integer_null("created_by"))
                .col(ts("created_at"))
                .col(integer("version").default(1))
                .foreign_key(&mut fk(
                    "webhook_subscriptions",
                    "organization_id",
                    "organizations",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("webhook_subscriptions", &["organization_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("webhook_outbox")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("subscription_id"))
                .col(string_len("event", 64))
                .col(text("payload"))
                .col(ts("created_at"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone_null("next_attempt_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(integer_null("last_status"))
                .col(text_null("last_error"))
                .foreign_key(&mut fk(
                    "webhook_outbox",
                    "subscription_id",
                    "webhook_subscriptions",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("webhook_outbox", &["next_attempt_at"]))
            .await?;
        m.create_index(index("webhook_outbox", &["subscription_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("outbox_id"))
                .col(integer("attempt"))
                .col(ts("at"))
                .col(integer_null("status_code"))
                .col(text_null("error"))
                .col(big_integer("duration_ms"))
                .foreign_key(&mut fk("webhook_deliveries", "outbox_id", "webhook_outbox"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("webhook_deliveries", &["outbox_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "webhook_deliveries",
            "webhook_outbox",
            "webhook_subscriptions",
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
