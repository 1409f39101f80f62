-- 0012: the online form (issue 22). A submission waits here, unconfirmed, until its
-- visitor proves the address by the mailed link; only then is it written as a message
-- (inbox 'form') and run through the pipeline. Unconfirmed rows expire after 7 days.
CREATE TABLE form_submissions (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,     -- sha256 of the confirmation link's secret
    email           TEXT NOT NULL,
    ip              TEXT NOT NULL,            -- for the per-address limit; removed with the row
    language        TEXT NOT NULL,
    payload         TEXT NOT NULL,            -- JSON: what the visitor filled in
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    message_pk      INTEGER REFERENCES messages(id)
);
CREATE INDEX form_submissions_ip ON form_submissions(ip, created_at);
CREATE INDEX form_submissions_email ON form_submissions(email, created_at);
CREATE INDEX form_submissions_expires ON form_submissions(expires_at);
