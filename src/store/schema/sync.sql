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
    outcome     TEXT,                   -- running, ok, error
    message     TEXT
);
CREATE INDEX sync_runs_folder ON sync_runs (folder_id, process, started_at);

-- Server side: every batch exported per folder; the latest one's to_seq is the folder's watermark.
CREATE TABLE sync_exports (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES pos_folders (id) ON DELETE CASCADE,
    batch       INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
    from_seq    INTEGER NOT NULL,
    to_seq      INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    file        TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    UNIQUE (folder_id, batch)
);

-- Till side: the tracking queue. Written in the same transaction as the data it carries.
CREATE TABLE till_queue (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid        TEXT NOT NULL UNIQUE,
    folder      TEXT NOT NULL,          -- POS folder code
    kind        TEXT NOT NULL CHECK (kind IN ('ticket', 'customer_update', 'customer_delete', 'parameter', 'row')),
    payload     TEXT NOT NULL,          -- JSON
    created_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    acked_at    TEXT                    -- set when the server confirmed it (applied or already there)
);
CREATE INDEX till_queue_pending ON till_queue (folder, acked_at, seq);

-- Till side: tickets sold on this till.
CREATE TABLE till_tickets (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT NOT NULL UNIQUE,
    folder      TEXT NOT NULL,
    number      TEXT NOT NULL,
    sold_at     TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    customer    TEXT,
    lines       TEXT NOT NULL           -- JSON array of {article, quantity, price_cents}
);

-- Till side: till parameters, pushed to the server when changed.
CREATE TABLE till_parameters (
    folder      TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (folder, key)
);

-- Till side: tables created by imports (ART, CLI, ...), so a batch never touches backroom's own tables.
CREATE TABLE till_tables (
    name        TEXT PRIMARY KEY,
    folder      TEXT NOT NULL,
    columns     TEXT NOT NULL,          -- JSON array
    pk          TEXT NOT NULL,          -- JSON array
    created_at  TEXT NOT NULL
);

-- Till side: every batch applied, per folder (import is idempotent on this).
CREATE TABLE till_batches (
    folder      TEXT NOT NULL,
    batch       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    rows        INTEGER NOT NULL,
    applied_at  TEXT NOT NULL,
    PRIMARY KEY (folder, batch)
);

-- Either side: a channel blocked by an error, with what to do (cleared when it works again).
CREATE TABLE sync_blocks (
    folder      TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('export', 'import', 'push', 'update')),
    batch       INTEGER,
    error       TEXT NOT NULL,
    hint        TEXT NOT NULL,
    since       TEXT NOT NULL,
    PRIMARY KEY (folder, channel)
);

-- Till side: update packages installed.
CREATE TABLE till_updates (
    folder       TEXT NOT NULL,
    version      TEXT NOT NULL,
    file         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    path         TEXT NOT NULL,
    installed_at TEXT NOT NULL,
    PRIMARY KEY (folder, version)
);
