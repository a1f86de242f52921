//! 技术合同 · Agreement pages: the list (with exports), recording an
//! agreement from a confirmed match, and one agreement with its status
//! history and the status-change form.
//!
//! All through `/api/v1/agreements…`: who may list, record and change
//! agreements, and what is valid, is the API's decision; the pages show its
//! answers (422 field messages beside the fields, with everything typed kept).

use super::WebState;
use super::client::Problem;
use super::curation_pages::{MatchDetail, parse_id, problem_text, staff_only};
use super::format::{Names, minute};
use super::page::{Layout, PageError, PageResult, Viewer, render, render_status, see_other};
use crate::domain::{AgreementStatus, ContractType, MatchState, ProgramItemKind};
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
        .route("/agreements", get(list))
        .route("/agreements/new", get(new_form).post(create))
        .route("/agreements/{id}", get(show))
        .route("/agreements/{id}/status", post(change_status))
}

/// An agreement as the API gives it.
#[derive(Deserialize)]
pub struct Agreement {
    pub id: i64,
    pub match_id: Option<i64>,
    pub contract_type: ContractType,
    pub party_a: OrgRef,
    pub party_b: OrgRef,
    pub amount_wan: Option<f64>,
    pub signing_date: Option<String>,
    pub term_start: Option<String>,
    pub term_end: Option<String>,
    pub registration_no: Option<String>,
    pub program_item: Option<String>,
    pub status: AgreementStatus,
    #[serde(default)]
    pub allowed_transitions: Vec<AgreementStatus>,
    pub created_at: String,
    pub version: i32,
    #[serde(default)]
    pub history: Vec<AgreementEvent>,
}

impl Agreement {
    pub fn amount_text(&self) -> String {
        self.amount_wan
            .map_or_else(|| "—".to_owned(), super::charts::number)
    }
    pub fn status_class(&self) -> &'static str {
        match self.status {
            AgreementStatus::Registered | AgreementStatus::Completed => "ok",
            AgreementStatus::Terminated => "bad",
            AgreementStatus::Draft => "warn",
            AgreementStatus::Signed => "",
        }
    }
    pub fn term_text(&self) -> String {
        match (&self.term_start, &self.term_end) {
            (None, None) => "—".to_owned(),
            (s, e) => format!(
                "{} 至 {}",
                s.as_deref().unwrap_or("—"),
                e.as_deref().unwrap_or("—")
            ),
        }
    }
    pub fn recorded(&self) -> String {
        minute(&self.created_at)
    }
}

#[derive(Deserialize)]
pub struct AgreementEvent {
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    pub note: Option<String>,
    pub actor: Option<String>,
}

fn status_label(code: &str) -> String {
    AgreementStatus::from_code(code).map_or_else(|| code.to_owned(), |s| s.label_zh().to_owned())
}

impl AgreementEvent {
    pub fn when(&self) -> String {
        minute(&self.at)
    }
    pub fn change(&self) -> String {
        format!(
            "{} → {}",
            self.from
                .as_deref()
                .map_or_else(|| "（登记）".to_owned(), status_label),
            status_label(&self.to)
        )
    }
    pub fn who(&self) -> String {
        self.actor.clone().unwrap_or_else(|| "系统".to_owned())
    }
}

/// A program item as the selects list it.
#[derive(Deserialize)]
struct ProgramItem {
    code: String,
    kind: ProgramItemKind,
    title: String,
}

/// A row of the list: the agreement and what it is about.
pub struct Row {
    pub a: Agreement,
    /// The need behind it (from its match), when readable.
    pub title: Option<String>,
}

/// The list's filters.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListForm {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contract_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
}

impl ListForm {
    pub fn at_page(&self, page: u64) -> String {
        let mut f = self.clone();
        f.page = page.to_string();
        format!(
            "/agreements?{}",
            serde_urlencoded::to_string(&f).unwrap_or_default()
        )
    }
}

fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|t| (code(*t).to_owned(), zh(*t).to_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "agreements.html")]
struct ListPage {
    layout: Layout,
    form: ListForm,
    statuses: Vec<(String, String)>,
    types: Vec<(String, String)>,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    staff: bool,
    error: Option<String>,
}

