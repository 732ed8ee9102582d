//! XLSForm import (`POST /api/v1/questionnaires/xlsform`): forms made with rust_xlsxwriter as
//! a form author lays them out, every supported type and alias carried exactly, the example
//! form of docs/examples read as the example JSON, new versions, and (in `refusals`) what
//! cannot be carried refused at its sheet, row and column with nothing published.

mod refusals;

use crate::on_both_backends;
use anyhow::Context;
use refusals::what_cannot_be_carried_is_refused_where_it_is;
use reqwest::{Method, StatusCode};
use sachhon_shared::questionnaire::{Definition, QuestionKind};
use sachhon_tests::admin::Answer;
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};
use std::path::PathBuf;

on_both_backends!(
    every_supported_type_is_carried,
    the_example_form_reads_as_the_example_json,
    what_cannot_be_carried_is_refused_where_it_is,
);

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook as a form author lays it out: named sheets of rows of cells, `""` an empty
/// cell; a cell that reads as a number is written as a number, as a spreadsheet stores it.
#[derive(Clone)]
pub(crate) struct Form {
    sheets: Vec<(String, Vec<Vec<String>>)>,
}

impl Form {
    /// A small form that imports: a select_one, an integer with a range, a text.
    pub fn small() -> Self {
        Self::new(&[
            (
                "survey",
                &[
                    &[
                        "type",
                        "name",
                        "label",
                        "label::English (en)",
                        "constraint",
                        "required",
                    ],
                    &[
                        "select_one yes_no",
                        "knows_cp",
                        "Biết SXSH?",
                        "Knows CP?",
                        "",
                        "no",
                    ],
                    &[
                        "integer",
                        "staff",
                        "Số lao động",
                        "Staff",
                        ". >= 1 and . <= 1000",
                        "",
                    ],
                    &["text", "notes", "Ghi chú", "Notes", "", ""],
                ],
            ),
            (
                "choices",
                &[
                    &["list_name", "name", "label", "label::English (en)", "score"],
                    &["yes_no", "yes", "Có", "Yes", "2"],
                    &["yes_no", "no", "Không", "No", "0"],
                ],
            ),
            (
                "settings",
                &[&["form_title", "pass_mark"], &["Nhận thức SXSH", "2"]],
            ),
        ])
    }

    /// A form of these sheets.
    pub fn new(sheets: &[(&str, &[&[&str]])]) -> Self {
        Self {
            sheets: sheets
                .iter()
                .map(|(name, rows)| {
                    let rows = rows
                        .iter()
                        .map(|row| row.iter().map(|c| c.to_string()).collect())
                        .collect();
                    (name.to_string(), rows)
                })
                .collect(),
        }
    }

    fn rows(&mut self, sheet: &str) -> &mut Vec<Vec<String>> {
        if !self.sheets.iter().any(|(name, _)| name == sheet) {
            self.sheets.push((sheet.to_string(), Vec::new()));
        }
        self.sheets
            .iter_mut()
            .find(|(name, _)| name == sheet)
            .map(|(_, rows)| rows)
            .expect("added above")
    }

    /// The form with `text` in `cell` (`E3`) of `sheet`.
    pub fn set(mut self, sheet: &str, cell: &str, text: &str) -> Self {
        let letters: String = cell.chars().take_while(char::is_ascii_uppercase).collect();
        let row: usize = cell[letters.len()..].parse().expect("a cell like E3");
        let column = letters
            .bytes()
            .fold(0, |n, b| n * 26 + usize::from(b - b'A') + 1);
        let rows = self.rows(sheet);
        if rows.len() < row {
            rows.resize(row, Vec::new());
        }
        let cells = &mut rows[row - 1];
        if cells.len() < column {
            cells.resize(column, String::new());
        }
        cells[column - 1] = text.to_string();
        self
    }

    /// The form with one more row at the end of `sheet`.
    pub fn row(mut self, sheet: &str, cells: &[&str]) -> Self {
        let row = cells.iter().map(|c| c.to_string()).collect();
        self.rows(sheet).push(row);
        self
    }

    /// The form without `sheet`.
    pub fn without(mut self, sheet: &str) -> Self {
        self.sheets.retain(|(name, _)| name != sheet);
        self
    }

