//! The outbox of local ops: its length, its head for a push, and moving what the server
//! acknowledged to the sent log together with recording what it refused; and putting sent ops
//! back in the outbox when the server lost them (a restore from a backup).

use super::enrolment::read_enrolled;
use super::{questionnaires, to_i64, Store, BEGIN_WRITE};
use crate::error::{Error, Result};
use sachhon_shared::wire::{self, Rejection};
use sachhon_shared::Op;
use sqlx::sqlite::SqliteConnection;
use sqlx::Row;

impl Store {
    /// How many local ops wait for an acknowledgement.
    pub async fn outbox_len(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        count_outbox(&mut conn).await
    }

    /// The first `limit` ops of the outbox, ascending by seq, and the seq the next local op
    /// will take — read together, so they agree.
    pub async fn outbox_head(&self, limit: usize) -> Result<(Vec<Op>, u64)> {
        let mut tx = self.pool.begin().await?;
        let enrolled = read_enrolled(&mut tx).await?.ok_or(Error::NotEnrolled)?;
        let rows = sqlx::query("SELECT seq, op FROM outbox ORDER BY seq LIMIT ?")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut ops = Vec::with_capacity(rows.len());
        for row in rows {
            let seq: i64 = row.try_get("seq")?;
            let bytes: Vec<u8> = row.try_get("op")?;
            let op = read_outbox_op(seq, &bytes)?;
            if i64::try_from(op.seq).ok() != Some(seq) {
                return Err(Error::Corrupt(format!(
                    "outbox row {seq} holds op seq {}",
                    op.seq
                )));
            }
            ops.push(op);
        }
        Ok((ops, enrolled.next_seq))
    }

    /// Moves the outbox ops up to and including `seq` (the server holds them durably) to the
    /// sent log and records the server's `rejected` ops, in one transaction: an op the server
    /// refused leaves the outbox only with its rejection kept. `received_at_ms` is the
    /// device's clock.
    pub async fn acknowledge(
        &self,
        seq: u64,
        rejected: &[Rejection],
        received_at_ms: i64,
    ) -> Result<Acknowledged> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let rejected = questionnaires::insert_rejections(&mut tx, rejected, received_at_ms).await?;
        sqlx::query(
            "INSERT OR REPLACE INTO sent (seq, op) SELECT seq, op FROM outbox WHERE seq <= ?",
        )
        .bind(to_i64(seq)?)
        .execute(&mut *tx)
        .await?;
        let dropped = sqlx::query("DELETE FROM outbox WHERE seq <= ?")
            .bind(to_i64(seq)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Acknowledged { dropped, rejected })
    }

    /// Puts the sent ops from `from` on back in the outbox, to be pushed again: the server
    /// holds this actor's ops only up to `from - 1`. Refused, changing nothing, when the sent
    /// log lacks one of them (acknowledged before this replica kept sent ops): they cannot
    /// be sent again. Returns how many ops went back.
    pub async fn requeue(&self, from: u64) -> Result<u64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let enrolled = read_enrolled(&mut tx).await?.ok_or(Error::NotEnrolled)?;
        let head: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM outbox")
            .fetch_one(&mut *tx)
            .await?;
        let through = head.map_or(to_i64(enrolled.next_seq)?, |seq| seq) - 1;
        let from = to_i64(from)?;
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sent WHERE seq BETWEEN ? AND ?")
            .bind(from)
            .bind(through)
            .fetch_one(&mut *tx)
            .await?;
        if held != (through - from + 1).max(0) {
            return Err(Error::Unrecoverable(format!(
                "the server holds this device's ops only up to {} but it acknowledged them up \
                 to {through}; this replica no longer has {} of the {} ops in between, so they \
                 cannot be sent again",
                from - 1,
                through - from + 1 - held,
                through - from + 1
            )));
        }
        sqlx::query(
            "INSERT INTO outbox (seq, op) SELECT seq, op FROM sent WHERE seq BETWEEN ? AND ?",
        )
        .bind(from)
        .bind(through)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sent WHERE seq >= ?")
            .bind(from)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(u64::try_from(held).unwrap_or(0))
    }
}

/// What an acknowledgement changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Acknowledged {
    /// Ops dropped from the outbox.
    pub dropped: u64,
    /// Rejections newly recorded.
    pub rejected: u64,
}

/// An outbox row's op: a segment of one op, as [`wire::encode_segment`] wrote it.
pub(super) fn read_outbox_op(seq: i64, bytes: &[u8]) -> Result<Op> {
    wire::decode_segment(bytes)
        .map_err(|e| Error::Corrupt(format!("outbox op {seq}: {e}")))?
        .pop()
        .ok_or_else(|| Error::Corrupt(format!("outbox row {seq} holds no op")))
}

/// How many ops the outbox holds.
pub(super) async fn count_outbox(conn: &mut SqliteConnection) -> Result<u64> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}