/// The need title of a match, for naming an agreement (none if unreadable).
async fn need_title(v: &Viewer, match_id: Option<i64>) -> Option<String> {
    let id = match_id?;
    v.api
        .get::<MatchDetail>(&format!("/api/v1/matches/{id}"))
        .await
        .ok()
        .map(|m| m.need.title)
}

pub async fn list(v: Viewer, Query(form): Query<ListForm>) -> PageResult {
    v.require_user()?;
    let mut page = ListPage {
        layout: v.layout("技术合同", "agreements"),
        statuses: options(
            AgreementStatus::ALL,
            AgreementStatus::as_str,
            AgreementStatus::label_zh,
        ),
        types: options(
            ContractType::ALL,
            ContractType::as_str,
            ContractType::label_zh,
        ),
        form: form.clone(),
        rows: Vec::new(),
        total: 0,
        page: 1,
        pages: 1,
        prev: None,
        next: None,
        staff: v.is_staff(),
        error: None,
    };
    #[derive(Serialize)]
    struct Paging<'a> {
        #[serde(flatten)]
        form: &'a ListForm,
        per_page: u64,
    }
    let found: Result<PageOf<Agreement>, _> = v
        .api
        .get_with(
            "/api/v1/agreements",
            &Paging {
                form: &form,
                per_page: PER_PAGE,
            },
        )
        .await;
    let list = match found {
        Ok(l) => l,
        Err(p) if p.status == StatusCode::BAD_REQUEST => {
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
    // At most one page of in-process reads, for the titles.
    for a in list.items {
        let title = need_title(&v, a.match_id).await;
        page.rows.push(Row { a, title });
    }
    render(&page)
}

/// The new-agreement form as typed (all text, so nothing typed is lost).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AgreementForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    pub match_id: String,
    #[serde(default)]
    pub contract_type: String,
    #[serde(default)]
    pub amount_wan: String,
    #[serde(default)]
    pub signing_date: String,
    #[serde(default)]
    pub term_start: String,
    #[serde(default)]
    pub term_end: String,
    #[serde(default)]
    pub registration_no: String,
    #[serde(default)]
    pub program_item: String,
    #[serde(default)]
    pub note: String,
}

/// `AgreementInput` of the API.
#[derive(Serialize)]
struct AgreementInput<'a> {
    match_id: Option<i64>,
    contract_type: &'a str,
    amount_wan: Option<f64>,
    signing_date: Option<&'a str>,
    term_start: Option<&'a str>,
    term_end: Option<&'a str>,
    registration_no: Option<&'a str>,
    program_item: Option<&'a str>,
    note: Option<&'a str>,
}

fn filled(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|s| !s.is_empty())
}

/// Field messages of a refused form.
#[derive(Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    /// `aria-invalid` for a field.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() {
            "true"
        } else {
            "false"
        }
    }
    fn push(&mut self, field: &str, message: &str) {
        self.0.push((field.to_owned(), message.to_owned()));
    }
    fn from_problem(p: &Problem) -> Self {
        FieldErrors(
            p.errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        )
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Template)]
#[template(path = "agreement_new.html")]
struct NewPage {
    layout: Layout,
    form: AgreementForm,
    matched: Option<MatchDetail>,
    types: Vec<(String, String)>,
    items: Vec<(String, String)>,
    errors: FieldErrors,
    error: Option<String>,
    names: Names,
}

impl NewPage {
    /// The match is known but not confirmed: the API will refuse.
    pub fn unconfirmed(&self) -> Option<&'static str> {
        self.matched
            .as_ref()
            .filter(|m| m.state != MatchState::Confirmed)
            .map(|m| m.state.label_zh())
    }
}

