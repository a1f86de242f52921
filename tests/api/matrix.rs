//! The permission matrix: every operation of the OpenAPI document × every
//! role, against fixture records, asserting the exact allowed set; and
//! confidential needs invisible to those who may not see them through every
//! read path (lists, search, ranked matches, curation, exports).
//!
//! A new endpoint without a row here fails `every_endpoint_answers_exactly_the_allowed_roles`.

use crate::helpers::{Answer, Backend, TestApp, add_token, ids};
use crate::on_both_backends;
use duijie::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The roles of the matrix. "own" is the organization owning the fixtures:
/// t-org-steel (enterprise: t-need-2 public, t-need-3 confidential) and
/// t-org-tyut (institution: t-cap-2).
const ROLES: [&str; 7] = [
    "anonymous",
    "member_own",
    "member_other",
    "researcher_own",
    "researcher_other",
    "staff",
    "admin",
];
const ALL: &[&str] = &ROLES;
const SIGNED_IN: &[&str] = &[
    "member_own",
    "member_other",
    "researcher_own",
    "researcher_other",
    "staff",
    "admin",
];
const STAFF: &[&str] = &["staff", "admin"];
const NONE: &[&str] = &[];
/// Webhook targets: a literal public (documentation-range) address, so no
/// name lookup delays the shutdown of the test's runtime.
/// Webhook target of the matrix's subscriptions: loopback on the discard
/// port, where nothing listens, so a delivery attempt is refused at once and
/// no traffic ever leaves the machine.
const HOOK: &str = "http://127.0.0.1:9";
/// Who may see the confidential need t-need-3 (and matches with it).
const SEES_SECRET: &[&str] = &["member_own", "staff", "admin"];

struct Fixture {
    tokens: Vec<(&'static str, Option<String>)>,
    user_ids: Vec<(&'static str, i64)>,
    /// t-need-2 × t-cap-2, confirmed, with the agreement.
    match_public: i64,
    /// t-need-3 (confidential) × t-cap-2.
    match_secret: i64,
    /// A match the transition rows move along.
    match_moving: i64,
    agreement: i64,
    /// A capability of t-org-tyut posted by researcher_own.
    own_cap: String,
    /// t-org-steel's subscription, and a staff-wide one.
    hook_org: i64,
    hook_staff: i64,
    counter: std::cell::Cell<u32>,
}

impl Fixture {
    fn token(&self, who: &str) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(n, _)| *n == who)
            .and_then(|(_, t)| t.as_deref())
    }

    fn admin(&self) -> &str {
        self.token("admin").expect("admin")
    }

    fn user_id(&self, who: &str) -> i64 {
        self.user_ids.iter().find(|(n, _)| *n == who).unwrap().1
    }

    /// A fresh number for unique codes.
    fn next(&self) -> u32 {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        n
    }
}

fn need_body(org: Option<&str>, title: &str) -> Value {
    let mut v = json!({
        "title": title,
        "description": "冷轧高牌号无取向硅钢薄带时边浪和中浪交替出现，成材率只有 82%，希望提高到 90% 以上，需要板形闭环控制和轧制工艺优化方案。",
        "field": "materials",
        "keywords": ["硅钢", "板形控制"],
        "cooperation": ["tech_development"],
        "budget_wan": 300
    });
    if let Some(o) = org {
        v["org"] = json!(o);
    }
    v
}

fn cap_body(org: Option<&str>, title: &str) -> Value {
    let mut v = json!({
        "title": title,
        "description": "基于机理与数据融合的冷轧板形预测模型，已在两条产线应用，板形合格率提高 5 个百分点。",
        "field": "materials",
        "keywords": ["板形控制"],
        "cooperation": ["tech_development"],
        "maturity": 6
    });
    if let Some(o) = org {
        v["org"] = json!(o);
    }
    v
}

fn ok(r: &Answer, what: &str) {
    assert!(
        (200..300).contains(&r.status),
        "{what}: {} {}",
        r.status,
        r.body
    );
}

async fn admin_call(
    app: &TestApp,
    fx: &Fixture,
    m: Method,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let r = app.call(m, path, Some(fx.admin()), body).await;
    ok(&r, path);
    r
}

async fn version(app: &TestApp, fx: &Fixture, path: &str) -> i64 {
    admin_call(app, fx, Method::GET, path, None).await.body["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version at {path}"))
}

