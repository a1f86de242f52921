//! Where the province stands against the action plan: the KPI report of
//! `GET /api/v1/program/kpis` and `duijie kpi`.
//!
//! [`load`] reads the few columns the figures need with plain SELECTs (no
//! backend-specific SQL, so SQLite and PostgreSQL give identical results);
//! [`compute`] is a pure in-memory pass over those facts for one scope (a
//! city and/or a field). Definitions, exactly as implemented:
//!
//! - **cooperation**: a match in state `confirmed`, or an agreement whose
//!   status is not `terminated`. An organization cooperates when it owns the
//!   need or the capability of such a match, or is party A or B of such an
//!   agreement.
//! - **(a) above-scale coverage**: denominator = organizations in scope with
//!   `kind = enterprise` and `above_scale = true`; numerator = those that
//!   cooperate; target = `above_scale_coverage` (percent).
//! - **(b) provincial SOE coverage**: denominator = organizations in scope
//!   with `ownership = provincial_soe`; numerator = those cooperating with a
//!   `university`, `institute` or `academy` (the other side of the match or
//!   agreement); target = `provincial_soe_coverage` (percent).
//! - **(c) program items**, per kind: `started` = status `started` or
//!   `completed`; `with_agreement` = at least one non-terminated agreement
//!   names the item; `completed` = status `completed`; each against the
//!   kind's target (overall report only).
//! - **(d) agreements** (non-terminated): count and amount (万元, missing
//!   amounts count as 0) by contract type and by provider tier (the tier of
//!   party B; `none` when it has none).
//! - **(e) days to confirmation**: median over confirmed matches in scope of
//!   (time of the first `confirmed` event − match `created_at`) in days
//!   (seconds / 86400); the mean of the two middle values for an even count.
//! - **(f) alliances**: number of alliances in scope against `alliances`
//!   (overall only); cluster coverage = clusters in scope named by at least
//!   one alliance in scope / clusters in scope, target `cluster_coverage`.
//!
//! Scope: an organization is in scope when its region is the city and its
//! fields include the field; a match by its need (the need's organization's
//! region, the need's field); an agreement by party A's region and the field
//! of its match's need (else its program item's field); a program item by
//! its lead organization's region and its field; an alliance by its members'
//! regions and its clusters' fields; a cluster by its field (all clusters
//! are in every city's scope). Percent figures keep their targets in every
//! slice; count targets are province-wide and appear in the overall report
//! only.
//!
//! The report holds aggregates only, never records, so it cannot reveal a
//! confidential need; the API still serves it to program staff and admins
//! only.

pub mod entities;
pub mod store;

use crate::domain::{
    AgreementStatus, ContractType, MatchState, OrgKind, Ownership, ProgramItemKind,
};
use crate::domain::{ProgramItemStatus, TermKind};
use crate::storage::entities::{
    agreement, capability, match_, match_event, need, organization, program_item,
};
use crate::storage::lists;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use utoipa::ToSchema;

/// Which part of the province a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Scope {
    pub city: Option<String>,
    pub field: Option<String>,
}

impl Scope {
    fn city_ok(&self, region: Option<&str>) -> bool {
        self.city.as_deref().is_none_or(|c| region == Some(c))
    }

    fn field_ok(&self, field: Option<&str>) -> bool {
        self.field.as_deref().is_none_or(|f| field == Some(f))
    }

    fn fields_ok(&self, fields: &[String]) -> bool {
        self.field
            .as_deref()
            .is_none_or(|f| fields.iter().any(|x| x == f))
    }

    fn is_overall(&self) -> bool {
        self.city.is_none() && self.field.is_none()
    }
}

