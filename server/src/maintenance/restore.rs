//! `sachhon restore`: puts a SQLite backup in place of the database, keeping the replaced
//! file beside it, and begins a new history of the database (`store::begin_new_history`), so
//! that phones neither skip the changes made after the restore nor take the server's new ops
//! for ones they hold. Without a backup file (a PostgreSQL dump restored with `pg_restore`, a
//! file put in place by hand), it begins the new history alone.
//!
//! No server may run on the database meanwhile: on SQLite a server keeps a connection open
//! for its whole life, and leaving WAL mode — which needs every other connection closed —
//! tells; on PostgreSQL no other client may be connected.

use super::{sqlite_options, sync_to_disk};
use crate::store::{begin_new_history, Dialect, NewHistory};
use anyhow::{bail, Context};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyConnection, ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    /// The database restored.
    pub db: String,
    /// The backup put in place, if one was given.
    pub from: Option<String>,
    /// Where the database it replaced was kept, if there was one.
    pub replaced: Option<String>,
    /// The new history.
    #[serde(flatten)]
    pub history: NewHistory,
}

/// Restores `db`: puts the SQLite backup `from` in place (when given), then begins a new
/// history. Refuses while a server uses the database.
pub async fn restore(db: &str, from: Option<&Path>) -> anyhow::Result<Restored> {
    let (from, replaced) = match Dialect::of(db)? {
        Dialect::Sqlite => {
            let target = sqlite_options(db, "restore")?.get_filename().to_path_buf();
            refuse_if_in_use(&target).await?;
            match from {
                Some(from) => (
                    Some(from.display().to_string()),
                    put_in_place(from, &target).await?,
                ),
                None => (None, None),
            }
        }
        Dialect::Postgres => {
            if from.is_some() {
                bail!(
                    "--from puts a SQLite backup in place; restore a PostgreSQL dump with \
                     pg_restore, then run `sachhon restore --db URL` without --from"
                );
            }
            (None, None)
        }
    };
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(db)
        .await
        .with_context(|| format!("opening the database {db}"))?;
    if Dialect::of(db)? == Dialect::Postgres {
        refuse_other_connections(&mut conn).await?;
    }
    let history = begin_new_history(&mut conn)
        .await
        .with_context(|| format!("beginning a new history of {db}"))?;
    conn.close().await?;
    Ok(Restored {
        db: db.to_string(),
        from,
        replaced: replaced.map(|path| path.display().to_string()),
        history,
    })
}

/// Refuses when a connection holds the SQLite database at `path` open: leaving WAL mode
/// needs every other connection closed. (This also folds a write-ahead log left by a crash
/// into the file.)
async fn refuse_if_in_use(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::ZERO)
        .journal_mode(SqliteJournalMode::Delete);
    match options.connect().await {
        Ok(conn) => Ok(conn.close().await?),
        Err(error) => Err(error).with_context(|| {
            format!(
                "{} is in use (is a server running on it?): stop the server first",
                path.display()
            )
        }),
    }
}

/// Refuses when another client is connected to the PostgreSQL database.
async fn refuse_other_connections(conn: &mut AnyConnection) -> anyhow::Result<()> {
    let others: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if others > 0 {
        bail!("{others} other connections use this database: stop every sachhon process first");
    }
    Ok(())
}

/// Checks the backup `from`, then puts a copy of it at `target`; the database it replaces is
/// kept beside it, under a name with the time of the restore, which is returned.
async fn put_in_place(from: &Path, target: &Path) -> anyhow::Result<Option<PathBuf>> {
    check_backup(from).await?;
    let replaced = if target.exists() {
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .context("formatting the time")?;
        let aside = with_suffix(target, &format!(".replaced-{stamp}"));
        std::fs::rename(target, &aside)
            .with_context(|| format!("moving {} aside", target.display()))?;
        Some(aside)
    } else {
        None
    };
    for stale in ["-wal", "-shm"] {
        let stale = with_suffix(target, stale);
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("removing {}", stale.display()))?;
        }
    }
    // Copied beside the target, then renamed: the target is never half a file.
    let partial = with_suffix(target, ".restoring");
    if partial.exists() {
        std::fs::remove_file(&partial)?;
    }
    std::fs::copy(from, &partial)
        .with_context(|| format!("copying {} to {}", from.display(), partial.display()))?;
    sync_to_disk(&partial)?;
    std::fs::rename(&partial, target)
        .with_context(|| format!("moving the copy to {}", target.display()))?;
    sync_to_disk(target)?;
    Ok(replaced)
}

/// Refuses a backup that is not a whole sachhon database: one with a write-ahead log beside
/// it (in use, or not closed cleanly: the file alone lacks what the log holds), one that
/// fails SQLite's check, or one without the server's settings.
async fn check_backup(from: &Path) -> anyhow::Result<()> {
    let shown = from.display();
    if !from.is_file() {
        bail!("{shown} is not a file");
    }
    if with_suffix(from, "-wal").exists() {
        bail!(
            "{shown} has a write-ahead log beside it: it is in use or was not closed cleanly; \
             restore a file made by `sachhon backup`"
        );
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(from)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {shown}"))?;
    let verdict: String = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("checking {shown}"))?;
    if verdict != "ok" {
        bail!("{shown} is damaged: {verdict}");
    }
    // A server makes its settings (its own actor, the history) when it first opens a database.
    let settings: Option<i64> = sqlx::query_scalar("SELECT COUNT(*) FROM settings")
        .fetch_one(&mut conn)
        .await
        .ok();
    conn.close().await?;
    if settings.unwrap_or(0) == 0 {
        bail!("{shown} is not a sachhon database");
    }
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
