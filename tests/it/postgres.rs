//! What only several writers on PostgreSQL can show: a late commit is never skipped by the
//! change feed, and several server processes on one database behave as one server.
//! (SQLite has one writer, so neither interleaving can happen there.)

use anyhow::Context;
use reqwest::StatusCode;
use sachhon_shared::RecordKind;
use sachhon_sync::Device;
use sachhon_tests::process::ServerProcess;
use sachhon_tests::raw::RawDevice;
use sachhon_tests::{AdminClient, Backend, TestServer, ADMIN_TOKEN};
use serde_json::json;
use sqlx::Connection;
use std::collections::HashSet;
use std::time::Duration;

/// A push that began first and commits last must still reach every reader. The interleaving
/// is forced: a row lock held by the test stops the first push in the middle of its
/// transaction (after it applied its first op) while a second push commits and a reader pulls.
/// A feed whose cursors were taken when rows were written, not in commit order, fails here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_commit_is_never_skipped() -> anyhow::Result<()> {
    let server = TestServer::start(Backend::Postgres).await?;
    let admin = server.admin();
    let event = admin.event("Hội thảo", "awareness").await?;
    let mut slow = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let mut fast = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;
    let reader = RawDevice::enroll(&server.url, &admin.device("trainer", None).await?.1).await?;

    let person = uuid::Uuid::now_v7();
    let create = slow.write(
        RecordKind::Person,
        person,
        vec![("name".into(), json!("Cô Ba"))],
    );
    assert_eq!(slow.push(&[create]).await?.0, StatusCode::OK);
    let (mut seen, mut cursor) = reader.pull_after("").await?;

    // Hold the person's document row: the slow push applies its walk-in, then waits for this
    // lock in its last op.
    let mut blocker = sqlx::PgConnection::connect(&server.database.url).await?;
    let mut hold = blocker.begin().await?;
    sqlx::query("SELECT state FROM docs WHERE id = $1 FOR UPDATE")
        .bind(person.to_string())
        .execute(&mut *hold)
        .await?;
    let mut slow_ops = slow.walk_in(&event, "Anh Tư")?;
    slow_ops.push(slow.write(
        RecordKind::Person,
        person,
        vec![("name".into(), json!("Cô Ba Lan"))],
    ));
    let slow_push = tokio::spawn(async move { slow.push(&slow_ops).await });
    wait_for_lock_waiter(&server.database.url).await?;

    // Meanwhile a later push commits, and the reader pulls.
    let fast_ops = fast.walk_in(&event, "Chị Sáu")?;
    assert_eq!(fast.push(&fast_ops).await?.0, StatusCode::OK);
    let (early, next) = reader.pull_after(&cursor).await?;
    seen.extend(early);
    cursor = next;

    // The slow push commits last; the reader must still get every op, exactly once.
    hold.rollback().await?;
    let (status, ack) = slow_push.await??;
    assert_eq!(
        (status, ack["acked_through"].clone()),
        (StatusCode::OK, json!(5))
    );
    let (late, _) = reader.pull_after(&cursor).await?;
    seen.extend(late);
    let ids: Vec<_> = seen.iter().map(|op| (op.actor, op.seq)).collect();
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no op is delivered twice");
    // The event, the first person op, the slow push (4 ops) and the fast push (3 ops).
    assert_eq!(ids.len(), 1 + 1 + 4 + 3, "no op is skipped");
    Ok(())
}

async fn wait_for_lock_waiter(url: &str) -> anyhow::Result<()> {
    let mut watcher = sqlx::PgConnection::connect(url).await?;
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await?;
        if waiting > 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::bail!("the slow push never waited for the lock")
}

const WALK_INS: usize = 3_000;

/// Two `sachhon` processes on one database, two phones pushing concurrently through different
/// processes, a third phone pulling from the second process all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_act_as_one_server() -> anyhow::Result<()> {
    let database = Backend::Postgres.fresh_database().await?;
    let (first, second) = (
        ServerProcess::start(&database.url).await?,
        ServerProcess::start(&database.url).await?,
    );
    let (admin_1, admin_2) = (
        AdminClient::new(&first.url, ADMIN_TOKEN),
        AdminClient::new(&second.url, ADMIN_TOKEN),
    );
    let event = admin_1.event("Hội thảo tỉnh", "awareness").await?;
    let homes = [
        tempfile::tempdir()?,
        tempfile::tempdir()?,
        tempfile::tempdir()?,
    ];
    let mut phones = Vec::new();
    for (home, url) in homes.iter().zip([&first.url, &second.url, &second.url]) {
        let device = Device::open(home.path()).await?;
        device
            .enroll(url, &admin_2.device("trainer", None).await?.1)
            .await?;
        phones.push(device);
    }
    let [a, b, c] = [phones[0].clone(), phones[1].clone(), phones[2].clone()];
    a.simulate(event.parse()?, WALK_INS).await?;
    b.simulate(event.parse()?, WALK_INS).await?;

    let pushes = tokio::spawn(async move {
        let (pushed_a, pushed_b) = tokio::join!(a.sync(), b.sync());
        anyhow::Ok((pushed_a?.pushed, pushed_b?.pushed))
    });
    let mut pulled = 0;
    while !pushes.is_finished() {
        pulled += c.sync().await?.pulled;
    }
    let (pushed_a, pushed_b) = pushes.await??;
    assert_eq!(
        (pushed_a, pushed_b),
        (3 * WALK_INS as u64, 3 * WALK_INS as u64)
    );
    pulled += c.sync().await?.pulled;
    assert_eq!(
        pulled,
        2 * 3 * WALK_INS as u64 + 1,
        "every op once: both phones' and the event's"
    );

    let count_1 = admin_1.attendance(&event).await?["count"].clone();
    let count_2 = admin_2.attendance(&event).await?["count"].clone();
    assert_eq!(count_1, json!(2 * WALK_INS));
    assert_eq!(count_2, count_1);
    assert_eq!(
        c.local_attendance(event.parse()?).await?,
        2 * WALK_INS as u64
    );
    assert_eq!(
        c.state_hash().await?,
        admin_1.state_hash().await?.to_string()
    );
    first.kill().await.context("stopping")?;
    second.kill().await?;
    Ok(())
}
