//! One record as a CRDT document: a map of field name → multi-value register.
//!
//! Edits to different fields merge; concurrent edits to one field keep every concurrent value
//! (a conflict, shown to office staff) until a write that has seen them all supersedes them.

use crate::ids::ActorId;
use crdts::{CmRDT, MVReg};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A field's value: typed JSON (string, number, boolean, list of strings, null).
pub type FieldValue = serde_json::Value;

type Register = MVReg<FieldValue, ActorId>;
type Inner = crdts::Map<String, Register, ActorId>;

/// One edit of one field, as the `crdts` map produces it: it carries the writing actor's dot
/// and the causal context (what the writer had seen of that document).
pub type FieldOp = crdts::map::Op<String, Register, ActorId>;

/// Format version written before the CBOR of every stored document state.
const STATE_FORMAT: u8 = 1;

/// A record document. Cheap to clone for small records; keep one per record, never one map of
/// everything (an op's size grows with the actors that touched its document).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Doc {
    inner: Inner,
}

/// A stored document state that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("stored document state is unreadable: {0}")]
pub struct DecodeError(String);

impl Doc {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `value` under `key` as `actor`, applies the op here and returns it.
    ///
    /// Each op is derived from the state that already holds the previous one, so two ops of
    /// one actor never share a dot (the second would be dropped by every replica).
    pub fn set(&mut self, actor: ActorId, key: &str, value: FieldValue) -> FieldOp {
        let ctx = self.inner.read_ctx().derive_add_ctx(actor);
        let op = self
            .inner
            .update(key, ctx, |register, ctx| register.write(value, ctx));
        self.inner.apply(op.clone());
        op
    }

    /// Writes several fields, one op each, in order.
    pub fn set_all<I, K>(&mut self, actor: ActorId, fields: I) -> Vec<FieldOp>
    where
        I: IntoIterator<Item = (K, FieldValue)>,
        K: AsRef<str>,
    {
        fields
            .into_iter()
            .map(|(key, value)| self.set(actor, key.as_ref(), value))
            .collect()
    }

    /// Applies a received op. Idempotent: an op whose dot this document has seen changes
    /// nothing. Ops of one actor must arrive in that actor's order (the sync layer ensures it).
    pub fn apply(&mut self, op: FieldOp) {
        self.inner.apply(op);
    }

    /// Merges another replica's whole state of this document (a record that entered this
    /// device's view, whose earlier ops it never received). Commutative and idempotent, like
    /// applying ops.
    pub fn merge(&mut self, other: Doc) {
        crdts::CvRDT::merge(&mut self.inner, other.inner);
    }

    /// Whether no op was ever applied to this document.
    pub fn is_empty(&self) -> bool {
        self.inner.read_ctx().add_clock.is_empty()
    }

    /// How many ops of `actor` this document has applied.
    pub fn seen(&self, actor: &ActorId) -> u64 {
        self.inner.read_ctx().add_clock.get(actor)
    }

    /// The concurrent values of one field, in canonical order; empty when never written.
    pub fn values(&self, key: &str) -> Vec<FieldValue> {
        let mut values = self
            .inner
            .get(&key.to_string())
            .val
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
        self.inner
            .iter()
            .map(|entry| {
                let (key, register) = entry.val;
                let mut values = register.read().val;
                sort_canonically(&mut values);
                (key.clone(), values)
            })
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

    /// The stored form: a format version byte, then CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![STATE_FORMAT];
        crate::wire::write_cbor(&self.inner, &mut bytes);
        bytes
    }

    /// Reads the stored form written by [`Doc::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        match bytes.split_first() {
            Some((&STATE_FORMAT, cbor)) => ciborium::from_reader(cbor)
                .map(|inner| Self { inner })
                .map_err(|e| DecodeError(e.to_string())),
            Some((version, _)) => Err(DecodeError(format!("unknown format version {version}"))),
            None => Err(DecodeError("empty".into())),
        }
    }

    /// A digest of the merged state that is equal on two replicas exactly when they applied
    /// the same ops: the document clock and each field's values in canonical order.
    pub fn digest(&self) -> [u8; 32] {
        let clock = self.inner.read_ctx().add_clock;
        let mut bytes = Vec::new();
        crate::wire::write_cbor(&(clock, self.fields()), &mut bytes);
        Sha256::digest(&bytes).into()
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
        let create = base.set(a, "name", json!("Lan"));
        let mut phone_b = Doc::new();
        phone_b.apply(create);

        let on_a = base.set(a, "name", json!("Lan Nguyen"));
        let on_b = phone_b.set(b, "name", json!("Nguyễn Thị Lan"));
        base.apply(on_b.clone());
        phone_b.apply(on_a.clone());
        assert_eq!(base.conflicts(), vec!["name".to_string()]);
        assert_eq!(base.digest(), phone_b.digest());
        assert_eq!(base.values("name").len(), 2);

        let resolve = base.set(a, "name", json!("Nguyễn Thị Lan"));
        phone_b.apply(resolve);
        assert!(phone_b.conflicts().is_empty());
        assert_eq!(phone_b.value("name"), Some(json!("Nguyễn Thị Lan")));
        assert_eq!(base.digest(), phone_b.digest());
    }

    #[test]
    fn a_duplicated_op_changes_nothing() {
        let a = ActorId::new();
        let mut doc = Doc::new();
        let op = doc.set(a, "cp_staff", json!(true));
        let before = doc.digest();
        doc.apply(op);
        assert_eq!(doc.digest(), before);
        assert_eq!(doc.seen(&a), 1);
    }

    #[test]
    fn state_round_trips_through_bytes() {
        let a = ActorId::new();
        let mut doc = Doc::new();
        doc.set_all(
            a,
            [("name", json!("Công ty A")), ("cp_potential", json!(true))],
        );
        let back = Doc::from_bytes(&doc.to_bytes()).expect("decodes");
        assert_eq!(back.digest(), doc.digest());
        assert!(Doc::from_bytes(&[9, 1, 2]).is_err());
    }
}
