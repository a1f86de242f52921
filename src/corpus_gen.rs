//! Deterministic synthetic corpus in the interchange format (data-format.md),
//! for benchmarks at 100k–1M documents.
//!
//! Everything comes from one seed through ChaCha8, whose output is fixed across
//! platforms and releases, and only integer sampling is used, so the same seed
//! gives byte-identical files anywhere. Records are written as they are made:
//! only the organizations (a few percent of the documents) stay in memory,
//! because needs and capabilities refer to them.
//!
//! Text is assembled from per-field vocabularies and sentence templates: needs
//! read the way plant engineers write, capabilities the way research teams do,
//! and both mix Chinese with figures and a few English abbreviations. Every
//! organization name is invented from syllables; none stands for a real body.

use crate::domain::{OrgKind, Ownership, Taxonomy, TermKind, Uscc};
use crate::interchange::records::{CapabilityLine, NeedLine, OrganizationLine};
use crate::interchange::{CAPABILITIES_FILE, NEEDS_FILE, ORGANIZATIONS_FILE};
use anyhow::Context;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSpec {
    pub needs: usize,
    pub capabilities: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenReport {
    pub organizations: usize,
    pub needs: usize,
    pub capabilities: usize,
    /// Total size of the three files.
    pub bytes: u64,
}

/// Writes organizations.jsonl, needs.jsonl, capabilities.jsonl into dir (created if missing).
pub fn generate(dir: &Path, spec: &GenSpec) -> anyhow::Result<GenReport> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let taxonomy = Taxonomy::builtin().context("reading the built-in taxonomy")?;
    let world = World::plan(spec, related_fields(&taxonomy)?)?;

    let mut bytes = write_jsonl(&dir.join(ORGANIZATIONS_FILE), world.orgs.len(), |i| {
        world.orgs[i].line(i)
    })?;
    let mut rng = stream(spec.seed, NEED_STREAM);
    bytes += write_jsonl(&dir.join(NEEDS_FILE), spec.needs, |i| {
        need_line(&mut rng, i, &world)
    })?;
    let mut rng = stream(spec.seed, CAPABILITY_STREAM);
    bytes += write_jsonl(&dir.join(CAPABILITIES_FILE), spec.capabilities, |i| {
        capability_line(&mut rng, i, &world)
    })?;

    Ok(GenReport {
        organizations: world.orgs.len(),
        needs: spec.needs,
        capabilities: spec.capabilities,
        bytes,
    })
}

// ---------------------------------------------------------------------------
// Sizes and limits
// ---------------------------------------------------------------------------

const NEEDS_PER_ENTERPRISE: usize = 25;
const CAPABILITIES_PER_PROVIDER: usize = 25;
const MIN_ORGS_PER_SIDE: usize = 10;

const DESCRIPTION_MIN: usize = 100;
const DESCRIPTION_MAX: usize = 1500;
/// Descriptions at least this long get numbered section headings, as long
/// postings on real platforms do.
const HEADED_FROM: usize = 700;
const TITLE_MIN: usize = 8;
const TITLE_MAX: usize = 40;

/// Each file draws from its own stream, so the organizations do not change when
/// only the number of capabilities does, and so on.
const ORG_STREAM: u64 = 1;
const NEED_STREAM: u64 = 2;
const CAPABILITY_STREAM: u64 = 3;

const WRITE_BUFFER: usize = 1 << 20;
/// Rejected sentences tolerated per section before moving on: the budget is
/// nearly used up by then.
const MAX_MISSES: usize = 4;
const TITLE_ATTEMPTS: usize = 8;
const NAME_ATTEMPTS: usize = 20;

fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Writes `count` records, one compact JSON object per line, and returns the
/// number of bytes written. Records are made one at a time and dropped.
fn write_jsonl<T: Serialize>(
    path: &Path,
    count: usize,
    mut make: impl FnMut(usize) -> T,
) -> anyhow::Result<u64> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut line = Vec::with_capacity(8 * 1024);
    let mut bytes = 0u64;
    for i in 0..count {
        line.clear();
        serde_json::to_writer(&mut line, &make(i))
            .with_context(|| format!("serializing line {} of {}", i + 1, path.display()))?;
        line.push(b'\n');
        out.write_all(&line)
            .with_context(|| format!("writing {}", path.display()))?;
        bytes += line.len() as u64;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------
// Small sampling helpers (integers only, see the module comment)
// ---------------------------------------------------------------------------

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

fn chance(rng: &mut ChaCha8Rng, percent: u32) -> bool {
    rng.random_range(0..100u32) < percent
}

/// An index in 0..n drawn with the given integer weights.
fn weighted(rng: &mut ChaCha8Rng, n: usize, weight: impl Fn(usize) -> u32) -> usize {
    let total: u32 = (0..n).map(&weight).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for i in 0..n {
        let w = weight(i);
        if roll < w {
            return i;
        }
        roll -= w;
    }
    n.saturating_sub(1)
}

/// Some organizations post far more than others; the smaller of two uniform
/// draws favours low indices (which are in random order anyway) without
/// leaving the rest idle.
fn skewed_index(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let a = rng.random_range(0..n);
    if chance(rng, 50) {
        a
    } else {
        a.min(rng.random_range(0..n))
    }
}

/// People write round figures: 1,250 rather than 1,263.
fn round_figure(n: u32) -> u32 {
    if n >= 1000 {
        n / 50 * 50
    } else if n >= 100 {
        n / 10 * 10
    } else {
        n
    }
}

/// A value stored as an integer in units of 10^-decimals.
fn scaled(value: u32, decimals: u8) -> String {
    match decimals {
        0 => value.to_string(),
        1 => format!("{}.{}", value / 10, value % 10),
        _ => format!("{}.{:02}", value / 100, value % 100),
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------

/// The organizations and the field neighbourhoods, shared by all postings.
/// Enterprises come first (`orgs[..enterprises]`), providers after.
struct World {
    orgs: Vec<Org>,
    enterprises: usize,
    /// For each entry of FIELDS, the indices of its related fields (taxonomy).
    related: Vec<Vec<usize>>,
}

struct Org {
    name: String,
    kind: OrgKind,
    tier: Option<&'static str>,
    region: &'static str,
    above_scale: Option<bool>,
    ownership: Option<Ownership>,
    uscc: Option<String>,
    /// Indices into FIELDS, the main field first.
    fields: Vec<usize>,
    /// The industry word used in the name, reused in the enterprise's own text.
    industry: &'static str,
}

impl Org {
    fn line(&self, index: usize) -> OrganizationLine {
        OrganizationLine {
            id: org_id(index),
            name: self.name.clone(),
            kind: self.kind.as_str().to_owned(),
            tier: self.tier.map(str::to_owned),
            region: Some(self.region.to_owned()),
            above_scale: self.above_scale,
            ownership: self.ownership.map(|o| o.as_str().to_owned()),
            uscc: self.uscc.clone(),
            fields: self
                .fields
                .iter()
                .map(|&f| FIELDS[f].code.to_owned())
                .collect(),
        }
    }

    /// How an enterprise describes itself in a need.
    fn ownership_words(&self) -> &'static str {
        match self.ownership {
            Some(Ownership::ProvincialSoe) => "省属国有企业",
            Some(Ownership::CentralSoe) => "中央企业下属公司",
            Some(Ownership::Private) => "民营企业",
            Some(Ownership::Foreign) => "外资企业",
            Some(Ownership::Other) | None => "企业",
        }
    }

    /// Research platforms a team of this organization can plausibly name.
    fn platforms(&self) -> &'static [&'static str] {
        match (self.kind, self.tier) {
            (OrgKind::LeadingEnterprise | OrgKind::Enterprise, _) => &ENTERPRISE_PLATFORMS,
            (OrgKind::Academy, _) => &ACADEMY_PLATFORMS,
            (_, Some("international")) => &INTERNATIONAL_PLATFORMS,
            _ => &PLATFORMS,
        }
    }
}

fn org_id(index: usize) -> String {
    format!("gen-org-{:06}", index + 1)
}

impl World {
    fn plan(spec: &GenSpec, related: Vec<Vec<usize>>) -> anyhow::Result<Self> {
        let mut rng = stream(spec.seed, ORG_STREAM);
        let enterprises = spec
            .needs
            .div_ceil(NEEDS_PER_ENTERPRISE)
            .max(MIN_ORGS_PER_SIDE);
        let providers = spec
            .capabilities
            .div_ceil(CAPABILITIES_PER_PROVIDER)
            .max(MIN_ORGS_PER_SIDE);
        // Only looked up, never iterated, so its random hasher cannot leak into
        // the output.
        let mut names = HashSet::new();
        let mut orgs = Vec::with_capacity(enterprises + providers);
        for i in 0..enterprises {
            orgs.push(enterprise(&mut rng, i, &related, &mut names)?);
        }
        for i in 0..providers {
            orgs.push(provider(&mut rng, i, &related, &mut names)?);
        }
        Ok(Self {
            orgs,
            enterprises,
            related,
        })
    }

    fn providers(&self) -> usize {
        self.orgs.len() - self.enterprises
    }
}

/// Maps each vocabulary field to the taxonomy's related fields; fails if the
/// vocabulary names a field the taxonomy does not know, so the two stay in step.
fn related_fields(taxonomy: &Taxonomy) -> anyhow::Result<Vec<Vec<usize>>> {
    FIELDS
        .iter()
        .map(|f| {
            let term = taxonomy
                .get(TermKind::Field, f.code)
                .with_context(|| format!("field {} is not in the taxonomy", f.code))?;
            Ok(term
                .related
                .iter()
                .filter_map(|r| FIELDS.iter().position(|g| g.code == r))
                .collect())
        })
        .collect()
}

/// A main field weighted by how much of the province's industry it is, plus
/// up to two of its neighbours.
fn org_fields(rng: &mut ChaCha8Rng, related: &[Vec<usize>]) -> Vec<usize> {
    let main = weighted(rng, FIELDS.len(), |i| FIELDS[i].weight);
    let mut fields = vec![main];
    let extra = match rng.random_range(0..100u32) {
        0..55 => 0,
        55..85 => 1,
        _ => 2,
    };
    let neighbours = &related[main];
    for _ in 0..extra {
        if neighbours.is_empty() {
            break;
        }
        let f = pick(rng, neighbours);
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    fields
}

fn pick_city(rng: &mut ChaCha8Rng) -> &'static City {
    &CITIES[weighted(rng, CITIES.len(), |i| CITIES[i].weight)]
}

/// Retries a few times on a repeated name: repeats would look odd, but with a
/// million documents the name space is finite and a rare repeat is harmless.
fn unique_name(
    rng: &mut ChaCha8Rng,
    names: &mut HashSet<String>,
    mut make: impl FnMut(&mut ChaCha8Rng) -> String,
) -> String {
    let mut name = make(rng);
    for _ in 0..NAME_ATTEMPTS {
        if !names.contains(&name) {
            break;
        }
        name = make(rng);
    }
    names.insert(name.clone());
    name
}

fn enterprise(
    rng: &mut ChaCha8Rng,
    index: usize,
    related: &[Vec<usize>],
    names: &mut HashSet<String>,
) -> anyhow::Result<Org> {
    // The first eleven take one city each, so even the smallest corpus covers
    // the whole province.
    let city = CITIES.get(index).unwrap_or_else(|| pick_city(rng));
    let fields = org_fields(rng, related);
    let industry = pick(rng, FIELDS[fields[0]].industries);
    let ownership = OWNERSHIPS[weighted(rng, OWNERSHIPS.len(), |i| OWNERSHIPS[i].1)].0;
    let name = unique_name(rng, names, |rng| {
        enterprise_name(rng, city, industry, ownership)
    });
    let above_scale = match rng.random_range(0..100u32) {
        0..85 => Some(true),
        85..95 => Some(false),
        _ => None,
    };
    let uscc = shanxi_uscc(rng, city, ownership)?;
    Ok(Org {
        name,
        kind: OrgKind::Enterprise,
        tier: None,
        region: city.name,
        above_scale,
        ownership: Some(ownership),
        uscc: Some(uscc),
        fields,
        industry,
    })
}

fn enterprise_name(
    rng: &mut ChaCha8Rng,
    city: &City,
    industry: &str,
    ownership: Ownership,
) -> String {
    match ownership {
        Ownership::Foreign => format!("{}（山西）{industry}有限公司", foreign_name(rng)),
        Ownership::ProvincialSoe | Ownership::CentralSoe => {
            let brand = brand(rng, city);
            let form = pick(rng, &["集团有限公司", "股份有限公司", "有限责任公司"]);
            format!("山西{brand}{industry}{form}")
        }
        Ownership::Private | Ownership::Other => {
            let brand = brand(rng, city);
            let city = city.name;
            match rng.random_range(0..10u32) {
                0..4 => format!("山西{brand}{industry}有限公司"),
                4..7 => format!("山西{city}{brand}{industry}有限公司"),
                7..9 => format!("{city}{brand}{industry}有限公司"),
                _ => format!("{city}市{brand}{industry}股份有限公司"),
            }
        }
    }
}

/// A trade name (字号): a local landmark, as many Shanxi firms use, or an
/// invented two-character name.
fn brand(rng: &mut ChaCha8Rng, city: &City) -> String {
    if chance(rng, 40) {
        pick(rng, city.landmarks).to_owned()
    } else {
        place_name(rng)
    }
}

fn place_name(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", pick(rng, &PLACE_FIRST), pick(rng, &PLACE_SECOND))
}

fn foreign_name(rng: &mut ChaCha8Rng) -> String {
    let mut name = String::new();
    for _ in 0..rng.random_range(2..=3u32) {
        name.push_str(pick(rng, &FOREIGN_SYLLABLES));
    }
    name.push_str(pick(rng, &FOREIGN_ENDINGS));
    name
}

/// 统一社会信用代码 of a Shanxi enterprise: registration authority 9 (工商),
/// category 1 (企业), the division code of its city (or of the province for
/// some provincial SOEs), nine organization-code characters and the check
/// character.
fn shanxi_uscc(rng: &mut ChaCha8Rng, city: &City, ownership: Ownership) -> anyhow::Result<String> {
    let division = if ownership == Ownership::ProvincialSoe && chance(rng, 30) {
        "140000".to_owned()
    } else {
        format!("14{}{}", city.code, pick(rng, &DISTRICTS))
    };
    let mut first17 = format!("91{division}");
    if chance(rng, 45) {
        // Codes issued since 2015 start with MA.
        first17.push_str("MA");
        for _ in 0..7 {
            first17.push(char::from(pick(rng, USCC_ALPHABET)));
        }
    } else {
        // Older codes carry the former 组织机构代码: eight digits and a check digit or X.
        for _ in 0..8 {
            first17.push(char::from(pick(rng, b"0123456789")));
        }
        first17.push(char::from(pick(rng, b"0123456789X")));
    }
    Uscc::complete(&first17)
        .map(|u| u.to_string())
        .with_context(|| format!("no check character for {first17}"))
}

struct Profile {
    kind: OrgKind,
    tier: &'static str,
    weight: u32,
}

/// Provider kinds and tiers. The order matters: the first seven cover every
/// kind and every tier, and the first providers walk this list.
static PROFILES: [Profile; 11] = [
    Profile {
        kind: OrgKind::University,
        tier: "c9",
        weight: 6,
    },
    Profile {
        kind: OrgKind::Institute,
        tier: "cas",
        weight: 10,
    },
    Profile {
        kind: OrgKind::Academy,
        tier: "cae",
        weight: 5,
    },
    Profile {
        kind: OrgKind::University,
        tier: "double_first_class",
        weight: 18,
    },
    Profile {
        kind: OrgKind::University,
        tier: "provincial",
        weight: 16,
    },
    Profile {
        kind: OrgKind::University,
        tier: "international",
        weight: 4,
    },
    Profile {
        kind: OrgKind::LeadingEnterprise,
        tier: "other",
        weight: 8,
    },
    Profile {
        kind: OrgKind::Institute,
        tier: "provincial",
        weight: 8,
    },
    Profile {
        kind: OrgKind::Institute,
        tier: "other",
        weight: 8,
    },
    Profile {
        kind: OrgKind::Institute,
        tier: "international",
        weight: 2,
    },
    Profile {
        kind: OrgKind::University,
        tier: "other",
        weight: 5,
    },
];

fn provider(
    rng: &mut ChaCha8Rng,
    index: usize,
    related: &[Vec<usize>],
    names: &mut HashSet<String>,
) -> anyhow::Result<Org> {
    let profile = PROFILES
        .get(index)
        .unwrap_or_else(|| &PROFILES[weighted(rng, PROFILES.len(), |i| PROFILES[i].weight)]);
    let fields = org_fields(rng, related);
    let vocab = &FIELDS[fields[0]];
    let industry = pick(rng, vocab.industries);
    let city = pick_city(rng);
    let region = provider_region(rng, profile, city);
    let name = unique_name(rng, names, |rng| {
        provider_name(rng, profile, vocab, region, city, industry)
    });
    // Leading enterprises are the province's own firms and carry the
    // enterprise attributes; universities and institutes do not.
    let (above_scale, ownership, uscc) = if profile.kind == OrgKind::LeadingEnterprise {
        let ownership = pick(
            rng,
            &[
                Ownership::ProvincialSoe,
                Ownership::CentralSoe,
                Ownership::Private,
            ],
        );
        let uscc = shanxi_uscc(rng, city, ownership)?;
        (Some(true), Some(ownership), Some(uscc))
    } else {
        (None, None, None)
    };
    Ok(Org {
        name,
        kind: profile.kind,
        tier: Some(profile.tier),
        region,
        above_scale,
        ownership,
        uscc,
        fields,
        industry,
    })
}

fn provider_region(rng: &mut ChaCha8Rng, profile: &Profile, city: &'static City) -> &'static str {
    match (profile.kind, profile.tier) {
        (OrgKind::LeadingEnterprise, _) | (_, "provincial") => city.name,
        (_, "international") => pick(rng, &COUNTRIES),
        // Some academy institutes sit in Taiyuan (coal chemistry and the like).
        (_, "cas") if chance(rng, 25) => "太原",
        _ if chance(rng, 8) => city.name,
        _ => pick(rng, &PROVINCES),
    }
}

fn provider_name(
    rng: &mut ChaCha8Rng,
    profile: &Profile,
    vocab: &FieldVocab,
    region: &str,
    city: &City,
    industry: &str,
) -> String {
    match (profile.kind, profile.tier) {
        (OrgKind::University, "c9") => format!("{}大学", place_name(rng)),
        (OrgKind::University, "double_first_class") => {
            format!("{}{}", place_name(rng), pick(rng, vocab.university_types))
        }
        (OrgKind::University, "provincial") => {
            format!(
                "山西{}{}",
                place_name(rng),
                pick(rng, vocab.university_types)
            )
        }
        (OrgKind::University, "international") => format!(
            "{region}{}{}",
            foreign_name(rng),
            pick(rng, &INTERNATIONAL_UNIVERSITY_TYPES)
        ),
        (OrgKind::University, _) => {
            format!("{}{}", place_name(rng), pick(rng, &OTHER_COLLEGE_TYPES))
        }
        (OrgKind::Institute, "cas") => {
            format!(
                "中国科学院{}{}研究所",
                place_name(rng),
                pick(rng, vocab.institutes)
            )
        }
        (OrgKind::Institute, "provincial") => {
            format!(
                "山西省{}{}研究院",
                place_name(rng),
                pick(rng, vocab.institutes)
            )
        }
        (OrgKind::Institute, "international") => {
            format!(
                "{region}{}{}研究所",
                foreign_name(rng),
                pick(rng, vocab.institutes)
            )
        }
        (OrgKind::Institute, _) => {
            format!(
                "{}{}产业技术研究院",
                place_name(rng),
                pick(rng, vocab.institutes)
            )
        }
        (OrgKind::Academy, _) => {
            format!(
                "{}{}院士工作站",
                place_name(rng),
                pick(rng, vocab.institutes)
            )
        }
        (OrgKind::LeadingEnterprise | OrgKind::Enterprise, _) => {
            let brand = brand(rng, city);
            let form = pick(rng, &["集团有限公司", "集团股份有限公司", "股份有限公司"]);
            format!("山西{brand}{industry}{form}")
        }
    }
}

// ---------------------------------------------------------------------------
// Postings
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Need,
    Capability,
}

fn need_line(rng: &mut ChaCha8Rng, index: usize, world: &World) -> NeedLine {
    let org_index = skewed_index(rng, world.enterprises);
    let org = &world.orgs[org_index];
    let field = posting_field(rng, org, &world.related);
    let cooperation = cooperation(rng, Side::Need);
    let mut doc = Doc::new(rng, field, &world.related, org, &cooperation, None);
    let title = doc.title(&NEED_TITLES);
    let target = description_target(doc.rng);
    // Many postings skip the company introduction and start with the problem.
    let sections = if chance(doc.rng, 30) {
        &NEED_SECTIONS[1..]
    } else {
        &NEED_SECTIONS[..]
    };
    let description = doc.compose(sections, target);
    let keywords = doc.keywords();

    let budget_wan = chance(rng, 80).then(|| f64::from(budget(rng)));
    let deadline = chance(rng, 70).then(|| deadline(rng));
    let confidential = chance(rng, 3).then_some(true);
    NeedLine {
        id: format!("gen-need-{:07}", index + 1),
        org: org_id(org_index),
        title,
        description,
        field: FIELDS[field].code.to_owned(),
        keywords,
        cooperation: cooperation.iter().map(|c| c.code.to_owned()).collect(),
        budget_wan,
        deadline,
        confidential,
        status: None,
    }
}

fn capability_line(rng: &mut ChaCha8Rng, index: usize, world: &World) -> CapabilityLine {
    let org_index = world.enterprises + skewed_index(rng, world.providers());
    let org = &world.orgs[org_index];
    let field = posting_field(rng, org, &world.related);
    let cooperation = cooperation(rng, Side::Capability);
    let maturity = chance(rng, 90).then(|| maturity(rng, org.kind));
    let mut doc = Doc::new(rng, field, &world.related, org, &cooperation, maturity);
    let researcher = doc.team_label();
    let title = doc.title(&CAPABILITY_TITLES);
    let target = description_target(doc.rng);
    let sections = if chance(doc.rng, 20) {
        &CAPABILITY_SECTIONS[1..]
    } else {
        &CAPABILITY_SECTIONS[..]
    };
    let description = doc.compose(sections, target);
    let keywords = doc.keywords();
    // A few postings name no team.
    let researcher = chance(rng, 95).then_some(researcher);
    CapabilityLine {
        id: format!("gen-cap-{:07}", index + 1),
        org: org_id(org_index),
        researcher,
        title,
        description,
        field: FIELDS[field].code.to_owned(),
        keywords,
        maturity,
        cooperation: cooperation.iter().map(|c| c.code.to_owned()).collect(),
        status: None,
    }
}

/// Mostly the organization's main field, often another of its fields, and
/// now and then a neighbouring field it has not declared.
fn posting_field(rng: &mut ChaCha8Rng, org: &Org, related: &[Vec<usize>]) -> usize {
    let main = org.fields[0];
    match rng.random_range(0..100u32) {
        0..70 => main,
        70..92 => pick(rng, &org.fields),
        _ if related[main].is_empty() => main,
        _ => pick(rng, &related[main]),
    }
}

/// Description length in characters: most postings are a few hundred
/// characters, a long tail runs to the maximum. Bands rather than a continuous
/// distribution keep the sampling in integers.
fn description_target(rng: &mut ChaCha8Rng) -> usize {
    const BANDS: [(usize, usize, u32); 5] = [
        (DESCRIPTION_MIN, 199, 12),
        (200, 399, 40),
        (400, 599, 24),
        (600, 999, 16),
        (1000, DESCRIPTION_MAX, 8),
    ];
    let (lo, hi, _) = BANDS[weighted(rng, BANDS.len(), |i| BANDS[i].2)];
    rng.random_range(lo..=hi)
}

/// 万元, skewed towards small projects.
fn budget(rng: &mut ChaCha8Rng) -> u32 {
    const BANDS: [(u32, u32, u32); 5] = [
        (10, 49, 20),
        (50, 199, 35),
        (200, 499, 25),
        (500, 1499, 15),
        (1500, 5000, 5),
    ];
    let (lo, hi, _) = BANDS[weighted(rng, BANDS.len(), |i| BANDS[i].2)];
    round_figure(rng.random_range(lo..=hi))
}

/// A date in 2027–2028; people favour month ends and mid-months.
fn deadline(rng: &mut ChaCha8Rng) -> String {
    let year = if chance(rng, 55) { 2027 } else { 2028 };
    let month = rng.random_range(1..=12u32);
    let last = days_in_month(year, month);
    let day = match rng.random_range(0..10u32) {
        0..4 => last,
        4..6 => 15,
        _ => rng.random_range(1..=last),
    };
    format!("{year:04}-{month:02}-{day:02}")
}

/// Technology readiness: research teams cluster in the middle, leading
/// enterprises offer what they already run.
fn maturity(rng: &mut ChaCha8Rng, kind: OrgKind) -> i64 {
    const WEIGHTS: [u32; 9] = [2, 5, 10, 15, 18, 17, 14, 11, 8];
    if kind == OrgKind::LeadingEnterprise {
        rng.random_range(5..=9)
    } else {
        weighted(rng, WEIGHTS.len(), |i| WEIGHTS[i]) as i64 + 1
    }
}

fn cooperation(rng: &mut ChaCha8Rng, side: Side) -> Vec<&'static Cooperation> {
    let count = match rng.random_range(0..100u32) {
        0..50 => 1,
        50..85 => 2,
        _ => 3,
    };
    let mut chosen: Vec<usize> = Vec::with_capacity(count);
    while chosen.len() < count {
        // A mode already chosen gets weight zero, so each draw is a new one.
        let i = weighted(rng, COOPERATION.len(), |i| {
            if chosen.contains(&i) {
                0
            } else {
                COOPERATION[i].weight(side)
            }
        });
        chosen.push(i);
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|i| &COOPERATION[i]).collect()
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

/// One posting being written: its field, its focus terms (reused throughout so
/// the text stays on one topic), and the vocabulary terms that made it into
/// the text, from which the keywords are taken.
struct Doc<'a> {
    rng: &'a mut ChaCha8Rng,
    field: &'static FieldVocab,
    /// A related field, for the occasional method borrowed across fields.
    neighbour: Option<&'static FieldVocab>,
    org: &'a Org,
    cooperation: &'a [&'static Cooperation],
    maturity: Option<i64>,
    team: String,
    obj0: &'static str,
    proc0: &'static str,
    meth0: &'static str,
    prob0: &'static str,
    metric: &'static Metric,
    /// The metric's current and aimed-at values (scaled integers).
    now: u32,
    goal: u32,
    /// A second metric, so that a long capability does not state the same
    /// figure over and over.
    metric2: &'static Metric,
    now2: u32,
    goal2: u32,
    /// Claims made so far; they alternate between the two metrics.
    claims: usize,
    /// Shortfalls stated so far; they alternate between two phrasings.
    gaps: usize,
    /// Company facts, fixed per posting so that they agree with each other.
    founded: u32,
    built: u32,
    capacity: u32,
    used: Vec<&'static str>,
    /// Terms of the sentence being rendered, kept only if it is accepted.
    pending: Vec<&'static str>,
}

