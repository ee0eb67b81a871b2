-- purge_indexes: the purge of a till's confirmed queue items (sync::queue::purge_acked, at the end
-- of every push) finds them through an index of their own instead of reading the whole queue, and
-- deletes them in short batches (store::batch::until_done).
CREATE INDEX till_queue_acked ON till_queue (acked_at) WHERE acked_at IS NOT NULL;
