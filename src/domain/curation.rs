//! The curation workflow of a match: which state may follow which, which
//! transitions need a note, who may move matches, and how long each step took.
//!
//! ```text
//! suggested → shortlisted → introduced → negotiating → confirmed
//!     │            │             │             │
//!     └────────────┴─────────────┴─────────────┴──→ rejected | withdrawn
//! ```
//!
//! Rules:
//! - the happy path goes one step at a time (no skipping, no going back);
//! - every open state (`suggested` … `negotiating`) may end in `rejected`
//!   (staff decided against it) or `withdrawn` (a party stepped back);
//! - `confirmed`, `rejected` and `withdrawn` are final: nothing leaves them;
//! - moving to `confirmed` or `rejected` needs a note (the reason): these are
//!   the decisions `duijie train` learns from, and the reason is what a later
//!   reader of the audit history needs;
//! - only program staff and admins move matches.
//!
//! Pure: nothing here knows about HTTP or the database.

use super::access::Caller;
use super::enums::{MatchState, Role};
use chrono::{DateTime, Utc};

/// The states a match may move to from `from` (empty for final states).
pub fn allowed_targets(from: MatchState) -> &'static [MatchState] {
    use MatchState::*;
    match from {
        Suggested => &[Shortlisted, Rejected, Withdrawn],
        Shortlisted => &[Introduced, Rejected, Withdrawn],
        Introduced => &[Negotiating, Rejected, Withdrawn],
        Negotiating => &[Confirmed, Rejected, Withdrawn],
        Confirmed | Rejected | Withdrawn => &[],
    }
}

/// Whether `from → to` is an allowed transition.
pub fn is_allowed(from: MatchState, to: MatchState) -> bool {
    allowed_targets(from).contains(&to)
}

/// Open states are those a match can still move out of (the staff queue).
pub fn is_open(state: MatchState) -> bool {
    !allowed_targets(state).is_empty()
}

/// The open states, in workflow order.
pub const OPEN_STATES: &[MatchState] = &[
    MatchState::Suggested,
    MatchState::Shortlisted,
    MatchState::Introduced,
    MatchState::Negotiating,
];

/// Whether moving to `to` needs a note (the decision's reason).
pub fn requires_note(to: MatchState) -> bool {
    matches!(to, MatchState::Confirmed | MatchState::Rejected)
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `from → to` is not in the table; `allowed` is what `from` may go to.
    Illegal {
        from: MatchState,
        to: MatchState,
        allowed: &'static [MatchState],
    },
    /// The transition needs a note and none (or only blanks) was given.
    NoteRequired { to: MatchState },
}

/// Checks a transition and its note; returns the trimmed note (if any).
pub fn check_transition(
    from: MatchState,
    to: MatchState,
    note: Option<&str>,
) -> Result<Option<String>, Refusal> {
    if !is_allowed(from, to) {
        return Err(Refusal::Illegal {
            from,
            to,
            allowed: allowed_targets(from),
        });
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if requires_note(to) && note.is_none() {
        return Err(Refusal::NoteRequired { to });
    }
    Ok(note.map(str::to_owned))
}

/// Who may move matches between states and create them by hand.
pub fn may_curate(caller: &Caller) -> bool {
    matches!(
        caller,
        Caller::User {
            role: Role::ProgramStaff | Role::Admin,
            ..
        }
    )
}

/// Which side of a match a party stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The enterprise that posted the need.
    Need,
    /// The institution that published the capability.
    Capability,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Need => "need",
            Side::Capability => "capability",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "need" => Some(Side::Need),
            "capability" => Some(Side::Capability),
            _ => None,
        }
    }
}

/// Whether `caller` may express interest for `side` of a match whose record
/// on that side belongs to organization `side_org_id`: enterprise members for
/// their organization's needs, researchers for their institution's
/// capabilities. Staff create matches directly instead.
pub fn may_express_interest(caller: &Caller, side: Side, side_org_id: i64) -> bool {
    match *caller {
        Caller::User {
            role,
            org_id: Some(org),
            ..
        } if org == side_org_id => matches!(
            (side, role),
            (Side::Need, Role::EnterpriseMember) | (Side::Capability, Role::Researcher)
        ),
        _ => false,
    }
}

/// One state the match has been in, from the audit history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct StepAge {
    pub state: MatchState,
    pub entered_at: DateTime<Utc>,
    /// When the match left this state (`None`: it is still in it).
    pub left_at: Option<DateTime<Utc>>,
    /// Whole days spent in the state (until `left_at`, or until now).
    pub days: i64,
}

/// The steps of a match from its state changes (time, new state) in order:
/// each state lasts until the next change; the last one until `now`.
pub fn step_ages(changes: &[(DateTime<Utc>, MatchState)], now: DateTime<Utc>) -> Vec<StepAge> {
    changes
        .iter()
        .enumerate()
        .map(|(i, (at, state))| {
            let left_at = changes.get(i + 1).map(|(next, _)| *next);
            let until = left_at.unwrap_or(now);
            StepAge {
                state: *state,
                entered_at: *at,
                left_at,
                days: whole_days(*at, until),
            }
        })
        .collect()
}

