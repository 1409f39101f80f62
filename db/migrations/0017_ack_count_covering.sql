-- 0017: the per-sender and per-organisation acknowledgement counts read only the index.
-- Their filter on status made SQLite read each counted row of the outbox, whose status
-- comes after the stored message bytes: for a busy organisation every new message read
-- every earlier acknowledgement's mail (1.9 ms a message at 6,000, growing with the outbox).
-- `kind` is in the index too: without it SQLite does not treat the partial index as covering.
DROP INDEX IF EXISTS outbox_rate_mailbox;
DROP INDEX IF EXISTS outbox_rate_organisation;
CREATE INDEX outbox_rate_mailbox ON outbox(rate_mailbox, created_at, status, kind) WHERE kind = 'ack';
CREATE INDEX outbox_rate_organisation ON outbox(rate_organisation, created_at, status, kind) WHERE kind = 'ack';
