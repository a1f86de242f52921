//! `duijie user …` and `duijie token …`: bootstrapping accounts and API
//! tokens from the command line, without prompts (scripts and containers).
//!
//! Bad input (unknown role, missing or unfitting organization, taken
//! username, short password, unknown token) exits with code 2 and a message
//! in Chinese and English; other failures exit 1.

use crate::credentials;
use crate::domain::account::{self, DISPLAY_NAME_MAX};
use crate::domain::permissions::StaffScope;
use crate::domain::validation::required_text;
use crate::domain::{FieldError, OrgKind, Role, Taxonomy, TermKind, ValidationErrors};
use crate::startup;
use crate::storage::repo::{api_tokens, organizations, staff_scopes, users};
use chrono::Utc;
use clap::Subcommand;
use std::io::Read;
use std::process::ExitCode;

/// Exit code for input the command refuses.
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// 新建账号 · Add a user.
    Add {
        username: String,
        /// enterprise_member | researcher | program_staff | admin
        #[arg(long)]
        role: String,
        /// 所属单位的外部编号（企业用户、科研人员必填）· External id of the user's organization.
        #[arg(long)]
        org: Option<String>,
        /// 显示名 · Display name (default: the username).
        #[arg(long)]
        name: Option<String>,
        /// 从标准输入读取密码；否则生成随机密码并显示一次 · Read the password from stdin; otherwise one is generated and printed once.
        #[arg(long)]
        password_stdin: bool,
        /// 项目管理人员负责的城市（可重复）· City a program staff member curates (repeatable).
        #[arg(long = "city")]
        cities: Vec<String>,
        /// 项目管理人员负责的领域代码（可重复）· Field code a program staff member curates (repeatable).
        #[arg(long = "field")]
        fields: Vec<String>,
    },
    /// 列出账号 · List users.
    List,
    /// 设置项目管理人员的负责范围 · Set a program staff member's cities and fields.
    ///
    /// 给出的 --city/--field 取代原有范围；--clear 取消限定。
    /// The given cities and fields replace the current scope; --clear removes all limits.
    Scope {
        username: String,
        /// 城市（可重复）· City (repeatable).
        #[arg(long = "city")]
        cities: Vec<String>,
        /// 领域代码（可重复）· Field code (repeatable).
        #[arg(long = "field")]
        fields: Vec<String>,
        /// 取消全部限定 · Remove every limit.
        #[arg(long, conflicts_with_all = ["cities", "fields"])]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// 为用户创建 API 令牌（只显示一次）· Create an API token for a user (printed once).
    Create {
        username: String,
        /// 令牌用途 · What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// 有效天数；不填则不过期 · Days until it expires; never when left out.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// 撤销 API 令牌 · Revoke an API token by id.
    Revoke { id: i64 },
}

/// A refusal: printed on stderr, exit code 2.
fn refuse(message: &str, message_en: &str) -> anyhow::Result<ExitCode> {
    eprintln!("错误：{message}\nerror: {message_en}");
    Ok(ExitCode::from(EXIT_BAD_INPUT))
}

fn refuse_all(errors: &ValidationErrors) -> anyhow::Result<ExitCode> {
    for e in &errors.0 {
        eprintln!(
            "错误：{}：{}\nerror: {}: {}",
            e.field, e.message, e.field, e.message_en
        );
    }
    Ok(ExitCode::from(EXIT_BAD_INPUT))
}

pub async fn user(url: &str, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            org,
            name,
            password_stdin,
            cities,
            fields,
        } => {
            add_user(
                url,
                &username,
                &role,
                org.as_deref(),
                name.as_deref(),
                password_stdin,
                StaffScope {
                    regions: cities,
                    fields,
                },
            )
            .await
        }
        UserCommand::List => list_users(url).await,
        UserCommand::Scope {
            username,
            cities,
            fields,
            clear,
        } => set_scope(url, &username, cities, fields, clear).await,
    }
}

pub async fn token(url: &str, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TokenCommand::Create {
            username,
            name,
            expires_in_days,
        } => create_token(url, &username, &name, expires_in_days).await,
        TokenCommand::Revoke { id } => revoke_token(url, id).await,
    }
}

