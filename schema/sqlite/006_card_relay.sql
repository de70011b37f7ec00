-- dcgw store, version 6: remote company-card authentication (issue 12, schema/card-bridge.md).
-- Company cards the gateway lends to trackers, the locations whose devices may use each, the
-- card bridges that hold them (they log in like devices, with a key), the company card each
-- device uses by default, and the relay's log: its events and its ended sessions.
CREATE TABLE company_cards (
  number TEXT PRIMARY KEY,           -- the 16-character card number
  name TEXT NOT NULL DEFAULT '',
  expires_on TEXT NOT NULL           -- YYYY-MM-DD: usable through this day (UTC)
) STRICT, WITHOUT ROWID;

CREATE TABLE company_card_locations (
  card_number TEXT NOT NULL REFERENCES company_cards(number) ON DELETE CASCADE,
  location_id INTEGER NOT NULL REFERENCES locations(id) ON DELETE CASCADE,
  PRIMARY KEY (card_number, location_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE card_bridges (
  ident TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  bridge_key BLOB                    -- NULL: no key yet, cannot log in
) STRICT, WITHOUT ROWID;

-- '' is no card; a card named by a device cannot be removed (the store refuses it).
ALTER TABLE devices ADD COLUMN company_card TEXT NOT NULL DEFAULT '';

CREATE TABLE card_events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,               -- milliseconds since the epoch
  card TEXT NOT NULL,
  serial TEXT NOT NULL,
  bridge TEXT NOT NULL,
  code TEXT NOT NULL,
  text TEXT NOT NULL
) STRICT;
CREATE INDEX card_events_card ON card_events (card, id);
CREATE INDEX card_events_serial ON card_events (serial, id);

CREATE TABLE card_sessions (
  id INTEGER PRIMARY KEY,
  card TEXT NOT NULL,
  serial TEXT NOT NULL,
  bridge TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  started_at INTEGER,                -- NULL: the card was never reset for it
  ended_at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  apdus INTEGER NOT NULL
) STRICT;
CREATE INDEX card_sessions_ended ON card_sessions (ended_at, id);
CREATE INDEX card_sessions_card ON card_sessions (card, ended_at, id);
CREATE INDEX card_sessions_serial ON card_sessions (serial, ended_at, id);
