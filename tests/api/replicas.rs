//! Several replicas over one PostgreSQL: two `duijie serve` processes, each
//! with its own data directory (and so its own search index), following the
//! shared change log. A write through one is searchable on the other within
//! 2 s, and stopping one loses nothing. PostgreSQL only: SQLite is a
//! single-process database.

use crate::helpers::{
    Backend, POSTGRES_ENV, TestDb, add_token, add_user, postgres_url, url_encode,
};
use duijie::domain::Role;
use duijie::storage::entities::need;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The requirement: a write through one replica is searchable on the other
/// within this time.
const CROSS_REPLICA_BUDGET: Duration = Duration::from_secs(2);

/// One `duijie serve` process; killed when dropped (a failing test leaves no
/// server behind).
struct Replica {
    name: &'static str,
    child: Child,
    base: String,
    data_dir: PathBuf,
    log: PathBuf,
}

impl Replica {
    fn start(name: &'static str, tdb: &TestDb, data_dir: &Path) -> Replica {
        Self::spawn(name, tdb, data_dir).started()
    }

    /// Starts the process without waiting for it to listen.
    fn spawn(name: &'static str, tdb: &TestDb, data_dir: &Path) -> Replica {
        let log = tdb.temp_path().join(format!("{name}.log"));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_duijie"))
            .env("DUIJIE_MODEL", "off")
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DUIJIE_DATABASE_URL", &tdb.url)
            .env("DUIJIE_DATA_DIR", data_dir)
            .env("RUST_LOG", "duijie=info")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start serve");
        Replica {
            name,
            child,
            base: String::new(),
            data_dir: data_dir.to_owned(),
            log,
        }
    }

