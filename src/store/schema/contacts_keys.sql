-- contacts_keys: the name indexes hold binary sort keys (`unicode_key`, CLDR root order) instead
-- of sorting the names through the `unicode` collation. Building them after a large import
-- called the collator about 3.4 million times for 100,000 contacts (65 % of the import); a key is
-- computed once per row and keys compare as bytes.
-- The index by state and name leaves out `not_registered`, the state every imported contact
-- starts in: a filter on it walks the name index (most rows match), and an import of 100,000
-- contacts no longer builds a second 100,000-key index. The other states are a few rows each
-- until contacts register, and are found through this index.
DROP INDEX contacts_name;
DROP INDEX contacts_state_name;
CREATE INDEX contacts_name ON contacts (unicode_key(name), id);
CREATE INDEX contacts_state_name ON contacts (state, unicode_key(name), id)
    WHERE state = 'inactive' OR state = 'active' OR state = 'deactivated';
