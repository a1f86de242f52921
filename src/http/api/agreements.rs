//! `/api/v1/agreements`: technology contracts recorded from confirmed
//! matches. Party A is the organization of the match's need, party B that of
//! its capability. Staff and admins create agreements and change their
//! status; members of the two parties read their own; others see nothing
//! (404), anonymous callers 401.

use super::curation::{MAX_NOTE_CHARS, check_scope, program_item_ref};
use super::views::OrgRef;
use super::{PageOf, code_filter, enum_filter, finish_filters, paging, text_filter, writes};
use crate::domain::access::{Caller, Visibility};
use crate::domain::agreement::{self, AgreementDraft, parse_registration_no};
use crate::domain::curation;
use crate::domain::posting::parse_date;
use crate::domain::validation::optional_text;
use crate::domain::{
    AgreementStatus, ContractType, FieldError, MatchState, TermKind, ValidationErrors,
};
use crate::http::caller::RequireUser;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::{agreement as entity, organization};
use crate::storage::repo::agreements::{self, NewAgreement, Readable, StatusChange};
use crate::storage::repo::{self, Edit, matches, organizations, program_items, users};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agreements", get(list).post(create))
        .route("/agreements/{id}", get(show))
        .route("/agreements/{id}/status", post(change_status))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementView {
    pub id: i64,
    /// The confirmed match the agreement came from (attribution).
    pub match_id: Option<i64>,
    pub contract_type: ContractType,
    /// 技术开发 / 技术转让 / 技术许可 / 技术咨询 / 技术服务
    pub contract_type_zh: String,
    /// 甲方: the organization of the match's need.
    pub party_a: OrgRef,
    /// 乙方: the organization of the match's capability.
    pub party_b: OrgRef,
    /// 合同金额（万元）
    pub amount_wan: Option<f64>,
    pub signing_date: Option<NaiveDate>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    /// 技术合同登记编号
    pub registration_no: Option<String>,
    /// Code of the program item it counts toward.
    pub program_item: Option<String>,
    pub status: AgreementStatus,
    pub allowed_transitions: Vec<AgreementStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version; send it with a status change.
    pub version: i32,
}

/// One status change (immutable).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementEventView {
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    /// Username of who made the change.
    pub actor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDetail {
    #[serde(flatten)]
    pub agreement: AgreementView,
    pub history: Vec<AgreementEventView>,
}

async fn views(state: &AppState, rows: Vec<entity::Model>) -> ApiResult<Vec<AgreementView>> {
    let orgs = organizations::by_ids(
        &state.db,
        rows.iter()
            .flat_map(|a| [a.party_a_org_id, a.party_b_org_id]),
    )
    .await?;
    let items =
        program_items::by_ids(&state.db, rows.iter().filter_map(|a| a.program_item_id)).await?;
    rows.into_iter().map(|a| view(a, &orgs, &items)).collect()
}

fn view(
    a: entity::Model,
    orgs: &HashMap<i64, organization::Model>,
    items: &HashMap<i64, crate::storage::entities::program_item::Model>,
) -> ApiResult<AgreementView> {
    let contract_type = ContractType::from_code(&a.contract_type)
        .with_context(|| format!("agreement {} has an unknown contract type", a.id))?;
    let status = AgreementStatus::from_code(&a.status)
        .with_context(|| format!("agreement {} has an unknown status", a.id))?;
    let org = |id: i64| -> ApiResult<OrgRef> {
        Ok(orgs
            .get(&id)
            .context("agreement party without organization")?
            .into())
    };
    Ok(AgreementView {
        id: a.id,
        match_id: a.match_id,
        contract_type,
        contract_type_zh: contract_type.label_zh().to_owned(),
        party_a: org(a.party_a_org_id)?,
        party_b: org(a.party_b_org_id)?,
        amount_wan: a.amount_wan,
        signing_date: a.signing_date,
        term_start: a.term_start,
        term_end: a.term_end,
        registration_no: a.registration_no,
        program_item: a
            .program_item_id
            .and_then(|id| items.get(&id))
            .map(|i| i.code.clone()),
        status,
        allowed_transitions: agreement::allowed_targets(status).to_vec(),
        created_at: a.created_at,
        updated_at: a.updated_at,
        version: a.version,
    })
}

