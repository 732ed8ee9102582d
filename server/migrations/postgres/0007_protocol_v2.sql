-- Sync protocol v2 (docs/sync-protocol.md). An op is identified by its actor and sequence
-- number (v1's op id is gone) and stored once, as the bytes pulls send: `op` is encoded
-- against the actor table of the batch it was applied in (`op_batches`). The server refuses
-- to migrate a database that holds v1 ops (it could not read them), so the op log dropped
-- here is empty; the document states of v1 went with it.
DROP TABLE ops;

CREATE TABLE op_batches (
    id     BIGSERIAL PRIMARY KEY,
    actors BYTEA NOT NULL
);

CREATE TABLE ops (
    cursor      BIGSERIAL PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    scope       TEXT NOT NULL,
    moved_from  TEXT,
    batch       BIGINT NOT NULL REFERENCES op_batches (id),
    op          BYTEA NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (actor_id, seq)
);

-- Ops refused one by one, keyed like ops.
CREATE TABLE rejected_ops_v2 (
    actor_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    message     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (actor_id, seq)
);
INSERT INTO rejected_ops_v2 (actor_id, seq, record_id, field, message, received_at)
    SELECT actor_id, seq, record_id, field, message, received_at FROM rejected_ops WHERE true
    ON CONFLICT DO NOTHING;
DROP TABLE rejected_ops;
ALTER TABLE rejected_ops_v2 RENAME TO rejected_ops;
