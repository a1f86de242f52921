//! Who may write what, confidentiality through every read path, optimistic
//! concurrency, validation and advice on the write endpoints.

use crate::helpers::{Answer, Backend, TestApp, ids};
use crate::on_both_backends;
use duijie::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The actors of the matrix and their tokens (`None`: anonymous).
struct Actors {
    list: Vec<(&'static str, Option<String>)>,
}

impl Actors {
    async fn new(app: &TestApp) -> Actors {
        let mut list = vec![("anonymous", None)];
        for (name, role, org) in [
            // t-org-steel owns t-need-2 (public) and t-need-3 (confidential).
            ("member_own", Role::EnterpriseMember, Some("t-org-steel")),
            ("member_other", Role::EnterpriseMember, Some("t-org-coke")),
            ("researcher_own", Role::Researcher, Some("t-org-tyut")),
            ("researcher_colleague", Role::Researcher, Some("t-org-tyut")),
            ("researcher_other", Role::Researcher, Some("t-org-cas")),
            ("staff", Role::ProgramStaff, None),
            ("admin", Role::Admin, None),
        ] {
            list.push((name, Some(app.user_with_token(name, role, org).await)));
        }
        Actors { list }
    }

    fn token(&self, name: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, t)| t.as_deref())
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Asserts that a refusal is 401 for anonymous callers and 403/404 for
/// signed-in ones, as problem+json.
fn assert_refused(who: &str, r: &Answer, what: &str) {
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/problem+json"),
        "{what} by {who}: {}",
        r.body
    );
    if who == "anonymous" {
        assert_eq!((r.status, r.code()), (401, Some("unauthorized")), "{what}");
    } else {
        assert!(
            [403, 404].contains(&r.status),
            "{what} by {who}: {} {}",
            r.status,
            r.body
        );
    }
}

