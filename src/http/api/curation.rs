//! The curation workflow: the staff queue of matches, a match with its audit
//! history, matches created by hand, state transitions, and interest
//! expressed by either side.
//!
//! Who may read a match: program staff and admins all; enterprise members
//! and researchers those involving their organization's records whose need
//! and capability they may both see; anonymous callers none (401). Only staff
//! and admins create matches and move them (`domain::curation`).

use super::views::OrgRef;
use super::{PageOf, code_filter, finish_filters, paging, text_filter, writes};
use crate::domain::access::Caller;
use crate::domain::curation::{self, Refusal, Side, StepAge};
use crate::domain::validation::optional_text;
use crate::domain::{FieldError, MatchState, Role, TermKind, ValidationErrors};
use crate::http::caller::{Authenticated, RequireUser};
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::{capability, match_, match_event, need, organization};
use crate::storage::repo::matches::{self, NewMatch, Origin, Readable};
use crate::storage::repo::{self, Edit, capabilities, needs, organizations, program_items, users};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/matches", get(list).post(create))
        .route("/matches/{id}", get(show))
        .route("/matches/{id}/transitions", post(transition))
        .route("/needs/{id}/interest", post(need_interest))
        .route("/capabilities/{id}/interest", post(capability_interest))
}

/// Longest note accepted (characters).
pub const MAX_NOTE_CHARS: usize = 2000;

/// The need of a match, summarised.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedSummary {
    /// External id.
    pub id: String,
    pub title: String,
    pub field: String,
    pub confidential: bool,
    pub status: String,
    pub org: OrgRef,
}

/// The capability of a match, summarised.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilitySummary {
    /// External id.
    pub id: String,
    pub title: String,
    pub field: String,
    pub researcher: Option<String>,
    pub maturity: Option<i16>,
    pub status: String,
    pub org: OrgRef,
}

/// A party's request for an introduction.
#[derive(Debug, Serialize, ToSchema)]
pub struct InterestView {
    pub side: Side,
    /// External id of the organization that asked.
    pub org: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchView {
    pub id: i64,
    pub need: NeedSummary,
    pub capability: CapabilitySummary,
    pub score: f64,
    pub state: MatchState,
    /// `suggested` (by `duijie suggest`), `manual` (by staff) or `interest`.
    pub origin: String,
    /// Code of the program item the match counts toward.
    pub program_item: Option<String>,
    /// When the match entered its current state.
    pub state_since: DateTime<Utc>,
    /// Whole days in the current state.
    pub days_waiting: i64,
    /// Every state the match has been in and how long it stayed.
    pub steps: Vec<StepAge>,
    /// What the match may move to next.
    pub allowed_transitions: Vec<MatchState>,
    pub interests: Vec<InterestView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it with a transition.
    pub version: i32,
}

/// Who did something.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    pub username: String,
    pub display_name: String,
    pub role: String,
}

/// One row of the audit history (immutable).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    /// `created`, `transition` or `interest`.
    pub kind: String,
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    /// `None` for the system (`duijie suggest`).
    pub actor: Option<ActorView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchDetail {
    #[serde(flatten)]
    pub matched: MatchView,
    /// The full audit history, oldest first.
    pub history: Vec<EventView>,
}

