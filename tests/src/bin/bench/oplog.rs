//! The op log of a data set written straight into the projection tables, so that pulls —
//! which read the op log, not the projections — see it as if it had been pushed: for each row
//! of a document kind, the op that would have made it and the document state that op leaves;
//! for each scan and annulment, its fact. Rows of `ops`, `op_batches` and `docs` as the server
//! writes them (server/src/store/batch.rs): ops encoded once against their batch's actor
//! table, states in their stored form, each row with its record's scope and event.
//!
//! The registry (facilities, people, events) is written by one office actor, each scan and its
//! registration by the trainer phone that scanned, each annulment by the phone that annulled.
//! Every op is its record's first, so an actor's ops share one batch row (its table is the
//! actor alone). Responses have no ops: the data set writes their scores straight into the
//! projection, with no questionnaire to answer.

use crate::bulk::{Row, Table, Value};
use sachhon_shared::authority::Scope;
use sachhon_shared::doc::FieldValue;
use sachhon_shared::op::ScanStatus;
use sachhon_shared::schema::FieldType;
use sachhon_shared::wire::ops::encode_ops;
use sachhon_shared::{ActorId, Annulment, Change, Doc, Op, RecordKind, ScanFact};
use std::collections::HashMap;
use uuid::Uuid;

/// `ops` (server/migrations/*/0007_protocol_v2.sql, 0008_device_scopes.sql); `cursor` is
/// numbered by the database in the order rows are written.
pub const OPS: Table = Table {
    name: "ops",
    columns: &[
        "actor_id",
        "seq",
        "kind",
        "record_id",
        "scope",
        "event_id",
        "batch",
        "op",
        "received_at",
    ],
};
/// `op_batches`: one per actor.
pub const OP_BATCHES: Table = Table {
    name: "op_batches",
    columns: &["id", "actors"],
};
/// `docs`: each document's state.
pub const DOCS: Table = Table {
    name: "docs",
    columns: &["id", "kind", "scope", "state"],
};

/// What the op log of some projection rows adds to the database.
#[derive(Default)]
pub struct LogRows {
    /// `ops` rows.
    pub ops: Vec<Row>,
    /// `docs` rows.
    pub docs: Vec<Row>,
    /// `op_batches` rows of actors met for the first time.
    pub batches: Vec<Row>,
}

/// Where an op's record belongs: its scope, and for attendance its event.
#[derive(Clone, Default)]
struct Place {
    scope: String,
    event: Option<String>,
}

/// The office device that wrote the registry (a fixed id: the data set's random stream stays
/// as the progress benchmark has it).
const OFFICE: ActorId = ActorId(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0fce));

/// The op log being written, in the order of the rows given.
pub struct OpLog {
    received_at: String,
    /// Each actor's last sequence number and its batch row.
    actors: HashMap<ActorId, (u64, i64)>,
    /// The next batch row's id.
    next_batch: i64,
    /// Each person's scope, for their registrations, scans and annulments.
    person_scopes: HashMap<String, String>,
}

impl OpLog {
    /// An empty log of ops received at `received_at`; batch rows are numbered after
    /// `last_batch`.
    pub fn new(received_at: String, last_batch: i64) -> Self {
        Self {
            received_at,
            actors: HashMap::new(),
            next_batch: last_batch + 1,
            person_scopes: HashMap::new(),
        }
    }

    /// The log of registry rows (`facilities`, `people`, `events`), written by the office.
    pub fn registry(&mut self, kind: RecordKind, table: &Table, rows: &[Row]) -> LogRows {
        let mut out = LogRows::default();
        for row in rows {
            let id = text(table, row, "id");
            let scope = match kind {
                RecordKind::Facility => id.to_string(),
                RecordKind::Person => match column(table, row, "facility_id") {
                    Value::Text(facility) => facility.clone(),
                    _ => Scope::Staff.to_key(),
                },
                _ => Scope::Public.to_key(),
            };
            if kind == RecordKind::Person {
                self.person_scopes.insert(id.to_string(), scope.clone());
            }
            let place = Place { scope, event: None };
            self.document(&mut out, OFFICE, kind, table, row, &place);
        }
        out
    }

    /// The log of a batch of attendance: each registration (its row at the same index as its
    /// scan's), then each scan, by the phone that scanned; then the annulments.
    pub fn attendance(
        &mut self,
        registrations: (&Table, &[Row]),
        scans: (&Table, &[Row]),
        annulments: (&Table, &[Row]),
    ) -> LogRows {
        let mut out = LogRows::default();
        let (scan_table, scan_rows) = scans;
        let mut scan_places = HashMap::new();
        let (table, rows) = registrations;
        for (row, scan) in rows.iter().zip(scan_rows) {
            let author = actor(text(scan_table, scan, "actor_id"));
            let place = Place {
                scope: self.person_scope(text(table, row, "person_id")),
                event: Some(text(table, row, "event_id").to_string()),
            };
            let kind = RecordKind::Registration;
            self.document(&mut out, author, kind, table, row, &place);
            let id = text(scan_table, scan, "id");
            scan_places.insert(id.to_string(), place);
        }
        for scan in scan_rows {
            let id = text(scan_table, scan, "id");
            let place = scan_places.get(id).cloned().unwrap_or_default();
            let change = Change::Scan(scan_fact(scan_table, scan));
            let author = actor(text(scan_table, scan, "actor_id"));
            self.fact(
                &mut out,
                author,
                RecordKind::Scan,
                parse(id),
                change,
                &place,
            );
        }
        let (table, rows) = annulments;
        for row in rows {
            let scan = text(table, row, "scan_id");
            let place = scan_places.get(scan).cloned().unwrap_or_default();
            let change = Change::Annul(Annulment {
                scan: parse(scan).into(),
                reason: optional_text(table, row, "reason"),
            });
            let (author, record) = (
                actor(text(table, row, "actor_id")),
                parse(text(table, row, "id")),
            );
            self.fact(
                &mut out,
                author,
                RecordKind::Annulment,
                record,
                change,
                &place,
            );
        }
        out
    }

