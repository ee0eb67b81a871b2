-- sync: export/import batches, the till tracking queue (MICPTRACK), runs (seeds 002/003).
CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER REFERENCES pos_folders (id) ON DELETE CASCADE,
    process     TEXT NOT NULL,          -- export, import, push, update
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    rows        INTEGER NOT NULL DEFAULT 0,
    batches     INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    outcome     TEXT,                   -- ok, error
    message     TEXT
);

CREATE TABLE till_queue (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,          -- ticket, customer_update, customer_delete, parameter, row
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
