//! Webhooks end to end: subscriptions through the API, events written with
//! the change, delivery to a receiver inside the test (127.0.0.1, port 0)
//! with a signature that verifies, retries with backoff, and delivery after
//! a restart of duijie mid-delivery.

use crate::helpers::{Answer, Backend, TestDb, add_token, add_user, answer, small_corpus};
use crate::on_both_backends;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use duijie::domain::Role;
use duijie::startup::Application;
use duijie::webhooks::WebhookConfig;
use hmac::{Hmac, Mac};
use reqwest::Method;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

// ---------------------------------------------------------------- receiver

#[derive(Debug, Clone)]
struct Hit {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Hit {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Clone, Default)]
struct Behaviour {
    hits: Arc<Mutex<Vec<Hit>>>,
    /// Answer 500 to the first n requests of each path.
    fail_first: usize,
    /// Never answer the first request of each path.
    hang_first: bool,
}

/// A webhook receiver on 127.0.0.1 (port 0). Paths ending in `/down`
/// always answer 500.
struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(fail_first: usize, hang_first: bool) -> Receiver {
        let behaviour = Behaviour {
            fail_first,
            hang_first,
            ..Default::default()
        };
        let hits = behaviour.hits.clone();
        let app = axum::Router::new()
            .fallback(axum::routing::post(receive))
            .with_state(behaviour);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self, path: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` got at least `n` requests (or fails after 30 s).
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Hit> {
        let started = std::time::Instant::now();
        loop {
            let hits = self.hits(path);
            if hits.len() >= n {
                return hits;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{path}: {} of {n} deliveries arrived",
                hits.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(
    State(b): State<Behaviour>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let path = uri.path().to_owned();
    let seen = {
        let mut hits = b.hits.lock().unwrap();
        let seen = hits.iter().filter(|h| h.path == path).count();
        hits.push(Hit {
            path: path.clone(),
            headers,
            body,
        });
        seen
    };
    if path.ends_with("/down") || seen < b.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    if b.hang_first && seen == 0 {
        tokio::time::sleep(Duration::from_secs(120)).await;
    }
    StatusCode::OK
}

/// Checks `X-Duijie-Signature` with an HMAC computed here, independently of duijie.
fn assert_signed(hit: &Hit, secret: &str) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&hit.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(hit.header("x-duijie-signature"), expected);
    assert!(duijie::webhooks::verify(
        secret,
        &hit.body,
        hit.header("x-duijie-signature")
    ));
    assert!(!duijie::webhooks::verify(
        "another secret!!",
        &hit.body,
        hit.header("x-duijie-signature")
    ));
}

// ------------------------------------------------------------------ duijie

fn fast(backoff_ms: &[u64], max_attempts: i32) -> WebhookConfig {
    WebhookConfig {
        backoff: backoff_ms
            .iter()
            .map(|ms| Duration::from_millis(*ms))
            .collect(),
        max_attempts,
        timeout: Duration::from_secs(3),
        poll_interval: Duration::from_millis(50),
        lease_margin: Duration::from_millis(500),
        // The receivers of these tests listen on 127.0.0.1.
        allow_private_targets: true,
    }
}

/// duijie over an existing database, with its own webhook settings; can be
/// stopped and started again on the same database.
struct Duijie {
    addr: SocketAddr,
    db: DatabaseConnection,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Duijie {
    async fn start(test_db: &TestDb, config: WebhookConfig) -> Duijie {
        let (db, taxonomy) = test_db.open().await;
        let app = Application::build(
            db.clone(),
            taxonomy,
            "127.0.0.1:0",
            &test_db.temp_path().join("data"),
            None,
        )
        .await
        .unwrap()
        .with_webhook_config(config);
        let addr = app.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        Duijie {
            addr,
            db,
            client: reqwest::Client::new(),
            stop: Some(tx),
            server: Some(server),
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.unwrap().unwrap();
        }
        self.db.close_by_ref().await.ok();
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, format!("http://{}{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn import_small_corpus(&self) {
        let taxonomy = duijie::storage::repo::taxonomy::load(&self.db)
            .await
            .unwrap();
        let report = duijie::interchange::import::import_dir(
            &self.db,
            &taxonomy,
            &small_corpus(),
            Default::default(),
        )
        .await
        .unwrap();
        assert_eq!(report.rejected(), 0);
    }

    async fn token(&self, name: &str, role: Role, org: Option<&str>) -> String {
        let id = add_user(&self.db, name, role, org).await;
        add_token(&self.db, id, None).await
    }

    /// A stored suggestion (no event: nothing changed state yet).
    async fn suggest(&self, need: &str, cap: &str) -> i64 {
        use duijie::storage::repo::{capabilities, matches, needs};
        let n = needs::get(&self.db, need).await.unwrap().unwrap();
        let c = capabilities::get(&self.db, cap).await.unwrap().unwrap();
        matches::insert_suggestions(&self.db, n.id, &[(c.id, 0.75)], chrono::Utc::now())
            .await
            .unwrap();
        matches::by_pair(&self.db, n.id, c.id)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// Moves a match one step on the version it has now.
    async fn step(&self, staff: &str, id: i64, to: &str) -> Answer {
        let now = self
            .call(
                Method::GET,
                &format!("/api/v1/matches/{id}"),
                Some(staff),
                None,
            )
            .await;
        let r = self
            .call(
                Method::POST,
                &format!("/api/v1/matches/{id}/transitions"),
                Some(staff),
                Some(&json!({
                    "to": to, "version": now.body["version"], "note": format!("转为 {to}")
                })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r
    }

    async fn subscribe(&self, token: &str, url: &str, events: &[&str]) -> (i64, String) {
        let r = self
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(token),
                Some(&json!({"url": url, "events": events})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let secret = r.body["secret"].as_str().unwrap().to_owned();
        assert!(secret.len() >= 16);
        (r.body["id"].as_i64().unwrap(), secret)
    }
}

const ALL_EVENTS: &[&str] = &[
    "match.state_changed",
    "agreement.created",
    "agreement.status_changed",
];

on_both_backends! {
    async fn events_reach_the_parties_and_staff_signed(b: Backend) {
        let test_db = TestDb::new(b).await;
        let duijie = Duijie::start(&test_db, fast(&[100, 200], 8)).await;
        duijie.import_small_corpus().await;
        let staff = duijie.token("staff", Role::ProgramStaff, None).await;
        let steel = duijie.token("member_steel", Role::EnterpriseMember, Some("t-org-steel")).await;
        let coke = duijie.token("member_coke", Role::EnterpriseMember, Some("t-org-coke")).await;
        let tyut = duijie.token("researcher_tyut", Role::Researcher, Some("t-org-tyut")).await;
        let rx = Receiver::start(0, false).await;

        // Managing subscriptions: validation and who may.
        let bad = duijie.call(Method::POST, "/api/v1/webhooks", Some(&steel), Some(&json!({"url": "ftp://x", "events": ["match.exploded"]}))).await;
        assert_eq!((bad.status, bad.code()), (422, Some("validation_failed")), "{}", bad.body);
        assert_eq!(bad.body["errors"].as_array().unwrap().len(), 2);
        let anon = duijie.call(Method::POST, "/api/v1/webhooks", None, Some(&json!({"url": rx.url("/x"), "events": ["agreement.created"]}))).await;
        assert_eq!(anon.status, 401);
        assert_eq!(duijie.call(Method::GET, "/api/v1/webhooks", None, None).await.status, 401);

        let (staff_sub, staff_secret) = duijie.subscribe(&staff, &rx.url("/hook/staff"), ALL_EVENTS).await;
        let (steel_sub, steel_secret) = duijie.subscribe(&steel, &rx.url("/hook/steel"), &["match.state_changed", "agreement.created"]).await;
        let (coke_sub, _) = duijie.subscribe(&coke, &rx.url("/hook/coke"), ALL_EVENTS).await;
        let (_, tyut_secret) = duijie.subscribe(&tyut, &rx.url("/hook/tyut"), ALL_EVENTS).await;
        let listed = duijie.call(Method::GET, "/api/v1/webhooks", Some(&steel), None).await;
        let items = listed.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!((items[0]["id"].as_i64(), items[0]["scope"].as_str()), (Some(steel_sub), Some("organization")));
        assert!(items[0].get("secret").is_none(), "the secret is shown once only");
        let staff_list = duijie.call(Method::GET, "/api/v1/webhooks", Some(&staff), None).await;
        assert_eq!(staff_list.body["items"][0]["scope"], "staff");
        assert_eq!(staff_list.body["items"].as_array().unwrap().len(), 1);
        for (token, id) in [(&coke, steel_sub), (&steel, staff_sub), (&steel, coke_sub)] {
            assert_eq!(duijie.call(Method::GET, &format!("/api/v1/webhooks/{id}/deliveries"), Some(token), None).await.status, 404);
            assert_eq!(duijie.call(Method::DELETE, &format!("/api/v1/webhooks/{id}"), Some(token), None).await.status, 404);
        }

        // A public match goes to confirmed and becomes a signed agreement;
        // a match on steel's confidential need is shortlisted.
        let public = duijie.suggest("t-need-2", "t-cap-2").await;
        let secret = duijie.suggest("t-need-3", "t-cap-2").await;
        for to in ["shortlisted", "introduced", "negotiating", "confirmed"] {
            duijie.step(&staff, public, to).await;
        }
        duijie.step(&staff, secret, "shortlisted").await;
        let a = duijie.call(Method::POST, "/api/v1/agreements", Some(&staff), Some(&json!({"match_id": public, "contract_type": "tech_service"}))).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let aid = a.body["id"].as_i64().unwrap();
        let signed = duijie.call(Method::POST, &format!("/api/v1/agreements/{aid}/status"), Some(&staff), Some(&json!({
            "to": "signed", "version": 1, "signing_date": "2026-04-02"
        }))).await;
        assert_eq!(signed.status, 200, "{}", signed.body);

        // staff: 5 match events + created + status_changed.
        let staff_hits = rx.wait_for("/hook/staff", 7).await;
        // steel: 5 match events (its confidential need included) + created.
        let steel_hits = rx.wait_for("/hook/steel", 6).await;
        // tyut: the public match only (4) + created + status_changed.
        let tyut_hits = rx.wait_for("/hook/tyut", 6).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(rx.hits("/hook/coke").is_empty(), "coke is no party");
        assert_eq!(rx.hits("/hook/staff").len(), 7);
        assert_eq!(rx.hits("/hook/steel").len(), 6);
        assert_eq!(rx.hits("/hook/tyut").len(), 6);
        for h in &tyut_hits {
            assert_ne!(h.json()["data"]["need"]["id"], "t-need-3", "confidential need leaked to another organization");
            assert_signed(h, &tyut_secret);
        }
        for h in &steel_hits {
            assert_signed(h, &steel_secret);
            assert_ne!(h.header("x-duijie-event"), "agreement.status_changed");
        }
        for h in &staff_hits {
            assert_signed(h, &staff_secret);
            let body = h.json();
            assert_eq!(h.header("x-duijie-event"), body["event"].as_str().unwrap());
            assert!(h.header("x-duijie-delivery").parse::<i64>().is_ok());
            assert_eq!(h.header("content-type"), "application/json");
        }
        let events: Vec<(String, Value, Value)> = staff_hits.iter().map(|h| {
            let b = h.json();
            (b["event"].as_str().unwrap().to_owned(), b["data"]["from"].clone(), b["data"]["to"].clone())
        }).collect();
        assert_eq!(events.iter().filter(|e| e.0 == "match.state_changed").count(), 5);
        assert!(events.contains(&("match.state_changed".into(), json!("negotiating"), json!("confirmed"))));
        assert!(events.contains(&("agreement.created".into(), Value::Null, json!("draft"))));
        assert!(events.contains(&("agreement.status_changed".into(), json!("draft"), json!("signed"))));
        let created = staff_hits.iter().map(Hit::json).find(|b| b["event"] == "agreement.created").unwrap();
        assert_eq!((created["data"]["agreement_id"].as_i64(), created["data"]["party_a"].as_str(), created["data"]["party_b"].as_str()),
            (Some(aid), Some("t-org-steel"), Some("t-org-tyut")));
        let confirmed = staff_hits.iter().map(Hit::json).find(|b| b["data"]["to"] == "confirmed").unwrap();
        assert_eq!((confirmed["data"]["match_id"].as_i64(), confirmed["data"]["need"]["id"].as_str(), confirmed["data"]["capability"]["org"].as_str()),
            (Some(public), Some("t-need-2"), Some("t-org-tyut")));

        // The delivery log.
        let log = duijie.call(Method::GET, &format!("/api/v1/webhooks/{steel_sub}/deliveries?per_page=100"), Some(&steel), None).await;
        assert_eq!(log.status, 200, "{}", log.body);
        assert_eq!(log.body["total"], 6);
        for d in log.body["items"].as_array().unwrap() {
            assert_eq!((d["status_code"].as_i64(), d["attempt"].as_i64(), d["delivery_state"].as_str()), (Some(200), Some(1), Some("delivered")), "{d}");
        }

        // Deleting a subscription stops its deliveries.
        assert_eq!(duijie.call(Method::DELETE, &format!("/api/v1/webhooks/{steel_sub}"), Some(&steel), None).await.status, 204);
        assert_eq!(duijie.call(Method::GET, "/api/v1/webhooks", Some(&steel), None).await.body["items"], json!([]));
        duijie.step(&staff, secret, "introduced").await;
        rx.wait_for("/hook/staff", 8).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(rx.hits("/hook/steel").len(), 6);

        duijie.stop().await;
        test_db.drop_database().await;
    }

    async fn failing_receivers_are_retried_with_backoff(b: Backend) {
        let test_db = TestDb::new(b).await;
        let duijie = Duijie::start(&test_db, fast(&[100, 200, 300], 3)).await;
        duijie.import_small_corpus().await;
        let staff = duijie.token("staff", Role::ProgramStaff, None).await;
        let rx = Receiver::start(2, false).await;
        let (flaky, secret) = duijie.subscribe(&staff, &rx.url("/flaky"), &["match.state_changed"]).await;
        let (down, _) = duijie.subscribe(&staff, &rx.url("/down"), &["match.state_changed"]).await;
        let m = duijie.suggest("t-need-1", "t-cap-1").await;
        duijie.step(&staff, m, "shortlisted").await;

        // 500, 500, then 200: one event, three attempts, the same delivery id and body.
        let hits = rx.wait_for("/flaky", 3).await;
        let ids: Vec<&str> = hits.iter().map(|h| h.header("x-duijie-delivery")).collect();
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        assert!(hits.iter().all(|h| h.body == hits[0].body));
        assert_signed(&hits[2], &secret);
        let started = std::time::Instant::now();
        loop {
            let log = duijie.call(Method::GET, &format!("/api/v1/webhooks/{flaky}/deliveries"), Some(&staff), None).await;
            if log.body["total"] == 3 && log.body["items"][0]["delivery_state"] == "delivered" {
                let attempts: Vec<(i64, i64)> = log.body["items"].as_array().unwrap().iter()
                    .map(|d| (d["attempt"].as_i64().unwrap(), d["status_code"].as_i64().unwrap())).collect();
                assert_eq!(attempts, vec![(3, 200), (2, 500), (1, 500)]);
                assert_eq!(log.body["items"][2]["error"], "HTTP 500 Internal Server Error");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{}", log.body);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // A receiver that keeps failing is given up after max_attempts.
        rx.wait_for("/down", 3).await;
        let started = std::time::Instant::now();
        loop {
            let log = duijie.call(Method::GET, &format!("/api/v1/webhooks/{down}/deliveries"), Some(&staff), None).await;
            if log.body["items"][0]["delivery_state"] == "failed" {
                assert_eq!(log.body["total"], 3);
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{}", log.body);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(rx.hits("/down").len(), 3, "no attempts after giving up");

        duijie.stop().await;
        test_db.drop_database().await;
    }

    async fn deliveries_survive_a_restart_mid_delivery(b: Backend) {
        let test_db = TestDb::new(b).await;
        let duijie = Duijie::start(&test_db, fast(&[100], 8)).await;
        duijie.import_small_corpus().await;
        let staff = duijie.token("staff", Role::ProgramStaff, None).await;
        // The first request is never answered: duijie is stopped while it waits.
        let rx = Receiver::start(0, true).await;
        let (sub, secret) = duijie.subscribe(&staff, &rx.url("/slow"), ALL_EVENTS).await;
        let m = duijie.suggest("t-need-2", "t-cap-2").await;
        duijie.step(&staff, m, "shortlisted").await;
        let first = rx.wait_for("/slow", 1).await;
        duijie.stop().await;

        // Meanwhile nothing is delivered; a new process on the same database
        // delivers the event.
        let again = Duijie::start(&test_db, fast(&[100], 8)).await;
        let hits = rx.wait_for("/slow", 2).await;
        assert_eq!(hits[1].header("x-duijie-delivery"), first[0].header("x-duijie-delivery"));
        assert_eq!(hits[1].body, first[0].body);
        assert_signed(&hits[1], &secret);
        assert_eq!(hits[1].json()["data"]["to"], "shortlisted");
        let started = std::time::Instant::now();
        loop {
            let log = again.call(Method::GET, &format!("/api/v1/webhooks/{sub}/deliveries"), Some(&staff), None).await;
            if log.body["items"][0]["delivery_state"] == "delivered" {
                assert_eq!(log.body["items"][0]["status_code"], 200);
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{}", log.body);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        again.stop().await;
        test_db.drop_database().await;
    }

    async fn internal_targets_are_refused_unless_the_server_allows_them(b: Backend) {
        // No request leaves the machine: refused URLs are refused before any
        // connection, and the only receiver is on 127.0.0.1.
        let test_db = TestDb::new(b).await;
        let strict = WebhookConfig { allow_private_targets: false, ..fast(&[100], 2) };
        let duijie = Duijie::start(&test_db, strict.clone()).await;
        duijie.import_small_corpus().await;
        let staff = duijie.token("staff", Role::ProgramStaff, None).await;
        let steel = duijie.token("member_steel", Role::EnterpriseMember, Some("t-org-steel")).await;
        for url in [
            "http://10.0.0.1/hook",
            "http://localhost/hook",
            "http://127.0.0.1:9/hook",
            "http://[::1]/hook",
            "http://192.168.1.10/hook",
            "http://172.20.0.5/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/hook",
        ] {
            for token in [&staff, &steel] {
                let r = duijie.call(Method::POST, "/api/v1/webhooks", Some(token),
                    Some(&json!({"url": url, "events": ["match.state_changed"]}))).await;
                assert_eq!(r.status, 422, "{url}: {}", r.body);
                assert_eq!(r.code(), Some("webhook_target_refused"), "{url}");
                assert_eq!(r.body["errors"][0]["field"], "url");
                assert!(r.body["message_en"].as_str().unwrap().contains("DUIJIE_WEBHOOK_ALLOW_PRIVATE"), "{}", r.body);
            }
        }
        let list = duijie.call(Method::GET, "/api/v1/webhooks", Some(&staff), None).await;
        assert_eq!(list.body["items"], json!([]), "{}", list.body);
        duijie.stop().await;

        // Subscribed while the server allowed it, delivered after a restart
        // without the setting: re-checked at delivery, never connected.
        let rx = Receiver::start(0, false).await;
        let lax = Duijie::start(&test_db, fast(&[100], 2)).await;
        let (sub, _) = lax.subscribe(&staff, &rx.url("/local"), ALL_EVENTS).await;
        lax.stop().await;
        let duijie = Duijie::start(&test_db, strict).await;
        let m = duijie.suggest("t-need-2", "t-cap-2").await;
        duijie.step(&staff, m, "shortlisted").await;
        let started = std::time::Instant::now();
        loop {
            let log = duijie.call(Method::GET, &format!("/api/v1/webhooks/{sub}/deliveries"), Some(&staff), None).await;
            if log.body["items"][0]["delivery_state"] == "failed" {
                assert_eq!(log.body["total"], 2, "{}", log.body);
                for d in log.body["items"].as_array().unwrap() {
                    assert!(d["status_code"].is_null(), "{d}");
                    let error = d["error"].as_str().unwrap();
                    assert!(error.starts_with("webhook_target_refused"), "{error}");
                }
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{}", log.body);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(rx.hits("/local").is_empty(), "no request reached the receiver");
        duijie.stop().await;
        test_db.drop_database().await;
    }
}
