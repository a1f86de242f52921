//! What every page handler uses: who is looking (`Viewer`), the frame of the
//! page (`Layout`), CSRF checks and error pages.

use super::WebState;
use super::client::{Api, Problem};
use crate::credentials;
use crate::domain::Role;
use crate::http::caller::{self, Authenticated, Credential};
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::net::SocketAddr;

/// Cookie holding a visitor's CSRF token (forms shown before sign-in).
pub const VISITOR_CSRF_COOKIE: &str = "duijie_csrf";

/// The form field every POST form carries.
pub const CSRF_FIELD: &str = "csrf_token";

/// A visitor's CSRF token, put in the request by `visitor_csrf_cookie`.
#[derive(Clone)]
struct VisitorCsrf(String);

/// Gives every visitor a CSRF token cookie (double-submit: the login form
/// sends it back as a field, which another site cannot read or set).
pub async fn visitor_csrf_cookie(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), VISITOR_CSRF_COOKIE).filter(|v| {
        v.len() >= 16
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (credentials::new_csrf_token(), true),
    };
    req.extensions_mut().insert(VisitorCsrf(token.clone()));
    let mut resp = next.run(req).await;
    if fresh
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{VISITOR_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
        ))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Who is looking at a page, and an API client acting for them.
pub struct Viewer {
    pub user: Option<Authenticated>,
    pub api: Api,
    /// The token this viewer's forms must carry.
    pub csrf: String,
    /// The path and query of this request (for "back here after sign-in").
    pub here: String,
}

impl Viewer {
    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role(), Some(Role::ProgramStaff | Role::Admin))
    }

    /// Refuses a form whose CSRF token is missing or not this viewer's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if !self.csrf.is_empty() && credentials::constant_time_eq(sent.trim(), &self.csrf) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "表单已过期或来源不明，请返回上一页刷新后重试。",
                "The form has expired or did not come from this site; reload the page and retry.",
            ))
        }
    }

    /// Signed in, or sent to the sign-in page (and back here afterwards).
    pub fn require_user(&self) -> Result<&Authenticated, PageError> {
        self.user
            .as_ref()
            .ok_or_else(|| PageError::SignIn(self.here.clone()))
    }

    pub fn layout(&self, title: impl Into<String>, active: &'static str) -> Layout {
        Layout {
            title: title.into(),
            active,
            csrf: self.csrf.clone(),
            user: self.user.as_ref().map(|a| UserBadge {
                name: if a.user.display_name.trim().is_empty() {
                    a.user.username.clone()
                } else {
                    a.user.display_name.clone()
                },
                username: a.user.username.clone(),
                role: a.role,
            }),
        }
    }
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, PageError> {
        let https = caller::is_https(parts);
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied();
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let user = match caller::page_viewer(parts, &state.app).await {
            Ok(u) => u,
            Err(e) => {
                let status = e.into_response().status();
                if status == StatusCode::UNAUTHORIZED {
                    // An expired or unknown session: a visitor again.
                    None
                } else {
                    return Err(PageError::from_status(status));
                }
            }
        };
        let (session, csrf) = match user.as_ref().map(|u| &u.via) {
            Some(Credential::Session { csrf_token, .. }) => (
                caller::session_secret(&parts.headers),
                Some(csrf_token.clone()),
            ),
            _ => (None, None),
        };
        let form_token = match &csrf {
            Some(t) => t.clone(),
            None => parts
                .extensions
                .get::<VisitorCsrf>()
                .map(|v| v.0.clone())
                .unwrap_or_default(),
        };
        let api = Api::new(state.api.clone())
            .with_session(session, csrf)
            .with_origin(peer, https);
        Ok(Viewer {
            user,
            api,
            csrf: form_token,
            here,
        })
    }
}

/// The signed-in user as the page frame shows them.
pub struct UserBadge {
    pub name: String,
    pub username: String,
    pub role: Role,
}

