-- 0002: staff accounts for the web triage desk, and small persistent settings.

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL,            -- staff | facilitator
    group_id        TEXT,                     -- for facilitators: the group they see
    password_hash   TEXT,                     -- scrypt$n$r$p$salt$hash; NULL = cannot log in
    created_at      TEXT NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE settings (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL
);
