//! Backup and restore, end to end on the real binaries: a backup taken in the middle of a large
//! push (`sachhon backup` on SQLite, `pg_dump` on PostgreSQL), the server stopped, the backup
//! restored (`sachhon restore`, after `pg_restore` on PostgreSQL) and the server started on it.
//! The phones then send again what the restore lost — ops still in an outbox, and ops
//! acknowledged after the backup that had left it — each applied once, and pull what they
//! missed although their cursors had passed the restored log's end.

use crate::on_both_backends;
use anyhow::Context;
use reqwest::StatusCode;
use sachhon_shared::wire::EnrollRequest;
use sachhon_tests::process::{binary, device_cli, ServerProcess};
use sachhon_tests::{AdminClient, Backend, ADMIN_TOKEN};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tokio::process::Command;

on_both_backends!(
    a_backup_taken_mid_push_is_restored_and_the_phones_make_up_the_rest,
    backup_and_restore_refuse_what_they_cannot_do,
);

const WALK_INS: u64 = 20_000;

/// Runs `sachhon ARGS…`; returns the exit code, stdout's JSON (or null) and stderr.
async fn sachhon(args: &[&str]) -> anyhow::Result<(i32, Value, String)> {
    let output = Command::new(binary("sachhon")?)
        .args(args)
        .env_remove("SACHHON_DB")
        .output()
        .await?;
    Ok((
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&output.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&output.stderr).to_string(),
    ))
}

/// Runs a program to its end; fails unless it succeeds.
async fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new(program).args(args).output().await?;
    anyhow::ensure!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// The PostgreSQL server's URL and the database's name, from a database URL.
fn postgres_parts(url: &str) -> anyhow::Result<(&str, &str)> {
    url.rsplit_once('/').context("a PostgreSQL URL")
}

/// Backs the database up while the server runs, as docs/deploy.md says.
async fn take_backup(backend: Backend, db: &str, to: &Path) -> anyhow::Result<()> {
    let to = to.to_str().context("UTF-8 path")?;
    match backend {
        Backend::Sqlite => {
            let (code, answer, stderr) = sachhon(&["backup", "--db", db, "--to", to]).await?;
            anyhow::ensure!(code == 0, "backup exited {code}: {stderr}");
            anyhow::ensure!(answer["to"] == to, "{answer}");
            anyhow::ensure!(
                answer["bytes"].as_u64() == Some(std::fs::metadata(to)?.len()),
                "{answer}"
            );
            Ok(())
        }
        Backend::Postgres => run("pg_dump", &["-Fc", "-f", to, db]).await,
    }
}

/// Restores the backup with the server stopped, as docs/deploy.md says; returns what
/// `sachhon restore` printed.
async fn restore(backend: Backend, db: &str, from: &Path) -> anyhow::Result<Value> {
    let from = from.to_str().context("UTF-8 path")?;
    let (code, answer, stderr) = match backend {
        Backend::Sqlite => sachhon(&["restore", "--db", db, "--from", from]).await?,
        Backend::Postgres => {
            let (server, name) = postgres_parts(db)?;
            let postgres = format!("{server}/postgres");
            run(
                "psql",
                &[
                    &postgres,
                    "-c",
                    &format!("DROP DATABASE {name} WITH (FORCE)"),
                ],
            )
            .await?;
            run(
                "psql",
                &[&postgres, "-c", &format!("CREATE DATABASE {name}")],
            )
            .await?;
            run("pg_restore", &["--no-owner", "-d", db, from]).await?;
            sachhon(&["restore", "--db", db]).await?
        }
    };
    anyhow::ensure!(code == 0, "restore exited {code}: {stderr}");
    Ok(answer)
}

async fn count(admin: &AdminClient, event: &str) -> anyhow::Result<u64> {
    admin.attendance(event).await?["count"]
        .as_u64()
        .context("count")
}

