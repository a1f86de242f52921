//! `duijie import` / `duijie export` through the real binary: exit codes,
//! report lines, upsert semantics and the round trip.

use crate::helpers::{Backend, TestDb, dev_corpus};
use crate::on_both_backends;
use duijie::storage::entities::{capability, need, organization};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::path::Path;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn lines_of(dir: &Path, file: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

on_both_backends! {
    async fn the_dev_corpus_loads_whole_and_a_second_run_inserts_nothing(b: Backend) {
        let tdb = TestDb::new(b).await;
        let dev = dev_corpus();
        let first = tdb.cli(&["import", dev.to_str().unwrap()]);
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        let out = stdout(&first);
        assert!(out.contains("organizations.jsonl: inserted=91 updated=0 unchanged=0 rejected=0"), "{out}");
        assert!(out.contains("needs.jsonl: inserted=60 updated=0 unchanged=0 rejected=0"), "{out}");
        assert!(out.contains("capabilities.jsonl: inserted=300 updated=0 unchanged=0 rejected=0"), "{out}");

        let second = tdb.cli(&["import", dev.to_str().unwrap()]);
        assert_eq!(second.status.code(), Some(0));
        let out = stdout(&second);
        assert!(out.contains("organizations.jsonl: inserted=0 updated=0 unchanged=91 rejected=0"), "{out}");
        assert!(out.contains("needs.jsonl: inserted=0 updated=0 unchanged=60 rejected=0"), "{out}");
        assert!(out.contains("capabilities.jsonl: inserted=0 updated=0 unchanged=300 rejected=0"), "{out}");
        tdb.drop_database().await;
    }

    async fn import_export_import_is_the_identity(b: Backend) {
        // Arrange: the dev corpus in one database.
        let tdb = TestDb::new(b).await;
        let dev = dev_corpus();
        assert_eq!(tdb.cli(&["import", dev.to_str().unwrap()]).status.code(), Some(0));
        // Act: export it, import the export into a second database, export again.
        let out1 = tdb.temp_path().join("export1");
        let e1 = tdb.cli(&["export", out1.to_str().unwrap()]);
        assert_eq!(e1.status.code(), Some(0), "{}", stderr(&e1));
        assert!(stdout(&e1).contains("exported: organizations=91 needs=60 capabilities=300"));
        let again = tdb.cli(&["import", out1.to_str().unwrap()]);
        assert!(stdout(&again).contains("capabilities.jsonl: inserted=0 updated=0 unchanged=300 rejected=0"));
        let tdb2 = TestDb::new(b).await;
        assert_eq!(tdb2.cli(&["import", out1.to_str().unwrap()]).status.code(), Some(0));
        let out2 = tdb2.temp_path().join("export2");
        assert_eq!(tdb2.cli(&["export", out2.to_str().unwrap()]).status.code(), Some(0));
        // Assert: same records, same values, as the source and as each other.
        for file in ["organizations.jsonl", "needs.jsonl", "capabilities.jsonl"] {
            assert_eq!(lines_of(&dev, file), lines_of(&out1, file), "{file}: source vs export");
            let a = std::fs::read(out1.join(file)).unwrap();
            let b2 = std::fs::read(out2.join(file)).unwrap();
            assert!(a == b2, "{file}: exports differ");
        }
        tdb.drop_database().await;
        tdb2.drop_database().await;
    }

    async fn each_kind_of_bad_line_is_reported_and_the_rest_is_loaded(b: Backend) {
        let tdb = TestDb::new(b).await;
        let dir = tdb.temp_path().join("broken");
        std::fs::create_dir_all(&dir).unwrap();
        let long_title = "长".repeat(201);
        std::fs::write(
            dir.join("organizations.jsonl"),
            [
                r#"{"id":"b-org-1","name":"好企业有限公司","kind":"enterprise","region":"太原","uscc":"91140000110114391W"}"#,
                r#"{"id":"b-org-x","name":"坏 JSON"#,
                r#"{"id":"b-org-y","name":"坏代码公司","kind":"enterprise","uscc":"91140000110114391X"}"#,
                "",
                r#"{"id":"b-org-z","name":"未知领域公司","kind":"enterprise","fields":["steel"]}"#,
                r#"{"id":"b-org-2","name":"测试大学","kind":"university","tier":"provincial"}"#,
            ]
            .join("\n"),
        )
        .unwrap();
        let mut needs = Vec::new();
        for line in [
            r#"{"id":"b-need-1","org":"b-org-1","title":"好需求","description":"描述","field":"nev"}"#.to_owned(),
            r#"{"id":"b-need-x","org":"b-org-missing","title":"孤儿需求","description":"描述","field":"nev"}"#.to_owned(),
            format!(r#"{{"id":"b-need-y","org":"b-org-1","title":"{long_title}","description":"描述","field":"nev"}}"#),
            r#"{"id":"b-need-z","org":"b-org-1","title":"坏合作方式","description":"描述","field":"nev","cooperation":["buy"]}"#.to_owned(),
        ] {
            needs.extend_from_slice(line.as_bytes());
            needs.push(b'\n');
        }
        needs.extend_from_slice(b"{\"id\":\"b-need-u\",\"title\":\"\xff\xfe\"}\n");
        needs.extend_from_slice(
            r#"{"id":"b-need-k","org":"b-org-1","title":"拼错的键","description":"描述","field":"nev","budget":5}"#.as_bytes(),
        );
        needs.push(b'\n');
        needs.extend_from_slice(
            r#"{"id":"b-need-2","org":"b-org-1","title":"另一个好需求","description":"描述","field":"energy","deadline":"2027-01-31"}"#.as_bytes(),
        );
        std::fs::write(dir.join("needs.jsonl"), needs).unwrap();
        std::fs::write(
            dir.join("capabilities.jsonl"),
            [
                r#"{"id":"b-cap-x","org":"b-org-2","title":"成熟度越界","description":"描述","field":"nev","maturity":12}"#,
                r#"{"id":"b-cap-1","org":"b-org-2","title":"好成果","description":"描述","field":"nev","maturity":5}"#,
            ]
            .join("\n"),
        )
        .unwrap();

        let out = tdb.cli(&["import", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "exit code 2 when lines were rejected");
        let err = stderr(&out);
        let d = dir.display();
        for (expected, why) in [
            (format!("{d}/organizations.jsonl:2: JSON 无法解析"), "bad JSON"),
            (format!("{d}/organizations.jsonl:3: uscc: 统一社会信用代码无效：校验位错误"), "bad USCC"),
            (format!("{d}/organizations.jsonl:5: fields[0]: 未知的领域代码“steel”"), "unknown code"),
            (format!("{d}/needs.jsonl:2: org: 组织“b-org-missing”不存在"), "missing organization"),
            (format!("{d}/needs.jsonl:3: title: 长度为 201 个字符，最多允许 200 个"), "over-long field"),
            (format!("{d}/needs.jsonl:4: cooperation[0]: 未知的合作方式代码“buy”"), "unknown code in a list"),
            (format!("{d}/needs.jsonl:5: 不是有效的 UTF-8 文本"), "invalid UTF-8"),
            (format!("{d}/needs.jsonl:6: JSON 无法解析 / invalid JSON: unknown field `budget`"), "misspelt key"),
            (format!("{d}/capabilities.jsonl:1: maturity: 技术成熟度（TRL）应为 1–9"), "maturity out of range"),
        ] {
            assert!(err.lines().any(|l| l.starts_with(&expected)), "{why}: expected a line starting {expected}\n{err}");
        }
        assert_eq!(err.lines().filter(|l| l.contains(".jsonl:")).count(), 9, "{err}");
        let summary = stdout(&out);
        assert!(summary.contains("organizations.jsonl: inserted=2 updated=0 unchanged=0 rejected=3"), "{summary}");
        assert!(summary.contains("needs.jsonl: inserted=2 updated=0 unchanged=0 rejected=5"), "{summary}");
        assert!(summary.contains("capabilities.jsonl: inserted=1 updated=0 unchanged=0 rejected=1"), "{summary}");

        // Exactly the valid records were written, nothing of the rejected ones.
        let (db, _) = tdb.open().await;
        assert_eq!(organization::Entity::find().count(&db).await.unwrap(), 2);
        assert_eq!(need::Entity::find().count(&db).await.unwrap(), 2);
        assert_eq!(capability::Entity::find().count(&db).await.unwrap(), 1);
        db.close().await.ok();
        tdb.drop_database().await;
    }
}

#[tokio::test]
async fn importing_a_folder_that_does_not_exist_fails_with_exit_1() {
    let tdb = TestDb::new(Backend::Sqlite).await;
    let out = tdb.cli(&["import", "/nonexistent/corpus"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a directory"));
}
