//! Matches between needs and capabilities, and their audit events.
//!
//! Every change of a match writes one `match_events` row in the same
//! transaction as the change. Events are only ever inserted: there is no
//! update or delete of them here, and the database refuses both (triggers of
//! migration 3). A state change is a conditional UPDATE on the version read
//! by the caller, so of two concurrent transitions exactly one wins.

use super::{Edit, Page, Paged};
use crate::domain::MatchState;
use crate::domain::access::Visibility;
use crate::storage::entities::{capability, interest, match_, match_event, need, organization};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionSession, TransactionTrait,
};
use std::collections::{HashMap, HashSet};

/// Stores suggestions for one need (internal ids): pairs that already exist in
/// any state are left alone, so running the suggester again adds nothing.
/// Returns how many were inserted.
pub async fn insert_suggestions(
    db: &impl ConnectionTrait,
    need_id: i64,
    suggestions: &[(i64, f64)],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let existing: HashSet<i64> = match_::Entity::find()
        .select_only()
        .column(match_::Column::CapabilityId)
        .filter(match_::Column::NeedId.eq(need_id))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut inserted = 0;
    for (cap_id, score) in suggestions {
        if existing.contains(cap_id) {
            continue;
        }
        let m = match_::Entity::insert(match_::ActiveModel {
            need_id: Set(need_id),
            capability_id: Set(*cap_id),
            score: Set(*score),
            state: Set(MatchState::Suggested.as_str().to_owned()),
            origin: Set(Origin::Suggested.as_str().to_owned()),
            program_item_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            state_since: Set(Some(now)),
            ..Default::default()
        })
        .exec(db)
        .await?;
        match_event::Entity::insert(match_event::ActiveModel {
            kind: Set(EventKind::Created.as_str().to_owned()),
            match_id: Set(m.last_insert_id),
            actor_user_id: Set(None),
            at: Set(now),
            from_state: Set(None),
            to_state: Set(MatchState::Suggested.as_str().to_owned()),
            note: Set(Some(format!(
                "系统推荐，得分 {score:.3} (automatic suggestion)"
            ))),
            ..Default::default()
        })
        .exec(db)
        .await?;
        inserted += 1;
    }
    Ok(inserted)
}

/// A staff decision on a match: confirmed (positive) or rejected (negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub need: String,
    pub capability: String,
    pub confirmed: bool,
}

/// Every decided match, as external ids.
pub async fn decisions(db: &impl ConnectionTrait) -> Result<Vec<Decision>, DbErr> {
    let decided = [
        MatchState::Confirmed.as_str(),
        MatchState::Rejected.as_str(),
    ];
    let rows = match_::Entity::find()
        .filter(match_::Column::State.is_in(decided))
        .all(db)
        .await?;
    let need_ids: Vec<i64> = rows.iter().map(|m| m.need_id).collect();
    let cap_ids: Vec<i64> = rows.iter().map(|m| m.capability_id).collect();
    let needs: std::collections::HashMap<i64, String> = need::Entity::find()
        .filter(need::Column::Id.is_in(need_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n.external_id))
        .collect();
    let caps: std::collections::HashMap<i64, String> = capability::Entity::find()
        .filter(capability::Column::Id.is_in(cap_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.external_id))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            Some(Decision {
                need: needs.get(&m.need_id)?.clone(),
                capability: caps.get(&m.capability_id)?.clone(),
                confirmed: m.state == MatchState::Confirmed.as_str(),
            })
        })
        .collect())
}

/// How a match came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Stored by `duijie suggest` from the ranking.
    Suggested,
    /// Created by program staff by hand.
    Manual,
    /// Created when one side asked for an introduction.
    Interest,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Suggested => "suggested",
            Origin::Manual => "manual",
            Origin::Interest => "interest",
        }
    }
}

/// What a `match_events` row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The match was stored (from nothing to its first state).
    Created,
    /// A state change.
    Transition,
    /// A party asked for an introduction (the state does not change).
    Interest,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Transition => "transition",
            EventKind::Interest => "interest",
        }
    }
}

/// One match by internal id.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Option<match_::Model>, DbErr> {
    match_::Entity::find_by_id(id).one(db).await
}

/// The match of a need and a capability, if there is one.
pub async fn by_pair(
    db: &impl ConnectionTrait,
    need_id: i64,
    capability_id: i64,
) -> Result<Option<match_::Model>, DbErr> {
    match_::Entity::find()
        .filter(match_::Column::NeedId.eq(need_id))
        .filter(match_::Column::CapabilityId.eq(capability_id))
        .one(db)
        .await
}

