import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { createHookrelay, type Hookrelay } from '../src/index.ts'
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts'
import { benchTenant, benchType, eventData } from './payload.ts'
import type { ReceiverProcess } from './receiver-process.ts'
import { type TimedStore, timedStore, type VerbTiming } from './timed-store.ts'

/** Options of `runHookrelaySqlite`. */
export interface HookrelaySqliteOptions {
  receiver: ReceiverProcess
  /** Events published, each delivered to every subscription. */
  events: number
  subscriptions: number
  /** Events of the warm-up round (on its own database), before anything is timed. */
  warmupEvents: number
  concurrency: number
  subscriptionConcurrency: number
  batchSize: number
  /** Hold claims back while publishing (see `timedStore`). Default is true. */
  holdClaims: boolean
  /** Diagnosis only: a delay before each record. */
  diagnosis?: { recordDelayMs?: number }
  /** Called just before and after the timed delivery phase (profilers hook in here). */
  phase?: { started(): Promise<void>; ended(): Promise<void> }
}

/** What the database holds after the run. */
export interface StoredCounts {
  deliveriesByStatus: Record<string, number>
  attempts: number
  attempts2xx: number
}

/** What a Hookrelay SQLite run measured and what it checked. */
export interface HookrelaySqliteResult {
  publish: { count: number; seconds: number }
  deliver: { count: number; seconds: number }
  /** The warm-up round's deliveries and their start → drain time (cold code), when there was one. */
  warmup: { count: number; seconds: number } | null
  /** Requests the receiver counted on the measured paths while publishing (should be 0). */
  sentWhilePublishing: number
  /** Requests the receiver counted on the measured paths in all. */
  received: number
  /** Per measured path: the receiver's count. */
  receivedByPath: Record<string, number>
  stored: StoredCounts
  /** Problems found by the checks; empty when every delivery arrived once and is `succeeded`. */
  problems: string[]
  /** Whether every delivery reached the receiver exactly once and is recorded as succeeded. */
  complete: boolean
  timings: Record<'claim' | 'record' | 'publish' | 'release', VerbTiming>
  /** CPU time while timed: the whole bench process, its main thread alone, the receiver. */
  cpuMs: { bench: number; mainThread: number; receiver: number }
  /** Share of the delivery phase the event loop was busy, 0–1. */
  eventLoopUtilization: number
}

/** Concurrent publishers in the publish phase. */
export const publishLanes = 16

const silent = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * Hookrelay on a fresh SQLite file: publishes `events` × `subscriptions` deliveries with the worker
 * stopped, then times `start()` → `drain()`, then checks the receiver's counts and the database.
 * A warm-up round on another file runs first so both sides of the comparison run warmed-up code.
 */
