//! What the record pages share: reading urlencoded form bodies (with
//! repeated keys for checkbox lists), the posting form of needs and
//! capabilities, the API's field errors next to their inputs, the viewer's
//! own organization, and ranked matches made readable.

use super::client::Problem;
use super::format::{Names, clip};
use super::page::{PageError, Viewer};
use crate::domain::{CapabilityStatus, NeedStatus, OrgKind, Role};
use crate::http::api::PageOf;
use crate::http::api::views::{CapabilityView, NeedView, OrgRef, OrganizationView};
use axum::body::Bytes;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// An urlencoded form body as its `(name, value)` pairs, in order.
/// (`axum::extract::Form` cannot collect repeated keys into a list.)
pub struct RawForm(Vec<(String, String)>);

impl RawForm {
    pub fn parse(body: &Bytes) -> Result<Self, PageError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(RawForm)
            .map_err(|_| PageError::from_status(StatusCode::BAD_REQUEST))
    }

    /// The first value of `name` (empty when absent).
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// Whether a checkbox named `name` was ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(n, v)| n == name && !v.is_empty())
    }

    pub fn csrf(&self) -> String {
        self.get(super::page::CSRF_FIELD)
    }
}

/// Keywords typed into one input: split on Chinese and Western commas,
/// the enumeration comma, semicolons and white space.
pub fn split_keywords(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, '，' | ',' | '、' | ';' | '；') || c.is_whitespace())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `300` → `300`, `500.5` → `500.5` (no trailing `.0`).
pub fn wan(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The field errors of a refused form, for the summary at the top and the
/// message beside each input.
#[derive(Default)]
pub struct FormErrors {
    /// The alert at the top of the form (empty: no alert).
    pub summary: String,
    pub summary_en: String,
    /// `(field, message)` in the API's order.
    pub fields: Vec<(String, String)>,
}

impl FormErrors {
    pub fn from_problem(p: &Problem) -> Self {
        FormErrors {
            summary: if p.message.is_empty() {
                "提交未成功，请检查后重试。".into()
            } else {
                p.message.clone()
            },
            summary_en: p.message_en.clone(),
            fields: p
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        }
    }

    pub fn any(&self) -> bool {
        !self.summary.is_empty() || !self.fields.is_empty()
    }

    /// The message for an input (`keywords[2]` counts for `keywords`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == name || f.strip_prefix(name).is_some_and(|r| r.starts_with('[')))
            .map(|(_, m)| m.as_str())
    }

    /// Puts `message` on `field` instead of what the API said there.
    pub fn replace(&mut self, field: &str, message: &str) {
        self.fields
            .retain(|(f, _)| !(f == field || f.starts_with(&format!("{field}["))));
        self.fields.push((field.to_owned(), message.to_owned()));
    }

    /// The input an error belongs to, for the summary's links (`#f-title`);
    /// fields without an input of their own (`version`, `id`) get none.
    /// The Chinese label of a form field, for the error summary.
    pub fn label(&self, field: &str) -> &'static str {
        match field.split('[').next().unwrap_or(field) {
            "org" => "所属单位",
            "researcher" => "负责人",
            "title" => "标题",
            "description" => "详细描述",
            "field" => "技术领域",
            "keywords" => "关键词",
            "cooperation" => "合作方式",
            "budget_wan" => "预算",
            "deadline" => "截止日期",
            "maturity" => "技术成熟度",
            "status" => "状态",
            "capability_id" => "科研能力",
            "need_id" => "技术需求",
            "note" => "留言",
            _ => "",
        }
    }

    pub fn anchor(&self, field: &str) -> String {
        let base = field.split('[').next().unwrap_or(field);
        match base {
            "org" | "researcher" | "title" | "description" | "field" | "keywords"
            | "cooperation" | "budget_wan" | "deadline" | "maturity" | "status"
            | "capability_id" | "need_id" | "note" => format!("#f-{base}"),
            _ => String::new(),
        }
    }
}

#[derive(Deserialize)]
struct Me {
    user: MeUser,
}

#[derive(Deserialize)]
struct MeUser {
    org: Option<OrgRef>,
}

/// The signed-in viewer's organization, as the API tells it.
pub async fn own_org(v: &Viewer) -> Result<Option<OrgRef>, PageError> {
    if v.user.is_none() {
        return Ok(None);
    }
    let me: Me = v.api.get("/api/v1/auth/me").await?;
    Ok(me.user.org)
}

