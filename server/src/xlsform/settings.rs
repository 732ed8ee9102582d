//! The `settings` sheet: the title (`form_title`, else `form_id` as pyxform does; in the
//! default language, as pyxform takes no translated title), the pass mark (`pass_mark`,
//! sachhon's own column) and the language of columns that name none (`default_language`,
//! Vietnamese when absent). `version` is accepted and not kept: sachhon numbers the versions
//! it publishes itself.

use super::header::{Fields, Lang, Table};
use super::workbook::{self, Workbook};
use super::Refusal;
use sachhon_shared::questionnaire::Label;
use sachhon_shared::text;

/// What the settings give the questionnaire.
pub(super) struct Settings {
    /// The language of columns that name none.
    pub language: Lang,
    /// The title; `None` (refused) when the form has none.
    pub title: Option<Label>,
    /// The pass mark; `None` (refused) when the form has none.
    pub pass_mark: Option<f64>,
}

const FIELDS: Fields<'static> = Fields {
    aliases: &[("set_form_title", "form_title"), ("set_form_id", "form_id")],
    read: &[
        "form_title",
        "form_id",
        "version",
        "default_language",
        "pass_mark",
    ],
    translated: &[],
};

const SETTINGS: &str = "a settings sheet names form_title (the title) and pass_mark (the \
score at or above which a response counts as aware) in its header row, with one row of values \
under it";

const NO_PASS_MARK: &str = "the form needs a pass mark: add a pass_mark column to the \
settings sheet with the score at or above which a response counts as aware";

/// Reads the settings sheet; a missing title or pass mark is refused.
pub(super) fn read(workbook: &Workbook, refusals: &mut Vec<Refusal>) -> Settings {
    let mut settings = Settings {
        language: Lang::Vi,
        title: None,
        pass_mark: None,
    };
    let Some(sheet) = workbook.sheet("settings") else {
        refusals.push(workbook::named(
            "settings",
            format!("the workbook has no settings sheet: {SETTINGS}"),
        ));
        return settings;
    };
    let Some(table) = Table::new(sheet, &FIELDS) else {
        refusals.push(sheet.refusal(format!("the settings sheet is empty: {SETTINGS}")));
        return settings;
    };
    let records: Vec<_> = table.records().collect();
    let Some(record) = records.first() else {
        refusals.push(table.header_row_refusal(format!(
            "the settings sheet has no row of values under its header: {SETTINGS}"
        )));
        return settings;
    };
    // The default language decides which columns the title is in, so it is read first.
    if let Some((value, header)) = record.get("default_language") {
        match Lang::parse(value) {
            Some(lang) => settings.language = lang,
            None => refusals.push(record.refusal(
                header,
                format!(
                    "the default language {value:?} is not one a questionnaire has: use \
                     Vietnamese (vi) or English (en)"
                ),
            )),
        }
    }
    table.check(&FIELDS, settings.language, refusals);
    for extra in &records[1..] {
        refusals.push(extra.row_refusal(
            "the settings sheet holds one row of values, under its header; delete this row",
        ));
    }
    let title = record.get("form_title").or_else(|| record.get("form_id"));
    match title {
        Some((title, header)) => match text::check(title, text::LONG) {
            Ok(()) => settings.title = Some(settings.language.label(title)),
            Err(error) => refusals.push(record.refusal(header, error.to_string())),
        },
        None => refusals.push(record.row_refusal(
            "the form needs a title: put it under a form_title column of the settings sheet",
        )),
    }
    match record.get("pass_mark") {
        Some((value, header)) => match value.parse::<f64>() {
            Ok(mark) if mark.is_finite() => settings.pass_mark = Some(mark),
            _ => refusals.push(record.refusal(
                header,
                format!("the pass mark must be a number, not {value:?}"),
            )),
        },
        None => refusals.push(record.row_refusal(NO_PASS_MARK)),
    }
    settings
}
