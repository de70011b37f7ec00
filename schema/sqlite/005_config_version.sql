-- dcgw store, version 5: the configuration's version, for routing outside the transaction.
-- Routing (device -> location -> destinations -> filter) is computed from a snapshot of the
-- configuration before the ingest transaction; the snapshot carries this version, and an
-- ingest transaction that finds another one stores nothing and is routed again. Every change
-- of a destination, location or device raises it in the change's own transaction.
CREATE TABLE config_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
) STRICT;
INSERT INTO config_version (id, version) VALUES (1, 0);
