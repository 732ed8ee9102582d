//! Ops on the wire: an actor table sent once, then each op as `[seq, kind, record, change]`,
//! its actor being the table's first (docs/sync-protocol.md, "Ops").

use super::cbor::{DecodeError, Reader, Writer};
use super::values::{field_type, read_key, read_value, write_key, write_value};
use crate::doc::{Clock, Edit};
use crate::ids::ActorId;
use crate::op::{Annulment, Change, Op, Publication, ScanFact, ScanStatus};
use crate::schema::RecordKind;
use crdts::{CmRDT, Dot};

/// The actors a message names, each once; index 0 is the author of its ops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActorTable {
    ids: Vec<ActorId>,
}

impl ActorTable {
    /// A table whose first actor is `author`.
    pub fn new(author: ActorId) -> Self {
        Self { ids: vec![author] }
    }

    /// The index of `actor`, added at the end when new.
    pub fn index(&mut self, actor: ActorId) -> u64 {
        let i = match self.ids.iter().position(|id| *id == actor) {
            Some(i) => i,
            None => {
                self.ids.push(actor);
                self.ids.len() - 1
            }
        };
        i as u64
    }

    /// The actor at `index`.
    pub fn get(&self, index: u64, at: &str) -> Result<ActorId, DecodeError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.ids.get(i).copied())
            .ok_or_else(|| DecodeError::new(at, format!("no actor {index} in the actor table")))
    }

    /// The author of the ops sent with this table.
    pub fn author(&self) -> Option<ActorId> {
        self.ids.first().copied()
    }

    /// Writes the table: an array of 16-byte ids.
    pub fn write(&self, w: &mut Writer) {
        w.array(self.ids.len());
        for id in &self.ids {
            w.bytes(id.0.as_bytes());
        }
    }

    /// The table's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        Writer::encoded(|w| self.write(w))
    }

    /// Reads a table: at least one actor, none twice.
    pub fn read(r: &mut Reader, at: &str) -> Result<Self, DecodeError> {
        let table = Self::read_any(r, at)?;
        if table.ids.is_empty() {
            return Err(DecodeError::new(at, "the actor table is empty"));
        }
        Ok(table)
    }

    /// Reads a table that may be empty (a state's, when no clock names an actor).
    pub(super) fn read_any(r: &mut Reader, at: &str) -> Result<Self, DecodeError> {
        let mut ids = Vec::new();
        r.array(at, |r, i| {
            let id = ActorId(r.uuid("").map_err(|e| e.within(&format!("{at}[{i}]")))?);
            if ids.contains(&id) {
                return Err(DecodeError::new(at, format!("actor {id} is listed twice")));
            }
            ids.push(id);
            Ok(())
        })?;
        Ok(Self { ids })
    }
}

/// Writes a clock as a map of actor index → sequence number.
pub fn write_clock(w: &mut Writer, actors: &mut ActorTable, clock: &Clock) {
    let mut entries: Vec<(u64, u64)> = clock
        .iter()
        .map(|dot| (actors.index(*dot.actor), dot.counter))
        .collect();
    entries.sort_unstable();
    w.map(entries.len());
    for (actor, seq) in entries {
        w.uint(actor);
        w.uint(seq);
    }
}

/// Reads a clock written by [`write_clock`]; a zero counter is refused (it means nothing).
pub fn read_clock(r: &mut Reader, actors: &ActorTable, at: &str) -> Result<Clock, DecodeError> {
    let mut clock = Clock::new();
    r.map(at, |r, _| {
        let actor = actors.get(r.uint(at)?, at)?;
        let seq = r.uint(at)?;
        if seq == 0 || clock.get(&actor) != 0 {
            return Err(DecodeError::new(at, format!("bad clock entry for {actor}")));
        }
        clock.apply(Dot::new(actor, seq));
        Ok(())
    })?;
    Ok(clock)
}

/// The bytes of one op, its actor being `actors`' first (which the caller made it).
pub fn encode_op(actors: &mut ActorTable, op: &Op) -> Vec<u8> {
    Writer::encoded(|w| {
        w.array(4);
        w.uint(op.seq);
        w.uint(u64::from(op.kind.code()));
        w.bytes(op.record.as_bytes());
        match &op.change {
            Change::Fields(edit) => {
                w.array(2);
                write_clock(w, actors, &edit.context);
                let pairs = edit
                    .fields
                    .iter()
                    .map(|(name, value)| {
                        (
                            Writer::encoded(|w| write_key(w, op.kind, name)),
                            Writer::encoded(|w| write_value(w, field_type(op.kind, name), value)),
                        )
                    })
                    .collect();
                w.sorted_map(pairs);
            }
            Change::Scan(scan) => write_scan(w, scan),
            Change::Annul(annulment) => write_annulment(w, annulment),
            Change::Publish(publication) => write_publication(w, publication),
        }
    })
}

