-- dcgw store, version 13: Teltonika trackers (issue 15, schema/teltonika.md). Each device says
-- which protocol it speaks ('dcgw': the uplink of schema/uplink.md; 'teltonika': Codec 8/8E/16
-- with its IMEI as serial) and, for a Teltonika device, its family ('FMBxxx' or 'FMX6'; '' for a
-- dcgw device), which decides what its IO element ids mean. frame_key is the key of the last
-- Teltonika frame stored whole for the device (0: none): a resent frame carries the same key and
-- is recognised in the ingest transaction. packets.origin keeps the raw record a packet was made
-- from ([codec id][AVL record bytes] for Teltonika; NULL for a packet the device sent as is).
ALTER TABLE devices ADD COLUMN protocol TEXT NOT NULL DEFAULT 'dcgw';
ALTER TABLE devices ADD COLUMN family TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN frame_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE packets ADD COLUMN origin BLOB;
