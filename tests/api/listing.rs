//! Read endpoints: filters, pagination, and what anonymous callers may see.

use crate::helpers::{Backend, TestApp, ids};
use crate::on_both_backends;

on_both_backends! {
    async fn organizations_filter_by_kind_region_tier_and_field(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (_, body) = app.get_json("/api/v1/organizations?kind=enterprise&region=%E5%A4%AA%E5%8E%9F").await;
        assert_eq!(ids(&body), ["t-org-steel", "t-org-small"]);
        assert_eq!(body["total"], 2);
        let (_, body) = app.get_json("/api/v1/organizations?tier=cas").await;
        assert_eq!(ids(&body), ["t-org-cas"]);
        // coal_chem contains an underscore, a LIKE wildcard: only exact codes match.
        let (_, body) = app.get_json("/api/v1/organizations?field=coal_chem").await;
        assert_eq!(ids(&body), ["t-org-coke", "t-org-tyut", "t-org-cas"]);
        let (_, body) = app.get_json("/api/v1/organizations?above_scale=false").await;
        assert_eq!(ids(&body), ["t-org-small"]);
        app.stop().await;
    }

    async fn pages_split_the_list_and_report_the_total(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (_, p1) = app.get_json("/api/v1/organizations?per_page=4").await;
        let (_, p2) = app.get_json("/api/v1/organizations?per_page=4&page=2").await;
        assert_eq!((p1["total"].as_u64(), p2["total"].as_u64()), (Some(6), Some(6)));
        assert_eq!((ids(&p1).len(), ids(&p2).len()), (4, 2));
        assert_eq!(p2["page"], 2);
        let mut all = ids(&p1);
        all.extend(ids(&p2));
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 6);
        app.stop().await;
    }

    async fn anonymous_callers_see_neither_confidential_nor_draft_needs(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (_, body) = app.get_json("/api/v1/needs?per_page=100").await;
        let mut got = ids(&body);
        got.sort();
        assert_eq!(got, ["t-need-1", "t-need-2", "t-need-5"]);
        assert_eq!(body["total"], 3, "the total must not count hidden needs either");
        // Filtering on their organization or field does not reveal them.
        let (_, body) = app.get_json("/api/v1/needs?org=t-org-steel").await;
        assert_eq!(ids(&body), ["t-need-2"]);
        let (_, body) = app.get_json("/api/v1/needs?status=draft").await;
        assert_eq!(body["total"], 0);
        // Nor does asking for them by id: 404, as for an id that does not exist.
        for id in ["t-need-3", "t-need-4"] {
            let (status, body) = app.get_json(&format!("/api/v1/needs/{id}")).await;
            assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{id}");
        }
        app.stop().await;
    }

    async fn a_need_shows_its_organization_and_decoded_lists(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (status, n) = app.get_json("/api/v1/needs/t-need-1").await;
        assert_eq!(status, 200);
        assert_eq!(n["org"]["id"], "t-org-coke");
        assert_eq!(n["org"]["region"], "吕梁");
        assert_eq!(n["keywords"], serde_json::json!(["焦炉煤气", "精脱硫", "有机硫"]));
        assert_eq!(n["cooperation"], serde_json::json!(["tech_development", "tech_service"]));
        assert_eq!(n["budget_wan"], 300.0);
        assert_eq!(n["deadline"], "2027-06-30");
        assert_eq!((n["status"].as_str(), n["version"].as_i64()), (Some("open"), Some(1)));
        app.stop().await;
    }

    async fn needs_filter_by_field_region_and_status(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (_, body) = app.get_json("/api/v1/needs?field=materials").await;
        assert_eq!(ids(&body), ["t-need-2"]);
        let (_, body) = app.get_json("/api/v1/needs?region=%E5%A4%AA%E5%8E%9F").await;
        let mut got = ids(&body);
        got.sort();
        assert_eq!(got, ["t-need-2", "t-need-5"]);
        let (_, body) = app.get_json("/api/v1/needs?status=closed").await;
        assert_eq!(ids(&body), ["t-need-5"]);
        app.stop().await;
    }

    async fn capabilities_hide_drafts_and_filter_by_maturity(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (_, body) = app.get_json("/api/v1/capabilities?per_page=100").await;
        assert_eq!(body["total"], 3);
        assert!(!ids(&body).contains(&"t-cap-4".to_owned()));
        let (_, body) = app.get_json("/api/v1/capabilities?maturity_min=7").await;
        let mut got = ids(&body);
        got.sort();
        assert_eq!(got, ["t-cap-1", "t-cap-3"]);
        let (status, c) = app.get_json("/api/v1/capabilities/t-cap-1").await;
        assert_eq!(status, 200);
        assert_eq!((c["org"]["tier"].as_str(), c["maturity"].as_i64()), (Some("cas"), Some(7)));
        assert_eq!(app.get("/api/v1/capabilities/t-cap-4").await.status().as_u16(), 404);
        app.stop().await;
    }

    async fn an_unknown_org_filter_is_a_400_not_an_empty_list(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let (status, body) = app.get_json("/api/v1/needs?org=t-org-none").await;
        assert_eq!((status, body["errors"][0]["code"].as_str()), (400, Some("unknown_org")));
        app.stop().await;
    }

    async fn the_taxonomy_endpoint_serves_the_database_copy(b: Backend) {
        let app = TestApp::spawn(b).await;
        let (status, t) = app.get_json("/api/v1/taxonomy").await;
        assert_eq!(status, 200);
        assert_eq!(t["field"].as_array().map(Vec::len), Some(12));
        assert_eq!(t["cooperation"].as_array().map(Vec::len), Some(7));
        assert_eq!(t["tier"].as_array().map(Vec::len), Some(7));
        assert_eq!(t["field"][0]["code"], "equipment");
        app.stop().await;
    }
}