/// An organization offered in the staff's "所属单位" select.
pub struct OrgOption {
    pub id: String,
    pub label: String,
}

/// Organizations a staff member or admin may post for (every one the API
/// lists; at most 2,000, which is far more than a program has).
pub async fn org_options(v: &Viewer) -> Result<Vec<OrgOption>, PageError> {
    let mut out = Vec::new();
    for page in 1..=20u64 {
        let orgs: PageOf<OrganizationView> = v
            .api
            .get(&format!("/api/v1/organizations?per_page=100&page={page}"))
            .await?;
        let done = orgs.items.len() < 100;
        out.extend(orgs.items.into_iter().map(|o| OrgOption {
            label: format!("{}（{}）", o.name, kind_label(&o.kind)),
            id: o.id,
        }));
        if done {
            break;
        }
    }
    Ok(out)
}

pub fn kind_label(code: &str) -> String {
    OrgKind::from_code(code).map_or_else(|| code.to_owned(), |k| k.label_zh().to_owned())
}

pub fn need_status_label(code: &str) -> String {
    NeedStatus::from_code(code).map_or_else(|| code.to_owned(), |s| s.label_zh().to_owned())
}

pub fn capability_status_label(code: &str) -> String {
    CapabilityStatus::from_code(code).map_or_else(|| code.to_owned(), |s| s.label_zh().to_owned())
}

/// Whether to offer "编辑" for a record of organization `org`: staff and
/// admins, enterprise members for their own organization's needs,
/// researchers for their institution's capabilities. Only a hint for the
/// page; the API decides when the edit is sent (a researcher may change only
/// the capabilities they posted, a staff member only within their scope).
pub fn may_offer_edit(v: &Viewer, own: Option<&OrgRef>, org: &str, need: bool) -> bool {
    match v.role() {
        Some(Role::Admin | Role::ProgramStaff) => true,
        Some(Role::EnterpriseMember) => need && own.is_some_and(|o| o.id == org),
        Some(Role::Researcher) => !need && own.is_some_and(|o| o.id == org),
        None => false,
    }
}

/// What a posting form holds, exactly as typed (so a refused form is shown
/// again unchanged).
#[derive(Default, Clone)]
pub struct PostingForm {
    pub org: String,
    pub researcher: String,
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: String,
    pub cooperation: Vec<String>,
    pub budget: String,
    pub deadline: String,
    pub confidential: bool,
    pub maturity: String,
    pub status: String,
    pub version: String,
}

/// `NeedInput` of the API (it refuses unknown fields, so exactly these).
#[derive(Serialize)]
pub struct NeedBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_wan: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    pub confidential: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// `CapabilityInput` of the API.
#[derive(Serialize)]
pub struct CapabilityBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub researcher: Option<String>,
    pub title: String,
    pub description: String,
    pub field: String,
    pub keywords: Vec<String>,
    pub cooperation: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maturity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// Messages the page itself gives, for values it cannot pass on as typed.
pub const BUDGET_NOT_A_NUMBER: &str = "预算应填写数字（单位：万元），如 300 或 12.5";
pub const MATURITY_NOT_A_NUMBER: &str = "技术成熟度应选择 1–9 级";

