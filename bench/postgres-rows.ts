import type { CeilingResult } from '../src/bench/ceiling.ts'
import {
  type HookrelayRunOptions,
  type HookrelayRunResult,
  publishLanes,
} from '../src/bench/hookrelay-run.ts'
import { runHookrelayPostgres } from './hookrelay-postgres.ts'
import { startWorkerProcess } from './postgres-worker.ts'
import {
  type PgBossSenderOptions,
  type PgBossSenderResult,
  runPgBossSender,
} from './pg-boss-sender.ts'
import type { ReceiverProcess } from '../src/bench/receiver-process.ts'
import { medianBy } from '../src/bench/sqlite-rounds.ts'
import type { Row } from '../src/bench/table.ts'

/** The design's PostgreSQL targets: a share of the ceiling, a multiple of the pg-boss sender. */
const targetRatio = 0.6
const targetOverPgBoss = 5

/** Settings of the PostgreSQL part of the bench: the Hookrelay runs', and the pg-boss sender's. */
export type PostgresSettings = Omit<HookrelayRunOptions, 'receiver' | 'diagnosis' | 'phase'> & {
  pgBoss: Omit<PgBossSenderOptions, 'receiver' | 'url'>
}

/** One round of the PostgreSQL rows: a ceiling, then one worker, then two, right after it. */
export interface PostgresRound {
  ceiling: CeilingResult & { rate: number }
  oneWorker: HookrelayRunResult
  twoWorkers: HookrelayRunResult
  /** One worker's rate over this round's ceiling. */
  ratio: number
  /** Two workers' rate over one worker's, in this round. */
  twoOverOne: number
}

/** What the PostgreSQL part measured, for the table, the notes and `.bench/last.json`. */
export interface PostgresSection {
  rounds: PostgresRound[]
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
 * The PostgreSQL rows: `rounds` rounds of a ceiling, Hookrelay with one worker and with two
 * engines sharing the backlog, each judged against its own round as the SQLite rows are; then the
 * pg-boss sender once. All send to `receiver`. Only the first round warms up.
 */
export async function runPostgresRows(options: {
  url: string
  receiver: ReceiverProcess
  settings: PostgresSettings
  rounds: number
  measureCeiling(): Promise<CeilingResult & { rate: number }>
}): Promise<PostgresSection> {
  const { url, receiver, settings } = options
  const { pgBoss: boss, ...hookrelay } = settings
  const rounds: PostgresRound[] = []
  // The second worker is a process of its own, as the design's two worker processes are; it lives
  // across the rounds, and warms up with the first.
  const workerProcess = await startWorkerProcess()
  try {
    for (let i = 0; i < options.rounds; i++) {
      const warmupEvents = i === 0 ? hookrelay.warmupEvents : 0
      const ceiling = await options.measureCeiling()
      const oneWorker = await runHookrelayPostgres({
        url,
        receiver,
        ...hookrelay,
        warmupEvents,
        workers: 1,
      })
      const twoWorkers = await runHookrelayPostgres({
        url,
        receiver,
        ...hookrelay,
        warmupEvents,
        workers: 1,
        workerProcess,
      })
      const oneRate = rate(oneWorker.deliver)
      rounds.push({
        ceiling,
        oneWorker,
        twoWorkers,
        ratio: oneRate / ceiling.rate,
        twoOverOne: rate(twoWorkers.deliver) / oneRate,
      })
    }
  } finally {
    await workerProcess.stop()
  }
  const pgBoss = await runPgBossSender({ url, receiver, ...boss })
  return { rounds, pgBoss, ...describe(settings, rounds, pgBoss) }
}

const rate = (r: { count: number; seconds: number }) => r.count / r.seconds

/** The table's rows, the notes under it, and the problems of the PostgreSQL runs. */
function describe(
  settings: PostgresSettings,
  rounds: PostgresRound[],
  pgBoss: PgBossSenderResult,
): Pick<PostgresSection, 'rows' | 'notes' | 'problems'> {
  const boss = settings.pgBoss
  // One worker's row is its median round by ratio; two workers' row is the round of the median
  // two-over-one ratio, which is what their target compares.
  const one = medianBy(rounds, (r) => r.ratio)
  const two = medianBy(rounds, (r) => r.twoOverOne)
  const oneWorker = one.oneWorker
  const twoWorkers = two.twoWorkers
  const oneRate = rate(oneWorker.deliver)
  const twoRate = rate(twoWorkers.deliver)
  const bossRate = rate(pgBoss)
  const overBoss = oneRate / bossRate
  const ratio = one.ratio
  const incomplete = rounds.some((r) => !r.oneWorker.complete)
  const invalid = rounds.some((r) => r.oneWorker.problems.length > 0)
  const oneMarker = incomplete
    ? 'INCOMPLETE'
    : invalid
      ? 'INVALID'
      : ratio >= targetRatio && overBoss >= targetOverPgBoss
        ? 'PASS'
        : 'BELOW'
  const duplicates = rounds.reduce((n, r) => n + r.twoWorkers.duplicates, 0)
  const twoMarker =
    duplicates > 0
      ? 'DUPLICATES'
      : rounds.some((r) => !r.twoWorkers.complete)
        ? 'INCOMPLETE'
        : two.twoOverOne >= 1
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
      ratio: twoRate / two.ceiling.rate,
      target: 'once, ≥ 1 worker',
      marker: twoMarker,
    },
    {
      what: `pg-boss sender (batches of ${boss.batchSize} × ${boss.localConcurrency})`,
      count: pgBoss.count,
      seconds: pgBoss.seconds,
      rate: bossRate,
      ratio: bossRate / one.ceiling.rate,
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
  const percent = (n: number) => `${fixed(n * 100)}%`
  const notes = [
    `postgres rows: the median of ${rounds.length} rounds, each judged against a ceiling ` +
      `measured just before it; 1 worker: ${percent(ratio)} of ${perSecond(one.ceiling.rate)}/s ` +
      `(≥ ${targetRatio * 100}%), ${fixed(overBoss)}× the pg-boss sender (≥ ${targetOverPgBoss}×)`,
    `postgres 1 worker, every round: ${rounds.map((r) => percent(r.ratio)).join(', ')} of the ceiling`,
    `postgres 2 workers, every round: ${rounds.map((r) => percent(r.twoOverOne)).join(', ')} of ` +
      `1 worker's rate; attempts recorded by each (median round): ` +
      `${twoWorkers.recordedByWorker.join(' + ')}; ${duplicates} sent twice in all rounds`,
    ...costs('postgres 1 worker', oneWorker),
    ...costs('postgres 2 workers', twoWorkers),
    `postgres publish (library, ${publishLanes} callers): ${perSecond(rate(oneWorker.publish))} events/s ` +
      `(${settings.subscriptions} deliveries each); pg-boss queued ${boss.jobs} jobs in ` +
      `${fixed(pgBoss.enqueueSeconds, 2)} s (not timed)`,
  ]
  const problems = rounds.flatMap((r, i) => [
    ...r.oneWorker.problems.map((p) => `postgres round ${i + 1}, 1 worker: ${p}`),
    ...r.twoWorkers.problems.map((p) => `postgres round ${i + 1}, 2 workers: ${p}`),
    ...(r.ceiling.failed > 0
      ? [`postgres round ${i + 1}: ${r.ceiling.failed} ceiling requests did not answer 200`]
      : []),
  ])
  problems.push(...pgBoss.problems.map((p) => `pg-boss sender: ${p}`))
  return { rows, notes, problems }
}