struct Sentence {
    text: String,
    chars: usize,
    terms: Vec<&'static str>,
}

struct Section {
    heading: &'static str,
    /// Share of the description, in percent.
    share: usize,
    templates: &'static [&'static str],
}

const NUMERALS: [&str; 5] = ["一", "二", "三", "四", "五"];

impl<'a> Doc<'a> {
    fn new(
        rng: &'a mut ChaCha8Rng,
        field: usize,
        related: &[Vec<usize>],
        org: &'a Org,
        cooperation: &'a [&'static Cooperation],
        maturity: Option<i64>,
    ) -> Self {
        let vocab = &FIELDS[field];
        let neighbour = (!related[field].is_empty()).then(|| &FIELDS[pick(rng, &related[field])]);
        let first = rng.random_range(0..vocab.metrics.len());
        let second = (first + rng.random_range(1..vocab.metrics.len())) % vocab.metrics.len();
        let (metric, metric2) = (&vocab.metrics[first], &vocab.metrics[second]);
        let (now, goal) = metric.sample(rng);
        let (now2, goal2) = metric2.sample(rng);
        let founded = rng.random_range(1995..=2020);
        let built = rng.random_range(founded..=2023);
        let capacity = round_figure(rng.random_range(vocab.capacity.lo..=vocab.capacity.hi));
        Self {
            obj0: pick(rng, vocab.objects),
            proc0: pick(rng, vocab.processes),
            meth0: pick(rng, vocab.methods),
            prob0: pick(rng, vocab.problems),
            rng,
            field: vocab,
            neighbour,
            org,
            cooperation,
            maturity,
            team: "本团队".to_owned(),
            metric,
            now,
            goal,
            metric2,
            now2,
            goal2,
            claims: 0,
            gaps: 0,
            founded,
            built,
            capacity,
            used: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// A team label such as 碳化硅外延团队 or 精脱硫技术课题组.
    fn team_label(&mut self) -> String {
        let stem = if chance(self.rng, 70) {
            pick(self.rng, self.field.teams).to_owned()
        } else {
            format!("{}技术", self.proc0)
        };
        let suffix = if self.org.kind == OrgKind::Academy {
            "院士团队"
        } else {
            pick(self.rng, &TEAM_SUFFIXES)
        };
        self.team = format!("{stem}{suffix}");
        self.team.clone()
    }

    fn title(&mut self, templates: &[&str]) -> String {
        for _ in 0..TITLE_ATTEMPTS {
            let template = pick(self.rng, templates);
            if let Some(s) = self.render(template)
                && (TITLE_MIN..=TITLE_MAX).contains(&s.chars)
            {
                let mut title = String::new();
                self.accept(s, "", &mut title);
                return title;
            }
        }
        // Every vocabulary term is short enough for this to fit (tested).
        for term in [self.obj0, self.proc0] {
            self.note(term);
        }
        format!("{}{}关键技术研究", self.obj0, self.proc0)
    }

    /// Appends sentences section by section until the target length; never
    /// exceeds it, and tops up to the minimum when long sentences left it short.
    fn compose(&mut self, sections: &[Section], target: usize) -> String {
        let headed = target >= HEADED_FROM;
        let total_share = sections.iter().map(|s| s.share).sum::<usize>().max(1);
        let mut text = String::with_capacity(target * 3);
        let mut len = 0;
        let mut cumulative = 0;
        let mut headings = 0;
        // Templates used so far, per section: none is used twice in a posting.
        let mut seen: Vec<Vec<usize>> = vec![Vec::new(); sections.len()];
        for (section, seen) in sections.iter().zip(seen.iter_mut()) {
            cumulative += section.share;
            let section_end = target * cumulative / total_share;
            let mut added = 0;
            let mut misses = 0;
            while misses < MAX_MISSES && (added == 0 || len < section_end) {
                let Some(sentence) = self.sentence(section.templates, seen) else {
                    misses += 1;
                    continue;
                };
                let prefix = if headed && added == 0 {
                    let newline = if len > 0 { "\n" } else { "" };
                    let numeral = NUMERALS[headings % NUMERALS.len()];
                    format!("{newline}{numeral}、{}\n", section.heading)
                } else {
                    String::new()
                };
                if len + prefix.chars().count() + sentence.chars <= target {
                    if !prefix.is_empty() {
                        headings += 1;
                    }
                    len += self.accept(sentence, &prefix, &mut text);
                    added += 1;
                } else {
                    misses += 1;
                }
            }
        }
        for (section, seen) in sections.iter().zip(seen.iter_mut()) {
            while len < DESCRIPTION_MIN {
                match self.sentence(section.templates, seen) {
                    Some(s) if len + s.chars <= DESCRIPTION_MAX => {
                        len += self.accept(s, "", &mut text);
                    }
                    Some(_) => {}
                    None if seen.len() >= section.templates.len() => break,
                    None => {}
                }
            }
        }
        text
    }

    /// Renders a template of the list not used yet in this posting; None when
    /// all are used (or the one drawn does not apply).
    fn sentence(&mut self, templates: &[&str], seen: &mut Vec<usize>) -> Option<Sentence> {
        let unused: Vec<usize> = (0..templates.len()).filter(|i| !seen.contains(i)).collect();
        if unused.is_empty() {
            return None;
        }
        let index = pick(self.rng, &unused);
        seen.push(index);
        self.render(templates[index])
    }

    /// Two to six keywords: the title's terms first, then others the text used.
    fn keywords(&mut self) -> Vec<String> {
        const COUNT_WEIGHTS: [u32; 5] = [20, 30, 28, 14, 8]; // for 2..=6
        let want = 2 + weighted(self.rng, COUNT_WEIGHTS.len(), |i| COUNT_WEIGHTS[i]);
        let mut keywords: Vec<String> = self.used.iter().take(2).map(|t| (*t).to_owned()).collect();
        let mut rest: Vec<&str> = self.used.iter().skip(2).copied().collect();
        while keywords.len() < want && !rest.is_empty() {
            let i = self.rng.random_range(0..rest.len());
            keywords.push(rest.swap_remove(i).to_owned());
        }
        keywords
    }

    fn accept(&mut self, sentence: Sentence, prefix: &str, out: &mut String) -> usize {
        out.push_str(prefix);
        out.push_str(&sentence.text);
        for term in sentence.terms {
            self.note(term);
        }
        prefix.chars().count() + sentence.chars
    }

    fn note(&mut self, term: &'static str) {
        if !self.used.contains(&term) {
            self.used.push(term);
        }
    }

    /// Replaces each `{name}` of the template; None when a placeholder does
    /// not apply to this posting (a TRL sentence without a maturity).
    fn render(&mut self, template: &str) -> Option<Sentence> {
        self.pending.clear();
        let mut text = String::with_capacity(template.len() + 64);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}')?;
            if !self.fill(&after[..close], &mut text) {
                return None;
            }
            rest = &after[close + 1..];
        }
        text.push_str(rest);
        Some(Sentence {
            chars: text.chars().count(),
            text,
            terms: std::mem::take(&mut self.pending),
        })
    }

    /// Writes one placeholder. Unknown names are written back as they are, so
    /// a typo in a template shows in the output (and fails the tests).
    fn fill(&mut self, name: &str, out: &mut String) -> bool {
        let f = self.field;
        match name {
            // Vocabulary terms: these become keyword candidates.
            "obj0" => self.term(self.obj0, out),
            "obj" => self.biased(self.obj0, f.objects, out),
            "obj2" => self.other(self.obj0, f.objects, out),
            "proc0" => self.term(self.proc0, out),
            "proc" => self.biased(self.proc0, f.processes, out),
            "proc2" => self.other(self.proc0, f.processes, out),
            "meth0" => self.term(self.meth0, out),
            "meth" => self.biased(self.meth0, f.methods, out),
            "meth2" => match self.neighbour {
                Some(n) if chance(self.rng, 20) => {
                    let t = pick(self.rng, n.methods);
                    self.term(t, out);
                }
                _ => self.other(self.meth0, f.methods, out),
            },
            "abbr" => {
                let t = pick(self.rng, f.abbrs);
                self.term(t, out);
            }
            // Problems and metrics are phrases, not keywords.
            "prob0" => out.push_str(self.prob0),
            "prob" => {
                let p = if chance(self.rng, 60) {
                    self.prob0
                } else {
                    pick(self.rng, f.problems)
                };
                out.push_str(p);
            }
            "prob2" => out.push_str(other_than(self.rng, self.prob0, f.problems)),
            "metric" => out.push_str(self.metric.name),
            "metric2" => out.push_str(self.metric2.name),
            "gap" => self.gap(out),
            "target" => {
                let verb = if self.metric.higher_is_better {
                    "提高到"
                } else {
                    "降到"
                };
                let bound = if self.metric.higher_is_better {
                    "以上"
                } else {
                    "以下"
                };
                let goal = self.metric.show(self.goal);
                let _ = write!(out, "把{}{verb}{goal}{bound}", self.metric.name);
            }
            "claim" => {
                let (m, _, goal) = self.next_claim();
                let goal = m.show(goal);
                let _ = if m.higher_is_better {
                    write!(out, "{}可达{goal}", m.name)
                } else {
                    write!(out, "{}可降至{goal}以下", m.name)
                };
            }
            "improve" => {
                let (m, now, goal) = self.next_claim();
                let (now, goal) = (m.show(now), m.show(goal));
                let _ = write!(out, "{}可由{now}改善至{goal}", m.name);
            }
            // The posting and its organization.
            "trl" => match self.maturity {
                Some(m) => {
                    let _ = write!(out, "{m}");
                }
                None => return false,
            },
            "trl_stage" => out.push_str(match self.maturity {
                Some(1..=3) => "尚处于实验室原理验证阶段",
                Some(4..=6) => "已完成小试和中试验证，正在寻找工程放大的合作伙伴",
                Some(_) => "已有工业应用案例，可直接推广",
                None => return false,
            }),
            "coop" => {
                let names: Vec<&str> = self.cooperation.iter().map(|c| c.name).collect();
                out.push_str(&names.join("、"));
            }
            "team" => out.push_str(&self.team),
            "org" => out.push_str(&self.org.name),
            "city" => out.push_str(self.org.region),
            "own" => out.push_str(self.org.ownership_words()),
            "industry" => out.push_str(self.org.industry),
            "platform" => out.push_str(pick(self.rng, self.org.platforms())),
            "capacity" => {
                let c = &f.capacity;
                let _ = write!(out, "{}{}{}", c.lead, self.capacity, c.unit);
            }
            "founded" => {
                let _ = write!(out, "{}", self.founded);
            }
            "built" => {
                let _ = write!(out, "{}", self.built);
            }
            "customer" => out.push_str(pick(self.rng, f.customers)),
            "scale" => out.push_str(pick(self.rng, f.scales)),
            // Shared vocabulary.
            "instr" => out.push_str(pick(self.rng, &INSTRUMENTS)),
            "instr2" => out.push_str(pick(self.rng, &INSTRUMENTS)),
            "gen_need" => out.push_str(pick(self.rng, &GENERAL_NEED_CONCERNS)),
            "gen_cap" => out.push_str(pick(self.rng, &GENERAL_CAPABILITIES)),
            "policy" => out.push_str(pick(self.rng, &POLICIES)),
            "park" => out.push_str(pick(self.rng, &PARKS)),
            "provinces" => {
                let a = pick(self.rng, &APPLICATION_PROVINCES);
                let b = other_than(self.rng, a, &APPLICATION_PROVINCES);
                let _ = write!(out, "{a}、{b}");
            }
            _ => return self.number(name, out),
        }
        true
    }

    /// Figures: years, shares, sizes, counts.
    fn number(&mut self, name: &str, out: &mut String) -> bool {
        let (lo, hi) = match name {
            "year" => (2003, 2022),
            "recent" => (2021, 2025),
            "plan_year" => (2026, 2028),
            "pct" => (5, 45),
            "load" => (55, 95),
            "staff" => (80, 3000),
            "tech_staff" => (6, 80),
            "n" => (2, 12),
            "small" | "small2" => (1, 5),
            "patents" => (5, 60),
            "papers" => (10, 150),
            "years" => (3, 15),
            "months" => (3, 12),
            "days" => (7, 30),
            "hours" => (5, 50),
            "area" => (5, 80),
            "winter" => (12, 30),
            "payback" => (15, 45),
            "value" => (5, 200),
            "money" => {
                let bands = [(20, 99, 35), (100, 499, 40), (500, 3000, 25)];
                let (lo, hi, _) = bands[weighted(self.rng, bands.len(), |i| bands[i].2)];
                let _ = write!(out, "{}", round_figure(self.rng.random_range(lo..=hi)));
                return true;
            }
            _ => {
                let _ = write!(out, "{{{name}}}");
                return true;
            }
        };
        let n: u32 = self.rng.random_range(lo..=hi);
        let _ = match name {
            "staff" => write!(out, "{}", round_figure(n)),
            // In hundreds.
            "hours" | "area" => write!(out, "{}", n * 100),
            "winter" => write!(out, "-{n}℃"),
            // In tenths.
            "payback" | "value" => write!(out, "{}", scaled(n, 1)),
            _ => write!(out, "{n}"),
        };
        true
    }

    /// The metric a claim is about: the main one first, then alternating.
    fn next_claim(&mut self) -> (&'static Metric, u32, u32) {
        self.claims += 1;
        if self.claims % 2 == 1 {
            (self.metric, self.now, self.goal)
        } else {
            (self.metric2, self.now2, self.goal2)
        }
    }

    /// The metric's shortfall in a plant engineer's words.
    fn gap(&mut self, out: &mut String) {
        let m = self.metric;
        let (now, goal) = (m.show(self.now), m.show(self.goal));
        // Alternating, so a posting that states its gap twice words it differently.
        self.gaps += 1;
        let casual = self.gaps.is_multiple_of(2);
        let _ = match (m.higher_is_better, casual) {
            (true, false) => write!(out, "目前{}只有{now}左右，希望提高到{goal}以上", m.name),
            (true, true) => write!(out, "{}现在大约是{now}，目标是达到{goal}", m.name),
            (false, false) => write!(out, "目前{}在{now}上下，希望降到{goal}以下", m.name),
            (false, true) => write!(out, "{}现在大约是{now}，目标是控制在{goal}以内", m.name),
        };
    }

    fn term(&mut self, term: &'static str, out: &mut String) {
        out.push_str(term);
        self.pending.push(term);
    }

    /// Usually the focus term, sometimes another of the list.
    fn biased(&mut self, focus: &'static str, list: &'static [&'static str], out: &mut String) {
        let t = if chance(self.rng, 65) {
            focus
        } else {
            pick(self.rng, list)
        };
        self.term(t, out);
    }

    fn other(&mut self, focus: &'static str, list: &'static [&'static str], out: &mut String) {
        let t = other_than(self.rng, focus, list);
        self.term(t, out);
    }
}

/// A random entry of the list other than `not` (when the list has another).
fn other_than(
    rng: &mut ChaCha8Rng,
    not: &'static str,
    list: &'static [&'static str],
) -> &'static str {
    let i = rng.random_range(0..list.len());
    if list[i] == not {
        list[(i + 1) % list.len()]
    } else {
        list[i]
    }
}

