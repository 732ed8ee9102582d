// Sync protocol v2 messages (docs/sync-protocol.md): the schema table, ops and push bodies
// (decoded in the spec's first stage, `Malformed`; then `checkShape`, the 422 stage; then
// `checkValues`, the value rules that reject an op alone), pull pages and document states.
// Ids are lowercase hyphenated UUID strings here and 16-byte strings on the wire.
import { CborFloat, CborMap, Malformed, Writer, decode, encoded, fromHex, hex } from './cbor.js';
import { Doc } from './doc.js';

// Field types: text, note (long text), bool, id, time, whole (from 1), an enumeration (a|b);
// a trailing ? admits null. Field codes are positions. Facts have no fields (null).
const TABLE = [
  ['facility', 'name:text tax_code:text district:text sector:text cp_potential:bool'],
  ['person', 'name:text facility_id:id? cp_staff:bool phone:text?'],
  ['event', 'title:text kind:awareness|training starts_at:time district:text'],
  ['registration', 'event_id:id person_id:id revoked:bool revoked_at:time?'],
  ['scan', null],
  ['annulment', null],
  ['questionnaire', null],
  ['response', '$questionnaire:id $version:whole $facility:id $answered_at:time ' +
    '$review:received|has_issues|approved $review_comment:note?'],
];

/** The kinds of the schema table: {name, code, document, fields: [{code, name, type}]}. */
export const KINDS = TABLE.map(([name, spec], i) => ({
  name,
  code: i + 1,
  document: spec !== null,
  fields: (spec ?? '').split(' ').filter(Boolean).map((f, code) => {
    const [field, type] = f.split(':');
    return { code, name: field, type: type.includes('|') ? type.split('|') : type };
  }),
}));
export const KIND = Object.fromEntries(KINDS.map((k) => [k.name, k]));
const BY_CODE = new Map(KINDS.map((k) => [k.code, k]));

/** Fact items in array order, with their types ('ms': an integer, ms since 1970). */
export const FACTS = {
  scan: { change: 'scan', items: [['event', 'id'], ['registration', 'id'], ['person', 'id?'],
    ['operator', 'text?'], ['scanned_at_ms', 'ms'], ['status', 'status'], ['walk_in', 'bool']] },
  annulment: { change: 'annul', items: [['scan', 'id'], ['reason', 'note?']] },
  questionnaire: { change: 'publish', items: [['questionnaire', 'id'], ['version', 'uint'], ['definition', 'json']] },
};
const STATUS = ['ok', 'duplicate'];

const kindOf = (name) => KIND[name] ?? fail(`no record kind ${name}`, TypeError);
const isAnswer = (kind, name) => kind.name === 'response' && typeof name === 'string' && !name.startsWith('$');

/** A field's type: its schema type, 'answer' for a response's answer, undefined if unknown. */
export function fieldType(kind, name) {
  const k = typeof kind === 'string' ? kindOf(kind) : kind;
  return k.fields.find((f) => f.name === name)?.type ?? (isAnswer(k, name) ? 'answer' : undefined);
}

function fail(message, Error = Malformed) {
  throw new Error(message);
}

// --- Ids -------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isUuid = (x) => typeof x === 'string' && UUID.test(x);

export function uuidBytes(id) {
  if (!isUuid(id)) fail(`not a lowercase hyphenated UUID: ${id}`, TypeError);
  return fromHex(id.replaceAll('-', ''));
}

export function uuidString(bytes) {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- Encoding --------------------------------------------------------------------------

/** The actors a message names, each once; the first is the author of its ops. */
class ActorTable {
  constructor(author) {
    this.ids = author ? [author] : [];
  }
  index(actor) {
    const i = this.ids.indexOf(actor);
    return i >= 0 ? i : this.ids.push(actor) - 1;
  }
  write(w) {
    w.array(this.ids.length);
    for (const id of this.ids) w.bytes(uuidBytes(id));
  }
}

const byActor = ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0);

function writeClock(w, actors, clock) {
  // Indexes are given in the order of the actors' ids, as the Rust writer does.
  const entries = Object.entries(clock).sort(byActor).map(([a, seq]) => [actors.index(a), seq]);
  w.map(entries.length);
  for (const [i, seq] of entries.sort((x, y) => x[0] - y[0])) w.uint(i).uint(seq);
}

