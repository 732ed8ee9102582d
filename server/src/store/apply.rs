//! The one path by which an op changes the server's state, inside the caller's transaction:
//! the op log row, the document state and the projection row, written together —
//! [`preload`](super::batch::preload), [`apply_change`] for each op, then
//! [`finish`](super::batch::finish).

use super::batch::{ApplyContext, StoredDoc};
use super::dialect::Dialect;
use super::responses::{check_response_op, insert_publication};
use super::rows::Value;
use super::{StoreError, StoreResult};
use sachhon_shared::authority::{placement, Placement, Principal, Scope};
use sachhon_shared::doc::Doc;
use sachhon_shared::records::DocFields;
use sachhon_shared::replica::apply_fields;
use sachhon_shared::schema::registration;
use sachhon_shared::{Annulment, Change, Op, RecordKind, ScanFact};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

/// Who applies an op: the server itself (the admin API and the office pages, whose input is
/// checked beforehand) or an enrolled device, whose writes follow the authority rules of
/// `sachhon_shared::authority`.
#[derive(Clone, Copy, Debug)]
pub enum Writer {
    /// The server's own actor.
    Server,
    /// A device, as the authority rules see it.
    Device(Principal),
}

impl Writer {
    fn may_write(self, kind: RecordKind, scope: Scope) -> bool {
        match self {
            Self::Server => true,
            Self::Device(principal) => principal.may_write(kind, scope),
        }
    }

    /// The first field of `op` this writer may not write to `doc`, if any.
    fn forbidden_field<'o>(self, op: &'o Op, doc: &Doc) -> Option<&'o str> {
        let Self::Device(principal) = self else {
            return None;
        };
        let creating = doc.is_empty();
        op.field_values()
            .into_iter()
            .map(|(field, _)| field)
            .find(|field| !principal.may_write_field(op.kind, field, creating))
    }
}

/// Applies the change of one op that passed the sequencing rule to the document state, the
/// projection or the scans, and returns the record's scope for the op log. An op that changes
/// a record the writer may not touch at all fails the push ([`StoreError::Forbidden`]); an
/// op with a bad value, a field its writer may not set, or a reference that does not hold is
/// refused alone ([`Applied::Rejected`]). The op-log row is written later by
/// [`finish`](super::batch::finish), for the whole batch at once.
pub async fn apply_change(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    op: &Op,
    writer: Writer,
) -> StoreResult<Applied> {
    if let Err(error) = op.check_values() {
        let refusal = Applied::refused(error.field(), error.to_string());
        return refuse(conn, context, op, refusal).await;
    }
    let mut moved_from = None;
    let mut event = None;
    let scope = match &op.change {
        Change::Fields(_) => {
            let stored = load_doc(conn, context, op.kind, op.record).await?;
            let old_scope = stored.as_ref().map(|(_, scope, _)| *scope);
            if let Some((kind, old_scope, _)) = &stored {
                if *kind != op.kind {
                    return Err(invalid_op(op, format!("record {} is a {kind}", op.record)));
                }
                if !writer.may_write(op.kind, *old_scope) {
                    return Err(forbidden(op));
                }
            }
            let mut doc = stored.map(|(_, _, doc)| doc).unwrap_or_default();
            if let Some(refusal) = refuse_fields(conn, context, writer, &doc, op).await? {
                return refuse(conn, context, op, refusal).await;
            }
            apply_fields(&mut doc, op);
            let scope = doc_scope(conn, context, op.kind, op.record, &doc).await?;
            if !writer.may_write(op.kind, scope) {
                return Err(forbidden(op));
            }
            moved_from = old_scope.filter(|old| *old != scope);
            if op.kind == RecordKind::Registration {
                event = doc.id(registration::EVENT_ID);
            }
            context.stage_doc(op.record, op.kind, scope, doc);
            scope
        }
        Change::Scan(fact) => {
            let registration = peek_doc(conn, context, fact.registration.0).await?;
            let scope = registration
                .as_ref()
                .map_or(Scope::Staff, |(_, scope, _)| *scope);
            if !writer.may_write(op.kind, scope) {
                return Err(forbidden(op));
            }
            let registration = registration.map(|(_, _, doc)| doc);
            if let Some(refusal) = refuse_scan(fact, registration.as_ref()) {
                return Ok(refusal);
            }
            let revoked_before = registration
                .as_ref()
                .is_some_and(|r| revoked_before(r, fact));
            context.stage_scan(scan_row(context, op, fact, revoked_before));
            event = Some(fact.event.0);
            scope
        }
        Change::Annul(annulment) => {
            let scan: Option<(String, String)> = match context.staged_scan(annulment.scan.0) {
                Some(staged) => Some(staged),
                None => {
                    sqlx::query_as("SELECT registration_id, event_id FROM scans WHERE id = $1")
                        .bind(annulment.scan.to_string())
                        .fetch_optional(&mut *conn)
                        .await?
                }
            };
            let (registration, scan_event) = scan.unzip();
            event = scan_event.and_then(|e| e.parse().ok());
            let scope = match registration.and_then(|r| r.parse().ok()) {
                Some(registration) => scope_of(conn, context, registration).await?,
                None => Scope::Staff,
            };
            if !writer.may_write(op.kind, scope) {
                return Err(forbidden(op));
            }
            insert_annulment(conn, context, op, annulment).await?;
            scope
        }
        Change::Publish(publication) => {
            if !writer.may_write(op.kind, Scope::Public) {
                return Err(forbidden(op));
            }
            insert_publication(conn, op.record, publication, context.received_at).await?;
            Scope::Public
        }
    };
    Ok(Applied::Into(Placed {
        scope,
        moved_from,
        event,
    }))
}

