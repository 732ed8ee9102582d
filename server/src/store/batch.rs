//! A push's working set: the documents it changes, loaded in a few statements before its ops
//! are applied ([`preload`]) and written back — documents, projections, scans, then the op
//! log — in a few multi-row statements after ([`finish`]).

use super::apply::{seq_to_db, stored_doc, Placed};
use super::dialect::Dialect;
use super::responses::project_response;
use super::rows::{insert_rows, Value};
use super::{StoreError, StoreResult};
use sachhon_shared::authority::Scope;
use sachhon_shared::doc::Doc;
use sachhon_shared::records::DocFields;
use sachhon_shared::schema::{facility, person, registration, FieldType};
use sachhon_shared::vietnamese::{fold, sort_key};
use sachhon_shared::wire::ops::encode_ops;
use sachhon_shared::{Change, Op, RecordKind, ResponseId};
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;
use uuid::Uuid;

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
    /// Documents only referred to (a registration's person and event, a scan's
    /// registration): read without a lock, or known absent (`None`).
    referred: HashMap<Uuid, Option<StoredDoc>>,
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

    pub(super) fn cached(&self, id: Uuid) -> Option<Option<StoredDoc>> {
        self.working().docs.get(&id).cloned()
    }

    pub(super) fn stage_doc(&self, id: Uuid, kind: RecordKind, scope: Scope, doc: Doc) {
        let mut working = self.working();
        if working.staged.insert(id) {
            working.dirty.push(id);
        }
        working.docs.insert(id, Some((kind, scope, doc)));
    }

    /// Keeps a document read outside [`preload`] for the rest of the transaction.
    pub(super) fn remember(&self, id: Uuid, stored: Option<StoredDoc>) {
        self.working().docs.insert(id, stored);
    }

    pub(super) fn stage_scan(&self, row: Vec<Value>) {
        self.working().scans.push(row);
    }

    /// The registration and event of a scan staged by this transaction, if it is one.
    pub(super) fn staged_scan(&self, id: Uuid) -> Option<(String, String)> {
        let id = id.to_string();
        let text = |value: &Value| match value {
            Value::Text(Some(text)) => Some(text.clone()),
            _ => None,
        };
        self.working()
            .scans
            .iter()
            .find_map(|row| (text(&row[0])? == id).then_some((text(&row[2])?, text(&row[1])?)))
    }

    /// A document referred to: as this transaction has it (staged or loaded), else as read
    /// for reference before; `None` when never looked at.
    pub(super) fn referred(&self, id: Uuid) -> Option<Option<StoredDoc>> {
        let working = self.working();
        working
            .docs
            .get(&id)
            .or_else(|| working.referred.get(&id))
            .cloned()
    }

    /// Keeps a document read for reference for the rest of the transaction.
    pub(super) fn refer(&self, id: Uuid, stored: Option<StoredDoc>) {
        self.working().referred.insert(id, stored);
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
            _ => None,
        })
        .chain(
            ops.iter()
                .filter(|op| op.kind == RecordKind::Registration)
                .flat_map(|op| {
                    [registration::PERSON_ID, registration::EVENT_ID]
                        .into_iter()
                        .filter_map(|field| op.value_of(field)?.as_str()?.parse().ok())
                }),
        )
        .collect();
    referred.sort();
    referred.dedup();
    if context.dialect == Dialect::Postgres && !changed.is_empty() {
        let rows: Vec<Vec<Value>> = changed
            .iter()
            .map(|(id, kind)| {
                vec![
                    id.to_string().into(),
                    kind.as_str().into(),
                    Scope::Staff.to_key().into(),
                    Doc::new().to_bytes(*kind).into(),
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
    let mut found = select_docs(conn, &referred, "").await?;
    let mut working = context.working();
    for id in ids {
        let doc = loaded
            .get(&id)
            .cloned()
            .filter(|(_, _, doc)| !doc.is_empty());
        working.docs.insert(id, doc);
    }
    for id in referred {
        let doc = found.remove(&id).filter(|(_, _, doc)| !doc.is_empty());
        working.referred.insert(id, doc);
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
    entries: &[(&Op, Placed)],
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
                doc.to_bytes(*kind).into(),
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
         scanned_at_ms, received_at, status, walk_in, clock_skewed, revoked_ticket)",
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
    entries: &[(&Op, Placed)],
) -> StoreResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // The ops are stored as pulls send them: encoded once, against one actor table for the
    // batch (every op of a transaction has one author: the pushing device, or the server).
    let author = entries[0].0.actor;
    let (actors, encoded) = encode_ops(author, entries.iter().map(|(op, _)| *op));
    context.dialect.lock_feed(conn).await?;
    let batch: i64 = sqlx::query_scalar("INSERT INTO op_batches (actors) VALUES ($1) RETURNING id")
        .bind(actors.to_bytes())
        .fetch_one(&mut *conn)
        .await?;
    let rows = entries
        .iter()
        .zip(encoded)
        .map(|((op, placed), bytes)| {
            Ok(vec![
                op.actor.to_string().into(),
                seq_to_db(op.seq)?.into(),
                op.kind.as_str().into(),
                op.record.to_string().into(),
                placed.scope.to_key().into(),
                placed.moved_from.map(Scope::to_key).into(),
                placed.event.map(|event| event.to_string()).into(),
                batch.into(),
                bytes.into(),
                context.received_at.into(),
            ])
        })
        .collect::<StoreResult<Vec<_>>>()?;
    insert_rows(
        conn,
        "INSERT INTO ops (actor_id, seq, kind, record_id, scope, moved_from, event_id, batch, \
         op, received_at)",
        "",
        &rows,
    )
    .await
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
    let mut names: Vec<&str> = kind.fields().iter().map(|field| field.name).collect();
    names.extend(search_columns(kind));
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
            row.extend(kind.fields().iter().map(|field| match field.ty {
                FieldType::Bool => Value::from(i64::from(doc.flag(*field))),
                _ => Value::from(doc.text(*field)),
            }));
            row.extend(search_values(kind, doc));
            row
        })
        .collect();
    insert_rows(conn, &head, &tail, &rows).await
}

/// The columns that make a kind's projection findable by name (see [`search_values`]).
fn search_columns(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Facility | RecordKind::Person => &["sort_key", "search"],
        _ => &[],
    }
}

/// A findable projection's `sort_key` and `search` values, from its document.
fn search_values(kind: RecordKind, doc: &Doc) -> Vec<Value> {
    let (name, tax_code) = match kind {
        RecordKind::Facility => (doc.text(facility::NAME), doc.text(facility::TAX_CODE)),
        RecordKind::Person => (doc.text(person::NAME), None),
        _ => return Vec::new(),
    };
    search_keys(name.as_deref(), tax_code.as_deref())
        .into_iter()
        .map(Value::from)
        .collect()
}

/// The `sort_key` (the Vietnamese order of the name) and `search` (the name, and a facility's
/// tax code, folded: accents and case ignored) of a findable row.
pub(super) fn search_keys(name: Option<&str>, tax_code: Option<&str>) -> [String; 2] {
    let name = name.unwrap_or_default();
    let search = match tax_code {
        Some(tax_code) => format!("{} {}", fold(name), fold(tax_code)),
        None => fold(name),
    };
    [sort_key(name), search]
}
