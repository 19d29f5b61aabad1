/**
 * What PostgreSQL pays per delivery, for `docs/scaling.md`; not part of `npm run bench`. Two
 * parts, each on a fresh schema dropped after:
 * - the store's verbs alone, no HTTP: publish `events × 8` deliveries, claim them in batches of
 *   1,024, record a success for each in batches of 256 (about what the worker's 20 ms flushes
 *   gather at this rate) and then 512 (its largest flush); time per call, WAL written, bytes at
 *   rest, dead rows;
 * - one engine delivering the same to the bench receiver, sampling how many of its pool's
 *   connections are open and busy.
 * `HOOKRELAY_BENCH_PG=postgres://… node --experimental-strip-types
 *  --no-warnings=ExperimentalWarning bench/postgres-costs.ts` (`BENCH_EVENTS`, default 2,000).
 * WAL is the server's, so other sessions' writes at the same time are counted too.
 */
import { readFile } from 'node:fs/promises'
import type pg from 'pg'
import { createHookrelay, type Hookrelay } from '../src/index.ts'
import { openPostgresStore } from '../src/store/postgres/open-store.ts'
import type { ClaimedDelivery, Store } from '../src/store/store.ts'
import { publishAll, silent, subscribe } from '../src/bench/hookrelay-run.ts'
import { postgresUrl } from './postgres-rows.ts'
import { dropSchema, freshSchema, serverUrl, withClient } from './postgres-schema.ts'
import { startReceiver } from '../src/bench/receiver-process.ts'
import { successRecords } from './success-records.ts'

const url = postgresUrl()
if (url === null) throw new Error('set HOOKRELAY_BENCH_PG (or HOOKRELAY_TEST_PG) to postgres://…')
const events = Number(process.env.BENCH_EVENTS ?? '2000')
const subscriptions = 8
const deliveries = events * subscriptions

const receiver = await startReceiver()
try {
  console.log(`${deliveries} deliveries (${events} events × ${subscriptions} subscriptions)`)
  await verbs()
  await live()
} finally {
  await receiver.stop()
}

async function verbs(): Promise<void> {
  const { schema, name, store } = await namedStore()
  const hooks = await engine(store)
  try {
    await subscribe(hooks, { receiver, subscriptions }, 'costs')
    const wal = await walMeter()
    const cpu = await cpuMeter(name)
    let started = performance.now()
    await publishAll(hooks, events)
    report('publish (16 callers)', performance.now() - started, events, 'event', await wal())
    await cpu('publish', deliveries)

    const claimed: ClaimedDelivery[] = []
    started = performance.now()
    let calls = 0
    for (;;) {
      const leaseToken = `costs.${calls++}`
      const rows = await store.claimDueDeliveries({
        now: Date.now(),
        limit: 1_024,
        leaseMs: 600_000,
        leaseToken,
      })
      if (rows.length === 0) break
      claimed.push(...rows)
    }
    const claimMs = performance.now() - started
    report('claim, batches of 1,024', claimMs, calls, 'call', await wal())
    console.log(`  = ${((claimMs / deliveries) * 1000).toFixed(0)} µs per delivery`)
    await cpu('claim', deliveries)

    const records = successRecords(claimed)
    const half = Math.floor(records.length / 2)
    for (const [size, slice] of [
      [256, records.slice(0, half)],
      [512, records.slice(half)],
    ] as const) {
      started = performance.now()
      let commits = 0
      for (let i = 0; i < slice.length; i += size) {
        await store.recordAttempts(slice.slice(i, i + size))
        commits++
      }
      const ms = performance.now() - started
      report(`record, batches of ${size}`, ms, commits, 'call', await wal(), slice.length)
      console.log(`  = ${((ms / slice.length) * 1000).toFixed(0)} µs per attempt`)
      await cpu('record', slice.length)
    }
    await hooks.close()
    // Closed first: a backend reports its row counts when it ends.
    await withClient(url!, (client) => sizes(client, schema))
  } finally {
    await hooks.close()
    await dropSchema(url!, schema)
  }
}

