import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { WebhookEvent } from '../../src/index.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine({ timeoutMs: 1_000, retrySchedule: [5_000, 300_000] })

async function subscribe(path: string, events = ['order.created']) {
  return t.hooks.subscriptions.create({
    name: path,
    events,
    config: { url: `${t.receiver.url}${path}` },
  })
}

async function publishAndDrain() {
  const event = await t.hooks.publish({ type: 'order.created', data: { n: 1 } })
  await t.hooks.drain()
  const [delivery] = (await t.hooks.events.get(event.id)).deliveries
  assert.ok(delivery)
  return delivery
}

describe('receivers that misbehave', () => {
  it('retries a receiver that fails twice, then succeeds, recording every attempt', async () => {
    t.receiver.queue(
      '/flaky',
      { kind: 'status', status: 500, body: 'boom' },
      { kind: 'status', status: 503 },
    )
    await subscribe('/flaky')
    let delivery = await publishAndDrain()
    assert.equal(delivery.status, 'retrying')
    assert.equal(delivery.attempts, 1)
    assert.equal(delivery.lastStatusCode, 500)
    assert.equal(delivery.nextAttemptAt, new Date(t.clock.now + 5_000).toISOString())

    await t.hooks.drain() // nothing due yet
    assert.equal(t.receiver.at('/flaky').length, 1)
    t.clock.advance(5_000)
    await t.hooks.drain()
    t.clock.advance(300_000)
    await t.hooks.drain()
    delivery = await t.hooks.deliveries.get(delivery.id)
    assert.equal(delivery.status, 'succeeded')
    assert.equal(delivery.attempts, 3)
    const attempts = await t.hooks.deliveries.attempts(delivery.id)
    assert.deepEqual(
      attempts.map((a) => a.statusCode),
      [500, 503, 200],
    )
    assert.equal(attempts[0]!.responseBody, 'boom')
    assert.equal(new Set(t.receiver.at('/flaky').map((r) => r.headers['webhook-id'])).size, 1)
  })

  it('gives up after the schedule and announces delivery.exhausted', async () => {
    t.receiver.always('/down', { kind: 'status', status: 500 })
    const sub = await subscribe('/down')
    await subscribe('/watcher', ['delivery.*'])
    const notices: WebhookEvent[] = []
    t.hooks.on('delivery.exhausted', (e) => {
      notices.push(e)
    })
    await publishAndDrain()
    t.clock.advance(5_000)
    await t.hooks.drain()
    t.clock.advance(300_000)
    await t.hooks.drain()
    const [delivery] = (await t.hooks.subscriptions.deliveries(sub.id)).data
    assert.equal(delivery!.status, 'failed')
    assert.equal(delivery!.attempts, 3)
    assert.equal(delivery!.nextAttemptAt, null)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(notices.length, 1)
    assert.equal((notices[0]!.data as { deliveryId: string }).deliveryId, delivery!.id)
    assert.equal(JSON.parse(t.receiver.at('/watcher')[0]!.body).type, 'delivery.exhausted')
    const lastError = await t.hooks.subscriptions.lastError(sub.id)
    assert.equal(lastError?.statusCode, 500)
  })

  it('abandons a receiver that hangs after the timeout and retries later', async () => {
    t.receiver.queue('/hang', { kind: 'hang' })
    await subscribe('/hang')
    const delivery = await publishAndDrain()
    assert.equal(delivery.status, 'retrying')
    assert.equal(delivery.lastStatusCode, null)
    assert.match(delivery.lastError ?? '', /timed out after 1000 ms/)
    t.clock.advance(5_000)
    await t.hooks.drain()
    assert.equal((await t.hooks.deliveries.get(delivery.id)).status, 'succeeded')
  })

  it('records a connection reset as a network error and retries', async () => {
    t.receiver.queue('/reset', { kind: 'reset' })
    await subscribe('/reset')
    const delivery = await publishAndDrain()
    assert.equal(delivery.status, 'retrying')
    assert.equal(delivery.lastStatusCode, null)
    assert.ok(delivery.lastError && delivery.lastError.length > 0)
  })

  it('honours Retry-After on 429, clamped to twice the scheduled delay', async () => {
    t.receiver.queue('/busy', { kind: 'status', status: 429, headers: { 'retry-after': '7' } })
    await subscribe('/busy')
    const first = await publishAndDrain()
    assert.equal(first.nextAttemptAt, new Date(t.clock.now + 7_000).toISOString())

    t.receiver.queue('/busy', { kind: 'status', status: 429, headers: { 'retry-after': '86400' } })
    const second = await publishAndDrain()
    assert.equal(second.nextAttemptAt, new Date(t.clock.now + 10_000).toISOString())
  })

  it('stops at once on 410 Gone and disables the subscription', async () => {
    t.receiver.queue('/gone', { kind: 'status', status: 410 })
    const sub = await subscribe('/gone')
    const disabled: WebhookEvent[] = []
    t.hooks.on('subscription.disabled', (e) => {
      disabled.push(e)
    })
    const delivery = await publishAndDrain()
    assert.equal(delivery.status, 'failed')
    assert.equal(delivery.attempts, 1)
    const after = await t.hooks.subscriptions.get(sub.id)
    assert.equal(after.state, 'disabled')
    assert.match(after.disabledReason ?? '', /410/)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(disabled.length, 1)
    // Disabled subscriptions are not matched.
    assert.equal((await t.hooks.publish({ type: 'order.created' })).deliveries, 0)
  })

  it('treats a redirect as a failure and never follows it', async () => {
    t.receiver.queue('/moved', {
      kind: 'status',
      status: 302,
      headers: { location: `${t.receiver.url}/elsewhere` },
    })
    await subscribe('/moved')
    const delivery = await publishAndDrain()
    assert.equal(delivery.status, 'retrying')
    assert.equal(delivery.lastStatusCode, 302)
    assert.equal(t.receiver.at('/elsewhere').length, 0)
  })

  it('reads only 4 KiB of a 10 MB answer', async () => {
    t.receiver.queue('/big', { kind: 'big', bytes: 10 * 1024 * 1024 })
    await subscribe('/big')
    const delivery = await publishAndDrain()
    assert.equal(delivery.status, 'succeeded')
    const [attempt] = await t.hooks.deliveries.attempts(delivery.id)
    assert.equal(attempt!.responseBody.length, 4096)
  })

  it('disables a subscription failing continuously past the thresholds', async () => {
    await t.reopen({
      timeoutMs: 1_000,
      retrySchedule: [60_000, 60_000, 60_000, 60_000],
      disableAfter: { failures: 3, periodMs: 150_000 },
    })
    t.receiver.always('/failing', { kind: 'status', status: 500 })
    const sub = await subscribe('/failing')
    await publishAndDrain()
    for (let i = 0; i < 2; i++) {
      t.clock.advance(60_000)
      await t.hooks.drain()
    }
    // Three failures in a row, but within 150 s: still active.
    assert.equal((await t.hooks.subscriptions.get(sub.id)).state, 'active')
    t.clock.advance(60_000)
    await t.hooks.drain()
    const after = await t.hooks.subscriptions.get(sub.id)
    assert.equal(after.state, 'disabled')
    assert.match(after.disabledReason ?? '', /4 attempts in a row failed/)
  })

  it('refuses at attempt time a host that resolves to a private address later', async () => {
    let answer = ['93.184.216.34']
    await t.reopen({ allowPrivateNetworks: false, resolve: async () => answer })
    const sub = await t.hooks.subscriptions.create({
      name: 'rebinding',
      events: ['order.created'],
      config: { url: 'http://hooks.example.test/in' },
    })
    answer = ['127.0.0.1']
    const delivery = await publishAndDrain()
    assert.equal(delivery.status, 'failed')
    assert.equal(delivery.attempts, 1)
    const attempt = await t.hooks.subscriptions.lastError(sub.id)
    assert.match(attempt?.error ?? '', /not allowed/)
    assert.doesNotMatch(attempt?.error ?? '', /127/)
  })
})

describe('isolation', () => {
  it('keeps each subscription under its concurrency cap', async () => {
    await t.reopen({ subscriptionConcurrency: 2, maxSubscriptionConcurrency: 2 })
    t.receiver.always('/slow', { kind: 'delay', ms: 50, status: 200 })
    await subscribe('/slow')
    t.receiver.maxOpen = 0
    for (let i = 0; i < 8; i++) await t.hooks.publish({ type: 'order.created', data: i })
    await t.hooks.drain()
    assert.equal(t.receiver.at('/slow').length >= 8, true)
    assert.equal(t.receiver.maxOpen, 2)
  })

  it('paces a subscription to its rate limit', async () => {
    const sub = await subscribe('/paced')
    await t.hooks.subscriptions.update(sub.id, { rateLimit: 10 })
    for (let i = 0; i < 14; i++) await t.hooks.publish({ type: 'order.created', data: i })
    await t.hooks.drain()
    const times = t.receiver.at('/paced').map((r) => r.at)
    assert.equal(times.length, 14)
    // A burst of one second's worth (10), then one token every 100 ms for the last four.
    assert.ok(times[13]! - times[9]! >= 300, `the last four took ${times[13]! - times[9]!} ms`)
  })
})
