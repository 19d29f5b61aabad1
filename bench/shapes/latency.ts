/**
 * Row 2, latency: publish → the receiver has it, at a steady rate, for the library call and for
 * REST. Each event's data carries `sent` (`performance.timeOrigin + performance.now()` just before
 * the call); the receiver process computes arrival − `sent` for each request. The publisher notes
 * when each call resolved (the library's promise, REST's 202), so the latency from there is the
 * receiver's figure minus the call's own duration. The worker runs all along (in this process for
 * the library, in the `hookrelay serve` process for REST): at the slow rate it sleeps between
 * events and must wake at once.
 */
import { benchTenant, benchType } from '../../src/bench/payload.ts'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import {
  clock,
  label,
  ms,
  paced,
  percentiles,
  runPrefix,
  type ShapeResult,
  type StoreName,
  timedData,
  waitForArrivals,
  withDatabase,
  shapeEngine,
} from './common.ts'
import { startRestServer } from './rest-server.ts'

export const latencyTargets = { p50: 5, p99: 25 }

export interface LatencyOptions {
  receiver: ReceiverProcess
  store: StoreName
  pgUrl: string | null
  /** Events per second, and seconds at each. */
  rates: number[]
  seconds: number
  /** Seconds of untimed publishing at the first rate first. */
  warmupSeconds: number
}

/** Latency samples of one run, in ms. */
export interface LatencySamples {
  mode: 'library' | 'rest'
  rate: number
  published: number
  received: number
  /** From the call's start, and from the moment it resolved (the 202 for REST). */
  fromCall: number[]
  fromResolve: number[]
}

type Publish = (data: Record<string, unknown>) => Promise<void>

/** Every rate with the library, then with REST, on fresh databases of `store`. */
export async function runLatency(options: LatencyOptions): Promise<{
  results: ShapeResult[]
  samples: LatencySamples[]
}> {
  const { receiver, store, pgUrl } = options
  const samples: LatencySamples[] = []
  await withDatabase(store, pgUrl, async (db) => {
    const hooks = await shapeEngine(db.database)
    try {
      const path = `${runPrefix('lat-library')}lat/0`
      await hooks.subscriptions.create({
        tenant: benchTenant,
        name: 'latency',
        events: ['bench.*'],
        config: { url: `http://127.0.0.1:${receiver.port}${path}` },
      })
      const publish: Publish = async (data) => {
        await hooks.publish({ tenant: benchTenant, type: benchType, data })
      }
      samples.push(...(await measureRuns(options, publish, 'library', path)))
      await hooks.drain()
    } finally {
      await hooks.close()
    }
  })
  await withDatabase(store, pgUrl, async (db) => {
    const server = await startRestServer(db.database, 'all')
    try {
      const path = `${runPrefix('lat-rest')}lat/0`
      await server.subscribe('latency', `http://127.0.0.1:${receiver.port}${path}`)
      const publish: Publish = async (data) => {
        const status = await server.publish(data)
        if (status !== 202) throw new Error(`REST publish answered ${status}`)
      }
      samples.push(...(await measureRuns(options, publish, 'rest', path)))
    } finally {
      await server.stop()
    }
  })
  return { results: samples.map((s) => latencyResult(store, s)), samples }
}

/**
 * A warm-up, then one run per rate, all to the one subscription at `path`; the receiver's samples
 * are cleared (`forget`) before each run.
 */
async function measureRuns(
  options: LatencyOptions,
  publish: Publish,
  mode: LatencySamples['mode'],
  path: string,
): Promise<LatencySamples[]> {
  const { receiver } = options
  const runs: LatencySamples[] = []
  let total = 0
  if (options.warmupSeconds > 0) {
    const rate = options.rates[0] ?? 100
    const warm = await paced(rate, options.warmupSeconds, (seq) => publish(timedData(seq, clock())))
    total += warm.published
    await waitForArrivals(receiver, path, total, 30_000)
  }
  for (const rate of options.rates) {
    await receiver.forget(path)
    const resolvedAfter = new Map<number, number>()
    const run = await paced(rate, options.seconds, async (seq) => {
      const sent = clock()
      await publish(timedData(seq, sent))
      resolvedAfter.set(seq, clock() - sent)
    })
    total += run.published
    await waitForArrivals(receiver, path, total, 30_000)
    const stats = (await receiver.shape(path))[path]
    const fromCall = stats?.latencyMs ?? []
    const fromResolve = fromCall.map((l, i) => l - (resolvedAfter.get(stats!.seq[i]!) ?? 0))
    runs.push({
      mode,
      rate,
      published: run.published,
      received: stats?.count ?? 0,
      fromCall,
      fromResolve,
    })
  }
  await receiver.forget(path)
  return runs
}

function latencyResult(store: StoreName, s: LatencySamples): ShapeResult {
  const resolved = percentiles(s.fromResolve)
  const call = percentiles(s.fromCall)
  const problems: string[] = []
  const what = `latency ${s.mode === 'library' ? 'library' : 'REST'} at ${s.rate}/s`
  if (s.received !== s.published) {
    problems.push(`${label(store, what)}: the receiver counted ${s.received} of ${s.published}`)
  }
  const pass = resolved.p50 <= latencyTargets.p50 && resolved.p99 <= latencyTargets.p99
  return {
    row: {
      what: label(
        store,
        `latency ${s.mode === 'library' ? 'lib' : 'REST'} ${s.rate}/s: ${resolved.p50.toFixed(1)}/${resolved.p99.toFixed(1)} ms`,
      ),
      count: s.received,
      seconds: s.published / s.rate,
      rate: s.rate,
      ratio: null,
      target: `p50/p99 ≤ ${latencyTargets.p50}/${latencyTargets.p99} ms`,
      marker: problems.length > 0 ? 'INVALID' : pass ? 'PASS' : 'MISS',
    },
    notes: [
      `${label(store, what)}: from ${s.mode === 'library' ? 'publish() resolving' : 'the 202'} p50 ` +
        `${ms(resolved.p50)}, p90 ${ms(resolved.p90)}, p99 ${ms(resolved.p99)}, max ${ms(resolved.max)}; ` +
        `from the call's start p50 ${ms(call.p50)}, p99 ${ms(call.p99)}, max ${ms(call.max)} ` +
        `(${s.received} samples, arrival − sent computed in the receiver process)`,
    ],
    problems,
    details: {
      store,
      mode: s.mode,
      rate: s.rate,
      published: s.published,
      received: s.received,
      fromResolve: resolved,
      fromCall: call,
    },
  }
}