async fn add_user(
    url: &str,
    username: &str,
    role: &str,
    org: Option<&str>,
    name: Option<&str>,
    password_stdin: bool,
    scope: StaffScope,
) -> anyhow::Result<ExitCode> {
    // Everything that needs no database first.
    let mut errors = ValidationErrors::default();
    let username = account::parse_username("username", username)
        .map_err(|e| errors.push(e))
        .ok();
    let role = Role::parse("role", role).map_err(|e| errors.push(e)).ok();
    let display_name = name.map(|n| required_text(&mut errors, "name", n, DISPLAY_NAME_MAX));
    let password = if password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let p = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text)
            .to_owned();
        if let Err(e) = account::check_password("password", &p) {
            errors.push(e);
        }
        Some(p)
    } else {
        None
    };
    if !errors.is_empty() {
        return refuse_all(&errors);
    }
    let (Some(username), Some(role)) = (username, role) else {
        return refuse_all(&errors);
    };
    if role != Role::ProgramStaff && scope != StaffScope::unlimited() {
        return refuse(
            &format!(
                "只有项目管理人员（program_staff）可以限定城市或领域，角色 {role} 请去掉 --city/--field"
            ),
            &format!(
                "only program_staff can be limited to cities or fields; leave out --city/--field for role {role}"
            ),
        );
    }

    let (db, taxonomy) = startup::open_database(url).await?;
    let scope = match clean_scope(&taxonomy, scope.regions, scope.fields) {
        Ok(s) => s,
        Err(errors) => return refuse_all(&errors),
    };
    let organization_id = match (account::org_kinds_for(role), org) {
        (None, None) => None,
        (None, Some(_)) => {
            return refuse(
                &format!("角色 {role} 不属于任何单位，请去掉 --org"),
                &format!("role {role} belongs to no organization; leave out --org"),
            );
        }
        (Some(_), None) => {
            return refuse(
                &format!("角色 {role} 必须用 --org 指定所属单位"),
                &format!("role {role} needs its organization: --org ORG_EXTERNAL_ID"),
            );
        }
        (Some(kinds), Some(ext)) => {
            let Some(o) = organizations::get(&db, ext.trim()).await? else {
                return refuse(
                    &format!("单位“{ext}”不存在（请先导入单位）"),
                    &format!("organization '{ext}' does not exist (import it first)"),
                );
            };
            let fits = OrgKind::from_code(&o.kind).is_some_and(|k| kinds.contains(&k));
            if !fits {
                let allowed: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                return refuse(
                    &format!(
                        "单位“{ext}”的类型是 {}，角色 {role} 只能属于：{}",
                        o.kind,
                        allowed.join(", ")
                    ),
                    &format!(
                        "organization '{ext}' is of kind {}; role {role} belongs to: {}",
                        o.kind,
                        allowed.join(", ")
                    ),
                );
            }
            Some(o.id)
        }
    };
    if users::by_username(&db, &username).await?.is_some() {
        return refuse(
            &format!("用户名“{username}”已存在"),
            &format!("username '{username}' is taken"),
        );
    }
    let generated = password.is_none();
    let password = password.unwrap_or_else(credentials::new_password);
    let hash = tokio::task::spawn_blocking(move || {
        crate::password::hash(&password).map(|h| (h, password))
    })
    .await??;
    let (hash, password) = hash;
    let u = users::create(
        &db,
        users::NewUser {
            username: &username,
            display_name: display_name.as_deref().unwrap_or(&username),
            role,
            organization_id,
            password_hash: Some(hash),
        },
    )
    .await?;
    staff_scopes::replace(&db, u.id, &scope).await?;
    println!(
        "user added: id={} username={} role={} org={}",
        u.id,
        u.username,
        role,
        org.map(str::trim).unwrap_or("-")
    );
    if scope != StaffScope::unlimited() {
        println!("scope: {}", scope_text(&scope));
    }
    if generated {
        println!("password: {password}");
        println!("（密码只显示这一次，请妥善保存 / shown once only: store it now）");
    }
    Ok(ExitCode::SUCCESS)
}

