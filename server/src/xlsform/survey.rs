//! The `survey` sheet: one question per row, in order — its type, its name (the question's
//! key), its label per language, a `constraint` range on numbers, and `required` left empty
//! or `no`.

use super::choices::Lists;
use super::constraint;
use super::header::{Fields, Lang, Record, Table};
use super::types::{self, RowType};
use super::workbook::{self, Workbook};
use super::Refusal;
use sachhon_shared::questionnaire::{is_question_key, Question, QuestionKind};
use std::collections::HashMap;

const FIELDS: Fields<'static> = Fields {
    aliases: &[("caption", "label"), ("tag", "name"), ("value", "name")],
    read: &["type", "name", "label", "constraint", "required"],
    translated: &["label"],
};

/// Reads the questions, in order.
pub(super) fn read(
    workbook: &Workbook,
    language: Lang,
    lists: &Lists,
    refusals: &mut Vec<Refusal>,
) -> Vec<Question> {
    let mut questions = Vec::new();
    let Some(sheet) = workbook.sheet("survey") else {
        refusals.push(workbook::named(
            "survey",
            "the workbook has no survey sheet; the questions go there, one per row",
        ));
        return questions;
    };
    let Some(table) = Table::new(sheet, &FIELDS) else {
        refusals.push(sheet.refusal("the survey sheet is empty; put the questions there"));
        return questions;
    };
    table.check(&FIELDS, language, refusals);
    for needed in ["type", "name"] {
        if table.column(needed).is_none() {
            refusals.push(
                table.header_row_refusal(format!("the survey sheet needs a {needed} column")),
            );
            return questions;
        }
    }
    let before = refusals.len();
    let mut names: HashMap<String, u32> = HashMap::new();
    for record in table.records() {
        if let Some(question) = question(&record, language, lists, &mut names, refusals) {
            questions.push(question);
        }
    }
    if questions.is_empty() && refusals.len() == before {
        refusals.push(sheet.refusal("the survey sheet has no questions"));
    }
    questions
}

/// One row's question; `None` when it is refused.
fn question(
    record: &Record<'_>,
    language: Lang,
    lists: &Lists,
    names: &mut HashMap<String, u32>,
    refusals: &mut Vec<Refusal>,
) -> Option<Question> {
    let Some((type_text, type_header)) = record.get("type") else {
        refusals.push(record.row_refusal(
            "this row has no type; give it one (select_one LIST, integer, text, …) or clear \
             the row",
        ));
        return None;
    };
    let label = record.label("label", language, refusals);
    let key = key(record, names, refusals);
    let (kind, choices) = match types::parse(type_text) {
        Ok(RowType::Plain(kind)) => (kind, Vec::new()),
        Ok(RowType::Select { kind, list }) => match lists.get(&list) {
            Some(choices) => (kind, choices.clone()),
            None => {
                refusals.push(record.refusal(
                    type_header,
                    format!("the list {list} is not in the choices sheet (its list_name column)"),
                ));
                return None;
            }
        },
        Err(message) => {
            refusals.push(record.refusal(type_header, message));
            return None;
        }
    };
    if kind == QuestionKind::Note && label.is_none() {
        refusals.push(record.row_refusal("a note needs a label: the text it shows"));
    }
    let range = match record.get("constraint") {
        None => constraint::Range {
            min: None,
            max: None,
        },
        Some((_, header)) if !kind.is_numeric() => {
            refusals.push(record.refusal(
                header,
                "constraints are carried on integer and decimal questions only, as ranges; \
                 clear the cell",
            ));
            return None;
        }
        Some((value, header)) => match constraint::range(value) {
            Ok(range) => range,
            Err(message) => {
                refusals.push(record.refusal(header, message));
                return None;
            }
        },
    };
    if let Some((value, header)) = record.get("required") {
        if !matches!(value.to_lowercase().as_str(), "no" | "false" | "false()") {
            refusals.push(record.refusal(
                header,
                "required answers are not carried: a response is saved question by question \
                 and any question may be left out; set required to no or clear the cell",
            ));
        }
    }
    Some(Question {
        key: key?,
        kind,
        label,
        choices,
        min: range.min,
        max: range.max,
    })
}

/// The row's name as a question key: present, of lowercase letters, digits and `_`, and not
/// used by an earlier row.
fn key(
    record: &Record<'_>,
    names: &mut HashMap<String, u32>,
    refusals: &mut Vec<Refusal>,
) -> Option<String> {
    let Some((name, header)) = record.get("name") else {
        refusals.push(record.row_refusal(
            "this question has no name; give it one (lowercase letters, digits and _): it \
             becomes the answer's key",
        ));
        return None;
    };
    if !is_question_key(name) {
        refusals.push(record.refusal(
            header,
            format!(
                "the name {name:?} cannot be a question key: use lowercase letters, digits \
                 and _, starting with a letter"
            ),
        ));
        return None;
    }
    if let Some(first) = names.get(name) {
        refusals.push(record.refusal(
            header,
            format!("the name {name} is already used in row {}", first + 1),
        ));
        return None;
    }
    names.insert(name.to_string(), record.row);
    Some(name.to_string())
}
