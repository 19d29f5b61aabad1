import type { ApiClient } from '../test/support/faults.ts'
import { type HostileServer, hugeBodyBytes } from './hostile-server.ts'
import type { ChaosRow } from './scenario.ts'

/** `hookrelay serve`'s time limit of one attempt (the engine's default; serve has no flag for it). */
export const attemptTimeoutMs = 15_000
/** The most of an answer's body Hookrelay reads and records (`maxResponseBytes`). */
const recordedBodyLimit = 4096
/**
 * The `too-many` subscription's own retry schedule: 4 s ± 20% jitter is at most 4.8 s, so a retry
 * 5 s or more after the 429 can only be the receiver's `Retry-After: 5` at work (Hookrelay lets a
 * `Retry-After` stretch a delay up to twice the scheduled one).
 */
export const tooManyRetrySchedule = [4_000, 4_000]
const retryAfterMs = 5_000
// Clock granularity between the receiver's stamp of one request and of the next.
const slackMs = 50
/**
 * What `huge-body` may write per request before Hookrelay's read of 4 KiB and hang-up reach it:
 * what loopback's socket buffers hold, a few MiB. A sender that read the body through would take
 * the whole GiB.
 */
const hugeBodySentLimit = 32 * 1024 ** 2

/** A delivery as `GET /webhooks/subscriptions/{id}/deliveries` lists it. */
interface DeliveryView {
  id: string
  eventId: string
  status: string
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
}

/** What one hostile receiver's subscription ended with, read over the REST API. */
interface Observed {
  state: string
  disabledReason: string | null
  updatedAt: string
  deliveries: DeliveryView[]
}

/** What a verdict reads (the receiver, the record, the API to read more) and adds to. */
interface Evidence {
  api: ApiClient
  key: string
  server: HostileServer
  seen: Observed
  figures: ChaosRow['figures']
  failures: string[]
}

/**
 * The row of one hostile receiver: what it got (counted at the receiver) and what Hookrelay
 * recorded of it (read over the REST API), with what is wrong with that for this kind of hostility.
 * `hostileMs` is how long the receiver was under load, which says whether a timeout can have come.
 */
export async function hostileRow(
  api: ApiClient,
  key: string,
  server: HostileServer,
  subscriptionId: string,
  hostileMs: number,
): Promise<ChaosRow> {
  const seen = await observe(api, key, subscriptionId)
  const attempted = seen.deliveries.filter((d) => d.attempts > 0)
  const attempts = attempted.reduce((sum, d) => sum + d.attempts, 0)
  const figures: ChaosRow['figures'] = [
    ['receiver', server.hostility],
    ['requests', server.requests.length],
    ['deliveries', seen.deliveries.length],
    ['attempts recorded', attempts],
    ['statuses', tally(seen.deliveries.map((d) => d.status))],
    ['last errors', tally(attempted.map((d) => d.lastError ?? `${d.lastStatusCode}`))],
  ]
  const failures: string[] = []
  const fail = (what: string) => failures.push(what)
  if (server.requests.length === 0) fail('never reached')
  const failedWith = (pattern: RegExp, what: string) => {
    const other = attempted.filter(
      (d) => d.lastStatusCode !== null || !pattern.test(d.lastError ?? ''),
    )
    if (other.length > 0) fail(`${other.length} deliveries last recorded other than ${what}`)
  }
  const evidence: Evidence = { api, key, server, seen, figures, failures }
  switch (server.hostility) {
    case 'hang':
    case 'drip':
      failedWith(/timed out/, 'a timeout')
      if (hostileMs > attemptTimeoutMs + 2_000 && attempts === 0) fail('no timeout recorded')
      break
    case 'cut-off':
    case 'huge-header':
      // No answer that can be used: a network failure, recorded at once, not after a timeout.
      failedWith(/^(?!timed out)./, 'a network error')
      if (attempts === 0) fail('no attempt recorded')
      break
    case 'huge-body':
      await hugeBodyVerdict(evidence)
      break
    case 'gone':
      goneVerdict(evidence)
      break
    case 'too-many':
      await tooManyVerdict(evidence)
      break
  }
  return { scenario: 'hostile', store: 'sqlite', figures, failures }
}

/** A 1 GiB answer is a success with its first 4 KiB recorded, and never read through. */
async function hugeBodyVerdict({ api, key, server, seen, figures, failures }: Evidence) {
  const perRequest = server.bytesSent / Math.max(1, server.requests.length)
  figures.push(['MiB sent per request', Number((perRequest / 1024 ** 2).toFixed(1))])
  if (perRequest > hugeBodySentLimit) {
    failures.push(`${(perRequest / 1024 ** 2).toFixed(0)} MiB of the body read per request`)
  }
  const other = seen.deliveries.filter((d) => d.attempts > 0 && d.status !== 'succeeded')
  if (other.length > 0) failures.push(`${other.length} deliveries not recorded as succeeded`)
  const succeeded = seen.deliveries.find((d) => d.status === 'succeeded')
  if (succeeded === undefined) {
    failures.push('no delivery succeeded')
    return
  }
  const attempt = (await attemptsOf(api, key, succeeded)).at(-1)
  const recorded = Buffer.byteLength(attempt?.responseBody ?? '')
  figures.push(['body recorded (bytes)', recorded], ['of', hugeBodyBytes])
  if (attempt?.statusCode !== 200) failures.push(`recorded status ${attempt?.statusCode}`)
  if (recorded === 0 || recorded > recordedBodyLimit) {
    failures.push(`${recorded} bytes of the body recorded`)
  }
}

