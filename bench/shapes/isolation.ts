/**
 * Row 3, isolation: 8 subscriptions under a steady publish load (each event to all 8), once with
 * all 8 receivers healthy and once with one that never answers (the engine's request timeout,
 * `timeoutMs`, default 15 s, ends each attempt) and one that answers 500 after 2 s beside 6
 * healthy. For the 6 healthy paths, counted at the receiver: throughput = their deliveries ÷ (the
 * last of them to arrive − the first publish), and the latency of each (arrival − `sent` in the
 * event's data, the publish call's start). Default settings, the worker in the publishing process.
 */
import { benchTenant, benchType } from '../../src/bench/payload.ts'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import type { ShapePathStats } from '../../src/bench/receiver-protocol.ts'
import {
  clock,
  label,
  ms,
  paced,
  percentiles,
  rate,
  runPrefix,
  type ShapeResult,
  type StoreName,
  timedData,
  waitForArrivals,
  withDatabase,
  shapeEngine,
} from './common.ts'

export const isolationTargets = { throughput: 0.9, p99Over: 2 }
const healthyCount = 6

export interface IsolationOptions {
  receiver: ReceiverProcess
  store: StoreName
  pgUrl: string | null
  /** Events per second (each to all 8 subscriptions) and for how long. */
  rate: number
  seconds: number
}

/** One run's figures; `series` are deliveries per second since the first publish, by kind. */
export interface IsolationRun {
  variant: 'healthy' | 'mixed'
  published: number
  healthyExpected: number
  healthyReceived: number
  /** Healthy deliveries ÷ (last healthy arrival − first publish). */
  healthyRate: number
  latency: ReturnType<typeof percentiles>
  failingArrivals: { hang: number; slow500: number }
  /** Whole seconds inside the load where the healthy paths got under 10% of the publish rate. */
  stalledSeconds: number
  series: Record<string, [number, number][]>
  problems: string[]
}

async function run(
  options: IsolationOptions,
  variant: IsolationRun['variant'],
): Promise<IsolationRun> {
  const { receiver } = options
  const prefix = runPrefix(`iso-${variant}`)
  const kinds =
    variant === 'healthy'
      ? Array.from({ length: 8 }, () => 'ok')
      : ['hang', 'slow500', ...Array.from({ length: healthyCount }, () => 'ok')]
  const paths = kinds.map((kind, i) => `${prefix}lat/${kind}/${i}`)
  return withDatabase(options.store, options.pgUrl, async (db) => {
    const hooks = await shapeEngine(db.database)
    try {
      for (const [i, path] of paths.entries()) {
        await hooks.subscriptions.create({
          tenant: benchTenant,
          name: `isolation ${i}`,
          events: ['bench.*'],
          config: { url: `http://127.0.0.1:${receiver.port}${path}` },
        })
      }
      // The healthy paths compared: the last 6 in both runs.
      const healthy = paths.slice(-healthyCount)
      const startedAt = clock()
      const published = await paced(options.rate, options.seconds, async (seq) => {
        await hooks.publish({ tenant: benchTenant, type: benchType, data: timedData(seq, clock()) })
      })
      const expected = published.published * healthyCount
      const waited = await waitForArrivals(receiver, prefix, expected, 60_000, (p) =>
        healthy.includes(p),
      )
      const stats = waited.stats
      const problems: string[] = []
      const healthyStats = healthy.map((p) => stats[p]).filter((s): s is ShapePathStats => !!s)
      const received = healthyStats.reduce((n, s) => n + s.count, 0)
      if (received !== expected) {
        problems.push(
          `isolation (${variant}): healthy receivers counted ${received} of ${expected}`,
        )
      }
      for (const p of healthy) {
        if ((stats[p]?.count ?? 0) !== published.published) {
          problems.push(
            `isolation (${variant}): ${p} counted ${stats[p]?.count ?? 0} of ${published.published}`,
          )
        }
      }
      const lastAt = Math.max(...healthyStats.map((s) => s.lastAt))
      const latency = percentiles(healthyStats.flatMap((s) => s.latencyMs))
      const startSecond = Math.floor(startedAt / 1000)
      const seriesOf = (list: (ShapePathStats | undefined)[]) => {
        const bySecond = new Map<number, number>()
        for (const s of list) {
          for (const [second, n] of s?.perSecond ?? []) {
            bySecond.set(second - startSecond, (bySecond.get(second - startSecond) ?? 0) + n)
          }
        }
        return [...bySecond].sort((a, b) => a[0] - b[0])
      }
      const series: Record<string, [number, number][]> = {
        [`${healthyCount} healthy`]: seriesOf(healthyStats),
      }
      if (variant === 'mixed') {
        series['never answers'] = seriesOf([stats[paths[0]!]])
        series['500 after 2 s'] = seriesOf([stats[paths[1]!]])
      }
      await receiver.forget(prefix)
      const healthySeries = new Map(series[`${healthyCount} healthy`])
      let stalledSeconds = 0
      for (let second = 1; second < Math.floor(published.seconds); second++) {
        if ((healthySeries.get(second) ?? 0) < 0.1 * options.rate * healthyCount) stalledSeconds++
      }
      return {
        stalledSeconds,
        variant,
        published: published.published,
        healthyExpected: expected,
        healthyReceived: received,
        healthyRate: received / ((lastAt - startedAt) / 1000),
        latency,
        failingArrivals: {
          hang: variant === 'mixed' ? (stats[paths[0]!]?.count ?? 0) : 0,
          slow500: variant === 'mixed' ? (stats[paths[1]!]?.count ?? 0) : 0,
        },
        series,
        problems,
      }
    } finally {
      // Attempts to the receiver that never answers are abandoned rather than waited for.
      await hooks.close({ timeoutMs: 1_000 })
    }
  })
}

