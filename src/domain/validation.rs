//! Field-level validation errors shared by the importer and the HTTP API.
//!
//! Every error names the field it is about and carries a stable code plus a
//! Chinese message (English alongside), so both a person fixing a JSONL file and
//! a form showing errors next to inputs can use it as it is.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field (JSON key) the error is about, e.g. `uscc` or `keywords[2]`.
    pub field: String,
    /// Stable machine-readable code, e.g. `too_long`.
    pub code: &'static str,
    /// 中文说明
    pub message: String,
    /// English explanation.
    pub message_en: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
            message_en: message_en.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.message_en)
    }
}

/// All errors found in one record; validation collects them instead of stopping
/// at the first, so one pass tells the author everything to fix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok(value) when nothing was collected.
    pub fn finish<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    pub fn single(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks a required free-text value: trimmed, 1..=max characters, no control
/// characters other than line breaks and tabs. Returns the trimmed text.
pub fn required_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::new(
            field,
            "required",
            "不能为空",
            "must not be empty",
        ));
    } else {
        check_text(errors, field, trimmed, max_chars);
    }
    trimmed.to_owned()
}

/// Like [`required_text`] for an optional value; empty text becomes `None`.
pub fn optional_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Option<String> {
    let trimmed = value.map(str::trim).filter(|v| !v.is_empty())?;
    check_text(errors, field, trimmed, max_chars);
    Some(trimmed.to_owned())
}

fn check_text(errors: &mut ValidationErrors, field: &str, value: &str, max_chars: usize) {
    let len = value.chars().count();
    if len > max_chars {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("长度为 {len} 个字符，最多允许 {max_chars} 个"),
            format!("is {len} characters long, at most {max_chars} allowed"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        errors.push(FieldError::new(
            field,
            "control_character",
            "包含不可见的控制字符",
            "contains control characters",
        ));
    }
}

/// Keywords: each trimmed, 1..=50 characters, at most 30, duplicates dropped
/// (keeping the first spelling), order kept.
pub fn keywords(errors: &mut ValidationErrors, field: &str, values: &[String]) -> Vec<String> {
    const MAX_KEYWORDS: usize = 30;
    const MAX_KEYWORD_CHARS: usize = 50;
    if values.len() > MAX_KEYWORDS {
        errors.push(FieldError::new(
            field,
            "too_many",
            format!("共 {} 个关键词，最多 {MAX_KEYWORDS} 个", values.len()),
            format!("{} keywords, at most {MAX_KEYWORDS}", values.len()),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, kw) in values.iter().enumerate() {
        let name = format!("{field}[{i}]");
        let kw = required_text(errors, &name, kw, MAX_KEYWORD_CHARS);
        if !kw.is_empty() && !out.contains(&kw) {
            out.push(kw);
        }
    }
    out
}
