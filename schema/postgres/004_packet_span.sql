-- dcgw store on PostgreSQL, version 4: SQLite's packets.first_delivery and delivery_span
-- (SQLite's migration 015: where a packet's delivery rows are, which its pruning reads since
-- its deliveries table lost the index by packet), so an export of a SQLite store has the same
-- columns here. PostgreSQL keeps deliveries_packet and does not read them.
ALTER TABLE packets ADD COLUMN first_delivery bigint;
ALTER TABLE packets ADD COLUMN delivery_span integer;