// ---------------------------------------------------------------------------
// Vocabulary: types
// ---------------------------------------------------------------------------

struct FieldVocab {
    code: &'static str,
    /// Relative share of organizations with this main field.
    weight: u32,
    /// Industry words for enterprise names (山西…{industry}有限公司).
    industries: &'static [&'static str],
    customers: &'static [&'static str],
    capacity: Capacity,
    /// Products, equipment, materials: what the work is about.
    objects: &'static [&'static str],
    processes: &'static [&'static str],
    methods: &'static [&'static str],
    /// Symptoms as a plant reports them.
    problems: &'static [&'static str],
    metrics: &'static [Metric],
    abbrs: &'static [&'static str],
    /// Stems of team labels (碳化硅外延 → 碳化硅外延团队).
    teams: &'static [&'static str],
    /// Research directions in institute names.
    institutes: &'static [&'static str],
    university_types: &'static [&'static str],
    /// Stages at which results are proven.
    scales: &'static [&'static str],
}

/// The size an enterprise quotes, e.g. 年产能约60万吨.
struct Capacity {
    lead: &'static str,
    lo: u32,
    hi: u32,
    unit: &'static str,
}

/// A figure of merit. Values are integers in units of 10^-decimals.
struct Metric {
    name: &'static str,
    unit: &'static str,
    lo: u32,
    hi: u32,
    decimals: u8,
    higher_is_better: bool,
}

const fn up(name: &'static str, unit: &'static str, lo: u32, hi: u32, decimals: u8) -> Metric {
    Metric {
        name,
        unit,
        lo,
        hi,
        decimals,
        higher_is_better: true,
    }
}

const fn down(name: &'static str, unit: &'static str, lo: u32, hi: u32, decimals: u8) -> Metric {
    Metric {
        name,
        unit,
        lo,
        hi,
        decimals,
        higher_is_better: false,
    }
}

impl Metric {
    /// A current value with room to improve and a goal beyond it.
    fn sample(&self, rng: &mut ChaCha8Rng) -> (u32, u32) {
        let span = self.hi - self.lo;
        if self.higher_is_better {
            let now = rng.random_range(self.lo..=self.lo + span * 6 / 10);
            let goal = rng.random_range(now + ((self.hi - now) / 3).max(1)..=self.hi);
            (now, goal)
        } else {
            let now = rng.random_range((self.lo + span * 4 / 10).max(self.lo + 1)..=self.hi);
            let goal = rng.random_range(self.lo..=now - ((now - self.lo) / 3).max(1));
            (now, goal)
        }
    }

    fn show(&self, value: u32) -> String {
        format!("{}{}", scaled(value, self.decimals), self.unit)
    }
}

struct Cooperation {
    code: &'static str,
    name: &'static str,
    need_weight: u32,
    capability_weight: u32,
}

impl Cooperation {
    fn weight(&self, side: Side) -> u32 {
        match side {
            Side::Need => self.need_weight,
            Side::Capability => self.capability_weight,
        }
    }
}

/// Enterprises mostly commission development and services; teams mostly
/// offer to develop, transfer or license.
static COOPERATION: [Cooperation; 7] = [
    Cooperation {
        code: "tech_development",
        name: "技术开发",
        need_weight: 40,
        capability_weight: 25,
    },
    Cooperation {
        code: "tech_transfer",
        name: "技术转让",
        need_weight: 10,
        capability_weight: 20,
    },
    Cooperation {
        code: "tech_license",
        name: "技术许可",
        need_weight: 5,
        capability_weight: 15,
    },
    Cooperation {
        code: "tech_consulting",
        name: "技术咨询",
        need_weight: 14,
        capability_weight: 10,
    },
    Cooperation {
        code: "tech_service",
        name: "技术服务",
        need_weight: 18,
        capability_weight: 15,
    },
    Cooperation {
        code: "joint_platform",
        name: "共建研发平台",
        need_weight: 7,
        capability_weight: 8,
    },
    Cooperation {
        code: "talent",
        name: "人才联合培养",
        need_weight: 6,
        capability_weight: 7,
    },
];

struct City {
    name: &'static str,
    /// The two digits after 14 in the division code.
    code: &'static str,
    weight: u32,
    landmarks: &'static [&'static str],
}

/// The eleven prefecture-level cities of Shanxi, weighted roughly by industry.
static CITIES: [City; 11] = [
    City {
        name: "太原",
        code: "01",
        weight: 20,
        landmarks: &["晋阳", "并州", "龙城", "汾河", "晋祠"],
    },
    City {
        name: "大同",
        code: "02",
        weight: 10,
        landmarks: &["云冈", "御河", "平城", "恒山", "桑干"],
    },
    City {
        name: "阳泉",
        code: "03",
        weight: 6,
        landmarks: &["娘子关", "狮脑", "平定", "藏山"],
    },
    City {
        name: "长治",
        code: "04",
        weight: 10,
        landmarks: &["上党", "太行", "漳泽", "老顶山"],
    },
    City {
        name: "晋城",
        code: "05",
        weight: 9,
        landmarks: &["泽州", "丹河", "珏山", "王莽岭"],
    },
    City {
        name: "朔州",
        code: "06",
        weight: 6,
        landmarks: &["马邑", "应州", "金沙滩", "桑干河"],
    },
    City {
        name: "晋中",
        code: "07",
        weight: 9,
        landmarks: &["平遥", "榆次", "太谷", "绵山"],
    },
    City {
        name: "运城",
        code: "08",
        weight: 9,
        landmarks: &["河东", "盐湖", "鹳雀", "解州"],
    },
    City {
        name: "忻州",
        code: "09",
        weight: 6,
        landmarks: &["五台", "雁门", "芦芽", "秀容"],
    },
    City {
        name: "临汾",
        code: "10",
        weight: 9,
        landmarks: &["尧都", "壶口", "平阳", "姑射"],
    },
    City {
        name: "吕梁",
        code: "11",
        weight: 8,
        landmarks: &["离石", "碛口", "汾州", "北武当"],
    },
];

/// County-level parts of a division code: 00 the city itself, 0x districts,
/// 2x counties, 8x county-level cities.
const DISTRICTS: [&str; 18] = [
    "00", "02", "03", "05", "06", "07", "08", "09", "10", "21", "22", "23", "24", "25", "26", "27",
    "81", "82",
];

const USCC_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

const OWNERSHIPS: [(Ownership, u32); 5] = [
    (Ownership::Private, 50),
    (Ownership::ProvincialSoe, 20),
    (Ownership::CentralSoe, 10),
    (Ownership::Foreign, 5),
    (Ownership::Other, 15),
];

// ---------------------------------------------------------------------------
// Vocabulary: names and shared words
// ---------------------------------------------------------------------------

/// Syllables for invented names (universities, institutes, trade names).
const PLACE_FIRST: [&str; 28] = [
    "汾", "沁", "漳", "涑", "岚", "霍", "恒", "崇", "黎", "昭", "泓", "澄", "鸣", "凌", "翠", "曜",
    "启", "弘", "瀚", "晟", "珩", "砺", "璟", "禹", "尧", "并", "潞", "绛",
];
const PLACE_SECOND: [&str; 30] = [
    "源", "川", "岳", "峰", "阳", "泽", "原", "安", "宁", "远", "江", "桥", "林", "溪", "谷", "城",
    "湖", "台", "屏", "岭", "田", "关", "津", "滨", "麓", "汀", "渊", "澜", "冈", "塬",
];
const FOREIGN_SYLLABLES: [&str; 22] = [
    "莱", "格", "斯", "特", "贝", "尔", "克", "维", "诺", "汉", "伦", "多", "卡", "林", "默", "罗",
    "蒙", "奥", "赫", "拉", "索", "菲",
];
const FOREIGN_ENDINGS: [&str; 7] = ["堡", "顿", "菲尔德", "斯特", "海姆", "伯格", ""];
const COUNTRIES: [&str; 10] = [
    "德国",
    "英国",
    "澳大利亚",
    "日本",
    "新加坡",
    "加拿大",
    "俄罗斯",
    "法国",
    "荷兰",
    "瑞典",
];
/// Where providers outside Shanxi are.
const PROVINCES: [&str; 16] = [
    "北京",
    "上海",
    "天津",
    "江苏",
    "浙江",
    "陕西",
    "湖北",
    "广东",
    "辽宁",
    "四川",
    "安徽",
    "黑龙江",
    "山东",
    "湖南",
    "河南",
    "吉林",
];
/// Where results have been applied.
const APPLICATION_PROVINCES: [&str; 9] = [
    "山西",
    "内蒙古",
    "陕西",
    "河北",
    "山东",
    "河南",
    "宁夏",
    "江苏",
    "新疆",
];
const INTERNATIONAL_UNIVERSITY_TYPES: [&str; 4] = ["大学", "工业大学", "理工大学", "技术大学"];
const OTHER_COLLEGE_TYPES: [&str; 3] = ["工程学院", "职业技术大学", "应用技术学院"];
const TEAM_SUFFIXES: [&str; 5] = ["团队", "研究团队", "创新团队", "课题组", "研究室"];

const PLATFORMS: [&str; 7] = [
    "省部共建重点实验室",
    "山西省重点实验室",
    "国家工程技术研究中心",
    "教育部工程研究中心",
    "省级新型研发机构",
    "省级技术创新中心",
    "博士后科研流动站",
];
const INTERNATIONAL_PLATFORMS: [&str; 3] = ["研究中心", "中外联合实验室", "先进技术研究院"];
const ENTERPRISE_PLATFORMS: [&str; 3] =
    ["国家企业技术中心", "省级技术创新中心", "博士后科研工作站"];
const ACADEMY_PLATFORMS: [&str; 2] = ["联合研发平台", "中试基地"];

const INSTRUMENTS: [&str; 14] = [
    "扫描电子显微镜",
    "X射线衍射仪",
    "同步热分析仪",
    "电化学工作站",
    "气相色谱-质谱联用仪",
    "高性能计算集群",
    "万能材料试验机",
    "激光粒度仪",
    "拉曼光谱仪",
    "原子力显微镜",
    "疲劳试验机",
    "红外热像仪",
    "比表面积分析仪",
    "高速摄像系统",
];
const GENERAL_NEED_CONCERNS: [&str; 10] = [
    "一线工人老龄化、招工难",
    "环保督察频次增加",
    "原材料价格波动大",
    "电价上涨带来的成本压力",
    "关键备件依赖进口",
    "安全生产检查压力大",
    "产品同质化竞争激烈",
    "能耗双控指标收紧",
    "年轻技术人员留不住",
    "数字化基础薄弱",
];
const GENERAL_CAPABILITIES: [&str; 8] = [
    "工艺放大与工程设计",
    "技术经济性评价",
    "中试平台建设",
    "专利布局与标准制定",
    "人才培训与研究生联合培养",
    "智能检测与数据分析",
    "安全与环境影响评估",
    "科技项目申报",
];
const POLICIES: [&str; 5] = [
    "智能制造试点示范",
    "专精特新企业培育",
    "制造业数字化转型",
    "绿色工厂创建",
    "企业技术中心建设",
];
const PARKS: [&str; 5] = [
    "经济技术开发区",
    "高新技术产业开发区",
    "工业园区",
    "循环经济产业园",
    "综改示范区",
];

