-- Sync protocol v2: an op is identified by its actor and sequence number, so a rejection of
-- one of this phone's ops is keyed by its seq (the op id of v1 is gone). Document states and
-- outbox rows are v2's encodings from now on (a v1 replica's are refused when read).
CREATE TABLE rejections_v2 (
    seq INTEGER PRIMARY KEY NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    message TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
INSERT OR IGNORE INTO rejections_v2 (seq, record_id, field, message, received_at)
    SELECT seq, record_id, field, message, received_at FROM rejections;
DROP TABLE rejections;
ALTER TABLE rejections_v2 RENAME TO rejections;
CREATE INDEX rejections_by_record ON rejections (record_id, seq);
