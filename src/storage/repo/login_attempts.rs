//! The login-attempt log behind the sign-in rate limit (see the accounts
//! migration for why it is a table and not process memory).

use crate::storage::entities::login_attempt::{self, Column, Entity as Attempt};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

/// Whose attempts to count.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Username(&'a str),
    ClientIp(&'a str),
}

pub async fn record(
    db: &impl ConnectionTrait,
    username: &str,
    client_ip: &str,
    succeeded: bool,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    login_attempt::ActiveModel {
        username: Set(username.to_owned()),
        client_ip: Set(client_ip.to_owned()),
        succeeded: Set(succeeded),
        attempted_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Times of the failed attempts by `key` after `since`, oldest first (at
/// most `limit`, the newest ones).
pub async fn failure_times_since(
    db: &impl ConnectionTrait,
    key: Key<'_>,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    let mut times: Vec<DateTime<Utc>> = Attempt::find()
        .select_only()
        .column(Column::AttemptedAt)
        .filter(match key {
            Key::Username(u) => Column::Username.eq(u),
            Key::ClientIp(ip) => Column::ClientIp.eq(ip),
        })
        .filter(Column::Succeeded.eq(false))
        .filter(Column::AttemptedAt.gt(since))
        .order_by_desc(Column::AttemptedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    times.reverse();
    Ok(times)
}

/// Forgets attempts older than `cutoff`.
pub async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(Attempt::delete_many()
        .filter(Column::AttemptedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}
