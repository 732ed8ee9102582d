-- When each enrolment last reached the server (a push or a pull), in milliseconds since the
-- epoch: the devices page shows it, and /metrics counts the devices not seen for a while.
ALTER TABLE actors ADD COLUMN last_seen_ms BIGINT;
