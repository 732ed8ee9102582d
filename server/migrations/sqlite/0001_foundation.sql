-- Foundation schema: credentials, the append-only op log (also the change feed), document
-- states and the projections that answer queries.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE admin_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);

CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    facility_id TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE enrolment_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (id),
    created_at TEXT NOT NULL,
    used_at    TEXT
);

-- One row per enrolment (and one for the server itself, with no device).
CREATE TABLE actors (
    id          TEXT PRIMARY KEY,
    device_id   TEXT REFERENCES devices (id),
    token_hash  TEXT UNIQUE,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    enrolled_at TEXT NOT NULL,
    -- The device clock minus the server clock at its last push or pull, in milliseconds.
    clock_offset_ms INTEGER
);

-- The op log in commit order; `cursor` is the change-feed position. Writers take their
-- cursors under the feed lock (PostgreSQL) or the single writer (SQLite), so cursor order is
-- commit order.
CREATE TABLE ops (
    cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id    TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    op_id       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    change      BLOB NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (actor_id, seq)
);

CREATE TABLE docs (
    id    TEXT PRIMARY KEY,
    kind  TEXT NOT NULL,
    scope TEXT NOT NULL,
    state BLOB NOT NULL
);

CREATE TABLE facilities (
    id           TEXT PRIMARY KEY,
    name         TEXT,
    tax_code     TEXT,
    district     TEXT,
    sector       TEXT,
    cp_potential INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX facilities_tax_code ON facilities (tax_code);

CREATE TABLE people (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    facility_id TEXT,
    cp_staff    INTEGER NOT NULL DEFAULT 0,
    phone       TEXT
);

CREATE TABLE events (
    id        TEXT PRIMARY KEY,
    title     TEXT,
    kind      TEXT,
    starts_at TEXT,
    district  TEXT
);

CREATE TABLE registrations (
    id        TEXT PRIMARY KEY,
    event_id  TEXT,
    person_id TEXT,
    revoked   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX registrations_event_person ON registrations (event_id, person_id);

-- Scan facts. `person_id` is null when the phone accepted a ticket registered after its last
-- sync; the registration tells the person. `clock_skewed` marks a scan pushed by a device
-- whose clock was more than five minutes off (its `scanned_at_ms` is kept as it was).
CREATE TABLE scans (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    person_id       TEXT,
    actor_id        TEXT NOT NULL,
    operator        TEXT,
    scanned_at_ms   INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    status          TEXT NOT NULL,
    walk_in         INTEGER NOT NULL,
    clock_skewed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_event ON scans (event_id);

CREATE TABLE annulments (
    id          TEXT PRIMARY KEY,
    scan_id     TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    reason      TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX annulments_scan ON annulments (scan_id);

-- Ed25519 keys that sign tickets. A retired key no longer admits anyone; the newest
-- unretired key signs new tickets.
CREATE TABLE ticket_keys (
    id          TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    secret_key  BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT
);
