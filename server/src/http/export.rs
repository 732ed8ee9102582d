//! Tables as CSV (UTF-8 with a BOM, so that Excel shows Vietnamese correctly) and XLSX
//! workbooks: the one writer behind every export.

use crate::problem::ApiError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

/// A cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// true or false.
    Bool(bool),
    /// Nothing.
    Empty,
}

impl Cell {
    /// The cell as a CSV field. A text that a spreadsheet would read as a formula (starting
    /// with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP's
    /// advice on CSV injection says; numbers are written as numbers.
    fn as_csv_field(&self) -> String {
        match self {
            Self::Text(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
                format!("'{text}")
            }
            _ => self.as_text(),
        }
    }

    fn as_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Empty => String::new(),
        }
    }
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Self::Empty, Self::Text)
    }
}

impl From<Option<f64>> for Cell {
    fn from(value: Option<f64>) -> Self {
        value.map_or(Self::Empty, Self::Number)
    }
}

/// A named table: a header row and data rows.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// The sheet name (XLSX).
    pub name: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

/// The table as CSV bytes, UTF-8 with a byte-order mark.
pub fn csv(table: &Table) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let fail = |e: csv::Error| ApiError::Internal(format!("CSV: {e}"));
    writer.write_record(&table.headers).map_err(fail)?;
    for row in &table.rows {
        writer
            .write_record(row.iter().map(Cell::as_csv_field))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("CSV: {e}")))
}

/// The tables as an XLSX workbook, one sheet each, headers in bold.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, ApiError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("XLSX: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&table.name).map_err(fail)?;
        for (col, header) in (0u16..).zip(&table.headers) {
            sheet
                .write_string_with_format(0, col, header, &bold)
                .map_err(fail)?;
        }
        for (row, cells) in (1u32..).zip(&table.rows) {
            for (col, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(text) => sheet.write_string(row, col, text).map(|_| ()),
                    Cell::Number(n) => sheet.write_number(row, col, *n).map(|_| ()),
                    Cell::Bool(b) => sheet.write_boolean(row, col, *b).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(fail)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(fail)
}

/// A download answer.
pub fn download(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The CSV media type.
pub const CSV: &str = "text/csv; charset=utf-8";
/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_in_csv() {
        let table = Table {
            name: "t".into(),
            headers: vec!["a".into(), "b".into(), "c".into()],
            rows: vec![vec![
                Cell::Text("=HYPERLINK(\"http://x\")".into()),
                Cell::Text("-2+3".into()),
                Cell::Number(-5.0),
            ]],
        };
        let bytes = csv(&table).expect("csv");
        let text = String::from_utf8(bytes).expect("utf-8");
        let row = text.lines().nth(1).expect("a row");
        assert_eq!(row, "\"'=HYPERLINK(\"\"http://x\"\")\",'-2+3,-5");
    }
}