/// Builds the views of some matches with a few batched queries.
async fn views(
    state: &AppState,
    rows: Vec<match_::Model>,
    with_history: bool,
) -> ApiResult<Vec<MatchDetail>> {
    let db = &state.db;
    let needs = matches::needs_by_ids(db, rows.iter().map(|m| m.need_id)).await?;
    let caps = matches::capabilities_by_ids(db, rows.iter().map(|m| m.capability_id)).await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let events = matches::events(db, &ids).await?;
    let interests = matches::interests(db, &ids).await?;
    let org_ids = needs
        .values()
        .map(|n| n.organization_id)
        .chain(caps.values().map(|c| c.organization_id))
        .chain(interests.values().flatten().map(|i| i.organization_id));
    let orgs = organizations::by_ids(db, org_ids).await?;
    let items = program_items::by_ids(db, rows.iter().filter_map(|m| m.program_item_id)).await?;
    let actors = if with_history {
        users::by_ids(
            db,
            events.values().flatten().filter_map(|e| e.actor_user_id),
        )
        .await?
    } else {
        HashMap::new()
    };
    let now = Utc::now();
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let n = needs.get(&m.need_id).context("match without need")?;
        let c = caps
            .get(&m.capability_id)
            .context("match without capability")?;
        let n_org = orgs.get(&n.organization_id).context("need without org")?;
        let c_org = orgs
            .get(&c.organization_id)
            .context("capability without org")?;
        let evs = events.get(&m.id).map(Vec::as_slice).unwrap_or_default();
        let view = match_view(&m, n, n_org, c, c_org, evs, &interests, &orgs, &items, now)?;
        let history = if with_history {
            evs.iter().map(|e| event_view(e, &actors)).collect()
        } else {
            Vec::new()
        };
        out.push(MatchDetail {
            matched: view,
            history,
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn match_view(
    m: &match_::Model,
    n: &need::Model,
    n_org: &organization::Model,
    c: &capability::Model,
    c_org: &organization::Model,
    events: &[match_event::Model],
    interests: &HashMap<i64, Vec<crate::storage::entities::interest::Model>>,
    orgs: &HashMap<i64, organization::Model>,
    items: &HashMap<i64, crate::storage::entities::program_item::Model>,
    now: DateTime<Utc>,
) -> ApiResult<MatchView> {
    let state = MatchState::from_code(&m.state)
        .with_context(|| format!("match {} has an unknown state {:?}", m.id, m.state))?;
    let changes: Vec<(DateTime<Utc>, MatchState)> = events
        .iter()
        .filter(|e| e.kind != matches::EventKind::Interest.as_str())
        .filter_map(|e| Some((e.at, MatchState::from_code(&e.to_state)?)))
        .collect();
    let state_since = m.state_since.unwrap_or(m.updated_at);
    Ok(MatchView {
        id: m.id,
        need: NeedSummary {
            id: n.external_id.clone(),
            title: n.title.clone(),
            field: n.field.clone(),
            confidential: n.confidential,
            status: n.status.clone(),
            org: n_org.into(),
        },
        capability: CapabilitySummary {
            id: c.external_id.clone(),
            title: c.title.clone(),
            field: c.field.clone(),
            researcher: c.researcher.clone(),
            maturity: c.maturity,
            status: c.status.clone(),
            org: c_org.into(),
        },
        score: m.score,
        state,
        origin: m.origin.clone(),
        program_item: m
            .program_item_id
            .and_then(|id| items.get(&id))
            .map(|i| i.code.clone()),
        state_since,
        days_waiting: curation::whole_days(state_since, now),
        steps: curation::step_ages(&changes, now),
        allowed_transitions: curation::allowed_targets(state).to_vec(),
        interests: interests
            .get(&m.id)
            .into_iter()
            .flatten()
            .map(|i| InterestView {
                side: Side::from_code(&i.side).unwrap_or(Side::Need),
                org: orgs
                    .get(&i.organization_id)
                    .map(|o| o.external_id.clone())
                    .unwrap_or_default(),
                note: i.note.clone(),
                at: i.created_at,
            })
            .collect(),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn event_view(
    e: &match_event::Model,
    actors: &HashMap<i64, crate::storage::entities::user::Model>,
) -> EventView {
    EventView {
        id: e.id,
        kind: e.kind.clone(),
        at: e.at,
        from: e.from_state.clone(),
        to: e.to_state.clone(),
        note: e.note.clone(),
        actor: e
            .actor_user_id
            .and_then(|id| actors.get(&id))
            .map(|u| ActorView {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                role: u.role.clone(),
            }),
    }
}

async fn detail(state: &AppState, m: match_::Model) -> ApiResult<MatchDetail> {
    views(state, vec![m], true)
        .await?
        .pop()
        .context("a view for one match")
        .map_err(ApiError::from)
}

/// The matches a caller may read (`None`: none at all).
fn readable(caller: &Caller) -> Option<Readable> {
    Readable::of(caller.visibility())
}

fn match_not_found(id: i64) -> ApiError {
    ApiError::not_found("对接", "match", &id.to_string())
}

fn not_curator() -> ApiError {
    ApiError::forbidden(
        "只有项目管理人员和管理员可以创建和推进对接",
        "only program staff and admins create and move matches",
    )
}

async fn conflict(state: &AppState, m: match_::Model) -> ApiError {
    match detail(state, m).await {
        Ok(d) => match serde_json::to_value(d) {
            Ok(v) => ApiError::version_conflict(v),
            Err(e) => ApiError::Internal(e.into()),
        },
        Err(e) => e,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `score` (highest first, default) or `waiting` (longest in the current state first).
    sort: Option<String>,
    /// City (region) of the need's organization.
    city: Option<String>,
    /// Field code of the need.
    field: Option<String>,
    /// States, comma-separated; default: the open states
    /// (`suggested,shortlisted,introduced,negotiating`).
    state: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// 对接队列 · The curation queue: open matches by score or by days waiting.
/// Staff and admins see all (staff limited to cities or fields: the matches
/// of needs inside their scope); enterprise members and researchers the matches
/// of their own organization's records (never another organization's
/// confidential need).
#[utoipa::path(get, path = "/api/v1/matches", tag = "curation", params(ListParams),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<MatchView>), (status = 400, body = crate::http::problem::Problem),
        (status = 401, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: RequireUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<MatchView>>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    let sort = match text_filter(p.sort).as_deref() {
        None | Some("score") => matches::Sort::Score,
        Some("waiting") => matches::Sort::Waiting,
        Some(other) => {
            errors.push(FieldError::new(
                "sort",
                "unknown_code",
                format!("未知的排序方式“{other}”，可用：score, waiting"),
                format!("unknown sort '{other}'; allowed: score, waiting"),
            ));
            matches::Sort::Score
        }
    };
    let mut states = Vec::new();
    for s in p
        .state
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match MatchState::parse("state", s) {
            Ok(s) => states.push(s),
            Err(e) => errors.push(e),
        }
    }
    let filter = matches::Filter {
        states,
        region: text_filter(p.city),
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
        sort,
        // Scoped staff see the queue of their cities and fields only.
        scope: writes::staff_scope(&state, &user.0).await?,
    };
    finish_filters(errors)?;
    let Some(readable) = readable(&user.caller()) else {
        return Ok(Json(PageOf {
            items: Vec::new(),
            page: page.page,
            per_page: page.per_page,
            total: 0,
        }));
    };
    let found = matches::list(&state.db, &filter, readable, page).await?;
    let items = views(&state, found.items, false)
        .await?
        .into_iter()
        .map(|d| d.matched)
        .collect();
    Ok(Json(PageOf {
        items,
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}

/// 对接详情 · One match with its full audit history. A match the caller may
/// not read answers 404.
#[utoipa::path(get, path = "/api/v1/matches/{id}", tag = "curation",
    params(("id" = i64, Path, description = "Match id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = MatchDetail), (status = 401, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    user: RequireUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<MatchDetail>> {
    let readable = readable(&user.caller()).ok_or_else(|| match_not_found(id))?;
    let m = matches::get_readable(&state.db, id, readable)
        .await?
        .ok_or_else(|| match_not_found(id))?;
    Ok(Json(detail(&state, m).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMatchInput {
    /// External id of the need.
    #[serde(default)]
    pub need_id: String,
    /// External id of the capability.
    #[serde(default)]
    pub capability_id: String,
    /// Score to show in the queue (≥ 0; default 0).
    pub score: Option<f64>,
    /// Code of a program item the match counts toward.
    pub program_item: Option<String>,
    pub note: Option<String>,
}

/// 手工创建对接 · Staff create a match (state `suggested`, origin `manual`).
/// A pair that already has a match answers 409 `match_exists` with it.
#[utoipa::path(post, path = "/api/v1/matches", tag = "curation", request_body = NewMatchInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = MatchDetail, headers(("location" = String))),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem, description = "`match_exists`"),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<NewMatchInput>,
) -> ApiResult<Response> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_curator());
    }
    let mut errors = ValidationErrors::default();
    let need = lookup_need(&state, &input.need_id, "need_id", &mut errors).await?;
    let cap = lookup_capability(&state, &input.capability_id, "capability_id", &mut errors).await?;
    let score = input.score.unwrap_or(0.0);
    if !score.is_finite() || score < 0.0 {
        errors.push(FieldError::new(
            "score",
            "out_of_range",
            "得分应为不小于 0 的数",
            "score must be a number ≥ 0",
        ));
    }
    let note = optional_text(&mut errors, "note", input.note.as_deref(), MAX_NOTE_CHARS);
    let item = program_item_ref(&state, input.program_item.as_deref(), &mut errors).await?;
    let (Some(need), Some(cap)) = (need, cap) else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    check_scope(&state, &a, &need).await?;
    let new = NewMatch {
        need_id: need.id,
        capability_id: cap.id,
        score,
        origin: Origin::Manual,
        program_item_id: item,
        actor_user_id: Some(a.user.id),
        note: Some(
            note.as_deref()
                .unwrap_or("项目管理人员创建 (created by staff)"),
        ),
    };
    let saved = match matches::create(&state.db, &new, Utc::now()).await {
        Ok(m) => m,
        Err(e) if repo::is_unique_violation(&e) => {
            let existing = matches::by_pair(&state.db, need.id, cap.id)
                .await?
                .context("pair reported as existing is missing")?;
            let current = serde_json::to_value(detail(&state, existing).await?)
                .map_err(|e| ApiError::Internal(e.into()))?;
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "match_exists",
                "该需求与该能力已有对接记录：见 current",
                "this need and capability already have a match; see `current`",
            )
            .with_current(current));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        user_id = a.user.id,
        match_id = saved.id,
        "match created by hand"
    );
    let location = HeaderValue::from_str(&format!("/api/v1/matches/{}", saved.id))
        .context("match id in a header")?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(detail(&state, saved).await?),
    )
        .into_response())
}

async fn lookup_need(
    state: &AppState,
    id: &str,
    field: &str,
    errors: &mut ValidationErrors,
) -> ApiResult<Option<need::Model>> {
    let id = id.trim();
    if id.is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            "不能为空",
            "must not be empty",
        ));
        return Ok(None);
    }
    let found = needs::get(&state.db, id).await?;
    if found.is_none() {
        errors.push(FieldError::new(
            field,
            "unknown_need",
            format!("技术需求“{id}”不存在"),
            format!("need '{id}' does not exist"),
        ));
    }
    Ok(found)
}

async fn lookup_capability(
    state: &AppState,
    id: &str,
    field: &str,
    errors: &mut ValidationErrors,
) -> ApiResult<Option<capability::Model>> {
    let id = id.trim();
    if id.is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            "不能为空",
            "must not be empty",
        ));
        return Ok(None);
    }
    let found = capabilities::get(&state.db, id).await?;
    if found.is_none() {
        errors.push(FieldError::new(
            field,
            "unknown_capability",
            format!("科研能力“{id}”不存在"),
            format!("capability '{id}' does not exist"),
        ));
    }
    Ok(found)
}

/// The internal id of a program item named by code (errors on `program_item`).
pub(crate) async fn program_item_ref(
    state: &AppState,
    code: Option<&str>,
    errors: &mut ValidationErrors,
) -> ApiResult<Option<i64>> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    match program_items::by_code(&state.db, code).await? {
        Some(i) => Ok(Some(i.id)),
        None => {
            errors.push(FieldError::new(
                "program_item",
                "unknown_program_item",
                format!("行动计划项目“{code}”不存在"),
                format!("program item '{code}' does not exist"),
            ));
            Ok(None)
        }
    }
}

