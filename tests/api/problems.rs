//! Every error is application/problem+json with a stable code and a Chinese
//! message (English alongside).

use crate::helpers::{Backend, TestApp};

async fn problem(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "status {status}"
    );
    let body: serde_json::Value = resp.json().await.expect("problem body");
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)));
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_ascii()),
        "Chinese message: {body}"
    );
    assert!(body["message_en"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(
        body["type"].as_str().map(str::to_owned),
        body["code"]
            .as_str()
            .map(|c| format!("urn:duijie:problem:{c}"))
    );
    (status, body)
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = problem(app.get("/api/v1/nothing-here").await).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let resp = app
        .client
        .delete(app.url("/api/v1/needs"))
        .send()
        .await
        .expect("send");
    let (status, body) = problem(resp).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_query_parameters_are_all_named_in_one_400() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let resp = app
        .get("/api/v1/capabilities?per_page=500&page=0&field=steel&status=gone&maturity_min=12")
        .await;
    let (status, body) = problem(resp).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query"))
    );
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["page", "per_page", "field", "status", "maturity_min"]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_query_value_of_the_wrong_type_is_a_400_problem() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = problem(app.get("/api/v1/needs?page=abc").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query"))
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_id_is_a_404_problem_naming_it() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = problem(app.get("/api/v1/needs/need-none").await).await;
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("need-none"))
    );
    app.stop().await;
}

#[tokio::test]
async fn hostile_path_and_query_input_never_causes_a_server_error() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let long = "长".repeat(5000);
    let paths = [
        format!("/api/v1/needs/{long}"),
        "/api/v1/needs/%00%ff".to_owned(),
        "/api/v1/needs/'%20OR%201=1--".to_owned(),
        format!("/api/v1/needs?region={long}"),
        "/api/v1/organizations?field=%25&kind=%22".to_owned(),
        "/api/v1/needs?region=%25".to_owned(),
        "/api/v1/needs?page=18446744073709551615".to_owned(),
        "/api/v1/needs?per_page=-1".to_owned(),
        "/api/v1/capabilities?maturity_min=99999999999".to_owned(),
    ];
    for p in &paths {
        let status = app.get(p).await.status().as_u16();
        assert!(matches!(status, 200 | 400 | 404), "{p}: {status}");
    }
    app.stop().await;
}
