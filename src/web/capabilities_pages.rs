//! 科研能力 · A capability's page (details, ranked needs with reasons,
//! interest of enterprises), and the forms to post and edit capabilities.

use super::WebState;
use super::client::Problem;
use super::format::{Names, date};
use super::forms::{
    ApiMatches, Choice, Conflict, FormErrors, Interest, InterestForm, MatchCard, PostingForm,
    PostingPage, RawForm, Subject, TRL_LEVELS, best_choice, capability_status_label, done_message,
    enc, kind_label, may_offer_edit, need_choice, org_options, own_org, refusal_status,
    send_interest,
};
use super::page::{Layout, PageError, PageResult, Viewer, render, render_status, see_other};
use crate::domain::permissions;
use crate::domain::{CapabilityStatus, Role, TermKind};
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
        .route("/capabilities/new", get(new_form).post(create))
        .route("/capabilities/{id}", get(show))
        .route("/capabilities/{id}/edit", get(edit_form).post(update))
        .route("/capabilities/{id}/interest", post(interest))
}

const TOP_MATCHES: usize = 10;

#[derive(Deserialize, Default)]
pub struct ShowParams {
    #[serde(default)]
    done: String,
}

/// The interest form of an enterprise member (need side).
pub struct InterestBox {
    pub choices: Vec<Choice>,
    pub form: InterestForm,
}

#[derive(Template)]
#[template(path = "capability.html")]
struct CapabilityPage {
    layout: Layout,
    cap: CapabilityView,
    org_kind: String,
    field: String,
    cooperation: String,
    maturity: String,
    status: String,
    updated: String,
    notice: Option<&'static str>,
    may_edit: bool,
    sign_in_hint: Option<String>,
    /// A refused interest of a viewer who is offered no interest form.
    refusal: Option<FormErrors>,
    interest: Option<InterestBox>,
    matches_heading: &'static str,
    here_label: &'static str,
    there_label: &'static str,
    matches: Vec<MatchCard>,
    matches_error: Option<String>,
}

async fn capability_page(
    v: &Viewer,
    s: &WebState,
    id: &str,
    q: &ShowParams,
    interest: Option<InterestForm>,
) -> Result<CapabilityPage, PageError> {
    let names = Names(s.app.taxonomy.current());
    let cap: CapabilityView = v
        .api
        .get(&format!("/api/v1/capabilities/{}", enc(id)))
        .await?;
    let own = own_org(v).await?;
    let may_edit = may_offer_edit(v, own.as_ref(), &cap.org.id, false);
    let subject = Subject {
        field: &cap.field,
        cooperation: &cap.cooperation,
        ranks_capabilities: false,
    };
    let (matches, matches_error) = match v
        .api
        .get::<ApiMatches>(&format!(
            "/api/v1/capabilities/{}/matches?top={TOP_MATCHES}",
            enc(&cap.id)
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
    let mut refusal = None;
    let interest = match (v.role(), own.as_ref()) {
        (Some(Role::EnterpriseMember), Some(org)) => {
            let needs: PageOf<NeedView> = v
                .api
                .get_with(
                    "/api/v1/needs",
                    &[("org", org.id.as_str()), ("per_page", "100")],
                )
                .await?;
            let choices: Vec<Choice> = needs.items.iter().map(need_choice).collect();
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
            serde_urlencoded::to_string([("next", format!("/capabilities/{}", cap.id))])
                .unwrap_or_default()
        )
    });
    Ok(CapabilityPage {
        layout: v.layout(cap.title.clone(), ""),
        org_kind: kind_label(&cap.org.kind),
        field: names.field(&cap.field),
        cooperation: if cap.cooperation.is_empty() {
            "未填写".into()
        } else {
            names.cooperation_list(&cap.cooperation)
        },
        maturity: cap
            .maturity
            .map_or_else(|| "未填写".into(), |m| format!("TRL {m}（{m}/9 级）")),
        status: capability_status_label(&cap.status),
        updated: date(&cap.updated_at.to_rfc3339()),
        notice: done_message(&q.done),
        refusal,
        may_edit,
        sign_in_hint,
        interest,
        matches_heading: "匹配的技术需求",
        here_label: "在本能力中",
        there_label: "在该需求中",
        matches,
        matches_error,
        cap,
    })
}

async fn show(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    Query(q): Query<ShowParams>,
) -> PageResult {
    render(&capability_page(&v, &s, &id, &q, None).await?)
}

/// `POST /capabilities/{id}/interest`: an enterprise member asks for an
/// introduction on behalf of one of their organization's needs.
async fn interest(
    v: Viewer,
    State(s): State<WebState>,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    match send_interest(&v, "capabilities", &id, "need_id", &body).await? {
        Interest::Sent(redirect) => Ok(redirect),
        Interest::Refused(status, form) => {
            let page = capability_page(&v, &s, &id, &ShowParams::default(), Some(form)).await?;
            render_status(status, &page)
        }
    }
}

fn statuses(edit: bool) -> Vec<(String, String)> {
    CapabilityStatus::ALL
        .iter()
        .filter(|st| edit || **st != CapabilityStatus::Archived)
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
            "修改科研能力".to_owned(),
            format!("/capabilities/{}/edit", enc(id)),
            format!("/capabilities/{}", enc(id)),
            org.to_owned(),
        ),
        None => (
            "发布科研能力".to_owned(),
            "/capabilities/new".to_owned(),
            "/".to_owned(),
            String::new(),
        ),
    };
    PostingPage {
        layout: v.layout(heading.clone(), "capabilities"),
        is_need: false,
        edit: edit.is_some(),
        heading,
        action,
        cancel,
        statuses: statuses(edit.is_some()),
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

fn require_poster(v: &Viewer) -> Result<(), PageError> {
    let user = v.require_user()?;
    if permissions::may_post_capabilities(user.role) {
        Ok(())
    } else {
        Err(PageError::new(
            StatusCode::FORBIDDEN,
            "只有科研人员、项目管理人员和管理员可以发布科研能力。",
            "Only researchers, program staff and admins post capabilities.",
        ))
    }
}

async fn new_form(v: Viewer, State(s): State<WebState>) -> PageResult {
    require_poster(&v)?;
    let form = PostingForm {
        status: CapabilityStatus::Published.as_str().to_owned(),
        ..PostingForm::default()
    };
    let mut page = form_page(&v, &s, form, None);
    if v.is_staff() {
        page.orgs = Some(org_options(&v).await?);
    }
    render(&page)
}

#[derive(Deserialize)]
struct Written {
    id: String,
}

async fn create(v: Viewer, State(s): State<WebState>, body: Bytes) -> PageResult {
    let f = RawForm::parse(&body)?;
    v.check_csrf(&f.csrf())?;
    v.require_user()?;
    let form = PostingForm::from_raw(&f);
    let staff = v.is_staff();
    let (sent, local) = form.capability_body(staff, false);
    match v
        .api
        .send::<Written>(Method::POST, "/api/v1/capabilities", &sent)
        .await
    {
        Ok(w) => Ok(see_other(&format!(
            "/capabilities/{}?done=posted",
            enc(&w.id)
        ))),
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

async fn editable(v: &Viewer, id: &str) -> Result<CapabilityView, PageError> {
    v.require_user()?;
    let cap: CapabilityView = v
        .api
        .get(&format!("/api/v1/capabilities/{}", enc(id)))
        .await?;
    let own = own_org(v).await?;
    if !may_offer_edit(v, own.as_ref(), &cap.org.id, false) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "无权修改该科研能力：科研人员只能管理本人在本单位发布的能力。",
            "You may not change this capability: researchers manage the capabilities they posted for their institution only.",
        ));
    }
    Ok(cap)
}

