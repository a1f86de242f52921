//! Storage rules that the HTTP layer relies on: visibility per caller and the
//! change log written with every change.

use crate::helpers::{Backend, TestDb, small_corpus};
use crate::on_both_backends;
use duijie::domain::access::Visibility;
use duijie::interchange::import;
use duijie::storage::entities::{change_log, organization};
use duijie::storage::repo::{Page, needs};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

const ALL_PAGE: Page = Page {
    page: 1,
    per_page: 100,
};

on_both_backends! {
    async fn an_organization_sees_its_own_confidential_and_draft_needs_only(b: Backend) {
        let tdb = TestDb::new(b).await;
        let (db, taxonomy) = tdb.open().await;
        import::import_dir(&db, &taxonomy, &small_corpus(), Default::default()).await.unwrap();
        let org_id = |ext: &'static str| {
            let db = db.clone();
            async move {
                organization::Entity::find()
                    .filter(organization::Column::ExternalId.eq(ext))
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let listed = |v: Visibility| {
            let db = db.clone();
            async move {
                let mut ids: Vec<String> = needs::list(&db, &needs::Filter::default(), v, ALL_PAGE)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|n| n.external_id)
                    .collect();
                ids.sort();
                ids
            }
        };
        let steel = org_id("t-org-steel").await;
        let coke = org_id("t-org-coke").await;
        assert_eq!(listed(Visibility::PublicAndOrg(steel)).await, ["t-need-1", "t-need-2", "t-need-3", "t-need-5"]);
        assert_eq!(listed(Visibility::PublicAndOrg(coke)).await, ["t-need-1", "t-need-2", "t-need-4", "t-need-5"]);
        assert_eq!(listed(Visibility::All).await.len(), 5);
        assert!(needs::get_visible(&db, "t-need-3", Visibility::PublicAndOrg(coke)).await.unwrap().is_none());
        assert!(needs::get_visible(&db, "t-need-3", Visibility::PublicAndOrg(steel)).await.unwrap().is_some());
        db.close().await.ok();
        tdb.drop_database().await;
    }

    async fn every_inserted_or_updated_posting_lands_in_the_change_log(b: Backend) {
        let tdb = TestDb::new(b).await;
        let (db, taxonomy) = tdb.open().await;
        import::import_dir(&db, &taxonomy, &small_corpus(), Default::default()).await.unwrap();
        assert_eq!(change_log::Entity::find().count(&db).await.unwrap(), 9, "5 needs + 4 capabilities");

        // Unchanged records write nothing.
        import::import_dir(&db, &taxonomy, &small_corpus(), Default::default()).await.unwrap();
        assert_eq!(change_log::Entity::find().count(&db).await.unwrap(), 9);

        // A changed need is recorded with its new version.
        let dir = tdb.temp_path().join("changed");
        std::fs::create_dir_all(&dir).unwrap();
        let needs_text = std::fs::read_to_string(small_corpus().join("needs.jsonl")).unwrap();
        let changed = needs_text.replacen("焦炉煤气精脱硫剂寿命短", "焦炉煤气精脱硫剂寿命太短", 1);
        std::fs::write(dir.join("needs.jsonl"), changed).unwrap();
        let report = import::import_dir(&db, &taxonomy, &dir, Default::default()).await.unwrap();
        assert_eq!((report.files[0].updated, report.files[0].unchanged), (1, 4));
        let last = change_log::Entity::find()
            .order_by_desc(change_log::Column::Seq)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((last.entity.as_str(), last.external_id.as_str(), last.version), ("need", "t-need-1", 2));
        db.close().await.ok();
        tdb.drop_database().await;
    }
}
