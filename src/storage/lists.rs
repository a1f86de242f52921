//! Lists (fields, keywords, cooperation modes) are stored as JSON arrays in a
//! text column, the one representation SQLite and PostgreSQL share.

pub fn encode(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// Decodes a stored list; a malformed value reads as empty rather than failing
/// a whole page of results (it can only come from a hand-edited database).
pub fn decode(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_with_chinese_text() {
        let v = vec!["碳化硅".to_owned(), "SiC \"衬底\"".to_owned()];
        assert_eq!(decode(&encode(&v)), v);
    }
}
