//! XLSForm import: an ODK or Kobo XLSForm workbook (sheets `survey`, `choices`, `settings`)
//! read into a questionnaire [`Definition`]. What a definition cannot carry is refused cell by
//! cell, every refusal found at once, never dropped. Pure: bytes in, a definition or the
//! refusals out; the API (`POST /api/v1/questionnaires/xlsform`) and the office pages call
//! [`parse`].

mod choices;
mod constraint;
mod header;
mod settings;
mod survey;
mod types;
mod workbook;

use sachhon_shared::questionnaire::Definition;
use std::fmt;

/// Something in the workbook that cannot be carried into a questionnaire, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The sheet as the workbook names it (`survey`); `None` when the workbook itself cannot
    /// be read.
    pub sheet: Option<String>,
    /// The row, counted from 1 as the spreadsheet shows it; `None` when a whole sheet is at
    /// fault.
    pub row: Option<u32>,
    /// The column; `None` when a whole row or sheet is at fault.
    pub column: Option<Column>,
    /// What is wrong and what to do about it, in English.
    pub message: String,
}

/// A column of a sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its letter, as the spreadsheet shows it (`C`).
    pub letter: String,
    /// Its header, as written in the sheet's header row; `None` for a column without one.
    pub header: Option<String>,
}

impl Refusal {
    /// Where, in spreadsheet notation: `survey!C7` (a cell), `survey!7:7` (a row), `survey`
    /// (a sheet); `None` when the workbook itself is at fault.
    pub fn location(&self) -> Option<String> {
        let sheet = self.sheet.as_deref()?;
        Some(match (&self.column, self.row) {
            (Some(column), Some(row)) => format!("{sheet}!{}{row}", column.letter),
            (None, Some(row)) => format!("{sheet}!{row}:{row}"),
            (Some(column), None) => format!("{sheet}!{0}:{0}", column.letter),
            (None, None) => sheet.to_string(),
        })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = self.location() {
            write!(f, "{location}")?;
            if let Some(header) = self.column.as_ref().and_then(|c| c.header.as_deref()) {
                write!(f, " ({header})")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Reads an XLSForm (`.xlsx` bytes) into a questionnaire definition, or every refusal found,
/// in sheet, row and column order.
///
/// Carried: `select_one LIST`, `select_multiple LIST`, `integer`, `decimal`, `text` and `note`
/// rows (with the aliases pyxform takes); `label` per language (`label::Vietnamese (vi)`,
/// `label::English (en)`, a plain `label` in the default language); `constraint` ranges on
/// numbers; `required` left empty or `no`; choices with a `score`; the settings' `form_title`
/// and `pass_mark`. Anything else that holds a value is refused. The definition still has to
/// pass [`Definition::validate`].
pub fn parse(bytes: &[u8]) -> Result<Definition, Vec<Refusal>> {
    let (workbook, mut refusals) = workbook::read(bytes).map_err(|refusal| vec![refusal])?;
    let settings = settings::read(&workbook, &mut refusals);
    let lists = choices::read(&workbook, settings.language, &mut refusals);
    let questions = survey::read(&workbook, settings.language, &lists, &mut refusals);
    match (settings.title, settings.pass_mark) {
        (Some(title), Some(pass_mark)) if refusals.is_empty() => Ok(Definition {
            title,
            pass_mark,
            questions,
        }),
        // A missing title or pass mark is among the refusals.
        _ => {
            refusals.sort_by_cached_key(|r| workbook.order(r));
            Err(refusals)
        }
    }
}
