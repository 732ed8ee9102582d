//! Sync stories: offline phones converging with the server, replays, gaps, authority.

use crate::on_both_backends;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_shared::{EventId, RecordKind};
use sachhon_sync::Device;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{Backend, TestServer};
use serde_json::{json, Value};
use tempfile::TempDir;

on_both_backends!(
    offline_phones_converge_with_the_server,
    replays_change_nothing_and_gaps_are_refused,
    ops_of_another_actor_are_refused_whole,
    an_enterprise_device_sees_and_writes_only_its_facility,
);

/// An enrolled phone with its home directory.
pub struct Phone {
    pub device: Device,
    _home: TempDir,
}

/// Registers and enrols a phone of `role` with the server.
pub async fn phone(
    server: &TestServer,
    role: &str,
    facility: Option<&str>,
) -> anyhow::Result<Phone> {
    let (_, token) = server.admin().device(role, facility).await?;
    let home = tempfile::tempdir()?;
    let device = Device::open(home.path()).await?;
    device.enroll(&server.url, &token).await?;
    Ok(Phone {
        device,
        _home: home,
    })
}

fn count(attendance: &Value) -> u64 {
    attendance["count"].as_u64().unwrap_or(u64::MAX)
}

async fn offline_phones_converge_with_the_server(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin
        .event("Hội thảo sản xuất sạch hơn", "awareness")
        .await?;
    let other_event = admin.event("Tập huấn", "training").await?;
    let event_id: EventId = event.parse()?;
    let (a, b) = (
        phone(&server, "trainer", None).await?,
        phone(&server, "trainer", None).await?,
    );
    a.device.sync().await?;
    b.device.sync().await?;

    // The network goes away: the server stops; both phones work offline.
    let address = server.address().to_string();
    let database = server.stop().await;
    for i in 0..5 {
        a.device
            .walk_in(event_id, &format!("Người A{i}"), None, i % 2 == 0)
            .await?;
    }
    for i in 0..7 {
        b.device
            .walk_in(event_id, &format!("Người B{i}"), None, false)
            .await?;
    }
    let failed = a.device.sync().await.expect_err("no server to reach");
    assert!(failed.is_offline(), "{failed}");
    assert_eq!(a.device.outbox_len().await?, 15, "everything stays queued");
    assert_eq!(a.device.local_attendance(event_id).await?, 5);

    // The server comes back where the phones know it; they sync in several orders.
    let server = TestServer::start_at(database, &address).await?;
    let admin = server.admin();
    let report_b = b.device.sync().await?;
    assert_eq!(report_b.pushed, 21);
    let report_a = a.device.sync().await?;
    assert_eq!((report_a.pushed, report_a.pulled), (15, 21));
    let again = b.device.sync().await?;
    assert_eq!((again.pushed, again.pulled), (0, 15));
    let idle = a.device.sync().await?;
    assert_eq!((idle.pushed, idle.pulled), (0, 0));

    let attendance = admin.attendance(&event).await?;
    assert_eq!(count(&attendance), 12, "{attendance}");
    let scans: Vec<u64> = attendance["attendees"]
        .as_array()
        .context("attendees")?
        .iter()
        .map(|a| a["scans"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(scans, vec![1; 12]);
    assert_eq!(count(&admin.attendance(&other_event).await?), 0);
    assert_eq!(a.device.local_attendance(event_id).await?, 12);
    assert_eq!(b.device.local_attendance(event_id).await?, 12);

    let hash = admin.state_hash().await?;
    assert_eq!(a.device.state_hash().await?, hash);
    assert_eq!(b.device.state_hash().await?, hash);
    Ok(())
}

async fn replays_change_nothing_and_gaps_are_refused(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let (_, token) = admin.device("trainer", None).await?;
    let mut raw = RawDevice::enroll(&server.url, &token).await?;
    let mut ops = raw.walk_in(&event, "Lan")?;
    ops.extend(raw.walk_in(&event, "Minh")?);

    let (status, ack) = raw.push(&ops[..3]).await?;
    assert_eq!(
        (status, ack.clone()),
        (StatusCode::OK, json!({"acked_through": 3, "applied": 3}))
    );
    let (_, ack) = raw.push(&ops).await?;
    assert_eq!(ack, json!({"acked_through": 6, "applied": 3}));
    let hash = admin.state_hash().await?;
    let (status, ack) = raw.push(&ops).await?;
    assert_eq!(
        (status, ack),
        (StatusCode::OK, json!({"acked_through": 6, "applied": 0}))
    );
    assert_eq!(admin.state_hash().await?, hash, "a replay changes nothing");

    let third = raw.walk_in(&event, "Hoa")?;
    let (status, problem) = raw.push(&third[1..]).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["expected_seq"], json!(7));
    assert_eq!(problem["status"], json!(409));
    assert_eq!(
        admin.state_hash().await?,
        hash,
        "a refused gap changes nothing"
    );

    let (status, ack) = raw.push(&third).await?;
    assert_eq!(
        (status, ack),
        (StatusCode::OK, json!({"acked_through": 9, "applied": 3}))
    );
    assert_eq!(count(&admin.attendance(&event).await?), 3);
    Ok(())
}

async fn ops_of_another_actor_are_refused_whole(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut x = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let mut y = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let hash = admin.state_hash().await?;

    // A v2 batch names its author once, first in its actor table: y's ops sent with x's
    // token.
    let forged = y.walk_in(&event, "Mạo danh")?;
    let (status, problem) = x.push(&forged).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["status"], json!(403));
    assert_eq!(
        admin.state_hash().await?,
        hash,
        "nothing of a refused push is stored"
    );
    assert_eq!(count(&admin.attendance(&event).await?), 0);

    let own = x.walk_in(&event, "Thật")?;
    let (status, ack) = x.push(&own).await?;
    assert_eq!(
        (status, ack),
        (StatusCode::OK, json!({"acked_through": 3, "applied": 3}))
    );
    Ok(())
}

