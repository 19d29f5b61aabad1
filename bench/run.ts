/**
 * `npm run bench`: the design's SQLite performance target, measured in one run on this machine.
 * A receiver runs in its own process; the ceiling (sign + POST with undici, nothing stored) and
 * Hookrelay on a SQLite file (every attempt recorded) send to it in turn. Both warm up for tens
 * of thousands of requests first (the receiver and both senders keep speeding up until then), and
 * the ceiling is timed in two halves around the Hookrelay phase.
 *
 * Flags: `--quick` runs a fifth of the counts; `BENCH_SCALE=2` doubles them. `BENCH_HOLD_CLAIMS=0`
 * publishes without holding the worker's claims back. Writes `.bench/last.json`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { runCeiling } from './ceiling.ts'
import { runHookrelaySqlite } from './hookrelay-sqlite.ts'
import { bodyBytes } from './payload.ts'
import { startReceiver } from './receiver-process.ts'
import { formatTable, type Row } from './table.ts'

const targetRatio = 0.75

const quick = process.argv.includes('--quick')
const scale = Number(process.env.BENCH_SCALE ?? '1')
if (!Number.isFinite(scale) || scale <= 0) throw new Error('BENCH_SCALE must be a positive number')
const counted = (n: number) => Math.max(1, Math.round((n * scale) / (quick ? 5 : 1)))

const settings = {
  inFlight: 64,
  ceiling: { count: counted(30_000), warmup: counted(30_000), rewarm: counted(2_000) },
  hookrelay: {
    events: counted(4_000),
    subscriptions: 8,
    warmupEvents: counted(3_000),
    concurrency: 64,
    subscriptionConcurrency: 10,
    batchSize: 1_024,
    holdClaims: process.env.BENCH_HOLD_CLAIMS !== '0',
  },
}

const machine = {
  node: process.version,
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  platform: `${process.platform} ${process.arch}`,
}
console.log(`hookrelay bench — node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel})`)
console.log(
  `${bodyBytes} B bodies, ${settings.inFlight} in flight, receiver in its own process on 127.0.0.1` +
    `${quick ? ', --quick' : ''}${scale !== 1 ? `, BENCH_SCALE=${scale}` : ''}`,
)

const receiver = await startReceiver()
try {
  // The ceiling is measured in two halves around the Hookrelay phase, so that a machine getting
  // busier or quieter during the run (these machines are shared) weighs on both sides alike.
  const measureCeiling = async (count: number, warmup: number) => {
    let receiverCpu = 0
    const result = await runCeiling({
      port: receiver.port,
      inFlight: settings.inFlight,
      count,
      warmup,
      phase: {
        started: async () => {
          receiverCpu = (await receiver.counts()).cpuMs
        },
        ended: async () => {
          receiverCpu = (await receiver.counts()).cpuMs - receiverCpu
        },
      },
    })
    return { ...result, receiverCpuMs: receiverCpu }
  }
  const firstHalf = Math.ceil(settings.ceiling.count / 2)
  const before = await measureCeiling(firstHalf, settings.ceiling.warmup)
  const hr = await runHookrelaySqlite({ receiver, ...settings.hookrelay })
  const after = await measureCeiling(settings.ceiling.count - firstHalf, settings.ceiling.rewarm)
  const ceiling = {
    count: before.count + after.count,
    seconds: before.seconds + after.seconds,
    failed: before.failed + after.failed,
    cpuMs: before.cpuMs + after.cpuMs,
    receiverCpuMs: before.receiverCpuMs + after.receiverCpuMs,
    eventLoopUtilization:
      (before.eventLoopUtilization * before.seconds + after.eventLoopUtilization * after.seconds) /
      (before.seconds + after.seconds),
    halves: [before, after].map((h) => ({
      count: h.count,
      seconds: h.seconds,
      rate: h.count / h.seconds,
      warmup: h.warmup,
    })),
  }
  const ceilingReceived = (await receiver.counts()).byPath['/ceiling'] ?? 0
  const ceilingProblems: string[] = []
  if (ceiling.failed > 0)
    ceilingProblems.push(`${ceiling.failed} ceiling requests did not answer 200`)
  const ceilingSent = ceiling.count + settings.ceiling.warmup + settings.ceiling.rewarm
  if (ceilingReceived !== ceilingSent) {
    ceilingProblems.push(`receiver counted ${ceilingReceived} of ${ceilingSent} ceiling requests`)
  }

  const expected = hr.publish.count * settings.hookrelay.subscriptions

  const ceilingRate = ceiling.count / ceiling.seconds
  const deliverRate = hr.deliver.count / hr.deliver.seconds
  const ratio = deliverRate / ceilingRate
  const { complete } = hr
  const valid = complete && hr.problems.length === 0
  const rows: Row[] = [
    {
      what: 'ceiling (undici, no storage)',
      count: ceiling.count,
      seconds: ceiling.seconds,
      rate: ceilingRate,
      ratio: 1,
      target: 'reference',
      marker: ceilingProblems.length === 0 ? '' : 'INVALID',
    },
    {
      what: 'hookrelay sqlite (every attempt recorded)',
      count: hr.deliver.count,
      seconds: hr.deliver.seconds,
      rate: deliverRate,
      ratio,
      target: `≥ ${targetRatio * 100}% of ceiling`,
      marker: !complete
        ? 'INCOMPLETE'
        : !valid
          ? 'INVALID'
          : ratio >= targetRatio
            ? 'PASS'
            : 'BELOW',
    },
    {
      what: `hookrelay publish (library, ${settings.hookrelay.subscriptions} subscribers)`,
      count: hr.publish.count,
      seconds: hr.publish.seconds,
      rate: hr.publish.count / hr.publish.seconds,
      ratio: null,
      target: 'info (events/s)',
      marker: '',
    },
  ]
  console.log()
  console.log(formatTable(rows))
  console.log()

  const perSecond = (count: number, seconds: number) =>
    Math.round(count / seconds).toLocaleString('en-US')
  console.log(
    `ceiling halves, before and after the Hookrelay phase: ` +
      ceiling.halves.map((h) => `${perSecond(h.count, h.seconds)}/s`).join(', '),
  )
  if (hr.warmup !== null) {
    // Both sides warm up for tens of thousands of requests before the clock starts: the receiver
    // and both senders keep getting faster until then, so cold numbers compare badly.
    const coldRatio =
      hr.warmup.count / hr.warmup.seconds / (before.warmup.count / before.warmup.seconds)
    console.log(
      `cold warm-up rounds (not the target): ceiling ` +
        `${perSecond(before.warmup.count, before.warmup.seconds)}/s over ${before.warmup.count}, ` +
        `hookrelay ${perSecond(hr.warmup.count, hr.warmup.seconds)}/s over ${hr.warmup.count} ` +
        `(${(coldRatio * 100).toFixed(0)}%)`,
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
  console.log(
    `delivery: bench process ${Math.round(hr.cpuMs.bench)} ms CPU ` +
      `(${cpuPer(hr.cpuMs.bench, hr.deliver.count)}/delivery), receiver ` +
      `${Math.round(hr.cpuMs.receiver)} ms CPU, over ${Math.round(hr.deliver.seconds * 1000)} ms ` +
      `wall; event loop busy ${(hr.eventLoopUtilization * 100).toFixed(0)}%`,
  )
  console.log(
    `  claim:  ${claim.calls} calls, ${claim.items} rows, ${Math.round(claim.ms)} ms ` +
      `(${per(claim.ms, claim.items)}/delivery)`,
  )
  console.log(
    `  record: ${record.calls} calls, ${record.items} attempts, ${Math.round(record.ms)} ms ` +
      `(${per(record.ms, record.items)}/attempt)`,
  )
  if (release.calls > 0) {
    console.log(
      `  release: ${release.calls} calls gave back ${release.items} held deliveries ` +
        "(a saturated subscription's surplus, due again 1 s later)",
    )
  }
  console.log(
    `  other (sign, HTTP, worker): ${Math.round(hr.deliver.seconds * 1000 - claim.ms - record.ms)} ms`,
  )
  console.log(
    `publish phase: insertEvent ${Math.round(publish.ms)} ms of ` +
      `${Math.round(hr.publish.seconds * 1000)} ms (${publish.calls} events, ${publish.items} deliveries)`,
  )

  for (const problem of [...ceilingProblems, ...hr.problems]) {
    console.error(`!!! ${problem}`)
  }
  if (!complete) {
    console.error(
      `!!! HOOKRELAY DID NOT DELIVER EVERYTHING: ${hr.deliver.count} of ${expected} deliveries ` +
        'succeeded; its rate above is not a valid result',
    )
  }
  if (ceilingProblems.length > 0 || !valid) process.exitCode = 1

  const result = {
    at: new Date().toISOString(),
    machine,
    quick,
    scale,
    settings,
    rows,
    ceiling: {
      ...ceiling,
      received: ceilingReceived,
      problems: ceilingProblems,
    },
    hookrelay: hr,
  }
  const dir = new URL('../.bench/', import.meta.url)
  await mkdir(dir, { recursive: true })
  await writeFile(new URL('last.json', dir), `${JSON.stringify(result, null, 2)}\n`)
  console.log('\nwritten to .bench/last.json')
} finally {
  await receiver.stop()
}
