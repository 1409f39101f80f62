-- 0015: staff hear of waiting requests (issue 21, docs/desk-notify.md).
-- One row per daily digest per recipient: the UNIQUE key makes a second run the same
-- day (a restart, a second service, `intake notify digest`) send nothing twice.
CREATE TABLE desk_digests (
    id              INTEGER PRIMARY KEY,
    recipient       TEXT NOT NULL,            -- lower-cased address
    day             TEXT NOT NULL,            -- local date (web.timezone), YYYY-MM-DD
    outbox_id       INTEGER REFERENCES outbox(id),
    new_items       INTEGER NOT NULL,
    overdue_items   INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (recipient, day)
);

-- Requests whose immediate notices (desk.notify = "immediate") were queued: each once.
CREATE TABLE desk_notices (
    request_id      INTEGER PRIMARY KEY REFERENCES requests(id),
    recipients      INTEGER NOT NULL,         -- how many notices were queued
    created_at      TEXT NOT NULL
);
