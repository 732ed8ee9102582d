// The state hash of sync protocol v2 (docs/sync-protocol.md, "State hash"): SHA-256 over each
// record in order of (kind code, id) of kind ‖ id ‖ digest, a document's digest being that of
// the canonical CBOR of [clock, fields], a fact's that of its change as in its op. And `view`,
// the records as the test vectors show them.
import { compareBytes, encoded, hex } from './cbor.js';
import { FACTS, KIND, encodeChange, encodeKey, encodeValue, uuidBytes } from './wire.js';

const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

/** Documents and facts together, in order of (kind code, id bytes). */
function ordered({ docs = [], facts = [] }) {
  const key = (r) => `${String(KIND[r.kind].code).padStart(3, '0')}:${r.id}`;
  return [...docs, ...facts].map((r) => [key(r), r]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

/** The canonical CBOR of a document's [clock, fields], as the digest takes it. */
export function docBytes(kind, doc) {
  return encoded((w) => {
    const clock = Object.entries(doc.clock).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    w.array(2).map(clock.length);
    for (const [actor, seq] of clock) w.bytes(uuidBytes(actor)).uint(seq);
    w.sortedMap(Object.entries(doc.fields()).map(([name, values]) => {
      const sorted = values.map((v) => encodeValue(kind, name, v)).sort(compareBytes);
      return [encodeKey(kind, name), encoded((v) => {
        v.array(sorted.length);
        for (const b of sorted) v.raw(b);
      })];
    }));
  });
}

/** records = {docs: [{kind, id, doc}], facts: [{kind, id, change}]} → lowercase hex. */
export async function stateHash(records) {
  const parts = await Promise.all(ordered(records).map(async (r) => {
    const digest = await sha256(r.doc ? docBytes(r.kind, r.doc) : encodeChange(r.kind, r.change));
    return [Uint8Array.of(KIND[r.kind].code), uuidBytes(r.id), digest];
  }));
  const all = parts.flat();
  const bytes = new Uint8Array(all.reduce((n, b) => n + b.length, 0));
  all.reduce((at, b) => (bytes.set(b, at), at + b.length), 0);
  return hex(await sha256(bytes));
}

/** The records as a vector's view: documents' fields by name, facts' items by name. */
export function view(records) {
  return ordered(records).map((r) => {
    if (r.doc) return { kind: r.kind, id: r.id, fields: r.doc.fields() };
    const fact = r.change[FACTS[r.kind].change];
    return { kind: r.kind, id: r.id, fact: Object.fromEntries(FACTS[r.kind].items.map(([name]) => [name, fact[name]])) };
  });
}