/// One figure: a share (`percent`), a count (`count`), a median (`days`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figure {
    /// Shares: records that qualify; counts: the count; medians: the number
    /// of values the median is taken over.
    pub numerator: u64,
    /// Shares: the population; absent for counts and medians.
    pub denominator: Option<u64>,
    /// Shares: 100 × numerator / denominator (2 decimals; absent when the
    /// denominator is 0); counts: the count; medians: the median (2 decimals,
    /// absent without values).
    pub value: Option<f64>,
    /// The plan's target in the same unit, if it has one here.
    pub target: Option<f64>,
    /// Counts with a target: 100 × value / target (2 decimals).
    pub progress: Option<f64>,
    /// `percent`, `count` or `days`.
    pub unit: &'static str,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Figure {
    pub fn share(numerator: u64, denominator: u64, target: Option<f64>) -> Self {
        Figure {
            numerator,
            denominator: Some(denominator),
            value: (denominator > 0).then(|| round2(100.0 * numerator as f64 / denominator as f64)),
            target,
            progress: None,
            unit: "percent",
        }
    }

    pub fn count(n: u64, target: Option<f64>) -> Self {
        Figure {
            numerator: n,
            denominator: None,
            value: Some(n as f64),
            target,
            progress: target
                .filter(|t| *t > 0.0)
                .map(|t| round2(100.0 * n as f64 / t)),
            unit: "count",
        }
    }

    fn median_days(mut days: Vec<f64>) -> Self {
        days.sort_by(f64::total_cmp);
        let n = days.len();
        let value = match n {
            0 => None,
            _ if n % 2 == 1 => Some(days[n / 2]),
            _ => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
        };
        Figure {
            numerator: n as u64,
            denominator: None,
            value: value.map(round2),
            target: None,
            progress: None,
            unit: "days",
        }
    }
}

/// Program items of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemKpis {
    pub kind: ProgramItemKind,
    pub label_zh: &'static str,
    /// Items of this kind in scope, any status.
    pub total: u64,
    pub started: Figure,
    pub with_agreement: Figure,
    pub completed: Figure,
}

/// Agreements of one contract type or provider tier.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgreementGroup {
    /// Contract type code or tier code (`none`: party B has no tier).
    pub key: String,
    pub label_zh: String,
    pub count: u64,
    /// Sum of amounts in 万元.
    pub amount_wan: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgreementKpis {
    /// Non-terminated agreements in scope.
    pub count: u64,
    pub amount_wan: f64,
    pub by_contract_type: Vec<AgreementGroup>,
    pub by_provider_tier: Vec<AgreementGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AllianceKpis {
    pub count: Figure,
    pub cluster_coverage: Figure,
}

/// Every figure for one scope.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Kpis {
    /// (a) Above-scale enterprises with a confirmed match or an agreement.
    pub above_scale_coverage: Figure,
    /// (b) Provincial SOEs cooperating with a university, institute or academy.
    pub provincial_soe_coverage: Figure,
    /// (c) Program items per kind.
    pub program_items: Vec<ItemKpis>,
    /// (d) Agreements by contract type and provider tier.
    pub agreements: AgreementKpis,
    /// (e) Median days from suggestion to confirmation.
    pub days_to_confirmation: Figure,
    /// (f) Alliances and the share of industry clusters they cover.
    pub alliances: AllianceKpis,
}

/// The figures of one city or field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Slice {
    /// The city, or the field code.
    pub key: String,
    pub label_zh: String,
    pub kpis: Kpis,
}

/// The KPI report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    /// The scope asked for (both empty: the whole province).
    pub scope: Scope,
    pub generated_at: DateTime<Utc>,
    pub overall: Kpis,
    /// The scope split by city (every city of the registry, or the one asked for).
    pub by_city: Vec<Slice>,
    /// The scope split by field (every active field, or the one asked for).
    pub by_field: Vec<Slice>,
}

struct Org {
    kind: Option<OrgKind>,
    region: Option<String>,
    above_scale: bool,
    ownership: Option<Ownership>,
    tier: Option<String>,
    fields: Vec<String>,
}

struct Side {
    org_id: i64,
    field: String,
}

struct Match {
    need_id: i64,
    cap_id: i64,
    state: String,
    created_at: DateTime<Utc>,
}

