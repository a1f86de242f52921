//! Agreements and program items through the API: the whole flow from a
//! posted need to a registered contract, validation, status rules, filters
//! and permissions.

use crate::curation::{Actors, confirm, set, suggest};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use duijie::storage::repo::{capabilities, matches, needs};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn item_body(code: &str) -> Value {
    json!({
        "code": code,
        "kind": "key_technology",
        "title": "高牌号硅钢板形控制关键技术攻关",
        "field": "materials",
        "lead_org": "t-org-steel",
        "status": "started",
        "target": "成材率由 82% 提高到 90% 以上"
    })
}

fn agreement_body(match_id: i64) -> Value {
    json!({
        "match_id": match_id,
        "contract_type": "tech_development",
        "amount_wan": 260.0,
        "signing_date": "2026-03-01",
        "term_start": "2026-03-01",
        "term_end": "2027-02-28",
        "program_item": "KT-2026-001",
        "note": "首期合作"
    })
}

fn numeric_ids(body: &Value) -> BTreeSet<i64> {
    body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

on_both_backends! {
    async fn a_posted_need_becomes_a_registered_contract_through_the_api(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let member = actors.token("member_steel").unwrap().to_owned();
        let researcher = actors.token("researcher_tyut").unwrap().to_owned();

        // An enterprise posts a need, a researcher a capability.
        let need = app.call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({
            "title": "取向硅钢高温退火后底层附着性差",
            "description": "取向硅钢经高温退火后硅酸镁底层附着性差，涂层脱落率约 3%，希望降到 0.5% 以下，需要氧化镁涂液配方和退火工艺优化方案。",
            "field": "materials",
            "keywords": ["取向硅钢", "底层附着性"],
            "cooperation": ["tech_development"],
            "budget_wan": 300
        }))).await;
        assert_eq!(need.status, 201, "{}", need.body);
        let need_id = need.body["id"].as_str().unwrap().to_owned();
        let cap = app.call(Method::POST, "/api/v1/capabilities", Some(&researcher), Some(&json!({
            "title": "取向硅钢氧化镁涂层与底层形成机理",
            "description": "研究取向硅钢高温退火过程中硅酸镁底层的形成机理，开发了氧化镁涂液配方，底层附着性显著提高，已在中试线验证。",
            "field": "materials",
            "keywords": ["取向硅钢", "氧化镁涂层"],
            "cooperation": ["tech_development"],
            "maturity": 6
        }))).await;
        assert_eq!(cap.status, 201, "{}", cap.body);
        let cap_id = cap.body["id"].as_str().unwrap().to_owned();

        // `duijie suggest` stores the suggestion; staff take it to confirmed.
        let n = needs::get(&app.db, &need_id).await.unwrap().unwrap();
        let c = capabilities::get(&app.db, &cap_id).await.unwrap().unwrap();
        matches::insert_suggestions(&app.db, n.id, &[(c.id, 0.87)], chrono::Utc::now()).await.unwrap();
        let queue = app.call(Method::GET, "/api/v1/matches?field=materials", Some(&staff), None).await;
        let item = queue.body["items"].as_array().unwrap().iter().find(|i| i["need"]["id"] == need_id.as_str()).cloned().unwrap();
        assert_eq!(item["capability"]["id"], cap_id.as_str());
        let match_id = item["id"].as_i64().unwrap();
        // An agreement needs a confirmed match.
        let early = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&agreement_body(match_id))).await;
        assert_eq!(early.status, 422);
        confirm(&app, &staff, match_id).await;

        // Staff record the agreement against a program item.
        let created = app.call(Method::POST, "/api/v1/program-items", Some(&staff), Some(&item_body("KT-2026-001"))).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.body["lead_org"]["id"], "t-org-steel");
        let a = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&agreement_body(match_id))).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let aid = a.body["id"].as_i64().unwrap();
        assert_eq!(a.header("location"), Some(format!("/api/v1/agreements/{aid}")));
        assert_eq!(a.body["match_id"].as_i64(), Some(match_id));
        assert_eq!(a.body["party_a"]["id"], "t-org-steel");
        assert_eq!(a.body["party_b"]["id"], "t-org-tyut");
        assert_eq!((a.body["status"].as_str(), a.body["contract_type_zh"].as_str()), (Some("draft"), Some("技术开发")));
        assert_eq!(a.body["program_item"], "KT-2026-001");
        assert_eq!(a.body["amount_wan"].as_f64(), Some(260.0));

        // draft → signed → registered, each on the version read.
        let signed = app.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), Some(&staff), Some(&json!({"to": "signed", "version": 1}))).await;
        assert_eq!((signed.status, signed.body["status"].as_str()), (200, Some("signed")), "{}", signed.body);
        let reg = app.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), Some(&staff), Some(&json!({
            "to": "registered", "version": 2, "registration_no": "20261401000123", "note": "已在省技术市场登记"
        }))).await;
        assert_eq!((reg.status, reg.body["status"].as_str()), (200, Some("registered")), "{}", reg.body);
        assert_eq!(reg.body["registration_no"], "20261401000123");
        let history: Vec<(Option<&str>, &str)> = reg.body["history"].as_array().unwrap().iter().map(|e| (e["from"].as_str(), e["to"].as_str().unwrap())).collect();
        assert_eq!(history, vec![(None, "draft"), (Some("draft"), "signed"), (Some("signed"), "registered")]);
        assert_eq!(reg.body["allowed_transitions"], json!(["completed", "terminated"]));

        // Both parties read it; the list filters find it.
        for who in ["member_steel", "researcher_tyut", "admin"] {
            let r = app.call(Method::GET, &format!("/api/v1/agreements/{aid}"), actors.token(who), None).await;
            assert_eq!(r.status, 200, "{who}");
        }
        for q in ["", "?status=registered", "?contract_type=tech_development", "?program_item=KT-2026-001", "?city=太原", "?field=materials"] {
            let r = app.call(Method::GET, &format!("/api/v1/agreements{q}"), Some(&staff), None).await;
            assert_eq!(numeric_ids(&r.body), [aid].into_iter().collect(), "{q}: {}", r.body);
        }
        for q in ["?status=draft", "?contract_type=tech_license", "?city=吕梁", "?field=coal_chem"] {
            let r = app.call(Method::GET, &format!("/api/v1/agreements{q}"), Some(&staff), None).await;
            assert_eq!(r.body["total"], 0, "{q}");
        }
        for q in ["?status=void", "?contract_type=tech_barter", "?program_item=NOPE", "?field=steel"] {
            let r = app.call(Method::GET, &format!("/api/v1/agreements{q}"), Some(&staff), None).await;
            assert_eq!((r.status, r.code()), (400, Some("invalid_query")), "{q}");
        }
        app.stop().await;
    }

    async fn agreements_are_validated_and_move_only_as_allowed(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let open_match = suggest(&app, "t-need-1", "t-cap-1", 0.5).await;
        let m = suggest(&app, "t-need-2", "t-cap-2", 0.8).await;
        confirm(&app, &staff, m).await;
        assert_eq!(app.call(Method::POST, "/api/v1/program-items", Some(&staff), Some(&item_body("KT-2026-001"))).await.status, 201);

        let not_confirmed = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&agreement_body(open_match))).await;
        assert_eq!((not_confirmed.status, not_confirmed.body["errors"][0]["code"].as_str()), (422, Some("match_not_confirmed")));
        let bad = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({
            "match_id": 999999, "contract_type": "tech_barter", "amount_wan": -3,
            "term_start": "2026-05-01", "term_end": "2026-04-30",
            "registration_no": "2026-14-01-000123", "program_item": "NOPE"
        }))).await;
        assert_eq!((bad.status, bad.code()), (422, Some("validation_failed")));
        let fields: BTreeSet<String> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, set(&["match_id", "contract_type", "amount_wan", "term_end", "registration_no", "program_item"]));
        let codes: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"invalid_registration_no") && codes.contains(&"before_start"), "{codes:?}");
        let missing = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({"contract_type": "tech_service"}))).await;
        assert_eq!((missing.status, missing.body["errors"][0]["field"].as_str()), (422, Some("match_id")));

        // A contract without a signing date cannot be signed until it has one.
        let a = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({"match_id": m, "contract_type": "tech_service"}))).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let aid = a.body["id"].as_i64().unwrap();
        let status = |body: Value| {
            let (app, staff) = (&app, staff.clone());
            async move { app.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), Some(&staff), Some(&body)).await }
        };
        let skip = status(json!({"to": "registered", "version": 1, "registration_no": "20261401000999"})).await;
        assert_eq!((skip.status, skip.code()), (422, Some("illegal_transition")));
        assert!(skip.body["message_en"].as_str().unwrap().contains("signed"));
        let undated = status(json!({"to": "signed", "version": 1})).await;
        assert_eq!((undated.status, undated.body["errors"][0]["field"].as_str()), (422, Some("signing_date")));
        let signed = status(json!({"to": "signed", "version": 1, "signing_date": "2026-04-02"})).await;
        assert_eq!(signed.status, 200, "{}", signed.body);
        assert_eq!(signed.body["signing_date"], "2026-04-02");
        let stale = status(json!({"to": "terminated", "version": 1})).await;
        assert_eq!((stale.status, stale.code()), (409, Some("version_conflict")));
        assert_eq!(stale.body["current"]["status"], "signed");
        let unregistered = status(json!({"to": "registered", "version": 2})).await;
        assert_eq!((unregistered.status, unregistered.body["errors"][0]["field"].as_str()), (422, Some("registration_no")));

        // Registration numbers are unique.
        let other = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({
            "match_id": m, "contract_type": "tech_license", "registration_no": "20261401000777"
        }))).await;
        assert_eq!(other.status, 201, "{}", other.body);
        let taken = status(json!({"to": "registered", "version": 2, "registration_no": "20261401000777"})).await;
        assert_eq!((taken.status, taken.body["errors"][0]["code"].as_str()), (422, Some("taken")));
        let dup = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({
            "match_id": m, "contract_type": "tech_license", "registration_no": "20261401000777"
        }))).await;
        assert_eq!((dup.status, dup.body["errors"][0]["code"].as_str()), (422, Some("taken")));

        let done = status(json!({"to": "terminated", "version": 2, "note": "甲方资金未到位"})).await;
        assert_eq!(done.status, 200, "{}", done.body);
        let after = status(json!({"to": "completed", "version": 3})).await;
        assert_eq!((after.status, after.code()), (422, Some("illegal_transition")));
        app.stop().await;
    }

    async fn agreement_and_program_item_endpoints_allow_exactly_the_right_callers(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let m = suggest(&app, "t-need-2", "t-cap-2", 0.8).await;
        confirm(&app, &staff, m).await;

        // POST /program-items: staff and admins.
        let mut allowed = BTreeSet::new();
        for (i, (who, token)) in actors.list.iter().enumerate() {
            let r = app.call(Method::POST, "/api/v1/program-items", token.as_deref(), Some(&item_body(&format!("KT-{i}")))).await;
            match r.status {
                201 => { allowed.insert((*who).to_owned()); }
                401 => assert_eq!(*who, "anonymous"),
                403 => {}
                s => panic!("{who}: {s} {}", r.body),
            }
        }
        assert_eq!(allowed, set(&["staff", "admin"]));
        // Reading: everyone signed in.
        for (who, token) in &actors.list {
            let list = app.call(Method::GET, "/api/v1/program-items?kind=key_technology", token.as_deref(), None).await;
            let one = app.call(Method::GET, "/api/v1/program-items/KT-5", token.as_deref(), None).await;
            let want = if *who == "anonymous" { 401 } else { 200 };
            assert_eq!((list.status, one.status), (want, want), "{who}");
            if want == 200 {
                assert_eq!(list.body["total"], 2);
            }
        }
        // PUT: staff and admins; stale versions and code changes refused.
        let mut edit = item_body("KT-5");
        edit["status"] = json!("completed");
        edit["version"] = json!(1);
        for who in ["member_steel", "researcher_tyut"] {
            let r = app.call(Method::PUT, "/api/v1/program-items/KT-5", actors.token(who), Some(&edit)).await;
            assert_eq!(r.status, 403, "{who}");
        }
        let ok = app.call(Method::PUT, "/api/v1/program-items/KT-5", Some(&staff), Some(&edit)).await;
        assert_eq!((ok.status, ok.body["status"].as_str(), ok.body["version"].as_i64()), (200, Some("completed"), Some(2)));
        let stale = app.call(Method::PUT, "/api/v1/program-items/KT-5", actors.token("admin"), Some(&edit)).await;
        assert_eq!((stale.status, stale.code()), (409, Some("version_conflict")));
        assert_eq!(stale.body["current"]["version"].as_i64(), Some(2));
        let mut renamed = edit.clone();
        renamed["code"] = json!("KT-99");
        renamed["version"] = json!(2);
        let r = app.call(Method::PUT, "/api/v1/program-items/KT-5", Some(&staff), Some(&renamed)).await;
        assert_eq!((r.status, r.body["errors"][0]["code"].as_str()), (422, Some("immutable")));
        let dup = app.call(Method::POST, "/api/v1/program-items", Some(&staff), Some(&item_body("KT-5"))).await;
        assert_eq!((dup.status, dup.body["errors"][0]["code"].as_str()), (422, Some("taken")));
        let bad = app.call(Method::POST, "/api/v1/program-items", Some(&staff), Some(&json!({"code": "有 空格", "kind": "grant", "title": "", "lead_org": "t-org-x", "status": "done"}))).await;
        let fields: BTreeSet<String> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, set(&["code", "kind", "title", "lead_org", "status"]));
        assert_eq!(app.call(Method::GET, "/api/v1/program-items/NOPE", Some(&staff), None).await.status, 404);

        // POST /agreements: staff and admins.
        let mut created = Vec::new();
        for (who, token) in &actors.list {
            let r = app.call(Method::POST, "/api/v1/agreements", token.as_deref(), Some(&json!({"match_id": m, "contract_type": "tech_development"}))).await;
            match r.status {
                201 => created.push(((*who).to_owned(), r.body["id"].as_i64().unwrap())),
                401 => assert_eq!(*who, "anonymous"),
                403 => assert_eq!(r.code(), Some("forbidden")),
                s => panic!("{who}: {s} {}", r.body),
            }
        }
        let names: Vec<&str> = created.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["staff", "admin"]);
        let aid = created[0].1;
        let all: BTreeSet<i64> = created.iter().map(|(_, id)| *id).collect();

        // Reading: the two parties and staff.
        for (who, token) in &actors.list {
            let list = app.call(Method::GET, "/api/v1/agreements", token.as_deref(), None).await;
            let one = app.call(Method::GET, &format!("/api/v1/agreements/{aid}"), token.as_deref(), None).await;
            match *who {
                "anonymous" => assert_eq!((list.status, one.status), (401, 401)),
                "member_steel" | "researcher_tyut" | "staff" | "admin" => {
                    assert_eq!((list.status, one.status), (200, 200), "{who}");
                    assert_eq!(numeric_ids(&list.body), all, "{who}");
                }
                _ => {
                    assert_eq!((list.status, one.status), (200, 404), "{who}");
                    assert_eq!(list.body["total"], 0, "{who}");
                }
            }
        }
        // Status changes: staff and admins; parties get 403, others 404.
        let mut outcomes = Vec::new();
        for (who, token) in &actors.list {
            let v = app.call(Method::GET, &format!("/api/v1/agreements/{aid}"), Some(&staff), None).await.body["version"].as_i64().unwrap();
            let to = if v == 1 { "signed" } else { "terminated" };
            let r = app.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), token.as_deref(), Some(&json!({"to": to, "version": v, "signing_date": "2026-06-01"}))).await;
            outcomes.push(((*who).to_owned(), r.status));
        }
        assert_eq!(outcomes, vec![
            ("anonymous".to_owned(), 401),
            ("member_steel".to_owned(), 403),
            ("member_coke".to_owned(), 404),
            ("researcher_tyut".to_owned(), 403),
            ("researcher_cas".to_owned(), 404),
            ("staff".to_owned(), 200),
            ("admin".to_owned(), 200),
        ]);
        app.stop().await;
    }
}
