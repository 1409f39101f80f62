-- 0003: indexes for lookups that run per message or per listed request.

CREATE INDEX IF NOT EXISTS outbox_request ON outbox(request_id);
CREATE INDEX IF NOT EXISTS outbox_recipient ON outbox(lower(recipient), kind, created_at);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id);
CREATE INDEX IF NOT EXISTS requests_linked ON requests(linked_request);