/// Staff curate within their scope (city of the need's organization, field
/// of the need); admins everywhere.
pub(crate) async fn check_scope(
    state: &AppState,
    a: &Authenticated,
    need: &need::Model,
) -> ApiResult<()> {
    if a.role != Role::ProgramStaff {
        return Ok(());
    }
    let scope = writes::staff_scope(state, a).await?;
    let org = writes::org_of(state, need.organization_id).await?;
    if scope.allows(org.region.as_deref(), &need.field) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "该对接不在您负责的城市或领域范围内",
            "this match is outside the cities or fields you curate",
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// Target state.
    #[serde(default)]
    pub to: String,
    /// Required for `confirmed` and `rejected` (the reason).
    pub note: Option<String>,
    /// The `version` the transition is based on (required).
    pub version: Option<i32>,
}

fn illegal(from: MatchState, to: MatchState, allowed: &[MatchState]) -> ApiError {
    let list = if allowed.is_empty() {
        "（无：已是最终状态）".to_owned()
    } else {
        allowed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let list_en = if allowed.is_empty() {
        "none: the state is final".to_owned()
    } else {
        list.clone()
    };
    let zh = format!(
        "不能从“{}”（{}）转为“{}”（{}）；允许的目标状态：{list}",
        from.as_str(),
        from.label_zh(),
        to.as_str(),
        to.label_zh()
    );
    let en = format!(
        "a match cannot move from '{}' to '{}'; allowed targets: {list_en}",
        from.as_str(),
        to.as_str()
    );
    ApiError::Client {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "illegal_transition",
        message: zh.clone(),
        message_en: en.clone(),
        errors: vec![FieldError::new("to", "illegal_transition", zh, en)],
    }
}

/// 推进对接 · Move a match to another state. Send the `version` you read: a
/// stale one gets 409 `version_conflict` with the current match; a
/// transition the workflow does not allow gets 422 `illegal_transition`
/// naming the allowed targets. Confirming and rejecting need a `note`.
#[utoipa::path(post, path = "/api/v1/matches/{id}/transitions", tag = "curation", request_body = TransitionInput,
    params(("id" = i64, Path, description = "Match id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = MatchDetail), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem, description = "`version_conflict`"),
        (status = 422, body = crate::http::problem::Problem, description = "`illegal_transition` or `validation_failed`")))]
