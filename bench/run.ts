/**
 * `npm run bench`: the design's SQLite performance target, measured in one run on this machine.
 * A receiver runs in its own process; the ceiling (sign + POST with undici, nothing stored) and
 * Hookrelay on a SQLite file (every attempt recorded) send to it in turn. Both warm up for tens
 * of thousands of requests first (the receiver and both senders keep speeding up until then).
 * Two cores shared by three busy threads make single measurements swing by ±15%, so the two
 * alternate for several rounds, each Hookrelay round judged against the ceiling measured just
 * before it, and the median round's ratio is the result.
 *
 * When Redis answers at `HOOKRELAY_BENCH_REDIS` (default `redis://127.0.0.1:6379`), a BullMQ sender
 * row follows: the design's other do-it-yourself reference. BullMQ is not a dependency of the
 * package (no complete lock of it can be made from this machine's registry): `bullmq-sender.ts`
 * installs it into `.bench/bullmq/` on first use, and skips the row with the reason if it cannot.
 * With `HOOKRELAY_BENCH_PG` (else `HOOKRELAY_TEST_PG`) set to a `postgres://` URL, PostgreSQL rows
 * follow (`postgres-rows.ts`): Hookrelay with one worker and with two, and a pg-boss sender.
 *
 * Flags: `--quick` runs one round of a fifth of the counts; `BENCH_SCALE=2` doubles the counts;
 * `BENCH_ROUNDS=7` sets the rounds (default 5; the PostgreSQL rows play 3 at most).
 * `BENCH_HOLD_CLAIMS=0` publishes without holding the worker's claims back. Writes
 * `.bench/last.json`.
 *
 * The scheduling rows follow (`shapes/`, issue #14): one subscription, latency, isolation,
 * backlog, fan-out, on SQLite and on PostgreSQL when its URL is set, with SVG charts in `.bench/`.
 * `--only <row>` (repeatable, or comma-separated) runs just those rows; their results replace the
 * same rows' in `.bench/last.json` and the rest of it stays.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { publishLanes } from '../src/bench/hookrelay-sqlite.ts'
import { bodyBytes } from '../src/bench/payload.ts'
import { startReceiver } from '../src/bench/receiver-process.ts'
import {
  benchMachine,
  benchShape,
  checkSqliteRounds,
  measureCeiling,
  medianRound,
  playSqliteRounds,
  sqliteRows,
} from '../src/bench/sqlite-rounds.ts'
import { formatTable, type Row } from '../src/bench/table.ts'
import {
  type BullmqSenderResult,
  loadBullmq,
  redisAnswers,
  runBullmqSender,
} from './bullmq-sender.ts'
import { type PostgresSection, postgresUrl, runPostgresRows } from './postgres-rows.ts'
import { runRestBaseline, runRestPublish } from './rest-publish.ts'
import {
  isShapeRow,
  runShapes,
  type ShapeRow,
  type ShapesReport,
  shapeRows,
  shapeSettings,
} from './shapes/index.ts'

const restTarget = 8_000
/** The design's other SQLite target: this many times the BullMQ sender. */
const overBullmqTarget = 2.5

const perSecond = (count: number, seconds: number) =>
  Math.round(count / seconds).toLocaleString('en-US')

const quick = process.argv.includes('--quick')
const only: ShapeRow[] | null = (() => {
  const names = process.argv.flatMap((arg, i) =>
    process.argv[i - 1] === '--only'
      ? arg.split(',')
      : arg.startsWith('--only=')
        ? arg.slice(7).split(',')
        : [],
  )
  if (names.length === 0) return null
  for (const name of names) {
    if (!isShapeRow(name)) {
      throw new Error(`--only takes ${shapeRows.join(', ')}; not ${JSON.stringify(name)}`)
    }
  }
  return names.filter(isShapeRow)
})()
const scale = Number(process.env.BENCH_SCALE ?? '1')
if (!Number.isFinite(scale) || scale <= 0) throw new Error('BENCH_SCALE must be a positive number')
const counted = (n: number) => Math.max(1, Math.round((n * scale) / (quick ? 5 : 1)))
const rounds = quick ? 1 : Number(process.env.BENCH_ROUNDS ?? '5')
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error('BENCH_ROUNDS must be a whole number ≥ 1')
// Each PostgreSQL round publishes and delivers twice (one worker, two): three are enough for a
// median and keep the whole bench near a minute.
const pgRounds = Math.min(rounds, 3)

