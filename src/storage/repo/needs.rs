//! Needs (技术需求): upsert with change-log entries, visibility-aware reads.

use super::change_log::{self, Change, EntityKind};
use super::{Edit, Outcome, Page, Paged};
use crate::domain::access::Visibility;
use crate::domain::{Need, NeedStatus};
use crate::storage::entities::need::{self, Column, Entity as NeedEntity, Model};
use crate::storage::entities::organization;
use crate::storage::lists;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionSession, TransactionTrait,
};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
struct Row {
    organization_id: i64,
    title: String,
    description: String,
    field: String,
    keywords: String,
    cooperation: String,
    budget_wan: Option<f64>,
    deadline: Option<NaiveDate>,
    confidential: bool,
    status: String,
}

impl Row {
    fn of(n: &Need, organization_id: i64) -> Self {
        Self {
            organization_id,
            title: n.posting.title.clone(),
            description: n.posting.description.clone(),
            field: n.posting.field.clone(),
            keywords: lists::encode(&n.posting.keywords),
            cooperation: lists::encode(&n.posting.cooperation),
            budget_wan: n.budget_wan,
            deadline: n.deadline,
            confidential: n.confidential,
            status: n.status.as_str().to_owned(),
        }
    }

    fn stored(m: &Model) -> Self {
        Self {
            organization_id: m.organization_id,
            title: m.title.clone(),
            description: m.description.clone(),
            field: m.field.clone(),
            keywords: m.keywords.clone(),
            cooperation: m.cooperation.clone(),
            budget_wan: m.budget_wan,
            deadline: m.deadline,
            confidential: m.confidential,
            status: m.status.clone(),
        }
    }

    fn write_into(self, a: &mut need::ActiveModel) {
        a.organization_id = Set(self.organization_id);
        a.title = Set(self.title);
        a.description = Set(self.description);
        a.field = Set(self.field);
        a.keywords = Set(self.keywords);
        a.cooperation = Set(self.cooperation);
        a.budget_wan = Set(self.budget_wan);
        a.deadline = Set(self.deadline);
        a.confidential = Set(self.confidential);
        a.status = Set(self.status);
    }
}

/// Inserts or updates needs by external id (`org` resolved to its internal id
/// by the caller) and records each insert or update in the change log.
pub async fn upsert_batch(
    db: &impl ConnectionTrait,
    needs: &[(Need, i64)],
    now: DateTime<Utc>,
) -> Result<Vec<Outcome>, DbErr> {
    let ids: Vec<&str> = needs
        .iter()
        .map(|(n, _)| n.posting.external_id.as_str())
        .collect();
    let existing: HashMap<String, Model> = NeedEntity::find()
        .filter(Column::ExternalId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.external_id.clone(), m))
        .collect();
    let mut outcomes = Vec::with_capacity(needs.len());
    let mut inserts = Vec::new();
    let mut changes = Vec::new();
    for (n, org_id) in needs {
        let row = Row::of(n, *org_id);
        let ext = n.posting.external_id.as_str();
        match existing.get(ext) {
            Some(m) if Row::stored(m) == row => outcomes.push(Outcome::Unchanged),
            Some(m) => {
                let version = m.version + 1;
                let mut a = m.clone().into_active_model();
                row.write_into(&mut a);
                a.updated_at = Set(now);
                a.version = Set(version);
                a.update(db).await?;
                changes.push(Change {
                    entity: EntityKind::Need,
                    external_id: ext.to_owned(),
                    version,
                    deleted: false,
                });
                outcomes.push(Outcome::Updated);
            }
            None => {
                let mut a = need::ActiveModel {
                    external_id: Set(ext.to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                    ..Default::default()
                };
                row.write_into(&mut a);
                inserts.push(a);
                changes.push(Change {
                    entity: EntityKind::Need,
                    external_id: ext.to_owned(),
                    version: 1,
                    deleted: false,
                });
                outcomes.push(Outcome::Inserted);
            }
        }
    }
    NeedEntity::insert_many(inserts).exec(db).await?;
    change_log::append(db, &changes, now).await?;
    Ok(outcomes)
}

/// Inserts one new need (posted through the API) and its change-log row in
/// one transaction.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    n: &Need,
    org_id: i64,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    let ext = n.posting.external_id.as_str();
    let mut a = need::ActiveModel {
        external_id: Set(ext.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    Row::of(n, org_id).write_into(&mut a);
    let m = a.insert(&txn).await?;
    change_log::append(&txn, &[change(ext, 1)], now).await?;
    txn.commit().await?;
    Ok(m)
}

/// Replaces the content of a need (not its organization) if its version is
/// still `expected_version`; the row and its change-log entry are written in
/// one transaction. Content equal to what is stored is not a change.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    external_id: &str,
    expected_version: i32,
    n: &Need,
    now: DateTime<Utc>,
) -> Result<Edit<Model>, DbErr> {
    let Some(current) = get(db, external_id).await? else {
        return Ok(Edit::Missing);
    };
    if current.version != expected_version {
        return Ok(Edit::Conflict(current));
    }
    let row = Row::of(n, current.organization_id);
    if Row::stored(&current) == row {
        return Ok(Edit::Saved(current));
    }
    let mut a = need::ActiveModel {
        ..Default::default()
    };
    row.write_into(&mut a);
    apply(db, current, a, now).await
}