/** A field's key as on the wire: its code, or an answer's key as text. */
export function encodeKey(kind, name) {
  const k = kindOf(kind);
  const field = k.fields.find((f) => f.name === name);
  if (field) return encoded((w) => w.uint(field.code));
  if (isAnswer(k, name)) return encoded((w) => w.text(name));
  return fail(`${k.name} has no field ${name}`, TypeError);
}

/** A field's value as on the wire: an id as 16 bytes, any other value as CBOR of its JSON. */
export function encodeValue(kind, name, value) {
  const type = fieldType(kind, name);
  const id = type === 'id' || (type === 'id?' && value !== null);
  return encoded((w) => (id ? w.bytes(uuidBytes(value)) : w.json(value)));
}

function writeChange(w, actors, kind, change) {
  const k = kindOf(kind);
  const id = (x) => w.bytes(uuidBytes(x));
  const idOrNull = (x) => (x === null || x === undefined ? w.null() : id(x));
  const text = (x) => (x === null || x === undefined ? w.null() : w.text(x));
  if (k.document) {
    const { context, fields } = change.edit;
    w.array(2);
    writeClock(w, actors, context);
    w.sortedMap(fields.map(([name, value]) => [encodeKey(kind, name), encodeValue(kind, name, value)]));
  } else if (change.scan) {
    const s = change.scan;
    if (!STATUS.includes(s.status)) fail(`no scan status ${s.status}`, TypeError);
    w.array(7);
    id(s.event);
    id(s.registration);
    idOrNull(s.person);
    text(s.operator);
    w.int(s.scanned_at_ms).uint(STATUS.indexOf(s.status)).bool(s.walk_in);
  } else if (change.annul) {
    w.array(2);
    id(change.annul.scan);
    text(change.annul.reason);
  } else if (change.publish) {
    const p = change.publish;
    w.array(3);
    id(p.questionnaire);
    w.uint(p.version).text(p.json ?? JSON.stringify(p.definition));
  } else {
    fail(`a ${kind} record cannot take this change`, TypeError);
  }
}

/** The canonical CBOR of a fact's change, as in its op (what the state hash digests). */
export const encodeChange = (kind, change) => encoded((w) => writeChange(w, null, kind, change));

function encodeOp(actors, op) {
  return encoded((w) => {
    w.array(4).uint(op.seq).uint(kindOf(op.kind).code).bytes(uuidBytes(op.record));
    writeChange(w, actors, op.kind, op.change);
  });
}

/** A push body: {1: actor table (author first), 2: [op, …]}, canonical. */
export function encodePush(actor, ops) {
  const actors = new ActorTable(actor);
  const bytes = ops.map((op) => {
    if (op.actor !== undefined && op.actor !== actor) fail(`an op of ${op.actor} in ${actor}'s push`, TypeError);
    return encodeOp(actors, op);
  });
  return encoded((w) => {
    w.map(2).uint(1);
    actors.write(w);
    w.uint(2).array(bytes.length);
    for (const b of bytes) w.raw(b);
  });
}

/** A document's state: [actor table, clock, {key: [[clock, value], …]}]. */
export function encodeState(kind, doc) {
  const actors = new ActorTable();
  const body = encoded((w) => {
    writeClock(w, actors, doc.clock);
    w.sortedMap(Object.keys(doc.versions).sort().filter((k) => doc.versions[k].length).map((name) => {
      const versions = doc.versions[name];
      return [encodeKey(kind, name), encoded((v) => {
        v.array(versions.length);
        for (const [clock, value] of versions) {
          v.array(2);
          writeClock(v, actors, clock);
          v.raw(encodeValue(kind, name, value));
        }
      })];
    }));
  });
  return encoded((w) => {
    w.array(3);
    actors.write(w);
    w.raw(body);
  });
}

// --- Decoding (400: Malformed) ---------------------------------------------------------

const isUint = (x) => Number.isSafeInteger(x) && x >= 0; // a CBOR integer (floats are CborFloats)

const readId = (x, what) =>
  x instanceof Uint8Array && x.length === 16 ? uuidString(x) : fail(`${what}: not a 16-byte id`);
const readText = (x, what) => (typeof x === 'string' ? x : fail(`${what}: not text`));
const nullable = (read) => (x, what) => (x === null ? null : read(x, what));

