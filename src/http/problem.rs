//! Errors as RFC 9457 `application/problem+json`, with a stable `code` and a
//! Chinese message (English alongside).
//!
//! Internal errors are logged where they are turned into a response and never
//! shown to the client: the body only says that something went wrong.

use crate::domain::{FieldError, ValidationErrors};
use axum::http::{HeaderValue, StatusCode, header};
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

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        match e {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Self::Unavailable(e),
            other => Self::Internal(other.into()),
        }
    }
}

/// A problem response for a bare status (used for errors raised outside the
/// handlers: unknown routes, body limits, timeouts).
pub fn for_status(status: StatusCode) -> Response {
    let (code, zh, en) = match status {
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
    };
    render(status, code, zh.into(), en.into(), Vec::new())
}

fn render(
    status: StatusCode,
    code: &str,
    message: String,
    message_en: String,
    errors: Vec<FieldError>,
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
            } => render(status, code, message, message_en, errors),
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                for_status(StatusCode::SERVICE_UNAVAILABLE)
            }
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                for_status(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
