import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { useEngine } from '../support/engine.ts'

// The event log's bulk retry: after a receiver that failed some events is fixed, one
// `events.retry` with the log's filter sends those events' failed deliveries again, now, and
// nothing else. Counted at the receiver.
const t = useEngine({
  timeoutMs: 1_000,
  retrySchedule: [60_000, 3_600_000],
  disableAfter: { failures: 100, periodMs: 86_400_000 },
})

async function subscribe(path: string, options: { retrySchedule?: number[] } = {}) {
  return t.hooks.subscriptions.create({
    name: path,
    events: ['order.*'],
    config: { url: `${t.receiver.url}${path}` },
    ...options,
  })
}

/** The `data.n` of each request `path` received, in order. */
function numbersAt(path: string): number[] {
  return t.receiver.at(path).map((r) => JSON.parse(r.body).data.n as number)
}

describe('events.retry', () => {
  it('sends again, now, exactly the failed deliveries of the events the filter selects', async () => {
    // /retrying waits for its next attempt; /failed has no retries left; /healthy never failed;
    // /paused failed and was paused.
    for (const path of ['/retrying', '/failed', '/paused']) {
      t.receiver.always(path, { kind: 'status', status: 500, body: 'database is down' })
    }
    await subscribe('/retrying')
    await subscribe('/failed', { retrySchedule: [] })
    await subscribe('/healthy')
    const paused = await subscribe('/paused', { retrySchedule: [] })
    await t.hooks.publish({ type: 'order.created', data: { n: 1 } })
    t.clock.advance(1_000)
    const since = t.clock.now
    await t.hooks.publish({ type: 'order.created', data: { n: 2 } })
    await t.hooks.publish({ type: 'order.paid', data: { n: 3 } })
    await t.hooks.publish({ type: 'order.created', data: { n: 4 } })
    await t.hooks.drain()
    for (const path of ['/retrying', '/failed', '/healthy', '/paused']) {
      assert.deepEqual(numbersAt(path), [1, 2, 3, 4], path)
    }
    await t.hooks.subscriptions.update(paused.id, { state: 'paused' })

    // Fixed; without a retry nothing would arrive before the retry a minute from now.
    for (const path of ['/retrying', '/failed', '/paused']) {
      t.receiver.always(path, { kind: 'status', status: 200 })
    }
    await t.hooks.drain()
    assert.equal(t.receiver.received.length, 16)

    const retried = await t.hooks.events.retry({ type: 'order.created', since })
    assert.deepEqual(retried, { queued: 4, skipped: 2, more: false })
    await t.hooks.drain()
    assert.deepEqual(numbersAt('/retrying'), [1, 2, 3, 4, 2, 4])
    assert.deepEqual(numbersAt('/failed'), [1, 2, 3, 4, 2, 4])
    assert.deepEqual(numbersAt('/healthy'), [1, 2, 3, 4])
    assert.deepEqual(numbersAt('/paused'), [1, 2, 3, 4])
    assert.equal(t.receiver.received.length, 20)

    // What the filter left is as it was: the paused subscription's deliveries, the other type's,
    // which still waits for its retry, and those of the event before `since`.
    const left = await t.hooks.events.list({ status: 'failed' })
    assert.deepEqual(
      left.data.map((e) => [e.data, e.deliveryCounts.retrying, e.deliveryCounts.failed]),
      [
        [{ n: 4 }, 0, 1],
        [{ n: 3 }, 1, 2],
        [{ n: 2 }, 0, 1],
        [{ n: 1 }, 1, 2],
      ],
    )
    // The retried deliveries succeeded on their first attempt of a new schedule.
    const selected = await t.hooks.events.list({ type: 'order.created', since })
    for (const event of selected.data) {
      const { deliveries } = await t.hooks.events.get(event.id)
      const bySubscription = deliveries.map((d) => d.status).sort()
      assert.deepEqual(bySubscription, ['failed', 'succeeded', 'succeeded', 'succeeded'])
    }
    // Nothing is left to retry but the paused subscription's.
    assert.deepEqual(await t.hooks.events.retry({ type: 'order.created', since }), {
      queued: 0,
      skipped: 2,
      more: false,
    })
  })

  it('narrows to retrying deliveries with status retrying', async () => {
    t.receiver.always('/retrying', { kind: 'status', status: 500 })
    t.receiver.always('/failed', { kind: 'status', status: 500 })
    await subscribe('/retrying')
    await subscribe('/failed', { retrySchedule: [] })
    await t.hooks.publish({ type: 'order.created', data: { n: 1 } })
    await t.hooks.drain()
    t.receiver.always('/retrying', { kind: 'status', status: 200 })
    t.receiver.always('/failed', { kind: 'status', status: 200 })
    assert.deepEqual(await t.hooks.events.retry({ status: 'retrying' }), {
      queued: 1,
      skipped: 0,
      more: false,
    })
    await t.hooks.drain()
    assert.deepEqual(numbersAt('/retrying'), [1, 1])
    assert.deepEqual(numbersAt('/failed'), [1])
  })

  it('refuses a status that is not failed or retrying, and an until not after since', async () => {
    for (const status of ['succeeded', 'pending', 'cancelled'] as const) {
      await assert.rejects(t.hooks.events.retry({ status }), {
        name: 'ValidationError',
        field: 'status',
        message: 'status: only failed or retrying deliveries can be retried',
      })
    }
    const now = t.clock.now
    await assert.rejects(t.hooks.events.retry({ since: now, until: now }), {
      name: 'ValidationError',
      field: 'until',
    })
    await assert.rejects(t.hooks.events.retry({ since: 'yesterday' }), {
      name: 'ValidationError',
      field: 'since',
    })
    await assert.rejects(t.hooks.events.retry({ type: 'order.*' }), {
      name: 'ValidationError',
      field: 'type',
    })
  })
})
