-- The outbox's open rows (pending or being sent) in due order: the claim reads the oldest
-- few (`store.deliveries.claim_batch`), health and status count them. On PostgreSQL
-- every claim and every mark leaves the row's old version behind until VACUUM, and an
-- index on `status` kept each of them: after a burst of 10 000 reminders, a claim's
-- scan of `status = 'sending'` read 10 000 dead entries (13 ms a claim, bench/
-- scheduler_scale.py --pg-two). This index holds only open rows; the claim walks it in
-- due order and stops after a batch, and the dead entries it passes are marked so that
-- the next scan skips them. Marks find their row by id (the primary key).
CREATE INDEX delivery_open ON delivery(due_at, id) WHERE status IN ('pending', 'sending');
DROP INDEX delivery_pending;
