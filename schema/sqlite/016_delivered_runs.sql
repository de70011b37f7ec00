-- dcgw store, version 16: deliveries that went through at the first attempt kept as runs
-- (issue 17). Most deliveries succeed at once and are then read only as history: such a
-- delivery leaves deliveries and becomes an entry of its destination's newest run, one row per
-- up to 64 entries, about 6 bytes an entry instead of a row of about 30 (gateway/store/sqlite/
-- delivered_runs.hpp; schema/sqlite/README.md). Rows with any other history (a failure, a
-- skip, a replay) stay rows of deliveries. Rows delivered before this version stay as they are.
CREATE TABLE delivered_runs (
  destination_id INTEGER NOT NULL REFERENCES destinations(id),
  first_id INTEGER NOT NULL,            -- the delivery id of its first entry
  last_id INTEGER NOT NULL,             -- and of its last
  count INTEGER NOT NULL,               -- entries, 1 to 64
  finished_to INTEGER NOT NULL,         -- the latest finish of its entries, ms since the epoch
  entries BLOB NOT NULL,                -- per entry: id, packet, finish, duration (varints)
  PRIMARY KEY (destination_id, first_id)
) STRICT, WITHOUT ROWID;

-- The delivered rows left in deliveries (delivered after a failure or a replay, or before this
-- version), few: pruning, replay and the pages of delivered entries read them by this index
-- instead of walking a destination's whole queue, a backlog of pending rows included.
CREATE INDEX deliveries_delivered ON deliveries(destination_id, id) WHERE state = 1;
