//! A document's whole state on the wire and in storage — `[actor table, clock, {key: [[clock,
//! value], …]}]` — and the canonical form its digest is taken of (docs/sync-protocol.md,
//! "States" and "State hash").

use super::cbor::{read_item, DecodeError, Read, Writer};
use super::ops::{read_clock, write_clock, ActorTable};
use super::values::{field_type, read_key, read_value, write_key, write_value};
use crate::doc::{Doc, Versions};
use crate::ids::ActorId;
use crate::schema::RecordKind;
use ciborium::value::Value as Item;
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
    read_state(kind, read_item(bytes)?, "state")
}

/// Reads a decoded state item.
pub fn read_state(kind: RecordKind, item: Item, at: &str) -> Result<Doc, DecodeError> {
    let mut items = item.array_of(3, at)?.into_iter();
    let mut next = || items.next().unwrap_or(Item::Null);
    let (actors, clock, fields) = (next(), next(), next());
    let actors = if matches!(&actors, Item::Array(list) if list.is_empty()) {
        ActorTable::default()
    } else {
        ActorTable::read(actors, &format!("{at}.actors"))?
    };
    let clock = read_clock(clock, &actors, &format!("{at}.clock"))?;
    let fields = fields
        .map(at)?
        .into_iter()
        .map(|(key, versions)| {
            let name = read_key(kind, key, at)?;
            let ty = field_type(kind, &name);
            let versions: Versions = versions
                .array("")
                .and_then(|versions| {
                    versions
                        .into_iter()
                        .map(|version| {
                            let mut pair = version.array_of(2, "")?.into_iter();
                            let clock = read_clock(pair.next().unwrap_or(Item::Null), &actors, "")?;
                            let value = read_value(pair.next().unwrap_or(Item::Null), ty, "")?;
                            Ok((clock, value))
                        })
                        .collect()
                })
                .map_err(|e| e.within(&format!("{at}.{name}")))?;
            Ok((name, versions))
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(Doc::from_versions(clock, fields))
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
