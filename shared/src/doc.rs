//! One record as a CRDT document: a clock of the ops it has applied, and per field a
//! multi-value register (`crdts::MVReg`).
//!
//! An op of actor A numbered `seq` is one dot, (A, seq), and may write several fields. Every
//! value it writes carries the op's causal context (the document clock its writer had seen)
//! with the op's own dot added. A value replaces every value whose clock it has seen;
//! concurrent values are all kept (a conflict, shown to office staff) until a write that has
//! seen them supersedes them. docs/sync-protocol.md states the rule as an algorithm.

use crate::ids::ActorId;
use crate::schema::RecordKind;
use crdts::{CmRDT, CvRDT, Dot, MVReg, VClock};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A field's value: typed JSON (string, number, boolean, list, null).
pub type FieldValue = serde_json::Value;

/// A vector clock over actors: for each actor, the highest of its sequence numbers seen.
pub type Clock = VClock<ActorId>;

type Register = MVReg<FieldValue, ActorId>;

/// One op's change to a document: the causal context it supersedes and the values written.
#[derive(Clone, Debug, PartialEq)]
pub struct Edit {
    /// The document clock the writer had seen before this op (its own dot is implied by the
    /// op's actor and sequence number).
    pub context: Clock,
    /// The fields written, by name, with their new values; each field at most once.
    pub fields: Vec<(String, FieldValue)>,
}

/// A record document. Keep one per record, never one map of everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Doc {
    clock: Clock,
    fields: BTreeMap<String, Register>,
}

/// A field's concurrent values, each with the clock it was written with.
pub type Versions = Vec<(Clock, FieldValue)>;

impl Doc {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `fields` as op `seq` of `actor`, applies it here and returns the edit to send.
    pub fn write<I, K>(&mut self, actor: ActorId, seq: u64, fields: I) -> Edit
    where
        I: IntoIterator<Item = (K, FieldValue)>,
        K: Into<String>,
    {
        let edit = Edit {
            context: self.clock.clone(),
            fields: fields
                .into_iter()
                .map(|(key, value)| (key.into(), normalize(value)))
                .collect(),
        };
        self.apply(actor, seq, &edit);
        edit
    }

    /// Applies op `seq` of `actor`. Idempotent: an op whose dot this document has seen changes
    /// nothing, and the answer is false. Ops of one actor must arrive in that actor's order
    /// (the sync layer ensures it).
    pub fn apply(&mut self, actor: ActorId, seq: u64, edit: &Edit) -> bool {
        if self.clock.get(&actor) >= seq {
            return false;
        }
        let dot = Dot::new(actor, seq);
        let mut clock = edit.context.clone();
        clock.apply(dot);
        for (key, value) in &edit.fields {
            self.fields
                .entry(key.clone())
                .or_default()
                .apply(crdts::mvreg::Op::Put {
                    clock: clock.clone(),
                    val: value.clone(),
                });
        }
        self.clock.apply(dot);
        true
    }

    /// Merges another replica's whole state of this document (a record that entered this
    /// device's view, whose earlier ops it never received). Commutative and idempotent, like
    /// applying ops.
    pub fn merge(&mut self, other: Doc) {
        self.clock.merge(other.clock);
        for (key, register) in other.fields {
            self.fields.entry(key).or_default().merge(register);
        }
    }

    /// Whether no op was ever applied to this document.
    pub fn is_empty(&self) -> bool {
        self.clock.is_empty()
    }

    /// The highest sequence number of `actor` this document has applied.
    pub fn seen(&self, actor: &ActorId) -> u64 {
        self.clock.get(actor)
    }

    /// The document clock: every op applied, as the highest sequence number per actor.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The concurrent values of one field, in canonical order; empty when never written.
    pub fn values(&self, key: &str) -> Vec<FieldValue> {
        let mut values = self
            .fields
            .get(key)
            .map(|register| register.read().val)
            .unwrap_or_default();
        sort_canonically(&mut values);
        values
    }

