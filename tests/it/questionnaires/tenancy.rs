//! Tenancy: a response stays within its facility, neither pulled by nor writable from another
//! facility's phone.

use super::{answer, publish, start_response};
use reqwest::StatusCode;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;
use uuid::Uuid;

pub(super) async fn a_response_stays_within_its_facility(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let questionnaire = publish(&admin).await?;
    let own = admin.facility("Công ty A", "1100500500", "Tân An").await?;
    let other = admin
        .facility("Công ty B", "1100600600", "Cần Đước")
        .await?;
    let mut phone = RawDevice::enroll(
        &server.url,
        &admin.device("enterprise", Some(&own)).await?.1,
    )
    .await?;
    let mut stranger = RawDevice::enroll(
        &server.url,
        &admin.device("enterprise", Some(&other)).await?.1,
    )
    .await?;
    let response = Uuid::now_v7();
    let start = start_response(
        &mut phone,
        response,
        &questionnaire,
        &own,
        vec![("knows_cp", json!("no"))],
    );
    assert_eq!(
        phone.push(std::slice::from_ref(&start)).await?.0,
        StatusCode::OK
    );

    let seen: Vec<Uuid> = stranger
        .pull_all()
        .await?
        .iter()
        .map(|op| op.record)
        .collect();
    assert!(
        !seen.contains(&response),
        "another facility's phone never receives the response"
    );
    let hash = admin.state_hash().await?;
    let intrusion = answer(&mut stranger, response, "notes", json!("ghi đè"));
    assert_eq!(stranger.push(&[intrusion]).await?.0, StatusCode::FORBIDDEN);
    assert_eq!(
        admin.state_hash().await?,
        hash,
        "the refused write changed nothing"
    );
    let own_view: Vec<Uuid> = phone.pull_all().await?.iter().map(|op| op.record).collect();
    assert!(
        !own_view.contains(&response),
        "a device does not get its own ops back"
    );
    Ok(())
}
