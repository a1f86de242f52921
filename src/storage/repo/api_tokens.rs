//! API tokens: stored as SHA-256 of the token, shown to their owner once.

use crate::storage::entities::api_token::{self, Column, Entity as Token, Model};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};

/// `last_used_at` is written at most this often per token, so a busy API
/// client does not turn every read into a write.
pub const TOUCH_EVERY: Duration = Duration::seconds(60);

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub token_prefix: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    t: NewToken<'_>,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    api_token::ActiveModel {
        user_id: Set(t.user_id),
        name: Set(t.name.to_owned()),
        token_hash: Set(t.token_hash.to_owned()),
        token_prefix: Set(t.token_prefix.to_owned()),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(t.expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<Model>, DbErr> {
    Token::find()
        .filter(Column::TokenHash.eq(hash))
        .one(db)
        .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Token::find_by_id(id).one(db).await
}

/// A user's tokens, newest first (revoked and expired ones included).
pub async fn for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<Model>, DbErr> {
    Token::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_desc(Column::Id)
        .all(db)
        .await
}

/// Revokes a token; revoking a revoked token changes nothing. Returns
/// whether the token exists.
pub async fn revoke(db: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    if Token::find_by_id(id).one(db).await?.is_none() {
        return Ok(false);
    }
    Token::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(true)
}

/// Whether the token is usable at `now`.
pub fn is_active(t: &Model, now: DateTime<Utc>) -> bool {
    t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now)
}

/// Records a use of the token (at most every [`TOUCH_EVERY`]).
pub async fn touch(db: &impl ConnectionTrait, t: &Model, now: DateTime<Utc>) -> Result<(), DbErr> {
    if t.last_used_at.is_some_and(|l| now - l < TOUCH_EVERY) {
        return Ok(());
    }
    let mut a: api_token::ActiveModel = t.clone().into();
    a.last_used_at = Set(Some(now));
    a.update(db).await?;
    Ok(())
}
