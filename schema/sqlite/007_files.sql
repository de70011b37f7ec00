-- dcgw store, version 7: tachograph files (issue 13, schema/uplink.md section 8.6). The index
-- of the files stored in the file store (their bytes are kept once per SHA-256, beside the
-- database), and the uploads in progress, kept so an upload resumes after a restart.
CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL,              -- the device (not a reference: the index outlives devices)
  upload_id INTEGER NOT NULL,        -- the device's upload id
  received_at INTEGER NOT NULL,      -- milliseconds since the epoch
  downloaded_at INTEGER NOT NULL,    -- the device's download time, else received_at
  registration TEXT NOT NULL,
  location_id INTEGER,               -- the device's location when it arrived
  announced_kind TEXT NOT NULL,      -- FILE_BEGIN's kind
  kind TEXT NOT NULL,                -- the analysis' kind
  generation TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,              -- 64 lower-case hex digits: the content's name
  summary TEXT NOT NULL,             -- JSON object
  warnings TEXT NOT NULL,            -- JSON array of strings
  error TEXT NOT NULL,
  name TEXT NOT NULL                 -- the conventional file name
) STRICT;
CREATE INDEX files_serial ON files (serial, id);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_received ON files (received_at);
CREATE INDEX files_upload ON files (serial, upload_id, sha256);

CREATE TABLE file_uploads (
  serial TEXT NOT NULL,
  upload_id INTEGER NOT NULL,
  announced_kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  downloaded_at INTEGER NOT NULL,
  registration TEXT NOT NULL,
  begun_at INTEGER NOT NULL,
  PRIMARY KEY (serial, upload_id)
) STRICT, WITHOUT ROWID;
