//! 技术需求 · A need's page (details, ranked capabilities and providers
//! with their reasons, interest), and the forms to post and edit needs.

use super::WebState;
use super::client::Problem;
use super::format::{Names, date};
use super::forms::{
    ApiMatches, ApiProviders, Choice, Conflict, FormErrors, Interest, InterestForm, MatchCard,
    PostingForm, PostingPage, RawForm, Subject, TRL_LEVELS, best_choice, capability_choice,
    done_message, enc, may_offer_edit, need_status_label, org_options, own_org, refusal_status,
    send_interest, wan,
};
use super::page::{Layout, PageError, PageResult, Viewer, render, render_status, see_other};
use crate::domain::permissions;
use crate::domain::{NeedStatus, Role, TermKind};
use crate::http::api::PageOf;
use crate::http::api::views::{CapabilityView, NeedView};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/needs/new", get(new_form).post(create))
        .route("/needs/{id}", get(show))
        .route("/needs/{id}/edit", get(edit_form).post(update))
        .route("/needs/{id}/interest", post(interest))
}

/// Matches and providers shown on a need's page.
const TOP_MATCHES: usize = 10;
const TOP_PROVIDERS: usize = 5;

#[derive(Deserialize, Default)]
pub struct ShowParams {
    #[serde(default)]
    done: String,
    /// Advice codes of the need just saved, comma-separated.
    #[serde(default)]
    advice: String,
}

/// A provider as the need's page lists it.
pub struct ProviderRow {
    pub href: String,
    pub name: String,
    pub meta: String,
    pub score: String,
    /// `(href, title, score)` of its fitting capabilities.
    pub capabilities: Vec<(String, String, String)>,
}

/// The interest form of a researcher (capability side).
pub struct InterestBox {
    pub choices: Vec<Choice>,
    pub form: InterestForm,
}

#[derive(Template)]
#[template(path = "need.html")]
struct NeedPage {
    layout: Layout,
    need: NeedView,
    field: String,
    cooperation: String,
    budget: String,
    deadline: String,
    status: String,
    updated: String,
    notice: Option<&'static str>,
    advice: Vec<String>,
    may_edit: bool,
    /// Visitors are told that researchers sign in to express interest.
    sign_in_hint: Option<String>,
    /// A refused interest of a viewer who is offered no interest form.
    refusal: Option<FormErrors>,
    interest: Option<InterestBox>,
    matches_heading: &'static str,
    here_label: &'static str,
    there_label: &'static str,
    matches: Vec<MatchCard>,
    matches_error: Option<String>,
    providers: Vec<ProviderRow>,
}

/// Advice of a saved need by its code (the API's advice, passed through the
/// redirect as codes only, so that no text can be put on the page by a
/// crafted link).
fn advice_text(code: &str) -> Option<String> {
    Some(match code {
        "description_too_short" => format!(
            "需求描述偏短，建议写到 {} 字以上：现状、遇到的具体问题、已经试过的办法、希望达到的效果",
            crate::domain::advice::MIN_DESCRIPTION_CHARS
        ),
        "no_figures" => "描述中没有数字：写出现在的指标和希望达到的目标（如良品率 92% → 98%、寿命 4 个月 → 1 年），更容易找到合适的合作方".into(),
        "no_technology_term" => "没有识别出专业技术名词：补充涉及的材料、工艺、设备或技术名称（如“精脱硫”“热误差补偿”），可作为关键词填写".into(),
        "no_cooperation_mode" => "没有选择合作方式：注明希望的合作方式（技术开发、技术转让、技术许可、技术咨询、技术服务等）".into(),
        _ => return None,
    })
}