async fn new_page(v: &Viewer, names: Names, form: AgreementForm) -> Result<NewPage, PageError> {
    let matched = match form.match_id.trim().parse::<i64>() {
        Ok(id) => match v
            .api
            .get::<MatchDetail>(&format!("/api/v1/matches/{id}"))
            .await
        {
            Ok(m) => Some(m),
            Err(p) if p.status == StatusCode::NOT_FOUND => None,
            Err(p) => return Err(p.into()),
        },
        Err(_) => None,
    };
    let items: PageOf<ProgramItem> = v.api.get("/api/v1/program-items?per_page=100").await?;
    Ok(NewPage {
        layout: v.layout("登记技术合同", "agreements"),
        matched,
        types: options(
            ContractType::ALL,
            ContractType::as_str,
            ContractType::label_zh,
        ),
        items: items
            .items
            .into_iter()
            .map(|i| {
                let label = format!("{} · {}（{}）", i.code, i.title, i.kind.label_zh());
                (i.code, label)
            })
            .collect(),
        form,
        errors: FieldErrors::default(),
        error: None,
        names,
    })
}

#[derive(Deserialize, Default)]
pub struct NewParams {
    #[serde(rename = "match", default)]
    matched: String,
}

pub async fn new_form(
    v: Viewer,
    State(s): State<WebState>,
    Query(q): Query<NewParams>,
) -> PageResult {
    v.require_user()?;
    if !v.is_staff() {
        return Err(staff_only("登记技术合同"));
    }
    let form = AgreementForm {
        match_id: q.matched,
        ..Default::default()
    };
    let page = new_page(&v, Names(s.app.taxonomy.current()), form).await?;
    render(&page)
}

pub async fn create(
    v: Viewer,
    State(s): State<WebState>,
    Form(f): Form<AgreementForm>,
) -> PageResult {
    v.check_csrf(&f.csrf_token)?;
    v.require_user()?;
    let names = Names(s.app.taxonomy.current());
    // What the API cannot be sent as typed is refused here, with the same
    // kind of message beside the field.
    let mut local = FieldErrors::default();
    let amount_wan = match filled(&f.amount_wan) {
        None => None,
        Some(a) => match a.parse::<f64>() {
            Ok(x) if x.is_finite() => Some(x),
            _ => {
                local.push("amount_wan", "合同金额应为数字（单位：万元），如 320.5");
                None
            }
        },
    };
    let match_id = match filled(&f.match_id) {
        None => None,
        Some(m) => match m.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                local.push("match_id", "对接编号应为数字");
                None
            }
        },
    };
    if !local.is_empty() {
        let mut page = new_page(&v, names, f).await?;
        page.errors = local;
        page.error = Some("请修改标出的字段后重新提交。".to_owned());
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let input = AgreementInput {
        match_id,
        contract_type: f.contract_type.trim(),
        amount_wan,
        signing_date: filled(&f.signing_date),
        term_start: filled(&f.term_start),
        term_end: filled(&f.term_end),
        registration_no: filled(&f.registration_no),
        program_item: filled(&f.program_item),
        note: filled(&f.note),
    };
    let sent: Result<Agreement, _> = v.api.send(Method::POST, "/api/v1/agreements", &input).await;
    match sent {
        Ok(a) => Ok(see_other(&format!("/agreements/{}?created=1", a.id))),
        Err(p)
            if p.status == StatusCode::UNPROCESSABLE_ENTITY
                || p.status == StatusCode::BAD_REQUEST =>
        {
            let mut page = new_page(&v, names, f).await?;
            page.errors = FieldErrors::from_problem(&p);
            // Messages for fields the form does not show go on top.
            let shown = [
                "contract_type",
                "amount_wan",
                "signing_date",
                "term_start",
                "term_end",
                "registration_no",
                "program_item",
                "note",
            ];
            let others: Vec<&str> = p
                .errors
                .iter()
                .filter(|e| !shown.contains(&e.field.as_str()))
                .map(|e| e.message.as_str())
                .collect();
            page.error = Some(if others.is_empty() {
                if p.errors.is_empty() {
                    p.message.clone()
                } else {
                    "请修改标出的字段后重新提交。".to_owned()
                }
            } else {
                others.join("；")
            });
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(p) => Err(p.into()),
    }
}

/// The status-change form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub signing_date: String,
    #[serde(default)]
    pub registration_no: String,
}