/// Writes a scan: `[event, registration, person / null, operator / null, scanned_at_ms,
/// status, walk_in]`.
pub fn write_scan(w: &mut Writer, scan: &ScanFact) {
    w.array(7);
    w.bytes(scan.event.0.as_bytes());
    w.bytes(scan.registration.0.as_bytes());
    match scan.person {
        Some(person) => w.bytes(person.0.as_bytes()),
        None => w.null(),
    }
    match &scan.operator {
        Some(operator) => w.text(operator),
        None => w.null(),
    }
    w.int(scan.scanned_at_ms);
    w.uint(match scan.status {
        ScanStatus::Ok => 0,
        ScanStatus::Duplicate => 1,
    });
    w.bool(scan.walk_in);
}

/// Writes an annulment: `[scan, reason / null]`.
pub fn write_annulment(w: &mut Writer, annulment: &Annulment) {
    w.array(2);
    w.bytes(annulment.scan.0.as_bytes());
    match &annulment.reason {
        Some(reason) => w.text(reason),
        None => w.null(),
    }
}

/// Writes a publication: `[questionnaire, version, definition as JSON text]`.
pub fn write_publication(w: &mut Writer, publication: &Publication) {
    w.array(3);
    w.bytes(publication.questionnaire.0.as_bytes());
    w.uint(u64::from(publication.version));
    // Serialising a definition (plain data) cannot fail.
    w.text(&serde_json::to_string(&publication.definition).unwrap_or_default());
}

/// Reads one op of `actors`' first actor; errors name places within the op.
fn read_op(r: &mut Reader, actors: &ActorTable) -> Result<Op, DecodeError> {
    r.array_of(4, "", |r| {
        let seq = r.uint("seq")?;
        if seq == 0 {
            return Err(DecodeError::new("seq", "sequence numbers start at 1"));
        }
        let code = r.uint("kind")?;
        let kind = RecordKind::from_code(code)
            .ok_or_else(|| DecodeError::new("kind", format!("no record kind {code}")))?;
        let record = r.uuid("record")?;
        let change = read_change(r, kind, actors)?;
        Ok(Op {
            actor: actors.get(0, "actors")?,
            seq,
            kind,
            record,
            change,
        })
    })
}

/// Reads an op's change, by its kind.
fn read_change(
    r: &mut Reader,
    kind: RecordKind,
    actors: &ActorTable,
) -> Result<Change, DecodeError> {
    let at = "change";
    match kind {
        RecordKind::Scan => read_scan(r, at).map(Change::Scan),
        RecordKind::Annulment => r.array_of(2, at, |r| {
            Ok(Change::Annul(Annulment {
                scan: r.uuid(at)?.into(),
                reason: r.optional_text(at)?,
            }))
        }),
        RecordKind::Questionnaire => r.array_of(3, at, |r| {
            let questionnaire = r.uuid(at)?.into();
            let version = u32::try_from(r.uint(at)?)
                .map_err(|_| DecodeError::new(at, "version out of range"))?;
            let definition = serde_json::from_str(&r.text(at)?)
                .map_err(|e| DecodeError::new(at, format!("definition: {e}")))?;
            Ok(Change::Publish(Publication {
                questionnaire,
                version,
                definition,
            }))
        }),
        _ => r.array_of(2, at, |r| {
            let context = read_clock(r, actors, "change.context")?;
            let mut fields = Vec::new();
            r.map(at, |r, _| {
                let name = read_key(kind, r, at)?;
                let value = read_value(r, field_type(kind, &name), "")
                    .map_err(|e| e.within(&format!("{at}.{name}")))?;
                fields.push((name, value));
                Ok(())
            })?;
            Ok(Change::Fields(Edit { context, fields }))
        }),
    }
}

fn read_scan(r: &mut Reader, at: &str) -> Result<ScanFact, DecodeError> {
    r.array_of(7, at, |r| {
        Ok(ScanFact {
            event: r.uuid(at)?.into(),
            registration: r.uuid(at)?.into(),
            person: r.optional_uuid(at)?.map(Into::into),
            operator: r.optional_text(at)?,
            scanned_at_ms: r.int(at)?,
            status: match r.uint(at)? {
                0 => ScanStatus::Ok,
                1 => ScanStatus::Duplicate,
                n => return Err(DecodeError::new(at, format!("no scan status {n}"))),
            },
            walk_in: r.bool(at)?,
        })
    })
}

/// Ops of one author encoded against one actor table: the table, then each op's bytes.
pub fn encode_ops<'a>(
    author: ActorId,
    ops: impl IntoIterator<Item = &'a Op>,
) -> (ActorTable, Vec<Vec<u8>>) {
    let mut actors = ActorTable::new(author);
    let encoded = ops
        .into_iter()
        .map(|op| {
            debug_assert_eq!(op.actor, author, "a batch holds one author's ops");
            encode_op(&mut actors, op)
        })
        .collect();
    (actors, encoded)
}

