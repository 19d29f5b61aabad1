import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { openSqliteStore } from '../store/sqlite/open-store.ts'
import {
  type BenchDatabase,
  type HookrelayRunOptions,
  type HookrelayRunResult,
  runHookrelay,
  type StoredCounts,
} from './hookrelay-run.ts'

export { publishLanes } from './hookrelay-run.ts'

/** Options of `runHookrelaySqlite`. */
export type HookrelaySqliteOptions = HookrelayRunOptions

/** What a Hookrelay SQLite run measured and what it checked. */
export type HookrelaySqliteResult = HookrelayRunResult

/**
 * Hookrelay on a fresh SQLite file (one engine, as SQLite has one writer): publishes `events` ×
 * `subscriptions` deliveries with the worker stopped, then times `start()` → `drain()`, then checks
 * the receiver's counts and the database. A warm-up round on another file runs first.
 */
export async function runHookrelaySqlite(
  options: HookrelaySqliteOptions,
): Promise<HookrelaySqliteResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'))
  try {
    return await runHookrelay(options, {
      pathPrefix: 'hooks',
      workers: 1,
      create: async (name) => sqliteFile(join(dir, `${name}.db`)),
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function sqliteFile(file: string): BenchDatabase {
  return {
    // The same store `createHookrelay({ database: file })` opens.
    open: () => openSqliteStore({ path: file }),
    count: async () => countStored(file),
    drop: async () => {
      for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true })
    },
  }
}

/** Counts what the file holds, read straight from SQLite after the engine has closed. */
function countStored(file: string): StoredCounts {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const deliveriesByStatus: Record<string, number> = {}
    for (const row of db
      .prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status')
      .all()) {
      deliveriesByStatus[row.status as string] = row.n as number
    }
    const attempts = db.prepare('SELECT COUNT(*) AS n FROM attempts').get()?.n as number
    const attempts2xx = db
      .prepare('SELECT COUNT(*) AS n FROM attempts WHERE status_code >= 200 AND status_code < 300')
      .get()?.n as number
    return { deliveriesByStatus, attempts, attempts2xx }
  } finally {
    db.close()
  }
}
