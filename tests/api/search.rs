//! Search over HTTP: synonyms both ways, ambiguous abbreviations, highlights,
//! hostile input, and confidentiality inside the search.

use crate::helpers::{Backend, TestApp, repo_root, url_encode};
use crate::on_both_backends;
use duijie::domain::access::Visibility;
use duijie::search::Kind;
use duijie::search::analyzer::Analyzer;
use duijie::search::searcher::{self, Filters, SearchRequest};

async fn app_with_search_corpus(b: Backend) -> TestApp {
    let app = TestApp::spawn(b).await;
    let taxonomy = duijie::storage::repo::taxonomy::load(&app.db)
        .await
        .unwrap();
    let report = duijie::interchange::import::import_dir(
        &app.db,
        &taxonomy,
        &repo_root().join("tests/fixtures/search"),
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.rejected(), 0, "{:?}", report.rejections);
    app.search.notify_change();
    app.wait_for_index().await;
    app
}

fn hit_ids(body: &serde_json::Value) -> Vec<String> {
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
    async fn an_abbreviation_finds_the_full_form_and_the_full_form_the_abbreviation(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (status, body) = app.get_json("/api/v1/search?q=SiC&kind=capability").await;
        assert_eq!(status, 200, "{body}");
        let ids = hit_ids(&body);
        assert!(ids.contains(&"s-cap-sic-zh".to_owned()), "SiC finds 碳化硅: {ids:?}");
        assert!(ids.contains(&"s-cap-sic-en".to_owned()), "{ids:?}");
        assert_eq!(ids[0], "s-cap-sic-en", "the literal form ranks first");
        let (_, body) = app.get_json(&format!("/api/v1/search?q={}", url_encode("碳化硅"))).await;
        let ids = hit_ids(&body);
        assert!(ids.contains(&"s-cap-sic-en".to_owned()), "碳化硅 finds SiC: {ids:?}");
        assert_eq!(ids[0], "s-cap-sic-zh");
        assert!(body["expansions"].as_array().is_some_and(|e| !e.is_empty()));
        app.stop().await;
    }

    async fn the_literal_sense_of_an_ambiguous_abbreviation_ranks_first(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (_, body) = app.get_json("/api/v1/search?q=SCR").await;
        assert_eq!(hit_ids(&body).first().map(String::as_str), Some("s-cap-scr-lit"), "{body}");
        let (_, body) = app.get_json(&format!("/api/v1/search?q={}", url_encode("选择性催化还原"))).await;
        assert_eq!(hit_ids(&body).first().map(String::as_str), Some("s-cap-scr-full"));
        let (_, body) = app.get_json("/api/v1/search?q=PLC").await;
        assert_eq!(hit_ids(&body).first().map(String::as_str), Some("s-cap-plc-lit"));
        app.stop().await;
    }

    async fn hits_carry_escaped_highlights_and_facets(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (_, body) = app.get_json(&format!("/api/v1/search?q={}", url_encode("氮化镓外延"))).await;
        let hit = &body["hits"][0];
        assert_eq!(hit["id"], "s-cap-html");
        let title = hit["title_html"].as_str().unwrap();
        assert!(title.starts_with("&lt;script&gt;alert(1)&lt;/script&gt;"), "{title}");
        assert!(title.contains("<mark>氮化镓</mark>"), "{title}");
        let snippet = hit["snippet_html"].as_str().unwrap();
        assert!(snippet.contains("&amp;") && snippet.contains("&lt;b&gt;<mark>外延</mark>&lt;/b&gt;"), "{snippet}");
        assert!(!snippet.contains("<b>"));
        let fields = &body["facets"]["field"];
        assert_eq!(fields[0]["value"], "semiconductor");
        app.stop().await;
    }

    async fn confidential_and_draft_needs_never_reach_anonymous_searchers(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let q = url_encode("碳化硅");
        let (status, body) = app.get_json(&format!("/api/v1/search?kind=need&q={q}")).await;
        assert_eq!(status, 200);
        assert_eq!(hit_ids(&body), ["s-need-open"]);
        assert_eq!(body["total"], 1, "counts exclude hidden needs");
        assert_eq!(body["facets"]["field"][0]["count"], 1, "facets exclude hidden needs");
        let text = body.to_string();
        for secret in ["s-need-secret", "独家", "外延缺陷", "s-need-draft", "晶锭"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        // Browsing with filters only does not reveal them either.
        let (_, body) = app.get_json("/api/v1/search?kind=need&field=semiconductor").await;
        assert_eq!(hit_ids(&body), ["s-need-open"]);
        // They are in the index: staff visibility finds them, so the checks above can fail.
        let index = app.search.index().unwrap();
        let req = SearchRequest {
            q: "碳化硅".into(),
            kind: Kind::Need,
            filters: Filters::default(),
            visibility: Visibility::All,
            offset: 0,
            limit: 10,
        };
        let all = searcher::search(&index, &Analyzer::shared(), &req).unwrap();
        assert_eq!(all.hits.len(), 3);
        app.stop().await;
    }

    async fn hostile_queries_get_a_200_or_a_clean_400(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let long = "碳化硅".repeat(700);
        let queries: Vec<String> = vec![
            "\"".into(), "\"\"\"".into(), "'".into(), "(".into(), ")".into(), "((((".into(),
            "[1 TO 2]".into(), "title:碳化硅".into(), "*".into(), "?".into(), "~".into(), "^2".into(),
            "AND".into(), "OR NOT".into(), "-".into(), "+".into(), "\\".into(), "/".into(),
            "的 了 和".into(), "的".into(), "😀".into(), "🔥碳化硅🔥".into(), "\u{0}".into(), "\u{202e}abc".into(),
            "<script>alert(1)</script>".into(), "%".into(), "_".into(), "' OR 1=1 --".into(),
            "ＳｉＣ".into(), "碳化矽".into(), "   ".into(), long, "a".repeat(10_000), "\t\n".into(),
        ];
        assert!(queries.len() >= 30);
        for q in &queries {
            let resp = app.get(&format!("/api/v1/search?q={}", url_encode(q))).await;
            let status = resp.status().as_u16();
            assert!(status == 200 || status == 400, "{q:?}: {status}");
            let body: serde_json::Value = resp.json().await.unwrap();
            if status == 200 {
                assert!(body["hits"].is_array(), "{q:?}");
            }
        }
        // Full-width input is normalized: ＳｉＣ finds the SiC capability.
        let (_, body) = app.get_json(&format!("/api/v1/search?q={}", url_encode("ＳｉＣ"))).await;
        assert!(hit_ids(&body).contains(&"s-cap-sic-en".to_owned()));
        // Bad parameters are a 400 with the field named.
        let (status, body) = app.get_json("/api/v1/search?kind=patent&per_page=500").await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(2));
        let (status, _) = app.get_json("/api/v1/search?q=a&page=11&per_page=100").await;
        assert_eq!(status, 400, "paging past the window is refused, not a 500");
        app.stop().await;
    }

    async fn a_change_written_to_the_database_becomes_searchable(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let taxonomy = duijie::storage::repo::taxonomy::load(&app.db).await.unwrap();
        let dir = app.test_db.temp_path().join("more");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("capabilities.jsonl"),
            r#"{"id":"s-cap-new","org":"s-org-uni","title":"深紫外LED外延结构","description":"深紫外发光二极管的量子阱设计。","field":"semiconductor"}"#,
        )
        .unwrap();
        duijie::interchange::import::import_dir(&app.db, &taxonomy, &dir, Default::default()).await.unwrap();
        app.search.notify_change();
        app.wait_for_index().await;
        let (_, body) = app.get_json(&format!("/api/v1/search?q={}", url_encode("深紫外"))).await;
        assert_eq!(hit_ids(&body), ["s-cap-new"]);
        app.stop().await;
    }
}

on_both_backends! {
    async fn reindex_builds_aside_and_the_server_switches_to_it_while_answering(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let before = app.search.index().unwrap().build.clone();
        // Act: `duijie reindex` in another process, on the same database and data folder.
        let out = app.test_db.cli(&["reindex"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.starts_with("reindex: needs=3 capabilities=8"), "{stdout}");
        // The server keeps answering and picks the new build up by itself.
        let started = std::time::Instant::now();
        loop {
            let (status, body) = app.get_json("/api/v1/search?q=SiC").await;
            assert_eq!(status, 200);
            assert!(hit_ids(&body).contains(&"s-cap-sic-en".to_owned()));
            if app.search.index().unwrap().build != before {
                break;
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "no switch");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // The old build is removed once the new one is in use.
        let root = duijie::search::store::root(&app.test_db.temp_path().join("data"));
        let started = std::time::Instant::now();
        while root.join(&before).exists() {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "old build kept");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        app.stop().await;
    }
}
