// One record as a document of sync protocol v2 (docs/sync-protocol.md, "The merge rule"): a
// clock (actor → highest seq applied) and, per field, its versions [clock, value] — a
// multi-value register. Concurrent values are all kept (a conflict) until a write that has
// seen them replaces them. Plain data inside, so that a Doc stores in IndexedDB via toJSON.

/** c1 <= c2: every entry of c1 is at most c2's (a missing entry is 0). */
export function leq(c1, c2) {
  return Object.entries(c1).every(([actor, seq]) => (c2[actor] ?? 0) >= seq);
}

/** c1 < c2. */
export const lt = (c1, c2) => leq(c1, c2) && !leq(c2, c1);

/** -0 is the whole number 0 on the wire; keep it so here, so that replicas agree. */
const normalize = (v) => (Array.isArray(v) ? v.map(normalize) : Object.is(v, -0) ? 0 : v);
const copy = (clock) => Object.assign({}, clock);
const table = (entries) => Object.assign(Object.create(null), Object.fromEntries(entries));

export class Doc {
  constructor(clock = {}, versions = {}) {
    this.clock = copy(clock); // actor uuid → seq
    this.versions = table(Object.entries(versions).map(([k, vs]) => [k, vs.map(([c, v]) => [copy(c), v])]));
  }

  /** Writes `fields` ([[name, value]]) as op `seq` of `actor`: applies it, returns the edit. */
  write(actor, seq, fields) {
    const edit = { context: copy(this.clock), fields: fields.map(([k, v]) => [k, normalize(v)]) };
    this.apply(actor, seq, edit);
    return edit;
  }

  /** Applies op `seq` of `actor`; false (nothing changes) when this doc has seen it. */
  apply(actor, seq, { context, fields }) {
    if ((this.clock[actor] ?? 0) >= seq) return false;
    const w = { ...context, [actor]: seq };
    for (const [key, value] of fields) {
      const versions = (this.versions[key] ?? []).filter(([c]) => !leq(c, w));
      if (!versions.some(([c]) => lt(w, c))) versions.push([copy(w), value]);
      this.versions[key] = versions;
    }
    this.clock[actor] = Math.max(this.clock[actor] ?? 0, seq);
    return true;
  }

  /** Merges another state of this document (a record that entered the view). */
  merge(other) {
    for (const [actor, seq] of Object.entries(other.clock)) {
      this.clock[actor] = Math.max(this.clock[actor] ?? 0, seq);
    }
    for (const [key, theirs] of Object.entries(other.versions)) {
      const all = [...(this.versions[key] ?? [])];
      for (const [c, v] of theirs) {
        if (!all.some(([mine]) => leq(mine, c) && leq(c, mine))) all.push([copy(c), v]);
      }
      this.versions[key] = all.filter(([c]) => !all.some(([d]) => lt(c, d)));
    }
    return this;
  }

  /** The concurrent values of a field, one per version, in a stable order; [] if unwritten. */
  values(name) {
    const values = (this.versions[name] ?? []).map(([, v]) => v);
    const keyed = values.map((v) => [JSON.stringify(v), v]);
    return keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  /** Every field written, with its values: {name: [value, …]}. */
  fields() {
    return Object.fromEntries(
      Object.keys(this.versions).sort().filter((k) => this.versions[k].length).map((k) => [k, this.values(k)]),
    );
  }

  /** The names of the fields holding more than one value. */
  conflicts() {
    return Object.entries(this.fields()).filter(([, vs]) => vs.length > 1).map(([k]) => k);
  }

  /** The highest seq of `actor` applied here. */
  seen(actor) {
    return this.clock[actor] ?? 0;
  }

  isEmpty() {
    return Object.keys(this.clock).length === 0;
  }

  toJSON() {
    return { clock: copy(this.clock), versions: Object.fromEntries(Object.entries(this.versions)) };
  }

  static fromJSON(o) {
    return new Doc(o.clock, o.versions);
  }
}