struct Cluster {
    code: String,
    field: Option<String>,
}

struct Alliance {
    clusters: Vec<String>,
    members: Vec<i64>,
}

/// What the figures are computed from.
pub struct Facts {
    orgs: HashMap<i64, Org>,
    needs: HashMap<i64, Side>,
    caps: HashMap<i64, Side>,
    matches: Vec<Match>,
    /// First `confirmed` event per match.
    confirmed_at: HashMap<i64, DateTime<Utc>>,
    match_ids: Vec<i64>,
    agreements: Vec<agreement::Model>,
    items: Vec<program_item::Model>,
    clusters: Vec<Cluster>,
    alliances: Vec<Alliance>,
    targets: HashMap<String, f64>,
    /// Active field codes and names, in display order.
    fields: Vec<(String, String)>,
}

/// Reads the facts from the database.
pub async fn load(db: &impl ConnectionTrait) -> Result<Facts, DbErr> {
    let orgs = organization::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            (
                o.id,
                Org {
                    kind: OrgKind::from_code(&o.kind),
                    region: o.region,
                    above_scale: o.above_scale == Some(true),
                    ownership: o.ownership.as_deref().and_then(Ownership::from_code),
                    tier: o.tier,
                    fields: lists::decode(&o.fields),
                },
            )
        })
        .collect();
    let needs = need::Entity::find()
        .select_only()
        .columns([
            need::Column::Id,
            need::Column::OrganizationId,
            need::Column::Field,
        ])
        .into_tuple::<(i64, i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, org_id, field)| (id, Side { org_id, field }))
        .collect();
    let caps = capability::Entity::find()
        .select_only()
        .columns([
            capability::Column::Id,
            capability::Column::OrganizationId,
            capability::Column::Field,
        ])
        .into_tuple::<(i64, i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, org_id, field)| (id, Side { org_id, field }))
        .collect();
    let rows = match_::Entity::find()
        .select_only()
        .columns([
            match_::Column::Id,
            match_::Column::NeedId,
            match_::Column::CapabilityId,
            match_::Column::State,
            match_::Column::CreatedAt,
        ])
        .into_tuple::<(i64, i64, i64, String, DateTime<Utc>)>()
        .all(db)
        .await?;
    let mut matches = Vec::with_capacity(rows.len());
    let mut match_ids = Vec::with_capacity(rows.len());
    for (id, need_id, cap_id, state, created_at) in rows {
        match_ids.push(id);
        matches.push(Match {
            need_id,
            cap_id,
            state,
            created_at,
        });
    }
    let mut confirmed_at: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for (match_id, at) in match_event::Entity::find()
        .select_only()
        .columns([match_event::Column::MatchId, match_event::Column::At])
        .filter(match_event::Column::ToState.eq(MatchState::Confirmed.as_str()))
        .into_tuple::<(i64, DateTime<Utc>)>()
        .all(db)
        .await?
    {
        confirmed_at
            .entry(match_id)
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }
    let agreements = agreement::Entity::find().all(db).await?;
    let items = program_item::Entity::find().all(db).await?;
    let clusters = store::clusters(db)
        .await?
        .into_iter()
        .map(|c| Cluster {
            code: c.code,
            field: c.field,
        })
        .collect();
    let alliance_rows = store::alliances(db).await?;
    let mut members = store::members(db, alliance_rows.iter().map(|a| a.id)).await?;
    let alliances = alliance_rows
        .into_iter()
        .map(|a| Alliance {
            clusters: lists::decode(&a.clusters),
            members: members.remove(&a.id).unwrap_or_default(),
        })
        .collect();
    let targets = store::target_map(db).await?;
    let taxonomy = crate::storage::repo::taxonomy::load(db).await?;
    let fields = taxonomy
        .terms(TermKind::Field)
        .iter()
        .map(|t| (t.code.clone(), t.name_zh.clone()))
        .collect();
    Ok(Facts {
        orgs,
        needs,
        caps,
        matches,
        confirmed_at,
        match_ids,
        agreements,
        items,
        clusters,
        alliances,
        targets,
        fields,
    })
}

