import type { Store } from '../store.ts'
import { openConnection, type SqliteSynchronous } from './connection.ts'
import { applyMigrations } from './migrations.ts'
import { SqliteStore } from './sqlite-store.ts'
import { ThreadedSqliteStore } from './threaded-store.ts'

/** Options of `openSqliteStore`. */
export interface SqliteStoreOptions {
  /** A database file (created when missing) or `:memory:`. */
  path: string
  /** Default is `NORMAL`: a killed process loses nothing; `FULL` also survives a power cut. */
  synchronous?: SqliteSynchronous
  /**
   * Run SQLite on its own worker thread, so the main thread's event loop is left to HTTP.
   * Default is true for a file and false for `:memory:` (tests and scratch use, where a call's
   * round trip to a thread costs more than its SQL).
   */
  thread?: boolean
}

/**
 * Opens (or creates) a SQLite store and applies any migrations it has not seen.
 *
 * @example
 * const store = await openSqliteStore({ path: 'hooks.db' })
 * const memory = await openSqliteStore({ path: ':memory:' })
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const synchronous = options.synchronous ?? 'NORMAL'
  if (options.thread ?? options.path !== ':memory:')
    return ThreadedSqliteStore.open({ path: options.path, synchronous })
  return openOnThisThread(options.path, synchronous)
}

/**
 * Opens the database on the calling thread and applies the migrations it has not seen;
 * `queueFanOuts` as the store's constructor takes it.
 */
export function openOnThisThread(
  path: string,
  synchronous: SqliteSynchronous,
  options: { queueFanOuts?: boolean } = {},
): SqliteStore {
  const conn = openConnection(path, synchronous)
  try {
    applyMigrations(conn.db)
  } catch (error) {
    conn.db.close()
    throw error
  }
  return new SqliteStore(conn, options.queueFanOuts)
}
