//! Ranking providers (organizations and their teams) for a need, from the
//! ranked capabilities: an organization with several fitting capabilities is
//! a stronger partner than one with a single near miss.

use super::ranker::Ranked;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Weights of an organization's 1st, 2nd and 3rd best capability.
const RANK_WEIGHTS: [f32; 3] = [1.0, 0.3, 0.15];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderCapability {
    pub id: String,
    pub title: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provider {
    /// Organization external id.
    pub org: String,
    pub org_name: String,
    pub tier: Option<String>,
    pub region: Option<String>,
    /// Σ of its best three capability scores weighted 1, 0.3, 0.15.
    pub score: f32,
    /// Its matching capabilities, best first.
    pub capabilities: Vec<ProviderCapability>,
}

pub fn aggregate(ranked: &[Ranked], top: usize) -> Vec<Provider> {
    let mut by_org: HashMap<&str, Provider> = HashMap::new();
    for r in ranked {
        let c = &r.capability;
        let p = by_org.entry(c.org.as_str()).or_insert_with(|| Provider {
            org: c.org.clone(),
            org_name: c.org_name.clone(),
            tier: c.tier.clone(),
            region: c.region.clone(),
            score: 0.0,
            capabilities: Vec::new(),
        });
        p.capabilities.push(ProviderCapability {
            id: c.id.clone(),
            title: c.title.clone(),
            score: r.score,
        });
    }
    let mut out: Vec<Provider> = by_org
        .into_values()
        .map(|mut p| {
            p.capabilities.sort_by(|a, b| b.score.total_cmp(&a.score));
            p.score = p
                .capabilities
                .iter()
                .zip(RANK_WEIGHTS)
                .map(|(c, w)| c.score * w)
                .sum();
            p
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.org.cmp(&b.org)));
    out.truncate(top);
    out
}