async fn enroll_status(url: &str, token: &str) -> anyhow::Result<StatusCode> {
    let response = reqwest::Client::new()
        .post(format!("{url}/api/v1/enroll"))
        .json(&EnrollRequest {
            token: token.to_string(),
        })
        .send()
        .await?;
    Ok(response.status())
}

async fn a_backup_taken_mid_push_is_restored_and_the_phones_make_up_the_rest(
    backend: Backend,
) -> anyhow::Result<()> {
    let database = backend.fresh_database().await?;
    let db = database.url.clone();
    let server = ServerProcess::start(&db).await?;
    let admin = AdminClient::new(&server.url, ADMIN_TOKEN);
    let event = admin.event("Hội thảo lớn", "awareness").await?;
    // Phone A (the device binary) pushes the walk-ins; phone B (the library) syncs after the
    // backup; a third device is registered but not yet enrolled.
    let (_, token_a) = admin.device("trainer", None).await?;
    let (_, token_b) = admin.device("trainer", None).await?;
    let (_, token_c) = admin.device("trainer", None).await?;
    let home_a = tempfile::tempdir()?;
    let a = |args: Vec<String>| {
        let home = home_a.path().to_path_buf();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            device_cli(&home, &args).await
        }
    };
    let strings = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let (code, enrolled) = a(strings(&[
        "enroll",
        "--server",
        &server.url,
        "--token",
        &token_a,
    ]))
    .await?;
    assert_eq!(code, 0, "{enrolled}");
    let walk_ins = WALK_INS.to_string();
    let (code, made) = a(strings(&[
        "simulate",
        "--event",
        &event,
        "--walk-ins",
        &walk_ins,
    ]))
    .await?;
    assert_eq!(code, 0, "{made}");
    let home_b = tempfile::tempdir()?;
    let b = sachhon_sync::Device::open(home_b.path()).await?;
    b.enroll(&server.url, &token_b).await?;

    // The backup starts once the push is under way.
    let syncing = tokio::spawn(a(strings(&["sync"])));
    while count(&admin, &event).await? == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let backups = tempfile::tempdir()?;
    let backup = backups.path().join("sachhon-backup.db");
    take_backup(backend, &db, &backup).await?;
    let (code, synced) = syncing.await??;
    assert_eq!(code, 0, "{synced}");
    assert_eq!(synced["pushed"].as_u64(), Some(3 * WALK_INS), "{synced}");

    // After the backup: B pushes ten walk-ins and pulls everything (its outbox is then empty);
    // A makes five more that wait in its outbox.
    b.simulate(event.parse()?, 10).await?;
    assert_eq!(b.sync().await?.pushed, 30);
    let (code, made) = a(strings(&["simulate", "--event", &event, "--walk-ins", "5"])).await?;
    assert_eq!(code, 0, "{made}");
    assert_eq!(count(&admin, &event).await?, WALK_INS + 10);

    let address = server.address().to_string();
    server.kill().await?;
    let restored = restore(backend, &db, &backup).await?;
    assert!(
        restored["history"].as_str().is_some_and(|h| h.len() == 16),
        "{restored}"
    );
    assert_eq!(
        restored["enrolment_tokens_voided"], 1,
        "C's token: {restored}"
    );
    assert!(
        restored["server_actor"]
            .as_str()
            .is_some_and(|a| a.parse::<uuid::Uuid>().is_ok()),
        "{restored}"
    );
    if backend == Backend::Sqlite {
        let replaced = restored["replaced"].as_str().context("replaced")?;
        assert!(Path::new(replaced).is_file(), "{restored}");
    }
    let server = ServerProcess::start_at(&db, &address).await?;
    let held = count(&admin, &event).await?;
    assert!(
        0 < held && held < WALK_INS,
        "the backup holds part of the push: {held}"
    );
    assert_eq!(
        enroll_status(&server.url, &token_c).await?,
        StatusCode::NOT_FOUND,
        "an enrolment token may have been used after the backup: issue a new one"
    );

    // The server writes under its new actor, and the phones receive it.
    admin.event("Hội thảo sau khôi phục", "training").await?;

    // A's push meets a gap below its outbox: what the server lost goes again, then the five.
    let (code, synced) = a(strings(&["sync"])).await?;
    assert_eq!(code, 0, "{synced}");
    let pushed = synced["pushed"].as_u64().context("pushed")?;
    assert!(pushed > 15 && pushed < 3 * WALK_INS + 15, "{synced}");
    // B has nothing queued: the pull says what the server holds of B's, and B sends it again.
    // Its cursor is of the old history: it pulls from the start, A's five walk-ins included.
    let report = b.sync().await?;
    assert_eq!(report.pushed, 30, "{report:?}");
    let (code, synced) = a(strings(&["sync"])).await?;
    assert_eq!((code, &synced["pushed"]), (0, &Value::from(0)), "{synced}");

    let attendance = admin.attendance(&event).await?;
    assert_eq!(
        attendance["count"].as_u64(),
        Some(WALK_INS + 15),
        "none lost"
    );
    let attendees = attendance["attendees"].as_array().context("attendees")?;
    assert!(attendees.iter().all(|a| a["scans"] == 1), "none doubled");
    let hash = admin.state_hash().await?;
    let (code, a_hash) = a(strings(&["state-hash"])).await?;
    assert_eq!(code, 0);
    assert_eq!(
        a_hash["state_hash"].as_str(),
        Some(hash.as_str()),
        "phone A"
    );
    assert_eq!(b.state_hash().await?, hash, "phone B");
    server.kill().await?;
    Ok(())
}

