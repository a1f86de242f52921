//! Crash safety of the index: kill -9 the server while it indexes, restart it,
//! and the index converges to the database (same ids, same versions).

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;
use duijie::search::Kind;
use duijie::search::store::{self, SearchIndex};
use duijie::storage::entities::{capability, need};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start_server(tdb: &TestDb, data_dir: &Path) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_duijie"))
        .env("DUIJIE_MODEL", "off")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DUIJIE_DATABASE_URL", &tdb.url)
        .env("DUIJIE_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("http://"), "server did not start: {line}");
    child
}

async fn database_contents(tdb: &TestDb) -> (Vec<(String, u64)>, Vec<(String, u64)>) {
    let db = duijie::storage::connect(&tdb.url).await.unwrap();
    let mut needs: Vec<(String, u64)> = need::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.external_id, n.version as u64))
        .collect();
    let mut caps: Vec<(String, u64)> = capability::Entity::find()
        .filter(capability::Column::Status.eq("published"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.external_id, c.version as u64))
        .collect();
    db.close().await.ok();
    needs.sort();
    caps.sort();
    (needs, caps)
}

on_both_backends! {
    async fn the_index_converges_after_kill_9_during_heavy_indexing(b: Backend) {
        let tdb = TestDb::new(b).await;
        let data_dir = tdb.temp_path().join("data");
        let corpus = tdb.temp_path().join("gen");
        let generated = tdb.cli(&["gen", corpus.to_str().unwrap(), "--needs", "1500", "--capabilities", "2500", "--seed", "7"]);
        assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
        assert!(tdb.cli(&["migrate"]).status.success());

        // Arrange: a server indexing a large import when it is killed.
        let mut server = start_server(&tdb, &data_dir);
        let import = tdb.cli(&["import", corpus.to_str().unwrap()]);
        assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
        std::thread::sleep(Duration::from_millis(150));
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();

        // A second round of changes while it is down: every need updated.
        let changed = tdb.temp_path().join("changed");
        std::fs::create_dir_all(&changed).unwrap();
        let needs = std::fs::read_to_string(corpus.join("needs.jsonl")).unwrap();
        std::fs::write(changed.join("needs.jsonl"), needs.replace("\"title\":\"", "\"title\":\"更新：")).unwrap();
        assert!(tdb.cli(&["import", changed.to_str().unwrap()]).status.success());

        // While it is down the index lags, and `reindex --check` says so.
        let lagging = tdb.cli(&["reindex", "--check"]);
        assert_eq!(lagging.status.code(), Some(1), "{}", String::from_utf8_lossy(&lagging.stdout));
        assert!(String::from_utf8_lossy(&lagging.stdout).contains("status=differs"));

        // Act: restart and let it catch up.
        let mut server = start_server(&tdb, &data_dir);
        let expected = database_contents(&tdb).await;
        assert_eq!((expected.0.len(), expected.1.len() > 2000), (1500, true));
        let root = store::root(&data_dir);
        let started = Instant::now();
        let converged = loop {
            let got = store::current_build(&root).and_then(|build| {
                let index = SearchIndex::open(&root, &build).ok()?;
                Some((index.contents(Kind::Need).ok()?, index.contents(Kind::Capability).ok()?))
            });
            if got.as_ref() == Some(&expected) {
                break true;
            }
            if started.elapsed() > Duration::from_secs(60) {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        server.kill().unwrap();
        server.wait().unwrap();
        // Assert
        assert!(converged, "index did not converge to the database");
        let check = tdb.cli(&["reindex", "--check"]);
        let out = String::from_utf8_lossy(&check.stdout);
        assert!(check.status.success() && out.contains("status=ok needs=1500"), "{out}");
        assert!(expected.0.iter().all(|(_, v)| *v == 2), "every need is at version 2");
        tdb.drop_database().await;
    }
}
