#!/usr/bin/env python3
"""Independent checker of the sync protocol v2 test vectors.

A second implementation of docs/sync-protocol.md, written from that document alone (no Rust
source read): it decodes each push body of a vector, classifies it (malformed / refused /
rejected / applied), applies what is applied to an in-memory replica with the merge rule of
the document, and compares the outcome of every push, the merged view and the state hash with
the vector's.

Run (Python 3.11, standard library only: CBOR is decoded and encoded by the small codec below,
which keeps repeated map keys, something a dict-based decoder cannot do):

    python3 tests/vectors/check.py                       # every file in docs/sync-vectors/
    python3 tests/vectors/check.py docs/sync-vectors/03-*.json

Prints `ok NAME` or `FAIL NAME: what differs` per vector; exits 1 if any vector fails.

Readings where the document leaves a choice open (see tests/vectors/README.md):
- 400 (malformed) is checked over the whole body before 422 (refused); a missing message key,
  an empty or repeated actor table entry, a clock entry outside the table, repeated or with
  seq 0, NaN/infinity, a CBOR tag or an unknown simple value are 400.
- Only value rules are checked op by op (type, time range, text rule, enumerations); role
  rules, references and answers against the questionnaire are server-side and not checked
  (vector 08 applies a registration whose event the replica does not hold). A fact item of the
  wrong CBOR type is malformed; the value rules apply to operator, reason, scanned_at_ms.
- A rejected op is acknowledged (it moves the actor's sequence) but leaves documents alone.
- Records are keyed by (kind, id); values of a field are listed in the bytewise order of their
  canonical encodings, equal concurrent values not merged; floats are encoded as 0xfb.
- Text: length in code points; control = Unicode Cc other than tab, LF, CR; blank = empty
  after stripping whitespace, refused for non-nullable text; answers: long text, may be blank.
- Time: RFC 3339 (upper or lower case T/Z), its UTC instant within 2000-01-01..2099-12-31.
"""
import datetime as dt
import hashlib
import json
import math
import re
import struct
import sys
import unicodedata
import uuid
from pathlib import Path


class Malformed(Exception):
    """The body does not decode as a push (HTTP 400)."""


# --- CBOR (RFC 8949) ----------------------------------------------------------------------

class CMap(list):
    """A decoded CBOR map: a list of (key, value) pairs, repeated keys kept."""


def cbor_decode(data: bytes):
    item, end = _item(data, 0)
    if end != len(data):
        raise Malformed(f"{len(data) - end} trailing bytes")
    return item


def _take(data, i, n):
    if i + n > len(data):
        raise Malformed("truncated")
    return data[i:i + n], i + n


def _item(data, i):
    (ib,), i = _take(data, i, 1)
    major, ai = ib >> 5, ib & 31
    if major == 7:
        if ai in (20, 21, 22):
            return {20: False, 21: True, 22: None}[ai], i
        if ai in (25, 26, 27):
            raw, i = _take(data, i, {25: 2, 26: 4, 27: 8}[ai])
            f = struct.unpack({25: ">e", 26: ">f", 27: ">d"}[ai], raw)[0]
            if math.isnan(f) or math.isinf(f):
                raise Malformed("NaN or infinity")
            return f, i      # a value's whole float is read as the integer by norm()
        raise Malformed(f"simple value {ai}")
    if ai == 31:                                        # indefinite length
        if major in (2, 3):
            chunks = []
            while data[i:i + 1] != b"\xff":
                (cb,), _ = _take(data, i, 1)
                if cb >> 5 != major or cb & 31 == 31:
                    raise Malformed("bad chunk")
                chunk, i = _item(data, i)
                chunks.append(chunk)
            return (b"".join(chunks) if major == 2 else "".join(chunks)), i + 1
        if major in (4, 5):
            out = [] if major == 4 else CMap()
            while True:
                _take(data, i, 1)
                if data[i] == 0xFF:
                    return out, i + 1
                k, i = _item(data, i)
                if major == 4:
                    out.append(k)
                else:
                    v, i = _item(data, i)
                    out.append((k, v))
        raise Malformed("bad indefinite length")
    if ai < 24:
        arg = ai
    elif ai <= 27:
        raw, i = _take(data, i, 1 << (ai - 24))
        arg = int.from_bytes(raw, "big")
    else:
        raise Malformed("reserved additional info")
    if major == 0:
        return arg, i
    if major == 1:
        return -1 - arg, i
    if major == 2:
        return _take(data, i, arg)
    if major == 3:
        raw, i = _take(data, i, arg)
        try:
            return raw.decode("utf-8"), i
        except UnicodeDecodeError:
            raise Malformed("invalid UTF-8") from None
    if major == 4:
        out = []
        for _ in range(arg):
            x, i = _item(data, i)
            out.append(x)
        return out, i
    if major == 5:
        out = CMap()
        for _ in range(arg):
            k, i = _item(data, i)
            v, i = _item(data, i)
            out.append((k, v))
        return out, i
    raise Malformed("tag")                              # major 6: no tags in this protocol


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError("integer too large")


