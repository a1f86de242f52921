//! Agreements (technology contracts) and their append-only status history.
//! A status change is a conditional UPDATE on the version the caller read,
//! with its `agreement_events` row in the same transaction.

use super::{Edit, Page, Paged};
use crate::domain::AgreementStatus;
use crate::domain::agreement::AgreementTerms;
use crate::storage::entities::agreement::{self, Column, Entity as Agreement, Model};
use crate::storage::entities::{agreement_event, match_, need, organization};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionSession, TransactionTrait,
};
use std::collections::HashMap;

/// A new agreement: its terms and whom it is between.
#[derive(Debug, Clone)]
pub struct NewAgreement<'a> {
    pub match_id: i64,
    pub party_a_org_id: i64,
    pub party_b_org_id: i64,
    pub program_item_id: Option<i64>,
    pub terms: &'a AgreementTerms,
    pub created_by: i64,
    pub note: Option<&'a str>,
}

/// Stores a new agreement in status `draft` with its first event, in one
/// transaction. A registration number already in use fails with a unique
/// violation.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    a: &NewAgreement<'_>,
    now: DateTime<Utc>,
) -> Result<Model, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    let t = a.terms;
    let saved = agreement::ActiveModel {
        match_id: Set(Some(a.match_id)),
        contract_type: Set(t.contract_type.as_str().to_owned()),
        party_a_org_id: Set(a.party_a_org_id),
        party_b_org_id: Set(a.party_b_org_id),
        amount_wan: Set(t.amount_wan),
        signing_date: Set(t.signing_date),
        term_start: Set(t.term_start),
        term_end: Set(t.term_end),
        registration_no: Set(t.registration_no.clone()),
        program_item_id: Set(a.program_item_id),
        status: Set(AgreementStatus::Draft.as_str().to_owned()),
        created_by: Set(Some(a.created_by)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    append_event(
        &txn,
        saved.id,
        Some(a.created_by),
        None,
        AgreementStatus::Draft,
        a.note,
        now,
    )
    .await?;
    // Webhooks: the outbox row commits (or not) with the agreement.
    super::webhooks::agreement_changed(&txn, &saved, None, Some(a.created_by), a.note, now).await?;
    txn.commit().await?;
    Ok(saved)
}

async fn append_event(
    db: &impl ConnectionTrait,
    agreement_id: i64,
    actor_user_id: Option<i64>,
    from: Option<&str>,
    to: AgreementStatus,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    agreement_event::Entity::insert(agreement_event::ActiveModel {
        agreement_id: Set(agreement_id),
        actor_user_id: Set(actor_user_id),
        at: Set(at),
        from_status: Set(from.map(str::to_owned)),
        to_status: Set(to.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A status change and the fields it may fill in.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub id: i64,
    pub expected_version: i32,
    pub from: AgreementStatus,
    pub to: AgreementStatus,
    pub signing_date: Option<NaiveDate>,
    pub registration_no: Option<&'a str>,
    pub actor_user_id: i64,
    pub note: Option<&'a str>,
}

/// Moves an agreement to a new status if it is still at the expected version
/// and status, with its event, in one transaction.
pub async fn change_status(
    db: &(impl ConnectionTrait + TransactionTrait),
    c: &StatusChange<'_>,
    now: DateTime<Utc>,
) -> Result<Edit<Model>, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    let mut update = Agreement::update_many()
        .col_expr(Column::Status, Expr::value(c.to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1));
    if let Some(d) = c.signing_date {
        update = update.col_expr(Column::SigningDate, Expr::value(d));
    }
    if let Some(r) = c.registration_no {
        update = update.col_expr(Column::RegistrationNo, Expr::value(r));
    }
    let done = update
        .filter(Column::Id.eq(c.id))
        .filter(Column::Version.eq(c.expected_version))
        .filter(Column::Status.eq(c.from.as_str()))
        .exec(&txn)
        .await;
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            txn.rollback().await?;
            return Err(e);
        }
    };
    if done.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(match get(db, c.id).await? {
            Some(current) => Edit::Conflict(current),
            None => Edit::Missing,
        });
    }
    append_event(
        &txn,
        c.id,
        Some(c.actor_user_id),
        Some(c.from.as_str()),
        c.to,
        c.note,
        now,
    )
    .await?;
    let saved = get(&txn, c.id).await?;
    if let Some(m) = &saved {
        // Webhooks: the outbox row commits (or not) with the change.
        super::webhooks::agreement_changed(
            &txn,
            m,
            Some(c.from.as_str()),
            Some(c.actor_user_id),
            c.note,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(saved.map_or(Edit::Missing, Edit::Saved))
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<Model>, DbErr> {
    Agreement::find_by_id(id).one(db).await
}

/// The status history of one agreement, oldest first.
pub async fn events(
    db: &impl ConnectionTrait,
    agreement_id: i64,
) -> Result<Vec<agreement_event::Model>, DbErr> {
    agreement_event::Entity::find()
        .filter(agreement_event::Column::AgreementId.eq(agreement_id))
        .order_by_asc(agreement_event::Column::Id)
        .all(db)
        .await
}

/// Which agreements a caller may read: all (staff, admins) or those one of
/// whose parties is the caller's organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readable {
    All,
    Party(i64),
}

impl Readable {
    fn condition(self) -> Condition {
        match self {
            Readable::All => Condition::all(),
            Readable::Party(org) => Condition::any()
                .add(Column::PartyAOrgId.eq(org))
                .add(Column::PartyBOrgId.eq(org)),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub contract_type: Option<String>,
    pub program_item_id: Option<i64>,
    /// City of party A (the enterprise that posted the need).
    pub region: Option<String>,
    /// Field code of the need behind the agreement's match.
    pub field: Option<String>,
    /// A program staff member's scope: only agreements whose match's need
    /// is inside it.
    pub scope: crate::domain::permissions::StaffScope,
}

pub async fn list(
    db: &impl ConnectionTrait,
    f: &Filter,
    readable: Readable,
    page: Page,
) -> Result<Paged<Model>, DbErr> {
    let mut cond = Condition::all().add(readable.condition());
    if let Some(x) = &f.status {
        cond = cond.add(Column::Status.eq(x.as_str()));
    }
    if let Some(x) = &f.contract_type {
        cond = cond.add(Column::ContractType.eq(x.as_str()));
    }
    if let Some(x) = f.program_item_id {
        cond = cond.add(Column::ProgramItemId.eq(x));
    }
    if let Some(r) = &f.region {
        cond = cond.add(
            Column::PartyAOrgId.in_subquery(
                organization::Entity::find()
                    .select_only()
                    .column(organization::Column::Id)
                    .filter(organization::Column::Region.eq(r.as_str()))
                    .into_query(),
            ),
        );
    }
    if let Some(x) = &f.field {
        cond = cond.add(
            Column::MatchId.in_subquery(
                match_::Entity::find()
                    .select_only()
                    .column(match_::Column::Id)
                    .filter(
                        match_::Column::NeedId.in_subquery(
                            need::Entity::find()
                                .select_only()
                                .column(need::Column::Id)
                                .filter(need::Column::Field.eq(x.as_str()))
                                .into_query(),
                        ),
                    )
                    .into_query(),
            ),
        );
    }
    if let Some(c) = super::matches::needs_in_scope(&f.scope) {
        cond = cond.add(
            Column::MatchId.in_subquery(
                match_::Entity::find()
                    .select_only()
                    .column(match_::Column::Id)
                    .filter(
                        match_::Column::NeedId.in_subquery(
                            need::Entity::find()
                                .select_only()
                                .column(need::Column::Id)
                                .filter(c)
                                .into_query(),
                        ),
                    )
                    .into_query(),
            ),
        );
    }
    let q = Agreement::find().filter(cond);
    let total = q.clone().count(db).await?;
    let items = q
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

pub async fn get_readable(
    db: &impl ConnectionTrait,
    id: i64,
    readable: Readable,
) -> Result<Option<Model>, DbErr> {
    Agreement::find()
        .filter(Column::Id.eq(id))
        .filter(readable.condition())
        .one(db)
        .await
}

/// Matches by internal id (for attributing agreements).
pub async fn matches_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, match_::Model>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(match_::Entity::find()
        .filter(match_::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}
