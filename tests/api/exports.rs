//! CSV and XLSX exports: contents, formats, headers and who sees what.

use crate::curation::{Actors, confirm, suggest};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use calamine::{Data, Reader, Xlsx};
use reqwest::Method;
use serde_json::json;

/// A downloaded export.
struct File {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl File {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// CSV rows (header first), after checking the BOM.
    fn csv(&self) -> Vec<Vec<String>> {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.bytes));
        assert!(self.bytes.starts_with(b"\xEF\xBB\xBF"), "no BOM");
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&self.bytes[3..]);
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    /// XLSX rows of the only sheet (header first) and the sheet's name.
    fn xlsx(&self) -> (String, Vec<Vec<String>>) {
        assert_eq!(self.status, 200);
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(self.bytes.clone()))
                .expect("xlsx parses");
        let names = book.sheet_names();
        assert_eq!(names.len(), 1);
        let range = book.worksheet_range(&names[0]).expect("sheet");
        let rows = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        (names[0].clone(), rows)
    }
}

async fn download(app: &TestApp, path: &str, token: Option<&str>) -> File {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    File {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        bytes: resp.bytes().await.unwrap().to_vec(),
    }
}

/// Values of the first column (ids) below the header.
fn first_column(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().skip(1).map(|r| r[0].clone()).collect()
}