impl UserBadge {
    pub fn role_label(&self) -> &'static str {
        self.role.label_zh()
    }
    pub fn is_enterprise(&self) -> bool {
        self.role == Role::EnterpriseMember
    }
    pub fn is_researcher(&self) -> bool {
        self.role == Role::Researcher
    }
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::ProgramStaff | Role::Admin)
    }
}

/// The frame around every page: title, navigation, the signed-in user and
/// the CSRF token for forms.
pub struct Layout {
    pub title: String,
    /// Which navigation entry is current (`home`, `search`, `needs`,
    /// `capabilities`, `queue`, `agreements`, `dashboard`).
    pub active: &'static str,
    pub csrf: String,
    pub user: Option<UserBadge>,
}

impl Layout {
    pub fn is(&self, entry: &str) -> bool {
        self.active == entry
    }
    /// `aria-current` for the navigation entry of this page.
    pub fn current(&self, entry: &str) -> &'static str {
        if self.active == entry {
            "page"
        } else {
            "false"
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Renders a template into an HTML response.
pub fn render<T: Template>(t: &T) -> PageResult {
    match t.render() {
        Ok(html) => Ok(Html(html).into_response()),
        Err(e) => Err(PageError::from(Problem::internal(e))),
    }
}

/// Renders a template with a status other than 200 (a form shown again
/// with its errors answers 422).
pub fn render_status<T: Template>(status: StatusCode, t: &T) -> PageResult {
    let mut resp = render(t)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// A page that could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Sign in first, then come back to this path.
    SignIn(String),
    Shown {
        status: StatusCode,
        message: String,
        message_en: String,
    },
}

impl PageError {
    pub fn new(status: StatusCode, message: &str, message_en: &str) -> Self {
        PageError::Shown {
            status,
            message: message.to_owned(),
            message_en: message_en.to_owned(),
        }
    }

    pub fn not_found() -> Self {
        Self::from_status(StatusCode::NOT_FOUND)
    }

    pub fn from_status(status: StatusCode) -> Self {
        let (zh, en) = match status {
            StatusCode::NOT_FOUND => (
                "页面不存在，或您无权查看该内容。",
                "No such page, or you may not see it.",
            ),
            StatusCode::FORBIDDEN => ("您无权进行此操作。", "You may not do this."),
            StatusCode::SERVICE_UNAVAILABLE => (
                "服务暂时不可用，请稍后重试。",
                "The service is temporarily unavailable; retry later.",
            ),
            s if s.is_server_error() => (
                "服务器内部错误，请稍后重试。",
                "Internal server error; retry later.",
            ),
            _ => ("请求无效。", "Bad request."),
        };
        Self::new(status, zh, en)
    }
}

impl From<Problem> for PageError {
    fn from(p: Problem) -> Self {
        if p.status == StatusCode::UNAUTHORIZED {
            return PageError::SignIn("/".into());
        }
        if p.message.is_empty() {
            return Self::from_status(p.status);
        }
        PageError::Shown {
            status: p.status,
            message: p.message,
            message_en: p.message_en,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
    message_en: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn(next) => {
                let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                Redirect::to(&format!("/login?{q}")).into_response()
            }
            PageError::Shown {
                status,
                message,
                message_en,
            } => {
                let page = ErrorPage {
                    layout: Layout {
                        title: "出错了".into(),
                        // The viewer is not known here: the frame shows
                        // neither a sign-in link nor a user.
                        active: "error",
                        csrf: String::new(),
                        user: None,
                    },
                    status: status.as_u16(),
                    message,
                    message_en,
                };
                match page.render() {
                    Ok(html) => (status, Html(html)).into_response(),
                    Err(_) => (status, Html(format!("<!doctype html><html lang=\"zh-CN\"><title>出错了</title><p>{}</p></html>", status.as_u16()))).into_response(),
                }
            }
        }
    }
}

/// An HTML "not found" page, for addresses outside the API.
pub fn not_found_page() -> Response {
    PageError::not_found().into_response()
}

/// A redirect after a successful form (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Only local paths are followed after sign-in (no open redirect).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".to_owned(),
    }
}
