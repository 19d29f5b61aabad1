import type { ApiClient } from '../test/support/faults.ts'
import type { Received } from '../test/support/receiver.ts'

/** What `publishSteadily` published. */
export interface SteadyLoad {
  /** Each acknowledged event's id, with when its publish was sent (monotonic clock, ms). */
  sentAt: Map<string, number>
  /** Each publish that was not acknowledged: its status and error or body. */
  refused: string[]
}

/**
 * Publishes `order.created` at a steady `perSecond` for `ms`, each on its own schedule (event k
 * goes out at start + k / perSecond), so a slow answer delays no later event, at most 32 at once.
 * A steady rate, not as fast as possible: the scenario compares how fast deliveries keep up with
 * the same offered load under different conditions.
 */
export async function publishSteadily(
  api: ApiClient,
  key: string,
  options: { perSecond: number; ms: number },
): Promise<SteadyLoad> {
  const load: SteadyLoad = { sentAt: new Map(), refused: [] }
  const count = Math.max(1, Math.round((options.perSecond * options.ms) / 1000))
  const started = performance.now()
  const inFlight = new Set<Promise<void>>()
  for (let k = 0; k < count; k++) {
    const due = started + (k * 1000) / options.perSecond
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    while (inFlight.size >= 32) await Promise.race(inFlight)
    const sent = performance.now()
    const publish = api.publish(key, { k }).then((answer) => {
      inFlight.delete(publish)
      if (answer.status === 202) load.sentAt.set(answer.body.id as string, sent)
      else {
        load.refused.push(
          `${answer.status} ${answer.error?.message ?? JSON.stringify(answer.body)}`,
        )
      }
    })
    inFlight.add(publish)
  }
  await Promise.all(inFlight)
  return load
}

/** How deliveries of a steady load kept up, counted at the receiver. */
export interface Pace {
  /** Deliveries owed: acknowledged events × receiving paths. */
  owed: number
  /** Distinct (path, event) pairs that arrived. */
  delivered: number
  /** Deliveries per second, from the first publish to the last arrival. */
  perSecond: number
  /** The 95th percentile of publish-sent-to-arrival, ms (first arrival of each pair). */
  p95Ms: number
}

/**
 * The pace at which the receiver got the load's events on `paths` (each path is one
 * subscription): every pair counted once, at its first arrival.
 */
export function paceOf(received: readonly Received[], paths: string[], load: SteadyLoad): Pace {
  const start = Math.min(...load.sentAt.values())
  const first = new Map<string, number>()
  let last = start
  for (const request of received) {
    const id = request.headers['webhook-id']
    if (typeof id !== 'string' || !load.sentAt.has(id) || !paths.includes(request.path)) continue
    const pair = `${request.path} ${id}`
    if (first.has(pair)) continue
    first.set(pair, request.at - load.sentAt.get(id)!)
    last = Math.max(last, request.at)
  }
  const seconds = Math.max(last - start, 1) / 1000
  return {
    owed: load.sentAt.size * paths.length,
    delivered: first.size,
    perSecond: first.size / seconds,
    p95Ms: percentile([...first.values()], 0.95),
  }
}

/** The `p` quantile (0–1) of `values` by the nearest rank; 0 when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
}
