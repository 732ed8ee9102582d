-- When a registration was revoked (the server's clock), and scans of a ticket made after its
-- revocation by a phone that had not yet pulled it: counted, but flagged for the office.
ALTER TABLE registrations ADD COLUMN revoked_at TEXT;
ALTER TABLE scans ADD COLUMN revoked_ticket INTEGER NOT NULL DEFAULT 0;
