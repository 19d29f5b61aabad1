import type { CeilingResult } from '../src/bench/ceiling.ts'
import {
  type HookrelayRunOptions,
  type HookrelayRunResult,
  publishLanes,
} from '../src/bench/hookrelay-run.ts'
import { runHookrelayPostgres } from './hookrelay-postgres.ts'
import {
  type PgBossSenderOptions,
  type PgBossSenderResult,
  runPgBossSender,
} from './pg-boss-sender.ts'
import type { ReceiverProcess } from '../src/bench/receiver-process.ts'
import type { Row } from '../src/bench/table.ts'

/** The design's PostgreSQL targets: a share of the ceiling, a multiple of the pg-boss sender. */
const targetRatio = 0.6
const targetOverPgBoss = 5

/** Settings of the PostgreSQL part of the bench: the Hookrelay runs', and the pg-boss sender's. */
export type PostgresSettings = Omit<HookrelayRunOptions, 'receiver' | 'diagnosis' | 'phase'> & {
  pgBoss: Omit<PgBossSenderOptions, 'receiver' | 'url'>
}

/** What the PostgreSQL part measured, for the table, the notes and `.bench/last.json`. */
export interface PostgresSection {
  /** The ceiling measured just before, which the rows' ratios are taken against. */
  ceiling: CeilingResult & { rate: number }
  oneWorker: HookrelayRunResult
  twoWorkers: HookrelayRunResult
  pgBoss: PgBossSenderResult
  rows: Row[]
  notes: string[]
  problems: string[]
}

/** Where the PostgreSQL rows run, if anywhere: `HOOKRELAY_BENCH_PG`, else `HOOKRELAY_TEST_PG`. */
export function postgresUrl(): string | null {
  const url = process.env.HOOKRELAY_BENCH_PG || process.env.HOOKRELAY_TEST_PG
  return url === undefined || url === '' ? null : url
}

/**
 * The PostgreSQL rows, in one go: a ceiling to judge them against, Hookrelay with one worker and
 * with two engines sharing the backlog, then the pg-boss sender, all sending to `receiver`.
 */
export async function runPostgresRows(options: {
  url: string
  receiver: ReceiverProcess
  settings: PostgresSettings
  measureCeiling(): Promise<CeilingResult & { rate: number }>
}): Promise<PostgresSection> {
  const { url, receiver, settings } = options
  const { pgBoss: boss, ...hookrelay } = settings
  const ceiling = await options.measureCeiling()
  const oneWorker = await runHookrelayPostgres({ url, receiver, ...hookrelay, workers: 1 })
  const twoWorkers = await runHookrelayPostgres({
    url,
    receiver,
    ...hookrelay,
    warmupEvents: 0,
    workers: 2,
  })
  const pgBoss = await runPgBossSender({ url, receiver, ...boss })
  const runs = { ceiling, oneWorker, twoWorkers, pgBoss }
  return { ...runs, ...describe(settings, runs) }
}

