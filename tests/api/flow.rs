//! The "Done when", end to end through the HTTP API: an enterprise
//! posts a need, a researcher a capability, `duijie suggest` stores the
//! suggestion, staff take it to confirmed, record an agreement against a
//! program item, and the KPI report, the XLSX export and the match's audit
//! history show it.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use calamine::{Data, Reader, Xlsx};
use duijie::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

/// (kind, from, to, note, actor) of one audit event.
type Step<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
);

/// The group of `list` (`by_contract_type`, `by_provider_tier`) with `key`.
fn group<'a>(k: &'a Value, list: &str, key: &str) -> &'a Value {
    k["agreements"][list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list}: {k}"))
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no {list} group {key}: {k}"))
}

on_both_backends! {
    async fn a_need_and_a_capability_become_a_registered_contract_in_the_kpis_and_exports(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let member = app.user_with_token("flow_member", Role::EnterpriseMember, Some("t-org-steel")).await;
        let researcher = app.user_with_token("flow_researcher", Role::Researcher, Some("t-org-tyut")).await;
        let staff = app.user_with_token("flow_staff", Role::ProgramStaff, None).await;

        // 1. The enterprise posts a need, the researcher a capability.
        let need = app.call(Method::POST, "/api/v1/needs", Some(&member), Some(&json!({
            "title": "取向硅钢高温退火后底层附着性差",
            "description": "取向硅钢经高温退火后硅酸镁底层附着性差，涂层脱落率约 3%，希望降到 0.5% 以下，需要氧化镁涂液配方和退火工艺优化方案。",
            "field": "materials",
            "keywords": ["取向硅钢", "底层附着性", "氧化镁"],
            "cooperation": ["tech_development"],
            "budget_wan": 300
        }))).await;
        assert_eq!(need.status, 201, "{}", need.body);
        assert_eq!(need.body["org"]["id"], "t-org-steel");
        let need_id = need.body["id"].as_str().unwrap().to_owned();
        let cap = app.call(Method::POST, "/api/v1/capabilities", Some(&researcher), Some(&json!({
            "title": "取向硅钢氧化镁涂层与硅酸镁底层形成机理",
            "description": "研究取向硅钢高温退火过程中硅酸镁底层的形成机理，开发了氧化镁涂液配方，底层附着性显著提高，涂层脱落率降到 0.3%，已在中试线验证。",
            "field": "materials",
            "keywords": ["取向硅钢", "氧化镁", "底层附着性"],
            "cooperation": ["tech_development"],
            "maturity": 6
        }))).await;
        assert_eq!(cap.status, 201, "{}", cap.body);
        assert_eq!(cap.body["org"]["id"], "t-org-tyut");
        let cap_id = cap.body["id"].as_str().unwrap().to_owned();

        // 2. `duijie suggest` stores the suggestion once the index holds both.
        app.wait_for_index().await;
        let out = app.test_db.cli(&["suggest"]);
        assert!(out.status.success(), "suggest: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(stdout.contains("suggest: needs="), "{stdout}");
        let queue = app.call(Method::GET, "/api/v1/matches?field=materials&per_page=100", Some(&staff), None).await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        let item = queue.body["items"].as_array().unwrap().iter()
            .find(|i| i["need"]["id"] == need_id.as_str() && i["capability"]["id"] == cap_id.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no suggestion for {need_id} × {cap_id}: {stdout} {}", queue.body));
        assert_eq!(item["state"], "suggested");
        let match_id = item["id"].as_i64().unwrap();
        assert!(item["score"].as_f64().unwrap() > 0.0, "{item}");

        // 3. Staff move it suggested → … → confirmed, each on the version read.
        let r = app.call(Method::GET, &format!("/api/v1/matches/{match_id}"), Some(&staff), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mut version = r.body["version"].as_i64().unwrap();
        let steps = [
            ("shortlisted", "初筛：需求与能力高度相关"),
            ("introduced", "已安排双方见面"),
            ("negotiating", "双方商谈技术开发合同"),
            ("confirmed", "双方同意开展技术开发合作"),
        ];
        for (to, note) in steps {
            let t = app.call(Method::POST, &format!("/api/v1/matches/{match_id}/transitions"), Some(&staff), Some(&json!({
                "to": to, "version": version, "note": note
            }))).await;
            assert_eq!(t.status, 200, "→ {to}: {}", t.body);
            assert_eq!(t.body["state"], to);
            assert_eq!(t.body["version"].as_i64(), Some(version + 1));
            version += 1;
        }
        // A stale version is refused.
        let stale = app.call(Method::POST, &format!("/api/v1/matches/{match_id}/transitions"), Some(&staff), Some(&json!({
            "to": "rejected", "version": version - 1, "note": "过期"
        }))).await;
        assert_eq!(stale.status, 409, "{}", stale.body);

        // 4. A program item, and the agreement recorded against it.
        let pi = app.call(Method::POST, "/api/v1/program-items", Some(&staff), Some(&json!({
            "code": "KT-2026-077",
            "kind": "key_technology",
            "title": "取向硅钢底层质量控制关键技术攻关",
            "field": "materials",
            "lead_org": "t-org-steel",
            "status": "started",
            "target": "涂层脱落率降到 0.5% 以下"
        }))).await;
        assert_eq!(pi.status, 201, "{}", pi.body);
        let a = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({
            "match_id": match_id,
            "contract_type": "tech_development",
            "amount_wan": 320.5,
            "signing_date": "2026-05-08",
            "term_start": "2026-05-10",
            "term_end": "2027-05-09",
            "program_item": "KT-2026-077",
            "note": "首期技术开发合同"
        }))).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let aid = a.body["id"].as_i64().unwrap();
        assert_eq!(a.body["status"], "draft");
        assert_eq!((a.body["party_a"]["id"].as_str(), a.body["party_b"]["id"].as_str()), (Some("t-org-steel"), Some("t-org-tyut")));
        assert_eq!(a.body["program_item"], "KT-2026-077");
        let signed = app.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), Some(&staff), Some(&json!({"to": "signed", "version": 1}))).await;
        assert_eq!((signed.status, signed.body["status"].as_str()), (200, Some("signed")), "{}", signed.body);
        let reg = app.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), Some(&staff), Some(&json!({
            "to": "registered", "version": 2, "registration_no": "20261401000777", "note": "已在省技术市场登记"
        }))).await;
        assert_eq!((reg.status, reg.body["status"].as_str()), (200, Some("registered")), "{}", reg.body);
        assert_eq!(reg.body["registration_no"], "20261401000777");
        // The agreement counts toward the program item.
        let by_item = app.call(Method::GET, "/api/v1/agreements?program_item=KT-2026-077", Some(&staff), None).await;
        assert_eq!(by_item.status, 200, "{}", by_item.body);
        let listed: Vec<i64> = by_item.body["items"].as_array().unwrap().iter().filter_map(|i| i["id"].as_i64()).collect();
        assert_eq!(listed, vec![aid]);

        // 5. The KPI report shows it.
        let k = app.call(Method::GET, "/api/v1/program/kpis", Some(&staff), None).await;
        assert_eq!(k.status, 200, "{}", k.body);
        let o = &k.body["overall"];
        assert_eq!((o["agreements"]["count"].as_u64(), o["agreements"]["amount_wan"].as_f64()), (Some(1), Some(320.5)), "{o}");
        let dev = group(o, "by_contract_type", "tech_development");
        assert_eq!((dev["count"].as_u64(), dev["amount_wan"].as_f64(), dev["label_zh"].as_str()), (Some(1), Some(320.5), Some("技术开发")));
        for other in ["tech_transfer", "tech_license", "tech_consulting", "tech_service"] {
            assert_eq!(group(o, "by_contract_type", other)["count"].as_u64(), Some(0), "{other}");
        }
        let tier = group(o, "by_provider_tier", "provincial");
        assert_eq!((tier["count"].as_u64(), tier["amount_wan"].as_f64()), (Some(1), Some(320.5)));
        let kt = o["program_items"].as_array().unwrap().iter().find(|i| i["kind"] == "key_technology").unwrap();
        assert_eq!(kt["total"].as_u64(), Some(1), "{kt}");
        assert_eq!(kt["started"]["numerator"].as_u64(), Some(1), "{kt}");
        assert_eq!(kt["with_agreement"]["numerator"].as_u64(), Some(1), "{kt}");
        assert_eq!(kt["completed"]["numerator"].as_u64(), Some(0), "{kt}");
        // Above-scale enterprises in the registry: t-org-coke and t-org-steel;
        // t-org-steel now cooperates → 1 / 2. It is also the only provincial
        // SOE, cooperating with a university → 1 / 1.
        let cov = &o["above_scale_coverage"];
        assert_eq!((cov["numerator"].as_u64(), cov["denominator"].as_u64(), cov["value"].as_f64()), (Some(1), Some(2), Some(50.0)), "{cov}");
        let soe = &o["provincial_soe_coverage"];
        assert_eq!((soe["numerator"].as_u64(), soe["denominator"].as_u64(), soe["value"].as_f64()), (Some(1), Some(1), Some(100.0)), "{soe}");
        let days = &o["days_to_confirmation"];
        assert_eq!(days["value"].as_f64(), Some(0.0), "confirmed the day it was suggested: {days}");
        let ty = k.body["by_city"].as_array().unwrap().iter().find(|s| s["key"] == "太原").unwrap();
        assert_eq!(ty["kpis"]["agreements"]["count"].as_u64(), Some(1));
        let mat = k.body["by_field"].as_array().unwrap().iter().find(|s| s["key"] == "materials").unwrap();
        assert_eq!(mat["kpis"]["agreements"]["amount_wan"].as_f64(), Some(320.5));

        // 6. The XLSX export holds the agreement's row.
        let resp = app.client.get(app.url("/api/v1/exports/agreements.xlsx")).bearer_auth(&staff).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let bytes = resp.bytes().await.unwrap().to_vec();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx parses");
        let sheet = book.sheet_names()[0].clone();
        assert_eq!(sheet, "技术合同");
        let rows: Vec<Vec<String>> = book.worksheet_range(&sheet).unwrap().rows()
            .map(|r| r.iter().map(|c| match c { Data::Empty => String::new(), other => other.to_string() }).collect())
            .collect();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0][0], "合同编号");
        let row = &rows[1];
        assert_eq!(row[0], aid.to_string());
        assert_eq!((row[1].as_str(), row[2].as_str(), row[4].as_str(), row[6].as_str()), ("已登记", "技术开发", "t-org-steel", "t-org-tyut"), "{row:?}");
        assert_eq!(row[7], "320.5");
        assert_eq!(row[8], "2026-05-08");
        assert!(row.contains(&"20261401000777".to_owned()), "{row:?}");
        assert!(row.contains(&"KT-2026-077".to_owned()), "{row:?}");
        // The parties see it in their export too.
        for t in [&member, &researcher] {
            let r = app.client.get(app.url("/api/v1/exports/agreements.csv")).bearer_auth(t).send().await.unwrap();
            let text = r.text().await.unwrap();
            assert!(text.lines().nth(1).is_some_and(|l| l.starts_with(&aid.to_string())), "{text}");
        }

        // 7. The match has its full audit history.
        let m = app.call(Method::GET, &format!("/api/v1/matches/{match_id}"), Some(&staff), None).await;
        assert_eq!(m.status, 200, "{}", m.body);
        assert_eq!((m.body["state"].as_str(), m.body["version"].as_i64()), (Some("confirmed"), Some(version)));
        let h = m.body["history"].as_array().unwrap();
        let got: Vec<Step> = h.iter().map(|e| (
            e["kind"].as_str().unwrap(),
            e["from"].as_str(),
            e["to"].as_str().unwrap(),
            e["note"].as_str(),
            e["actor"]["username"].as_str(),
        )).collect();
        assert_eq!(got, vec![
            ("created", None, "suggested", h[0]["note"].as_str(), None),
            ("transition", Some("suggested"), "shortlisted", Some(steps[0].1), Some("flow_staff")),
            ("transition", Some("shortlisted"), "introduced", Some(steps[1].1), Some("flow_staff")),
            ("transition", Some("introduced"), "negotiating", Some(steps[2].1), Some("flow_staff")),
            ("transition", Some("negotiating"), "confirmed", Some(steps[3].1), Some("flow_staff")),
        ], "{}", m.body);
        assert!(h.iter().all(|e| e["at"].is_string()));
        assert!(h[0]["actor"].is_null(), "the suggestion is the system's");
        assert!(h[0]["note"].as_str().unwrap().starts_with("系统推荐"), "{}", h[0]);
        // Both sides read the same history.
        for t in [&member, &researcher] {
            let r = app.call(Method::GET, &format!("/api/v1/matches/{match_id}"), Some(t), None).await;
            assert_eq!((r.status, r.body["history"].as_array().map(Vec::len)), (200, Some(5)), "{}", r.body);
        }
        app.stop().await;
    }
}
