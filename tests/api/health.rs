use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends! {
    async fn liveness_and_readiness_answer_ok(b: Backend) {
        let app = TestApp::spawn(b).await;
        let (status, body) = app.get_json("/healthz").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
        let (status, body) = app.get_json("/readyz").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
        app.stop().await;
    }

    async fn every_response_carries_a_request_id(b: Backend) {
        let app = TestApp::spawn(b).await;
        let resp = app.get("/healthz").await;
        assert!(resp.headers().get("x-request-id").is_some());
        app.stop().await;
    }
}

#[tokio::test]
async fn readiness_reports_503_as_a_problem_when_the_database_is_gone() {
    // Arrange: a server whose pool is closed underneath it.
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.db.close_by_ref().await.expect("close pool");
    // Act
    let resp = app.get("/readyz").await;
    // Assert
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(
        resp.headers()["content-type"].to_str().ok(),
        Some("application/problem+json")
    );
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "database_unavailable");
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_read_endpoints() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/needs",
        "/api/v1/needs/{id}",
        "/api/v1/capabilities",
        "/api/v1/capabilities/{id}",
        "/api/v1/taxonomy",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_api_docs_page_loads_nothing_from_outside() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger"), "not the Swagger UI page");
    assert!(!html.contains("src=\"http"), "page loads a remote script");
    assert!(
        !html.contains("href=\"http"),
        "page loads a remote stylesheet"
    );
    let init = app.get("/api/docs/swagger-initializer.js").await;
    assert_eq!(init.status().as_u16(), 200);
    assert!(init.text().await.expect("js").contains("/api/openapi.json"));
    app.stop().await;
}
