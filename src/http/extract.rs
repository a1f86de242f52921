//! Extractors whose rejections are problem documents like every other error.

use super::problem::ApiError;
use crate::domain::FieldError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

/// `Query<T>` with problem+json rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `Path<T>` with problem+json rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `Json<T>` request bodies with problem+json rejections: a missing or wrong
/// content type is 415, malformed JSON 400, and JSON of the wrong shape (a
/// string where a number belongs, an unknown key) 422 naming the field.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct JsonBody<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                let (field, detail) = data_error_field(&e.body_text());
                ApiError::validation(crate::domain::ValidationErrors::single(FieldError::new(
                    field,
                    "invalid_type",
                    format!("内容格式不正确：{detail}"),
                    detail.clone(),
                )))
            }
            JsonRejection::JsonSyntaxError(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("请求内容不是有效的 JSON：{}", e.body_text()),
                e.body_text(),
            ),
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::from_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            }
            other => ApiError::from_status(other.status()),
        }
    }
}

/// The field a serde data error is about and the error without axum's
/// preamble: `deadline: invalid type: integer …` → (`deadline`, …);
/// `missing field `title`` → (`title`, …); otherwise (`body`, …).
fn data_error_field(text: &str) -> (String, String) {
    let detail = text
        .split_once("target type: ")
        .map_or(text, |(_, rest)| rest)
        .to_owned();
    let detail = match detail.rsplit_once(" at line ") {
        Some((msg, _)) => msg.to_owned(),
        None => detail,
    };
    if let Some(rest) = detail.strip_prefix("missing field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        return (name.to_owned(), detail.clone());
    }
    if let Some(rest) = detail.strip_prefix("unknown field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        return (name.to_owned(), detail.clone());
    }
    match detail.split_once(": ") {
        Some((path, msg)) if !path.is_empty() && !path.contains(' ') => {
            (path.to_owned(), msg.to_owned())
        }
        _ => ("body".to_owned(), detail),
    }
}

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

#[cfg(test)]
mod tests {
    use super::data_error_field;

    #[test]
    fn serde_errors_name_their_field() {
        let pre = "Failed to deserialize the JSON body into the target type: ";
        assert_eq!(
            data_error_field(&format!(
                "{pre}budget_wan: invalid type: string \"x\", expected f64 at line 1 column 20"
            )),
            (
                "budget_wan".to_owned(),
                "invalid type: string \"x\", expected f64".to_owned()
            )
        );
        assert_eq!(
            data_error_field(&format!("{pre}keywords[1]: invalid type: integer `3`")).0,
            "keywords[1]"
        );
        assert_eq!(
            data_error_field(&format!(
                "{pre}unknown field `budget`, expected one of `a`, `b` at line 1 column 9"
            ))
            .0,
            "budget"
        );
        assert_eq!(data_error_field("something else").0, "body");
    }
}
