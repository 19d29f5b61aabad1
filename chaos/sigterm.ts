/**
 * Chaos scenario `sigterm`: a `hookrelay serve` gets SIGTERM with 50 deliveries in flight to a
 * receiver slower than its shutdown grace, once on SQLite and once on PostgreSQL (a fresh schema),
 * both at once. While it stops, the API must answer 503 with `Retry-After` rather than refuse
 * connections; it must exit 0 soon after the grace; every attempt in flight must be recorded as
 * interrupted; and after a restart on the same database every one must be sent again at once,
 * not after its lease (30 s) runs out.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { dropSchema } from '../bench/postgres-schema.ts'
import type { Served } from '../test/cli/serve-process.ts'
import { ApiClient, freshDatabase, setUpTenant, subscribe, until } from '../test/support/faults.ts'
import { TestReceiver } from '../test/support/receiver.ts'
import { startChaosServe, stopQuietly } from './chaos-serve.ts'
import type { ChaosContext, ChaosRow, Scenario } from './scenario.ts'
import { StopProbe } from './stop-probe.ts'

/** Subscriptions, each its own receiver path: each starts with 10 attempts in flight at most. */
const subscriptions = 5
const events = 10
const inFlightWanted = subscriptions * events
/** How much slower than the grace the receiver answers: no attempt can finish within it. */
const slowerThanGraceMs = 3_000
/** How long past the grace the process may take to exit: the aborts and their records. */
const exitSlackMs = 2_000
/** How soon after the restart every interrupted delivery must arrive again: far under a lease. */
const resendWithinMs = 5_000
/** `hookrelay serve`'s lease of a claimed delivery: a delivery nobody recorded is sent after it. */
const leaseMs = 30_000
/**
 * How long before exiting the process may stop listening: the time to close the listener, the
 * sender and the store once the worker has stopped. The port is closed at some moment before any
 * process exits; a server that closed it as the stop began would refuse clients for the whole
 * grace.
 */
const closedBeforeExitLimitMs = 1_000

/** The `sigterm` scenario (see the file's comment). */
export const sigterm: Scenario = {
  name: 'sigterm',
  budget: { quickMs: 10_000, fullMs: 40_000 },
  async run(context) {
    const graceS = context.quick ? 1 : 2
    await mkdir(context.dir, { recursive: true })
    return Promise.all([
      stopRow('sqlite', join(context.dir, 'sigterm.db'), graceS, context),
      postgresRow(graceS, context),
    ])
  },
}

async function postgresRow(graceS: number, context: ChaosContext): Promise<ChaosRow> {
  const url = context.postgresUrl
  if (url === null) {
    return row('postgres', [], ['no PostgreSQL: set HOOKRELAY_CHAOS_PG or HOOKRELAY_TEST_PG'])
  }
  const { schema, database } = freshDatabase(url)
  try {
    return await stopRow('postgres', database, graceS, context)
  } finally {
    await dropSchema(url, schema)
  }
}