    /// One value for a field, chosen deterministically (the first in canonical order) when
    /// there is a conflict; for projections that need a single value.
    pub fn value(&self, key: &str) -> Option<FieldValue> {
        self.values(key).into_iter().next()
    }

    /// Every field with its concurrent values.
    pub fn fields(&self) -> BTreeMap<String, Vec<FieldValue>> {
        self.fields
            .keys()
            .map(|key| (key.clone(), self.values(key)))
            .filter(|(_, values)| !values.is_empty())
            .collect()
    }

    /// The fields that hold more than one concurrent value.
    pub fn conflicts(&self) -> Vec<String> {
        self.fields()
            .into_iter()
            .filter(|(_, values)| values.len() > 1)
            .map(|(key, _)| key)
            .collect()
    }

    /// Every field with its concurrent values and the clock each was written with: what a
    /// state carries on the wire and in storage.
    pub fn versions(&self) -> impl Iterator<Item = (&str, Versions)> {
        self.fields
            .iter()
            .map(|(key, register)| (key.as_str(), register_versions(register)))
            .filter(|(_, versions)| !versions.is_empty())
    }

    /// A document from its clock and its fields' versions (as [`Doc::versions`] gives them).
    pub fn from_versions(clock: Clock, fields: Vec<(String, Versions)>) -> Self {
        let fields = fields
            .into_iter()
            .map(|(key, versions)| {
                let mut register = Register::default();
                for (clock, val) in versions {
                    register.apply(crdts::mvreg::Op::Put { clock, val });
                }
                (key, register)
            })
            .collect();
        Self { clock, fields }
    }
}

/// Format version written before every stored document state: 2 is protocol v2's state.
const STATE_FORMAT: u8 = 2;

/// A stored document state that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("stored document state is unreadable: {0}")]
pub struct DecodeError(String);

impl Doc {
    /// The stored form: a format version byte, then the state as the protocol sends it.
    pub fn to_bytes(&self, kind: RecordKind) -> Vec<u8> {
        let mut bytes = vec![STATE_FORMAT];
        bytes.extend(crate::wire::state::encode_state(kind, self));
        bytes
    }

    /// Reads the stored form written by [`Doc::to_bytes`].
    pub fn from_bytes(kind: RecordKind, bytes: &[u8]) -> Result<Self, DecodeError> {
        crate::wire::state::decode_state(kind, Self::wire_state(bytes)?)
            .map_err(|e| DecodeError(e.to_string()))
    }

    /// The state as the protocol sends it, inside a stored form (sent without re-encoding).
    pub fn wire_state(stored: &[u8]) -> Result<&[u8], DecodeError> {
        match stored.split_first() {
            Some((&STATE_FORMAT, state)) => Ok(state),
            Some((1, _)) => Err(DecodeError(
                "written by sync protocol v1, which this version no longer reads; \
                 start from a new database or enrol the phone again"
                    .into(),
            )),
            Some((version, _)) => Err(DecodeError(format!("unknown format version {version}"))),
            None => Err(DecodeError("empty".into())),
        }
    }

    /// A digest of the merged state that is equal on two replicas exactly when they applied
    /// the same ops (docs/sync-protocol.md, "State hash").
    pub fn digest(&self, kind: RecordKind) -> [u8; 32] {
        crate::wire::state::doc_digest(kind, self)
    }
}

/// A register's values with their clocks. `crdts` keeps them private but serialises them, so
/// they are read back through its serde form.
fn register_versions(register: &Register) -> Versions {
    #[derive(Deserialize)]
    struct Vals {
        vals: Versions,
    }
    ciborium::Value::serialized(register)
        .and_then(|value| value.deserialized::<Vals>())
        .map(|vals| vals.vals)
        // The serde form of MVReg is {vals: [(clock, value)]}; only a change of crdts can
        // break this, and the tests would show it.
        .expect("crdts serialises an MVReg as its vals")
}

