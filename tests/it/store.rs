//! The storage conformance suite: every `Store` method in one realistic story, with the same
//! expected results on SQLite and on PostgreSQL.

use crate::on_both_backends;
use sachhon_server::store::{self, NewDevice, RecordEdit, Store, StoreError};
use sachhon_shared::authority::Role;
use sachhon_shared::op::{ScanFact, ScanStatus};
use sachhon_shared::replica::Replica;
use sachhon_shared::{ActorId, EventId, FacilityId, Op, PersonId, RecordKind, RegistrationId};
use sachhon_tests::Backend;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

on_both_backends!(the_store_keeps_its_contract);

fn facility_edit(id: Uuid, name: &str, tax_code: &str, cp_potential: bool) -> RecordEdit {
    RecordEdit {
        kind: RecordKind::Facility,
        id,
        fields: vec![
            ("name".into(), json!(name)),
            ("tax_code".into(), json!(tax_code)),
            ("district".into(), json!("Cần Giuộc")),
            ("sector".into(), json!("seafood")),
            ("cp_potential".into(), json!(cp_potential)),
        ],
    }
}

/// A phone's walk-in as three ops made in `replica` under `actor` from `seq`.
fn walk_in(replica: &mut Replica, actor: ActorId, seq: u64, event: EventId) -> Vec<Op> {
    let (person, registration) = (PersonId::new(), RegistrationId::new());
    let person_op = replica.write(
        actor,
        seq,
        RecordKind::Person,
        person.0,
        vec![
            ("name".into(), json!("Bà Năm")),
            ("cp_staff".into(), json!(true)),
        ],
    );
    let registration_op = replica.write(
        actor,
        seq + 1,
        RecordKind::Registration,
        registration.0,
        vec![
            ("event_id".into(), json!(event.to_string())),
            ("person_id".into(), json!(person.to_string())),
        ],
    );
    let fact = ScanFact {
        event,
        registration,
        person: Some(person),
        operator: None,
        scanned_at_ms: 1_764_400_000_000,
        status: ScanStatus::Ok,
        walk_in: true,
    };
    let scan_op = replica.scan(actor, seq + 2, Uuid::now_v7(), fact);
    vec![person_op, registration_op, scan_op]
}

async fn pull_everything(
    store: &dyn Store,
    viewer: &store::Author,
    after: &str,
) -> anyhow::Result<(Vec<Op>, String)> {
    let (mut ops, mut cursor) = (Vec::new(), after.to_string());
    loop {
        let page = store.pull(viewer, &cursor, 2).await?;
        assert!(page.ops.len() <= 2, "a page holds at most `limit` ops");
        ops.extend(page.ops);
        cursor = page.next;
        if !page.more {
            return Ok((ops, cursor));
        }
    }
}

