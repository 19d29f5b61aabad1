import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { useEngine } from '../support/engine.ts'

// What a person goes through when a receiver breaks: it is seen at the first failure (the
// delivery is `retrying`, the event is under "has failed", the subscription is `failing`), and
// after the fix one `recover` sends everything again at once. Counted at the receiver.
const period = 5 * 86_400_000
const t = useEngine({
  timeoutMs: 1_000,
  retrySchedule: [60_000, 3_600_000],
  disableAfter: { failures: 5, periodMs: period },
})

async function subscribe(path: string) {
  return t.hooks.subscriptions.create({
    name: path,
    events: ['invoice.*'],
    config: { url: `${t.receiver.url}${path}` },
  })
}

describe('a receiver that breaks, then is fixed', () => {
  it('is failing from the first failure, and recover sends everything again at once', async () => {
    t.receiver.always('/down', { kind: 'status', status: 500, body: 'database is down' })
    const sub = await subscribe('/down')
    const brokeAt = t.clock.now
    const first = await t.hooks.publish({ type: 'invoice.paid', data: { n: 1 } })
    t.clock.advance(1_000)
    const second = await t.hooks.publish({ type: 'invoice.paid', data: { n: 2 } })
    await t.hooks.drain()
    assert.equal(t.receiver.at('/down').length, 2)

    // The deliveries failed once and wait for their next attempt.
    const { deliveries } = await t.hooks.events.get(first.id)
    assert.equal(deliveries[0]?.status, 'retrying')
    assert.equal(deliveries[0]?.attempts, 1)
    assert.equal(deliveries[0]?.lastStatusCode, 500)
    assert.equal(deliveries[0]?.nextAttemptAt, new Date(t.clock.now + 60_000).toISOString())

    // "Has failed" finds both events; the counts say retrying.
    const failed = await t.hooks.events.list({ status: 'failed' })
    assert.deepEqual(
      failed.data.map((e) => e.id),
      [second.id, first.id],
    )
    assert.equal(failed.data[0]?.deliveryCounts.retrying, 1)
    assert.equal((await t.hooks.events.list({ status: 'retrying' })).data.length, 2)
    assert.equal((await t.hooks.events.list({ status: 'pending' })).data.length, 0)

    // The subscription is failing, with its run and when the rule would turn it off.
    const failing = await t.hooks.subscriptions.get(sub.id)
    assert.equal(failing.health, 'failing')
    assert.equal(failing.state, 'active')
    assert.equal(failing.consecutiveFailures, 2)
    assert.equal(failing.failingSince, new Date(brokeAt + 1_000).toISOString())
    assert.equal(failing.disablesAt, new Date(brokeAt + 1_000 + period).toISOString())
    const listed = await t.hooks.subscriptions.list({ health: 'failing' })
    assert.deepEqual(
      listed.data.map((s) => s.id),
      [sub.id],
    )
    assert.equal((await t.hooks.subscriptions.list({ health: 'healthy' })).data.length, 0)

    // Fixed. Without recover, nothing would arrive before the retry a minute from now.
    t.receiver.always('/down', { kind: 'status', status: 200 })
    await t.hooks.drain()
    assert.equal(t.receiver.at('/down').length, 2)
    // Only the first event's delivery is in the range: until is exclusive.
    const one = await t.hooks.subscriptions.recover(sub.id, { since: brokeAt, until: brokeAt + 1 })
    assert.deepEqual(one, { queued: 1 })
    const rest = await t.hooks.subscriptions.recover(sub.id, { since: brokeAt })
    assert.deepEqual(rest, { queued: 1 })
    await t.hooks.drain()
    const received = t.receiver.at('/down')
    assert.equal(received.length, 4)
    assert.deepEqual(
      received
        .slice(2)
        .map((r) => JSON.parse(r.body).data.n)
        .sort(),
      [1, 2],
    )
    for (const event of [first, second]) {
      const [delivery] = (await t.hooks.events.get(event.id)).deliveries
      assert.equal(delivery?.status, 'succeeded')
      assert.equal(delivery?.nextAttemptAt, null)
    }
    const healed = await t.hooks.subscriptions.get(sub.id)
    assert.equal(healed.health, 'healthy')
    assert.equal(healed.consecutiveFailures, 0)
    assert.equal(healed.failingSince, null)
    assert.equal(healed.disablesAt, null)
    // Nothing left to send again.
    assert.deepEqual(await t.hooks.subscriptions.recover(sub.id, { since: brokeAt }), {
      queued: 0,
    })
    assert.equal((await t.hooks.events.list({ status: 'failed' })).data.length, 0)
  })

  it('refuses an until that is not after since', async () => {
    const sub = await subscribe('/any')
    await assert.rejects(
      t.hooks.subscriptions.recover(sub.id, { since: t.clock.now, until: t.clock.now }),
      { name: 'ValidationError', field: 'until' },
    )
  })
})
