//! The `choices` sheet: the lists select questions name, each choice with its name (the
//! stored answer), its label per language and its `score` (0 when blank).

use super::header::{Fields, Lang, Table};
use super::workbook::Workbook;
use super::Refusal;
use sachhon_shared::questionnaire::Choice;
use sachhon_shared::text;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The choices of each list, in order.
pub(super) type Lists = HashMap<String, Vec<Choice>>;

const FIELDS: Fields<'static> = Fields {
    aliases: &[("caption", "label"), ("value", "name")],
    read: &["list_name", "name", "label", "score"],
    translated: &["label"],
};

/// Reads the choice lists; a form without a choices sheet has none.
pub(super) fn read(workbook: &Workbook, language: Lang, refusals: &mut Vec<Refusal>) -> Lists {
    let mut lists = Lists::new();
    let Some(table) = workbook
        .sheet("choices")
        .and_then(|sheet| Table::new(sheet, &FIELDS))
    else {
        return lists;
    };
    table.check(&FIELDS, language, refusals);
    for needed in ["list_name", "name"] {
        if table.column(needed).is_none() && table.records().next().is_some() {
            refusals.push(
                table.header_row_refusal(format!("the choices sheet needs a {needed} column")),
            );
            return lists;
        }
    }
    let mut rows: HashMap<(String, String), u32> = HashMap::new();
    for record in table.records() {
        let label = record.label("label", language, refusals);
        let (list, name) = match (record.get("list_name"), record.get("name")) {
            (Some((list, _)), Some((name, header))) => (list, (name, header)),
            (None, _) => {
                refusals.push(
                    record.row_refusal("this choice has no list_name; name the list it belongs to"),
                );
                continue;
            }
            (Some(_), None) => {
                refusals.push(
                    record.row_refusal(
                        "this choice has no name; give it the name stored as the answer",
                    ),
                );
                continue;
            }
        };
        let (name, name_header) = name;
        if let Err(error) = text::check(name, text::SHORT) {
            refusals.push(record.refusal(name_header, error.to_string()));
            continue;
        }
        match rows.entry((list.to_string(), name.to_string())) {
            Entry::Occupied(first) => {
                refusals.push(record.refusal(
                    name_header,
                    format!(
                        "the list {list} already has a choice named {name:?} in row {}",
                        first.get() + 1
                    ),
                ));
                continue;
            }
            Entry::Vacant(slot) => {
                slot.insert(record.row);
            }
        }
        let score = match record.get("score") {
            None => 0.0,
            Some((value, header)) => match value.parse::<f64>() {
                Ok(score) if score.is_finite() => score,
                _ => {
                    refusals.push(
                        record.refusal(header, format!("a score is a number, not {value:?}")),
                    );
                    continue;
                }
            },
        };
        lists.entry(list.to_string()).or_default().push(Choice {
            key: name.to_string(),
            score,
            label,
        });
    }
    lists
}
