// The phone's replica in IndexedDB: the enrolment and sync position (`meta`), document
// states (`docs`), facts (`facts`: scans, annulments, publications) and the outbox of local
// ops not yet acknowledged (`outbox`, by seq). Every local action and every applied pull page
// is one IndexedDB transaction, so a closed tab or a restarted phone keeps all of it or none.

import { Doc } from './doc.js';

const NAME = 'sachhon';
const VERSION = 1;
const STORES = ['meta', 'docs', 'facts', 'outbox'];

let opened = null;

/** The database, opened (and created) once per page. */
export function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('meta');
      db.createObjectStore('docs');
      db.createObjectStore('facts');
      db.createObjectStore('outbox');
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

/** A request's result as a promise. */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Runs `work(tx)` in one transaction over every store and resolves when it has committed.
 * `work` may only await requests of `tx` (anything else would let IndexedDB commit early).
 */
export async function transaction(mode, work) {
  const db = await database();
  const tx = new Tx(db.transaction(STORES, mode));
  const committed = new Promise((resolve, reject) => {
    tx.raw.oncomplete = resolve;
    tx.raw.onerror = () => reject(tx.raw.error);
    tx.raw.onabort = () => reject(tx.raw.error ?? new Error('transaction aborted'));
  });
  let result;
  try {
    result = await work(tx);
  } catch (error) {
    try { tx.raw.abort(); } catch { /* already finished */ }
    await committed.catch(() => {});
    throw error;
  }
  await committed;
  return result;
}

const key = (kind, id) => `${kind}/${id}`;

/** One transaction's view of the replica. */
class Tx {
  constructor(raw) { this.raw = raw; }
  store(name) { return this.raw.objectStore(name); }

  meta(name) { return done(this.store('meta').get(name)); }
  setMeta(name, value) { return done(this.store('meta').put(value, name)); }

  async doc(kind, id) {
    const stored = await done(this.store('docs').get(key(kind, id)));
    return stored ? Doc.fromJSON(stored.doc) : null;
  }
  saveDoc(kind, id, doc) {
    return done(this.store('docs').put({ kind, id, doc: doc.toJSON() }, key(kind, id)));
  }
  dropDoc(kind, id) { return done(this.store('docs').delete(key(kind, id))); }
  /** Every document of a kind: `[{id, doc}]`. */
  async docs(kind) {
    const range = IDBKeyRange.bound(`${kind}/`, `${kind}/\uffff`);
    const rows = await done(this.store('docs').getAll(range));
    return rows.map((row) => ({ id: row.id, doc: Doc.fromJSON(row.doc) }));
  }

  fact(kind, id) { return done(this.store('facts').get(key(kind, id))); }
  /** Drops a fact that left this device's view. */
  dropFact(kind, id) { return done(this.store('facts').delete(key(kind, id))); }
  /** Adds a fact unless its id is held (facts merge by id). */
  async addFact(kind, id, change) {
    if (!(await this.fact(kind, id))) {
      await done(this.store('facts').put({ kind, id, change }, key(kind, id)));
    }
  }
  async facts(kind) {
    const range = IDBKeyRange.bound(`${kind}/`, `${kind}/\uffff`);
    return done(this.store('facts').getAll(range));
  }

  queue(op) { return done(this.store('outbox').put(op, op.seq)); }
  /** The first `limit` outbox ops, ascending by seq. */
  async outbox(limit = Infinity) {
    const ops = await done(this.store('outbox').getAll(null, Number.isFinite(limit) ? limit : undefined));
    return ops.sort((a, b) => a.seq - b.seq);
  }
  outboxCount() { return done(this.store('outbox').count()); }
  /** Drops outbox ops up to and including `seq`. */
  dropThrough(seq) { return done(this.store('outbox').delete(IDBKeyRange.upperBound(seq))); }
}

/** Forgets everything (a new enrolment on this phone). */
export async function reset() {
  await transaction('readwrite', async (tx) => {
    for (const name of STORES) await done(tx.store(name).clear());
  });
}
