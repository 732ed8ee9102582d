//! Device scopes: a trainer device assigned events (by id or district) pulls only their
//! registrations, people, scans and annulments with the public records; an assignment added
//! later brings the event's history, one removed takes it away; with none, everything.

use crate::on_both_backends;
use crate::web::{user_add, WebClient, PASSWORD};
use anyhow::Context;
use reqwest::{Method, StatusCode};
use sachhon_shared::{EventId, RecordKind};
use sachhon_sync::Device;
use sachhon_tests::admin::Answer;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, Backend, TestServer};
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

on_both_backends!(
    trainers_see_only_their_assigned_events,
    an_assignment_added_brings_history_and_removed_takes_it_away,
    assignments_are_validated,
    the_office_assigns_events_on_the_devices_page,
);

/// An enrolled trainer phone with its device id.
struct Phone {
    id: String,
    device: Device,
    _home: TempDir,
}

async fn trainer(server: &TestServer) -> anyhow::Result<Phone> {
    let (id, token) = server.admin().device("trainer", None).await?;
    let home = tempfile::tempdir()?;
    let device = Device::open(home.path()).await?;
    device.enroll(&server.url, &token).await?;
    Ok(Phone {
        id,
        device,
        _home: home,
    })
}

async fn assign(
    admin: &AdminClient,
    device: &str,
    events: &[&str],
    districts: &[&str],
) -> anyhow::Result<Answer> {
    let body = json!({"events": events, "districts": districts});
    admin
        .raw(
            Method::PUT,
            &format!("/api/v1/devices/{device}/assignments"),
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
}

async fn assigned(admin: &AdminClient, device: &str, events: &[&str]) -> anyhow::Result<()> {
    let answer = assign(admin, device, events, &[]).await?;
    anyhow::ensure!(
        answer.status == StatusCode::OK,
        "assignments answered {}: {}",
        answer.status,
        answer.json
    );
    Ok(())
}

async fn event_in(admin: &AdminClient, title: &str, district: &str) -> anyhow::Result<String> {
    let answer = admin
        .post(
            "/api/v1/events",
            &json!({"title": title, "kind": "training",
                    "starts_at": "2026-12-01T08:00:00+07:00", "district": district}),
        )
        .await?;
    answer.json["id"]
        .as_str()
        .map(str::to_string)
        .context("event id")
}

async fn person(admin: &AdminClient, name: &str, facility: &str) -> anyhow::Result<String> {
    let answer = admin
        .post(
            "/api/v1/people",
            &json!({"name": name, "facility_id": facility, "cp_staff": false}),
        )
        .await?;
    answer.json["id"]
        .as_str()
        .map(str::to_string)
        .context("person id")
}

/// Registers a person; returns the ticket text.
async fn register(admin: &AdminClient, event: &str, person: &str) -> anyhow::Result<String> {
    let answer = admin
        .post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"person_id": person}),
        )
        .await?;
    answer.json["qr"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("registration answered {}", answer.status))
}

async fn holds(phone: &Phone, kind: RecordKind, id: &str) -> anyhow::Result<bool> {
    Ok(phone.device.record(kind, id.parse()?).await?.is_some())
}

async fn server_count(admin: &AdminClient, event: &str) -> anyhow::Result<u64> {
    Ok(admin.attendance(event).await?["count"]
        .as_u64()
        .unwrap_or(u64::MAX))
}

