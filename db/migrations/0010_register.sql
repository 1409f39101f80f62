-- 0010: the Interest Group register (issue 18): groups, participants and their history,
-- interest in topics that are not yet groups, single-use confirmation links, meetings.

-- A group: seeded from rules/groups.toml (source 'rules'), or a proposed topic that
-- staff may start (source 'topic'). Status: proposed | open | closed.
CREATE TABLE register_groups (
    id              TEXT PRIMARY KEY,         -- rules id, or the topic slug (dashes)
    topic           TEXT UNIQUE,              -- the classifier's topic (new:<topic>), if any
    name            TEXT NOT NULL,
    names           TEXT NOT NULL DEFAULT '{}',   -- JSON {lang: name}
    status          TEXT NOT NULL,
    source          TEXT NOT NULL,            -- rules | topic
    started_at      TEXT,
    closed_at       TEXT,
    facilitators    TEXT NOT NULL DEFAULT '[]',   -- JSON list of addresses
    inboxes         TEXT NOT NULL DEFAULT '[]',   -- JSON list of addresses
    cues            TEXT NOT NULL DEFAULT '{}',   -- JSON {lang: [cue, ...]}
    merged_into     TEXT REFERENCES register_groups(id),  -- a topic merged into another
    ready_notified_at TEXT,                   -- when staff got the one "ready to start" notice
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- An organisation in a group. Status: requested | forwarded | confirmed | declined | left.
CREATE TABLE participants (
    id              INTEGER PRIMARY KEY,
    group_id        TEXT NOT NULL REFERENCES register_groups(id),
    organisation    TEXT NOT NULL,
    email           TEXT NOT NULL,            -- the contact who asked
    contacts        TEXT NOT NULL DEFAULT '[]',   -- JSON list of further contact addresses
    name            TEXT,
    language        TEXT,
    status          TEXT NOT NULL,
    request_id      INTEGER REFERENCES requests(id),
    requested_at    TEXT NOT NULL,
    asked_at        TEXT,                     -- when the facilitator was asked to confirm
    confirmed_at    TEXT,
    reminded_at     TEXT,                     -- the one reminder to the facilitator
    leave_requested_at TEXT,                  -- asked to unsubscribe; staff confirm
    updated_at      TEXT NOT NULL,
    UNIQUE (group_id, organisation)
);
CREATE INDEX participants_status ON participants(status, asked_at);
CREATE INDEX participants_request ON participants(request_id);

-- Every status change of a participant: when, by whom (also an event).
CREATE TABLE participant_changes (
    id              INTEGER PRIMARY KEY,
    participant_id  INTEGER NOT NULL REFERENCES participants(id),
    status          TEXT NOT NULL,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    note            TEXT
);
CREATE INDEX participant_changes_participant ON participant_changes(participant_id);

-- A proposal, facilitation offer or join request towards a topic that is not yet a group.
CREATE TABLE topic_interest (
    id              INTEGER PRIMARY KEY,
    group_id        TEXT NOT NULL REFERENCES register_groups(id),
    request_id      INTEGER NOT NULL UNIQUE REFERENCES requests(id),
    kind            TEXT NOT NULL,            -- propose | facilitate | join
    organisation    TEXT,
    email           TEXT NOT NULL,
    name            TEXT,
    language        TEXT,
    is_member       INTEGER NOT NULL,
    at              TEXT NOT NULL
);
CREATE INDEX topic_interest_group ON topic_interest(group_id);

-- Confirmation links: the signed token names a row here; used_at makes it single-use.
CREATE TABLE participant_links (
    id              TEXT PRIMARY KEY,         -- random, inside the signed token
    participant_id  INTEGER NOT NULL REFERENCES participants(id),
    created_at      TEXT NOT NULL,
    used_at         TEXT,
    used_by         TEXT,
    action          TEXT                      -- confirm | decline
);

-- Meetings a facilitator records.
CREATE TABLE meetings (
    id              INTEGER PRIMARY KEY,
    group_id        TEXT NOT NULL REFERENCES register_groups(id),
    held_on         TEXT NOT NULL,            -- YYYY-MM-DD
    participants    TEXT NOT NULL DEFAULT '[]',   -- JSON list of organisations
    note            TEXT,
    recorded_by     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL
);
CREATE INDEX meetings_group ON meetings(group_id, held_on);