export async function runIsolation(
  options: IsolationOptions,
): Promise<{ result: ShapeResult; runs: IsolationRun[] }> {
  const healthy = await run(options, 'healthy')
  const mixed = await run(options, 'mixed')
  const share = mixed.healthyRate / healthy.healthyRate
  const p99Over = mixed.latency.p99 / healthy.latency.p99
  const problems = [...healthy.problems, ...mixed.problems]
  const pass = share >= isolationTargets.throughput && p99Over <= isolationTargets.p99Over
  // An all-healthy run that did not keep up with the load (its healthy paths under 90% of the rate
  // offered, or a p99 over a second) is no reference: the comparison says nothing then.
  const offered = options.rate * healthyCount
  const badReference = healthy.healthyRate < 0.9 * offered || healthy.latency.p99 > 1_000
  const { store } = options
  return {
    runs: [healthy, mixed],
    result: {
      row: {
        what: label(
          store,
          `isolation 6 of 8: p99 ${Math.round(mixed.latency.p99).toLocaleString('en-US')} ms`,
        ),
        count: mixed.healthyReceived,
        seconds: mixed.healthyReceived / mixed.healthyRate,
        rate: mixed.healthyRate,
        ratio: null,
        target: `≥ 90% rate, ≤ 2× p99`,
        marker: problems.length > 0 ? 'INVALID' : badReference ? 'BAD REF' : pass ? 'PASS' : 'MISS',
      },
      notes: [
        `${label(store, 'isolation')}: ${options.rate} events/s for ${options.seconds} s to 8 subscriptions ` +
          `(default timeoutMs 15 s); the 6 healthy kept ${(share * 100).toFixed(1)}% of their ` +
          `all-healthy throughput (${rate(mixed.healthyRate)} vs ${rate(healthy.healthyRate)} deliveries/s, ` +
          `deliveries ÷ first publish → last arrival), p99 ${ms(mixed.latency.p99)} vs ${ms(healthy.latency.p99)} ` +
          `(${p99Over.toFixed(2)}×; p50 ${ms(mixed.latency.p50)} vs ${ms(healthy.latency.p50)}, from the publish ` +
          `call's start); seconds of the load in which the healthy got < 10% of the rate: ` +
          `${mixed.stalledSeconds} (all healthy: ${healthy.stalledSeconds}); the failing receivers saw ${mixed.failingArrivals.hang} (never answers) and ` +
          `${mixed.failingArrivals.slow500} (500 after 2 s) requests`,
      ],
      problems,
      details: {
        store,
        rate: options.rate,
        seconds: options.seconds,
        share,
        p99Over,
        badReference,
        runs: [healthy, mixed].map(({ series: _series, ...r }) => r),
      },
    },
  }
}
