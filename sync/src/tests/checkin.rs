//! Badge check-in offline: signed tickets judged against the stored key ring and the
//! replica's registrations, revocations and scans; annulments; the skewed clock.

use super::{enrolment, public_key, signing_key, trainer};
use crate::{Device, Error, Options, Verdict};
use ed25519_dalek::SigningKey;
use sachhon_shared::authority::Role;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::replica::Replica;
use sachhon_shared::ticket::{issue, Ticket, TicketKey};
use sachhon_shared::{
    ActorId, Annulment, Change, EventId, FacilityId, Op, PersonId, RecordKind, RegistrationId,
    ScanFact, ScanId,
};
use serde_json::json;
use std::path::Path;
use uuid::Uuid;

const SERVER: &str = "http://127.0.0.1:9";

/// A trainer phone whose key ring holds `keys`.
async fn phone(home: &Path, keys: Vec<TicketKey>, options: Options) -> Device {
    let device = Device::open_with(home, options).await.expect("opens");
    let mut enrolled = enrolment(Role::Trainer);
    enrolled.ticket_keys = keys;
    device
        .install_enrolment(SERVER, &enrolled)
        .await
        .expect("enrols");
    device
}

/// A trainer phone in a fresh home whose key ring holds one key, made from `seed`.
async fn trainer_with_key(seed: u8) -> (tempfile::TempDir, SigningKey, Device) {
    let home = tempfile::tempdir().expect("home");
    let key = signing_key(seed);
    let device = phone(
        home.path(),
        vec![public_key(&key, false)],
        Options::default(),
    )
    .await;
    (home, key, device)
}

fn ticket(event: EventId, registration: RegistrationId, key: &SigningKey) -> String {
    issue(
        Ticket {
            event,
            registration,
        },
        key,
    )
}

async fn outbox(device: &Device) -> Vec<Op> {
    device
        .store
        .outbox_head(usize::MAX)
        .await
        .expect("outbox")
        .0
}

/// Another actor (the server, or another phone) whose ops the phone pulls.
struct Remote {
    actor: ActorId,
    seq: u64,
    replica: Replica,
}

