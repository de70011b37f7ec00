-- dcgw store, version 2: deleting a packet (pruning) checks its delivery rows, and the foreign
-- key check does too; without this index each check scanned every delivery row.
CREATE INDEX deliveries_packet ON deliveries(packet_id);
