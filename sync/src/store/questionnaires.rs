//! The replica's questionnaires and what the server said of this phone's answers: published
//! questionnaire versions (immutable facts, kept exactly as received) and the server's
//! rejections of single ops. Each function runs inside the caller's transaction.

use super::{parse_uuid, to_i64};
use crate::error::{Error, Result};
use crate::responses::RejectedOp;
use sachhon_shared::wire::{self, Rejection};
use sachhon_shared::{Publication, QuestionnaireId};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;
use uuid::Uuid;

/// Stores a pulled publication; one already held (by record id) is left as it is.
pub(crate) async fn insert_publication(
    conn: &mut SqliteConnection,
    id: Uuid,
    publication: &Publication,
) -> Result<()> {
    let definition = serde_json::to_string(&publication.definition)
        .map_err(|e| Error::Protocol(format!("questionnaire {id}: {e}")))?;
    sqlx::query(
        "INSERT OR IGNORE INTO questionnaires \
         (record_id, questionnaire_id, version, definition, publication) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(publication.questionnaire.to_string())
    .bind(i64::from(publication.version))
    .bind(definition)
    .bind(wire::to_cbor(publication))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every publication held, by record id, decoded from the CBOR it arrived as.
pub(crate) async fn publications(conn: &mut SqliteConnection) -> Result<Vec<(Uuid, Publication)>> {
    let rows = sqlx::query("SELECT record_id, publication FROM questionnaires")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            let id = parse_uuid(&row.try_get::<String, _>("record_id")?)?;
            Ok((id, decode_publication(row)?))
        })
        .collect()
}

/// The newest version of `questionnaire` this replica holds.
pub(crate) async fn newest_publication(
    conn: &mut SqliteConnection,
    questionnaire: QuestionnaireId,
) -> Result<Option<Publication>> {
    let row = sqlx::query(
        "SELECT publication FROM questionnaires WHERE questionnaire_id = ? \
         ORDER BY version DESC LIMIT 1",
    )
    .bind(questionnaire.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decode_publication).transpose()
}

/// Version `version` of `questionnaire`, if this replica holds it.
pub(crate) async fn publication(
    conn: &mut SqliteConnection,
    questionnaire: QuestionnaireId,
    version: u64,
) -> Result<Option<Publication>> {
    let row = sqlx::query(
        "SELECT publication FROM questionnaires WHERE questionnaire_id = ? AND version = ?",
    )
    .bind(questionnaire.to_string())
    .bind(to_i64(version)?)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(decode_publication).transpose()
}

fn decode_publication(row: &SqliteRow) -> Result<Publication> {
    let bytes: Vec<u8> = row.try_get("publication")?;
    wire::from_cbor(&bytes).map_err(|e| Error::Corrupt(format!("stored questionnaire: {e}")))
}

/// Records the server's rejections of outbox ops; one recorded before (same seq) is kept.
/// A rejection that names an outbox seq holding another op is a protocol error. Returns how
/// many were new.
pub(crate) async fn insert_rejections(
    conn: &mut SqliteConnection,
    rejected: &[Rejection],
    received_at_ms: i64,
) -> Result<u64> {
    let mut new = 0;
    for rejection in rejected {
        check_against_outbox(conn, rejection).await?;
        let result = sqlx::query(
            "INSERT OR IGNORE INTO rejections \
             (seq, record_id, field, message, received_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(to_i64(rejection.seq)?)
        .bind(rejection.record.to_string())
        .bind(&rejection.field)
        .bind(&rejection.message)
        .bind(received_at_ms)
        .execute(&mut *conn)
        .await?;
        new += result.rows_affected();
    }
    Ok(new)
}

/// Refuses a rejection whose seq is in the outbox under another op or another record.
async fn check_against_outbox(conn: &mut SqliteConnection, rejection: &Rejection) -> Result<()> {
    let bytes: Option<Vec<u8>> = sqlx::query_scalar("SELECT op FROM outbox WHERE seq = ?")
        .bind(to_i64(rejection.seq)?)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(bytes) = bytes else {
        return Ok(());
    };
    let op = super::outbox::read_outbox_op(to_i64(rejection.seq)?, &bytes)?;
    if op.record != rejection.record {
        return Err(Error::Protocol(format!(
            "the server rejects op {} of record {} but this device's op {} is of {}",
            rejection.seq, rejection.record, op.seq, op.record
        )));
    }
    Ok(())
}

/// The recorded rejections of ops on `record`, by seq.
pub(crate) async fn rejections_of(
    conn: &mut SqliteConnection,
    record: Uuid,
) -> Result<Vec<RejectedOp>> {
    let rows =
        sqlx::query("SELECT seq, field, message FROM rejections WHERE record_id = ? ORDER BY seq")
            .bind(record.to_string())
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("seq")?;
            Ok(RejectedOp {
                seq: u64::try_from(seq).map_err(|_| Error::Corrupt(format!("seq {seq}")))?,
                field: row.try_get("field")?,
                message: row.try_get("message")?,
            })
        })
        .collect()
}