// ---------------------------------------------------------------------------
// Vocabulary: templates
// ---------------------------------------------------------------------------
//
// Placeholders: {obj} {proc} {meth} are the posting's focus terms most of the
// time, {obj0} {proc0} {meth0} always, {obj2} {proc2} {meth2} another term;
// {prob} {metric} {gap} {target} {claim} {improve} describe the problem and
// its figure of merit; the rest are organization facts, shared words and
// figures (see Doc::fill and Doc::number).

const NEED_TITLES: [&str; 11] = [
    "{obj0}{proc0}工艺优化",
    "{obj0}{proc0}过程中{prob0}",
    "{obj0}{proc0}质量提升攻关",
    "引入{meth0}解决{obj0}{prob0}",
    "{obj0}{proc0}技术改造",
    "求{obj0}{proc0}成套技术",
    "{obj0}{prob0}，需{meth0}技术支持",
    "基于{abbr}的{obj0}{proc0}升级",
    "{obj0}{proc0}智能化改造",
    "{proc0}工序{prob0}，寻求{meth0}方案",
    "{obj0}{proc0}环节{prob0}问题攻关",
];

const NEED_BACKGROUND: [&str; 11] = [
    "我公司位于{city}，是一家以{industry}为主业的{own}，{capacity}。",
    "公司成立于{founded}年，主要业务涉及{obj}、{obj2}等，现有职工约{staff}人。",
    "公司地处{city}{park}，主要装置和产线于{built}年建成投产，目前负荷率在{load}%左右。",
    "企业现有{obj}相关设备{n}台（套），大部分是{built}年前后购置的，自动化程度不高，很多数据还靠人工记录。",
    "近几年公司{industry}业务增长较快，{recent}年销售收入同比增长{pct}%，但核心的{proc}技术一直依赖外部。",
    "公司技术中心有专职研发人员{tech_staff}人，日常工艺调整能应付，但在{meth}方面缺少专门人才。",
    "我们的产品主要面向{customer}，对方对{metric}的要求逐年提高。",
    "按照省里{policy}的相关要求，公司正在推进{proc}升级，计划{plan_year}年前完成。",
    "近三年公司累计投入技改资金{money}万元，{capacity}。",
    "企业通过了质量、环境和职业健康安全管理体系认证，{recent}年被认定为省级企业技术中心，产品主要销往华北和西北地区。",
    "公司主要生产设备包括{obj}等，关键工序的控制系统以PLC为主，还没有实现全流程数据贯通。",
];

const NEED_PROBLEMS: [&str; 14] = [
    "目前{proc}环节经常出现{prob}，班组只能靠老师傅凭经验调整，效果时好时坏。",
    "{gap}，和行业先进水平还有不小差距。",
    "主要问题是{prob}，另外{prob2}的情况也时有发生。",
    "{metric}目前波动比较大，质量部门每个月都要处理几起客户投诉。",
    "冬季最低气温能到{winter}，低温天气下{prob}的情况更加明显。",
    "我们分析过可能和{proc}参数有关，但现场缺少在线检测手段，说不清根本原因。",
    "下游{customer}对{metric}提出了更高要求，{gap}。",
    "{obj}的{proc}工序是全线的瓶颈，一旦{prob}，后面工序只能停下来等。",
    "由于{prob}，每年产生的返工、停机和处置费用在{money}万元以上。",
    "随着环保和能耗要求收紧，{prob2}的问题越来越突出，已经影响到正常生产。",
    "有厂家推荐过{abbr}相关的改造方案，但报价太高，而且对{prob}能不能解决也不敢承诺。",
    "班组反映{prob}多发生在夜班和换料之后，具体规律还没有摸清。",
    "{metric2}也不太稳定，和{prob}之间可能有关联，但缺少数据支撑。",
    "今年以来因为{prob}已经发生过{n}次非计划停机，单次损失在{money}万元左右。",
];

const NEED_TRIED: [&str; 11] = [
    "我们试过{meth}，但{prob}的问题没有得到根本解决。",
    "之前和一家单位合作做过{proc}项目，实验室结果不错，放大到生产线后出现{prob2}，最后没有推广。",
    "去年请设备厂家做过一次{proc}改造，投入{money}万元，{metric}改善不明显。",
    "国内能提供成熟{obj}{proc}整体方案的单位不多，进口设备价格高、交货期长，售后也跟不上。",
    "厂里自己做过一些对比试验，发现{proc}的温度、时间和原料批次都有影响，但理不清主次。",
    "也考虑过引入{meth2}，但我们对这项技术了解不多，心里没底。",
    "另外，{gen_need}也是我们比较头疼的问题。",
    "技术人员查阅了一些文献，国外有用{meth}处理类似问题的报道，但不清楚能否适应我们的原料和工况。",
    "我们和设备供应商沟通过，对方认为是{proc}工艺问题，不属于设备质量范围，问题一直悬而未决。",
    "{recent}年曾邀请省内专家到现场会诊，按建议调整了{proc}参数，效果只维持了不到{months}个月。",
    "目前采用的还是{built}年引进的工艺，{obj}相关的关键参数多年没有系统优化过。",
];

const NEED_GOALS: [&str; 16] = [
    "希望合作方帮助分析{prob}的原因，提出{proc}的改进方案，并到现场指导调试。",
    "目标是{target}，同时不明显增加运行成本。",
    "对方最好有{obj}方面的中试或工程化经验，能在{months}个月内拿出初步方案。",
    "企业可以提供中试场地、水电气和{area}平方米左右的闲置厂房，现场技术人员全力配合。",
    "改造方案不能影响现有生产，每年停产检修窗口只有{days}天左右。",
    "希望引入{meth}，把{proc}的数据接入MES系统，实现在线监测和预警。",
    "如果能把{metric}稳定下来，预计每年可节约成本{money}万元，我们愿意按效果付费。",
    "我们希望通过合作培养一批懂{proc}的技术骨干，也欢迎研究生来厂里做课题。",
    "请有{obj}或{proc}经验的高校、院所团队联系我们，可以先来现场看一看。",
    "经费方面公司承担大部分，也会同步申报省级科技计划项目。",
    "最终希望形成一套可复制的{obj}{proc}技术方案，后续在集团其他基地推广。",
    "能否用{abbr}相关技术替代现有工艺，想先请专家做一次可行性论证。",
    "合作方式倾向于{coop}，具体可以面谈。",
    "希望合作单位能派技术人员到现场跟班{days}天左右，摸清{prob}的规律。",
    "项目验收以连续{months}个月的生产数据为准，要求{target}。",
    "如果有成熟的{meth}软件或装备，也可以直接采购，但需要提供现场适配服务。",
];

static NEED_SECTIONS: [Section; 4] = [
    Section {
        heading: "企业基本情况",
        share: 25,
        templates: &NEED_BACKGROUND,
    },
    Section {
        heading: "存在的技术问题",
        share: 30,
        templates: &NEED_PROBLEMS,
    },
    Section {
        heading: "已开展的工作",
        share: 15,
        templates: &NEED_TRIED,
    },
    Section {
        heading: "合作需求与预期目标",
        share: 30,
        templates: &NEED_GOALS,
    },
];

const CAPABILITY_TITLES: [&str; 11] = [
    "{obj0}{proc0}关键技术",
    "基于{meth0}的{obj0}{proc0}技术",
    "{meth0}在{obj0}{proc0}中的应用",
    "{obj0}低成本{proc0}技术",
    "{obj0}{proc0}工艺包及成套技术",
    "{obj0}{proc0}技术研发与产业化",
    "面向{obj0}的{meth0}方法",
    "{obj0}{prob0}问题的{meth0}解决方案",
    "{meth0}与{proc0}耦合技术",
    "{obj0}{proc0}在线监测与优化技术",
    "{obj0}{proc0}过程{meth0}研究",
];

const CAPABILITY_INTRO: [&str; 7] = [
    "{team}依托{org}{platform}，长期从事{obj}{proc}相关研究。",
    "团队现有研究人员{tech_staff}人，其中教授（研究员）{n}人，主要研究方向为{obj}{proc}与{meth}。",
    "该成果由{team}历时{years}年攻关完成，面向{obj}领域{proc}的工程需求。",
    "团队自{year}年起围绕{obj}开展系统研究，在{proc}机理和工艺方面积累了大量基础数据。",
    "团队负责人长期在{obj}领域从事科研和工程化工作，主持过多项省部级重点项目。",
    "团队与{n}家行业骨干企业建立了长期合作关系，熟悉{proc}生产现场的实际需求。",
    "团队形成了从基础研究、{meth}到工程应用的完整研发链条，现有在读博士、硕士研究生{tech_staff}余人。",
];

const CAPABILITY_TECHNOLOGY: [&str; 14] = [
    "针对{prob}的问题，提出了基于{meth}的{proc}新方法，{claim}。",
    "建立了{obj}{proc}过程的多尺度模型，揭示了{metric}与关键工艺参数之间的内在关联。",
    "提出了{meth}与{meth2}耦合的技术路线，突破了{proc}环节的关键瓶颈。",
    "借助{abbr}等手段，实现了对{obj}{proc}全过程的精细调控。",
    "通过优化{proc}参数，{improve}。",
    "开发了具有自主知识产权的{obj}{proc}工艺包，涵盖工艺设计、关键设备选型和控制策略。",
    "该技术的核心在于{meth}，可有效抑制{prob2}，显著提高产品一致性。",
    "团队在{meth}研究中识别出影响{metric}的关键因素，并据此设计了新的{proc}方案。",
    "与常规工艺相比，该方法流程短、操作窗口宽，对原料波动的适应性更强。",
    "采用{meth}对{proc}过程进行定量分析，明确了{prob}的主要成因。",
    "在{obj}{proc}中引入{meth2}，使关键工艺窗口拓宽约{pct}%。",
    "通过{meth}与在线检测相结合，可对{metric}进行实时预测和闭环控制。",
    "针对不同原料和工况，建立了{proc}工艺参数数据库和专家系统，可快速给出优化方案。",
    "相关理论成果发表于本领域主流期刊，核心工艺于{recent}年完成实验室验证。",
];

const CAPABILITY_RESULTS: [&str; 12] = [
    "相关技术已完成{scale}验证，{claim}，与传统工艺相比综合成本降低约{pct}%。",
    "近五年承担国家重点研发计划、国家自然科学基金等项目{n}项，累计科研经费{money}万元。",
    "已授权发明专利{patents}项，发表SCI/EI论文{papers}篇，部分成果获省部级科技奖励。",
    "与国外同类技术相比，{claim}，且关键原材料和核心部件可实现国产化。",
    "目前技术成熟度约为TRL {trl}，{trl_stage}。",
    "已主持制定团体标准{small}项，参与制定国家或行业标准{small2}项。",
    "团队拥有{instr}、{instr2}等仪器设备，可提供{proc}测试分析与工艺评价服务。",
    "研究表明，{improve}，相关结果已在中试装置上得到重复验证。",
    "经第三方检测机构检测，{claim}，其他指标同样满足用户要求。",
    "成果{recent}年通过省级科技成果评价，整体达到国内领先水平。",
    "已完成{scale}，累计运行{hours}小时，未出现{prob2}等问题。",
    "核心专利可单独许可，也可与工艺包、关键设备打包转让。",
];

const CAPABILITY_APPLICATION: [&str; 10] = [
    "成果已在{provinces}等地的{n}家企业推广应用，累计新增产值约{value}亿元。",
    "成果适用于{obj}相关企业的技术改造，预计投资回收期{payback}年左右。",
    "中试装置连续运行{hours}小时，各项指标稳定，具备{scale}条件。",
    "可为企业提供从{proc}机理研究、工艺包设计到工程放大的全链条技术支持。",
    "该技术同样可推广应用于{obj2}等相关领域，可根据企业原料和装置条件进行定制化开发。",
    "团队在{gen_cap}方面也有积累，能够协助企业完成项目申报和验收。",
    "已为{n}家企业提供{proc}技术服务，帮助企业解决了{prob2}等现场难题。",
    "典型用户反馈，采用该技术后{improve}，年节约成本约{money}万元。",
    "技术方案已纳入多家企业的技改项目，正在{provinces}等地推广。",
    "可结合企业现有{obj}装置进行改造，改造期间基本不影响正常生产。",
];

