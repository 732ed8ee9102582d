//! Device registry stories: one-time enrolment, revocation, the enrolment QR code, and the
//! `sachhon-device` binary offline and online.

use crate::on_both_backends;
use reqwest::StatusCode;
use sachhon_shared::wire::EnrollRequest;
use sachhon_tests::process::device_cli;
use sachhon_tests::{Backend, TestServer};
use serde_json::json;

on_both_backends!(
    an_enrolment_token_works_once,
    a_revoked_device_is_refused_at_once,
    the_enrolment_qr_code_replaces_the_unused_token,
    the_device_binary_queues_offline_and_syncs_later,
);

async fn enroll_status(server: &TestServer, token: &str) -> anyhow::Result<StatusCode> {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/enroll", server.url))
        .json(&EnrollRequest {
            token: token.to_string(),
        })
        .send()
        .await?;
    Ok(response.status())
}

async fn an_enrolment_token_works_once(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let (_, token) = server.admin().device("trainer", None).await?;
    assert_eq!(enroll_status(&server, &token).await?, StatusCode::OK);
    assert_eq!(enroll_status(&server, &token).await?, StatusCode::CONFLICT);
    assert_eq!(
        enroll_status(&server, "no-such-token").await?,
        StatusCode::NOT_FOUND
    );
    Ok(())
}

async fn a_revoked_device_is_refused_at_once(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let (id, token) = admin.device("trainer", None).await?;
    let home = tempfile::tempdir()?;
    let device = sachhon_sync::Device::open(home.path()).await?;
    device.enroll(&server.url, &token).await?;
    device.walk_in(event.parse()?, "Lan", None, false).await?;

    let revoke = admin
        .raw(
            reqwest::Method::DELETE,
            &format!("/api/v1/devices/{id}"),
            None,
            vec![],
        )
        .await?;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    let refused = device.sync().await.expect_err("revoked");
    assert!(
        matches!(refused, sachhon_sync::Error::Server { status: 401, .. }),
        "{refused}"
    );
    assert_eq!(
        device.outbox_len().await?,
        3,
        "a refused sync keeps the outbox"
    );
    assert_eq!(admin.attendance(&event).await?["count"], json!(0));

    let unknown = admin
        .raw(
            reqwest::Method::DELETE,
            &format!("/api/v1/devices/{}", uuid::Uuid::now_v7()),
            None,
            vec![],
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.content_type, "application/problem+json");
    Ok(())
}

async fn the_enrolment_qr_code_replaces_the_unused_token(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let (id, first_token) = admin.device("office", None).await?;
    let svg = admin
        .get(&format!("/api/v1/devices/{id}/enroll.svg"))
        .await?;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.content_type, "image/svg+xml");
    assert!(String::from_utf8(svg.bytes)?.contains("<svg"));
    assert_eq!(
        enroll_status(&server, &first_token).await?,
        StatusCode::NOT_FOUND,
        "a new enrolment QR code retires the unused token"
    );
    Ok(())
}

async fn the_device_binary_queues_offline_and_syncs_later(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let (_, token) = admin.device("trainer", None).await?;
    let home = tempfile::tempdir()?;
    let home = home.path();

    let (code, enrolled) = device_cli(
        home,
        &["enroll", "--server", &server.url, "--token", &token],
    )
    .await?;
    assert_eq!(code, 0, "{enrolled}");
    assert_eq!(enrolled["role"], json!("trainer"));
    let (code, first) = device_cli(home, &["sync"]).await?;
    assert_eq!((code, first["pushed"].clone()), (0, json!(0)));

    let address = server.address().to_string();
    let database = server.stop().await;
    let (code, walk_in) = device_cli(
        home,
        &[
            "walk-in",
            "--event",
            &event,
            "--name",
            "Nguyễn Văn Tư",
            "--cp-staff",
        ],
    )
    .await?;
    assert_eq!(code, 0, "{walk_in}");
    for key in ["person_id", "registration_id", "scan_id"] {
        assert!(walk_in[key].is_string(), "{key} missing in {walk_in}");
    }
    let (code, simulated) =
        device_cli(home, &["simulate", "--event", &event, "--walk-ins", "4"]).await?;
    assert_eq!(code, 0, "{simulated}");
    let (code, offline) = device_cli(home, &["sync"]).await?;
    assert_eq!(code, 1, "without network sync exits 1: {offline}");
    let (_, status) = device_cli(home, &["status"]).await?;
    assert_eq!(status["outbox"], json!(15), "everything stays queued");
    let (code, _) = device_cli(home, &["walk-in", "--event", &event]).await?;
    assert_eq!(code, 2, "a missing --name is a usage error");

    let server = TestServer::start_at(database, &address).await?;
    let (code, synced) = device_cli(home, &["sync"]).await?;
    assert_eq!((code, synced["pushed"].clone()), (0, json!(15)), "{synced}");
    assert_eq!(server.admin().attendance(&event).await?["count"], json!(5));
    let (_, hash) = device_cli(home, &["state-hash"]).await?;
    assert_eq!(
        hash["state_hash"],
        json!(server.admin().state_hash().await?)
    );
    Ok(())
}
