//! Bad input: every refusal is problem+json with the right status (and the field at fault),
//! and changes nothing.

use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use sachhon_shared::wire::encode_push;
use sachhon_tests::admin::Answer;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};

on_both_backends!(
    bad_admin_input_is_refused_and_changes_nothing,
    bad_pushes_are_refused_and_change_nothing
);

/// A client that sends the device's token (for the raw oversized request).
fn admin_for(raw: &RawDevice, server: &TestServer) -> sachhon_tests::AdminClient {
    sachhon_tests::AdminClient::new(&server.url, &raw.token)
}

fn assert_problem(answer: &Answer, status: StatusCode, field: Option<&str>) {
    assert_eq!(answer.status, status, "{}", answer.json);
    assert_eq!(answer.content_type, "application/problem+json");
    for key in ["type", "title", "detail"] {
        assert!(
            answer.json[key].is_string(),
            "{key} missing in {}",
            answer.json
        );
    }
    assert_eq!(answer.json["status"], json!(status.as_u16()));
    if let Some(field) = field {
        assert_eq!(answer.json["field"], json!(field), "{}", answer.json);
    }
}

async fn bad_admin_input_is_refused_and_changes_nothing(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let facility = admin.facility("Công ty A", "0300000001", "Tân An").await?;
    let before = admin.state_hash().await?;
    let json_post = |body: &str| {
        let admin = admin.clone();
        let body = body.as_bytes().to_vec();
        async move {
            admin
                .raw(
                    Method::POST,
                    "/api/v1/facilities",
                    Some("application/json"),
                    body,
                )
                .await
        }
    };

    assert_problem(
        &json_post("{\"name\": ").await?,
        StatusCode::BAD_REQUEST,
        None,
    );
    let missing = r#"{"name": "B", "tax_code": "2", "district": "Tân An", "sector": "x"}"#;
    assert_problem(
        &json_post(missing).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("cp_potential"),
    );
    let wrong_type = r#"{"name": "B", "tax_code": "2", "district": "Tân An", "sector": "x", "cp_potential": "có"}"#;
    assert_problem(
        &json_post(wrong_type).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("cp_potential"),
    );
    let empty_name = r#"{"name": " ", "tax_code": "2", "district": "Tân An", "sector": "x", "cp_potential": true}"#;
    assert_problem(
        &json_post(empty_name).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("name"),
    );
    let duplicate = json!({"name": "A again", "tax_code": "0300000001", "district": "Tân An",
                           "sector": "x", "cp_potential": true});
    assert_problem(
        &admin.post("/api/v1/facilities", &duplicate).await?,
        StatusCode::CONFLICT,
        None,
    );
    let oversized = admin
        .oversized("/api/v1/facilities", "application/json", 2 * 1024 * 1024)
        .await?;
    assert_eq!(oversized, (413, "application/problem+json".to_string()));
    let bad_event = json!({"title": "T", "kind": "party", "starts_at": "2026-12-01T08:00:00Z", "district": "x"});
    assert_problem(
        &admin.post("/api/v1/events", &bad_event).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("kind"),
    );
    let bad_time =
        json!({"title": "T", "kind": "training", "starts_at": "tomorrow", "district": "x"});
    assert_problem(
        &admin.post("/api/v1/events", &bad_time).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("starts_at"),
    );
    let unknown_facility =
        json!({"name": "P", "facility_id": uuid::Uuid::now_v7(), "cp_staff": false});
    assert_problem(
        &admin.post("/api/v1/people", &unknown_facility).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("facility_id"),
    );
    let enterprise_without_facility = json!({"name": "phone", "role": "enterprise"});
    assert_problem(
        &admin
            .post("/api/v1/devices", &enterprise_without_facility)
            .await?,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("facility_id"),
    );

    let unknown = uuid::Uuid::now_v7();
    assert_problem(
        &admin.get(&format!("/api/v1/facilities/{unknown}")).await?,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_problem(
        &admin
            .get(&format!("/api/v1/events/{unknown}/attendance"))
            .await?,
        StatusCode::NOT_FOUND,
        None,
    );
    assert_problem(
        &admin.get("/api/v1/facilities/not-an-id").await?,
        StatusCode::NOT_FOUND,
        None,
    );
    let anonymous = reqwest::get(format!("{}/api/v1/facilities/{facility}", server.url)).await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(
        admin.state_hash().await?,
        before,
        "refused requests change nothing"
    );
    let kept: Value = admin
        .get(&format!("/api/v1/facilities/{facility}"))
        .await?
        .json;
    assert_eq!(kept["name"], json!("Công ty A"));
    Ok(())
}

async fn bad_pushes_are_refused_and_change_nothing(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut raw = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let before = admin.state_hash().await?;

    let (status, problem) = raw
        .push_bytes(b"not cbor".to_vec(), "application/cbor")
        .await?;
    assert_eq!(
        (status, problem["status"].clone()),
        (StatusCode::BAD_REQUEST, json!(400))
    );
    let ops = raw.walk_in(&event, "Lan")?;
    let (status, _) = raw
        .push_bytes(serde_json::to_vec(&json!({"ops": []}))?, "application/json")
        .await?;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let oversized = admin_for(&raw, &server)
        .oversized("/api/v1/sync/push", "application/cbor", 33 * 1024 * 1024)
        .await?;
    assert_eq!(oversized, (413, "application/problem+json".to_string()));

    // An op malformed in its shape (a field written twice by one op) refuses the push whole;
    // invalid values are refused op by op (tests/it/hardening.rs).
    let mut bad = ops.clone();
    if let sachhon_shared::Change::Fields(edit) = &mut bad[0].change {
        let cp_staff = edit
            .fields
            .iter()
            .find(|(name, _)| name == "cp_staff")
            .cloned();
        edit.fields.extend(cp_staff);
    }
    let (status, problem) = raw
        .push_bytes(encode_push(raw.actor, &bad), "application/cbor")
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], json!("cp_staff"));
    assert_eq!(
        admin.state_hash().await?,
        before,
        "refused pushes change nothing"
    );

    let (status, _) = raw.push(&ops).await?;
    assert_eq!(
        status,
        StatusCode::OK,
        "the same ops, well-formed, are accepted"
    );
    Ok(())
}