async fn list_users(url: &str) -> anyhow::Result<ExitCode> {
    let (db, _) = startup::open_database(url).await?;
    let all = users::list(&db).await?;
    let orgs = organizations::by_ids(&db, all.iter().filter_map(|u| u.organization_id)).await?;
    let scopes = staff_scopes::load_many(&db, all.iter().map(|u| u.id)).await?;
    println!("id\tusername\trole\torg\tdisabled\tdisplay_name\tscope");
    for u in &all {
        let org = u
            .organization_id
            .and_then(|id| orgs.get(&id))
            .map_or("-", |o| o.external_id.as_str());
        let scope = scopes.get(&u.id).map_or_else(|| "-".to_owned(), scope_text);
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            u.id, u.username, u.role, org, u.disabled, u.display_name, scope
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `city=太原,大同 field=materials`; `-` when unlimited.
fn scope_text(scope: &StaffScope) -> String {
    let mut parts = Vec::new();
    if !scope.regions.is_empty() {
        parts.push(format!("city={}", scope.regions.join(",")));
    }
    if !scope.fields.is_empty() {
        parts.push(format!("field={}", scope.fields.join(",")));
    }
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(" ")
    }
}

/// Trimmed, de-duplicated cities and fields; field codes must be known.
fn clean_scope(
    taxonomy: &Taxonomy,
    cities: Vec<String>,
    fields: Vec<String>,
) -> Result<StaffScope, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let mut scope = StaffScope::unlimited();
    for c in cities {
        let c = c.trim().to_owned();
        if c.is_empty() || c.chars().count() > 64 {
            errors.push(FieldError::new(
                "city",
                "invalid",
                "城市不能为空，且不超过 64 个字符",
                "a city must be 1 to 64 characters",
            ));
        } else if !scope.regions.contains(&c) {
            scope.regions.push(c);
        }
    }
    for f in fields {
        match taxonomy.check(TermKind::Field, "field", f.trim()) {
            Ok(code) => {
                if !scope.fields.contains(&code) {
                    scope.fields.push(code);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    errors.finish(scope)
}

async fn set_scope(
    url: &str,
    username: &str,
    cities: Vec<String>,
    fields: Vec<String>,
    clear: bool,
) -> anyhow::Result<ExitCode> {
    if !clear && cities.is_empty() && fields.is_empty() {
        return refuse(
            "请给出 --city、--field 或 --clear",
            "give --city, --field or --clear",
        );
    }
    let (db, taxonomy) = startup::open_database(url).await?;
    let Some(u) = users::by_username(&db, username.trim()).await? else {
        return refuse(
            &format!("用户“{username}”不存在"),
            &format!("no user '{username}'"),
        );
    };
    if u.role != Role::ProgramStaff.as_str() {
        return refuse(
            &format!(
                "只有项目管理人员（program_staff）可以限定城市或领域，“{username}”的角色是 {}",
                u.role
            ),
            &format!(
                "only program_staff can be limited to cities or fields; '{username}' is {}",
                u.role
            ),
        );
    }
    let scope = match clean_scope(&taxonomy, cities, fields) {
        Ok(s) => s,
        Err(errors) => return refuse_all(&errors),
    };
    staff_scopes::replace(&db, u.id, &scope).await?;
    println!("scope set: user={} {}", u.username, scope_text(&scope));
    Ok(ExitCode::SUCCESS)
}

async fn create_token(
    url: &str,
    username: &str,
    name: &str,
    expires_in_days: Option<i64>,
) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let (name, expires_at) = match account::check_token_request(name, expires_in_days, now) {
        Ok(v) => v,
        Err(errors) => return refuse_all(&errors),
    };
    let (db, _) = startup::open_database(url).await?;
    let Some(u) = users::by_username(&db, username.trim()).await? else {
        return refuse(
            &format!("用户“{username}”不存在"),
            &format!("no user '{username}'"),
        );
    };
    if u.disabled {
        return refuse(
            &format!("用户“{username}”已停用"),
            &format!("user '{username}' is disabled"),
        );
    }
    let secret = credentials::new_api_token();
    let t = api_tokens::create(
        &db,
        api_tokens::NewToken {
            user_id: u.id,
            name: &name,
            token_hash: &secret.hash,
            token_prefix: &credentials::shown_prefix(&secret.plain),
            expires_at,
        },
        now,
    )
    .await?;
    println!(
        "token created: id={} user={} name={} expires_at={}",
        t.id,
        u.username,
        t.name,
        t.expires_at
            .map_or_else(|| "never".to_owned(), |e| e.to_rfc3339())
    );
    println!("token: {}", secret.plain);
    println!("（令牌只显示这一次，请妥善保存 / shown once only: store it now）");
    Ok(ExitCode::SUCCESS)
}

async fn revoke_token(url: &str, id: i64) -> anyhow::Result<ExitCode> {
    let (db, _) = startup::open_database(url).await?;
    if !api_tokens::revoke(&db, id, Utc::now()).await? {
        return refuse(
            &format!("API 令牌 {id} 不存在"),
            &format!("no API token with id {id}"),
        );
    }
    println!("token revoked: id={id}");
    Ok(ExitCode::SUCCESS)
}
