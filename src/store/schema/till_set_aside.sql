-- till_set_aside: items of the till queue that support set aside because the server refuses them
-- (a channel keeps its order, so every later item waited behind such an item). Kept whole, with
-- their place in the queue, until put back (`backroom till queue put-back`).
CREATE TABLE till_queue_set_aside (
    seq          INTEGER PRIMARY KEY,   -- its place in till_queue, taken again when put back
    uuid         TEXT NOT NULL UNIQUE,
    folder       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    last_error   TEXT,
    set_aside_at TEXT NOT NULL,
    set_aside_by TEXT NOT NULL,
    reason       TEXT NOT NULL
);