/// Writes a segment: `[actor table, [op, …]]`.
pub fn write_segment(w: &mut Writer, actors: &[u8], ops: &[&[u8]]) {
    w.array(2);
    w.raw(actors);
    w.array(ops.len());
    ops.iter().for_each(|op| w.raw(op));
}

/// Reads a segment, adding its ops to `ops`; errors name places within the segment.
pub fn read_segment(r: &mut Reader, ops: &mut Vec<Op>) -> Result<(), DecodeError> {
    r.array_of(2, "", |r| {
        let actors = ActorTable::read(r, "actors")?;
        r.array("", |r, i| {
            ops.push(read_op(r, &actors).map_err(|e| e.within(&format!("ops[{i}]")))?);
            Ok(())
        })
    })
}

/// The bytes of ops of one author as one segment (a phone's outbox row, a test vector).
pub fn encode_segment(author: ActorId, ops: &[Op]) -> Vec<u8> {
    let (actors, encoded) = encode_ops(author, ops);
    let encoded: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    Writer::encoded(|w| write_segment(w, &actors.to_bytes(), &encoded))
}

/// Reads the bytes written by [`encode_segment`].
pub fn decode_segment(bytes: &[u8]) -> Result<Vec<Op>, DecodeError> {
    let mut ops = Vec::new();
    Reader::whole(bytes, |r| read_segment(r, &mut ops)).map_err(|e| e.within("segment"))?;
    Ok(ops)
}

/// Push body keys.
const PUSH_ACTORS: u64 = 1;
const PUSH_OPS: u64 = 2;

/// The body of a push: `{1: actor table, 2: [op, …]}`, the ops all of the table's first actor.
pub fn encode_push(author: ActorId, ops: &[Op]) -> Vec<u8> {
    let (actors, encoded) = encode_ops(author, ops);
    Writer::encoded(|w| {
        w.map(2);
        w.uint(PUSH_ACTORS);
        actors.write(w);
        w.uint(PUSH_OPS);
        w.array(encoded.len());
        encoded.iter().for_each(|op| w.raw(op));
    })
}

/// Reads a push body: its author (the table's first actor) and its ops.
pub fn decode_push(bytes: &[u8]) -> Result<(ActorId, Vec<Op>), DecodeError> {
    let (mut actors, mut ops) = (None, None);
    Reader::whole(bytes, |r| {
        r.message("push", |r, key| {
            match key {
                PUSH_ACTORS => actors = Some(ActorTable::read(r, "push.actors")?),
                // Read once the message is: the actor table may come after the ops.
                PUSH_OPS => ops = Some(r.skip("push.ops")?),
                // A later minor version's field: ignored.
                _ => {
                    r.skip("push")?;
                }
            }
            Ok(())
        })
    })?;
    let actors = actors.ok_or_else(|| DecodeError::new("push", "no actor table (key 1)"))?;
    let ops = ops.ok_or_else(|| DecodeError::new("push", "no ops (key 2)"))?;
    let mut decoded = Vec::new();
    Reader::whole(ops, |r| {
        r.array("push.ops", |r, i| {
            decoded.push(read_op(r, &actors).map_err(|e| e.within(&format!("push.ops[{i}]")))?);
            Ok(())
        })
    })?;
    Ok((actors.get(0, "push.actors")?, decoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Replica;
    use serde_json::json;

    #[test]
    fn a_push_reads_the_same_whatever_the_order_of_its_keys_and_whatever_it_adds() {
        let author = ActorId(uuid::Uuid::from_u128(0xa1));
        let person = uuid::Uuid::from_u128(0x10);
        let mut replica = Replica::new();
        let ops = vec![
            replica.write(
                author,
                1,
                RecordKind::Person,
                person,
                vec![("name".into(), json!("Lan"))],
            ),
            replica.write(
                author,
                2,
                RecordKind::Person,
                person,
                vec![("cp_staff".into(), json!(true))],
            ),
        ];
        let (actors, encoded) = encode_ops(author, &ops);
        // {9: "later", 2: [op, op], 1: actors}: ops before their table, and a key from a later
        // minor version.
        let body = Writer::encoded(|w| {
            w.map(3);
            w.uint(9);
            w.text("later");
            w.uint(PUSH_OPS);
            w.array(encoded.len());
            encoded.iter().for_each(|op| w.raw(op));
            w.uint(PUSH_ACTORS);
            actors.write(w);
        });
        assert_eq!(decode_push(&body), Ok((author, ops.clone())));
        assert_eq!(decode_push(&encode_push(author, &ops)), Ok((author, ops)));
    }
}
