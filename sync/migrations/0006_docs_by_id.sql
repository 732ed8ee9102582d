-- Records that leave this phone's view are dropped by id alone (a pull's `left` names no
-- kind); without this index each drop read every document.
CREATE INDEX docs_by_id ON docs (id);
