import pg from 'pg'
import { connectionSettings } from './connection.ts'
import { migrate } from './migrations.ts'
import { PostgresStore } from './postgres-store.ts'

/** Options of `openPostgresStore`. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; a `schema` parameter may name the schema. */
  connectionString: string
  /** The schema of Hookrelay's tables, created when missing. Default is `public`. */
  schema?: string
  /** Connections in the pool at most. Default is 10. */
  max?: number
}

/**
 * Opens a PostgreSQL store: a pool whose connections use `schema` (created when missing), with
 * every migration it has not seen applied first.
 *
 * @example
 * const store = await openPostgresStore({ connectionString: 'postgres://localhost/app' })
 * const isolated = await openPostgresStore({ connectionString: url, schema: 'hooks' })
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const { config, schema, poolMax } = connectionSettings(options.connectionString, options.schema)
  const pool = new pg.Pool({ ...config, max: options.max ?? poolMax ?? 10 })
  // An idle pooled connection that drops emits 'error' on the pool; without a handler that would
  // end the process. The pool replaces it, and the next query reports any lasting problem.
  pool.on('error', () => {})
  try {
    await migrate(pool, schema)
  } catch (error) {
    await pool.end()
    throw error
  }
  return new PostgresStore(pool, config, schema)
}
