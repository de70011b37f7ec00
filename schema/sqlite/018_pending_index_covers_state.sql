-- dcgw store, version 18: the pending index carries `state` as well, so counting a queue's
-- pending rows (the admin's queue overview, GET /api/v1/queues) reads the index alone. SQLite
-- 3.40 (Debian 12) does not take a partial index's WHERE term as covered: with (destination_id,
-- id) only, each pending row was looked up in the table (25,000 lookups per destination in
-- audit_bench; the overview's p99 was at its 50 ms target). The index's rows are the same ones.
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_pending ON deliveries (destination_id, id, state) WHERE state = 0;