/** One store's row: stop a server mid-delivery, restart it, and count (see the file's comment). */
async function stopRow(
  store: ChaosRow['store'],
  database: string,
  graceS: number,
  context: ChaosContext,
): Promise<ChaosRow> {
  const receiver = await TestReceiver.start()
  const paths = Array.from({ length: subscriptions }, (_, i) => `/slow-${i + 1}`)
  for (const path of paths) {
    receiver.always(path, { kind: 'delay', ms: graceS * 1000 + slowerThanGraceMs, status: 200 })
  }
  const flags = ['--shutdown-grace', String(graceS)]
  let first: Served | undefined
  let second: Served | undefined
  let api: ApiClient | undefined
  try {
    first = await startChaosServe(database, flags)
    api = new ApiClient(first.url)
    const key = await setUpTenant(api)
    const pathOf = new Map<string, string>()
    for (const path of paths) {
      const id = await subscribe(api, key, {
        name: path,
        events: ['order.*'],
        config: { url: receiver.url + path },
      })
      pathOf.set(id, path)
    }
    const eventIds: string[] = []
    for (let k = 0; k < events; k++) {
      const answer = await api.publish(key, { k })
      if (answer.status !== 202) throw new Error(`publish: ${answer.status}`)
      eventIds.push(answer.body.id as string)
    }
    await receiver.waitWithin(inFlightWanted, 5_000).catch(() => {})
    // Each (path, event) is one delivery, none answered yet; when its attempt went out.
    const inFlight = new Map(receiver.received.map((request) => [pairOf(request), request.at]))
    await api.close()
    api = undefined

    context.progress(`${store}: SIGTERM with ${inFlight.size} attempts in flight`)
    const probe = new StopProbe(first.url, key)
    const sigtermAt = performance.now()
    const sigtermWall = Date.now()
    first.child.kill('SIGTERM')
    const code = await exitWithin(first, graceS * 1000 + 10_000)
    const exitMs = performance.now() - sigtermAt
    const answers = await probe.exited()

    for (const path of paths) receiver.always(path, { kind: 'status', status: 200 })
    const sentBefore = receiver.received.length
    // The worker starts before the server prints that it is ready: re-sends count from the spawn.
    const restartAt = performance.now()
    second = await startChaosServe(database, flags)
    const readyMs = performance.now() - restartAt
    // Each re-sent delivery, with when it arrived again.
    const resent = new Map<string, number>()
    const countResent = () => {
      for (const request of receiver.received.slice(sentBefore)) {
        const pair = pairOf(request)
        if (inFlight.has(pair) && !resent.has(pair)) resent.set(pair, request.at)
      }
      return resent.size === inFlight.size
    }
    await until(countResent, resendWithinMs, 're-sent').catch(() => {})
    countResent()
    // Sent again once its first attempt's lease ran out, not at once: from the first attempt.
    const afterLease = [...resent].filter(([pair, at]) => at - inFlight.get(pair)! >= leaseMs)

    api = new ApiClient(second.url)
    const recorded = await recordedBefore(api, key, eventIds, pathOf, inFlight, sigtermWall)
    const slowest = resent.size === 0 ? null : Math.max(...resent.values()) - restartAt
    const figures: ChaosRow['figures'] = [
      ['grace (s)', graceS],
      ['in flight', inFlight.size],
      ['recorded', recorded.recorded],
      ['unrecorded', inFlight.size - recorded.recorded],
      ['interrupted', recorded.interrupted],
      ['503s', answers.unavailable + answers.unavailableNoRetryAfter],
      ['without Retry-After', answers.unavailableNoRetryAfter],
      ['refused during stop', answers.unanswered],
      [
        'port closed before exit (ms)',
        answers.closedBeforeExitMs === null ? '—' : Math.round(answers.closedBeforeExitMs),
      ],
      ['exit code', code ?? 'killed'],
      ['seconds to exit', Number((exitMs / 1000).toFixed(1))],
      ['re-sent after restart', resent.size],
      ['restart ready (s)', Number((readyMs / 1000).toFixed(1))],
      ['slowest re-send (s)', slowest === null ? '—' : Number((slowest / 1000).toFixed(1))],
    ]
    if (recorded.errors !== '') figures.push(['recorded as', recorded.errors])
    const failures: string[] = []
    if (inFlight.size < inFlightWanted) failures.push(`only ${inFlight.size} attempts in flight`)
    if (recorded.recorded < inFlight.size) {
      failures.push(`${inFlight.size - recorded.recorded} attempts in flight never recorded`)
    }
    if (recorded.interrupted < recorded.recorded) {
      failures.push(
        `${recorded.recorded - recorded.interrupted} recorded as answered, not interrupted`,
      )
    }
    if ((answers.closedBeforeExitMs ?? 0) > closedBeforeExitLimitMs) {
      failures.push(
        `port closed ${(answers.closedBeforeExitMs! / 1000).toFixed(1)} s before exit: ` +
          `${answers.unanswered} requests refused (${answers.firstError})`,
      )
    }
    if (answers.unansweredThenAnswered > 0) {
      failures.push(
        `${answers.unansweredThenAnswered} requests refused while the port still answered`,
      )
    }
    if (answers.unavailable === 0) failures.push('no 503 with Retry-After during stop')
    if (answers.unavailableNoRetryAfter > 0) {
      failures.push(`${answers.unavailableNoRetryAfter} 503s without Retry-After`)
    }
    if (code !== 0) failures.push(`exit code ${code ?? 'none: killed'}`)
    if (exitMs > graceS * 1000 + exitSlackMs) {
      failures.push(`exited ${(exitMs / 1000).toFixed(1)} s after SIGTERM, grace ${graceS} s`)
    }
    if (afterLease.length > 0) {
      failures.push(`${afterLease.length} re-sent only once their lease ran out, not at once`)
    }
    if (resent.size < inFlight.size) {
      failures.push(
        `${inFlight.size - resent.size} not re-sent within ${resendWithinMs / 1000} s of restart`,
      )
    }
    return row(store, figures, failures)
  } catch (err) {
    return row(store, [], [err instanceof Error ? err.message.split('\n')[0]! : String(err)])
  } finally {
    await api?.close()
    await stopQuietly(first, 0)
    await stopQuietly(second)
    await receiver.close()
  }
}

/** The delivery a request was for: its path (one per subscription) and event id. */
function pairOf(request: { path: string; headers: Record<string, unknown> }): string {
  return `${request.path} ${String(request.headers['webhook-id'])}`
}

/** Resolves to the exit code, or to null after SIGKILL once `ms` have passed without one. */
async function exitWithin(served: Served, ms: number): Promise<number | null> {
  const timer = setTimeout(() => served.child.kill('SIGKILL'), ms)
  try {
    return await served.exited
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Of the deliveries in flight at SIGTERM, over the REST API: how many have an attempt recorded
 * that started before it, how many of those were recorded without an answer (interrupted), and
 * the errors they were recorded with.
 */
async function recordedBefore(
  api: ApiClient,
  key: string,
  eventIds: string[],
  pathOf: Map<string, string>,
  inFlight: { has(pair: string): boolean },
  sigtermWall: number,
): Promise<{ recorded: number; interrupted: number; errors: string }> {
  let recorded = 0
  let interrupted = 0
  const errors = new Map<string, number>()
  for (const eventId of eventIds) {
    const answer = await api.call('GET', `/webhooks/events/${eventId}`, key)
    if (answer.status !== 200) throw new Error(`GET event: ${answer.status}`)
    const attempts = answer.body.attempts as {
      subscriptionId: string
      startedAt: string
      statusCode: number | null
      error: string | null
    }[]
    for (const [subscriptionId, path] of pathOf) {
      if (!inFlight.has(`${path} ${eventId}`)) continue
      const before = attempts.filter(
        (a) => a.subscriptionId === subscriptionId && Date.parse(a.startedAt) < sigtermWall,
      )
      if (before.length === 0) continue
      recorded++
      const last = before.at(-1)!
      const error = last.error ?? `HTTP ${last.statusCode}`
      errors.set(error, (errors.get(error) ?? 0) + 1)
      if (last.statusCode === null && last.error !== null) interrupted++
    }
  }
  const listed = [...errors].map(([error, count]) => `${error} ${count}`).join(', ')
  return { recorded, interrupted, errors: listed }
}

function row(store: ChaosRow['store'], figures: ChaosRow['figures'], failures: string[]): ChaosRow {
  return { scenario: 'sigterm', store, figures, failures }
}
