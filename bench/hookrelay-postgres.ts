import type pg from 'pg'
import { openPostgresStore } from '../src/store/postgres/open-store.ts'
import {
  type BenchDatabase,
  type HookrelayRunOptions,
  type HookrelayRunResult,
  runHookrelay,
  type StoredCounts,
} from '../src/bench/hookrelay-run.ts'
import { dropSchema, freshSchema, serverUrl, withClient } from './postgres-schema.ts'
import type { WorkerProcess } from './postgres-worker.ts'

/** Options of `runHookrelayPostgres`. */
export interface HookrelayPostgresOptions extends HookrelayRunOptions {
  /** The server: `postgres://…`; a `schema` parameter is ignored (each run makes its own). */
  url: string
  /** Engines sharing the backlog in this process, each with its own pool and worker. */
  workers: number
  /** A worker process that opens one more engine on the same schema, for each run. */
  workerProcess?: WorkerProcess
  /** Connections in each engine's pool. Default is the store's default, 10. */
  poolSize?: number
}

/**
 * Hookrelay on PostgreSQL, in a fresh schema per round (dropped after), with `workers` engines in
 * this process and one more in `workerProcess` when given (each `createHookrelay` with its own
 * pool) sharing one backlog: the same run, checks and timings as on SQLite, counted from
 * PostgreSQL. Receiver paths are under `/unique/`, so a delivery that reaches it twice is counted.
 */
export function runHookrelayPostgres(
  options: HookrelayPostgresOptions,
): Promise<HookrelayRunResult> {
  const { url, workers, poolSize, workerProcess } = options
  const remoteWorkers = workerProcess === undefined ? 0 : 1
  return runHookrelay(options, {
    pathPrefix: `unique/pg-${workers + remoteWorkers}`,
    workers,
    remoteWorkers,
    create: async () => {
      const schema = freshSchema('hr_bench')
      return {
        ...postgresSchema(url, schema, poolSize),
        openRemote: async () => {
          if (workerProcess === undefined) throw new Error('no worker process')
          const { concurrency, subscriptionConcurrency, batchSize } = options
          return workerProcess.open({
            url,
            schema,
            ...(poolSize === undefined ? {} : { poolSize }),
            concurrency,
            subscriptionConcurrency,
            batchSize,
          })
        },
      }
    },
  })
}

/** A store on `schema` of the server at `url`, with a pool of `max` (default: the store's). */
export function openSchemaStore(url: string, schema: string, max: number | undefined) {
  return openPostgresStore({
    connectionString: serverUrl(url),
    schema,
    ...(max === undefined ? {} : { max }),
  })
}

function postgresSchema(url: string, schema: string, max: number | undefined): BenchDatabase {
  return {
    open: () => openSchemaStore(url, schema, max),
    count: () => withClient(url, (client) => countStored(client, schema)),
    drop: () => dropSchema(url, schema),
  }
}

async function countStored(client: pg.Client, schema: string): Promise<StoredCounts> {
  const deliveriesByStatus: Record<string, number> = {}
  const byStatus = await client.query(
    `SELECT status, COUNT(*)::int AS n FROM "${schema}".deliveries GROUP BY status`,
  )
  for (const row of byStatus.rows) deliveriesByStatus[row.status as string] = row.n as number
  const attempts = await client.query(
    `SELECT COUNT(*)::int AS n,
       COUNT(*) FILTER (WHERE status_code >= 200 AND status_code < 300)::int AS ok
     FROM "${schema}".attempts`,
  )
  const counts = attempts.rows[0] ?? {}
  return { deliveriesByStatus, attempts: counts.n as number, attempts2xx: counts.ok as number }
}
