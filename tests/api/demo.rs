//! The built-in demo corpus and accounts.

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;
use duijie::demo;
use duijie::domain::Role;
use duijie::storage::repo::users;

on_both_backends! {
    async fn the_demo_loads_into_an_empty_database_once(b: Backend) {
        let tdb = TestDb::new(b).await;
        let (db, taxonomy) = tdb.open().await;
        let report = demo::load_if_empty(&db, &taxonomy).await.unwrap().expect("loaded");
        let counts: Vec<(String, u64)> = report.files.iter().map(|f| (f.file.clone(), f.inserted)).collect();
        assert_eq!(counts, [
            ("organizations.jsonl".to_owned(), 30),
            ("needs.jsonl".to_owned(), 40),
            ("capabilities.jsonl".to_owned(), 60),
        ]);
        assert!(demo::load_if_empty(&db, &taxonomy).await.unwrap().is_none(), "second load is skipped");
        for a in &demo::ACCOUNTS {
            let u = users::by_username(&db, a.username).await.unwrap().expect("account exists");
            assert_eq!(u.role, a.role.as_str());
            let hash = u.password_hash.expect("has a password");
            assert!(hash.starts_with("$argon2id$"), "stored hashed");
            assert!(duijie::password::verify(demo::DEMO_PASSWORD, &hash));
            let has_org = u.organization_id.is_some();
            assert_eq!(has_org, matches!(a.role, Role::EnterpriseMember | Role::Researcher), "{}", a.username);
        }
        db.close().await.ok();
        tdb.drop_database().await;
    }
}
