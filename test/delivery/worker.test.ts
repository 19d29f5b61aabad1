import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../src/core/logger.ts'
import type { Sender } from '../../src/delivery/attempt.ts'
import type { SendRequest, SendResult } from '../../src/delivery/http-sender.ts'
import { DeliveryWorker } from '../../src/delivery/worker.ts'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import type { AttemptRecord, Store, FailureRun } from '../../src/store/store.ts'
import {
  insertAll,
  makeEvent,
  makeSubscription,
  publish,
  T0,
} from '../store/conformance/builders.ts'

/** A promise with its resolve function outside. */
function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const answered: SendResult = {
  statusCode: 200,
  failure: null,
  retryAfterMs: null,
  error: null,
  durationMs: 1,
  requestHeaders: {},
  responseHeaders: {},
  responseBody: '',
}

/** Lets timers due now, and the promise jobs they start, run. */
const timersRun = () => new Promise((resolve) => setTimeout(resolve, 1))

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await timersRun()
  assert.ok(condition(), 'the worker never got there')
}

describe('delivery worker', () => {
  // A flush that finds nothing left to record (its batch went with an overlapping flush) must
  // still tell drain() the worker is idle: drain() in a process without a polling worker waited
  // for a wake-up that never came.
  it('drains when attempts finish during a slow record and the next flush finds nothing', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    const firstRecord = deferred()
    let records = 0
    // The store, with the first recordAttempts held until the test lets it go.
    const recordAttempts = async (batch: AttemptRecord[]): Promise<FailureRun[]> => {
      if (++records === 1) await firstRecord.promise
      return store.recordAttempts(batch)
    }
    const gated = new Proxy(store, {
      get: (target, name) => {
        if (name === 'recordAttempts') return recordAttempts
        const value = Reflect.get(target, name) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as Store
    const sends: ((result: SendResult) => void)[] = []
    const sender: Sender = {
      send: (_request: SendRequest) => new Promise<SendResult>((resolve) => sends.push(resolve)),
      interruptAll: () => {},
    }
    const worker = new DeliveryWorker({
      store: gated,
      attempt: {
        sender,
        now: () => T0,
        random: () => 0.5,
        timeoutMs: 1_000,
        retrySchedule: [1_000],
        jitter: 0,
      },
      settings: {
        concurrency: 10,
        subscriptionConcurrency: 10,
        maxSubscriptionConcurrency: 10,
        batchSize: 100,
        leaseMs: 30_000,
        pollIntervalMs: 1_000,
      },
      logger: silentLogger,
      afterRecord: async () => {},
    })
    try {
      const [subscription] = await insertAll(store, makeSubscription())
      for (let i = 0; i < 3; i++) await publish(store, makeEvent(), [subscription!])

      let drained = false
      const draining = worker.drain().then(() => {
        drained = true
      })
      await until(() => sends.length === 3)
      sends[0]!(answered)
      await until(() => records === 1)
      sends[1]!(answered)
      sends[2]!(answered)
      // Their flush starts and waits behind the first one.
      await timersRun()
      await timersRun()
      firstRecord.resolve()
      await until(() => drained)
      await draining
      const delivered = await store.listDeliveries({
        status: 'succeeded',
        tenant: 'acme',
        limit: 10,
      })
      assert.equal(delivered.data.length, 3)
    } finally {
      await worker.stop(0)
      await store.close()
    }
  })
})
