//! Applying ops to record state, shared by every replica: the server's store, the phone's
//! store and the in-memory [`Replica`] that the property tests drive.

use crate::doc::Doc;
use crate::hash::StateHasher;
use crate::ids::ActorId;
use crate::op::{Annulment, Change, Op, Publication, RecordKind, ScanFact};
use crate::sequence::{plan_push, Gap};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Applies an op's field writes to its document. Idempotent.
pub fn apply_fields(doc: &mut Doc, op: &Op) {
    if let Change::Fields(edit) = &op.change {
        doc.apply(op.actor, op.seq, edit);
    }
}

/// A whole replica held in memory: documents, scans, and how far each actor's ops have been
/// applied. It follows exactly the rules the server's store follows.
#[derive(Default, Clone)]
pub struct Replica {
    docs: BTreeMap<(RecordKind, Uuid), Doc>,
    scans: BTreeMap<Uuid, ScanFact>,
    annulments: BTreeMap<Uuid, Annulment>,
    publications: BTreeMap<Uuid, Publication>,
    applied: HashMap<ActorId, u64>,
    rejected: Vec<(ActorId, u64, String)>,
}

impl Replica {
    /// An empty replica.
    pub fn new() -> Self {
        Self::default()
    }

    /// Receives a batch of one actor's ops as the server does: replays change nothing, a gap
    /// is refused whole, an op with an invalid value is acknowledged but not applied (see
    /// [`Replica::rejections`]).
    pub fn receive(&mut self, actor: ActorId, ops: &[Op]) -> Result<u64, Gap> {
        let last = self.applied.get(&actor).copied().unwrap_or(0);
        let plan = plan_push(last, ops)?;
        for op in plan.new {
            match op.check_values() {
                Ok(()) => self.apply(op),
                Err(error) => self
                    .rejected
                    .push((op.actor, op.seq, error.field().to_string())),
            }
        }
        self.applied.insert(actor, plan.acked_through);
        Ok(plan.acked_through)
    }

    /// Applies pulled ops as a phone does: idempotently (documents by dot, facts by id), in
    /// the order received. A pull may skip sequence numbers (ops the phone may not see), so no
    /// sequence rule applies; each document's ops still arrive in their actor's order.
    pub fn absorb(&mut self, ops: &[Op]) {
        for op in ops {
            self.apply(op);
        }
    }

    fn apply(&mut self, op: &Op) {
        match &op.change {
            Change::Scan(fact) => {
                self.scans.entry(op.record).or_insert_with(|| fact.clone());
            }
            Change::Annul(annulment) => {
                self.annulments
                    .entry(op.record)
                    .or_insert_with(|| annulment.clone());
            }
            Change::Publish(publication) => {
                self.publications
                    .entry(op.record)
                    .or_insert_with(|| publication.clone());
            }
            Change::Fields(_) => {
                apply_fields(self.docs.entry((op.kind, op.record)).or_default(), op)
            }
        }
    }

    /// Makes a local edit as `actor` (whose next sequence number is `seq`): applies it here
    /// and returns the op to send.
    pub fn write(
        &mut self,
        actor: ActorId,
        seq: u64,
        kind: RecordKind,
        record: Uuid,
        fields: Vec<(String, crate::doc::FieldValue)>,
    ) -> Op {
        let doc = self.docs.entry((kind, record)).or_default();
        let change = Change::Fields(doc.write(actor, seq, fields));
        self.local(actor, seq, kind, record, change)
    }

    /// Records a local scan fact as `actor` and returns the op to send.
    pub fn scan(&mut self, actor: ActorId, seq: u64, id: Uuid, fact: ScanFact) -> Op {
        self.scans.insert(id, fact.clone());
        self.local(actor, seq, RecordKind::Scan, id, Change::Scan(fact))
    }

    fn local(
        &mut self,
        actor: ActorId,
        seq: u64,
        kind: RecordKind,
        record: Uuid,
        change: Change,
    ) -> Op {
        self.applied.insert(actor, seq);
        Op {
            actor,
            seq,
            kind,
            record,
            change,
        }
    }

    /// The ops refused one by one so far: actor, seq and the field at fault.
    pub fn rejections(&self) -> &[(ActorId, u64, String)] {
        &self.rejected
    }

    /// The merged view of every record, in (kind, id) order: a document's fields with their
    /// concurrent values, a fact as its JSON.
    pub fn view(&self) -> Vec<serde_json::Value> {
        let record = |kind: RecordKind, id: &Uuid, body: (&str, serde_json::Value)| serde_json::json!({"kind": kind.as_str(), "id": id.to_string(), body.0: body.1});
        let mut view: Vec<((RecordKind, Uuid), serde_json::Value)> = Vec::new();
        for ((kind, id), doc) in &self.docs {
            let fields = serde_json::to_value(doc.fields()).unwrap_or_default();
            view.push(((*kind, *id), record(*kind, id, ("fields", fields))));
        }
        let fact =
            |value: serde_json::Result<serde_json::Value>| ("fact", value.unwrap_or_default());
        for (id, scan) in &self.scans {
            let body = fact(serde_json::to_value(scan));
            view.push(((RecordKind::Scan, *id), record(RecordKind::Scan, id, body)));
        }
        for (id, annulment) in &self.annulments {
            let body = fact(serde_json::to_value(annulment));
            view.push((
                (RecordKind::Annulment, *id),
                record(RecordKind::Annulment, id, body),
            ));
        }
        for (id, publication) in &self.publications {
            let body = fact(serde_json::to_value(publication));
            let kind = RecordKind::Questionnaire;
            view.push(((kind, *id), record(kind, id, body)));
        }
        view.sort_by_key(|(key, _)| *key);
        view.into_iter().map(|(_, value)| value).collect()
    }

    /// The number of scan facts held.
    pub fn scan_count(&self) -> usize {
        self.scans.len()
    }

    /// The canonical state hash.
    pub fn state_hash(&self) -> String {
        let mut hasher = StateHasher::new();
        for ((kind, id), doc) in &self.docs {
            hasher.add_doc(*kind, *id, doc);
        }
        for (id, scan) in &self.scans {
            hasher.add_scan(*id, scan);
        }
        for (id, annulment) in &self.annulments {
            hasher.add_annulment(*id, annulment);
        }
        for (id, publication) in &self.publications {
            hasher.add_publication(*id, publication);
        }
        hasher.finish()
    }
}