/** A message map: unsigned keys, none repeated. */
function readMessage(item, what) {
  if (!(item instanceof CborMap)) fail(`${what}: not a map`);
  const keys = item.entries.map(([k]) => k);
  if (!keys.every(isUint) || new Set(keys).size !== keys.length) fail(`${what}: a bad or repeated key`);
  const message = new Map(item.entries);
  return (key, needed = true) => (message.has(key) || !needed ? message.get(key) : fail(`${what}: no key ${key}`));
}

function readActors(item, what, allowEmpty = false) {
  if (!Array.isArray(item) || (!item.length && !allowEmpty)) fail(`${what}: not an actor table`);
  const ids = item.map((x) => readId(x, what));
  if (new Set(ids).size !== ids.length) fail(`${what}: an actor listed twice`);
  return ids;
}

function readClock(item, actors, what) {
  if (!(item instanceof CborMap)) fail(`${what}: a clock is a map`);
  const clock = {};
  for (const [i, seq] of item) {
    if (!isUint(i) || !isUint(seq) || seq === 0) fail(`${what}: a clock entry is index => seq >= 1`);
    if (i >= actors.length) fail(`${what}: no actor ${i} in the table`);
    if (actors[i] in clock) fail(`${what}: an actor named twice`);
    clock[actors[i]] = seq;
  }
  return clock;
}

function readKey(kind, key) {
  if (isUint(key)) return kind.fields[key]?.name ?? fail(`${kind.name} has no field code ${key}`);
  return isAnswer(kind, key) ? key : fail(`${kind.name} has no field ${JSON.stringify(key)}`);
}

const MAX_VALUE_DEPTH = 8;

function readJson(x, depth = 0) {
  if (depth > MAX_VALUE_DEPTH) fail('a value nested too deep');
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (x instanceof CborFloat) return x.value;
  if (Array.isArray(x)) return x.map((item) => readJson(item, depth + 1));
  if (x instanceof CborMap) {
    const keys = x.entries.map(([k]) => k);
    if (!keys.every((k) => typeof k === 'string') || new Set(keys).size !== keys.length) {
      fail('a map value with a key that is not text, or repeated');
    }
    return Object.fromEntries(x.entries.map(([k, v]) => [k, readJson(v, depth + 1)]));
  }
  return fail('a byte string where a value is expected');
}

function readValue(x, type, what) {
  if (type === 'id') return readId(x, what);
  if (type === 'id?') return nullable(readId)(x, what);
  return readJson(x);
}

function readFact(kind, item) {
  const { change, items } = FACTS[kind.name];
  if (!Array.isArray(item) || item.length !== items.length) fail(`a ${kind.name} of the wrong length`);
  const fact = {};
  items.forEach(([name, type], i) => {
    const x = item[i];
    const what = `${kind.name}.${name}`;
    if (type === 'id') fact[name] = readId(x, what);
    else if (type === 'id?') fact[name] = nullable(readId)(x, what);
    else if (type.startsWith('text') || type.startsWith('note')) fact[name] = nullable(readText)(x, what);
    else if (type === 'ms') fact[name] = Number.isSafeInteger(x) ? x : fail(`${what}: not an integer`);
    else if (type === 'status') fact[name] = STATUS[x] ?? fail(`${what}: no scan status ${x}`);
    else if (type === 'bool') fact[name] = typeof x === 'boolean' ? x : fail(`${what}: not a bool`);
    else if (type === 'uint') fact[name] = isUint(x) && x < 2 ** 32 ? x : fail(`${what}: not a version`);
    else {
      let definition;
      try {
        definition = JSON.parse(readText(x, what));
      } catch (e) {
        if (e instanceof Malformed) throw e;
      }
      if (!definition || typeof definition !== 'object' || Array.isArray(definition)) fail(`${what}: not a JSON object`);
      Object.assign(fact, { definition, json: x }); // the text, verbatim: the state hash covers it
    }
  });
  return { [change]: fact };
}

