-- 0001: the spine. Never edit an applied migration: add 0002_... instead.

-- One row per distinct message (deduplicated by Message-ID, or a content key).
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    message_key     TEXT NOT NULL UNIQUE,     -- Message-ID, or "synthetic:<sha256>"
    message_id      TEXT,                     -- as written in the header, without <>
    raw             BLOB NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    stored_at       TEXT NOT NULL,            -- ISO 8601 UTC
    internal_date   TEXT,                     -- IMAP INTERNALDATE of the first delivery (UTC)
    status          TEXT NOT NULL DEFAULT 'stored',
        -- stored | processed | unparseable | shunted
    status_reason   TEXT,
    request_id      INTEGER REFERENCES requests(id),
    role            TEXT,                     -- request | followup | machine
    -- parsed fields
    sender_email    TEXT,
    sender_name     TEXT,
    reply_to        TEXT,
    recipients      TEXT,                     -- JSON list of addresses (To + Cc)
    subject         TEXT,
    date            TEXT,                     -- Date header, ISO 8601 UTC
    body_text       TEXT,
    attachments     TEXT,                     -- JSON list of {filename, content_type, size}
    in_reply_to     TEXT,
    references_     TEXT,                     -- JSON list of message ids
    auth_results    TEXT,                     -- JSON list of Authentication-Results values
    headers         TEXT,                     -- JSON object of screening-relevant headers
    parse_notes     TEXT,                     -- JSON list of decoding fixes applied
    -- screening
    screening       TEXT,                     -- human | auto_reply | bounce | list_or_bulk | own_loop | spam
    screening_evidence TEXT
);
CREATE INDEX messages_status ON messages(status);
CREATE INDEX messages_request ON messages(request_id);
CREATE INDEX messages_sender ON messages(sender_email);

-- Each time a message was seen in an inbox folder.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    message_pk      INTEGER NOT NULL REFERENCES messages(id),
    inbox           TEXT NOT NULL,
    folder          TEXT NOT NULL,
    uidvalidity     INTEGER NOT NULL,
    uid             INTEGER NOT NULL,
    fetched_at      TEXT NOT NULL,
    filed_at        TEXT,                     -- when the flag/move action was applied
    file_action     TEXT,
    UNIQUE (inbox, folder, uidvalidity, uid)
);
CREATE INDEX deliveries_message ON deliveries(message_pk);
CREATE INDEX deliveries_unfiled ON deliveries(inbox, filed_at);

-- Per inbox folder: where the last poll stopped.
CREATE TABLE checkpoints (
    inbox           TEXT NOT NULL,
    folder          TEXT NOT NULL,
    uidvalidity     INTEGER NOT NULL,
    last_uid        INTEGER NOT NULL,
    uidnext         INTEGER,
    last_poll_at    TEXT,
    last_ok_at      TEXT,
    last_error      TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (inbox, folder)
);

-- A conversation that somebody started: the thing staff and facilitators work on.
CREATE TABLE requests (
    id              INTEGER PRIMARY KEY,
    first_message   INTEGER NOT NULL REFERENCES messages(id),
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'new',
        -- new | routed | triage | closed | ignored | shunted | unparseable
    token           TEXT UNIQUE,              -- e.g. IG-12, put in our subjects
    requester_email TEXT,
    requester_name  TEXT,
    forwarded_by    TEXT,                     -- colleague who forwarded for the requester
    group_id        TEXT,
    intent          TEXT,
    language        TEXT,
    confidence      REAL,
    runner_up       TEXT,
    organisation    TEXT,
    membership      TEXT,
    is_member       INTEGER,
    member_match    TEXT,
    authenticated   INTEGER,
    auth_evidence   TEXT,
    triage_reason   TEXT,
    explanation     TEXT,                     -- JSON: rules and cues behind each decision
    linked_request  INTEGER REFERENCES requests(id),  -- e.g. a bounce of our reply
    assigned_to     TEXT,
    updated_at      TEXT
);
CREATE INDEX requests_status ON requests(status);

-- Mail we send. Written in the same transaction as the decision that calls for it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER REFERENCES requests(id),
    kind            TEXT NOT NULL,            -- ack | forward | staff_notice
    template        TEXT NOT NULL,
    language        TEXT,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,     -- our Message-ID, without <>
    raw             BLOB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued',
        -- queued | sending | sent | failed | uncertain | suppressed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    dedupe_key      TEXT UNIQUE               -- request + kind + recipient (+ decision round)
);
CREATE INDEX outbox_status ON outbox(status, next_attempt_at);

-- Membership roster.
CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    organisation    TEXT NOT NULL UNIQUE,
    country         TEXT,
    membership      TEXT NOT NULL,
    domains         TEXT NOT NULL,            -- JSON list
    contact_emails  TEXT NOT NULL,            -- JSON list
    updated_at      TEXT NOT NULL
);

-- Append-only audit trail.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,            -- "service" or a staff member's name
    kind            TEXT NOT NULL,
    message_pk      INTEGER,
    request_id      INTEGER,
    detail          TEXT                      -- JSON
);
CREATE INDEX events_request ON events(request_id);
CREATE INDEX events_message ON events(message_pk);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;

-- Staff-labelled examples (from triage decisions) for evaluation and tuning.
CREATE TABLE labelled_examples (
    id              INTEGER PRIMARY KEY,
    request_id      INTEGER NOT NULL,
    group_id        TEXT,
    intent          TEXT,
    labelled_by     TEXT NOT NULL,
    labelled_at     TEXT NOT NULL
);