pub async fn transition(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<TransitionInput>,
) -> ApiResult<Json<MatchDetail>> {
    let caller = a.caller();
    if !curation::may_curate(&caller) {
        // Say 403 only to those who may read the match.
        let visible = match readable(&caller) {
            Some(r) => matches::get_readable(&state.db, id, r).await?.is_some(),
            None => false,
        };
        return Err(if visible {
            not_curator()
        } else {
            match_not_found(id)
        });
    }
    let mut errors = ValidationErrors::default();
    let to = if input.to.trim().is_empty() {
        errors.push(FieldError::new(
            "to",
            "required",
            "须指定目标状态（to）",
            "the target state (to) is required",
        ));
        None
    } else {
        MatchState::parse("to", &input.to)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let version = writes::require_version(input.version, &mut errors);
    let note = optional_text(&mut errors, "note", input.note.as_deref(), MAX_NOTE_CHARS);
    let Some(to) = to else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    let current = matches::get(&state.db, id)
        .await?
        .ok_or_else(|| match_not_found(id))?;
    let need = needs_of(&state, &current).await?;
    check_scope(&state, &a, &need).await?;
    if current.version != version {
        return Err(conflict(&state, current).await);
    }
    let from = MatchState::from_code(&current.state)
        .with_context(|| format!("match {id} has an unknown state"))?;
    let note = match curation::check_transition(from, to, note.as_deref()) {
        Ok(n) => n,
        Err(Refusal::Illegal { from, to, allowed }) => return Err(illegal(from, to, allowed)),
        Err(Refusal::NoteRequired { to }) => {
            return Err(ApiError::validation(ValidationErrors::single(
                FieldError::new(
                    "note",
                    "required",
                    format!("转为“{}”须说明理由（note）", to.label_zh()),
                    format!("moving to '{}' needs a note giving the reason", to.as_str()),
                ),
            )));
        }
    };
    let change = matches::Transition {
        id,
        expected_version: version,
        from,
        to,
        actor_user_id: a.user.id,
        note: note.as_deref(),
    };
    match matches::transition(&state.db, &change, Utc::now()).await? {
        Edit::Saved(m) => {
            tracing::info!(user_id = a.user.id, match_id = id, from = %from, to = %to, "match moved");
            Ok(Json(detail(&state, m).await?))
        }
        Edit::Conflict(m) => Err(conflict(&state, m).await),
        Edit::Missing => Err(match_not_found(id)),
    }
}

async fn needs_of(state: &AppState, m: &match_::Model) -> ApiResult<need::Model> {
    Ok(matches::needs_by_ids(&state.db, [m.need_id])
        .await?
        .remove(&m.need_id)
        .context("match without need")?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInterestInput {
    /// External id of your institution's capability.
    #[serde(default)]
    pub capability_id: String,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilityInterestInput {
    /// External id of your organization's need.
    #[serde(default)]
    pub need_id: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterestResult {
    /// The match (created for this interest, or the pair's existing one).
    #[serde(rename = "match")]
    pub matched: MatchView,
    /// Whether a new match was created.
    pub created: bool,
    /// Whether a new interest was recorded (false: your side had already asked).
    pub recorded: bool,
}

/// How an interest request names the caller's own record on the other side.
struct Counterpart {
    field: &'static str,
    missing_zh: &'static str,
    missing_en: &'static str,
    unknown_code: &'static str,
    what_zh: &'static str,
    what_en: &'static str,
}

const COUNTERPART_CAPABILITY: Counterpart = Counterpart {
    field: "capability_id",
    missing_zh: "须指定本单位的科研能力（capability_id）",
    missing_en: "capability_id (one of your institution's capabilities) is required",
    unknown_code: "unknown_capability",
    what_zh: "科研能力",
    what_en: "capability",
};

const COUNTERPART_NEED: Counterpart = Counterpart {
    field: "need_id",
    missing_zh: "须指定本单位的技术需求（need_id）",
    missing_en: "need_id (one of your organization's needs) is required",
    unknown_code: "unknown_need",
    what_zh: "技术需求",
    what_en: "need",
};

/// The counterpart record of an interest request, or the field error saying
/// why there is none (no id given, or an id the caller may not see).
fn require_counterpart<T>(
    errors: &mut ValidationErrors,
    c: &Counterpart,
    id: &str,
    found: Option<T>,
) -> Option<T> {
    if id.is_empty() {
        errors.push(FieldError::new(
            c.field,
            "required",
            c.missing_zh,
            c.missing_en,
        ));
    } else if found.is_none() {
        errors.push(FieldError::new(
            c.field,
            c.unknown_code,
            format!("{}“{id}”不存在或无权查看", c.what_zh),
            format!(
                "{} '{id}' does not exist or is not visible to you",
                c.what_en
            ),
        ));
    }
    found
}

fn interest_forbidden(side: Side) -> ApiError {
    match side {
        Side::Capability => ApiError::forbidden(
            "只有该能力所属单位的科研人员可以为其表达对接意向",
            "only researchers of the capability's institution can express interest for it",
        ),
        Side::Need => ApiError::forbidden(
            "只有该需求所属企业的用户可以为其表达对接意向",
            "only members of the need's enterprise can express interest for it",
        ),
    }
}

/// 对需求表达对接意向 · A researcher asks for an introduction to a need on
/// behalf of one of their institution's capabilities. Creates the match
/// (origin `interest`) or reuses the pair's existing one; 201 when created.
#[utoipa::path(post, path = "/api/v1/needs/{id}/interest", tag = "curation", request_body = NeedInterestInput,
    params(("id" = String, Path, description = "Need external id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = InterestResult), (status = 200, body = InterestResult),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn need_interest(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<NeedInterestInput>,
) -> ApiResult<Response> {
    let v = a.caller().visibility();
    let need = needs::get_visible(&state.db, &id, v)
        .await?
        .ok_or_else(|| ApiError::not_found("技术需求", "need", &id))?;
    let mut errors = ValidationErrors::default();
    let note = optional_text(&mut errors, "note", input.note.as_deref(), MAX_NOTE_CHARS);
    let cap_id = input.capability_id.trim();
    let found = if cap_id.is_empty() {
        None
    } else {
        capabilities::get_visible(&state.db, cap_id, v).await?
    };
    let Some(cap) = require_counterpart(&mut errors, &COUNTERPART_CAPABILITY, cap_id, found) else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    if !curation::may_express_interest(&a.caller(), Side::Capability, cap.organization_id) {
        return Err(interest_forbidden(Side::Capability));
    }
    interest(
        &state,
        &a,
        &need,
        &cap,
        Side::Capability,
        cap.organization_id,
        note,
    )
    .await
}

/// 对能力表达对接意向 · An enterprise member asks for an introduction to a
/// capability on behalf of one of their organization's needs.
#[utoipa::path(post, path = "/api/v1/capabilities/{id}/interest", tag = "curation", request_body = CapabilityInterestInput,
    params(("id" = String, Path, description = "Capability external id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = InterestResult), (status = 200, body = InterestResult),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn capability_interest(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<CapabilityInterestInput>,
) -> ApiResult<Response> {
    let v = a.caller().visibility();
    let cap = capabilities::get_visible(&state.db, &id, v)
        .await?
        .ok_or_else(|| ApiError::not_found("科研能力", "capability", &id))?;
    let mut errors = ValidationErrors::default();
    let note = optional_text(&mut errors, "note", input.note.as_deref(), MAX_NOTE_CHARS);
    let need_id = input.need_id.trim();
    let found = if need_id.is_empty() {
        None
    } else {
        needs::get_visible(&state.db, need_id, v).await?
    };
    let Some(need) = require_counterpart(&mut errors, &COUNTERPART_NEED, need_id, found) else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    if !curation::may_express_interest(&a.caller(), Side::Need, need.organization_id) {
        return Err(interest_forbidden(Side::Need));
    }
    interest(
        &state,
        &a,
        &need,
        &cap,
        Side::Need,
        need.organization_id,
        note,
    )
    .await
}

async fn interest(
    state: &AppState,
    a: &Authenticated,
    need: &need::Model,
    cap: &capability::Model,
    side: Side,
    org_id: i64,
    note: Option<String>,
) -> ApiResult<Response> {
    let asked = matches::Interest {
        need_id: need.id,
        capability_id: cap.id,
        side: side.as_str(),
        org_id,
        user_id: a.user.id,
        note: note.as_deref(),
    };
    let out = matches::express_interest(&state.db, &asked, Utc::now()).await?;
    tracing::info!(
        user_id = a.user.id,
        match_id = out.matched.id,
        side = side.as_str(),
        created = out.created_match,
        "interest expressed"
    );
    // Re-read: the interest just recorded belongs in the view.
    let current = matches::get(&state.db, out.matched.id)
        .await?
        .unwrap_or(out.matched);
    let view = detail(state, current).await?.matched;
    let status = if out.created_match {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(InterestResult {
            matched: view,
            created: out.created_match,
            recorded: out.recorded,
        }),
    )
        .into_response())
}
