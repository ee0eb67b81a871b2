-- events_idempotency: a client's key for an event (the API's `Idempotency-Key` header, the CLI's
-- `--idempotency-key`): the same event sent again with the same key, after a lost answer, is
-- recorded once and prints once.
ALTER TABLE events ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX events_idempotency ON events (kind, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
