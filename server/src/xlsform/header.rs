//! A sheet as a table: its header row, each header read as pyxform reads it (snake_case,
//! aliases, a language after `::`), the records under it, the labels per language, and the
//! refusal of every filled cell in a column the questionnaire cannot carry.

use super::workbook::Sheet;
use super::Refusal;
use sachhon_shared::questionnaire::Label;
use sachhon_shared::text;
use std::collections::BTreeMap;

/// A language a label can be in: the two of [`Label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Reads a language as XLSForm names it: `Vietnamese (vi)`, `English (en)` (the code in
    /// parentheses decides), a bare code, or the language's name.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_lowercase();
        let code = match text
            .strip_suffix(')')
            .and_then(|rest| rest.rsplit_once('('))
        {
            Some((_, code)) => code.split(['-', '_']).next().unwrap_or_default().trim(),
            None => text.as_str(),
        };
        match code {
            "vi" | "vietnamese" | "tiếng việt" => Some(Self::Vi),
            "en" | "english" => Some(Self::En),
            _ => None,
        }
    }

    /// A label with `text` in this language only.
    pub fn label(self, text: &str) -> Label {
        let mut label = Label::default();
        match self {
            Self::Vi => label.vi = text.to_string(),
            Self::En => label.en = text.to_string(),
        }
        label
    }

    /// How a header names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vi => "Vietnamese (vi)",
            Self::En => "English (en)",
        }
    }
}

/// A column's header.
pub(super) struct Header {
    /// The column, from 0.
    pub column: u32,
    /// As written.
    pub text: String,
    /// What it holds: the first part in snake_case, aliases resolved (`list name` →
    /// `list_name`, `caption` → `label`).
    pub field: String,
    /// The language part after `::` (or `:`), if any.
    pub language: Option<String>,
}

impl Header {
    fn read(column: u32, text: &str, aliases: &[(&str, &str)]) -> Self {
        let mut parts: Vec<&str> = if text.contains("::") {
            text.split("::").collect()
        } else {
            text.split(':').collect()
        };
        let first = parts.remove(0);
        let snake = first.split_whitespace().collect::<Vec<_>>().join("_");
        let snake = snake.to_lowercase();
        let field = aliases
            .iter()
            .find(|(alias, _)| *alias == snake)
            .map_or(snake.clone(), |(_, field)| field.to_string());
        Self {
            column,
            text: text.to_string(),
            field,
            language: (!parts.is_empty()).then(|| parts.join("::").trim().to_string()),
        }
    }

    /// The language of a translatable column: its own, or `default` when it names none;
    /// `None` for a language a label cannot be in.
    pub fn lang(&self, default: Lang) -> Option<Lang> {
        self.language.as_deref().map_or(Some(default), Lang::parse)
    }
}

/// A sheet read as a header row and the records under it.
pub(super) struct Table<'a> {
    /// The sheet.
    pub sheet: &'a Sheet,
    /// The header row, from 0.
    pub header_row: u32,
    headers: Vec<Header>,
}

/// A row under the header.
pub(super) struct Record<'a> {
    /// The row, from 0.
    pub row: u32,
    cells: &'a BTreeMap<u32, String>,
    table: &'a Table<'a>,
}

/// What a sheet's reader takes from it: fields (after aliases) and which of them have a
/// language.
pub(super) struct Fields<'f> {
    /// Header aliases of this sheet, as pyxform has them.
    pub aliases: &'f [(&'f str, &'f str)],
    /// The fields read.
    pub read: &'f [&'f str],
    /// The fields read per language.
    pub translated: &'f [&'f str],
}

impl<'a> Table<'a> {
    /// The table of `sheet`, its header the first filled row; `None` for an empty sheet.
    pub fn new(sheet: &'a Sheet, fields: &Fields<'_>) -> Option<Self> {
        let (&header_row, cells) = sheet.rows.first_key_value()?;
        let headers = cells
            .iter()
            .map(|(&column, text)| Header::read(column, text, fields.aliases))
            .collect();
        Some(Self {
            sheet,
            header_row,
            headers,
        })
    }

