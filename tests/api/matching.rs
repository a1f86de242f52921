//! Match ranking: the evaluation harness (a regression guard on the judged
//! dev corpus), reasons in the API, and confidentiality of ranked needs.

use crate::helpers::{Backend, TestApp, TestDb, dev_corpus, fetched_model, repo_root};
use crate::on_both_backends;
use sea_orm::EntityTrait;

/// nDCG@10 the shipped ranking must keep on ../shared/eval/dev without the
/// semantic model (measured 0.826 when this guard was set; see BENCHMARKS.md).
const NDCG_GUARD: f64 = 0.81;
/// The same with the semantic model (measured 0.857 when set, 0.871 with
/// semantic feedback, against the issue's 0.85; a little slack for
/// floating-point summation order on other CPUs).
const SEMANTIC_NDCG_GUARD: f64 = 0.845;
/// recall@20 with the semantic model: the issue's target (measured 0.957
/// with semantic feedback).
const SEMANTIC_RECALL_GUARD: f64 = 0.95;

/// The `ndcg@10=… recall@20=… mrr=… needs=N` line's values, checking its form.
fn contract_line(stdout: &str) -> Vec<f64> {
    let last = stdout.lines().last().unwrap_or_default();
    let fields: Vec<(&str, &str)> = last
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, ["ndcg@10", "recall@20", "mrr", "needs"], "{last}");
    fields.iter().map(|(_, v)| v.parse().unwrap()).collect()
}

#[tokio::test]
async fn with_the_semantic_model_eval_meets_the_target() {
    let Some(model) = fetched_model() else {
        return;
    };
    let tdb = TestDb::new(Backend::Sqlite).await;
    let out = tdb.cli_with_model(&["eval", dev_corpus().to_str().unwrap()], &model);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("semantic model: e5s1-"), "{stdout}");
    let v = contract_line(&stdout);
    assert_eq!(v[3], 60.0);
    assert!(v[0] >= SEMANTIC_NDCG_GUARD, "ranking regressed: {stdout}");
    assert!(v[1] >= SEMANTIC_RECALL_GUARD, "recall regressed: {stdout}");

    let json = tdb.cli_with_model(&["eval", dev_corpus().to_str().unwrap(), "--json"], &model);
    let j: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        j["semantic"]
            .as_str()
            .is_some_and(|m| m.starts_with("e5s1-")),
        "{j}"
    );
    assert!((j["ndcg@10"].as_f64().unwrap() - v[0]).abs() < 0.0015);
}