async fn detail(state: &AppState, a: entity::Model) -> ApiResult<AgreementDetail> {
    let events = agreements::events(&state.db, a.id).await?;
    let actors = users::by_ids(&state.db, events.iter().filter_map(|e| e.actor_user_id)).await?;
    let agreement = views(state, vec![a])
        .await?
        .pop()
        .context("a view for one agreement")?;
    Ok(AgreementDetail {
        agreement,
        history: events
            .into_iter()
            .map(|e| AgreementEventView {
                at: e.at,
                from: e.from_status,
                to: e.to_status,
                note: e.note,
                actor: e
                    .actor_user_id
                    .and_then(|id| actors.get(&id))
                    .map(|u| u.username.clone()),
            })
            .collect(),
    })
}

fn readable(caller: &Caller) -> Option<Readable> {
    match caller.visibility() {
        Visibility::All => Some(Readable::All),
        Visibility::PublicAndOrg(org) => Some(Readable::Party(org)),
        Visibility::Public => None,
    }
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found("技术合同", "agreement", &id.to_string())
}

fn not_staff() -> ApiError {
    ApiError::forbidden(
        "只有项目管理人员和管理员可以登记和变更技术合同",
        "only program staff and admins record agreements and change their status",
    )
}

fn registration_taken(no: &str) -> ApiError {
    ApiError::validation(ValidationErrors::single(FieldError::new(
        "registration_no",
        "taken",
        format!("登记编号“{no}”已被另一份合同使用"),
        format!("registration number '{no}' is already used by another agreement"),
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `draft`, `signed`, `registered`, `completed`, `terminated`.
    status: Option<String>,
    /// `tech_development`, `tech_transfer`, `tech_license`, `tech_consulting`, `tech_service`.
    contract_type: Option<String>,
    /// Program item code.
    program_item: Option<String>,
    /// City of party A (the need's organization).
    city: Option<String>,
    /// Field code of the need behind the agreement.
    field: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// 技术合同列表 · Agreements the caller may read (staff: all, or those of
/// needs inside their cities and fields; members: their organization's).
#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements", params(ListParams),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<AgreementView>), (status = 400, body = crate::http::problem::Problem),
        (status = 401, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    user: RequireUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<AgreementView>>> {
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    let mut filter = agreements::Filter {
        status: enum_filter(
            p.status,
            |v| AgreementStatus::parse("status", v),
            &mut errors,
        )
        .map(|s| s.as_str().to_owned()),
        contract_type: enum_filter(
            p.contract_type,
            |v| ContractType::parse("contract_type", v),
            &mut errors,
        )
        .map(|s| s.as_str().to_owned()),
        program_item_id: None,
        region: text_filter(p.city),
        field: code_filter(&state, TermKind::Field, "field", p.field, &mut errors),
        // Scoped staff list the agreements of their cities and fields only.
        scope: writes::staff_scope(&state, &user.0).await?,
    };
    if let Some(code) = text_filter(p.program_item) {
        match program_items::by_code(&state.db, &code).await? {
            Some(i) => filter.program_item_id = Some(i.id),
            None => errors.push(FieldError::new(
                "program_item",
                "unknown_program_item",
                format!("行动计划项目“{code}”不存在"),
                format!("program item '{code}' does not exist"),
            )),
        }
    }
    finish_filters(errors)?;
    let Some(readable) = readable(&user.caller()) else {
        return Ok(Json(PageOf {
            items: Vec::new(),
            page: page.page,
            per_page: page.per_page,
            total: 0,
        }));
    };
    let found = agreements::list(&state.db, &filter, readable, page).await?;
    Ok(Json(PageOf {
        items: views(&state, found.items).await?,
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}

/// 技术合同详情 · One agreement with its status history.
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "agreements",
    params(("id" = i64, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = AgreementDetail), (status = 401, body = crate::http::problem::Problem),
        (status = 404, body = crate::http::problem::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    user: RequireUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<AgreementDetail>> {
    let readable = readable(&user.caller()).ok_or_else(|| not_found(id))?;
    let a = agreements::get_readable(&state.db, id, readable)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Json(detail(&state, a).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    /// The confirmed match the agreement comes from.
    pub match_id: Option<i64>,
    /// `tech_development`, `tech_transfer`, `tech_license`, `tech_consulting`, `tech_service`.
    #[serde(default)]
    pub contract_type: String,
    /// 合同金额（万元），≥ 0
    pub amount_wan: Option<f64>,
    /// `YYYY-MM-DD`
    pub signing_date: Option<String>,
    pub term_start: Option<String>,
    /// Not before `term_start`.
    pub term_end: Option<String>,
    /// 技术合同登记编号, e.g. `20251401000123` (see README).
    pub registration_no: Option<String>,
    /// Code of the program item the agreement counts toward.
    pub program_item: Option<String>,
    pub note: Option<String>,
}

/// 登记技术合同 · Record an agreement (status `draft`) from a confirmed match.
#[utoipa::path(post, path = "/api/v1/agreements", tag = "agreements", request_body = AgreementInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = AgreementDetail, headers(("location" = String))),
        (status = 401, body = crate::http::problem::Problem), (status = 403, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<AgreementInput>,
) -> ApiResult<Response> {
    if !curation::may_curate(&a.caller()) {
        return Err(not_staff());
    }
    let draft = AgreementDraft {
        contract_type: &input.contract_type,
        amount_wan: input.amount_wan,
        signing_date: input.signing_date.as_deref(),
        term_start: input.term_start.as_deref(),
        term_end: input.term_end.as_deref(),
        registration_no: input.registration_no.as_deref(),
    };
    let mut errors = ValidationErrors::default();
    let matched =
        match input.match_id {
            None => {
                errors.push(FieldError::new(
                    "match_id",
                    "required",
                    "须指定已确认的对接（match_id）",
                    "match_id (a confirmed match) is required",
                ));
                None
            }
            Some(id) => match matches::get(&state.db, id).await? {
                None => {
                    errors.push(FieldError::new(
                        "match_id",
                        "unknown_match",
                        format!("对接 {id} 不存在"),
                        format!("match {id} does not exist"),
                    ));
                    None
                }
                Some(m) if m.state != MatchState::Confirmed.as_str() => {
                    errors.push(FieldError::new(
                    "match_id",
                    "match_not_confirmed",
                    format!("只能为已确认合作的对接登记合同（对接 {id} 当前为“{}”）", m.state),
                    format!(
                        "agreements are recorded for confirmed matches only (match {id} is '{}')",
                        m.state
                    ),
                ));
                    None
                }
                Some(m) => Some(m),
            },
        };
    let note = optional_text(&mut errors, "note", input.note.as_deref(), MAX_NOTE_CHARS);
    let item = program_item_ref(&state, input.program_item.as_deref(), &mut errors).await?;
    let terms = writes::finish(draft.validate(), errors)?;
    let matched = matched.context("validated match")?;
    let need = matches::needs_by_ids(&state.db, [matched.need_id])
        .await?
        .remove(&matched.need_id)
        .context("match without need")?;
    let cap = matches::capabilities_by_ids(&state.db, [matched.capability_id])
        .await?
        .remove(&matched.capability_id)
        .context("match without capability")?;
    check_scope(&state, &a, &need).await?;
    let new = NewAgreement {
        match_id: matched.id,
        party_a_org_id: need.organization_id,
        party_b_org_id: cap.organization_id,
        program_item_id: item,
        terms: &terms,
        created_by: a.user.id,
        note: note.as_deref(),
    };
    let saved = match agreements::create(&state.db, &new, Utc::now()).await {
        Ok(s) => s,
        Err(e) if repo::is_unique_violation(&e) => {
            return Err(registration_taken(
                terms.registration_no.as_deref().unwrap_or_default(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        user_id = a.user.id,
        agreement_id = saved.id,
        match_id = matched.id,
        "agreement recorded"
    );
    let location = HeaderValue::from_str(&format!("/api/v1/agreements/{}", saved.id))
        .context("agreement id in a header")?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(detail(&state, saved).await?),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// Target status.
    #[serde(default)]
    pub to: String,
    /// The `version` the change is based on (required).
    pub version: Option<i32>,
    pub note: Option<String>,
    /// Fills in the signing date (needed for `signed` unless already set).
    pub signing_date: Option<String>,
    /// Fills in the registration number (needed for `registered` unless already set).
    pub registration_no: Option<String>,
}

fn illegal(from: AgreementStatus, to: AgreementStatus) -> ApiError {
    let allowed = agreement::allowed_targets(from);
    let list = if allowed.is_empty() {
        "none (final)".to_owned()
    } else {
        allowed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let zh = format!(
        "合同状态不能从“{}”（{}）转为“{}”（{}）；允许的目标状态：{list}",
        from.as_str(),
        from.label_zh(),
        to.as_str(),
        to.label_zh()
    );
    let en = format!(
        "an agreement cannot move from '{}' to '{}'; allowed targets: {list}",
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

/// 变更合同状态 · Move an agreement along draft → signed → registered →
/// completed (or to terminated). A stale `version` gets 409 with the current
/// agreement; a disallowed change 422 `illegal_transition`.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/status", tag = "agreements", request_body = StatusInput,
    params(("id" = i64, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = AgreementDetail), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem),
        (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn change_status(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<StatusInput>,
) -> ApiResult<Json<AgreementDetail>> {
    let caller = a.caller();
    if !curation::may_curate(&caller) {
        let visible = match readable(&caller) {
            Some(r) => agreements::get_readable(&state.db, id, r).await?.is_some(),
            None => false,
        };
        return Err(if visible { not_staff() } else { not_found(id) });
    }
    let mut errors = ValidationErrors::default();
    let to = if input.to.trim().is_empty() {
        errors.push(FieldError::new(
            "to",
            "required",
            "须指定目标状态（to）",
            "the target status (to) is required",
        ));
        None
    } else {
        AgreementStatus::parse("to", &input.to)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let version = writes::require_version(input.version, &mut errors);
    let note = optional_text(&mut errors, "note", input.note.as_deref(), MAX_NOTE_CHARS);
    let signing_date = input
        .signing_date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            parse_date("signing_date", s)
                .map_err(|e| errors.push(e))
                .ok()
        });
    let registration_no = input
        .registration_no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| {
            parse_registration_no("registration_no", s)
                .map_err(|e| errors.push(e))
                .ok()
        });
    let Some(to) = to else {
        return Err(ApiError::validation(errors));
    };
    errors.finish(()).map_err(ApiError::validation)?;
    let current = agreements::get(&state.db, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if a.role == crate::domain::Role::ProgramStaff
        && let Some(match_id) = current.match_id
        && let Some(matched) = matches::get(&state.db, match_id).await?
    {
        let need = matches::needs_by_ids(&state.db, [matched.need_id])
            .await?
            .remove(&matched.need_id)
            .context("match without need")?;
        check_scope(&state, &a, &need).await?;
    }
    if current.version != version {
        return Err(conflict(&state, current).await);
    }
    let from = AgreementStatus::from_code(&current.status)
        .with_context(|| format!("agreement {id} has an unknown status"))?;
    if !agreement::is_allowed(from, to) {
        return Err(illegal(from, to));
    }
    let mut missing = ValidationErrors::default();
    if to == AgreementStatus::Signed && current.signing_date.is_none() && signing_date.is_none() {
        missing.push(FieldError::new(
            "signing_date",
            "required",
            "转为“已签订”须有签订日期（signing_date）",
            "moving to 'signed' needs a signing_date",
        ));
    }
    if to == AgreementStatus::Registered
        && current.registration_no.is_none()
        && registration_no.is_none()
    {
        missing.push(FieldError::new(
            "registration_no",
            "required",
            "转为“已登记”须有技术合同登记编号（registration_no）",
            "moving to 'registered' needs a registration_no",
        ));
    }
    if let (Some(no), Some(signed)) = (
        registration_no.as_deref(),
        signing_date.or(current.signing_date),
    ) && no.get(..4).and_then(|y| y.parse::<i32>().ok()) < Some(signed.year())
    {
        missing.push(FieldError::new(
            "registration_no",
            "before_signing",
            "登记编号中的年份早于签订日期：合同签订后才能登记",
            "the registration number's year is before the signing date: contracts are registered after signing",
        ));
    }
    missing.finish(()).map_err(ApiError::validation)?;
    let change = StatusChange {
        id,
        expected_version: version,
        from,
        to,
        signing_date,
        registration_no: registration_no.as_deref(),
        actor_user_id: a.user.id,
        note: note.as_deref(),
    };
    match agreements::change_status(&state.db, &change, Utc::now()).await {
        Ok(Edit::Saved(m)) => {
            tracing::info!(user_id = a.user.id, agreement_id = id, from = %from, to = %to, "agreement status changed");
            Ok(Json(detail(&state, m).await?))
        }
        Ok(Edit::Conflict(m)) => Err(conflict(&state, m).await),
        Ok(Edit::Missing) => Err(not_found(id)),
        Err(e) if repo::is_unique_violation(&e) => Err(registration_taken(
            registration_no.as_deref().unwrap_or_default(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn conflict(state: &AppState, m: entity::Model) -> ApiError {
    match detail(state, m).await {
        Ok(d) => match serde_json::to_value(d) {
            Ok(v) => ApiError::version_conflict(v),
            Err(e) => ApiError::Internal(e.into()),
        },
        Err(e) => e,
    }
}
