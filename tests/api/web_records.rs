//! The record pages over HTTP, as a browser uses them: need, capability
//! and provider pages, the posting and edit forms (422 with the typed
//! values kept, 409 on a stale edit), CSRF refusals, confidentiality and
//! interest.

use crate::helpers::{Backend, TEST_PASSWORD, TestApp, add_user};
use crate::on_both_backends;
use duijie::domain::Role;
use reqwest::Method;
use std::collections::BTreeMap;

/// A browser: cookies kept by hand (the client has no cookie store), no
/// redirects followed.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Page {
    /// The CSRF token of the page's last form (the first one may be the
    /// sign-out form of the header; both carry the same token).
    fn csrf(&self) -> String {
        let key = "name=\"csrf_token\" value=\"";
        let at = self.body.rfind(key).expect("a form with a csrf token") + key.len();
        let rest = &self.body[at..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    fn assert_chinese_page(&self) {
        assert!(
            self.body.contains("<html lang=\"zh-CN\">"),
            "not a zh-CN page: {}",
            &self.body[..self.body.len().min(300)]
        );
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
        }
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
            req = req.header("cookie", self.cookie_header());
        }
        if let Some(f) = form {
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(f).unwrap());
        }
        let resp = req.send().await.expect("request");
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }

    /// Fetches `path` and posts `fields` with the page's CSRF token.
    async fn submit(&mut self, path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        let token = page.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in through the login form.
    async fn sign_in(app: &'a TestApp, username: &str) -> Browser<'a> {
        // First try: a visitor's CSRF cookie must be taken back as it was
        // set (a base64url token once failed here three times in four).
        let mut b = Browser::new(app);
        let login = b.get("/login").await;
        assert_eq!(login.status, 200);
        login.assert_chinese_page();
        let token = login.csrf();
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
        assert_eq!(r.status, 303, "login of {username}: {}", r.body);
        assert!(b.cookies.contains_key("duijie_session"));
        b
    }
}

async fn users(app: &TestApp) {
    for (name, role, org) in [
        ("member_coke", Role::EnterpriseMember, Some("t-org-coke")),
        ("member_steel", Role::EnterpriseMember, Some("t-org-steel")),
        ("researcher_cas", Role::Researcher, Some("t-org-cas")),
        ("researcher_tyut", Role::Researcher, Some("t-org-tyut")),
        ("staff", Role::ProgramStaff, None),
    ] {
        add_user(&app.db, name, role, org).await;
    }
}

fn need_id_of(location: &str) -> String {
    location
        .strip_prefix("/needs/")
        .and_then(|r| r.split('?').next())
        .expect("a need page")
        .to_owned()
}

on_both_backends! {
    async fn posting_a_need_through_the_form_keeps_input_and_reports_each_field(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        users(&app).await;
        // Not signed in: sent to the login page, and back afterwards.
        let mut visitor = Browser::new(&app);
        let r = visitor.get("/needs/new").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.location.as_deref(), Some("/login?next=%2Fneeds%2Fnew"));

        let mut web = Browser::sign_in(&app, "member_coke").await;
        let form = web.get("/needs/new").await;
        assert_eq!(form.status, 200);
        form.assert_chinese_page();
        assert!(form.body.contains("<title>发布技术需求"), "{}", form.body);
        assert!(form.body.contains("for=\"f-budget_wan\""));
        let description = "焦化废水经生化处理后COD仍在120mg/L左右，回用于循环水时结垢严重，希望找到深度处理和膜法回用的成熟方案，吨水成本控制在5元以内。";
        let mut fields = vec![
            ("title", "焦化废水深度处理与回用 <急>"),
            ("description", description),
            ("field", "coal_chem"),
            ("keywords", "焦化废水，COD、回用 膜处理"),
            ("cooperation", "tech_development"),
            ("cooperation", "tech_service"),
            ("budget_wan", "-5"),
            ("deadline", "2027-06-30"),
            ("status", "open"),
        ];
        let refused = web.submit("/needs/new", "/needs/new", &fields).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        refused.assert_chinese_page();
        let html = &refused.body;
        // The summary, the message beside the input, and the input marked.
        assert!(html.contains("提交的内容未通过校验"), "{html}");
        assert!(html.contains("<p class=\"field-error\" id=\"e-budget_wan\">预算应在 0 到"), "{html}");
        assert!(html.contains("aria-describedby=\"h-budget_wan e-budget_wan\" aria-invalid=\"true\""), "{html}");
        // Everything typed is still there (escaped).
        assert!(html.contains("value=\"焦化废水深度处理与回用 &#60;急&#62;\""), "{html}");
        assert!(html.contains(description));
        assert!(html.contains("value=\"焦化废水，COD、回用 膜处理\""));
        assert!(html.contains("value=\"-5\""));
        assert!(html.contains("value=\"2027-06-30\""));
        assert!(html.contains("value=\"coal_chem\" selected"));
        assert!(html.contains("value=\"tech_development\" checked"));
        assert!(html.contains("value=\"tech_service\" checked"));
        assert!(!html.contains("value=\"tech_transfer\" checked"));
        // A budget that is not a number gets the page's own message.
        fields[6] = ("budget_wan", "三百");
        let refused = web.submit("/needs/new", "/needs/new", &fields).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("预算应填写数字"), "{}", refused.body);
        assert!(refused.body.contains("value=\"三百\""));

        fields[6] = ("budget_wan", "80");
        let posted = web.submit("/needs/new", "/needs/new", &fields).await;
        assert_eq!(posted.status, 303, "{}", posted.body);
        let location = posted.location.unwrap();
        assert!(location.contains("done=posted"), "{location}");
        let id = need_id_of(&location);
        let page = web.get(&location).await;
        assert_eq!(page.status, 200);
        page.assert_chinese_page();
        assert!(page.body.contains("发布成功"));
        assert!(page.body.contains("焦化废水深度处理与回用 &#60;急&#62;"));
        assert!(page.body.contains("80 万元"));
        assert!(page.body.contains("技术开发"));
        assert!(page.body.contains(&format!("href=\"/needs/{id}/edit\"")), "owner may edit");
        assert!(!page.body.contains("<急>"), "escaped");
        // As the API sees it: keywords split, modes kept.
        let (status, need) = app.get_json(&format!("/api/v1/needs/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(need["keywords"], serde_json::json!(["焦化废水", "COD", "回用", "膜处理"]));
        assert_eq!(need["cooperation"], serde_json::json!(["tech_development", "tech_service"]));
        assert_eq!(need["budget_wan"], 80.0);

        // Editing: the form shows the saved values and the version.
        let edit_path = format!("/needs/{id}/edit");
        let edit = web.get(&edit_path).await;
        assert_eq!(edit.status, 200);
        edit.assert_chinese_page();
        assert!(edit.body.contains("name=\"version\" value=\"1\""), "{}", edit.body);
        assert!(edit.body.contains("value=\"焦化废水，COD，回用，膜处理\""));
        let token = edit.csrf();
        let mut changed = vec![("csrf_token", token.as_str()), ("version", "1")];
        changed.extend_from_slice(&fields);
        changed[2] = ("title", "焦化废水深度处理（已修改）");
        let saved = web.post(&edit_path, &changed).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert!(saved.location.unwrap().contains("done=saved"));
        // The same stale form again: 409, someone else's version shown, the
        // typed values kept, and the new version ready for a resubmit.
        changed[2] = ("title", "另一种说法");
        let stale = web.post(&edit_path, &changed).await;
        assert_eq!(stale.status, 409, "{}", stale.body);
        assert!(stale.body.contains("该需求已被他人修改"));
        assert!(stale.body.contains("焦化废水深度处理（已修改）"), "current values shown");
        assert!(stale.body.contains("value=\"另一种说法\""), "typed value kept");
        assert!(stale.body.contains("name=\"version\" value=\"2\""));
        changed[1] = ("version", "2");
        let resubmitted = web.post(&edit_path, &changed).await;
        assert_eq!(resubmitted.status, 303, "{}", resubmitted.body);
        let (_, need) = app.get_json(&format!("/api/v1/needs/{id}")).await;
        assert_eq!(need["title"], "另一种说法");

        // Another enterprise may not edit it.
        let mut other = Browser::sign_in(&app, "member_steel").await;
        let r = other.get(&edit_path).await;
        assert_eq!(r.status, 403);
        app.stop().await;
    }

    async fn forms_without_the_right_csrf_token_change_nothing(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        users(&app).await;
        let count = |body: serde_json::Value| body["total"].as_u64().unwrap();
        let (_, before) = app.get_json("/api/v1/needs?org=t-org-coke").await;
        let mut web = Browser::sign_in(&app, "member_coke").await;
        let fields = [
            ("title", "不应保存的需求"),
            ("description", "描述"),
            ("field", "coal_chem"),
        ];
        let missing = web.post("/needs/new", &fields).await;
        assert_eq!(missing.status, 403);
        missing.assert_chinese_page();
        assert!(missing.body.contains("表单已过期或来源不明"));
        let mut wrong = vec![("csrf_token", "not-the-token")];
        wrong.extend_from_slice(&fields);
        assert_eq!(web.post("/needs/new", &wrong).await.status, 403);
        let edit = [("csrf_token", "not-the-token"), ("version", "1"), ("title", "改掉"), ("description", "x"), ("field", "coal_chem")];
        assert_eq!(web.post("/needs/t-need-1/edit", &edit).await.status, 403);
        let (_, after) = app.get_json("/api/v1/needs?org=t-org-coke").await;
        assert_eq!(count(before), count(after));
        let (_, need) = app.get_json("/api/v1/needs/t-need-1").await;
        assert_eq!(need["title"], "焦炉煤气精脱硫剂寿命短");

        let mut researcher = Browser::sign_in(&app, "researcher_cas").await;
        let r = researcher
            .post("/needs/t-need-1/interest", &[("capability_id", "t-cap-1")])
            .await;
        assert_eq!(r.status, 403);
        let r = researcher
            .post("/capabilities/new", &[("csrf_token", "x"), ("title", "t")])
            .await;
        assert_eq!(r.status, 403);
        let staff = app.user_with_token("staff_reader", Role::ProgramStaff, None).await;
        let matches = app.call(Method::GET, "/api/v1/matches", Some(&staff), None).await;
        assert_eq!(matches.body["total"], 0, "no interest recorded");
        app.stop().await;
    }

    async fn a_confidential_need_is_invisible_to_another_organization(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        users(&app).await;
        app.wait_for_index().await;
        let title = "新钢种成分设计";
        let mut other = Browser::sign_in(&app, "member_coke").await;
        let page = other.get("/needs/t-need-3").await;
        assert_eq!(page.status, 404);
        page.assert_chinese_page();
        assert!(!page.body.contains(title));
        let matches = other.get("/needs/t-need-3/edit").await;
        assert_eq!(matches.status, 404);
        assert!(!matches.body.contains(title));
        for q in ["/search?q=%E9%92%A2%E7%A7%8D%E8%AE%BE%E8%AE%A1&kind=need", "/search?kind=need&field=materials", "/search?kind=need"] {
            let search = other.get(q).await;
            assert_eq!(search.status, 200);
            assert!(!search.body.contains(title), "{q}");
            assert!(!search.body.contains("t-need-3"), "{q}");
        }
        // Interest on it is refused as if it did not exist.
        let mut researcher = Browser::sign_in(&app, "researcher_tyut").await;
        let r = researcher
            .submit("/needs/t-need-2", "/needs/t-need-3/interest", &[("capability_id", "t-cap-2")])
            .await;
        assert_eq!(r.status, 404);
        assert!(!r.body.contains(title));

        // Its own organization sees it, marked confidential, and may edit it.
        let mut owner = Browser::sign_in(&app, "member_steel").await;
        let page = owner.get("/needs/t-need-3").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(title));
        assert!(page.body.contains(">保密</span>"));
        assert!(page.body.contains("href=\"/needs/t-need-3/edit\""));
        // So do the staff.
        let mut staff = Browser::sign_in(&app, "staff").await;
        assert_eq!(staff.get("/needs/t-need-3").await.status, 200);
        app.stop().await;
    }

    async fn a_researcher_expresses_interest_through_the_need_page(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        users(&app).await;
        app.wait_for_index().await;
        let mut web = Browser::sign_in(&app, "researcher_cas").await;
        let page = web.get("/needs/t-need-1").await;
        assert_eq!(page.status, 200);
        page.assert_chinese_page();
        let html = &page.body;
        // Details by name, ranked capabilities with reasons, providers.
        assert!(html.contains("焦炉煤气精脱硫剂寿命短"));
        assert!(html.contains("300 万元"));
        assert!(html.contains("2027-06-30"));
        assert!(html.contains("现代煤化工"));
        assert!(html.contains("匹配的科研能力"));
        assert!(html.contains("href=\"/capabilities/t-cap-1\""), "{html}");
        assert!(html.contains("ZnO基H2S/COS吸附剂"));
        assert!(html.contains("匹配得分"));
        assert!(html.contains("<td>精脱硫</td>"), "matched term listed: {html}");
        assert!(html.contains("在本需求中") && html.contains("在该能力中"));
        assert!(html.contains("领域相同（现代煤化工）"));
        assert!(html.contains("TRL 7"));
        assert!(html.contains("共同的合作方式：技术开发"));
        assert!(html.contains("文本相关度"));
        assert!(html.contains("候选合作单位"));
        assert!(html.contains("href=\"/providers/t-org-cas\""));
        assert!(!html.contains("href=\"/needs/t-need-1/edit\""), "researchers do not edit needs");
        // The interest form offers the researcher's own capabilities only.
        assert!(html.contains("表达合作意向"));
        assert!(html.contains("<option value=\"t-cap-1\""));
        assert!(!html.contains("<option value=\"t-cap-2\""));

        // Nothing chosen: the API's message, shown on the page.
        let r = web.submit("/needs/t-need-1", "/needs/t-need-1/interest", &[("capability_id", "")]).await;
        assert_eq!(r.status, 422, "{}", r.body);
        r.assert_chinese_page();
        assert!(r.body.contains("须指定本单位的科研能力"), "{}", r.body);
        assert!(r.body.contains("id=\"e-capability_id\""));

        let r = web
            .submit("/needs/t-need-1", "/needs/t-need-1/interest", &[("capability_id", "t-cap-1"), ("note", "可先做小试")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let location = r.location.unwrap();
        assert!(location.starts_with("/needs/t-need-1?done=interest"), "{location}");
        let done = web.get(&location).await;
        assert!(done.body.contains("已表达合作意向，项目管理人员将跟进"));
        let staff = app.user_with_token("staff_reader", Role::ProgramStaff, None).await;
        let matches = app.call(Method::GET, "/api/v1/matches", Some(&staff), None).await;
        let items = matches.body["items"].as_array().unwrap();
        assert!(
            items.iter().any(|m| m["need"]["id"] == "t-need-1"
                && m["capability"]["id"] == "t-cap-1"
                && m["origin"] == "interest"),
            "{:?}",
            matches.body
        );
        // Asking again is no error; the page says it was already asked.
        let again = web
            .submit("/needs/t-need-1", "/needs/t-need-1/interest", &[("capability_id", "t-cap-1")])
            .await;
        assert_eq!(again.status, 303);
        assert!(again.location.unwrap().contains("done=interest_again"));

        // A researcher of another institution naming this capability: the
        // API's refusal, readable, with the form kept.
        let mut other = Browser::sign_in(&app, "researcher_tyut").await;
        let r = other
            .submit("/needs/t-need-1", "/needs/t-need-1/interest", &[("capability_id", "t-cap-1"), ("note", "试试")])
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("只有该能力所属单位的科研人员"), "{}", r.body);
        assert!(r.body.contains(">试试</textarea>"));

        // An enterprise member, from the capability page, for its own need.
        let mut member = Browser::sign_in(&app, "member_coke").await;
        // (On a need page an enterprise is offered no form; a crafted post
        // is refused by the API and the refusal shown at the top.)
        let r = member
            .submit("/needs/t-need-2", "/needs/t-need-2/interest", &[("capability_id", "t-cap-1")])
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("id=\"interest-error\""), "{}", r.body);
        assert!(r.body.contains("只有该能力所属单位的科研人员"));
        let cap = member.get("/capabilities/t-cap-1").await;
        assert_eq!(cap.status, 200);
        cap.assert_chinese_page();
        assert!(cap.body.contains("匹配的技术需求"));
        assert!(cap.body.contains("href=\"/needs/t-need-1\""));
        assert!(cap.body.contains("在本能力中"));
        assert!(cap.body.contains("<option value=\"t-need-1\""));
        assert!(!cap.body.contains("<option value=\"t-need-2\""));
        let r = member
            .submit("/capabilities/t-cap-1", "/capabilities/t-cap-1/interest", &[("need_id", "t-need-1")])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert!(r.location.unwrap().starts_with("/capabilities/t-cap-1?done=interest"));
        app.stop().await;
    }

    async fn every_record_page_is_a_chinese_page(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        users(&app).await;
        app.wait_for_index().await;
        let mut visitor = Browser::new(&app);
        for path in ["/needs/t-need-1", "/capabilities/t-cap-1", "/providers/t-org-cas", "/providers/t-org-tyut"] {
            let page = visitor.get(path).await;
            assert_eq!(page.status, 200, "{path}");
            page.assert_chinese_page();
            if !path.starts_with("/providers") {
                assert!(page.body.contains("登录</a>后可以"), "{path}: sign-in hint");
            }
        }
        let provider = visitor.get("/providers/t-org-tyut").await;
        assert!(provider.body.contains("测试理工大学"));
        assert!(provider.body.contains("href=\"/capabilities/t-cap-2\""));
        assert!(!provider.body.contains("t-cap-4"), "drafts are not listed");
        assert!(provider.body.contains("高校"));
        for path in ["/needs/nope", "/capabilities/nope", "/providers/nope"] {
            let page = visitor.get(path).await;
            assert_eq!(page.status, 404, "{path}");
            page.assert_chinese_page();
        }
        assert_eq!(visitor.get("/capabilities/new").await.status, 303);

        // Staff post a capability for an organization they choose.
        let mut staff = Browser::sign_in(&app, "staff").await;
        for path in ["/needs/new", "/capabilities/new", "/needs/t-need-1/edit", "/capabilities/t-cap-1/edit"] {
            let page = staff.get(path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            page.assert_chinese_page();
        }
        let form = staff.get("/capabilities/new").await;
        assert!(form.body.contains("<option value=\"t-org-cas\""), "org select");
        let fields = [
            ("title", "焦化废水膜法深度处理"),
            ("researcher", "水处理团队"),
            ("description", "纳滤与反渗透组合工艺，焦化废水回用率 80%。"),
            ("field", "coal_chem"),
            ("keywords", "焦化废水、膜法"),
            ("cooperation", "tech_transfer"),
            ("maturity", "6"),
            ("status", "published"),
        ];
        let refused = staff.submit("/capabilities/new", "/capabilities/new", &fields).await;
        assert_eq!(refused.status, 422, "no organization chosen");
        assert!(refused.body.contains("id=\"e-org\""), "{}", refused.body);
        assert!(refused.body.contains("value=\"6\" selected"));
        let mut with_org = fields.to_vec();
        with_org.push(("org", "t-org-cas"));
        let posted = staff.submit("/capabilities/new", "/capabilities/new", &with_org).await;
        assert_eq!(posted.status, 303, "{}", posted.body);
        let location = posted.location.unwrap();
        let page = staff.get(&location).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("发布成功"));
        assert!(page.body.contains("焦化废水膜法深度处理"));
        assert!(page.body.contains("TRL 6"));
        assert!(page.body.contains("水处理团队"));

        // Researchers post for their own institution (no organization to
        // choose) and edit what they posted.
        let mut researcher = Browser::sign_in(&app, "researcher_cas").await;
        let form = researcher.get("/capabilities/new").await;
        assert!(!form.body.contains("id=\"f-org\""), "no org select for researchers");
        let posted = researcher
            .submit("/capabilities/new", "/capabilities/new", &fields)
            .await;
        assert_eq!(posted.status, 303, "{}", posted.body);
        let location = posted.location.unwrap();
        let id = location
            .strip_prefix("/capabilities/")
            .and_then(|r| r.split('?').next())
            .unwrap()
            .to_owned();
        let edit_path = format!("/capabilities/{id}/edit");
        let mut edited = fields.to_vec();
        edited[0] = ("title", "焦化废水膜法深度处理（第二版）");
        edited.push(("version", "1"));
        let saved = researcher.submit(&edit_path, &edit_path, &edited).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let page = researcher.get(&saved.location.unwrap()).await;
        assert!(page.body.contains("修改已保存"));
        assert!(page.body.contains("焦化废水膜法深度处理（第二版）"));
        // A capability of the institution someone else posted: the page
        // offers the form, the API refuses the edit, the form is kept.
        let refused = researcher
            .submit("/capabilities/t-cap-1/edit", "/capabilities/t-cap-1/edit", &edited)
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("无权修改该科研能力"));
        assert!(refused.body.contains("value=\"焦化废水膜法深度处理（第二版）\""));
        // Researchers cannot post needs; enterprises cannot post capabilities.
        assert_eq!(researcher.get("/needs/new").await.status, 403);
        let mut member = Browser::sign_in(&app, "member_coke").await;
        assert_eq!(member.get("/capabilities/new").await.status, 403);
        app.stop().await;
    }
}
