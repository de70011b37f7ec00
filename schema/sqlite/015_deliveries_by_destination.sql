-- dcgw store, version 15: a destination's delivery rows kept together (issue 17).
-- deliveries becomes a WITHOUT ROWID table ordered by (destination_id, id): a destination's
-- queue, delivered history included, is read in queue order from the table itself, so the two
-- indexes every row used to cost go: deliveries_queue (destination_id, state, id; about 16 bytes
-- a row) and deliveries_packet (packet_id; about 13 bytes a row). Pending rows and dead letters,
-- the few rows that are looked for by state, have small partial indexes of their own.
-- A delivery row is always addressed with its destination (destination_id, id); its id stays
-- unique across destinations, as the API has always shown it.

-- A packet's delivery rows are inserted with it, one transaction, with consecutive ids:
-- first_delivery is the first of them and delivery_span how many ids they take (NULL, NULL for a
-- packet with none). Before pruning deletes a packet it looks for rows left in that span
-- (schema/sqlite/README.md).
ALTER TABLE packets ADD COLUMN first_delivery INTEGER;
ALTER TABLE packets ADD COLUMN delivery_span INTEGER;
UPDATE packets SET (first_delivery, delivery_span) = (
  SELECT MIN(d.id), MAX(d.id) - MIN(d.id) + 1 FROM deliveries d WHERE d.packet_id = packets.id)
WHERE unrouted IS NULL;

-- attempts loses its foreign key: a key into a WITHOUT ROWID table must be its whole primary
-- key. The store deletes a row's attempts itself when it deletes the row.
CREATE TABLE attempts_new (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  outcome TEXT NOT NULL,                -- failed | never | skipped | delivered (see README)
  reason TEXT NOT NULL DEFAULT '',
  duration_us INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO attempts_new (id, delivery_id, at, outcome, reason, duration_us)
  SELECT id, delivery_id, at, outcome, reason, duration_us FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX attempts_delivery ON attempts(delivery_id);

-- state: 0 pending, 1 delivered, 2 dead letter. Ingest order is id order.
CREATE TABLE deliveries_new (
  destination_id INTEGER NOT NULL REFERENCES destinations(id),
  id INTEGER NOT NULL,
  packet_id INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER,                  -- delivered or dead-lettered, ms since the epoch
  reason TEXT,                          -- why it is a dead letter
  duration_us INTEGER,                  -- the successful attempt's (migration 014)
  PRIMARY KEY (destination_id, id)
) STRICT, WITHOUT ROWID;
INSERT INTO deliveries_new (destination_id, id, packet_id, state, attempts, finished_at, reason,
                            duration_us)
  SELECT destination_id, id, packet_id, state, attempts, finished_at, reason, duration_us
  FROM deliveries ORDER BY destination_id, id;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_pending ON deliveries(destination_id, id) WHERE state = 0;
CREATE INDEX deliveries_dead ON deliveries(destination_id, id) WHERE state = 2;
