-- Questionnaires (each version an immutable publication), the responses projection that the
-- indicators aggregate, and ops refused one by one (invalid answers).

CREATE TABLE questionnaires (
    id           TEXT NOT NULL,
    version      BIGINT NOT NULL,
    record_id    TEXT NOT NULL UNIQUE,
    definition   TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

-- One row per response, rewritten from the merged document on every change. A conflicted
-- answer projects its first value in canonical order; `conflicts` counts conflicted answers.
CREATE TABLE responses (
    id               TEXT PRIMARY KEY,
    questionnaire_id TEXT,
    version          BIGINT,
    facility_id      TEXT,
    answered_at      TEXT,
    -- The same instant in milliseconds since the epoch, for as-of comparisons.
    answered_at_ms   BIGINT,
    score            DOUBLE PRECISION,
    passes           BIGINT NOT NULL DEFAULT 0,
    applies_cp       BIGINT NOT NULL DEFAULT 0,
    savings_pct      DOUBLE PRECISION,
    review           TEXT,
    conflicts        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX responses_questionnaire ON responses (questionnaire_id);
CREATE INDEX responses_facility ON responses (facility_id, answered_at_ms);

CREATE TABLE rejected_ops (
    op_id       TEXT PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    record_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    message     TEXT NOT NULL,
    received_at TEXT NOT NULL
);