async fn backup_and_restore_refuse_what_they_cannot_do(backend: Backend) -> anyhow::Result<()> {
    let server = sachhon_tests::TestServer::start(backend).await?;
    let db = server.database.url.clone();
    let dir = tempfile::tempdir()?;
    let backup = dir.path().join("backup.db");
    let backup_path = backup.to_str().context("UTF-8 path")?;
    match backend {
        Backend::Sqlite => {
            take_backup(backend, &db, &backup).await?;
            let size = std::fs::metadata(&backup)?.len();
            let (code, _, stderr) = sachhon(&["backup", "--db", &db, "--to", backup_path]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("never replaces"), "{stderr}");
            assert_eq!(std::fs::metadata(&backup)?.len(), size, "left as it was");

            let (code, _, stderr) =
                sachhon(&["restore", "--db", &db, "--from", backup_path]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("stop the server first"), "{stderr}");

            let missing = format!("sqlite://{}", dir.path().join("missing.db").display());
            let elsewhere = dir.path().join("elsewhere.db");
            let elsewhere = elsewhere.to_str().context("UTF-8 path")?;
            let (code, _, stderr) =
                sachhon(&["backup", "--db", &missing, "--to", elsewhere]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(!Path::new(elsewhere).exists(), "no file left behind");

            let garbage = dir.path().join("garbage.db");
            std::fs::write(&garbage, b"not a database")?;
            let garbage = garbage.to_str().context("UTF-8 path")?;
            let (code, _, stderr) =
                sachhon(&["restore", "--db", &missing, "--from", garbage]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(
                !dir.path().join("missing.db").exists(),
                "nothing put in place"
            );
        }
        Backend::Postgres => {
            let (code, _, stderr) = sachhon(&["backup", "--db", &db, "--to", backup_path]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("pg_dump"), "{stderr}");
            assert!(!backup.exists(), "no file pretending to be a backup");

            let (code, _, stderr) =
                sachhon(&["restore", "--db", &db, "--from", backup_path]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("pg_restore"), "{stderr}");

            let (code, _, stderr) = sachhon(&["restore", "--db", &db]).await?;
            assert_eq!(code, 1, "{stderr}");
            assert!(stderr.contains("stop every sachhon process"), "{stderr}");
        }
    }
    Ok(())
}
