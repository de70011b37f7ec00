-- dcgw store on PostgreSQL, version 3: a successful delivery is kept in its delivery row
-- (finished_at and duration_us) instead of an attempt row, as SQLite's migration 014 (issue 17):
-- attempt rows are kept for failures, dead letters, skips and for the successful attempt of a
-- row a replay put back in the queue. The history an admin reads is the same.
ALTER TABLE deliveries ADD COLUMN duration_us bigint;

UPDATE deliveries d SET duration_us = last.duration_us
FROM (SELECT DISTINCT ON (delivery_id) delivery_id, outcome, duration_us FROM attempts
      ORDER BY delivery_id, id DESC) last
WHERE last.delivery_id = d.id AND d.state = 1 AND last.outcome = 'delivered';

DELETE FROM attempts a USING deliveries d
WHERE a.delivery_id = d.id AND d.state = 1 AND d.duration_us IS NOT NULL
  AND a.outcome = 'delivered'
  AND a.id = (SELECT max(b.id) FROM attempts b WHERE b.delivery_id = a.delivery_id);

-- SQLite's packets.unrouted (its pruning finds packets stored with no delivery row by it), so
-- an export of a SQLite store has the same columns here; PostgreSQL's pruning does not read it.
ALTER TABLE packets ADD COLUMN unrouted integer;
