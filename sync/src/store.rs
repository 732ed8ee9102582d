//! The local replica in SQLite: the enrolment, document states, scan and annulment facts
//! (`facts`), published questionnaires and the server's rejections (`questionnaires`), the
//! ticket key ring, the registrations projection and the outbox of local ops.
//!
//! Every public method is one transaction, so a crash leaves either all of an action or none
//! of it. Writers begin with `BEGIN IMMEDIATE`: a read-then-write transaction must not lose
//! its snapshot to another writer half way (SQLite would fail it instead of waiting).

mod facts;
mod questionnaires;

use crate::error::{Error, Result};
use crate::responses::RejectedOp;
use facts::Origin;
pub(crate) use facts::{KnownRegistration, KnownScan};
use sachhon_shared::authority::{Principal, Role, Scope};
use sachhon_shared::doc::FieldValue;
use sachhon_shared::hash::StateHasher;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::records::{self, DocFields};
use sachhon_shared::replica::apply_fields;
use sachhon_shared::ticket::TicketKey;
use sachhon_shared::wire::{self, Enrolment, Rejection};
use sachhon_shared::{
    ActorId, Annulment, Change, DeviceId, Doc, EventId, FacilityId, Op, OpId, PersonId,
    Publication, QuestionnaireId, RecordKind, RegistrationId, ResponseId, ScanFact, ScanId,
};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
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

/// The enrolment row of this device.
#[derive(Clone)]
pub(crate) struct Enrolled {
    pub server_url: String,
    pub device_id: DeviceId,
    pub actor_id: ActorId,
    pub access_token: String,
    pub role: Role,
    pub facility_id: Option<FacilityId>,
    pub next_seq: u64,
    pub cursor: String,
}

