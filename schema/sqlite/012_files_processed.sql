-- When the gateway finished what it does after storing a file (its File Summary and New Driver
-- packets committed, its download recorded; schema/files.md): NULL until then, so a file stored
-- just before a crash gets its packets at the next start (issue 13). Files stored before this
-- migration were processed when they were stored.
ALTER TABLE files ADD COLUMN processed_at INTEGER;
UPDATE files SET processed_at = received_at;
CREATE INDEX files_unprocessed ON files (id) WHERE processed_at IS NULL;
