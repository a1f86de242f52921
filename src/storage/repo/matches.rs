//! Matches between needs and capabilities, and their audit events.

use crate::domain::MatchState;
use crate::storage::entities::{capability, match_, match_event, need};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::HashSet;

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
            origin: Set("suggested".to_owned()),
            program_item_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        })
        .exec(db)
        .await?;
        match_event::Entity::insert(match_event::ActiveModel {
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
