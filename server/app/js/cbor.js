// CBOR (RFC 8949) as sync protocol v2 uses it (docs/sync-protocol.md, "CBOR conventions"):
// a writer of the canonical form (definite lengths, shortest heads, map keys in the bytewise
// order of their encodings, whole numbers as integers, other numbers as 8-byte floats) and a
// strict decoder that keeps repeated map keys and refuses tags, undefined, NaN, infinities,
// trailing bytes and integers beyond 2^53, throwing `Malformed`.

/** A body that is not the CBOR the protocol expects (HTTP 400). */
export class Malformed extends Error {
  constructor(message) {
    super(message);
    this.name = 'Malformed';
  }
}

/** A decoded map: its [key, value] entries in wire order, repeated keys kept. */
export class CborMap {
  constructor(entries = []) {
    this.entries = entries;
  }
  get size() {
    return this.entries.length;
  }
  get(key) {
    return this.entries.find(([k]) => k === key)?.[1];
  }
  [Symbol.iterator]() {
    return this.entries[Symbol.iterator]();
  }
}

/** A float as it was on the wire (decode with `{floats: 'wrap'}`), to tell 1.0 from 1. */
export class CborFloat {
  constructor(value) {
    this.value = value;
  }
}

const toUtf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_63 = 2 ** 63;

