-- dcgw store, version 17: each device's newest time-related warning (seed 004 section 14.5),
-- recorded by the gateway that received the DDS packet carrying it and read by the alert
-- engine (AlertLog::timeWarnings). Before, the engine kept it in memory: a restart forgot it,
-- and on several nodes only the node evaluating the rules knew its own trackers' warnings.
-- NULL: none seen.
ALTER TABLE devices ADD COLUMN time_warning INTEGER;
ALTER TABLE devices ADD COLUMN time_warning_card TEXT;
ALTER TABLE devices ADD COLUMN time_warning_at INTEGER;
