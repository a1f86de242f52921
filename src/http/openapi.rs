//! The OpenAPI 3.1 document served at `/api/openapi.json`.

use super::api;
use super::api::auth::SecuritySchemes;
use super::problem;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, Ref, RefOr, Response};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "duijie 产学研技术对接 API",
        description = "企业技术需求与高校、院所、龙头企业科研能力的对接服务。错误以 application/problem+json 返回，带稳定的 code 与中英文说明。"
    ),
    paths(
        api::health::healthz,
        api::health::readyz,
        api::organizations::list,
        api::organizations::show,
        api::needs::list,
        api::needs::show,
        api::capabilities::list,
        api::capabilities::show,
        api::taxonomy::show,
        api::taxonomy::upsert,
        api::search::search,
        api::matches::need_matches,
        api::matches::need_providers,
        api::matches::capability_matches,
        api::auth::login,
        api::auth::logout,
        api::auth::me,
        api::auth::create_token,
        api::auth::list_tokens,
        api::auth::revoke_token,
        api::needs::create,
        api::needs::update,
        api::needs::close,
        api::capabilities::create,
        api::capabilities::update,
        api::curation::list,
        api::curation::show,
        api::curation::create,
        api::curation::transition,
        api::curation::need_interest,
        api::curation::capability_interest,
        api::agreements::list,
        api::agreements::show,
        api::agreements::create,
        api::agreements::change_status,
        api::program_items::list,
        api::program_items::show,
        api::program_items::create,
        api::program_items::update,
        api::exports::export,
        api::webhooks::create,
        api::webhooks::list,
        api::webhooks::remove,
        api::webhooks::deliveries,
        api::kpis::targets,
        api::kpis::set_target,
        api::kpis::kpis,
        api::kpis::clusters,
        api::alliances::list,
        api::alliances::show,
        api::alliances::create,
        api::alliances::update,
        api::alliances::add_member,
        api::alliances::remove_member,
    ),
    components(schemas(super::problem::Problem, crate::domain::FieldError)),
    tags(
        (name = "organizations", description = "企业、高校、院所 · Organizations"),
        (name = "needs", description = "技术需求 · Technology needs"),
        (name = "capabilities", description = "科研能力与成果 · Research capabilities"),
        (name = "taxonomy", description = "分类代码 · Codes"),
        (name = "search", description = "全文检索 · Search"),
        (name = "matching", description = "匹配推荐 · Matching"),
        (name = "health", description = "运行状态 · Probes"),
        (name = "auth", description = "登录与 API 令牌 · Sign-in and API tokens"),
        (name = "curation", description = "对接流程与审计记录 · Curation workflow and audit history"),
        (name = "agreements", description = "技术合同 · Technology contracts"),
        (name = "program", description = "行动计划项目 · Program items"),
        (name = "exports", description = "CSV / XLSX 导出 · Exports"),
        (name = "webhooks", description = "Webhook 订阅与投递记录 · Webhook subscriptions and deliveries"),
        (name = "alliances", description = "产业联盟 · Industry alliances"),
    ),
    modifiers(&SecuritySchemes, &CommonResponses, &UniqueOperationIds)
)]
pub struct ApiDoc;

/// Operations under `/api/v1` that never look at the caller's credentials;
/// every other one rejects a bad token or session with 401 and an
/// over-used token with 429, whatever its own annotation lists.
const NO_CREDENTIALS: &[(&str, &str)] = &[
    ("get", "/api/v1/taxonomy"),
    ("get", "/api/v1/organizations"),
    ("get", "/api/v1/organizations/{id}"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
];

/// What the handlers' annotations leave to the framework: every error is
/// `application/problem+json` (not the `application/json` utoipa assumes),
/// and the responses any operation of a kind can give are listed on all of
/// them: 400 for an unparsable path or query parameter or malformed JSON,
/// 413 and 415 for request bodies, 401 and 429 wherever credentials are read.
pub struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                ("get", item.get.as_mut()),
                ("put", item.put.as_mut()),
                ("post", item.post.as_mut()),
                ("delete", item.delete.as_mut()),
                ("patch", item.patch.as_mut()),
            ];
            for (method, op) in ops {
                if let Some(op) = op {
                    complete(path, method, op);
                }
            }
        }
    }
}

fn complete(path: &str, method: &str, op: &mut Operation) {
    let has_params = op.parameters.iter().flatten().any(|p| {
        matches!(
            p,
            RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query)
        )
    });
    let has_body = op.request_body.is_some();
    let reads_credentials =
        path.starts_with("/api/v1/") && !NO_CREDENTIALS.contains(&(method, path));
    let mut add = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    };
    if has_params || has_body {
        add(
            "400",
            "路径或查询参数无法解析，或请求内容不是有效的 JSON · Unparsable path or query parameter, or malformed JSON",
        );
    }
    if has_body {
        add("413", "请求内容过大 · Request body too large");
        add(
            "415",
            "缺少 Content-Type: application/json · Missing or wrong content type",
        );
    }
    if reads_credentials {
        add(
            "401",
            "API 令牌或登录无效、已过期或已撤销 · Token or session not valid, expired or revoked",
        );
        add(
            "429",
            "该 API 令牌请求过于频繁 · Too many requests with this API token",
        );
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response)
            && !response.content.contains_key(problem::CONTENT_TYPE)
        {
            let schema = response
                .content
                .shift_remove("application/json")
                .unwrap_or_else(|| RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))));
            response
                .content
                .insert(problem::CONTENT_TYPE.to_owned(), schema);
        }
    }
}

/// utoipa names an operation after its handler function, and several
/// modules have a `list`, `show`, `create` or `update`; OpenAPI requires
/// operation ids to be unique (clients, code generators and schemathesis's
/// links look operations up by id). A shared name gets the resource in
/// front: `needs_list`, `program_items_show`, `taxonomy_show`.
pub struct UniqueOperationIds;

impl utoipa::Modify for UniqueOperationIds {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                if let Some(id) = &op.operation_id {
                    *seen.entry(id.clone()).or_default() += 1;
                }
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let resource = path
                .strip_prefix("/api/v1/")
                .and_then(|p| p.split('/').next())
                .unwrap_or("api")
                .replace('-', "_");
            for op in operations(item) {
                if let Some(id) = op.operation_id.as_mut()
                    && seen.get(id.as_str()).is_some_and(|n| *n > 1)
                {
                    *id = format!("{resource}_{id}");
                }
            }
        }
    }
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}
