-- The programme plan (milestones, targets, tasks) as data, seeded at first start; the
-- office's follow-up of each task.

CREATE TABLE plan (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);

CREATE TABLE plan_tasks (
    number     INTEGER PRIMARY KEY,
    status     TEXT NOT NULL,
    note       TEXT NOT NULL,
    updated_at TEXT
);