/// Loads the facts and computes the report for `scope`, with its breakdowns.
pub async fn report(db: &impl ConnectionTrait, scope: &Scope) -> Result<Report, DbErr> {
    let facts = load(db).await?;
    Ok(facts.report(scope, Utc::now()))
}

fn is_research(kind: Option<OrgKind>) -> bool {
    matches!(
        kind,
        Some(OrgKind::University | OrgKind::Institute | OrgKind::Academy)
    )
}

fn live(a: &agreement::Model) -> bool {
    a.status != AgreementStatus::Terminated.as_str()
}

impl Facts {
    /// The cooperating pairs (organization ids): confirmed matches and
    /// non-terminated agreements.
    fn cooperating_pairs(&self) -> Vec<(i64, i64)> {
        let mut pairs = Vec::new();
        for m in &self.matches {
            if m.state != MatchState::Confirmed.as_str() {
                continue;
            }
            if let (Some(n), Some(c)) = (self.needs.get(&m.need_id), self.caps.get(&m.cap_id)) {
                pairs.push((n.org_id, c.org_id));
            }
        }
        for a in self.agreements.iter().filter(|a| live(a)) {
            pairs.push((a.party_a_org_id, a.party_b_org_id));
        }
        pairs
    }

    fn org_in(&self, scope: &Scope, id: i64) -> bool {
        self.orgs
            .get(&id)
            .is_some_and(|o| scope.city_ok(o.region.as_deref()) && scope.fields_ok(&o.fields))
    }

    fn region_of(&self, id: i64) -> Option<&str> {
        self.orgs.get(&id).and_then(|o| o.region.as_deref())
    }

    fn target(&self, metric: &str) -> Option<f64> {
        self.targets.get(metric).copied()
    }

