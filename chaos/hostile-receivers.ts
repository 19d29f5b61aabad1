/**
 * Chaos scenario `hostile`: one `hookrelay serve` delivers to seven hostile receivers at once (one
 * that hangs, one that streams a 1 GiB body, one that answers a byte a second, one that hangs up
 * mid-answer, one with a 200 KB header, one that answers 410 Gone, one that answers 429 with
 * `Retry-After: 5`) and to three healthy ones, each its own subscription, all getting the same
 * steady stream of events. It first runs the healthy receivers alone, for the figures to compare
 * with: the server's memory and how fast healthy deliveries keep up.
 *
 * It fails when the server's peak memory grows past its healthy-alone peak by more than
 * `memoryHeadroom`, when healthy deliveries keep under 70% of their pace alone or any is lost,
 * when the server dies, and when Hookrelay records a hostile receiver's answers wrongly (see
 * hostile-verdicts.ts).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Served } from '../test/cli/serve-process.ts'
import { ApiClient, setUpTenant, subscribe, until } from '../test/support/faults.ts'
import { TestReceiver } from '../test/support/receiver.ts'
import { running, startChaosServe, stopQuietly } from './chaos-serve.ts'
import { HostileServer, hostilities } from './hostile-server.ts'
import { attemptTimeoutMs, hostileRow, tooManyRetrySchedule } from './hostile-verdicts.ts'
import { MemorySampler } from './memory-sampler.ts'
import type { ChaosContext, ChaosRow, Scenario } from './scenario.ts'
import { type Pace, paceOf, publishSteadily, type SteadyLoad } from './steady-load.ts'

/**
 * How far the server's resident memory may grow past its peak on healthy load alone: 256 MiB.
 * The hostile receivers triple the attempts a second (retries, failures to record), and V8 lets
 * its heap grow with the rate it allocates at: measured, the peak settles about 150 MiB above the
 * healthy one after 35 s and stays there, while the same load under `--max-old-space-size=48`
 * stays within 30 MiB of it — room the collector takes, not memory held. Holding the 1 GiB body,
 * or the bytes of every hung or dripping connection without bound, goes far past 256 MiB.
 */
const memoryHeadroom = 256 * 1024 ** 2
/** Healthy deliveries must keep at least this share of their pace alone. */
const leastPaceShare = 0.7
/** Events per second, offered alike to every subscription. */
const perSecond = 25
const healthyPaths = ['/healthy-1', '/healthy-2', '/healthy-3']

/** The `hostile` scenario (see the file's comment). */
export const hostileReceivers: Scenario = {
  name: 'hostile',
  budget: { quickMs: 10_000, fullMs: 90_000 },
  run,
}

async function run(context: ChaosContext): Promise<ChaosRow[]> {
  // Quick: too short for a 15 s timeout, long enough for a 429's retry 5 s later.
  const aloneMs = context.quick ? 1_000 : 15_000
  const hostileMs = context.quick ? 5_500 : attemptTimeoutMs * 3
  await mkdir(context.dir, { recursive: true })
  const healthy = await TestReceiver.start()
  const servers: HostileServer[] = []
  let serve: Served | undefined
  let api: ApiClient | undefined
  let memory: MemorySampler | undefined
  try {
    for (const hostility of hostilities) servers.push(await HostileServer.start(hostility))
    serve = await startChaosServe(join(context.dir, 'hostile.db'))
    context.progress(`serving at ${serve.url}`)
    memory = new MemorySampler(serve.child.pid!)
    api = new ApiClient(serve.url, 32)
    const key = await setUpTenant(api)
    for (const path of healthyPaths) {
      await subscribe(api, key, {
        name: path,
        events: ['order.*'],
        config: { url: healthy.url + path },
      })
    }

    // A few events first, not counted: the first deliveries of a fresh process are slow.
    await loadHealthy(api, key, healthy, 400, context)
    context.progress(`healthy receivers alone, ${perSecond} events/s for ${aloneMs / 1000} s`)
    memory.restart()
    const alone = await loadHealthy(api, key, healthy, aloneMs, context)
    const baseline = memory.peak

    const ids: string[] = []
    for (const server of servers) {
      ids.push(
        await subscribe(api, key, {
          name: server.hostility,
          events: ['order.*'],
          config: { url: server.url },
          ...(server.hostility === 'too-many' ? { retrySchedule: tooManyRetrySchedule } : {}),
        }),
      )
    }
    context.progress(`with ${servers.length} hostile receivers, for ${hostileMs / 1000} s`)
    memory.restart()
    const started = performance.now()
    const hostile = await loadHealthy(api, key, healthy, hostileMs, context)

    context.progress('reading what each hostile receiver ended with')
    const rows: ChaosRow[] = []
    for (const [i, server] of servers.entries()) {
      rows.push(await hostileRow(api, key, server, ids[i]!, performance.now() - started))
    }
    await memory.sample()
    const alive = running(serve) && (await api.call('GET', '/readyz')).status === 200
    return [summaryRow(alone, hostile, baseline, memory, alive), ...rows]
  } finally {
    memory?.stop()
    await api?.close()
    // Its graceful stop is not what this scenario tries: it would wait on the hung attempts.
    await stopQuietly(serve, 0)
    await Promise.all(servers.map((server) => server.close()))
    await healthy.close()
  }
}

