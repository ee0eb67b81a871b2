-- pos: POS folders ("Dossier TPV"), sync tables, processes and connection test results (seeds 002/003).
CREATE TABLE pos_folders (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,   -- Server tab: folder
    administrator   TEXT NOT NULL DEFAULT '',
    db_kind         TEXT NOT NULL DEFAULT 'postgresql' CHECK (db_kind IN ('postgresql', 'sqlite')),
    db_host         TEXT NOT NULL DEFAULT '',
    db_port         INTEGER,
    db_name         TEXT NOT NULL DEFAULT '',
    db_user         TEXT NOT NULL DEFAULT '',
    db_password     TEXT,                   -- secret
    ftp_mode        TEXT NOT NULL DEFAULT 'put' CHECK (ftp_mode IN ('copy', 'put')),
    ftp_share       TEXT NOT NULL DEFAULT '',
    ftp_address     TEXT NOT NULL DEFAULT '', -- ftp://host[:port]{}target
    ftp_user        TEXT NOT NULL DEFAULT '',
    ftp_password    TEXT,                   -- secret
    ws_url          TEXT NOT NULL DEFAULT '',
    sync_wait_ms    INTEGER NOT NULL DEFAULT 5000 CHECK (sync_wait_ms >= 0),
    created_at      TEXT NOT NULL
);

CREATE TABLE sync_tables (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES pos_folders (id) ON DELETE CASCADE,
    table_name  TEXT NOT NULL COLLATE NOCASE,
    sync_type   TEXT NOT NULL CHECK (sync_type IN ('full', 'incremental')),
    direction   TEXT NOT NULL CHECK (direction IN ('server_to_till', 'till_to_server')),
    on_server   INTEGER,                -- last check against the DB server: 1 found, 0 missing, NULL unknown
    checked_at  TEXT,
    UNIQUE (folder_id, table_name, direction)
);

CREATE TABLE sync_processes (
    id              INTEGER PRIMARY KEY,
    folder_id       INTEGER NOT NULL REFERENCES pos_folders (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('export_caisseauto', 'import_caisseauto', 'import_updatecaisse')),
    schedule_secs   INTEGER NOT NULL DEFAULT 300,
    enabled         INTEGER NOT NULL DEFAULT 1,
    confirm_mode    TEXT CHECK (confirm_mode IN ('always', 'once', 'never')), -- import_updatecaisse only
    last_run_at     TEXT,
    last_outcome    TEXT,
    last_message    TEXT,
    UNIQUE (folder_id, kind)
);

CREATE TABLE connection_tests (
    id          INTEGER PRIMARY KEY,
    folder_id   INTEGER NOT NULL REFERENCES pos_folders (id) ON DELETE CASCADE,
    target      TEXT NOT NULL CHECK (target IN ('db', 'ftp', 'ws')),
    ok          INTEGER NOT NULL,
    failure     TEXT,                   -- a stable code (refused, auth_failed, ...) when ok = 0
    verdict     TEXT NOT NULL,          -- one sentence for people
    detail      TEXT,                   -- server version, HTTP status, file downloaded
    elapsed_ms  INTEGER,
    tested_at   TEXT NOT NULL
);
CREATE INDEX connection_tests_folder ON connection_tests (folder_id, target, tested_at);