async fn edit_form(v: Viewer, State(s): State<WebState>, Path(id): Path<String>) -> PageResult {
    let cap = editable(&v, &id).await?;
    let page = form_page(
        &v,
        &s,
        PostingForm::from_capability(&cap),
        Some((&cap.id, &cap.org.name)),
    );
    render(&page)
}

fn conflict_rows(c: &CapabilityView, names: &Names) -> Vec<(String, String)> {
    vec![
        ("标题".into(), c.title.clone()),
        (
            "负责人或团队".into(),
            c.researcher.clone().unwrap_or_else(|| "未填写".into()),
        ),
        ("技术领域".into(), names.field(&c.field)),
        ("关键词".into(), c.keywords.join("，")),
        ("合作方式".into(), names.cooperation_list(&c.cooperation)),
        (
            "技术成熟度".into(),
            c.maturity
                .map_or_else(|| "未填写".into(), |m| format!("TRL {m}")),
        ),
        ("状态".into(), capability_status_label(&c.status)),
        ("能力描述".into(), c.description.clone()),
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
    let (sent, local) = form.capability_body(false, true);
    let answer: Result<Written, Problem> = v
        .api
        .send(
            Method::PUT,
            &format!("/api/v1/capabilities/{}", enc(&id)),
            &sent,
        )
        .await;
    let p = match answer {
        Ok(w) => {
            return Ok(see_other(&format!(
                "/capabilities/{}?done=saved",
                enc(&w.id)
            )));
        }
        Err(p) if p.status == StatusCode::UNAUTHORIZED || p.status == StatusCode::NOT_FOUND => {
            return Err(p.into());
        }
        Err(p) => p,
    };
    let names = Names(s.app.taxonomy.current());
    let current = p
        .current
        .clone()
        .and_then(|c| serde_json::from_value::<CapabilityView>(c).ok());
    if p.code == "version_conflict"
        && let Some(cur) = current
    {
        form.version = cur.version.to_string();
        let mut page = form_page(&v, &s, form, Some((&cur.id, &cur.org.name)));
        page.conflict = Some(Conflict {
            version: cur.version,
            rows: conflict_rows(&cur, &names),
        });
        return render_status(StatusCode::CONFLICT, &page);
    }
    let cap: CapabilityView = v
        .api
        .get(&format!("/api/v1/capabilities/{}", enc(&id)))
        .await?;
    let mut page = form_page(&v, &s, form, Some((&cap.id, &cap.org.name)));
    page.refused(&p, &local);
    render_status(refusal_status(&p), &page)
}
