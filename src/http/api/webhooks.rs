//! `/api/v1/webhooks`: webhook subscriptions and their delivery log.
//!
//! Enterprise members and researchers manage their organization's
//! subscriptions (events on matches and agreements their organization is a
//! party to); program staff and admins manage staff-wide ones (every
//! event). Anonymous callers get 401; a subscription the caller does not
//! manage answers 404.

use super::{PageOf, finish_filters, paging};
use crate::domain::access::Caller;
use crate::domain::{FieldError, Role, ValidationErrors};
use crate::http::caller::RequireUser;
use crate::http::extract::{JsonBody, Path, Query};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::webhook_subscription;
use crate::storage::repo::webhooks::{self, Event, NewSubscription, Owner};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", delete(remove))
        .route("/webhooks/{id}/deliveries", get(deliveries))
}

/// Whose subscriptions the caller manages.
fn owner(caller: &Caller) -> Result<Owner, ApiError> {
    match *caller {
        Caller::User {
            role: Role::ProgramStaff | Role::Admin,
            ..
        } => Ok(Owner::Staff),
        Caller::User {
            org_id: Some(org), ..
        } => Ok(Owner::Org(org)),
        _ => Err(ApiError::forbidden(
            "只有单位用户和项目管理人员可以管理 Webhook",
            "only organization members and program staff manage webhooks",
        )),
    }
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found("Webhook 订阅", "webhook subscription", &id.to_string())
}

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// `http://` or `https://` URL receiving POSTs.
    #[serde(default)]
    pub url: String,
    /// Any of `match.state_changed`, `agreement.created`,
    /// `agreement.status_changed`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Shared secret for the `X-Duijie-Signature` HMAC (16–256 characters).
    /// Generated when left out; shown only in this response.
    pub secret: Option<String>,
}

/// A subscription. `secret` appears only in the response that created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    /// `organization` (events of one organization) or `staff` (all events).
    pub scope: &'static str,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    fn new(s: webhook_subscription::Model, show_secret: bool) -> Self {
        Self {
            id: s.id,
            events: webhooks::events_of(&s),
            url: s.url,
            active: s.active,
            scope: if s.organization_id.is_some() {
                "organization"
            } else {
                "staff"
            },
            created_at: s.created_at,
            secret: show_secret.then_some(s.secret),
        }
    }
}

fn check_url(url: &str, errors: &mut ValidationErrors) {
    let ok = url.len() <= 2048
        && reqwest::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !ok {
        errors.push(FieldError::new(
            "url",
            "invalid_url",
            "url 应为 http:// 或 https:// 开头的完整地址（不超过 2048 个字符）",
            "url must be an absolute http:// or https:// URL (at most 2048 characters)",
        ));
    }
}

