/**
 * Row 4, backlog: `events` pending deliveries to one subscription, then delivered by a worker in a
 * process of its own (`backlog-worker-child.ts`, default settings, run with
 * `--max-semi-space-size=8` as docs/scaling.md advises) whose resident set is sampled
 * every 100 ms from /proc. The events are published first with no worker anywhere (the library's
 * `publish()` from 16 callers, `worker: false`); the publishing engine closes before the worker's
 * opens. Counted at the
 * receiver: deliveries per second, and the rate = deliveries ÷ (last − first arrival), compared
 * with the same shape on an empty queue (`referenceEvents`). Time to drain: worker start → last
 * arrival.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { publishAll } from '../../src/bench/hookrelay-run.ts'
import { benchTenant } from '../../src/bench/payload.ts'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import {
  label,
  rate,
  rssMb,
  runPrefix,
  type ShapeDatabase,
  type ShapeResult,
  sleep,
  type StoreName,
  withDatabase,
  shapeEngine,
} from './common.ts'

export const backlogTargets = { rssMb: 300, rateWithin: 0.2 }

export interface BacklogOptions {
  receiver: ReceiverProcess
  store: StoreName
  pgUrl: string | null
  events: number
  referenceEvents: number
}

export interface BacklogRun {
  events: number
  publishSeconds: number
  received: number
  /** First → last arrival. */
  seconds: number
  rate: number
  /** Worker start → last arrival. */
  drainSeconds: number
  maxRssMb: number | null
  /** Seconds since the worker started → deliveries in that second. */
  throughput: [number, number][]
  /** Seconds since the worker started → RSS in MB, every 100 ms. */
  rss: [number, number][]
  /** The worker's own `process.memoryUsage()` at its largest heap, in MB (where the RSS goes). */
  atMaxHeap: { heapUsedMb: number; heapTotalMb: number; externalMb: number; rssMb: number } | null
  problems: string[]
}

/** Queues `events` deliveries to `url` on `db` with no worker running. */
async function queue(db: ShapeDatabase, url: string, events: number): Promise<number> {
  const hooks = await shapeEngine(db.database, false)
  try {
    await hooks.subscriptions.create({
      tenant: benchTenant,
      name: 'backlog',
      events: ['bench.*'],
      config: { url },
    })
    const started = performance.now()
    await publishAll(hooks, events)
    return (performance.now() - started) / 1000
  } finally {
    await hooks.close()
  }
}

