/**
 * What the scheduling rows (`bench/shapes/`) share: their databases, the receiver's arrival
 * statistics, percentiles, paced publishing and RSS sampling. Every rate and latency here is
 * counted at the receiver (`receiver-child.ts`, paths under `/shape/`), never from the engine.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchTenant, eventData } from '../../src/bench/payload.ts'
import { createHookrelay, type Hookrelay } from '../../src/index.ts'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import type { ShapePathStats } from '../../src/bench/receiver-protocol.ts'
import type { Row } from '../../src/bench/table.ts'
import { checkpoint, dropSchema, freshSchema, serverUrl } from '../postgres-schema.ts'

/** The stores the rows run on. */
export type StoreName = 'sqlite' | 'postgres'

/** A fresh, empty database for one run: what `createHookrelay({ database })` takes. */
export interface ShapeDatabase {
  store: StoreName
  database: string
  drop(): Promise<void>
}

let checkpointRefusedSaid = false

/**
 * A SQLite file in a temporary directory, or a fresh schema on `pgUrl` after a `CHECKPOINT` (see
 * `checkpoint`); dropped by `drop()`.
 */
export async function freshDatabase(
  store: StoreName,
  pgUrl: string | null,
): Promise<ShapeDatabase> {
  if (store === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'hookrelay-shape-'))
    return {
      store,
      database: join(dir, 'shape.db'),
      drop: () => rm(dir, { recursive: true, force: true }),
    }
  }
  if (pgUrl === null) throw new Error('no PostgreSQL URL')
  const schema = freshSchema('hr_shape')
  if (!(await checkpoint(pgUrl)) && !checkpointRefusedSaid) {
    checkpointRefusedSaid = true
    console.warn('PostgreSQL refused CHECKPOINT: the shape runs start without one')
  }
  const url = new URL(serverUrl(pgUrl))
  url.searchParams.set('schema', schema)
  return { store, database: url.toString(), drop: () => dropSchema(pgUrl, schema) }
}

/** Runs `fn` on a fresh database of `store`, dropping it afterwards. */
export async function withDatabase<T>(
  store: StoreName,
  pgUrl: string | null,
  fn: (db: ShapeDatabase) => Promise<T>,
): Promise<T> {
  const db = await freshDatabase(store, pgUrl)
  try {
    return await fn(db)
  } finally {
    await db.drop()
  }
}

/** A logger that drops everything. */
export const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** An engine on `database` that may deliver to loopback and logs nothing; `worker` as given. */
export function shapeEngine(database: string, worker = true): Promise<Hookrelay> {
  return createHookrelay({
    database,
    allowPrivateNetworks: ['127.0.0.0/8'],
    logger: silent,
    worker,
  })
}

/** `count` subscriptions of the bench tenant to every bench event, at `base` + 0, 1, 2 … */
export async function subscribeEach(
  hooks: Hookrelay,
  base: string,
  count: number,
  name: string,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await hooks.subscriptions.create({
      tenant: benchTenant,
      name: `${name} ${i}`,
      events: ['bench.*'],
      config: { url: `${base}${i}` },
    })
  }
}

/** The clock the receiver compares with: ms since the epoch, comparable across processes. */
export const clock = () => performance.timeOrigin + performance.now()

/** Event data of `seq` carrying its send time, padded to the bench's body size (about). */
export function timedData(seq: number, sent: number): Record<string, unknown> {
  const { pad } = eventData(seq)
  // `sent` takes about 20 characters of JSON: the body stays close to `bodyBytes`.
  return { seq, sent, pad: pad.slice(0, Math.max(0, pad.length - 32)) }
}

/** Value at quantile `q` (0–1) of `sorted` (ascending), nearest rank; NaN when empty. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]!
}

/** p50, p90, p99, max of `values`. */
export function percentiles(values: number[]): {
  p50: number
  p90: number
  p99: number
  max: number
  n: number
} {
  const sorted = Float64Array.from(values).sort()
  const list = Array.from(sorted)
  return {
    p50: quantile(list, 0.5),
    p90: quantile(list, 0.9),
    p99: quantile(list, 0.99),
    max: list.length === 0 ? Number.NaN : list[list.length - 1]!,
    n: list.length,
  }
}

