-- 0013: the desk's queue (issue 21): full-text search, and indexes to page through it.
--
-- Full-text search: one document per request, made of the
-- subjects, bodies and senders of its messages and its organisation, in an FTS5 table
-- whose rowid is the request's id.
--
-- Kept in step by triggers, not by store methods: subjects, bodies, senders and
-- organisations are written by several paths (the record stage through Store.update,
-- linking a sender, a staff decision, retention and erasure, which blank bodies), and a
-- trigger follows every one of them, including paths added later, in the same
-- transaction as the write. Each trigger rebuilds the one request's document from
-- request_search_source, so the index is never patched piecewise and cannot drift.
--
-- The table keeps its own copy of the text (a plain FTS5 table): a delete then needs no
-- old values, which keeps the triggers simple. Each body is indexed up to 100,000
-- characters, enough for any letter a person writes; a 20 MB body is not copied whole.
-- When erasure or retention removes content, the triggers replace the document and
-- Store.compact merges the index so the old words leave the file (docs/privacy.md).

CREATE VIRTUAL TABLE request_search USING fts5(
    subject, body, sender, organisation,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE VIEW request_search_source AS
SELECT r.id AS id,
       (SELECT group_concat(m.subject, ' ') FROM messages m WHERE m.request_id = r.id) AS subject,
       (SELECT group_concat(substr(m.body_text, 1, 100000), ' ')
          FROM messages m WHERE m.request_id = r.id) AS body,
       COALESCE(r.requester_email, '') || ' ' || COALESCE(r.requester_name, '') || ' '
          || COALESCE(r.forwarded_by, '') || ' '
          || COALESCE((SELECT group_concat(COALESCE(m.sender_email, '') || ' '
                                           || COALESCE(m.sender_name, ''), ' ')
                         FROM messages m WHERE m.request_id = r.id), '') AS sender,
       r.organisation AS organisation
FROM requests r;

CREATE TRIGGER request_search_request_insert AFTER INSERT ON requests
BEGIN
    INSERT INTO request_search (rowid, subject, body, sender, organisation)
        SELECT id, subject, body, sender, organisation FROM request_search_source WHERE id = NEW.id;
END;

CREATE TRIGGER request_search_request_update
AFTER UPDATE OF organisation, requester_email, requester_name, forwarded_by ON requests
BEGIN
    DELETE FROM request_search WHERE rowid = NEW.id;
    INSERT INTO request_search (rowid, subject, body, sender, organisation)
        SELECT id, subject, body, sender, organisation FROM request_search_source WHERE id = NEW.id;
END;

CREATE TRIGGER request_search_request_delete AFTER DELETE ON requests
BEGIN
    DELETE FROM request_search WHERE rowid = OLD.id;
END;

CREATE TRIGGER request_search_message_insert AFTER INSERT ON messages
WHEN NEW.request_id IS NOT NULL
BEGIN
    DELETE FROM request_search WHERE rowid = NEW.request_id;
    INSERT INTO request_search (rowid, subject, body, sender, organisation)
        SELECT id, subject, body, sender, organisation FROM request_search_source
        WHERE id = NEW.request_id;
END;

CREATE TRIGGER request_search_message_update
AFTER UPDATE OF subject, body_text, sender_email, sender_name, request_id ON messages
WHEN OLD.request_id IS NOT NULL OR NEW.request_id IS NOT NULL
BEGIN
    DELETE FROM request_search WHERE rowid IN (OLD.request_id, NEW.request_id);
    INSERT INTO request_search (rowid, subject, body, sender, organisation)
        SELECT id, subject, body, sender, organisation FROM request_search_source
        WHERE id IN (OLD.request_id, NEW.request_id);
END;

CREATE TRIGGER request_search_message_delete AFTER DELETE ON messages
WHEN OLD.request_id IS NOT NULL
BEGIN
    DELETE FROM request_search WHERE rowid = OLD.request_id;
    INSERT INTO request_search (rowid, subject, body, sender, organisation)
        SELECT id, subject, body, sender, organisation FROM request_search_source
        WHERE id = OLD.request_id;
END;

-- the requests stored before this migration
INSERT INTO request_search (rowid, subject, body, sender, organisation)
    SELECT id, subject, body, sender, organisation FROM request_search_source;

-- The queue (intake/queries_queue.py) at 100,000 requests (bench/desk.py): the rows of
-- both tables are wide (bodies, explanations), so what the queue filters and sorts by is
-- in narrow indexes. requests_queue covers every filter and sort on a request's own
-- columns; the received time, subject and sender (the first message's) are sorted by
-- walking their expression indexes and finding each message's request by first_message.
CREATE INDEX requests_queue ON requests(
    status, first_message, group_id, language, intent, assigned_to, is_member, organisation, triage_reason
);
CREATE INDEX requests_first_message ON requests(first_message);
CREATE INDEX messages_received ON messages(COALESCE(internal_date, date, stored_at));
CREATE INDEX messages_subject_sort ON messages(lower(subject));
CREATE INDEX messages_sender_sort ON messages(lower(COALESCE(NULLIF(sender_name, ''), sender_email)));
