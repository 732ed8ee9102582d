//! Sync against the fake server: convergence, lost acknowledgements, gaps, large batches,
//! paging, no network.

use super::fake_server::{FakeServer, Knobs};
use super::{public_key, signing_key, trainer};
use crate::clock::Clock;
use crate::{Device, Error, Options, SyncReport, Verdict};
use sachhon_shared::ticket::{issue, Ticket};
use sachhon_shared::{EventId, RegistrationId};

fn report(pushed: u64, pulled: u64) -> SyncReport {
    SyncReport {
        pushed,
        pulled,
        rejected: 0,
    }
}

#[tokio::test]
async fn two_phones_converge_through_the_server() {
    let server = FakeServer::start(Knobs::default()).await;
    let (home_a, home_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let a = trainer(home_a.path(), &server.url, Options::default()).await;
    let b = trainer(home_b.path(), &server.url, Options::default()).await;
    let event = EventId::new();

    a.walk_in(event, "An", None, false).await.expect("walk-in");
    b.simulate(event, 5).await.expect("simulate");
    assert_eq!(a.sync().await.expect("sync a"), report(3, 0));
    assert_eq!(b.sync().await.expect("sync b"), report(15, 3));
    assert_eq!(a.sync().await.expect("sync a"), report(0, 15));
    assert_eq!(a.sync().await.expect("idle sync"), report(0, 0));

    let hash = server.state_hash();
    assert_eq!(a.state_hash().await.expect("hash a"), hash);
    assert_eq!(b.state_hash().await.expect("hash b"), hash);
    assert_eq!(a.local_attendance(event).await.expect("count"), 6);
    assert_eq!(b.local_attendance(event).await.expect("count"), 6);
    assert_eq!(a.outbox_len().await.expect("len"), 0);
}

#[tokio::test]
async fn pushes_go_in_zstd_and_pulls_ask_for_compressed_answers() {
    let server = FakeServer::start(Knobs::default()).await;
    let (home_a, home_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let a = trainer(home_a.path(), &server.url, Options::default()).await;
    let b = trainer(home_b.path(), &server.url, Options::default()).await;
    a.simulate(EventId::new(), 40).await.expect("simulate");
    assert_eq!(a.sync().await.expect("sync a"), report(120, 0));
    // The fake server answers this pull in zstd: it arrives decoded.
    assert_eq!(b.sync().await.expect("sync b"), report(0, 120));
    assert_eq!(b.state_hash().await.expect("hash b"), server.state_hash());

    let codings = server.push_codings();
    assert!(!codings.is_empty());
    assert!(
        codings.iter().all(|c| c.as_deref() == Some("zstd")),
        "{codings:?}"
    );
    for accept in server.pull_accepts() {
        let accept = accept.unwrap_or_default();
        assert!(
            accept.contains("zstd") && accept.contains("gzip"),
            "{accept}"
        );
    }
}

#[tokio::test]
async fn enrolment_over_http() {
    let server = FakeServer::start(Knobs::default()).await;
    let home = tempfile::tempdir().expect("home");
    let device = Device::open(home.path()).await.expect("opens");
    match device.enroll(&server.url, "bad").await {
        Err(Error::Server { status: 401, .. }) => {}
        other => panic!("expected a 401 refusal, got {other:?}"),
    }
    let enrolment = device
        .enroll(&format!("{}/", server.url), "good")
        .await
        .expect("enrols");
    let status = device.status().await.expect("status");
    assert_eq!(status.actor_id, Some(enrolment.actor_id));
    assert_eq!(status.server_url.as_deref(), Some(server.url.as_str()));
    device
        .walk_in(EventId::new(), "Lan", None, true)
        .await
        .expect("walk-in");
    assert_eq!(device.sync().await.expect("sync"), report(3, 0));
    assert_eq!(
        device.state_hash().await.expect("hash"),
        server.state_hash()
    );
}

#[tokio::test]
async fn a_lost_acknowledgement_is_recovered_by_resending() {
    let server = FakeServer::start(Knobs {
        lose_acks: 1,
        ..Knobs::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let device = trainer(home.path(), &server.url, Options::default()).await;
    device
        .walk_in(EventId::new(), "Lan", None, false)
        .await
        .expect("walk-in");
    assert!(matches!(
        device.sync().await,
        Err(Error::Server { status: 503, .. })
    ));
    assert_eq!(device.outbox_len().await.expect("len"), 3);
    // The replay is acknowledged again and changes nothing on the server.
    let hash = server.state_hash();
    assert_eq!(device.sync().await.expect("sync"), report(3, 0));
    assert_eq!(server.state_hash(), hash);
    assert_eq!(device.state_hash().await.expect("hash"), hash);
}

#[tokio::test]
async fn a_gap_answer_after_a_lost_acknowledgement_drops_the_committed_ops() {
    let server = FakeServer::start(Knobs {
        lose_acks: 1,
        strict: true,
        ..Knobs::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let device = trainer(home.path(), &server.url, Options::default()).await;
    let event = EventId::new();
    device
        .walk_in(event, "Lan", None, false)
        .await
        .expect("walk-in");
    assert!(device.sync().await.is_err());
    device
        .walk_in(event, "Minh", None, false)
        .await
        .expect("walk-in");
    // 409 expected 4: ops 1..=3 leave the outbox, 4..=6 are sent.
    assert_eq!(device.sync().await.expect("sync"), report(6, 0));
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    assert_eq!(
        device.state_hash().await.expect("hash"),
        server.state_hash()
    );
}

/// A trainer that made and synced one walk-in, and its actor, with the server then losing
/// that actor's ops (a restore from an older backup).
async fn forgotten(
    server: &FakeServer,
    home: &std::path::Path,
    event: EventId,
) -> (Device, sachhon_shared::ActorId) {
    let device = trainer(home, &server.url, Options::default()).await;
    device
        .walk_in(event, "Lan", None, false)
        .await
        .expect("walk-in");
    assert_eq!(device.sync().await.expect("sync"), report(3, 0));
    let actor = device
        .status()
        .await
        .expect("status")
        .actor_id
        .expect("actor");
    server.forget(actor);
    (device, actor)
}

#[tokio::test]
async fn ops_a_restored_server_lost_are_sent_again_before_the_outbox() {
    let server = FakeServer::start(Knobs::default()).await;
    let home = tempfile::tempdir().expect("home");
    let event = EventId::new();
    let (device, _) = forgotten(&server, home.path(), event).await;
    device
        .walk_in(event, "Minh", None, false)
        .await
        .expect("walk-in");
    // The push of 4..=6 meets a gap at 1: 1..=3 go back in the outbox and all six are sent.
    assert_eq!(device.sync().await.expect("sync"), report(6, 0));
    assert_eq!(device.outbox_len().await.expect("len"), 0);
    assert_eq!(
        device.state_hash().await.expect("hash"),
        server.state_hash()
    );
}

#[tokio::test]
async fn ops_a_restored_server_lost_are_sent_again_when_the_outbox_is_empty() {
    let server = FakeServer::start(Knobs::default()).await;
    let home = tempfile::tempdir().expect("home");
    let (device, _) = forgotten(&server, home.path(), EventId::new()).await;
    // Nothing to push; the page says the server holds none of this actor's ops.
    assert_eq!(device.sync().await.expect("sync"), report(3, 0));
    assert_eq!(
        device.state_hash().await.expect("hash"),
        server.state_hash()
    );
    assert_eq!(device.sync().await.expect("idle"), report(0, 0));
}

#[tokio::test]
async fn lost_ops_the_replica_no_longer_holds_are_unrecoverable_and_keep_the_outbox() {
    let server = FakeServer::start(Knobs::default()).await;
    let home = tempfile::tempdir().expect("home");
    let event = EventId::new();
    let (device, _) = forgotten(&server, home.path(), event).await;
    // As a replica that acknowledged ops before it kept them.
    sqlx::query("DELETE FROM sent")
        .execute(&device.store.pool)
        .await
        .expect("deletes");
    device
        .walk_in(event, "Minh", None, false)
        .await
        .expect("walk-in");
    assert!(matches!(device.sync().await, Err(Error::Unrecoverable(_))));
    assert_eq!(device.outbox_len().await.expect("len"), 3);
}

#[tokio::test]
async fn large_outboxes_go_in_batches_and_shrink_on_413() {
    let server = FakeServer::start(Knobs::default()).await;
    let home = tempfile::tempdir().expect("home");
    let device = trainer(home.path(), &server.url, Options::default()).await;
    device
        .simulate(EventId::new(), 400)
        .await
        .expect("simulate");
    assert_eq!(device.sync().await.expect("sync"), report(1200, 0));
    assert_eq!(server.pushes(), 2);

    server.set_knobs(Knobs {
        max_ops: Some(4),
        ..Knobs::default()
    });
    device.simulate(EventId::new(), 5).await.expect("simulate");
    assert_eq!(device.sync().await.expect("sync"), report(15, 0));
    assert_eq!(
        device.state_hash().await.expect("hash"),
        server.state_hash()
    );
}

#[tokio::test]
async fn pulls_page_until_the_server_has_no_more() {
    let server = FakeServer::start(Knobs::default()).await;
    let (home_a, home_b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let a = trainer(home_a.path(), &server.url, Options::default()).await;
    let small_pages = Options {
        pull_limit: 7,
        ..Options::default()
    };
    let b = trainer(home_b.path(), &server.url, small_pages).await;
    let event = EventId::new();
    a.simulate(event, 10).await.expect("simulate");
    a.sync().await.expect("sync a");
    assert_eq!(b.sync().await.expect("sync b"), report(0, 30));
    assert_eq!(b.status().await.expect("status").cursor, "30");
    assert_eq!(b.state_hash().await.expect("hash"), server.state_hash());
    assert_eq!(b.local_attendance(event).await.expect("count"), 10);
}

#[tokio::test]
async fn without_network_sync_fails_and_everything_stays_queued() {
    let unused = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", unused.local_addr().expect("address"));
    drop(unused);
    let home = tempfile::tempdir().expect("home");
    let device = trainer(home.path(), &url, Options::default()).await;
    device
        .walk_in(EventId::new(), "Lan", None, false)
        .await
        .expect("walk-in");
    let hash = device.state_hash().await.expect("hash");
    let error = device.sync().await.expect_err("offline");
    assert!(error.is_offline(), "{error:?}");
    assert_eq!(device.outbox_len().await.expect("len"), 3);
    assert_eq!(device.state_hash().await.expect("hash"), hash);
}

#[tokio::test]
async fn the_key_ring_comes_with_enrolment_and_pulls_and_the_device_clock_with_every_request() {
    let (old, new) = (signing_key(21), signing_key(22));
    let server = FakeServer::start(Knobs {
        ticket_keys: vec![public_key(&old, false)],
        ..Knobs::default()
    })
    .await;
    let home = tempfile::tempdir().expect("home");
    let ahead = Options {
        clock_offset_ms: 7_200_000,
        ..Options::default()
    };
    let device = Device::open_with(home.path(), ahead).await.expect("opens");
    device.enroll(&server.url, "good").await.expect("enrols");
    assert_eq!(device.status().await.expect("status").ticket_keys, 1);

    let event = EventId::new();
    let ticket_of = |key| {
        let ticket = Ticket {
            event,
            registration: RegistrationId::new(),
        };
        issue(ticket, key)
    };
    let scanned = device
        .scan(event, &ticket_of(&old), Some("Lan"))
        .await
        .expect("scan");
    assert_eq!(scanned.status, Verdict::Ok);
    let before = Clock::default().now_ms();
    assert_eq!(device.sync().await.expect("sync"), report(1, 0));
    assert_eq!(
        device.state_hash().await.expect("hash"),
        server.state_hash()
    );
    // One push and one pull, each telling the phone's (skewed) clock.
    let times = server.device_times();
    assert_eq!(times.len(), 2);
    for time in times {
        let skew = time.expect("device time header") - before;
        assert!((7_199_000..7_260_000).contains(&skew), "{skew}");
    }

    // The server rotates its key: the next pull replaces the ring.
    server.set_knobs(Knobs {
        ticket_keys: vec![public_key(&old, true), public_key(&new, false)],
        ..Knobs::default()
    });
    device.sync().await.expect("sync");
    assert_eq!(device.status().await.expect("status").ticket_keys, 2);
    let refused = device
        .scan(event, &ticket_of(&old), None)
        .await
        .expect("scan");
    assert_eq!(refused.status, Verdict::Invalid);
    let admitted = device
        .scan(event, &ticket_of(&new), None)
        .await
        .expect("scan");
    assert_eq!(admitted.status, Verdict::Ok);
}
