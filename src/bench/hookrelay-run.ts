import { createHookrelay, type Hookrelay } from '../index.ts'
import type { Store } from '../store/store.ts'
import { benchTenant, benchType, eventData } from './payload.ts'
import type { ReceiverProcess } from './receiver-process.ts'
import { threadCpuBetween, threadCpuSnapshot } from './thread-cpu.ts'
import { sumTimings, type TimedStore, timedStore, type VerbTiming } from './timed-store.ts'

/** Options of a Hookrelay run, whatever the database. */
export interface HookrelayRunOptions {
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

/** One fresh, empty database of a run: a SQLite file, a PostgreSQL schema. */
export interface BenchDatabase {
  /** Opens a store on it; called once per engine, one after another. */
  open(): Promise<Store>
  /** What it holds, read after every engine has closed. */
  count(): Promise<StoredCounts>
  /** Removes it. */
  drop(): Promise<void>
  /** Opens an engine on it in another process, when the backend has `remoteWorkers`. */
  openRemote?(): Promise<RemoteEngine>
}

/** Verb timings of one engine's store. */
export type EngineTimings = ReturnType<TimedStore['timings']>

/** An engine in another process, on the same database, with its claims held back until `deliver`. */
export interface RemoteEngine {
  /** Lets it claim and starts it; resolves once it has drained, with its CPU time meanwhile. */
  deliver(): Promise<{ cpuMs: number; timings: EngineTimings }>
  close(): Promise<void>
}

/** How a run gets its databases, and how it lays out the receiver's paths. */
export interface BenchBackend {
  /** A fresh database for the round `name` (`warmup`, `measured`). */
  create(name: string): Promise<BenchDatabase>
  /** The first segments of the receiver paths, e.g. `unique/pg-1`; the round's name follows. */
  pathPrefix: string
  /** Engines sharing each database in this process, each with its own store and worker. */
  workers: number
  /** Engines sharing it from other processes (`BenchDatabase.openRemote`). Default is none. */
  remoteWorkers?: number
}

/** What a Hookrelay run measured and what it checked. */
export interface HookrelayRunResult {
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
  /** Requests that repeated a `webhook-id` already seen on their path (only under `/unique/`). */
  duplicates: number
  /** Attempts each engine recorded, in the order they were opened. */
  recordedByWorker: number[]
  stored: StoredCounts
  /** Problems found by the checks; empty when every delivery arrived once and is `succeeded`. */
  problems: string[]
  /** Whether every delivery reached the receiver exactly once and is recorded as succeeded. */
  complete: boolean
  timings: Record<'claim' | 'record' | 'publish' | 'release', VerbTiming>
  /**
   * CPU time while timed: the whole bench process, its main thread alone, the receiver; and the
   * bench process's threads by name (`WorkerThread` is the SQLite store's), where Linux tells.
   */
  cpuMs: {
    bench: number
    mainThread: number
    receiver: number
    threads: Record<string, number> | null
  }
  /** Share of the delivery phase the event loop was busy, 0–1. */
  eventLoopUtilization: number
}

/** Concurrent publishers in the publish phase. */
export const publishLanes = 16

/** A logger that drops everything: the bench measures, it does not log. */
export const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** An engine as the bench drives it: its store wrapped by `timedStore`, its worker not started. */
export interface Engine {
  hooks: Hookrelay
  timed: TimedStore
}

/** Opens an engine on `store` in the run's shape (claims held back when `holdClaims`). */
export async function benchEngine(
  store: Store,
  options: Pick<
    HookrelayRunOptions,
    'concurrency' | 'subscriptionConcurrency' | 'batchSize' | 'holdClaims' | 'diagnosis'
  >,
): Promise<Engine> {
  // The store `createHookrelay({ database })` would open, wrapped to hold claims and time.
  const timed = timedStore(store, { recordDelayMs: options.diagnosis?.recordDelayMs ?? 0 })
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

/**
 * Hookrelay on fresh databases of `backend`: publishes `events` × `subscriptions` deliveries with
 * every worker's claims held back, then times `start()` → `drain()` of every engine, then checks
 * the receiver's counts and the database. A warm-up round on another database runs first so both
 * sides of a comparison run warmed-up code.
 */
export async function runHookrelay(
  options: HookrelayRunOptions,
  backend: BenchBackend,
): Promise<HookrelayRunResult> {
  let warmup: HookrelayRunResult['warmup'] = null
  if (options.warmupEvents > 0) {
    const db = await backend.create('warmup')
    try {
      const engines = await openEngines(db, options, backend)
      await subscribe(engines.local[0]!.hooks, options, `${backend.pathPrefix}/warm`)
      await publishAll(engines.local[0]!.hooks, options.warmupEvents)
      const started = performance.now()
      await deliverAll(engines)
      const seconds = (performance.now() - started) / 1000
      await closeAll(engines)
      warmup = { count: options.warmupEvents * options.subscriptions, seconds }
    } finally {
      await db.drop()
    }
  }
  const db = await backend.create('measured')
  try {
    return { ...(await measured(db, options, backend)), warmup }
  } finally {
    await db.drop()
  }
}

async function measured(
  db: BenchDatabase,
  options: HookrelayRunOptions,
  backend: BenchBackend,
): Promise<Omit<HookrelayRunResult, 'warmup'>> {
  const { receiver, events, subscriptions } = options
  const engines = await openEngines(db, options, backend)
  const publisher = engines.local[0]!
  const paths = await subscribe(publisher.hooks, options, `${backend.pathPrefix}/run`)
  const sum = (byPath: Record<string, number>) => paths.reduce((n, p) => n + (byPath[p] ?? 0), 0)

  const before = await receiver.counts()
  const publishStarted = performance.now()
  await publishAll(publisher.hooks, events)
  const publishSeconds = (performance.now() - publishStarted) / 1000
  const afterPublish = await receiver.counts()
  const setup = engines.local.map((e) => e.timed.timings())
  const claimedWhilePublishing = setup.reduce((n, t) => n + t.claim.items, 0)

  for (const e of engines.local) e.timed.reset()
  await options.phase?.started()
  const cpuBefore = process.cpuUsage()
  const threadCpuBefore = process.threadCpuUsage()
  const threadsBefore = threadCpuSnapshot()
  const eluBefore = performance.eventLoopUtilization()
  const started = performance.now()
  const remote = await deliverAll(engines)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const threadCpu = process.threadCpuUsage(threadCpuBefore)
  const threads = threadCpuBetween(threadsBefore, threadCpuSnapshot())
  const elu = performance.eventLoopUtilization(eluBefore)
  await options.phase?.ended()
  const byEngine = [...engines.local.map((e) => e.timed.timings()), ...remote.map((r) => r.timings)]
  const timings = { ...sumTimings(byEngine), publish: sumTimings(setup).publish }
  const after = await receiver.counts()
  await closeAll(engines)

  const expected = events * subscriptions
  const receivedByPath: Record<string, number> = {}
  for (const p of paths) receivedByPath[p] = (after.byPath[p] ?? 0) - (before.byPath[p] ?? 0)
  const received = sum(after.byPath) - sum(before.byPath)
  const duplicates = sum(after.duplicates) - sum(before.duplicates)
  const stored = await db.count()
  const problems: string[] = []
  if (received !== expected) problems.push(`receiver counted ${received} of ${expected} requests`)
  for (const p of paths) {
    if (receivedByPath[p] !== events) {
      problems.push(`${p} received ${receivedByPath[p]} requests, not ${events}`)
    }
  }
  if (duplicates > 0) problems.push(`${duplicates} deliveries reached the receiver more than once`)
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
  if (sentWhilePublishing > 0 || claimedWhilePublishing > 0) {
    problems.push(
      `${claimedWhilePublishing} deliveries were claimed and ${sentWhilePublishing} sent ` +
        'during setup, before start()',
    )
  }

  return {
    publish: { count: events, seconds: publishSeconds },
    deliver: { count: succeeded, seconds },
    sentWhilePublishing,
    received,
    receivedByPath,
    duplicates,
    recordedByWorker: byEngine.map((t) => t.record.items),
    stored,
    problems,
    complete:
      received === expected &&
      paths.every((p) => receivedByPath[p] === events) &&
      duplicates === 0 &&
      succeeded === expected &&
      stored.attempts === expected &&
      stored.attempts2xx === expected,
    timings,
    cpuMs: {
      // Engines in other processes count as part of the bench's side.
      bench: (cpu.user + cpu.system) / 1000 + remote.reduce((n, r) => n + r.cpuMs, 0),
      mainThread: (threadCpu.user + threadCpu.system) / 1000,
      receiver: after.cpuMs - afterPublish.cpuMs,
      threads,
    },
    eventLoopUtilization: elu.utilization,
  }
}

/** The engines of a run: in this process (the first one publishes), and in others. */
interface Engines {
  local: Engine[]
  remote: RemoteEngine[]
}

/**
 * Opens the backend's engines on `db`, one after another (the first one migrates): `workers` in
 * this process, then `remoteWorkers` in others.
 */
async function openEngines(
  db: BenchDatabase,
  options: HookrelayRunOptions,
  backend: BenchBackend,
): Promise<Engines> {
  const engines: Engines = { local: [], remote: [] }
  try {
    for (let i = 0; i < backend.workers; i++) {
      engines.local.push(await benchEngine(await db.open(), options))
    }
    for (let i = 0; i < (backend.remoteWorkers ?? 0); i++) {
      if (db.openRemote === undefined) throw new Error('this backend has no remote engines')
      engines.remote.push(await db.openRemote())
    }
    return engines
  } catch (error) {
    await closeAll(engines)
    throw error
  }
}

/**
 * Lets every engine claim, starts them all, and waits until every one has drained; returns what
 * the remote engines reported.
 */
async function deliverAll({ local, remote }: Engines) {
  const remoteRuns = Promise.all(remote.map((r) => r.deliver()))
  for (const e of local) e.timed.release()
  for (const e of local) e.hooks.start()
  // One engine finds nothing due while another holds the rest under lease; the run is over when
  // the last of them is idle.
  const [, reports] = await Promise.all([
    Promise.all(local.map((e) => e.hooks.drain())),
    remoteRuns,
  ])
  return reports
}

async function closeAll({ local, remote }: Engines): Promise<void> {
  await Promise.all([...local.map((e) => e.hooks.close()), ...remote.map((r) => r.close())])
}

/** Creates `options.subscriptions` subscriptions to `bench.*` at `/<prefix>/<i>` on the receiver. */
export async function subscribe(
  hooks: Hookrelay,
  options: Pick<HookrelayRunOptions, 'receiver' | 'subscriptions'>,
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
export async function publishAll(hooks: Hookrelay, count: number): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < count) {
      await hooks.publish({ tenant: benchTenant, type: benchType, data: eventData(next++) })
    }
  }
  await Promise.all(Array.from({ length: Math.min(publishLanes, count) }, lane))
}
