//! Closed sets fixed by law or by the plan (organization kinds, contract types,
//! workflow states). Open, growing sets (fields, modes, tiers) are taxonomy data.

use super::validation::FieldError;

/// Declares a string-backed enum with its stable code, a Chinese label and
/// parsing that names the allowed codes on error.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $zh:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            pub fn parse(field: &str, code: &str) -> Result<Self, FieldError> {
                Self::from_code(code.trim()).ok_or_else(|| {
                    let known = [$($code),+].join(", ");
                    FieldError::new(
                        field,
                        "unknown_code",
                        format!("未知的取值“{}”，可用：{known}", code.trim()),
                        format!("unknown value '{}'; allowed: {known}", code.trim()),
                    )
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

coded_enum!(
    /// What an organization is.
    OrgKind {
        Enterprise => "enterprise", "企业";
        University => "university", "高校";
        Institute => "institute", "科研院所";
        Academy => "academy", "院士团队/科学院";
        LeadingEnterprise => "leading_enterprise", "龙头企业";
    }
);

impl OrgKind {
    /// Organizations that offer capabilities (the "研" side and leading enterprises).
    pub fn is_provider(self) -> bool {
        !matches!(self, Self::Enterprise)
    }
}

coded_enum!(
    Ownership {
        ProvincialSoe => "provincial_soe", "省属国有企业";
        CentralSoe => "central_soe", "中央企业";
        Private => "private", "民营企业";
        Foreign => "foreign", "外资企业";
        Other => "other", "其他";
    }
);

coded_enum!(
    NeedStatus {
        Draft => "draft", "草稿";
        Open => "open", "征集中";
        Matched => "matched", "已对接";
        Closed => "closed", "已关闭";
    }
);

coded_enum!(
    CapabilityStatus {
        Draft => "draft", "草稿";
        Published => "published", "已发布";
        Archived => "archived", "已下架";
    }
);

coded_enum!(
    /// Roles of users; what each may do is decided in `access`.
    Role {
        EnterpriseMember => "enterprise_member", "企业用户";
        Researcher => "researcher", "科研人员";
        ProgramStaff => "program_staff", "项目管理人员";
        Admin => "admin", "系统管理员";
    }
);

coded_enum!(
    /// Curation states of a match.
    MatchState {
        Suggested => "suggested", "系统推荐";
        Shortlisted => "shortlisted", "入围";
        Introduced => "introduced", "已引荐";
        Negotiating => "negotiating", "洽谈中";
        Confirmed => "confirmed", "已确认合作";
        Rejected => "rejected", "已否决";
        Withdrawn => "withdrawn", "已撤回";
    }
);

coded_enum!(
    /// Technology-contract types of the Civil Code (技术合同).
    ContractType {
        Development => "tech_development", "技术开发";
        Transfer => "tech_transfer", "技术转让";
        License => "tech_license", "技术许可";
        Consulting => "tech_consulting", "技术咨询";
        Service => "tech_service", "技术服务";
    }
);

coded_enum!(
    AgreementStatus {
        Draft => "draft", "草稿";
        Signed => "signed", "已签订";
        Registered => "registered", "已登记";
        Completed => "completed", "已完成";
        Terminated => "terminated", "已终止";
    }
);

coded_enum!(
    /// The plan's three kinds of funded item, 100 of each.
    ProgramItemKind {
        KeyTechnology => "key_technology", "关键核心技术攻关";
        InnovationProject => "innovation_project", "产学研创新项目";
        Demonstration => "demonstration", "示范项目";
    }
);

coded_enum!(
    /// Progress of a program item.
    ProgramItemStatus {
        Planned => "planned", "计划中";
        Started => "started", "已启动";
        Completed => "completed", "已完成";
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_parse() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::from_code(k.as_str()), Some(*k));
        }
        for s in MatchState::ALL {
            assert_eq!(MatchState::from_code(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn an_unknown_kind_names_the_allowed_values() {
        let err = OrgKind::parse("kind", "company").err();
        assert!(err.is_some_and(|e| e.message_en.contains("leading_enterprise")));
    }
}
