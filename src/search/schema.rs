//! The search index schema, in one place.
//!
//! Every change in this file (or in the analyzer or the dictionary) changes the
//! index fingerprint, and an index built with another fingerprint is rebuilt
//! from the database at start. Needs and capabilities live in two indexes with
//! this same schema, so that a search of one kind is a plain disjunction that
//! tantivy can prune with block-max WAND (a `kind` filter would prevent it).

use super::tokenizer::TOKENIZER;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// External id (unique within an index).
    pub id: Field,
    /// Row version, to check that the index has caught up with the database.
    pub version: Field,
    /// The searched text: title (twice, as a weight), keywords, description.
    pub text: Field,
    pub title: Field,
    pub description: Field,
    pub keywords: Field,
    pub field: Field,
    pub region: Field,
    pub tier: Field,
    pub cooperation: Field,
    /// TRL 1–9, 0 when unknown.
    pub maturity: Field,
    pub status: Field,
    /// External id and internal id of the owning organization.
    pub org: Field,
    pub org_id: Field,
    pub org_name: Field,
    /// 1 when anyone may see the record (not confidential, not a draft).
    pub public: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqs);
    let text = b.add_text_field(
        "text",
        TextOptions::default().set_indexing_options(text_indexing),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        version: b.add_u64_field("version", STORED | FAST),
        text,
        title: b.add_text_field("title", STORED),
        description: b.add_text_field("description", STORED),
        keywords: b.add_text_field("keywords", STORED),
        field: b.add_text_field("field", STRING | STORED | FAST),
        region: b.add_text_field("region", STRING | STORED | FAST),
        tier: b.add_text_field("tier", STRING | STORED | FAST),
        cooperation: b.add_text_field("cooperation", STRING | STORED | FAST),
        maturity: b.add_u64_field("maturity", INDEXED | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED | FAST),
        org: b.add_text_field("org", STRING | STORED | FAST),
        org_id: b.add_i64_field("org_id", INDEXED | FAST),
        org_name: b.add_text_field("org_name", STORED),
        public: b.add_u64_field("public", INDEXED | FAST),
    };
    (b.build(), fields)
}

/// This file's source, part of the index fingerprint.
pub const SOURCE: &str = include_str!("schema.rs");
