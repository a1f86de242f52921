//! Requests per API token are limited (`DUIJIE_TOKEN_RATE_PER_MINUTE`): past
//! the burst a token gets 429 with `Retry-After`, other tokens do not.

use crate::helpers::{Backend, TestDb, add_token, add_user};
use duijie::domain::Role;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn a_token_past_its_rate_gets_429_and_another_token_does_not() {
    let tdb = TestDb::new(Backend::Sqlite).await;
    assert!(tdb.cli(&["migrate"]).status.success());
    let (db, _) = tdb.open().await;
    let busy = add_user(&db, "busy", Role::ProgramStaff, None).await;
    let calm = add_user(&db, "calm", Role::ProgramStaff, None).await;
    let busy_token = add_token(&db, busy, None).await;
    let calm_token = add_token(&db, calm, None).await;
    db.close().await.ok();

    // 60 per minute: a burst of 6, then one more every second.
    let mut server = Command::new(env!("CARGO_BIN_EXE_duijie"))
        .env("DUIJIE_MODEL", "off")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DUIJIE_DATABASE_URL", &tdb.url)
        .env("DUIJIE_DATA_DIR", tdb.temp_path().join("data"))
        .env("DUIJIE_TOKEN_RATE_PER_MINUTE", "60")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map(|a| format!("http://{a}"))
        .unwrap();

    let client = reqwest::Client::new();
    let me = |token: &str| {
        client
            .get(format!("{base}/api/v1/auth/me"))
            .bearer_auth(token)
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(me(&busy_token).await.unwrap().status().as_u16());
    }
    let refused = me(&busy_token).await.unwrap();
    let calm_status = me(&calm_token).await.unwrap().status().as_u16();
    let status = refused.status().as_u16();
    let retry_after = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let ctype = refused
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = refused.json().await.unwrap();
    server.kill().ok();
    server.wait().ok();

    assert_eq!(&statuses[..6], &[200; 6], "the burst passes: {statuses:?}");
    assert!(statuses[6..].contains(&429), "then refused: {statuses:?}");
    assert_eq!(status, 429);
    assert_eq!(body["code"], "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("请求过于频繁"));
    assert!(ctype.unwrap().starts_with("application/problem+json"));
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)));
    assert_eq!(calm_status, 200, "another token keeps its own budget");
    tdb.drop_database().await;
}