async fn the_store_keeps_its_contract(backend: Backend) -> anyhow::Result<()> {
    let database = backend.fresh_database().await?;
    let store = store::connect(&database.url).await?;
    let store = &*store;

    // Admin tokens.
    assert!(!store.has_admin_token().await?);
    store.add_admin_token("hash-1").await?;
    assert!(store.has_admin_token().await?);
    assert!(store.is_admin_token("hash-1").await?);
    assert!(!store.is_admin_token("hash-2").await?);

    // The registry, written under the server's actor.
    let facility = FacilityId::new();
    store
        .write_as_server(&[facility_edit(facility.0, "Công ty Thủy sản", "0301", true)])
        .await?;
    assert!(
        store
            .record_exists(RecordKind::Facility, facility.0)
            .await?
    );
    assert!(!store.record_exists(RecordKind::Person, facility.0).await?);
    let record = store.facility(facility).await?.expect("stored");
    assert_eq!(record.name.as_deref(), Some("Công ty Thủy sản"));
    assert!(record.cp_potential);
    assert_eq!(store.facility_by_tax_code("0301").await?, Some(facility));
    assert_eq!(store.facility_by_tax_code("9999").await?, None);
    store
        .write_as_server(&[facility_edit(
            facility.0,
            "Công ty Thủy sản Cần Giuộc",
            "0301",
            false,
        )])
        .await?;
    let updated = store.facility(facility).await?.expect("stored");
    assert_eq!(updated.name.as_deref(), Some("Công ty Thủy sản Cần Giuộc"));
    assert!(!updated.cp_potential);
    assert!(store.facility(FacilityId::new()).await?.is_none());
    let event = EventId::new();
    store
        .write_as_server(&[RecordEdit {
            kind: RecordKind::Event,
            id: event.0,
            fields: vec![
                ("title".into(), json!("Tập huấn SXSH")),
                ("kind".into(), json!("training")),
                ("starts_at".into(), json!("2026-12-01T01:00:00Z")),
                ("district".into(), json!("Cần Giuộc")),
            ],
        }])
        .await?;
    let before = store.state_hash().await?;
    let wrong_kind = RecordEdit {
        kind: RecordKind::Person,
        id: facility.0,
        fields: vec![("name".into(), json!("x"))],
    };
    assert!(matches!(
        store.write_as_server(&[wrong_kind]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.state_hash().await?,
        before,
        "a refused write changes nothing"
    );

    // Devices and enrolment.
    let trainer = NewDevice {
        name: "Trainer 1".into(),
        role: Role::Trainer,
        facility: None,
    };
    let device = store.create_device(&trainer, "enrol-1").await?;
    let actor = ActorId::new();
    let (enrolled, principal) = store.enroll("enrol-1", actor, "access-1").await?;
    assert_eq!((enrolled, principal.role), (device, Role::Trainer));
    assert!(matches!(
        store.enroll("enrol-1", ActorId::new(), "x").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.enroll("no-such", ActorId::new(), "y").await,
        Err(StoreError::NotFound(_))
    ));
    let author = store.author_by_token("access-1").await?.expect("enrolled");
    assert_eq!((author.actor, author.device), (actor, device));
    assert!(store.author_by_token("access-2").await?.is_none());
    let reader_device = store.create_device(&trainer, "enrol-2").await?;
    store
        .renew_enrolment_token(reader_device, "enrol-3")
        .await?;
    assert!(matches!(
        store.enroll("enrol-2", ActorId::new(), "z").await,
        Err(StoreError::NotFound(_))
    ));
    store.enroll("enrol-3", ActorId::new(), "access-3").await?;
    let reader = store.author_by_token("access-3").await?.expect("enrolled");
    assert!(matches!(
        store
            .renew_enrolment_token(sachhon_shared::DeviceId::new(), "t")
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Pushes: applied once, replays skipped, gaps and foreign ops refused.
    let mut replica = Replica::new();
    let ops = walk_in(&mut replica, actor, 1, event);
    let ack = store.push(&author, &ops, None).await?;
    assert_eq!((ack.acked_through, ack.applied), (3, 3));
    let replay = store.push(&author, &ops, None).await?;
    assert_eq!((replay.acked_through, replay.applied), (3, 0));
    let next = walk_in(&mut replica, actor, 4, event);
    assert!(matches!(
        store.push(&author, &next[1..], None).await,
        Err(StoreError::Gap { expected: 4 })
    ));
    let foreign = walk_in(&mut Replica::new(), ActorId::new(), 4, event);
    assert!(matches!(
        store.push(&author, &foreign, None).await,
        Err(StoreError::Forbidden(_))
    ));
    assert_eq!(store.push(&author, &next, None).await?.acked_through, 6);

    let attendance = store.attendance(event).await?.expect("known event");
    assert_eq!(attendance.attendees.len(), 2);
    assert!(attendance.attendees.iter().all(|a| a.scans == 1));
    assert!(store.attendance(EventId::new()).await?.is_none());

    // Pulls: in pages, everything once, nothing after the end.
    let (pulled, cursor) = pull_everything(store, &reader, "").await?;
    assert_eq!(
        pulled.len(),
        3 + 6,
        "two facility edits, one event, six device ops"
    );
    let (again, same) = pull_everything(store, &reader, &cursor).await?;
    assert!(again.is_empty());
    assert_eq!(same, cursor);
    let (own_view, _) = pull_everything(store, &author, "").await?;
    assert!(
        own_view.iter().all(|op| op.actor != actor),
        "a device never gets its own ops back"
    );

    // The state hash equals that of a replica that received the same ops.
    let mut by_actor: HashMap<ActorId, Vec<Op>> = HashMap::new();
    for op in pulled {
        by_actor.entry(op.actor).or_default().push(op);
    }
    let mut mirror = Replica::new();
    for (actor, ops) in &by_actor {
        mirror.receive(*actor, ops).expect("in order");
    }
    assert_eq!(mirror.state_hash(), store.state_hash().await?);

    // Revocation.
    store.revoke_device(device).await?;
    assert!(store.author_by_token("access-1").await?.is_none());
    assert!(matches!(
        store.revoke_device(sachhon_shared::DeviceId::new()).await,
        Err(StoreError::NotFound(_))
    ));
    Ok(())
}