    /// The `.xlsx` bytes.
    pub fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        for (name, rows) in &self.sheets {
            let sheet = workbook.add_worksheet();
            sheet.set_name(name)?;
            for (r, row) in rows.iter().enumerate() {
                for (c, text) in row.iter().enumerate() {
                    let (r, c) = (u32::try_from(r)?, u16::try_from(c)?);
                    match text.parse::<f64>() {
                        _ if text.is_empty() => continue,
                        Ok(number) => sheet.write_number(r, c, number)?,
                        Err(_) => sheet.write_string(r, c, text)?,
                    };
                }
            }
        }
        Ok(workbook.save_to_buffer()?)
    }
}

/// `POST /api/v1/questionnaires/xlsform{query}` with `body` as an `.xlsx`.
pub(crate) async fn import(
    admin: &AdminClient,
    body: Vec<u8>,
    query: &str,
) -> anyhow::Result<Answer> {
    admin
        .raw(
            Method::POST,
            &format!("/api/v1/questionnaires/xlsform{query}"),
            Some(XLSX),
            body,
        )
        .await
}

/// The newest definition of a questionnaire, read back over HTTP.
async fn definition(admin: &AdminClient, id: &str) -> anyhow::Result<(Value, Definition)> {
    let answer = admin.get(&format!("/api/v1/questionnaires/{id}")).await?;
    anyhow::ensure!(answer.status == StatusCode::OK, "{}", answer.json);
    let definition = serde_json::from_value(answer.json["definition"].clone())?;
    Ok((answer.json["version"].clone(), definition))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples")
        .join(name)
}

async fn every_supported_type_is_carried(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    // pyxform's aliases and header spellings; the plain `Label` is in the default language.
    let form = Form::new(&[
        (
            "survey",
            &[
                &[
                    "Type",
                    "name",
                    "label::Vietnamese (vi)",
                    "Label",
                    "constraint",
                    "Required",
                ],
                &["note", "welcome", "Chào anh/chị", "Welcome", "", ""],
                &[
                    "select one from yes_no",
                    "knows_cp",
                    "Biết SXSH?",
                    "Knows CP?",
                    "",
                    "no",
                ],
                &[
                    "select_multiple topics",
                    "topics",
                    "Chủ đề",
                    "Topics",
                    "",
                    "FALSE",
                ],
                &["int", "staff", "Số lao động", "Staff", ". >= 1", ""],
                &[
                    "decimal",
                    "savings_pct",
                    "Tiết kiệm (%)",
                    "Savings (%)",
                    "(0 <= .) and (. <= 100)",
                    "",
                ],
                &["string", "notes", "Ghi chú", "", "", ""],
            ],
        ),
        (
            "Choices",
            &[
                &[
                    "List Name",
                    "name",
                    "label::Vietnamese (vi)",
                    "label",
                    "score",
                ],
                &["yes_no", "yes", "Có", "Yes", "2"],
                &["yes_no", "no", "Không", "No", ""],
                &["topics", "energy", "Năng lượng", "Energy", "1.5"],
                &["topics", "water", "Nước", "", "1"],
            ],
        ),
        (
            "settings",
            &[
                &[
                    "form_title",
                    "form_id",
                    "version",
                    "default_language",
                    "pass_mark",
                ],
                &["CP awareness", "cp", "3", "English (en)", "2.5"],
            ],
        ),
    ]);
    let created = import(&admin, form.xlsx()?, "").await?;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["version"], json!(1));
    let id = created.json["id"].as_str().context("id")?.to_string();
    let expected: Definition = serde_json::from_value(json!({
        "title": {"en": "CP awareness"}, "pass_mark": 2.5,
        "questions": [
            {"key": "welcome", "kind": "note", "label": {"vi": "Chào anh/chị", "en": "Welcome"}},
            {"key": "knows_cp", "kind": "single_choice", "label": {"vi": "Biết SXSH?", "en": "Knows CP?"},
             "choices": [{"key": "yes", "score": 2, "label": {"vi": "Có", "en": "Yes"}},
                         {"key": "no", "score": 0, "label": {"vi": "Không", "en": "No"}}]},
            {"key": "topics", "kind": "multi_choice", "label": {"vi": "Chủ đề", "en": "Topics"},
             "choices": [{"key": "energy", "score": 1.5, "label": {"vi": "Năng lượng", "en": "Energy"}},
                         {"key": "water", "score": 1, "label": {"vi": "Nước"}}]},
            {"key": "staff", "kind": "integer", "label": {"vi": "Số lao động", "en": "Staff"}, "min": 1},
            {"key": "savings_pct", "kind": "number", "label": {"vi": "Tiết kiệm (%)", "en": "Savings (%)"},
             "min": 0, "max": 100},
            {"key": "notes", "kind": "text", "label": {"vi": "Ghi chú"}}]}))?;
    assert_eq!(definition(&admin, &id).await?, (json!(1), expected));

    // `?questionnaire=ID` publishes the next version of that questionnaire.
    let second = Form::small().set("settings", "B2", "1");
    let updated = import(&admin, second.xlsx()?, &format!("?questionnaire={id}")).await?;
    assert_eq!(
        (updated.status, updated.json.clone()),
        (StatusCode::OK, json!({"id": id, "version": 2}))
    );
    let (version, latest) = definition(&admin, &id).await?;
    assert_eq!((version, latest.pass_mark), (json!(2), 1.0));
    assert_eq!(latest.questions[1].kind, QuestionKind::Integer);

    let unknown = uuid::Uuid::new_v4();
    let refused = import(&admin, second.xlsx()?, &format!("?questionnaire={unknown}")).await?;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.json
    );
    assert_eq!(refused.json["field"], json!("questionnaire"));
    let malformed = import(&admin, second.xlsx()?, "?questionnaire=nope").await?;
    assert_eq!(
        malformed.status,
        StatusCode::BAD_REQUEST,
        "{}",
        malformed.json
    );
    assert_eq!(
        definition(&admin, &id).await?.0,
        json!(2),
        "nothing more published"
    );

    // The contract lets the office import, not a trainer's phone.
    for (role, status) in [
        ("office", StatusCode::CREATED),
        ("trainer", StatusCode::FORBIDDEN),
    ] {
        let (_, enrolment) = admin.device(role, None).await?;
        let enrolled = reqwest::Client::new()
            .post(format!("{}/api/v1/enroll", server.url))
            .json(&json!({ "token": enrolment }))
            .send()
            .await?
            .json::<Value>()
            .await?;
        let token = enrolled["access_token"].as_str().context("access_token")?;
        let caller = AdminClient::new(&server.url, token);
        let answer = import(&caller, Form::small().xlsx()?, "").await?;
        assert_eq!(answer.status, status, "{role}: {}", answer.json);
    }
    Ok(())
}