fn some(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl PostingForm {
    pub fn from_raw(f: &RawForm) -> Self {
        PostingForm {
            org: f.get("org"),
            researcher: f.get("researcher"),
            title: f.get("title"),
            description: f.get("description"),
            field: f.get("field"),
            keywords: f.get("keywords"),
            cooperation: f.all("cooperation"),
            budget: f.get("budget_wan"),
            deadline: f.get("deadline"),
            confidential: f.checked("confidential"),
            maturity: f.get("maturity"),
            status: f.get("status"),
            version: f.get("version"),
        }
    }

    pub fn from_need(n: &NeedView) -> Self {
        PostingForm {
            org: n.org.id.clone(),
            title: n.title.clone(),
            description: n.description.clone(),
            field: n.field.clone(),
            keywords: n.keywords.join("，"),
            cooperation: n.cooperation.clone(),
            budget: n.budget_wan.map(wan).unwrap_or_default(),
            deadline: n.deadline.map(|d| d.to_string()).unwrap_or_default(),
            confidential: n.confidential,
            status: n.status.clone(),
            version: n.version.to_string(),
            ..PostingForm::default()
        }
    }

    pub fn from_capability(c: &CapabilityView) -> Self {
        PostingForm {
            org: c.org.id.clone(),
            researcher: c.researcher.clone().unwrap_or_default(),
            title: c.title.clone(),
            description: c.description.clone(),
            field: c.field.clone(),
            keywords: c.keywords.join("，"),
            cooperation: c.cooperation.clone(),
            maturity: c.maturity.map(|m| m.to_string()).unwrap_or_default(),
            status: c.status.clone(),
            version: c.version.to_string(),
            ..PostingForm::default()
        }
    }

    pub fn has_mode(&self, code: &str) -> bool {
        self.cooperation.iter().any(|c| c == code)
    }

    fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }

    /// The API body, and the messages for values that are not numbers.
    /// Such a value is sent as one out of range, so that the API refuses
    /// the whole form and reports every other field in the same answer.
    pub fn need_body(
        &self,
        with_org: bool,
        edit: bool,
    ) -> (NeedBody, Vec<(&'static str, &'static str)>) {
        let mut local = Vec::new();
        let budget_wan = some(&self.budget).map(|b| match b.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                local.push(("budget_wan", BUDGET_NOT_A_NUMBER));
                -1.0
            }
        });
        (
            NeedBody {
                org: if with_org { some(&self.org) } else { None },
                title: self.title.clone(),
                description: self.description.clone(),
                field: self.field.clone(),
                keywords: split_keywords(&self.keywords),
                cooperation: self.cooperation.clone(),
                budget_wan,
                deadline: some(&self.deadline),
                confidential: self.confidential,
                status: some(&self.status),
                version: if edit { self.version() } else { None },
            },
            local,
        )
    }

    pub fn capability_body(
        &self,
        with_org: bool,
        edit: bool,
    ) -> (CapabilityBody, Vec<(&'static str, &'static str)>) {
        let mut local = Vec::new();
        let maturity = some(&self.maturity).map(|m| match m.parse::<i64>() {
            Ok(v) => v,
            _ => {
                local.push(("maturity", MATURITY_NOT_A_NUMBER));
                0
            }
        });
        (
            CapabilityBody {
                org: if with_org { some(&self.org) } else { None },
                researcher: some(&self.researcher),
                title: self.title.clone(),
                description: self.description.clone(),
                field: self.field.clone(),
                keywords: split_keywords(&self.keywords),
                cooperation: self.cooperation.clone(),
                maturity,
                status: some(&self.status),
                version: if edit { self.version() } else { None },
            },
            local,
        )
    }
}

/// The form page of a need or a capability, new or edited.
#[derive(askama::Template)]
#[template(path = "posting_form.html")]
pub struct PostingPage {
    pub layout: super::page::Layout,
    pub is_need: bool,
    pub edit: bool,
    pub heading: String,
    pub action: String,
    /// Where "取消" leads.
    pub cancel: String,
    pub form: PostingForm,
    pub errors: FormErrors,
    pub fields: Vec<(String, String)>,
    pub modes: Vec<(String, String)>,
    /// `(code, label)` of the statuses offered.
    pub statuses: Vec<(String, String)>,
    /// Staff and admins posting: the organizations to choose from.
    pub orgs: Option<Vec<OrgOption>>,
    /// Editing: the record's organization (it cannot change).
    pub org_name: String,
    pub conflict: Option<Conflict>,
    pub trl_levels: &'static [(&'static str, &'static str)],
}

/// Technology readiness levels with short Chinese descriptions.
pub const TRL_LEVELS: &[(&str, &str)] = &[
    ("1", "基本原理清晰"),
    ("2", "技术概念和应用设想明确"),
    ("3", "关键功能经实验室验证"),
    ("4", "实验室环境中部件验证"),
    ("5", "相关环境中部件或样机验证"),
    ("6", "相关环境中系统样机演示"),
    ("7", "实际环境中样机演示"),
    ("8", "系统定型并经试验验证"),
    ("9", "实际应用、批量生产"),
];

/// A 409 on an edit: the record as someone else saved it.
pub struct Conflict {
    pub version: i32,
    /// `(label, value)` of the saved record.
    pub rows: Vec<(String, String)>,
}