/// Where an applied op's record belongs now, and where it belonged before when the op moved
/// it (a person moved to another facility): the op log keeps both, so that a pull can send
/// the record whole to its new scope's devices and tell the old scope's to drop it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The record's scope after the op.
    pub scope: Scope,
    /// Its scope before, when the op changed it.
    pub moved_from: Option<Scope>,
    /// The event the record belongs to: a registration's, a scan's, an annulled scan's. A
    /// trainer device assigned to events pulls these rows by it.
    pub event: Option<Uuid>,
}

/// Refuses an op alone; a document it would have created leaves no placeholder behind.
async fn refuse(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    op: &Op,
    refusal: Applied,
) -> StoreResult<Applied> {
    if op.kind.is_document() && load_doc(conn, context, op.kind, op.record).await?.is_none() {
        drop_placeholder(conn, op.record).await?;
    }
    Ok(refusal)
}

/// Why a field op whose values passed is refused alone, if it is: a field the writer may not
/// set, a registration naming an event or person that does not exist, or an answer that does
/// not fit its questionnaire.
async fn refuse_fields(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    writer: Writer,
    doc: &Doc,
    op: &Op,
) -> StoreResult<Option<Applied>> {
    if let Some(field) = writer.forbidden_field(op, doc) {
        let message = format!(
            "this device may not set {field} of {} {}",
            op.kind, op.record
        );
        return Ok(Some(Applied::refused(field, message)));
    }
    if op.kind == RecordKind::Registration {
        for (field, kind) in [
            (registration::EVENT_ID, RecordKind::Event),
            (registration::PERSON_ID, RecordKind::Person),
        ] {
            let Some(id) = op
                .value_of(field)
                .and_then(|v| v.as_str()?.parse::<Uuid>().ok())
            else {
                continue;
            };
            let found = peek_doc(conn, context, id).await?;
            if !matches!(found, Some((k, _, _)) if k == kind) {
                return Ok(Some(Applied::refused(
                    field.name,
                    format!("no {kind} {id}"),
                )));
            }
        }
    }
    if op.kind == RecordKind::Response {
        if let Some((field, message)) = check_response_op(conn, doc, op).await? {
            return Ok(Some(Applied::Rejected { field, message }));
        }
    }
    Ok(None)
}