on_both_backends! {
    async fn exports_are_well_formed_and_respect_permissions(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();

        // Needs as CSV: BOM, Chinese header, RFC 4180, headers of a download.
        let anon = download(&app, "/api/v1/exports/needs.csv", None).await;
        assert_eq!(anon.header("content-type"), "text/csv; charset=utf-8");
        let cd = anon.header("content-disposition");
        assert!(cd.starts_with("attachment; filename=\"duijie-needs-") && cd.contains(".csv\""), "{cd}");
        assert!(cd.contains("filename*=UTF-8''%E6%8A%80%E6%9C%AF%E9%9C%80%E6%B1%82-"), "{cd}");
        assert_eq!(anon.header("x-duijie-truncated"), "false");
        let rows = anon.csv();
        assert_eq!(rows[0][0], "需求编号");
        assert!(rows[0].contains(&"是否保密".to_owned()));
        assert!(rows.iter().all(|r| r.len() == rows[0].len()));
        let ids = first_column(&rows);
        assert!(ids.contains(&"t-need-1".to_owned()) && ids.contains(&"t-need-2".to_owned()), "{ids:?}");
        assert!(!ids.contains(&"t-need-3".to_owned()), "confidential need in an anonymous export");
        assert_eq!(anon.header("x-duijie-row-count"), ids.len().to_string());
        // Chinese text survives.
        let n1 = rows.iter().find(|r| r[0] == "t-need-1").unwrap();
        assert_eq!(n1[1], "焦炉煤气精脱硫剂寿命短");

        // The confidential need: its owner and staff only, in both formats.
        for (who, sees) in [("member_steel", true), ("staff", true), ("admin", true), ("member_coke", false), ("researcher_tyut", false)] {
            let csv_ids = first_column(&download(&app, "/api/v1/exports/needs.csv", actors.token(who)).await.csv());
            assert_eq!(csv_ids.contains(&"t-need-3".to_owned()), sees, "csv {who}");
            let (sheet, rows) = download(&app, "/api/v1/exports/needs.xlsx", actors.token(who)).await.xlsx();
            assert_eq!(sheet, "技术需求");
            assert_eq!(rows[0][0], "需求编号");
            let xlsx_ids = first_column(&rows);
            assert_eq!(xlsx_ids.contains(&"t-need-3".to_owned()), sees, "xlsx {who}");
            assert_eq!(csv_ids, xlsx_ids, "{who}: both formats hold the same rows");
        }
        let x = download(&app, "/api/v1/exports/capabilities.xlsx", None).await;
        assert_eq!(x.header("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let (sheet, rows) = x.xlsx();
        assert_eq!((sheet.as_str(), rows[0][0].as_str()), ("科研能力", "能力编号"));
        assert!(first_column(&rows).contains(&"t-cap-2".to_owned()));

        // Matches and agreements: signed-in callers, only what they may read.
        let public_match = suggest(&app, "t-need-2", "t-cap-2", 0.8).await;
        let secret_match = suggest(&app, "t-need-3", "t-cap-2", 0.6).await;
        let coke_match = suggest(&app, "t-need-1", "t-cap-1", 0.7).await;
        for path in ["/api/v1/exports/matches.csv", "/api/v1/exports/agreements.xlsx"] {
            let r = download(&app, path, None).await;
            assert_eq!(r.status, 401, "{path}");
            assert_eq!(r.header("content-type"), "application/problem+json");
        }
        for path in ["/api/v1/exports/kittens.csv", "/api/v1/exports/needs.pdf", "/api/v1/exports/needs"] {
            assert_eq!(download(&app, path, Some(&staff)).await.status, 404, "{path}");
        }
        let match_ids = |who: &'static str| {
            let (app, token) = (&app, actors.token(who).map(str::to_owned));
            async move {
                let rows = download(app, "/api/v1/exports/matches.csv", token.as_deref()).await.csv();
                assert_eq!(rows[0][0], "对接编号");
                let mut ids: Vec<i64> = first_column(&rows).iter().map(|s| s.parse().unwrap()).collect();
                ids.sort_unstable();
                ids
            }
        };
        let mut all = vec![public_match, secret_match, coke_match];
        all.sort_unstable();
        assert_eq!(match_ids("staff").await, all);
        let mut steel = vec![public_match, secret_match];
        steel.sort_unstable();
        assert_eq!(match_ids("member_steel").await, steel);
        // The researcher's capability is in the confidential match, but they
        // may not see the need: the match is not theirs to export.
        assert_eq!(match_ids("researcher_tyut").await, vec![public_match]);
        assert_eq!(match_ids("member_coke").await, vec![coke_match]);
        let rows = download(&app, "/api/v1/exports/matches.csv", Some(&staff)).await.csv();
        let secret_row = rows.iter().find(|r| r[0] == secret_match.to_string()).unwrap();
        assert_eq!((secret_row[1].as_str(), secret_row[4].as_str()), ("系统推荐", "t-need-3"));

        // An agreement shows in its parties' and staff's exports only.
        confirm(&app, &staff, public_match).await;
        let a = app.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({
            "match_id": public_match, "contract_type": "tech_development", "amount_wan": 260.5,
            "signing_date": "2026-03-01"
        }))).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let aid = a.body["id"].as_i64().unwrap().to_string();
        for (who, sees) in [("staff", true), ("member_steel", true), ("researcher_tyut", true), ("member_coke", false), ("researcher_cas", false)] {
            let (sheet, rows) = download(&app, "/api/v1/exports/agreements.xlsx", actors.token(who)).await.xlsx();
            assert_eq!((sheet.as_str(), rows[0][0].as_str()), ("技术合同", "合同编号"));
            assert_eq!(first_column(&rows).contains(&aid), sees, "{who}");
            if sees {
                let row = &rows[1];
                assert_eq!((row[1].as_str(), row[2].as_str(), row[4].as_str(), row[6].as_str()), ("草稿", "技术开发", "t-org-steel", "t-org-tyut"));
                assert_eq!(row[7], "260.5");
            }
        }
        let csv_rows = download(&app, "/api/v1/exports/agreements.csv", Some(&staff)).await.csv();
        assert_eq!(csv_rows.len(), 2);
        assert_eq!(csv_rows[1][8], "2026-03-01");

        // The KPI report: staff and admins only.
        assert_eq!(download(&app, "/api/v1/exports/kpis.csv", None).await.status, 401);
        for who in ["member_steel", "researcher_tyut"] {
            let r = download(&app, "/api/v1/exports/kpis.xlsx", actors.token(who)).await;
            assert_eq!(r.status, 403, "{who}");
        }
        let (sheet, rows) = download(&app, "/api/v1/exports/kpis.xlsx", Some(&staff)).await.xlsx();
        assert_eq!((sheet.as_str(), rows[0][0].as_str(), rows[0][2].as_str()), ("行动计划指标", "范围", "指标"));
        let contracts = rows.iter().find(|r| r[0] == "全省" && r[2] == "技术合同数").unwrap();
        assert_eq!(contracts[4], "1");
        let amount = rows.iter().find(|r| r[0] == "全省" && r[2] == "技术合同金额").unwrap();
        assert_eq!(amount[4], "260.5");
        let csv_rows = download(&app, "/api/v1/exports/kpis.csv", Some(&staff)).await.csv();
        assert_eq!(csv_rows.len(), rows.len());
        app.stop().await;
    }
}