async fn an_enterprise_device_sees_and_writes_only_its_facility(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let own = admin
        .facility("Công ty Mía đường", "1100100100", "Bến Lức")
        .await?;
    let other = admin
        .facility("Công ty Dệt", "1100200200", "Đức Hòa")
        .await?;
    let own_person = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Chị Lan", "facility_id": own, "cp_staff": true}),
        )
        .await?
        .json["id"]
        .clone();
    let other_person = admin
        .post(
            "/api/v1/people",
            &json!({"name": "Anh Minh", "facility_id": other, "cp_staff": true}),
        )
        .await?
        .json["id"]
        .clone();
    let mut trainer =
        RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let walk_in = trainer.walk_in(&event, "Khách vãng lai")?;
    assert_eq!(trainer.push(&walk_in).await?.0, StatusCode::OK);

    let mut enterprise = RawDevice::enroll(
        &server.url,
        &admin.device("enterprise", Some(&own)).await?.1,
    )
    .await?;
    let seen: Vec<String> = enterprise
        .pull_all()
        .await?
        .iter()
        .map(|op| op.record.to_string())
        .collect();
    for visible in [
        &event,
        &own,
        &own_person.as_str().unwrap_or_default().to_string(),
    ] {
        assert!(seen.contains(visible), "{visible} missing from {seen:?}");
    }
    for hidden in [
        &other,
        &other_person.as_str().unwrap_or_default().to_string(),
    ] {
        assert!(
            !seen.contains(hidden),
            "{hidden} leaked to another facility's device"
        );
    }
    assert!(
        walk_in
            .iter()
            .all(|op| !seen.contains(&op.record.to_string())),
        "staff-only walk-ins leaked to an enterprise device"
    );

    let hash = admin.state_hash().await?;
    let scan = enterprise.walk_in(&event, "Không được")?;
    assert_eq!(enterprise.push(&scan).await?.0, StatusCode::FORBIDDEN);
    let mut second = RawDevice::enroll(
        &server.url,
        &admin.device("enterprise", Some(&own)).await?.1,
    )
    .await?;
    let foreign_person = second.write(
        RecordKind::Person,
        uuid::Uuid::now_v7(),
        vec![
            ("name".into(), json!("Người khác")),
            ("facility_id".into(), json!(other)),
        ],
    );
    let (status, _) = second.push(std::slice::from_ref(&foreign_person)).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(admin.state_hash().await?, hash);
    Ok(())
}