/// A value as the protocol carries it: a whole number is an integer (8.0 is 8), so that every
/// replica holds and hashes the same value whatever language wrote it.
pub fn normalize(value: FieldValue) -> FieldValue {
    match value {
        FieldValue::Number(n) if n.as_f64().is_some() && !n.is_i64() && !n.is_u64() => {
            match n.as_f64().and_then(crate::wire::cbor::whole) {
                Some(i) => FieldValue::from(i),
                None => FieldValue::Number(n),
            }
        }
        FieldValue::Array(items) => FieldValue::Array(items.into_iter().map(normalize).collect()),
        FieldValue::Object(map) => {
            FieldValue::Object(map.into_iter().map(|(k, v)| (k, normalize(v))).collect())
        }
        other => other,
    }
}

fn sort_canonically(values: &mut [FieldValue]) {
    values.sort_by_cached_key(|value| value.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn concurrent_writes_conflict_and_a_later_write_resolves_them() {
        let (a, b) = (ActorId::new(), ActorId::new());
        let mut base = Doc::new();
        let create = base.write(a, 1, [("name", json!("Lan"))]);
        let mut phone_b = Doc::new();
        phone_b.apply(a, 1, &create);

        let on_a = base.write(a, 2, [("name", json!("Lan Nguyen"))]);
        let on_b = phone_b.write(b, 1, [("name", json!("Nguyễn Thị Lan"))]);
        base.apply(b, 1, &on_b);
        phone_b.apply(a, 2, &on_a);
        assert_eq!(base.conflicts(), vec!["name".to_string()]);
        assert_eq!(base, phone_b);
        assert_eq!(base.values("name").len(), 2);

        let resolve = base.write(a, 3, [("name", json!("Nguyễn Thị Lan"))]);
        phone_b.apply(a, 3, &resolve);
        assert!(phone_b.conflicts().is_empty());
        assert_eq!(phone_b.value("name"), Some(json!("Nguyễn Thị Lan")));
        assert_eq!(base, phone_b);
    }

    #[test]
    fn one_op_writes_several_fields_under_one_dot() {
        let a = ActorId::new();
        let mut doc = Doc::new();
        let edit = doc.write(a, 7, [("name", json!("Lan")), ("cp_staff", json!(true))]);
        assert!(edit.context.is_empty());
        assert_eq!(doc.seen(&a), 7);
        assert_eq!(doc.fields().len(), 2);
        let mut other = Doc::new();
        assert!(other.apply(a, 7, &edit));
        assert!(!other.apply(a, 7, &edit), "a replayed op changes nothing");
        assert_eq!(doc, other);
    }

    #[test]
    fn merging_states_equals_applying_ops() {
        let (a, b) = (ActorId::new(), ActorId::new());
        let mut one = Doc::new();
        let first = one.write(a, 1, [("x", json!(1)), ("y", json!("a"))]);
        let mut two = Doc::new();
        two.apply(a, 1, &first);
        let from_b = two.write(b, 4, [("x", json!(2))]);
        let from_a = one.write(a, 2, [("y", json!("b"))]);
        let mut merged = one.clone();
        merged.merge(two.clone());
        let mut applied = one.clone();
        applied.apply(b, 4, &from_b);
        assert_eq!(merged, applied);
        two.apply(a, 2, &from_a);
        assert_eq!(merged, two);
        let rebuilt = Doc::from_versions(
            merged.clock().clone(),
            merged.versions().map(|(k, v)| (k.to_string(), v)).collect(),
        );
        assert_eq!(rebuilt, merged);
        let stored = merged.to_bytes(RecordKind::Response);
        let back = Doc::from_bytes(RecordKind::Response, &stored).expect("reads");
        assert_eq!(back, merged);
        assert_eq!(
            back.digest(RecordKind::Response),
            merged.digest(RecordKind::Response)
        );
        assert!(Doc::from_bytes(RecordKind::Response, &[1, 0xa0]).is_err());
    }

    #[test]
    fn whole_floats_become_integers() {
        assert_eq!(normalize(json!(8.0)), json!(8));
        assert_eq!(normalize(json!([8.5, 2.0])), json!([8.5, 2]));
    }
}
