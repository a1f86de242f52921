//! Reads and writes of targets, industry clusters and alliances. Functions
//! take `&impl ConnectionTrait` so callers can compose them in a transaction.

use super::entities::{alliance, alliance_member, industry_cluster, program_target};
use crate::storage::lists;
use crate::storage::repo::Edit;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use std::collections::HashMap;

/// Every target, by metric code.
pub async fn targets(db: &impl ConnectionTrait) -> Result<Vec<program_target::Model>, DbErr> {
    program_target::Entity::find()
        .order_by_asc(program_target::Column::Id)
        .all(db)
        .await
}

pub async fn target_map(db: &impl ConnectionTrait) -> Result<HashMap<String, f64>, DbErr> {
    Ok(targets(db)
        .await?
        .into_iter()
        .map(|t| (t.metric, t.target))
        .collect())
}

/// Sets a target (and optionally its labels); `None` when the metric is unknown.
pub async fn set_target(
    db: &impl ConnectionTrait,
    metric: &str,
    target: f64,
    label_zh: Option<String>,
    label_en: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<program_target::Model>, DbErr> {
    let Some(current) = program_target::Entity::find()
        .filter(program_target::Column::Metric.eq(metric))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut a: program_target::ActiveModel = current.into();
    a.target = Set(target);
    if let Some(l) = label_zh {
        a.label_zh = Set(l);
    }
    if let Some(l) = label_en {
        a.label_en = Set(l);
    }
    a.updated_at = Set(now);
    a.update(db).await.map(Some)
}

/// The industry clusters in display order.
pub async fn clusters(db: &impl ConnectionTrait) -> Result<Vec<industry_cluster::Model>, DbErr> {
    industry_cluster::Entity::find()
        .order_by_asc(industry_cluster::Column::Position)
        .order_by_asc(industry_cluster::Column::Id)
        .all(db)
        .await
}

pub async fn alliances(db: &impl ConnectionTrait) -> Result<Vec<alliance::Model>, DbErr> {
    alliance::Entity::find()
        .order_by_asc(alliance::Column::Code)
        .all(db)
        .await
}

pub async fn alliance(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<alliance::Model>, DbErr> {
    alliance::Entity::find()
        .filter(alliance::Column::Code.eq(code))
        .one(db)
        .await
}

/// Members (organization ids) of each alliance, by alliance id.
pub async fn members(
    db: &impl ConnectionTrait,
    alliance_ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let ids: Vec<i64> = alliance_ids.into_iter().collect();
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for m in alliance_member::Entity::find()
        .filter(alliance_member::Column::AllianceId.is_in(ids))
        .order_by_asc(alliance_member::Column::Id)
        .all(db)
        .await?
    {
        out.entry(m.alliance_id)
            .or_default()
            .push(m.organization_id);
    }
    Ok(out)
}

/// Inserts an alliance; a taken code fails with a unique violation.
pub async fn create_alliance(
    db: &impl ConnectionTrait,
    code: &str,
    name: &str,
    clusters: &[String],
    now: DateTime<Utc>,
) -> Result<alliance::Model, DbErr> {
    alliance::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        clusters: Set(lists::encode(clusters)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Replaces name and clusters if the alliance is still at `expected_version`.
pub async fn update_alliance(
    db: &impl ConnectionTrait,
    code: &str,
    expected_version: i32,
    name: &str,
    clusters: &[String],
    now: DateTime<Utc>,
) -> Result<Edit<alliance::Model>, DbErr> {
    let done = alliance::Entity::update_many()
        .col_expr(alliance::Column::Name, Expr::value(name))
        .col_expr(
            alliance::Column::Clusters,
            Expr::value(lists::encode(clusters)),
        )
        .col_expr(alliance::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            alliance::Column::Version,
            Expr::col(alliance::Column::Version).add(1),
        )
        .filter(alliance::Column::Code.eq(code))
        .filter(alliance::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    let current = alliance(db, code).await?;
    Ok(match (done.rows_affected, current) {
        (_, None) => Edit::Missing,
        (0, Some(c)) => Edit::Conflict(c),
        (_, Some(c)) => Edit::Saved(c),
    })
}

/// Adds a member; returns whether it was new.
pub async fn add_member(
    db: &impl ConnectionTrait,
    alliance_id: i64,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let exists = alliance_member::Entity::find()
        .filter(alliance_member::Column::AllianceId.eq(alliance_id))
        .filter(alliance_member::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    let r = alliance_member::ActiveModel {
        alliance_id: Set(alliance_id),
        organization_id: Set(organization_id),
        added_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match r {
        Ok(_) => Ok(true),
        // A concurrent add of the same pair.
        Err(e) if crate::storage::repo::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes a member; returns whether there was one.
pub async fn remove_member(
    db: &impl ConnectionTrait,
    alliance_id: i64,
    organization_id: i64,
) -> Result<bool, DbErr> {
    let r = alliance_member::Entity::delete_many()
        .filter(alliance_member::Column::AllianceId.eq(alliance_id))
        .filter(alliance_member::Column::OrganizationId.eq(organization_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
