//! A document's whole state on the wire and in storage — `[actor table, clock, {key: [[clock,
//! value], …]}]` — and the canonical form its digest is taken of (docs/sync-protocol.md,
//! "States" and "State hash").

use super::cbor::{DecodeError, Reader, Writer};
use super::ops::{read_clock, write_clock, ActorTable};
use super::values::{field_type, read_key, read_value, write_key, write_value};
use crate::doc::{Doc, Versions};
use crate::ids::ActorId;
use crate::schema::RecordKind;
use sha2::{Digest, Sha256};

/// The bytes of a document's state.
pub fn encode_state(kind: RecordKind, doc: &Doc) -> Vec<u8> {
    // A state's table has no author: it lists the actors its clocks name, in first use.
    let mut actors = ActorTable::default();
    let body = Writer::encoded(|w| {
        write_clock(w, &mut actors, doc.clock());
        let pairs = doc
            .versions()
            .map(|(name, versions)| {
                let key = Writer::encoded(|w| write_key(w, kind, name));
                let value = Writer::encoded(|w| {
                    w.array(versions.len());
                    for (clock, value) in &versions {
                        w.array(2);
                        write_clock(w, &mut actors, clock);
                        write_value(w, field_type(kind, name), value);
                    }
                });
                (key, value)
            })
            .collect();
        w.sorted_map(pairs);
    });
    Writer::encoded(|w| {
        w.array(3);
        actors.write(w);
        w.raw(&body);
    })
}

/// Reads a document's state.
pub fn decode_state(kind: RecordKind, bytes: &[u8]) -> Result<Doc, DecodeError> {
    Reader::whole(bytes, |r| read_state(kind, r, "state"))
}

/// Reads a state item.
pub fn read_state(kind: RecordKind, r: &mut Reader, at: &str) -> Result<Doc, DecodeError> {
    r.array_of(3, at, |r| {
        let actors = ActorTable::read_any(r, "actors").map_err(|e| e.within(at))?;
        let clock = read_clock(r, &actors, "clock").map_err(|e| e.within(at))?;
        let mut fields = Vec::new();
        r.map(at, |r, _| {
            let name = read_key(kind, r, at)?;
            let ty = field_type(kind, &name);
            let mut versions = Versions::new();
            r.array("", |r, _| {
                r.array_of(2, "", |r| {
                    let clock = read_clock(r, &actors, "")?;
                    let value = read_value(r, ty, "")?;
                    versions.push((clock, value));
                    Ok(())
                })
            })
            .map_err(|e| e.within(&format!("{at}.{name}")))?;
            fields.push((name, versions));
            Ok(())
        })?;
        Ok(Doc::from_versions(clock, fields))
    })
}

/// The digest of a document for the state hash: SHA-256 of the canonical CBOR of `[clock,
/// fields]`, the clock as `{actor id: seq}`, the fields as `{key: [value, …]}` with each
/// field's concurrent values in the order of their encodings.
pub fn doc_digest(kind: RecordKind, doc: &Doc) -> [u8; 32] {
    let bytes = Writer::encoded(|w| {
        w.array(2);
        let mut clock: Vec<(ActorId, u64)> = doc
            .clock()
            .iter()
            .map(|dot| (*dot.actor, dot.counter))
            .collect();
        clock.sort_unstable();
        w.map(clock.len());
        for (actor, seq) in clock {
            w.bytes(actor.0.as_bytes());
            w.uint(seq);
        }
        let pairs = doc
            .fields()
            .into_iter()
            .map(|(name, values)| {
                let ty = field_type(kind, &name);
                let mut values: Vec<Vec<u8>> = values
                    .iter()
                    .map(|value| Writer::encoded(|w| write_value(w, ty, value)))
                    .collect();
                values.sort();
                let key = Writer::encoded(|w| write_key(w, kind, &name));
                let value = Writer::encoded(|w| {
                    w.array(values.len());
                    values.iter().for_each(|v| w.raw(v));
                });
                (key, value)
            })
            .collect();
        w.sorted_map(pairs);
    });
    Sha256::digest(bytes).into()
}
