/**
 * Row 5, fan-out: events to 1,000 subscriptions each. Publish latency: each `publish()` call timed
 * from its start to its resolving (one at a time), and over REST each `POST /webhooks/events` to
 * its 202 (`hookrelay serve --role api`, no worker). Deliveries: the events are published with the
 * worker not started; then, once every delivery is in the store (SQLite writes those of a publish
 * to more than 100 subscriptions after it answers: that time is reported), `start()`; deliveries/s
 * = deliveries ÷ (last − first arrival) over all 1,000 paths at the receiver, against an
 * 8-subscription reference drained the same way in the same run.
 */
import { benchTenant, benchType, eventData } from '../../src/bench/payload.ts'
import type { ReceiverProcess } from '../../src/bench/receiver-process.ts'
import { drainBurst } from './one-subscription.ts'
import {
  label,
  ms,
  percentiles,
  rate,
  runPrefix,
  type ShapeResult,
  type StoreName,
  withDatabase,
  deliverQueued,
  shapeEngine,
  subscribeEach,
} from './common.ts'
import { startRestServer } from './rest-server.ts'

export const fanOutTargets = { publishP99Ms: 50, rateShare: 0.75 }

export interface FanOutOptions {
  receiver: ReceiverProcess
  store: StoreName
  pgUrl: string | null
  subscriptions: number
  /** Events published (and delivered to every subscription); REST publishes as many. */
  events: number
  /** Events of the 8-subscription reference. */
  referenceEvents: number
}

async function library(options: FanOutOptions) {
  const { receiver, subscriptions, events } = options
  const prefix = runPrefix('fan')
  return withDatabase(options.store, options.pgUrl, async (db) => {
    const hooks = await shapeEngine(db.database, false)
    try {
      await subscribeEach(
        hooks,
        `http://127.0.0.1:${receiver.port}${prefix}`,
        subscriptions,
        'fan-out',
      )
      const publishMs: number[] = []
      for (let seq = 0; seq < events; seq++) {
        const started = performance.now()
        await hooks.publish({ tenant: benchTenant, type: benchType, data: eventData(seq) })
        publishMs.push(performance.now() - started)
      }
      // SQLite queues the deliveries of a publish to more than 100 subscriptions and writes them
      // after it answers; listing events waits for them. The reference's publishes wrote theirs,
      // so both runs start with every delivery in the store, and the writing is timed here.
      const writing = performance.now()
      await hooks.events.list({ tenant: benchTenant, limit: 1 })
      const writtenMs = performance.now() - writing
      const expected = events * subscriptions
      const { startedAt, stats, all, problems } = await deliverQueued(
        hooks,
        receiver,
        prefix,
        expected,
        'fan-out',
      )
      const short = Object.values(stats).filter((s) => s.count !== events).length
      const missing = subscriptions - Object.keys(stats).length
      if (short + missing > 0) {
        problems.push(`fan-out: ${short + missing} subscriptions did not receive exactly ${events}`)
      }
      return {
        expected,
        received: all.count,
        seconds: (all.lastAt - all.firstAt) / 1000,
        fromStartSeconds: (all.lastAt - startedAt) / 1000,
        publish: percentiles(publishMs),
        writtenMs,
        problems,
      }
    } finally {
      await hooks.close()
    }
  })
}

async function rest(options: FanOutOptions) {
  return withDatabase(options.store, options.pgUrl, async (db) => {
    const server = await startRestServer(db.database, 'api')
    try {
      // Never called: the API role runs no worker.
      for (let i = 0; i < options.subscriptions; i++) {
        await server.subscribe(`fan-out ${i}`, `http://127.0.0.1:9/fan/${i}`)
      }
      const publishMs: number[] = []
      let rejected = 0
      for (let seq = 0; seq < options.events; seq++) {
        const started = performance.now()
        const status = await server.publish(eventData(seq))
        publishMs.push(performance.now() - started)
        if (status !== 202) rejected++
      }
      return { publish: percentiles(publishMs), rejected }
    } finally {
      await server.stop()
    }
  })
}

export async function runFanOut(options: FanOutOptions): Promise<ShapeResult> {
  const { receiver, store, pgUrl } = options
  const reference = await drainBurst({
    receiver,
    store,
    pgUrl,
    events: options.referenceEvents,
    subscriptions: 8,
    row: 'fan-ref',
  })
  const lib = await library(options)
  const api = await rest(options)
  const referenceRate = reference.received / reference.seconds
  const fanRate = lib.received / lib.seconds
  const share = fanRate / referenceRate
  const problems = [...reference.problems, ...lib.problems]
  if (api.rejected > 0)
    problems.push(`fan-out: ${api.rejected} REST publishes were not answered 202`)
  const pass =
    lib.publish.p99 <= fanOutTargets.publishP99Ms &&
    api.publish.p99 <= fanOutTargets.publishP99Ms &&
    share >= fanOutTargets.rateShare
  return {
    row: {
      what: label(
        store,
        `fan-out ×${options.subscriptions}: p99 ${lib.publish.p99.toFixed(0)}/${api.publish.p99.toFixed(0)} ms`,
      ),
      count: lib.received,
      seconds: lib.seconds,
      rate: fanRate,
      ratio: null,
      target: `p99≤50 ms, ≥75% of 8`,
      marker: problems.length > 0 ? 'INVALID' : pass ? 'PASS' : 'MISS',
    },
    notes: [
      `${label(store, 'fan-out')}: ${options.events} events × ${options.subscriptions} subscriptions; publish ` +
        `(one call at a time) library p50 ${ms(lib.publish.p50)}, p99 ${ms(lib.publish.p99)}, then ` +
        `${ms(lib.writtenMs)} until every delivery was in the store; REST 202 p50 ` +
        `${ms(api.publish.p50)}, p99 ${ms(api.publish.p99)}; delivered ${rate(fanRate)}/s (first → last ` +
        `arrival; start() → last ${lib.fromStartSeconds.toFixed(2)} s), ${(share * 100).toFixed(1)}% of ` +
        `8 subscriptions' ${rate(referenceRate)}/s (${options.referenceEvents} events × 8, same method, same run)`,
    ],
    problems,
    details: {
      store,
      subscriptions: options.subscriptions,
      events: options.events,
      library: lib,
      rest: api,
      reference: { ...reference, rate: referenceRate },
      share,
    },
  }
}