impl PostingPage {
    /// The API's messages on the form; values the page could not pass on
    /// get the page's own message.
    pub fn refused(&mut self, p: &Problem, local: &[(&'static str, &'static str)]) {
        self.errors = FormErrors::from_problem(p);
        for (field, message) in local {
            self.errors.replace(field, message);
        }
        // "Unknown field code ''" says little to someone who chose nothing.
        if self.form.field.trim().is_empty() && self.errors.get("field").is_some() {
            self.errors.replace("field", "请选择技术领域");
        }
    }
}

/// A ranked record as `/matches` returns it (the API's `Ranked`, which has
/// no `Deserialize`): only what the page shows.
#[derive(Deserialize)]
pub struct ApiRanked {
    pub record: ApiCandidate,
    pub score: f64,
    #[serde(default)]
    pub contributions: Vec<ApiContribution>,
    #[serde(default)]
    pub matched_terms: Vec<ApiMatchedTerm>,
    #[serde(default)]
    pub rules: Vec<String>,
}

#[derive(Deserialize)]
pub struct ApiCandidate {
    pub id: String,
    pub title: String,
    pub field: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub cooperation: Vec<String>,
    pub maturity: Option<u64>,
    pub org: String,
    pub org_name: String,
    pub tier: Option<String>,
    pub region: Option<String>,
}

#[derive(Deserialize)]
pub struct ApiContribution {
    pub feature: String,
    pub value: f64,
    pub weight: f64,
    pub contribution: f64,
}

#[derive(Deserialize)]
pub struct ApiMatchedTerm {
    pub term: String,
    #[serde(default)]
    pub need: Vec<String>,
    #[serde(default)]
    pub capability: Vec<String>,
    pub via_synonym: Option<String>,
}

#[derive(Deserialize)]
pub struct ApiMatches {
    pub results: Vec<ApiRanked>,
}

/// Matched terms listed before "更多".
const TERMS_SHOWN: usize = 8;

/// One ranked record as the page shows it, reasons in words.
pub struct MatchCard {
    pub rank: usize,
    /// External id of the ranked record.
    pub id: String,
    pub href: String,
    pub title: String,
    pub org_name: String,
    /// Provider page of the record's organization (capabilities only).
    pub org_href: Option<String>,
    pub meta: Vec<String>,
    pub keywords: Vec<String>,
    pub score: String,
    /// The first matched terms (titles and keywords first), shown at once.
    pub terms: Vec<TermRow>,
    /// The rest, behind a disclosure.
    pub more_terms: Vec<TermRow>,
    pub field_agreement: String,
    /// Tier and maturity (left out for ranked needs, which have neither).
    pub tier: Option<String>,
    pub maturity: Option<String>,
    pub cooperation: String,
    pub contributions: Vec<String>,
    pub rules: Vec<String>,
}

pub struct TermRow {
    pub term: String,
    /// Where it occurs in the record the page is about.
    pub here: String,
    /// Where it occurs in the ranked record.
    pub there: String,
}

fn section_label(s: &str) -> &str {
    match s {
        "title" => "标题",
        "keywords" => "关键词",
        "description" => "描述",
        other => other,
    }
}

fn sections(list: &[String]) -> String {
    if list.is_empty() {
        "—".into()
    } else {
        list.iter()
            .map(|s| section_label(s))
            .collect::<Vec<_>>()
            .join("、")
    }
}

pub fn feature_label(code: &str) -> &str {
    match code {
        "text" => "文本相关度",
        "focus" => "核心词覆盖",
        "bigram" => "标题字面相似",
        "field" => "领域一致",
        "cooperation" => "合作方式相符",
        "maturity" => "技术成熟度",
        "tier" => "单位层级",
        "semantic" => "语义相近",
        other => other,
    }
}

/// The record a ranking is for, as far as the reasons compare with it.
pub struct Subject<'a> {
    pub field: &'a str,
    pub cooperation: &'a [String],
    /// The ranked records are capabilities (this page is a need's).
    pub ranks_capabilities: bool,
}

