import type pg from 'pg'

/** One schema change. Numbered and append-only: a migration that has landed is never edited. */
export interface Migration {
  version: number
  sql: string
}

// Times are BIGINT epoch ms and JSON is TEXT holding the exact text written, as in SQLite. Keys and
// names are COLLATE "C" so ids sort (and page) byte by byte, as SQLite sorts them, whatever the
// database's collation.
/** Every migration of the PostgreSQL store, oldest first. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE subscriptions (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  events TEXT NOT NULL,
  url TEXT COLLATE "C" NOT NULL,
  content_type TEXT NOT NULL,
  headers TEXT NOT NULL,
  signature_scheme TEXT NOT NULL,
  payload TEXT NOT NULL,
  description TEXT,
  rate_limit DOUBLE PRECISION,
  retry_schedule TEXT,
  created_by TEXT,
  state TEXT NOT NULL,
  disabled_reason TEXT,
  secrets TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  failing_since BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_tenant_url ON subscriptions (tenant, url);
CREATE INDEX subscriptions_tenant_id ON subscriptions (tenant, id);

CREATE TABLE subscription_patterns (
  tenant TEXT COLLATE "C" NOT NULL,
  pattern TEXT COLLATE "C" NOT NULL,
  subscription_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant, pattern, subscription_id)
);
CREATE INDEX subscription_patterns_subscription ON subscription_patterns (subscription_id);

CREATE TABLE events (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant TEXT COLLATE "C" NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  data TEXT NOT NULL,
  timestamp BIGINT NOT NULL,
  idempotency_key TEXT COLLATE "C",
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant_id ON events (tenant, id);
CREATE INDEX events_tenant_timestamp ON events (tenant, timestamp, id);
CREATE INDEX events_timestamp ON events (timestamp);

CREATE TABLE deliveries (
  id TEXT COLLATE "C" PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL,
  subscription_id TEXT COLLATE "C" NOT NULL,
  tenant TEXT COLLATE "C" NOT NULL,
  event_type TEXT COLLATE "C" NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  lease_token TEXT COLLATE "C",
  last_status_code INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_subscription_id ON deliveries (subscription_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id, id);
CREATE INDEX deliveries_tenant_id ON deliveries (tenant, id);

CREATE TABLE attempts (
  id TEXT COLLATE "C" PRIMARY KEY,
  delivery_id TEXT COLLATE "C" NOT NULL,
  event_id TEXT COLLATE "C" NOT NULL,
  subscription_id TEXT COLLATE "C" NOT NULL,
  tenant TEXT COLLATE "C" NOT NULL,
  trigger TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,
  error TEXT,
  response_headers TEXT NOT NULL,
  response_body TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
-- Only failed attempts are looked up by subscription (last error): a partial index keeps the
-- hot insert path cheap. An event's attempts are found through its deliveries.
CREATE INDEX attempts_failed ON attempts (subscription_id, id)
  WHERE status_code IS NULL OR status_code < 200 OR status_code >= 300;

CREATE TABLE event_types (
  name TEXT COLLATE "C" PRIMARY KEY,
  description TEXT,
  schema TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
`,
  },
  {
    version: 2,
    sql: `
CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT,
  created_at BIGINT NOT NULL
);

-- tenant is NULL for admin keys. No foreign key, as in SQLite: the store checks the tenant on
-- insert.
CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant TEXT COLLATE "C",
  name TEXT,
  roles TEXT NOT NULL,
  hash TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
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
-- A pending delivery's due time and lease live in a narrow row of their own, there exactly while
-- it is pending: claims and reschedules touch only that row, and an attempt's update of the
-- delivery changes no indexed column, so it is a HOT update (docs/scaling.md). Locks are taken
-- queue row first, then delivery. The delivery's next_attempt_at stays, for showing.
CREATE TABLE delivery_queue (
  delivery_id TEXT COLLATE "C" PRIMARY KEY,
  next_attempt_at BIGINT NOT NULL,
  lease_token TEXT COLLATE "C"
);
INSERT INTO delivery_queue (delivery_id, next_attempt_at, lease_token)
  SELECT id, COALESCE(next_attempt_at, 0), lease_token FROM deliveries WHERE status = 'pending';
CREATE INDEX delivery_queue_due ON delivery_queue (next_attempt_at);
DROP INDEX deliveries_due;
ALTER TABLE deliveries DROP COLUMN lease_token;
-- Room on each page for an updated row, which HOT needs.
ALTER TABLE deliveries SET (fillfactor = 50);
`,
  },
  {
    version: 5,
    sql: `
-- Each pending delivery's subscription beside its due time, so a claim can pass over the
-- subscriptions a worker already holds enough of (ClaimOptions.exclude) without reading the
-- deliveries. Not indexed: only such claims read it, and they filter the due index's walk.
ALTER TABLE delivery_queue ADD COLUMN subscription_id TEXT COLLATE "C";
UPDATE delivery_queue q SET subscription_id = d.subscription_id
  FROM deliveries d WHERE d.id = q.delivery_id;
-- A queue row without its delivery could never be sent (a claim leases it and finds nothing).
DELETE FROM delivery_queue WHERE subscription_id IS NULL;
ALTER TABLE delivery_queue ALTER COLUMN subscription_id SET NOT NULL;
`,
  },
  {
    version: 6,
    sql: `
-- The deliveries of a publish to many subscriptions, written by the claims that follow or before
-- a call that reads deliveries (fan-outs-sql.ts). Each row is one slice: its subscriptions, as a
-- JSON array.
CREATE TABLE fan_out_queue (
  id BIGSERIAL PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL,
  subscription_ids TEXT NOT NULL
);
CREATE INDEX fan_out_queue_event ON fan_out_queue (event_id);
`,
  },
  {
    version: 7,
    sql: `
-- A delivery whose attempt failed and that waits for its next one is 'retrying', no longer
-- 'pending' (pending: not attempted yet). Both have a queue row, so only the queue's are read.
UPDATE deliveries SET status = 'retrying'
WHERE id IN (SELECT delivery_id FROM delivery_queue) AND status = 'pending' AND attempts > 0;
`,
  },
  {
    version: 8,
    sql: `
-- The event types each tenant has published, for the catalogue: a query skips from one type to
-- the next along this index, so a million events of twenty types cost twenty lookups. The event
-- log filtered by type, newest first, reads it too instead of every event of the tenant.
CREATE INDEX events_tenant_type ON events (tenant, type, id);
`,
  },
]

// Every process opening the schema takes this lock (per schema) before it looks or changes
// anything, so processes starting together apply each migration exactly once, one after another.
const lock = `SELECT pg_advisory_xact_lock(hashtext('hookrelay.migrations'), hashtext($1))`

/** Runs `fn` in its own transaction under the schema's migration lock. */
async function locked<T>(client: pg.ClientBase, schema: string, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN')
  try {
    await client.query(lock, [schema])
    const result = await fn()
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  }
}

