-- contacts: print-shop customers, their identities, jobs, invitations, links and terms (seed 004).
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
CREATE INDEX contacts_name ON contacts (name, id); -- the Contacts pane pages by name

-- A login identity: the portal access key issued at registration (stored as SHA-256 only).
CREATE TABLE contact_identities (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    provider    TEXT NOT NULL,          -- portal, sso, ...
    subject     TEXT NOT NULL,          -- the e-mail it logs in with
    secret_hash TEXT UNIQUE,            -- SHA-256 of the access key
    created_at  TEXT NOT NULL
);

-- Invitation (register) and confirmation (activate) links.
CREATE TABLE activation_tokens (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL DEFAULT 'register' CHECK (purpose IN ('register', 'confirm')),
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
    input_name      TEXT,               -- the file name the customer gave
    pdl_model       TEXT,               -- JSON, only when edited
    support_path    TEXT,
    support_name    TEXT,
    size_bytes      INTEGER NOT NULL DEFAULT 0,
    via             TEXT NOT NULL DEFAULT 'integration', -- integration, generic
    submitter       TEXT,               -- e-mail given on the generic link
    created_at      TEXT NOT NULL
);
CREATE INDEX shop_jobs_contact ON shop_jobs (contact_id);
CREATE INDEX shop_jobs_via_created ON shop_jobs (via, created_at);

CREATE TABLE terms (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    content     BLOB NOT NULL,
    sha256      TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
