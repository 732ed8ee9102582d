-- When a registration was revoked (the server's clock), and scans of a ticket made after its
-- revocation by a phone that had not yet pulled it: counted, but flagged for the office.
ALTER TABLE registrations ADD COLUMN revoked_at TEXT;
ALTER TABLE scans ADD COLUMN revoked_ticket INTEGER NOT NULL DEFAULT 0;

-- The scope a record left when an op moved it (a person to another facility), so that a pull
-- sends it whole to the new scope's devices and tells the old scope's to drop it.
ALTER TABLE ops ADD COLUMN moved_from TEXT;
