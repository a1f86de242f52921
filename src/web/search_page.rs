//! 检索 · The search page: query, filters, facet counts, highlighted
//! snippets and pages, over what the viewer may see.

use super::WebState;
use super::format::Names;
use super::page::{Layout, PageResult, Viewer, render};
use crate::domain::TermKind;
use askama::Template;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};

const PER_PAGE: u64 = 10;

/// The page's query string; passed on to `GET /api/v1/search` unchanged
/// (empty inputs of the form left out).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SearchForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tier: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cooperation: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub maturity_min: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
}

impl SearchForm {
    pub fn is_need(&self) -> bool {
        self.kind == "need"
    }

    /// This search's address with one parameter changed (and the page reset
    /// unless the page is what changes).
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut f = self.clone();
        if key != "page" {
            f.page.clear();
        }
        let slot = match key {
            "kind" => &mut f.kind,
            "field" => &mut f.field,
            "region" => &mut f.region,
            "tier" => &mut f.tier,
            "cooperation" => &mut f.cooperation,
            "page" => &mut f.page,
            _ => &mut f.q,
        };
        *slot = value.to_owned();
        format!(
            "/search?{}",
            serde_urlencoded::to_string(&f).unwrap_or_default()
        )
    }
}

#[derive(Deserialize)]
struct ApiResults {
    hits: Vec<Hit>,
    total: u64,
    total_is_lower_bound: bool,
    page: u64,
    facets: ApiFacets,
    #[serde(default)]
    expansions: Vec<Expansion>,
}

#[derive(Deserialize)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title_html: String,
    pub snippet_html: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    pub maturity: Option<u64>,
    pub org: String,
    pub org_name: String,
    pub region: Option<String>,
    pub tier: Option<String>,
}

impl Hit {
    pub fn href(&self) -> String {
        if self.kind == "need" {
            format!("/needs/{}", self.id)
        } else {
            format!("/capabilities/{}", self.id)
        }
    }
}

#[derive(Deserialize)]
struct ApiFacets {
    field: Vec<FacetCount>,
    tier: Vec<FacetCount>,
    region: Vec<FacetCount>,
}

#[derive(Deserialize)]
struct FacetCount {
    value: String,
    count: u64,
}

#[derive(Deserialize)]
pub struct Expansion {
    pub matched: String,
    pub form: String,
}

/// One facet entry as shown: name, count, link that applies it.
pub struct Facet {
    pub name: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    form: SearchForm,
    names: Names,
    fields: Vec<(String, String)>,
    tiers: Vec<(String, String)>,
    modes: Vec<(String, String)>,
    hits: Vec<Hit>,
    total: u64,
    total_is_lower_bound: bool,
    field_facets: Vec<Facet>,
    tier_facets: Vec<Facet>,
    region_facets: Vec<Facet>,
    expansions: Vec<Expansion>,
    page: u64,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

pub async fn search(
    v: Viewer,
    State(s): State<WebState>,
    Query(form): Query<SearchForm>,
) -> PageResult {
    let names = Names(s.app.taxonomy.current());
    let mut page = SearchPage {
        layout: v.layout(
            if form.q.trim().is_empty() {
                "检索".to_owned()
            } else {
                format!("检索：{}", super::format::clip(form.q.trim(), 30))
            },
            "search",
        ),
        fields: names.options(TermKind::Field),
        tiers: names.options(TermKind::Tier),
        modes: names.options(TermKind::Cooperation),
        names: names.clone(),
        form: form.clone(),
        hits: Vec::new(),
        total: 0,
        total_is_lower_bound: false,
        field_facets: Vec::new(),
        tier_facets: Vec::new(),
        region_facets: Vec::new(),
        expansions: Vec::new(),
        page: 1,
        prev: None,
        next: None,
        error: None,
    };
    let mut query = form.clone();
    if query.kind.is_empty() {
        query.kind = "capability".into();
    }
    #[derive(Serialize)]
    struct Paging<'a> {
        #[serde(flatten)]
        form: &'a SearchForm,
        per_page: u64,
    }
    let found: Result<ApiResults, _> = v
        .api
        .get_with(
            "/api/v1/search",
            &Paging {
                form: &query,
                per_page: PER_PAGE,
            },
        )
        .await;
    let r = match found {
        Ok(r) => r,
        Err(p) if p.status.is_client_error() => {
            // A bad filter: show the message with the form kept.
            page.error = Some(if p.errors.is_empty() {
                p.message
            } else {
                p.errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            });
            return render(&page);
        }
        Err(p) => return Err(p.into()),
    };
    let facet = |list: Vec<FacetCount>, key: &str, current: &str, name: &dyn Fn(&str) -> String| {
        list.into_iter()
            .map(|c| Facet {
                name: name(&c.value),
                count: c.count,
                selected: c.value == current,
                href: form.with(key, if c.value == current { "" } else { &c.value }),
            })
            .collect::<Vec<_>>()
    };
    page.field_facets = facet(r.facets.field, "field", &form.field, &|c| names.field(c));
    page.tier_facets = facet(r.facets.tier, "tier", &form.tier, &|c| names.tier(c));
    page.region_facets = facet(r.facets.region, "region", &form.region, &|c| c.to_owned());
    page.page = r.page;
    let pages = r.total.div_ceil(PER_PAGE);
    if r.page > 1 {
        page.prev = Some(form.with("page", &(r.page - 1).to_string()));
    }
    if r.page < pages {
        page.next = Some(form.with("page", &(r.page + 1).to_string()));
    }
    page.hits = r.hits;
    page.total = r.total;
    page.total_is_lower_bound = r.total_is_lower_bound;
    page.expansions = r.expansions;
    render(&page)
}