#[derive(Serialize)]
struct StatusInput<'a> {
    to: &'a str,
    version: Option<i32>,
    note: Option<&'a str>,
    signing_date: Option<&'a str>,
    registration_no: Option<&'a str>,
}

/// A status change offered on the page.
pub struct Change {
    pub to: String,
    pub label: &'static str,
    pub ends: bool,
}

#[derive(Template)]
#[template(path = "agreement.html")]
struct ShowPage {
    layout: Layout,
    a: Agreement,
    title: Option<String>,
    staff: bool,
    changes: Vec<Change>,
    form: StatusForm,
    errors: FieldErrors,
    notice: Option<String>,
    error: Option<String>,
}

impl ShowPage {
    async fn new(v: &Viewer, a: Agreement) -> Self {
        let title = need_title(v, a.match_id).await;
        let changes = a
            .allowed_transitions
            .iter()
            .map(|t| Change {
                to: t.as_str().to_owned(),
                label: t.label_zh(),
                ends: *t == AgreementStatus::Terminated,
            })
            .collect();
        ShowPage {
            layout: v.layout(format!("技术合同 #{}", a.id), "agreements"),
            title,
            staff: v.is_staff(),
            changes,
            a,
            form: StatusForm::default(),
            errors: FieldErrors::default(),
            notice: None,
            error: None,
        }
    }
}

async fn fetch(v: &Viewer, id: i64) -> Result<Agreement, PageError> {
    Ok(v.api.get(&format!("/api/v1/agreements/{id}")).await?)
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    created: Option<String>,
    moved: Option<String>,
}

pub async fn show(v: Viewer, Path(id): Path<String>, Query(q): Query<ShowParams>) -> PageResult {
    v.require_user()?;
    let id = parse_id(&id)?;
    let a = fetch(&v, id).await?;
    let mut page = ShowPage::new(&v, a).await;
    if q.created.is_some() {
        page.notice = Some("技术合同已登记（草稿）。签订后请在下方更新状态。".to_owned());
    } else if let Some(to) = q.moved.as_deref().and_then(AgreementStatus::from_code) {
        page.notice = Some(format!("合同状态已更新为「{}」。", to.label_zh()));
    }
    render(&page)
}

pub async fn change_status(
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    v.check_csrf(&f.csrf_token)?;
    v.require_user()?;
    let id = parse_id(&id)?;
    let input = StatusInput {
        to: f.to.trim(),
        version: f.version.trim().parse().ok(),
        note: filled(&f.note),
        signing_date: filled(&f.signing_date),
        registration_no: filled(&f.registration_no),
    };
    let sent: Result<serde_json::Value, _> = v
        .api
        .send(
            Method::POST,
            &format!("/api/v1/agreements/{id}/status"),
            &input,
        )
        .await;
    match sent {
        Ok(_) => {
            let q = serde_urlencoded::to_string([("moved", input.to)]).unwrap_or_default();
            Ok(see_other(&format!("/agreements/{id}?{q}")))
        }
        Err(p) if p.status == StatusCode::CONFLICT => {
            let current = p
                .current
                .and_then(|c| serde_json::from_value::<Agreement>(c).ok());
            let a = match current {
                Some(a) => a,
                None => fetch(&v, id).await?,
            };
            let mut page = ShowPage::new(&v, a).await;
            page.error = Some(format!(
                "该合同已被他人更新为「{}」，请查看最新状态后再操作。",
                page.a.status.label_zh()
            ));
            page.form = f;
            render_status(StatusCode::CONFLICT, &page)
        }
        Err(p)
            if p.status == StatusCode::UNPROCESSABLE_ENTITY
                || p.status == StatusCode::BAD_REQUEST =>
        {
            let a = fetch(&v, id).await?;
            let mut page = ShowPage::new(&v, a).await;
            page.error = Some(problem_text(&p));
            page.errors = FieldErrors::from_problem(&p);
            page.form = f;
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(p) => Err(p.into()),
    }
}
