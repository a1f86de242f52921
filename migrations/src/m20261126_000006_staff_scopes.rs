//! Staff scopes: program staff may be limited to some cities (the city of a
//! need's organization) and/or some fields (the need's field code).
//!
//! - `staff_scopes`: one row per user, kind and value. `kind` is `city` or
//!   `field`. A user without rows of a kind is unlimited in that dimension;
//!   without any rows, unlimited. Deleting a user deletes their scopes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("staff_scopes")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len("kind", 16))
                .col(string_len("value", 128))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_staff_scopes_user_id")
                        .from("staff_scopes", "user_id")
                        .to("users", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_staff_scopes_user_id_kind_value")
                .table("staff_scopes")
                .col("user_id")
                .col("kind")
                .col("value")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("staff_scopes").if_exists().to_owned())
            .await
    }
}
