//! The taxonomy tables: seeded from the shipped file, read into memory.

use crate::domain::{Taxonomy, Term, TermKind};
use crate::storage::entities::taxonomy_term::{self, Entity as TermEntity};
use crate::storage::lists;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

/// Adds every term of `base` the database does not have yet. Existing terms are
/// left as they are: the database copy may have been edited by staff.
pub async fn seed(db: &impl ConnectionTrait, base: &Taxonomy) -> Result<u64, DbErr> {
    let existing = load_all(db).await?;
    let mut added = 0;
    let mut rows = Vec::new();
    for kind in TermKind::ALL {
        for (i, term) in base.terms(kind).iter().enumerate() {
            if existing.get(kind, &term.code).is_none() {
                rows.push(taxonomy_term::ActiveModel {
                    kind: Set(kind.as_str().to_owned()),
                    code: Set(term.code.clone()),
                    name_zh: Set(term.name_zh.clone()),
                    name_en: Set(term.name_en.clone()),
                    related: Set(lists::encode(&term.related)),
                    position: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                    active: Set(true),
                    ..Default::default()
                });
                added += 1;
            }
        }
    }
    TermEntity::insert_many(rows).exec(db).await?;
    Ok(added)
}

/// The active taxonomy, in display order.
pub async fn load(db: &impl ConnectionTrait) -> Result<Taxonomy, DbErr> {
    load_filtered(db, true).await
}

async fn load_all(db: &impl ConnectionTrait) -> Result<Taxonomy, DbErr> {
    load_filtered(db, false).await
}

async fn load_filtered(db: &impl ConnectionTrait, only_active: bool) -> Result<Taxonomy, DbErr> {
    let mut q = TermEntity::find()
        .order_by_asc(taxonomy_term::Column::Position)
        .order_by_asc(taxonomy_term::Column::Id);
    if only_active {
        q = q.filter(taxonomy_term::Column::Active.eq(true));
    }
    let mut t = Taxonomy::default();
    for row in q.all(db).await? {
        if let Some(kind) = TermKind::parse(&row.kind) {
            t.terms_mut(kind).push(Term {
                code: row.code,
                name_zh: row.name_zh,
                name_en: row.name_en,
                related: lists::decode(&row.related),
            });
        }
    }
    Ok(t)
}

/// Adds a term or changes an existing one (names, related codes, active).
/// Returns true when the term was new.
pub async fn upsert_term(
    db: &impl ConnectionTrait,
    kind: TermKind,
    term: &Term,
    active: bool,
) -> Result<bool, DbErr> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, QuerySelect};
    let existing = TermEntity::find()
        .filter(taxonomy_term::Column::Kind.eq(kind.as_str()))
        .filter(taxonomy_term::Column::Code.eq(term.code.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(m) => {
            let mut a = m.into_active_model();
            a.name_zh = Set(term.name_zh.clone());
            a.name_en = Set(term.name_en.clone());
            a.related = Set(lists::encode(&term.related));
            a.active = Set(active);
            a.update(db).await?;
            Ok(false)
        }
        None => {
            let last: Option<i32> = TermEntity::find()
                .select_only()
                .column_as(taxonomy_term::Column::Position.max(), "max")
                .filter(taxonomy_term::Column::Kind.eq(kind.as_str()))
                .into_tuple::<Option<i32>>()
                .one(db)
                .await?
                .flatten();
            taxonomy_term::ActiveModel {
                kind: Set(kind.as_str().to_owned()),
                code: Set(term.code.clone()),
                name_zh: Set(term.name_zh.clone()),
                name_en: Set(term.name_en.clone()),
                related: Set(lists::encode(&term.related)),
                position: Set(last.map_or(0, |p| p + 1)),
                active: Set(active),
                ..Default::default()
            }
            .insert(db)
            .await?;
            Ok(true)
        }
    }
}
