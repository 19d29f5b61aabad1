import { bodyBytes } from '../bench/payload.ts'
import { startReceiver } from '../bench/receiver-process.ts'
import {
  benchMachine,
  benchShape,
  checkSqliteRounds,
  medianRound,
  playSqliteRounds,
  type RoundsProgress,
  type SqliteRoundsSettings,
  sqliteRows,
  sqliteTargetRatio,
} from '../bench/sqlite-rounds.ts'
import { formatTable, type Row } from '../bench/table.ts'

/** What `hookrelay bench` measured. */
export interface BenchReport {
  machine: ReturnType<typeof benchMachine>
  /** Deliveries timed per row and round. */
  deliveries: number
  rounds: number
  /** The ceiling and Hookrelay's median round against it. */
  rows: Row[]
  /** Hookrelay's rate over the ceiling's, round by round. */
  ratios: number[]
  /** What the checks found; empty when every request arrived and every delivery is recorded. */
  problems: string[]
}

/**
 * The settings of `npm run bench`'s SQLite rows scaled to `events` deliveries per row: the
 * ceiling sends `events` requests, Hookrelay publishes `events / 8` events to 8 subscriptions.
 * Both warm up with twice as many first (the sender and receiver keep speeding up until tens of
 * thousands of requests), and the ceiling with an eighth as many before each later round.
 */
export function benchSettings(events: number): SqliteRoundsSettings {
  const { inFlight, ...engine } = benchShape
  const published = Math.max(1, Math.ceil(events / engine.subscriptions))
  const deliveries = published * engine.subscriptions
  return {
    inFlight,
    ceiling: { count: deliveries, warmup: 2 * deliveries, rewarm: Math.ceil(deliveries / 8) },
    hookrelay: { ...engine, events: published, warmupEvents: 2 * published, holdClaims: true },
  }
}

/**
 * Runs the ceiling and Hookrelay on a SQLite file against a receiver in its own process, as
 * `npm run bench` does, for `rounds` rounds; reports the median round.
 */
export async function runBench(
  options: { events: number; rounds: number },
  progress: RoundsProgress = {},
): Promise<BenchReport> {
  const settings = benchSettings(options.events)
  const receiver = await startReceiver()
  try {
    const played = await playSqliteRounds(receiver, settings, options.rounds, progress)
    const received = (await receiver.counts()).byPath['/ceiling'] ?? 0
    const check = checkSqliteRounds(played, settings, received)
    return {
      machine: benchMachine(),
      deliveries: settings.ceiling.count,
      rounds: options.rounds,
      rows: sqliteRows(medianRound(played), check),
      ratios: played.map((round) => round.ratio),
      problems: [...check.ceilingProblems, ...check.hrProblems],
    }
  } finally {
    await receiver.stop()
  }
}

/** The line printed before the run: the machine and what is sent. */
export function benchHeading(options: { events: number; rounds: number }): string {
  const machine = benchMachine()
  const { ceiling } = benchSettings(options.events)
  return (
    `hookrelay bench — node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel})\n` +
    `${ceiling.count} deliveries per row, ${bodyBytes} B bodies, ${benchShape.inFlight} in flight, ` +
    `receiver in its own process on 127.0.0.1, ${options.rounds} round${options.rounds === 1 ? '' : 's'}\n`
  )
}

/** The table (what, per second, share of the ceiling, the target) and a line of every ratio. */
export function formatBenchReport(report: BenchReport): string {
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`
  return (
    `\n${formatTable(report.rows)}\n\n` +
    `the median round of ${report.rounds} is shown; ratios of every round: ` +
    `${report.ratios.map(percent).join(', ')}\n`
  )
}

/** The report as `--json` prints it. */
export function benchJson(report: BenchReport) {
  return {
    machine: report.machine,
    deliveries: report.deliveries,
    rounds: report.rounds,
    target: sqliteTargetRatio,
    rows: report.rows.map((row) => ({
      what: row.what,
      count: row.count,
      seconds: row.seconds,
      perSecond: Math.round(row.rate),
      ratio: row.ratio,
      target: row.target,
      result: row.marker,
    })),
    ratios: report.ratios,
    problems: report.problems,
  }
}