async fn trainers_see_only_their_assigned_events(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let a = event_in(&admin, "Tập huấn A", "Bến Lức").await?;
    let c = event_in(&admin, "Tập huấn C", "Bến Lức").await?;
    let b = event_in(&admin, "Tập huấn B", "Cần Giuộc").await?;
    let (a_id, b_id, c_id): (EventId, EventId, EventId) = (a.parse()?, b.parse()?, c.parse()?);
    let facility = admin
        .facility("Công ty Bến Lức", "1100000001", "Bến Lức")
        .await?;
    let (lan, minh, both) = (
        person(&admin, "Lan", &facility).await?,
        person(&admin, "Minh", &facility).await?,
        person(&admin, "Hoa", &facility).await?,
    );
    let lan_qr = register(&admin, &a, &lan).await?;
    let minh_qr = register(&admin, &b, &minh).await?;
    register(&admin, &a, &both).await?;
    register(&admin, &b, &both).await?;

    let (on_a, on_b, on_district, everywhere) = (
        trainer(&server).await?,
        trainer(&server).await?,
        trainer(&server).await?,
        trainer(&server).await?,
    );
    assigned(&admin, &on_a.id, &[&a]).await?;
    assigned(&admin, &on_b.id, &[&b]).await?;
    let by_district = assign(&admin, &on_district.id, &[], &["Bến Lức"]).await?;
    assert_eq!(by_district.status, StatusCode::OK, "{}", by_district.json);
    assert_eq!(by_district.json["districts"], json!(["Bến Lức"]));
    for phone in [&on_a, &on_b, &on_district, &everywhere] {
        phone.device.sync().await?;
    }

    // Each trainer checks in at its own event, offline, then everyone syncs twice.
    on_a.device.scan(a_id, &lan_qr, None).await?;
    let walk_in = on_a.device.walk_in(a_id, "Khách A", None, false).await?;
    on_b.device.scan(b_id, &minh_qr, None).await?;
    let walk_in_b = on_b.device.walk_in(b_id, "Khách B", None, false).await?;
    for _ in 0..2 {
        for phone in [&on_a, &on_b, &on_district, &everywhere] {
            phone.device.sync().await?;
        }
    }
    assert_eq!(server_count(&admin, &a).await?, 2);
    assert_eq!(server_count(&admin, &b).await?, 2);
    assert_eq!(server_count(&admin, &c).await?, 0);

    let walk_in_a = walk_in.person_id.to_string();
    let walk_in_b = walk_in_b.person_id.to_string();
    // Events are public: every trainer holds all three.
    for phone in [&on_a, &on_b, &on_district, &everywhere] {
        for event in [&a, &b, &c] {
            assert!(holds(phone, RecordKind::Event, event).await?);
        }
    }
    // The trainer of A: A's people and scans, not B's, no facility.
    assert!(holds(&on_a, RecordKind::Person, &lan).await?);
    assert!(holds(&on_a, RecordKind::Person, &both).await?);
    assert!(!holds(&on_a, RecordKind::Person, &minh).await?);
    assert!(!holds(&on_a, RecordKind::Person, &walk_in_b).await?);
    assert!(!holds(&on_a, RecordKind::Facility, &facility).await?);
    assert_eq!(on_a.device.local_attendance(a_id).await?, 2);
    assert_eq!(on_a.device.local_attendance(b_id).await?, 0);
    // The trainer of B, the other way round.
    assert!(holds(&on_b, RecordKind::Person, &minh).await?);
    assert!(holds(&on_b, RecordKind::Person, &both).await?);
    assert!(!holds(&on_b, RecordKind::Person, &lan).await?);
    assert!(!holds(&on_b, RecordKind::Person, &walk_in_a).await?);
    assert_eq!(on_b.device.local_attendance(b_id).await?, 2);
    assert_eq!(on_b.device.local_attendance(a_id).await?, 0);
    // The district's trainer got A's walk-in from the other phone, and nothing of B.
    assert!(holds(&on_district, RecordKind::Person, &walk_in_a).await?);
    assert!(holds(&on_district, RecordKind::Person, &lan).await?);
    assert!(!holds(&on_district, RecordKind::Person, &walk_in_b).await?);
    assert!(!holds(&on_district, RecordKind::Person, &minh).await?);
    assert_eq!(on_district.device.local_attendance(a_id).await?, 2);
    assert_eq!(on_district.device.local_attendance(b_id).await?, 0);
    assert_eq!(on_district.device.local_attendance(c_id).await?, 0);
    // A trainer with no assignment holds everything, as the server does.
    assert!(holds(&everywhere, RecordKind::Facility, &facility).await?);
    assert_eq!(everywhere.device.local_attendance(a_id).await?, 2);
    assert_eq!(everywhere.device.local_attendance(b_id).await?, 2);
    assert_eq!(
        everywhere.device.state_hash().await?,
        admin.state_hash().await?
    );
    Ok(())
}

