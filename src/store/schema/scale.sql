-- scale: indexes for every foreign key and default sort, counts kept by triggers, free-word search
-- through FTS5 (trigram), and names in Unicode order (the `unicode` collation is registered by
-- store::collation on every connection backroom opens).

-- Foreign keys without an index: deleting a parent scanned the whole child table.
CREATE INDEX print_jobs_reprint_of ON print_jobs (reprint_of) WHERE reprint_of IS NOT NULL;
CREATE INDEX print_jobs_event ON print_jobs (event_id);
CREATE INDEX print_jobs_printer ON print_jobs (printer_id, created_at, id);
CREATE INDEX documents_event ON documents (event_id);
CREATE INDEX triggers_printer ON triggers (printer_id);
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);
CREATE INDEX activation_tokens_contact ON activation_tokens (contact_id);

-- Default sorts and filters, and what the purge looks for.
CREATE INDEX print_jobs_state_created ON print_jobs (state, created_at, id);
CREATE INDEX print_jobs_maybe_duplicate ON print_jobs (maybe_duplicate) WHERE maybe_duplicate = 1;
CREATE INDEX print_jobs_finished ON print_jobs (COALESCE(finished_at, created_at))
    WHERE state IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX documents_created ON documents (created_at);
CREATE INDEX events_created ON events (created_at);
DROP INDEX contacts_name;
CREATE INDEX contacts_name ON contacts (name COLLATE unicode, id);
CREATE INDEX contacts_state_name ON contacts (state, name COLLATE unicode, id);

-- Row counts the TUI and the CLI read instead of counting a large table.
CREATE TABLE row_counts (
    name TEXT PRIMARY KEY,   -- print_jobs, print_jobs.<state>, print_jobs.maybe_duplicate, contacts
    n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO row_counts (name, n) SELECT 'print_jobs', COUNT(*) FROM print_jobs;
INSERT INTO row_counts (name, n) SELECT 'print_jobs.' || state, COUNT(*) FROM print_jobs GROUP BY state;
INSERT INTO row_counts (name, n)
    SELECT 'print_jobs.maybe_duplicate', COUNT(*) FROM print_jobs WHERE maybe_duplicate = 1;
INSERT INTO row_counts (name, n) SELECT 'contacts', COUNT(*) FROM contacts;
INSERT INTO row_counts (name, n) SELECT 'contacts.' || state, COUNT(*) FROM contacts GROUP BY state;

CREATE TRIGGER print_jobs_count_insert AFTER INSERT ON print_jobs BEGIN
    INSERT INTO row_counts (name, n) VALUES ('print_jobs', 1)
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
    INSERT INTO row_counts (name, n) VALUES ('print_jobs.' || NEW.state, 1)
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
    UPDATE row_counts SET n = n + 1
        WHERE NEW.maybe_duplicate = 1 AND name = 'print_jobs.maybe_duplicate';
END;
CREATE TRIGGER print_jobs_count_delete AFTER DELETE ON print_jobs BEGIN
    UPDATE row_counts SET n = n - 1 WHERE name IN ('print_jobs', 'print_jobs.' || OLD.state);
    UPDATE row_counts SET n = n - 1
        WHERE OLD.maybe_duplicate = 1 AND name = 'print_jobs.maybe_duplicate';
END;
CREATE TRIGGER print_jobs_count_state AFTER UPDATE OF state ON print_jobs
    WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE row_counts SET n = n - 1 WHERE name = 'print_jobs.' || OLD.state;
    INSERT INTO row_counts (name, n) VALUES ('print_jobs.' || NEW.state, 1)
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER print_jobs_count_duplicate AFTER UPDATE OF maybe_duplicate ON print_jobs
    WHEN OLD.maybe_duplicate IS NOT NEW.maybe_duplicate BEGIN
    UPDATE row_counts SET n = n + (CASE NEW.maybe_duplicate WHEN 1 THEN 1 ELSE -1 END)
        WHERE name = 'print_jobs.maybe_duplicate';
END;

CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO row_counts (name, n) VALUES ('contacts', 1)
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
    INSERT INTO row_counts (name, n) VALUES ('contacts.' || NEW.state, 1)
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts BEGIN
    UPDATE row_counts SET n = n - 1 WHERE name IN ('contacts', 'contacts.' || OLD.state);
END;
CREATE TRIGGER contacts_count_state AFTER UPDATE OF state ON contacts
    WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE row_counts SET n = n - 1 WHERE name = 'contacts.' || OLD.state;
    INSERT INTO row_counts (name, n) VALUES ('contacts.' || NEW.state, 1)
        ON CONFLICT (name) DO UPDATE SET n = n + 1;
END;

-- Free words of the print jobs filter: substrings through a trigram index, kept by triggers.
-- (A job's uuid is matched whole, through its unique index: 36 characters of trigrams per job
-- would double the cost of every insert.)
CREATE VIRTUAL TABLE print_jobs_search USING fts5 (
    document, printer, error, remote_ref, tokenize = 'trigram'
);
INSERT INTO print_jobs_search (rowid, document, printer, error, remote_ref)
    SELECT j.id, d.title, p.name, j.last_error, j.remote_ref
    FROM print_jobs j LEFT JOIN documents d ON d.id = j.document_id
    LEFT JOIN printers p ON p.id = j.printer_id;
CREATE TRIGGER print_jobs_search_insert AFTER INSERT ON print_jobs BEGIN
    INSERT INTO print_jobs_search (rowid, document, printer, error, remote_ref) VALUES (
        NEW.id,
        (SELECT title FROM documents WHERE id = NEW.document_id),
        (SELECT name FROM printers WHERE id = NEW.printer_id),
        NEW.last_error, NEW.remote_ref);
END;
CREATE TRIGGER print_jobs_search_update AFTER UPDATE OF printer_id, last_error, remote_ref ON print_jobs
    WHEN OLD.printer_id IS NOT NEW.printer_id OR OLD.last_error IS NOT NEW.last_error
      OR OLD.remote_ref IS NOT NEW.remote_ref BEGIN
    UPDATE print_jobs_search SET
        printer = (SELECT name FROM printers WHERE id = NEW.printer_id),
        error = NEW.last_error,
        remote_ref = NEW.remote_ref
    WHERE rowid = NEW.id;
END;
CREATE TRIGGER print_jobs_search_delete AFTER DELETE ON print_jobs BEGIN
    DELETE FROM print_jobs_search WHERE rowid = OLD.id;
END;
CREATE TRIGGER print_jobs_search_printer AFTER UPDATE OF name ON printers
    WHEN OLD.name IS NOT NEW.name BEGIN
    UPDATE print_jobs_search SET printer = NEW.name
    WHERE rowid IN (SELECT id FROM print_jobs WHERE printer_id = NEW.id);
END;