/** 410 Gone disables the subscription, and nothing is sent to it after that. */
function goneVerdict({ server, seen, figures, failures }: Evidence): void {
  const disabledAt = Date.parse(seen.updatedAt)
  // A request started as the subscription was being disabled may arrive just after.
  const after = server.requests.filter((r) => r.wallAt > disabledAt + 500).length
  figures.push(['state', seen.state], ['requests after disabling', after])
  if (seen.state !== 'disabled') failures.push(`subscription ${seen.state}, not disabled`)
  else if (!/410/.test(seen.disabledReason ?? '')) {
    failures.push(`disabled because ${JSON.stringify(seen.disabledReason)}`)
  }
  if (after > 0) failures.push(`${after} requests after it was disabled`)
  const succeeded = seen.deliveries.filter((d) => d.status === 'succeeded').length
  if (succeeded > 0) failures.push(`${succeeded} deliveries recorded as succeeded`)
}

/** 429 with `Retry-After: 5`: each retry of a delivery comes 5 s or more after the one before. */
async function tooManyVerdict({ api, key, server, seen, figures, failures }: Evidence) {
  // At the receiver: the shortest time between two requests of the same event.
  const byEvent = new Map<string, number[]>()
  for (const request of server.requests) {
    if (request.eventId === undefined) continue
    byEvent.set(request.eventId, [...(byEvent.get(request.eventId) ?? []), request.at])
  }
  const gaps = [...byEvent.values()].flatMap((times) => times.slice(1).map((t, i) => t - times[i]!))
  const shortest = gaps.length === 0 ? null : Math.min(...gaps)
  figures.push(
    ['retries', gaps.length],
    ['shortest gap (s)', shortest === null ? '—' : Number((shortest / 1000).toFixed(2))],
  )
  if (shortest === null) failures.push('no retry arrived')
  else if (shortest < retryAfterMs - slackMs) {
    failures.push(
      `a retry ${(shortest / 1000).toFixed(2)} s after the 429, sooner than Retry-After`,
    )
  }
  // In the record: the same gap between the attempts' start times.
  const retried = seen.deliveries.find((d) => d.attempts >= 2)
  if (retried !== undefined) {
    const started = (await attemptsOf(api, key, retried)).map((a) => Date.parse(a.startedAt))
    const recordedGap = Math.min(...started.slice(1).map((t, i) => t - started[i]!))
    figures.push(['recorded gap (s)', Number((recordedGap / 1000).toFixed(2))])
    if (recordedGap < retryAfterMs - slackMs) {
      failures.push(`attempts recorded ${(recordedGap / 1000).toFixed(2)} s apart`)
    }
  }
  const wrong = seen.deliveries.filter((d) => d.attempts > 0 && d.lastStatusCode !== 429).length
  if (wrong > 0) failures.push(`${wrong} deliveries recorded with a status other than 429`)
}

/** The subscription and every one of its deliveries, over the REST API. */
async function observe(api: ApiClient, key: string, id: string): Promise<Observed> {
  const subscription = await expectOk(api, `/webhooks/subscriptions/${id}`, key)
  const deliveries: DeliveryView[] = []
  let cursor: string | null = null
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
    const page = await expectOk(
      api,
      `/webhooks/subscriptions/${id}/deliveries?limit=100${query}`,
      key,
    )
    deliveries.push(...(page.data as DeliveryView[]))
    cursor = page.nextCursor as string | null
  } while (cursor !== null)
  return {
    state: subscription.state as string,
    disabledReason: (subscription.disabledReason as string | null) ?? null,
    updatedAt: subscription.updatedAt as string,
    deliveries,
  }
}

/** A delivery's attempts, oldest first, from its event. */
async function attemptsOf(
  api: ApiClient,
  key: string,
  delivery: DeliveryView,
): Promise<{ statusCode: number | null; startedAt: string; responseBody?: string }[]> {
  const event = await expectOk(api, `/webhooks/events/${delivery.eventId}`, key)
  return (event.attempts as { deliveryId: string; startedAt: string; statusCode: number | null }[])
    .filter((a) => a.deliveryId === delivery.id)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function expectOk(api: ApiClient, path: string, key: string): Promise<any> {
  const answer = await api.call('GET', path, key)
  if (answer.status !== 200) {
    throw new Error(`GET ${path}: ${answer.status} ${JSON.stringify(answer.body)}`)
  }
  return answer.body
}

/** `a 3, b 1`: each value with how often it occurs, most often first. */
function tally(values: string[]): string {
  const counts = new Map<string, number>()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  if (counts.size === 0) return '—'
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([value, count]) => `${value} ${count}`)
    .join(', ')
}