/** Bytewise order of two byte strings (shorter first when one is a prefix of the other). */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function fromHex(text) {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new TypeError('not hex');
  return Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Appends canonical CBOR; every method returns the writer. */
export class Writer {
  #buf = new Uint8Array(256);
  #len = 0;

  raw(bytes) {
    if (this.#len + bytes.length > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + bytes.length));
      bigger.set(this.#buf.subarray(0, this.#len));
      this.#buf = bigger;
    }
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
    return this;
  }

  #head(major, n) {
    const m = major << 5;
    if (typeof n === 'number') {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a CBOR argument: ${n}`);
      if (n < 24) return this.raw([m | n]);
      if (n < 0x100) return this.raw([m | 24, n]);
      if (n < 0x10000) return this.raw([m | 25, n >> 8, n & 255]);
      if (n < 0x100000000) return this.raw([m | 26, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
      n = BigInt(n);
    }
    if (n < 0n || n >= 1n << 64n) throw new RangeError(`not a CBOR argument: ${n}`);
    if (n < 0x100000000n) return this.#head(major, Number(n));
    const b = new Uint8Array(9);
    b[0] = m | 27;
    new DataView(b.buffer).setBigUint64(1, n);
    return this.raw(b);
  }

  uint(n) { return this.#head(0, n); }
  int(n) { return n < 0 ? this.#head(1, typeof n === 'bigint' ? -1n - n : -1 - n) : this.#head(0, n); }
  bytes(b) { return this.#head(2, b.length).raw(b); }
  text(s) { const b = toUtf8.encode(s); return this.#head(3, b.length).raw(b); }
  array(len) { return this.#head(4, len); }
  map(len) { return this.#head(5, len); }
  bool(b) { return this.raw([b ? 0xf5 : 0xf4]); }
  null() { return this.raw([0xf6]); }

  /** A number: whole (and within 64 bits) as an integer, any other as an 8-byte float. */
  number(x) {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new TypeError(`not a finite number: ${x}`);
    if (Number.isInteger(x) && x >= -TWO_63 && x < TWO_63) {
      return this.int(Number.isSafeInteger(x) ? x : BigInt(x));
    }
    const b = new Uint8Array(9);
    b[0] = 0xfb;
    new DataView(b.buffer).setFloat64(1, x);
    return this.raw(b);
  }

  /** A JSON-like value: null, boolean, number, string, array, or object (text keys). */
  json(v) {
    if (v === null) return this.null();
    if (typeof v === 'boolean') return this.bool(v);
    if (typeof v === 'number') return this.number(v);
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) {
      this.array(v.length);
      for (const item of v) this.json(item);
      return this;
    }
    if (typeof v === 'object') {
      return this.sortedMap(Object.entries(v).map(([k, x]) => [encoded((w) => w.text(k)), encoded((w) => w.json(x))]));
    }
    throw new TypeError(`no CBOR for ${typeof v}`);
  }

  /** A map of [encoded key, encoded value] pairs, written in the bytewise order of the keys. */
  sortedMap(pairs) {
    const sorted = [...pairs].sort((a, b) => compareBytes(a[0], b[0]));
    this.map(sorted.length);
    for (const [k, v] of sorted) this.raw(k).raw(v);
    return this;
  }

  finish() {
    return this.#buf.slice(0, this.#len);
  }
}

/** The bytes `fn` writes on a fresh writer. */
export function encoded(fn) {
  const w = new Writer();
  fn(w);
  return w.finish();
}

/**
 * Decodes exactly one item. Integers are Numbers (beyond 2^53: Malformed), byte strings
 * Uint8Arrays, maps CborMaps; floats plain Numbers, or CborFloats with `floats: 'wrap'`.
 */
export function decode(bytes, { floats = 'number', maxDepth = 64 } = {}) {
  const reader = new Reader(bytes, floats === 'wrap', maxDepth);
  const item = reader.item(0);
  if (reader.pos !== bytes.length) throw new Malformed(`${bytes.length - reader.pos} trailing bytes`);
  return item;
}

class Reader {
  constructor(bytes, wrap, maxDepth) {
    Object.assign(this, { bytes, wrap, maxDepth, pos: 0 });
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  take(n) {
    if (n > this.bytes.length - this.pos) throw new Malformed('truncated');
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  argument(ai) {
    if (ai < 24) return ai;
    if (ai > 27) throw new Malformed(`reserved additional information ${ai}`);
    const at = this.pos;
    this.take(1 << (ai - 24));
    if (ai === 24) return this.view.getUint8(at);
    if (ai === 25) return this.view.getUint16(at);
    if (ai === 26) return this.view.getUint32(at);
    const n = this.view.getBigUint64(at);
    if (n >= BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed('an integer beyond 2^53');
    return Number(n);
  }

  item(depth) {
    if (depth > this.maxDepth) throw new Malformed('nested too deep');
    const ib = this.take(1)[0];
    const major = ib >> 5;
    const ai = ib & 31;
    if (major === 7) return this.simple(ai);
    if (major === 6) throw new Malformed('a tag');
    if (ai === 31) return this.indefinite(major, depth);
    const n = this.argument(ai);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2: return this.take(n).slice();
      case 3: return text(this.take(n));
      case 4: {
        const out = [];
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      default: {
        const out = [];
        for (let i = 0; i < n; i++) out.push([this.item(depth + 1), this.item(depth + 1)]);
        return new CborMap(out);
      }
    }
  }

  indefinite(major, depth) {
    const atBreak = () => this.pos < this.bytes.length && this.bytes[this.pos] === 0xff;
    if (major === 2 || major === 3) {
      const chunks = [];
      while (!atBreak()) {
        const ib = this.take(1)[0];
        if (ib >> 5 !== major || (ib & 31) === 31) throw new Malformed('a bad chunk');
        chunks.push(this.take(this.argument(ib & 31)));
      }
      this.take(1);
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
      return major === 2 ? all : chunks.map(text).join('');
    }
    if (major === 4 || major === 5) {
      const out = [];
      while (!atBreak()) {
        const k = this.item(depth + 1);
        out.push(major === 4 ? k : [k, this.item(depth + 1)]);
      }
      this.take(1);
      return major === 4 ? out : new CborMap(out);
    }
    throw new Malformed('an integer of indefinite length');
  }

  simple(ai) {
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return null;
    if (ai < 25 || ai > 27) throw new Malformed(ai === 31 ? 'an unexpected break' : `simple value ${ai}`);
    const at = this.pos;
    this.take(1 << (ai - 24));
    const f = ai === 25 ? half(this.view.getUint16(at)) : ai === 26 ? this.view.getFloat32(at) : this.view.getFloat64(at);
    if (!Number.isFinite(f)) throw new Malformed('NaN or an infinity');
    const x = f === 0 ? 0 : f; // -0.0 is the whole number 0
    return this.wrap ? new CborFloat(x) : x;
  }
}

function text(bytes) {
  try {
    return fromUtf8.decode(bytes);
  } catch {
    throw new Malformed('invalid UTF-8');
  }
}

function half(h) {
  const exp = (h >> 10) & 31;
  const mant = h & 1023;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}