/// A fresh open need of t-org-steel; returns its external id.
async fn fresh_need(app: &TestApp, fx: &Fixture) -> String {
    let n = fx.next();
    let r = admin_call(
        app,
        fx,
        Method::POST,
        "/api/v1/needs",
        Some(&need_body(Some("t-org-steel"), &format!("矩阵需求 {n}"))),
    )
    .await;
    r.body["id"].as_str().unwrap().to_owned()
}

/// A fresh match of a fresh t-org-steel need with t-cap-2.
async fn fresh_match(app: &TestApp, fx: &Fixture) -> i64 {
    let need = fresh_need(app, fx).await;
    let r = admin_call(
        app,
        fx,
        Method::POST,
        "/api/v1/matches",
        Some(&json!({"need_id": need, "capability_id": "t-cap-2", "score": 0.5})),
    )
    .await;
    r.body["id"].as_i64().unwrap()
}

async fn confirm(app: &TestApp, fx: &Fixture, id: i64) {
    for to in ["shortlisted", "introduced", "negotiating", "confirmed"] {
        let v = version(app, fx, &format!("/api/v1/matches/{id}")).await;
        admin_call(
            app,
            fx,
            Method::POST,
            &format!("/api/v1/matches/{id}/transitions"),
            Some(&json!({"to": to, "version": v, "note": "矩阵夹具"})),
        )
        .await;
    }
}

/// One row of the matrix: an operation of the OpenAPI document, a case, the
/// roles allowed, and whether the record is hidden (a refused signed-in
/// caller, and an anonymous one on a public path, must get exactly 404).
struct Row {
    method: &'static str,
    path: &'static str,
    case: &'static str,
    allowed: &'static [&'static str],
    /// For rows about a confidential record: who may see it. Everyone else
    /// must get exactly 404 (401 first where the endpoint needs sign-in).
    seen_by: Option<&'static [&'static str]>,
}

const fn row(
    method: &'static str,
    path: &'static str,
    case: &'static str,
    allowed: &'static [&'static str],
) -> Row {
    Row {
        method,
        path,
        case,
        allowed,
        seen_by: None,
    }
}

const fn hidden(
    method: &'static str,
    path: &'static str,
    case: &'static str,
    allowed: &'static [&'static str],
) -> Row {
    Row {
        method,
        path,
        case,
        allowed,
        seen_by: Some(SEES_SECRET),
    }
}

