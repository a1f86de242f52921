//! 对接队列与对接详情 · The staff curation queue and the match page (both
//! sides, score, step ages, interests, the audit history and the transition
//! form).
//!
//! Everything is read from and sent to `/api/v1/matches…`: which matches a
//! viewer sees, whether they may move one and which moves are allowed are the
//! API's decisions. The queue itself is a staff tool, so other roles get a
//! 403 page there (their own matches are listed on the home page).

use super::WebState;
use super::format::{Names, clip, minute};
use super::page::{Layout, PageError, PageResult, Viewer, render, render_status, see_other};
use crate::domain::{MatchState, TermKind};
use crate::http::api::PageOf;
use crate::http::api::views::OrgRef;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

const PER_PAGE: u64 = 20;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/queue", get(queue))
        .route("/matches/{id}", get(show))
        .route("/matches/{id}/transition", post(transition))
}

/// A match id from the address; anything else is a missing page.
pub(crate) fn parse_id(raw: &str) -> Result<i64, PageError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(PageError::not_found)
}

/// The queue's filters (a GET form); passed on to the API with empty
/// inputs left out.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct QueueForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sort: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub city: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
}

impl QueueForm {
    pub fn by_waiting(&self) -> bool {
        self.sort == "waiting"
    }

    /// This queue's address on another page.
    pub fn at_page(&self, page: u64) -> String {
        let mut f = self.clone();
        f.page = page.to_string();
        format!(
            "/queue?{}",
            serde_urlencoded::to_string(&f).unwrap_or_default()
        )
    }
}

/// One side of a match as lists show it.
#[derive(Deserialize)]
pub struct SideRef {
    pub id: String,
    pub title: String,
    pub org: OrgRef,
}

/// A row of the queue.
#[derive(Deserialize)]
pub struct QueueRow {
    pub id: i64,
    pub state: MatchState,
    pub score: f64,
    pub need: SideRef,
    pub capability: SideRef,
    pub days_waiting: i64,
}

impl QueueRow {
    pub fn score_text(&self) -> String {
        format!("{:.3}", self.score)
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    layout: Layout,
    form: QueueForm,
    fields: Vec<(String, String)>,
    states: Vec<(String, String)>,
    rows: Vec<QueueRow>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

/// Refusal of the staff-only pages to other roles.
pub(crate) fn staff_only(what_zh: &str) -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        &format!("{what_zh}仅供项目管理人员和系统管理员使用。"),
        "This page is for program staff and admins only.",
    )
}

/// Messages of a refused request, one line.
pub(crate) fn problem_text(p: &super::client::Problem) -> String {
    if p.errors.is_empty() {
        p.message.clone()
    } else {
        p.errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }
}

pub async fn queue(
    v: Viewer,
    State(s): State<WebState>,
    Query(form): Query<QueueForm>,
) -> PageResult {
    v.require_user()?;
    if !v.is_staff() {
        return Err(staff_only("对接队列"));
    }
    let names = Names(s.app.taxonomy.current());
    let mut states: Vec<(String, String)> = vec![(String::new(), "进行中（默认）".to_owned())];
    states.extend(
        MatchState::ALL
            .iter()
            .map(|st| (st.as_str().to_owned(), st.label_zh().to_owned())),
    );
    let mut page = QueuePage {
        layout: v.layout("对接队列", "queue"),
        fields: names.options(TermKind::Field),
        states,
        form: form.clone(),
        rows: Vec::new(),
        total: 0,
        page: 1,
        pages: 1,
        prev: None,
        next: None,
        error: None,
    };
    #[derive(Serialize)]
    struct Paging<'a> {
        #[serde(flatten)]
        form: &'a QueueForm,
        per_page: u64,
    }
    let found: Result<PageOf<QueueRow>, _> = v
        .api
        .get_with(
            "/api/v1/matches",
            &Paging {
                form: &form,
                per_page: PER_PAGE,
            },
        )
        .await;
    let list = match found {
        Ok(l) => l,
        Err(p) if p.status.is_client_error() && p.status != StatusCode::FORBIDDEN => {
            // A bad filter: say so, keep the form.
            page.error = Some(problem_text(&p));
            return render_status(StatusCode::BAD_REQUEST, &page);
        }
        Err(p) => return Err(p.into()),
    };
    page.pages = list.total.div_ceil(PER_PAGE).max(1);
    page.page = list.page;
    if list.page > 1 {
        page.prev = Some(form.at_page(list.page - 1));
    }
    if list.page < page.pages {
        page.next = Some(form.at_page(list.page + 1));
    }
    page.total = list.total;
    page.rows = list.items;
    render(&page)
}

