//! A `type` cell of the survey sheet: the question kinds a questionnaire carries, under the
//! names and aliases pyxform takes (`select_one LIST`, `select one from LIST`, `int`, …), and
//! why every other type is refused.

use sachhon_shared::questionnaire::QuestionKind;

/// What a survey row is.
#[derive(Debug, PartialEq)]
pub(super) enum RowType {
    /// A choice question on a list of the choices sheet.
    Select {
        /// One choice or several.
        kind: QuestionKind,
        /// The list's name.
        list: String,
    },
    /// A question without choices, or a note.
    Plain(QuestionKind),
}

/// Plain types and their pyxform aliases.
const PLAIN: [(&str, QuestionKind); 14] = [
    ("integer", QuestionKind::Integer),
    ("int", QuestionKind::Integer),
    ("q int", QuestionKind::Integer),
    ("add integer prompt", QuestionKind::Integer),
    ("decimal", QuestionKind::Number),
    ("q decimal", QuestionKind::Number),
    ("add decimal prompt", QuestionKind::Number),
    ("text", QuestionKind::Text),
    ("string", QuestionKind::Text),
    ("q string", QuestionKind::Text),
    ("add text prompt", QuestionKind::Text),
    ("note", QuestionKind::Note),
    ("q note", QuestionKind::Note),
    ("add note prompt", QuestionKind::Note),
];

/// Select commands before a list name, longest first so that `select one from` is not read
/// as `select one` of a list called `from`.
const SELECT: [(&str, QuestionKind); 9] = [
    (
        "add select multiple prompt using",
        QuestionKind::MultiChoice,
    ),
    ("add select one prompt using", QuestionKind::SingleChoice),
    ("select all that apply from", QuestionKind::MultiChoice),
    ("select all that apply", QuestionKind::MultiChoice),
    ("select one from", QuestionKind::SingleChoice),
    ("select_multiple", QuestionKind::MultiChoice),
    ("select_one", QuestionKind::SingleChoice),
    ("select one", QuestionKind::SingleChoice),
    ("select1", QuestionKind::SingleChoice),
];

/// Selects whose choices come from elsewhere than the choices sheet.
const SELECT_ELSEWHERE: [&str; 7] = [
    "select_one_from_file",
    "select_multiple_from_file",
    "select one from file",
    "select multiple from file",
    "select_one_external",
    "select one external",
    "rank",
];

/// Types that record something about the phone or the response, not an answer.
const METADATA: [&str; 13] = [
    "start",
    "end",
    "today",
    "deviceid",
    "phonenumber",
    "username",
    "email",
    "audit",
    "simserial",
    "subscriberid",
    "start-geopoint",
    "background-audio",
    "background-geopoint",
];

const SUPPORTED: &str = "a questionnaire has select_one, select_multiple, integer, decimal, \
text and note questions";

/// Reads a type cell; the error says why the row cannot be carried.
pub(super) fn parse(cell: &str) -> Result<RowType, String> {
    let text = cell.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = text.to_lowercase();
    if let Some((_, kind)) = PLAIN.iter().find(|(name, _)| *name == lower) {
        return Ok(RowType::Plain(*kind));
    }
    let first = lower.split(' ').next().unwrap_or_default();
    if let Some(elsewhere) = SELECT_ELSEWHERE
        .iter()
        .find(|name| lower == **name || lower.starts_with(&format!("{name} ")))
    {
        return Err(format!(
            "{elsewhere} is not carried: put the choices in the choices sheet and use \
             select_one or select_multiple"
        ));
    }
    for (command, kind) in SELECT {
        if lower == command {
            return Err(format!(
                "{command} needs the name of a list of the choices sheet after it"
            ));
        }
        // The list's name as written: names are case-sensitive.
        let Some(rest) = text
            .get(..command.len())
            .filter(|head| head.eq_ignore_ascii_case(command))
            .and_then(|_| text[command.len()..].strip_prefix(' '))
        else {
            continue;
        };
        return match rest.split(' ').collect::<Vec<_>>().as_slice() {
            [list] => Ok(RowType::Select {
                kind,
                list: list.to_string(),
            }),
            [_, other @ ..] if is_or_other(other) => Err(
                "or_other is not carried: add an `other` choice to the list, and a text \
                 question for what it is"
                    .to_string(),
            ),
            _ => Err(format!(
                "{text:?} is not a select type; write {command} and one list name"
            )),
        };
    }
    if ["begin", "end"].iter().any(|word| {
        lower.starts_with(&format!("{word} ")) || lower.starts_with(&format!("{word}_"))
    }) {
        return Err(
            "groups and repeats are not carried: a questionnaire is one list of \
                    questions; delete the begin and end rows and keep the questions between \
                    them"
                .to_string(),
        );
    }
    if METADATA.contains(&first) {
        return Err(format!(
            "metadata ({first}) is not carried: sachhon records when a response was started \
             and by which phone itself; delete this row"
        ));
    }
    Err(format!("the type {text:?} is not carried: {SUPPORTED}"))
}

fn is_or_other(words: &[&str]) -> bool {
    matches!(
        words,
        ["or_other"] | ["or", "other"] | ["or", "specify", "other"]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(kind: QuestionKind, list: &str) -> Result<RowType, String> {
        Ok(RowType::Select {
            kind,
            list: list.to_string(),
        })
    }

    #[test]
    fn types_and_aliases_are_read() {
        use QuestionKind::*;
        assert_eq!(parse("select_one yes_no"), select(SingleChoice, "yes_no"));
        assert_eq!(
            parse("select one from  Yes_No"),
            select(SingleChoice, "Yes_No")
        );
        assert_eq!(
            parse("select_multiple topics"),
            select(MultiChoice, "topics")
        );
        assert_eq!(
            parse("select all that apply topics"),
            select(MultiChoice, "topics")
        );
        assert_eq!(parse("Integer"), Ok(RowType::Plain(Integer)));
        assert_eq!(parse("int"), Ok(RowType::Plain(Integer)));
        assert_eq!(parse("decimal"), Ok(RowType::Plain(Number)));
        assert_eq!(parse("string"), Ok(RowType::Plain(Text)));
        assert_eq!(parse("note"), Ok(RowType::Plain(Note)));
    }

    #[test]
    fn other_types_are_refused_with_a_reason() {
        for (cell, reason) in [
            ("begin_group", "groups and repeats"),
            ("end repeat", "groups and repeats"),
            ("geopoint", "not carried"),
            ("calculate", "not carried"),
            ("start", "metadata"),
            ("select_one yes_no or_other", "or_other"),
            ("select_one_from_file places.csv", "choices sheet"),
            ("select_one", "needs the name of a list"),
            ("select_one a b", "one list name"),
        ] {
            let refused = parse(cell).expect_err(cell);
            assert!(refused.contains(reason), "{cell}: {refused}");
        }
    }
}
