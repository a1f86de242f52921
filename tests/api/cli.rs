//! The binary's own behaviour: migrations and a clean stop on SIGTERM.

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

on_both_backends! {
    async fn migrate_reports_status_and_goes_down_and_up(b: Backend) {
        let tdb = TestDb::new(b).await;
        let out = |args: &[&str]| {
            let o = tdb.cli(args);
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        assert!(out(&["migrate", "status"]).contains("create_core_tables\tpending"));
        out(&["migrate"]);
        let status = out(&["migrate", "status"]);
        assert!(status.contains("create_core_tables\tapplied") && status.contains("accounts\tapplied"));
        assert!(status.contains("curation\tapplied"));
        // `down` rolls back the latest migration only: one per call, newest
        // first, down to none (whatever migrations later work adds).
        let names: Vec<String> = status.lines().filter_map(|l| l.split('\t').next()).map(str::to_owned).collect();
        assert!(names.len() >= 3, "{status}");
        for (i, name) in names.iter().enumerate().rev() {
            out(&["migrate", "down"]);
            let now = out(&["migrate", "status"]);
            assert!(now.contains(&format!("{name}\tpending")), "{name}: {now}");
            if let Some(before) = i.checked_sub(1).map(|j| &names[j]) {
                assert!(now.contains(&format!("{before}\tapplied")), "{before}: {now}");
            }
        }
        assert!(out(&["migrate", "status"]).contains("create_core_tables\tpending"));
        out(&["migrate", "up"]);
        out(&["migrate", "fresh"]);
        assert!(out(&["migrate", "status"]).contains("create_core_tables\tapplied"));
        tdb.drop_database().await;
    }
}

#[tokio::test]
async fn serve_answers_and_stops_cleanly_on_sigterm() {
    let tdb = TestDb::new(Backend::Sqlite).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_duijie"))
        .env("DUIJIE_MODEL", "off")
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("DUIJIE_DATABASE_URL", &tdb.url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    // The first stdout line names the address it listens on.
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("address in the startup line")
        .to_owned();
    let body: serde_json::Value = reqwest::get(format!("http://{addr}/api/v1/needs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["total"].as_u64().is_some_and(|t| t > 0),
        "demo needs are served"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            waited < Duration::from_secs(10),
            "serve did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert_eq!(status.code(), Some(0));
}