const { inFlight, ...engineShape } = benchShape
const settings = {
  inFlight,
  ceiling: { count: counted(32_000), warmup: counted(30_000), rewarm: counted(2_000) },
  hookrelay: {
    ...engineShape,
    events: counted(4_000),
    warmupEvents: counted(3_000),
    holdClaims: process.env.BENCH_HOLD_CLAIMS !== '0',
  },
  rest: { seconds: quick ? 2 : 5, warmupSeconds: quick ? 1 : 2, connections: 64 },
  bullmq: { jobs: counted(8_000), concurrency: inFlight },
  postgres: {
    ...engineShape,
    events: counted(2_000),
    warmupEvents: counted(1_000),
    holdClaims: process.env.BENCH_HOLD_CLAIMS !== '0',
    // 64 in flight, as everywhere here, in two fetch loops so one's round trips overlap the
    // other's requests: the best of the 64-in-flight shapes tried (64 × 1, 32 × 2, 16 × 4).
    pgBoss: {
      jobs: counted(4_000),
      batchSize: 32,
      localConcurrency: 2,
      pollingIntervalSeconds: 0.5,
      poolSize: 10,
    },
  },
}
const pgUrl = postgresUrl()
// BullMQ's row runs against this machine's Redis when one answers (HOOKRELAY_BENCH_REDIS).
const redisUrl = process.env.HOOKRELAY_BENCH_REDIS ?? 'redis://127.0.0.1:6379'

const machine = benchMachine()
const benchDir = new URL('../.bench/', import.meta.url)
const shapesSettings = shapeSettings(quick)

/** The scheduling rows' lines printed under the table, and their problems on stderr. */
function printShapes(shapes: ShapesReport): void {
  for (const note of shapes.notes) console.log(note)
  for (const chart of shapes.charts) console.log(`chart: ${chart}`)
  for (const problem of shapes.problems) console.error(`!!! ${problem}`)
}

/** `--only`: just those scheduling rows, merged into `.bench/last.json`. */
async function runOnly(only: ShapeRow[]): Promise<void> {
  console.log(
    `hookrelay bench --only ${only.join(',')} — node ${machine.node}, ${machine.cpus} CPUs ` +
      `(${machine.cpuModel})${quick ? ', --quick' : ''}`,
  )
  const receiver = await startReceiver()
  try {
    const shapes = await runShapes({
      receiver,
      pgUrl,
      settings: shapesSettings,
      only,
      chartsDir: fileURLToPath(benchDir),
      log: (line) => console.log(line),
    })
    console.log()
    console.log(formatTable(shapes.rows))
    console.log()
    printShapes(shapes)
    if (shapes.problems.length > 0) process.exitCode = 1
    // Merge into the last full run's results: these rows replace their earlier figures.
    await mkdir(benchDir, { recursive: true })
    const file = new URL('last.json', benchDir)
    let last: Record<string, unknown> = {}
    try {
      last = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    } catch {
      // no earlier run
    }
    const earlier = (last.shapes ?? {}) as Record<string, unknown>
    last.shapes = {
      ...earlier,
      ...Object.fromEntries(
        only.map((row) => [
          row,
          {
            at: new Date().toISOString(),
            quick,
            settings: shapesSettings,
            details: shapes.details[row] ?? [],
          },
        ]),
      ),
    }
    await writeFile(file, `${JSON.stringify(last, null, 2)}\n`)
    console.log('\nwritten to .bench/last.json')
  } finally {
    await receiver.stop()
  }
}

