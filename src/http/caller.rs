//! Who is calling. Every read handler takes a `Caller` and passes its
//! visibility to the storage layer; write handlers take `RequireUser`.
//!
//! Credentials, checked in this order:
//!
//! 1. `Authorization: Bearer dj_…`: an API token (for programs);
//! 2. the `duijie_session` cookie set by `POST /api/v1/auth/login` (for
//!    pages). Requests that change something (POST, PUT, PATCH, DELETE) made
//!    with the cookie must also carry the session's CSRF token in the
//!    `X-CSRF-Token` header; token requests need not (a browser never adds
//!    an `Authorization` header on its own).
//!
//! No credentials: anonymous (published, non-confidential records only).
//! Credentials that are not valid (unknown, expired, revoked, or of a
//! disabled account): 401, never a silent fall-back to anonymous.

use super::problem::ApiError;
use super::state::AppState;
use crate::credentials;
use crate::domain::Role;
use crate::domain::access::Caller;
use crate::storage::entities::user;
use crate::storage::repo::{api_tokens, sessions, users};
use anyhow::Context;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use chrono::{DateTime, Utc};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "duijie_session";
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    Session {
        /// SHA-256 of the cookie value (the session's id).
        id_hash: String,
        csrf_token: String,
        expires_at: DateTime<Utc>,
    },
    Token {
        id: i64,
    },
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: user::Model,
    pub role: Role,
    pub via: Credential,
}

impl Authenticated {
    pub fn caller(&self) -> Caller {
        Caller::User {
            user_id: self.user.id,
            role: self.role,
            org_id: self.user.organization_id,
        }
    }
}

/// The caller, anonymous or signed in.
pub struct CallerOf(pub Caller);

/// A signed-in user; anonymous requests are refused with 401.
pub struct RequireUser(pub Arc<Authenticated>);

impl RequireUser {
    pub fn caller(&self) -> Caller {
        self.0.caller()
    }
}

/// The result of checking a request's credentials, kept in the request's
/// extensions so that several extractors do not look twice.
#[derive(Clone)]
struct Resolved(Option<Arc<Authenticated>>);

impl FromRequestParts<AppState> for CallerOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(CallerOf(
            authenticate(parts, state)
                .await?
                .map_or(Caller::Anonymous, |a| a.caller()),
        ))
    }
}

impl FromRequestParts<AppState> for RequireUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match authenticate(parts, state).await? {
            Some(a) => Ok(RequireUser(a)),
            None => Err(ApiError::unauthorized(
                "请先登录（或在 Authorization 请求头中提供 API 令牌）",
                "sign in first (or send an API token in the Authorization header)",
            )),
        }
    }
}

/// Checks the request's credentials (once per request).
pub async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<Arc<Authenticated>>, ApiError> {
    if let Some(Resolved(r)) = parts.extensions.get::<Resolved>() {
        return Ok(r.clone());
    }
    let resolved = resolve(parts, state).await?.map(Arc::new);
    parts.extensions.insert(Resolved(resolved.clone()));
    Ok(resolved)
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<Authenticated>, ApiError> {
    let now = Utc::now();
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        return by_token(state, auth, now).await.map(Some);
    }
    match session_secret(&parts.headers) {
        Some(secret) => by_session(parts, state, &secret, now, true).await.map(Some),
        None => Ok(None),
    }
}

