//! Organizations: upsert by external id, lookups and filtered lists.

use super::{Outcome, Page, Paged};
use crate::domain::Organization;
use crate::storage::entities::organization::{self, Column, Entity as Org, Model};
use crate::storage::lists;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// The stored, comparable form of an organization (everything but ids and
/// timestamps): equal rows mean an import line changes nothing.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    name: String,
    kind: String,
    tier: Option<String>,
    region: Option<String>,
    above_scale: Option<bool>,
    ownership: Option<String>,
    uscc: Option<String>,
    fields: String,
}

impl Row {
    fn of(o: &Organization) -> Self {
        Self {
            name: o.name.clone(),
            kind: o.kind.as_str().to_owned(),
            tier: o.tier.clone(),
            region: o.region.clone(),
            above_scale: o.above_scale,
            ownership: o.ownership.map(|x| x.as_str().to_owned()),
            uscc: o.uscc.as_ref().map(|u| u.as_str().to_owned()),
            fields: lists::encode(&o.fields),
        }
    }

    fn stored(m: &Model) -> Self {
        Self {
            name: m.name.clone(),
            kind: m.kind.clone(),
            tier: m.tier.clone(),
            region: m.region.clone(),
            above_scale: m.above_scale,
            ownership: m.ownership.clone(),
            uscc: m.uscc.clone(),
            fields: m.fields.clone(),
        }
    }

    fn write_into(self, a: &mut organization::ActiveModel) {
        a.name = Set(self.name);
        a.kind = Set(self.kind);
        a.tier = Set(self.tier);
        a.region = Set(self.region);
        a.above_scale = Set(self.above_scale);
        a.ownership = Set(self.ownership);
        a.uscc = Set(self.uscc);
        a.fields = Set(self.fields);
    }
}

/// Inserts or updates organizations by external id. The slice must not hold
/// the same external id twice (the importer flushes before a repeat).
pub async fn upsert_batch(
    db: &impl ConnectionTrait,
    orgs: &[Organization],
    now: DateTime<Utc>,
) -> Result<Vec<Outcome>, DbErr> {
    let ids: Vec<&str> = orgs.iter().map(|o| o.external_id.as_str()).collect();
    let existing: HashMap<String, Model> = Org::find()
        .filter(Column::ExternalId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.external_id.clone(), m))
        .collect();
    let mut outcomes = Vec::with_capacity(orgs.len());
    let mut inserts = Vec::new();
    for o in orgs {
        let row = Row::of(o);
        match existing.get(o.external_id.as_str()) {
            Some(m) if Row::stored(m) == row => outcomes.push(Outcome::Unchanged),
            Some(m) => {
                let mut a = m.clone().into_active_model();
                row.write_into(&mut a);
                a.updated_at = Set(now);
                a.update(db).await?;
                outcomes.push(Outcome::Updated);
            }
            None => {
                let mut a = organization::ActiveModel {
                    external_id: Set(o.external_id.as_str().to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                row.write_into(&mut a);
                inserts.push(a);
                outcomes.push(Outcome::Inserted);
            }
        }
    }
    Org::insert_many(inserts).exec(db).await?;
    Ok(outcomes)
}

/// Internal ids of the given external ids (absent ones are left out).
pub async fn ids_by_external(
    db: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, i64>, DbErr> {
    if external_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = Org::find()
        .select_only()
        .column(Column::Id)
        .column(Column::ExternalId)
        .filter(Column::ExternalId.is_in(external_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, ext)| (ext, id)).collect())
}

/// Organizations by internal id (for decorating lists of needs/capabilities).
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Model>, DbErr> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(Org::find()
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

pub async fn get(db: &impl ConnectionTrait, external_id: &str) -> Result<Option<Model>, DbErr> {
    Org::find()
        .filter(Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    /// A field code; matches organizations listing it among their fields.
    pub field: Option<String>,
    pub above_scale: Option<bool>,
}

/// A LIKE pattern matching a JSON list element exactly.
pub(crate) fn json_list_contains(column: impl ColumnTrait, code: &str) -> sea_orm::sea_query::Expr {
    let escaped = code
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    column.like(LikeExpr::new(format!("%\"{escaped}\"%")).escape('\\'))
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: &Filter,
    page: Page,
) -> Result<Paged<Model>, DbErr> {
    let mut cond = Condition::all();
    if let Some(k) = &f.kind {
        cond = cond.add(Column::Kind.eq(k.as_str()));
    }
    if let Some(r) = &f.region {
        cond = cond.add(Column::Region.eq(r.as_str()));
    }
    if let Some(t) = &f.tier {
        cond = cond.add(Column::Tier.eq(t.as_str()));
    }
    if let Some(field) = &f.field {
        cond = cond.add(json_list_contains(Column::Fields, field));
    }
    if let Some(a) = f.above_scale {
        cond = cond.add(Column::AboveScale.eq(a));
    }
    let q = Org::find().filter(cond);
    let total = q.clone().count(db).await?;
    let items = q
        .order_by_asc(Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// Up to `limit` organizations with an id above `after`, in id order (export).
pub async fn chunk_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    Org::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
