//! Errors as RFC 9457 `application/problem+json`, with a stable `code` and a
//! Chinese message (English alongside).
//!
//! Internal errors are logged where they are turned into a response and never
//! shown to the client: the body only says that something went wrong.

use crate::domain::{FieldError, ValidationErrors};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// The problem document sent to clients.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:duijie:problem:<code>`
    #[serde(rename = "type")]
    pub type_: String,
    /// Short English summary of the status.
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `not_found`, `invalid_query`.
    pub code: String,
    /// 中文说明（与 `message` 相同，供通用 problem+json 客户端显示）
    pub detail: String,
    /// 中文说明
    pub message: String,
    /// English explanation.
    pub message_en: String,
    /// Field-level errors, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `version_conflict`: the record as it now is, so the client can
    /// show what changed and retry with its `version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{code}: {message_en}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
        message_en: String,
        errors: Vec<FieldError>,
    },
    #[error("database unavailable: {0}")]
    Unavailable(DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// Another error with response headers (`Retry-After`, `WWW-Authenticate`,
    /// a cookie to clear) and, for conflicts, the current record in the body.
    #[error("{inner}")]
    WithExtras {
        inner: Box<ApiError>,
        headers: Vec<(HeaderName, HeaderValue)>,
        current: Option<serde_json::Value>,
    },
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self::Client {
            status,
            code,
            message: message.into(),
            message_en: message_en.into(),
            errors: Vec::new(),
        }
    }

    pub fn not_found(what_zh: &str, what_en: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what_zh}“{id}”不存在或无权查看"),
            format!("{what_en} '{id}' does not exist or is not visible to you"),
        )
    }

    pub fn bad_query(errors: Vec<FieldError>) -> Self {
        Self::Client {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_query",
            message: "查询参数无效".into(),
            message_en: "invalid query parameters".into(),
            errors,
        }
    }

    pub fn validation(errors: ValidationErrors) -> Self {
        Self::Client {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: "提交的内容未通过校验".into(),
            message_en: "the submitted data is not valid".into(),
            errors: errors.0,
        }
    }
}

impl ApiError {
    /// 401: credentials were sent but are not valid (unknown, expired or
    /// revoked token or session, disabled account), or a signed-in user is
    /// required and none was.
    pub fn unauthorized(message: impl Into<String>, message_en: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            message,
            message_en,
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"duijie\""),
        )
    }

    /// 403: signed in, but not allowed to do this.
    pub fn forbidden(message: impl Into<String>, message_en: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message, message_en)
    }

    /// 409 `version_conflict` carrying the record as it now is.
    pub fn version_conflict(current: serde_json::Value) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "记录已被他人修改：请查看当前内容（current），基于最新版本重新提交",
            "the record was changed by someone else; review `current` and resubmit with its version",
        )
        .with_current(current)
    }

    /// A problem for a bare status (the same codes as [`for_status`]).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, zh, en) = status_text(status);
        Self::new(status, code, zh, en)
    }

    /// Adds a response header.
    pub fn with_header(self, name: HeaderName, value: HeaderValue) -> Self {
        match self {
            Self::WithExtras {
                inner,
                mut headers,
                current,
            } => {
                headers.push((name, value));
                Self::WithExtras {
                    inner,
                    headers,
                    current,
                }
            }
            other => Self::WithExtras {
                inner: Box::new(other),
                headers: vec![(name, value)],
                current: None,
            },
        }
    }

    /// Adds the current state of the record to the problem body.
    pub fn with_current(self, value: serde_json::Value) -> Self {
        match self {
            Self::WithExtras { inner, headers, .. } => Self::WithExtras {
                inner,
                headers,
                current: Some(value),
            },
            other => Self::WithExtras {
                inner: Box::new(other),
                headers: Vec::new(),
                current: Some(value),
            },
        }
    }

    /// The stable code of a client error (for logs and tests).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Client { code, .. } => Some(code),
            Self::WithExtras { inner, .. } => inner.code(),
            _ => None,
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        // A full disk or a read-only data directory is the operator's to fix,
        // and the client should know that nothing was saved.
        let text = e.to_string();
        if storage_is_full(&text) {
            tracing::error!(error = %text, "storage full: write refused");
            return Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "服务器存储空间已满，本次修改未保存；请稍后重试或联系管理员",
                "the server's storage is full; nothing was saved, retry later or tell the operator",
            );
        }
        if storage_is_read_only(&text) {
            tracing::error!(error = %text, "storage read-only: write refused");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_read_only",
                "数据存储当前只读，本次修改未保存；请联系管理员",
                "the data store is read-only; nothing was saved, tell the operator",
            );
        }
        match e {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Self::Unavailable(e),
            other => Self::Internal(other.into()),
        }
    }
}

/// SQLite `SQLITE_FULL`, PostgreSQL `53100 disk_full` / `could not extend
/// file`, or the OS's ENOSPC, as they appear in driver messages.
fn storage_is_full(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database or disk is full")
        || m.contains("no space left on device")
        || m.contains("could not extend file")
        || m.contains("disk full")
}

/// SQLite `SQLITE_READONLY` or a read-only file system.
fn storage_is_read_only(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("attempt to write a readonly database") || m.contains("read-only file system")
}

/// A problem response for a bare status (used for errors raised outside the
/// handlers: unknown routes, body limits, timeouts).
pub fn for_status(status: StatusCode) -> Response {
    let (code, zh, en) = status_text(status);
    render(status, code, zh.into(), en.into(), Vec::new(), None)
}

fn status_text(status: StatusCode) -> (&'static str, &'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("not_found", "请求的地址不存在", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "该地址不支持此请求方法",
            "method not allowed for this resource",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "请求内容过大",
            "request body too large",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "请求处理超时", "request timed out"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "请求内容类型不受支持，请使用 application/json",
            "unsupported media type; send application/json",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "unavailable",
            "服务暂时不可用，请稍后重试",
            "service temporarily unavailable, retry later",
        ),
        s if s.is_server_error() => (
            "internal",
            "服务器内部错误，请稍后重试",
            "internal server error",
        ),
        _ => ("bad_request", "请求无效", "bad request"),
    }
}

fn render(
    status: StatusCode,
    code: &str,
    message: String,
    message_en: String,
    errors: Vec<FieldError>,
    current: Option<serde_json::Value>,
) -> Response {
    let body = Problem {
        type_: format!("urn:duijie:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        code: code.to_owned(),
        detail: message.clone(),
        message,
        message_en,
        errors,
        current,
    };
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Client {
                status,
                code,
                message,
                message_en,
                errors,
            } => render(status, code, message, message_en, errors, None),
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                for_status(StatusCode::SERVICE_UNAVAILABLE)
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
            ApiError::WithExtras {
                inner,
                headers,
                current,
            } => {
                let mut resp = match *inner {
                    ApiError::Client {
                        status,
                        code,
                        message,
                        message_en,
                        errors,
                    } => render(status, code, message, message_en, errors, current),
                    other => other.into_response(),
                };
                for (name, value) in headers {
                    resp.headers_mut().append(name, value);
                }
                resp
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_and_a_read_only_store_have_their_own_codes() {
        let full = ApiError::from(DbErr::Custom(
            "error returned from database: (code: 13) database or disk is full".into(),
        ));
        assert_eq!(full.code(), Some("storage_full"));
        let ro = ApiError::from(DbErr::Custom(
            "(code: 8) attempt to write a readonly database".into(),
        ));
        assert_eq!(ro.code(), Some("storage_read_only"));
        let other = ApiError::from(DbErr::Custom("syntax error".into()));
        assert_eq!(other.code(), None);
    }
}