// The access token is a secret: never in Debug output.
impl fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolled")
            .field("server_url", &self.server_url)
            .field("device_id", &self.device_id)
            .field("actor_id", &self.actor_id)
            .field("access_token", &"<redacted>")
            .field("role", &self.role)
            .field("facility_id", &self.facility_id)
            .field("next_seq", &self.next_seq)
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl Enrolled {
    /// This device as the authority rules see it.
    pub fn principal(&self) -> Principal {
        Principal {
            role: self.role,
            facility: self.facility_id,
        }
    }
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

    /// The enrolment, if any.
    pub async fn enrolled(&self) -> Result<Option<Enrolled>> {
        let mut conn = self.pool.acquire().await?;
        read_enrolled(&mut conn).await
    }

    /// The enrolment, or [`Error::NotEnrolled`].
    pub async fn require_enrolled(&self) -> Result<Enrolled> {
        self.enrolled().await?.ok_or(Error::NotEnrolled)
    }

    /// Records a new enrolment: a new actor whose ops start at 1, a pull from the beginning
    /// (the new role may see other records) and the enrolment's ticket key ring. Refused while
    /// the outbox holds ops of the previous actor: they would never be sent.
    pub async fn install(&self, server_url: &str, enrolment: &Enrolment) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let outbox = count_outbox(&mut tx).await?;
        if outbox > 0 {
            return Err(Error::PendingOps { outbox });
        }
        sqlx::query(
            "INSERT OR REPLACE INTO device \
             (id, server_url, device_id, actor_id, access_token, role, facility_id, next_seq, cursor) \
             VALUES (1, ?, ?, ?, ?, ?, ?, 1, '')",
        )
        .bind(server_url)
        .bind(enrolment.device_id.to_string())
        .bind(enrolment.actor_id.to_string())
        .bind(&enrolment.access_token)
        .bind(enrolment.role.as_str())
        .bind(enrolment.facility_id.map(|id| id.to_string()))
        .execute(&mut *tx)
        .await?;
        facts::replace_ticket_keys(&mut tx, &enrolment.ticket_keys).await?;
        tx.commit().await?;
        Ok(())
    }

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
            let op: Op = wire::from_cbor(&bytes)
                .map_err(|e| Error::Corrupt(format!("outbox op {seq}: {e}")))?;
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

    /// Drops the outbox ops up to and including `seq` (the server holds them durably) and
    /// records the server's `rejected` ops, in one transaction: an op the server refused
    /// leaves the outbox only with its rejection kept. `received_at_ms` is the device's clock.
    pub async fn acknowledge(
        &self,
        seq: u64,
        rejected: &[Rejection],
        received_at_ms: i64,
    ) -> Result<Acknowledged> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let rejected = questionnaires::insert_rejections(&mut tx, rejected, received_at_ms).await?;
        let dropped = sqlx::query("DELETE FROM outbox WHERE seq <= ?")
            .bind(to_i64(seq)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Acknowledged { dropped, rejected })
    }

    /// Applies one pulled page and moves the cursor to `next`, in one transaction; a
    /// non-empty `ticket_keys` replaces the key ring. Idempotent: an op applied before
    /// changes nothing.
    pub async fn apply_page(
        &self,
        ops: &[Op],
        next: &str,
        ticket_keys: &[TicketKey],
    ) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        // Load each document once per page, apply every op for it, write it once.
        let mut docs: HashMap<(RecordKind, Uuid), Doc> = HashMap::new();
        for op in ops {
            match &op.change {
                Change::Scan(fact) => {
                    facts::insert_scan(&mut tx, op.record, fact, op.actor, Origin::Pulled).await?;
                }
                Change::Annul(annulment) => {
                    facts::insert_annulment(
                        &mut tx,
                        op.record,
                        annulment,
                        op.actor,
                        Origin::Pulled,
                    )
                    .await?;
                }
                Change::Publish(publication) => {
                    questionnaires::insert_publication(&mut tx, op.record, publication).await?;
                }
                change @ Change::Fields(_) => {
                    let doc = match docs.entry((op.kind, op.record)) {
                        Entry::Occupied(entry) => entry.into_mut(),
                        Entry::Vacant(entry) => {
                            let doc = load_doc(&mut tx, op.kind, op.record).await?;
                            entry.insert(doc.unwrap_or_default())
                        }
                    };
                    apply_fields(doc, change);
                }
            }
        }
        for ((kind, id), doc) in &docs {
            save_doc(&mut tx, *kind, *id, doc).await?;
        }
        if !ticket_keys.is_empty() {
            facts::replace_ticket_keys(&mut tx, ticket_keys).await?;
        }
        let updated = sqlx::query("UPDATE device SET cursor = ? WHERE id = 1")
            .bind(next)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Err(Error::NotEnrolled);
        }
        tx.commit().await?;
        Ok(())
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
            let doc = Doc::from_bytes(&state).map_err(|e| Error::Corrupt(e.to_string()))?;
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

    /// A response document with the questionnaire version it was started on (when held) and
    /// the server's rejections of this phone's ops on it; `None` when the replica does not
    /// hold the response.
    pub async fn response(&self, id: ResponseId) -> Result<Option<StoredResponse>> {
        let mut tx = self.pool.begin().await?;
        let Some(doc) = load_doc(&mut tx, RecordKind::Response, id.0)
            .await?
            .filter(|doc| !doc.is_empty())
        else {
            return Ok(None);
        };
        let publication = match response_version(&doc) {
            Some((questionnaire, version)) => {
                questionnaires::publication(&mut tx, questionnaire, version).await?
            }
            None => None,
        };
        let rejected = questionnaires::rejections_of(&mut tx, id.0).await?;
        tx.commit().await?;
        Ok(Some(StoredResponse {
            doc,
            publication,
            rejected,
        }))
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

    /// Begins a local action: one write transaction that derives ops as this device's actor.
    pub async fn begin_local(&self) -> Result<LocalTx> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let enrolled = read_enrolled(&mut tx).await?.ok_or(Error::NotEnrolled)?;
        Ok(LocalTx { tx, enrolled })
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

/// A response as the replica holds it.
#[derive(Clone, Debug)]
pub(crate) struct StoredResponse {
    /// The merged document.
    pub doc: Doc,
    /// The questionnaire version it was started on, when the replica holds it.
    pub publication: Option<Publication>,
    /// The server's rejections of this phone's ops on it.
    pub rejected: Vec<RejectedOp>,
}

/// One local action in progress: edits are applied to the replica and queued in the outbox
/// with consecutive sequence numbers; nothing is visible until [`LocalTx::commit`].
pub(crate) struct LocalTx {
    tx: Transaction<'static, Sqlite>,
    enrolled: Enrolled,
}

impl LocalTx {
    /// This device as the authority rules see it.
    pub fn principal(&self) -> Principal {
        self.enrolled.principal()
    }

    /// Writes fields of a document (created if new), one op per field, each derived from the
    /// state holding the previous one, and queues them as one op.
    pub async fn set_fields(
        &mut self,
        kind: RecordKind,
        id: Uuid,
        fields: Vec<(&str, FieldValue)>,
    ) -> Result<()> {
        for (key, value) in &fields {
            records::check_field(kind, key, value).map_err(|e| Error::Invalid(e.to_string()))?;
        }
        let mut doc = load_doc(&mut self.tx, kind, id).await?.unwrap_or_default();
        let ops = doc.set_all(self.enrolled.actor_id, fields);
        save_doc(&mut self.tx, kind, id, &doc).await?;
        self.enqueue(kind, id, Change::Fields(ops)).await
    }

    /// Records a new scan fact and queues it.
    pub async fn add_scan(&mut self, id: Uuid, fact: ScanFact) -> Result<()> {
        let actor = self.enrolled.actor_id;
        facts::insert_scan(&mut self.tx, id, &fact, actor, Origin::Local).await?;
        self.enqueue(RecordKind::Scan, id, Change::Scan(fact)).await
    }

    /// Records a new annulment fact and queues it.
    pub async fn add_annulment(&mut self, id: Uuid, annulment: Annulment) -> Result<()> {
        let actor = self.enrolled.actor_id;
        facts::insert_annulment(&mut self.tx, id, &annulment, actor, Origin::Local).await?;
        self.enqueue(RecordKind::Annulment, id, Change::Annul(annulment))
            .await
    }

    /// The ticket key ring.
    pub async fn ticket_keys(&mut self) -> Result<Vec<TicketKey>> {
        facts::ticket_keys(&mut self.tx).await
    }

    /// What the replica knows of a registration.
    pub async fn registration(&mut self, id: RegistrationId) -> Result<Option<KnownRegistration>> {
        facts::registration(&mut self.tx, id).await
    }

    /// Whether a scan that still counts admitted `registration` or `person` to `event`.
    pub async fn already_scanned(
        &mut self,
        event: EventId,
        registration: RegistrationId,
        person: Option<PersonId>,
    ) -> Result<bool> {
        facts::already_scanned(&mut self.tx, event, registration, person).await
    }

    /// What the replica knows of a scan.
    pub async fn scan(&mut self, id: ScanId) -> Result<Option<KnownScan>> {
        facts::scan(&mut self.tx, id).await
    }

    /// A document, if the replica holds it.
    pub async fn doc(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<Doc>> {
        load_doc(&mut self.tx, kind, id).await
    }

    /// The newest version of `questionnaire` this replica holds.
    pub async fn newest_publication(
        &mut self,
        questionnaire: QuestionnaireId,
    ) -> Result<Option<Publication>> {
        questionnaires::newest_publication(&mut self.tx, questionnaire).await
    }

    /// Version `version` of `questionnaire`, if this replica holds it.
    pub async fn publication(
        &mut self,
        questionnaire: QuestionnaireId,
        version: u64,
    ) -> Result<Option<Publication>> {
        questionnaires::publication(&mut self.tx, questionnaire, version).await
    }

    /// The scope of records about `person`: their facility's when the replica knows it,
    /// otherwise programme staff's.
    pub async fn person_scope(&mut self, person: Option<PersonId>) -> Result<Scope> {
        let Some(person) = person else {
            return Ok(Scope::Staff);
        };
        let doc = load_doc(&mut self.tx, RecordKind::Person, person.0).await?;
        Ok(doc
            .and_then(|doc| doc.id("facility_id"))
            .map_or(Scope::Staff, |id| Scope::Facility(id.into())))
    }

    async fn enqueue(&mut self, kind: RecordKind, record: Uuid, change: Change) -> Result<()> {
        let op = Op {
            id: OpId::new(),
            actor: self.enrolled.actor_id,
            seq: self.enrolled.next_seq,
            kind,
            record,
            change,
        };
        op.check().map_err(|e| Error::Invalid(e.to_string()))?;
        sqlx::query("INSERT INTO outbox (seq, op) VALUES (?, ?)")
            .bind(to_i64(op.seq)?)
            .bind(wire::to_cbor(&op))
            .execute(&mut *self.tx)
            .await?;
        self.enrolled.next_seq += 1;
        Ok(())
    }

    /// Abandons the action: nothing of it is kept.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }

    /// Commits the action: state, outbox and the next sequence number together.
    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("UPDATE device SET next_seq = ? WHERE id = 1")
            .bind(to_i64(self.enrolled.next_seq)?)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

async fn read_enrolled(conn: &mut SqliteConnection) -> Result<Option<Enrolled>> {
    let Some(row) = sqlx::query(
        "SELECT server_url, device_id, actor_id, access_token, role, facility_id, next_seq, \
         cursor FROM device WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let facility: Option<String> = row.try_get("facility_id")?;
    let next_seq: i64 = row.try_get("next_seq")?;
    Ok(Some(Enrolled {
        server_url: row.try_get("server_url")?,
        device_id: parse_uuid(&row.try_get::<String, _>("device_id")?)?.into(),
        actor_id: parse_uuid(&row.try_get::<String, _>("actor_id")?)?.into(),
        access_token: row.try_get("access_token")?,
        role: Role::from_str(&row.try_get::<String, _>("role")?).map_err(Error::Corrupt)?,
        facility_id: facility
            .map(|id| parse_uuid(&id).map(FacilityId::from))
            .transpose()?,
        next_seq: u64::try_from(next_seq)
            .map_err(|_| Error::Corrupt(format!("next_seq {next_seq}")))?,
        cursor: row.try_get("cursor")?,
    }))
}

/// The questionnaire and version a response document was started on.
pub(crate) fn response_version(doc: &Doc) -> Option<(QuestionnaireId, u64)> {
    let questionnaire = doc.id(meta::QUESTIONNAIRE)?;
    let version = doc.value(meta::VERSION)?.as_u64()?;
    Some((questionnaire.into(), version))
}

async fn count_outbox(conn: &mut SqliteConnection) -> Result<u64> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

async fn load_doc(conn: &mut SqliteConnection, kind: RecordKind, id: Uuid) -> Result<Option<Doc>> {
    let state: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT state FROM docs WHERE kind = ? AND id = ?")
            .bind(kind.as_str())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    state
        .map(|bytes| {
            Doc::from_bytes(&bytes).map_err(|e| Error::Corrupt(format!("{kind} {id}: {e}")))
        })
        .transpose()
}

/// Writes a document state and keeps the projections that depend on it up to date.
async fn save_doc(
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
    .bind(doc.to_bytes())
    .execute(&mut *conn)
    .await?;
    if kind == RecordKind::Registration {
        if let (Some(event), Some(person)) = (doc.id("event_id"), doc.id("person_id")) {
            sqlx::query(
                "INSERT INTO registrations (id, event_id, person_id, revoked) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, \
                 person_id = excluded.person_id, revoked = excluded.revoked",
            )
            .bind(id.to_string())
            .bind(event.to_string())
            .bind(person.to_string())
            .bind(doc.flag("revoked"))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

fn parse_uuid(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| Error::Corrupt(format!("id {text:?}: {e}")))
}

fn to_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Corrupt(format!("sequence number {seq} too large")))
}
