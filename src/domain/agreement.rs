//! Technology contracts (技术合同): the status workflow, the registration
//! number format and the validation of a new agreement. Program-item codes
//! are checked here too.
//!
//! Status workflow:
//!
//! ```text
//! draft → signed → registered → completed
//!   │       │          │
//!   └───────┴──────────┴──→ terminated
//! ```
//!
//! `completed` and `terminated` are final. Moving to `signed` needs a signing
//! date and moving to `registered` a registration number (either already
//! stored or sent with the status change).

use super::enums::{AgreementStatus, ContractType};
use super::posting::parse_date;
use super::validation::{FieldError, ValidationErrors};
use chrono::{Datelike, NaiveDate};

/// The statuses an agreement may move to from `from`.
pub fn allowed_targets(from: AgreementStatus) -> &'static [AgreementStatus] {
    use AgreementStatus::*;
    match from {
        Draft => &[Signed, Terminated],
        Signed => &[Registered, Terminated],
        Registered => &[Completed, Terminated],
        Completed | Terminated => &[],
    }
}

pub fn is_allowed(from: AgreementStatus, to: AgreementStatus) -> bool {
    allowed_targets(from).contains(&to)
}

/// The earliest year a registration number may carry (the national
/// technology-contract registration system dates from the late 1980s).
pub const FIRST_REGISTRATION_YEAR: i32 = 1990;

/// Province-level codes of GB/T 2260 (the first two digits of an
/// administrative division code): 11 北京 … 14 山西 … 65 新疆, 71 台湾,
/// 81 香港, 82 澳门.
const PROVINCE_CODES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// Checks a technology-contract registration number (技术合同登记编号).
///
/// Registration numbers are assigned by the technology-contract registration
/// office (技术合同登记机构) when a contract is registered. Their layout
/// varies a little between provinces, so duijie accepts the common shape
/// and rejects what cannot be one:
///
/// | part | length | rule |
/// | --- | --- | --- |
/// | year of registration | 4 digits | 1990 … 2099 |
/// | province | 2 digits | a province-level code of GB/T 2260 (e.g. `14` 山西) |
/// | registration office | 2–4 characters | upper-case letters `A`–`Z` or digits |
/// | serial number | 6 digits | not `000000` |
///
/// That is 14 to 16 characters with no spaces or separators, e.g.
/// `20251401000123` (2025, 山西, office `01`, serial `000123`) or
/// `202514TY01000045`. The serial is always the last six digits, so the
/// office code is what lies between the province and the serial. Letters
/// must be upper case; surrounding blanks are trimmed. Returns the number.
pub fn parse_registration_no(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let bad = |why_zh: &str, why_en: &str| {
        FieldError::new(
            field,
            "invalid_registration_no",
            format!(
                "技术合同登记编号“{v}”无效：{why_zh}。格式为 4 位年份 + 2 位省级行政区划代码 + 2–4 位登记机构代码（大写字母或数字）+ 6 位流水号，如 20251401000123"
            ),
            format!(
                "'{v}' is not a technology-contract registration number: {why_en}. Expected 4-digit year + 2-digit province code + 2–4 character office code (A–Z, 0–9) + 6-digit serial, e.g. 20251401000123"
            ),
        )
    };
    if !v
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Err(bad(
            "只能包含数字和大写字母",
            "only digits and upper-case letters are allowed",
        ));
    }
    if !(14..=16).contains(&v.len()) {
        return Err(bad("长度应为 14–16 位", "it must be 14–16 characters long"));
    }
    let (year, rest) = v.split_at(4);
    let (province, rest) = rest.split_at(2);
    let (office, serial) = rest.split_at(rest.len() - 6);
    let year_ok = year.bytes().all(|b| b.is_ascii_digit())
        && year
            .parse::<i32>()
            .is_ok_and(|y| (FIRST_REGISTRATION_YEAR..=2099).contains(&y));
    if !year_ok {
        return Err(bad(
            "前 4 位应为 1990–2099 的年份",
            "the first 4 characters must be a year 1990–2099",
        ));
    }
    if !PROVINCE_CODES.contains(&province) {
        return Err(bad(
            "第 5–6 位应为省级行政区划代码",
            "characters 5–6 must be a province-level division code",
        ));
    }
    if !(2..=4).contains(&office.len()) {
        return Err(bad(
            "登记机构代码应为 2–4 位",
            "the office code must be 2–4 characters",
        ));
    }
    if !serial.bytes().all(|b| b.is_ascii_digit()) || serial == "000000" {
        return Err(bad(
            "最后 6 位应为流水号（数字，不全为 0）",
            "the last 6 characters must be a serial number (digits, not all zero)",
        ));
    }
    Ok(v.to_owned())
}