    /// The figures for one scope.
    pub fn compute(&self, scope: &Scope) -> Kpis {
        let overall = scope.is_overall();
        let count_target = |metric: &str| if overall { self.target(metric) } else { None };
        let pairs = self.cooperating_pairs();
        let mut cooperating: HashSet<i64> = HashSet::new();
        let mut with_research: HashSet<i64> = HashSet::new();
        for &(x, y) in &pairs {
            cooperating.insert(x);
            cooperating.insert(y);
            let kind = |id: i64| self.orgs.get(&id).and_then(|o| o.kind);
            if is_research(kind(y)) {
                with_research.insert(x);
            }
            if is_research(kind(x)) {
                with_research.insert(y);
            }
        }

        // (a), (b)
        let (mut a_num, mut a_den, mut b_num, mut b_den) = (0, 0, 0, 0);
        for (id, o) in &self.orgs {
            if !self.org_in(scope, *id) {
                continue;
            }
            if o.kind == Some(OrgKind::Enterprise) && o.above_scale {
                a_den += 1;
                a_num += u64::from(cooperating.contains(id));
            }
            if o.ownership == Some(Ownership::ProvincialSoe) {
                b_den += 1;
                b_num += u64::from(with_research.contains(id));
            }
        }

        // (c)
        let items_with_agreement: HashSet<i64> = self
            .agreements
            .iter()
            .filter(|a| live(a))
            .filter_map(|a| a.program_item_id)
            .collect();
        let program_items = ProgramItemKind::ALL
            .iter()
            .map(|&kind| {
                let in_scope: Vec<&program_item::Model> = self
                    .items
                    .iter()
                    .filter(|i| i.kind == kind.as_str())
                    .filter(|i| {
                        scope.city_ok(i.lead_org_id.and_then(|o| self.region_of(o)))
                            && scope.field_ok(i.field.as_deref())
                    })
                    .collect();
                let started = in_scope
                    .iter()
                    .filter(|i| {
                        i.status == ProgramItemStatus::Started.as_str()
                            || i.status == ProgramItemStatus::Completed.as_str()
                    })
                    .count() as u64;
                let with_agreement = in_scope
                    .iter()
                    .filter(|i| items_with_agreement.contains(&i.id))
                    .count() as u64;
                let completed = in_scope
                    .iter()
                    .filter(|i| i.status == ProgramItemStatus::Completed.as_str())
                    .count() as u64;
                let target = count_target(kind.as_str());
                ItemKpis {
                    kind,
                    label_zh: kind.label_zh(),
                    total: in_scope.len() as u64,
                    started: Figure::count(started, target),
                    with_agreement: Figure::count(with_agreement, target),
                    completed: Figure::count(completed, target),
                }
            })
            .collect();

        // (d)
        let match_by_id: HashMap<i64, &Match> = self
            .match_ids
            .iter()
            .copied()
            .zip(self.matches.iter())
            .collect();
        let item_field: HashMap<i64, Option<&str>> = self
            .items
            .iter()
            .map(|i| (i.id, i.field.as_deref()))
            .collect();
        let mut by_type: BTreeMap<String, (u64, f64)> = ContractType::ALL
            .iter()
            .map(|t| (t.as_str().to_owned(), (0, 0.0)))
            .collect();
        let mut by_tier: BTreeMap<String, (u64, f64)> = BTreeMap::new();
        let (mut count, mut amount) = (0u64, 0.0f64);
        for a in self.agreements.iter().filter(|a| live(a)) {
            if !scope.city_ok(self.region_of(a.party_a_org_id)) {
                continue;
            }
            if scope.field.is_some() {
                let need_field = a
                    .match_id
                    .and_then(|m| match_by_id.get(&m))
                    .and_then(|m| self.needs.get(&m.need_id))
                    .map(|n| n.field.as_str());
                let field = need_field.or_else(|| {
                    a.program_item_id
                        .and_then(|i| item_field.get(&i).copied().flatten())
                });
                let ok = match field {
                    Some(f) => scope.field_ok(Some(f)),
                    None => self
                        .orgs
                        .get(&a.party_a_org_id)
                        .is_some_and(|o| scope.fields_ok(&o.fields)),
                };
                if !ok {
                    continue;
                }
            }
            let amt = a.amount_wan.unwrap_or(0.0);
            count += 1;
            amount += amt;
            let t = by_type.entry(a.contract_type.clone()).or_default();
            t.0 += 1;
            t.1 += amt;
            let tier = self
                .orgs
                .get(&a.party_b_org_id)
                .and_then(|o| o.tier.clone())
                .unwrap_or_else(|| "none".to_owned());
            let t = by_tier.entry(tier).or_default();
            t.0 += 1;
            t.1 += amt;
        }
        let round_amount = |x: f64| (x * 10_000.0).round() / 10_000.0;
        let agreements = AgreementKpis {
            count,
            amount_wan: round_amount(amount),
            by_contract_type: ContractType::ALL
                .iter()
                .map(|t| {
                    let (c, amt) = by_type.get(t.as_str()).copied().unwrap_or_default();
                    AgreementGroup {
                        key: t.as_str().to_owned(),
                        label_zh: t.label_zh().to_owned(),
                        count: c,
                        amount_wan: round_amount(amt),
                    }
                })
                .collect(),
            by_provider_tier: by_tier
                .into_iter()
                .map(|(key, (c, amt))| AgreementGroup {
                    label_zh: if key == "none" {
                        "未分级".to_owned()
                    } else {
                        key.clone()
                    },
                    key,
                    count: c,
                    amount_wan: round_amount(amt),
                })
                .collect(),
        };

        // (e)
        let mut days = Vec::new();
        for (id, m) in self.match_ids.iter().zip(&self.matches) {
            if m.state != MatchState::Confirmed.as_str() {
                continue;
            }
            let Some(n) = self.needs.get(&m.need_id) else {
                continue;
            };
            if !scope.city_ok(self.region_of(n.org_id)) || !scope.field_ok(Some(&n.field)) {
                continue;
            }
            if let Some(at) = self.confirmed_at.get(id) {
                days.push((*at - m.created_at).num_seconds() as f64 / 86_400.0);
            }
        }

        // (f)
        let alliances_in: Vec<&Alliance> = self
            .alliances
            .iter()
            .filter(|a| {
                scope.city.is_none() || a.members.iter().any(|m| scope.city_ok(self.region_of(*m)))
            })
            .filter(|a| {
                scope.field.is_none()
                    || a.clusters.iter().any(|c| {
                        self.clusters
                            .iter()
                            .any(|k| &k.code == c && scope.field_ok(k.field.as_deref()))
                    })
            })
            .collect();
        let covered: BTreeSet<&str> = alliances_in
            .iter()
            .flat_map(|a| a.clusters.iter().map(String::as_str))
            .collect();
        let clusters_in: Vec<&Cluster> = self
            .clusters
            .iter()
            .filter(|c| scope.field_ok(c.field.as_deref()))
            .collect();
        let clusters_covered = clusters_in
            .iter()
            .filter(|c| covered.contains(c.code.as_str()))
            .count() as u64;

        Kpis {
            above_scale_coverage: Figure::share(a_num, a_den, self.target("above_scale_coverage")),
            provincial_soe_coverage: Figure::share(
                b_num,
                b_den,
                self.target("provincial_soe_coverage"),
            ),
            program_items,
            agreements,
            days_to_confirmation: Figure::median_days(days),
            alliances: AllianceKpis {
                count: Figure::count(alliances_in.len() as u64, count_target("alliances")),
                cluster_coverage: Figure::share(
                    clusters_covered,
                    clusters_in.len() as u64,
                    self.target("cluster_coverage"),
                ),
            },
        }
    }

