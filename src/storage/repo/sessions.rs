//! Browser sessions: the cookie holds a random secret, the table its SHA-256.
//!
//! A session ends after [`IDLE`] without requests and at the latest [`MAX_AGE`]
//! after sign-in.

use crate::storage::entities::session::{self, Column, Entity as Session, Model};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

/// A session unused this long has expired.
pub const IDLE: Duration = Duration::hours(24);
/// No session lives longer than this.
pub const MAX_AGE: Duration = Duration::days(7);
/// `last_seen_at` (and the idle deadline) is written at most this often.
pub const TOUCH_EVERY: Duration = Duration::minutes(5);

fn deadline(created_at: DateTime<Utc>, seen: DateTime<Utc>) -> DateTime<Utc> {
    (seen + IDLE).min(created_at + MAX_AGE)
}

pub async fn create(
    db: &impl ConnectionTrait,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    session::ActiveModel {
        id: Set(id_hash.to_owned()),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.to_owned()),
        created_at: Set(now),
        expires_at: Set(deadline(now, now)),
        last_seen_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn by_id(db: &impl ConnectionTrait, id_hash: &str) -> Result<Option<Model>, DbErr> {
    Session::find_by_id(id_hash.to_owned()).one(db).await
}

/// Records activity: moves the idle deadline (at most every [`TOUCH_EVERY`]).
pub async fn touch(db: &impl ConnectionTrait, s: &Model, now: DateTime<Utc>) -> Result<(), DbErr> {
    if now - s.last_seen_at < TOUCH_EVERY {
        return Ok(());
    }
    let mut a: session::ActiveModel = s.clone().into();
    a.last_seen_at = Set(now);
    a.expires_at = Set(deadline(s.created_at, now));
    a.update(db).await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), DbErr> {
    Session::delete_by_id(id_hash.to_owned()).exec(db).await?;
    Ok(())
}

/// Deletes expired sessions; returns how many.
pub async fn delete_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Session::delete_many()
        .filter(Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
