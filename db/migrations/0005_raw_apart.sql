-- 0005: raw bytes in a table of their own. SQLite rewrites a whole row on UPDATE and
-- reads through a large blob to reach the columns after it: with the raw message in
-- `messages`, every status change and listing paid for the message's size.

CREATE TABLE message_raw (
    message_pk      INTEGER PRIMARY KEY REFERENCES messages(id),
    raw             BLOB NOT NULL
);
INSERT INTO message_raw (message_pk, raw) SELECT id, raw FROM messages;
ALTER TABLE messages DROP COLUMN raw;
