-- Districts as reference data (seeded with the province's units at start when empty), and
-- facilities and people findable: `search` is the folded name and tax code that search
-- compares, `sort_key` the Vietnamese dictionary order of the name (sachhon_shared::vietnamese).
-- Rows written before this migration get both at the next start. Office accounts can be
-- disabled (kept, for the audit trail, but no login and no session).
CREATE TABLE districts (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL
);
ALTER TABLE facilities ADD COLUMN sort_key TEXT;
ALTER TABLE facilities ADD COLUMN search TEXT;
CREATE INDEX facilities_sort ON facilities (sort_key, id);
ALTER TABLE people ADD COLUMN sort_key TEXT;
ALTER TABLE people ADD COLUMN search TEXT;
CREATE INDEX people_sort ON people (sort_key, id);
ALTER TABLE users ADD COLUMN disabled_at TEXT;
