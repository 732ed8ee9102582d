//! Bad input of every shape: texts against the one rule, formula cells, problem+json for
//! every error, trailing bytes, and pull pages bounded in bytes.

use super::{rejections, trainer};
use crate::questionnaires::start_response;
use reqwest::{Method, StatusCode};
use sachhon_shared::Op;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

pub(super) async fn texts_follow_one_rule(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let before = admin.state_hash().await?;
    for (name, why) in [
        ("Lan\u{0}", "NUL"),
        ("Lan\u{202E}gnp.exe", "right-to-left override"),
        (&"x".repeat(501) as &str, "too long"),
    ] {
        let answer = admin
            .post("/api/v1/people", &json!({"name": name, "cp_staff": false}))
            .await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {}",
            answer.json
        );
        assert_eq!(answer.json["field"], json!("name"), "{why}");
    }
    let huge = admin
        .oversized("/api/v1/people", "application/json", 2 * 1024 * 1024)
        .await?;
    assert_eq!(huge, (413, "application/problem+json".to_string()));
    let answer = admin
        .post(
            "/api/v1/devices",
            &json!({"name": "Phone\u{0}", "role": "trainer"}),
        )
        .await?;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.json
    );
    assert_eq!(answer.json["field"], json!("name"));
    assert_eq!(admin.state_hash().await?, before);

    // A phone's walk-in named with a NUL: the person is refused, and with it the
    // registration and the scan that need them; the next walk-in lands (no stuck queue).
    let mut phone = trainer(&server, &admin).await?;
    let ops = phone.walk_in(&event, "Lan\u{0}")?;
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![
            (1, "name".into()),
            (2, "person_id".into()),
            (3, "registration".into())
        ]
    );
    let ops = phone.walk_in(&event, "Lan")?;
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    assert_eq!(admin.attendance(&event).await?["count"], json!(1));
    Ok(())
}

pub(super) async fn spreadsheet_cells_never_start_a_formula(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    // A district is data an administrator types, so it can look like a formula too.
    let district = json!({"name": "=SUM(A1:A9)", "kind": "district"});
    let added = admin.post("/api/v1/districts", &district).await?;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.json);
    admin
        .facility("=HYPERLINK(\"http://x\")", "0300000009", "=SUM(A1:A9)")
        .await?;
    let csv = admin.get("/api/v1/progress.csv?as_of=2026-12-31").await?;
    assert_eq!(csv.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.bytes.as_slice());
    let mut seen = false;
    for record in reader.records() {
        for cell in record?.iter() {
            assert!(!cell.starts_with(['=', '+', '@']), "{cell:?}");
            seen |= cell == "'=SUM(A1:A9)";
        }
    }
    assert!(
        seen,
        "the district is in the table, neutralised: {}",
        String::from_utf8_lossy(&csv.bytes)
    );
    Ok(())
}

pub(super) async fn every_error_is_problem_json(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    for (method, path, status) in [
        (Method::PUT, "/api/v1/plan/tasks/-1", StatusCode::NOT_FOUND),
        (
            Method::DELETE,
            "/api/v1/facilities",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (Method::GET, "/api/v1/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let answer = admin
            .raw(
                method.clone(),
                path,
                Some("application/json"),
                b"{}".to_vec(),
            )
            .await?;
        assert_eq!(answer.status, status, "{method} {path}");
        assert_eq!(
            answer.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert_eq!(answer.json["status"], json!(status.as_u16()));
    }

    // A valid batch followed by garbage is refused whole.
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut phone = trainer(&server, &admin).await?;
    let before = admin.state_hash().await?;
    let mut body = sachhon_shared::wire::encode_push(phone.actor, &phone.walk_in(&event, "Lan")?);
    body.extend_from_slice(b"garbage");
    let (status, answer) = phone
        .push_bytes(body, sachhon_shared::wire::CBOR_MEDIA_TYPE)
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(admin.state_hash().await?, before);
    Ok(())
}

pub(super) async fn a_pull_page_is_bounded_in_bytes(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let facility = admin.facility("Công ty A", "0300000001", "Bến Lức").await?;
    let questionnaire = crate::questionnaires::publish(&admin).await?;
    let mut writer = trainer(&server, &admin).await?;
    // 300 responses with a long note each: about 2.7 MB of changes.
    let ops: Vec<Op> = (0..300)
        .map(|_| {
            let note = json!("ghi chú ".repeat(1_000));
            start_response(
                &mut writer,
                Uuid::now_v7(),
                &questionnaire,
                &facility,
                vec![("notes", note)],
            )
        })
        .collect();
    let (status, ack) = writer.push(&ops).await?;
    assert_eq!(
        (status, rejections(&ack)),
        (StatusCode::OK, vec![]),
        "{ack}"
    );
    let reader = trainer(&server, &admin).await?;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/sync/pull?limit=5000", server.url))
        .bearer_auth(&reader.token)
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await?;
    let page = sachhon_shared::wire::decode_page(&body)?;
    assert!(page.more, "the page ends early");
    assert!(
        !page.ops.is_empty() && page.ops.len() < 300,
        "{} ops",
        page.ops.len()
    );
    assert!(body.len() < 3 * 1024 * 1024, "{} bytes", body.len());
    // The facility, the questionnaire and the 300 responses.
    assert_eq!(
        reader.pull_all().await?.len(),
        2 + 300,
        "every op arrives, page by page"
    );
    Ok(())
}
