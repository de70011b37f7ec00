-- dcgw store, version 10: the alerts the gateway raises itself (seed 004 section 7;
-- schema/alerts.md). Per-location settings, the state of every alert condition (so a restart
-- neither repeats nor forgets an alert), and when each device last sent a packet.

-- A location's alert language; a location without a row uses "en" and no rule is on.
CREATE TABLE alert_settings (
  location_id INTEGER PRIMARY KEY REFERENCES locations(id) ON DELETE CASCADE,
  language TEXT NOT NULL DEFAULT 'en'   -- en | de | fr | es
) STRICT;

-- One row per rule switched on for a location, with its threshold (unit per rule:
-- schema/alerts.md). A rule without a row is off.
CREATE TABLE alert_rules (
  location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  rule TEXT NOT NULL,                   -- device-silent | destination-failing | card-expiry | ...
  threshold_seconds INTEGER NOT NULL,   -- the threshold in seconds (its unit per rule: alerts.md)
  PRIMARY KEY (location_id, rule)
) STRICT, WITHOUT ROWID;

-- A condition the engine has seen begin (raised_at NULL: not over its threshold yet) or has
-- raised (an alert packet is stored); the row goes when the condition ends (with a clear packet
-- when it was raised). subject: the device serial, destination id, card number ... (per rule).
-- No foreign key to locations: a removed location's raised alerts are still cleared.
CREATE TABLE alert_conditions (
  location_id INTEGER NOT NULL,
  rule TEXT NOT NULL,
  subject TEXT NOT NULL,
  since INTEGER NOT NULL,               -- ms since the epoch: when the condition began
  raised_at INTEGER,                    -- ms since the epoch; NULL: not raised
  alert BLOB,                           -- the raised alert's packet (its clear repeats its fields)
  serial TEXT NOT NULL DEFAULT '',      -- the serial the raised alert went out with
  PRIMARY KEY (location_id, rule, subject)
) STRICT, WITHOUT ROWID;

-- The receive time of the newest packet a device sent (not packets the gateway made for it).
ALTER TABLE devices ADD COLUMN last_packet_at INTEGER;
