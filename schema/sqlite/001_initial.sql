-- dcgw store, version 1. Applied once at start-up inside a transaction (gateway/store/db.cpp);
-- later versions add files 002_..., never edit this one.

-- Configuration (seed 004 section 6: destinations, locations with any number of destinations,
-- devices in a location).
CREATE TABLE destinations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  method TEXT NOT NULL,                 -- rest | soap | xml-tcp | xml-udp | binary
  host TEXT NOT NULL,                   -- URL for rest/soap, host name otherwise
  port INTEGER NOT NULL DEFAULT 0,
  format TEXT NOT NULL DEFAULT 'base64binary',
  custom_tags TEXT NOT NULL DEFAULT '',
  filter TEXT,                          -- NULL: every packet; else filter keys, one per line
  enabled INTEGER NOT NULL DEFAULT 1,
  paused INTEGER NOT NULL DEFAULT 0,
  tls_verify INTEGER NOT NULL DEFAULT 1,
  tls_ca_file TEXT NOT NULL DEFAULT '',
  reply_timeout_ms INTEGER NOT NULL DEFAULT 20000,
  removed_at INTEGER,                   -- removed destinations keep their history readable
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX destinations_name ON destinations(name) WHERE removed_at IS NULL;

CREATE TABLE locations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE location_destinations (
  location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  destination_id INTEGER NOT NULL REFERENCES destinations(id),
  PRIMARY KEY (location_id, destination_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE devices (
  serial TEXT PRIMARY KEY,
  location_id INTEGER REFERENCES locations(id) ON DELETE SET NULL,
  registration TEXT NOT NULL DEFAULT '',
  key_hash BLOB
) STRICT;

-- Packets accepted from devices, stored once.
CREATE TABLE packets (
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,         -- milliseconds since the epoch
  serial TEXT NOT NULL,
  registration TEXT NOT NULL,
  type INTEGER NOT NULL,
  filter_key TEXT,
  data BLOB NOT NULL
) STRICT;
CREATE INDEX packets_received ON packets(received_at);

-- One row per (packet, destination whose filter took it): the per-destination queue.
-- state: 0 pending, 1 delivered, 2 dead letter. Ingest order is id order.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  destination_id INTEGER NOT NULL REFERENCES destinations(id),
  packet_id INTEGER NOT NULL REFERENCES packets(id),
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER,                  -- delivered or dead-lettered, ms since the epoch
  reason TEXT                           -- why it is a dead letter
) STRICT;
-- Serves "next pending row of a destination" and every per-state count and page.
CREATE INDEX deliveries_queue ON deliveries(destination_id, state, id);
CREATE INDEX deliveries_finished ON deliveries(state, finished_at);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  outcome TEXT NOT NULL,                -- delivered | failed | never | skipped
  reason TEXT NOT NULL DEFAULT '',
  duration_us INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX attempts_delivery ON attempts(delivery_id);

-- Forwarding state and counters that survive a restart.
CREATE TABLE destination_state (
  destination_id INTEGER PRIMARY KEY REFERENCES destinations(id),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_error_at INTEGER,
  queued INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  dead_letters INTEGER NOT NULL DEFAULT 0,
  filtered INTEGER NOT NULL DEFAULT 0
) STRICT;
