//! The curation workflow through the API: the staff queue, transitions and
//! their audit history, concurrency, interest, and who may see and do what.

use crate::helpers::{Answer, Backend, TestApp};
use crate::on_both_backends;
use duijie::domain::Role;
use duijie::storage::repo::{capabilities, matches, needs};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The actors and their tokens.
pub struct Actors {
    pub list: Vec<(&'static str, Option<String>)>,
}

impl Actors {
    pub async fn new(app: &TestApp) -> Actors {
        let mut list = vec![("anonymous", None)];
        for (name, role, org) in [
            // t-org-steel owns t-need-2 (public) and t-need-3 (confidential);
            // t-org-coke owns t-need-1; t-org-tyut t-cap-2; t-org-cas t-cap-1.
            ("member_steel", Role::EnterpriseMember, Some("t-org-steel")),
            ("member_coke", Role::EnterpriseMember, Some("t-org-coke")),
            ("researcher_tyut", Role::Researcher, Some("t-org-tyut")),
            ("researcher_cas", Role::Researcher, Some("t-org-cas")),
            ("staff", Role::ProgramStaff, None),
            ("admin", Role::Admin, None),
        ] {
            list.push((name, Some(app.user_with_token(name, role, org).await)));
        }
        Actors { list }
    }

    pub fn token(&self, name: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, t)| t.as_deref())
    }

    pub fn staff(&self) -> String {
        self.token("staff").expect("staff").to_owned()
    }
}

pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Stores a suggestion the way `duijie suggest` does; returns the match id.
pub async fn suggest(app: &TestApp, need: &str, cap: &str, score: f64) -> i64 {
    let n = needs::get(&app.db, need).await.unwrap().unwrap();
    let c = capabilities::get(&app.db, cap).await.unwrap().unwrap();
    let inserted = matches::insert_suggestions(&app.db, n.id, &[(c.id, score)], chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    matches::by_pair(&app.db, n.id, c.id)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// POST a transition.
pub async fn transition(
    app: &TestApp,
    token: &str,
    id: i64,
    to: &str,
    note: Option<&str>,
    version: i64,
) -> Answer {
    let mut body = json!({"to": to, "version": version});
    if let Some(n) = note {
        body["note"] = json!(n);
    }
    app.call(
        Method::POST,
        &format!("/api/v1/matches/{id}/transitions"),
        Some(token),
        Some(&body),
    )
    .await
}

/// Takes a match from `suggested` to `confirmed` step by step; returns the last answer.
pub async fn confirm(app: &TestApp, staff: &str, id: i64) -> Answer {
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/matches/{id}"),
            Some(staff),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut version = r.body["version"].as_i64().unwrap();
    let mut last = r;
    for (to, note) in [
        ("shortlisted", None),
        ("introduced", Some("已安排双方见面")),
        ("negotiating", None),
        ("confirmed", Some("双方同意开展技术开发合作")),
    ] {
        last = transition(app, staff, id, to, note, version).await;
        assert_eq!(last.status, 200, "→ {to}: {}", last.body);
        assert_eq!(last.body["state"], to);
        assert_eq!(last.body["version"].as_i64(), Some(version + 1));
        version = last.body["version"].as_i64().unwrap();
    }
    last
}

fn match_ids(body: &Value) -> BTreeSet<i64> {
    body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn id_set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

on_both_backends! {
    async fn staff_take_a_suggestion_to_confirmed_with_a_complete_audit_history(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let id = suggest(&app, "t-need-2", "t-cap-2", 0.8).await;

        let queue = app.call(Method::GET, "/api/v1/matches", Some(&staff), None).await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        let item = &queue.body["items"][0];
        assert_eq!((item["id"].as_i64(), item["state"].as_str(), item["origin"].as_str()), (Some(id), Some("suggested"), Some("suggested")));
        assert_eq!(item["need"]["id"], "t-need-2");
        assert_eq!(item["need"]["org"]["region"], "太原");
        assert_eq!(item["capability"]["id"], "t-cap-2");
        assert_eq!(item["days_waiting"], 0);
        assert_eq!(item["allowed_transitions"], json!(["shortlisted", "rejected", "withdrawn"]));

        let done = confirm(&app, &staff, id).await;
        assert_eq!(done.body["allowed_transitions"], json!([]));
        let history = done.body["history"].as_array().unwrap();
        let steps: Vec<(Option<&str>, &str, &str)> = history
            .iter()
            .map(|e| (e["from"].as_str(), e["to"].as_str().unwrap(), e["kind"].as_str().unwrap()))
            .collect();
        assert_eq!(steps, vec![
            (None, "suggested", "created"),
            (Some("suggested"), "shortlisted", "transition"),
            (Some("shortlisted"), "introduced", "transition"),
            (Some("introduced"), "negotiating", "transition"),
            (Some("negotiating"), "confirmed", "transition"),
        ]);
        assert!(history[0]["actor"].is_null(), "suggestions come from the system");
        for e in &history[1..] {
            assert_eq!(e["actor"]["username"], "staff");
            assert_eq!(e["actor"]["role"], "program_staff");
            assert!(e["at"].as_str().is_some());
        }
        assert_eq!(history[2]["note"], "已安排双方见面");
        assert_eq!(history[4]["note"], "双方同意开展技术开发合作");
        let ages: Vec<&str> = done.body["steps"].as_array().unwrap().iter().map(|s| s["state"].as_str().unwrap()).collect();
        assert_eq!(ages, ["suggested", "shortlisted", "introduced", "negotiating", "confirmed"]);
        assert!(done.body["steps"][4]["left_at"].is_null());
        assert!(done.body["steps"][0]["left_at"].is_string());

        // Confirmed matches leave the open queue but can be asked for.
        let open = app.call(Method::GET, "/api/v1/matches", Some(&staff), None).await;
        assert_eq!(open.body["total"], 0);
        let decided = app.call(Method::GET, "/api/v1/matches?state=confirmed", Some(&staff), None).await;
        assert_eq!(match_ids(&decided.body), id_set(&[id]));

        // What `duijie train` learns from.
        let decisions = matches::decisions(&app.db).await.unwrap();
        assert_eq!(decisions.len(), 1);
        assert!(decisions[0].confirmed && decisions[0].need == "t-need-2" && decisions[0].capability == "t-cap-2");
        app.stop().await;
    }

    async fn illegal_and_stale_transitions_are_refused_and_history_cannot_be_edited(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let created = app.call(Method::POST, "/api/v1/matches", Some(&staff), Some(&json!({
            "need_id": "t-need-2", "capability_id": "t-cap-2", "score": 0.42, "note": "座谈会上双方提出"
        }))).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(created.body["origin"], "manual");
        let id = created.body["id"].as_i64().unwrap();
        assert_eq!(created.header("location"), Some(format!("/api/v1/matches/{id}")));
        let again = app.call(Method::POST, "/api/v1/matches", Some(&staff), Some(&json!({
            "need_id": "t-need-2", "capability_id": "t-cap-2"
        }))).await;
        assert_eq!((again.status, again.code()), (409, Some("match_exists")));
        assert_eq!(again.body["current"]["id"].as_i64(), Some(id));
        let bad = app.call(Method::POST, "/api/v1/matches", Some(&staff), Some(&json!({
            "need_id": "t-need-x", "capability_id": "", "score": -1
        }))).await;
        assert_eq!((bad.status, bad.code()), (422, Some("validation_failed")));
        let fields: BTreeSet<String> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, set(&["need_id", "capability_id", "score"]));

        // Skipping steps is illegal and the problem names the allowed targets.
        let skip = transition(&app, &staff, id, "confirmed", Some("直接确认"), 1).await;
        assert_eq!((skip.status, skip.code()), (422, Some("illegal_transition")), "{}", skip.body);
        let msg = skip.body["message_en"].as_str().unwrap();
        assert!(msg.contains("shortlisted") && msg.contains("rejected") && msg.contains("withdrawn"), "{msg}");
        assert!(skip.body["message"].as_str().unwrap().contains("shortlisted"));
        assert_eq!(skip.header("content-type").as_deref(), Some("application/problem+json"));
        let unknown = transition(&app, &staff, id, "approved", None, 1).await;
        assert_eq!((unknown.status, unknown.body["errors"][0]["field"].as_str()), (422, Some("to")));
        let no_version = app.call(Method::POST, &format!("/api/v1/matches/{id}/transitions"), Some(&staff), Some(&json!({"to": "shortlisted"}))).await;
        assert_eq!((no_version.status, no_version.body["errors"][0]["field"].as_str()), (422, Some("version")));
        // A rejection needs its reason.
        let reasonless = transition(&app, &staff, id, "rejected", Some("  "), 1).await;
        assert_eq!((reasonless.status, reasonless.body["errors"][0]["field"].as_str()), (422, Some("note")));

        // Two concurrent transitions of one version: exactly one wins.
        let (ra, rb) = tokio::join!(
            transition(&app, &staff, id, "shortlisted", None, 1),
            transition(&app, &staff, id, "rejected", Some("并发：否决"), 1),
        );
        let mut statuses = [ra.status, rb.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", ra.body, rb.body);
        let loser = if ra.status == 409 { &ra } else { &rb };
        assert_eq!(loser.code(), Some("version_conflict"));
        assert_eq!(loser.body["current"]["version"].as_i64(), Some(2));
        let winner = if ra.status == 200 { &ra } else { &rb };
        let state = winner.body["state"].as_str().unwrap().to_owned();
        let shown = app.call(Method::GET, &format!("/api/v1/matches/{id}"), Some(&staff), None).await;
        assert_eq!(shown.body["state"], state.as_str());
        assert_eq!(shown.body["history"].as_array().unwrap().len(), 2, "one creation, one transition");

        // Stale version: 409 with the current match, nothing written.
        let stale = transition(&app, &staff, id, "withdrawn", None, 1).await;
        assert_eq!((stale.status, stale.code()), (409, Some("version_conflict")));
        assert_eq!(stale.body["current"]["state"], state.as_str());
        assert_eq!(stale.body["current"]["history"].as_array().unwrap().len(), 2);

        // Final states allow nothing.
        let closed = transition(&app, &staff, id, "rejected", Some("不合适"), 2).await;
        if state == "rejected" {
            assert_eq!((closed.status, closed.code()), (422, Some("illegal_transition")));
            assert!(closed.body["message_en"].as_str().unwrap().contains("final"));
        } else {
            assert_eq!(closed.status, 200, "{}", closed.body);
            let after = transition(&app, &staff, id, "shortlisted", None, 3).await;
            assert_eq!((after.status, after.code()), (422, Some("illegal_transition")));
        }

        // The database refuses to edit or delete the audit history.
        let events_before = shown.body["history"].as_array().unwrap().len();
        assert!(app.db.execute_unprepared("UPDATE match_events SET note = 'edited'").await.is_err());
        assert!(app.db.execute_unprepared("DELETE FROM match_events").await.is_err());
        assert!(app.db.execute_unprepared(&format!("DELETE FROM matches WHERE id = {id}")).await.is_err(), "a cascade would delete history");
        let notes = app.call(Method::GET, &format!("/api/v1/matches/{id}"), Some(&staff), None).await;
        assert!(notes.body["history"].as_array().unwrap().len() >= events_before);
        assert!(notes.body["history"].as_array().unwrap().iter().all(|e| e["note"] != "edited"));
        app.stop().await;
    }

    async fn match_endpoints_allow_exactly_the_right_callers(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let m_pub = suggest(&app, "t-need-2", "t-cap-2", 0.9).await;
        let m_conf = suggest(&app, "t-need-3", "t-cap-2", 0.5).await;
        let m_coke = suggest(&app, "t-need-1", "t-cap-1", 0.7).await;

        // GET /matches: each caller sees exactly the matches of their own
        // organization's records, never another's confidential need.
        for (who, token) in &actors.list {
            let r = app.call(Method::GET, "/api/v1/matches", token.as_deref(), None).await;
            let want: &[i64] = match *who {
                "anonymous" => {
                    assert_eq!((r.status, r.code()), (401, Some("unauthorized")));
                    continue;
                }
                "member_steel" => &[m_pub, m_conf],
                "member_coke" | "researcher_cas" => &[m_coke],
                "researcher_tyut" => &[m_pub],
                _ => &[m_pub, m_conf, m_coke],
            };
            assert_eq!(r.status, 200, "{who}: {}", r.body);
            assert_eq!(match_ids(&r.body), id_set(want), "{who}");
            assert!(!r.body.to_string().contains("保密：新钢种") || ["member_steel", "staff", "admin"].contains(who), "{who}");
        }

        // GET /matches/{id} of the confidential one.
        let mut allowed = BTreeSet::new();
        for (who, token) in &actors.list {
            let r = app.call(Method::GET, &format!("/api/v1/matches/{m_conf}"), token.as_deref(), None).await;
            match r.status {
                200 => { allowed.insert((*who).to_owned()); }
                401 => assert_eq!(*who, "anonymous"),
                404 => assert!(!r.body.to_string().contains("新钢种"), "{who}"),
                s => panic!("{who}: {s} {}", r.body),
            }
        }
        assert_eq!(allowed, set(&["member_steel", "staff", "admin"]));

        // POST /matches: staff and admins only.
        let mut allowed = BTreeSet::new();
        for (i, (who, token)) in actors.list.iter().enumerate() {
            let cap = if i % 2 == 0 { "t-cap-3" } else { "t-cap-1" };
            let need = ["t-need-5", "t-need-2", "t-need-1", "t-need-3"][i % 4];
            let r = app.call(Method::POST, "/api/v1/matches", token.as_deref(), Some(&json!({"need_id": need, "capability_id": cap}))).await;
            match r.status {
                201 => { allowed.insert((*who).to_owned()); }
                401 => assert_eq!(*who, "anonymous"),
                403 => assert_eq!(r.code(), Some("forbidden")),
                s => panic!("{who}: {s} {}", r.body),
            }
        }
        assert_eq!(allowed, set(&["staff", "admin"]));

        // Transitions: staff and admins; a party that can read the match is
        // told 403, anyone else 404.
        let mut outcomes = Vec::new();
        for (who, token) in &actors.list {
            let v = app.call(Method::GET, &format!("/api/v1/matches/{m_pub}"), Some(&staff), None).await.body["version"].as_i64().unwrap();
            let to = if v == 1 { "shortlisted" } else if v == 2 { "introduced" } else { "negotiating" };
            let r = app.call(Method::POST, &format!("/api/v1/matches/{m_pub}/transitions"), token.as_deref(), Some(&json!({"to": to, "version": v}))).await;
            outcomes.push(((*who).to_owned(), r.status));
        }
        assert_eq!(outcomes, vec![
            ("anonymous".to_owned(), 401),
            ("member_steel".to_owned(), 403),
            ("member_coke".to_owned(), 404),
            ("researcher_tyut".to_owned(), 403),
            ("researcher_cas".to_owned(), 404),
            ("staff".to_owned(), 200),
            ("admin".to_owned(), 200),
        ]);
        app.stop().await;
    }

    async fn either_side_can_express_interest_without_seeing_what_it_may_not(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let t = |n: &str| actors.token(n).map(str::to_owned);
        let post = |path: String, token: Option<String>, body: Value| {
            let app = &app;
            async move { app.call(Method::POST, &path, token.as_deref(), Some(&body)).await }
        };

        // A researcher asks about a coke-plant need for their capability.
        let r = post("/api/v1/needs/t-need-1/interest".into(), t("researcher_tyut"), json!({"capability_id": "t-cap-2", "note": "我们有相关经验"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!((r.body["created"].as_bool(), r.body["recorded"].as_bool()), (Some(true), Some(true)));
        assert_eq!(r.body["match"]["origin"], "interest");
        assert_eq!(r.body["match"]["state"], "suggested");
        assert_eq!(r.body["match"]["interests"][0]["side"], "capability");
        assert_eq!(r.body["match"]["interests"][0]["org"], "t-org-tyut");
        let id = r.body["match"]["id"].as_i64().unwrap();
        // Asking again reuses the match and records nothing new.
        let again = post("/api/v1/needs/t-need-1/interest".into(), t("researcher_tyut"), json!({"capability_id": "t-cap-2"})).await;
        assert_eq!((again.status, again.body["created"].as_bool(), again.body["recorded"].as_bool()), (200, Some(false), Some(false)));
        assert_eq!(again.body["match"]["id"].as_i64(), Some(id));
        // The other side answers on the same match.
        let other_side = post("/api/v1/capabilities/t-cap-2/interest".into(), t("member_coke"), json!({"need_id": "t-need-1"})).await;
        assert_eq!((other_side.status, other_side.body["match"]["id"].as_i64()), (200, Some(id)));
        assert_eq!(other_side.body["match"]["interests"].as_array().unwrap().len(), 2);
        let staff = actors.staff();
        let shown = app.call(Method::GET, &format!("/api/v1/matches/{id}"), Some(&staff), None).await;
        let kinds: Vec<&str> = shown.body["history"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "interest", "interest"]);
        assert_eq!(shown.body["history"][1]["note"], "我们有相关经验");

        // Refusals.
        for (path, who, body, status) in [
            // Not their capability / wrong side / staff.
            ("/api/v1/needs/t-need-1/interest", "researcher_cas", json!({"capability_id": "t-cap-2"}), 403),
            ("/api/v1/needs/t-need-1/interest", "member_coke", json!({"capability_id": "t-cap-2"}), 403),
            ("/api/v1/needs/t-need-1/interest", "staff", json!({"capability_id": "t-cap-2"}), 403),
            ("/api/v1/capabilities/t-cap-1/interest", "member_coke", json!({"need_id": "t-need-2"}), 403),
            ("/api/v1/needs/t-need-1/interest", "anonymous", json!({"capability_id": "t-cap-2"}), 401),
            // A confidential need stays invisible: 404 on the path, 422 in the body.
            ("/api/v1/needs/t-need-3/interest", "researcher_tyut", json!({"capability_id": "t-cap-2"}), 404),
            ("/api/v1/capabilities/t-cap-1/interest", "member_coke", json!({"need_id": "t-need-3"}), 422),
            // A draft capability of another institution likewise.
            ("/api/v1/capabilities/t-cap-4/interest", "member_coke", json!({"need_id": "t-need-1"}), 404),
            ("/api/v1/needs/t-need-1/interest", "researcher_tyut", json!({}), 422),
        ] {
            let r = post(path.into(), t(who), body.clone()).await;
            assert_eq!(r.status, status, "{path} by {who} {body}: {}", r.body);
            assert!(!r.body.to_string().contains("新钢种"), "{path} by {who} leaks: {}", r.body);
        }

        // The owner of the confidential need may ask about a capability; the
        // capability's researchers still never see that match.
        let conf = post("/api/v1/capabilities/t-cap-1/interest".into(), t("member_steel"), json!({"need_id": "t-need-3", "note": "请介绍"})).await;
        assert_eq!(conf.status, 201, "{}", conf.body);
        let conf_id = conf.body["match"]["id"].as_i64().unwrap();
        let cas = app.call(Method::GET, "/api/v1/matches", t("researcher_cas").as_deref(), None).await;
        assert!(!match_ids(&cas.body).contains(&conf_id), "{}", cas.body);
        assert!(!cas.body.to_string().contains("新钢种"));
        let cas_one = app.call(Method::GET, &format!("/api/v1/matches/{conf_id}"), t("researcher_cas").as_deref(), None).await;
        assert_eq!(cas_one.status, 404);
        let staff_list = app.call(Method::GET, "/api/v1/matches", Some(&staff), None).await;
        assert!(match_ids(&staff_list.body).contains(&conf_id));
        app.stop().await;
    }

    async fn the_staff_queue_filters_and_sorts_as_specified(b: Backend) {
        use duijie::storage::entities::match_;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        let app = TestApp::with_small_corpus(b).await;
        let actors = Actors::new(&app).await;
        let staff = actors.staff();
        let a = suggest(&app, "t-need-1", "t-cap-1", 0.30).await; // 吕梁, coal_chem
        let bm = suggest(&app, "t-need-2", "t-cap-2", 0.90).await; // 太原, materials
        let c = suggest(&app, "t-need-5", "t-cap-3", 0.60).await; // 太原, equipment
        let d = suggest(&app, "t-need-3", "t-cap-2", 0.10).await; // 太原, materials (confidential)
        // Waiting: a for 10 days, d for 3, the others since now.
        let now = chrono::Utc::now();
        for (id, days) in [(a, 10), (d, 3)] {
            match_::Entity::update_many()
                .col_expr(match_::Column::StateSince, Expr::value(now - chrono::Duration::days(days)))
                .filter(match_::Column::Id.eq(id))
                .exec(&app.db)
                .await
                .unwrap();
        }
        let order = |body: &Value| -> Vec<i64> {
            body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
        };
        let get = |q: &'static str| {
            let (app, staff) = (&app, staff.clone());
            async move { app.call(Method::GET, &format!("/api/v1/matches{q}"), Some(&staff), None).await }
        };
        let by_score = get("").await;
        assert_eq!(order(&by_score.body), vec![bm, c, a, d]);
        assert_eq!(order(&get("?sort=score").await.body), vec![bm, c, a, d]);
        let waiting = get("?sort=waiting").await;
        assert_eq!(order(&waiting.body)[..2], [a, d]);
        assert_eq!(waiting.body["items"][0]["days_waiting"], 10);
        assert_eq!(waiting.body["items"][1]["days_waiting"], 3);
        assert_eq!(order(&get("?city=吕梁").await.body), vec![a]);
        assert_eq!(order(&get("?city=太原&field=materials").await.body), vec![bm, d]);
        assert_eq!(order(&get("?field=equipment&sort=waiting").await.body), vec![c]);
        let paged = get("?per_page=2&page=2").await;
        assert_eq!((order(&paged.body), paged.body["total"].as_u64()), (vec![a, d], Some(4)));

        let v = get("").await.body["items"][0]["version"].as_i64().unwrap();
        assert_eq!(transition(&app, &staff, bm, "rejected", Some("能力与需求不符"), v).await.status, 200);
        assert_eq!(order(&get("").await.body), vec![c, a, d]);
        assert_eq!(order(&get("?state=rejected").await.body), vec![bm]);
        assert_eq!(order(&get("?state=rejected,suggested&city=太原").await.body), vec![bm, c, d]);

        for q in ["?sort=age", "?field=steel", "?state=approved", "?per_page=0"] {
            let r = get(q).await;
            assert_eq!((r.status, r.code()), (400, Some("invalid_query")), "{q}");
        }
        // A member's queue is filtered the same way within what they may read.
        let member = app.call(Method::GET, "/api/v1/matches?city=太原&state=suggested,rejected", actors.token("member_steel"), None).await;
        assert_eq!(order(&member.body), vec![bm, d]);
        app.stop().await;
    }
}
