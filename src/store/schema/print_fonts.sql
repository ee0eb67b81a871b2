-- What a document could not print as written (characters no font has), shown with its jobs.
ALTER TABLE documents ADD COLUMN warning TEXT;
