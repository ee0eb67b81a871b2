-- print_speed: a printer's own job reference leaves the trigram index.
-- Every accepted job set `remote_ref` (an IPP or PrintNode job id, a spool file's path), and the
-- trigger re-indexed the job's trigrams for it: about half of the worker's work per job. A free
-- word now matches the reference whole, through an index of its own (store::views::search).
DROP TRIGGER print_jobs_search_insert;
DROP TRIGGER print_jobs_search_update;
DROP TRIGGER print_jobs_search_delete;
DROP TRIGGER print_jobs_search_printer;
DROP TABLE print_jobs_search;
CREATE VIRTUAL TABLE print_jobs_search USING fts5 (
    document, printer, error, tokenize = 'trigram'
);
INSERT INTO print_jobs_search (rowid, document, printer, error)
    SELECT j.id, d.title, p.name, j.last_error
    FROM print_jobs j LEFT JOIN documents d ON d.id = j.document_id
    LEFT JOIN printers p ON p.id = j.printer_id;
CREATE TRIGGER print_jobs_search_insert AFTER INSERT ON print_jobs BEGIN
    INSERT INTO print_jobs_search (rowid, document, printer, error) VALUES (
        NEW.id,
        (SELECT title FROM documents WHERE id = NEW.document_id),
        (SELECT name FROM printers WHERE id = NEW.printer_id),
        NEW.last_error);
END;
CREATE TRIGGER print_jobs_search_update AFTER UPDATE OF printer_id, last_error ON print_jobs
    WHEN OLD.printer_id IS NOT NEW.printer_id OR OLD.last_error IS NOT NEW.last_error BEGIN
    UPDATE print_jobs_search SET
        printer = (SELECT name FROM printers WHERE id = NEW.printer_id),
        error = NEW.last_error
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
CREATE INDEX print_jobs_remote_ref ON print_jobs (remote_ref) WHERE remote_ref IS NOT NULL;
