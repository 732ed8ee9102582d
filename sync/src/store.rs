//! The local replica in SQLite: opening it, and the module map of what it holds. The
//! enrolment and its sequence numbers (`enrolment`), the outbox of local ops and its
//! acknowledgement (`outbox`), pulled pages (`pull`), document states and the registrations
//! projection (`docs`), local actions (`local`), response documents as read back
//! (`response`), scan and annulment facts with the ticket key ring (`facts`), published
//! questionnaires and the server's rejections (`questionnaires`).
//!
//! Every public method is one transaction, so a crash leaves either all of an action or none
//! of it. Writers begin with `BEGIN IMMEDIATE`: a read-then-write transaction must not lose
//! its snapshot to another writer half way (SQLite would fail it instead of waiting).

mod docs;
mod enrolment;
mod facts;
mod local;
mod outbox;
mod pull;
mod questionnaires;
mod response;

use crate::error::{Error, Result};
pub(crate) use local::LocalTx;
pub(crate) use response::{response_version, StoredResponse};
use sachhon_shared::hash::StateHasher;
use sachhon_shared::{Doc, EventId, RecordKind};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The database file inside a device home.
pub const DB_FILE: &str = "replica.db";

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The local replica: a pool over `<home>/replica.db`. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the replica in `home` and brings its schema up to date.
    pub async fn open(home: &Path) -> Result<Self> {
        std::fs::create_dir_all(home)?;
        let options = SqliteConnectOptions::new()
            .filename(home.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The canonical hash of every document, scan, annulment and publication held.
    pub async fn state_hash(&self) -> Result<String> {
        let mut tx = self.pool.begin().await?;
        let mut hasher = StateHasher::new();
        let docs = sqlx::query("SELECT kind, id, state FROM docs")
            .fetch_all(&mut *tx)
            .await?;
        for row in docs {
            let kind: String = row.try_get("kind")?;
            let kind = RecordKind::from_str(&kind).map_err(Error::Corrupt)?;
            let id = parse_uuid(&row.try_get::<String, _>("id")?)?;
            let state: Vec<u8> = row.try_get("state")?;
            let doc = Doc::from_bytes(kind, &state).map_err(|e| Error::Corrupt(e.to_string()))?;
            hasher.add_doc(kind, id, &doc);
        }
        let scans = facts::scans(&mut tx).await?;
        let annulments = facts::annulments(&mut tx).await?;
        let publications = questionnaires::publications(&mut tx).await?;
        tx.commit().await?;
        for (id, fact) in &scans {
            hasher.add_scan(*id, fact);
        }
        for (id, annulment) in &annulments {
            hasher.add_annulment(*id, annulment);
        }
        for (id, publication) in &publications {
            hasher.add_publication(*id, publication);
        }
        Ok(hasher.finish())
    }

    /// How many distinct people this replica has seen scanned into `event` by scans that
    /// were not annulled.
    pub async fn attendance(&self, event: EventId) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        facts::attendance(&mut conn, event).await
    }

    /// How many ticket keys the ring holds, retired ones included.
    pub async fn ticket_key_count(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        facts::count_ticket_keys(&mut conn).await
    }
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| Error::Corrupt(format!("id {text:?}: {e}")))
}

fn to_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Corrupt(format!("sequence number {seq} too large")))
}