def cbor(v) -> bytes:
    """Canonical CBOR: shortest heads, definite lengths, map keys by their encodings' bytes;
    floats always 64-bit (the document: "any other number is a 64-bit float (0xfb)")."""
    if v is None or v is True or v is False:
        return {None: b"\xf6", True: b"\xf5", False: b"\xf4"}[v]
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        raw = v.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(v, (dict, CMap)):
        pairs = sorted((cbor(k), cbor(x)) for k, x in (v.items() if isinstance(v, dict) else v))
        return _head(5, len(pairs)) + b"".join(k + x for k, x in pairs)
    if isinstance(v, (list, tuple)):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    raise TypeError(type(v))


# --- The schema table ---------------------------------------------------------------------

KINDS = {1: "facility", 2: "person", 3: "event", 4: "registration", 5: "scan",
         6: "annulment", 7: "questionnaire", 8: "response"}
DOCUMENTS = {1, 2, 3, 4, 8}
# field code -> (name, type); "?" = or null
SCHEMA = {
    1: {0: ("name", "text"), 1: ("tax_code", "text"), 2: ("district", "text"),
        3: ("sector", "text"), 4: ("cp_potential", "bool")},
    2: {0: ("name", "text"), 1: ("facility_id", "id?"), 2: ("cp_staff", "bool"),
        3: ("phone", "text?")},
    3: {0: ("title", "text"), 1: ("kind", ("awareness", "training")), 2: ("starts_at", "time"),
        3: ("district", "text")},
    4: {0: ("event_id", "id"), 1: ("person_id", "id"), 2: ("revoked", "bool"),
        3: ("revoked_at", "time?")},
    8: {0: ("$questionnaire", "id"), 1: ("$version", "whole"), 2: ("$facility", "id"),
        3: ("$answered_at", "time"), 4: ("$review", ("received", "has_issues", "approved")),
        5: ("$review_comment", "longtext?")},
}
FACTS = {  # item name and type, in array order
    5: [("event", "id"), ("registration", "id"), ("person", "id?"), ("operator", "text?"),
        ("scanned_at_ms", "ms"), ("status", (0, 1)), ("walk_in", "bool")],
    6: [("scan", "id"), ("reason", "longtext?")],
    7: [("questionnaire", "id"), ("version", "whole"), ("definition", "json")],
}
ANSWER = "answer"


def name_of(kind, key):
    return SCHEMA[kind][key][0] if isinstance(key, int) else key


def type_of(kind, key):
    return SCHEMA[kind][key][1] if isinstance(key, int) else ANSWER


# --- Decoding a push (400 malformed, 422 refused) -----------------------------------------

def norm(v):
    """A field value as the protocol reads it: a whole float is the integer (8.0 is 8)."""
    if isinstance(v, float) and v.is_integer() and -2**63 <= v < 2**63:
        return int(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, CMap):
        return CMap([(k, norm(x)) for k, x in v])
    return v