if (only !== null) {
  await runOnly(only)
  // The rows below are the full bench's.
  process.exit()
}

console.log(`hookrelay bench — node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel})`)
console.log(
  `${bodyBytes} B bodies, ${settings.inFlight} in flight, receiver in its own process on 127.0.0.1` +
    `, ${rounds} round${rounds === 1 ? '' : 's'}` +
    `${quick ? ', --quick' : ''}${scale !== 1 ? `, BENCH_SCALE=${scale}` : ''}`,
)

const receiver = await startReceiver()
try {
  const played = await playSqliteRounds(receiver, settings, rounds, {
    played: (round, { ceiling, hr, rate }) =>
      console.log(
        `round ${round}: ceiling ${perSecond(ceiling.count, ceiling.seconds)}/s, ` +
          `hookrelay ${perSecond(hr.deliver.count, hr.deliver.seconds)}/s ` +
          `(${((rate / ceiling.rate) * 100).toFixed(1)}%)`,
      ),
  })
  let bullmq: BullmqSenderResult | null = null
  let bullmqSkipped: string | null = null
  const bullmqFailures: string[] = []
  if (await redisAnswers(redisUrl)) {
    const loaded = await loadBullmq()
    if ('failed' in loaded) {
      bullmqSkipped = `BullMQ row skipped: ${loaded.failed}`
    } else {
      try {
        bullmq = await runBullmqSender({
          bullmq: loaded,
          receiver,
          url: redisUrl,
          ...settings.bullmq,
        })
      } catch (error) {
        bullmqFailures.push(`the BullMQ row failed: ${(error as Error).message}`)
      }
    }
  } else {
    bullmqSkipped =
      `BullMQ row skipped: no Redis answers at ${redisUrl} ` + '(set HOOKRELAY_BENCH_REDIS)'
  }
  if (bullmqSkipped !== null) console.log(bullmqSkipped)
  const restBaseline = await runRestBaseline(settings.rest)
  const restBaselineRate = restBaseline.accepted / restBaseline.seconds
  const rest = await runRestPublish(settings.rest)
  const restRate = rest.accepted / rest.seconds
  let postgres: PostgresSection | null = null
  const postgresFailures: string[] = []
  if (pgUrl !== null) {
    try {
      postgres = await runPostgresRows({
        url: pgUrl,
        receiver,
        settings: settings.postgres,
        rounds: pgRounds,
        measureCeiling: () =>
          measureCeiling(receiver, {
            inFlight,
            count: settings.ceiling.count,
            warmup: settings.ceiling.rewarm,
          }),
      })
    } catch (error) {
      postgresFailures.push(`the PostgreSQL rows failed: ${(error as Error).message}`)
    }
  }

  const shapes = await runShapes({
    receiver,
    pgUrl,
    settings: shapesSettings,
    chartsDir: fileURLToPath(benchDir),
    log: (line) => console.log(line),
  })

  // The median round by ratio carries the table; odd round counts make it one real round.
  const median = medianRound(played)
  const { ceiling, hr } = median

  const ceilingReceived = (await receiver.counts()).byPath['/ceiling'] ?? 0
  const check = checkSqliteRounds(
    played,
    settings,
    ceilingReceived,
    pgUrl === null ? 0 : pgRounds * (settings.ceiling.count + settings.ceiling.rewarm),
  )
  const { ceilingProblems, hrProblems, complete, valid } = check
  const expected = hr.publish.count * settings.hookrelay.subscriptions

  const rows: Row[] = [
    ...sqliteRows(median, check),
    ...(bullmq === null
      ? []
      : [
          {
            what: `BullMQ sender (Redis, ${settings.bullmq.concurrency} at once)`,
            count: bullmq.count,
            seconds: bullmq.seconds,
            rate: bullmq.count / bullmq.seconds,
            ratio: bullmq.count / bullmq.seconds / ceiling.rate,
            target: 'reference',
            marker: bullmq.problems.length === 0 ? '' : 'INVALID',
          },
        ]),
    {
      what: `hookrelay publish (library, ${publishLanes} callers)`,
      count: hr.publish.count,
      seconds: hr.publish.seconds,
      rate: hr.publish.count / hr.publish.seconds,
      ratio: null,
      target: 'info (events/s)',
      marker: '',
    },
    {
      what: `REST baseline: Fastify, no key, no store`,
      count: restBaseline.accepted,
      seconds: restBaseline.seconds,
      rate: restBaselineRate,
      ratio: null,
      target: 'info (requests/s)',
      marker: '',
    },
    {
      what: `REST publish, 1 subscriber (${settings.rest.connections} connections)`,
      count: rest.accepted,
      seconds: rest.seconds,
      rate: restRate,
      ratio: null,
      target: `≥ ${restTarget.toLocaleString('en-US')} events/s`,
      marker: rest.problems.length > 0 ? 'INVALID' : restRate >= restTarget ? 'PASS' : 'BELOW',
    },
    ...(postgres?.rows ?? []),
    ...shapes.rows,
  ]
  console.log()
  console.log(formatTable(rows))
  console.log()
  console.log(
    `the median round of ${rounds} is shown; ratios of every round: ` +
      played.map((r) => `${(r.ratio * 100).toFixed(1)}%`).join(', '),
  )
  const warm = played[0]!
  if (warm.hr.warmup !== null) {
    // Both sides warm up for tens of thousands of requests before the clock starts: the receiver
    // and both senders keep getting faster until then, so cold numbers compare badly.
    const w = warm.ceiling.warmup
    const coldRatio = warm.hr.warmup.count / warm.hr.warmup.seconds / (w.count / w.seconds)
    console.log(
      `cold warm-up (not the target): ceiling ${perSecond(w.count, w.seconds)}/s over ` +
        `${w.count}, hookrelay ${perSecond(warm.hr.warmup.count, warm.hr.warmup.seconds)}/s ` +
        `over ${warm.hr.warmup.count} (${(coldRatio * 100).toFixed(0)}%)`,
    )
  }

  const { claim, record, publish, release } = hr.timings
  const cpuPer = (ms: number, n: number) => `${((ms / n) * 1000).toFixed(0)} µs`
  console.log(
    `ceiling: bench process ${Math.round(ceiling.cpuMs)} ms CPU (${cpuPer(ceiling.cpuMs, ceiling.count)}` +
      `/request), receiver ${Math.round(ceiling.receiverCpuMs)} ms CPU, over ` +
      `${Math.round(ceiling.seconds * 1000)} ms wall; event loop busy ` +
      `${(ceiling.eventLoopUtilization * 100).toFixed(0)}%`,
  )
  const per = (ms: number, n: number) => (n === 0 ? '—' : `${((ms / n) * 1000).toFixed(1)} µs`)
  const { bench, mainThread, threads } = hr.cpuMs
  const perDelivery = (ms: number) =>
    `${Math.round(ms)} ms (${cpuPer(ms, hr.deliver.count)}/delivery)`
  // The SQLite store's is the only worker thread; the others are V8's helpers (GC, compilers).
  const sqliteThread = threads?.WorkerThread
  const helpers = Object.entries(threads ?? {})
    .filter(([name]) => name !== 'MainThread' && name !== 'WorkerThread')
    .reduce((sum, [, ms]) => sum + ms, 0)
  const split =
    sqliteThread === undefined
      ? 'the SQLite thread and the helper threads the rest'
      : `the SQLite thread ${perDelivery(sqliteThread)}, V8's helper threads ${Math.round(helpers)} ms`
  console.log(
    `delivery: bench process ${Math.round(bench)} ms CPU, of which the main thread ` +
      `${perDelivery(mainThread)}, ${split}; receiver ${Math.round(hr.cpuMs.receiver)} ms CPU, ` +
      `over ${Math.round(hr.deliver.seconds * 1000)} ms wall; event loop busy ` +
      `${(hr.eventLoopUtilization * 100).toFixed(0)}%`,
  )
  console.log(
    `  claim:  ${claim.calls} calls, ${claim.items} rows, ${Math.round(claim.ms)} ms waited ` +
      `(${per(claim.ms, claim.items)}/delivery)`,
  )
  console.log(
    `  record: ${record.calls} calls, ${record.items} attempts, ${Math.round(record.ms)} ms waited ` +
      `(${per(record.ms, record.items)}/attempt, off the main thread)`,
  )
  if (release.calls > 0) {
    console.log(
      `  release: ${release.calls} calls gave back ${release.items} held deliveries ` +
        "(a saturated subscription's surplus, due again 1 s later)",
    )
  }
  console.log(
    `publish phase: publishEvent waited ${Math.round(publish.ms)} ms in all over ` +
      `${Math.round(hr.publish.seconds * 1000)} ms (${publish.calls} events, ${publish.items} deliveries)`,
  )

  console.log(
    `REST publish: hookrelay serve --role api in its own process, autocannon here; latency ` +
      `p50 ${rest.latencyMs.p50} ms, p99 ${rest.latencyMs.p99} ms; ${rest.errors} connection errors; ` +
      `CPU over ${rest.seconds} s: server ${rest.cpuMs.server === null ? '?' : Math.round(rest.cpuMs.server)} ms, ` +
      `load generator ${Math.round(rest.cpuMs.load)} ms (${machine.cpus} cores in all); ` +
      `${((restRate / restBaselineRate) * 100).toFixed(0)}% of the baseline's rate`,
  )

  if (bullmq !== null) {
    const over = median.rate / (bullmq.count / bullmq.seconds)
    console.log(
      `hookrelay sqlite: ${over.toFixed(1)}× the BullMQ sender (≥ ${overBullmqTarget}×) ` +
        `${over >= overBullmqTarget ? 'PASS' : 'BELOW'}; BullMQ queued ${bullmq.jobs} jobs in ` +
        `${bullmq.enqueueSeconds.toFixed(2)} s (not timed)`,
    )
  }

  if (pgUrl === null) {
    console.log(
      'postgres rows skipped: set HOOKRELAY_BENCH_PG (or HOOKRELAY_TEST_PG) to postgres://…',
    )
  }
  for (const note of postgres?.notes ?? []) console.log(note)
  printShapes(shapes)

  const pgProblems = [...postgresFailures, ...(postgres?.problems ?? [])]
  const bullmqProblems = [...bullmqFailures, ...(bullmq?.problems ?? [])]
  for (const problem of [
    ...ceilingProblems,
    ...hrProblems,
    ...rest.problems,
    ...bullmqProblems,
    ...pgProblems,
  ]) {
    console.error(`!!! ${problem}`)
  }
  if (!complete) {
    console.error(
      `!!! HOOKRELAY DID NOT DELIVER EVERYTHING: ${hr.deliver.count} of ${expected} deliveries ` +
        'succeeded in the median round; its rate above is not a valid result',
    )
  }
  const failed = [ceilingProblems, rest.problems, bullmqProblems, pgProblems, shapes.problems].some(
    (p) => p.length > 0,
  )
  if (failed || !valid) process.exitCode = 1

  const result = {
    at: new Date().toISOString(),
    machine,
    quick,
    scale,
    settings,
    rows,
    rounds: played,
    rest,
    restBaseline,
    bullmq: bullmq ?? { skipped: bullmqSkipped, problems: bullmqProblems },
    ceiling: { received: ceilingReceived, problems: ceilingProblems },
    postgres: postgres ?? { skipped: pgUrl === null, problems: pgProblems },
    shapes: Object.fromEntries(
      Object.entries(shapes.details).map(([row, details]) => [
        row,
        { at: new Date().toISOString(), quick, settings: shapesSettings, details },
      ]),
    ),
  }
  await mkdir(benchDir, { recursive: true })
  await writeFile(new URL('last.json', benchDir), `${JSON.stringify(result, null, 2)}\n`)
  console.log('\nwritten to .bench/last.json')
} finally {
  await receiver.stop()
}
