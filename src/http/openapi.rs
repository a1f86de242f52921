//! The OpenAPI 3.1 document served at `/api/openapi.json`.

use super::api;
use super::api::auth::SecuritySchemes;
use utoipa::OpenApi;

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
    ),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;