/// 创建 Webhook 订阅 · Subscribe a URL to events.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = WebhookView), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(input): JsonBody<WebhookInput>,
) -> ApiResult<Response> {
    let owner = owner(&a.caller())?;
    let mut errors = ValidationErrors::default();
    let url = input.url.trim().to_owned();
    check_url(&url, &mut errors);
    if !state.webhook_allow_private
        && let Ok(parsed) = reqwest::Url::parse(&url)
        && let Some((zh, en)) = crate::webhooks::target::refused_literal(&parsed)
    {
        let zh = format!(
            "{zh}：Webhook 不能发往本机、内网、链路本地或未指定地址（服务器设置 DUIJIE_WEBHOOK_ALLOW_PRIVATE=1 时除外）"
        );
        let en = format!(
            "{en}: webhooks may not target loopback, private, link-local or unspecified addresses (unless the server sets DUIJIE_WEBHOOK_ALLOW_PRIVATE=1)"
        );
        return Err(ApiError::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "webhook_target_refused",
            message: zh.clone(),
            message_en: en.clone(),
            errors: vec![FieldError::new("url", "webhook_target_refused", zh, en)],
        });
    }
    let mut events = Vec::new();
    if input.events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "required",
            "请至少选择一个事件",
            "name at least one event",
        ));
    }
    for e in &input.events {
        match Event::from_code(e.trim()) {
            Some(ev) if !events.contains(&ev) => events.push(ev),
            Some(_) => {}
            None => errors.push(FieldError::new(
                "events",
                "unknown_event",
                format!("未知事件“{e}”；可选 match.state_changed、agreement.created、agreement.status_changed"),
                format!("unknown event '{e}'; known: match.state_changed, agreement.created, agreement.status_changed"),
            )),
        }
    }
    let secret = match input.secret {
        Some(s) => {
            let n = s.chars().count();
            if !(16..=256).contains(&n) || s.trim() != s {
                errors.push(FieldError::new(
                    "secret",
                    "invalid_secret",
                    "secret 应为 16 到 256 个字符，首尾不能有空白",
                    "secret must be 16 to 256 characters without surrounding whitespace",
                ));
            }
            s
        }
        None => format!("whsec_{}", crate::credentials::new_csrf_token()),
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let saved = webhooks::create(
        &state.db,
        &NewSubscription {
            organization_id: match owner {
                Owner::Org(o) => Some(o),
                Owner::Staff => None,
            },
            url: &url,
            secret: &secret,
            events: &events,
            created_by: a.user.id,
        },
        Utc::now(),
    )
    .await?;
    let location = format!("/api/v1/webhooks/{}", saved.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(WebhookView::new(saved, true)),
    )
        .into_response())
}

/// The caller's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookView>,
}

/// Webhook 订阅列表 · The subscriptions the caller manages.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = WebhookList), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
) -> ApiResult<Json<WebhookList>> {
    let owner = owner(&a.caller())?;
    let items = webhooks::list(&state.db, owner)
        .await?
        .into_iter()
        .map(|s| WebhookView::new(s, false))
        .collect();
    Ok(Json(WebhookList { items }))
}

/// 删除 Webhook 订阅 · Delete a subscription (and its pending deliveries and log).
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = i64, Path)),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 204), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let owner = owner(&a.caller())?;
    if webhooks::delete(&state.db, id, owner).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(id))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    page: Option<u64>,
    per_page: Option<u64>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The outbox row (`X-Duijie-Delivery`), the same for every retry.
    pub delivery_id: i64,
    pub event: String,
    /// 1-based attempt number.
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// HTTP status of the answer; null when there was none.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// State of the delivery now: `pending`, `delivered` or `failed`.
    pub delivery_state: &'static str,
}

/// 投递记录 · The delivery log of one subscription, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path), DeliveryParams),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = PageOf<DeliveryView>), (status = 401, body = crate::http::problem::Problem),
        (status = 403, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<i64>,
    Query(p): Query<DeliveryParams>,
) -> ApiResult<Json<PageOf<DeliveryView>>> {
    let owner = owner(&a.caller())?;
    let mut errors = Vec::new();
    let page = paging(p.page, p.per_page, &mut errors);
    finish_filters(errors)?;
    if webhooks::get_owned(&state.db, id, owner).await?.is_none() {
        return Err(not_found(id));
    }
    let found = webhooks::deliveries(&state.db, id, page).await?;
    let items = found
        .items
        .into_iter()
        .map(|r| DeliveryView {
            delivery_id: r.outbox.id,
            event: r.outbox.event.clone(),
            attempt: r.delivery.attempt,
            at: r.delivery.at,
            status_code: r.delivery.status_code,
            error: r.delivery.error,
            duration_ms: r.delivery.duration_ms,
            delivery_state: if r.outbox.delivered_at.is_some() {
                "delivered"
            } else if r.outbox.next_attempt_at.is_some() {
                "pending"
            } else {
                "failed"
            },
        })
        .collect();
    Ok(Json(PageOf {
        items,
        page: page.page,
        per_page: page.per_page,
        total: found.total,
    }))
}