/** A phase's healthy deliveries: the load offered, and how it kept up. */
interface Phase {
  load: SteadyLoad
  pace: Pace
}

/**
 * Publishes steadily for `ms` and waits (a while, within the scenario's deadline) until every
 * healthy receiver got every acknowledged event; then measures the pace at the receivers.
 */
async function loadHealthy(
  api: ApiClient,
  key: string,
  healthy: TestReceiver,
  ms: number,
  context: ChaosContext,
): Promise<Phase> {
  const load = await publishSteadily(api, key, { perSecond, ms })
  const wait = Math.max(
    1_000,
    Math.min(context.quick ? 2_000 : 20_000, context.deadline - Date.now()),
  )
  const delivered = () => {
    const pace = paceOf(healthy.received, healthyPaths, load)
    return pace.delivered === pace.owed
  }
  await until(delivered, wait, 'healthy deliveries').catch(() => {})
  return { load, pace: paceOf(healthy.received, healthyPaths, load) }
}

/** The row of the server and its healthy receivers: memory and pace, alone and with hostility. */
function summaryRow(
  alone: Phase,
  hostile: Phase,
  baseline: number,
  memory: MemorySampler,
  alive: boolean,
): ChaosRow {
  const mib = (bytes: number) => Math.round(bytes / 1024 ** 2)
  const share = hostile.pace.perSecond / alone.pace.perSecond
  const failures: string[] = []
  if (!alive) failures.push('the server died or stopped answering')
  if (memory.peak > baseline + memoryHeadroom) {
    failures.push(`peak memory ${mib(memory.peak)} MiB, past ${mib(baseline + memoryHeadroom)}`)
  }
  for (const [name, phase] of [
    ['alone', alone],
    ['with hostile', hostile],
  ] as const) {
    const lost = phase.pace.owed - phase.pace.delivered
    if (lost > 0) failures.push(`${lost} healthy deliveries ${name} never arrived`)
    if (phase.load.refused.length > 0) {
      failures.push(
        `${phase.load.refused.length} publishes refused ${name}: ${phase.load.refused[0]}`,
      )
    }
  }
  if (share < leastPaceShare) {
    failures.push(`healthy pace with hostile receivers ${Math.round(share * 100)}% of alone`)
  }
  return {
    scenario: 'hostile',
    store: 'sqlite',
    figures: [
      ['RSS alone (MiB)', mib(baseline)],
      ['peak with hostile (MiB)', mib(memory.peak)],
      ['bound', mib(baseline + memoryHeadroom)],
      ['healthy/s alone', Math.round(alone.pace.perSecond)],
      ['with hostile', Math.round(hostile.pace.perSecond)],
      ['p95 alone (ms)', Math.round(alone.pace.p95Ms)],
      ['with hostile', Math.round(hostile.pace.p95Ms)],
      [
        'healthy delivered',
        `${hostile.pace.delivered + alone.pace.delivered}/${hostile.pace.owed + alone.pace.owed}`,
      ],
      ['server up', alive ? 'yes' : 'no'],
    ],
    failures,
  }
}
