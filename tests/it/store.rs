//! The storage conformance suite: every `Store` method in one realistic story, with the same
//! expected results on SQLite and on PostgreSQL.

use crate::on_both_backends;
use sachhon_server::store::{self, NewDevice, RecordEdit, Store, StoreError};
use sachhon_shared::authority::Role;
use sachhon_shared::op::{ScanFact, ScanStatus};
use sachhon_shared::replica::Replica;
use sachhon_shared::{ActorId, EventId, FacilityId, Op, PersonId, RecordKind, RegistrationId};
use sachhon_tests::raw::SCANNED_AT_MS;
use sachhon_tests::Backend;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

on_both_backends!(
    the_store_keeps_its_contract,
    the_store_keeps_its_domain_contracts
);

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
    sachhon_tests::raw::walk_in_ops(replica, actor, seq, event, "Bà Năm", SCANNED_AT_MS)
}

async fn pull_everything(
    store: &dyn Store,
    viewer: &store::Author,
    after: &str,
) -> anyhow::Result<(Vec<Op>, String)> {
    let (mut ops, mut cursor) = (Vec::new(), after.to_string());
    loop {
        let pulled = store.pull(viewer, &cursor, 2).await?;
        let page = sachhon_shared::wire::decode_page(&pulled.body)?;
        assert_eq!((&pulled.next, pulled.more), (&page.next, page.more));
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

/// Check-in, questionnaires and progress: the rest of the trait, on the same story.
async fn the_store_keeps_its_domain_contracts(backend: Backend) -> anyhow::Result<()> {
    use sachhon_server::bootstrap::new_ticket_key;
    use sachhon_shared::indicators::long_an_2013;
    use sachhon_shared::questionnaire::{meta, Definition};
    use sachhon_shared::QuestionnaireId;

    let database = backend.fresh_database().await?;
    let store = store::connect(&database.url).await?;
    let store = &*store;

    // Ticket keys: none at first; the newest active one signs; the last one stays.
    assert!(store.signing_key().await?.is_none());
    let first = store.add_ticket_key(&new_ticket_key()).await?;
    let second = store.add_ticket_key(&new_ticket_key()).await?;
    let signing = store.signing_key().await?.expect("a key");
    assert_eq!(
        sachhon_shared::ticket::TicketKey::of(&signing.verifying_key(), false).id,
        second
    );
    store.retire_ticket_key(&first).await?;
    assert!(matches!(
        store.retire_ticket_key(&first).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.retire_ticket_key(&second).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.retire_ticket_key("nope").await,
        Err(StoreError::NotFound(_))
    ));
    let keys = store.ticket_keys().await?;
    assert_eq!(
        keys.iter()
            .map(|k| (k.id.clone(), k.retired))
            .collect::<Vec<_>>(),
        vec![(first, true), (second, false)]
    );

    // Registry, registrations, badges.
    let facility = FacilityId::new();
    let (event, person, registration) = (EventId::new(), PersonId::new(), RegistrationId::new());
    store
        .write_as_server(&[
            facility_edit(facility.0, "Công ty Thủy sản", "0301", true),
            RecordEdit {
                kind: RecordKind::Event,
                id: event.0,
                fields: vec![
                    ("title".into(), json!("Tập huấn")),
                    ("kind".into(), json!("training")),
                    ("starts_at".into(), json!("2015-04-01T01:00:00Z")),
                    ("district".into(), json!("Cần Giuộc")),
                ],
            },
            RecordEdit {
                kind: RecordKind::Person,
                id: person.0,
                fields: vec![
                    ("name".into(), json!("Chị Tư")),
                    ("facility_id".into(), json!(facility)),
                    ("cp_staff".into(), json!(true)),
                ],
            },
            RecordEdit {
                kind: RecordKind::Registration,
                id: registration.0,
                fields: vec![
                    ("event_id".into(), json!(event)),
                    ("person_id".into(), json!(person)),
                    ("revoked".into(), json!(false)),
                ],
            },
        ])
        .await?;
    assert_eq!(
        store.event(event).await?.and_then(|e| e.kind),
        Some("training".into())
    );
    assert_eq!(
        store.registration_for(event, person).await?,
        Some(registration)
    );
    assert_eq!(
        store
            .registration(registration)
            .await?
            .map(|r| (r.person, r.revoked)),
        Some((person, false))
    );
    let badges = store.badges(event).await?;
    assert_eq!(badges.len(), 1);
    assert_eq!(badges[0].facility_name.as_deref(), Some("Công ty Thủy sản"));

    // A device scans (its clock an hour off), the server annuls.
    let trainer = NewDevice {
        name: "T".into(),
        role: Role::Trainer,
        facility: None,
    };
    store.create_device(&trainer, "enrol").await?;
    let actor = ActorId::new();
    store.enroll("enrol", actor, "access").await?;
    let author = store.author_by_token("access").await?.expect("enrolled");
    store.record_contact(actor, Some(0)).await?;
    let mut replica = Replica::new();
    let fact = ScanFact {
        event,
        registration,
        person: None,
        operator: Some("Cô Ba".into()),
        scanned_at_ms: 1_427_850_000_000,
        status: ScanStatus::Ok,
        walk_in: false,
    };
    let scan = uuid::Uuid::now_v7();
    let op = replica.scan(actor, 1, scan, fact);
    store.push(&author, &[op], Some(-3_600_000)).await?;
    let attendance = store.attendance(event).await?.expect("event");
    assert_eq!(attendance.attendees.len(), 1);
    assert_eq!(
        attendance.attendees[0].person_id,
        Some(person),
        "the registration names the person"
    );
    assert!(attendance.attendees[0].clock_skewed);
    let counts = store.progress_counts(1_451_606_400_000, 5.0).await?;
    let trained: u64 = counts.iter().map(|(_, c)| c.trained).sum();
    assert_eq!(trained, 1);
    store
        .annul_as_server(sachhon_shared::ScanId(scan), Some("nhầm".into()))
        .await?;
    assert!(matches!(
        store
            .annul_as_server(sachhon_shared::ScanId(scan), None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store
        .attendance(event)
        .await?
        .expect("event")
        .attendees
        .is_empty());

    // Questionnaires: versions, responses, rejections.
    let definition: Definition = serde_json::from_value(
        json!({"title": {"vi": "Nhận thức"}, "pass_mark": 2,
        "questions": [{"key": "knows_cp", "kind": "single_choice", "choices": [{"key": "yes", "score": 2}, {"key": "no", "score": 0}]},
                      {"key": "savings_pct", "kind": "number", "min": 0, "max": 100}]}),
    )?;
    let questionnaire = QuestionnaireId::new();
    assert!(matches!(
        store.publish(questionnaire, &definition, true).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.publish(questionnaire, &definition, false).await?, 1);
    assert_eq!(store.publish(questionnaire, &definition, true).await?, 2);
    assert_eq!(
        store.questionnaire(questionnaire).await?.map(|(v, _)| v),
        Some(2)
    );
    assert!(store
        .questionnaire_version(questionnaire, 1)
        .await?
        .is_some());
    assert!(store
        .questionnaire_version(questionnaire, 3)
        .await?
        .is_none());
    let response = sachhon_shared::ResponseId::new();
    let start = replica.write(
        actor,
        2,
        RecordKind::Response,
        response.0,
        vec![
            (meta::QUESTIONNAIRE.into(), json!(questionnaire)),
            (meta::VERSION.into(), json!(1)),
            (meta::FACILITY.into(), json!(facility)),
            (meta::ANSWERED_AT.into(), json!("2015-05-01T00:00:00Z")),
            ("knows_cp".into(), json!("yes")),
            ("savings_pct".into(), json!(6)),
        ],
    );
    let invalid = replica.write(
        actor,
        3,
        RecordKind::Response,
        response.0,
        vec![("savings_pct".into(), json!(700))],
    );
    let ack = store.push(&author, &[start, invalid], None).await?;
    assert_eq!((ack.acked_through, ack.rejected.len()), (3, 1));
    assert_eq!(ack.rejected[0].field, "savings_pct");
    let doc = store.response(response).await?.expect("stored");
    assert_eq!(doc.values("savings_pct"), vec![json!(6)]);
    let rows = store.responses_of(questionnaire).await?;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].facility_name.as_deref(), Some("Công ty Thủy sản"));

    // The plan and its tasks; the counts.
    store.seed_plan(&long_an_2013()).await?;
    store.seed_plan(&long_an_2013()).await?;
    assert_eq!(store.plan().await?.tasks.len(), 9);
    store.update_task(4, "done", "Đã ban hành").await?;
    assert!(matches!(
        store.update_task(4, "finished", "").await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.update_task(99, "done", "").await,
        Err(StoreError::NotFound(_))
    ));
    let task = store
        .plan()
        .await?
        .tasks
        .into_iter()
        .find(|t| t.number == 4)
        .expect("task 4");
    assert_eq!(
        (task.status.as_str(), task.note.as_str()),
        ("done", "Đã ban hành")
    );
    let counts = store.progress_counts(1_451_606_400_000, 5.0).await?;
    let (_, district) = counts
        .iter()
        .find(|(d, _)| d.as_deref() == Some("Cần Giuộc"))
        .expect("district");
    // Aware (passes); not adopting: this questionnaire never asks whether it applies CP.
    let got = (
        district.potential,
        district.aware,
        district.adopting,
        district.staff,
        district.trained,
    );
    assert_eq!(got, (1, 1, 0, 1, 0));
    Ok(())
}