/// The need of a match.
#[derive(Deserialize)]
pub struct NeedSide {
    pub id: String,
    pub title: String,
    pub field: String,
    pub confidential: bool,
    pub org: OrgRef,
}

/// The capability of a match.
#[derive(Deserialize)]
pub struct CapabilitySide {
    pub id: String,
    pub title: String,
    pub field: String,
    pub researcher: Option<String>,
    pub maturity: Option<i64>,
    pub org: OrgRef,
}

#[derive(Deserialize)]
pub struct StepAge {
    pub state: MatchState,
    pub entered_at: String,
    pub left_at: Option<String>,
    pub days: i64,
}

impl StepAge {
    pub fn entered(&self) -> String {
        minute(&self.entered_at)
    }
    pub fn left(&self) -> String {
        self.left_at
            .as_deref()
            .map_or_else(|| "（当前）".to_owned(), minute)
    }
}

#[derive(Deserialize)]
pub struct Interest {
    pub side: String,
    pub org: String,
    pub note: Option<String>,
    pub at: String,
}

impl Interest {
    pub fn day(&self) -> String {
        super::format::date(&self.at)
    }
}

#[derive(Deserialize)]
pub struct Actor {
    pub username: String,
    pub display_name: String,
}

/// One row of the audit history.
#[derive(Deserialize)]
pub struct Event {
    pub kind: String,
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    pub actor: Option<Actor>,
}

impl Event {
    pub fn when(&self) -> String {
        minute(&self.at)
    }
    pub fn who(&self) -> String {
        match &self.actor {
            Some(a) if !a.display_name.trim().is_empty() && a.display_name != a.username => {
                format!("{}（{}）", a.display_name, a.username)
            }
            Some(a) => a.username.clone(),
            None => "系统".to_owned(),
        }
    }
    pub fn from_label(&self) -> String {
        self.from.as_deref().map_or_else(|| "—".to_owned(), label)
    }
    pub fn to_label(&self) -> String {
        label(&self.to)
    }
    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "created" => "创建",
            "transition" => "状态变更",
            "interest" => "对接意向",
            _ => "记录",
        }
    }
}

/// The Chinese label of a state code (the code itself when unknown).
fn label(code: &str) -> String {
    MatchState::from_code(code).map_or_else(|| code.to_owned(), |s| s.label_zh().to_owned())
}

/// A match as `GET /api/v1/matches/{id}` (and a 409's `current`) gives it.
#[derive(Deserialize)]
pub struct MatchDetail {
    pub id: i64,
    pub need: NeedSide,
    pub capability: CapabilitySide,
    pub score: f64,
    pub state: MatchState,
    pub origin: String,
    pub program_item: Option<String>,
    pub state_since: String,
    pub days_waiting: i64,
    pub steps: Vec<StepAge>,
    pub allowed_transitions: Vec<MatchState>,
    pub interests: Vec<Interest>,
    pub created_at: String,
    pub version: i32,
    #[serde(default)]
    pub history: Vec<Event>,
}

impl MatchDetail {
    pub fn score_text(&self) -> String {
        format!("{:.3}", self.score)
    }
    pub fn origin_label(&self) -> &'static str {
        match self.origin.as_str() {
            "suggested" => "系统推荐",
            "manual" => "项目管理人员创建",
            "interest" => "一方表达对接意向",
            _ => "其他",
        }
    }
    pub fn is_confirmed(&self) -> bool {
        self.state == MatchState::Confirmed
    }
    /// The organization named by an interest (by its id).
    pub fn org_name(&self, id: &str) -> String {
        if self.need.org.id == id {
            self.need.org.name.clone()
        } else if self.capability.org.id == id {
            self.capability.org.name.clone()
        } else {
            id.to_owned()
        }
    }
}