function readOp(item, actors, what) {
  if (!Array.isArray(item) || item.length !== 4) fail(`${what}: an op is [seq, kind, record, change]`);
  const [seq, code, record, change] = item;
  if (!isUint(seq) || seq === 0) fail(`${what}: seq is an integer from 1`);
  const kind = BY_CODE.get(code) ?? fail(`${what}: no record kind ${code}`);
  const op = { actor: actors[0], seq, kind: kind.name, record: readId(record, `${what}.record`) };
  if (!kind.document) return { ...op, change: readFact(kind, change) };
  if (!Array.isArray(change) || change.length !== 2 || !change.every((x) => x instanceof CborMap)) {
    fail(`${what}: a document change is [context, fields]`);
  }
  const context = readClock(change[0], actors, `${what}.context`);
  const fields = change[1].entries.map(([key, value]) => {
    const name = readKey(kind, key);
    return [name, readValue(value, fieldType(kind, name), `${what}.${name}`)];
  });
  return { ...op, change: { edit: { context, fields } } };
}

/** Reads a push body → {author, ops}; throws Malformed (400). */
export function decodePush(bytes) {
  const get = readMessage(decode(bytes, { floats: 'wrap' }), 'push');
  const actors = readActors(get(1), 'push actors');
  const ops = get(2);
  if (!Array.isArray(ops)) fail('push ops: not an array');
  return { author: actors[0], ops: ops.map((op, i) => readOp(op, actors, `push op ${i}`)) };
}

// --- Shapes (422) and values (rejected op by op) ---------------------------------------

/** The second stage: null, or {field, message} (field a name, or null): refused whole (422). */
export function checkShape(op) {
  const edit = op.change.edit;
  if (edit === undefined) return null; // a fact: its shape was checked in decoding
  if ((edit.context[op.actor] ?? 0) >= op.seq) return { field: null, message: 'the context has seen the op itself' };
  if (!edit.fields.length) return { field: null, message: 'the op writes no field' };
  const seen = new Set();
  for (const [name] of edit.fields) {
    if (seen.has(name)) return { field: name, message: 'written twice in one op' };
    seen.add(name);
  }
  return null;
}

const FORBIDDEN = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|([+-])(\d\d):(\d\d))$/;
const MS_2000 = Date.UTC(2000, 0, 1);
const MS_2100 = Date.UTC(2100, 0, 1);

/** The text rule: at most `limit` code points, no forbidden character, not blank if required. */
export function textOk(x, limit = 500, required = false) {
  if (typeof x !== 'string' || FORBIDDEN.test(x)) return false;
  let n = 0;
  for (const _ of x) if (++n > limit) return false;
  return !required || /\P{White_Space}/u.test(x);
}

/** RFC 3339 time whose UTC instant lies in the years 2000–2099. */
export function timeOk(x) {
  const m = typeof x === 'string' && TIME.exec(x);
  if (!m) return false;
  const [y, mo, d, h, mi, s, sign, oh, om] = m.slice(1).map((g) => (g === '+' || g === '-' ? g : Number(g)));
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d); // (Date.UTC would read years below 100 as 19xx)
  t.setUTCHours(h, mi, Math.min(s, 59));
  if (t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) return false;
  if (sign && (oh > 23 || om > 59)) return false;
  const offset = sign ? (sign === '-' ? -1 : 1) * (oh * 60 + om) * 60000 : 0;
  const year = new Date(t.getTime() - offset).getUTCFullYear();
  return year >= 2000 && year <= 2099;
}

/** Whether `x` holds as a value of `type` (a field type, 'answer', or a fact item's). */
export function valueOk(type, x) {
  if (Array.isArray(type)) return typeof x === 'string' && type.includes(x);
  if (type === 'answer') return true; // checked against the questionnaire by its holder
  const optional = type.endsWith('?');
  if (optional && x === null) return true;
  switch (type.replace('?', '')) {
    case 'text': return textOk(x, 500, !optional);
    case 'note': return textOk(x, 10000, !optional);
    case 'bool': return typeof x === 'boolean';
    case 'id': return isUuid(x);
    case 'time': return timeOk(x);
    case 'whole': return Number.isSafeInteger(x) && x >= 1;
    case 'ms': return Number.isSafeInteger(x) && x >= MS_2000 && x < MS_2100;
    default: return true; // status, uint, json: typed when decoded
  }
}

