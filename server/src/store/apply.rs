//! The one path by which an op changes the server's state, inside the caller's transaction:
//! the op log row, the document state and the projection row, written together —
//! [`preload`], [`apply_change`] for each op, then [`finish`].

use super::dialect::Dialect;
use super::responses::{check_response_op, insert_publication, project_response};
use super::rows::{insert_rows, Value};
use super::{StoreError, StoreResult};
use sachhon_shared::authority::Scope;
use sachhon_shared::doc::Doc;
use sachhon_shared::questionnaire::meta;
use sachhon_shared::records::{schema, DocFields, FieldType};
use sachhon_shared::replica::apply_fields;
use sachhon_shared::wire::to_cbor;
use sachhon_shared::{Annulment, Change, FacilityId, Op, RecordKind, ResponseId, ScanFact};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use uuid::Uuid;

/// Applies the change of one op that passed the sequencing rule to the document state, the
/// projection or the scans, and returns the record's scope for the op log. `may_write`
/// decides, from the record's scope before and after the change, whether the author may make
/// it. The op-log row is written later by [`append_to_feed`], for the whole batch at once.
pub async fn apply_change(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    op: &Op,
    may_write: impl Fn(RecordKind, Scope) -> bool,
) -> StoreResult<Applied> {
    let scope = match &op.change {
        Change::Fields(_) => {
            let stored = load_doc(conn, context, op.kind, op.record).await?;
            if let Some((kind, old_scope, _)) = &stored {
                if *kind != op.kind {
                    return Err(invalid_op(op, format!("record {} is a {kind}", op.record)));
                }
                if !may_write(op.kind, *old_scope) {
                    return Err(forbidden(op));
                }
            }
            let is_new = stored.is_none();
            let mut doc = stored.map(|(_, _, doc)| doc).unwrap_or_default();
            if op.kind == RecordKind::Response {
                if let Some((field, message)) = check_response_op(conn, &doc, op).await? {
                    if is_new {
                        drop_placeholder(conn, op.record).await?;
                    }
                    return Ok(Applied::Rejected { field, message });
                }
            }
            apply_fields(&mut doc, &op.change);
            let scope = doc_scope(conn, context, op.kind, op.record, &doc).await?;
            if !may_write(op.kind, scope) {
                return Err(forbidden(op));
            }
            context.stage_doc(op.record, op.kind, scope, doc);
            scope
        }
        Change::Scan(fact) => {
            let scope = scope_of(conn, context, fact.registration.0).await?;
            if !may_write(op.kind, scope) {
                return Err(forbidden(op));
            }
            context.stage_scan(scan_row(context, op, fact));
            scope
        }
        Change::Annul(annulment) => {
            let registration: Option<String> =
                sqlx::query_scalar("SELECT registration_id FROM scans WHERE id = $1")
                    .bind(annulment.scan.to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
            let scope = match registration.and_then(|r| r.parse().ok()) {
                Some(registration) => scope_of(conn, context, registration).await?,
                None => Scope::Staff,
            };
            if !may_write(op.kind, scope) {
                return Err(forbidden(op));
            }
            insert_annulment(conn, context, op, annulment).await?;
            scope
        }
        Change::Publish(publication) => {
            if !may_write(op.kind, Scope::Public) {
                return Err(forbidden(op));
            }
            insert_publication(conn, op.record, publication, context.received_at).await?;
            Scope::Public
        }
    };
    Ok(Applied::Into(scope))
}

/// What became of an op.
#[derive(Debug)]
pub enum Applied {
    /// Applied to a record of this scope (the op log row's scope).
    Into(Scope),
    /// Refused on its own (an invalid answer): acknowledged, not applied, reported back.
    Rejected {
        /// The field at fault.
        field: String,
        /// Why.
        message: String,
    },
}

impl Applied {
    /// The scope of an op that must apply (the server's own writes, checked beforehand).
    pub fn scope(self, op: &Op) -> StoreResult<Scope> {
        match self {
            Self::Into(scope) => Ok(scope),
            Self::Rejected { field, message } => Err(StoreError::Invalid {
                field: Some(field),
                message: format!("op {}: {message}", op.id),
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

/// What every op of one transaction shares, and the documents and scans it has loaded or
/// staged: a push reads its documents in a few statements ([`preload`]), applies its ops in
/// memory, and writes everything back in a few multi-row statements ([`finish`]).
pub struct ApplyContext<'a> {
    /// The backend.
    pub dialect: Dialect,
    /// The server's receive time, RFC 3339.
    pub received_at: &'a str,
    /// Whether the pushing device's clock is off by more than the tolerance; its scans are
    /// flagged.
    pub clock_skewed: bool,
    working: std::sync::Mutex<Working>,
}

/// A stored document: its kind, scope and state.
pub type StoredDoc = (RecordKind, Scope, Doc);

#[derive(Default)]
struct Working {
    /// Documents of this transaction: loaded (locked), known absent (`None`), or staged.
    docs: HashMap<Uuid, Option<StoredDoc>>,
    /// Scopes of documents only referred to (a registration's person, a scan's registration).
    scopes: HashMap<Uuid, Scope>,
    /// Documents to write back, in the order first staged.
    dirty: Vec<Uuid>,
    staged: std::collections::HashSet<Uuid>,
    /// Scan rows to insert.
    scans: Vec<Vec<Value>>,
}

impl<'a> ApplyContext<'a> {
    /// The context of one transaction.
    pub fn new(dialect: Dialect, received_at: &'a str, clock_skewed: bool) -> Self {
        Self {
            dialect,
            received_at,
            clock_skewed,
            working: Default::default(),
        }
    }

    fn working(&self) -> std::sync::MutexGuard<'_, Working> {
        // A poisoned lock only means another op of this transaction panicked; its data is
        // still what it staged.
        self.working
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cached(&self, id: Uuid) -> Option<Option<StoredDoc>> {
        self.working().docs.get(&id).cloned()
    }

    fn stage_doc(&self, id: Uuid, kind: RecordKind, scope: Scope, doc: Doc) {
        let mut working = self.working();
        if working.staged.insert(id) {
            working.dirty.push(id);
        }
        working.docs.insert(id, Some((kind, scope, doc)));
    }

    fn stage_scan(&self, row: Vec<Value>) {
        self.working().scans.push(row);
    }

    fn known_scope(&self, id: Uuid) -> Option<Scope> {
        let working = self.working();
        match working.docs.get(&id) {
            Some(Some((_, scope, _))) => Some(*scope),
            Some(None) => Some(Scope::Staff),
            None => working.scopes.get(&id).copied(),
        }
    }
}

/// Loads, in a few statements, the documents a batch changes (locked on PostgreSQL, in id
/// order) and the scopes of those it refers to.
pub async fn preload(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    ops: &[&Op],
) -> StoreResult<()> {
    let mut changed: Vec<(Uuid, RecordKind)> = ops
        .iter()
        .filter(|op| op.kind.is_document())
        .map(|op| (op.record, op.kind))
        .collect();
    changed.sort();
    changed.dedup_by_key(|(id, _)| *id);
    let mut referred: Vec<Uuid> = ops
        .iter()
        .filter_map(|op| match &op.change {
            Change::Scan(fact) => Some(fact.registration.0),
            Change::Fields(_) if op.kind == RecordKind::Registration => op
                .field_values()
                .into_iter()
                .find(|(key, _)| *key == "person_id")
                .and_then(|(_, v)| v.as_str()?.parse().ok()),
            _ => None,
        })
        .collect();
    referred.sort();
    referred.dedup();
    if context.dialect == Dialect::Postgres && !changed.is_empty() {
        let empty = Doc::new().to_bytes();
        let rows: Vec<Vec<Value>> = changed
            .iter()
            .map(|(id, kind)| {
                vec![
                    id.to_string().into(),
                    kind.as_str().into(),
                    Scope::Staff.to_key().into(),
                    empty.clone().into(),
                ]
            })
            .collect();
        insert_rows(
            conn,
            "INSERT INTO docs (id, kind, scope, state)",
            "ON CONFLICT (id) DO NOTHING",
            &rows,
        )
        .await?;
    }
    let ids: Vec<Uuid> = changed.iter().map(|(id, _)| *id).collect();
    let loaded = select_docs(conn, &ids, context.dialect.for_update()).await?;
    let scopes = select_docs(conn, &referred, "").await?;
    let mut working = context.working();
    for id in ids {
        let doc = loaded
            .get(&id)
            .cloned()
            .filter(|(_, _, doc)| !doc.is_empty());
        working.docs.insert(id, doc);
    }
    for (id, (_, scope, _)) in scopes {
        working.scopes.insert(id, scope);
    }
    Ok(())
}

/// Documents by id, in chunks; `lock` is appended to each query.
async fn select_docs(
    conn: &mut AnyConnection,
    ids: &[Uuid],
    lock: &str,
) -> StoreResult<HashMap<Uuid, StoredDoc>> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, kind, scope, state FROM docs WHERE id IN ({}){lock}",
            params.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: String = row.try_get("id")?;
            let id = Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            found.insert(id, stored_doc(&row)?);
        }
    }
    Ok(found)
}

/// Writes back everything the batch staged — documents, projections, scans — then appends
/// the applied ops to the feed ([`append_to_feed`]).
pub async fn finish(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    entries: &[(&Op, Scope)],
) -> StoreResult<()> {
    let (docs, scans) = {
        let mut working = context.working();
        let dirty = std::mem::take(&mut working.dirty);
        working.staged.clear();
        let docs: Vec<(Uuid, StoredDoc)> = dirty
            .into_iter()
            .filter_map(|id| Some((id, working.docs.get(&id)?.clone()?)))
            .collect();
        (docs, std::mem::take(&mut working.scans))
    };
    let rows: Vec<Vec<Value>> = docs
        .iter()
        .map(|(id, (kind, scope, doc))| {
            vec![
                id.to_string().into(),
                kind.as_str().into(),
                scope.to_key().into(),
                doc.to_bytes().into(),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO docs (id, kind, scope, state)",
        "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, scope = excluded.scope, state = excluded.state",
        &rows,
    )
    .await?;
    for kind in RecordKind::ALL {
        let of_kind: Vec<&(Uuid, StoredDoc)> =
            docs.iter().filter(|(_, (k, _, _))| *k == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        if kind == RecordKind::Response {
            for (id, (_, _, doc)) in of_kind {
                project_response(conn, ResponseId(*id), doc).await?;
            }
        } else {
            project(conn, kind, &of_kind).await?;
        }
    }
    insert_rows(
        conn,
        "INSERT INTO scans (id, event_id, registration_id, person_id, actor_id, operator, \
         scanned_at_ms, received_at, status, walk_in, clock_skewed)",
        "ON CONFLICT (id) DO NOTHING",
        &scans,
    )
    .await?;
    append_to_feed(conn, context, entries).await
}

/// Appends applied ops to the op log, the change feed. The feed lock is taken first and held
/// until commit, so that transactions take their cursors in the order they commit: a reader
/// that has seen cursor N has seen every committed row below N. The lock is taken at the end of
/// the transaction, after the document work, to keep the serialised part short.
async fn append_to_feed(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    entries: &[(&Op, Scope)],
) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    context.dialect.lock_feed(conn).await?;
    let rows = entries
        .iter()
        .map(|(op, scope)| {
            Ok(vec![
                op.actor.to_string().into(),
                seq_to_db(op.seq)?.into(),
                op.id.to_string().into(),
                op.kind.as_str().into(),
                op.record.to_string().into(),
                scope.to_key().into(),
                to_cbor(&op.change).into(),
                context.received_at.into(),
            ])
        })
        .collect::<StoreResult<Vec<_>>>()?;
    insert_rows(
        conn,
        "INSERT INTO ops (actor_id, seq, op_id, kind, record_id, scope, change, received_at)",
        "",
        &rows,
    )
    .await
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
    context.working().docs.insert(id, stored.clone());
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
        .bind(Doc::new().to_bytes())
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

fn stored_doc(row: &sqlx::any::AnyRow) -> StoreResult<StoredDoc> {
    let kind: String = row.try_get("kind")?;
    let scope: String = row.try_get("scope")?;
    let state: Vec<u8> = row.try_get("state")?;
    Ok((
        kind.parse().map_err(StoreError::Corrupt)?,
        Scope::from_key(&scope).ok_or_else(|| StoreError::Corrupt(scope.clone()))?,
        Doc::from_bytes(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?,
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
        message: format!("op {} (seq {}): {message}", op.id, op.seq),
    }
}

fn forbidden(op: &Op) -> StoreError {
    StoreError::Forbidden(format!(
        "op {} (seq {}): this device may not change {} {}",
        op.id, op.seq, op.kind, op.record
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
    Ok(match kind {
        RecordKind::Facility => Scope::Facility(FacilityId(id)),
        RecordKind::Person => doc.id("facility_id").map_or(Scope::Staff, |facility| {
            Scope::Facility(FacilityId(facility))
        }),
        RecordKind::Event | RecordKind::Questionnaire => Scope::Public,
        RecordKind::Response => doc.id(meta::FACILITY).map_or(Scope::Staff, |facility| {
            Scope::Facility(FacilityId(facility))
        }),
        RecordKind::Registration | RecordKind::Scan | RecordKind::Annulment => {
            match doc.id("person_id") {
                Some(person) => scope_of(conn, context, person).await?,
                None => Scope::Staff,
            }
        }
    })
}

/// The scope of a stored document; staff-only when unknown.
async fn scope_of(
    conn: &mut AnyConnection,
    context: &ApplyContext<'_>,
    id: Uuid,
) -> StoreResult<Scope> {
    if let Some(scope) = context.known_scope(id) {
        return Ok(scope);
    }
    let scope: Option<String> = sqlx::query_scalar("SELECT scope FROM docs WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(scope
        .and_then(|s| Scope::from_key(&s))
        .unwrap_or(Scope::Staff))
}

/// The projection table of each document kind; its columns are the kind's schema fields.
fn projection_table(kind: RecordKind) -> Option<&'static str> {
    match kind {
        RecordKind::Facility => Some("facilities"),
        RecordKind::Person => Some("people"),
        RecordKind::Event => Some("events"),
        RecordKind::Registration => Some("registrations"),
        RecordKind::Scan
        | RecordKind::Annulment
        | RecordKind::Questionnaire
        | RecordKind::Response => None,
    }
}

/// Writes documents' current values to their kind's projection rows (a conflict shows its
/// first value in canonical order; the document keeps them all).
async fn project(
    conn: &mut AnyConnection,
    kind: RecordKind,
    docs: &[&(Uuid, StoredDoc)],
) -> StoreResult<()> {
    let Some(table) = projection_table(kind) else {
        return Ok(());
    };
    let names: Vec<&str> = schema(kind).iter().map(|(name, _)| *name).collect();
    let head = format!("INSERT INTO {table} (id, {})", names.join(", "));
    let updates: Vec<String> = names
        .iter()
        .map(|n| format!("{n} = excluded.{n}"))
        .collect();
    let tail = format!("ON CONFLICT (id) DO UPDATE SET {}", updates.join(", "));
    let rows: Vec<Vec<Value>> = docs
        .iter()
        .map(|(id, (_, _, doc))| {
            let mut row = vec![Value::from(id.to_string())];
            row.extend(
                schema(kind)
                    .iter()
                    .map(|(name, field_type)| match field_type {
                        FieldType::Bool => Value::from(i64::from(doc.flag(name))),
                        _ => Value::from(doc.text(name)),
                    }),
            );
            row
        })
        .collect();
    insert_rows(conn, &head, &tail, &rows).await
}

fn scan_row(context: &ApplyContext<'_>, op: &Op, fact: &ScanFact) -> Vec<Value> {
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
