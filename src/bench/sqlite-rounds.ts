import { availableParallelism, cpus } from 'node:os'
import { type CeilingResult, runCeiling } from './ceiling.ts'
import type { HookrelayRunOptions } from './hookrelay-run.ts'
import { type HookrelaySqliteResult, runHookrelaySqlite } from './hookrelay-sqlite.ts'
import type { ReceiverProcess } from './receiver-process.ts'
import type { Row } from './table.ts'

/** The design's SQLite target: Hookrelay delivers at least 75% of the ceiling's rate. */
export const sqliteTargetRatio = 0.75

/**
 * The shape every bench run shares (`npm run bench` and `hookrelay bench`): 64 requests in flight,
 * 8 subscriptions, the engine's concurrency caps and claim batch.
 */
export const benchShape = {
  inFlight: 64,
  subscriptions: 8,
  concurrency: 64,
  subscriptionConcurrency: 10,
  batchSize: 1_024,
} as const

/** What the SQLite rounds send: the ceiling's requests and Hookrelay's run. */
export interface SqliteRoundsSettings {
  inFlight: number
  /** Requests timed; sent before the clock starts in the first round; and in later rounds. */
  ceiling: { count: number; warmup: number; rewarm: number }
  /** The Hookrelay run; `warmupEvents` applies to the first round only. */
  hookrelay: Omit<HookrelayRunOptions, 'receiver' | 'diagnosis' | 'phase'>
}

/** A ceiling run with its rate and the receiver's CPU time while it was timed. */
export type MeasuredCeiling = CeilingResult & { rate: number; receiverCpuMs: number }

/** One ceiling run and the Hookrelay run right after it. */
export interface Round {
  ceiling: MeasuredCeiling
  hr: HookrelaySqliteResult
  /** Hookrelay's deliveries per second. */
  rate: number
  /** Hookrelay's rate over this round's ceiling. */
  ratio: number
}

/** Told as the rounds go: which part starts, and each round once played (for progress). */
export interface RoundsProgress {
  starting?(round: number, part: 'ceiling' | 'hookrelay'): void
  played?(round: number, result: Round): void
}

/** The machine the bench ran on, printed above its results. */
export function benchMachine() {
  return {
    node: process.version,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
  }
}

/** Runs the ceiling against `receiver`, with the receiver's CPU time over the timed part. */
export async function measureCeiling(
  receiver: ReceiverProcess,
  options: { inFlight: number; count: number; warmup: number },
): Promise<MeasuredCeiling> {
  let receiverCpu = 0
  const result = await runCeiling({
    port: receiver.port,
    ...options,
    phase: {
      started: async () => {
        receiverCpu = (await receiver.counts()).cpuMs
      },
      ended: async () => {
        receiverCpu = (await receiver.counts()).cpuMs - receiverCpu
      },
    },
  })
  return { ...result, rate: result.count / result.seconds, receiverCpuMs: receiverCpu }
}

/**
 * The ceiling and Hookrelay on SQLite, alternating for `rounds` rounds: two cores shared by three
 * busy threads swing single measurements by ±15%, so each Hookrelay run is judged against the
 * ceiling measured just before it. Only the first round warms up at length.
 */
export async function playSqliteRounds(
  receiver: ReceiverProcess,
  settings: SqliteRoundsSettings,
  rounds: number,
  progress: RoundsProgress = {},
): Promise<Round[]> {
  const played: Round[] = []
  for (let i = 0; i < rounds; i++) {
    const first = i === 0
    progress.starting?.(i + 1, 'ceiling')
    const ceiling = await measureCeiling(receiver, {
      inFlight: settings.inFlight,
      count: settings.ceiling.count,
      warmup: first ? settings.ceiling.warmup : settings.ceiling.rewarm,
    })
    progress.starting?.(i + 1, 'hookrelay')
    const hr = await runHookrelaySqlite({
      receiver,
      ...settings.hookrelay,
      warmupEvents: first ? settings.hookrelay.warmupEvents : 0,
    })
    const rate = hr.deliver.count / hr.deliver.seconds
    const round = { ceiling, hr, rate, ratio: rate / ceiling.rate }
    played.push(round)
    progress.played?.(i + 1, round)
  }
  return played
}

/** The median round by ratio; of an even number of rounds, the lower of the middle two. */
export function medianRound(played: readonly Round[]): Round {
  return medianBy(played, (round) => round.ratio)
}

/** The item whose `key` is the median; of an even number, the lower of the middle two. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b))
  const median = sorted[Math.floor((sorted.length - 1) / 2)]
  if (median === undefined) throw new Error('no round was played')
  return median
}

/** What the checks of the SQLite rounds found. */
export interface RoundsCheck {
  ceilingProblems: string[]
  hrProblems: string[]
  /** Every delivery of every round arrived once and is recorded as succeeded. */
  complete: boolean
  /** Complete, and Hookrelay's runs found no other problem. */
  valid: boolean
}

/**
 * Checks the rounds: every ceiling request answered 200, the receiver counted all of them
 * (`received` on `/ceiling`, of which `extraSent` came from ceilings outside the rounds), and
 * Hookrelay delivered everything once.
 */
export function checkSqliteRounds(
  played: readonly Round[],
  settings: SqliteRoundsSettings,
  received: number,
  extraSent = 0,
): RoundsCheck {
  const ceilingProblems: string[] = []
  const failed = played.reduce((n, r) => n + r.ceiling.failed, 0)
  if (failed > 0) ceilingProblems.push(`${failed} ceiling requests did not answer 200`)
  const { count, warmup, rewarm } = settings.ceiling
  const sent = played.length * count + warmup + (played.length - 1) * rewarm + extraSent
  if (received !== sent) {
    ceilingProblems.push(`receiver counted ${received} of ${sent} ceiling requests`)
  }
  const hrProblems = played.flatMap((r, i) => r.hr.problems.map((p) => `round ${i + 1}: ${p}`))
  const complete = played.every((r) => r.hr.complete)
  return { ceilingProblems, hrProblems, complete, valid: complete && hrProblems.length === 0 }
}

/** The two rows of the SQLite target: the ceiling, and Hookrelay's median round against it. */
export function sqliteRows(median: Round, check: RoundsCheck): Row[] {
  const { ceiling, hr, ratio } = median
  return [
    {
      what: 'ceiling (undici, no storage)',
      count: ceiling.count,
      seconds: ceiling.seconds,
      rate: ceiling.rate,
      ratio: 1,
      target: 'reference',
      marker: check.ceilingProblems.length === 0 ? '' : 'INVALID',
    },
    {
      what: 'hookrelay sqlite (every attempt recorded)',
      count: hr.deliver.count,
      seconds: hr.deliver.seconds,
      rate: median.rate,
      ratio,
      target: `≥ ${sqliteTargetRatio * 100}% of ceiling`,
      marker: !check.complete
        ? 'INCOMPLETE'
        : !check.valid
          ? 'INVALID'
          : ratio >= sqliteTargetRatio
            ? 'PASS'
            : 'BELOW',
    },
  ]
}
