//! `/api/v1/auth`: password sign-in (a session cookie for pages), sign-out,
//! the current user, and API tokens (random, shown once, stored hashed).
//!
//! Sign-in is rate-limited by the login-attempt log: at most
//! [`MAX_FAILURES_PER_USERNAME`] failed attempts per username and
//! [`MAX_FAILURES_PER_IP`] per client address within [`LOGIN_WINDOW`]; beyond
//! that the answer is 429 with `Retry-After`, even for the right password.
//! The per-address limit is higher because a whole enterprise often shares
//! one address behind NAT.

use super::views::OrgRef;
use crate::credentials;
use crate::domain::account;
use crate::domain::validation::required_text;
use crate::domain::{FieldError, Role, ValidationErrors};
use crate::http::caller::{self, ClientContext, Credential, RequireUser};
use crate::http::extract::{JsonBody, Path};
use crate::http::problem::{ApiError, ApiResult};
use crate::http::state::AppState;
use crate::storage::entities::{api_token, user};
use crate::storage::repo::login_attempts::{self, Key};
use crate::storage::repo::{api_tokens, organizations, sessions, users};
use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use utoipa::ToSchema;

pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_USERNAME: usize = 5;
pub const MAX_FAILURES_PER_IP: usize = 20;
/// Login attempts are kept this long (the window needs far less).
const ATTEMPTS_KEPT: Duration = Duration::days(1);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/tokens", post(create_token).get(list_tokens))
        .route("/auth/tokens/{id}", delete(revoke_token))
}

/// The API's security schemes, for the OpenAPI document.
pub struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                caller::SESSION_COOKIE,
                "POST /api/v1/auth/login 设置；修改类请求还需 X-CSRF-Token 请求头 · set by sign-in; writes also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// No `Debug`: the password must not end up in a log line.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `enterprise_member`, `researcher`, `program_staff`, `admin`.
    pub role: Role,
    /// The user's organization (enterprise members and researchers).
    pub org: Option<OrgRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub user: UserView,
    /// Send this in the `X-CSRF-Token` header with every request that
    /// changes something while signed in with the cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub user: UserView,
    /// `session` or `token`.
    pub auth: &'static str,
    /// For sessions: the CSRF token to send with writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// For sessions: when the session ends unless used again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

async fn user_view(state: &AppState, u: &user::Model, role: Role) -> ApiResult<UserView> {
    let org = match u.organization_id {
        Some(id) => organizations::by_ids(&state.db, [id])
            .await?
            .get(&id)
            .map(OrgRef::from),
        None => None,
    };
    Ok(UserView {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role,
        org,
    })
}

/// An argon2 hash to verify against when the username is unknown, so that a
/// wrong username takes as long as a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| crate::password::hash("duijie-no-such-user").ok());

/// 登录 · Sign in with username and password: sets the `duijie_session`
/// cookie (HttpOnly, SameSite=Lax, Secure over TLS) and returns the CSRF token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionView, headers(("set-cookie" = String))),
        (status = 401, body = crate::http::problem::Problem, description = "`invalid_credentials`"),
        (status = 403, body = crate::http::problem::Problem, description = "`account_disabled`"),
        (status = 422, body = crate::http::problem::Problem),
        (status = 429, body = crate::http::problem::Problem, description = "`too_many_attempts`, with Retry-After")))]
pub async fn login(
    State(state): State<AppState>,
    ctx: ClientContext,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let mut errors = ValidationErrors::default();
    let username = required_text(&mut errors, "username", &req.username, 200);
    if req.password.is_empty() {
        errors.push(FieldError::new(
            "password",
            "required",
            "不能为空",
            "must not be empty",
        ));
    }
    errors.finish(()).map_err(ApiError::validation)?;
    let key: String = username.to_lowercase().chars().take(64).collect();
    let now = Utc::now();
    check_rate_limit(&state, &key, &ctx.ip, now).await?;

    let user = users::by_username(&state.db, &username).await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let password = req.password;
    let verified = tokio::task::spawn_blocking(move || match stored {
        Some(h) => crate::password::verify(&password, &h),
        None => {
            if let Some(h) = DUMMY_HASH.as_deref() {
                crate::password::verify(&password, h);
            }
            false
        }
    })
    .await
    .context("password check panicked")?;
    login_attempts::record(&state.db, &key, &ctx.ip, verified, now).await?;
    let user = match user {
        Some(u) if verified => u,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "用户名或密码错误",
                "wrong username or password",
            ));
        }
    };
    if user.disabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "账号已停用，请联系系统管理员",
            "this account is disabled; contact an administrator",
        ));
    }
    let role = Role::from_code(&user.role)
        .with_context(|| format!("user {} has an unknown role {:?}", user.id, user.role))?;

    let secret = credentials::new_session_secret();
    let csrf = credentials::new_csrf_token();
    let session = sessions::create(&state.db, &secret.hash, user.id, &csrf, now).await?;
    if let Some(old) = ctx.session_secret.as_deref() {
        sessions::delete(&state.db, &credentials::sha256_hex(old)).await?;
    }
    // Housekeeping, cheap and indexed: expired sessions, old attempts.
    sessions::delete_expired(&state.db, now).await?;
    login_attempts::purge_before(&state.db, now - ATTEMPTS_KEPT).await?;
    tracing::info!(user_id = user.id, "signed in");

    let body = SessionView {
        user: user_view(&state, &user, role).await?,
        csrf_token: csrf,
        expires_at: session.expires_at,
    };
    let cookie = caller::session_cookie(&secret.plain, sessions::MAX_AGE.num_seconds(), ctx.https);
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// 429 when the username or the client address has too many recent failures.
async fn check_rate_limit(
    state: &AppState,
    username_key: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let since = now - LOGIN_WINDOW;
    let mut retry_at: Option<DateTime<Utc>> = None;
    for (key, max) in [
        (Key::Username(username_key), MAX_FAILURES_PER_USERNAME),
        (Key::ClientIp(ip), MAX_FAILURES_PER_IP),
    ] {
        let times = login_attempts::failure_times_since(&state.db, key, since, max as u64).await?;
        // Full: allowed again when the oldest of the last `max` failures
        // leaves the window.
        if times.len() >= max
            && let Some(oldest) = times.first()
        {
            let at = *oldest + LOGIN_WINDOW;
            retry_at = Some(retry_at.map_or(at, |r| r.max(at)));
        }
    }
    match retry_at {
        None => Ok(()),
        Some(at) => {
            let secs = (at - now).num_seconds().max(1);
            let minutes = (secs + 59) / 60;
            Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("登录失败次数过多，请 {minutes} 分钟后再试"),
                format!("too many failed sign-in attempts; retry in {minutes} minutes"),
            )
            .with_header(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("900")),
            ))
        }
    }
}

