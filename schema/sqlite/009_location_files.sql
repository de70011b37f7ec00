-- Each location's tachograph-file settings (issue 13, schema/files.md): the naming convention of
-- its files, the time zone of the names' local time, and the download periods after which a
-- vehicle unit or a driver card is due (EU: 90 and 28 days).
ALTER TABLE locations ADD COLUMN file_naming TEXT NOT NULL DEFAULT 'eu'
  CHECK (file_naming IN ('eu', 'fr', 'es'));
ALTER TABLE locations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE locations ADD COLUMN vu_download_days INTEGER NOT NULL DEFAULT 90
  CHECK (vu_download_days BETWEEN 1 AND 3650);
ALTER TABLE locations ADD COLUMN card_download_days INTEGER NOT NULL DEFAULT 28
  CHECK (card_download_days BETWEEN 1 AND 3650);
