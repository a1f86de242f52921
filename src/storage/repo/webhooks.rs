//! Webhook subscriptions, the transactional outbox and the delivery log.
//!
//! The repo functions that change a match's state or create / change an
//! agreement call [`match_state_changed`] or [`agreement_changed`] inside
//! their own transaction, so an outbox row exists exactly when the change
//! was committed. The delivery task (`crate::webhooks`) sends due rows.

use super::{Page, Paged};
use crate::domain::access::Visibility;
use crate::domain::{CapabilityStatus, NeedStatus};
use crate::storage::entities::{
    agreement, capability, match_, need, organization, webhook_delivery, webhook_outbox,
    webhook_subscription,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The events a subscription may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    MatchStateChanged,
    AgreementCreated,
    AgreementStatusChanged,
}

impl Event {
    pub const ALL: [Event; 3] = [
        Event::MatchStateChanged,
        Event::AgreementCreated,
        Event::AgreementStatusChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::MatchStateChanged => "match.state_changed",
            Event::AgreementCreated => "agreement.created",
            Event::AgreementStatusChanged => "agreement.status_changed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == code)
    }
}

/// Whose subscriptions: one organization's, or the staff-wide ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Org(i64),
    Staff,
}

impl Owner {
    fn condition(self) -> Condition {
        match self {
            Owner::Org(org) => {
                Condition::all().add(webhook_subscription::Column::OrganizationId.eq(org))
            }
            Owner::Staff => {
                Condition::all().add(webhook_subscription::Column::OrganizationId.is_null())
            }
        }
    }
}

/// The event names of a subscription (its JSON list).
pub fn events_of(s: &webhook_subscription::Model) -> Vec<String> {
    serde_json::from_str(&s.events).unwrap_or_default()
}

/// Writes one outbox row per active subscription that wants `event` and
/// belongs to one of `parties` or is staff-wide. Call inside the
/// transaction of the change.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    event: Event,
    parties: &[i64],
    data: Value,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut owners = Condition::any().add(webhook_subscription::Column::OrganizationId.is_null());
    if !parties.is_empty() {
        owners =
            owners.add(webhook_subscription::Column::OrganizationId.is_in(parties.iter().copied()));
    }
    let subs = webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::Active.eq(true))
        .filter(owners)
        .order_by_asc(webhook_subscription::Column::Id)
        .all(db)
        .await?;
    let payload = json!({
        "event": event.as_str(),
        "occurred_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string();
    let mut n = 0;
    for s in subs
        .iter()
        .filter(|s| events_of(s).iter().any(|e| e == event.as_str()))
    {
        webhook_outbox::Entity::insert(webhook_outbox::ActiveModel {
            subscription_id: Set(s.id),
            event: Set(event.as_str().to_owned()),
            payload: Set(payload.clone()),
            created_at: Set(now),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            ..Default::default()
        })
        .exec(db)
        .await?;
        n += 1;
    }
    Ok(n)
}

async fn org_external_ids(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, String>, DbErr> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.external_id))
        .collect())
}

/// Outbox rows for a match that moved from `from` to its current state.
/// Parties are the organizations that may read the match (as in the match
/// list: the other side's record must be visible to them), so a
/// confidential need never reaches another organization's endpoint.
pub async fn match_state_changed(
    db: &impl ConnectionTrait,
    m: &match_::Model,
    from: &str,
    actor_user_id: Option<i64>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let n = need::Entity::find_by_id(m.need_id).one(db).await?;
    let c = capability::Entity::find_by_id(m.capability_id)
        .one(db)
        .await?;
    let (Some(n), Some(c)) = (n, c) else {
        return Ok(0);
    };
    let need_draft = n.status == NeedStatus::Draft.as_str();
    let cap_draft = c.status == CapabilityStatus::Draft.as_str();
    let mut parties = Vec::new();
    if Visibility::PublicAndOrg(n.organization_id).allows_capability(c.organization_id, cap_draft) {
        parties.push(n.organization_id);
    }
    if Visibility::PublicAndOrg(c.organization_id).allows_need(
        n.organization_id,
        n.confidential,
        need_draft,
    ) {
        parties.push(c.organization_id);
    }
    let orgs = org_external_ids(db, &[n.organization_id, c.organization_id]).await?;
    let data = json!({
        "match_id": m.id,
        "from": from,
        "to": m.state,
        "version": m.version,
        "score": m.score,
        "need": {"id": n.external_id, "org": orgs.get(&n.organization_id)},
        "capability": {"id": c.external_id, "org": orgs.get(&c.organization_id)},
        "program_item_id": m.program_item_id,
        "actor_user_id": actor_user_id,
        "note": note,
    });
    enqueue(db, Event::MatchStateChanged, &parties, data, now).await
}