impl MatchCard {
    pub fn build(rank: usize, r: ApiRanked, subject: &Subject<'_>, names: &Names) -> Self {
        let c = r.record;
        let field_value = r
            .contributions
            .iter()
            .find(|x| x.feature == "field")
            .map(|x| x.value);
        let field_agreement = if c.field == subject.field {
            format!("领域相同（{}）", names.field(&c.field))
        } else if field_value.is_some_and(|v| v > 0.0) {
            format!(
                "相关领域：{} 与 {}",
                names.field(subject.field),
                names.field(&c.field)
            )
        } else {
            format!(
                "领域不同：{} 与 {}",
                names.field(subject.field),
                names.field(&c.field)
            )
        };
        let shared: Vec<String> = subject
            .cooperation
            .iter()
            .filter(|m| c.cooperation.contains(m))
            .map(|m| names.cooperation(m))
            .collect();
        let cooperation = if subject.cooperation.is_empty() || c.cooperation.is_empty() {
            "未限定合作方式".to_owned()
        } else if shared.is_empty() {
            format!(
                "合作方式不一致（对方：{}）",
                names.cooperation_list(&c.cooperation)
            )
        } else {
            format!("共同的合作方式：{}", shared.join("、"))
        };
        let mut meta = vec![names.field(&c.field)];
        if let Some(r) = &c.region {
            meta.push(r.clone());
        }
        if let Some(t) = &c.tier {
            meta.push(names.tier(t));
        }
        if let Some(m) = c.maturity {
            meta.push(format!("TRL {m}"));
        }
        let (href, org_href) = if subject.ranks_capabilities {
            (
                format!("/capabilities/{}", c.id),
                Some(format!("/providers/{}", c.org)),
            )
        } else {
            (format!("/needs/{}", c.id), None)
        };
        let mut terms: Vec<TermRow> = r
            .matched_terms
            .into_iter()
            .map(|t| TermRow {
                // A synonym match: this side has the term only in
                // another wording.
                here: match (&t.via_synonym, t.need.is_empty()) {
                    (Some(form), true) => format!("以同义词“{form}”出现"),
                    _ => sections(&t.need),
                },
                there: sections(&t.capability),
                term: t.term,
            })
            .collect();
        let more_terms = terms.split_off(terms.len().min(TERMS_SHOWN));
        MatchCard {
            rank,
            id: c.id,
            href,
            title: c.title,
            org_name: c.org_name,
            org_href,
            meta,
            keywords: c.keywords,
            score: format!("{:.2}", r.score),
            terms,
            more_terms,
            field_agreement,
            tier: match (&c.tier, subject.ranks_capabilities) {
                (Some(t), _) => Some(names.tier(t)),
                (None, true) => Some("未标注层级".to_owned()),
                (None, false) => None,
            },
            maturity: match (c.maturity, subject.ranks_capabilities) {
                (Some(m), _) => Some(format!("TRL {m}（技术成熟度 {m}/9）")),
                (None, true) => Some("未填写".to_owned()),
                (None, false) => None,
            },
            cooperation,
            contributions: r
                .contributions
                .iter()
                .map(|x| {
                    format!(
                        "{} {:.2} × 权重 {:.2} = {:.2}",
                        feature_label(&x.feature),
                        x.value,
                        x.weight,
                        x.contribution
                    )
                })
                .collect(),
            rules: r.rules,
        }
    }
}

/// A ranked provider from `/needs/{id}/providers`.
#[derive(Deserialize)]
pub struct ApiProviders {
    pub providers: Vec<ApiProvider>,
}

#[derive(Deserialize)]
pub struct ApiProvider {
    pub org: String,
    pub org_name: String,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub score: f64,
    #[serde(default)]
    pub capabilities: Vec<ApiProviderCapability>,
}

#[derive(Deserialize)]
pub struct ApiProviderCapability {
    pub id: String,
    pub title: String,
    pub score: f64,
}

/// A record offered in an interest form's select.
pub struct Choice {
    pub id: String,
    pub label: String,
}

pub fn need_choice(n: &NeedView) -> Choice {
    Choice {
        id: n.id.clone(),
        label: format!("{}（{}）", clip(&n.title, 40), need_status_label(&n.status)),
    }
}

pub fn capability_choice(c: &CapabilityView) -> Choice {
    Choice {
        id: c.id.clone(),
        label: format!(
            "{}（{}）",
            clip(&c.title, 40),
            capability_status_label(&c.status)
        ),
    }
}

/// The viewer's own record that ranks best for this one, if any: the
/// natural choice for an interest form not yet filled in.
pub fn best_choice(matches: &[MatchCard], choices: &[Choice]) -> String {
    matches
        .iter()
        .find(|m| choices.iter().any(|c| c.id == m.id))
        .map(|m| m.id.clone())
        .unwrap_or_default()
}

