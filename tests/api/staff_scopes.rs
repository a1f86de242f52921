//! Program staff limited to cities and fields (`staff_scopes`): curation,
//! edits, the queue and the agreement list stay inside the scope; unscoped
//! staff are unchanged; the CLI sets and shows scopes. Also: enterprise
//! members cannot set a need to `matched` themselves.

use crate::curation::{suggest, transition};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use duijie::domain::Role;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn ids(body: &Value) -> BTreeSet<i64> {
    body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn agreement_body(match_id: i64) -> Value {
    json!({
        "match_id": match_id,
        "contract_type": "tech_development",
        "amount_wan": 120.0,
        "signing_date": "2026-03-01",
        "term_start": "2026-03-01",
        "term_end": "2027-02-28"
    })
}

fn run_cli(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let out = app.test_db.cli(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The small corpus with t-org-coke (owner of t-need-1, coal_chem) moved to
/// 大同; t-org-steel (t-need-2, materials) is in 太原.
async fn corpus(b: Backend) -> TestApp {
    let app = TestApp::with_small_corpus(b).await;
    app.db
        .execute_unprepared(
            "UPDATE organizations SET region = '大同' WHERE external_id = 't-org-coke'",
        )
        .await
        .unwrap();
    app
}

async fn queue(app: &TestApp, token: &str) -> BTreeSet<i64> {
    let r = app
        .call(Method::GET, "/api/v1/matches", Some(token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    ids(&r.body)
}

on_both_backends! {
    async fn staff_scoped_to_a_city_curate_and_see_only_that_city(b: Backend) {
        let app = corpus(b).await;
        let staff = app.user_with_token("staff_free", Role::ProgramStaff, None).await;
        let ty = app.user_with_token("staff_ty", Role::ProgramStaff, None).await;
        let (code, out, err) = run_cli(&app, &["user", "scope", "staff_ty", "--city", "太原"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("city=太原"), "{out}");

        let m_ty = suggest(&app, "t-need-2", "t-cap-2", 0.9).await;
        let m_dt = suggest(&app, "t-need-1", "t-cap-1", 0.8).await;

        // The queue: the scoped member sees 太原 only; unscoped staff all.
        assert_eq!(queue(&app, &ty).await, BTreeSet::from([m_ty]));
        assert_eq!(queue(&app, &staff).await, BTreeSet::from([m_ty, m_dt]));
        // Exports hold what the lists hold.
        for (token, rows) in [(&ty, "1"), (&staff, "2")] {
            let r = app.call(Method::GET, "/api/v1/exports/matches.csv", Some(token), None).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-duijie-row-count").as_deref(), Some(rows));
        }

        // Transitions inside the scope work, outside are 403.
        let r = transition(&app, &ty, m_ty, "shortlisted", None, 1).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = transition(&app, &ty, m_dt, "shortlisted", None, 1).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.code(), Some("forbidden"));
        // The refused attempt changed nothing; unscoped staff may move it.
        let r = transition(&app, &staff, m_dt, "shortlisted", None, 1).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Edits of needs follow the same scope.
        let need1 = app.call(Method::GET, "/api/v1/needs/t-need-1", Some(&staff), None).await;
        let mut body = json!({
            "title": need1.body["title"], "description": need1.body["description"],
            "field": need1.body["field"], "keywords": need1.body["keywords"],
            "cooperation": need1.body["cooperation"], "version": need1.body["version"]
        });
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-1", Some(&ty), Some(&body)).await;
        assert_eq!(r.status, 403, "{}", r.body);
        body["version"] = need1.body["version"].clone();
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-1", Some(&staff), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Agreements: registered and listed inside the scope only.
        let r = app.call(Method::GET, &format!("/api/v1/matches/{m_ty}"), Some(&ty), None).await;
        let mut version = r.body["version"].as_i64().unwrap();
        for (to, note) in [("introduced", Some("见面")), ("negotiating", None), ("confirmed", Some("同意合作"))] {
            let r = transition(&app, &ty, m_ty, to, note, version).await;
            assert_eq!(r.status, 200, "{}", r.body);
            version = r.body["version"].as_i64().unwrap();
        }
        let r = app.call(Method::GET, &format!("/api/v1/matches/{m_dt}"), Some(&staff), None).await;
        let mut version = r.body["version"].as_i64().unwrap();
        for (to, note) in [("introduced", Some("见面")), ("negotiating", None), ("confirmed", Some("同意合作"))] {
            let r = transition(&app, &staff, m_dt, to, note, version).await;
            assert_eq!(r.status, 200, "{}", r.body);
            version = r.body["version"].as_i64().unwrap();
        }
        let r = app.call(Method::POST, "/api/v1/agreements", Some(&ty), Some(&agreement_body(m_dt))).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let a_dt = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&agreement_body(m_dt))).await;
        assert_eq!(a_dt.status, 201, "{}", a_dt.body);
        let a_ty = app.call(Method::POST, "/api/v1/agreements", Some(&ty), Some(&agreement_body(m_ty))).await;
        assert_eq!(a_ty.status, 201, "{}", a_ty.body);
        let (a_dt_id, a_ty_id) = (a_dt.body["id"].as_i64().unwrap(), a_ty.body["id"].as_i64().unwrap());
        let list = app.call(Method::GET, "/api/v1/agreements", Some(&ty), None).await;
        assert_eq!(ids(&list.body), BTreeSet::from([a_ty_id]), "{}", list.body);
        let list = app.call(Method::GET, "/api/v1/agreements", Some(&staff), None).await;
        assert_eq!(ids(&list.body), BTreeSet::from([a_ty_id, a_dt_id]), "{}", list.body);
        let r = app.call(Method::POST, &format!("/api/v1/agreements/{a_dt_id}/status"), Some(&ty),
            Some(&json!({"to": "signed", "version": a_dt.body["version"]}))).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = app.call(Method::POST, &format!("/api/v1/agreements/{a_ty_id}/status"), Some(&ty),
            Some(&json!({"to": "signed", "version": a_ty.body["version"]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // KPIs stay province-wide for scoped staff.
        let r = app.call(Method::GET, "/api/v1/program/kpis", Some(&ty), None).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // `user list` shows scopes; --clear lifts them.
        let (code, out, _) = run_cli(&app, &["user", "list"]);
        assert_eq!(code, 0);
        let line = out.lines().find(|l| l.contains("staff_ty")).unwrap();
        assert!(line.ends_with("city=太原"), "{line}");
        let line = out.lines().find(|l| l.contains("staff_free")).unwrap();
        assert!(line.ends_with("\t-"), "{line}");
        let (code, out, err) = run_cli(&app, &["user", "scope", "staff_ty", "--clear"]);
        assert_eq!(code, 0, "{out}{err}");
        let both = queue(&app, &staff).await;
        assert_eq!(queue(&app, &ty).await, both);
        app.stop().await;
    }

    async fn staff_scoped_to_a_field_curate_only_that_field(b: Backend) {
        let app = corpus(b).await;
        let (code, out, err) = run_cli(&app, &[
            "user", "add", "staff_coal", "--role", "program_staff",
            "--field", "coal_chem", "--city", "大同", "--city", "太原",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, _) = run_cli(&app, &["token", "create", "staff_coal"]);
        assert_eq!(code, 0);
        let coal = out.lines().find_map(|l| l.strip_prefix("token: ")).unwrap().to_owned();
        let (_, list, _) = run_cli(&app, &["user", "list"]);
        let line = list.lines().find(|l| l.contains("staff_coal")).unwrap();
        assert!(line.ends_with("city=大同,太原 field=coal_chem"), "{line}");

        let m_coal = suggest(&app, "t-need-1", "t-cap-1", 0.5).await;
        let m_mat = suggest(&app, "t-need-2", "t-cap-2", 0.9).await;
        assert_eq!(queue(&app, &coal).await, BTreeSet::from([m_coal]));
        let r = transition(&app, &coal, m_coal, "shortlisted", None, 1).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = transition(&app, &coal, m_mat, "shortlisted", None, 1).await;
        assert_eq!(r.status, 403, "{}", r.body);
        app.stop().await;
    }

    async fn scopes_are_for_program_staff_only_and_field_codes_are_checked(b: Backend) {
        let app = corpus(b).await;
        app.user_with_token("member", Role::EnterpriseMember, Some("t-org-steel")).await;
        let (code, _, err) = run_cli(&app, &[
            "user", "add", "r1", "--role", "researcher", "--org", "t-org-tyut", "--city", "太原",
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("program_staff"), "{err}");
        let (code, _, err) = run_cli(&app, &["user", "scope", "member", "--city", "太原"]);
        assert_eq!(code, 2, "{err}");
        let (code, _, err) = run_cli(&app, &["user", "add", "s1", "--role", "program_staff", "--field", "no_such_field"]);
        assert_eq!(code, 2, "{err}");
        let (code, _, err) = run_cli(&app, &["user", "scope", "nobody", "--city", "太原"]);
        assert_eq!(code, 2, "{err}");
        let (code, _, _) = run_cli(&app, &["user", "list"]);
        assert_eq!(code, 0);
        app.stop().await;
    }

    async fn enterprise_members_cannot_set_a_need_to_matched(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let member = app.user_with_token("member", Role::EnterpriseMember, Some("t-org-steel")).await;
        let staff = app.user_with_token("staff", Role::ProgramStaff, None).await;
        let body = |version: &Value, status: &str| json!({
            "title": "高牌号无取向硅钢板形控制",
            "description": "冷轧高牌号无取向硅钢薄带时边浪和中浪交替出现，成材率只有 82%，希望提高到 90% 以上，需要板形闭环控制和轧制工艺优化方案。",
            "field": "materials",
            "keywords": ["硅钢", "板形控制"],
            "cooperation": ["tech_development"],
            "status": status,
            "version": version
        });
        let current = app.call(Method::GET, "/api/v1/needs/t-need-2", Some(&member), None).await;
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&body(&current.body["version"], "matched"))).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.code(), Some("status_reserved"));
        assert!(r.body["message"].as_str().unwrap().contains("对接流程"), "{}", r.body);
        assert!(r.body["message_en"].as_str().unwrap().contains("curation workflow"), "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "status");
        // Other statuses stay the member's to set.
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&body(&current.body["version"], "open"))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Staff may set it; the member may then edit without changing it.
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&staff), Some(&body(&r.body["version"], "matched"))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "matched");
        let r = app.call(Method::PUT, "/api/v1/needs/t-need-2", Some(&member), Some(&body(&r.body["version"], "matched"))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.stop().await;
    }
}