def is_uint(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def check_id(x, typ, what):
    """Ids are decoded strictly: not 16 bytes, or not a byte string, is a 400."""
    if x is None and typ.endswith("?"):
        return
    if not isinstance(x, bytes):
        raise Malformed(f"{what}: not a byte string")
    if len(x) != 16:
        raise Malformed(f"{what}: {len(x)} bytes, not 16")


def decode_push(body):
    """-> (actors, ops, refusal): refusal is None or ("field name" | None,) for a 422."""
    top = cbor_decode(body)
    if not isinstance(top, CMap):
        raise Malformed("not a map")
    keys = [k for k, _ in top]
    if not all(is_uint(k) for k in keys) or len(set(keys)) != len(keys):
        raise Malformed("bad or repeated message key")
    msg = dict(top)                                     # unknown keys are ignored
    if 1 not in msg or 2 not in msg:
        raise Malformed("a needed key is missing")
    actors, raw_ops = msg[1], msg[2]
    if not isinstance(actors, list) or not actors or not isinstance(raw_ops, list):
        raise Malformed("actor table or ops not an array, or empty actor table")
    for a in actors:
        check_id(a, "id", "actor")
    if len(set(actors)) != len(actors):
        raise Malformed("actor listed twice")
    ops, refusal = [], None

    def refuse(field):
        nonlocal refusal
        if refusal is None:
            refusal = (field,)

    for op in raw_ops:
        if not isinstance(op, list) or len(op) != 4:
            raise Malformed("op is not [seq, kind, record, change]")
        seq, kind, record, change = op
        if not is_uint(seq) or seq < 1:
            raise Malformed("seq")
        if not is_uint(kind) or kind not in KINDS:
            raise Malformed(f"unknown kind {kind!r}")
        check_id(record, "id", "record")
        o = {"seq": seq, "kind": kind, "record": record}
        ops.append(o)
        if kind in FACTS:
            items = FACTS[kind]
            if not isinstance(change, list) or len(change) != len(items):
                raise Malformed("a fact of the wrong length")
            for (name, typ), x in zip(items, change):
                if typ in ("id", "id?"):
                    check_id(x, typ, name)
                elif not fact_item_typed(typ, x):
                    raise Malformed(f"fact item {name} of the wrong type")
            o["change"] = change
            continue
        if not isinstance(change, list) or len(change) != 2 \
                or not isinstance(change[0], CMap) or not isinstance(change[1], CMap):
            raise Malformed("a document change is not [context, fields]")
        context, fields = change
        o["context"] = {}
        for idx, s in context:
            if not is_uint(idx) or not is_uint(s) or s == 0:
                raise Malformed("a clock entry is not index => seq >= 1")
            if idx >= len(actors):
                raise Malformed("context names no actor of the table")
            if actors[idx] in o["context"]:
                raise Malformed("a clock names an actor twice")
            if idx == 0 and s >= seq:
                refuse(None)                            # the context has seen the op itself
            o["context"][actors[idx]] = s
        o["fields"], seen = [], set()
        if not fields:
            refuse(None)
        for key, value in fields:
            if isinstance(key, bool) or not (
                    (isinstance(key, int) and key in SCHEMA[kind])
                    or (kind == 8 and isinstance(key, str) and not key.startswith("$"))):
                raise Malformed(f"unknown field {key!r}")
            typ = type_of(kind, key)
            if typ in ("id", "id?"):
                check_id(value, typ, name_of(kind, key))
            if key in seen:
                refuse(name_of(kind, key))
            seen.add(key)
            o["fields"].append((key, norm(value)))
    return actors, ops, refusal


# --- Values (op by op: rejected) ----------------------------------------------------------

BIDI = set("\u061c\u200e\u200f") | set(map(chr, range(0x202A, 0x202F))) \
    | set(map(chr, range(0x2066, 0x206A)))
TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
MS_2000, MS_2100 = 946_684_800_000, 4_102_444_800_000


def text_ok(x, limit, required):
    return (isinstance(x, str) and len(x) <= limit
            and not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in x)
            and not any(c in BIDI for c in x)
            and not (required and not x.strip()))


