/**
 * Row 1, one subscription: a burst of `events` to ONE subscription with default settings, against
 * the ceiling (signed undici POSTs storing nothing) with as many requests in flight as Hookrelay's
 * per-subscription maximum (`maxSubscriptionConcurrency`, 64 by default). Both rates are counted
 * at the receiver: `events` ÷ (last arrival − first arrival). The events are published with the
 * worker not started (`worker: false`), then `start()` on the same engine drains the burst; the
 * time from `start()` to the last arrival is reported too.
 */
import { Agent } from 'undici'
import { publishAll } from '../../src/bench/hookrelay-run.ts'
import { envelope, eventData } from '../../src/bench/payload.ts'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import { benchId, signedPoster } from '../../src/bench/signed-post.ts'
import {
  deliverQueued,
  label,
  rate,
  runPrefix,
  type ShapeResult,
  type StoreName,
  withDatabase,
  shapeEngine,
  subscribeEach,
} from './common.ts'

/** The target: this share of the ceiling's rate. */
export const oneSubscriptionTarget = 0.6
/** Hookrelay's default per-subscription maximum in flight (`maxSubscriptionConcurrency`). */
export const defaultMaxInFlight = 64

export interface OneSubscriptionOptions {
  receiver: ReceiverProcess
  store: StoreName
  pgUrl: string | null
  events: number
  /** Events of an untimed warm-up run first (its own database), and ceiling requests. */
  warmupEvents: number
}

/** The ceiling at `inFlight`, timed at the receiver on a path of its own. */
export async function receiverTimedCeiling(
  receiver: ReceiverProcess,
  count: number,
  inFlight: number,
  warmup: number,
): Promise<{ count: number; seconds: number; failed: number }> {
  const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000, pipelining: 1 })
  const post = signedPoster(agent)
  const prefix = runPrefix('ceiling')
  const dataJson = JSON.stringify(eventData(1))
  let failed = 0
  const run = async (path: string, total: number) => {
    const url = `http://127.0.0.1:${receiver.port}${path}`
    let next = 0
    const lane = async () => {
      while (next < total) {
        const n = next++
        const eventId = benchId('evt', n)
        const body = envelope(eventId, new Date().toISOString(), dataJson)
        const status = await post({ url, eventId, deliveryId: benchId('dlv', n), body })
        if (status !== 200) failed++
      }
    }
    await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane))
  }
  try {
    await run(`${prefix}warm`, warmup)
    failed = 0
    await run(`${prefix}timed`, count)
    const stats = (await receiver.shape(`${prefix}timed`))[`${prefix}timed`]
    await receiver.forget(prefix)
    if (stats === undefined) return { count: 0, seconds: 0, failed }
    return { count: stats.count, seconds: (stats.lastAt - stats.firstAt) / 1000, failed }
  } finally {
    await agent.close()
  }
}

/** One burst drained by Hookrelay with default settings; rates from the receiver. */
export async function drainBurst(options: {
  receiver: ReceiverProcess
  store: StoreName
  pgUrl: string | null
  events: number
  subscriptions?: number
  row: string
}): Promise<{
  expected: number
  received: number
  /** First → last arrival, and `start()` → last arrival. */
  seconds: number
  fromStartSeconds: number
  publishSeconds: number
  problems: string[]
}> {
  const { receiver, events } = options
  const subscriptions = options.subscriptions ?? 1
  const prefix = runPrefix(options.row)
  return withDatabase(options.store, options.pgUrl, async (db) => {
    const hooks = await shapeEngine(db.database, false)
    try {
      await subscribeEach(
        hooks,
        `http://127.0.0.1:${receiver.port}${prefix}`,
        subscriptions,
        'shape',
      )
      const publishStarted = performance.now()
      await publishAll(hooks, events)
      const publishSeconds = (performance.now() - publishStarted) / 1000
      const expected = events * subscriptions
      const { startedAt, all, problems } = await deliverQueued(
        hooks,
        receiver,
        prefix,
        expected,
        options.row,
      )
      return {
        expected,
        received: all.count,
        seconds: (all.lastAt - all.firstAt) / 1000,
        fromStartSeconds: (all.lastAt - startedAt) / 1000,
        publishSeconds,
        problems,
      }
    } finally {
      await hooks.close()
    }
  })
}

export async function runOneSubscription(options: OneSubscriptionOptions): Promise<ShapeResult> {
  const { receiver, store, pgUrl, events } = options
  if (options.warmupEvents > 0) {
    await drainBurst({ receiver, store, pgUrl, events: options.warmupEvents, row: 'one-warm' })
  }
  // The ceiling just before and just after Hookrelay; the faster of the two is the reference (the
  // machine is shared, and one slow ceiling would flatter the ratio).
  const warm = Math.max(options.warmupEvents, 1)
  const before = await receiverTimedCeiling(receiver, events, defaultMaxInFlight, warm)
  const hr = await drainBurst({ receiver, store, pgUrl, events, row: 'one' })
  const after = await receiverTimedCeiling(receiver, events, defaultMaxInFlight, 1)
  const ceilings = [before, after].map((c) => ({ ...c, rate: c.count / c.seconds }))
  const ceiling = ceilings[0]!.rate >= ceilings[1]!.rate ? ceilings[0]! : ceilings[1]!
  const ceilingRate = ceiling.rate
  const hrRate = hr.received / hr.seconds
  const ratio = hrRate / ceilingRate
  const problems = [...hr.problems]
  const failed = before.failed + after.failed
  if (failed > 0) problems.push(`one subscription: ${failed} ceiling requests failed`)
  const marker = problems.length > 0 ? 'INVALID' : ratio >= oneSubscriptionTarget ? 'PASS' : 'MISS'
  return {
    row: {
      what: label(store, `one subscription ×${events.toLocaleString('en-US')}`),
      count: hr.received,
      seconds: hr.seconds,
      rate: hrRate,
      ratio,
      target: `≥ ${oneSubscriptionTarget * 100}% of ceiling`,
      marker,
    },
    notes: [
      `${label(store, 'one subscription')}: ${events} events published with the worker not started ` +
        `(worker: false, ${hr.publishSeconds.toFixed(2)} s), then start(); receiver-timed first → last ` +
        `arrival ${hr.seconds.toFixed(2)} s (${rate(hrRate)}/s), start() → last ${hr.fromStartSeconds.toFixed(2)} s ` +
        `(${rate(hr.received / hr.fromStartSeconds)}/s); ceiling at ${defaultMaxInFlight} in flight ` +
        `${rate(ceilingRate)}/s (first → last arrival; the faster of ${ceilings.map((c) => rate(c.rate)).join(' before and ')} after)`,
    ],
    problems,
    details: {
      store,
      events,
      ceiling,
      ceilings,
      hookrelay: { ...hr, rate: hrRate },
      ratio,
    },
  }
}
