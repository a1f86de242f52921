//! Turning database rows into index documents.

use super::schema::Fields;
use crate::storage::entities::{capability, need, organization};
use crate::storage::lists;
use tantivy::TantivyDocument;

/// Which index a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Need,
    Capability,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Need, Kind::Capability];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Need => "need",
            Kind::Capability => "capability",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The parts common to both kinds.
struct Common<'a> {
    id: &'a str,
    version: i32,
    title: &'a str,
    description: &'a str,
    keywords: Vec<String>,
    field: &'a str,
    cooperation: Vec<String>,
    maturity: Option<i16>,
    status: &'a str,
    public: bool,
}

fn build(f: &Fields, c: Common<'_>, org: &organization::Model) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.id, c.id);
    d.add_u64(f.version, u64::try_from(c.version).unwrap_or(0));
    // The title counts twice: it says what the record is about.
    d.add_text(f.text, c.title);
    d.add_text(f.text, c.title);
    for k in &c.keywords {
        d.add_text(f.text, k);
        d.add_text(f.keywords, k);
    }
    d.add_text(f.text, c.description);
    d.add_text(f.title, c.title);
    d.add_text(f.description, c.description);
    d.add_text(f.field, c.field);
    if let Some(r) = &org.region {
        d.add_text(f.region, r);
    }
    if let Some(t) = &org.tier {
        d.add_text(f.tier, t);
    }
    for m in &c.cooperation {
        d.add_text(f.cooperation, m);
    }
    d.add_u64(
        f.maturity,
        c.maturity.and_then(|m| u64::try_from(m).ok()).unwrap_or(0),
    );
    d.add_text(f.status, c.status);
    d.add_text(f.org, &org.external_id);
    d.add_i64(f.org_id, org.id);
    d.add_text(f.org_name, &org.name);
    d.add_u64(f.public, u64::from(c.public));
    d
}

pub fn need_document(f: &Fields, n: &need::Model, org: &organization::Model) -> TantivyDocument {
    build(
        f,
        Common {
            id: &n.external_id,
            version: n.version,
            title: &n.title,
            description: &n.description,
            keywords: lists::decode(&n.keywords),
            field: &n.field,
            cooperation: lists::decode(&n.cooperation),
            maturity: None,
            status: &n.status,
            public: !n.confidential && n.status != crate::domain::NeedStatus::Draft.as_str(),
        },
        org,
    )
}

pub fn capability_document(
    f: &Fields,
    c: &capability::Model,
    org: &organization::Model,
) -> TantivyDocument {
    build(
        f,
        Common {
            id: &c.external_id,
            version: c.version,
            title: &c.title,
            description: &c.description,
            keywords: lists::decode(&c.keywords),
            field: &c.field,
            cooperation: lists::decode(&c.cooperation),
            maturity: c.maturity,
            status: &c.status,
            public: c.status != crate::domain::CapabilityStatus::Draft.as_str(),
        },
        org,
    )
}

/// Whether a capability belongs in the index at all: only published ones are
/// offered for search and matching. Keeping drafts and archived records out
/// means capability searches need no status filter (and stay prunable);
/// owners reach theirs through their own lists.
pub fn capability_is_indexed(c: &capability::Model) -> bool {
    c.status == crate::domain::CapabilityStatus::Published.as_str()
}