/** The table's rows, the notes under it, and the problems of the PostgreSQL runs. */
function describe(
  settings: PostgresSettings,
  runs: Omit<PostgresSection, 'rows' | 'notes' | 'problems'>,
): Pick<PostgresSection, 'rows' | 'notes' | 'problems'> {
  const { ceiling, oneWorker, twoWorkers, pgBoss } = runs
  const boss = settings.pgBoss
  const rate = (r: { count: number; seconds: number }) => r.count / r.seconds
  const oneRate = rate(oneWorker.deliver)
  const twoRate = rate(twoWorkers.deliver)
  const bossRate = rate(pgBoss)
  const overBoss = oneRate / bossRate
  const ratio = oneRate / ceiling.rate
  const oneMarker = !oneWorker.complete
    ? 'INCOMPLETE'
    : oneWorker.problems.length > 0
      ? 'INVALID'
      : ratio >= targetRatio && overBoss >= targetOverPgBoss
        ? 'PASS'
        : 'BELOW'
  const twoMarker = !twoWorkers.complete
    ? twoWorkers.duplicates > 0
      ? 'DUPLICATES'
      : 'INCOMPLETE'
    : twoRate >= oneRate
      ? 'PASS'
      : 'BELOW'
  const rows: Row[] = [
    {
      what: 'hookrelay postgres, 1 worker',
      count: oneWorker.deliver.count,
      seconds: oneWorker.deliver.seconds,
      rate: oneRate,
      ratio,
      target: `≥ ${targetRatio * 100}%, ≥ ${targetOverPgBoss}× pg-boss`,
      marker: oneMarker,
    },
    {
      what: 'hookrelay postgres, 2 workers',
      count: twoWorkers.deliver.count,
      seconds: twoWorkers.deliver.seconds,
      rate: twoRate,
      ratio: twoRate / ceiling.rate,
      target: 'once, ≥ 1 worker',
      marker: twoMarker,
    },
    {
      what: `pg-boss sender (batches of ${boss.batchSize} × ${boss.localConcurrency})`,
      count: pgBoss.count,
      seconds: pgBoss.seconds,
      rate: bossRate,
      ratio: bossRate / ceiling.rate,
      target: 'reference',
      marker: pgBoss.problems.length === 0 ? '' : 'INVALID',
    },
  ]
  const fixed = (n: number, digits = 1) => n.toFixed(digits)
  const perSecond = (n: number) => Math.round(n).toLocaleString('en-US')
  const perCall = (t: { calls: number; items: number; ms: number }, unit: [string, string]) =>
    t.calls === 0
      ? '—'
      : `${t.calls} calls of ${Math.round(t.items / t.calls)} ${unit[1]} on average, ` +
        `${fixed(t.ms / t.calls)} ms each (${fixed((t.ms / Math.max(1, t.items)) * 1000)} µs/${unit[0]})`
  const costs = (name: string, r: HookrelayRunResult) => [
    `${name}: claim ${perCall(r.timings.claim, ['delivery', 'deliveries'])}`,
    `${name}: record ${perCall(r.timings.record, ['attempt', 'attempts'])}; bench process ` +
      `${Math.round(r.cpuMs.bench)} ms CPU, receiver ${Math.round(r.cpuMs.receiver)} ms, over ` +
      `${Math.round(r.deliver.seconds * 1000)} ms wall`,
  ]
  const notes = [
    `postgres rows are judged against a ceiling of ${perSecond(ceiling.rate)}/s measured just ` +
      `before them; 1 worker: ${fixed(ratio * 100)}% of it (≥ ${targetRatio * 100}%), ` +
      `${fixed(overBoss)}× the pg-boss sender (≥ ${targetOverPgBoss}×)`,
    `2 workers: ${fixed((twoRate / oneRate) * 100, 0)}% of 1 worker's rate; attempts recorded by ` +
      `each: ${twoWorkers.recordedByWorker.join(' + ')}; ${twoWorkers.duplicates} sent twice`,
    ...costs('postgres 1 worker', oneWorker),
    ...costs('postgres 2 workers', twoWorkers),
    `postgres publish (library, ${publishLanes} callers): ${perSecond(rate(oneWorker.publish))} events/s ` +
      `(${settings.subscriptions} deliveries each); pg-boss queued ${boss.jobs} jobs in ` +
      `${fixed(pgBoss.enqueueSeconds, 2)} s (not timed)`,
  ]
  const problems = [
    ...oneWorker.problems.map((p) => `postgres 1 worker: ${p}`),
    ...twoWorkers.problems.map((p) => `postgres 2 workers: ${p}`),
    ...pgBoss.problems.map((p) => `pg-boss sender: ${p}`),
  ]
  if (ceiling.failed > 0) problems.push(`${ceiling.failed} ceiling requests did not answer 200`)
  return { rows, notes, problems }
}
