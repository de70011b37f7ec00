-- dcgw store, version 8: the drivers the gateway has seen with a name (issue 13,
-- schema/derived-packets.md section 3). A card number's first sighting decides the New Driver
-- notification (seed 004 section 8); the last sighting's device is shown to admins.
-- (Version 7 is the tachograph files' table.)
CREATE TABLE drivers (
  card_number TEXT PRIMARY KEY,      -- CardNumber.driverIdentification, trimmed
  surname TEXT NOT NULL,             -- UTF-8
  first_names TEXT NOT NULL,         -- UTF-8
  first_seen_at INTEGER NOT NULL,    -- milliseconds since the epoch
  last_seen_at INTEGER NOT NULL,
  last_serial TEXT NOT NULL          -- '' when none
) STRICT, WITHOUT ROWID;
