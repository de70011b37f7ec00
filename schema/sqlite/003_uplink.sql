-- dcgw store, version 3: the device-facing listener (schema/uplink.md).
-- The device key the login proof is checked with (HMAC-SHA256 needs the key itself, so it is
-- kept, never returned by the admin API), and the highest uplink sequence number stored per
-- device: a resent packet at or below it is a duplicate (updated in the ingest transaction).
ALTER TABLE devices ADD COLUMN device_key BLOB;
ALTER TABLE devices ADD COLUMN last_sequence INTEGER NOT NULL DEFAULT 0;

-- Logins the listener refused (unknown serial, wrong proof, login timeout), one row per serial
-- (the store keeps the 10,000 most recent serials: a scanner chooses its serials); the admin sees
-- who is knocking.
CREATE TABLE refused_idents (
  serial TEXT PRIMARY KEY,
  address TEXT NOT NULL,                -- the last remote address, "ip:port"
  reason TEXT NOT NULL,                 -- the last reason (an uplink ERROR code name and text)
  first_at INTEGER NOT NULL,            -- ms since the epoch
  last_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX refused_idents_last ON refused_idents(last_at);