const EXPECTED = {
  text: 'non-blank text of at most 500 characters, without control characters',
  'text?': 'text of at most 500 characters, without control characters, or null',
  'note?': 'text of at most 10,000 characters, without control characters, or null',
  bool: 'true or false', time: 'an RFC 3339 time in the years 2000–2099',
  'time?': 'an RFC 3339 time in the years 2000–2099, or null',
  whole: 'a whole number from 1', ms: 'an instant in the years 2000–2099',
  id: 'an id (a lowercase UUID)', 'id?': 'an id (a lowercase UUID) or null',
};

function fault(field, type) {
  const expected = Array.isArray(type) ? `one of ${type.join(', ')}` : EXPECTED[type];
  return { field, message: `expected ${expected}` };
}

/** The value rules: null, or {field, message} for the first failing field in wire order. */
export function checkValues(op) {
  const kind = kindOf(op.kind);
  if (kind.document) {
    const bad = op.change.edit.fields.find(([name, value]) => !valueOk(fieldType(kind, name), value));
    return bad ? fault(bad[0], fieldType(kind, bad[0])) : null;
  }
  const { change, items } = FACTS[kind.name];
  const bad = items.find(([name, type]) => !valueOk(type, op.change[change][name]));
  return bad ? fault(...bad) : null;
}

// --- Pull pages and states -------------------------------------------------------------

/** Reads a document's state (a decoded item, or its bytes) of `kind` into a Doc. */
export function decodeState(kind, item) {
  const k = kindOf(kind);
  if (!k.document) fail(`${kind} is not a document kind`);
  if (item instanceof Uint8Array) item = decode(item, { floats: 'wrap' });
  if (!Array.isArray(item) || item.length !== 3) fail('a state is [actors, clock, fields]');
  const actors = readActors(item[0], 'state actors', true);
  const clock = readClock(item[1], actors, 'state clock');
  if (!(item[2] instanceof CborMap)) fail('state fields: not a map');
  const versions = {};
  for (const [key, list] of item[2]) {
    const name = readKey(k, key);
    if (Object.hasOwn(versions, name)) fail(`state: ${name} twice`);
    if (!Array.isArray(list) || !list.length) fail(`state ${name}: no versions`);
    versions[name] = list.map((version) => {
      if (!Array.isArray(version) || version.length !== 2) fail(`state ${name}: a version is [clock, value]`);
      return [readClock(version[0], actors, `state ${name}`), readValue(version[1], fieldType(k, name), name)];
    });
  }
  return new Doc(clock, versions);
}

/** Reads a pull page → {ops, next, more, ticketKeys, arrived, left}; throws Malformed. */
export function decodePage(bytes) {
  const get = readMessage(decode(bytes, { floats: 'wrap' }), 'page');
  const list = (x, what) => (Array.isArray(x) ? x : fail(`${what}: not an array`));
  const ops = list(get(1), 'page segments').flatMap((segment, s) => {
    if (!Array.isArray(segment) || segment.length !== 2) fail('a segment is [actors, ops]');
    const actors = readActors(segment[0], 'segment actors');
    return list(segment[1], 'segment ops').map((item, i) => readOp(item, actors, `segment ${s} op ${i}`));
  });
  const next = readText(get(2), 'page next');
  const more = typeof get(3) === 'boolean' ? get(3) : fail('page more: not a bool');
  const ticketKeys = list(get(4), 'ticket keys').map((key) => {
    if (!Array.isArray(key) || key.length !== 3) fail('a ticket key is [id, public key, retired]');
    const [id, publicKey, retired] = key;
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) fail('a ticket key is 32 bytes');
    if (typeof retired !== 'boolean') fail('ticket key retired: not a bool');
    return { id: readText(id, 'ticket key id'), public_key: hex(publicKey), retired };
  });
  const optional = (key) => (get(key, false) === undefined ? [] : list(get(key), `page key ${key}`));
  const arrived = optional(5).map((arrival) => {
    if (!Array.isArray(arrival) || arrival.length !== 3) fail('an arrival is [kind, record, state]');
    const kind = BY_CODE.get(arrival[0]);
    if (!kind?.document) fail(`an arrival of no document kind ${arrival[0]}`);
    return { kind: kind.name, record: readId(arrival[1], 'arrival'), state: decodeState(kind.name, arrival[2]) };
  });
  const left = optional(6).map((id) => readId(id, 'page left'));
  return { ops, next, more, ticketKeys, arrived, left };
}
