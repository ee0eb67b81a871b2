-- support: the latest status each till reported to this server (one row per folder and till).
CREATE TABLE till_status (
    folder          TEXT NOT NULL,
    till            TEXT NOT NULL,
    version         TEXT NOT NULL,
    waiting         INTEGER NOT NULL,   -- items in the till's queue
    oldest_age_secs INTEGER,            -- age of its oldest waiting item
    last_batch      INTEGER,            -- last server → till batch applied there
    blocked         TEXT,               -- JSON list of blocked channels, NULL when none
    till_clock      TEXT NOT NULL,      -- the till's own time when it reported
    wait_ms         INTEGER NOT NULL,   -- the till's wait between two pushes
    reported_at     TEXT NOT NULL,      -- this server's time when it received the report
    PRIMARY KEY (folder, till)
);

-- The doctor's latest findings (the worker checks every minute; `backroom doctor` keeps its run too).
CREATE TABLE doctor_findings (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('ok', 'warning', 'problem')),
    rank        INTEGER NOT NULL,       -- 2 problem, 1 warning, 0 ok: sorts the worst first
    area        TEXT NOT NULL,
    summary     TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    fix         TEXT NOT NULL,
    target      TEXT,                   -- printer:NAME, folder:CODE
    checked_at  TEXT NOT NULL
);
CREATE INDEX doctor_findings_rank ON doctor_findings (rank DESC, id);
