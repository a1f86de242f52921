//! Users and their API tokens.

use crate::domain::Role;
use crate::storage::entities::user::{self, Column, Entity as User, Model};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
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

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    User::find_by_id(id).one(db).await
}

/// Every user, in creation order.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Model>, DbErr> {
    User::find().order_by_asc(Column::Id).all(db).await
}

/// Disables or re-enables an account. A disabled account cannot sign in and
/// its sessions and tokens stop working at once. Returns whether it exists.
pub async fn set_disabled(
    db: &impl ConnectionTrait,
    id: i64,
    disabled: bool,
) -> Result<bool, DbErr> {
    let r = User::update_many()
        .col_expr(Column::Disabled, sea_orm::sea_query::Expr::value(disabled))
        .col_expr(
            Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Users by id (e.g. the actors of an audit history).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, Model>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(User::find()
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}
