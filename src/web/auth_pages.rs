//! 登录与退出 · Sign-in and sign-out pages.

use super::page::{Layout, PageResult, Viewer, local_path, render, render_status, see_other};
use askama::Template;
use axum::extract::{Form, Query};
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Default)]
pub struct NextParam {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    username: String,
    error: Option<String>,
}

pub async fn login_form(v: Viewer, Query(q): Query<NextParam>) -> PageResult {
    if v.user.is_some() {
        return Ok(see_other(&local_path(q.next.as_deref())));
    }
    render(&LoginPage {
        layout: v.layout("登录", "login"),
        next: local_path(q.next.as_deref()),
        username: String::new(),
        error: None,
    })
}

/// No `Debug`: the password must not end up in a log line.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginRequest<'a> {
    username: &'a str,
    password: &'a str,
}

pub async fn login(v: Viewer, Form(f): Form<LoginForm>) -> PageResult {
    v.check_csrf(&f.csrf_token)?;
    let next = local_path(f.next.as_deref());
    let resp = v
        .api
        .raw(
            Method::POST,
            "/api/v1/auth/login",
            Some(&LoginRequest {
                username: f.username.trim(),
                password: &f.password,
            }),
        )
        .await?;
    if resp.status().is_success() {
        let mut out = see_other(&next);
        for c in resp.headers().get_all(header::SET_COOKIE) {
            out.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        return Ok(out);
    }
    let status = resp.status();
    let problem = super::client::decode::<serde_json::Value>(resp)
        .await
        .err()
        .map(|p| p.message)
        .unwrap_or_default();
    let error = if status == StatusCode::TOO_MANY_REQUESTS {
        problem
    } else {
        "用户名或密码不正确。".to_owned()
    };
    render_status(
        if status.is_client_error() {
            status
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        &LoginPage {
            layout: v.layout("登录", "login"),
            next,
            username: f.username,
            error: Some(error),
        },
    )
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

pub async fn logout(v: Viewer, Form(f): Form<CsrfOnly>) -> PageResult {
    if v.user.is_none() {
        return Ok(see_other("/"));
    }
    v.check_csrf(&f.csrf_token)?;
    let resp = v
        .api
        .raw(Method::POST, "/api/v1/auth/logout", None::<&()>)
        .await?;
    let mut out = see_other("/").into_response();
    for c in resp.headers().get_all(header::SET_COOKIE) {
        out.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    Ok(out)
}
