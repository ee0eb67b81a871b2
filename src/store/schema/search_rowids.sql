-- search_rowids: the trigram index keeps, for each trigram, the jobs that hold it and nothing more
-- (`detail = none`): not which column holds it, nor where. FTS5 merges a trigram's list whole,
-- and a trigram nearly every job holds (`inv` of every "Invoice 2026-..." title) had a 3.6 MB list
-- with its positions, so one bounded merge step held the write lock 50-70 ms on a million jobs;
-- its list is now about 1 MB and the index a third of its size. A word is found through the jobs holding all its trigrams, then checked against the text
-- itself (store::views::search). The triggers that keep it in step (print_speed.sql) name the
-- table, not its settings, and go on writing the new one.
DROP TABLE print_jobs_search;
CREATE VIRTUAL TABLE print_jobs_search USING fts5 (
    document, printer, error, tokenize = 'trigram', detail = none
);
INSERT INTO print_jobs_search (rowid, document, printer, error)
    SELECT j.id, d.title, p.name, j.last_error
    FROM print_jobs j LEFT JOIN documents d ON d.id = j.document_id
    LEFT JOIN printers p ON p.id = j.printer_id;
INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('automerge', 0);
INSERT INTO print_jobs_search (print_jobs_search, rank) VALUES ('crisismerge', 32);
