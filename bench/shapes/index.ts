/**
 * The scheduling rows (issue #14): one subscription, latency, isolation, backlog, fan-out, each on
 * SQLite and, with a PostgreSQL URL, on PostgreSQL (a fresh schema per run, dropped after). Every
 * rate and latency is counted at the receiver. Charts go to `chartsDir` as SVG.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import type { Row } from '../../src/bench/table.ts'
import { runBacklog } from './backlog.ts'
import type { ShapeResult, StoreName } from './common.ts'
import { runFanOut } from './fan-out.ts'
import { runIsolation } from './isolation.ts'
import { runLatency } from './latency.ts'
import { runOneSubscription } from './one-subscription.ts'
import { cdf, lineChart, perSecondFilled, type Series } from './svg.ts'

/** The rows' names, as `--only` takes them, in the order they run. */
export const shapeRows = ['one-subscription', 'latency', 'isolation', 'backlog', 'fan-out'] as const
export type ShapeRow = (typeof shapeRows)[number]

export function isShapeRow(name: string): name is ShapeRow {
  return (shapeRows as readonly string[]).includes(name)
}

export interface ShapeSettings {
  oneSubscription: { events: number; warmupEvents: number }
  latency: { rates: number[]; seconds: number; warmupSeconds: number }
  isolation: { rate: number; seconds: number }
  backlog: { events: Record<StoreName, number>; referenceEvents: number }
  fanOut: { subscriptions: number; events: number; referenceEvents: number }
}

/** The bench's settings; `--quick` shortens every row. `BENCH_BACKLOG` sets the backlog's size. */
export function shapeSettings(quick: boolean): ShapeSettings {
  const backlog = process.env.BENCH_BACKLOG === undefined ? null : Number(process.env.BENCH_BACKLOG)
  if (backlog !== null && !(Number.isInteger(backlog) && backlog > 0)) {
    throw new Error('BENCH_BACKLOG must be a whole number > 0')
  }
  return {
    oneSubscription: { events: quick ? 4_000 : 20_000, warmupEvents: quick ? 1_000 : 5_000 },
    latency: { rates: [500, 5], seconds: quick ? 5 : 20, warmupSeconds: 1 },
    // 1,500 events/s to 8 (12,000 deliveries/s) is more than this 2-core machine delivers with all
    // 8 healthy; 250/s (2,000 deliveries/s) is a load it keeps up with.
    isolation: { rate: Number(process.env.BENCH_ISOLATION_RATE ?? '250'), seconds: quick ? 5 : 20 },
    // PostgreSQL publishes about 1,000 events/s here (one transaction each): 1,000,000 would take
    // a quarter of an hour to queue, so it queues a tenth by default.
    backlog: {
      events: {
        sqlite: backlog ?? (quick ? 100_000 : 1_000_000),
        postgres: backlog ?? (quick ? 20_000 : 100_000),
      },
      referenceEvents: quick ? 5_000 : 20_000,
    },
    fanOut: {
      subscriptions: 1_000,
      events: quick ? 20 : 100,
      referenceEvents: quick ? 1_000 : 4_000,
    },
  }
}

export interface ShapesReport {
  rows: Row[]
  notes: string[]
  problems: string[]
  details: Record<string, unknown[]>
  /** SVG files written. */
  charts: string[]
}