/// Builds a need's page; `interest` is the researcher's form when shown
/// again after a refusal.
async fn need_page(
    v: &Viewer,
    s: &WebState,
    id: &str,
    q: &ShowParams,
    interest: Option<InterestForm>,
) -> Result<NeedPage, PageError> {
    let names = Names(s.app.taxonomy.current());
    let need: NeedView = v.api.get(&format!("/api/v1/needs/{}", enc(id))).await?;
    let own = own_org(v).await?;
    let may_edit = may_offer_edit(v, own.as_ref(), &need.org.id, true);

    let subject = Subject {
        field: &need.field,
        cooperation: &need.cooperation,
        ranks_capabilities: true,
    };
    let (matches, matches_error) = match v
        .api
        .get::<ApiMatches>(&format!(
            "/api/v1/needs/{}/matches?top={TOP_MATCHES}",
            enc(&need.id)
        ))
        .await
    {
        Ok(m) => (
            m.results
                .into_iter()
                .enumerate()
                .map(|(i, r)| MatchCard::build(i + 1, r, &subject, &names))
                .collect(),
            None,
        ),
        Err(p) if p.status == StatusCode::NOT_FOUND => return Err(p.into()),
        Err(p) => (Vec::new(), Some(p.message)),
    };
    let providers = match v
        .api
        .get::<ApiProviders>(&format!(
            "/api/v1/needs/{}/providers?top={TOP_PROVIDERS}",
            enc(&need.id)
        ))
        .await
    {
        Ok(p) => p
            .providers
            .into_iter()
            .map(|p| ProviderRow {
                href: format!("/providers/{}", enc(&p.org)),
                meta: [p.region.clone(), p.tier.as_deref().map(|t| names.tier(t))]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                name: p.org_name,
                score: format!("{:.2}", p.score),
                capabilities: p
                    .capabilities
                    .into_iter()
                    .map(|c| {
                        (
                            format!("/capabilities/{}", enc(&c.id)),
                            c.title,
                            format!("{:.2}", c.score),
                        )
                    })
                    .collect(),
            })
            .collect(),
        // Shown with the matches' error already; the page stays usable.
        Err(_) => Vec::new(),
    };

    let mut refusal = None;
    let interest = match (v.role(), own.as_ref()) {
        (Some(Role::Researcher), Some(org)) => {
            let caps: PageOf<CapabilityView> = v
                .api
                .get_with(
                    "/api/v1/capabilities",
                    &[("org", org.id.as_str()), ("per_page", "100")],
                )
                .await?;
            let choices: Vec<Choice> = caps.items.iter().map(capability_choice).collect();
            let form = interest.unwrap_or_else(|| InterestForm {
                chosen: best_choice(&matches, &choices),
                ..InterestForm::default()
            });
            Some(InterestBox { choices, form })
        }
        _ => {
            // Refused for someone who is offered no form (another role):
            // the refusal is shown at the top of the page instead.
            refusal = interest.map(|f| f.errors);
            None
        }
    };
    let sign_in_hint = v.user.is_none().then(|| {
        format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", format!("/needs/{}", need.id))])
                .unwrap_or_default()
        )
    });
    let advice = if q.done == "posted" || q.done == "saved" {
        q.advice.split(',').filter_map(advice_text).collect()
    } else {
        Vec::new()
    };
    Ok(NeedPage {
        layout: v.layout(need.title.clone(), ""),
        field: names.field(&need.field),
        cooperation: if need.cooperation.is_empty() {
            "未限定".into()
        } else {
            names.cooperation_list(&need.cooperation)
        },
        budget: need
            .budget_wan
            .map_or_else(|| "未填写".into(), |b| format!("{} 万元", wan(b))),
        deadline: need
            .deadline
            .map_or_else(|| "未填写".into(), |d| d.to_string()),
        status: need_status_label(&need.status),
        updated: date(&need.updated_at.to_rfc3339()),
        notice: done_message(&q.done),
        refusal,
        advice,
        may_edit,
        sign_in_hint,
        interest,
        matches_heading: "匹配的科研能力",
        here_label: "在本需求中",
        there_label: "在该能力中",
        matches,
        matches_error,
        providers,
        need,
    })
}

async fn show(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    Query(q): Query<ShowParams>,
) -> PageResult {
    render(&need_page(&v, &s, &id, &q, None).await?)
}

