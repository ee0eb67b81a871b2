-- printing: printers, triggers, events, documents, jobs and their attempts (seeds 000/001).
CREATE TABLE printers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    provider    TEXT NOT NULL CHECK (provider IN ('ipp', 'raw', 'printnode', 'spool')),
    target      TEXT NOT NULL,          -- URL, host:port, printnode printer id, or folder
    api_key     TEXT,                   -- printnode only; a secret
    tray        TEXT,                   -- IPP media-source
    copies      INTEGER NOT NULL DEFAULT 1 CHECK (copies >= 1),
    enabled     INTEGER NOT NULL DEFAULT 1,
    is_default  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX printers_one_default ON printers (is_default) WHERE is_default = 1;

CREATE TABLE triggers (
    id          INTEGER PRIMARY KEY,
    event_kind  TEXT NOT NULL UNIQUE,   -- order.received, order.shipped, invoice.overdue
    document    TEXT NOT NULL,          -- invoice, delivery_slip, reminder
    printer_id  INTEGER REFERENCES printers (id) ON DELETE SET NULL, -- NULL: the default printer
    copies      INTEGER CHECK (copies IS NULL OR copies >= 1),     -- NULL: the printer's copies
    enabled     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO triggers (event_kind, document) VALUES
    ('order.received', 'invoice'),
    ('order.shipped', 'delivery_slip'),
    ('invoice.overdue', 'reminder');

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,          -- order number
    payload     TEXT NOT NULL,          -- JSON
    source      TEXT NOT NULL,          -- cli, api, till
    created_at  TEXT NOT NULL
);

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER REFERENCES events (id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE print_jobs (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT NOT NULL UNIQUE,  -- sent as IPP job-uuid
    event_id        INTEGER REFERENCES events (id) ON DELETE SET NULL,
    document_id     INTEGER NOT NULL REFERENCES documents (id),
    reprint_of      INTEGER REFERENCES print_jobs (id) ON DELETE SET NULL,
    printer_id      INTEGER REFERENCES printers (id) ON DELETE SET NULL,
    copies          INTEGER NOT NULL DEFAULT 1,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'succeeded', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 8,
    next_attempt_at TEXT NOT NULL,
    lease_holder    TEXT,
    lease_expires_at TEXT,
    remote_ref      TEXT,                -- provider's job id
    remote_state    TEXT,                -- IPP: pending, processing, completed, aborted, canceled
    follow_remote   INTEGER NOT NULL DEFAULT 0, -- 1 while the remote state is followed (IPP)
    in_doubt        INTEGER NOT NULL DEFAULT 0, -- an earlier attempt may have reached the provider
    maybe_duplicate INTEGER NOT NULL DEFAULT 0, -- resent without a way to check: may print twice
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX print_jobs_due ON print_jobs (state, next_attempt_at);
CREATE INDEX print_jobs_created ON print_jobs (created_at, id);
CREATE INDEX print_jobs_document ON print_jobs (document_id);
CREATE INDEX print_jobs_follow ON print_jobs (follow_remote) WHERE follow_remote = 1;

CREATE TABLE print_attempts (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES print_jobs (id) ON DELETE CASCADE,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT NOT NULL,          -- sending, accepted, retryable, permanent, recovered, interrupted
    error       TEXT,
    worker      TEXT NOT NULL
);
CREATE INDEX print_attempts_job ON print_attempts (job_id);