async fn version_of(app: &TestApp, admin: &str, path: &str) -> i64 {
    let r = app.call(Method::GET, path, Some(admin), None).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body["version"].as_i64().expect("version")
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

fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn hit_ids(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|h| h["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

on_both_backends! {
    async fn the_write_permission_matrix_is_exact(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let admin = actors.token("admin").expect("admin").to_owned();

        // POST /needs: each actor posts for their own organization, or (when
        // they have none) names t-org-steel; "member_other" tries to post for
        // t-org-steel, "researcher_other" for t-org-tyut.
        let mut allowed = BTreeSet::new();
        for (who, token) in &actors.list {
            let org = match *who {
                "staff" | "admin" | "anonymous" | "member_other" => Some("t-org-steel"),
                "researcher_other" => Some("t-org-tyut"),
                _ => None,
            };
            let r = app.call(Method::POST, "/api/v1/needs", token.as_deref(), Some(&need_body(org, &format!("需求 {who}")))).await;
            if r.status == 201 {
                assert_eq!(r.body["org"]["id"], "t-org-steel", "{who}");
                allowed.insert((*who).to_owned());
            } else {
                assert_refused(who, &r, "POST /needs");
            }
        }
        assert_eq!(allowed, set(&["member_own", "staff", "admin"]), "POST /needs");

        // PUT /needs/t-need-2 (t-org-steel, public).
        let mut allowed = BTreeSet::new();
        for (who, token) in &actors.list {
            let version = version_of(&app, &admin, "/api/v1/needs/t-need-2").await;
            let mut body = need_body(None, &format!("高牌号无取向硅钢板形控制（{who}）"));
            body["version"] = json!(version);
            let r = app.call(Method::PUT, "/api/v1/needs/t-need-2", token.as_deref(), Some(&body)).await;
            if r.status == 200 {
                assert_eq!(r.body["version"].as_i64(), Some(version + 1), "{who}");
                allowed.insert((*who).to_owned());
            } else {
                assert_refused(who, &r, "PUT /needs/t-need-2");
            }
        }
        assert_eq!(allowed, set(&["member_own", "staff", "admin"]), "PUT /needs/{{id}}");

        // POST /needs/{id}/close: on a fresh need of t-org-steel for each actor.
        let mut allowed = BTreeSet::new();
        for (who, token) in &actors.list {
            let created = app.call(Method::POST, "/api/v1/needs", Some(&admin), Some(&need_body(Some("t-org-steel"), "待关闭"))).await;
            assert_eq!(created.status, 201);
            let id = created.body["id"].as_str().expect("id").to_owned();
            let r = app
                .call(Method::POST, &format!("/api/v1/needs/{id}/close"), token.as_deref(), Some(&json!({"version": 1})))
                .await;
            if r.status == 200 {
                assert_eq!(r.body["status"], "closed");
                allowed.insert((*who).to_owned());
            } else {
                assert_refused(who, &r, "POST /needs/{id}/close");
                let still = app.call(Method::GET, &format!("/api/v1/needs/{id}"), Some(&admin), None).await;
                assert_eq!(still.body["status"], "open");
            }
        }
        assert_eq!(allowed, set(&["member_own", "staff", "admin"]), "close");

        // POST /capabilities: researchers for their own institution;
        // "researcher_other" tries to post for t-org-tyut.
        let mut allowed = BTreeSet::new();
        let mut own_cap = None;
        for (who, token) in &actors.list {
            let org = match *who {
                "staff" | "admin" | "anonymous" | "member_own" | "member_other" | "researcher_other" => Some("t-org-tyut"),
                _ => None,
            };
            let r = app.call(Method::POST, "/api/v1/capabilities", token.as_deref(), Some(&cap_body(org, &format!("能力 {who}")))).await;
            if r.status == 201 {
                assert_eq!(r.body["org"]["id"], "t-org-tyut", "{who}");
                if *who == "researcher_own" {
                    // The researcher's name defaults to the account's.
                    assert_eq!(r.body["researcher"], "researcher_own");
                    own_cap = r.body["id"].as_str().map(str::to_owned);
                }
                allowed.insert((*who).to_owned());
            } else {
                assert_refused(who, &r, "POST /capabilities");
            }
        }
        assert_eq!(
            allowed,
            set(&["researcher_own", "researcher_colleague", "staff", "admin"]),
            "POST /capabilities"
        );
        let own_cap = own_cap.expect("researcher_own posted a capability");

        // PUT /capabilities: the owner, staff and admins only — not a
        // colleague at the same institution, not the institution's imported
        // capabilities.
        for (path, expected) in [
            (format!("/api/v1/capabilities/{own_cap}"), set(&["researcher_own", "staff", "admin"])),
            ("/api/v1/capabilities/t-cap-2".to_owned(), set(&["staff", "admin"])),
        ] {
            let mut allowed = BTreeSet::new();
            for (who, token) in &actors.list {
                let version = version_of(&app, &admin, &path).await;
                let mut body = cap_body(None, &format!("冷轧板形闭环控制模型（{who}）"));
                body["version"] = json!(version);
                let r = app.call(Method::PUT, &path, token.as_deref(), Some(&body)).await;
                if r.status == 200 {
                    allowed.insert((*who).to_owned());
                } else {
                    assert_refused(who, &r, &format!("PUT {path}"));
                }
            }
            assert_eq!(allowed, expected, "PUT {path}");
        }

        // Confidential and draft records the caller cannot see are 404, not 403.
        let other = actors.token("member_other").expect("token");
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-3", Some(other), Some(&json!({"version": 1}))).await;
        assert_eq!((r.status, r.code()), (404, Some("not_found")));
        let r = app.call(Method::POST, "/api/v1/needs/t-need-3/close", Some(other), Some(&json!({"version": 1}))).await;
        assert_eq!(r.status, 404);
        let r = app
            .call(Method::PUT, "/api/v1/capabilities/t-cap-4", actors.token("researcher_other"), Some(&json!({"version": 1})))
            .await;
        assert_eq!(r.status, 404);
        app.stop().await;
    }

    async fn confidential_needs_are_visible_only_to_their_organization_and_staff(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        // A confidential need posted through the API as well as the imported one.
        let mut body = need_body(None, "保密：新型取向硅钢涂层");
        body["confidential"] = json!(true);
        let posted = app.call(Method::POST, "/api/v1/needs", actors.token("member_own"), Some(&body)).await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        let posted_id = posted.body["id"].as_str().expect("id").to_owned();
        app.wait_for_index().await;

        let sees = set(&["member_own", "staff", "admin"]);
        for (who, token) in &actors.list {
            let expect = sees.contains(*who);
            for id in ["t-need-3", posted_id.as_str()] {
                let list = app.call(Method::GET, "/api/v1/needs?per_page=100", token.as_deref(), None).await;
                assert_eq!(list.status, 200);
                assert_eq!(ids(&list.body).contains(&id.to_owned()), expect, "GET /needs by {who}: {id}");
                let one = app.call(Method::GET, &format!("/api/v1/needs/{id}"), token.as_deref(), None).await;
                assert_eq!(one.status, if expect { 200 } else { 404 }, "GET /needs/{id} by {who}");
                let by_org = app.call(Method::GET, "/api/v1/needs?org=t-org-steel&per_page=100", token.as_deref(), None).await;
                assert_eq!(ids(&by_org.body).contains(&id.to_owned()), expect, "?org= by {who}");
                let search = app
                    .call(Method::GET, "/api/v1/search?kind=need&field=materials&per_page=100", token.as_deref(), None)
                    .await;
                assert_eq!(search.status, 200, "{}", search.body);
                assert_eq!(hit_ids(&search.body).contains(&id.to_owned()), expect, "search by {who}: {id}");
                let q = app
                    .call(Method::GET, "/api/v1/search?kind=need&q=%E7%A1%85%E9%92%A2", token.as_deref(), None)
                    .await;
                assert_eq!(q.status, 200);
                if !expect {
                    assert!(!hit_ids(&q.body).contains(&id.to_owned()), "q=硅钢 by {who}: {id}");
                }
            }
        }
        app.stop().await;
    }

    async fn a_stale_version_is_a_409_with_the_current_record(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let member = app.user_with_token("m", Role::EnterpriseMember, Some("t-org-steel")).await;
        let before = app.call(Method::GET, "/api/v1/needs/t-need-2", Some(&member), None).await;
        let v = before.body["version"].as_i64().expect("version");

        let mut body = need_body(None, "第一次修改");
        body["version"] = json!(v);
        let first = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&body)).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(first.body["version"].as_i64(), Some(v + 1));

        // Another edit based on the same version loses.
        body["title"] = json!("第二次修改（基于旧版本）");
        let stale = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&body)).await;
        assert_eq!((stale.status, stale.code()), (409, Some("version_conflict")), "{}", stale.body);
        assert_eq!(stale.header("content-type").as_deref(), Some("application/problem+json"));
        assert_eq!(stale.body["current"]["id"], "t-need-2");
        assert_eq!(stale.body["current"]["title"], "第一次修改");
        assert_eq!(stale.body["current"]["version"].as_i64(), Some(v + 1));
        let close = app.call(Method::POST, "/api/v1/needs/t-need-2/close", Some(&member), Some(&json!({"version": v}))).await;
        assert_eq!((close.status, close.code()), (409, Some("version_conflict")));

        // The same content again is no change: the version stays.
        body["title"] = json!("第一次修改");
        body["version"] = json!(v + 1);
        let same = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&body)).await;
        assert_eq!(same.body["version"].as_i64(), Some(v + 1), "{}", same.body);

        // Capabilities too.
        let staff = app.user_with_token("s", Role::ProgramStaff, None).await;
        let cv = app.call(Method::GET, "/api/v1/capabilities/t-cap-1", Some(&staff), None).await.body["version"].as_i64().expect("version");
        let mut cap = cap_body(None, "ZnO基精脱硫吸附剂");
        cap["version"] = json!(cv);
        assert_eq!(app.call(Method::PUT, "/api/v1/capabilities/t-cap-1", Some(&staff), Some(&cap)).await.status, 200);
        let stale = app.call(Method::PUT, "/api/v1/capabilities/t-cap-1", Some(&staff), Some(&cap)).await;
        assert_eq!((stale.status, stale.code()), (409, Some("version_conflict")));
        assert_eq!(stale.body["current"]["version"].as_i64(), Some(cv + 1));

        // Two concurrent edits of one version: exactly one wins.
        let v = version_of(&app, &staff, "/api/v1/needs/t-need-2").await;
        let mut a = need_body(None, "并发修改 A");
        a["version"] = json!(v);
        let mut b2 = need_body(None, "并发修改 B");
        b2["version"] = json!(v);
        let (ra, rb) = tokio::join!(
            app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&a)),
            app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&staff), Some(&b2)),
        );
        let mut statuses = [ra.status, rb.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", ra.body, rb.body);
        app.stop().await;
    }

    async fn invalid_bodies_get_problems_naming_each_field(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let member = app.user_with_token("m", Role::EnterpriseMember, Some("t-org-coke")).await;
        let staff = app.user_with_token("s", Role::ProgramStaff, None).await;

        let r = app
            .call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({
                "title": "  ",
                "description": "说明",
                "field": "steel",
                "cooperation": ["barter"],
                "budget_wan": -5,
                "deadline": "2027-02-30",
                "status": "gone"
            })))
            .await;
        assert_eq!((r.status, r.code()), (422, Some("validation_failed")), "{}", r.body);
        let fields = error_fields(&r.body);
        for f in ["title", "field", "cooperation[0]", "budget_wan", "deadline", "status"] {
            assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
        }
        assert!(r.body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_ascii()));

        // Wrong types and unknown keys name their field too.
        let r = app.call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({"title": "t", "budget_wan": "很多"}))).await;
        assert_eq!((r.status, error_fields(&r.body)), (422, vec!["budget_wan".to_owned()]), "{}", r.body);
        let r = app.call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({"title": "t", "budget": 5}))).await;
        assert_eq!((r.status, error_fields(&r.body)), (422, vec!["budget".to_owned()]), "{}", r.body);

        // Staff must name an existing organization.
        let r = app.call(Method::POST, "/api/v1/needs", Some(&staff), Some(&need_body(None, "t"))).await;
        assert_eq!((r.status, error_fields(&r.body)), (422, vec!["org".to_owned()]));
        let r = app.call(Method::POST, "/api/v1/needs", Some(&staff), Some(&need_body(Some("t-org-none"), "t"))).await;
        assert_eq!((r.status, error_fields(&r.body)), (422, vec!["org".to_owned()]));

        // Edits need a version, and cannot move a need to another organization.
        let mut body = need_body(Some("t-org-steel"), "t");
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-1", Some(&member), Some(&body)).await;
        let fields = error_fields(&r.body);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(fields.contains(&"version".to_owned()) && fields.contains(&"org".to_owned()), "{fields:?}");
        body["org"] = json!("t-org-coke");
        body["version"] = json!(1);
        assert_eq!(app.call(Method::PUT, "/api/v1/needs/t-need-1", Some(&member), Some(&body)).await.status, 200);
        let r = app.call(Method::POST, "/api/v1/needs/t-need-1/close", Some(&member), Some(&json!({}))).await;
        assert_eq!((r.status, error_fields(&r.body)), (422, vec!["version".to_owned()]));

        let r = app
            .call(Method::POST, "/api/v1/capabilities", Some(&staff), Some(&json!({"org": "t-org-cas", "title": "t", "description": "d", "field": "coal_chem", "maturity": 12})))
            .await;
        assert_eq!((r.status, error_fields(&r.body)), (422, vec!["maturity".to_owned()]));

        // Malformed JSON and the wrong content type.
        let r = app
            .client
            .post(app.url("/api/v1/needs"))
            .bearer_auth(&member)
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .expect("send");
        let r = crate::helpers::answer(r).await;
        assert_eq!((r.status, r.code()), (400, Some("invalid_json")));
        assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"));
        let r = app
            .client
            .post(app.url("/api/v1/needs"))
            .bearer_auth(&member)
            .header("content-type", "text/plain")
            .body("title=x")
            .send()
            .await
            .expect("send");
        let r = crate::helpers::answer(r).await;
        assert_eq!((r.status, r.code()), (415, Some("unsupported_media_type")));
        app.stop().await;
    }

    async fn a_terse_need_gets_advice_and_a_complete_one_none(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let member = app.user_with_token("m", Role::EnterpriseMember, Some("t-org-coke")).await;
        let r = app
            .call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({
                "title": "设备改造",
                "description": "设备老化，想改造一下。",
                "field": "equipment"
            })))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.header("location").is_some_and(|l| l.ends_with(r.body["id"].as_str().unwrap_or("?"))));
        assert!(r.body["id"].as_str().is_some_and(|id| id.starts_with("need-") && id.len() == 17), "{}", r.body["id"]);
        let codes: Vec<&str> = r.body["advice"].as_array().expect("advice").iter().filter_map(|a| a["code"].as_str()).collect();
        assert_eq!(codes, ["description_too_short", "no_figures", "no_technology_term", "no_cooperation_mode"]);
        assert!(r.body["advice"][0]["message"].as_str().is_some_and(|m| !m.is_ascii()));
        assert!(r.body["advice"][0]["message_en"].is_string());

        let r = app
            .call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({
                "title": "焦炉煤气精脱硫剂寿命短",
                "description": "焦炉煤气经湿法脱硫后进入精脱硫工段，精脱硫剂更换周期由一年缩短到四个月，出口硫化氢经常超过 20 mg/m³。希望把吸附剂寿命延长到一年以上，出口总硫稳定低于 0.1 ppm，并给出再生或更换方案与经济性评估。",
                "field": "coal_chem",
                "cooperation": ["tech_development"]
            })))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["advice"], json!([]), "{}", r.body);

        // Edits get advice as well.
        let id = r.body["id"].as_str().expect("id").to_owned();
        let r = app
            .call(Method::PUT, &format!("/api/v1/needs/{id}"), Some(&member), Some(&json!({
                "title": "精脱硫",
                "description": "精脱硫剂寿命短。",
                "field": "coal_chem",
                "cooperation": ["tech_development"],
                "version": 1
            })))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let codes: Vec<&str> = r.body["advice"].as_array().expect("advice").iter().filter_map(|a| a["code"].as_str()).collect();
        assert_eq!(codes, ["description_too_short", "no_figures"]);
        app.stop().await;
    }

    async fn a_posted_need_is_found_by_search(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let member = app.user_with_token("m", Role::EnterpriseMember, Some("t-org-coke")).await;
        app.wait_for_index().await;
        let r = app
            .call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({
                "title": "焦炉上升管荒煤气余热回收",
                "description": "焦炉上升管荒煤气温度约 800 ℃，余热没有回收，希望采用上升管换热器产生蒸汽。",
                "field": "coal_chem",
                "cooperation": ["tech_development"]
            })))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        let path = "/api/v1/search?kind=need&q=%E4%B8%8A%E5%8D%87%E7%AE%A1";
        let started = Instant::now();
        loop {
            let (status, body) = app.get_json(path).await;
            if status == 200 && hit_ids(&body).contains(&id) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "not found by search: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // An edit is searchable too (and the old text no longer matches).
        let mut body = need_body(None, "焦炉烟气脱硝催化剂");
        body["version"] = json!(1);
        let r = app.call(Method::PUT, &format!("/api/v1/needs/{id}"), Some(&member), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let started = Instant::now();
        loop {
            let (_, body) = app.get_json(path).await;
            if !hit_ids(&body).contains(&id) {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "edit not indexed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.stop().await;
    }
}
