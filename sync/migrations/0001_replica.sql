-- The phone's local replica. Ids are UUID strings; times are milliseconds since the epoch.

-- The enrolment of this phone: one row once enrolled, none before.
CREATE TABLE device (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    device_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    access_token TEXT NOT NULL,
    role TEXT NOT NULL,
    facility_id TEXT,
    -- The sequence number the next local op takes.
    next_seq INTEGER NOT NULL DEFAULT 1,
    -- The server's change-feed cursor after the last applied pull page ('' = beginning).
    cursor TEXT NOT NULL DEFAULT ''
);

-- CRDT document states (format byte + CBOR), keyed like the shared state hash.
CREATE TABLE docs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    state BLOB NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

-- Scan facts: immutable, set union by id.
CREATE TABLE scans (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    scanned_at_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    walk_in INTEGER NOT NULL,
    actor_id TEXT NOT NULL
);
CREATE INDEX scans_by_event_person ON scans (event_id, person_id);

-- Projection of registration documents, for ticket checks.
CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL,
    person_id TEXT NOT NULL
);
CREATE INDEX registrations_by_event_person ON registrations (event_id, person_id);

-- Local ops not yet acknowledged by the server: CBOR of the whole op, by sequence number.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY NOT NULL,
    op BLOB NOT NULL
);
