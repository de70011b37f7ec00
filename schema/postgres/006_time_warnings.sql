-- dcgw store on PostgreSQL, version 6: each device's newest time-related warning (seed 004
-- section 14.5), as SQLite's migration 017: recorded by the node whose tracker sent the DDS
-- packet, read by the node that evaluates the alert rules (the leader), so the warning is
-- raised whatever node the tracker is connected to. NULL: none seen.
ALTER TABLE devices ADD COLUMN time_warning integer;
ALTER TABLE devices ADD COLUMN time_warning_card text;
ALTER TABLE devices ADD COLUMN time_warning_at bigint;
