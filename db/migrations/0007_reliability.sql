-- 0007: what issue 15 ("nothing sent twice, nothing failing in silence") needs.

-- When a row was claimed for sending: `intake status` tells a send in progress from a
-- row stuck in `sending`.
ALTER TABLE outbox ADD COLUMN sending_at TEXT;

-- Our handled flag/keyword as found on the server when the message was fetched: mail
-- that intake handled before (a database restored from an old backup, or lost) is
-- stored and decided again, but never answered again.
ALTER TABLE messages ADD COLUMN handled_mark TEXT;
