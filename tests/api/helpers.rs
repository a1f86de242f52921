//! Test harness: a fresh database per test (a SQLite file in a temporary
//! folder, or a new PostgreSQL database when `DUIJIE_TEST_POSTGRES_URL` is
//! set), the real server on port 0, and the CLI binary.

use duijie::domain::Taxonomy;
use duijie::startup::{self, Application};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tokio::sync::oneshot;

pub const POSTGRES_ENV: &str = "DUIJIE_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed test body once per backend: `<name>::sqlite` always and
/// `<name>::postgres` when `DUIJIE_TEST_POSTGRES_URL` is set (otherwise it
/// says it skipped, so a local run without PostgreSQL stays green).
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($b:ident: $ty:ty) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($b: $ty) $body
            #[tokio::test]
            async fn sqlite() {
                run($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                if $crate::helpers::postgres_url().is_some() {
                    run($crate::helpers::Backend::Postgres).await
                } else {
                    eprintln!("skipped: {} is not set", $crate::helpers::POSTGRES_ENV);
                }
            }
        }
    )*};
}

pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared, hand-judged dev corpus beside the checkout.
pub fn dev_corpus() -> PathBuf {
    let p = repo_root().join("../shared/eval/dev");
    assert!(
        p.is_dir(),
        "../shared/eval/dev is missing beside the checkout"
    );
    p
}

pub fn small_corpus() -> PathBuf {
    repo_root().join("tests/fixtures/small")
}

/// A fresh, empty database.
pub struct TestDb {
    pub url: String,
    /// Keeps the SQLite folder alive for the test's duration.
    _dir: tempfile::TempDir,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
                _dir: dir,
                pg_admin: None,
            },
            Backend::Postgres => {
                let base = postgres_url().expect("postgres url");
                let (server, base_db) =
                    base.rsplit_once('/').expect("postgres url with a database");
                let name = format!(
                    "{}_t{}",
                    base_db.split('?').next().unwrap_or("duijie"),
                    &uuid::Uuid::new_v4().simple().to_string()[..12]
                );
                let admin = duijie::storage::connect(&base)
                    .await
                    .expect("connect to postgres");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                TestDb {
                    url: format!("{server}/{name}"),
                    _dir: dir,
                    pg_admin: Some((base, name)),
                }
            }
        }
    }

    /// Drops the PostgreSQL database (SQLite files go with the temp folder).
    pub async fn drop_database(&self) {
        if let Some((base, name)) = &self.pg_admin
            && let Ok(admin) = duijie::storage::connect(base).await
        {
            let _ = admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                ))
                .await;
            admin.close().await.ok();
        }
    }

    /// Connects with migrations applied and the taxonomy seeded.
    pub async fn open(&self) -> (DatabaseConnection, Taxonomy) {
        startup::open_database(&self.url)
            .await
            .expect("open database")
    }

    /// Runs the `duijie` binary against this database.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command(args)
            .env("DUIJIE_MODEL", "off")
            .output()
            .expect("run duijie")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_duijie"));
        c.args(args)
            .env("DUIJIE_DATABASE_URL", &self.url)
            .env("DUIJIE_DATA_DIR", self._dir.path().join("data"))
            .env("RUST_LOG", "warn");
        c
    }

    /// `cli` with the semantic model at `model`.
    pub fn cli_with_model(&self, args: &[&str], model: &Path) -> Output {
        self.command(args)
            .env("DUIJIE_MODEL", model)
            // Vectors are a pure function of model and text: kept between
            // runs in the target directory, not in the user's cache.
            .env(
                "DUIJIE_VECTOR_CACHE",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("e5-vectors.bin"),
            )
            .output()
            .expect("run duijie")
    }

    pub fn temp_path(&self) -> &Path {
        self._dir.path()
    }
}

