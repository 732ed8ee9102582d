-- The latest response of a facility, straight from an index (the progress query).
DROP INDEX responses_facility;
CREATE INDEX responses_latest ON responses (facility_id, answered_at_ms, id);