const ROWS: &[Row] = &[
    row("get", "/healthz", "", ALL),
    row("get", "/readyz", "", ALL),
    row("get", "/api/v1/organizations", "", ALL),
    row("get", "/api/v1/organizations/{id}", "", ALL),
    row("get", "/api/v1/taxonomy", "", ALL),
    row("put", "/api/v1/taxonomy/{kind}/{code}", "", &["admin"]),
    row("get", "/api/v1/search", "needs", ALL),
    row("get", "/api/v1/search", "capabilities", ALL),
    // Needs.
    row("get", "/api/v1/needs", "", ALL),
    row("get", "/api/v1/needs/{id}", "public", ALL),
    hidden("get", "/api/v1/needs/{id}", "confidential", SEES_SECRET),
    row(
        "post",
        "/api/v1/needs",
        "",
        &["member_own", "staff", "admin"],
    ),
    row(
        "put",
        "/api/v1/needs/{id}",
        "public",
        &["member_own", "staff", "admin"],
    ),
    hidden(
        "put",
        "/api/v1/needs/{id}",
        "confidential",
        &["member_own", "staff", "admin"],
    ),
    row(
        "post",
        "/api/v1/needs/{id}/close",
        "",
        &["member_own", "staff", "admin"],
    ),
    row("get", "/api/v1/needs/{id}/matches", "public", ALL),
    hidden(
        "get",
        "/api/v1/needs/{id}/matches",
        "confidential",
        &["member_own", "staff", "admin"],
    ),
    row("get", "/api/v1/needs/{id}/providers", "public", ALL),
    hidden(
        "get",
        "/api/v1/needs/{id}/providers",
        "confidential",
        &["member_own", "staff", "admin"],
    ),
    row(
        "post",
        "/api/v1/needs/{id}/interest",
        "public",
        &["researcher_own"],
    ),
    hidden("post", "/api/v1/needs/{id}/interest", "confidential", NONE),
    // Capabilities.
    row("get", "/api/v1/capabilities", "", ALL),
    row("get", "/api/v1/capabilities/{id}", "", ALL),
    row(
        "post",
        "/api/v1/capabilities",
        "",
        &["researcher_own", "staff", "admin"],
    ),
    // Researchers manage the capabilities they posted themselves, not every
    // one of their institution's (t-cap-2 was imported).
    row(
        "put",
        "/api/v1/capabilities/{id}",
        "posted by researcher_own",
        &["researcher_own", "staff", "admin"],
    ),
    row("put", "/api/v1/capabilities/{id}", "imported", STAFF),
    row("get", "/api/v1/capabilities/{id}/matches", "", ALL),
    row(
        "post",
        "/api/v1/capabilities/{id}/interest",
        "public",
        &["member_own"],
    ),
    // Auth.
    row("post", "/api/v1/auth/login", "", ALL),
    row("post", "/api/v1/auth/logout", "", ALL),
    row("get", "/api/v1/auth/me", "", SIGNED_IN),
    row("post", "/api/v1/auth/tokens", "", SIGNED_IN),
    row("get", "/api/v1/auth/tokens", "", SIGNED_IN),
    row(
        "delete",
        "/api/v1/auth/tokens/{id}",
        "member_own's token",
        &["member_own", "admin"],
    ),
    // Curation.
    row("get", "/api/v1/matches", "", SIGNED_IN),
    row(
        "get",
        "/api/v1/matches/{id}",
        "public",
        &["member_own", "researcher_own", "staff", "admin"],
    ),
    hidden(
        "get",
        "/api/v1/matches/{id}",
        "confidential",
        &["member_own", "staff", "admin"],
    ),
    row("post", "/api/v1/matches", "", STAFF),
    row("post", "/api/v1/matches/{id}/transitions", "", STAFF),
    // Agreements and program items.
    row("get", "/api/v1/agreements", "", SIGNED_IN),
    row(
        "get",
        "/api/v1/agreements/{id}",
        "",
        &["member_own", "researcher_own", "staff", "admin"],
    ),
    row("post", "/api/v1/agreements", "", STAFF),
    row("post", "/api/v1/agreements/{id}/status", "", STAFF),
    row("get", "/api/v1/program-items", "", SIGNED_IN),
    row("get", "/api/v1/program-items/{code}", "", SIGNED_IN),
    row("post", "/api/v1/program-items", "", STAFF),
    row("put", "/api/v1/program-items/{code}", "", STAFF),
    // Exports.
    row("get", "/api/v1/exports/{file}", "needs.csv", ALL),
    row("get", "/api/v1/exports/{file}", "capabilities.xlsx", ALL),
    row("get", "/api/v1/exports/{file}", "matches.csv", SIGNED_IN),
    row(
        "get",
        "/api/v1/exports/{file}",
        "agreements.xlsx",
        SIGNED_IN,
    ),
    row("get", "/api/v1/exports/{file}", "kpis.csv", STAFF),
    // Webhooks.
    row("post", "/api/v1/webhooks", "", SIGNED_IN),
    row("get", "/api/v1/webhooks", "", SIGNED_IN),
    row(
        "delete",
        "/api/v1/webhooks/{id}",
        "organization",
        &["member_own"],
    ),
    row("delete", "/api/v1/webhooks/{id}", "staff-wide", STAFF),
    row(
        "get",
        "/api/v1/webhooks/{id}/deliveries",
        "organization",
        &["member_own"],
    ),
    row(
        "get",
        "/api/v1/webhooks/{id}/deliveries",
        "staff-wide",
        STAFF,
    ),
    // Targets, KPIs, clusters, alliances.
    row("get", "/api/v1/program/targets", "", SIGNED_IN),
    row("put", "/api/v1/program/targets/{metric}", "", &["admin"]),
    row("get", "/api/v1/program/kpis", "", STAFF),
    row("get", "/api/v1/industry-clusters", "", SIGNED_IN),
    row("get", "/api/v1/alliances", "", SIGNED_IN),
    row("get", "/api/v1/alliances/{code}", "", SIGNED_IN),
    row("post", "/api/v1/alliances", "", STAFF),
    row("put", "/api/v1/alliances/{code}", "", STAFF),
    row("post", "/api/v1/alliances/{code}/members", "", STAFF),
    row(
        "delete",
        "/api/v1/alliances/{code}/members/{org}",
        "",
        STAFF,
    ),
];