async function live(): Promise<void> {
  const { schema, name, store } = await namedStore()
  const hooks = await engine(store)
  try {
    await subscribe(hooks, { receiver, subscriptions }, `unique/costs/${schema}`)
    await publishAll(hooks, events)
    let sampling = true
    let open = 0
    let busy = 0
    const sampler = withClient(url!, async (client) => {
      while (sampling) {
        const result = await client.query(
          `SELECT COUNT(*)::int AS open, COUNT(*) FILTER (WHERE state = 'active')::int AS busy
           FROM pg_stat_activity WHERE application_name = $1`,
          [name],
        )
        open = Math.max(open, (result.rows[0]?.open as number) ?? 0)
        busy = Math.max(busy, (result.rows[0]?.busy as number) ?? 0)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })
    const cpu = await cpuMeter(name)
    const benchCpu = process.cpuUsage()
    const started = performance.now()
    hooks.start()
    await hooks.drain()
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(benchCpu)
    sampling = false
    await sampler
    console.log(
      `one engine delivering: ${Math.round(deliveries / seconds)}/s; at most ${open} of its ` +
        `connections were open (a pool of 10 and the LISTEN one) and ${busy} busy at once`,
    )
    await cpu('delivering', deliveries)
    console.log(
      `  this process: ${Math.round((used.user + used.system) / deliveries)} µs CPU per ` +
        'delivery (HTTP, signing, the pg client, and this sampling)',
    )
  } finally {
    await hooks.close()
    await dropSchema(url!, schema)
  }
}

/**
 * A store on a fresh schema whose connections carry an `application_name` of their own, so that
 * `pg_stat_activity` tells them apart from other sessions on the server.
 */
async function namedStore(): Promise<{ schema: string; name: string; store: Store }> {
  const schema = freshSchema('hr_costs')
  const name = `hookrelay_${schema}`
  const named = new URL(serverUrl(url!))
  named.searchParams.set('application_name', name)
  return {
    schema,
    name,
    store: await openPostgresStore({ connectionString: named.toString(), schema }),
  }
}

/**
 * Measures the CPU time the server's backends for `name` used: each call prints what they used
 * since the previous one, per delivery. Reads `/proc`, so only for a server on this machine.
 */
async function cpuMeter(name: string): Promise<(what: string, n: number) => Promise<void>> {
  const ticks = 100 // USER_HZ on Linux
  const sample = async (): Promise<Map<number, number> | null> => {
    const pids = await withClient(url!, async (client) => {
      const r = await client.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        name,
      ])
      return r.rows.map((row) => row.pid as number)
    })
    const used = new Map<number, number>()
    for (const pid of pids) {
      try {
        // Fields 14 and 15 of /proc/<pid>/stat (after the command name) are utime and stime.
        const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
        used.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks)
      } catch {
        return null
      }
    }
    return used
  }
  let last = await sample()
  return async (what, n) => {
    const now = await sample()
    if (now === null || last === null) {
      console.log(
        `  PostgreSQL CPU for ${what}: not measurable (the server is not on this machine)`,
      )
    } else {
      let ms = 0
      for (const [pid, total] of now) ms += total - (last.get(pid) ?? 0)
      console.log(
        `  PostgreSQL CPU for ${what}: ${Math.round(ms)} ms = ${((ms / n) * 1000).toFixed(0)} µs ` +
          'per delivery',
      )
    }
    last = now
  }
}

/** An engine on `store` whose worker starts only when told. */
function engine(store: Store): Promise<Hookrelay> {
  const allowPrivateNetworks = ['127.0.0.0/8']
  return createHookrelay({ store, allowPrivateNetworks, logger: silent, worker: false })
}

/** One line: the time of `n` calls (or events) that covered `covered` deliveries, and their WAL. */
function report(
  what: string,
  ms: number,
  n: number,
  unit: string,
  walBytes: number,
  covered = deliveries,
): void {
  console.log(
    `${what.padEnd(26)} ${Math.round(ms)} ms, ${n} ${unit}s, ${(ms / n).toFixed(2)} ms/${unit}; ` +
      `WAL ${(walBytes / 1024 / 1024).toFixed(1)} MiB = ${Math.round(walBytes / covered)} B/delivery`,
  )
}

/** A function that answers the WAL bytes written since the previous call (or since this one). */
async function walMeter(): Promise<() => Promise<number>> {
  const lsn = () =>
    withClient(url!, async (client) => {
      const r = await client.query('SELECT pg_current_wal_lsn()::text AS lsn')
      return r.rows[0]!.lsn as string
    })
  let last = await lsn()
  return async () => {
    const now = await lsn()
    const bytes = await withClient(url!, async (client) => {
      const r = await client.query('SELECT pg_wal_lsn_diff($1, $2)::float8 AS b', [now, last])
      return r.rows[0]!.b as number
    })
    last = now
    return bytes
  }
}

async function sizes(client: pg.Client, schema: string): Promise<void> {
  const result = await client.query(
    `SELECT relname AS table, pg_total_relation_size(relid)::float8 AS bytes,
       pg_relation_size(relid)::float8 AS heap, n_tup_upd::int AS updated,
       n_tup_hot_upd::int AS hot, n_dead_tup::int AS dead
     FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('events', 'deliveries', 'attempts')
     ORDER BY relname`,
    [schema],
  )
  for (const r of result.rows) {
    console.log(
      `${String(r.table).padEnd(11)} ${((r.bytes as number) / 1024 / 1024).toFixed(1)} MiB with ` +
        `indexes (${Math.round((r.bytes as number) / deliveries)} B/delivery, heap ` +
        `${Math.round((r.heap as number) / deliveries)}); ${r.updated} updates, ${r.hot} HOT; ` +
        `${r.dead} dead rows`,
    )
  }
}
