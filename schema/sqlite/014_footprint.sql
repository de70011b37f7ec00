-- dcgw store, version 14: fewer bytes per packet (issue 17).
-- A successful delivery is recorded in its delivery row (finished_at, as before, and duration_us
-- here) instead of an attempt row: attempt rows are kept for failures, dead letters and skips,
-- which are rare. The history an admin reads is the same: a delivered row's history ends with
-- "delivered" at finished_at taking duration_us (schema/sqlite/README.md). NULL: not delivered,
-- or delivered before this version without its attempt row (its history is its attempt rows).
ALTER TABLE deliveries ADD COLUMN duration_us INTEGER;

-- Rows delivered before this version: their last attempt, the successful one, moves into the row.
UPDATE deliveries SET duration_us = (
  SELECT a.duration_us FROM attempts a WHERE a.delivery_id = deliveries.id ORDER BY a.id DESC
  LIMIT 1)
WHERE state = 1 AND (
  SELECT a.outcome FROM attempts a WHERE a.delivery_id = deliveries.id ORDER BY a.id DESC
  LIMIT 1) = 'delivered';
DELETE FROM attempts WHERE outcome = 'delivered' AND id = (
  SELECT MAX(a.id) FROM attempts a WHERE a.delivery_id = attempts.delivery_id) AND delivery_id IN (
  SELECT id FROM deliveries WHERE state = 1 AND duration_us IS NOT NULL);

-- Pruning walks each destination's delivered rows in queue order (deliveries_queue) instead of
-- an index over every row's finish time, which cost about 54 bytes per packet with three
-- destinations.
DROP INDEX deliveries_finished;

-- 1 for a packet stored with no delivery row (a device without a location, or every
-- destination's filter refused it); NULL otherwise. Such packets have nothing to wait for:
-- pruning finds them by this small index instead of checking every old packet.
ALTER TABLE packets ADD COLUMN unrouted INTEGER;
UPDATE packets SET unrouted = 1
WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.packet_id = packets.id);
CREATE INDEX packets_unrouted ON packets(received_at) WHERE unrouted = 1;