#[tokio::test]
async fn eval_on_the_dev_corpus_prints_the_contract_line_and_meets_the_guard() {
    let tdb = TestDb::new(Backend::Sqlite).await;
    let out = tdb.cli(&["eval", dev_corpus().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v = contract_line(&stdout);
    assert_eq!(v[3], 60.0);
    let ndcg = v[0];
    assert!(ndcg >= NDCG_GUARD, "ranking regressed: {stdout}");
    assert!(stdout.contains("semantic model: 未启用") || stdout.contains("off (lexical only)"));
    assert!(stdout.contains("five worst needs"));

    let json = tdb.cli(&["eval", dev_corpus().to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for key in ["ndcg@10", "recall@20", "mrr", "needs"] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert!(
        (v["ndcg@10"].as_f64().unwrap() - ndcg).abs() < 0.0015,
        "same figures in both outputs"
    );
}

async fn app_with_search_corpus(b: Backend) -> TestApp {
    let app = TestApp::spawn(b).await;
    let taxonomy = duijie::storage::repo::taxonomy::load(&app.db)
        .await
        .unwrap();
    duijie::interchange::import::import_dir(
        &app.db,
        &taxonomy,
        &repo_root().join("tests/fixtures/search"),
        Default::default(),
    )
    .await
    .unwrap();
    app.search.notify_change();
    app.wait_for_index().await;
    app
}

on_both_backends! {
    async fn a_need_gets_ranked_capabilities_with_reasons(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (status, body) = app.get_json("/api/v1/needs/s-need-open/matches?top=5").await;
        assert_eq!(status, 200, "{body}");
        let results = body["results"].as_array().unwrap();
        assert!(!results.is_empty());
        let first = &results[0];
        assert_eq!(first["record"]["kind"], "capability");
        // The contributions add up to the score (no rule scaled it here).
        let sum: f64 = first["contributions"].as_array().unwrap().iter().map(|c| c["contribution"].as_f64().unwrap()).sum();
        if first["rules"].as_array().unwrap().is_empty() {
            assert!((sum - first["score"].as_f64().unwrap()).abs() < 1e-4, "{first}");
        }
        // Matched terms say where they occur on both sides.
        let m = &first["matched_terms"][0];
        assert!(m["need"].as_array().is_some_and(|a| !a.is_empty()) || m["via_synonym"].is_string(), "{m}");
        assert!(m["capability"].as_array().is_some_and(|a| !a.is_empty()), "{m}");
        let ids: Vec<&str> = results.iter().filter_map(|r| r["record"]["id"].as_str()).collect();
        assert!(ids.contains(&"s-cap-sic-zh"), "碳化硅 need finds 碳化硅 capability: {ids:?}");
        app.stop().await;
    }

    async fn eligibility_rules_filter_by_tier(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (_, body) = app.get_json("/api/v1/needs/s-need-open/matches?tiers=cas").await;
        for r in body["results"].as_array().unwrap() {
            assert_eq!(r["record"]["tier"], "cas", "{r}");
        }
        let (status, _) = app.get_json("/api/v1/needs/s-need-open/matches?tiers=nobody").await;
        assert_eq!(status, 400);
        app.stop().await;
    }

    async fn ranked_needs_of_a_capability_hide_confidential_ones(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (status, body) = app.get_json("/api/v1/capabilities/s-cap-sic-zh/matches").await;
        assert_eq!(status, 200);
        let text = body.to_string();
        assert!(text.contains("s-need-open"), "{text}");
        for hidden in ["s-need-secret", "s-need-draft", "独家"] {
            assert!(!text.contains(hidden), "{hidden} leaked");
        }
        // And a hidden need's own matches are a 404 like the need itself.
        assert_eq!(app.get("/api/v1/needs/s-need-secret/matches").await.status().as_u16(), 404);
        app.stop().await;
    }

    async fn providers_are_ranked_from_their_capabilities(b: Backend) {
        let app = app_with_search_corpus(b).await;
        let (status, body) = app.get_json("/api/v1/needs/s-need-open/providers").await;
        assert_eq!(status, 200);
        let providers = body["providers"].as_array().unwrap();
        assert_eq!(providers[0]["org"], "s-org-uni", "{body}");
        assert!(providers[0]["capabilities"].as_array().unwrap().len() >= 2);
        app.stop().await;
    }
}

/// A corpus where, for each need, capability B matches the text slightly
/// better but comes from a provincial provider, and A from a C9 university.
fn write_training_corpus(dir: &std::path::Path, needs: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut orgs = vec![
        r#"{"id":"t-ent","name":"训练测试企业","kind":"enterprise","region":"太原","fields":["energy"]}"#.to_owned(),
        r#"{"id":"t-c9","name":"训练测试C9大学","kind":"university","tier":"c9","region":"北京"}"#.to_owned(),
        r#"{"id":"t-prov","name":"训练测试省属大学","kind":"university","tier":"provincial","region":"太原"}"#.to_owned(),
    ];
    orgs.push(String::new());
    std::fs::write(dir.join("organizations.jsonl"), orgs.join("\n")).unwrap();
    let topics = [
        "储能电池热管理",
        "光伏组件清洗",
        "氢燃料电池寿命",
        "风电齿轮箱故障",
        "锂电池回收",
        "电解水制氢",
        "液流电池电堆",
        "超级电容模组",
        "光热发电储热",
        "生物质气化",
        "地热供暖换热",
        "微电网调度",
    ];
    let mut needs_l = Vec::new();
    let mut caps_l = Vec::new();
    for (i, t) in topics.iter().take(needs).enumerate() {
        needs_l.push(format!(r#"{{"id":"t-need-{i}","org":"t-ent","title":"{t}问题","description":"我们的{t}存在问题，希望找到解决办法。","field":"energy"}}"#));
        caps_l.push(format!(r#"{{"id":"t-cap-a{i}","org":"t-c9","title":"{t}技术","description":"团队研究{t}，提供技术开发与服务。成果已在多家企业应用，可提供中试验证、工艺包设计、现场调试、人员培训和长期运维支持。","field":"energy","maturity":6}}"#));
        caps_l.push(format!(r#"{{"id":"t-cap-b{i}","org":"t-prov","title":"{t}关键技术","description":"{t}：团队研究{t}及{t}的工程应用。成果已在多家企业应用，可提供中试验证、工艺包设计、现场调试、人员培训和长期运维支持。","field":"energy","maturity":6}}"#));
    }
    std::fs::write(dir.join("needs.jsonl"), needs_l.join("\n")).unwrap();
    std::fs::write(dir.join("capabilities.jsonl"), caps_l.join("\n")).unwrap();
}

on_both_backends! {
    async fn staff_decisions_move_the_ranking_their_way_and_too_few_change_nothing(b: Backend) {
        use duijie::matching::{learn, MatchOptions, Matcher, Profile, Weights};
        use duijie::storage::repo::matches::Decision;
        use duijie::search::store::SearchIndex;
        // Arrange: 12 needs, each with a better-worded provincial capability (b)
        // and a C9 capability (a).
        let tdb = TestDb::new(b).await;
        let corpus = tdb.temp_path().join("train");
        write_training_corpus(&corpus, 12);
        let (db, taxonomy) = tdb.open().await;
        let report = duijie::interchange::import::import_dir(&db, &taxonomy, &corpus, Default::default()).await.unwrap();
        assert_eq!(report.rejected(), 0, "{:?}", report.rejections);
        let root = tdb.temp_path().join("index");
        let build = duijie::search::indexer::rebuild(&db, &root, false).await.unwrap().build;
        let index = SearchIndex::open(&root, &build).unwrap();
        let needs: Vec<Profile> = duijie::storage::entities::need::Entity::find()
            .all(&db).await.unwrap().iter().map(Profile::from_model).collect();
        let analyzer = duijie::search::analyzer::Analyzer::shared();
        let current = Weights::builtin().unwrap();
        let a_first = |w: &Weights| -> usize {
            let m = Matcher { analyzer: &analyzer, taxonomy: &taxonomy, weights: w, vectors: None };
            needs.iter().filter(|n| {
                let r = m.rank_capabilities(&index, n, &MatchOptions::default()).unwrap();
                let pos = |id: &str| r.iter().position(|x| x.capability.id == id);
                let i = n.id.trim_start_matches("t-need-");
                pos(&format!("t-cap-a{i}")) < pos(&format!("t-cap-b{i}"))
            }).count()
        };
        assert!(a_first(&current) < 6, "b outranks a before training");
        // Staff confirm a and reject b for every need.
        let decisions: Vec<Decision> = (0..12).flat_map(|i| [
            Decision { need: format!("t-need-{i}"), capability: format!("t-cap-a{i}"), confirmed: true },
            Decision { need: format!("t-need-{i}"), capability: format!("t-cap-b{i}"), confirmed: false },
        ]).collect();
        let m = Matcher { analyzer: &analyzer, taxonomy: &taxonomy, weights: &current, vectors: None };
        // Act
        let fit = learn::fit(&m, &index, &needs, &decisions, &current).unwrap();
        let few = learn::fit(&m, &index, &needs, &decisions[..6], &current).unwrap();
        // Assert
        assert_eq!(fit.pairs, 12);
        assert!(fit.loss_after < fit.loss_before);
        assert!(fit.weights.tier > current.weights.tier, "{:?}", fit.weights);
        let mut trained = current.clone();
        trained.weights = fit.weights.clone();
        assert_eq!(a_first(&trained), 12, "a outranks b after training");
        assert_eq!(few.pairs, 3);
        assert_eq!(few.weights, current.weights, "too few decisions leave the weights unchanged");
        // Saved as the next version and picked up as the current one.
        let data = tdb.temp_path().join("data");
        let path = learn::save_next_version(&data, trained.clone()).unwrap();
        assert!(path.ends_with("weights-v2.toml"));
        let loaded = Weights::load(&data).unwrap();
        assert_eq!((loaded.version.as_str(), loaded.weights), ("v2", trained.weights));
        db.close().await.ok();
        tdb.drop_database().await;
    }
}