    /// Refuses what the sheet's reader does not read: every filled cell in a column of
    /// another field (or with a language on a field that has none), and the header of a
    /// filled column that repeats a field or names a language a label cannot be in.
    pub fn check(&self, fields: &Fields<'_>, default: Lang, refusals: &mut Vec<Refusal>) {
        self.check_headers(fields, default, refusals);
        self.refuse_others(fields, refusals);
    }

    fn check_headers(&self, fields: &Fields<'_>, default: Lang, refusals: &mut Vec<Refusal>) {
        let mut seen: Vec<(&str, Option<Lang>, &Header)> = Vec::new();
        for header in &self.headers {
            let translated = fields.translated.contains(&header.field.as_str());
            // Columns not read at all are refused cell by cell instead.
            let read = fields.read.contains(&header.field.as_str())
                && (translated || header.language.is_none());
            if !read || !self.holds_anything(header) {
                continue;
            }
            let lang = if translated {
                let Some(lang) = header.lang(default) else {
                    refusals.push(self.header_refusal(
                        header,
                        format!(
                            "a questionnaire's texts are in Vietnamese (vi) and English (en) \
                             only; name the language like `{}::English (en)`, or delete the \
                             column",
                            header.field
                        ),
                    ));
                    continue;
                };
                Some(lang)
            } else {
                None
            };
            if let Some((_, _, first)) = seen
                .iter()
                .find(|(field, l, _)| *field == header.field && *l == lang)
            {
                let what = lang.map_or(header.field.clone(), |lang| {
                    format!("{} in {}", header.field, lang.name())
                });
                refusals.push(self.header_refusal(
                    header,
                    format!(
                        "{what} is already in column {} ({}); keep one of the two",
                        super::workbook::letter(first.column),
                        first.text
                    ),
                ));
                continue;
            }
            seen.push((&header.field, lang, header));
        }
    }

    /// The records under the header.
    pub fn records(&'a self) -> impl Iterator<Item = Record<'a>> + 'a {
        self.sheet
            .rows
            .range(self.header_row + 1..)
            .map(move |(&row, cells)| Record {
                row,
                cells,
                table: self,
            })
    }

    /// The first column holding `field` with no language.
    pub fn column(&self, field: &str) -> Option<&Header> {
        self.headers
            .iter()
            .find(|h| h.field == field && h.language.is_none())
    }

    /// A refusal of a header cell.
    pub fn header_refusal(&self, header: &Header, message: impl Into<String>) -> Refusal {
        self.sheet
            .cell_refusal(self.header_row, header.column, Some(&header.text), message)
    }

    /// A refusal of the header row.
    pub fn header_row_refusal(&self, message: impl Into<String>) -> Refusal {
        self.sheet.row_refusal(self.header_row, message)
    }

    fn holds_anything(&self, header: &Header) -> bool {
        self.records()
            .any(|record| record.cells.contains_key(&header.column))
    }

    fn header(&self, column: u32) -> Option<&Header> {
        self.headers.iter().find(|h| h.column == column)
    }

    fn refuse_others(&self, fields: &Fields<'_>, refusals: &mut Vec<Refusal>) {
        for record in self.records() {
            for &column in record.cells.keys() {
                let header = self.header(column);
                let read = header.is_some_and(|h| {
                    fields.read.contains(&h.field.as_str())
                        && (h.language.is_none() || fields.translated.contains(&h.field.as_str()))
                });
                if !read {
                    refusals.push(self.sheet.cell_refusal(
                        record.row,
                        column,
                        header.map(|h| h.text.as_str()),
                        header.map_or_else(
                            || {
                                "this value is in a column with no header; give the column \
                                its header or clear the cell"
                                    .to_string()
                            },
                            not_carried,
                        ),
                    ));
                }
            }
        }
    }
}