/**
 * Creates the schema when missing, then applies the migrations it has not seen yet, each in its own
 * transaction with its row in `schema_migrations`. Returns the versions applied (empty when the
 * schema is current). The client's `search_path` must name `schema`.
 */
export async function applyMigrations(
  client: pg.ClientBase,
  schema: string,
  list: readonly Migration[] = migrations,
): Promise<number[]> {
  await locked(client, schema, async () => {
    // Checked before creating: CREATE SCHEMA IF NOT EXISTS wants the CREATE privilege even when
    // the schema is there, and `public` usually is.
    const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
    if (found.rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`)
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    )
  })
  const applied: number[] = []
  for (const migration of list) {
    await locked(client, schema, async () => {
      // Read under the lock: a process that opened the schema at the same moment and got the lock
      // first has committed by now, and its version is seen as applied.
      const seen = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
        migration.version,
      ])
      if (seen.rowCount !== 0) return
      await client.query(migration.sql)
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        migration.version,
        Date.now(),
      ])
      applied.push(migration.version)
    })
  }
  return applied
}

/** Applies the migrations on a connection of `pool`, whose `search_path` names `schema`. */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect()
  // Unheard, the 'error' a dropped connection emits would end the process (see `transaction`).
  let broken: Error | undefined
  const onError = (error: Error): void => {
    broken = error
  }
  client.on('error', onError)
  try {
    await applyMigrations(client, schema)
  } finally {
    client.removeListener('error', onError)
    client.release(broken)
  }
}
