//! The OpenAPI 3.1 document served at `/api/openapi.json`.

use super::api;
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
    ),
    components(schemas(super::problem::Problem, crate::domain::FieldError)),
    tags(
        (name = "organizations", description = "企业、高校、院所 · Organizations"),
        (name = "needs", description = "技术需求 · Technology needs"),
        (name = "capabilities", description = "科研能力与成果 · Research capabilities"),
        (name = "taxonomy", description = "分类代码 · Codes"),
        (name = "search", description = "全文检索 · Search"),
        (name = "health", description = "运行状态 · Probes"),
    )
)]
pub struct ApiDoc;
