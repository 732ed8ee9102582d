-- Signed tickets checked offline: the ticket key ring, revoked registrations, scans whose
-- person the phone did not know, the operator of a scan, and annulments of scans.

-- The public keys that sign tickets, as the server last sent them (at enrolment, then with
-- every pull page that carries a list). A retired key admits no one.
CREATE TABLE ticket_keys (
    id TEXT PRIMARY KEY NOT NULL,
    public_key TEXT NOT NULL,
    retired INTEGER NOT NULL
);

-- The registration document's `revoked` field, kept with the projection.
ALTER TABLE registrations ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;

-- Scan facts, as recorded: the person is unknown (NULL) when the ticket's registration was
-- not in the replica yet; the operator is who held the phone, if told. SQLite cannot relax
-- NOT NULL in place, so the table is rebuilt.
CREATE TABLE scans_v2 (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    person_id TEXT,
    operator TEXT,
    scanned_at_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    walk_in INTEGER NOT NULL,
    actor_id TEXT NOT NULL
);
INSERT INTO scans_v2
    (id, event_id, registration_id, person_id, operator, scanned_at_ms, status, walk_in, actor_id)
    SELECT id, event_id, registration_id, person_id, NULL, scanned_at_ms, status, walk_in, actor_id
    FROM scans;
DROP TABLE scans;
ALTER TABLE scans_v2 RENAME TO scans;
CREATE INDEX scans_by_event_person ON scans (event_id, person_id);
CREATE INDEX scans_by_event_registration ON scans (event_id, registration_id);

-- Annulment facts: immutable, set union by id. A scan with at least one annulment no longer
-- counts (several phones may annul the same scan).
CREATE TABLE annulments (
    id TEXT PRIMARY KEY NOT NULL,
    scan_id TEXT NOT NULL,
    reason TEXT,
    actor_id TEXT NOT NULL
);
CREATE INDEX annulments_by_scan ON annulments (scan_id);
