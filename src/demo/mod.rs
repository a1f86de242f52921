//! The built-in demo: a small, realistic corpus (organizations, needs and
//! capabilities of the plan's industries) and one account per role, loaded by
//! `duijie serve --demo` into an empty database. It is not the evaluation set.

use crate::domain::{OrgKind, Role, Taxonomy};
use crate::interchange::import::{self, ImportReport, Options, Source};
use crate::interchange::{CAPABILITIES_FILE, NEEDS_FILE, ORGANIZATIONS_FILE};
use crate::storage::entities::organization;
use crate::storage::repo::users::{self, NewUser};
use anyhow::Context;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

const ORGANIZATIONS: &str = include_str!("organizations.jsonl");
const NEEDS: &str = include_str!("needs.jsonl");
const CAPABILITIES: &str = include_str!("capabilities.jsonl");

/// The password of every demo account (documented in the README).
pub const DEMO_PASSWORD: &str = "duijie-demo";

/// A demo account: username, display name, role.
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
}

pub const ACCOUNTS: [DemoAccount; 4] = [
    DemoAccount {
        username: "admin",
        display_name: "系统管理员",
        role: Role::Admin,
    },
    DemoAccount {
        username: "staff",
        display_name: "省科技厅项目专员",
        role: Role::ProgramStaff,
    },
    DemoAccount {
        username: "enterprise",
        display_name: "企业技术负责人",
        role: Role::EnterpriseMember,
    },
    DemoAccount {
        username: "researcher",
        display_name: "高校科研人员",
        role: Role::Researcher,
    },
];

fn source(name: &'static str, text: &'static str) -> Source {
    Source {
        name,
        display: format!("demo/{name}"),
        reader: Box::new(text.as_bytes()),
        size: text.len() as u64,
    }
}

/// Loads the demo corpus and accounts if the database holds no organization
/// yet; returns what was imported, or `None` when the database was not empty.
pub async fn load_if_empty(
    db: &DatabaseConnection,
    taxonomy: &Taxonomy,
) -> anyhow::Result<Option<ImportReport>> {
    if organization::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let report = import::import_sources(
        db,
        taxonomy,
        vec![
            source(ORGANIZATIONS_FILE, ORGANIZATIONS),
            source(NEEDS_FILE, NEEDS),
            source(CAPABILITIES_FILE, CAPABILITIES),
        ],
        Options::default(),
    )
    .await?;
    anyhow::ensure!(
        report.rejected() == 0,
        "the built-in demo corpus has rejected lines: {:?}",
        report.rejections
    );
    create_accounts(db).await?;
    Ok(Some(report))
}

/// One account per role; the enterprise member belongs to the first
/// enterprise of the corpus and the researcher to the first university.
async fn create_accounts(db: &DatabaseConnection) -> anyhow::Result<()> {
    let first_of = |kind: OrgKind| {
        organization::Entity::find()
            .filter(organization::Column::Kind.eq(kind.as_str()))
            .order_by_asc(organization::Column::Id)
            .one(db)
    };
    let enterprise = first_of(OrgKind::Enterprise).await?.map(|o| o.id);
    let university = first_of(OrgKind::University).await?.map(|o| o.id);
    for a in &ACCOUNTS {
        let organization_id = match a.role {
            Role::EnterpriseMember => enterprise,
            Role::Researcher => university,
            _ => None,
        };
        users::create(
            db,
            NewUser {
                username: a.username,
                display_name: a.display_name,
                role: a.role,
                organization_id,
                password_hash: Some(crate::password::hash(DEMO_PASSWORD)?),
            },
        )
        .await
        .with_context(|| format!("creating demo account {}", a.username))?;
    }
    Ok(())
}