def time_ok(x):
    m = isinstance(x, str) and TIME.fullmatch(x)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    off = m.group(8).upper().replace("Z", "+00:00")
    try:
        t = dt.datetime(y, mo, d, h, mi, min(s, 59),
                        tzinfo=dt.datetime.strptime(off, "%z").tzinfo)
    except ValueError:
        return False
    return 2000 <= t.astimezone(dt.timezone.utc).year <= 2099


def value_ok(typ, x):
    if isinstance(typ, tuple):                              # an enumeration
        return any(type(x) is type(c) and x == c for c in typ)
    required = not typ.endswith("?")
    if not required:
        if x is None:
            return True
        typ = typ[:-1]
    if typ == "text":
        return text_ok(x, 500, required)
    if typ == "longtext":
        return text_ok(x, 10_000, required)
    if typ == "bool":
        return isinstance(x, bool)
    if typ == "id":
        return isinstance(x, bytes) and len(x) == 16
    if typ == "time":
        return time_ok(x)
    if typ == "whole":
        return is_uint(x) and x >= 1
    if typ == "ms":
        return isinstance(x, int) and MS_2000 <= x < MS_2100
    if typ == "json":
        try:
            return isinstance(x, str) and isinstance(json.loads(x), dict)
        except ValueError:
            return False
    if typ == ANSWER:
        return True                   # checked against the questionnaire by its holder
    raise ValueError(typ)


def fact_item_typed(typ, x):
    """Whether a fact item has its CBOR type (a wrong one is malformed, not rejected)."""
    if isinstance(typ, tuple):
        return any(type(x) is type(c) and x == c for c in typ)
    if typ.endswith("?") and x is None:
        return True
    typ = typ.rstrip("?")
    if typ in ("text", "longtext", "json"):
        if typ == "json":
            try:
                return isinstance(x, str) and isinstance(json.loads(x), dict)
            except ValueError:
                return False
        return isinstance(x, str)
    if typ == "bool":
        return isinstance(x, bool)
    if typ in ("ms",):
        return isinstance(x, int) and not isinstance(x, bool)
    if typ == "whole":
        return is_uint(x)
    raise ValueError(typ)


def fault(op):
    """The name of the first field whose value does not hold, or None."""
    if op["kind"] in FACTS:
        for (name, typ), x in zip(FACTS[op["kind"]], op["change"]):
            if not value_ok(typ, x):
                return name
        return None
    for key, x in op["fields"]:
        if not value_ok(type_of(op["kind"], key), x):
            return name_of(op["kind"], key)
    return None


# --- The replica and the merge rule -------------------------------------------------------

def leq(c1, c2):
    return all(c2.get(a, 0) >= s for a, s in c1.items())


