-- gate: the audit log of every change and refusal, and the operators of shared terminal accounts.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,              -- RFC 3339 UTC
    os_user   TEXT NOT NULL,
    operator  TEXT,                       -- signed-in operator on a shared terminal account
    role      TEXT NOT NULL,              -- admin | staff
    action    TEXT NOT NULL,              -- e.g. printers.add
    target    TEXT NOT NULL DEFAULT '',
    outcome   TEXT NOT NULL               -- ok | refused: ... | failed: ...
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (os_user, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

CREATE TABLE operators (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
    password_hash TEXT NOT NULL,          -- argon2id PHC string
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,                   -- RFC 3339 UTC
    created_at    TEXT NOT NULL
);
