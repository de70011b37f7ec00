-- The newest download of each vehicle unit (by VIN) and driver card (by card number), kept as
-- files are stored (issue 13): download compliance and the alerts read it (schema/files.md).
CREATE TABLE tacho_downloads (
  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),  -- 0 vehicle unit, 1 driver card
  subject TEXT NOT NULL,                         -- VIN or card number
  serial TEXT NOT NULL,
  location_id INTEGER,
  registration TEXT NOT NULL DEFAULT '',
  surname TEXT NOT NULL DEFAULT '',
  first_names TEXT NOT NULL DEFAULT '',
  card_expiry_ms INTEGER,
  file_id INTEGER NOT NULL,
  downloaded_at_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, subject)
) WITHOUT ROWID;
