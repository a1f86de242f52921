//! Program targets, industry alliances and the KPI report: every figure on a
//! small hand-built fixture equals the number worked out by hand below, and
//! only the right roles read and change them.
//!
//! The fixture (T0 = 2026-01-01T00:00:00Z):
//!
//! | org | kind | city | above scale | ownership | tier | fields |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | k-e1 | enterprise | 太原 | yes | provincial_soe | — | materials |
//! | k-e2 | enterprise | 太原 | yes | private | — | coal_chem |
//! | k-e3 | enterprise | 吕梁 | yes | provincial_soe | — | coal_chem |
//! | k-e4 | enterprise | 吕梁 | yes | private | — | energy |
//! | k-e5 | enterprise | 大同 | no | provincial_soe | — | materials |
//! | k-e6 | enterprise | 大同 | yes | private | — | materials |
//! | k-u1 | university | 太原 | — | — | provincial | materials, coal_chem |
//! | k-i1 | institute | 太原 | — | — | cas | coal_chem |
//! | k-le1 | leading_enterprise | 北京 | — | provincial_soe | other | energy |
//!
//! Needs: n1 (e1, materials), n2 (e2, coal_chem), n3 (e3, coal_chem,
//! confidential), n4 (e4, energy), n5 (e5, materials).
//! Capabilities: c1 (u1, materials), c2 (i1, coal_chem), c3 (le1, energy),
//! c4 (u1, coal_chem).
//!
//! | match | pair | created | end state | confirmed at | days |
//! | --- | --- | --- | --- | --- | --- |
//! | m1 | n1–c1 | T0 | confirmed | T0+10d | 10 |
//! | m2 | n2–c2 | T0 | confirmed | T0+4d12h | 4.5 |
//! | m3 | n3–c2 | T0+1d | negotiating | — | — |
//! | m4 | n4–c3 | T0 | confirmed | T0+20d | 20 |
//! | m5 | n5–c1 | T0+2d | rejected | — | — |
//! | m6 | n3–c4 | T0+1d | confirmed | T0+3d | 2 |
//!
//! Agreements: A1 on m1 (tech_development, 260 万元, item KT-1), A2 on m2
//! (tech_service, 40.5, no item), A3 on m4 (tech_transfer, 100, item DM-1,
//! then terminated), A4 on m6 (tech_consulting, no amount, item IP-1).
//!
//! Items: KT-1 (key_technology, lead e1, materials, started), KT-2
//! (key_technology, e2, coal_chem, completed), KT-3 (key_technology, e3,
//! coal_chem, planned), IP-1 (innovation_project, e3, coal_chem, started),
//! DM-1 (demonstration, e4, energy, completed).
//!
//! Alliances: AL-1 (clusters 碳化硅半导体产业链 (by name) + big_data; members
//! e1, u1), AL-2 (hydrogen + sic_semiconductor; member e4), AL-3
//! (modern_coal_chem; e6 added then removed).

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use chrono::{DateTime, Duration, TimeZone, Utc};
use duijie::domain::agreement::AgreementTerms;
use duijie::domain::{AgreementStatus, ContractType, MatchState, Role};
use duijie::storage::repo::{self, agreements, capabilities, matches, needs, program_items};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const ORGS: &str = r#"{"id":"k-e1","name":"指标测试一号钢铁有限公司","kind":"enterprise","region":"太原","above_scale":true,"ownership":"provincial_soe","fields":["materials"]}
{"id":"k-e2","name":"指标测试二号焦化有限公司","kind":"enterprise","region":"太原","above_scale":true,"ownership":"private","fields":["coal_chem"]}
{"id":"k-e3","name":"指标测试三号煤化工集团","kind":"enterprise","region":"吕梁","above_scale":true,"ownership":"provincial_soe","fields":["coal_chem"]}
{"id":"k-e4","name":"指标测试四号氢能科技有限公司","kind":"enterprise","region":"吕梁","above_scale":true,"ownership":"private","fields":["energy"]}
{"id":"k-e5","name":"指标测试五号材料厂","kind":"enterprise","region":"大同","above_scale":false,"ownership":"provincial_soe","fields":["materials"]}
{"id":"k-e6","name":"指标测试六号铸造有限公司","kind":"enterprise","region":"大同","above_scale":true,"ownership":"private","fields":["materials"]}
{"id":"k-u1","name":"指标测试理工大学","kind":"university","tier":"provincial","region":"太原","fields":["materials","coal_chem"]}
{"id":"k-i1","name":"中国科学院指标测试研究所","kind":"institute","tier":"cas","region":"太原","fields":["coal_chem"]}
{"id":"k-le1","name":"指标测试龙头能源股份有限公司","kind":"leading_enterprise","tier":"other","region":"北京","ownership":"provincial_soe","fields":["energy"]}
"#;