impl Remote {
    fn new() -> Self {
        Self {
            actor: ActorId::new(),
            seq: 0,
            replica: Replica::new(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn write(&mut self, kind: RecordKind, id: Uuid, fields: Vec<(&str, serde_json::Value)>) -> Op {
        let seq = self.next_seq();
        let fields = fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        self.replica.write(self.actor, seq, kind, id, fields)
    }

    fn registration(&mut self, id: RegistrationId, event: EventId, person: PersonId) -> Op {
        self.write(
            RecordKind::Registration,
            id.0,
            vec![
                ("event_id", json!(event.to_string())),
                ("person_id", json!(person.to_string())),
                ("revoked", json!(false)),
            ],
        )
    }

    fn revoke(&mut self, id: RegistrationId, revoked: bool) -> Op {
        self.write(
            RecordKind::Registration,
            id.0,
            vec![("revoked", json!(revoked))],
        )
    }

    fn scan(&mut self, event: EventId, registration: RegistrationId, person: PersonId) -> Op {
        let seq = self.next_seq();
        let fact = ScanFact {
            event,
            registration,
            person: Some(person),
            operator: None,
            scanned_at_ms: 1_700_000_000_000,
            status: ScanStatus::Ok,
            walk_in: false,
        };
        self.replica.scan(self.actor, seq, Uuid::now_v7(), fact)
    }

    fn annul(&mut self, scan: ScanId) -> Op {
        let op = Op {
            actor: self.actor,
            seq: self.next_seq(),
            kind: RecordKind::Annulment,
            record: Uuid::now_v7(),
            change: Change::Annul(Annulment {
                scan,
                reason: Some("left early".into()),
            }),
        };
        self.replica
            .receive(self.actor, std::slice::from_ref(&op))
            .expect("in order");
        op
    }
}

async fn pull(device: &Device, ops: &[Op]) {
    device
        .store
        .apply_page(&super::page(ops, "1", &[]))
        .await
        .expect("applies");
}

#[tokio::test]
async fn a_known_ticket_is_ok_then_duplicate() {
    let (_home, key, device) = trainer_with_key(1).await;
    let (event, registration, person) = (EventId::new(), RegistrationId::new(), PersonId::new());
    let mut office = Remote::new();
    pull(&device, &[office.registration(registration, event, person)]).await;
    let qr = ticket(event, registration, &key);

    let first = device.scan(event, &qr, Some(" Lan ")).await.expect("scan");
    assert_eq!(first.status, Verdict::Ok);
    assert_eq!(first.person_id, Some(person));
    assert_eq!(first.registration_id, Some(registration));
    let second = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(second.status, Verdict::Duplicate);
    assert_ne!(second.scan_id, first.scan_id);

    let ops = outbox(&device).await;
    let facts: Vec<&ScanFact> = ops
        .iter()
        .map(|op| match &op.change {
            Change::Scan(fact) => fact,
            other => panic!("expected a scan, got {other:?}"),
        })
        .collect();
    assert_eq!(
        ops.iter().map(|op| op.record).collect::<Vec<_>>(),
        [first.scan_id, second.scan_id].map(|id| id.expect("recorded").0)
    );
    assert_eq!(
        facts.iter().map(|fact| fact.status).collect::<Vec<_>>(),
        [ScanStatus::Ok, ScanStatus::Duplicate]
    );
    assert_eq!(facts[0].operator.as_deref(), Some("Lan"));
    assert_eq!(facts[1].operator, None);
    assert!(facts
        .iter()
        .all(|fact| fact.person == Some(person) && !fact.walk_in && fact.event == event));
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
}

#[tokio::test]
async fn an_unknown_registration_is_accepted_on_its_signature() {
    let (_home, key, device) = trainer_with_key(2).await;
    let (event, registration) = (EventId::new(), RegistrationId::new());
    let qr = ticket(event, registration, &key);

    let first = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(
        (first.status, first.person_id, first.registration_id),
        (Verdict::Ok, None, Some(registration))
    );
    match &outbox(&device).await[0].change {
        Change::Scan(fact) => assert_eq!(fact.person, None),
        other => panic!("expected a scan, got {other:?}"),
    }
    // Unknown person: a second scan of the same ticket is caught by its registration.
    let again = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(again.status, Verdict::Duplicate);
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);

    // The registration arrives, with a second registration of the same person: the person's
    // other ticket is a duplicate, and attendance still counts one person.
    let (person, other) = (PersonId::new(), RegistrationId::new());
    let mut office = Remote::new();
    pull(
        &device,
        &[
            office.registration(registration, event, person),
            office.registration(other, event, person),
        ],
    )
    .await;
    let by_person = device
        .scan(event, &ticket(event, other, &key), None)
        .await
        .expect("scan");
    assert_eq!(by_person.status, Verdict::Duplicate);
    assert_eq!(by_person.person_id, Some(person));
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
}

#[tokio::test]
async fn a_ticket_for_another_event_is_refused_and_nothing_queued() {
    let (_home, key, device) = trainer_with_key(3).await;
    let (event, elsewhere, registration, person) = (
        EventId::new(),
        EventId::new(),
        RegistrationId::new(),
        PersonId::new(),
    );
    pull(
        &device,
        &[Remote::new().registration(registration, elsewhere, person)],
    )
    .await;
    let before = device.state_hash().await.expect("hash");
    let result = device
        .scan(event, &ticket(elsewhere, registration, &key), None)
        .await
        .expect("scan");
    assert_eq!(result.status, Verdict::WrongEvent);
    assert_eq!(
        (result.person_id, result.registration_id, result.scan_id),
        (Some(person), Some(registration), None)
    );
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    assert_eq!(device.state_hash().await.expect("hash"), before);
    assert_eq!(device.local_attendance(event).await.expect("count"), 0);
}

#[tokio::test]
async fn forged_damaged_foreign_and_retired_tickets_are_invalid() {
    let home = tempfile::tempdir().expect("home");
    let (key, retired) = (signing_key(4), signing_key(5));
    let keys = vec![public_key(&key, false), public_key(&retired, true)];
    let device = phone(home.path(), keys, Options::default()).await;
    let (event, registration) = (EventId::new(), RegistrationId::new());
    let genuine = ticket(event, registration, &key);
    let mut chars: Vec<char> = genuine.chars().collect();
    chars[30] = if chars[30] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();

    for qr in [
        forged,
        "HELLO".to_string(),
        ticket(event, registration, &signing_key(6)),
        ticket(event, registration, &retired),
    ] {
        let result = device.scan(event, &qr, None).await.expect("scan");
        assert_eq!(result.status, Verdict::Invalid, "{qr}");
        assert_eq!(
            (result.person_id, result.registration_id, result.scan_id),
            (None, None, None)
        );
    }
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    // The genuine one still passes.
    let ok = device.scan(event, &genuine, None).await.expect("scan");
    assert_eq!(ok.status, Verdict::Ok);
}

#[tokio::test]
async fn a_revoked_registration_is_refused_until_the_office_reinstates_it() {
    let (_home, key, device) = trainer_with_key(7).await;
    let (event, registration, person) = (EventId::new(), RegistrationId::new(), PersonId::new());
    let qr = ticket(event, registration, &key);
    let mut office = Remote::new();
    pull(
        &device,
        &[
            office.registration(registration, event, person),
            office.revoke(registration, true),
        ],
    )
    .await;

    let result = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(result.status, Verdict::Revoked);
    assert_eq!(
        (result.person_id, result.registration_id, result.scan_id),
        (Some(person), Some(registration), None)
    );
    assert_eq!(device.outbox_len().await.expect("len"), 0);

    pull(&device, &[office.revoke(registration, false)]).await;
    let result = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(result.status, Verdict::Ok);
}

#[tokio::test]
async fn an_annulled_scan_no_longer_counts_and_cannot_be_annulled_twice() {
    let (_home, key, device) = trainer_with_key(8).await;
    let (event, registration) = (EventId::new(), RegistrationId::new());
    let qr = ticket(event, registration, &key);
    let scan = device.scan(event, &qr, None).await.expect("scan");
    let scan_id = scan.scan_id.expect("recorded");
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);

    let annulled = device
        .annul(scan_id, Some("  scanned the wrong badge "))
        .await
        .expect("annuls");
    assert_eq!(annulled.scan_id, scan_id);
    assert_eq!(device.local_attendance(event).await.expect("count"), 0);
    let ops = outbox(&device).await;
    assert_eq!(ops.len(), 2);
    assert_eq!(
        (ops[1].kind, ops[1].record, &ops[1].change),
        (
            RecordKind::Annulment,
            annulled.annulment_id,
            &Change::Annul(Annulment {
                scan: scan_id,
                reason: Some("scanned the wrong badge".into()),
            })
        )
    );
    assert!(ops[1].check().is_ok());

    assert!(matches!(
        device.annul(scan_id, None).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        device.annul(ScanId::new(), None).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(device.outbox_len().await.expect("len"), 2);

    // The annulled scan no longer makes the next one a duplicate.
    let again = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(again.status, Verdict::Ok);
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
}

#[tokio::test]
async fn pulled_annulments_apply_once_and_the_state_hash_matches_the_shared_replica() {
    let (_home, key, device) = trainer_with_key(9).await;
    let (event, registration, person) = (EventId::new(), RegistrationId::new(), PersonId::new());
    let mut other = Remote::new();
    let pulled = vec![
        other.registration(registration, event, person),
        other.scan(event, registration, person),
    ];
    pull(&device, &pulled).await;
    let remote_scan = ScanId(pulled[1].record);
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);

    // Their scan is annulled on their phone; the pull arrives twice.
    let annulment = [other.annul(remote_scan)];
    pull(&device, &annulment).await;
    let once = device.state_hash().await.expect("hash");
    pull(&device, &annulment).await;
    assert_eq!(device.state_hash().await.expect("hash"), once);
    assert_eq!(device.local_attendance(event).await.expect("count"), 0);
    assert!(matches!(
        device.annul(remote_scan, None).await,
        Err(Error::Conflict(_))
    ));

    // Local facts with every new field: an unknown person, an operator, an annulment.
    let unknown = RegistrationId::new();
    let local = device
        .scan(event, &ticket(event, unknown, &key), Some("Hà"))
        .await
        .expect("scan");
    device
        .annul(local.scan_id.expect("recorded"), None)
        .await
        .expect("annuls");
    device
        .walk_in_by(event, "Tâm", None, false, Some("Hà"))
        .await
        .expect("walk-in");
    let mine = outbox(&device).await;
    other
        .replica
        .receive(mine[0].actor, &mine)
        .expect("in order");
    assert_eq!(
        device.state_hash().await.expect("hash"),
        other.replica.state_hash()
    );
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
}

#[tokio::test]
async fn facts_that_left_the_view_are_dropped_and_queued_ops_stay() {
    let (_home, _key, device) = trainer_with_key(10).await;
    let (event, registration, person) = (EventId::new(), RegistrationId::new(), PersonId::new());
    let mut other = Remote::new();
    let pulled = vec![
        other.registration(registration, event, person),
        other.scan(event, registration, person),
    ];
    pull(&device, &pulled).await;
    let annulment = other.annul(ScanId(pulled[1].record));
    let second = other.scan(event, registration, person);
    pull(&device, &[annulment.clone(), second.clone()]).await;
    let walk_in = device
        .walk_in(event, "Tâm", None, false)
        .await
        .expect("walk-in");
    assert_eq!(device.local_attendance(event).await.expect("count"), 2);

    // The event leaves this phone's view: the server lists its records in `left`.
    let mut leaving = super::page(&[], "2", &[]);
    leaving.left = vec![
        registration.0,
        pulled[1].record,
        annulment.record,
        second.record,
        walk_in.scan_id.0,
        walk_in.registration_id.0,
        walk_in.person_id.0,
    ];
    device.store.apply_page(&leaving).await.expect("applies");
    assert_eq!(device.local_attendance(event).await.expect("count"), 0);
    assert!(device
        .record(RecordKind::Registration, registration.0)
        .await
        .expect("reads")
        .is_none());
    assert_eq!(
        device.outbox_len().await.expect("len"),
        3,
        "the walk-in stays queued"
    );
    // Pulled again (the event assigned again), the same facts count once more.
    pull(&device, &pulled).await;
    pull(&device, &[annulment, second]).await;
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
}

#[tokio::test]
async fn the_key_ring_is_replaced_by_pulled_lists_only() {
    let home = tempfile::tempdir().expect("home");
    let (old, new) = (signing_key(10), signing_key(11));
    let device = phone(
        home.path(),
        vec![public_key(&old, false)],
        Options::default(),
    )
    .await;
    assert_eq!(device.status().await.expect("status").ticket_keys, 1);
    let event = EventId::new();
    let (by_old, by_new) = (
        ticket(event, RegistrationId::new(), &old),
        ticket(event, RegistrationId::new(), &new),
    );

    // A page without keys keeps the ring.
    device
        .store
        .apply_page(&super::page(&[], "1", &[]))
        .await
        .expect("applies");
    assert_eq!(device.status().await.expect("status").ticket_keys, 1);
    let result = device.scan(event, &by_new, None).await.expect("scan");
    assert_eq!(result.status, Verdict::Invalid);

    // The old key retired, a new one issued.
    let ring = [public_key(&old, true), public_key(&new, false)];
    device
        .store
        .apply_page(&super::page(&[], "2", &ring))
        .await
        .expect("applies");
    assert_eq!(device.status().await.expect("status").ticket_keys, 2);
    let result = device.scan(event, &by_old, None).await.expect("scan");
    assert_eq!(result.status, Verdict::Invalid);
    let result = device.scan(event, &by_new, None).await.expect("scan");
    assert_eq!(result.status, Verdict::Ok);
}

#[tokio::test]
async fn an_enterprise_phone_may_neither_scan_nor_annul() {
    let home = tempfile::tempdir().expect("home");
    let key = signing_key(12);
    let device = Device::open(home.path()).await.expect("opens");
    let mut enterprise = enrolment(Role::Enterprise);
    enterprise.facility_id = Some(FacilityId::new());
    enterprise.ticket_keys = vec![public_key(&key, false)];
    device
        .install_enrolment(SERVER, &enterprise)
        .await
        .expect("enrols");
    let event = EventId::new();
    let qr = ticket(event, RegistrationId::new(), &key);
    assert!(matches!(
        device.scan(event, &qr, None).await,
        Err(Error::Forbidden(_))
    ));
    let (registration, person) = (RegistrationId::new(), PersonId::new());
    let mut other = Remote::new();
    let pulled = [
        other.registration(registration, event, person),
        other.scan(event, registration, person),
    ];
    pull(&device, &pulled).await;
    assert!(matches!(
        device.annul(ScanId(pulled[1].record), None).await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(device.outbox_len().await.expect("len"), 0);
}

#[tokio::test]
async fn scans_need_an_enrolment_and_a_blank_operator_is_refused() {
    let home = tempfile::tempdir().expect("home");
    let device = Device::open(home.path()).await.expect("opens");
    let event = EventId::new();
    assert!(matches!(
        device.scan(event, "HELLO", None).await,
        Err(Error::NotEnrolled)
    ));
    let device = trainer(home.path(), SERVER, Options::default()).await;
    assert!(matches!(
        device.scan(event, "HELLO", Some(" ")).await,
        Err(Error::Invalid(_))
    ));
    // Without a key ring every ticket is invalid.
    let qr = ticket(event, RegistrationId::new(), &signing_key(13));
    let result = device.scan(event, &qr, None).await.expect("scan");
    assert_eq!(result.status, Verdict::Invalid);
}

#[tokio::test]
async fn a_skewed_clock_dates_scans_and_walk_ins_by_itself() {
    let home = tempfile::tempdir().expect("home");
    let key = signing_key(14);
    let behind = Options {
        clock_offset_ms: -86_400_000,
        ..Options::default()
    };
    let device = phone(home.path(), vec![public_key(&key, false)], behind).await;
    let event = EventId::new();
    let qr = ticket(event, RegistrationId::new(), &key);
    let now = crate::clock::Clock::default().now_ms();
    device.scan(event, &qr, None).await.expect("scan");
    device
        .walk_in(event, "Lan", None, false)
        .await
        .expect("walk-in");
    for op in outbox(&device).await {
        if let Change::Scan(fact) = op.change {
            let skew = now - fact.scanned_at_ms;
            assert!((86_399_000..86_460_000).contains(&skew), "{skew}");
        }
    }
}