/// Program-item codes (e.g. `KT-2026-001`): 1–32 characters of letters,
/// digits, `-`, `_` and `.`.
pub fn parse_item_code(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    // Codes end up as a path segment (`/api/v1/alliances/{code}`); "." and
    // ".." would be normalized away by every client, leaving the record
    // unreachable, so a code needs at least one character that is not a dot.
    let ok = !v.is_empty()
        && v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && v.bytes().any(|b| b != b'.');
    if ok {
        Ok(v.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "invalid_code",
            format!("编号“{v}”无效：应为 1–32 位字母、数字、-、_ 或 .，且不能只有 ."),
            format!(
                "'{v}' is not a valid code: 1–32 letters, digits, '-', '_' or '.', not only dots"
            ),
        ))
    }
}

/// The content of a new agreement as sent (the match and program item are
/// resolved by the caller).
#[derive(Debug, Clone, Default)]
pub struct AgreementDraft<'a> {
    pub contract_type: &'a str,
    pub amount_wan: Option<f64>,
    pub signing_date: Option<&'a str>,
    pub term_start: Option<&'a str>,
    pub term_end: Option<&'a str>,
    pub registration_no: Option<&'a str>,
}

/// A validated agreement's content.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementTerms {
    pub contract_type: ContractType,
    pub amount_wan: Option<f64>,
    pub signing_date: Option<NaiveDate>,
    pub term_start: Option<NaiveDate>,
    pub term_end: Option<NaiveDate>,
    pub registration_no: Option<String>,
}

/// The largest amount accepted (万元): 10 000 亿元, far above any contract.
const MAX_AMOUNT_WAN: f64 = 100_000_000.0;

