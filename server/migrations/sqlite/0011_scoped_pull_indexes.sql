-- A trainer device with assignments pulls the public rows, its events' rows and the rows of
-- the people registered for them; these partial indexes find each set by position, so that
-- such a pull reads its view, not the whole op log (docs/benchmarks.md, "Device scopes: the
-- bound"). The events' rows have `ops_event` (0008).
CREATE INDEX ops_public ON ops (cursor) WHERE scope = 'public';
CREATE INDEX ops_person ON ops (record_id, cursor) WHERE kind = 'person';
