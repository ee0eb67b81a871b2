-- sync trust: the changes each applied batch covers (so the next one must continue them), and
-- customer creations asked from this till (a request UUID written before the call, reused on retry).
ALTER TABLE till_batches ADD COLUMN from_seq INTEGER;
ALTER TABLE till_batches ADD COLUMN to_seq INTEGER;

CREATE TABLE till_customer_requests (
    uuid        TEXT PRIMARY KEY,
    folder      TEXT NOT NULL,
    fields      TEXT NOT NULL,          -- JSON object, as asked
    code        TEXT,                   -- set when the server answered
    created_at  TEXT NOT NULL,
    answered_at TEXT,
    abandoned_at TEXT
);
CREATE INDEX till_customer_requests_code ON till_customer_requests (folder, code);
