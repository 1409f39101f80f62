-- 0009: privacy (issue 20). Personal data that the audit trail names moves out of
-- `events` into `event_personal`, so a person can be erased while `events` stays
-- append-only: an event row is never changed or deleted; only its personal side row is
-- rewritten (to a pseudonym) by an erasure. Messages and outgoing mail say when and
-- why their content was removed (retention or erasure), and each erasure is recorded
-- without the erased data.

CREATE TABLE event_personal (
    event_id        INTEGER PRIMARY KEY REFERENCES events(id),
    data            TEXT NOT NULL             -- JSON object: the event's personal details
);

-- Existing events: their personal keys move to the side table, once. The triggers are
-- lifted for this one statement and put back exactly as 0001 wrote them.
INSERT INTO event_personal (event_id, data)
SELECT e.id, json_group_object(j.key, j.value)
FROM events e, json_each(e.detail) j
WHERE json_valid(e.detail) AND j.key IN ('recipient', 'note', 'added', 'reason',
    'would_have_been', 'triage_reason', 'traceback', 'evidence', 'sender', 'email')
GROUP BY e.id;

DROP TRIGGER events_no_update;

UPDATE events SET detail = json_remove(detail, '$.recipient', '$.note', '$.added', '$.reason',
    '$.would_have_been', '$.triage_reason', '$.traceback', '$.evidence', '$.sender', '$.email')
WHERE id IN (SELECT event_id FROM event_personal);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;

-- e.g. "retention 2026-11-30T03:15:00Z" or "erasure 2026-11-30T10:02:11Z": the content
-- (raw mail, body, parsed personal fields) is gone; the row keeps its shape for counts.
ALTER TABLE messages ADD COLUMN redacted TEXT;
ALTER TABLE outbox ADD COLUMN redacted TEXT;

-- One row per erasure: who asked for it to be done, when, the pseudonym, and counts.
-- Never the erased address or name.
CREATE TABLE erasures (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    pseudonym       TEXT NOT NULL,
    counts          TEXT NOT NULL             -- JSON: requests, messages, outbox, events ...
);

CREATE INDEX IF NOT EXISTS requests_requester ON requests(lower(requester_email));
CREATE INDEX IF NOT EXISTS messages_sender_lower ON messages(lower(sender_email));
