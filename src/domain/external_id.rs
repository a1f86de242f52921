//! External ids: the stable ids chosen by a data source (`org-tisco`, `need-0001`).
//! They appear in URLs and file names, so the alphabet is kept URL-safe.

use super::validation::FieldError;
use std::fmt;

pub const MAX_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(field: &str, input: &str) -> Result<Self, FieldError> {
        let id = input.trim();
        if id.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "不能为空",
                "must not be empty",
            ));
        }
        if id.len() > MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("编号最长 {MAX_LEN} 个字符"),
                format!("ids are at most {MAX_LEN} characters"),
            ));
        }
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        {
            return Err(FieldError::new(
                field,
                "invalid_id",
                format!("编号“{id}”只能包含英文字母、数字和 - _ . :"),
                format!("id '{id}' may only contain ASCII letters, digits and - _ . :"),
            ));
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_parse() {
        assert!(ExternalId::parse("id", "need-0001").is_ok());
        assert!(ExternalId::parse("id", "org:tisco_2.a").is_ok());
    }

    #[test]
    fn ids_with_spaces_slashes_or_chinese_are_rejected() {
        for bad in ["a b", "a/b", "需求1", "", "   "] {
            assert!(ExternalId::parse("id", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn over_long_ids_are_rejected() {
        let long = "x".repeat(MAX_LEN + 1);
        assert_eq!(
            ExternalId::parse("id", &long).map_err(|e| e.code),
            Err("too_long")
        );
    }
}
