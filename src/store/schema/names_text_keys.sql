-- names_text_keys: `unicode_key` gives each byte of the collator's key as one character of a text
-- (U+0000 to U+00FF, in the same order), where it gave a blob with the name's own bytes after the
-- key. SQLite's sorter compares text keys in place but unpacked every blob key first: building
-- the name index after an import of 100,000 contacts took 60 ms of it, and the keys are a
-- quarter shorter. The indexes that hold the old keys are built again.
DROP INDEX contacts_name;
DROP INDEX contacts_state_name;
CREATE INDEX contacts_name ON contacts (unicode_key(name), id);
CREATE INDEX contacts_state_name ON contacts (state, unicode_key(name), id)
    WHERE state = 'inactive' OR state = 'active' OR state = 'deactivated';