/// 退出登录 · Sign out: ends the session of the cookie (if any) and clears it.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out (also when not signed in)")))]
pub async fn logout(State(state): State<AppState>, ctx: ClientContext) -> ApiResult<Response> {
    // No CSRF check: signing someone out is harmless, and with SameSite=Lax
    // another site cannot send the cookie with a POST anyway.
    if let Some(secret) = ctx.session_secret.as_deref() {
        sessions::delete(&state.db, &credentials::sha256_hex(secret)).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, caller::clear_session_cookie(ctx.https))],
    )
        .into_response())
}

/// 当前用户 · The signed-in user, and how they signed in.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = MeView), (status = 401, body = crate::http::problem::Problem)))]
pub async fn me(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
) -> ApiResult<Json<MeView>> {
    let user = user_view(&state, &a.user, a.role).await?;
    Ok(Json(match &a.via {
        Credential::Session {
            csrf_token,
            expires_at,
            ..
        } => MeView {
            user,
            auth: "session",
            csrf_token: Some(csrf_token.clone()),
            expires_at: Some(*expires_at),
        },
        Credential::Token { .. } => MeView {
            user,
            auth: "token",
            csrf_token: None,
            expires_at: None,
        },
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. `ERP 同步`.
    #[serde(default)]
    pub name: String,
    /// Days until the token expires (1–3650); never when absent.
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it (`dj_AbCdEfGh`).
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Neither revoked nor expired.
    pub active: bool,
}

impl TokenView {
    fn new(t: api_token::Model, now: DateTime<Utc>) -> Self {
        Self {
            active: api_tokens::is_active(&t, now),
            id: t.id,
            name: t.name,
            token_prefix: t.token_prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// No `Debug`: the token must not end up in a log line.
#[derive(Serialize, ToSchema)]
pub struct NewTokenView {
    /// 令牌只显示这一次，请妥善保存 · Shown this once only: store it now.
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenView>,
}

/// 创建 API 令牌 · Create an API token for the signed-in user; the token is
/// in this response only.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = NewTokenRequest,
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 201, body = NewTokenView), (status = 401, body = crate::http::problem::Problem),
        (status = 422, body = crate::http::problem::Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    JsonBody(req): JsonBody<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewTokenView>)> {
    let now = Utc::now();
    let (name, expires_at) = account::check_token_request(&req.name, req.expires_in_days, now)
        .map_err(ApiError::validation)?;
    let secret = credentials::new_api_token();
    let t = api_tokens::create(
        &state.db,
        api_tokens::NewToken {
            user_id: a.user.id,
            name: &name,
            token_hash: &secret.hash,
            token_prefix: &credentials::shown_prefix(&secret.plain),
            expires_at,
        },
        now,
    )
    .await?;
    tracing::info!(user_id = a.user.id, token_id = t.id, "API token created");
    Ok((
        StatusCode::CREATED,
        Json(NewTokenView {
            token: secret.plain,
            info: TokenView::new(t, now),
        }),
    ))
}

/// 我的 API 令牌 · The signed-in user's tokens (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 200, body = TokenList), (status = 401, body = crate::http::problem::Problem)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
) -> ApiResult<Json<TokenList>> {
    let now = Utc::now();
    let items = api_tokens::for_user(&state.db, a.user.id)
        .await?
        .into_iter()
        .map(|t| TokenView::new(t, now))
        .collect();
    Ok(Json(TokenList { items }))
}

/// 撤销 API 令牌 · Revoke one of the signed-in user's tokens (admins: any).
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth",
    params(("id" = i64, Path, description = "Token id")),
    security(("api_token" = []), ("session_cookie" = [])),
    responses((status = 204, description = "Revoked (also when it already was)"),
        (status = 401, body = crate::http::problem::Problem), (status = 404, body = crate::http::problem::Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    RequireUser(a): RequireUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let not_found = || ApiError::not_found("API 令牌", "API token", &id.to_string());
    let t = api_tokens::by_id(&state.db, id)
        .await?
        .filter(|t| t.user_id == a.user.id || a.role == Role::Admin)
        .ok_or_else(not_found)?;
    api_tokens::revoke(&state.db, t.id, Utc::now()).await?;
    tracing::info!(user_id = a.user.id, token_id = t.id, "API token revoked");
    Ok(StatusCode::NO_CONTENT)
}
