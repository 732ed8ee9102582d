-- Ops the server acknowledged, kept after they leave the outbox: a server restored from a
-- backup may have lost some, and the phone sends them again from here (sync.rs). Kept for as
-- long as this enrolment lasts; a new enrolment (a new actor) starts an empty log.
CREATE TABLE sent (
    seq INTEGER PRIMARY KEY NOT NULL,
    op BLOB NOT NULL
);