class Replica:
    def __init__(self):
        self.last = {}        # actor -> last acknowledged seq (the sequence rule)
        self.docs = {}        # (kind, id) -> {"clock": {actor: seq}, "fields": {key: [(clock, value)]}}
        self.facts = {}       # (kind, id) -> change

    def push(self, body):
        try:
            actors, ops, refusal = decode_push(body)
        except Malformed:
            return {"outcome": "malformed"}
        if refusal is not None:
            return {"outcome": "refused", "field": refusal[0]}
        author, last = actors[0], self.last.get(actors[0], 0)
        seqs = [o["seq"] for o in ops]
        new = [o for o in ops if o["seq"] > last]
        if seqs != sorted(set(seqs)) or [o["seq"] for o in new] != list(
                range(last + 1, last + 1 + len(new))):
            return {"outcome": "gap", "expected_seq": last + 1}      # 409
        rejected = []
        for o in new:
            field = fault(o)
            if field is not None:
                rejected.append({"seq": o["seq"], "field": field})
            elif o["kind"] in FACTS:
                self.facts.setdefault((o["kind"], o["record"]), o["change"])
            else:
                self.apply(o, author)
            self.last[author] = o["seq"]
        return {"outcome": "rejected", "ops": rejected} if rejected else {"outcome": "applied"}

    def apply(self, o, author):
        doc = self.docs.setdefault((o["kind"], o["record"]), {"clock": {}, "fields": {}})
        seq = o["seq"]
        if doc["clock"].get(author, 0) >= seq:
            return
        w = dict(o["context"])
        w[author] = seq
        for key, value in o["fields"]:
            versions = [(c, v) for c, v in doc["fields"].get(key, []) if not leq(c, w)]
            if not any(leq(w, c) and c != w for c, _ in versions):
                versions.append((w, value))
            doc["fields"][key] = versions
        doc["clock"][author] = max(doc["clock"].get(author, 0), seq)

    def records(self):
        """(kind, id, doc-or-None, fact-or-None) in order of (kind code, id bytes)."""
        keys = sorted(set(self.docs) | set(self.facts))
        return [(k, i, self.docs.get((k, i)), self.facts.get((k, i))) for k, i in keys]

    @staticmethod
    def values(doc, key):
        return sorted((v for _, v in doc["fields"][key]), key=cbor)

    def state_hash(self):
        h = hashlib.sha256()
        for kind, rid, doc, fact in self.records():
            if doc is not None:
                fields = {k: self.values(doc, k) for k in doc["fields"] if doc["fields"][k]}
                digest = hashlib.sha256(cbor([doc["clock"], fields])).digest()
            else:
                digest = hashlib.sha256(cbor(fact)).digest()
            h.update(bytes([kind]) + rid + digest)
        return h.hexdigest()

    def view(self):
        out = []
        for kind, rid, doc, fact in self.records():
            rec = {"kind": KINDS[kind], "id": str(uuid.UUID(bytes=rid))}
            if doc is not None:
                rec["fields"] = {name_of(kind, k): [as_json(v) for v in self.values(doc, k)]
                                 for k in doc["fields"]}
            else:
                f = {name: as_json(x) for (name, _), x in zip(FACTS[kind], fact)}
                if kind == 5:
                    f["status"] = {0: "ok", 1: "duplicate"}[fact[5]]
                if kind == 7:
                    f["definition"] = json.loads(fact[2])
                rec["fact"] = f
            out.append(rec)
        return out


def as_json(v):
    if isinstance(v, bytes):
        return str(uuid.UUID(bytes=v))
    if isinstance(v, list):
        return [as_json(x) for x in v]
    return v


# --- Running the vectors ------------------------------------------------------------------

def canon(x):
    return json.dumps(x, sort_keys=True, ensure_ascii=False)


def run(path):
    vec = json.loads(path.read_text(encoding="utf-8"))
    replica, problems = Replica(), []
    for n, p in enumerate(vec["pushes"], 1):
        want = {"outcome": p["outcome"]}
        if p["outcome"] == "refused":
            want["field"] = p.get("field")
        if p["outcome"] == "rejected":
            want["ops"] = [{"seq": o["seq"], "field": o["field"]} for o in p["ops"]]
        got = replica.push(bytes.fromhex(p["hex"]))
        if canon(got) != canon(want):
            problems.append(f"push {n}: got {canon(got)}, expected {canon(want)}")
    view = replica.view()
    if canon(view) != canon(vec["view"]):
        if len(view) != len(vec["view"]):
            problems.append(f"view has {len(view)} records, expected {len(vec['view'])}")
        for mine, theirs in zip(view, vec["view"]):
            if canon(mine) != canon(theirs):
                problems.append(f"view: got {canon(mine)}, expected {canon(theirs)}")
                break
    if replica.state_hash() != vec["state_hash"]:
        problems.append(f"state hash {replica.state_hash()}, expected {vec['state_hash']}")
    return problems


def main(argv):
    default = Path(__file__).resolve().parents[2] / "docs" / "sync-vectors"
    paths = [Path(a) for a in argv] or sorted(default.glob("*.json"))
    if not paths:
        print(f"no vector files in {default}", file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        problems = run(path)
        failed += bool(problems)
        print(f"FAIL {path.stem}: " + "; ".join(problems) if problems else f"ok {path.stem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