/// A match to store.
#[derive(Debug, Clone)]
pub struct NewMatch<'a> {
    pub need_id: i64,
    pub capability_id: i64,
    pub score: f64,
    pub origin: Origin,
    pub program_item_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub note: Option<&'a str>,
}

/// Stores a new match in state `suggested` with its `created` event, in one
/// transaction. A pair that already exists fails with a unique violation
/// (see [`super::is_unique_violation`]).
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait),
    m: &NewMatch<'_>,
    now: DateTime<Utc>,
) -> Result<match_::Model, DbErr> {
    let txn = crate::storage::begin_write(db).await?;
    let saved = match_::ActiveModel {
        need_id: Set(m.need_id),
        capability_id: Set(m.capability_id),
        score: Set(m.score),
        state: Set(MatchState::Suggested.as_str().to_owned()),
        origin: Set(m.origin.as_str().to_owned()),
        program_item_id: Set(m.program_item_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        state_since: Set(Some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    append_event(
        &txn,
        saved.id,
        EventKind::Created,
        m.actor_user_id,
        None,
        MatchState::Suggested,
        m.note,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

#[allow(clippy::too_many_arguments)]
async fn append_event(
    db: &impl ConnectionTrait,
    match_id: i64,
    kind: EventKind,
    actor_user_id: Option<i64>,
    from: Option<&str>,
    to: MatchState,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    match_event::Entity::insert(match_event::ActiveModel {
        match_id: Set(match_id),
        actor_user_id: Set(actor_user_id),
        at: Set(at),
        from_state: Set(from.map(str::to_owned)),
        to_state: Set(to.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        kind: Set(kind.as_str().to_owned()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A state change as the caller checked it.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    pub id: i64,
    /// The version the caller read.
    pub expected_version: i32,
    /// The state the caller read (and checked the transition from).
    pub from: MatchState,
    pub to: MatchState,
    pub actor_user_id: i64,
    pub note: Option<&'a str>,
}

/// Moves a match to `to` if it is still at `expected_version` (checked by
/// the UPDATE itself), writing the transition event in the same
/// transaction. The caller has checked that the transition is allowed from
/// the state it read; the UPDATE also requires that state, so a match that
/// moved meanwhile is a conflict, never a silent overwrite.
pub async fn transition(
    db: &(impl ConnectionTrait + TransactionTrait),
    t: &Transition<'_>,
    now: DateTime<Utc>,
) -> Result<Edit<match_::Model>, DbErr> {
    let Transition {
        id,
        expected_version,
        from,
        to,
        actor_user_id,
        note,
    } = *t;
    let txn = crate::storage::begin_write(db).await?;
    // The first statement writes, so SQLite takes the write lock before
    // reading anything (no stale snapshot to upgrade).
    let done = match_::Entity::update_many()
        .col_expr(match_::Column::State, Expr::value(to.as_str()))
        .col_expr(match_::Column::StateSince, Expr::value(now))
        .col_expr(match_::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            match_::Column::Version,
            Expr::col(match_::Column::Version).add(1),
        )
        .filter(match_::Column::Id.eq(id))
        .filter(match_::Column::Version.eq(expected_version))
        .filter(match_::Column::State.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(match get(db, id).await? {
            Some(current) => Edit::Conflict(current),
            None => Edit::Missing,
        });
    }
    append_event(
        &txn,
        id,
        EventKind::Transition,
        Some(actor_user_id),
        Some(from.as_str()),
        to,
        note,
        now,
    )
    .await?;
    let saved = get(&txn, id).await?;
    if let Some(m) = &saved {
        // Webhooks: the outbox row commits (or not) with the change.
        super::webhooks::match_state_changed(
            &txn,
            m,
            from.as_str(),
            Some(actor_user_id),
            note,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(saved.map_or(Edit::Missing, Edit::Saved))
}

/// A party's request for an introduction to the other side of a pair.
#[derive(Debug, Clone, Copy)]
pub struct Interest<'a> {
    pub need_id: i64,
    pub capability_id: i64,
    /// `need` or `capability`: the side asking.
    pub side: &'a str,
    /// The asking organization (owner of the record on `side`).
    pub org_id: i64,
    pub user_id: i64,
    pub note: Option<&'a str>,
}

/// What an expression of interest did.
#[derive(Debug, Clone)]
pub struct InterestOutcome {
    pub matched: match_::Model,
    /// A new match was created for it.
    pub created_match: bool,
    /// A new interest was recorded (false: this side of this organization
    /// had already asked; nothing was written).
    pub recorded: bool,
}

/// Records that `org_id` (on `side`) asks for an introduction for the pair:
/// creates the match (origin `interest`) if the pair has none, then the
/// interest and its `interest` event in one transaction. Asking twice from
/// the same side and organization records nothing new.
pub async fn express_interest(
    db: &(impl ConnectionTrait + TransactionTrait),
    i: &Interest<'_>,
    now: DateTime<Utc>,
) -> Result<InterestOutcome, DbErr> {
    let Interest {
        need_id,
        capability_id,
        side,
        org_id,
        user_id,
        note,
    } = *i;
    let (matched, created_match) = match by_pair(db, need_id, capability_id).await? {
        Some(m) => (m, false),
        None => {
            let new = NewMatch {
                need_id,
                capability_id,
                score: 0.0,
                origin: Origin::Interest,
                program_item_id: None,
                actor_user_id: Some(user_id),
                note: Some("由对接意向创建 (created from an expression of interest)"),
            };
            match create(db, &new, now).await {
                Ok(m) => (m, true),
                // Created concurrently by someone else: use theirs.
                Err(e) if super::is_unique_violation(&e) => {
                    match by_pair(db, need_id, capability_id).await? {
                        Some(m) => (m, false),
                        None => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
    };
    let already = interest::Entity::find()
        .filter(interest::Column::MatchId.eq(matched.id))
        .filter(interest::Column::Side.eq(side))
        .filter(interest::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .is_some();
    if already {
        return Ok(InterestOutcome {
            matched,
            created_match,
            recorded: false,
        });
    }
    let txn = crate::storage::begin_write(db).await?;
    let inserted = interest::Entity::insert(interest::ActiveModel {
        match_id: Set(matched.id),
        side: Set(side.to_owned()),
        organization_id: Set(org_id),
        user_id: Set(Some(user_id)),
        note: Set(note.map(str::to_owned)),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(InterestOutcome {
                matched,
                created_match,
                recorded: false,
            });
        }
        Err(e) => return Err(e),
    }
    let state = MatchState::from_code(&matched.state).unwrap_or(MatchState::Suggested);
    append_event(
        &txn,
        matched.id,
        EventKind::Interest,
        Some(user_id),
        Some(&matched.state),
        state,
        note,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(InterestOutcome {
        matched,
        created_match,
        recorded: true,
    })
}

/// The audit events of some matches, oldest first per match.
pub async fn events(
    db: &impl ConnectionTrait,
    match_ids: &[i64],
) -> Result<HashMap<i64, Vec<match_event::Model>>, DbErr> {
    let mut out: HashMap<i64, Vec<match_event::Model>> = HashMap::new();
    if match_ids.is_empty() {
        return Ok(out);
    }
    let rows = match_event::Entity::find()
        .filter(match_event::Column::MatchId.is_in(match_ids.iter().copied()))
        .order_by_asc(match_event::Column::Id)
        .all(db)
        .await?;
    for r in rows {
        out.entry(r.match_id).or_default().push(r);
    }
    Ok(out)
}

/// The interests recorded for some matches, oldest first.
pub async fn interests(
    db: &impl ConnectionTrait,
    match_ids: &[i64],
) -> Result<HashMap<i64, Vec<interest::Model>>, DbErr> {
    let mut out: HashMap<i64, Vec<interest::Model>> = HashMap::new();
    if match_ids.is_empty() {
        return Ok(out);
    }
    let rows = interest::Entity::find()
        .filter(interest::Column::MatchId.is_in(match_ids.iter().copied()))
        .order_by_asc(interest::Column::Id)
        .all(db)
        .await?;
    for r in rows {
        out.entry(r.match_id).or_default().push(r);
    }
    Ok(out)
}

/// Which matches a caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readable {
    /// Program staff and admins: all.
    All,
    /// Members and researchers: matches involving their organization's
    /// records, and only those whose need and capability they may both see
    /// (a confidential need of another organization never shows).
    Party(i64),
}

impl Readable {
    pub fn of(v: Visibility) -> Option<Self> {
        match v {
            Visibility::All => Some(Readable::All),
            Visibility::PublicAndOrg(org) => Some(Readable::Party(org)),
            Visibility::Public => None,
        }
    }

    /// The condition on `matches` rows.
    pub fn condition(self) -> Condition {
        match self {
            Readable::All => Condition::all(),
            Readable::Party(org) => {
                let v = Visibility::PublicAndOrg(org);
                Condition::all()
                    .add(match_::Column::NeedId.in_subquery(need_ids(super::needs::visible(v))))
                    .add(
                        match_::Column::CapabilityId
                            .in_subquery(cap_ids(super::capabilities::visible(v))),
                    )
                    .add(
                        Condition::any()
                            .add(match_::Column::NeedId.in_subquery(need_ids(
                                Condition::all().add(need::Column::OrganizationId.eq(org)),
                            )))
                            .add(match_::Column::CapabilityId.in_subquery(cap_ids(
                                Condition::all().add(capability::Column::OrganizationId.eq(org)),
                            ))),
                    )
            }
        }
    }
}

fn need_ids(cond: Condition) -> SelectStatement {
    need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(cond)
        .into_query()
}

fn cap_ids(cond: Condition) -> SelectStatement {
    capability::Entity::find()
        .select_only()
        .column(capability::Column::Id)
        .filter(cond)
        .into_query()
}

/// Needs of organizations in a city.
fn needs_in_region(region: &str) -> Condition {
    Condition::all().add(
        need::Column::OrganizationId.in_subquery(
            organization::Entity::find()
                .select_only()
                .column(organization::Column::Id)
                .filter(organization::Column::Region.eq(region))
                .into_query(),
        ),
    )
}

/// Needs inside a staff scope (city of the need's organization, field of
/// the need); `None` when the scope is unlimited.
pub fn needs_in_scope(scope: &crate::domain::permissions::StaffScope) -> Option<Condition> {
    if scope.regions.is_empty() && scope.fields.is_empty() {
        return None;
    }
    let mut cond = Condition::all();
    if !scope.regions.is_empty() {
        cond = cond.add(
            need::Column::OrganizationId.in_subquery(
                organization::Entity::find()
                    .select_only()
                    .column(organization::Column::Id)
                    .filter(organization::Column::Region.is_in(scope.regions.iter().cloned()))
                    .into_query(),
            ),
        );
    }
    if !scope.fields.is_empty() {
        cond = cond.add(need::Column::Field.is_in(scope.fields.iter().cloned()));
    }
    Some(cond)
}

/// How the queue is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Highest score first.
    #[default]
    Score,
    /// Longest in the current state first.
    Waiting,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// States to include; empty means the open states.
    pub states: Vec<MatchState>,
    /// City of the need's organization.
    pub region: Option<String>,
    /// Field code of the need.
    pub field: Option<String>,
    pub sort: Sort,
    /// A program staff member's scope: only matches of needs inside it.
    pub scope: crate::domain::permissions::StaffScope,
}

/// One page of matches the caller may read.
pub async fn list(
    db: &impl ConnectionTrait,
    f: &Filter,
    readable: Readable,
    page: Page,
) -> Result<Paged<match_::Model>, DbErr> {
    let states: Vec<&str> = if f.states.is_empty() {
        crate::domain::curation::OPEN_STATES
            .iter()
            .map(|s| s.as_str())
            .collect()
    } else {
        f.states.iter().map(|s| s.as_str()).collect()
    };
    let mut cond = Condition::all()
        .add(readable.condition())
        .add(match_::Column::State.is_in(states));
    if let Some(r) = &f.region {
        cond = cond.add(match_::Column::NeedId.in_subquery(need_ids(needs_in_region(r))));
    }
    if let Some(x) = &f.field {
        cond = cond.add(match_::Column::NeedId.in_subquery(need_ids(
            Condition::all().add(need::Column::Field.eq(x.as_str())),
        )));
    }
    if let Some(c) = needs_in_scope(&f.scope) {
        cond = cond.add(match_::Column::NeedId.in_subquery(need_ids(c)));
    }
    let q = match_::Entity::find().filter(cond);
    let total = q.clone().count(db).await?;
    let q = match f.sort {
        Sort::Score => q.order_by_desc(match_::Column::Score),
        Sort::Waiting => q
            .order_by_asc(match_::Column::StateSince)
            .order_by_asc(match_::Column::UpdatedAt),
    };
    let items = q
        .order_by_asc(match_::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(Paged { items, total })
}

/// One match, if the caller may read it.
pub async fn get_readable(
    db: &impl ConnectionTrait,
    id: i64,
    readable: Readable,
) -> Result<Option<match_::Model>, DbErr> {
    match_::Entity::find()
        .filter(match_::Column::Id.eq(id))
        .filter(readable.condition())
        .one(db)
        .await
}

/// Needs by internal id (the records behind some matches).
pub async fn needs_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, need::Model>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(need::Entity::find()
        .filter(need::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}

/// Capabilities by internal id.
pub async fn capabilities_by_ids(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, capability::Model>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(capability::Entity::find()
        .filter(capability::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect())
}
