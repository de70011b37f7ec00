-- dcgw store, version 4: the admin API (schema/openapi.yaml).
-- Bearer tokens, stored as the SHA-256 of the secret (the secret is shown once, at creation).
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
  hash BLOB NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
) STRICT;

-- Every configuration change and admin action: who, when, what, the object before and after
-- (JSON text; NULL before a creation and after a removal). Append-only.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT,
  after TEXT
) STRICT;
