//! The program-staff pages over HTTP, as a browser uses them: sign in
//! through the login form, work the curation queue, move a match to
//! confirmed through its form (with a stale form refused), record an
//! agreement (a wrong registration number first), and read the dashboard.

use crate::helpers::{Backend, TEST_PASSWORD, TestApp, add_token, add_user};
use crate::on_both_backends;
use duijie::domain::Role;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use std::collections::BTreeMap;

/// A signed-in browser: its cookies and the session's form token.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

/// What a page request answered.
struct Page {
    status: u16,
    location: Option<String>,
    html: String,
}

/// The value of the first hidden `csrf_token` field of a page.
fn csrf_of(html: &str) -> String {
    let key = r#"name="csrf_token" value=""#;
    let start = html.find(key).expect("a csrf_token field") + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The value of the hidden `version` field of a page.
fn version_of(html: &str) -> String {
    let key = r#"name="version" value=""#;
    let start = html.find(key).expect("a version field") + key.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The markup from the element with `id` on: a tile, or a table's first rows.
fn tile<'h>(html: &'h str, id: &str) -> &'h str {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[start..];
    // Up to the next tile, or about 600 bytes (on a character boundary).
    let mut end = rest.len().min(600);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    let end = rest[..end].find(r#"<div class="tile""#).unwrap_or(end);
    &rest[..end]
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    /// Signs in through `GET /login` and `POST /login`.
    async fn sign_in(app: &'a TestApp, username: &str) -> Browser<'a> {
        let mut b = Browser::new(app);
        let login = b.get("/login").await;
        assert_eq!(login.status, 200);
        assert!(b.cookies.contains_key("duijie_csrf"), "{:?}", b.cookies);
        let token = csrf_of(&login.html);
        let r = b
            .post(
                "/login",
                &[
                    ("csrf_token", token.as_str()),
                    ("username", username),
                    ("password", TEST_PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "sign-in of {username}: {}", r.html);
        assert!(b.cookies.contains_key("duijie_session"), "{:?}", b.cookies);
        // The session's own token is on every signed-in page (sign-out form).
        let home = b.get("/").await;
        assert_eq!(home.status, 200);
        b.csrf = csrf_of(&home.html);
        b
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut req = self.app.client.request(method, self.app.url(path));
        if !self.cookies.is_empty() {
            req = req.header(COOKIE, self.cookie_header());
        }
        if let Some(f) = form {
            req = req
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(f).unwrap());
        }
        let resp = req.send().await.expect("request");
        for c in resp.headers().get_all(SET_COOKIE) {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        let html = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            html,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }
}

/// API tokens of the fixture's users.
struct Tokens {
    staff: String,
    member: String,
}

/// Staff and an enterprise member, a program item and a manual match
/// between t-need-2 (t-org-steel, 太原, materials) and t-cap-2 (t-org-tyut).
async fn fixture(app: &TestApp) -> (i64, Tokens) {
    let staff_id = add_user(&app.db, "web_staff", Role::ProgramStaff, None).await;
    let member_id = add_user(
        &app.db,
        "web_member",
        Role::EnterpriseMember,
        Some("t-org-steel"),
    )
    .await;
    let token = add_token(&app.db, staff_id, None).await;
    let member = add_token(&app.db, member_id, None).await;
    let pi = app
        .call(
            Method::POST,
            "/api/v1/program-items",
            Some(&token),
            Some(&json!({
                "code": "KT-2026-088",
                "kind": "key_technology",
                "title": "硅钢板形控制关键技术攻关",
                "field": "materials",
                "lead_org": "t-org-steel",
                "status": "started"
            })),
        )
        .await;
    assert_eq!(pi.status, 201, "{}", pi.body);
    let m = app
        .call(
            Method::POST,
            "/api/v1/matches",
            Some(&token),
            Some(&json!({"need_id": "t-need-2", "capability_id": "t-cap-2", "score": 0.87})),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    (
        m.body["id"].as_i64().unwrap(),
        Tokens {
            staff: token,
            member,
        },
    )
}

on_both_backends! {
    async fn staff_take_a_match_to_an_agreement_through_the_pages(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (id, _) = fixture(&app).await;
        let mut staff = Browser::sign_in(&app, "web_staff").await;

        // The queue lists the match, with both sides, score and state.
        let q = staff.get("/queue").await;
        assert_eq!(q.status, 200, "{}", q.html);
        for text in ["高牌号无取向硅钢板形控制", "测试特钢集团有限公司", "冷轧板形闭环控制模型",
                     "测试理工大学", "0.870", "系统推荐", format!(r#"href="/matches/{id}""#).as_str()] {
            assert!(q.html.contains(text), "queue lacks {text}: {}", q.html);
        }
        let q = staff.get("/queue?sort=waiting&city=%E5%A4%AA%E5%8E%9F&field=materials").await;
        assert_eq!(q.status, 200);
        assert!(q.html.contains(&format!("/matches/{id}")), "{}", q.html);
        assert!(q.html.contains(r#"<option value="waiting" selected>"#), "the form keeps the sort");
        let q = staff.get("/queue?field=coal_chem").await;
        assert!(!q.html.contains(&format!("/matches/{id}\"")), "filtered out: {}", q.html);
        let q = staff.get("/queue?state=bogus").await;
        assert_eq!(q.status, 400);
        assert!(q.html.contains("未知的取值"), "{}", q.html);

        // Move it to confirmed, one form at a time.
        let first = staff.get(&format!("/matches/{id}")).await;
        assert_eq!(first.status, 200, "{}", first.html);
        let first_version = version_of(&first.html);
        let steps = [
            ("shortlisted", "入围", "初筛：需求与能力高度相关"),
            ("introduced", "已引荐", "已安排双方见面"),
            ("negotiating", "洽谈中", "双方商谈技术开发合同"),
            ("confirmed", "已确认合作", "双方同意开展技术开发合作"),
        ];
        for (to, label, note) in steps {
            let page = staff.get(&format!("/matches/{id}")).await;
            assert!(page.html.contains(&format!(r#"name="to" value="{to}""#)), "no button for {to}: {}", page.html);
            let version = version_of(&page.html);
            if to == "confirmed" {
                // Confirming needs a reason: 422, the API's message, the page again.
                let r = staff.post(&format!("/matches/{id}/transition"), &[
                    ("csrf_token", staff.csrf.clone().as_str()), ("version", &version), ("to", to), ("note", "  "),
                ]).await;
                assert_eq!(r.status, 422, "{}", r.html);
                assert!(r.html.contains("须说明理由"), "{}", r.html);
                assert!(r.html.contains("洽谈中"), "{}", r.html);
            }
            let csrf = staff.csrf.clone();
            let r = staff.post(&format!("/matches/{id}/transition"), &[
                ("csrf_token", csrf.as_str()), ("version", &version), ("to", to), ("note", note),
            ]).await;
            assert_eq!(r.status, 303, "→ {to}: {}", r.html);
            let back = r.location.unwrap();
            assert!(back.starts_with(&format!("/matches/{id}?")), "{back}");
            let shown = staff.get(&back).await;
            assert!(shown.html.contains(&format!("已将对接更新为「{label}」")), "{}", shown.html);
        }

        // A form read before all that is refused with the state as it is now.
        let csrf = staff.csrf.clone();
        let stale = staff.post(&format!("/matches/{id}/transition"), &[
            ("csrf_token", csrf.as_str()), ("version", &first_version), ("to", "rejected"), ("note", "过期的表单"),
        ]).await;
        assert_eq!(stale.status, 409, "{}", stale.html);
        assert!(stale.html.contains("该对接已被他人更新为「已确认合作」，请查看最新状态后再操作"), "{}", stale.html);

        // The audit history lists every step, who and why; the agreement link.
        let m = staff.get(&format!("/matches/{id}")).await;
        assert!(m.html.contains(r#"id="history""#));
        let history = &m.html[m.html.find(r#"id="history""#).unwrap()..];
        let mut at = 0;
        for (_, label, note) in steps {
            let found = history[at..].find(note).unwrap_or_else(|| panic!("history lacks {note}: {history}"));
            at += found;
            assert!(history.contains(&format!("→ {label}")), "{history}");
        }
        assert!(history.contains("web_staff"), "{history}");
        assert!(history.contains("系统推荐"), "{history}");
        assert!(m.html.contains(&format!(r#"href="/agreements/new?match={id}""#)), "{}", m.html);
        assert!(m.html.contains("登记合作协议"));
        assert!(!m.html.contains(r#"name="to""#), "a confirmed match offers no transitions");

        // Record the agreement: a wrong registration number first.
        let form = staff.get(&format!("/agreements/new?match={id}")).await;
        assert_eq!(form.status, 200, "{}", form.html);
        assert!(form.html.contains("高牌号无取向硅钢板形控制"));
        assert!(form.html.contains(r#"<option value="KT-2026-088""#), "{}", form.html);
        let csrf = staff.csrf.clone();
        let id_text = id.to_string();
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("match_id", id_text.as_str()),
            ("contract_type", "tech_development"),
            ("amount_wan", "320.5"),
            ("signing_date", "2026-05-08"),
            ("term_start", "2026-05-10"),
            ("term_end", "2027-05-09"),
            ("registration_no", "2026-14-01-888"),
            ("program_item", "KT-2026-088"),
            ("note", "首期技术开发合同 <第一期>"),
        ];
        let bad = staff.post("/agreements/new", &fields).await;
        assert_eq!(bad.status, 422, "{}", bad.html);
        assert!(bad.html.contains(r#"id="registration_no-error""#), "{}", bad.html);
        assert!(bad.html.contains("技术合同登记编号“2026-14-01-888”无效"), "{}", bad.html);
        for kept in [r#"value="320.5""#, r#"value="2026-05-08""#, r#"value="2027-05-09""#,
                     r#"value="2026-14-01-888""#, r#"<option value="tech_development" selected>"#,
                     r#"selected>KT-2026-088"#, "首期技术开发合同 &#60;第一期&#62;"] {
            assert!(bad.html.contains(kept), "lost {kept}: {}", bad.html);
        }
        assert!(bad.html.contains(r#"aria-invalid="true""#));
        // An amount that is no number is refused before the API is asked.
        fields[3] = ("amount_wan", "三百万");
        let bad = staff.post("/agreements/new", &fields).await;
        assert_eq!(bad.status, 422, "{}", bad.html);
        assert!(bad.html.contains(r#"id="amount_wan-error""#) && bad.html.contains("三百万"), "{}", bad.html);
        fields[3] = ("amount_wan", "320.5");
        fields[7] = ("registration_no", "20261401000888");
        let ok = staff.post("/agreements/new", &fields).await;
        assert_eq!(ok.status, 303, "{}", ok.html);
        let location = ok.location.unwrap();
        let aid: i64 = location.trim_start_matches("/agreements/").split('?').next().unwrap().parse().unwrap();
        let a = staff.get(&location).await;
        assert_eq!(a.status, 200, "{}", a.html);
        for text in ["技术合同已登记", "20261401000888", "技术开发", "320.5", "草稿",
                     "测试特钢集团有限公司", "测试理工大学", "KT-2026-088", "高牌号无取向硅钢板形控制"] {
            assert!(a.html.contains(text), "agreement page lacks {text}: {}", a.html);
        }
        // Its status moves on through its form.
        let csrf = staff.csrf.clone();
        let v = version_of(&a.html);
        let signed = staff.post(&format!("/agreements/{aid}/status"), &[
            ("csrf_token", csrf.as_str()), ("version", &v), ("to", "signed"), ("note", "已签字盖章"),
        ]).await;
        assert_eq!(signed.status, 303, "{}", signed.html);
        let a = staff.get(&signed.location.unwrap()).await;
        assert!(a.html.contains("合同状态已更新为「已签订」") && a.html.contains("已签字盖章"), "{}", a.html);
        let stale = staff.post(&format!("/agreements/{aid}/status"), &[
            ("csrf_token", csrf.as_str()), ("version", &v), ("to", "terminated"),
        ]).await;
        assert_eq!(stale.status, 409, "{}", stale.html);
        assert!(stale.html.contains("该合同已被他人更新为「已签订」"), "{}", stale.html);

        // The list shows it, with the export links.
        let list = staff.get("/agreements").await;
        assert_eq!(list.status, 200, "{}", list.html);
        for text in [format!(r#"href="/agreements/{aid}""#).as_str(), "20261401000888", "KT-2026-088", "已签订",
                     "/api/v1/exports/agreements.xlsx", "/api/v1/exports/agreements.csv"] {
            assert!(list.html.contains(text), "list lacks {text}: {}", list.html);
        }
        // The export link works with the page session.
        let csv = staff.get("/api/v1/exports/agreements.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.html.contains("20261401000888"), "{}", csv.html);

        // The dashboard counts it.
        let d = staff.get("/dashboard").await;
        assert_eq!(d.status, 200, "{}", d.html);
        let agreements = tile(&d.html, "kpi-agreements");
        assert!(agreements.contains("1 份") && agreements.contains("320.5"), "{agreements}");
        let kt = tile(&d.html, "kpi-key-technology");
        assert!(kt.contains("1 项") && kt.contains("目标 100 项"), "{kt}");
        // t-org-steel cooperates: 1 of the 2 above-scale enterprises.
        let cov = tile(&d.html, "kpi-above-scale");
        assert!(cov.contains("50%") && cov.contains("1 / 2"), "{cov}");
        assert!(d.html.contains("<svg") && d.html.contains(r#"role="img""#), "{}", d.html);
        assert_eq!(d.html.matches(r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img""#).count(), 3);
        let types = tile(&d.html, "table-types");
        assert!(types.contains("技术开发"), "{types}");
        assert!(d.html.contains("/api/v1/exports/kpis.xlsx") && d.html.contains("/api/v1/exports/needs.csv"));
        let d = staff.get("/dashboard?city=%E5%A4%AA%E5%8E%9F&field=materials").await;
        assert_eq!(d.status, 200, "{}", d.html);
        assert!(tile(&d.html, "kpi-agreements").contains("1 份"));
        app.stop().await;
    }

    async fn other_roles_visitors_and_forged_forms_are_refused(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (id, tokens) = fixture(&app).await;

        // Visitors are sent to sign in, and back afterwards.
        let mut visitor = Browser::new(&app);
        for path in ["/queue", "/dashboard", "/agreements", format!("/matches/{id}").as_str()] {
            let r = visitor.get(path).await;
            assert_eq!(r.status, 303, "{path}");
            assert!(r.location.as_deref().unwrap_or_default().starts_with("/login?next="), "{path}");
        }

        // An enterprise member gets readable 403 pages.
        let mut member = Browser::sign_in(&app, "web_member").await;
        let q = member.get("/queue").await;
        assert_eq!(q.status, 403, "{}", q.html);
        assert!(q.html.contains("对接队列仅供项目管理人员和系统管理员使用"), "{}", q.html);
        let d = member.get("/dashboard").await;
        assert_eq!(d.status, 403, "{}", d.html);
        assert!(d.html.contains("只有项目管理人员和管理员可以查看行动计划指标"), "{}", d.html);
        assert!(!d.html.contains("<svg"));
        let n = member.get(&format!("/agreements/new?match={id}")).await;
        assert_eq!(n.status, 403);
        // The API refuses the member's transition, whatever the form says.
        let page = member.get(&format!("/matches/{id}")).await;
        assert!(!page.html.contains(r#"name="to""#), "no transition form for members");
        let csrf = member.csrf.clone();
        let r = member.post(&format!("/matches/{id}/transition"), &[
            ("csrf_token", csrf.as_str()), ("version", "1"), ("to", "shortlisted"),
        ]).await;
        assert!(r.status == 403 || r.status == 404, "{}: {}", r.status, r.html);

        // Forms without the session's token are refused before anything happens.
        let mut staff = Browser::sign_in(&app, "web_staff").await;
        for (path, form) in [
            (format!("/matches/{id}/transition"), vec![("version", "1"), ("to", "shortlisted")]),
            (format!("/matches/{id}/transition"), vec![("csrf_token", "forged0000000000000000"), ("version", "1"), ("to", "shortlisted")]),
            ("/agreements/new".to_owned(), vec![("match_id", "1"), ("contract_type", "tech_service")]),
        ] {
            let r = staff.post(&path, &form).await;
            assert_eq!(r.status, 403, "{path}: {}", r.html);
            assert!(r.html.contains("表单已过期或来源不明"), "{}", r.html);
        }
        let still = staff.get(&format!("/matches/{id}")).await;
        assert!(still.html.contains(r#"id="match-state">系统推荐"#), "nothing moved: {}", still.html);
        let missing = staff.get("/matches/999999").await;
        assert_eq!(missing.status, 404);
        let junk = staff.get("/matches/abc").await;
        assert_eq!(junk.status, 404);

        // Titles are escaped on the pages.
        let need = app.call(Method::POST, "/api/v1/needs", Some(&tokens.member), Some(&json!({
            "title": "<script>alert(1)</script>板形仪",
            "description": "冷轧硅钢板形仪测量精度不足，希望与高校合作开发新的板形检测与闭环控制方法，提高板形合格率。",
            "field": "materials",
            "keywords": ["板形"],
            "cooperation": ["tech_development"]
        }))).await;
        assert_eq!(need.status, 201, "{}", need.body);
        let m = app.call(Method::POST, "/api/v1/matches", Some(&tokens.staff), Some(&json!({
            "need_id": need.body["id"], "capability_id": "t-cap-2", "score": 0.5
        }))).await;
        assert_eq!(m.status, 201, "{}", m.body);
        let q = staff.get("/queue").await;
        assert!(!q.html.contains("<script>alert(1)"), "{}", q.html);
        assert!(q.html.contains("&#60;script&#62;alert(1)&#60;/script&#62;板形仪"), "{}", q.html);
        app.stop().await;
    }
}
