//! Program items of the provincial action plan (关键核心技术攻关、产学研创新
//! 项目、示范项目): create, edit guarded by version, list.

use super::{Edit, Page, Paged};
use crate::storage::entities::program_item::{self, Column, Entity as Item, Model};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// The editable content of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub kind: String,
    pub title: String,
    pub field: Option<String>,
    pub lead_org_id: Option<i64>,
    pub status: String,
    pub target: Option<String>,
}

impl ItemRow {
    fn stored(m: &Model) -> Self {
        Self {
            kind: m.kind.clone(),
            title: m.title.clone(),
            field: m.field.clone(),
            lead_org_id: m.lead_org_id,
            status: m.status.clone(),
            target: m.target.clone(),
        }
    }

    fn write_into(self, a: &mut program_item::ActiveModel) {
        a.kind = Set(self.kind);
        a.title = Set(self.title);
        a.field = Set(self.field);
        a.lead_org_id = Set(self.lead_org_id);
        a.status = Set(self.status);
        a.target = Set(self.target);
    }
}

/// Inserts an item; a taken code fails with a unique violation.
pub async fn create(
    db: &impl ConnectionTrait,
    code: &str,
    row: ItemRow,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let mut a = program_item::ActiveModel {
        code: Set(code.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    row.write_into(&mut a);
    a.insert(db).await
}

/// Replaces an item's content if it is still at `expected_version` (the
/// guard is part of the UPDATE).
pub async fn update(
    db: &impl ConnectionTrait,
    code: &str,
    expected_version: i32,
    row: ItemRow,
    now: DateTime<Utc>,
) -> Result<Edit<Model>, DbErr> {
    let Some(current) = by_code(db, code).await? else {
        return Ok(Edit::Missing);
    };
    if current.version != expected_version {
        return Ok(Edit::Conflict(current));
    }
    if ItemRow::stored(&current) == row {
        return Ok(Edit::Saved(current));
    }
    let mut a = program_item::ActiveModel {
        updated_at: Set(now),
        version: Set(current.version + 1),
        ..Default::default()
    };
    row.write_into(&mut a);
    let done = Item::update_many()
        .set(a)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(db)
        .await?;
    let now_stored = by_code(db, code).await?;
    Ok(match now_stored {
        Some(m) if done.rows_affected == 1 => Edit::Saved(m),
        Some(m) => Edit::Conflict(m),
        None => Edit::Missing,
    })
}

pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Model>, DbErr> {
    Item::find().filter(Column::Code.eq(code)).one(db).await
}

pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Model>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(Item::find()
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub field: Option<String>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: &Filter,
    page: Page,
) -> Result<Paged<Model>, DbErr> {
    let mut cond = Condition::all();
    if let Some(x) = &f.kind {
        cond = cond.add(Column::Kind.eq(x.as_str()));
    }
    if let Some(x) = &f.status {
        cond = cond.add(Column::Status.eq(x.as_str()));
    }
    if let Some(x) = &f.field {
        cond = cond.add(Column::Field.eq(x.as_str()));
    }
    let q = Item::find().filter(cond);
    let total = q.clone().count(db).await?;
    let items = q
        .order_by_asc(Column::Code)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}