/// Closes a need (status `closed`) if its version is still `expected_version`.
pub async fn close(
    db: &(impl ConnectionTrait + TransactionTrait),
    external_id: &str,
    expected_version: i32,
    now: DateTime<Utc>,
) -> Result<Edit<Model>, DbErr> {
    let Some(current) = get(db, external_id).await? else {
        return Ok(Edit::Missing);
    };
    if current.version != expected_version {
        return Ok(Edit::Conflict(current));
    }
    if current.status == NeedStatus::Closed.as_str() {
        return Ok(Edit::Saved(current));
    }
    let a = need::ActiveModel {
        status: Set(NeedStatus::Closed.as_str().to_owned()),
        ..Default::default()
    };
    apply(db, current, a, now).await
}

/// Writes the set columns of `a` to `current` unless another writer got
/// there first (the version guard is part of the UPDATE, so two concurrent
/// edits of one version cannot both succeed), with the change-log row.
async fn apply(
    db: &(impl ConnectionTrait + TransactionTrait),
    current: Model,
    mut a: need::ActiveModel,
    now: DateTime<Utc>,
) -> Result<Edit<Model>, DbErr> {
    let version = current.version + 1;
    a.updated_at = Set(now);
    a.version = Set(version);
    let txn = crate::storage::begin_write(db).await?;
    let done = NeedEntity::update_many()
        .set(a)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(match get(db, &current.external_id).await? {
            Some(now_stored) => Edit::Conflict(now_stored),
            None => Edit::Missing,
        });
    }
    change_log::append(&txn, &[change(&current.external_id, version)], now).await?;
    let saved = NeedEntity::find_by_id(current.id).one(&txn).await?;
    txn.commit().await?;
    Ok(saved.map_or(Edit::Missing, Edit::Saved))
}

fn change(external_id: &str, version: i32) -> Change {
    Change {
        entity: EntityKind::Need,
        external_id: external_id.to_owned(),
        version,
        deleted: false,
    }
}

/// One need by external id, whoever may read it (for write paths, which
/// check permissions themselves).
pub async fn get(db: &impl ConnectionTrait, external_id: &str) -> Result<Option<Model>, DbErr> {
    NeedEntity::find()
        .filter(Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

/// The condition restricting needs to what a caller may read.
pub fn visible(v: Visibility) -> Condition {
    let public = Condition::all()
        .add(Column::Confidential.eq(false))
        .add(Column::Status.ne(NeedStatus::Draft.as_str()));
    match v {
        Visibility::All => Condition::all(),
        Visibility::Public => public,
        Visibility::PublicAndOrg(org) => Condition::any()
            .add(public)
            .add(Column::OrganizationId.eq(org)),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub field: Option<String>,
    pub region: Option<String>,
    pub status: Option<String>,
    /// Internal id of the owning organization.
    pub organization_id: Option<i64>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: &Filter,
    v: Visibility,
    page: Page,
) -> Result<Paged<Model>, DbErr> {
    let mut cond = Condition::all().add(visible(v));
    if let Some(x) = &f.field {
        cond = cond.add(Column::Field.eq(x.as_str()));
    }
    if let Some(x) = &f.status {
        cond = cond.add(Column::Status.eq(x.as_str()));
    }
    if let Some(x) = f.organization_id {
        cond = cond.add(Column::OrganizationId.eq(x));
    }
    if let Some(r) = &f.region {
        cond = cond.add(
            Column::OrganizationId.in_subquery(
                organization::Entity::find()
                    .select_only()
                    .column(organization::Column::Id)
                    .filter(organization::Column::Region.eq(r.as_str()))
                    .into_query(),
            ),
        );
    }
    let q = NeedEntity::find().filter(cond);
    let total = q.clone().count(db).await?;
    let items = q
        .order_by_desc(Column::UpdatedAt)
        .order_by_desc(Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// One need by external id, if the caller may read it. A need the caller may
/// not read is reported as absent, so its existence does not leak either.
pub async fn get_visible(
    db: &impl ConnectionTrait,
    external_id: &str,
    v: Visibility,
) -> Result<Option<Model>, DbErr> {
    NeedEntity::find()
        .filter(Column::ExternalId.eq(external_id))
        .filter(visible(v))
        .one(db)
        .await
}

/// Up to `limit` needs with an id above `after`, in id order (export).
pub async fn chunk_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    NeedEntity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