/// Outbox rows for a new agreement (`from` None) or a status change; the
/// parties are its party A and party B.
pub async fn agreement_changed(
    db: &impl ConnectionTrait,
    a: &agreement::Model,
    from: Option<&str>,
    actor_user_id: Option<i64>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let orgs = org_external_ids(db, &[a.party_a_org_id, a.party_b_org_id]).await?;
    let event = if from.is_some() {
        Event::AgreementStatusChanged
    } else {
        Event::AgreementCreated
    };
    let data = json!({
        "agreement_id": a.id,
        "match_id": a.match_id,
        "from": from,
        "to": a.status,
        "status": a.status,
        "version": a.version,
        "contract_type": a.contract_type,
        "party_a": orgs.get(&a.party_a_org_id),
        "party_b": orgs.get(&a.party_b_org_id),
        "amount_wan": a.amount_wan,
        "signing_date": a.signing_date,
        "registration_no": a.registration_no,
        "program_item_id": a.program_item_id,
        "actor_user_id": actor_user_id,
        "note": note,
    });
    enqueue(db, event, &[a.party_a_org_id, a.party_b_org_id], data, now).await
}

/// A subscription to store.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    pub organization_id: Option<i64>,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [Event],
    pub created_by: i64,
}

pub async fn create(
    db: &impl ConnectionTrait,
    s: &NewSubscription<'_>,
    now: DateTime<Utc>,
) -> Result<webhook_subscription::Model, DbErr> {
    let events: Vec<&str> = s.events.iter().map(|e| e.as_str()).collect();
    webhook_subscription::ActiveModel {
        organization_id: Set(s.organization_id),
        url: Set(s.url.to_owned()),
        secret: Set(s.secret.to_owned()),
        events: Set(json!(events).to_string()),
        active: Set(true),
        created_by: Set(Some(s.created_by)),
        created_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> Result<Vec<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find()
        .filter(owner.condition())
        .order_by_asc(webhook_subscription::Column::Id)
        .all(db)
        .await
}

pub async fn get_owned(
    db: &impl ConnectionTrait,
    id: i64,
    owner: Owner,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(owner.condition())
        .one(db)
        .await
}

pub async fn get(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find_by_id(id).one(db).await
}

/// Deletes a subscription with its outbox rows and delivery log.
pub async fn delete(
    db: &(impl ConnectionTrait + TransactionTrait),
    id: i64,
    owner: Owner,
) -> Result<bool, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    if get_owned(&txn, id, owner).await?.is_none() {
        txn.rollback().await?;
        return Ok(false);
    }
    let outbox_ids: Vec<i64> = webhook_outbox::Entity::find()
        .select_only()
        .column(webhook_outbox::Column::Id)
        .filter(webhook_outbox::Column::SubscriptionId.eq(id))
        .into_tuple::<i64>()
        .all(&txn)
        .await?;
    for chunk in outbox_ids.chunks(500) {
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::OutboxId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    webhook_outbox::Entity::delete_many()
        .filter(webhook_outbox::Column::SubscriptionId.eq(id))
        .exec(&txn)
        .await?;
    webhook_subscription::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Outbox rows due for an attempt, oldest first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<webhook_outbox::Model>, DbErr> {
    webhook_outbox::Entity::find()
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .filter(webhook_outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_outbox::Column::NextAttemptAt)
        .order_by_asc(webhook_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The earliest pending attempt, if any (to know how long to sleep).
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(webhook_outbox::Entity::find()
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .filter(webhook_outbox::Column::NextAttemptAt.is_not_null())
        .order_by_asc(webhook_outbox::Column::NextAttemptAt)
        .one(db)
        .await?
        .and_then(|r| r.next_attempt_at))
}

/// Takes a due row for one attempt: moves its `next_attempt_at` to
/// `lease_until` if nobody else did meanwhile. A process killed during the
/// attempt leaves the row to be retried once the lease has passed.
pub async fn claim(
    db: &impl ConnectionTrait,
    row: &webhook_outbox::Model,
    lease_until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(seen) = row.next_attempt_at else {
        return Ok(false);
    };
    let done = webhook_outbox::Entity::update_many()
        .col_expr(
            webhook_outbox::Column::NextAttemptAt,
            Expr::value(lease_until),
        )
        .filter(webhook_outbox::Column::Id.eq(row.id))
        .filter(webhook_outbox::Column::DeliveredAt.is_null())
        .filter(webhook_outbox::Column::NextAttemptAt.eq(seen))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub outbox_id: i64,
    /// 1-based number of this attempt.
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub delivered: bool,
    /// When to try again; None when delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Logs an attempt and updates its outbox row, in one transaction.
pub async fn record_attempt(
    db: &(impl ConnectionTrait + TransactionTrait),
    a: &Attempt,
) -> Result<(), DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
        outbox_id: Set(a.outbox_id),
        attempt: Set(a.attempt),
        at: Set(a.at),
        status_code: Set(a.status_code),
        error: Set(a.error.clone()),
        duration_ms: Set(a.duration_ms),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    webhook_outbox::Entity::update_many()
        .col_expr(webhook_outbox::Column::Attempts, Expr::value(a.attempt))
        .col_expr(
            webhook_outbox::Column::NextAttemptAt,
            Expr::value(a.next_attempt_at),
        )
        .col_expr(
            webhook_outbox::Column::DeliveredAt,
            Expr::value(a.delivered.then_some(a.at)),
        )
        .col_expr(
            webhook_outbox::Column::LastStatus,
            Expr::value(a.status_code),
        )
        .col_expr(
            webhook_outbox::Column::LastError,
            Expr::value(a.error.clone()),
        )
        .filter(webhook_outbox::Column::Id.eq(a.outbox_id))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// One logged attempt with the event it was for.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub delivery: webhook_delivery::Model,
    pub outbox: webhook_outbox::Model,
}

/// The delivery log of one subscription, newest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    subscription_id: i64,
    page: Page,
) -> Result<Paged<DeliveryRow>, DbErr> {
    let outbox: HashMap<i64, webhook_outbox::Model> = webhook_outbox::Entity::find()
        .filter(webhook_outbox::Column::SubscriptionId.eq(subscription_id))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    if outbox.is_empty() {
        return Ok(Paged {
            items: Vec::new(),
            total: 0,
        });
    }
    let q = webhook_delivery::Entity::find().filter(
        webhook_delivery::Column::OutboxId.in_subquery(sea_orm::QueryTrait::into_query(
            webhook_outbox::Entity::find()
                .select_only()
                .column(webhook_outbox::Column::Id)
                .filter(webhook_outbox::Column::SubscriptionId.eq(subscription_id)),
        )),
    );
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(webhook_delivery::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let items = rows
        .into_iter()
        .filter_map(|d| {
            let o = outbox.get(&d.outbox_id)?.clone();
            Some(DeliveryRow {
                delivery: d,
                outbox: o,
            })
        })
        .collect();
    Ok(Paged { items, total })
}

/// Outbox rows of one subscription (pending, delivered and failed), newest first.
pub async fn outbox_of(
    db: &impl ConnectionTrait,
    subscription_id: i64,
) -> Result<Vec<webhook_outbox::Model>, DbErr> {
    webhook_outbox::Entity::find()
        .filter(webhook_outbox::Column::SubscriptionId.eq(subscription_id))
        .order_by_desc(webhook_outbox::Column::Id)
        .all(db)
        .await
}