/// Endpoints that answer signed-out callers (the rest answer them 401).
fn public_path(row: &Row) -> bool {
    matches!(
        (row.method, row.path),
        (
            "get",
            "/healthz"
                | "/readyz"
                | "/api/v1/organizations"
                | "/api/v1/organizations/{id}"
                | "/api/v1/taxonomy"
                | "/api/v1/search"
        ) | (
            "get",
            "/api/v1/needs"
                | "/api/v1/needs/{id}"
                | "/api/v1/needs/{id}/matches"
                | "/api/v1/needs/{id}/providers"
        ) | (
            "get",
            "/api/v1/capabilities"
                | "/api/v1/capabilities/{id}"
                | "/api/v1/capabilities/{id}/matches"
        ) | ("post", "/api/v1/auth/login" | "/api/v1/auth/logout")
    ) || (row.path == "/api/v1/exports/{file}"
        && ["needs.csv", "capabilities.xlsx"].contains(&row.case))
}

/// The request of a row for one caller (setting up what it needs first).
async fn prepare(
    app: &TestApp,
    fx: &Fixture,
    row: &Row,
    who: &str,
) -> (Method, String, Option<Value>) {
    let get = |p: String| (Method::GET, p, None);
    let m = match row.method {
        "get" => Method::GET,
        "post" => Method::POST,
        "put" => Method::PUT,
        "delete" => Method::DELETE,
        other => panic!("method {other}"),
    };
    let secret = row.case == "confidential";
    let need = if secret { "t-need-3" } else { "t-need-2" };
    match (row.method, row.path) {
        (
            "get",
            "/healthz"
            | "/readyz"
            | "/api/v1/organizations"
            | "/api/v1/taxonomy"
            | "/api/v1/needs"
            | "/api/v1/capabilities"
            | "/api/v1/auth/me"
            | "/api/v1/auth/tokens"
            | "/api/v1/matches"
            | "/api/v1/agreements"
            | "/api/v1/program-items"
            | "/api/v1/webhooks"
            | "/api/v1/program/targets"
            | "/api/v1/program/kpis"
            | "/api/v1/industry-clusters"
            | "/api/v1/alliances",
        ) => get(row.path.to_owned()),
        ("get", "/api/v1/organizations/{id}") => get("/api/v1/organizations/t-org-steel".into()),
        ("get", "/api/v1/search") => get(format!(
            "/api/v1/search?q=硅钢&kind={}",
            if row.case == "needs" {
                "need"
            } else {
                "capability"
            }
        )),
        ("get", "/api/v1/needs/{id}") => get(format!("/api/v1/needs/{need}")),
        ("get", "/api/v1/needs/{id}/matches") => get(format!("/api/v1/needs/{need}/matches")),
        ("get", "/api/v1/needs/{id}/providers") => get(format!("/api/v1/needs/{need}/providers")),
        ("post", "/api/v1/needs") => {
            // Members and researchers post for their own organization; the
            // rest name t-org-steel.
            let org = match who {
                "member_own" | "researcher_own" => None,
                _ => Some("t-org-steel"),
            };
            (
                m,
                row.path.into(),
                Some(need_body(org, &format!("矩阵新需求 {who}"))),
            )
        }
        ("put", "/api/v1/needs/{id}") => {
            let path = format!("/api/v1/needs/{need}");
            let v = version(app, fx, &path).await;
            let mut body = need_body(None, &format!("矩阵修改 {who}"));
            body["version"] = json!(v);
            if secret {
                body["confidential"] = json!(true);
            }
            (m, path, Some(body))
        }
        ("post", "/api/v1/needs/{id}/close") => {
            let id = fresh_need(app, fx).await;
            let v = version(app, fx, &format!("/api/v1/needs/{id}")).await;
            (
                m,
                format!("/api/v1/needs/{id}/close"),
                Some(json!({"version": v})),
            )
        }
        ("post", "/api/v1/needs/{id}/interest") => (
            m,
            format!("/api/v1/needs/{need}/interest"),
            Some(json!({"capability_id": "t-cap-2", "note": "希望对接"})),
        ),
        ("get", "/api/v1/capabilities/{id}") => get("/api/v1/capabilities/t-cap-2".into()),
        ("get", "/api/v1/capabilities/{id}/matches") => {
            get("/api/v1/capabilities/t-cap-2/matches".into())
        }
        ("post", "/api/v1/capabilities") => {
            let org = match who {
                "member_own" | "researcher_own" => None,
                _ => Some("t-org-tyut"),
            };
            (
                m,
                row.path.into(),
                Some(cap_body(org, &format!("矩阵新能力 {who}"))),
            )
        }
        ("put", "/api/v1/capabilities/{id}") => {
            let path = if row.case == "imported" {
                "/api/v1/capabilities/t-cap-2".to_owned()
            } else {
                format!("/api/v1/capabilities/{}", fx.own_cap)
            };
            let v = version(app, fx, &path).await;
            let mut body = cap_body(None, &format!("冷轧板形闭环控制模型（{who}）"));
            body["version"] = json!(v);
            (m, path, Some(body))
        }
        ("post", "/api/v1/capabilities/{id}/interest") => (
            m,
            "/api/v1/capabilities/t-cap-2/interest".into(),
            Some(json!({"need_id": "t-need-2", "note": "希望对接"})),
        ),
        ("post", "/api/v1/auth/login") => (
            m,
            row.path.into(),
            Some(json!({"username": "member_own", "password": crate::helpers::TEST_PASSWORD})),
        ),
        ("post", "/api/v1/auth/logout") => (m, row.path.into(), None),
        ("post", "/api/v1/auth/tokens") => (
            m,
            row.path.into(),
            Some(json!({"name": format!("矩阵 {who}")})),
        ),
        ("delete", "/api/v1/auth/tokens/{id}") => {
            add_token(&app.db, fx.user_id("member_own"), None).await;
            let list = app
                .call(
                    Method::GET,
                    "/api/v1/auth/tokens",
                    fx.token("member_own"),
                    None,
                )
                .await;
            ok(&list, "tokens");
            let items = list
                .body
                .as_array()
                .or_else(|| list.body["items"].as_array())
                .expect("token list")
                .clone();
            let id = items
                .iter()
                .filter(|t| t["active"] == true)
                .filter_map(|t| t["id"].as_i64())
                .max()
                .unwrap();
            (m, format!("/api/v1/auth/tokens/{id}"), None)
        }
        ("get", "/api/v1/matches/{id}") => get(format!(
            "/api/v1/matches/{}",
            if secret {
                fx.match_secret
            } else {
                fx.match_public
            }
        )),
        ("post", "/api/v1/matches") => {
            let need = fresh_need(app, fx).await;
            (
                m,
                row.path.into(),
                Some(json!({"need_id": need, "capability_id": "t-cap-2", "score": 0.4})),
            )
        }
        ("post", "/api/v1/matches/{id}/transitions") => {
            let path = format!("/api/v1/matches/{}", fx.match_moving);
            let cur = admin_call(app, fx, Method::GET, &path, None).await;
            let to = match cur.body["state"].as_str().unwrap() {
                "suggested" => "shortlisted",
                "shortlisted" => "introduced",
                "introduced" => "negotiating",
                "negotiating" => "confirmed",
                other => panic!("the moving match is already {other}"),
            };
            (
                m,
                format!("{path}/transitions"),
                Some(json!({"to": to, "version": cur.body["version"], "note": who})),
            )
        }
        ("get", "/api/v1/agreements/{id}") => get(format!("/api/v1/agreements/{}", fx.agreement)),
        ("post", "/api/v1/agreements") => {
            let id = fresh_match(app, fx).await;
            confirm(app, fx, id).await;
            (
                m,
                row.path.into(),
                Some(json!({"match_id": id, "contract_type": "tech_service", "amount_wan": 10})),
            )
        }
        ("post", "/api/v1/agreements/{id}/status") => {
            let path = format!("/api/v1/agreements/{}", fx.agreement);
            let cur = admin_call(app, fx, Method::GET, &path, None).await;
            let body = match cur.body["status"].as_str().unwrap() {
                "draft" => {
                    json!({"to": "signed", "version": cur.body["version"], "signing_date": "2026-04-02"})
                }
                "signed" => {
                    json!({"to": "registered", "version": cur.body["version"], "registration_no": "20261401000123"})
                }
                "registered" => json!({"to": "completed", "version": cur.body["version"]}),
                other => panic!("the agreement is already {other}"),
            };
            (m, format!("{path}/status"), Some(body))
        }
        ("get", "/api/v1/program-items/{code}") => get("/api/v1/program-items/KT-2026-001".into()),
        ("post", "/api/v1/program-items") => (
            m,
            row.path.into(),
            Some(json!({
                "code": format!("IP-2026-{:03}", fx.next()), "kind": "innovation_project", "title": "矩阵项目", "field": "materials", "status": "planned"
            })),
        ),
        ("put", "/api/v1/program-items/{code}") => {
            let path = "/api/v1/program-items/KT-2026-001".to_owned();
            let v = version(app, fx, &path).await;
            (
                m,
                path,
                Some(json!({
                    "kind": "key_technology", "title": format!("高牌号硅钢板形控制（{who}）"), "field": "materials",
                    "lead_org": "t-org-steel", "status": "started", "version": v
                })),
            )
        }
        ("get", "/api/v1/exports/{file}") => get(format!("/api/v1/exports/{}", row.case)),
        ("post", "/api/v1/webhooks") => (
            m,
            row.path.into(),
            Some(json!({"url": format!("{HOOK}/duijie"), "events": ["match.state_changed"]})),
        ),
        ("delete", "/api/v1/webhooks/{id}") => {
            let owner = if row.case == "organization" {
                "member_own"
            } else {
                "staff"
            };
            let r = app
                .call(
                    Method::POST,
                    "/api/v1/webhooks",
                    fx.token(owner),
                    Some(&json!({"url": format!("{HOOK}/gone"), "events": ["agreement.created"]})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            (m, format!("/api/v1/webhooks/{}", r.body["id"]), None)
        }
        ("get", "/api/v1/webhooks/{id}/deliveries") => get(format!(
            "/api/v1/webhooks/{}/deliveries",
            if row.case == "organization" {
                fx.hook_org
            } else {
                fx.hook_staff
            }
        )),
        ("put", "/api/v1/taxonomy/{kind}/{code}") => (
            m,
            format!("/api/v1/taxonomy/cooperation/matrix_mode_{}", fx.next()),
            Some(json!({"name_zh": "矩阵测试合作方式", "name_en": "Matrix test mode"})),
        ),
        ("put", "/api/v1/program/targets/{metric}") => (
            m,
            "/api/v1/program/targets/alliances".into(),
            Some(json!({"target": 36 + fx.next()})),
        ),
        ("get", "/api/v1/alliances/{code}") => get("/api/v1/alliances/AL-1".into()),
        ("post", "/api/v1/alliances") => (
            m,
            row.path.into(),
            Some(
                json!({"code": format!("AL-M{}", fx.next()), "name": "矩阵联盟", "clusters": ["big_data"]}),
            ),
        ),
        ("put", "/api/v1/alliances/{code}") => {
            let v = version(app, fx, "/api/v1/alliances/AL-1").await;
            (
                m,
                "/api/v1/alliances/AL-1".into(),
                Some(
                    json!({"name": format!("碳化硅产业联盟（{who}）"), "clusters": ["sic_semiconductor"], "version": v}),
                ),
            )
        }
        ("post", "/api/v1/alliances/{code}/members") => (
            m,
            "/api/v1/alliances/AL-1/members".into(),
            Some(json!({"org": "t-org-tyut"})),
        ),
        ("delete", "/api/v1/alliances/{code}/members/{org}") => {
            admin_call(
                app,
                fx,
                Method::POST,
                "/api/v1/alliances/AL-1/members",
                Some(&json!({"org": "t-org-cas"})),
            )
            .await;
            (m, "/api/v1/alliances/AL-1/members/t-org-cas".into(), None)
        }
        (method, path) => panic!("no request for {method} {path}"),
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    let mut tokens = vec![("anonymous", None)];
    let mut user_ids = Vec::new();
    for (name, role, org) in [
        ("member_own", Role::EnterpriseMember, Some("t-org-steel")),
        ("member_other", Role::EnterpriseMember, Some("t-org-coke")),
        ("researcher_own", Role::Researcher, Some("t-org-tyut")),
        ("researcher_other", Role::Researcher, Some("t-org-cas")),
        ("staff", Role::ProgramStaff, None),
        ("admin", Role::Admin, None),
    ] {
        let id = crate::helpers::add_user(&app.db, name, role, org).await;
        user_ids.push((name, id));
        tokens.push((name, Some(add_token(&app.db, id, None).await)));
    }
    let mut fx = Fixture {
        tokens,
        user_ids,
        match_public: 0,
        match_secret: 0,
        match_moving: 0,
        agreement: 0,
        own_cap: String::new(),
        hook_org: 0,
        hook_staff: 0,
        counter: std::cell::Cell::new(0),
    };
    let create_match = |need: &'static str, cap: &'static str| {
        let fx = &fx;
        async move {
            admin_call(
                app,
                fx,
                Method::POST,
                "/api/v1/matches",
                Some(&json!({"need_id": need, "capability_id": cap, "score": 0.7})),
            )
            .await
            .body["id"]
                .as_i64()
                .unwrap()
        }
    };
    let public = create_match("t-need-2", "t-cap-2").await;
    let secret = create_match("t-need-3", "t-cap-2").await;
    let moving = create_match("t-need-5", "t-cap-3").await;
    fx.match_public = public;
    fx.match_secret = secret;
    fx.match_moving = moving;
    confirm(app, &fx, public).await;
    admin_call(app, &fx, Method::POST, "/api/v1/program-items", Some(&json!({
        "code": "KT-2026-001", "kind": "key_technology", "title": "高牌号硅钢板形控制关键技术攻关",
        "field": "materials", "lead_org": "t-org-steel", "status": "started"
    }))).await;
    let a = admin_call(app, &fx, Method::POST, "/api/v1/agreements", Some(&json!({
        "match_id": public, "contract_type": "tech_development", "amount_wan": 260, "program_item": "KT-2026-001"
    }))).await;
    fx.agreement = a.body["id"].as_i64().unwrap();
    let c = app
        .call(
            Method::POST,
            "/api/v1/capabilities",
            fx.token("researcher_own"),
            Some(&cap_body(None, "本人发布的板形控制能力")),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    fx.own_cap = c.body["id"].as_str().unwrap().to_owned();
    admin_call(
        app,
        &fx,
        Method::POST,
        "/api/v1/alliances",
        Some(&json!({"code": "AL-1", "name": "碳化硅产业联盟", "clusters": ["sic_semiconductor"]})),
    )
    .await;
    admin_call(
        app,
        &fx,
        Method::POST,
        "/api/v1/alliances/AL-1/members",
        Some(&json!({"org": "t-org-steel"})),
    )
    .await;
    for (owner, slot) in [("member_own", 0), ("staff", 1)] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/webhooks",
                fx.token(owner),
                Some(&json!({"url": format!("{HOOK}/keep"), "events": ["match.state_changed"]})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        if slot == 0 {
            fx.hook_org = id;
        } else {
            fx.hook_staff = id;
        }
    }
    fx
}

/// Every (method, path) of the OpenAPI document.
async fn documented(app: &TestApp) -> BTreeSet<(String, String)> {
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in [
            "get", "post", "put", "patch", "delete", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                ops.insert((method.to_owned(), path.clone()));
            }
        }
    }
    ops
}

on_both_backends! {
    async fn every_endpoint_answers_exactly_the_allowed_roles(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let fx = fixture(&app).await;

        // Every documented operation has at least one row, and every row is documented.
        let doc = documented(&app).await;
        let covered: BTreeSet<(String, String)> = ROWS.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
        let missing: Vec<_> = doc.difference(&covered).collect();
        assert!(missing.is_empty(), "operations without a row in the permission matrix: {missing:?}");
        let stale: Vec<_> = covered.difference(&doc).collect();
        assert!(stale.is_empty(), "rows for undocumented operations: {stale:?}");

        let mut failures = Vec::new();
        for row in ROWS {
            for who in ROLES {
                let (method, path, body) = prepare(&app, &fx, row, who).await;
                let r = app.call(method.clone(), &path, fx.token(who), body.as_ref()).await;
                let allowed = row.allowed.contains(&who);
                let good = if allowed {
                    (200..300).contains(&r.status)
                } else if who == "anonymous" && !public_path(row) {
                    r.status == 401
                } else if row.seen_by.is_some_and(|s| !s.contains(&who)) {
                    r.status == 404
                } else if who == "anonymous" {
                    // A public path refusing a signed-out caller.
                    [401, 404].contains(&r.status)
                } else {
                    [403, 404].contains(&r.status)
                };
                if !good {
                    failures.push(format!(
                        "{} {} [{}] as {who}: expected {}, got {} {}",
                        row.method.to_uppercase(), row.path, row.case,
                        if allowed { "2xx" } else if row.seen_by.is_some_and(|s| !s.contains(&who)) { "404" } else { "refusal" },
                        r.status, r.body
                    ));
                }
                // Refusals are problem+json.
                if !allowed && r.status >= 400 {
                    assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"), "{method} {path} as {who}");
                }
            }
        }
        assert!(failures.is_empty(), "{} cells differ:\n{}", failures.len(), failures.join("\n"));
        app.stop().await;
    }

    async fn confidential_needs_are_invisible_through_every_read_path(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let fx = fixture(&app).await;
        app.wait_for_index().await;
        let secret_match = fx.match_secret.to_string();
        for who in ROLES {
            let sees = ["member_own", "staff", "admin"].contains(&who);
            let t = fx.token(who);
            let mut places = Vec::new();
            // Lists and detail.
            let r = app.call(Method::GET, "/api/v1/needs?per_page=100", t, None).await;
            ok(&r, "needs");
            places.push(("GET /needs", ids(&r.body).contains(&"t-need-3".to_owned())));
            let r = app.call(Method::GET, "/api/v1/needs?org=t-org-steel&per_page=100", t, None).await;
            places.push(("GET /needs?org=", ids(&r.body).contains(&"t-need-3".to_owned())));
            let r = app.call(Method::GET, "/api/v1/needs/t-need-3", t, None).await;
            assert!(r.status == 200 || r.status == 404, "{who}: {}", r.status);
            places.push(("GET /needs/t-need-3", r.status == 200));
            // Search.
            for q in ["新钢种", "钢种设计", ""] {
                let r = app.call(Method::GET, &format!("/api/v1/search?kind=need&per_page=100&q={q}"), t, None).await;
                ok(&r, "search");
                let hit = r.body["hits"].as_array().unwrap().iter().any(|h| h["id"] == "t-need-3");
                places.push((if q.is_empty() { "search browse" } else { "search" }, hit));
            }
            // Ranked needs for the capability: whether t-need-3 ranks at all
            // depends on relevance, so those who may see it get what staff
            // get, the others never get it.
            let ranked = |t: Option<&str>| {
                let t = t.map(str::to_owned);
                let app = &app;
                async move {
                    let r = app.call(Method::GET, "/api/v1/capabilities/t-cap-2/matches?top=100", t.as_deref(), None).await;
                    ok(&r, "capability matches");
                    r.body.to_string().contains("\"t-need-3\"")
                }
            };
            let staff_ranked = ranked(fx.token("staff")).await;
            let seen = ranked(t).await;
            if sees {
                assert_eq!(seen, staff_ranked, "{who}: ranked needs for t-cap-2");
            } else {
                places.push(("GET /capabilities/t-cap-2/matches", seen));
            }
            // Curation.
            if who != "anonymous" {
                let r = app.call(Method::GET, "/api/v1/matches?per_page=100", t, None).await;
                ok(&r, "matches");
                let listed = r.body["items"].as_array().unwrap().iter().any(|i| i["need"]["id"] == "t-need-3" || i["id"].as_i64() == Some(fx.match_secret));
                places.push(("GET /matches", listed));
                let r = app.call(Method::GET, &format!("/api/v1/matches/{secret_match}"), t, None).await;
                places.push(("GET /matches/{secret}", r.status == 200));
                if !sees {
                    assert_eq!(r.status, 404, "{who}: {}", r.body);
                }
            }
            // Exports.
            for file in ["needs.csv", "needs.xlsx", "matches.csv"] {
                let resp = app.client.get(app.url(&format!("/api/v1/exports/{file}")));
                let resp = match t { Some(t) => resp.bearer_auth(t), None => resp }.send().await.unwrap();
                if who == "anonymous" && file == "matches.csv" {
                    assert_eq!(resp.status().as_u16(), 401);
                    continue;
                }
                assert_eq!(resp.status().as_u16(), 200, "{file} as {who}");
                let bytes = resp.bytes().await.unwrap();
                let text = if file.ends_with(".xlsx") {
                    use calamine::Reader;
                    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
                    let name = book.sheet_names()[0].clone();
                    book.worksheet_range(&name).unwrap().rows().map(|r| r.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")).collect::<Vec<_>>().join("\n")
                } else {
                    String::from_utf8_lossy(&bytes).into_owned()
                };
                places.push((file, text.contains("t-need-3") || text.contains("保密：新钢种成分设计")));
            }
            let wrong: Vec<_> = places.iter().filter(|(_, seen)| *seen != sees).map(|(p, _)| *p).collect();
            assert!(wrong.is_empty(), "{who} {} t-need-3 through: {wrong:?}", if sees { "does not see" } else { "sees" });
        }
        app.stop().await;
    }
}
