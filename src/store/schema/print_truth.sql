-- print_truth: per-job truth after a crash (issue 10).
-- A job the printer can no longer account for becomes `unconfirmed` (a person decides);
-- SQLite cannot widen a CHECK in place, so print_jobs is rebuilt (the runner turns foreign
-- keys off around migrations, as SQLite's own table-rebuild procedure asks).
CREATE TABLE print_jobs_rebuilt (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,
    event_id        INTEGER REFERENCES events (id) ON DELETE SET NULL,
    document_id     INTEGER NOT NULL REFERENCES documents (id),
    reprint_of      INTEGER REFERENCES print_jobs (id) ON DELETE SET NULL,
    printer_id      INTEGER REFERENCES printers (id) ON DELETE SET NULL,
    copies          INTEGER NOT NULL DEFAULT 1,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'succeeded', 'failed', 'cancelled', 'unconfirmed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 8,
    next_attempt_at TEXT NOT NULL,
    lease_holder    TEXT,
    lease_expires_at TEXT,
    remote_ref      TEXT,
    remote_state    TEXT,
    follow_remote   INTEGER NOT NULL DEFAULT 0,
    in_doubt        INTEGER NOT NULL DEFAULT 0,
    maybe_duplicate INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
INSERT INTO print_jobs_rebuilt SELECT id, uuid, event_id, document_id, reprint_of, printer_id,
    copies, state, attempts, max_attempts, next_attempt_at, lease_holder, lease_expires_at,
    remote_ref, remote_state, follow_remote, in_doubt, maybe_duplicate, last_error, created_at,
    finished_at FROM print_jobs;
DROP TABLE print_jobs;
ALTER TABLE print_jobs_rebuilt RENAME TO print_jobs;
CREATE INDEX print_jobs_due ON print_jobs (state, next_attempt_at);
CREATE INDEX print_jobs_created ON print_jobs (created_at, id);
CREATE INDEX print_jobs_document ON print_jobs (document_id);
CREATE INDEX print_jobs_follow ON print_jobs (follow_remote) WHERE follow_remote = 1;
CREATE INDEX print_jobs_lease ON print_jobs (lease_holder) WHERE state = 'sending';

-- The printer's job id the moment it answers, and the full error (OS error included).
ALTER TABLE print_attempts ADD COLUMN remote_ref TEXT;
ALTER TABLE print_attempts ADD COLUMN detail TEXT;

-- What to do with a job the printer can no longer account for: ask (unconfirmed) or resend
-- (flagged maybe-duplicate). NULL: the provider's default (ask for IPP, resend for the others).
ALTER TABLE printers ADD COLUMN on_unknown TEXT CHECK (on_unknown IS NULL OR on_unknown IN ('ask', 'resend'));