/// `POST /needs/{id}/interest`: a researcher asks for an introduction on
/// behalf of one of their institution's capabilities.
async fn interest(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    match send_interest(&v, "needs", &id, "capability_id", &body).await? {
        Interest::Sent(redirect) => Ok(redirect),
        Interest::Refused(status, form) => {
            let page = need_page(&v, &s, &id, &ShowParams::default(), Some(form)).await?;
            render_status(status, &page)
        }
    }
}

fn need_statuses(edit: bool, current: &str, staff: bool) -> Vec<(String, String)> {
    NeedStatus::ALL
        .iter()
        .filter(|st| match st {
            NeedStatus::Draft | NeedStatus::Open => true,
            // Matched is the curation workflow's; offered to staff, or
            // kept when the need already is.
            NeedStatus::Matched => edit && (staff || current == st.as_str()),
            NeedStatus::Closed => edit,
        })
        .map(|st| (st.as_str().to_owned(), st.label_zh().to_owned()))
        .collect()
}

fn form_page(
    v: &Viewer,
    s: &WebState,
    form: PostingForm,
    edit: Option<(&str, &str)>,
) -> PostingPage {
    let names = Names(s.app.taxonomy.current());
    let (heading, action, cancel, org_name) = match edit {
        Some((id, org)) => (
            "修改技术需求".to_owned(),
            format!("/needs/{}/edit", enc(id)),
            format!("/needs/{}", enc(id)),
            org.to_owned(),
        ),
        None => (
            "发布技术需求".to_owned(),
            "/needs/new".to_owned(),
            "/".to_owned(),
            String::new(),
        ),
    };
    PostingPage {
        layout: v.layout(heading.clone(), "needs"),
        is_need: true,
        edit: edit.is_some(),
        heading,
        action,
        cancel,
        statuses: need_statuses(edit.is_some(), &form.status, v.is_staff()),
        form,
        errors: FormErrors::default(),
        fields: names.options(TermKind::Field),
        modes: names.options(TermKind::Cooperation),
        orgs: None,
        org_name,
        conflict: None,
        trl_levels: TRL_LEVELS,
    }
}

/// Who may post needs (the API's own rule, to refuse the form up front).
fn require_poster(v: &Viewer) -> Result<(), PageError> {
    let user = v.require_user()?;
    if permissions::may_post_needs(user.role) {
        Ok(())
    } else {
        Err(PageError::new(
            StatusCode::FORBIDDEN,
            "只有企业用户、项目管理人员和管理员可以发布技术需求。",
            "Only enterprise members, program staff and admins post needs.",
        ))
    }
}

async fn new_form(v: Viewer, State(s): State<WebState>) -> PageResult {
    require_poster(&v)?;
    let form = PostingForm {
        status: NeedStatus::Open.as_str().to_owned(),
        ..PostingForm::default()
    };
    let mut page = form_page(&v, &s, form, None);
    if v.is_staff() {
        page.orgs = Some(org_options(&v).await?);
    }
    render(&page)
}

/// `NeedWritten` of the API: the saved need and advice on it.
#[derive(Deserialize)]
struct Written {
    id: String,
    #[serde(default)]
    advice: Vec<AdviceCode>,
}

#[derive(Deserialize)]
struct AdviceCode {
    code: String,
}

fn after_save(w: &Written, done: &str) -> String {
    let codes: Vec<&str> = w.advice.iter().map(|a| a.code.as_str()).collect();
    let mut q = vec![("done", done.to_owned())];
    if !codes.is_empty() {
        q.push(("advice", codes.join(",")));
    }
    format!(
        "/needs/{}?{}",
        enc(&w.id),
        serde_urlencoded::to_string(q).unwrap_or_default()
    )
}

