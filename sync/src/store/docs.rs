//! Document states: reading one, and writing one while keeping the registrations projection
//! that depends on it up to date. Each function runs inside the caller's transaction.

use crate::error::{Error, Result};
use sachhon_shared::records::DocFields;
use sachhon_shared::schema::registration;
use sachhon_shared::{Doc, RecordKind};
use sqlx::sqlite::SqliteConnection;
use uuid::Uuid;

/// A document's state, if the replica holds it.
pub(super) async fn load_doc(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: Uuid,
) -> Result<Option<Doc>> {
    let state: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT state FROM docs WHERE kind = ? AND id = ?")
            .bind(kind.as_str())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    state
        .map(|bytes| {
            Doc::from_bytes(kind, &bytes).map_err(|e| Error::Corrupt(format!("{kind} {id}: {e}")))
        })
        .transpose()
}

impl super::Store {
    /// A document's state, if the replica holds it.
    pub async fn document(&self, kind: RecordKind, id: Uuid) -> Result<Option<Doc>> {
        let mut conn = self.pool.acquire().await?;
        load_doc(&mut conn, kind, id).await
    }
}

/// Drops a record that left this device's view: a document with its projection row, or a
/// scan or annulment fact. Ops of this phone still queued in the outbox stay queued.
pub(super) async fn drop_record(conn: &mut SqliteConnection, id: Uuid) -> Result<()> {
    for sql in [
        "DELETE FROM docs WHERE id = ?",
        "DELETE FROM registrations WHERE id = ?",
        "DELETE FROM scans WHERE id = ?",
        "DELETE FROM annulments WHERE id = ?",
    ] {
        sqlx::query(sql)
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Writes a document state and keeps the projections that depend on it up to date.
pub(super) async fn save_doc(
    conn: &mut SqliteConnection,
    kind: RecordKind,
    id: Uuid,
    doc: &Doc,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO docs (kind, id, state) VALUES (?, ?, ?) \
         ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state",
    )
    .bind(kind.as_str())
    .bind(id.to_string())
    .bind(doc.to_bytes(kind))
    .execute(&mut *conn)
    .await?;
    if kind == RecordKind::Registration {
        if let (Some(event), Some(person)) = (
            doc.id(registration::EVENT_ID),
            doc.id(registration::PERSON_ID),
        ) {
            sqlx::query(
                "INSERT INTO registrations (id, event_id, person_id, revoked) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, \
                 person_id = excluded.person_id, revoked = excluded.revoked",
            )
            .bind(id.to_string())
            .bind(event.to_string())
            .bind(person.to_string())
            .bind(doc.flag(registration::REVOKED))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