/** The receiver's statistics of `paths` (missing paths count 0). */
export async function arrivals(
  receiver: ReceiverProcess,
  prefix: string,
): Promise<Record<string, ShapePathStats>> {
  return receiver.shape(prefix)
}

/** Total arrivals and the first and last arrival over several paths. */
export function merged(stats: ShapePathStats[]): {
  count: number
  firstAt: number
  lastAt: number
  perSecond: Map<number, number>
} {
  let count = 0
  let firstAt = Number.POSITIVE_INFINITY
  let lastAt = Number.NEGATIVE_INFINITY
  const perSecond = new Map<number, number>()
  for (const s of stats) {
    count += s.count
    firstAt = Math.min(firstAt, s.firstAt)
    lastAt = Math.max(lastAt, s.lastAt)
    for (const [second, n] of s.perSecond) perSecond.set(second, (perSecond.get(second) ?? 0) + n)
  }
  return { count, firstAt, lastAt, perSecond }
}

/** Polls the receiver until `paths` hold `expected` arrivals in all, or `timeoutMs` passes. */
export async function waitForArrivals(
  receiver: ReceiverProcess,
  prefix: string,
  expected: number,
  timeoutMs: number,
  filter: (path: string) => boolean = () => true,
): Promise<{ count: number; stats: Record<string, ShapePathStats>; timedOut: boolean }> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const counts = await receiver.counts()
    let count = 0
    for (const [path, n] of Object.entries(counts.byPath)) {
      if (path.startsWith(prefix) && filter(path)) count += n
    }
    const timedOut = performance.now() > deadline
    if (count >= expected || timedOut) {
      return { count, stats: await receiver.shape(prefix), timedOut: count < expected }
    }
    await sleep(count === 0 ? 20 : 50)
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A unique receiver path prefix for one run: `/shape/<row>-<random>/`. */
export function runPrefix(row: string): string {
  return `/shape/${row}-${randomBytes(3).toString('hex')}/`
}

/**
 * Calls `publish(seq)` `rate` times a second for `seconds`, on time (each call is started when
 * due, without waiting for the previous ones). Resolves when every call has.
 */
export async function paced(
  rate: number,
  seconds: number,
  publish: (seq: number) => Promise<void>,
): Promise<{ published: number; seconds: number }> {
  const total = Math.round(rate * seconds)
  const started = performance.now()
  const pending: Promise<void>[] = []
  let seq = 0
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1)
    while (seq < due) pending.push(publish(seq++))
    const next = started + (seq / rate) * 1000
    await sleep(Math.max(0, Math.min(next - performance.now(), 50)))
  }
  await Promise.all(pending)
  return { published: total, seconds: (performance.now() - started) / 1000 }
}

/** The resident set of process `pid` in MB (Linux /proc), or null. */
export async function rssMb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = /VmRSS:\s+(\d+) kB/.exec(status)
    return match === null ? null : Number(match[1]) / 1024
  } catch {
    return null
  }
}

/** One row of a shape, for the table, and what it measured, for `.bench/last.json`. */
export interface ShapeResult {
  row: Row
  /** Lines printed under the table. */
  notes: string[]
  problems: string[]
  details: Record<string, unknown>
}

/** A fixed-width table line's `what`, with the store. */
export function label(store: StoreName, what: string): string {
  return `${store === 'sqlite' ? 'sqlite' : 'pg'} ${what}`
}

export const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : '—')
export const rate = (n: number) => Math.round(n).toLocaleString('en-US')

/**
 * Starts the engine's worker on what was queued, waits until the receiver counted `expected`
 * requests under `prefix` (or 10 minutes), drains, and returns the receiver's statistics of them,
 * with the problems found (`row` names the row in them).
 */
export async function deliverQueued(
  hooks: Hookrelay,
  receiver: ReceiverProcess,
  prefix: string,
  expected: number,
  row: string,
) {
  const startedAt = clock()
  hooks.start()
  const waited = await waitForArrivals(receiver, prefix, expected, 600_000)
  await hooks.drain()
  const stats = await receiver.shape(prefix)
  await receiver.forget(prefix)
  const all = merged(Object.values(stats))
  const problems: string[] = []
  if (waited.timedOut) problems.push(`${row}: timed out waiting for the receiver`)
  if (all.count !== expected) {
    problems.push(`${row}: the receiver counted ${all.count} of ${expected} requests`)
  }
  return { startedAt, stats, all, problems }
}