async fn the_example_form_reads_as_the_example_json(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let form = std::fs::read(example("cp-awareness.xlsx"))?;
    let created = import(&admin, form, "").await?;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().context("id")?;
    let (_, imported) = definition(&admin, id).await?;

    let text = std::fs::read_to_string(example("questionnaire.json"))?;
    let expected: Definition = serde_json::from_str(&text)?;
    assert_eq!(
        imported, expected,
        "cp-awareness.xlsx is questionnaire.json"
    );
    // A few of its values, spelled out.
    assert_eq!(imported.title.vi, "Nhận thức về sản xuất sạch hơn");
    assert_eq!(imported.pass_mark, 4.0);
    let knows = imported.question("knows_cp").context("knows_cp")?;
    let yes = &knows.choices[0];
    assert_eq!((yes.key.as_str(), yes.score), ("yes", 2.0));
    assert_eq!(
        yes.label.as_ref().map(|l| (l.vi.as_str(), l.en.as_str())),
        Some(("Có", "Yes"))
    );
    let staff = imported.question("staff_count").context("staff_count")?;
    assert_eq!(
        (staff.kind, staff.min, staff.max),
        (QuestionKind::Integer, Some(1.0), Some(50000.0))
    );
    let savings = imported.question("savings_pct").context("savings_pct")?;
    assert_eq!(
        (savings.kind, savings.min, savings.max),
        (QuestionKind::Number, Some(0.0), Some(100.0))
    );
    assert_eq!(imported.questions[0].kind, QuestionKind::Note);

    // The README publishes questionnaire.json itself through the JSON API.
    let json_body: Value = serde_json::from_str(&text)?;
    let published = admin.post("/api/v1/questionnaires", &json_body).await?;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.json);
    let (_, from_json) = definition(&admin, published.json["id"].as_str().context("id")?).await?;
    assert_eq!(from_json, expected);
    Ok(())
}