async function deliver(options: BacklogOptions, events: number): Promise<BacklogRun> {
  const { receiver } = options
  const prefix = runPrefix('backlog')
  const path = `${prefix}0`
  return withDatabase(options.store, options.pgUrl, async (db) => {
    const publishSeconds = await queue(db, `http://127.0.0.1:${receiver.port}${path}`, events)
    const child = startChild(db.database)
    try {
      await message(child, 'ready')
      const rss: [number, number][] = []
      let atMaxHeap: BacklogRun['atMaxHeap'] = null
      const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10
      child.on('message', (m: { type: string } & Partial<NodeJS.MemoryUsage>) => {
        if (m.type !== 'memory' || m.heapUsed === undefined) return
        if (atMaxHeap === null || mb(m.heapUsed) > atMaxHeap.heapUsedMb) {
          atMaxHeap = {
            heapUsedMb: mb(m.heapUsed),
            heapTotalMb: mb(m.heapTotal ?? 0),
            externalMb: mb(m.external ?? 0),
            rssMb: mb(m.rss ?? 0),
          }
        }
      })
      child.send({ type: 'start' })
      const { at: startedAt } = (await message(child, 'started')) as { at: number }
      const t0 = performance.now()
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          const mb = child.pid === undefined ? null : await rssMb(child.pid)
          if (mb !== null) rss.push([(performance.now() - t0) / 1000, mb])
          await sleep(100)
        }
      })()
      const deadline = performance.now() + 3_600_000
      let count = 0
      while (performance.now() < deadline) {
        count = (await receiver.counts()).byPath[path] ?? 0
        if (count >= events) break
        await sleep(200)
      }
      child.send({ type: 'stop' })
      await message(child, 'stopped')
      sampling = false
      await sampler
      const stats = (await receiver.shape(path))[path]
      await receiver.forget(prefix)
      const problems: string[] = []
      const received = stats?.count ?? 0
      if (received !== events) {
        problems.push(`backlog of ${events}: the receiver counted ${received} of ${events}`)
      }
      const first = stats?.firstAt ?? startedAt
      const last = stats?.lastAt ?? startedAt
      const startSecond = startedAt / 1000
      return {
        events,
        publishSeconds,
        received,
        seconds: (last - first) / 1000,
        rate: received / ((last - first) / 1000),
        drainSeconds: (last - startedAt) / 1000,
        maxRssMb: rss.length === 0 ? null : Math.max(...rss.map(([, mb]) => mb)),
        throughput: (stats?.perSecond ?? []).map(([s, n]) => [s - Math.floor(startSecond), n]),
        rss,
        atMaxHeap,
        problems,
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
}

function startChild(database: string): ChildProcess {
  const script = fileURLToPath(new URL('./backlog-worker-child.ts', import.meta.url))
  return fork(script, [database], {
    execPath: process.execPath,
    // As docs/scaling.md says to run a worker process: with Node's defaults, V8 grows the young
    // generation to 128 MB on a machine with memory to spare (387 vs 280 MB peak at 300,000).
    execArgv: [
      '--experimental-strip-types',
      '--no-warnings=ExperimentalWarning',
      '--max-semi-space-size=8',
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

function message(child: ChildProcess, type: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`the backlog worker exited (${code}) before '${type}'`))
    const listener = (m: { type: string }) => {
      if (m.type !== type) return
      child.off('message', listener)
      child.off('exit', onExit)
      resolve(m)
    }
    child.on('message', listener)
    child.once('exit', onExit)
  })
}

export async function runBacklog(
  options: BacklogOptions,
): Promise<{ result: ShapeResult; runs: BacklogRun[] }> {
  const reference = await deliver(options, options.referenceEvents)
  const backlog = await deliver(options, options.events)
  const { store } = options
  const within = backlog.rate / reference.rate
  const problems = [...reference.problems, ...backlog.problems]
  if (backlog.maxRssMb === null) problems.push('backlog: no RSS samples (no /proc?)')
  const rssOk = backlog.maxRssMb !== null && backlog.maxRssMb < backlogTargets.rssMb
  const pass = rssOk && within >= 1 - backlogTargets.rateWithin
  return {
    runs: [reference, backlog],
    result: {
      row: {
        what: label(
          store,
          `backlog ${options.events.toLocaleString('en-US')}: RSS ${Math.round(backlog.maxRssMb ?? 0)} MB`,
        ),
        count: backlog.received,
        seconds: backlog.seconds,
        rate: backlog.rate,
        ratio: null,
        target: `< 300 MB, rate ≥ 80%`,
        marker: problems.length > 0 ? 'INVALID' : pass ? 'PASS' : 'MISS',
      },
      notes: [
        `${label(store, 'backlog')}: ${options.events} events queued with no worker in ` +
          `${backlog.publishSeconds.toFixed(1)} s (publish() from 16 callers, worker: false), ` +
          `then a worker process drained them in ${backlog.drainSeconds.toFixed(1)} s (start → last arrival); ` +
          `${rate(backlog.rate)}/s first → last arrival, ${(within * 100).toFixed(1)}% of an empty queue's ` +
          `${rate(reference.rate)}/s (${options.referenceEvents} events); worker RSS max ` +
          `${Math.round(backlog.maxRssMb ?? 0)} MB (sampled every 100 ms; ${Math.round(reference.maxRssMb ?? 0)} MB on the empty queue)` +
          (backlog.atMaxHeap === null
            ? ''
            : `; at its largest, the worker's JS heap held ${backlog.atMaxHeap.heapUsedMb} MB ` +
              `(of ${backlog.atMaxHeap.heapTotalMb} MB; external ${backlog.atMaxHeap.externalMb} MB) ` +
              `with RSS ${backlog.atMaxHeap.rssMb} MB`),
      ],
      problems,
      details: {
        store,
        within,
        runs: [reference, backlog].map(({ throughput: _t, rss: _r, ...r }) => r),
      },
    },
  }
}
