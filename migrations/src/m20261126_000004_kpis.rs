//! Program targets, industry clusters and industry alliances (产业联盟):
//!
//! - `program_targets`: one row per plan metric (`key_technology`,
//!   `innovation_project`, `demonstration`, `alliances`: counts;
//!   `provincial_soe_coverage`, `above_scale_coverage`, `cluster_coverage`:
//!   percent). Targets are data that admins edit, not code;
//! - `industry_clusters`: the plan's industry clusters (产业链), each under a
//!   taxonomy field;
//! - `alliances`: code, name and the clusters they cover (JSON text list of
//!   cluster codes), with a version for optimistic concurrency;
//! - `alliance_members`: which organizations belong to an alliance.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .take()
}

/// (metric, target, unit, label_zh, label_en)
const TARGETS: &[(&str, f64, &str, &str, &str)] = &[
    (
        "key_technology",
        100.0,
        "count",
        "关键核心技术攻关项目",
        "key-technology R&D items",
    ),
    (
        "innovation_project",
        100.0,
        "count",
        "产学研创新项目",
        "industry–research innovation projects",
    ),
    (
        "demonstration",
        100.0,
        "count",
        "示范项目",
        "demonstration projects",
    ),
    ("alliances", 36.0, "count", "产业联盟", "industry alliances"),
    (
        "provincial_soe_coverage",
        100.0,
        "percent",
        "省属国有企业与高校院所合作覆盖率",
        "provincial SOEs cooperating with universities or institutes",
    ),
    (
        "above_scale_coverage",
        100.0,
        "percent",
        "规上工业企业产学研合作覆盖率",
        "above-scale enterprises with a confirmed cooperation",
    ),
    (
        "cluster_coverage",
        100.0,
        "percent",
        "产业链联盟覆盖率",
        "industry clusters covered by an alliance",
    ),
];

/// (code, name_zh, field)
const CLUSTERS: &[(&str, &str, &str)] = &[
    ("sic_semiconductor", "碳化硅半导体产业链", "semiconductor"),
    ("optoelectronics", "光电产业链", "semiconductor"),
    ("hydrogen", "氢能产业链", "energy"),
    ("new_energy_storage", "新型储能产业链", "energy"),
    ("modern_coal_chem", "现代煤化工", "coal_chem"),
    ("special_steel", "特钢材料", "materials"),
    ("new_materials", "先进金属与新材料", "materials"),
    ("rail_equipment", "轨道交通装备", "rail"),
    ("nev", "新能源汽车", "nev"),
    ("biomedicine", "生物医药", "biomed"),
    ("general_aviation", "通用航空", "aviation"),
    ("big_data", "大数据", "digital"),
    ("green_industry", "节能环保", "green"),
    ("advanced_equipment", "先进装备", "equipment"),
    ("bio_based", "生物基", "bio_based"),
];

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.create_table(
            Table::create()
                .table("program_targets")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("metric", 64))
                .col(double("target"))
                .col(string_len("unit", 16))
                .col(string_len("label_zh", 100))
                .col(string_len("label_en", 200))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("industry_clusters")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len_uniq("code", 64))
                .col(string_len("name_zh", 100))
                .col(string_len_null("field", 32))
                .col(integer("position"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("alliances")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len_uniq("code", 32))
                .col(string_len("name", 200))
                .col(text("clusters"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(integer("version"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("alliance_members")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("alliance_id"))
                .col(big_integer("organization_id"))
                .col(timestamp_with_time_zone("added_at"))
                .foreign_key(&mut fk(
                    "alliance_members",
                    "alliance_id",
                    "alliances",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "alliance_members",
                    "organization_id",
                    "organizations",
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_alliance_members_alliance_id_organization_id")
                .table("alliance_members")
                .col("alliance_id")
                .col("organization_id")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        // Seed rows: plain literals, the same SQL on SQLite and PostgreSQL.
        for (metric, target, unit, zh, en) in TARGETS {
            db.execute_unprepared(&format!(
                "INSERT INTO program_targets (metric, target, unit, label_zh, label_en, updated_at) \
                 VALUES ({}, {target:.1}, {}, {}, {}, '2026-11-26T00:00:00+00:00')",
                quote(metric),
                quote(unit),
                quote(zh),
                quote(en)
            ))
            .await?;
        }
        for (i, (code, name, field)) in CLUSTERS.iter().enumerate() {
            db.execute_unprepared(&format!(
                "INSERT INTO industry_clusters (code, name_zh, field, position) VALUES ({}, {}, {}, {i})",
                quote(code),
                quote(name),
                quote(field)
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "alliance_members",
            "alliances",
            "industry_clusters",
            "program_targets",
        ] {
            m.drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