/// Why a scan whose values passed is refused alone, if it is: an unknown registration, or
/// one of another event or person than the scan names.
fn refuse_scan(fact: &ScanFact, registration: Option<&Doc>) -> Option<Applied> {
    let Some(registration) = registration else {
        return Some(Applied::refused(
            "registration",
            format!("no registration {}", fact.registration),
        ));
    };
    if registration.id(registration::EVENT_ID) != Some(fact.event.0) {
        return Some(Applied::refused(
            "event",
            format!(
                "registration {} is not for event {}",
                fact.registration, fact.event
            ),
        ));
    }
    match fact.person {
        Some(person) if registration.id(registration::PERSON_ID) != Some(person.0) => {
            Some(Applied::refused(
                "person",
                format!(
                    "registration {} is not for person {person}",
                    fact.registration
                ),
            ))
        }
        _ => None,
    }
}

/// Whether the registration was revoked before the scan was made: the phone had not yet
/// pulled the revocation, so the scan counts but is flagged.
fn revoked_before(registration: &Doc, fact: &ScanFact) -> bool {
    registration.flag(registration::REVOKED)
        && registration
            .text(registration::REVOKED_AT)
            .and_then(|at| crate::time::parse_rfc3339(&at))
            .is_some_and(|at| crate::time::unix_ms(at) <= fact.scanned_at_ms)
}

/// What became of an op.
#[derive(Debug)]
pub enum Applied {
    /// Applied to a record of this scope (the op log row's scope).
    Into(Placed),
    /// Refused on its own (an invalid answer): acknowledged, not applied, reported back.
    Rejected {
        /// The field at fault.
        field: String,
        /// Why.
        message: String,
    },
}

impl Applied {
    fn refused(field: &str, message: String) -> Self {
        Self::Rejected {
            field: field.to_string(),
            message,
        }
    }

    /// Where an op that must apply went (the server's own writes, checked beforehand).
    pub fn placed(self, op: &Op) -> StoreResult<Placed> {
        match self {
            Self::Into(placed) => Ok(placed),
            Self::Rejected { field, message } => Err(StoreError::Invalid {
                field: Some(field),
                message: format!("op {} of actor {}: {message}", op.seq, op.actor),
            }),
        }
    }
}

