-- 0006: security (issue 14). Web sessions kept on the server, so that logout and a
-- password change end them; the cookie carries a random id, the table only its SHA-256
-- (read access to the database is not enough to take over a session).
CREATE TABLE web_sessions (
    id              INTEGER PRIMARY KEY,
    id_hash         TEXT NOT NULL UNIQUE,     -- sha256 hex of the id in the signed cookie
    account_id      INTEGER NOT NULL REFERENCES staff(id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions(account_id);

-- The cookie-signing secret no longer lives in the database (a 0600 file or an
-- environment variable instead): the one kept here is dropped, with every cookie it signed.
DELETE FROM settings WHERE key = 'web_secret';

-- Acknowledgement rate limits count per mailbox with its +tag removed, and per
-- organisation (see intake/stages/respond.py).
ALTER TABLE outbox ADD COLUMN rate_mailbox TEXT;
ALTER TABLE outbox ADD COLUMN rate_organisation TEXT;
CREATE INDEX outbox_rate_mailbox ON outbox(rate_mailbox, created_at) WHERE kind = 'ack';
CREATE INDEX outbox_rate_organisation ON outbox(rate_organisation, created_at) WHERE kind = 'ack';
-- acknowledgements already sent count on: by their address, and the request's organisation
UPDATE outbox SET rate_mailbox = lower(recipient),
    rate_organisation = COALESCE(
        'org:' || (SELECT organisation FROM requests WHERE requests.id = outbox.request_id),
        'domain:' || substr(lower(recipient), instr(recipient, '@') + 1))
    WHERE kind = 'ack';

-- For each stored Authentication-Results value, the Received headers above it, so that
-- the desk re-decides from the stored parse (never parsing a hostile message again in a
-- web thread) and still counts only the border server's headers (intake/trust.py).
ALTER TABLE messages ADD COLUMN auth_results_hops TEXT;
