//! Exports: the CSV and XLSX downloads hold the merged answers, conflicts shown as `a | b`,
//! with headers in the asked language.

use super::{answer, publish, start_response, trainer};
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

pub(super) async fn exports_hold_the_merged_answers(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let facility = admin
        .facility("Công ty Thép Cần Giuộc", "1100700700", "Cần Giuộc")
        .await?;
    let (mut a, mut b) = (trainer(&server).await?, trainer(&server).await?);
    let response = Uuid::now_v7();
    let start = start_response(
        &mut a,
        response,
        &questionnaire,
        &facility,
        vec![
            ("knows_cp", json!("yes")),
            ("topics", json!(["energy", "water"])),
        ],
    );
    assert_eq!(
        a.push(std::slice::from_ref(&start)).await?.0,
        StatusCode::OK
    );
    let base = b.pull_all().await?;
    b.absorb(&base);
    let a_note = answer(&mut a, response, "notes", json!("Tiết kiệm điện"));
    let b_note = answer(&mut b, response, "notes", json!("Tiết kiệm nước"));
    assert_eq!(a.push(&[a_note]).await?.0, StatusCode::OK);
    assert_eq!(b.push(&[b_note]).await?.0, StatusCode::OK);

    let csv = admin
        .get(&format!(
            "/api/v1/questionnaires/{questionnaire}/responses.csv"
        ))
        .await?;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV starts with a UTF-8 BOM for Excel"
    );
    let mut reader = csv::Reader::from_reader(&csv.bytes[3..]);
    let headers = reader.headers()?.clone();
    assert!(
        headers.iter().any(|h| h == "Biết về SXSH?"),
        "Vietnamese headers by default: {headers:?}"
    );
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 1);
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .context(name.to_string())
    };
    assert_eq!(&rows[0][column("cơ sở")?], "Công ty Thép Cần Giuộc");
    assert_eq!(&rows[0][column("Chủ đề")?], "energy, water");
    assert_eq!(
        &rows[0][column("Ghi chú")?],
        "Tiết kiệm nước | Tiết kiệm điện",
        "a conflict shows as a | b"
    );

    let xlsx = admin
        .get(&format!(
            "/api/v1/questionnaires/{questionnaire}/responses.xlsx?lang=en"
        ))
        .await?;
    assert_eq!(xlsx.status, StatusCode::OK);
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes))?;
    let sheet = workbook.worksheet_range("Responses")?;
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let notes = cells[0]
        .iter()
        .position(|h| h == "Notes")
        .context("Notes column")?;
    assert_eq!(cells[1][notes], "Tiết kiệm nước | Tiết kiệm điện");
    let knows = cells[0]
        .iter()
        .position(|h| h == "Knows CP?")
        .context("Knows CP? column")?;
    assert_eq!(cells[1][knows], "yes");
    Ok(())
}
