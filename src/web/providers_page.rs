//! 合作单位 · A provider's page: the organization and its published
//! capabilities.

use super::WebState;
use super::format::{Names, clip};
use super::forms::{enc, kind_label};
use super::page::{Layout, PageResult, Viewer, render};
use crate::http::api::PageOf;
use crate::http::api::views::{CapabilityView, OrganizationView};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;

pub fn routes() -> Router<WebState> {
    Router::new().route("/providers/{org_id}", get(show))
}

/// Capabilities listed (the API's largest page).
const SHOWN: u64 = 100;

pub struct CapabilityRow {
    pub href: String,
    pub title: String,
    pub meta: String,
    pub summary: String,
    pub keywords: Vec<String>,
}

#[derive(Template)]
#[template(path = "provider.html")]
struct ProviderPage {
    layout: Layout,
    org: OrganizationView,
    kind: String,
    tier: String,
    fields: Vec<String>,
    capabilities: Vec<CapabilityRow>,
    total: u64,
    shown: u64,
}

async fn show(v: Viewer, State(s): State<WebState>, Path(org_id): Path<String>) -> PageResult {
    let names = Names(s.app.taxonomy.current());
    let org: OrganizationView = v
        .api
        .get(&format!("/api/v1/organizations/{}", enc(&org_id)))
        .await?;
    let caps: PageOf<CapabilityView> = v
        .api
        .get_with(
            "/api/v1/capabilities",
            &[
                ("org", org.id.as_str()),
                ("status", "published"),
                ("per_page", &SHOWN.to_string()),
            ],
        )
        .await?;
    let capabilities = caps
        .items
        .into_iter()
        .map(|c| {
            let mut meta = vec![names.field(&c.field)];
            if let Some(r) = &c.researcher {
                meta.push(r.clone());
            }
            if let Some(m) = c.maturity {
                meta.push(format!("TRL {m}"));
            }
            if !c.cooperation.is_empty() {
                meta.push(names.cooperation_list(&c.cooperation));
            }
            CapabilityRow {
                href: format!("/capabilities/{}", enc(&c.id)),
                title: c.title,
                meta: meta.join(" · "),
                summary: clip(&c.description, 120),
                keywords: c.keywords,
            }
        })
        .collect();
    render(&ProviderPage {
        layout: v.layout(org.name.clone(), ""),
        kind: kind_label(&org.kind),
        tier: org
            .tier
            .as_deref()
            .map_or_else(|| "未标注".to_owned(), |t| names.tier(t)),
        fields: org.fields.iter().map(|f| names.field(f)).collect(),
        capabilities,
        total: caps.total,
        shown: SHOWN,
        org,
    })
}