/// The signed-in user of a web page request: the session cookie only, and no
/// CSRF header check, because HTML forms carry their CSRF token in a form
/// field, which the page handler checks (`web::csrf`) before changing
/// anything.
pub async fn page_viewer(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Authenticated>, ApiError> {
    match session_secret(&parts.headers) {
        Some(secret) => by_session(parts, state, &secret, Utc::now(), false)
            .await
            .map(Some),
        None => Ok(None),
    }
}

async fn by_token(
    state: &AppState,
    auth: &HeaderValue,
    now: DateTime<Utc>,
) -> Result<Authenticated, ApiError> {
    let bad = || {
        ApiError::unauthorized(
            "API 令牌无效、已过期或已撤销",
            "the API token is not valid, has expired or was revoked",
        )
    };
    let text = auth.to_str().map_err(|_| bad())?.trim();
    let (scheme, token) = text.split_once(' ').ok_or_else(bad)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || !credentials::looks_like_api_token(token) {
        return Err(bad());
    }
    let t = api_tokens::by_hash(&state.db, &credentials::sha256_hex(token))
        .await?
        .filter(|t| api_tokens::is_active(t, now))
        .ok_or_else(bad)?;
    if let Some(wait) = state
        .token_limiter
        .as_ref()
        .and_then(|l| l.check(t.id).err())
    {
        let secs = wait.as_secs().max(1);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("该 API 令牌请求过于频繁，请 {secs} 秒后再试"),
            format!("too many requests with this API token; retry in {secs} s"),
        )
        .with_header(
            header::RETRY_AFTER,
            HeaderValue::from_str(&secs.to_string()).unwrap_or(HeaderValue::from_static("1")),
        ));
    }
    let (user, role) = active_user(state, t.user_id).await?;
    if let Err(e) = api_tokens::touch(&state.db, &t, now).await {
        tracing::warn!(error = %e, token_id = t.id, "recording token use failed");
    }
    Ok(Authenticated {
        user,
        role,
        via: Credential::Token { id: t.id },
    })
}

async fn by_session(
    parts: &Parts,
    state: &AppState,
    secret: &str,
    now: DateTime<Utc>,
    check_csrf: bool,
) -> Result<Authenticated, ApiError> {
    let https = is_https(parts);
    let bad = || {
        ApiError::unauthorized(
            "登录已过期，请重新登录",
            "the session has expired or is not valid; sign in again",
        )
        .with_header(header::SET_COOKIE, clear_session_cookie(https))
    };
    if !credentials::looks_like_session_secret(secret) {
        return Err(bad());
    }
    let id_hash = credentials::sha256_hex(secret);
    let Some(s) = sessions::by_id(&state.db, &id_hash).await? else {
        return Err(bad());
    };
    if s.expires_at <= now {
        sessions::delete(&state.db, &id_hash).await?;
        return Err(bad());
    }
    let (user, role) = active_user(state, s.user_id)
        .await
        .map_err(|e| e.with_header(header::SET_COOKIE, clear_session_cookie(https)))?;
    if check_csrf && !is_safe_method(&parts.method) {
        let sent = parts
            .headers
            .get(&CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !credentials::constant_time_eq(sent.trim(), &s.csrf_token) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "缺少或错误的 CSRF 令牌：请在 X-CSRF-Token 请求头中附上登录时返回的 csrf_token",
                "missing or wrong CSRF token: send the csrf_token returned at sign-in in the X-CSRF-Token header",
            ));
        }
    }
    if let Err(e) = sessions::touch(&state.db, &s, now).await {
        tracing::warn!(error = %e, "recording session activity failed");
    }
    Ok(Authenticated {
        user,
        role,
        via: Credential::Session {
            id_hash,
            csrf_token: s.csrf_token,
            expires_at: s.expires_at,
        },
    })
}

/// The user behind a credential, if the account exists and is enabled.
async fn active_user(state: &AppState, user_id: i64) -> Result<(user::Model, Role), ApiError> {
    let user = users::by_id(&state.db, user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "账号不存在或已停用",
                "the account does not exist or is disabled",
            )
        })?;
    let role = Role::from_code(&user.role)
        .with_context(|| format!("user {} has an unknown role {:?}", user.id, user.role))?;
    Ok((user, role))
}

