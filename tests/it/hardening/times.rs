//! Times outside the accepted years: refused op by op or with 422, never a panic, and the
//! office pages keep answering.

use super::{registration_and_person, rejections, trainer};
use reqwest::StatusCode;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;

pub(super) async fn times_out_of_range_are_refused_op_by_op_and_the_phone_goes_on(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut phone = trainer(&server, &admin).await?;

    // A walk-in whose scan is dated in year 9999, then one dated i64::MIN.
    let mut ops = phone.walk_in(&event, "Lan")?;
    let year_9999 = 253_402_300_000_000;
    let (registration, person) = registration_and_person(&ops[1])?;
    ops.push(phone.scan(event.parse()?, registration, person, year_9999));
    ops.push(phone.scan(event.parse()?, registration, person, i64::MIN));
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(
        rejections(&ack),
        vec![(4, "scanned_at_ms".into()), (5, "scanned_at_ms".into())]
    );
    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"], json!(1), "{attendance}");
    assert_eq!(
        attendance["attendees"][0]["scans"],
        json!(1),
        "{attendance}"
    );
    assert!(attendance["attendees"][0]["first_scan_at"]
        .as_str()
        .is_some_and(|t| t.starts_with("2025-")));

    // The phone is not stuck: its next walk-in lands.
    let ops = phone.walk_in(&event, "Minh")?;
    let (status, ack) = phone.push(&ops).await?;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert!(rejections(&ack).is_empty(), "{ack}");
    assert_eq!(admin.attendance(&event).await?["count"], json!(2));

    // API bodies and queries: 422 with the field, never a panic.
    let before = admin.state_hash().await?;
    for starts_at in ["9999-12-31T23:59:59-23:59", "1900-01-01T00:00:00Z", "soon"] {
        let body =
            json!({"title": "x", "kind": "training", "starts_at": starts_at, "district": "Tân An"});
        let answer = admin.post("/api/v1/events", &body).await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.json
        );
        assert_eq!(answer.json["field"], json!("starts_at"));
    }
    for path in [
        "/api/v1/progress",
        "/api/v1/progress.csv",
        "/api/v1/progress.xlsx",
    ] {
        let answer = admin.get(&format!("{path}?as_of=9999-12-31")).await?;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(answer.json["field"], json!("as_of"));
    }
    assert_eq!(admin.state_hash().await?, before);

    // The office pages that broke on such times still answer, for every office user.
    use crate::web::{user_add, WebClient, PASSWORD};
    let (code, _, stderr) = user_add(&server.database.url, "lan", "office", PASSWORD).await?;
    assert_eq!(code, 0, "{stderr}");
    let mut office = WebClient::new(&server.url)?;
    office.login("lan", PASSWORD).await?;
    for page in [
        format!("/events/{event}"),
        "/events".to_string(),
        "/responses".to_string(),
        "/?as_of=2026-12-31".to_string(),
    ] {
        assert_eq!(office.get(&page).await?.status, StatusCode::OK, "{page}");
    }
    assert_eq!(
        office.get("/?as_of=9999-12-31").await?.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    Ok(())
}
