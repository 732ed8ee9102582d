//! A server killed with SIGKILL in the middle of a large push loses nothing it acknowledged,
//! and the resend after restart doubles nothing.

use crate::on_both_backends;
use anyhow::Context;
use sachhon_tests::process::ServerProcess;
use sachhon_tests::{AdminClient, Backend, ADMIN_TOKEN};
use std::time::Duration;

on_both_backends!(a_server_killed_mid_push_loses_and_doubles_nothing);

const WALK_INS: u64 = 20_000;

async fn count(admin: &AdminClient, event: &str) -> anyhow::Result<u64> {
    admin.attendance(event).await?["count"]
        .as_u64()
        .context("count")
}

async fn a_server_killed_mid_push_loses_and_doubles_nothing(
    backend: Backend,
) -> anyhow::Result<()> {
    let database = backend.fresh_database().await?;
    let server = ServerProcess::start(&database.url).await?;
    let admin = AdminClient::new(&server.url, ADMIN_TOKEN);
    let event = admin.event("Hội thảo lớn", "awareness").await?;
    let (_, token) = admin.device("trainer", None).await?;
    let home = tempfile::tempdir()?;
    let device = sachhon_sync::Device::open(home.path()).await?;
    device.enroll(&server.url, &token).await?;
    device.simulate(event.parse()?, WALK_INS as usize).await?;
    assert_eq!(device.outbox_len().await?, 3 * WALK_INS);

    let syncing = tokio::spawn({
        let device = device.clone();
        async move { device.sync().await }
    });
    let mut acknowledged_before_kill = 0;
    while acknowledged_before_kill == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        acknowledged_before_kill = count(&admin, &event).await?;
    }
    let address = server.address().to_string();
    server.kill().await?;
    let interrupted = syncing.await?.expect_err("the server died mid-push");
    assert!(interrupted.is_offline(), "{interrupted}");
    let queued = device.outbox_len().await?;
    assert!(queued > 0, "the kill must land in the middle of the push");

    let server = ServerProcess::start_at(&database.url, &address).await?;
    let durable = count(&admin, &event).await?;
    assert!(
        durable >= acknowledged_before_kill,
        "acknowledged check-ins survive the crash"
    );
    assert!(durable < WALK_INS, "the kill landed in the middle");

    device.sync().await?;
    assert_eq!(device.outbox_len().await?, 0);
    let attendance = admin.attendance(&event).await?;
    assert_eq!(attendance["count"].as_u64(), Some(WALK_INS), "none lost");
    let attendees = attendance["attendees"].as_array().context("attendees")?;
    assert!(attendees.iter().all(|a| a["scans"] == 1), "none doubled");
    assert_eq!(device.state_hash().await?, admin.state_hash().await?);
    server.kill().await?;
    Ok(())
}