const CAPABILITY_COOPERATION: [&str; 8] = [
    "拟采用{coop}等方式与企业合作，具体条件可面议。",
    "欢迎有{obj}{proc}需求的企业联系，团队可派人驻厂开展联合攻关。",
    "愿与企业共建联合实验室或中试基地，联合培养研究生和工程技术人员。",
    "团队可根据企业现场情况提供{months}个月左右的技术跟踪服务。",
    "知识产权归属和收益分配可按项目具体情况协商。",
    "团队可为合作企业定制培训课程，帮助企业培养{proc}方向的技术骨干。",
    "可先以技术咨询形式开展现场诊断，再视情况签订技术开发或技术转让合同。",
    "对有意向的企业，团队可在{months}个月内提供初步技术方案和投资估算。",
];

static CAPABILITY_SECTIONS: [Section; 5] = [
    Section {
        heading: "团队简介",
        share: 15,
        templates: &CAPABILITY_INTRO,
    },
    Section {
        heading: "技术内容",
        share: 30,
        templates: &CAPABILITY_TECHNOLOGY,
    },
    Section {
        heading: "主要指标与成果",
        share: 25,
        templates: &CAPABILITY_RESULTS,
    },
    Section {
        heading: "应用情况",
        share: 18,
        templates: &CAPABILITY_APPLICATION,
    },
    Section {
        heading: "合作方式",
        share: 12,
        templates: &CAPABILITY_COOPERATION,
    },
];

// ---------------------------------------------------------------------------
// Vocabulary: the twelve fields (taxonomy.md), in taxonomy order
// ---------------------------------------------------------------------------

