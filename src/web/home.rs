//! 首页 · The home page: a landing page with search for visitors, and for
//! signed-in users what they work on (their needs, their capabilities, the
//! staff's queue).

use super::WebState;
use super::format::{Names, date};
use super::page::{Layout, PageResult, Viewer, render};
use crate::http::api::PageOf;
use crate::http::api::views::{CapabilityView, NeedView, OrgRef};
use askama::Template;
use axum::extract::State;
use serde::Deserialize;

#[derive(Deserialize)]
struct Me {
    user: MeUser,
}

#[derive(Deserialize)]
struct MeUser {
    org: Option<OrgRef>,
}

/// A match as the home page lists it.
#[derive(Deserialize)]
pub struct MatchRow {
    pub id: i64,
    pub state: crate::domain::MatchState,
    pub score: f64,
    pub need: MatchSide,
    pub capability: MatchSide,
    pub days_waiting: i64,
}

#[derive(Deserialize)]
pub struct MatchSide {
    pub id: String,
    pub title: String,
    pub org: OrgRef,
}

pub struct Row {
    pub id: String,
    pub title: String,
    pub field: String,
    pub status: String,
    pub updated: String,
    pub confidential: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    org_name: String,
    needs: Vec<Row>,
    capabilities: Vec<Row>,
    matches: Vec<MatchRow>,
    open_needs: u64,
    published_capabilities: u64,
}

pub async fn home(v: Viewer, State(s): State<WebState>) -> PageResult {
    let names = Names(s.app.taxonomy.current());
    let open_needs = v
        .api
        .get::<PageOf<NeedView>>("/api/v1/needs?status=open&per_page=1")
        .await?
        .total;
    let published_capabilities = v
        .api
        .get::<PageOf<CapabilityView>>("/api/v1/capabilities?status=published&per_page=1")
        .await?
        .total;
    let mut page = HomePage {
        layout: v.layout("首页", "home"),
        org_name: String::new(),
        needs: Vec::new(),
        capabilities: Vec::new(),
        matches: Vec::new(),
        open_needs,
        published_capabilities,
    };
    let Some(user) = v.user.as_ref() else {
        return render(&page);
    };
    let me: Me = v.api.get("/api/v1/auth/me").await?;
    if let Some(org) = me.user.org {
        page.org_name = org.name.clone();
        let q = [("org", org.id.as_str()), ("per_page", "50")];
        if user.role == crate::domain::Role::EnterpriseMember {
            let needs: PageOf<NeedView> = v.api.get_with("/api/v1/needs", &q).await?;
            page.needs = needs
                .items
                .into_iter()
                .map(|n| Row {
                    field: names.field(&n.field),
                    status: crate::domain::NeedStatus::from_code(&n.status)
                        .map_or(n.status.clone(), |s| s.label_zh().to_owned()),
                    updated: date(&n.updated_at.to_rfc3339()),
                    confidential: n.confidential,
                    id: n.id,
                    title: n.title,
                })
                .collect();
        } else {
            let caps: PageOf<CapabilityView> = v.api.get_with("/api/v1/capabilities", &q).await?;
            page.capabilities = caps
                .items
                .into_iter()
                .map(|c| Row {
                    field: names.field(&c.field),
                    status: crate::domain::CapabilityStatus::from_code(&c.status)
                        .map_or(c.status.clone(), |s| s.label_zh().to_owned()),
                    updated: date(&c.updated_at.to_rfc3339()),
                    confidential: false,
                    id: c.id,
                    title: c.title,
                })
                .collect();
        }
    }
    let matches: PageOf<MatchRow> = v
        .api
        .get("/api/v1/matches?per_page=20&sort=waiting")
        .await?;
    page.matches = matches.items;
    render(&page)
}
