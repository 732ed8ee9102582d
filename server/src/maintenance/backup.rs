//! `sachhon backup`: a consistent copy of a SQLite database while the server runs.
//!
//! `VACUUM INTO` on a read-only connection reads one snapshot of the database — WAL mode lets
//! the server go on writing meanwhile — and writes it, compacted, into a new file: every
//! transaction committed before the snapshot is in the copy, none after, so an op is either
//! there with its document states and projections or not at all. The copy is a plain SQLite
//! file (no write-ahead log beside it).

use super::{sqlite_options, sync_to_disk};
use anyhow::Context;
use serde::Serialize;
use sqlx::{ConnectOptions, Connection};
use std::fs::OpenOptions;
use std::path::Path;
use std::time::Duration;

/// A backup made: where, and its size.
#[derive(Debug, Clone, Serialize)]
pub struct Backup {
    /// The file written.
    pub to: String,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Copies the SQLite database `db` into the new file `to`, which must not exist. Refuses a
/// PostgreSQL database, saying to use `pg_dump`.
pub async fn backup(db: &str, to: &Path) -> anyhow::Result<Backup> {
    let options = sqlite_options(db, "backup")?
        .read_only(true)
        .busy_timeout(Duration::from_secs(30));
    let target = to
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", to.display()))?;
    // Made here, empty (which VACUUM INTO accepts), so that no existing file is overwritten,
    // even one that appears between a check and the copy.
    match OpenOptions::new().write(true).create_new(true).open(to) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!("{target} exists: a backup never replaces an existing file")
        }
        Err(e) => return Err(e).with_context(|| format!("creating {target}")),
    }
    let copied = async {
        let mut conn = options
            .connect()
            .await
            .with_context(|| format!("opening the database {db}"))?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&mut conn)
            .await
            .with_context(|| format!("copying {db} into {target}"))?;
        conn.close().await?;
        sync_to_disk(to)
    }
    .await;
    if let Err(error) = copied {
        let _ = std::fs::remove_file(to);
        return Err(error);
    }
    Ok(Backup {
        to: target.to_string(),
        bytes: std::fs::metadata(to)?.len(),
    })
}
