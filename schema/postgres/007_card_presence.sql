-- dcgw store on PostgreSQL, version 7: card-bridge sessions whichever node a tracker lands on
-- (issue 14; schema/postgres/README.md, "Card sessions across nodes"). Each node publishes the
-- company cards online at its card-bridge listener and the address the other nodes reach that
-- listener at; a tracker's card request on another node is relayed there over a node link
-- (schema/card-bridge.md section 9), whose two ends prove the cluster key below.

-- The cards online at each node, replaced by the node whenever its set changes. A row counts
-- only while its node is live (its liveness lock held, its heartbeat fresh); the rows of a node
-- removed from `nodes` go with it.
CREATE TABLE card_presence (
  card text NOT NULL,
  node_id bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
  link text NOT NULL,                   -- host:port of the node's card-bridge listener
  bridge text NOT NULL,                 -- the card bridge's ident
  reader text NOT NULL,
  since bigint NOT NULL,                -- milliseconds since the epoch, the server's clock
  PRIMARY KEY (card, node_id)
);
CREATE INDEX card_presence_node ON card_presence (node_id);

-- The key node links prove themselves with (HMAC-SHA256): 32 random bytes, made by the first
-- node that needs it. Whoever can read this database may act as a node.
CREATE TABLE cluster_key (
  id integer PRIMARY KEY CHECK (id = 1),
  key bytea NOT NULL
);
