// The protocol's test vectors (docs/sync-vectors/) run in the browser: each push is decoded
// and judged in the spec's three stages (malformed, refused, rejected op by op) and applied
// to an in-memory replica (the sequence rule, documents by the merge rule, facts by id, first
// wins); the outcomes, the merged view and the state hash are compared with the vector's.
import { Malformed, fromHex } from './cbor.js';
import { Doc } from './doc.js';
import { stateHash, view } from './hash.js';
import { KIND, checkShape, checkValues, decodePush } from './wire.js';

/** A replica holding nothing at first, as a receiver of pushes. */
export class Replica {
  last = new Map(); // actor → last seq received (rejected ops included)
  docs = new Map(); // "kind id" → {kind, id, doc}
  facts = new Map(); // "kind id" → {kind, id, change}

  push(body) {
    let push;
    try {
      push = decodePush(body);
    } catch (e) {
      if (e instanceof Malformed) return { outcome: 'malformed' };
      throw e;
    }
    for (const op of push.ops) {
      const refusal = checkShape(op);
      if (refusal) return { outcome: 'refused', field: refusal.field };
    }
    const last = this.last.get(push.author) ?? 0;
    const seqs = push.ops.map((op) => op.seq);
    const fresh = push.ops.filter((op) => op.seq > last);
    if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1]) || fresh.some((op, i) => op.seq !== last + 1 + i)) {
      return { outcome: 'gap', expected_seq: last + 1 };
    }
    const rejected = [];
    for (const op of fresh) {
      const fault = checkValues(op);
      const key = `${op.kind} ${op.record}`;
      if (fault) rejected.push({ seq: op.seq, field: fault.field });
      else if (!KIND[op.kind].document) {
        if (!this.facts.has(key)) this.facts.set(key, { kind: op.kind, id: op.record, change: op.change });
      } else {
        if (!this.docs.has(key)) this.docs.set(key, { kind: op.kind, id: op.record, doc: new Doc() });
        this.docs.get(key).doc.apply(op.actor, op.seq, op.change.edit);
      }
      this.last.set(push.author, op.seq);
    }
    return rejected.length ? { outcome: 'rejected', ops: rejected } : { outcome: 'applied' };
  }

  get records() {
    return { docs: [...this.docs.values()], facts: [...this.facts.values()] };
  }
}

/** JSON with object keys sorted, and each document field's values sorted (a multiset). */
function canon(x) {
  if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canon(x[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

const canonView = (records) =>
  records.map((r) => (r.fields
    ? { ...r, fields: Object.fromEntries(Object.entries(r.fields).map(([k, vs]) => [k, vs.map(canon).sort()])) }
    : r));

/** Runs one vector (an object or its JSON text) → {ok: true} or {ok: false, error}. */
export async function runVector(vector) {
  try {
    const v = typeof vector === 'string' ? JSON.parse(vector) : vector;
    const replica = new Replica();
    const problems = [];
    v.pushes.forEach((p, n) => {
      const want = { outcome: p.outcome };
      if (p.outcome === 'refused') want.field = p.field ?? null;
      if (p.outcome === 'rejected') want.ops = p.ops.map(({ seq, field }) => ({ seq, field }));
      const got = replica.push(fromHex(p.hex));
      if (canon(got) !== canon(want)) problems.push(`push ${n + 1}: got ${canon(got)}, expected ${canon(want)}`);
    });
    const got = canonView(view(replica.records));
    const want = canonView(v.view);
    if (canon(got) !== canon(want)) problems.push(`view: got ${canon(got)}, expected ${canon(want)}`);
    const hash = await stateHash(replica.records);
    if (hash !== v.state_hash) problems.push(`state hash ${hash}, expected ${v.state_hash}`);
    return problems.length ? { ok: false, error: problems.join('; ') } : { ok: true };
  } catch (e) {
    return { ok: false, error: `${e.name}: ${e.message}` };
  }
}
