-- till_tickets_sent: when the server confirmed a ticket, kept on the ticket. "Sent" was read from
-- the ticket's queue item, which the queue's 30-day purge deletes: a month-old sale then read as
-- waiting (`till ticket list`, `sent:no`) although the server had it.
ALTER TABLE till_tickets ADD COLUMN sent_at TEXT;
UPDATE till_tickets SET sent_at = (SELECT q.acked_at FROM till_queue q WHERE q.uuid = till_tickets.uuid);
-- Already purged: only confirmed items are purged (a set-aside item is kept whole elsewhere).
UPDATE till_tickets SET sent_at = 'before 2026-11-30'
    WHERE sent_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM till_queue q WHERE q.uuid = till_tickets.uuid)
      AND NOT EXISTS (SELECT 1 FROM till_queue_set_aside s WHERE s.uuid = till_tickets.uuid);
