//! Admins extend the taxonomy without a release; a retired code stays on
//! existing records but cannot be used for new ones.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use serde_json::json;

on_both_backends! {
    async fn an_admin_adds_and_retires_a_field_code(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let admin = app.user_with_token("tax-admin", duijie::domain::Role::Admin, None).await;
        let member = app
            .user_with_token("tax-member", duijie::domain::Role::EnterpriseMember, Some("t-org-steel"))
            .await;
        let put = |token: String, code: &'static str, body: serde_json::Value| {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/taxonomy/field/{code}"));
            async move { client.put(url).bearer_auth(token).json(&body).send().await.unwrap() }
        };
        // Only admins.
        let r = put(member.clone(), "hydrogen_metallurgy", json!({"name_zh": "氢冶金"})).await;
        assert_eq!(r.status().as_u16(), 403);
        // Bad input is a 422 naming the fields.
        let r = put(admin.clone(), "Bad-Code", json!({"name_zh": "", "related": ["nowhere"]})).await;
        assert_eq!(r.status().as_u16(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["code", "name_zh", "related[0]"]);
        // Added: listed and usable at once.
        let r = put(admin.clone(), "hydrogen_metallurgy", json!({"name_zh": "氢冶金", "name_en": "Hydrogen metallurgy", "related": ["materials", "energy"]})).await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["created"], true);
        let (_, t) = app.get_json("/api/v1/taxonomy").await;
        assert!(t["field"].as_array().unwrap().iter().any(|f| f["code"] == "hydrogen_metallurgy"));
        let need = json!({"title": "氢基竖炉直接还原工艺", "description": "希望用氢气替代焦炭进行铁矿石直接还原，降低碳排放。", "field": "hydrogen_metallurgy"});
        let r = app.client.post(app.url("/api/v1/needs")).bearer_auth(&member).json(&need).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
        // Retired: gone from the list, refused for new records.
        let r = put(admin.clone(), "hydrogen_metallurgy", json!({"name_zh": "氢冶金", "active": false})).await;
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["created"], false);
        let (_, t) = app.get_json("/api/v1/taxonomy").await;
        assert!(!t["field"].as_array().unwrap().iter().any(|f| f["code"] == "hydrogen_metallurgy"));
        let r = app.client.post(app.url("/api/v1/needs")).bearer_auth(&member).json(&need).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        app.stop().await;
    }
}