    /// The figures for `scope`, split by city and by field.
    pub fn report(&self, scope: &Scope, now: DateTime<Utc>) -> Report {
        let cities: BTreeSet<&str> = match scope.city.as_deref() {
            Some(c) => [c].into_iter().collect(),
            None => self
                .orgs
                .values()
                .filter_map(|o| o.region.as_deref())
                .collect(),
        };
        let by_city = cities
            .into_iter()
            .map(|c| Slice {
                key: c.to_owned(),
                label_zh: c.to_owned(),
                kpis: self.compute(&Scope {
                    city: Some(c.to_owned()),
                    field: scope.field.clone(),
                }),
            })
            .collect();
        let by_field = self
            .fields
            .iter()
            .filter(|(code, _)| scope.field.as_deref().is_none_or(|f| f == code))
            .map(|(code, name)| Slice {
                key: code.clone(),
                label_zh: name.clone(),
                kpis: self.compute(&Scope {
                    city: scope.city.clone(),
                    field: Some(code.clone()),
                }),
            })
            .collect();
        Report {
            scope: scope.clone(),
            generated_at: now,
            overall: self.compute(scope),
            by_city,
            by_field,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Figure;

    #[test]
    fn medians_take_the_middle_or_the_mean_of_the_two_middle_values() {
        assert_eq!(Figure::median_days(vec![20.0, 2.0, 10.0]).value, Some(10.0));
        assert_eq!(
            Figure::median_days(vec![10.0, 4.5, 20.0, 2.0]).value,
            Some(7.25)
        );
        let none = Figure::median_days(Vec::new());
        assert_eq!((none.numerator, none.value), (0, None));
    }

    #[test]
    fn shares_have_no_value_without_a_population_and_counts_show_progress() {
        assert_eq!(Figure::share(0, 0, Some(100.0)).value, None);
        assert_eq!(Figure::share(1, 3, None).value, Some(33.33));
        let c = Figure::count(3, Some(36.0));
        assert_eq!((c.value, c.progress), (Some(3.0), Some(8.33)));
        assert_eq!(Figure::count(3, None).progress, None);
    }
}
