//! Extractors whose rejections are problem documents like every other error.

use super::problem::ApiError;
use crate::domain::FieldError;
use axum::extract::FromRequestParts;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;

/// `Query<T>` with problem+json rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `Path<T>` with problem+json rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_query(vec![FieldError::new(
            "query",
            "invalid_query",
            format!("查询参数无法解析：{}", r.body_text()),
            r.body_text(),
        )])
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            format!("路径参数无效：{}", r.body_text()),
            r.body_text(),
        )
    }
}
