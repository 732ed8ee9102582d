//! The replica without a network: local actions, the outbox, reopening, applying pulled ops.

use super::{enrolment, trainer};
use crate::{Device, Error, Options};
use sachhon_shared::authority::Role;
use sachhon_shared::op::{ScanFact, ScanStatus};
use sachhon_shared::replica::Replica;
use sachhon_shared::{
    ActorId, Change, EventId, FacilityId, Op, PersonId, RecordKind, RegistrationId,
};
use serde_json::json;
use uuid::Uuid;

const SERVER: &str = "http://127.0.0.1:9";

async fn outbox(device: &Device) -> Vec<Op> {
    device
        .store
        .outbox_head(usize::MAX)
        .await
        .expect("outbox")
        .0
}

#[tokio::test]
async fn a_walk_in_queues_three_ops_and_counts_as_attendance() {
    let home = tempfile::tempdir().expect("tempdir");
    let device = trainer(home.path(), SERVER, Options::default()).await;
    let event = EventId::new();
    let facility = FacilityId::new();
    let walk_in = device
        .walk_in(event, "Nguyễn Văn An", Some(facility), true)
        .await
        .expect("walk-in");

    let ops = outbox(&device).await;
    assert_eq!(
        ops.iter().map(|op| op.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let actor = device.status().await.expect("status").actor_id;
    assert!(ops.iter().all(|op| Some(op.actor) == actor));
    assert!(ops.iter().all(|op| op.check().is_ok()));
    assert_eq!(
        ops.iter()
            .map(|op| (op.kind, op.record))
            .collect::<Vec<_>>(),
        vec![
            (RecordKind::Person, walk_in.person_id.0),
            (RecordKind::Registration, walk_in.registration_id.0),
            (RecordKind::Scan, walk_in.scan_id.0),
        ]
    );
    let person_fields = ops[0].field_values();
    assert!(person_fields.contains(&("name", &json!("Nguyễn Văn An"))));
    assert!(person_fields.contains(&("facility_id", &json!(facility.to_string()))));
    assert!(person_fields.contains(&("cp_staff", &json!(true))));
    match &ops[2].change {
        Change::Scan(fact) => {
            assert_eq!(fact.event, event);
            assert_eq!(fact.person, Some(walk_in.person_id));
            assert_eq!(fact.operator, None);
            assert_eq!(fact.registration, walk_in.registration_id);
            assert_eq!(fact.status, ScanStatus::Ok);
            assert!(fact.walk_in);
        }
        other => panic!("expected a scan, got {other:?}"),
    }
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
    assert_eq!(
        device
            .local_attendance(EventId::new())
            .await
            .expect("count"),
        0
    );
    let projected: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registrations WHERE event_id = ? AND person_id = ?",
    )
    .bind(event.to_string())
    .bind(walk_in.person_id.to_string())
    .fetch_one(&device.store.pool)
    .await
    .expect("query");
    assert_eq!(projected, 1);
}

#[tokio::test]
async fn simulate_makes_walk_ins_in_one_go() {
    let home = tempfile::tempdir().expect("tempdir");
    let device = trainer(home.path(), SERVER, Options::default()).await;
    let event = EventId::new();
    let made = device.simulate(event, 100).await.expect("simulate");
    assert_eq!(made.len(), 100);
    assert_eq!(device.outbox_len().await.expect("len"), 300);
    assert_eq!(device.local_attendance(event).await.expect("count"), 100);
    let ops = outbox(&device).await;
    assert!(ops.iter().map(|op| op.seq).eq(1..=300));
    assert!(ops[3]
        .field_values()
        .contains(&("name", &json!("Walk-in 2"))));
}

#[tokio::test]
async fn reopening_the_home_keeps_everything() {
    let home = tempfile::tempdir().expect("tempdir");
    let event = EventId::new();
    let device = trainer(home.path(), SERVER, Options::default()).await;
    device
        .walk_in(event, "Lan", None, false)
        .await
        .expect("walk-in");
    let (hash, status) = (
        device.state_hash().await.expect("hash"),
        device.status().await.expect("status"),
    );
    device.close().await;

    let device = Device::open(home.path()).await.expect("reopens");
    assert_eq!(device.state_hash().await.expect("hash"), hash);
    assert_eq!(device.status().await.expect("status"), status);
    assert_eq!(device.outbox_len().await.expect("len"), 3);
    device
        .walk_in(event, "Minh", None, false)
        .await
        .expect("walk-in");
    let ops = outbox(&device).await;
    assert!(ops.iter().map(|op| op.seq).eq(1..=6));
    assert_eq!(device.local_attendance(event).await.expect("count"), 2);
}

#[tokio::test]
async fn applying_a_pulled_op_twice_changes_nothing_and_matches_the_shared_replica() {
    let home = tempfile::tempdir().expect("tempdir");
    let device = trainer(home.path(), SERVER, Options::default()).await;
    device
        .walk_in(EventId::new(), "Local", None, false)
        .await
        .expect("walk-in");

    // Another phone's ops, made with the shared in-memory replica.
    let other = ActorId::new();
    let mut theirs = Replica::new();
    let person = PersonId::new();
    let registration = RegistrationId::new();
    let event = EventId::new();
    let ops = vec![
        theirs.write(
            other,
            1,
            RecordKind::Person,
            person.0,
            vec![
                ("name".into(), json!("Remote")),
                ("cp_staff".into(), json!(false)),
            ],
        ),
        theirs.write(
            other,
            2,
            RecordKind::Registration,
            registration.0,
            vec![
                ("event_id".into(), json!(event.to_string())),
                ("person_id".into(), json!(person.to_string())),
            ],
        ),
        theirs.scan(
            other,
            3,
            Uuid::now_v7(),
            ScanFact {
                event,
                registration,
                person: Some(person),
                operator: Some("Hùng".into()),
                scanned_at_ms: 1_700_000_000_000,
                status: ScanStatus::Ok,
                walk_in: false,
            },
        ),
        theirs.write(
            other,
            4,
            RecordKind::Person,
            person.0,
            vec![("name".into(), json!("Remote 2"))],
        ),
    ];

    device
        .store
        .apply_page(&super::page(&ops, "4", &[]))
        .await
        .expect("applies");
    let once = device.state_hash().await.expect("hash");
    device
        .store
        .apply_page(&super::page(&ops, "4", &[]))
        .await
        .expect("applies again");
    device
        .store
        .apply_page(&super::page(&ops[1..3], "4", &[]))
        .await
        .expect("applies part");
    assert_eq!(device.state_hash().await.expect("hash"), once);
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
    assert_eq!(device.status().await.expect("status").cursor, "4");

    // The phone's own ops, received by the other replica, give both the same state.
    let mine = outbox(&device).await;
    let actor = mine[0].actor;
    theirs.receive(actor, &mine).expect("in order");
    assert_eq!(theirs.state_hash(), once);
}

#[tokio::test]
async fn actions_need_an_enrolment_and_the_right_role() {
    let home = tempfile::tempdir().expect("tempdir");
    let device = Device::open(home.path()).await.expect("opens");
    let event = EventId::new();
    assert!(matches!(
        device.walk_in(event, "Lan", None, false).await,
        Err(Error::NotEnrolled)
    ));
    assert!(matches!(device.sync().await, Err(Error::NotEnrolled)));
    assert!(!device.status().await.expect("status").enrolled);

    let mut enterprise = enrolment(Role::Enterprise);
    let own = FacilityId::new();
    enterprise.facility_id = Some(own);
    device
        .install_enrolment(SERVER, &enterprise)
        .await
        .expect("enrols");
    assert!(matches!(
        device.walk_in(event, "Lan", Some(own), false).await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(device.outbox_len().await.expect("len"), 0);
}

#[tokio::test]
async fn a_refused_action_leaves_nothing_behind() {
    let home = tempfile::tempdir().expect("tempdir");
    let device = trainer(home.path(), SERVER, Options::default()).await;
    let before = device.state_hash().await.expect("hash");
    assert!(matches!(
        device.walk_in(EventId::new(), "   ", None, false).await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    assert_eq!(device.state_hash().await.expect("hash"), before);
    // The sequence number was not consumed either.
    device
        .walk_in(EventId::new(), "Lan", None, false)
        .await
        .expect("walk-in");
    assert_eq!(outbox(&device).await[0].seq, 1);
}

#[tokio::test]
async fn re_enrolling_is_refused_while_ops_are_unsent() {
    let home = tempfile::tempdir().expect("tempdir");
    let device = trainer(home.path(), SERVER, Options::default()).await;
    device
        .walk_in(EventId::new(), "Lan", None, false)
        .await
        .expect("walk-in");
    let fresh = enrolment(Role::Trainer);
    assert!(matches!(
        device.install_enrolment(SERVER, &fresh).await,
        Err(Error::PendingOps { outbox: 3 })
    ));
    assert!(matches!(
        device.enroll(SERVER, "token").await,
        Err(Error::PendingOps { outbox: 3 })
    ));

    // Once the outbox is empty, a new enrolment is a new actor starting at 1.
    device.store.acknowledge(3, &[], 0).await.expect("drops");
    device
        .install_enrolment(SERVER, &fresh)
        .await
        .expect("enrols");
    let status = device.status().await.expect("status");
    assert_eq!(status.actor_id, Some(fresh.actor_id));
    assert_eq!(status.next_seq, Some(1));
}
