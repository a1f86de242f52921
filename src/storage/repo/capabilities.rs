//! Capabilities (科研能力/成果): upsert with change-log entries, visibility-aware reads.

use super::change_log::{self, Change, EntityKind};
use super::{Edit, Outcome, Page, Paged};
use crate::domain::access::Visibility;
use crate::domain::{Capability, CapabilityStatus};
use crate::storage::entities::capability::{self, Column, Entity as CapEntity, Model};
use crate::storage::entities::organization;
use crate::storage::lists;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionSession, TransactionTrait,
};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
struct Row {
    organization_id: i64,
    researcher: Option<String>,
    title: String,
    description: String,
    field: String,
    keywords: String,
    cooperation: String,
    maturity: Option<i16>,
    status: String,
}

impl Row {
    fn of(c: &Capability, organization_id: i64) -> Self {
        Self {
            organization_id,
            researcher: c.researcher.clone(),
            title: c.posting.title.clone(),
            description: c.posting.description.clone(),
            field: c.posting.field.clone(),
            keywords: lists::encode(&c.posting.keywords),
            cooperation: lists::encode(&c.posting.cooperation),
            maturity: c.maturity,
            status: c.status.as_str().to_owned(),
        }
    }

    fn stored(m: &Model) -> Self {
        Self {
            organization_id: m.organization_id,
            researcher: m.researcher.clone(),
            title: m.title.clone(),
            description: m.description.clone(),
            field: m.field.clone(),
            keywords: m.keywords.clone(),
            cooperation: m.cooperation.clone(),
            maturity: m.maturity,
            status: m.status.clone(),
        }
    }

    fn write_into(self, a: &mut capability::ActiveModel) {
        a.organization_id = Set(self.organization_id);
        a.researcher = Set(self.researcher);
        a.title = Set(self.title);
        a.description = Set(self.description);
        a.field = Set(self.field);
        a.keywords = Set(self.keywords);
        a.cooperation = Set(self.cooperation);
        a.maturity = Set(self.maturity);
        a.status = Set(self.status);
    }
}

/// Inserts or updates capabilities by external id (`org` resolved by the
/// caller) and records each insert or update in the change log.
pub async fn upsert_batch(
    db: &impl ConnectionTrait,
    caps: &[(Capability, i64)],
    now: DateTime<Utc>,
) -> Result<Vec<Outcome>, DbErr> {
    let ids: Vec<&str> = caps
        .iter()
        .map(|(c, _)| c.posting.external_id.as_str())
        .collect();
    let existing: HashMap<String, Model> = CapEntity::find()
        .filter(Column::ExternalId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.external_id.clone(), m))
        .collect();
    let mut outcomes = Vec::with_capacity(caps.len());
    let mut inserts = Vec::new();
    let mut changes = Vec::new();
    for (c, org_id) in caps {
        let row = Row::of(c, *org_id);
        let ext = c.posting.external_id.as_str();
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
                    entity: EntityKind::Capability,
                    external_id: ext.to_owned(),
                    version,
                    deleted: false,
                });
                outcomes.push(Outcome::Updated);
            }
            None => {
                let mut a = capability::ActiveModel {
                    external_id: Set(ext.to_owned()),
                    owner_user_id: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                    ..Default::default()
                };
                row.write_into(&mut a);
                inserts.push(a);
                changes.push(Change {
                    entity: EntityKind::Capability,
                    external_id: ext.to_owned(),
                    version: 1,
                    deleted: false,
                });
                outcomes.push(Outcome::Inserted);
            }
        }
    }
    CapEntity::insert_many(inserts).exec(db).await?;
    change_log::append(db, &changes, now).await?;
    Ok(outcomes)
}

/// Inserts one new capability (posted through the API) owned by
/// `owner_user_id`, and its change-log row, in one transaction.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    c: &Capability,
    org_id: i64,
    owner_user_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    let ext = c.posting.external_id.as_str();
    let mut a = capability::ActiveModel {
        external_id: Set(ext.to_owned()),
        owner_user_id: Set(owner_user_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    Row::of(c, org_id).write_into(&mut a);
    let m = a.insert(&txn).await?;
    change_log::append(&txn, &[change(ext, 1)], now).await?;
    txn.commit().await?;
    Ok(m)
}

/// Replaces the content of a capability (not its organization or owner) if
/// its version is still `expected_version`; the row and its change-log entry
/// are written in one transaction, guarded by the version in the UPDATE.
pub async fn update(
    db: &(impl ConnectionTrait + TransactionTrait),
    external_id: &str,
    expected_version: i32,
    c: &Capability,
    now: DateTime<Utc>,
) -> Result<Edit<Model>, DbErr> {
    let Some(current) = get(db, external_id).await? else {
        return Ok(Edit::Missing);
    };
    if current.version != expected_version {
        return Ok(Edit::Conflict(current));
    }
    let row = Row::of(c, current.organization_id);
    if Row::stored(&current) == row {
        return Ok(Edit::Saved(current));
    }
    let version = current.version + 1;
    let mut a = capability::ActiveModel {
        ..Default::default()
    };
    row.write_into(&mut a);
    a.updated_at = Set(now);
    a.version = Set(version);
    let txn = crate::storage::begin_write(db).await?;
    let done = CapEntity::update_many()
        .set(a)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(match get(db, external_id).await? {
            Some(now_stored) => Edit::Conflict(now_stored),
            None => Edit::Missing,
        });
    }
    change_log::append(&txn, &[change(external_id, version)], now).await?;
    let saved = CapEntity::find_by_id(current.id).one(&txn).await?;
    txn.commit().await?;
    Ok(saved.map_or(Edit::Missing, Edit::Saved))
}

fn change(external_id: &str, version: i32) -> Change {
    Change {
        entity: EntityKind::Capability,
        external_id: external_id.to_owned(),
        version,
        deleted: false,
    }
}

/// One capability by external id, whoever may read it (for write paths,
/// which check permissions themselves).
pub async fn get(db: &impl ConnectionTrait, external_id: &str) -> Result<Option<Model>, DbErr> {
    CapEntity::find()
        .filter(Column::ExternalId.eq(external_id))
        .one(db)
        .await
}

/// The condition restricting capabilities to what a caller may read.
pub fn visible(v: Visibility) -> Condition {
    let public = Condition::all().add(Column::Status.ne(CapabilityStatus::Draft.as_str()));
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
    pub organization_id: Option<i64>,
    pub maturity_min: Option<i16>,
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
    if let Some(m) = f.maturity_min {
        cond = cond.add(Column::Maturity.gte(m));
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
    let q = CapEntity::find().filter(cond);
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

pub async fn get_visible(
    db: &impl ConnectionTrait,
    external_id: &str,
    v: Visibility,
) -> Result<Option<Model>, DbErr> {
    CapEntity::find()
        .filter(Column::ExternalId.eq(external_id))
        .filter(visible(v))
        .one(db)
        .await
}

pub async fn chunk_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    CapEntity::find()
        .filter(Column::Id.gt(after))
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
