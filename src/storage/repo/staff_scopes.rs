//! The cities and fields a program staff member curates (`staff_scopes`).
//! No rows of a kind means no limit in that dimension.

use crate::domain::permissions::StaffScope;
use crate::storage::entities::staff_scope::{self, Column, Entity};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

pub const KIND_CITY: &str = "city";
pub const KIND_FIELD: &str = "field";

/// The scope of one user (unlimited when they have no rows).
pub async fn load(db: &impl ConnectionTrait, user_id: i64) -> Result<StaffScope, DbErr> {
    let rows = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?;
    Ok(from_rows(rows))
}

fn from_rows(rows: Vec<staff_scope::Model>) -> StaffScope {
    let mut scope = StaffScope::unlimited();
    for r in rows {
        match r.kind.as_str() {
            KIND_CITY => scope.regions.push(r.value),
            KIND_FIELD => scope.fields.push(r.value),
            _ => {}
        }
    }
    scope
}

/// Scopes of many users at once (for listings), by user id.
pub async fn load_many(
    db: &impl ConnectionTrait,
    user_ids: impl IntoIterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, StaffScope>, DbErr> {
    let ids: Vec<i64> = user_ids.into_iter().collect();
    let mut by_user: std::collections::HashMap<i64, Vec<staff_scope::Model>> = Default::default();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    for r in Entity::find()
        .filter(Column::UserId.is_in(ids))
        .order_by_asc(Column::Id)
        .all(db)
        .await?
    {
        by_user.entry(r.user_id).or_default().push(r);
    }
    Ok(by_user
        .into_iter()
        .map(|(k, v)| (k, from_rows(v)))
        .collect())
}

/// Replace a user's scope (duplicates are dropped).
pub async fn replace(
    db: &impl ConnectionTrait,
    user_id: i64,
    scope: &StaffScope,
) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<staff_scope::ActiveModel> = scope
        .regions
        .iter()
        .map(|v| (KIND_CITY, v))
        .chain(scope.fields.iter().map(|v| (KIND_FIELD, v)))
        .filter(|(k, v)| seen.insert((*k, v.as_str())))
        .map(|(k, v)| staff_scope::ActiveModel {
            user_id: Set(user_id),
            kind: Set(k.to_owned()),
            value: Set(v.clone()),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}
