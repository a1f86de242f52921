//! The JSON Lines interchange format (../shared/data-format.md): one record per
//! line in `organizations.jsonl`, `needs.jsonl` and `capabilities.jsonl`.
//!
//! `records` is the wire shape, `import` loads a folder (upsert by external id,
//! bad lines reported and skipped), `export` writes one.

pub mod export;
pub mod import;
pub mod records;

pub const ORGANIZATIONS_FILE: &str = "organizations.jsonl";
pub const NEEDS_FILE: &str = "needs.jsonl";
pub const CAPABILITIES_FILE: &str = "capabilities.jsonl";