fn need_line(id: &str, org: &str, field: &str, confidential: bool) -> String {
    json!({
        "id": id, "org": org, "field": field, "confidential": confidential,
        "title": format!("{id} 生产线关键工艺改进需求"),
        "description": "现有生产线关键工序的成品率偏低，约为百分之八十五，希望通过工艺优化和装备改造提高到百分之九十五以上，寻求高校院所合作开发。",
        "keywords": ["工艺优化"], "cooperation": ["tech_development"]
    })
    .to_string()
}

fn cap_line(id: &str, org: &str, field: &str) -> String {
    json!({
        "id": id, "org": org, "field": field,
        "title": format!("{id} 关键工艺优化技术"),
        "description": "团队长期从事关键工艺优化与装备改造研究，已在多家企业中试验证，成品率提高十个百分点以上，可提供技术开发与技术服务。",
        "keywords": ["工艺优化"], "cooperation": ["tech_development"], "maturity": 6
    })
    .to_string()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// Loads the organizations, needs and capabilities of the fixture.
async fn load_fixture(app: &TestApp) {
    let dir = app.test_db.temp_path().join("kpi-corpus");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("organizations.jsonl"), ORGS).unwrap();
    let needs = [
        need_line("k-n1", "k-e1", "materials", false),
        need_line("k-n2", "k-e2", "coal_chem", false),
        need_line("k-n3", "k-e3", "coal_chem", true),
        need_line("k-n4", "k-e4", "energy", false),
        need_line("k-n5", "k-e5", "materials", false),
    ];
    std::fs::write(dir.join("needs.jsonl"), needs.join("\n")).unwrap();
    let caps = [
        cap_line("k-c1", "k-u1", "materials"),
        cap_line("k-c2", "k-i1", "coal_chem"),
        cap_line("k-c3", "k-le1", "energy"),
        cap_line("k-c4", "k-u1", "coal_chem"),
    ];
    std::fs::write(dir.join("capabilities.jsonl"), caps.join("\n")).unwrap();
    let taxonomy = repo::taxonomy::load(&app.db).await.unwrap();
    let report =
        duijie::interchange::import::import_dir(&app.db, &taxonomy, &dir, Default::default())
            .await
            .unwrap();
    assert_eq!(report.rejected(), 0, "{:?}", report.rejections);
}