/// An interest form as typed, and what became of it.
#[derive(Default)]
pub struct InterestForm {
    pub chosen: String,
    pub note: String,
    pub errors: FormErrors,
}

/// What `POST …/interest` answers (only what the page needs).
#[derive(Deserialize)]
struct InterestResult {
    recorded: bool,
}

/// What became of an interest form.
pub enum Interest {
    /// Recorded (or recorded before): the redirect back to the record page.
    Sent(axum::response::Response),
    /// Refused with this status: show the record page again with the form
    /// as typed and the API's messages.
    Refused(StatusCode, InterestForm),
}

/// Posts an interest form of the record `collection/id` (`needs` or
/// `capabilities`) to the API. `own_field` names the caller's own record
/// in the form and in the API body (`capability_id` on a need page,
/// `need_id` on a capability page).
pub async fn send_interest(
    v: &Viewer,
    collection: &str,
    id: &str,
    own_field: &str,
    body: &Bytes,
) -> Result<Interest, PageError> {
    let f = RawForm::parse(body)?;
    v.check_csrf(&f.csrf())?;
    let record = format!("/{collection}/{}", enc(id));
    if v.user.is_none() {
        // Back to the record page after signing in (the form address
        // itself only takes posts).
        return Err(PageError::SignIn(record));
    }
    let form = InterestForm {
        chosen: f.get(own_field).trim().to_owned(),
        note: f.get("note"),
        errors: FormErrors::default(),
    };
    let mut sent = serde_json::Map::new();
    sent.insert(own_field.to_owned(), form.chosen.clone().into());
    let note = form.note.trim();
    if !note.is_empty() {
        sent.insert("note".to_owned(), note.into());
    }
    let answer: Result<InterestResult, Problem> = v
        .api
        .send(
            axum::http::Method::POST,
            &format!("/api/v1{record}/interest"),
            &sent,
        )
        .await;
    match answer {
        Ok(r) => Ok(Interest::Sent(super::page::see_other(&format!(
            "{record}?done={}",
            if r.recorded {
                "interest"
            } else {
                "interest_again"
            }
        )))),
        Err(p) if p.status == StatusCode::NOT_FOUND || p.status == StatusCode::UNAUTHORIZED => {
            Err(p.into())
        }
        Err(p) => Ok(Interest::Refused(
            p.status,
            InterestForm {
                errors: FormErrors::from_problem(&p),
                ..form
            },
        )),
    }
}

/// Confirmations after a redirect (`?done=…`).
pub fn done_message(done: &str) -> Option<&'static str> {
    match done {
        "interest" => Some("已表达合作意向，项目管理人员将跟进。"),
        "interest_again" => Some("您单位此前已表达过合作意向，项目管理人员将跟进。"),
        "saved" => Some("修改已保存。"),
        "posted" => Some("发布成功。"),
        _ => None,
    }
}

/// Path segments are external ids; anything else is escaped so that it
/// cannot change the API address.
pub fn enc(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The status a form shown again answers with: the API's for a refusal,
/// 503 when the API failed (the form is kept either way).
pub fn refusal_status(p: &Problem) -> StatusCode {
    if p.status.is_client_error() {
        p.status
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_split_on_chinese_and_western_separators() {
        assert_eq!(
            split_keywords(" 焦化废水，COD、回用; 膜 处理,,"),
            ["焦化废水", "COD", "回用", "膜", "处理"]
        );
    }

    #[test]
    fn repeated_keys_are_kept() {
        let f = RawForm::parse(&Bytes::from_static(
            b"cooperation=tech_development&cooperation=tech_service&title=%E7%84%A6+x",
        ));
        let Ok(f) = f else {
            panic!("parse");
        };
        assert_eq!(f.all("cooperation"), ["tech_development", "tech_service"]);
        assert_eq!(f.get("title"), "焦 x");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn budgets_that_are_not_numbers_are_named() {
        let form = PostingForm {
            budget: "三百".into(),
            ..PostingForm::default()
        };
        let (body, local) = form.need_body(false, false);
        assert_eq!(body.budget_wan, Some(-1.0));
        assert_eq!(local, [("budget_wan", BUDGET_NOT_A_NUMBER)]);
        assert_eq!(wan(300.0), "300");
        assert_eq!(wan(500.5), "500.5");
    }
}
