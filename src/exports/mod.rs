//! Exports of needs, capabilities, matches and agreements (and the KPI
//! report) as CSV or XLSX. Each resource's columns are defined once (in
//! `tables`); the same [`Table`] is written in either format.
//!
//! - CSV: UTF-8 with a byte-order mark (so Excel reads the Chinese), a
//!   Chinese header row, RFC 4180 quoting.
//! - XLSX: one sheet, bold frozen header row with a filter, column widths
//!   from the column definitions.
//!
//! What goes into a table is decided by the same visibility rules as the
//! list endpoints (`storage::repo::*::visible` / `Readable`).

pub mod kpis;
pub mod tables;

use rust_xlsxwriter::{Format, Workbook};

/// The most rows one export holds; more are cut and the response says so.
pub const MAX_ROWS: u64 = 100_000;

/// One column: its Chinese header and a width in characters (XLSX).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub width: f64,
}

pub const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width }
}

/// One cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Number(x)
    }
}

impl From<i64> for Cell {
    #[allow(clippy::cast_precision_loss)]
    fn from(x: i64) -> Self {
        Cell::Number(x as f64)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(x: Option<T>) -> Self {
        x.map_or(Cell::Empty, Into::into)
    }
}

impl Cell {
    fn csv_text(&self) -> String {
        match self {
            // Text that a spreadsheet would take for a formula is prefixed
            // with an apostrophe (CSV injection); XLSX cells are typed and
            // need no such guard.
            Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
            Cell::Number(x) => x.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A table ready to write: what it is, its columns and its rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// File and sheet name stem, ASCII (e.g. `needs`).
    pub name: &'static str,
    /// Chinese title (file name for Excel users, sheet name).
    pub title_zh: &'static str,
    pub columns: &'static [Column],
    pub rows: Vec<Vec<Cell>>,
    /// Rows that matched but were left out (over [`MAX_ROWS`]).
    pub truncated: bool,
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    pub fn parse(ext: &str) -> Option<Self> {
        match ext {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The UTF-8 byte-order mark that makes Excel read a CSV file as UTF-8.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes the table as CSV (BOM, header row, RFC 4180 quoting, CRLF).
pub fn to_csv(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    w.write_record(t.columns.iter().map(|c| c.header))?;
    for row in &t.rows {
        w.write_record(row.iter().map(Cell::csv_text))?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("csv flush: {}", e.error()))
}

/// Writes the table as an XLSX workbook with one sheet.
pub fn to_xlsx(t: &Table) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(t.title_zh)?;
    let header = Format::new().set_bold().set_background_color(0x00DD_EBF7);
    for (c, column) in t.columns.iter().enumerate() {
        let c = u16::try_from(c)?;
        sheet.write_string_with_format(0, c, column.header, &header)?;
        sheet.set_column_width(c, column.width)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = u32::try_from(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c)?;
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Number(x) => {
                    sheet.write_number(r, c, *x)?;
                }
                Cell::Empty => {}
            }
        }
    }
    if !t.columns.is_empty() {
        let last_col = u16::try_from(t.columns.len() - 1)?;
        let last_row = u32::try_from(t.rows.len())?;
        sheet.autofilter(0, 0, last_row, last_col)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
}

/// Writes the table in `format`.
pub fn render(t: &Table, format: FileFormat) -> anyhow::Result<Vec<u8>> {
    match format {
        FileFormat::Csv => to_csv(t),
        FileFormat::Xlsx => to_xlsx(t),
    }
}

/// `Content-Disposition: attachment` with an ASCII fallback name and the
/// Chinese name per RFC 5987 / RFC 6266.
pub fn content_disposition(ascii_name: &str, utf8_name: &str) -> String {
    let fallback: String = ascii_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        rfc5987(utf8_name)
    )
}

fn rfc5987(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Column] = &[col("编号", 10.0), col("标题", 30.0), col("金额", 8.0)];

    fn table() -> Table {
        Table {
            name: "t",
            title_zh: "测试",
            columns: COLS,
            rows: vec![
                vec!["a-1".into(), "含,逗号 \"引号\"\n换行".into(), 1.5.into()],
                vec!["a-2".into(), Cell::Empty, Cell::Empty],
            ],
            truncated: false,
        }
    }

    #[test]
    fn csv_has_a_bom_a_chinese_header_and_rfc4180_quoting() {
        let bytes = to_csv(&table()).unwrap_or_default();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap_or_default();
        assert_eq!(
            text,
            "编号,标题,金额\r\na-1,\"含,逗号 \"\"引号\"\"\n换行\",1.5\r\na-2,,\r\n"
        );
    }

    #[test]
    fn csv_text_cannot_become_a_formula() {
        let t = Table {
            rows: vec![vec![
                "=HYPERLINK(\"x\")".into(),
                "@SUM(A1)".into(),
                (-3.5).into(),
            ]],
            ..table()
        };
        let bytes = to_csv(&t).unwrap_or_default();
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap_or_default();
        assert!(
            text.ends_with("\"'=HYPERLINK(\"\"x\"\")\",'@SUM(A1),-3.5\r\n"),
            "{text}"
        );
    }

    #[test]
    fn xlsx_is_a_zip() {
        let bytes = to_xlsx(&table()).unwrap_or_default();
        assert!(bytes.starts_with(b"PK"));
    }

    #[test]
    fn content_disposition_has_both_names() {
        assert_eq!(
            content_disposition("duijie-needs.csv", "技术需求.csv"),
            "attachment; filename=\"duijie-needs.csv\"; filename*=UTF-8''%E6%8A%80%E6%9C%AF%E9%9C%80%E6%B1%82.csv"
        );
    }
}