    /// Waits for the line that says where the process listens.
    fn started(mut self) -> Replica {
        let mut line = String::new();
        BufReader::new(self.child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the first line of serve");
        match line.split_whitespace().find(|w| w.starts_with("http://")) {
            Some(base) => self.base = base.to_owned(),
            None => panic!(
                "replica {} did not start: {line:?}\n{}",
                self.name,
                self.log_text()
            ),
        }
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: the strictest way to stop a replica.
    fn kill_9(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `duijie reindex --check` over one replica's data directory.
fn index_check(tdb: &TestDb, data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duijie"))
        .env("DUIJIE_MODEL", "off")
        .args(["reindex", "--check"])
        .env("DUIJIE_DATABASE_URL", &tdb.url)
        .env("DUIJIE_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run reindex --check")
}

/// Polls `reindex --check` until it says `status=ok`; returns its last line.
async fn wait_index_ok(tdb: &TestDb, replica: &Replica, within: Duration) -> String {
    let started = Instant::now();
    loop {
        let out = index_check(tdb, &replica.data_dir);
        let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && text.contains("status=ok") {
            return text;
        }
        assert!(
            started.elapsed() < within,
            "replica {}'s index did not converge: {text}\n{}\n{}",
            replica.name,
            String::from_utf8_lossy(&out.stderr),
            replica.log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

struct Client {
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn call(
        &self,
        r: &Replica,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> reqwest::Result<(u16, serde_json::Value)> {
        let mut req = self
            .http
            .request(method, r.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// Whether a search on `r` for `words` lists the need `id`.
    async fn finds(&self, r: &Replica, words: &str, id: &str) -> bool {
        let path = format!("/api/v1/search?q={}&kind=need", url_encode(words));
        match self.call(r, Method::GET, &path, None).await {
            Ok((200, body)) => body["hits"]
                .as_array()
                .is_some_and(|hits| hits.iter().any(|h| h["id"] == id)),
            _ => false,
        }
    }

    /// Polls `r` until a search for `words` finds `id`; the time it took.
    async fn wait_found(&self, r: &Replica, words: &str, id: &str, since: Instant) -> Duration {
        loop {
            if self.finds(r, words, id).await {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(10),
                "{id} never became searchable on replica {}\n{}",
                r.name,
                r.log_text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A word no other record holds: ASCII letters only, so the analyzer keeps
/// it as one token.
fn marker(prefix: &str, n: usize) -> String {
    let letters: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(6)
        .collect();
    let digits: String = n
        .to_string()
        .chars()
        .map(|c| char::from(b'a' + c.to_digit(10).unwrap_or(0) as u8))
        .collect();
    format!("{prefix}{letters}{digits}")
}

fn need_body(word: &str) -> serde_json::Value {
    json!({
        "title": format!("多副本检索验证 {word} 取向硅钢退火工艺"),
        "description": format!("用于验证多个服务副本共享同一数据库时的检索一致性（{word}）：取向硅钢高温退火后底层附着性差，需要氧化镁涂液配方和退火工艺优化方案。"),
        "field": "materials",
        "keywords": ["取向硅钢", word],
        "cooperation": ["tech_development"],
        "budget_wan": 100
    })
}

/// A fresh PostgreSQL database with the small corpus and an enterprise
/// member's token; `None` (after saying so) without PostgreSQL.
async fn setup() -> Option<(TestDb, Client)> {
    if postgres_url().is_none() {
        eprintln!("skipped: {POSTGRES_ENV} is not set (replicas need PostgreSQL)");
        return None;
    }
    let tdb = TestDb::new(Backend::Postgres).await;
    let corpus = crate::helpers::small_corpus();
    let import = tdb.cli(&["import", corpus.to_str().expect("utf-8 path")]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let (db, _) = tdb.open().await;
    let user = add_user(
        &db,
        "replica-member",
        Role::EnterpriseMember,
        Some("t-org-steel"),
    )
    .await;
    let token = add_token(&db, user, None).await;
    db.close().await.ok();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    Some((tdb, Client { http, token }))
}

/// Waits until `r` answers a search (its index is built and open).
async fn wait_serving(c: &Client, r: &Replica) {
    let started = Instant::now();
    loop {
        if let Ok((200, _)) = c
            .call(
                r,
                Method::GET,
                "/api/v1/search?q=%E7%A1%85%E9%92%A2&kind=need",
                None,
            )
            .await
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "replica {} does not answer searches\n{}",
            r.name,
            r.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn a_write_through_one_replica_is_searchable_on_the_other_within_2_s() {
    let Some((tdb, c)) = setup().await else {
        return;
    };
    let a = Replica::start("a", &tdb, &tdb.temp_path().join("replica-a"));
    let b = Replica::start("b", &tdb, &tdb.temp_path().join("replica-b"));
    wait_serving(&c, &a).await;
    wait_serving(&c, &b).await;

    // Created through A, searched on B; then the other way round.
    let mut latencies = Vec::new();
    for round in 0..6 {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let word = marker("create", round);
        let (status, body) = c
            .call(
                writer,
                Method::POST,
                "/api/v1/needs",
                Some(&need_body(&word)),
            )
            .await
            .expect("POST /needs");
        assert_eq!(status, 201, "{body}");
        let posted = Instant::now();
        let id = body["id"].as_str().expect("id").to_owned();
        let took = c.wait_found(reader, &word, &id, posted).await;
        eprintln!(
            "replicas: created on {} → searchable on {} after {} ms",
            writer.name,
            reader.name,
            took.as_millis()
        );
        assert!(
            took <= CROSS_REPLICA_BUDGET,
            "{id} took {took:?} to reach replica {}",
            reader.name
        );
        latencies.push(took);

        // An edit through the reader replaces the words; the writer sees the
        // new ones, and no longer finds the old.
        let new_word = marker("update", round);
        let mut edit = need_body(&new_word);
        edit["version"] = body["version"].clone();
        let (status, edited) = c
            .call(
                reader,
                Method::PUT,
                &format!("/api/v1/needs/{id}"),
                Some(&edit),
            )
            .await
            .expect("PUT /needs");
        assert_eq!(status, 200, "{edited}");
        let put = Instant::now();
        let took = c.wait_found(writer, &new_word, &id, put).await;
        eprintln!(
            "replicas: updated on {} → searchable on {} after {} ms",
            reader.name,
            writer.name,
            took.as_millis()
        );
        assert!(
            took <= CROSS_REPLICA_BUDGET,
            "the edit of {id} took {took:?} to reach replica {}",
            writer.name
        );
        assert!(
            !c.finds(writer, &word, &id).await,
            "replica {} still finds {id} by its old words",
            writer.name
        );
        latencies.push(took);
    }
    let max = latencies.iter().max().copied().unwrap_or_default();
    eprintln!(
        "replicas: cross-replica latency over {} writes: median {} ms, max {} ms",
        latencies.len(),
        median(latencies).as_millis(),
        max.as_millis()
    );

    // Both indexes hold exactly the database.
    wait_index_ok(&tdb, &a, Duration::from_secs(5)).await;
    wait_index_ok(&tdb, &b, Duration::from_secs(5)).await;
    drop((a, b));
    tdb.drop_database().await;
}

#[tokio::test]
async fn stopping_one_replica_loses_no_acknowledged_write() {
    let Some((tdb, c)) = setup().await else {
        return;
    };
    let mut a = Replica::start("a", &tdb, &tdb.temp_path().join("replica-a"));
    let b = Replica::start("b", &tdb, &tdb.temp_path().join("replica-b"));
    wait_serving(&c, &a).await;
    wait_serving(&c, &b).await;

    // A writer alternating between the replicas; kill -9 A part-way through
    // and keep going (a load balancer would send A's share to B).
    let mut acknowledged: Vec<String> = Vec::new();
    let mut refused_on_a = 0;
    let mut a_alive = true;
    let started = Instant::now();
    for n in 0..60 {
        if n == 30 {
            a.kill_9();
            a_alive = false;
            eprintln!(
                "replicas: killed A after {} ms and {} acknowledged writes",
                started.elapsed().as_millis(),
                acknowledged.len()
            );
        }
        let target = if n % 2 == 0 && a_alive {
            &a
        } else if n % 2 == 0 {
            // A is gone: its share goes to B after one failed attempt.
            match c
                .call(&a, Method::POST, "/api/v1/needs", Some(&need_body("x")))
                .await
            {
                Ok((201, body)) => panic!("a killed replica answered: {body}"),
                _ => refused_on_a += 1,
            }
            &b
        } else {
            &b
        };
        let word = marker("loss", n);
        match c
            .call(
                target,
                Method::POST,
                "/api/v1/needs",
                Some(&need_body(&word)),
            )
            .await
        {
            Ok((201, body)) => acknowledged.push(body["id"].as_str().expect("id").to_owned()),
            Ok((status, body)) => panic!("write {n} on {}: {status} {body}", target.name),
            Err(e) => panic!("write {n} on {}: {e}", target.name),
        }
    }
    assert_eq!(acknowledged.len(), 60);
    assert_eq!(
        refused_on_a, 15,
        "every write sent to the killed replica failed"
    );

    // Every acknowledged write is in the database.
    let (db, _) = tdb.open().await;
    let stored = need::Entity::find()
        .filter(need::Column::ExternalId.is_in(acknowledged.iter().map(String::as_str)))
        .count(&db)
        .await
        .expect("count needs");
    db.close().await.ok();
    assert_eq!(
        stored,
        acknowledged.len() as u64,
        "acknowledged writes lost"
    );

    // B's index converges, and still finds what A acknowledged before dying.
    let check = wait_index_ok(&tdb, &b, Duration::from_secs(10)).await;
    eprintln!("replicas: B after the kill: {check}");
    let first = &acknowledged[0];
    let (status, body) = c
        .call(&b, Method::GET, &format!("/api/v1/needs/{first}"), None)
        .await
        .expect("GET need");
    assert_eq!(status, 200, "{body}");

    // A restarts over its old data directory and catches up with the writes
    // it missed while down.
    let lagging = index_check(&tdb, &a.data_dir);
    assert_eq!(
        lagging.status.code(),
        Some(1),
        "A's index should lag while A is down: {}",
        String::from_utf8_lossy(&lagging.stdout)
    );
    drop(a);
    let restarted = Instant::now();
    let a = Replica::start("a-restarted", &tdb, &tdb.temp_path().join("replica-a"));
    let check = wait_index_ok(&tdb, &a, Duration::from_secs(10)).await;
    eprintln!(
        "replicas: A caught up {} ms after restart: {check}",
        restarted.elapsed().as_millis()
    );
    let last = acknowledged.last().expect("writes");
    let (status, _) = c
        .call(&a, Method::GET, &format!("/api/v1/needs/{last}"), None)
        .await
        .expect("GET need");
    assert_eq!(status, 200);
    assert!(
        !a.log_text().contains("building the search index"),
        "A resumed its index rather than rebuilding it:\n{}",
        a.log_text()
    );
    drop((a, b));
    tdb.drop_database().await;
}

#[tokio::test]
async fn replicas_started_together_on_an_empty_database_both_come_up() {
    if postgres_url().is_none() {
        eprintln!("skipped: {POSTGRES_ENV} is not set (replicas need PostgreSQL)");
        return;
    }
    // Nothing migrated yet: both processes find the schema missing at once
    // (a first deployment, or a rolling upgrade that brings a migration).
    let tdb = TestDb::new(Backend::Postgres).await;
    let a = Replica::spawn("a", &tdb, &tdb.temp_path().join("replica-a"));
    let b = Replica::spawn("b", &tdb, &tdb.temp_path().join("replica-b"));
    let (a, b) = (a.started(), b.started());
    let http = reqwest::Client::new();
    for r in [&a, &b] {
        let resp = http.get(r.url("/readyz")).send().await.expect("readyz");
        assert_eq!(resp.status().as_u16(), 200, "replica {}", r.name);
    }
    // The taxonomy was seeded exactly once.
    let shipped = duijie::domain::Taxonomy::builtin().expect("shipped taxonomy");
    let want: usize = duijie::domain::TermKind::ALL
        .iter()
        .map(|k| shipped.terms(*k).len())
        .sum();
    let (db, _) = tdb.open().await;
    let stored = duijie::storage::entities::taxonomy_term::Entity::find()
        .count(&db)
        .await
        .expect("count terms");
    db.close().await.ok();
    assert_eq!(stored, want as u64);
    drop((a, b));
    tdb.drop_database().await;
}