static FIELDS: [FieldVocab; 12] = [
    FieldVocab {
        code: "equipment",
        weight: 11,
        industries: &[
            "智能装备",
            "重型机械",
            "液压装备",
            "矿山机械",
            "精密机械",
            "齿轮传动",
        ],
        customers: &["煤矿用户", "主机厂", "工程机械客户", "风电整机厂"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 100,
            hi: 5000,
            unit: "台（套）",
        },
        objects: &[
            "采煤机",
            "掘进机",
            "液压支架",
            "刮板输送机",
            "减速器",
            "大型铸锻件",
            "数控机床",
            "工业机器人",
            "焊接机器人",
            "矿用防爆电机",
            "齿轮箱",
            "高压柱塞泵",
            "重载轴承",
            "盾构机刀盘",
            "风电主轴",
            "压力容器",
        ],
        processes: &[
            "焊接",
            "热处理",
            "精密加工",
            "装配调试",
            "表面淬火",
            "激光熔覆",
            "铸造",
            "锻造",
            "故障诊断",
            "远程运维",
            "在线检测",
        ],
        methods: &[
            "数字孪生",
            "有限元分析",
            "机器视觉检测",
            "振动信号分析",
            "拓扑优化",
            "增材制造",
            "再制造",
            "自适应控制",
            "模态分析",
            "疲劳寿命预测",
        ],
        problems: &[
            "焊缝气孔和裂纹较多",
            "齿面点蚀早期失效",
            "液压系统泄漏频繁",
            "加工精度一致性差",
            "关键部件寿命偏短",
            "设备振动和噪声偏大",
            "热处理变形超差",
            "非计划停机次数多",
            "首台套产品缺乏验证数据",
            "装配返修率偏高",
        ],
        metrics: &[
            up("一次焊接合格率", "%", 850, 995, 1),
            up("平均无故障工作时间", "小时", 500, 8000, 0),
            down("加工精度误差", "μm", 2, 50, 0),
            down("齿轮箱温升", "℃", 15, 60, 0),
            up("设备综合效率", "%", 55, 90, 0),
            down("返修率", "%", 10, 150, 1),
        ],
        abbrs: &["PLC", "CNC", "CAE", "AGV"],
        teams: &[
            "智能制造",
            "高端装备设计",
            "机械可靠性",
            "先进焊接",
            "矿山装备",
            "激光加工",
        ],
        institutes: &["智能制造", "先进制造", "机械工程"],
        university_types: &["理工大学", "工业大学", "科技大学"],
        scales: &["样机试制", "工业性试验", "首台套示范应用"],
    },
    FieldVocab {
        code: "rail",
        weight: 5,
        industries: &["轨道装备", "轨道交通装备", "机车车辆配件", "铁路器材"],
        customers: &["主机厂", "铁路局用户", "地铁运营公司"],
        capacity: Capacity {
            lead: "年新造和检修车辆约",
            lo: 200,
            hi: 3000,
            unit: "辆",
        },
        objects: &[
            "转向架",
            "车钩缓冲装置",
            "制动盘",
            "牵引电机",
            "轮对",
            "车体铝型材",
            "受电弓",
            "道岔",
            "钢轨",
            "轴箱轴承",
            "空气弹簧",
            "牵引变流器",
            "列控车载设备",
            "重载货车",
        ],
        processes: &[
            "轮轨磨耗检测",
            "搅拌摩擦焊",
            "无损探伤",
            "制动控制",
            "状态修",
            "轨道检测",
            "信号联锁",
            "振动抑制",
            "轻量化设计",
            "疲劳试验",
        ],
        methods: &[
            "声发射监测",
            "超声相控阵检测",
            "多体动力学仿真",
            "故障预测与健康管理",
            "轮轨接触力学分析",
            "涡流检测",
            "基于深度学习的图像识别",
            "噪声源识别",
            "动应力测试",
            "主动悬挂控制",
        ],
        problems: &[
            "轮缘异常磨耗",
            "制动盘热裂纹",
            "车体焊缝疲劳开裂",
            "轴承温升报警频繁",
            "车内噪声偏高",
            "道岔尖轨磨损快",
            "信号设备误报警",
            "检修周期长、成本高",
            "重载线路钢轨伤损多",
            "弓网燃弧严重",
        ],
        metrics: &[
            up("轮对镟修周期", "万公里", 10, 60, 0),
            down("紧急制动距离", "米", 500, 1500, 0),
            down("车内噪声", "dB(A)", 60, 80, 0),
            down("轴温误报率", "%", 10, 200, 1),
            up("焊缝一次探伤合格率", "%", 900, 998, 1),
            up("疲劳试验循环次数", "万次", 200, 1000, 0),
        ],
        abbrs: &["PHM", "CBTC", "TCMS", "ATP"],
        teams: &[
            "轨道车辆动力学",
            "轮轨关系",
            "列车制动",
            "轨道交通信号",
            "车辆轻量化",
        ],
        institutes: &["轨道交通", "交通运输工程", "载运工具"],
        university_types: &["交通大学", "理工大学", "铁道大学"],
        scales: &["台架试验", "线路试运行", "装车考核"],
    },
    FieldVocab {
        code: "nev",
        weight: 6,
        industries: &["新能源汽车", "动力电池", "电驱科技", "汽车零部件"],
        customers: &["整车厂", "物流车队", "公交公司"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 2,
            hi: 30,
            unit: "GWh",
        },
        objects: &[
            "动力电池",
            "磷酸铁锂电池",
            "三元正极材料",
            "电池管理系统",
            "驱动电机",
            "电机控制器",
            "热管理系统",
            "电池包壳体",
            "充电桩",
            "换电站",
            "硅碳负极",
            "固态电解质",
            "电动重卡",
            "甲醇汽车",
        ],
        processes: &[
            "电芯制造",
            "模组装配",
            "化成分容",
            "热失控防护",
            "大功率快充",
            "电池回收",
            "梯次利用",
            "整车轻量化",
            "电驱集成",
            "整车标定",
        ],
        methods: &[
            "电化学阻抗谱",
            "等效电路建模",
            "卡尔曼滤波",
            "热仿真",
            "预锂化",
            "干法电极",
            "扁线绕组",
            "一体化压铸",
            "碳化硅电驱",
            "湿法冶金回收",
        ],
        problems: &[
            "低温续航衰减明显",
            "电芯一致性差",
            "快充时析锂",
            "电池包热失控蔓延风险大",
            "电机高速区效率下降",
            "循环寿命达不到设计值",
            "冬季充电慢",
            "壳体焊接漏气",
            "SOC估算误差大",
            "回收料杂质偏高",
        ],
        metrics: &[
            up("能量密度", "Wh/kg", 140, 300, 0),
            up("循环寿命", "次", 1500, 6000, 0),
            up("-20℃容量保持率", "%", 55, 90, 0),
            down("SOC估算误差", "%", 10, 80, 1),
            up("电机峰值效率", "%", 940, 980, 1),
            up("锂回收率", "%", 80, 98, 0),
        ],
        abbrs: &["BMS", "SOC", "CTP", "OTA"],
        teams: &["动力电池", "电机驱动", "整车控制", "电池回收", "电池热管理"],
        institutes: &["新能源汽车", "电池材料", "车辆工程"],
        university_types: &["理工大学", "科技大学", "工业大学"],
        scales: &["样件试制", "装车试验", "小批量试产"],
    },
    FieldVocab {
        code: "semiconductor",
        weight: 7,
        industries: &[
            "半导体",
            "宽禁带半导体",
            "光电科技",
            "碳化硅材料",
            "显示科技",
        ],
        customers: &["器件厂", "模组厂", "终端客户"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 1,
            hi: 60,
            unit: "万片",
        },
        objects: &[
            "碳化硅衬底",
            "碳化硅外延片",
            "氮化镓外延片",
            "砷化镓晶片",
            "功率器件",
            "MOSFET芯片",
            "深紫外LED",
            "Mini LED",
            "柔性显示面板",
            "蓝宝石衬底",
            "光刻胶",
            "单晶炉",
            "激光器芯片",
            "光电探测器",
        ],
        processes: &[
            "晶体生长",
            "同质外延",
            "多线切割",
            "减薄抛光",
            "离子注入",
            "高温退火",
            "干法刻蚀",
            "芯片封装",
            "晶圆键合",
            "巨量转移",
        ],
        methods: &[
            "物理气相传输法",
            "金属有机化学气相沉积",
            "化学机械抛光",
            "激光隐形切割",
            "缺陷自动检测",
            "可靠性加速试验",
            "第一性原理计算",
            "高分辨X射线衍射",
            "光致发光谱",
            "原子层沉积",
        ],
        problems: &[
            "微管和位错密度偏高",
            "衬底翘曲超标",
            "外延层厚度不均",
            "表面出现三角形缺陷",
            "器件漏电流大",
            "发光效率偏低",
            "栅氧可靠性不足",
            "切割崩边",
            "封装热阻高",
            "良率爬坡慢",
        ],
        metrics: &[
            up("良率", "%", 50, 95, 0),
            down("位错密度", "个/cm²", 500, 10000, 0),
            down("外延厚度不均匀性", "%", 10, 60, 1),
            up("外量子效率", "%", 20, 100, 1),
            down("晶片翘曲度", "μm", 10, 60, 0),
            up("击穿电压", "V", 650, 3300, 0),
        ],
        abbrs: &["SiC", "GaN", "MOCVD", "LED"],
        teams: &[
            "碳化硅外延",
            "宽禁带半导体",
            "深紫外光电",
            "化合物半导体器件",
            "柔性显示",
        ],
        institutes: &["半导体", "光电技术", "微电子"],
        university_types: &["科技大学", "电子科技大学", "理工大学"],
        scales: &["小批量流片", "中试线", "客户送样"],
    },
    FieldVocab {
        code: "materials",
        weight: 12,
        industries: &[
            "特种钢材",
            "新材料",
            "镁合金",
            "铝业",
            "复合材料",
            "精密带钢",
        ],
        customers: &["汽车板客户", "家电客户", "电机厂", "航空航天客户"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 5,
            hi: 500,
            unit: "万吨",
        },
        objects: &[
            "无取向硅钢",
            "不锈钢精密带钢",
            "镁合金",
            "铝合金型材",
            "钛合金",
            "碳纤维复合材料",
            "高温合金",
            "稀土永磁材料",
            "耐磨钢",
            "超高强钢",
            "电解铜箔",
            "石墨烯",
            "陶瓷基复合材料",
            "粉末冶金零件",
        ],
        processes: &[
            "冶炼",
            "连铸",
            "热轧",
            "冷轧",
            "退火",
            "表面涂层",
            "粉末冶金",
            "固溶时效",
            "挤压成形",
            "热压成型",
        ],
        methods: &[
            "热力耦合数值模拟",
            "组织性能调控",
            "电子背散射衍射",
            "透射电镜表征",
            "相图计算",
            "微合金化",
            "快速凝固",
            "搅拌铸造",
            "等通道转角挤压",
            "高通量材料计算",
        ],
        problems: &[
            "板形控制不好",
            "表面夹杂和结疤",
            "强度和塑性难以兼顾",
            "耐腐蚀性能不足",
            "成材率低",
            "力学性能波动大",
            "高温抗氧化性差",
            "晶粒粗大",
            "残余应力大",
            "批次稳定性差",
        ],
        metrics: &[
            up("抗拉强度", "MPa", 400, 2000, 0),
            down("铁损P1.5/50", "W/kg", 20, 45, 1),
            up("延伸率", "%", 5, 40, 0),
            up("成材率", "%", 80, 96, 0),
            down("表面缺陷率", "%", 5, 80, 1),
            down("腐蚀速率", "mm/a", 5, 80, 2),
        ],
        abbrs: &["EBSD", "TEM", "CALPHAD", "CFRP"],
        teams: &["先进金属材料", "镁合金", "复合材料", "特殊钢", "表面工程"],
        institutes: &["金属材料", "先进材料", "复合材料"],
        university_types: &["科技大学", "工业大学", "理工大学"],
        scales: &["实验室熔炼", "工业试制", "批量供货"],
    },
    FieldVocab {
        code: "biomed",
        weight: 5,
        industries: &["生物制药", "药业", "医疗器械", "生物科技"],
        customers: &["医院", "制剂企业", "医药流通企业"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 10,
            hi: 2000,
            unit: "吨",
        },
        objects: &[
            "原料药",
            "中药配方颗粒",
            "单克隆抗体",
            "疫苗",
            "医用敷料",
            "体外诊断试剂",
            "缓释制剂",
            "医用高分子材料",
            "骨科植入物",
            "中药饮片",
            "酶制剂",
            "保健食品",
            "细胞培养基",
            "康复器械",
        ],
        processes: &[
            "发酵",
            "分离纯化",
            "结晶",
            "制剂成型",
            "质量控制",
            "一致性评价",
            "无菌灌装",
            "提取浓缩",
            "冷冻干燥",
            "临床前评价",
        ],
        methods: &[
            "高效液相色谱",
            "质谱分析",
            "合成生物学",
            "连续流反应",
            "细胞培养工艺放大",
            "指纹图谱",
            "分子对接",
            "药代动力学研究",
            "微流控",
            "基因编辑",
        ],
        problems: &[
            "发酵单位偏低",
            "杂质含量超标",
            "批间差异大",
            "收率不理想",
            "溶出度达不到参比制剂",
            "有效成分含量波动",
            "稳定性试验不过关",
            "产品保质期短",
            "三废处理成本高",
            "注册申报资料不完整",
        ],
        metrics: &[
            up("收率", "%", 40, 92, 0),
            up("纯度", "%", 950, 999, 1),
            down("最大单杂含量", "%", 5, 50, 2),
            up("发酵效价", "g/L", 2, 50, 0),
            up("溶出度", "%", 60, 95, 0),
            down("检测下限", "ng/mL", 1, 100, 1),
        ],
        abbrs: &["HPLC", "GMP", "MAH", "CRO"],
        teams: &["药物制剂", "生物制药", "中药现代化", "医用材料", "分子诊断"],
        institutes: &["药物", "生物工程", "中药"],
        university_types: &["医科大学", "药科大学", "中医药大学"],
        scales: &["小试", "中试放大", "GMP车间试生产"],
    },
    FieldVocab {
        code: "bio_based",
        weight: 5,
        industries: &["生物科技", "农业科技", "生物肥业", "杂粮食品"],
        customers: &["食品加工企业", "种植合作社", "饲料企业"],
        capacity: Capacity {
            lead: "年加工能力约",
            lo: 1,
            hi: 50,
            unit: "万吨",
        },
        objects: &[
            "杂粮",
            "玉米秸秆",
            "生物有机肥",
            "微生物菌剂",
            "燃料乙醇",
            "生物柴油",
            "沼气",
            "聚乳酸",
            "功能性食品",
            "设施蔬菜",
            "饲料添加剂",
            "食用菌",
            "小米",
            "生物农药",
        ],
        processes: &[
            "秸秆综合利用",
            "厌氧发酵",
            "好氧堆肥",
            "酶解糖化",
            "精深加工",
            "节水灌溉",
            "土壤改良",
            "良种繁育",
            "仓储保鲜",
            "生物炼制",
        ],
        methods: &[
            "高通量筛选",
            "基因组选择育种",
            "固态发酵",
            "膜分离",
            "代谢工程",
            "遥感监测",
            "水肥一体化",
            "复合菌系构建",
            "低温等离子体灭菌",
            "近红外快速检测",
        ],
        problems: &[
            "秸秆收储运成本高",
            "堆肥腐熟慢、臭气大",
            "菌剂货架期短",
            "产品附加值低",
            "盐碱地保苗率低",
            "发酵转化率不高",
            "病虫害防控依赖化学农药",
            "产量年际波动大",
            "加工损耗高",
            "土壤有机质下降",
        ],
        metrics: &[
            up("发酵转化率", "%", 40, 90, 0),
            up("有效活菌数", "亿/克", 2, 50, 0),
            up("亩产", "公斤", 200, 800, 0),
            down("腐熟周期", "天", 10, 60, 0),
            up("化肥减量比例", "%", 5, 40, 0),
            down("加工损耗率", "%", 3, 25, 0),
        ],
        abbrs: &["PLA", "NIR", "IoT", "PCR"],
        teams: &[
            "农业微生物",
            "杂粮精深加工",
            "生物质能源",
            "土壤改良",
            "作物育种",
        ],
        institutes: &["农业资源", "生物质", "旱作农业"],
        university_types: &["农业大学", "农林大学", "科技大学"],
        scales: &["田间试验", "中试发酵", "示范基地推广"],
    },
    FieldVocab {
        code: "coal_chem",
        weight: 12,
        industries: &["煤化工", "焦化", "化工", "煤气化"],
        customers: &["下游化工企业", "炭素企业", "塑料加工企业"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 10,
            hi: 180,
            unit: "万吨",
        },
        objects: &[
            "焦炉煤气",
            "煤焦油",
            "粗苯",
            "煤制烯烃",
            "煤制油",
            "甲醇",
            "合成气",
            "针状焦",
            "煤沥青",
            "气化炉",
            "费托合成蜡",
            "乙二醇",
            "粗氢",
            "加氢催化剂",
        ],
        processes: &[
            "精脱硫",
            "费托合成",
            "煤气化",
            "甲醇制烯烃",
            "加氢精制",
            "焦油深加工",
            "一氧化碳变换",
            "脱碳",
            "气体净化",
            "结晶分离",
        ],
        methods: &[
            "固定床反应器设计",
            "流化床反应工程",
            "催化剂表征",
            "分子筛改性",
            "流程模拟",
            "原位红外",
            "精馏优化",
            "热力学计算",
            "失活机理研究",
            "膜分离提氢",
        ],
        problems: &[
            "精脱硫剂寿命短",
            "催化剂失活快",
            "副产物多、选择性低",
            "设备结焦堵塞",
            "废水中酚氰含量高",
            "气化炉渣含碳量高",
            "产品纯度不稳定",
            "能耗和水耗偏高",
            "反应器床层飞温",
            "装置负荷调节能力差",
        ],
        metrics: &[
            up("目标产物选择性", "%", 60, 95, 0),
            down("总硫含量", "mg/m³", 1, 200, 1),
            up("催化剂寿命", "小时", 2000, 16000, 0),
            up("单程转化率", "%", 30, 90, 0),
            down("吨产品综合能耗", "吨标煤", 10, 45, 1),
            up("产品纯度", "%", 9500, 9995, 2),
        ],
        abbrs: &["MTO", "DCS", "PSA", "COS"],
        teams: &[
            "煤化工催化",
            "费托合成",
            "焦化副产品深加工",
            "煤气化",
            "化工分离",
        ],
        institutes: &["煤炭化学", "化工过程", "碳资源转化"],
        university_types: &["化工大学", "矿业大学", "理工大学"],
        scales: &["小试评价", "千吨级中试", "工业侧线"],
    },
    FieldVocab {
        code: "energy",
        weight: 10,
        industries: &["氢能科技", "新能源", "光伏科技", "储能科技"],
        customers: &["电网公司", "公交公司", "工业园区用户"],
        capacity: Capacity {
            lead: "装机和产能规模约",
            lo: 5,
            hi: 200,
            unit: "MW",
        },
        objects: &[
            "氢燃料电池",
            "燃料电池电堆",
            "质子交换膜",
            "膜电极",
            "加氢站",
            "车载储氢瓶",
            "电解槽",
            "储能电站",
            "液流电池",
            "光伏组件",
            "钙钛矿电池",
            "储能变流器",
            "压缩空气储能",
            "分布式光伏",
        ],
        processes: &[
            "电解水制氢",
            "工业副产氢提纯",
            "氢气压缩",
            "储能调峰",
            "并网控制",
            "光伏发电",
            "电堆装配",
            "催化剂涂布",
            "智能运维",
            "氢能重卡示范运营",
        ],
        methods: &[
            "碱性电解",
            "PEM电解",
            "双极板流场设计",
            "低铂催化剂",
            "能量管理策略",
            "功率预测",
            "热管理仿真",
            "寿命衰减建模",
            "钝化接触",
            "虚拟同步机控制",
        ],
        problems: &[
            "电堆衰减快",
            "低温冷启动困难",
            "铂载量高、成本下不来",
            "加氢站压缩机故障多",
            "制氢能耗高",
            "储能系统循环效率低",
            "光伏组件隐裂和热斑",
            "弃风弃光率高",
            "氢气纯度波动",
            "电网调峰响应慢",
        ],
        metrics: &[
            up("电堆体积功率密度", "kW/L", 20, 50, 1),
            down("制氢直流电耗", "kWh/Nm³", 40, 55, 1),
            up("系统效率", "%", 40, 65, 0),
            down("铂载量", "g/kW", 10, 50, 2),
            up("光电转换效率", "%", 180, 270, 1),
            up("储能往返效率", "%", 75, 92, 0),
        ],
        abbrs: &["PEMFC", "EMS", "MPPT", "PEM"],
        teams: &[
            "氢燃料电池",
            "电解水制氢",
            "储能系统",
            "光伏材料",
            "综合能源",
        ],
        institutes: &["能源转化", "新能源", "氢能"],
        university_types: &["电力大学", "理工大学", "科技大学"],
        scales: &["单电池测试", "千瓦级样机", "示范运行"],
    },
    FieldVocab {
        code: "digital",
        weight: 8,
        industries: &["信息技术", "数据科技", "网络科技", "智能科技"],
        customers: &["制造业客户", "煤矿客户", "政府部门"],
        capacity: Capacity {
            lead: "服务工业企业约",
            lo: 20,
            hi: 600,
            unit: "家",
        },
        objects: &[
            "工业互联网平台",
            "数据标注平台",
            "边缘计算网关",
            "5G专网",
            "工业大模型",
            "视频监控系统",
            "智能传感器",
            "数字孪生平台",
            "算力中心",
            "知识图谱",
            "设备管理系统",
            "云平台",
            "区块链溯源系统",
            "智能巡检机器人",
        ],
        processes: &[
            "数据采集",
            "数据治理",
            "设备联网",
            "预测性维护",
            "图像识别",
            "智能调度",
            "网络安全防护",
            "模型训练",
            "边云协同",
            "能耗管理",
        ],
        methods: &[
            "深度学习",
            "迁移学习",
            "联邦学习",
            "时序异常检测",
            "强化学习",
            "知识蒸馏",
            "目标检测",
            "自然语言处理",
            "大数据分析",
            "低代码开发",
        ],
        problems: &[
            "数据孤岛严重",
            "老旧设备协议不统一",
            "识别准确率不高",
            "误报漏报多",
            "网络时延大",
            "标注成本高",
            "系统响应慢",
            "模型泛化能力差",
            "存在网络安全隐患",
            "现场运维人手不足",
        ],
        metrics: &[
            up("识别准确率", "%", 800, 990, 1),
            up("数据采集覆盖率", "%", 40, 98, 0),
            down("端到端时延", "ms", 5, 200, 0),
            down("误报率", "%", 10, 250, 1),
            up("设备在线率", "%", 70, 99, 0),
            up("故障预警提前量", "小时", 2, 72, 0),
        ],
        abbrs: &["AI", "5G", "MES", "OPC UA"],
        teams: &["工业互联网", "人工智能", "大数据", "物联网", "网络安全"],
        institutes: &["计算技术", "自动化", "信息工程"],
        university_types: &["电子科技大学", "邮电大学", "理工大学"],
        scales: &["原型系统", "试点产线部署", "规模化推广"],
    },
    FieldVocab {
        code: "aviation",
        weight: 5,
        industries: &["通用航空", "无人机科技", "航空科技"],
        customers: &["农林植保用户", "应急救援部门", "电力巡检单位"],
        capacity: Capacity {
            lead: "年产能约",
            lo: 20,
            hi: 2000,
            unit: "架",
        },
        objects: &[
            "工业级无人机",
            "固定翼飞机",
            "直升机旋翼",
            "航空发动机叶片",
            "复合材料机身",
            "飞控系统",
            "航电系统",
            "起落架",
            "通用机场",
            "螺旋桨",
            "倾转旋翼机",
            "电动垂直起降飞行器",
            "机载光电吊舱",
            "航空铝锂合金",
        ],
        processes: &[
            "气动设计",
            "适航取证",
            "飞行测试",
            "复材铺贴",
            "总装集成",
            "维修保障",
            "航迹规划",
            "避障控制",
            "载荷集成",
            "低空空域管理",
        ],
        methods: &[
            "计算流体力学",
            "风洞试验",
            "自抗扰控制",
            "多传感器融合",
            "热压罐成型",
            "结构健康监测",
            "视觉SLAM",
            "集群协同控制",
            "电磁兼容设计",
            "损伤容限分析",
        ],
        problems: &[
            "续航时间短",
            "抗风能力不足",
            "复材件孔隙率高",
            "飞控在强电磁环境下失稳",
            "适航审定经验不足",
            "维修周期长",
            "图传链路易中断",
            "起降场地受限",
            "载重比偏低",
            "部件国产化率低",
        ],
        metrics: &[
            up("续航时间", "分钟", 30, 300, 0),
            up("抗风等级", "级", 4, 8, 0),
            down("复材孔隙率", "%", 5, 40, 1),
            up("最大起飞重量", "公斤", 25, 3000, 0),
            down("定位误差", "厘米", 1, 50, 0),
            down("空机重量占比", "%", 45, 70, 0),
        ],
        abbrs: &["eVTOL", "UAV", "CFD", "RTK"],
        teams: &[
            "无人机系统",
            "飞行器设计",
            "航空复合材料",
            "飞行控制",
            "低空交通",
        ],
        institutes: &["航空", "飞行器", "空天技术"],
        university_types: &["航空航天大学", "航空大学", "理工大学"],
        scales: &["原理样机", "试飞验证", "小批量交付"],
    },
    FieldVocab {
        code: "green",
        weight: 14,
        industries: &["环保科技", "节能科技", "煤业", "电力", "钢铁"],
        customers: &["钢铁企业", "电力企业", "建材企业"],
        capacity: Capacity {
            lead: "年综合产能约",
            lo: 50,
            hi: 1500,
            unit: "万吨",
        },
        objects: &[
            "烧结烟气",
            "焦炉烟气",
            "燃煤锅炉",
            "矿井水",
            "煤矸石",
            "粉煤灰",
            "余热锅炉",
            "高炉渣",
            "脱硫石膏",
            "污水处理站",
            "袋式除尘器",
            "煤矿瓦斯",
            "电机系统",
            "循环流化床锅炉",
        ],
        processes: &[
            "超低排放改造",
            "脱硝",
            "脱硫",
            "余热回收",
            "固废资源化",
            "节能改造",
            "碳捕集",
            "废水零排放",
            "瓦斯抽采利用",
            "能源管控",
        ],
        methods: &[
            "选择性催化还原",
            "活性焦一体化净化",
            "低温等离子体",
            "有机朗肯循环",
            "膜浓缩",
            "生命周期评价",
            "化学链燃烧",
            "矿化封存",
            "超磁分离",
            "能效诊断",
        ],
        problems: &[
            "氮氧化物排放超标",
            "脱硝催化剂堵塞中毒",
            "余热利用率低",
            "固废堆存占地大",
            "含盐废水无处排放",
            "吨钢能耗偏高",
            "粉尘无组织排放",
            "碳排放配额紧张",
            "瓦斯浓度低难以利用",
            "设备腐蚀严重",
        ],
        metrics: &[
            down("氮氧化物排放浓度", "mg/m³", 20, 300, 0),
            down("颗粒物排放浓度", "mg/m³", 3, 30, 0),
            up("余热回收率", "%", 20, 70, 0),
            down("吨钢综合能耗", "千克标煤", 520, 620, 0),
            up("固废综合利用率", "%", 40, 95, 0),
            down("吨水处理成本", "元", 30, 200, 1),
        ],
        abbrs: &["SCR", "CCUS", "ORC", "SNCR"],
        teams: &["烟气治理", "固废资源化", "工业节能", "碳减排", "矿山环境"],
        institutes: &["环境工程", "节能", "生态环境"],
        university_types: &["矿业大学", "电力大学", "理工大学"],
        scales: &["中试装置", "工业示范", "多点推广"],
    },
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use std::collections::BTreeMap;

    fn corpus(needs: usize, capabilities: usize, seed: u64) -> (tempfile::TempDir, GenReport) {
        let dir = tempfile::tempdir().unwrap();
        let spec = GenSpec {
            needs,
            capabilities,
            seed,
        };
        let report = generate(dir.path(), &spec).unwrap();
        (dir, report)
    }

    fn read<T: DeserializeOwned>(dir: &Path, file: &str) -> Vec<T> {
        std::fs::read_to_string(dir.join(file))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn bytes(dir: &Path, file: &str) -> Vec<u8> {
        std::fs::read(dir.join(file)).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_differs() {
        let (a, report_a) = corpus(150, 150, 42);
        let (b, report_b) = corpus(150, 150, 42);
        let (c, _) = corpus(150, 150, 43);
        assert_eq!(report_a, report_b);
        for file in [ORGANIZATIONS_FILE, NEEDS_FILE, CAPABILITIES_FILE] {
            assert_eq!(bytes(a.path(), file), bytes(b.path(), file), "{file}");
            assert_ne!(bytes(a.path(), file), bytes(c.path(), file), "{file}");
        }
    }

    #[test]
    fn every_record_validates_against_the_builtin_taxonomy() {
        let (dir, report) = corpus(300, 300, 7);
        let taxonomy = Taxonomy::builtin().unwrap();
        let orgs: Vec<OrganizationLine> = read(dir.path(), ORGANIZATIONS_FILE);
        let needs: Vec<NeedLine> = read(dir.path(), NEEDS_FILE);
        let caps: Vec<CapabilityLine> = read(dir.path(), CAPABILITIES_FILE);
        assert_eq!(
            (orgs.len(), needs.len(), caps.len()),
            (report.organizations, 300, 300)
        );
        for o in &orgs {
            o.draft()
                .validate(&taxonomy)
                .unwrap_or_else(|e| panic!("{}: {e}", o.id));
            assert!((1..=3).contains(&o.fields.len()), "{}", o.id);
        }
        for n in &needs {
            n.draft()
                .validate(&taxonomy)
                .unwrap_or_else(|e| panic!("{}: {e}", n.id));
            check_posting(&n.title, &n.description, &n.keywords, &n.cooperation);
            if let Some(b) = n.budget_wan {
                assert!(b.fract() == 0.0 && (10.0..=5000.0).contains(&b), "{b}");
            }
            if let Some(d) = &n.deadline {
                assert!(d.starts_with("2027-") || d.starts_with("2028-"), "{d}");
            }
        }
        for c in &caps {
            c.draft()
                .validate(&taxonomy)
                .unwrap_or_else(|e| panic!("{}: {e}", c.id));
            check_posting(&c.title, &c.description, &c.keywords, &c.cooperation);
            // A stated readiness level matches the maturity, and none is stated without one.
            match c.maturity {
                Some(m) => assert!(
                    !c.description.contains("TRL") || c.description.contains(&format!("TRL {m}")),
                    "{}",
                    c.id
                ),
                None => assert!(!c.description.contains("TRL"), "{}", c.id),
            }
        }
        // Every kind and tier, and every city, even in a small corpus.
        let kinds: std::collections::BTreeSet<&str> =
            orgs.iter().map(|o| o.kind.as_str()).collect();
        assert_eq!(kinds.len(), OrgKind::ALL.len(), "{kinds:?}");
        let tiers: std::collections::BTreeSet<&str> =
            orgs.iter().filter_map(|o| o.tier.as_deref()).collect();
        assert_eq!(tiers.len(), taxonomy.tiers.len(), "{tiers:?}");
        for city in &CITIES {
            assert!(
                orgs.iter().any(|o| o.region.as_deref() == Some(city.name)),
                "{}",
                city.name
            );
        }
    }

    fn check_posting(title: &str, description: &str, keywords: &[String], cooperation: &[String]) {
        let title_len = title.chars().count();
        assert!((TITLE_MIN..=TITLE_MAX).contains(&title_len), "{title}");
        assert!((2..=6).contains(&keywords.len()), "{title}: {keywords:?}");
        for k in keywords {
            assert!(
                title.contains(k.as_str()) || description.contains(k.as_str()),
                "keyword {k} not in the text of {title}"
            );
        }
        assert!((1..=3).contains(&cooperation.len()), "{title}");
        assert!(
            !description.contains('{') && !description.contains('}'),
            "{description}"
        );
        assert!(!title.contains('{') && !title.contains('}'), "{title}");
    }

    #[test]
    fn description_lengths_stay_in_range_and_spread() {
        let (dir, _) = corpus(1000, 1000, 11);
        let needs: Vec<NeedLine> = read(dir.path(), NEEDS_FILE);
        let caps: Vec<CapabilityLine> = read(dir.path(), CAPABILITIES_FILE);
        let lengths: Vec<usize> = needs
            .iter()
            .map(|n| n.description.chars().count())
            .chain(caps.iter().map(|c| c.description.chars().count()))
            .collect();
        assert_eq!(lengths.len(), 2000);
        assert!(
            lengths
                .iter()
                .all(|l| (DESCRIPTION_MIN..=DESCRIPTION_MAX).contains(l))
        );
        let short = lengths.iter().filter(|&&l| l < 300).count();
        let typical = lengths
            .iter()
            .filter(|&&l| (200..=600).contains(&l))
            .count();
        let long = lengths.iter().filter(|&&l| l > 1000).count();
        assert!(short > 200, "{short} short");
        assert!(typical > 1000, "{typical} typical");
        assert!((20..400).contains(&long), "{long} long");

        // The optional attributes come in roughly the stated shares.
        let share = |n: usize, of: usize| n * 100 / of;
        let budgets = needs.iter().filter(|n| n.budget_wan.is_some()).count();
        let deadlines = needs.iter().filter(|n| n.deadline.is_some()).count();
        let maturities = caps.iter().filter(|c| c.maturity.is_some()).count();
        assert!((74..=86).contains(&share(budgets, 1000)), "{budgets}");
        assert!((64..=76).contains(&share(deadlines, 1000)), "{deadlines}");
        assert!((85..=95).contains(&share(maturities, 1000)), "{maturities}");
    }

    #[test]
    fn every_org_reference_resolves_to_the_right_side() {
        let (dir, _) = corpus(400, 400, 3);
        let orgs: Vec<OrganizationLine> = read(dir.path(), ORGANIZATIONS_FILE);
        let by_id: BTreeMap<&str, &OrganizationLine> =
            orgs.iter().map(|o| (o.id.as_str(), o)).collect();
        assert_eq!(by_id.len(), orgs.len(), "org ids are unique");
        let needs: Vec<NeedLine> = read(dir.path(), NEEDS_FILE);
        let mut in_org_fields = 0;
        for n in &needs {
            let org = by_id
                .get(n.org.as_str())
                .unwrap_or_else(|| panic!("{}", n.org));
            assert_eq!(org.kind, "enterprise", "{}", n.id);
            assert!(org.uscc.is_some());
            if org.fields.contains(&n.field) {
                in_org_fields += 1;
            }
        }
        assert!(in_org_fields * 100 / needs.len() >= 80, "{in_org_fields}");
        let caps: Vec<CapabilityLine> = read(dir.path(), CAPABILITIES_FILE);
        for c in &caps {
            let org = by_id
                .get(c.org.as_str())
                .unwrap_or_else(|| panic!("{}", c.org));
            assert_ne!(org.kind, "enterprise", "{}", c.id);
        }
        assert!(needs[0].id == "gen-need-0000001" && caps[0].id == "gen-cap-0000001");
        assert_eq!(orgs[0].id, "gen-org-000001");
    }

    #[test]
    fn vocabularies_cover_every_field_richly() {
        let taxonomy = Taxonomy::builtin().unwrap();
        let codes: Vec<&str> = FIELDS.iter().map(|f| f.code).collect();
        let known: Vec<&str> = taxonomy.fields.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, known);
        for f in &FIELDS {
            let mut terms: Vec<&str> =
                [f.objects, f.processes, f.methods, f.problems, f.abbrs].concat();
            terms.extend(f.metrics.iter().map(|m| m.name));
            terms.sort_unstable();
            terms.dedup();
            assert!(terms.len() >= 40, "{}: {} terms", f.code, terms.len());
            for list in [
                f.industries,
                f.customers,
                f.objects,
                f.processes,
                f.methods,
                f.problems,
                f.abbrs,
                f.teams,
                f.institutes,
                f.university_types,
                f.scales,
            ] {
                assert!(list.len() >= 2, "{}", f.code);
            }
            for m in f.metrics {
                assert!(m.lo < m.hi, "{}", m.name);
            }
            // The fallback title must fit.
            for o in f.objects {
                for p in f.processes {
                    let n = format!("{o}{p}关键技术研究").chars().count();
                    assert!((TITLE_MIN..=TITLE_MAX).contains(&n), "{o}{p}");
                }
            }
        }
        let need_templates: usize = NEED_SECTIONS.iter().map(|s| s.templates.len()).sum();
        let cap_templates: usize = CAPABILITY_SECTIONS.iter().map(|s| s.templates.len()).sum();
        assert!(need_templates >= 15 && cap_templates >= 15);
    }

    #[test]
    fn every_template_renders_without_leftover_placeholders() {
        let spec = GenSpec {
            needs: 10,
            capabilities: 10,
            seed: 1,
        };
        let world = World::plan(
            &spec,
            related_fields(&Taxonomy::builtin().unwrap()).unwrap(),
        )
        .unwrap();
        let mut rng = stream(5, 9);
        let coop = [&COOPERATION[0], &COOPERATION[4]];
        let all: Vec<&str> = NEED_SECTIONS
            .iter()
            .chain(CAPABILITY_SECTIONS.iter())
            .flat_map(|s| s.templates.iter().copied())
            .chain(NEED_TITLES)
            .chain(CAPABILITY_TITLES)
            .collect();
        for field in 0..FIELDS.len() {
            for org in [&world.orgs[0], &world.orgs[world.enterprises]] {
                let mut doc = Doc::new(&mut rng, field, &world.related, org, &coop, Some(5));
                doc.team_label();
                for template in &all {
                    let s = doc.render(template).unwrap();
                    assert!(!s.text.contains('{') && !s.text.contains('}'), "{}", s.text);
                }
            }
        }
    }
}