/// The real server on an ephemeral port over a fresh database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub search: duijie::search::SearchService,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub test_db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts the server; `seed` runs against the database first.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with_model(backend, None).await
    }

    /// `spawn`, with semantic matching on `model`.
    pub async fn spawn_with_model(
        backend: Backend,
        model: Option<std::sync::Arc<duijie::semantic::Model>>,
    ) -> TestApp {
        let test_db = TestDb::new(backend).await;
        let (db, taxonomy) = test_db.open().await;
        let data_dir = test_db.temp_path().join("data");
        // Tests may only ever send traffic to loopback: webhook subscriptions
        // in tests point at 127.0.0.1, which the target policy allows only
        // when told to.
        let app = Application::build(db.clone(), taxonomy, "127.0.0.1:0", &data_dir, model)
            .await
            .expect("bind")
            .with_webhook_config(duijie::webhooks::WebhookConfig {
                allow_private_targets: true,
                ..Default::default()
            });
        let search = app.search().clone();
        let addr = app.local_addr().expect("address");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            search,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            db,
            test_db,
            stop: Some(tx),
            server: Some(server),
        }
    }

    /// Starts the server over the small fixture corpus.
    pub async fn with_small_corpus(backend: Backend) -> TestApp {
        let app = Self::spawn(backend).await;
        let taxonomy = duijie::storage::repo::taxonomy::load(&app.db)
            .await
            .expect("taxonomy");
        let report = duijie::interchange::import::import_dir(
            &app.db,
            &taxonomy,
            &small_corpus(),
            Default::default(),
        )
        .await
        .expect("import fixture");
        assert_eq!(report.rejected(), 0, "{:?}", report.rejections);
        app.search.notify_change();
        app
    }

    /// Waits until the search index has applied every change-log row written
    /// so far (or fails after 10 s).
    pub async fn wait_for_index(&self) {
        use sea_orm::{EntityTrait, QueryOrder};
        let last = duijie::storage::entities::change_log::Entity::find()
            .order_by_desc(duijie::storage::entities::change_log::Column::Seq)
            .one(&self.db)
            .await
            .expect("change log")
            .map_or(0, |c| c.seq);
        let started = std::time::Instant::now();
        loop {
            if self.search.position() >= last {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "index did not catch up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        let body = resp.json().await.expect("json body");
        (status, body)
    }

    /// Stops the server gracefully and drops the test database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            h.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        self.db.close_by_ref().await.ok();
        self.test_db.drop_database().await;
    }
}

/// Ids of the items of a list response.
/// Percent-encodes a query-string value (every byte but ASCII letters and
/// digits), for search URLs with Chinese text.
pub fn url_encode(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn ids(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The password of users made by [`add_user`].
pub const TEST_PASSWORD: &str = "correct-horse-battery";

/// Creates a user directly in the database (password [`TEST_PASSWORD`]);
/// `org` is an organization's external id. Returns the user's id.
pub async fn add_user(
    db: &DatabaseConnection,
    username: &str,
    role: duijie::domain::Role,
    org: Option<&str>,
) -> i64 {
    let organization_id = match org {
        Some(ext) => Some(
            duijie::storage::repo::organizations::get(db, ext)
                .await
                .expect("organization lookup")
                .unwrap_or_else(|| panic!("no organization {ext}"))
                .id,
        ),
        None => None,
    };
    duijie::storage::repo::users::create(
        db,
        duijie::storage::repo::users::NewUser {
            username,
            display_name: username,
            role,
            organization_id,
            password_hash: Some(duijie::password::hash(TEST_PASSWORD).expect("hash")),
        },
    )
    .await
    .expect("create user")
    .id
}

/// Creates an API token for a user directly; returns the token itself.
pub async fn add_token(
    db: &DatabaseConnection,
    user_id: i64,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let secret = duijie::credentials::new_api_token();
    duijie::storage::repo::api_tokens::create(
        db,
        duijie::storage::repo::api_tokens::NewToken {
            user_id,
            name: "test",
            token_hash: &secret.hash,
            token_prefix: &duijie::credentials::shown_prefix(&secret.plain),
            expires_at,
        },
        chrono::Utc::now(),
    )
    .await
    .expect("create token");
    secret.plain
}

/// The outcome of a request: status, headers and JSON body (`Null` when
/// the body is empty or not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl TestApp {
    /// Creates a user and an API token for them; returns the token.
    pub async fn user_with_token(
        &self,
        username: &str,
        role: duijie::domain::Role,
        org: Option<&str>,
    ) -> String {
        let id = add_user(&self.db, username, role, org).await;
        add_token(&self.db, id, None).await
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Answer {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        answer(req.send().await.expect("request")).await
    }
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

impl TestDb {
    /// Runs the `duijie` binary with `stdin` as its standard input.
    pub fn cli_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_duijie"))
            .env("DUIJIE_MODEL", "off")
            .args(args)
            .env("DUIJIE_DATABASE_URL", &self.url)
            .env("DUIJIE_DATA_DIR", self._dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run duijie");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait for duijie")
    }
}

/// The semantic model fetched by scripts/fetch-model.sh, if it is there.
/// CI sets DUIJIE_REQUIRE_MODEL=1: there a missing model fails the tests
/// that use it instead of letting them fall back to lexical ranking.
pub fn fetched_model() -> Option<std::path::PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(duijie::semantic::DEFAULT_MODEL);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("DUIJIE_REQUIRE_MODEL").as_deref() != Ok("1"),
        "DUIJIE_REQUIRE_MODEL=1 but {} is missing: run scripts/fetch-model.sh",
        path.display()
    );
    eprintln!(
        "no semantic model at {}: skipping its checks",
        path.display()
    );
    None
}
