-- 0004: the global acknowledgement rate limit counts recent acks for every message.

CREATE INDEX IF NOT EXISTS outbox_kind_created ON outbox(kind, created_at);
