//! Reading the workbook: the `.xlsx` bytes into the filled cells, as text, of the sheets an
//! XLSForm uses. The archive is inflated once under a limit before calamine reads it, and
//! cells are streamed, never laid out as a grid, so a small hostile file cannot claim much
//! memory.

use super::{Column, Refusal};
use calamine::{DataRef, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// How much the archive may inflate to, in bytes; a form is a few hundred KiB at most.
const MAX_INFLATED: u64 = 32 * 1024 * 1024;
/// How many filled cells the sheets read may hold together.
const MAX_CELLS: usize = 100_000;
/// The sheets an XLSForm is made of.
const USED: [&str; 3] = ["survey", "choices", "settings"];
/// Sheets pyxform reads that a questionnaire cannot carry.
const UNSUPPORTED: [&str; 3] = ["external_choices", "entities", "osm"];

/// A sheet's filled cells.
pub(super) struct Sheet {
    /// Its name, as the workbook spells it.
    pub name: String,
    /// Text of the filled cells, trimmed and never empty, by row then column (both from 0).
    pub rows: BTreeMap<u32, BTreeMap<u32, String>>,
}

/// The sheets of a workbook that an XLSForm uses.
pub(super) struct Workbook {
    /// Every sheet's name, in the workbook's order.
    names: Vec<String>,
    /// The sheets read.
    sheets: Vec<Sheet>,
}

impl Workbook {
    /// The sheet named `name` (in any case), if the workbook has it.
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets
            .iter()
            .find(|sheet| sheet.name.eq_ignore_ascii_case(name))
    }

    /// The sort key of a refusal: the workbook's sheet order, then rows, then columns.
    pub fn order(&self, refusal: &Refusal) -> (usize, u32, usize, String) {
        let sheet = refusal.sheet.as_deref().map_or(0, |name| {
            self.names
                .iter()
                .position(|n| n == name)
                .unwrap_or(self.names.len())
        });
        let letter = refusal
            .column
            .as_ref()
            .map_or_else(String::new, |c| c.letter.clone());
        (sheet, refusal.row.unwrap_or(0), letter.len(), letter)
    }
}

impl Sheet {
    /// A refusal of the whole sheet.
    pub fn refusal(&self, message: impl Into<String>) -> Refusal {
        named(&self.name, message)
    }

    /// A refusal of a row (from 0).
    pub fn row_refusal(&self, row: u32, message: impl Into<String>) -> Refusal {
        Refusal {
            row: Some(row + 1),
            ..self.refusal(message)
        }
    }

    /// A refusal of the cell at `row` and `column` (from 0), whose column is headed `header`.
    pub fn cell_refusal(
        &self,
        row: u32,
        column: u32,
        header: Option<&str>,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal {
            column: Some(Column {
                letter: letter(column),
                header: header.map(str::to_string),
            }),
            ..self.row_refusal(row, message)
        }
    }
}

/// A refusal of the sheet called `name`, which may be missing from the workbook.
pub(super) fn named(name: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        sheet: Some(name.to_string()),
        row: None,
        column: None,
        message: message.into(),
    }
}

/// The spreadsheet letter of a column counted from 0: `A`, …, `Z`, `AA`, ….
pub(super) fn letter(column: u32) -> String {
    let mut n = u64::from(column) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(char::from(b'A' + rest as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Reads the sheets an XLSForm uses; the refusals are cells holding spreadsheet errors and
/// unsupported sheets that hold something. A body that is no readable `.xlsx` is one refusal.
pub(super) fn read(bytes: &[u8]) -> Result<(Workbook, Vec<Refusal>), Refusal> {
    let unreadable = |why: String| Refusal {
        sheet: None,
        row: None,
        column: None,
        message: format!(
            "this is not a readable .xlsx workbook ({why}); save the form as an Excel \
             workbook (.xlsx)"
        ),
    };
    check_inflated_size(bytes, MAX_INFLATED).map_err(unreadable)?;
    let mut xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let names = xlsx.sheet_names();
    let mut sheets = Vec::new();
    let mut refusals = Vec::new();
    let mut cells = 0;
    for name in &names {
        let lower = name.to_lowercase();
        let unsupported = UNSUPPORTED.contains(&lower.as_str());
        if !USED.contains(&lower.as_str()) && !unsupported {
            continue;
        }
        let sheet = read_sheet(&mut xlsx, name, &mut cells, &mut refusals)?;
        if unsupported && !sheet.rows.is_empty() {
            refusals.push(sheet.refusal(format!(
                "the {lower} sheet is not supported: a questionnaire's choices are all in \
                 the choices sheet; delete this sheet"
            )));
        }
        sheets.push(sheet);
    }
    Ok((Workbook { names, sheets }, refusals))
}

/// Inflates every entry of the archive under `limit` bytes in all, so that calamine never
/// meets a zip bomb.
fn check_inflated_size(bytes: &[u8], limit: u64) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut left = limit;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|e| e.to_string())?;
        let inflated = std::io::copy(&mut entry.take(left + 1), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        left = left
            .checked_sub(inflated)
            .ok_or_else(|| format!("it inflates to more than {} KiB", limit >> 10))?;
    }
    Ok(())
}

fn read_sheet(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    cells: &mut usize,
    refusals: &mut Vec<Refusal>,
) -> Result<Sheet, Refusal> {
    let mut sheet = Sheet {
        name: name.to_string(),
        rows: BTreeMap::new(),
    };
    let broken = |e: calamine::XlsxError| named(name, format!("the sheet cannot be read: {e}"));
    let mut reader = xlsx.worksheet_cells_reader(name).map_err(broken)?;
    while let Some(cell) = reader.next_cell().map_err(broken)? {
        let (row, column) = cell.get_position();
        match text(cell.get_value()) {
            Ok(None) => {}
            Ok(Some(text)) => {
                *cells += 1;
                if *cells > MAX_CELLS {
                    return Err(named(
                        name,
                        format!("the form has more than {MAX_CELLS} filled cells; a questionnaire is far smaller"),
                    ));
                }
                sheet.rows.entry(row).or_default().insert(column, text);
            }
            Err(message) => refusals.push(sheet.cell_refusal(row, column, None, message)),
        }
    }
    Ok(sheet)
}

/// A cell's value as text: trimmed, `None` when blank; a spreadsheet error is refused.
fn text(value: &DataRef<'_>) -> Result<Option<String>, String> {
    let text = match value {
        DataRef::Empty => return Ok(None),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(n) => number(*n),
        DataRef::DateTime(date) => number(date.as_f64()),
        DataRef::Bool(b) => b.to_string(),
        DataRef::Error(error) => {
            return Err(format!(
                "the cell holds the spreadsheet error {error}; put a value in it"
            ))
        }
    };
    let trimmed = text.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
}

/// A number as a person would type it: `2`, not `2.0`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_count_as_a_spreadsheet_does() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(16383), "XFD");
    }

    #[test]
    fn an_archive_that_inflates_past_the_limit_is_not_read(
    ) -> Result<(), rust_xlsxwriter::XlsxError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for row in 0..200 {
            sheet.write_string(row, 0, format!("{row} {}", "a".repeat(1000)))?;
        }
        let bytes = workbook.save_to_buffer()?;
        assert!(bytes.len() < 32 * 1024, "{} bytes", bytes.len());
        assert_eq!(check_inflated_size(&bytes, MAX_INFLATED), Ok(()));
        let refused = check_inflated_size(&bytes, 64 * 1024);
        assert_eq!(refused, Err("it inflates to more than 64 KiB".to_string()));
        Ok(())
    }

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number(2.0), "2");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(100.25), "100.25");
    }
}
