-- Device scopes: the events (and districts, whose events count) a trainer device is assigned.
-- A trainer device with assignments pulls only those events' registrations, people, scans
-- and annulments, with the public records; with none, everything.
CREATE TABLE device_assignments (
    device_id TEXT NOT NULL REFERENCES devices (id),
    -- 'event' (value: the event id) or 'district' (value: the district's name).
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (device_id, kind, value)
);

-- The event an op-log row belongs to: a registration's event, a scan's, an annulled scan's.
ALTER TABLE ops ADD COLUMN event_id TEXT;
UPDATE ops SET event_id = (SELECT r.event_id FROM registrations r WHERE r.id = ops.record_id)
    WHERE kind = 'registration';
UPDATE ops SET event_id = (SELECT s.event_id FROM scans s WHERE s.id = ops.record_id)
    WHERE kind = 'scan';
UPDATE ops SET event_id = (SELECT s.event_id FROM annulments a JOIN scans s ON s.id = a.scan_id
    WHERE a.id = ops.record_id) WHERE kind = 'annulment';
CREATE INDEX ops_event ON ops (event_id, cursor);
CREATE INDEX registrations_person ON registrations (person_id, event_id);
