-- Questionnaires on the phone: the published versions pulled from the server, and the
-- server's refusals of this phone's answers.

-- Published questionnaire versions: immutable facts, set union by record id. `publication`
-- is the CBOR of the fact exactly as received (the state hash and the answer checks read
-- it); `definition` is the same definition as JSON, for people and ad-hoc queries.
CREATE TABLE questionnaires (
    record_id TEXT PRIMARY KEY NOT NULL,
    questionnaire_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    publication BLOB NOT NULL,
    UNIQUE (questionnaire_id, version)
);

-- Ops of this phone that the server acknowledged but refused one by one (an invalid answer),
-- recorded in the transaction that drops them from the outbox. `received_at` is the phone's
-- clock when the acknowledgement arrived, in milliseconds since the epoch.
CREATE TABLE rejections (
    op_id TEXT PRIMARY KEY NOT NULL,
    seq INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    message TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX rejections_by_record ON rejections (record_id, seq);
