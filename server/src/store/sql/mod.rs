//! The [`Store`](super::Store) on SQL: SQLite by default, PostgreSQL for several processes. One body of
//! SQL serves both through sqlx's `Any` driver; [`Dialect`] holds the few differences.

mod checkin;
mod devices;
mod health;
mod listings;
mod progress;
mod pull;
mod questionnaires;
mod registry;
mod sync;
mod users;

use super::apply::{apply_change, load_doc, seq_to_db, Applied, Writer};
use super::batch::{finish, preload, ApplyContext};
use super::dialect::Dialect;
use super::history::{identity, Identity};
use super::{
    Assignments, Attendance, Attendee, Author, Badge, CheckinStore, DeviceStore, EventRecord,
    FacilityRecord, NewDevice, ProgressStore, Pulled, QuestionnaireStore, RecordEdit,
    RegistrationRecord, RegistryStore, ResponseRow, StoreError, StoreResult, SyncStore,
};
use async_trait::async_trait;
use ed25519_dalek::{SigningKey, VerifyingKey};
use sachhon_shared::authority::{Principal, Role};
use sachhon_shared::hash::StateHasher;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::sequence::plan_push;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire::PushAck;
use sachhon_shared::{
    ActorId, Annulment, Change, DeviceId, Doc, EventId, FacilityId, Op, PersonId, RecordKind,
    RegistrationId, ScanFact, ScanId,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};
use std::str::FromStr;
use tracing::instrument;
use uuid::Uuid;

/// The SQL store.
pub struct SqlStore {
    dialect: Dialect,
    writer: AnyPool,
    reader: AnyPool,
    server_actor: ActorId,
    /// The history id that pull cursors carry (`store::cursor`).
    history: String,
}

impl SqlStore {
    /// Connects, migrates, and makes sure the server's own actor and the history exist.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let dialect = Dialect::of(url)?;
        let (writer, reader) = dialect.pools(url).await?;
        dialect.migrate(&writer).await?;
        let Identity {
            server_actor,
            history,
        } = identity(&writer).await?;
        sqlx::query(
            "INSERT INTO actors (id, enrolled_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(server_actor.to_string())
        .bind(now())
        .execute(&writer)
        .await?;
        Ok(Self {
            dialect,
            writer,
            reader,
            server_actor,
            history,
        })
    }

    /// Reads and locks an actor's last applied sequence number.
    async fn last_seq(&self, conn: &mut AnyConnection, actor: ActorId) -> StoreResult<u64> {
        let sql = format!(
            "SELECT last_seq FROM actors WHERE id = $1{}",
            self.dialect.for_update()
        );
        let last: i64 = sqlx::query_scalar(&sql)
            .bind(actor.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound("actor"))?;
        u64::try_from(last).map_err(|_| StoreError::Corrupt(format!("last_seq {last}")))
    }

    /// The context of a write by the server itself.
    fn server_context<'a>(&self, received_at: &'a str) -> ApplyContext<'a> {
        ApplyContext::new(self.dialect, received_at, false)
    }

    /// An op of the server's own actor.
    fn server_op(
        &self,
        seq: u64,
        kind: RecordKind,
        record: Uuid,
        change: Change,
    ) -> StoreResult<Op> {
        let op = Op {
            actor: self.server_actor,
            seq,
            kind,
            record,
            change,
        };
        op.check().map_err(|e| StoreError::Invalid {
            field: e.field().map(str::to_string),
            message: e.to_string(),
        })?;
        Ok(op)
    }

    /// Applies one fact under the server's actor (whose row `tx` has locked and whose next
    /// sequence number is `seq`), appends it to the feed and commits.
    async fn commit_server_fact(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        seq: u64,
        kind: RecordKind,
        record: Uuid,
        change: Change,
    ) -> StoreResult<()> {
        let op = self.server_op(seq, kind, record, change)?;
        let received_at = now();
        let context = self.server_context(&received_at);
        let scope = apply_change(&mut tx, &context, &op, Writer::Server)
            .await?
            .placed(&op)?;
        finish(&mut tx, &context, &[(&op, scope)]).await?;
        self.set_last_seq(&mut tx, self.server_actor, seq).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the actor's last reported clock is off by more than the tolerance.
    async fn clock_skewed(&self, conn: &mut AnyConnection, actor: ActorId) -> StoreResult<bool> {
        let offset: Option<Option<i64>> =
            sqlx::query_scalar("SELECT clock_offset_ms FROM actors WHERE id = $1")
                .bind(actor.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        Ok(offset
            .flatten()
            .is_some_and(|o| o.unsigned_abs() > crate::store::CLOCK_TOLERANCE_MS.unsigned_abs()))
    }

    async fn set_last_seq(
        &self,
        conn: &mut AnyConnection,
        actor: ActorId,
        seq: u64,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE actors SET last_seq = $1 WHERE id = $2")
            .bind(seq_to_db(seq)?)
            .bind(actor.to_string())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

fn parse<T: FromStr>(text: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(format!("{text:?}: {e}")))
}

/// The current time as an RFC 3339 UTC string.
pub fn now() -> String {
    crate::time::rfc3339(time::OffsetDateTime::now_utc())
}