/** Runs `only` (default: every row) on SQLite, and on PostgreSQL when `pgUrl` is set. */
export async function runShapes(options: {
  receiver: ReceiverProcess
  pgUrl: string | null
  settings: ShapeSettings
  only?: ShapeRow[]
  /** Where the SVG charts go; none are written without it. */
  chartsDir?: string
  log?: (line: string) => void
}): Promise<ShapesReport> {
  const { receiver, pgUrl, settings } = options
  const only = options.only ?? [...shapeRows]
  const stores: StoreName[] = pgUrl === null ? ['sqlite'] : ['sqlite', 'postgres']
  const report: ShapesReport = { rows: [], notes: [], problems: [], details: {}, charts: [] }
  const log = options.log ?? (() => {})
  const add = (name: string, result: ShapeResult) => {
    report.rows.push(result.row)
    report.notes.push(...result.notes)
    report.problems.push(...result.problems)
    ;(report.details[name] ??= []).push(result.details)
    for (const note of result.notes) log(note)
  }
  const chart = async (file: string, svg: string) => {
    if (options.chartsDir === undefined) return
    await mkdir(options.chartsDir, { recursive: true })
    const path = join(options.chartsDir, file)
    await writeFile(path, svg)
    report.charts.push(path)
  }
  /** A row that throws is a problem of the report, not the end of the bench. */
  const guarded = async (name: string, store: StoreName, fn: () => Promise<void>) => {
    try {
      await fn()
    } catch (error) {
      const problem = `the ${name} row on ${store} failed: ${(error as Error).stack ?? error}`
      report.problems.push(problem)
      log(problem)
    }
  }

  for (const row of shapeRows) {
    if (!only.includes(row)) continue
    for (const store of stores) {
      log(`running ${row} on ${store}…`)
      await guarded(row, store, async () => {
        switch (row) {
          case 'one-subscription':
            add(
              row,
              await runOneSubscription({ receiver, store, pgUrl, ...settings.oneSubscription }),
            )
            break
          case 'latency': {
            const { results, samples } = await runLatency({
              receiver,
              store,
              pgUrl,
              ...settings.latency,
            })
            for (const r of results) add(row, r)
            const series: Series[] = samples.map((s) => ({
              name: `${s.mode === 'library' ? 'library' : 'REST'} ${s.rate}/s`,
              points: cdf(s.fromResolve),
            }))
            const p99s = samples.map((s) => {
              const sorted = [...s.fromResolve].sort((a, b) => a - b)
              return sorted[Math.floor(sorted.length * 0.995)] ?? 0
            })
            await chart(
              `latency-${store}.svg`,
              lineChart({
                title: `${store}: publish resolved (library) / 202 (REST) → receiver has it`,
                xLabel: 'ms (x axis cut at the largest p99.5)',
                yLabel: '% of deliveries (CDF)',
                series,
                xMax: Math.max(1, ...p99s),
              }),
            )
            break
          }
          case 'isolation': {
            const { result, runs } = await runIsolation({
              receiver,
              store,
              pgUrl,
              ...settings.isolation,
            })
            add(row, result)
            const [healthy, mixed] = runs
            await chart(
              `isolation-${store}.svg`,
              lineChart({
                title: `${store}: deliveries/s at the receiver, ${settings.isolation.rate} events/s to 8`,
                xLabel: 's since the first publish',
                yLabel: 'deliveries/s',
                series: [
                  {
                    name: '6 healthy (all 8 healthy)',
                    points: perSecondFilled(healthy!.series['6 healthy'] ?? []),
                  },
                  ...Object.entries(mixed!.series).map(([name, points]) => ({
                    name: name === '6 healthy' ? '6 healthy (beside 2 failing)' : name,
                    points: perSecondFilled(points),
                  })),
                ],
              }),
            )
            break
          }
          case 'backlog': {
            const { result, runs } = await runBacklog({
              receiver,
              store,
              pgUrl,
              events: settings.backlog.events[store],
              referenceEvents: settings.backlog.referenceEvents,
            })
            add(row, result)
            const backlog = runs[1]!
            await chart(
              `backlog-throughput-${store}.svg`,
              lineChart({
                title: `${store}: a backlog of ${backlog.events.toLocaleString('en-US')}, deliveries/s at the receiver`,
                xLabel: 's since the worker started',
                yLabel: 'deliveries/s',
                series: [{ name: 'deliveries/s', points: perSecondFilled(backlog.throughput) }],
              }),
            )
            await chart(
              `backlog-rss-${store}.svg`,
              lineChart({
                title: `${store}: the worker process's RSS while draining ${backlog.events.toLocaleString('en-US')}`,
                xLabel: 's since the worker started',
                yLabel: 'RSS (MB)',
                series: [{ name: 'RSS, every 100 ms', points: backlog.rss }],
              }),
            )
            break
          }
          case 'fan-out':
            add(row, await runFanOut({ receiver, store, pgUrl, ...settings.fanOut }))
            break
        }
      })
    }
  }
  return report
}
