//! The history of a database: the server's own actor and the id that every pull cursor
//! carries, both kept in `settings`.
//!
//! A database restored from a backup begins a new history ([`begin_new_history`]). Without
//! it, the restored op log would hand out again row numbers that phones' cursors have passed
//! (they would skip those changes for good), and the server would write its own ops again
//! under sequence numbers that phones already hold for other changes (they would ignore them).
//! With a new history id, a cursor of the old history sends its phone back to the start of
//! the log; with a new actor, the server's new ops have dots no one has seen.

use super::{StoreError, StoreResult};
use data_encoding::HEXLOWER;
use sachhon_shared::ActorId;
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Connection};

/// The `settings` key of the server's own actor.
const SERVER_ACTOR_KEY: &str = "server_actor";
/// The `settings` key of the history id that pull cursors carry.
const HISTORY_KEY: &str = "history";

/// Who the server is in this history.
pub(crate) struct Identity {
    /// The actor of the server's own writes.
    pub server_actor: ActorId,
    /// The id that every pull cursor carries.
    pub history: String,
}

/// Reads this database's identity, making it first when the database is new. Several
/// processes may start at once: the first insert wins, all read it back.
pub(crate) async fn identity(pool: &AnyPool) -> StoreResult<Identity> {
    for (key, candidate) in [
        (SERVER_ACTOR_KEY, ActorId::new().to_string()),
        (HISTORY_KEY, new_history_id()),
    ] {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(candidate)
        .execute(pool)
        .await?;
    }
    let read = |key: &'static str| async move {
        sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await
    };
    let actor = read(SERVER_ACTOR_KEY).await?;
    Ok(Identity {
        server_actor: actor
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("server actor {actor:?}: {e}")))?,
        history: read(HISTORY_KEY).await?,
    })
}

/// What beginning a new history changed.
#[derive(Debug, Clone, Serialize)]
pub struct NewHistory {
    /// The new history id (pull cursors of earlier ones start from the beginning).
    pub history: String,
    /// The server's new actor.
    pub server_actor: ActorId,
    /// Enrolment tokens not yet used that stopped working: they may have been used after the
    /// backup was taken, so new ones must be issued.
    pub enrolment_tokens_voided: u64,
}

/// Begins a new history of the database behind `conn`, in one transaction: a new history id,
/// a new actor for the server's own writes (its row is made when a server opens the
/// database) and no pending enrolment token. No server may be running on the database.
pub async fn begin_new_history(conn: &mut AnyConnection) -> StoreResult<NewHistory> {
    let history = NewHistory {
        history: new_history_id(),
        server_actor: ActorId::new(),
        enrolment_tokens_voided: 0,
    };
    let mut tx = conn.begin().await?;
    for (key, value) in [
        (SERVER_ACTOR_KEY, history.server_actor.to_string()),
        (HISTORY_KEY, history.history.clone()),
    ] {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
    }
    let voided = sqlx::query("DELETE FROM enrolment_tokens WHERE used_at IS NULL")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(NewHistory {
        enrolment_tokens_voided: voided,
        ..history
    })
}

/// A new history id: 16 random hex digits.
fn new_history_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    HEXLOWER.encode(&bytes)
}