/// A transition offered on the page.
pub struct Move {
    pub to: String,
    pub label: &'static str,
    /// Rejecting and withdrawing end the match: styled and confirmed as such.
    pub ends: bool,
    pub needs_note: bool,
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    layout: Layout,
    m: MatchDetail,
    names: Names,
    staff: bool,
    moves: Vec<Move>,
    /// The note typed before a refused transition.
    note: String,
    notice: Option<String>,
    error: Option<String>,
}

impl MatchPage {
    fn new(v: &Viewer, names: Names, m: MatchDetail) -> Self {
        let moves = m
            .allowed_transitions
            .iter()
            .map(|t| Move {
                to: t.as_str().to_owned(),
                label: t.label_zh(),
                ends: matches!(t, MatchState::Rejected | MatchState::Withdrawn),
                needs_note: crate::domain::curation::requires_note(*t),
            })
            .collect();
        MatchPage {
            layout: v.layout(
                format!("对接 #{}：{}", m.id, clip(&m.need.title, 20)),
                "queue",
            ),
            names,
            staff: v.is_staff(),
            moves,
            m,
            note: String::new(),
            notice: None,
            error: None,
        }
    }
}

async fn fetch(v: &Viewer, id: i64) -> Result<MatchDetail, PageError> {
    Ok(v.api.get(&format!("/api/v1/matches/{id}")).await?)
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    moved: Option<String>,
}

pub async fn show(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    Query(q): Query<ShowParams>,
) -> PageResult {
    v.require_user()?;
    let id = parse_id(&id)?;
    let m = fetch(&v, id).await?;
    let mut page = MatchPage::new(&v, Names(s.app.taxonomy.current()), m);
    // The confirmation after a transition (only for a known state code).
    if let Some(to) = q.moved.as_deref().and_then(MatchState::from_code) {
        page.notice = Some(format!("已将对接更新为「{}」。", to.label_zh()));
    }
    render(&page)
}

/// The transition form: one button per allowed target state.
#[derive(Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: String,
}

#[derive(Serialize)]
struct TransitionBody<'a> {
    to: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    version: Option<i32>,
}

pub async fn transition(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    Form(f): Form<TransitionForm>,
) -> PageResult {
    v.check_csrf(&f.csrf_token)?;
    v.require_user()?;
    let id = parse_id(&id)?;
    let to = f.to.trim();
    let note = f.note.trim();
    let body = TransitionBody {
        to,
        note: (!note.is_empty()).then_some(note),
        version: f.version.trim().parse().ok(),
    };
    let sent: Result<serde_json::Value, _> = v
        .api
        .send(
            Method::POST,
            &format!("/api/v1/matches/{id}/transitions"),
            &body,
        )
        .await;
    let names = Names(s.app.taxonomy.current());
    match sent {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("moved", to)]).unwrap_or_default();
            Ok(see_other(&format!("/matches/{id}?{q}")))
        }
        Err(p) if p.status == StatusCode::CONFLICT => {
            // Someone else moved it first: show the match as it is now.
            let current = p
                .current
                .and_then(|c| serde_json::from_value::<MatchDetail>(c).ok());
            let m = match current {
                Some(m) => m,
                None => fetch(&v, id).await?,
            };
            let mut page = MatchPage::new(&v, names, m);
            page.error = Some(format!(
                "该对接已被他人更新为「{}」，请查看最新状态后再操作。",
                page.m.state.label_zh()
            ));
            page.note = f.note;
            render_status(StatusCode::CONFLICT, &page)
        }
        Err(p)
            if p.status == StatusCode::UNPROCESSABLE_ENTITY
                || p.status == StatusCode::BAD_REQUEST =>
        {
            let m = fetch(&v, id).await?;
            let mut page = MatchPage::new(&v, names, m);
            page.error = Some(problem_text(&p));
            page.note = f.note;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(p) => Err(p.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_links_keep_the_filters() {
        let f = QueueForm {
            sort: "waiting".into(),
            city: "太原".into(),
            ..Default::default()
        };
        assert_eq!(
            f.at_page(2),
            "/queue?sort=waiting&city=%E5%A4%AA%E5%8E%9F&page=2"
        );
        assert!(parse_id("12").is_ok());
        assert!(parse_id("0").is_err() && parse_id("x").is_err());
    }
}