/// Removes the placeholder row `lock_doc` made for a new document whose op was refused.
async fn drop_placeholder(conn: &mut AnyConnection, id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM docs WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A document this transaction only refers to (a scan's registration, a registration's
/// event): staged, preloaded or referred to before, else read now, without a lock.
pub async fn peek_doc(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    id: Uuid,
) -> StoreResult<Option<StoredDoc>> {
    if let Some(known) = context.referred(id) {
        return Ok(known);
    }
    let stored = read_doc(conn, id, "").await?;
    context.refer(id, stored.clone());
    Ok(stored)
}

/// A document of this transaction: staged or preloaded, else read (and locked) now.
pub async fn load_doc(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    kind: RecordKind,
    id: Uuid,
) -> StoreResult<Option<StoredDoc>> {
    if let Some(cached) = context.cached(id) {
        return Ok(cached);
    }
    let stored = lock_doc(conn, context.dialect, kind, id).await?;
    context.remember(id, stored.clone());
    Ok(stored)
}

/// Loads a document with its kind and scope, locked until the transaction ends, so that two
/// server processes applying ops to one document never overwrite each other's state. On
/// PostgreSQL a placeholder row is made first when the document is new (a concurrent creator
/// then waits on it); a placeholder reads as no document. SQLite has one writer anyway.
pub async fn lock_doc(
    conn: &mut AnyConnection,
    dialect: Dialect,
    kind: RecordKind,
    id: Uuid,
) -> StoreResult<Option<(RecordKind, Scope, Doc)>> {
    if dialect == Dialect::Postgres {
        sqlx::query(
            "INSERT INTO docs (id, kind, scope, state) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(kind.as_str())
        .bind(Scope::Staff.to_key())
        .bind(Doc::new().to_bytes(kind))
        .execute(&mut *conn)
        .await?;
    }
    read_doc(conn, id, dialect.for_update()).await
}

/// Reads a stored document with its kind and scope; `lock` is appended to the query (a row
/// lock, or nothing). A placeholder (no op applied yet) reads as no document.
pub async fn read_doc(
    conn: &mut AnyConnection,
    id: Uuid,
    lock: &str,
) -> StoreResult<Option<(RecordKind, Scope, Doc)>> {
    let sql = format!("SELECT kind, scope, state FROM docs WHERE id = $1{lock}");
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let stored = row.map(|row| stored_doc(&row)).transpose()?;
    Ok(stored.filter(|(_, _, doc)| !doc.is_empty()))
}

pub(super) fn stored_doc(row: &sqlx::any::AnyRow) -> StoreResult<StoredDoc> {
    let kind: RecordKind = row
        .try_get::<String, _>("kind")?
        .parse()
        .map_err(StoreError::Corrupt)?;
    let scope: String = row.try_get("scope")?;
    let state: Vec<u8> = row.try_get("state")?;
    Ok((
        kind,
        Scope::from_key(&scope).ok_or_else(|| StoreError::Corrupt(scope.clone()))?,
        Doc::from_bytes(kind, &state).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    ))
}

/// Sequence numbers are stored as signed 64-bit integers.
pub fn seq_to_db(seq: u64) -> StoreResult<i64> {
    i64::try_from(seq).map_err(|_| StoreError::Invalid {
        field: Some("seq".into()),
        message: format!("sequence number {seq} is out of range"),
    })
}

fn invalid_op(op: &Op, message: String) -> StoreError {
    StoreError::Invalid {
        field: None,
        message: format!("op {}: {message}", op.seq),
    }
}

fn forbidden(op: &Op) -> StoreError {
    StoreError::Forbidden(format!(
        "op {}: this device may not change {} {}",
        op.seq, op.kind, op.record
    ))
}

/// Who a document belongs to: a facility's own record, a person of a facility, a
/// registration following its person, or a public event.
async fn doc_scope(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    kind: RecordKind,
    id: Uuid,
    doc: &Doc,
) -> StoreResult<Scope> {
    Ok(match placement(kind, id, doc) {
        Placement::In(scope) => scope,
        Placement::WithPerson(person) => scope_of(conn, context, person.0).await?,
    })
}

/// The scope of a stored document; staff-only when unknown.
async fn scope_of(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    id: Uuid,
) -> StoreResult<Scope> {
    let stored = peek_doc(conn, context, id).await?;
    Ok(stored.map_or(Scope::Staff, |(_, scope, _)| scope))
}

fn scan_row(
    context: &ApplyContext<'_>,
    op: &Op,
    fact: &ScanFact,
    revoked_before: bool,
) -> Vec<Value> {
    vec![
        op.record.to_string().into(),
        fact.event.to_string().into(),
        fact.registration.to_string().into(),
        fact.person.map(|p| p.to_string()).into(),
        op.actor.to_string().into(),
        fact.operator.clone().into(),
        fact.scanned_at_ms.into(),
        context.received_at.into(),
        fact.status.as_str().into(),
        i64::from(fact.walk_in).into(),
        i64::from(context.clock_skewed).into(),
        i64::from(revoked_before).into(),
    ]
}

async fn insert_annulment(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    op: &Op,
    annulment: &Annulment,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO annulments (id, scan_id, actor_id, reason, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(op.record.to_string())
    .bind(annulment.scan.to_string())
    .bind(op.actor.to_string())
    .bind(annulment.reason.clone())
    .bind(context.received_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