/// Whole days from `since` to `until` (never negative).
pub fn whole_days(since: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    (until - since).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchState::*;
    use chrono::TimeZone;

    #[test]
    fn the_happy_path_goes_one_step_at_a_time() {
        let path = [Suggested, Shortlisted, Introduced, Negotiating, Confirmed];
        for w in path.windows(2) {
            assert!(is_allowed(w[0], w[1]), "{:?} → {:?}", w[0], w[1]);
        }
        assert!(!is_allowed(Suggested, Introduced));
        assert!(!is_allowed(Suggested, Confirmed));
        assert!(!is_allowed(Negotiating, Introduced));
        assert!(!is_allowed(Shortlisted, Shortlisted));
    }

    #[test]
    fn every_open_state_may_be_rejected_or_withdrawn() {
        for s in OPEN_STATES {
            assert!(is_open(*s));
            assert!(is_allowed(*s, Rejected) && is_allowed(*s, Withdrawn));
        }
    }

    #[test]
    fn final_states_allow_nothing() {
        for s in [Confirmed, Rejected, Withdrawn] {
            assert!(!is_open(s));
            for t in MatchState::ALL {
                assert!(!is_allowed(s, *t));
            }
        }
    }

    #[test]
    fn the_table_covers_every_state_and_targets_never_include_suggested() {
        for s in MatchState::ALL {
            assert!(!allowed_targets(*s).contains(&Suggested));
        }
        assert_eq!(
            MatchState::ALL.iter().filter(|s| is_open(**s)).count(),
            OPEN_STATES.len()
        );
    }

    #[test]
    fn decisions_need_a_note_and_refusals_name_the_allowed_targets() {
        assert_eq!(
            check_transition(Negotiating, Confirmed, Some("  ")),
            Err(Refusal::NoteRequired { to: Confirmed })
        );
        assert_eq!(
            check_transition(Suggested, Rejected, None),
            Err(Refusal::NoteRequired { to: Rejected })
        );
        assert_eq!(
            check_transition(Negotiating, Confirmed, Some(" 双方同意 ")),
            Ok(Some("双方同意".to_owned()))
        );
        assert_eq!(check_transition(Suggested, Shortlisted, None), Ok(None));
        assert_eq!(check_transition(Suggested, Withdrawn, None), Ok(None));
        match check_transition(Suggested, Confirmed, Some("x")) {
            Err(Refusal::Illegal { allowed, .. }) => {
                assert_eq!(allowed, &[Shortlisted, Rejected, Withdrawn]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_staff_and_admins_curate() {
        let u = |role, org| Caller::User {
            user_id: 1,
            role,
            org_id: org,
        };
        assert!(may_curate(&u(Role::ProgramStaff, None)));
        assert!(may_curate(&u(Role::Admin, None)));
        assert!(!may_curate(&u(Role::EnterpriseMember, Some(1))));
        assert!(!may_curate(&u(Role::Researcher, Some(1))));
        assert!(!may_curate(&Caller::Anonymous));
    }

    #[test]
    fn interest_comes_from_the_owning_side_only() {
        let u = |role, org| Caller::User {
            user_id: 1,
            role,
            org_id: Some(org),
        };
        assert!(may_express_interest(
            &u(Role::EnterpriseMember, 5),
            Side::Need,
            5
        ));
        assert!(!may_express_interest(
            &u(Role::EnterpriseMember, 6),
            Side::Need,
            5
        ));
        assert!(!may_express_interest(
            &u(Role::EnterpriseMember, 5),
            Side::Capability,
            5
        ));
        assert!(may_express_interest(
            &u(Role::Researcher, 7),
            Side::Capability,
            7
        ));
        assert!(!may_express_interest(
            &u(Role::Researcher, 7),
            Side::Need,
            7
        ));
        assert!(!may_express_interest(
            &Caller::Anonymous,
            Side::Capability,
            7
        ));
    }

    #[test]
    fn step_ages_run_until_the_next_change_or_now() {
        let t = |d: u32| {
            Utc.with_ymd_and_hms(2026, 1, d, 12, 0, 0)
                .single()
                .unwrap_or_default()
        };
        let steps = step_ages(
            &[(t(1), Suggested), (t(4), Shortlisted), (t(5), Introduced)],
            t(15),
        );
        let days: Vec<i64> = steps.iter().map(|s| s.days).collect();
        assert_eq!(days, vec![3, 1, 10]);
        assert_eq!(steps[0].left_at, Some(t(4)));
        assert_eq!(steps[2].left_at, None);
        assert_eq!(whole_days(t(5), t(1)), 0);
    }
}