impl<'a> Record<'a> {
    /// The value under the column of `field` (with no language), and that column.
    pub fn get(&self, field: &str) -> Option<(&'a str, &'a Header)> {
        let header = self.table.column(field)?;
        Some((self.cells.get(&header.column)?.as_str(), header))
    }

    /// A refusal of this record's cell under `header`.
    pub fn refusal(&self, header: &Header, message: impl Into<String>) -> Refusal {
        self.table
            .sheet
            .cell_refusal(self.row, header.column, Some(&header.text), message)
    }

    /// A refusal of this record's row.
    pub fn row_refusal(&self, message: impl Into<String>) -> Refusal {
        self.table.sheet.row_refusal(self.row, message)
    }

    /// The texts of `field` per language (`label`, `label::English (en)`, …), each under the
    /// text rule; `None` when there is none. Columns in other languages are refused by
    /// [`Table::check`].
    pub fn label(&self, field: &str, default: Lang, refusals: &mut Vec<Refusal>) -> Option<Label> {
        let mut label = Label::default();
        for header in self.table.headers.iter().filter(|h| h.field == field) {
            let (Some(lang), Some(value)) = (header.lang(default), self.cells.get(&header.column))
            else {
                continue;
            };
            if let Err(error) = text::check(value, text::LONG) {
                refusals.push(self.refusal(header, error.to_string()));
                continue;
            }
            let slot = match lang {
                Lang::Vi => &mut label.vi,
                Lang::En => &mut label.en,
            };
            if slot.is_empty() {
                *slot = value.clone();
            }
        }
        (label != Label::default()).then_some(label)
    }
}

/// Why a filled cell of a column is refused, by the column's field.
fn not_carried(header: &Header) -> String {
    let what = match header.field.as_str() {
        "hint" | "guidance_hint" => "hints are not carried: put the text in the label",
        "relevant" | "relevance" => "skip logic (relevant) is not carried: every question is asked",
        "calculation" | "calculate" => "calculations are not carried",
        "constraint_message" | "constraining_message" => {
            "constraint messages are not carried: the phone states the range itself"
        }
        "required_message" | "requiredmsg" => "required messages are not carried",
        "default" => "default answers are not carried",
        "appearance" => {
            "appearances are not carried: the phone shows each kind of question its own way"
        }
        "choice_filter" => "choice filters are not carried",
        "read_only" | "readonly" => "read-only questions are not carried",
        "image" | "big-image" | "audio" | "video" | "media" => "media are not carried",
        "repeat_count" | "count" => "repeats are not carried",
        "parameters" => "question parameters are not carried",
        _ => {
            return format!(
                "the column {} is not carried by a questionnaire; clear the cell or delete \
                 the column",
                header.text
            )
        }
    };
    format!("{what}; clear the cell or delete the column")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_as_pyxform_reads_them() {
        let aliases = [("caption", "label")];
        let label = Header::read(3, "Label::English (en)", &aliases);
        assert_eq!(
            (label.field.as_str(), label.language.as_deref()),
            ("label", Some("English (en)"))
        );
        assert_eq!(label.lang(Lang::Vi), Some(Lang::En));
        let legacy = Header::read(0, "caption:Vietnamese", &aliases);
        assert_eq!(
            (legacy.field.as_str(), legacy.lang(Lang::En)),
            ("label", Some(Lang::Vi))
        );
        assert_eq!(Header::read(0, "List Name", &[]).field, "list_name");
        assert_eq!(Header::read(0, "label", &[]).lang(Lang::En), Some(Lang::En));
        assert_eq!(
            Header::read(0, "label::French (fr)", &[]).lang(Lang::Vi),
            None
        );
        assert_eq!(Lang::parse("Tiếng Việt (vi-VN)"), Some(Lang::Vi));
    }
}
