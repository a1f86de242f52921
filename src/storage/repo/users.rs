//! Users and their API tokens.

use crate::domain::Role;
use crate::storage::entities::user::{self, Column, Entity as User, Model};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub organization_id: Option<i64>,
    /// An argon2 PHC string, never a password.
    pub password_hash: Option<String>,
}

pub async fn create(db: &impl ConnectionTrait, u: NewUser<'_>) -> Result<Model, DbErr> {
    let now = Utc::now();
    user::ActiveModel {
        username: Set(u.username.to_owned()),
        display_name: Set(u.display_name.to_owned()),
        role: Set(u.role.as_str().to_owned()),
        organization_id: Set(u.organization_id),
        password_hash: Set(u.password_hash),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<Model>, DbErr> {
    User::find()
        .filter(Column::Username.eq(username))
        .one(db)
        .await
}