fn is_safe_method(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The value of the session cookie, if the request has a non-empty one.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Whether the client reached duijie over TLS: directly (an `https` URI) or
/// through a reverse proxy that says so (`X-Forwarded-Proto: https` or
/// `Forwarded: proto=https`). Only decides the cookie's `Secure` flag, which
/// a forged header can only make stricter.
pub fn is_https(parts: &Parts) -> bool {
    let header_says = |name: &str, want: &dyn Fn(&str) -> bool| {
        parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(want)
    };
    parts.uri.scheme_str() == Some("https")
        || header_says("x-forwarded-proto", &|v| {
            v.split(',')
                .next()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        })
        || header_says("forwarded", &|v| {
            v.split([';', ','])
                .any(|kv| kv.trim().eq_ignore_ascii_case("proto=https"))
        })
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(secret: &str, max_age_secs: i64, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| clear_session_cookie(https))
}

/// `Set-Cookie` removing the session cookie.
pub fn clear_session_cookie(https: bool) -> HeaderValue {
    if https {
        HeaderValue::from_static(
            "duijie_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure",
        )
    } else {
        HeaderValue::from_static("duijie_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    }
}

/// The client's address, for rate limits and the login log. When the peer
/// is a proxy on this host or the private network (loopback, 10/8,
/// 172.16/12, 192.168/16, fc00::/7) the last address of `X-Forwarded-For`
/// (the one that proxy added) is used instead.
pub fn client_ip(parts: &Parts) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = || {
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back()
    };
    match peer {
        Some(p) if is_proxy_address(p) => forwarded().unwrap_or(p).to_string(),
        Some(p) => p.to_string(),
        None => forwarded().map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
    }
}

fn is_proxy_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
    }
}

/// Where the request came from and what it carried, for the sign-in
/// endpoints (which must work without valid credentials).
pub struct ClientContext {
    pub ip: String,
    pub https: bool,
    pub session_secret: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(ClientContext {
            ip: client_ip(parts),
            https: is_https(parts),
            session_secret: session_secret(&parts.headers),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)], peer: Option<&str>) -> Parts {
        let mut b = Request::builder().uri("/api/v1/needs");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let (mut parts, ()) = match b.body(()) {
            Ok(r) => r.into_parts(),
            Err(e) => panic!("{e}"),
        };
        if let Some(p) = peer.and_then(|p| p.parse::<SocketAddr>().ok()) {
            parts.extensions.insert(ConnectInfo(p));
        }
        parts
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let p = parts(&[("cookie", "a=1; duijie_session=abc ; b=2")], None);
        assert_eq!(session_secret(&p.headers).as_deref(), Some("abc"));
        let p = parts(&[("cookie", "duijie_session=")], None);
        assert_eq!(session_secret(&p.headers), None);
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_a_proxy_address() {
        let xff = [("x-forwarded-for", "203.0.113.9, 198.51.100.7")];
        assert_eq!(
            client_ip(&parts(&xff, Some("127.0.0.1:5000"))),
            "198.51.100.7"
        );
        assert_eq!(
            client_ip(&parts(&xff, Some("203.0.113.50:5000"))),
            "203.0.113.50"
        );
        assert_eq!(client_ip(&parts(&[], Some("10.1.2.3:1"))), "10.1.2.3");
    }

    #[test]
    fn https_is_recognised_behind_a_proxy() {
        assert!(is_https(&parts(&[("x-forwarded-proto", "https")], None)));
        assert!(is_https(&parts(
            &[("forwarded", "for=1.2.3.4;proto=https")],
            None
        )));
        assert!(!is_https(&parts(&[("x-forwarded-proto", "http")], None)));
        assert!(!is_https(&parts(&[], None)));
    }

    #[test]
    fn cookies_are_http_only_and_lax_and_secure_over_tls() {
        let c = session_cookie("abc", 60, true);
        let c = c.to_str().unwrap_or_default();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        let c = session_cookie("abc", 60, false);
        assert!(!c.to_str().unwrap_or_default().contains("Secure"));
    }
}
