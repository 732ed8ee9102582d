//! What an XLSForm holds that a questionnaire cannot carry: refused with 422 problem+json
//! whose `errors` name the sheet, row, column and header of every place at fault (`field` the
//! first), and nothing published.

use super::{import, Form};
use reqwest::StatusCode;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};

/// One refusal: what is changed in the small form, the cell refused, words of its message.
struct Case {
    what: &'static str,
    form: Form,
    cell: &'static str,
    says: &'static str,
}

fn case(what: &'static str, form: Form, cell: &'static str, says: &'static str) -> Case {
    Case {
        what,
        form,
        cell,
        says,
    }
}

fn cases() -> Vec<Case> {
    let small = Form::small;
    let question = |cells: &[&str]| small().row("survey", cells);
    vec![
        case(
            "a group",
            question(&["begin_group", "g", "Nhóm"]),
            "survey!A5",
            "groups and repeats",
        ),
        case(
            "a repeat's end",
            question(&["end repeat"]),
            "survey!A5",
            "groups and repeats",
        ),
        case(
            "a geopoint",
            question(&["geopoint", "where", "Vị trí"]),
            "survey!A5",
            "not carried",
        ),
        case(
            "a calculate",
            question(&["calculate", "total", ""]),
            "survey!A5",
            "not carried",
        ),
        case(
            "metadata",
            question(&["start", "start"]),
            "survey!A5",
            "metadata",
        ),
        case(
            "or_other",
            question(&["select_one yes_no or_other", "other", "Khác"]),
            "survey!A5",
            "or_other",
        ),
        case(
            "a list that is not defined",
            question(&["select_one colours", "colour", "Màu"]),
            "survey!A5",
            "colours",
        ),
        case(
            "a duplicate name",
            question(&["text", "notes", "Lặp"]),
            "survey!B5",
            "already used in row 4",
        ),
        case(
            "a name that is no key",
            question(&["text", "Ghi Chu", "Ghi"]),
            "survey!B5",
            "lowercase",
        ),
        case(
            "a row without type",
            question(&["", "orphan", "Mồ côi"]),
            "survey!5:5",
            "no type",
        ),
        case(
            "a row without name",
            question(&["text", "", "Tên?"]),
            "survey!5:5",
            "no name",
        ),
        case(
            "a note without label",
            question(&["note", "intro"]),
            "survey!5:5",
            "a note needs a label",
        ),
        case(
            "skip logic",
            small()
                .set("survey", "G1", "relevant")
                .set("survey", "G3", "${knows_cp} = 'yes'"),
            "survey!G3",
            "skip logic",
        ),
        case(
            "a hint",
            small()
                .set("survey", "G1", "hint")
                .set("survey", "G3", "Cả thời vụ"),
            "survey!G3",
            "hints",
        ),
        case(
            "a value under no header",
            small().set("survey", "H3", "lạc"),
            "survey!H3",
            "no header",
        ),
        case(
            "a label in a third language",
            small()
                .set("survey", "G1", "label::French (fr)")
                .set("survey", "G2", "Connaît la PP?"),
            "survey!G1",
            "Vietnamese (vi) and English (en)",
        ),
        case(
            "a second column of the default language",
            small()
                .set("survey", "G1", "label::Vietnamese (vi)")
                .set("survey", "G2", "Biết?"),
            "survey!G1",
            "already in column C",
        ),
        case(
            "a constraint that is no range",
            small().set("survey", "E3", "regex(., '^[0-9]+$')"),
            "survey!E3",
            "only ranges",
        ),
        case(
            "a strict bound",
            small().set("survey", "E3", ". > 0"),
            "survey!E3",
            ">=",
        ),
        case(
            "an empty range",
            small().set("survey", "E3", ". >= 10 and . <= 1"),
            "survey!E3",
            "empty",
        ),
        case(
            "a constraint on text",
            small().set("survey", "E4", ". >= 1"),
            "survey!E4",
            "integer and decimal",
        ),
        case(
            "a required answer",
            small().set("survey", "F2", "yes"),
            "survey!F2",
            "required answers",
        ),
        case(
            "a duplicate choice",
            small().row("choices", &["yes_no", "yes", "Có nữa", "", "1"]),
            "choices!B4",
            "already has a choice",
        ),
        case(
            "a score that is no number",
            small().set("choices", "E3", "nhiều"),
            "choices!E3",
            "a number",
        ),
        case(
            "a choice without list",
            small().row("choices", &["", "maybe", "Có thể"]),
            "choices!4:4",
            "no list_name",
        ),
        case(
            "a language a questionnaire has not",
            small()
                .set("settings", "C1", "default_language")
                .set("settings", "C2", "French (fr)"),
            "settings!C2",
            "Vietnamese (vi) or English (en)",
        ),
        case(
            "no pass mark",
            small().set("settings", "B1", "").set("settings", "B2", ""),
            "settings!2:2",
            "pass mark",
        ),
        case(
            "no title",
            small().set("settings", "A2", ""),
            "settings!2:2",
            "title",
        ),
        case(
            "a pass mark that is no number",
            small().set("settings", "B2", "hai"),
            "settings!B2",
            "a number",
        ),
        case(
            "two rows of settings",
            small().row("settings", &["Khác", "3"]),
            "settings!3:3",
            "one row",
        ),
        case(
            "a settings column not carried",
            small()
                .set("settings", "C1", "style")
                .set("settings", "C2", "pages"),
            "settings!C2",
            "not carried",
        ),
        case(
            "an external choices sheet",
            small()
                .row("external_choices", &["list_name", "name"])
                .row("external_choices", &["a", "b"]),
            "external_choices",
            "not supported",
        ),
        case(
            "no settings sheet",
            small().without("settings"),
            "settings",
            "pass_mark",
        ),
        case(
            "no survey sheet",
            small().without("survey"),
            "survey",
            "no survey sheet",
        ),
        case(
            "no questions",
            Form::new(&[("survey", &[&["type", "name", "label"]])])
                .row("settings", &["form_title", "pass_mark"])
                .row("settings", &["T", "1"]),
            "survey",
            "no questions",
        ),
        case(
            "no name column",
            small().set("survey", "B1", "key"),
            "survey!1:1",
            "needs a name column",
        ),
    ]
}