/// Stores a suggestion created at `at`; returns the match id.
async fn suggest_at(app: &TestApp, need: &str, cap: &str, at: DateTime<Utc>) -> i64 {
    let n = needs::get(&app.db, need).await.unwrap().unwrap();
    let c = capabilities::get(&app.db, cap).await.unwrap().unwrap();
    matches::insert_suggestions(&app.db, n.id, &[(c.id, 0.5)], at)
        .await
        .unwrap();
    matches::by_pair(&app.db, n.id, c.id)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Moves a match along `steps` (state, time), one transition each.
async fn advance(app: &TestApp, id: i64, actor: i64, steps: &[(MatchState, DateTime<Utc>)]) {
    for (to, at) in steps {
        let m = matches::get(&app.db, id).await.unwrap().unwrap();
        let t = matches::Transition {
            id,
            expected_version: m.version,
            from: MatchState::from_code(&m.state).unwrap(),
            to: *to,
            actor_user_id: actor,
            note: Some("测试"),
        };
        let r = matches::transition(&app.db, &t, *at).await.unwrap();
        assert!(matches!(r, repo::Edit::Saved(_)), "{id} → {to}: {r:?}");
    }
}

async fn to_confirmed(app: &TestApp, id: i64, actor: i64, confirmed_at: DateTime<Utc>) {
    let h = Duration::hours(1);
    let start = matches::get(&app.db, id).await.unwrap().unwrap().created_at;
    advance(
        app,
        id,
        actor,
        &[
            (MatchState::Shortlisted, start + h),
            (MatchState::Introduced, start + h * 2),
            (MatchState::Negotiating, start + h * 3),
            (MatchState::Confirmed, confirmed_at),
        ],
    )
    .await;
}

async fn item(app: &TestApp, code: &str, kind: &str, lead: &str, field: &str, status: &str) -> i64 {
    let lead = repo::organizations::get(&app.db, lead)
        .await
        .unwrap()
        .unwrap();
    program_items::create(
        &app.db,
        code,
        program_items::ItemRow {
            kind: kind.to_owned(),
            title: format!("{code} 测试项目"),
            field: Some(field.to_owned()),
            lead_org_id: Some(lead.id),
            status: status.to_owned(),
            target: None,
        },
        t0(),
    )
    .await
    .unwrap()
    .id
}

async fn agreement(
    app: &TestApp,
    match_id: i64,
    contract_type: ContractType,
    amount_wan: Option<f64>,
    item: Option<i64>,
    actor: i64,
) -> i64 {
    let m = matches::get(&app.db, match_id).await.unwrap().unwrap();
    let n = duijie::storage::entities::need::Entity::find_by_id(m.need_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let c = duijie::storage::entities::capability::Entity::find_by_id(m.capability_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let terms = AgreementTerms {
        contract_type,
        amount_wan,
        signing_date: None,
        term_start: None,
        term_end: None,
        registration_no: None,
    };
    agreements::create(
        &app.db,
        &agreements::NewAgreement {
            match_id,
            party_a_org_id: n.organization_id,
            party_b_org_id: c.organization_id,
            program_item_id: item,
            terms: &terms,
            created_by: actor,
            note: None,
        },
        t0() + Duration::days(30),
    )
    .await
    .unwrap()
    .id
}

/// Builds the whole fixture; returns tokens (staff, admin, member of e1, researcher of u1).
async fn build(app: &TestApp) -> (String, String, String, String) {
    load_fixture(app).await;
    let staff_id = crate::helpers::add_user(&app.db, "kpi_staff", Role::ProgramStaff, None).await;
    let staff = crate::helpers::add_token(&app.db, staff_id, None).await;
    let admin = app.user_with_token("kpi_admin", Role::Admin, None).await;
    let member = app
        .user_with_token("kpi_member", Role::EnterpriseMember, Some("k-e1"))
        .await;
    let researcher = app
        .user_with_token("kpi_researcher", Role::Researcher, Some("k-u1"))
        .await;
    let d = Duration::days(1);

    let m1 = suggest_at(app, "k-n1", "k-c1", t0()).await;
    to_confirmed(app, m1, staff_id, t0() + d * 10).await;
    let m2 = suggest_at(app, "k-n2", "k-c2", t0()).await;
    to_confirmed(app, m2, staff_id, t0() + d * 4 + Duration::hours(12)).await;
    let m3 = suggest_at(app, "k-n3", "k-c2", t0() + d).await;
    advance(
        app,
        m3,
        staff_id,
        &[
            (MatchState::Shortlisted, t0() + d * 2),
            (MatchState::Introduced, t0() + d * 3),
            (MatchState::Negotiating, t0() + d * 4),
        ],
    )
    .await;
    let m4 = suggest_at(app, "k-n4", "k-c3", t0()).await;
    to_confirmed(app, m4, staff_id, t0() + d * 20).await;
    let m5 = suggest_at(app, "k-n5", "k-c1", t0() + d * 2).await;
    advance(app, m5, staff_id, &[(MatchState::Rejected, t0() + d * 3)]).await;
    let m6 = suggest_at(app, "k-n3", "k-c4", t0() + d).await;
    to_confirmed(app, m6, staff_id, t0() + d * 3).await;

    let kt1 = item(
        app,
        "KT-1",
        "key_technology",
        "k-e1",
        "materials",
        "started",
    )
    .await;
    item(
        app,
        "KT-2",
        "key_technology",
        "k-e2",
        "coal_chem",
        "completed",
    )
    .await;
    item(
        app,
        "KT-3",
        "key_technology",
        "k-e3",
        "coal_chem",
        "planned",
    )
    .await;
    let ip1 = item(
        app,
        "IP-1",
        "innovation_project",
        "k-e3",
        "coal_chem",
        "started",
    )
    .await;
    let dm1 = item(app, "DM-1", "demonstration", "k-e4", "energy", "completed").await;

    agreement(
        app,
        m1,
        ContractType::Development,
        Some(260.0),
        Some(kt1),
        staff_id,
    )
    .await;
    agreement(app, m2, ContractType::Service, Some(40.5), None, staff_id).await;
    let a3 = agreement(
        app,
        m4,
        ContractType::Transfer,
        Some(100.0),
        Some(dm1),
        staff_id,
    )
    .await;
    let ended = agreements::change_status(
        &app.db,
        &agreements::StatusChange {
            id: a3,
            expected_version: 1,
            from: AgreementStatus::Draft,
            to: AgreementStatus::Terminated,
            signing_date: None,
            registration_no: None,
            actor_user_id: staff_id,
            note: Some("双方终止"),
        },
        t0() + Duration::days(40),
    )
    .await
    .unwrap();
    assert!(matches!(ended, repo::Edit::Saved(_)));
    agreement(app, m6, ContractType::Consulting, None, Some(ip1), staff_id).await;

    // Alliances through the API.
    for (code, name, clusters) in [
        (
            "AL-1",
            "碳化硅半导体产业联盟",
            json!(["碳化硅半导体产业链", "big_data"]),
        ),
        (
            "AL-2",
            "氢能产业联盟",
            json!(["hydrogen", "sic_semiconductor", "hydrogen"]),
        ),
        ("AL-3", "现代煤化工产业联盟", json!(["modern_coal_chem"])),
    ] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/alliances",
                Some(&staff),
                Some(&json!({"code": code, "name": name, "clusters": clusters})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for (code, org) in [
        ("AL-1", "k-e1"),
        ("AL-1", "k-u1"),
        ("AL-2", "k-e4"),
        ("AL-3", "k-e6"),
    ] {
        let r = app
            .call(
                Method::POST,
                &format!("/api/v1/alliances/{code}/members"),
                Some(&staff),
                Some(&json!({"org": org})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/alliances/AL-3/members/k-e6",
            Some(&staff),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["members"], json!([]));
    (staff, admin, member, researcher)
}

/// (numerator, denominator, value) of a share figure.
fn share(f: &Value) -> (u64, u64, Option<f64>) {
    (
        f["numerator"].as_u64().unwrap(),
        f["denominator"].as_u64().unwrap(),
        f["value"].as_f64(),
    )
}

fn slice<'a>(report: &'a Value, list: &str, key: &str) -> &'a Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .map(|s| &s["kpis"])
        .unwrap_or_else(|| panic!("no {list} slice {key}"))
}

/// (total, started, with_agreement, completed) of one kind.
fn items(k: &Value, kind: &str) -> (u64, u64, u64, u64) {
    let i = k["program_items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind)
        .unwrap();
    (
        i["total"].as_u64().unwrap(),
        i["started"]["numerator"].as_u64().unwrap(),
        i["with_agreement"]["numerator"].as_u64().unwrap(),
        i["completed"]["numerator"].as_u64().unwrap(),
    )
}

fn groups(k: &Value, list: &str) -> Vec<(String, u64, f64)> {
    k["agreements"][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_owned(),
                g["count"].as_u64().unwrap(),
                g["amount_wan"].as_f64().unwrap(),
            )
        })
        .collect()
}

on_both_backends! {
    async fn every_kpi_equals_the_numbers_worked_out_by_hand(b: Backend) {
        let app = TestApp::spawn(b).await;
        let (staff, admin, _member, _researcher) = build(&app).await;
        let r = app.call(Method::GET, "/api/v1/program/kpis", Some(&staff), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let k = &r.body["overall"];

        // (a) above-scale enterprises: e1, e2, e3, e4, e6 (e5 is not above
        // scale) = 5; cooperating: e1 (m1), e2 (m2), e3 (m6), e4 (m4) = 4;
        // 4 / 5 = 80%, target 100%.
        assert_eq!(share(&k["above_scale_coverage"]), (4, 5, Some(80.0)));
        assert_eq!(k["above_scale_coverage"]["target"].as_f64(), Some(100.0));
        // (b) provincial SOEs: e1, e3, e5, le1 = 4; with a university,
        // institute or academy: e1 (u1 via m1), e3 (u1 via m6) = 2; e5's match
        // was rejected, le1 cooperates with an enterprise only. 2 / 4 = 50%.
        assert_eq!(share(&k["provincial_soe_coverage"]), (2, 4, Some(50.0)));
        assert_eq!(k["provincial_soe_coverage"]["target"].as_f64(), Some(100.0));
        // (c) key_technology: KT-1 started, KT-2 completed, KT-3 planned →
        // total 3, started 2 (KT-1, KT-2), with agreement 1 (KT-1 by A1),
        // completed 1 (KT-2); innovation: IP-1 started with A4 → 1, 1, 1, 0;
        // demonstration: DM-1 completed, its only agreement A3 terminated → 1, 1, 0, 1.
        assert_eq!(items(k, "key_technology"), (3, 2, 1, 1));
        assert_eq!(items(k, "innovation_project"), (1, 1, 1, 0));
        assert_eq!(items(k, "demonstration"), (1, 1, 0, 1));
        let kt = &k["program_items"][0];
        // started 2 of the target 100 → 2%.
        assert_eq!((kt["started"]["target"].as_f64(), kt["started"]["progress"].as_f64()), (Some(100.0), Some(2.0)));
        // (d) agreements not terminated: A1 (260), A2 (40.5), A4 (none → 0):
        // 3, 300.5 万元. By type: development 1/260, transfer 0 (A3 is
        // terminated), license 0, consulting 1/0, service 1/40.5. By party
        // B's tier: cas (i1) 1/40.5, provincial (u1) 2/260.
        assert_eq!(k["agreements"]["count"], 3);
        assert_eq!(k["agreements"]["amount_wan"].as_f64(), Some(300.5));
        assert_eq!(groups(k, "by_contract_type"), vec![
            ("tech_development".to_owned(), 1, 260.0),
            ("tech_transfer".to_owned(), 0, 0.0),
            ("tech_license".to_owned(), 0, 0.0),
            ("tech_consulting".to_owned(), 1, 0.0),
            ("tech_service".to_owned(), 1, 40.5),
        ]);
        assert_eq!(groups(k, "by_provider_tier"), vec![("cas".to_owned(), 1, 40.5), ("provincial".to_owned(), 2, 260.0)]);
        // (e) days to confirmation of m1, m2, m4, m6: 10, 4.5, 20, 2 →
        // sorted 2, 4.5, 10, 20 → median (4.5 + 10) / 2 = 7.25 over 4.
        assert_eq!((k["days_to_confirmation"]["numerator"].as_u64(), k["days_to_confirmation"]["value"].as_f64()), (Some(4), Some(7.25)));
        // (f) 3 alliances of the target 36 → 8.33%; clusters covered:
        // sic_semiconductor, big_data, hydrogen, modern_coal_chem = 4 of the
        // 15 seeded → 26.67%.
        let al = &k["alliances"];
        assert_eq!((al["count"]["numerator"].as_u64(), al["count"]["target"].as_f64(), al["count"]["progress"].as_f64()), (Some(3), Some(36.0), Some(8.33)));
        assert_eq!(share(&al["cluster_coverage"]), (4, 15, Some(26.67)));

        // By city.
        let ty = slice(&r.body, "by_city", "太原");
        // 太原: above-scale e1, e2 both cooperate → 2/2; SOE e1 → 1/1.
        assert_eq!(share(&ty["above_scale_coverage"]), (2, 2, Some(100.0)));
        assert_eq!(share(&ty["provincial_soe_coverage"]), (1, 1, Some(100.0)));
        // Items led from 太原: KT-1 (started, A1), KT-2 (completed); no count target in a slice.
        assert_eq!(items(ty, "key_technology"), (2, 2, 1, 1));
        assert_eq!(ty["program_items"][0]["started"]["target"], Value::Null);
        // Agreements with party A in 太原: A1 (260) + A2 (40.5).
        assert_eq!((ty["agreements"]["count"].as_u64(), ty["agreements"]["amount_wan"].as_f64()), (Some(2), Some(300.5)));
        // Needs of 太原 organizations confirmed: m1 (10), m2 (4.5) → 7.25.
        assert_eq!(ty["days_to_confirmation"]["value"].as_f64(), Some(7.25));
        // Alliances with a member in 太原: AL-1 → sic_semiconductor, big_data = 2/15 = 13.33%.
        assert_eq!(ty["alliances"]["count"]["numerator"], 1);
        assert_eq!(share(&ty["alliances"]["cluster_coverage"]), (2, 15, Some(13.33)));
        let ll = slice(&r.body, "by_city", "吕梁");
        // 吕梁: e3, e4 cooperate → 2/2; SOE e3 → 1/1; A4 only (A3 terminated),
        // amount 0; medians m4 (20), m6 (2) → 11; AL-2 → hydrogen, sic = 2/15.
        assert_eq!(share(&ll["above_scale_coverage"]), (2, 2, Some(100.0)));
        assert_eq!(share(&ll["provincial_soe_coverage"]), (1, 1, Some(100.0)));
        assert_eq!(items(ll, "innovation_project"), (1, 1, 1, 0));
        assert_eq!(items(ll, "demonstration"), (1, 1, 0, 1));
        assert_eq!((ll["agreements"]["count"].as_u64(), ll["agreements"]["amount_wan"].as_f64()), (Some(1), Some(0.0)));
        assert_eq!(ll["days_to_confirmation"]["value"].as_f64(), Some(11.0));
        assert_eq!(share(&ll["alliances"]["cluster_coverage"]), (2, 15, Some(13.33)));
        let dt = slice(&r.body, "by_city", "大同");
        // 大同: above-scale e6 without cooperation → 0/1; SOE e5 → 0/1; no
        // confirmed match → no median; no alliance.
        assert_eq!(share(&dt["above_scale_coverage"]), (0, 1, Some(0.0)));
        assert_eq!(share(&dt["provincial_soe_coverage"]), (0, 1, Some(0.0)));
        assert_eq!((dt["days_to_confirmation"]["numerator"].as_u64(), &dt["days_to_confirmation"]["value"]), (Some(0), &Value::Null));
        assert_eq!(dt["alliances"]["count"]["numerator"], 0);
        let bj = slice(&r.body, "by_city", "北京");
        // 北京: no above-scale enterprise → 0/0, no value; SOE le1 → 0/1.
        assert_eq!(share(&bj["above_scale_coverage"]), (0, 0, None));
        assert_eq!(share(&bj["provincial_soe_coverage"]), (0, 1, Some(0.0)));
        assert_eq!(r.body["by_city"].as_array().unwrap().len(), 4);

        // By field.
        let mat = slice(&r.body, "by_field", "materials");
        // materials: above-scale e1 (✓), e6 (✗) → 1/2; SOE e1 (✓), e5 (✗) → 1/2;
        // items KT-1 → (1, 1, 1, 0); agreements A1 (need n1) → 1, 260;
        // median m1 → 10; alliances: none names a materials cluster → 0 of
        // special_steel, new_materials = 0/2.
        assert_eq!(share(&mat["above_scale_coverage"]), (1, 2, Some(50.0)));
        assert_eq!(share(&mat["provincial_soe_coverage"]), (1, 2, Some(50.0)));
        assert_eq!(items(mat, "key_technology"), (1, 1, 1, 0));
        assert_eq!((mat["agreements"]["count"].as_u64(), mat["agreements"]["amount_wan"].as_f64()), (Some(1), Some(260.0)));
        assert_eq!(mat["days_to_confirmation"]["value"].as_f64(), Some(10.0));
        assert_eq!(share(&mat["alliances"]["cluster_coverage"]), (0, 2, Some(0.0)));
        let cc = slice(&r.body, "by_field", "coal_chem");
        // coal_chem: above-scale e2, e3 → 2/2; SOE e3 → 1/1; items KT-2, KT-3
        // → (2, 1, 0, 1), IP-1 → (1, 1, 1, 0); agreements A2 (n2), A4 (n3) →
        // 2, 40.5 (consulting 1 + service 1); medians m2 (4.5), m6 (2) →
        // 3.25; AL-3 covers modern_coal_chem → count 1, 1/1.
        assert_eq!(share(&cc["above_scale_coverage"]), (2, 2, Some(100.0)));
        assert_eq!(share(&cc["provincial_soe_coverage"]), (1, 1, Some(100.0)));
        assert_eq!(items(cc, "key_technology"), (2, 1, 0, 1));
        assert_eq!(items(cc, "innovation_project"), (1, 1, 1, 0));
        assert_eq!((cc["agreements"]["count"].as_u64(), cc["agreements"]["amount_wan"].as_f64()), (Some(2), Some(40.5)));
        assert_eq!(cc["days_to_confirmation"]["value"].as_f64(), Some(3.25));
        assert_eq!(cc["alliances"]["count"]["numerator"], 1);
        assert_eq!(share(&cc["alliances"]["cluster_coverage"]), (1, 1, Some(100.0)));
        let en = slice(&r.body, "by_field", "energy");
        // energy: e4 → 1/1; SOE le1 → 0/1; DM-1 → (1, 1, 0, 1); A3 terminated →
        // 0; m4 → 20; AL-2 (hydrogen) → 1 of hydrogen, new_energy_storage = 50%.
        assert_eq!(share(&en["above_scale_coverage"]), (1, 1, Some(100.0)));
        assert_eq!(share(&en["provincial_soe_coverage"]), (0, 1, Some(0.0)));
        assert_eq!(items(en, "demonstration"), (1, 1, 0, 1));
        assert_eq!(en["agreements"]["count"], 0);
        assert_eq!(en["days_to_confirmation"]["value"].as_f64(), Some(20.0));
        assert_eq!(share(&en["alliances"]["cluster_coverage"]), (1, 2, Some(50.0)));
        let semi = slice(&r.body, "by_field", "semiconductor");
        // semiconductor: AL-1 and AL-2 name sic_semiconductor → 2 alliances,
        // 1 of sic_semiconductor, optoelectronics = 50%.
        assert_eq!(semi["alliances"]["count"]["numerator"], 2);
        assert_eq!(share(&semi["alliances"]["cluster_coverage"]), (1, 2, Some(50.0)));

        // A filter narrows the whole report: ?city=太原&field=coal_chem →
        // above-scale e2 → 1/1; SOE none → 0/0; agreements A2 → 1, 40.5;
        // median m2 → 4.5; a single city slice and a single field slice.
        let f = app.call(Method::GET, "/api/v1/program/kpis?city=太原&field=coal_chem", Some(&staff), None).await;
        assert_eq!(f.status, 200, "{}", f.body);
        let o = &f.body["overall"];
        assert_eq!(f.body["scope"], json!({"city": "太原", "field": "coal_chem"}));
        assert_eq!(share(&o["above_scale_coverage"]), (1, 1, Some(100.0)));
        assert_eq!(share(&o["provincial_soe_coverage"]), (0, 0, None));
        assert_eq!((o["agreements"]["count"].as_u64(), o["agreements"]["amount_wan"].as_f64()), (Some(1), Some(40.5)));
        assert_eq!(o["days_to_confirmation"]["value"].as_f64(), Some(4.5));
        assert_eq!(f.body["by_city"].as_array().unwrap().len(), 1);
        assert_eq!(f.body["by_field"].as_array().unwrap().len(), 1);
        assert_eq!(f.body["by_city"][0]["kpis"], f.body["overall"]);
        let bad = app.call(Method::GET, "/api/v1/program/kpis?field=steel", Some(&staff), None).await;
        assert_eq!((bad.status, bad.code()), (400, Some("invalid_query")));

        // Targets are data: the admin halves key_technology; the progress follows.
        let t = app.call(Method::PUT, "/api/v1/program/targets/key_technology", Some(&admin), Some(&json!({"target": 50}))).await;
        assert_eq!((t.status, t.body["target"].as_f64()), (200, Some(50.0)), "{}", t.body);
        let r = app.call(Method::GET, "/api/v1/program/kpis", Some(&admin), None).await;
        let kt = &r.body["overall"]["program_items"][0];
        // started 2 of 50 → 4%.
        assert_eq!((kt["started"]["target"].as_f64(), kt["started"]["progress"].as_f64()), (Some(50.0), Some(4.0)));

        // The CLI prints the same numbers.
        let out = app.test_db.cli(&["kpi", "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(cli["overall"], r.body["overall"]);
        let out = app.test_db.cli(&["kpi", "--city", "太原"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("规上工业企业合作覆盖：2/2（100%，目标 100%）"), "{text}");
        assert!(text.contains("从推荐到确认的天数中位数：7.25（2 个已确认对接）"), "{text}");
        let out = app.test_db.cli(&["kpi", "--field", "steel"]);
        assert_eq!(out.status.code(), Some(2));
        app.stop().await;
    }

    async fn kpis_targets_and_alliances_answer_only_the_allowed_roles(b: Backend) {
        let app = TestApp::spawn(b).await;
        let (staff, admin, member, researcher) = build(&app).await;

        // The KPI report: staff and admins only; anonymous 401.
        for (who, token, want) in [("anonymous", None, 401), ("member", Some(&member), 403), ("researcher", Some(&researcher), 403), ("staff", Some(&staff), 200), ("admin", Some(&admin), 200)] {
            let r = app.call(Method::GET, "/api/v1/program/kpis", token.map(String::as_str), None).await;
            assert_eq!(r.status, want, "{who}: {}", r.body);
        }
        // Reading targets, clusters and alliances: anyone signed in.
        for path in ["/api/v1/program/targets", "/api/v1/industry-clusters", "/api/v1/alliances", "/api/v1/alliances/AL-1"] {
            let r = app.call(Method::GET, path, None, None).await;
            assert_eq!(r.status, 401, "{path}");
            for t in [&member, &researcher, &staff, &admin] {
                let r = app.call(Method::GET, path, Some(t), None).await;
                assert_eq!(r.status, 200, "{path}: {}", r.body);
            }
        }
        let targets = app.call(Method::GET, "/api/v1/program/targets", Some(&member), None).await;
        let got: Vec<(String, f64)> = targets.body.as_array().unwrap().iter().map(|t| (t["metric"].as_str().unwrap().to_owned(), t["target"].as_f64().unwrap())).collect();
        for (m, v) in [("key_technology", 100.0), ("innovation_project", 100.0), ("demonstration", 100.0), ("alliances", 36.0), ("provincial_soe_coverage", 100.0), ("above_scale_coverage", 100.0)] {
            assert!(got.contains(&(m.to_owned(), v)), "{m}: {got:?}");
        }
        let clusters = app.call(Method::GET, "/api/v1/industry-clusters", Some(&member), None).await;
        assert_eq!(clusters.body.as_array().unwrap().len(), 15);
        let al1 = app.call(Method::GET, "/api/v1/alliances/AL-1", Some(&member), None).await;
        assert_eq!(al1.body["clusters"], json!([{"code": "sic_semiconductor", "name_zh": "碳化硅半导体产业链"}, {"code": "big_data", "name_zh": "大数据"}]));
        let members: Vec<&str> = al1.body["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(members, vec!["k-e1", "k-u1"]);
        let al2 = app.call(Method::GET, "/api/v1/alliances/AL-2", Some(&member), None).await;
        assert_eq!(al2.body["clusters"].as_array().unwrap().len(), 2, "duplicates are dropped");
        let missing = app.call(Method::GET, "/api/v1/alliances/NOPE", Some(&member), None).await;
        assert_eq!(missing.status, 404);

        // Targets: admins only change them.
        let body = json!({"target": 40});
        for (who, token, want) in [("anonymous", None, 401), ("member", Some(&member), 403), ("researcher", Some(&researcher), 403), ("staff", Some(&staff), 403), ("admin", Some(&admin), 200)] {
            let r = app.call(Method::PUT, "/api/v1/program/targets/alliances", token.map(String::as_str), Some(&body)).await;
            assert_eq!(r.status, want, "{who}: {}", r.body);
        }
        let r = app.call(Method::GET, "/api/v1/program/kpis", Some(&staff), None).await;
        assert_eq!(r.body["overall"]["alliances"]["count"]["target"].as_f64(), Some(40.0));
        let r = app.call(Method::PUT, "/api/v1/program/targets/nope", Some(&admin), Some(&body)).await;
        assert_eq!(r.status, 404);
        for bad in [json!({"target": -1}), json!({"label_zh": "x"}), json!({"target": 120, "x": 1})] {
            let r = app.call(Method::PUT, "/api/v1/program/targets/key_technology", Some(&admin), Some(&bad)).await;
            assert_eq!(r.status, 422, "{bad}: {}", r.body);
        }
        let r = app.call(Method::PUT, "/api/v1/program/targets/provincial_soe_coverage", Some(&admin), Some(&json!({"target": 120}))).await;
        assert_eq!((r.status, r.code()), (422, Some("validation_failed")), "percent above 100");

        // Alliances: staff and admins write.
        let new = json!({"code": "AL-9", "name": "轨道交通装备产业联盟", "clusters": ["rail_equipment"]});
        for (who, token, want) in [("anonymous", None, 401), ("member", Some(&member), 403), ("researcher", Some(&researcher), 403), ("admin", Some(&admin), 201)] {
            let r = app.call(Method::POST, "/api/v1/alliances", token.map(String::as_str), Some(&new)).await;
            assert_eq!(r.status, want, "{who}: {}", r.body);
        }
        let again = app.call(Method::POST, "/api/v1/alliances", Some(&staff), Some(&new)).await;
        assert_eq!(again.status, 422, "code taken");
        let unknown = app.call(Method::POST, "/api/v1/alliances", Some(&staff), Some(&json!({"code": "AL-8", "name": "x", "clusters": ["钢铁冶炼"]}))).await;
        assert_eq!((unknown.status, unknown.body["errors"][0]["field"].as_str()), (422, Some("clusters[0]")));
        let edit = json!({"name": "轨道交通装备产业创新联盟", "clusters": ["rail_equipment", "advanced_equipment"], "version": 1});
        for (token, want) in [(&member, 403), (&researcher, 403), (&staff, 200)] {
            let r = app.call(Method::PUT, "/api/v1/alliances/AL-9", Some(token), Some(&edit)).await;
            assert_eq!(r.status, want, "{}", r.body);
        }
        let stale = app.call(Method::PUT, "/api/v1/alliances/AL-9", Some(&admin), Some(&edit)).await;
        assert_eq!((stale.status, stale.code()), (409, Some("version_conflict")));
        assert_eq!(stale.body["current"]["version"], 2);
        for (token, want) in [(&member, 403), (&researcher, 403), (&admin, 200)] {
            let r = app.call(Method::POST, "/api/v1/alliances/AL-9/members", Some(token), Some(&json!({"org": "k-e2"}))).await;
            assert_eq!(r.status, want, "{}", r.body);
        }
        let r = app.call(Method::POST, "/api/v1/alliances/AL-9/members", Some(&staff), Some(&json!({"org": "k-e2"}))).await;
        assert_eq!((r.status, r.body["members"].as_array().unwrap().len()), (200, 1), "adding twice is harmless");
        let r = app.call(Method::POST, "/api/v1/alliances/AL-9/members", Some(&staff), Some(&json!({"org": "nope"}))).await;
        assert_eq!(r.status, 422);
        let r = app.call(Method::DELETE, "/api/v1/alliances/AL-9/members/k-e2", Some(&member), None).await;
        assert_eq!(r.status, 403);
        let r = app.call(Method::DELETE, "/api/v1/alliances/AL-9/members/k-e2", Some(&staff), None).await;
        assert_eq!(r.status, 200);
        let r = app.call(Method::DELETE, "/api/v1/alliances/AL-9/members/k-e2", Some(&staff), None).await;
        assert_eq!(r.status, 404, "no longer a member");

        // The OpenAPI document lists the new paths.
        let doc = app.call(Method::GET, "/api/openapi.json", None, None).await;
        for p in ["/api/v1/program/kpis", "/api/v1/program/targets/{metric}", "/api/v1/alliances/{code}/members/{org}", "/api/v1/industry-clusters"] {
            assert!(doc.body["paths"].get(p).is_some(), "{p}");
        }
        app.stop().await;
    }
}
