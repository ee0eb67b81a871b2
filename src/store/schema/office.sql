-- A new invitation revokes the contact's earlier unused links: when, so the portal can say so.
ALTER TABLE activation_tokens ADD COLUMN revoked_at TEXT;