export async function runHookrelaySqlite(
  options: HookrelaySqliteOptions,
): Promise<HookrelaySqliteResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hookrelay-bench-'))
  try {
    let warmup: HookrelaySqliteResult['warmup'] = null
    if (options.warmupEvents > 0) {
      const warm = await open(join(dir, 'warmup.db'), options)
      await subscribe(warm.hooks, options, 'warm')
      await publishAll(warm.hooks, options.warmupEvents)
      const started = performance.now()
      warm.timed.release()
      warm.hooks.start()
      await warm.hooks.drain()
      const seconds = (performance.now() - started) / 1000
      await warm.hooks.close()
      warmup = { count: options.warmupEvents * options.subscriptions, seconds }
    }
    return { ...(await measured(join(dir, 'bench.db'), options)), warmup }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function measured(
  file: string,
  options: HookrelaySqliteOptions,
): Promise<Omit<HookrelaySqliteResult, 'warmup'>> {
  const { receiver, events, subscriptions } = options
  const { hooks, timed } = await open(file, options)
  const paths = await subscribe(hooks, options, 'hooks')
  const sum = (byPath: Record<string, number>) => paths.reduce((n, p) => n + (byPath[p] ?? 0), 0)

  const before = await receiver.counts()
  const publishStarted = performance.now()
  await publishAll(hooks, events)
  const publishSeconds = (performance.now() - publishStarted) / 1000
  const afterPublish = await receiver.counts()
  const { publish: publishTiming, claim: claimedWhilePublishing } = timed.timings()

  timed.reset()
  await options.phase?.started()
  const cpuBefore = process.cpuUsage()
  const threadCpuBefore = process.threadCpuUsage()
  const eluBefore = performance.eventLoopUtilization()
  const started = performance.now()
  timed.release()
  hooks.start()
  await hooks.drain()
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const threadCpu = process.threadCpuUsage(threadCpuBefore)
  const elu = performance.eventLoopUtilization(eluBefore)
  await options.phase?.ended()
  const timings = { ...timed.timings(), publish: publishTiming }
  const after = await receiver.counts()
  await hooks.close()

  const expected = events * subscriptions
  const receivedByPath: Record<string, number> = {}
  for (const p of paths) receivedByPath[p] = (after.byPath[p] ?? 0) - (before.byPath[p] ?? 0)
  const received = sum(after.byPath) - sum(before.byPath)
  const stored = countStored(file)
  const problems: string[] = []
  if (received !== expected) problems.push(`receiver counted ${received} of ${expected} requests`)
  for (const p of paths) {
    if (receivedByPath[p] !== events) {
      problems.push(`${p} received ${receivedByPath[p]} requests, not ${events}`)
    }
  }
  const succeeded = stored.deliveriesByStatus.succeeded ?? 0
  if (succeeded !== expected) {
    problems.push(
      `${succeeded} of ${expected} deliveries are succeeded (${JSON.stringify(stored.deliveriesByStatus)})`,
    )
  }
  if (stored.attempts !== expected || stored.attempts2xx !== expected) {
    problems.push(
      `${stored.attempts} attempts recorded (${stored.attempts2xx} 2xx), not ${expected}`,
    )
  }
  const sentWhilePublishing = sum(afterPublish.byPath) - sum(before.byPath)
  if (sentWhilePublishing > 0 || claimedWhilePublishing.items > 0) {
    problems.push(
      `${claimedWhilePublishing.items} deliveries were claimed and ${sentWhilePublishing} sent ` +
        'during setup, before start()',
    )
  }

  return {
    publish: { count: events, seconds: publishSeconds },
    deliver: { count: succeeded, seconds },
    sentWhilePublishing,
    received,
    receivedByPath,
    stored,
    problems,
    complete:
      received === expected &&
      paths.every((p) => receivedByPath[p] === events) &&
      succeeded === expected &&
      stored.attempts === expected &&
      stored.attempts2xx === expected,
    timings,
    cpuMs: {
      bench: (cpu.user + cpu.system) / 1000,
      mainThread: (threadCpu.user + threadCpu.system) / 1000,
      receiver: after.cpuMs - afterPublish.cpuMs,
    },
    eventLoopUtilization: elu.utilization,
  }
}

async function open(
  file: string,
  options: HookrelaySqliteOptions,
): Promise<{ hooks: Hookrelay; timed: TimedStore }> {
  // The same store `createHookrelay({ database: file })` opens, wrapped to hold claims and time.
  const timed = timedStore(await openSqliteStore({ path: file }), {
    recordDelayMs: options.diagnosis?.recordDelayMs ?? 0,
  })
  if (!options.holdClaims) timed.release()
  const hooks = await createHookrelay({
    store: timed.store,
    allowPrivateNetworks: ['127.0.0.0/8'],
    logger: silent,
    concurrency: options.concurrency,
    subscriptionConcurrency: options.subscriptionConcurrency,
    batchSize: options.batchSize,
    worker: false,
  })
  return { hooks, timed }
}

async function subscribe(
  hooks: Hookrelay,
  options: HookrelaySqliteOptions,
  prefix: string,
): Promise<string[]> {
  const paths: string[] = []
  for (let i = 0; i < options.subscriptions; i++) {
    const path = `/${prefix}/${i}`
    await hooks.subscriptions.create({
      tenant: benchTenant,
      name: `bench ${prefix} ${i}`,
      events: ['bench.*'],
      config: { url: `http://127.0.0.1:${options.receiver.port}${path}` },
    })
    paths.push(path)
  }
  return paths
}

/** Publishes `count` events from `publishLanes` callers at once, as a busy application would. */
async function publishAll(hooks: Hookrelay, count: number): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < count) {
      await hooks.publish({ tenant: benchTenant, type: benchType, data: eventData(next++) })
    }
  }
  await Promise.all(Array.from({ length: Math.min(publishLanes, count) }, lane))
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
