//! The pages' way to the JSON API: requests sent to the API router inside
//! the process, with the viewer's session cookie and CSRF token. Pages thus
//! decide nothing about permissions, validation or confidentiality
//! themselves; they show what the API answers, exactly as another client
//! would see it.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use tower::ServiceExt;

use crate::http::caller::{CSRF_HEADER, SESSION_COOKIE};

/// Largest API answer a page reads (exports are passed through unread).
const MAX_ANSWER_BYTES: usize = 32 << 20;

/// An in-process client of the API, acting for one viewer.
#[derive(Clone)]
pub struct Api {
    router: Router,
    session: Option<String>,
    csrf: Option<String>,
    peer: Option<ConnectInfo<SocketAddr>>,
    forwarded_https: bool,
}

/// A field-level error of a problem document.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct FieldIssue {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// What the API answered when it refused.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Problem {
    #[serde(skip, default = "internal_status")]
    pub status: StatusCode,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub message_en: String,
    #[serde(default)]
    pub errors: Vec<FieldIssue>,
    /// For `version_conflict`: the record as it is now.
    #[serde(default)]
    pub current: Option<serde_json::Value>,
}

fn internal_status() -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

impl Problem {
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "page could not use the API");
        Problem {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal".into(),
            message: "服务器内部错误，请稍后重试".into(),
            message_en: "internal server error".into(),
            errors: Vec::new(),
            current: None,
        }
    }

    /// The message for one form field, if the API named it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == name || e.field.starts_with(&format!("{name}[")))
            .map(|e| e.message.as_str())
    }
}

impl Api {
    pub fn new(router: Router) -> Self {
        Api {
            router,
            session: None,
            csrf: None,
            peer: None,
            forwarded_https: false,
        }
    }

    /// Acts for the holder of this session (cookie value) and CSRF token.
    pub fn with_session(mut self, session: Option<String>, csrf: Option<String>) -> Self {
        self.session = session;
        self.csrf = csrf;
        self
    }

    /// Keeps the browser's address (login rate limits) and TLS (cookie
    /// `Secure` flag) visible to the API.
    pub fn with_origin(mut self, peer: Option<ConnectInfo<SocketAddr>>, https: bool) -> Self {
        self.peer = peer;
        self.forwarded_https = https;
        self
    }

    pub async fn get<T: DeserializeOwned>(&self, uri: &str) -> Result<T, Problem> {
        let resp = self.call(Method::GET, uri, None).await?;
        decode(resp).await
    }

    /// `GET uri?query` with the query serialized from a struct (absent
    /// options left out).
    pub async fn get_with<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &impl Serialize,
    ) -> Result<T, Problem> {
        let qs = serde_urlencoded::to_string(query).map_err(Problem::internal)?;
        let uri = if qs.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{qs}")
        };
        self.get(&uri).await
    }

    pub async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        uri: &str,
        body: &impl Serialize,
    ) -> Result<T, Problem> {
        let json = serde_json::to_vec(body).map_err(Problem::internal)?;
        let resp = self.call(method, uri, Some(json)).await?;
        decode(resp).await
    }

    /// The API's whole response (headers included), for sign-in and
    /// exports, whose headers the page passes on.
    pub async fn raw(
        &self,
        method: Method,
        uri: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Response, Problem> {
        let json = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(Problem::internal)?),
            None => None,
        };
        self.call(method, uri, json).await
    }

    async fn call(
        &self,
        method: Method,
        uri: &str,
        json: Option<Vec<u8>>,
    ) -> Result<Response, Problem> {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(s) = &self.session {
            b = b.header(header::COOKIE, format!("{SESSION_COOKIE}={s}"));
        }
        if let Some(c) = &self.csrf {
            b = b.header(CSRF_HEADER, c.as_str());
        }
        if self.forwarded_https {
            b = b.header("x-forwarded-proto", HeaderValue::from_static("https"));
        }
        let body = match json {
            Some(bytes) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let mut req = b.body(body).map_err(Problem::internal)?;
        if let Some(p) = self.peer {
            req.extensions_mut().insert(p);
        }
        self.router
            .clone()
            .oneshot(req)
            .await
            .map_err(Problem::internal)
    }
}

/// The JSON body of a success, or the problem document of a refusal.
pub async fn decode<T: DeserializeOwned>(resp: Response) -> Result<T, Problem> {
    let status = resp.status();
    let bytes = to_bytes(resp.into_body(), MAX_ANSWER_BYTES)
        .await
        .map_err(Problem::internal)?;
    if status.is_success() {
        // 204 and friends: decode `null` so that `()` works.
        let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(text).map_err(|e| Problem::internal(format!("{status}: {e}")))
    } else {
        let mut p: Problem = serde_json::from_slice(&bytes).unwrap_or_else(|_| Problem {
            status,
            code: "unknown".into(),
            message: "请求未能完成".into(),
            message_en: "the request failed".into(),
            errors: Vec::new(),
            current: None,
        });
        p.status = status;
        Err(p)
    }
}
