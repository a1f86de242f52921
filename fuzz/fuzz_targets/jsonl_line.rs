//! The JSON Lines interchange parser, as `duijie import` runs it on each line:
//! UTF-8 check, BOM and whitespace trimmed, blank lines skipped, serde into the
//! record's wire shape, then validated against the built-in taxonomy
//! (src/interchange/import.rs, `FileImporter::run` and `RecordKind::validate`).
//!
//! The input is treated as a whole file (split like `read_until(b'\n')`), and
//! every line is tried as each of the three record kinds. Must never panic.
//! A record that validates must validate again, unchanged, when written back
//! in the wire shape (import → export → import is a fixed point).
#![no_main]

use duijie::domain::{Capability, Need, Organization, Taxonomy};
use duijie::interchange::records::{CapabilityLine, NeedLine, OrganizationLine};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static TAXONOMY: LazyLock<Taxonomy> =
    LazyLock::new(|| Taxonomy::builtin().unwrap_or_else(|e| panic!("built-in taxonomy: {e}")));

fuzz_target!(|data: &[u8]| {
    let t = &*TAXONOMY;
    // One line as given (the importer sees it with or without its newline),
    // then the input as a multi-line file.
    line(data, t);
    for raw in data.split_inclusive(|&b| b == b'\n') {
        line(raw, t);
    }
});

/// The importer's per-line steps, for each record kind.
fn line(raw: &[u8], t: &Taxonomy) {
    let Ok(text) = std::str::from_utf8(raw) else {
        return; // rejected as "not valid UTF-8"
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return;
    }
    if let Ok(l) = serde_json::from_str::<OrganizationLine>(text) {
        match l.draft().validate(t) {
            Ok(o) => organization_round_trip(&o, t),
            Err(e) => reason(&e),
        }
    }
    if let Ok(l) = serde_json::from_str::<NeedLine>(text) {
        match l.draft().validate(t) {
            Ok(n) => need_round_trip(&n, t),
            Err(e) => reason(&e),
        }
    }
    if let Ok(l) = serde_json::from_str::<CapabilityLine>(text) {
        match l.draft().validate(t) {
            Ok(c) => capability_round_trip(&c, t),
            Err(e) => reason(&e),
        }
    }
}

/// The rejection reason the importer prints.
fn reason(e: &duijie::domain::ValidationErrors) {
    assert!(!e.is_empty(), "a rejection must name at least one error");
    let s = e.to_string();
    assert!(!s.is_empty());
}

fn organization_round_trip(o: &Organization, t: &Taxonomy) {
    let line = OrganizationLine {
        id: o.external_id.to_string(),
        name: o.name.clone(),
        kind: o.kind.as_str().to_owned(),
        tier: o.tier.clone(),
        region: o.region.clone(),
        above_scale: o.above_scale,
        ownership: o.ownership.map(|x| x.as_str().to_owned()),
        uscc: o.uscc.as_ref().map(|u| u.as_str().to_owned()),
        fields: o.fields.clone(),
    };
    let json = serde_json::to_string(&line).unwrap_or_else(|e| panic!("serialize: {e}"));
    let back: OrganizationLine =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("re-read {json}: {e}"));
    match back.draft().validate(t) {
        Ok(again) => assert_eq!(&again, o, "organization changed on re-import: {json}"),
        Err(e) => panic!("exported organization does not re-import: {e}\n{json}"),
    }
}

fn need_round_trip(n: &Need, t: &Taxonomy) {
    let p = &n.posting;
    let line = NeedLine {
        id: p.external_id.to_string(),
        org: p.org.to_string(),
        title: p.title.clone(),
        description: p.description.clone(),
        field: p.field.clone(),
        keywords: p.keywords.clone(),
        cooperation: p.cooperation.clone(),
        budget_wan: n.budget_wan,
        deadline: n.deadline.map(|d| d.format("%Y-%m-%d").to_string()),
        confidential: Some(n.confidential),
        status: Some(n.status.as_str().to_owned()),
    };
    let json = serde_json::to_string(&line).unwrap_or_else(|e| panic!("serialize: {e}"));
    let back: NeedLine =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("re-read {json}: {e}"));
    match back.draft().validate(t) {
        Ok(again) => assert_eq!(&again, n, "need changed on re-import: {json}"),
        Err(e) => panic!("exported need does not re-import: {e}\n{json}"),
    }
}

fn capability_round_trip(c: &Capability, t: &Taxonomy) {
    let p = &c.posting;
    let line = CapabilityLine {
        id: p.external_id.to_string(),
        org: p.org.to_string(),
        researcher: c.researcher.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        field: p.field.clone(),
        keywords: p.keywords.clone(),
        maturity: c.maturity.map(i64::from),
        cooperation: p.cooperation.clone(),
        status: Some(c.status.as_str().to_owned()),
    };
    let json = serde_json::to_string(&line).unwrap_or_else(|e| panic!("serialize: {e}"));
    let back: CapabilityLine =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("re-read {json}: {e}"));
    match back.draft().validate(t) {
        Ok(again) => assert_eq!(&again, c, "capability changed on re-import: {json}"),
        Err(e) => panic!("exported capability does not re-import: {e}\n{json}"),
    }
}