async fn create(v: Viewer, State(s): State<WebState>, body: Bytes) -> PageResult {
    let f = RawForm::parse(&body)?;
    v.check_csrf(&f.csrf())?;
    v.require_user()?;
    let form = PostingForm::from_raw(&f);
    let staff = v.is_staff();
    let (sent, local) = form.need_body(staff, false);
    match v
        .api
        .send::<Written>(Method::POST, "/api/v1/needs", &sent)
        .await
    {
        Ok(w) => Ok(see_other(&after_save(&w, "posted"))),
        Err(p) if p.status == StatusCode::UNAUTHORIZED => Err(p.into()),
        Err(p) => {
            let mut page = form_page(&v, &s, form, None);
            if staff {
                page.orgs = Some(org_options(&v).await?);
            }
            page.refused(&p, &local);
            render_status(refusal_status(&p), &page)
        }
    }
}

async fn editable(v: &Viewer, id: &str) -> Result<NeedView, PageError> {
    v.require_user()?;
    let need: NeedView = v.api.get(&format!("/api/v1/needs/{}", enc(id))).await?;
    let own = own_org(v).await?;
    if !may_offer_edit(v, own.as_ref(), &need.org.id, true) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "无权修改该技术需求：企业用户只能管理本单位的需求。",
            "You may not change this need: enterprise members manage their own organization's needs only.",
        ));
    }
    Ok(need)
}

async fn edit_form(v: Viewer, State(s): State<WebState>, Path(id): Path<String>) -> PageResult {
    let need = editable(&v, &id).await?;
    let page = form_page(
        &v,
        &s,
        PostingForm::from_need(&need),
        Some((&need.id, &need.org.name)),
    );
    render(&page)
}

/// The saved need's values, for the conflict notice.
fn conflict_rows(n: &NeedView, names: &Names) -> Vec<(String, String)> {
    vec![
        ("标题".into(), n.title.clone()),
        ("技术领域".into(), names.field(&n.field)),
        ("关键词".into(), n.keywords.join("，")),
        ("合作方式".into(), names.cooperation_list(&n.cooperation)),
        (
            "预算".into(),
            n.budget_wan
                .map_or_else(|| "未填写".into(), |b| format!("{} 万元", wan(b))),
        ),
        (
            "截止日期".into(),
            n.deadline
                .map_or_else(|| "未填写".into(), |d| d.to_string()),
        ),
        (
            "保密".into(),
            if n.confidential { "是" } else { "否" }.into(),
        ),
        ("状态".into(), need_status_label(&n.status)),
        ("需求描述".into(), n.description.clone()),
    ]
}

async fn update(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let f = RawForm::parse(&body)?;
    v.check_csrf(&f.csrf())?;
    v.require_user()?;
    let mut form = PostingForm::from_raw(&f);
    let (sent, local) = form.need_body(false, true);
    let answer: Result<Written, Problem> = v
        .api
        .send(Method::PUT, &format!("/api/v1/needs/{}", enc(&id)), &sent)
        .await;
    let p = match answer {
        Ok(w) => return Ok(see_other(&after_save(&w, "saved"))),
        Err(p) if p.status == StatusCode::UNAUTHORIZED || p.status == StatusCode::NOT_FOUND => {
            return Err(p.into());
        }
        Err(p) => p,
    };
    let names = Names(s.app.taxonomy.current());
    let current = p
        .current
        .clone()
        .and_then(|c| serde_json::from_value::<NeedView>(c).ok());
    if p.code == "version_conflict"
        && let Some(cur) = current
    {
        // Resubmitting the form replaces the saved version knowingly.
        form.version = cur.version.to_string();
        let mut page = form_page(&v, &s, form, Some((&cur.id, &cur.org.name)));
        page.conflict = Some(Conflict {
            version: cur.version,
            rows: conflict_rows(&cur, &names),
        });
        return render_status(StatusCode::CONFLICT, &page);
    }
    let need: NeedView = v.api.get(&format!("/api/v1/needs/{}", enc(&id))).await?;
    let mut page = form_page(&v, &s, form, Some((&need.id, &need.org.name)));
    page.refused(&p, &local);
    render_status(refusal_status(&p), &page)
}
