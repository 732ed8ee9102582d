//! Maintenance commands of the `sachhon` binary: `backup` (a consistent copy of a SQLite
//! database while the server runs) and `restore` (a backup put back in place, beginning a new
//! history of the database). docs/deploy.md tells what a restore recovers and what it cannot.

mod backup;
mod restore;

pub use backup::{backup, Backup};
pub use restore::{restore, Restored};

use crate::store::Dialect;
use anyhow::Context;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::Path;
use std::str::FromStr;

/// What to do instead on PostgreSQL, where the database server keeps the data.
const POSTGRES_BACKUP: &str = "back up PostgreSQL with pg_dump (e.g. `pg_dump -Fc -f \
    sachhon.dump URL`); to restore, stop every sachhon process, pg_restore the dump into an \
    empty database and run `sachhon restore --db URL` (docs/deploy.md)";

/// The connection options of a SQLite database URL, or an error saying what to do on
/// PostgreSQL instead of `command`.
fn sqlite_options(db: &str, command: &str) -> anyhow::Result<SqliteConnectOptions> {
    if Dialect::of(db)? == Dialect::Postgres {
        anyhow::bail!("`sachhon {command}` copies SQLite files only: {POSTGRES_BACKUP}");
    }
    SqliteConnectOptions::from_str(db).with_context(|| format!("reading the database URL {db}"))
}

/// Flushes a file and the directory entry that names it to disk.
fn sync_to_disk(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)?.sync_all()?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        // Directories cannot be opened for syncing everywhere (Windows); there, the file's
        // own sync is what we have.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}