async fn an_assignment_added_brings_history_and_removed_takes_it_away(
    backend: Backend,
) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let a = event_in(&admin, "Tập huấn A", "Bến Lức").await?;
    let b = event_in(&admin, "Tập huấn B", "Cần Giuộc").await?;
    let (a_id, b_id): (EventId, EventId) = (a.parse()?, b.parse()?);
    let facility = admin
        .facility("Công ty Cần Giuộc", "1100000002", "Cần Giuộc")
        .await?;
    let (lan, minh, both) = (
        person(&admin, "Lan", &facility).await?,
        person(&admin, "Minh", &facility).await?,
        person(&admin, "Hoa", &facility).await?,
    );
    register(&admin, &a, &lan).await?;
    let minh_qr = register(&admin, &b, &minh).await?;
    register(&admin, &a, &both).await?;
    register(&admin, &b, &both).await?;

    let (mover, on_b) = (trainer(&server).await?, trainer(&server).await?);
    assigned(&admin, &mover.id, &[&a]).await?;
    assigned(&admin, &on_b.id, &[&b]).await?;
    mover.device.sync().await?;
    on_b.device.sync().await?;

    // B's history: a ticket scanned, two walk-ins, one of whose scans the office annuls.
    on_b.device.scan(b_id, &minh_qr, None).await?;
    let kept = on_b.device.walk_in(b_id, "Khách 1", None, false).await?;
    let annulled = on_b.device.walk_in(b_id, "Khách 2", None, false).await?;
    on_b.device.sync().await?;
    let annul = admin
        .post(
            &format!("/api/v1/scans/{}/annul", annulled.scan_id),
            &json!({"reason": "nhầm"}),
        )
        .await?;
    assert_eq!(annul.status, StatusCode::CREATED, "{}", annul.json);
    assert_eq!(server_count(&admin, &b).await?, 2);
    assert_eq!(server_count(&admin, &a).await?, 0);
    let kept_person = kept.person_id.to_string();

    mover.device.sync().await?;
    assert!(!holds(&mover, RecordKind::Person, &minh).await?);
    assert!(!holds(&mover, RecordKind::Person, &kept_person).await?);
    assert!(holds(&mover, RecordKind::Person, &both).await?);
    assert_eq!(mover.device.local_attendance(b_id).await?, 0);

    // Added: B's whole history arrives, the annulment with it.
    assigned(&admin, &mover.id, &[&a, &b]).await?;
    mover.device.sync().await?;
    assert!(holds(&mover, RecordKind::Person, &minh).await?);
    assert!(holds(&mover, RecordKind::Person, &kept_person).await?);
    assert!(
        holds(
            &mover,
            RecordKind::Registration,
            &kept.registration_id.to_string()
        )
        .await?
    );
    assert_eq!(mover.device.local_attendance(b_id).await?, 2);
    assert!(!holds(&mover, RecordKind::Facility, &facility).await?);

    // A walk-in at A on the other trainer's phone reaches nobody but whoever has A.
    assigned(&admin, &on_b.id, &[&a, &b]).await?;
    on_b.device.sync().await?;
    let at_a = on_b.device.walk_in(a_id, "Khách A", None, false).await?;
    on_b.device.sync().await?;
    mover.device.sync().await?;
    assert!(holds(&mover, RecordKind::Person, &at_a.person_id.to_string()).await?);
    assert_eq!(mover.device.local_attendance(a_id).await?, 1);
    assert_eq!(server_count(&admin, &a).await?, 1);

    // Removed: B's records leave the phone; Hoa stays, registered for A too.
    assigned(&admin, &mover.id, &[&a]).await?;
    mover.device.sync().await?;
    assert!(!holds(&mover, RecordKind::Person, &minh).await?);
    assert!(!holds(&mover, RecordKind::Person, &kept_person).await?);
    assert!(
        !holds(
            &mover,
            RecordKind::Registration,
            &kept.registration_id.to_string()
        )
        .await?
    );
    assert!(holds(&mover, RecordKind::Person, &both).await?);
    assert!(holds(&mover, RecordKind::Person, &lan).await?);
    assert_eq!(mover.device.local_attendance(b_id).await?, 0);
    assert_eq!(mover.device.local_attendance(a_id).await?, 1);

    // No assignment: everything, exactly as the server holds it.
    assigned(&admin, &mover.id, &[]).await?;
    mover.device.sync().await?;
    assert_eq!(mover.device.state_hash().await?, admin.state_hash().await?);
    assert_eq!(mover.device.local_attendance(b_id).await?, 2);

    // Assigned again: everything else leaves, and the feed goes on within A.
    assigned(&admin, &mover.id, &[&a]).await?;
    mover.device.sync().await?;
    assert!(!holds(&mover, RecordKind::Facility, &facility).await?);
    assert!(!holds(&mover, RecordKind::Person, &minh).await?);
    assert!(holds(&mover, RecordKind::Person, &both).await?);
    assert_eq!(mover.device.local_attendance(b_id).await?, 0);
    let late = on_b.device.walk_in(a_id, "Khách muộn", None, false).await?;
    on_b.device
        .walk_in(b_id, "Khách B muộn", None, false)
        .await?;
    on_b.device.sync().await?;
    mover.device.sync().await?;
    assert!(holds(&mover, RecordKind::Person, &late.person_id.to_string()).await?);
    assert_eq!(mover.device.local_attendance(a_id).await?, 2);
    assert_eq!(mover.device.local_attendance(b_id).await?, 0);
    assert_eq!(server_count(&admin, &a).await?, 2);
    assert_eq!(server_count(&admin, &b).await?, 3);
    Ok(())
}