impl AgreementDraft<'_> {
    /// Checks every field; collects all errors.
    pub fn validate(&self) -> Result<AgreementTerms, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let contract_type = if self.contract_type.trim().is_empty() {
            errors.push(FieldError::new(
                "contract_type",
                "required",
                "须指定合同类型：tech_development、tech_transfer、tech_license、tech_consulting 或 tech_service",
                "contract_type is required: tech_development, tech_transfer, tech_license, tech_consulting or tech_service",
            ));
            None
        } else {
            ContractType::parse("contract_type", self.contract_type)
                .map_err(|e| errors.push(e))
                .ok()
        };
        if let Some(a) = self.amount_wan
            && (!a.is_finite() || !(0.0..=MAX_AMOUNT_WAN).contains(&a))
        {
            errors.push(FieldError::new(
                "amount_wan",
                "out_of_range",
                "合同金额（万元）应为不小于 0 的数",
                "amount_wan must be a number ≥ 0",
            ));
        }
        let mut date = |field: &str, v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .and_then(|s| parse_date(field, s).map_err(|e| errors.push(e)).ok())
        };
        let signing_date = date("signing_date", self.signing_date);
        let term_start = date("term_start", self.term_start);
        let term_end = date("term_end", self.term_end);
        if let (Some(s), Some(e)) = (term_start, term_end)
            && e < s
        {
            errors.push(FieldError::new(
                "term_end",
                "before_start",
                "合同期限的结束日期不能早于开始日期",
                "term_end must not be before term_start",
            ));
        }
        let registration_no = self
            .registration_no
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| {
                parse_registration_no("registration_no", s)
                    .map_err(|e| errors.push(e))
                    .ok()
            });
        if let (Some(no), Some(d)) = (&registration_no, signing_date)
            && no.get(..4).and_then(|y| y.parse::<i32>().ok()) < Some(d.year())
        {
            errors.push(FieldError::new(
                "registration_no",
                "before_signing",
                "登记编号中的年份早于签订日期：合同签订后才能登记",
                "the registration number's year is before the signing date: contracts are registered after signing",
            ));
        }
        match contract_type {
            Some(contract_type) if errors.is_empty() => Ok(AgreementTerms {
                contract_type,
                amount_wan: self.amount_wan,
                signing_date,
                term_start,
                term_end,
                registration_no,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AgreementStatus::*;

    #[test]
    fn well_formed_registration_numbers_are_accepted() {
        for no in [
            "20251401000123",
            "202514TY01000045",
            "2019110A1000001",
            " 20261401000123 ",
        ] {
            assert!(parse_registration_no("r", no).is_ok(), "{no}");
        }
        assert_eq!(
            parse_registration_no("r", " 20251401000123")
                .ok()
                .as_deref(),
            Some("20251401000123")
        );
    }

    #[test]
    fn malformed_registration_numbers_are_rejected_with_a_reason() {
        for no in [
            "",
            "2025140100012",      // 13 characters
            "20251401000012345",  // 17 characters
            "2025140A 000123",    // blank inside
            "202514ab000123",     // lower case
            "18991401000123",     // year
            "20259901000123",     // no such province
            "20251401000000",     // serial all zero
            "2025140100012A",     // serial not digits
            "2025-14-01-000123",  // separators
            "二〇二五1401000123", // not ASCII
        ] {
            let e = parse_registration_no("registration_no", no);
            assert!(
                e.as_ref().is_err_and(
                    |e| e.code == "invalid_registration_no" && e.field == "registration_no"
                ),
                "{no}: {e:?}"
            );
        }
    }

    #[test]
    fn agreement_statuses_move_forward_or_terminate() {
        assert!(is_allowed(Draft, Signed));
        assert!(is_allowed(Signed, Registered));
        assert!(is_allowed(Registered, Completed));
        for s in [Draft, Signed, Registered] {
            assert!(is_allowed(s, Terminated));
        }
        assert!(!is_allowed(Draft, Registered));
        assert!(!is_allowed(Signed, Draft));
        for s in [Completed, Terminated] {
            assert!(allowed_targets(s).is_empty());
        }
    }

    #[test]
    fn a_valid_draft_passes_and_every_bad_field_is_named() {
        let ok = AgreementDraft {
            contract_type: "tech_development",
            amount_wan: Some(120.5),
            signing_date: Some("2026-03-01"),
            term_start: Some("2026-03-01"),
            term_end: Some("2027-02-28"),
            registration_no: Some("20261401000123"),
        }
        .validate();
        assert!(ok.is_ok(), "{ok:?}");

        let bad = AgreementDraft {
            contract_type: "tech_barter",
            amount_wan: Some(-1.0),
            signing_date: Some("2026-02-30"),
            term_start: Some("2026-03-01"),
            term_end: Some("2026-02-01"),
            registration_no: Some("123"),
        }
        .validate();
        let fields: Vec<String> = bad
            .err()
            .map(|e| e.0.into_iter().map(|e| e.field).collect())
            .unwrap_or_default();
        assert_eq!(
            fields,
            [
                "contract_type",
                "amount_wan",
                "signing_date",
                "term_end",
                "registration_no"
            ]
        );
        let missing = AgreementDraft::default().validate();
        assert!(
            missing.is_err_and(|e| e.0[0].field == "contract_type" && e.0[0].code == "required")
        );
    }

    #[test]
    fn a_registration_cannot_predate_the_signing() {
        let e = AgreementDraft {
            contract_type: "tech_service",
            signing_date: Some("2026-05-01"),
            registration_no: Some("20251401000123"),
            ..Default::default()
        }
        .validate();
        assert!(e.is_err_and(|e| e.0[0].code == "before_signing"));
    }

    #[test]
    fn item_codes_are_short_and_plain() {
        assert!(parse_item_code("code", "KT-2026-001").is_ok());
        assert!(parse_item_code("code", "").is_err());
        assert!(parse_item_code("code", "有 空格").is_err());
        assert!(parse_item_code("code", &"x".repeat(33)).is_err());
        assert!(parse_item_code("code", ".").is_err());
        assert!(parse_item_code("code", "..").is_err());
        assert!(parse_item_code("code", "v1.2").is_ok());
    }
}
