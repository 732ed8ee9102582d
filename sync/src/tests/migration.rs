//! A replica written before check-in (schema 0001 only) opens with the new schema and keeps
//! every fact, hashed as it was recorded.

use crate::store::DB_FILE;
use crate::Device;
use sachhon_shared::hash::StateHasher;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::{EventId, PersonId, RegistrationId, ScanFact, ScanId};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::path::Path;

/// Makes `home` a replica at schema 0001 holding one scan of `fact`.
async fn old_replica(home: &Path, scan: ScanId, fact: &ScanFact) {
    let migrations = tempfile::tempdir().expect("dir");
    let first = "0001_replica.sql";
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(first);
    std::fs::copy(source, migrations.path().join(first)).expect("copies");
    let options = SqliteConnectOptions::new()
        .filename(home.join(DB_FILE))
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await.expect("opens");
    let migrator = Migrator::new(migrations.path()).await.expect("reads");
    migrator.run(&pool).await.expect("migrates to 0001");
    let person = fact.person.map(|id| id.to_string());
    sqlx::query("INSERT INTO registrations (id, event_id, person_id) VALUES (?, ?, ?)")
        .bind(fact.registration.to_string())
        .bind(fact.event.to_string())
        .bind(&person)
        .execute(&pool)
        .await
        .expect("registration");
    sqlx::query(
        "INSERT INTO scans (id, event_id, registration_id, person_id, scanned_at_ms, status, \
         walk_in, actor_id) VALUES (?, ?, ?, ?, ?, 'ok', 0, ?)",
    )
    .bind(scan.to_string())
    .bind(fact.event.to_string())
    .bind(fact.registration.to_string())
    .bind(&person)
    .bind(fact.scanned_at_ms)
    .bind(uuid::Uuid::now_v7().to_string())
    .execute(&pool)
    .await
    .expect("scan");
    pool.close().await;
}

#[tokio::test]
async fn a_replica_of_schema_0001_keeps_its_scans() {
    let home = tempfile::tempdir().expect("home");
    let (scan, event) = (ScanId::new(), EventId::new());
    let fact = ScanFact {
        event,
        registration: RegistrationId::new(),
        person: Some(PersonId::new()),
        operator: None,
        scanned_at_ms: 1_700_000_000_000,
        status: ScanStatus::Ok,
        walk_in: false,
    };
    old_replica(home.path(), scan, &fact).await;

    let device = Device::open(home.path()).await.expect("migrates");
    let mut expected = StateHasher::new();
    expected.add_scan(scan.0, &fact);
    assert_eq!(device.state_hash().await.expect("hash"), expected.finish());
    assert_eq!(device.local_attendance(event).await.expect("count"), 1);
    let revoked: bool = sqlx::query_scalar("SELECT revoked FROM registrations")
        .fetch_one(&device.store.pool)
        .await
        .expect("query");
    assert!(!revoked);
    assert_eq!(device.status().await.expect("status").ticket_keys, 0);
}