async fn assignments_are_validated(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let facility = admin.facility("Công ty", "1100000003", "Bến Lức").await?;
    let (trainer, _) = admin.device("trainer", None).await?;
    let (enterprise, _) = admin.device("enterprise", Some(&facility)).await?;

    let stored = assign(&admin, &trainer, &[&event], &["Bến Lức"]).await?;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.json);
    assert_eq!(
        stored.json,
        json!({"device_id": trainer, "events": [event], "districts": ["Bến Lức"]})
    );
    let problem = |answer: &Answer| -> Value { answer.json["field"].clone() };
    let unknown_event = assign(&admin, &trainer, &[&Uuid::now_v7().to_string()], &[]).await?;
    assert_eq!(unknown_event.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(&unknown_event), json!("events"));
    let not_trainer = assign(&admin, &enterprise, &[&event], &[]).await?;
    assert_eq!(not_trainer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(&not_trainer), json!("role"));
    let unknown_device = assign(&admin, &Uuid::now_v7().to_string(), &[&event], &[]).await?;
    assert_eq!(unknown_device.status, StatusCode::NOT_FOUND);
    // An empty list clears.
    let cleared = assign(&admin, &trainer, &[], &[]).await?;
    assert_eq!(
        cleared.json,
        json!({"device_id": trainer, "events": [], "districts": []})
    );
    // A view in the cursor is a trainer's: another device's crafted cursor gets no history.
    let elsewhere = admin
        .facility("Công ty khác", "1100000004", "Cần Giuộc")
        .await?;
    let stranger = person(&admin, "Người ngoài", &elsewhere).await?;
    let (_, token) = admin.device("enterprise", Some(&facility)).await?;
    let raw = RawDevice::enroll(&server.url, &token).await?;
    for crafted in ["1000000;", "1000000;;0;*"] {
        let (ops, _) = raw.pull_after(crafted).await?;
        assert!(
            ops.iter().all(|op| op.record.to_string() != stranger),
            "{crafted}"
        );
    }
    // A trainer's own token may not assign.
    let (_, token) = admin.device("trainer", None).await?;
    let home = tempfile::tempdir()?;
    let device = Device::open(home.path()).await?;
    let enrolment = device.enroll(&server.url, &token).await?;
    let phone = AdminClient::new(&server.url, &enrolment.access_token);
    let forbidden = assign(&phone, &trainer, &[&event], &[]).await?;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    Ok(())
}

async fn the_office_assigns_events_on_the_devices_page(backend: Backend) -> anyhow::Result<()> {
    let server = TestServer::start(backend).await?;
    let (code, answer, stderr) = user_add(&server.database.url, "hoa", "office", PASSWORD).await?;
    anyhow::ensure!(code == 0, "user add exited {code}: {answer} {stderr}");
    let admin = server.admin();
    let a = event_in(&admin, "Tập huấn A", "Bến Lức").await?;
    let b = event_in(&admin, "Tập huấn B", "Cần Giuộc").await?;
    let (device, _) = admin.device("trainer", None).await?;
    let mut web = WebClient::new(&server.url)?;
    web.login("hoa", PASSWORD).await?;

    let path = format!("/devices/{device}/assignments");
    let list = web.get("/devices").await?;
    assert!(list.body.contains(&path), "a trainer's assignments link");
    let form = web.get(&path).await?;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains(&format!("value=\"{a}\"")));
    assert!(form.body.contains(&format!("value=\"{b}\"")));
    let csrf = form.csrf()?;
    let refused = web.post(&path, &[("events", a.as_str())]).await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "no CSRF token");
    let saved = web
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("events", a.as_str()),
                ("districts", "Cần Giuộc"),
            ],
        )
        .await?;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let shown = web.get(&path).await?;
    assert!(shown.body.contains(&format!("value=\"{a}\" checked")));
    assert!(!shown.body.contains(&format!("value=\"{b}\" checked")));
    assert!(shown.body.contains("value=\"Cần Giuộc\" checked"));
    let unknown = web
        .post(
            &path,
            &[
                ("csrf", csrf.as_str()),
                ("events", &Uuid::now_v7().to_string()),
            ],
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    Ok(())
}
