-- contacts: print-shop customers, their identities, jobs, invitations and links (seed 004).
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    company         TEXT,
    state           TEXT NOT NULL DEFAULT 'not_registered'
                    CHECK (state IN ('not_registered', 'inactive', 'active', 'deactivated')),
    invited         INTEGER NOT NULL DEFAULT 0,
    terms_accepted_at TEXT,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_email ON contacts (email COLLATE NOCASE);

CREATE TABLE contact_identities (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,          -- password, sso, ...
    subject     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE activation_tokens (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,   -- SHA-256 of the token; the token itself is never stored
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE shop_jobs (
    id              INTEGER PRIMARY KEY,
    contact_id      INTEGER REFERENCES contacts (id),
    title           TEXT NOT NULL,
    state           TEXT NOT NULL,      -- new, incoming, processing[:sub-state], done
    input_path      TEXT,               -- input PDF on disk
    pdl_model       TEXT,               -- JSON, only when edited
    support_path    TEXT,
    size_bytes      INTEGER NOT NULL DEFAULT 0,
    via             TEXT NOT NULL DEFAULT 'integration', -- integration, generic
    created_at      TEXT NOT NULL
);
CREATE INDEX shop_jobs_contact ON shop_jobs (contact_id);
