/**
 * One phase of the benchmark alone, profiled: writes `.bench/<target>.cpuprofile` covering only
 * the timed part, for `summarize-profile.ts`. Target `hookrelay` (default, SQLite), `postgres`
 * (one worker, on `HOOKRELAY_BENCH_PG` or `HOOKRELAY_TEST_PG`) or `ceiling`:
 * `node --experimental-strip-types --no-warnings=ExperimentalWarning bench/profile.ts [ceiling]`
 * Env: `BENCH_EVENTS`, `BENCH_CONCURRENCY`, `BENCH_SUB_CONCURRENCY`, `BENCH_PROFILE=0`; for
 * diagnosis `BENCH_RECORD_DELAY_MS=20`.
 */
import { subscribe } from 'node:diagnostics_channel'
import { mkdir, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { PerformanceObserver } from 'node:perf_hooks'
import { runCeiling } from '../src/bench/ceiling.ts'
import { runHookrelaySqlite } from '../src/bench/hookrelay-sqlite.ts'
import { runHookrelayPostgres } from './hookrelay-postgres.ts'
import { postgresUrl } from './postgres-rows.ts'
import { startReceiver } from '../src/bench/receiver-process.ts'

const target = process.argv[2] ?? 'hookrelay'
if (target !== 'hookrelay' && target !== 'postgres' && target !== 'ceiling') {
  throw new Error('target: hookrelay, postgres or ceiling')
}
const pgUrl = postgresUrl()
if (target === 'postgres' && pgUrl === null) throw new Error('set HOOKRELAY_BENCH_PG=postgres://…')
const events = Number(process.env.BENCH_EVENTS ?? '4000')
const profiling = process.env.BENCH_PROFILE !== '0'
const session = new Session()
session.connect()
const out = new URL(`../.bench/${target}.cpuprofile`, import.meta.url)
const phase = {
  async started() {
    if (!profiling) return
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 200 })
    await session.post('Profiler.start')
  },
  async ended() {
    if (!profiling) return
    const { profile } = await session.post('Profiler.stop')
    await mkdir(new URL('./', out), { recursive: true })
    await writeFile(out, JSON.stringify(profile))
  },
}

// Requests in flight, averaged over time: is the concurrency cap held all along?
let inFlight = 0
let tracing = false
let weighted = 0
let tracedMs = 0
let changedAt = performance.now()
const change = (by: number) => {
  const now = performance.now()
  if (tracing) {
    weighted += inFlight * (now - changedAt)
    tracedMs += now - changedAt
  }
  changedAt = now
  inFlight += by
}
subscribe('undici:request:create', () => change(1))
const done = () => change(-1)
subscribe('undici:request:trailers', done)
subscribe('undici:request:error', done)
const tracedPhase = {
  async started() {
    threadCpu = process.threadCpuUsage()
    change(0)
    tracing = true
    await phase.started()
  },
  async ended() {
    const used = process.threadCpuUsage(threadCpu)
    threadCpuMs = (used.user + used.system) / 1000
    change(0)
    tracing = false
    await phase.ended()
  },
}

let threadCpu = process.threadCpuUsage()
let threadCpuMs = 0
let gcMs = 0
let gcCount = 0
new PerformanceObserver((list) => {
  if (!tracing) return
  for (const entry of list.getEntries()) {
    gcMs += entry.duration
    gcCount++
  }
}).observe({ entryTypes: ['gc'] })

const receiver = await startReceiver()
try {
  if (target === 'ceiling') {
    const r = await runCeiling({
      port: receiver.port,
      count: events * 8,
      warmup: 30_000,
      inFlight: 64,
      phase: tracedPhase,
    })
    console.log(
      `${r.count} requests in ${r.seconds.toFixed(2)} s = ${Math.round(r.count / r.seconds)}/s; ` +
        `CPU ${Math.round(r.cpuMs)} ms; event loop busy ${(r.eventLoopUtilization * 100).toFixed(0)}%`,
    )
  } else {
    const options = {
      receiver,
      events,
      subscriptions: 8,
      warmupEvents: 3_000,
      concurrency: Number(process.env.BENCH_CONCURRENCY ?? '64'),
      subscriptionConcurrency: Number(process.env.BENCH_SUB_CONCURRENCY ?? '10'),
      batchSize: 1_024,
      holdClaims: true,
      diagnosis: {
        recordDelayMs: Number(process.env.BENCH_RECORD_DELAY_MS ?? '0'),
      },
      phase: tracedPhase,
    }
    const r =
      pgUrl !== null && target === 'postgres'
        ? await runHookrelayPostgres({ ...options, url: pgUrl, workers: 1 })
        : await runHookrelaySqlite(options)
    console.log(
      `${r.deliver.count} deliveries in ${r.deliver.seconds.toFixed(2)} s = ` +
        `${Math.round(r.deliver.count / r.deliver.seconds)}/s; CPU bench ${Math.round(r.cpuMs.bench)} ms, ` +
        `receiver ${Math.round(r.cpuMs.receiver)} ms; event loop busy ` +
        `${(r.eventLoopUtilization * 100).toFixed(0)}%`,
    )
    console.log(JSON.stringify(r.timings))
    for (const problem of r.problems) console.error(`!!! ${problem}`)
  }
  console.log(
    `requests in flight: ${(weighted / tracedMs).toFixed(1)} on average over the timed phase`,
  )
  console.log(`main thread CPU: ${Math.round(threadCpuMs)} ms`)
  console.log(`garbage collection: ${gcCount} pauses, ${Math.round(gcMs)} ms in the timed phase`)
  if (profiling) console.log(`profile of the timed phase: .bench/${target}.cpuprofile`)
} finally {
  session.disconnect()
  await receiver.stop()
}
