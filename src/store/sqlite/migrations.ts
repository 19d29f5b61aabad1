import type { DatabaseSync } from 'node:sqlite'

/** One schema change. Numbered and append-only: a migration that has landed is never edited. */
export interface Migration {
  version: number
  sql: string
}

/** Every migration of the SQLite store, oldest first. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  events TEXT NOT NULL,
  url TEXT NOT NULL,
  content_type TEXT NOT NULL,
  headers TEXT NOT NULL,
  signature_scheme TEXT NOT NULL,
  payload TEXT NOT NULL,
  description TEXT,
  rate_limit REAL,
  retry_schedule TEXT,
  created_by TEXT,
  state TEXT NOT NULL,
  disabled_reason TEXT,
  secrets TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  failing_since INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_tenant_url ON subscriptions (tenant, url);
CREATE INDEX subscriptions_tenant_id ON subscriptions (tenant, id);

CREATE TABLE subscription_patterns (
  tenant TEXT NOT NULL,
  pattern TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  PRIMARY KEY (tenant, pattern, subscription_id)
) WITHOUT ROWID;
CREATE INDEX subscription_patterns_subscription ON subscription_patterns (subscription_id);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  idempotency_key TEXT,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant_id ON events (tenant, id);
CREATE INDEX events_tenant_timestamp ON events (tenant, timestamp, id);
CREATE INDEX events_timestamp ON events (timestamp);

CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  event_type TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_token TEXT,
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription_id ON deliveries (subscription_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id, id);
CREATE INDEX deliveries_tenant_id ON deliveries (tenant, id);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  subscription_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  response_headers TEXT NOT NULL,
  response_body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
-- Only failed attempts are looked up by subscription (last error): a partial index keeps the
-- hot insert path cheap. An event's attempts are found through its deliveries.
CREATE INDEX attempts_failed ON attempts (subscription_id, id)
  WHERE status_code IS NULL OR status_code < 200 OR status_code >= 300;

CREATE TABLE event_types (
  name TEXT PRIMARY KEY,
  description TEXT,
  schema TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT,
  created_at INTEGER NOT NULL
);

-- tenant is NULL for admin keys. No foreign key: the store checks the tenant on insert, and
-- SQLite enforces foreign keys only with a pragma this database does not turn on.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant TEXT,
  name TEXT,
  roles TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant, created_at, id);

-- The metrics gauge of disabled subscriptions counts this index, never the table.
CREATE INDEX subscriptions_disabled ON subscriptions (id) WHERE state = 'disabled';
`,
  },
  {
    version: 3,
    sql: `
-- The headers each attempt sent, for the dashboard's attempt view. Older attempts show none.
ALTER TABLE attempts ADD COLUMN request_headers TEXT NOT NULL DEFAULT '{}';
`,
  },
  {
    version: 4,
    sql: `
-- The one store that delivers from this file: scheduled claims are leased in its memory and
-- write nothing (delivery-lock.ts, claims-sql.ts).
CREATE TABLE delivery_lock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  holder TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
`,
  },
  {
    version: 5,
    sql: `
-- The deliveries of a publish to many subscriptions, written after the publish answered, 100 at a
-- time (fan-outs-sql.ts). Each row is one slice: its subscriptions, as a JSON array.
CREATE TABLE fan_out_queue (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL,
  subscription_ids TEXT NOT NULL
);
CREATE INDEX fan_out_queue_event ON fan_out_queue (event_id);
`,
  },
  {
    version: 6,
    sql: `
-- A delivery whose attempt failed and that waits for its next one is 'retrying', no longer
-- 'pending' (pending: not attempted yet). The index of due deliveries covers both.
UPDATE deliveries SET status = 'retrying' WHERE status = 'pending' AND attempts > 0;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
`,
  },
  {
    version: 7,
    sql: `
-- The event types each tenant has published, for the catalogue: a query skips from one type to
-- the next along this index, so a million events of twenty types cost twenty lookups. The event
-- log filtered by type, newest first, reads it too instead of every event of the tenant.
CREATE INDEX events_tenant_type ON events (tenant, type, id);
`,
  },
]

/**
 * Applies the migrations the database has not seen yet, each in its own transaction with its row
 * in `schema_migrations`, and returns the versions applied (empty when the schema is current).
 */
export function applyMigrations(
  db: DatabaseSync,
  list: readonly Migration[] = migrations,
): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  )
  const applied: number[] = []
  for (const migration of list) {
    db.exec('BEGIN IMMEDIATE')
    try {
      // Read inside the write lock: another process opening the same file at the same moment
      // waits here, then sees the version as applied.
      const seen = db
        .prepare('SELECT 1 FROM schema_migrations WHERE version = ?')
        .get(migration.version)
      if (seen === undefined) {
        db.exec(migration.sql)
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
          migration.version,
          Date.now(),
        )
        applied.push(migration.version)
      }
      db.exec('COMMIT')
    } catch (error) {
      db.exec('ROLLBACK')
      throw error
    }
  }
  return applied
}
