-- core: settings shared by every area, and the worker lease.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE worker_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT NOT NULL,          -- "host:pid"
    expires_at  TEXT NOT NULL           -- RFC 3339 UTC
);
