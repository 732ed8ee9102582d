//! A canonical hash of a replica's whole state, so that two replicas can prove they converged:
//! SHA-256 over every record in (kind code, id) order of its kind code (one byte), its id (16
//! bytes) and the digest of its state (docs/sync-protocol.md, "State hash").

use crate::doc::Doc;
use crate::op::{Annulment, Publication, RecordKind, ScanFact};
use crate::wire::cbor::Writer;
use crate::wire::ops;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Collects documents and scans in any order and hashes them in canonical order.
#[derive(Default)]
pub struct StateHasher {
    entries: BTreeMap<(RecordKind, Uuid), [u8; 32]>,
}

impl StateHasher {
    /// An empty hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document.
    pub fn add_doc(&mut self, kind: RecordKind, id: Uuid, doc: &Doc) {
        self.entries.insert((kind, id), doc.digest(kind));
    }

    /// Adds one scan fact.
    pub fn add_scan(&mut self, id: Uuid, scan: &ScanFact) {
        self.add_fact(RecordKind::Scan, id, |w| ops::write_scan(w, scan));
    }

    /// Adds one annulment fact.
    pub fn add_annulment(&mut self, id: Uuid, annulment: &Annulment) {
        self.add_fact(RecordKind::Annulment, id, |w| {
            ops::write_annulment(w, annulment)
        });
    }

    /// Adds one published questionnaire version.
    pub fn add_publication(&mut self, id: Uuid, publication: &Publication) {
        self.add_fact(RecordKind::Questionnaire, id, |w| {
            ops::write_publication(w, publication)
        });
    }

    /// A fact's digest is the SHA-256 of its change as the protocol encodes it.
    fn add_fact(&mut self, kind: RecordKind, id: Uuid, write: impl FnOnce(&mut Writer)) {
        let digest = Sha256::digest(Writer::encoded(write)).into();
        self.entries.insert((kind, id), digest);
    }

    /// The hash, as lowercase hex.
    pub fn finish(self) -> String {
        let mut hasher = Sha256::new();
        for ((kind, id), digest) in &self.entries {
            hasher.update([kind.code()]);
            hasher.update(id.as_bytes());
            hasher.update(digest);
        }
        hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}
