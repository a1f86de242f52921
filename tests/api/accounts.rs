//! Sign-in, sessions, API tokens, the login rate limit and the account CLI.

use crate::helpers::{
    Answer, Backend, TEST_PASSWORD, TestApp, TestDb, add_token, add_user, answer, small_corpus,
};
use crate::on_both_backends;
use duijie::domain::Role;
use reqwest::Method;
use serde_json::json;

async fn login(app: &TestApp, username: &str, password: &str, extra: &[(&str, &str)]) -> Answer {
    let mut req = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    answer(req.send().await.expect("login")).await
}

/// `name=value` of the session cookie in a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("cookie pair")
        .trim()
        .to_owned()
}

async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Answer {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("cookie", cookie);
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    answer(req.send().await.expect("request")).await
}

on_both_backends! {
    async fn signing_in_sets_a_strict_cookie_that_identifies_the_user(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        add_user(&app.db, "alice", Role::Researcher, Some("t-org-tyut")).await;

        let r = login(&app, "alice", TEST_PASSWORD, &[]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["user"]["username"], "alice");
        assert_eq!(r.body["user"]["role"], "researcher");
        assert_eq!(r.body["user"]["org"]["id"], "t-org-tyut");
        let csrf = r.body["csrf_token"].as_str().expect("csrf token").to_owned();
        let set_cookie = r.header("set-cookie").expect("set-cookie");
        assert!(set_cookie.starts_with("duijie_session="), "{set_cookie}");
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
            assert!(set_cookie.contains(flag), "{flag} in {set_cookie}");
        }
        assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
        let cookie = cookie_pair(&set_cookie);

        let me = with_cookie(&app, Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.body["auth"], "session");
        assert_eq!(me.body["csrf_token"].as_str(), Some(csrf.as_str()));
        assert_eq!(me.body["user"]["display_name"], "alice");

        // Behind a TLS-terminating proxy the cookie is Secure.
        let tls = login(&app, "alice", TEST_PASSWORD, &[("x-forwarded-proto", "https")]).await;
        assert_eq!(tls.status, 200);
        assert!(tls.header("set-cookie").is_some_and(|c| c.contains("; Secure")));

        // Signing out ends the session and clears the cookie.
        let out = with_cookie(&app, Method::POST, "/api/v1/auth/logout", &cookie, None, None).await;
        assert_eq!(out.status, 204);
        assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
        let me = with_cookie(&app, Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
        assert_eq!((me.status, me.code()), (401, Some("unauthorized")));
        // An invalid cookie is refused (and cleared) even on public reads.
        let list = with_cookie(&app, Method::GET, "/api/v1/needs", &cookie, None, None).await;
        assert_eq!((list.status, list.code()), (401, Some("unauthorized")));
        assert!(list.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
        assert_eq!(
            list.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        // No credentials at all: anonymous.
        assert_eq!(app.get_json("/api/v1/needs").await.0, 200);
        let anon = app.call(Method::GET, "/api/v1/auth/me", None, None).await;
        assert_eq!((anon.status, anon.code()), (401, Some("unauthorized")));
        app.stop().await;
    }

    async fn wrong_passwords_are_refused_and_rate_limited(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        add_user(&app.db, "bob", Role::EnterpriseMember, Some("t-org-coke")).await;
        add_user(&app.db, "carol", Role::ProgramStaff, None).await;

        let empty = login(&app, "", "", &[]).await;
        assert_eq!(empty.status, 422);
        let unknown = login(&app, "nobody", "whatever-123", &[]).await;
        assert_eq!((unknown.status, unknown.code()), (401, Some("invalid_credentials")));

        for _ in 0..5 {
            let r = login(&app, "bob", "wrong-password", &[]).await;
            assert_eq!((r.status, r.code()), (401, Some("invalid_credentials")), "{}", r.body);
        }
        // The sixth attempt is refused, even with the right password
        // (case and spaces do not get around the limit).
        let r = login(&app, " BOB ", TEST_PASSWORD, &[]).await;
        assert_eq!((r.status, r.code()), (429, Some("too_many_attempts")), "{}", r.body);
        let retry: i64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=900).contains(&retry), "{retry}");
        assert!(r.body["message"].as_str().is_some_and(|m| m.contains("分钟")));
        // Other users are not affected.
        assert_eq!(login(&app, "carol", TEST_PASSWORD, &[]).await.status, 200);

        // Per client address: 20 failures from one address (any usernames)
        // block that address, not others.
        let from = [("x-forwarded-for", "203.0.113.7")];
        for i in 0..20 {
            let r = login(&app, &format!("guess{i}"), "wrong-password", &from).await;
            assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
        }
        let r = login(&app, "carol", TEST_PASSWORD, &from).await;
        assert_eq!((r.status, r.code()), (429, Some("too_many_attempts")));
        let elsewhere = login(&app, "carol", TEST_PASSWORD, &[("x-forwarded-for", "203.0.113.8")]).await;
        assert_eq!(elsewhere.status, 200);
        app.stop().await;
    }

    async fn api_tokens_are_shown_once_and_stop_working_when_revoked(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let alice = add_user(&app.db, "alice", Role::EnterpriseMember, Some("t-org-steel")).await;
        let r = login(&app, "alice", TEST_PASSWORD, &[]).await;
        let cookie = cookie_pair(&r.header("set-cookie").expect("cookie"));
        let csrf = r.body["csrf_token"].as_str().expect("csrf").to_owned();

        // Writes with the cookie need the CSRF token.
        let body = json!({"name": "ERP 同步", "expires_in_days": 30});
        let no_csrf = with_cookie(&app, Method::POST, "/api/v1/auth/tokens", &cookie, None, Some(&body)).await;
        assert_eq!((no_csrf.status, no_csrf.code()), (403, Some("csrf_failed")));
        let created = with_cookie(&app, Method::POST, "/api/v1/auth/tokens", &cookie, Some(&csrf), Some(&body)).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let token = created.body["token"].as_str().expect("token").to_owned();
        assert!(token.starts_with("dj_") && token.len() == 46, "{token}");
        assert_eq!(created.body["token_prefix"].as_str(), Some(&token[..11]));
        assert_eq!(created.body["name"], "ERP 同步");
        assert_eq!(created.body["active"], true);
        assert!(created.body["expires_at"].is_string());
        let id = created.body["id"].as_i64().expect("id");

        let me = app.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!((me.status, me.body["auth"].as_str()), (200, Some("token")));
        assert_eq!(me.body["user"]["username"], "alice");
        assert!(me.body.get("csrf_token").is_none());

        // Listed without the secret; the use was recorded.
        let list = app.call(Method::GET, "/api/v1/auth/tokens", Some(&token), None).await;
        assert_eq!(list.status, 200);
        let items = list.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert!(items[0].get("token").is_none());
        assert!(items[0]["last_used_at"].is_string(), "{}", items[0]);
        assert!(!list.body.to_string().contains(&token));

        // Tokens are stored hashed.
        let stored = duijie::storage::repo::api_tokens::by_hash(&app.db, &duijie::credentials::sha256_hex(&token))
            .await
            .expect("lookup");
        assert_eq!(stored.map(|t| t.id), Some(id));

        // Someone else cannot revoke it.
        let other = app.user_with_token("mallory", Role::EnterpriseMember, Some("t-org-coke")).await;
        let r = app.call(Method::DELETE, &format!("/api/v1/auth/tokens/{id}"), Some(&other), None).await;
        assert_eq!(r.status, 404);

        let r = app.call(Method::DELETE, &format!("/api/v1/auth/tokens/{id}"), Some(&token), None).await;
        assert_eq!(r.status, 204);
        let me = app.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!((me.status, me.code()), (401, Some("unauthorized")));
        assert!(me.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
        // A revoked token is refused on public reads too, not downgraded.
        let r = app.call(Method::GET, "/api/v1/needs", Some(&token), None).await;
        assert_eq!(r.status, 401);

        // Malformed, unknown and expired credentials.
        for bad in ["dj_nonsense", "dj_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
            let r = app.call(Method::GET, "/api/v1/needs", Some(bad), None).await;
            assert_eq!((r.status, r.code()), (401, Some("unauthorized")), "{bad}");
        }
        let basic = app
            .client
            .get(app.url("/api/v1/needs"))
            .header("authorization", "Basic YWxpY2U6cHc=")
            .send()
            .await
            .expect("send");
        assert_eq!(basic.status().as_u16(), 401);
        let expired = add_token(&app.db, alice, Some(chrono::Utc::now() - chrono::Duration::hours(1))).await;
        let r = app.call(Method::GET, "/api/v1/auth/me", Some(&expired), None).await;
        assert_eq!(r.status, 401);

        // Validation of new tokens.
        let live = add_token(&app.db, alice, None).await;
        let r = app
            .call(Method::POST, "/api/v1/auth/tokens", Some(&live), Some(&json!({"name": "", "expires_in_days": 0})))
            .await;
        assert_eq!((r.status, r.code()), (422, Some("validation_failed")));
        let fields: Vec<&str> = r.body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["name", "expires_in_days"]);
        app.stop().await;
    }

    async fn disabled_accounts_cannot_sign_in_or_use_tokens(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        let id = add_user(&app.db, "dave", Role::ProgramStaff, None).await;
        let token = add_token(&app.db, id, None).await;
        let r = login(&app, "dave", TEST_PASSWORD, &[]).await;
        let cookie = cookie_pair(&r.header("set-cookie").expect("cookie"));
        assert!(duijie::storage::repo::users::set_disabled(&app.db, id, true).await.expect("disable"));

        let r = login(&app, "dave", TEST_PASSWORD, &[]).await;
        assert_eq!((r.status, r.code()), (403, Some("account_disabled")));
        let r = app.call(Method::GET, "/api/v1/auth/me", Some(&token), None).await;
        assert_eq!((r.status, r.code()), (401, Some("unauthorized")));
        let r = with_cookie(&app, Method::GET, "/api/v1/auth/me", &cookie, None, None).await;
        assert_eq!((r.status, r.code()), (401, Some("unauthorized")));
        app.stop().await;
    }

    async fn writes_with_a_session_cookie_need_the_csrf_token(b: Backend) {
        let app = TestApp::with_small_corpus(b).await;
        add_user(&app.db, "erin", Role::EnterpriseMember, Some("t-org-coke")).await;
        let r = login(&app, "erin", TEST_PASSWORD, &[]).await;
        let cookie = cookie_pair(&r.header("set-cookie").expect("cookie"));
        let csrf = r.body["csrf_token"].as_str().expect("csrf").to_owned();
        let need = json!({"title": "焦化废水深度处理", "description": "焦化废水COD 300 mg/L，需要降到 50 mg/L 以下。", "field": "green"});
        let r = with_cookie(&app, Method::POST, "/api/v1/needs", &cookie, None, Some(&need)).await;
        assert_eq!((r.status, r.code()), (403, Some("csrf_failed")));
        let r = with_cookie(&app, Method::POST, "/api/v1/needs", &cookie, Some("wrong"), Some(&need)).await;
        assert_eq!((r.status, r.code()), (403, Some("csrf_failed")));
        let r = with_cookie(&app, Method::POST, "/api/v1/needs", &cookie, Some(&csrf), Some(&need)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["org"]["id"], "t-org-coke");
        app.stop().await;
    }

    async fn the_cli_adds_users_and_manages_tokens(b: Backend) {
        let tdb = TestDb::new(b).await;
        let corpus = small_corpus();
        let run = |args: &[&str]| tdb.cli(args);
        let text = |o: &std::process::Output| {
            (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
        };
        assert_eq!(run(&["import", corpus.to_str().expect("path")]).status.code(), Some(0));

        let o = run(&["user", "add", "ent1", "--role", "enterprise_member", "--org", "t-org-coke", "--name", "焦化技术部"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}{err}");
        assert!(out.contains("user added") && out.contains("role=enterprise_member"), "{out}");
        let password = out
            .lines()
            .find_map(|l| l.strip_prefix("password: "))
            .expect("generated password printed")
            .to_owned();
        assert!(password.len() >= 16);

        // Bad input: exit 2 with Chinese and English messages.
        for args in [
            &["user", "add", "r1", "--role", "researcher", "--org", "t-org-coke"][..],
            &["user", "add", "r2", "--role", "researcher"],
            &["user", "add", "r3", "--role", "boss"],
            &["user", "add", "s1", "--role", "program_staff", "--org", "t-org-tyut"],
            &["user", "add", "r4", "--role", "researcher", "--org", "t-org-nowhere"],
            &["user", "add", "ent1", "--role", "enterprise_member", "--org", "t-org-steel"],
            &["user", "add", "李四", "--role", "admin"],
            &["token", "create", "nobody"],
            &["token", "revoke", "999"],
        ] {
            let o = run(args);
            let (out, err) = text(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {out}{err}");
            assert!(err.contains("错误") && err.contains("error:"), "{args:?}: {err}");
        }

        let o = tdb.cli_with_stdin(&["user", "add", "staff1", "--role", "program_staff", "--password-stdin"], "s3cret-passphrase\n");
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}{err}");
        assert!(!out.contains("password:"), "a given password is not echoed: {out}");
        let o = tdb.cli_with_stdin(&["user", "add", "staff2", "--role", "program_staff", "--password-stdin"], "short\n");
        assert_eq!(o.status.code(), Some(2));
        let o = run(&["user", "add", "res1", "--role", "researcher", "--org", "t-org-le"]);
        assert_eq!(o.status.code(), Some(0), "a leading enterprise can employ researchers");

        let o = run(&["user", "list"]);
        let (out, _) = text(&o);
        assert!(out.contains("ent1\tenterprise_member\tt-org-coke") && out.contains("staff1\tprogram_staff\t-"), "{out}");

        let o = run(&["token", "create", "ent1", "--name", "ci", "--expires-in-days", "30"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(0), "{out}{err}");
        let token = out.lines().find_map(|l| l.strip_prefix("token: ")).expect("token printed").to_owned();
        assert!(duijie::credentials::looks_like_api_token(&token), "{token}");
        let id: i64 = out
            .split("id=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .expect("token id");
        assert_eq!(run(&["token", "create", "ent1", "--expires-in-days", "0"]).status.code(), Some(2));

        let (db, _) = tdb.open().await;
        let stored = duijie::storage::repo::api_tokens::by_hash(&db, &duijie::credentials::sha256_hex(&token))
            .await
            .expect("lookup")
            .expect("stored hashed");
        assert_eq!(stored.id, id);
        assert!(stored.expires_at.is_some() && stored.revoked_at.is_none());
        let user = duijie::storage::repo::users::by_username(&db, "ent1").await.expect("user").expect("ent1");
        assert_eq!(user.display_name, "焦化技术部");
        assert!(duijie::password::verify(&password, user.password_hash.as_deref().unwrap_or("")));
        let staff = duijie::storage::repo::users::by_username(&db, "staff1").await.expect("user").expect("staff1");
        assert!(duijie::password::verify("s3cret-passphrase", staff.password_hash.as_deref().unwrap_or("")));

        assert_eq!(run(&["token", "revoke", &id.to_string()]).status.code(), Some(0));
        let stored = duijie::storage::repo::api_tokens::by_id(&db, id).await.expect("lookup").expect("token");
        assert!(stored.revoked_at.is_some());
        db.close().await.ok();
        tdb.drop_database().await;
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_auth_and_write_endpoints() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/me", "get"),
        ("/api/v1/auth/tokens", "post"),
        ("/api/v1/auth/tokens", "get"),
        ("/api/v1/auth/tokens/{id}", "delete"),
        ("/api/v1/needs", "post"),
        ("/api/v1/needs/{id}", "put"),
        ("/api/v1/needs/{id}/close", "post"),
        ("/api/v1/capabilities", "post"),
        ("/api/v1/capabilities/{id}", "put"),
    ] {
        assert!(
            doc["paths"][path].get(method).is_some(),
            "{method} {path} missing"
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_token"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["name"], "duijie_session");
    assert!(
        doc["paths"]["/api/v1/needs"]["post"]["security"].is_array(),
        "{}",
        doc["paths"]["/api/v1/needs"]["post"]
    );
    app.stop().await;
}