/// The `errors` item of `answer` at `cell`.
fn error_at<'a>(answer: &'a Value, cell: &str) -> Option<&'a Value> {
    answer["errors"]
        .as_array()?
        .iter()
        .find(|e| e["cell"] == json!(cell))
}

pub(super) async fn what_cannot_be_carried_is_refused_where_it_is(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let before = admin.state_hash().await?;

    for Case {
        what,
        form,
        cell,
        says,
    } in cases()
    {
        let answer = import(&admin, form.xlsx()?, "").await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            answer.json
        );
        assert_eq!(answer.content_type, "application/problem+json", "{what}");
        let error = error_at(&answer.json, cell)
            .unwrap_or_else(|| panic!("{what}: no error at {cell}: {}", answer.json));
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(says),
            "{what}: {message:?} does not say {says:?}"
        );
        assert_eq!(
            answer.json["field"], answer.json["errors"][0]["cell"],
            "{what}"
        );
        let detail = answer.json["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(cell),
            "{what}: the detail names {cell}: {detail}"
        );
    }

    // Every place at fault is listed, in sheet, row and column order, each with its parts.
    let three = Form::small()
        .set("survey", "E3", "regex(., '[0-9]')")
        .set("survey", "A4", "geopoint")
        .set("choices", "E2", "nhiều");
    let answer = import(&admin, three.xlsx()?, "").await?;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cells: Vec<&Value> = answer.json["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| &e["cell"]).collect())
        .unwrap_or_default();
    assert_eq!(
        cells,
        [
            &json!("survey!E3"),
            &json!("survey!A4"),
            &json!("choices!E2")
        ]
    );
    let first = &answer.json["errors"][0];
    assert_eq!(
        (
            &first["sheet"],
            &first["row"],
            &first["column"],
            &first["header"]
        ),
        (
            &json!("survey"),
            &json!(3),
            &json!("E"),
            &json!("constraint")
        )
    );
    assert_eq!(answer.json["field"], json!("survey!E3"));
    assert!(
        answer.json["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("the XLSForm cannot be imported (3 problems)")),
        "{}",
        answer.json["detail"]
    );

    // A body that is no workbook at all.
    for body in [
        b"type,name,label\ninteger,staff,Staff\n".to_vec(),
        b"{\"title\": {}}".to_vec(),
        Vec::new(),
        b"PK\x03\x04 broken".to_vec(),
    ] {
        let answer = import(&admin, body, "").await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.json
        );
        assert_eq!(answer.json["errors"][0]["sheet"], Value::Null);
        assert!(
            answer.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not a readable .xlsx workbook")),
            "{}",
            answer.json["detail"]
        );
    }

    assert_eq!(admin.state_hash().await?, before, "nothing was published");
    Ok(())
}