    fn person_scope(&self, person: &str) -> String {
        self.person_scopes
            .get(person)
            .cloned()
            .unwrap_or_else(|| Scope::Staff.to_key())
    }

    /// A document's first op, from its projection row (every column that is one of the kind's
    /// fields), and its state.
    fn document(
        &mut self,
        out: &mut LogRows,
        author: ActorId,
        kind: RecordKind,
        table: &Table,
        row: &Row,
        place: &Place,
    ) {
        let fields: Vec<(String, FieldValue)> = table
            .columns
            .iter()
            .zip(row)
            .filter_map(|(name, value)| {
                let field = kind.field(name)?;
                Some((field.name.to_string(), field_value(field.ty, value)))
            })
            .collect();
        let record = parse(text(table, row, "id"));
        let seq = self.next_seq(out, author);
        let mut doc = Doc::new();
        let edit = doc.write(author, seq, fields);
        out.docs.push(vec![
            Value::Text(record.to_string()),
            Value::text(kind.as_str()),
            Value::text(&place.scope),
            Value::Bytes(doc.to_bytes(kind)),
        ]);
        let change = Change::Fields(edit);
        self.push(
            out,
            Op {
                actor: author,
                seq,
                kind,
                record,
                change,
            },
            place,
        );
    }

    /// A fact's op.
    fn fact(
        &mut self,
        out: &mut LogRows,
        author: ActorId,
        kind: RecordKind,
        record: Uuid,
        change: Change,
        place: &Place,
    ) {
        let seq = self.next_seq(out, author);
        self.push(
            out,
            Op {
                actor: author,
                seq,
                kind,
                record,
                change,
            },
            place,
        );
    }

    /// The author's next sequence number; its batch row when it is new.
    fn next_seq(&mut self, out: &mut LogRows, author: ActorId) -> u64 {
        let next_batch = &mut self.next_batch;
        let (seq, _) = self.actors.entry(author).or_insert_with(|| {
            let batch = *next_batch;
            *next_batch += 1;
            let (actors, _) = encode_ops(author, []);
            out.batches
                .push(vec![Value::Int(batch), Value::Bytes(actors.to_bytes())]);
            (0, batch)
        });
        *seq += 1;
        *seq
    }

    /// The `ops` row of an op.
    fn push(&self, out: &mut LogRows, op: Op, place: &Place) {
        let batch = self.actors.get(&op.actor).map_or(0, |(_, batch)| *batch);
        let (_, mut encoded) = encode_ops(op.actor, [&op]);
        out.ops.push(vec![
            Value::Text(op.actor.to_string()),
            Value::Int(i64::try_from(op.seq).unwrap_or(i64::MAX)),
            Value::text(op.kind.as_str()),
            Value::Text(op.record.to_string()),
            Value::text(&place.scope),
            place.event.clone().map_or(Value::Null, Value::Text),
            Value::Int(batch),
            Value::Bytes(encoded.pop().unwrap_or_default()),
            Value::text(&self.received_at),
        ]);
    }
}

/// The value of a column of a row.
fn column<'r>(table: &Table, row: &'r Row, name: &str) -> &'r Value {
    table
        .columns
        .iter()
        .position(|c| *c == name)
        .and_then(|i| row.get(i))
        .unwrap_or(&Value::Null)
}

/// A text column ("" when it is not text).
fn text<'r>(table: &Table, row: &'r Row, name: &str) -> &'r str {
    match column(table, row, name) {
        Value::Text(text) => text,
        _ => "",
    }
}

fn optional_text(table: &Table, row: &Row, name: &str) -> Option<String> {
    match column(table, row, name) {
        Value::Text(text) => Some(text.clone()),
        _ => None,
    }
}

/// A generated id (the generator writes only valid ones).
fn parse(id: &str) -> Uuid {
    Uuid::parse_str(id).unwrap_or_default()
}

fn actor(id: &str) -> ActorId {
    ActorId(parse(id))
}

/// A projection value as the field's value.
fn field_value(ty: FieldType, value: &Value) -> FieldValue {
    match (ty, value) {
        (_, Value::Null) => FieldValue::Null,
        (FieldType::Bool, Value::Int(n)) => FieldValue::Bool(*n != 0),
        (_, Value::Int(n)) => FieldValue::from(*n),
        (_, Value::Real(x)) => FieldValue::from(*x),
        (_, Value::Text(text)) => FieldValue::String(text.clone()),
        (_, Value::Bytes(_)) => FieldValue::Null,
    }
}

/// A `scans` row as its fact.
fn scan_fact(table: &Table, row: &Row) -> ScanFact {
    let int = |name| match column(table, row, name) {
        Value::Int(n) => *n,
        _ => 0,
    };
    ScanFact {
        event: parse(text(table, row, "event_id")).into(),
        registration: parse(text(table, row, "registration_id")).into(),
        person: optional_text(table, row, "person_id").map(|p| parse(&p).into()),
        operator: optional_text(table, row, "operator"),
        scanned_at_ms: int("scanned_at_ms"),
        status: match text(table, row, "status") {
            "duplicate" => ScanStatus::Duplicate,
            _ => ScanStatus::Ok,
        },
        walk_in: int("walk_in") != 0,
    }
}
