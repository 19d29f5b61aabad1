import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { useEngine } from '../support/engine.ts'

// The delivery scheduler under the traffic users have: one receiver with a burst, one that hangs
// beside a healthy one, receivers that earn or lose in-flight room. Counted at the receiver.
// A generous timeout, so that a slow answer on a busy machine is not a failure; the tests of
// receivers that hang shorten it.
const t = useEngine({ timeoutMs: 10_000, retrySchedule: [5_000, 300_000] })
const hangs = { timeoutMs: 1_000 }

async function subscribe(path: string) {
  return t.hooks.subscriptions.create({
    name: path,
    events: ['order.created'],
    config: { url: `${t.receiver.url}${path}` },
  })
}

async function publishMany(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await t.hooks.publish({ type: 'order.created', data: { i } })
}

async function pendingOf(subscriptionId: string): Promise<number> {
  const page = await t.hooks.subscriptions.deliveries(subscriptionId, {
    status: 'pending',
    limit: 100,
  })
  return page.data.length
}

/**
 * The most requests that arrived within any `windowMs`. An attempt that times out holds its slot
 * for the whole timeout, so with a timeout longer than `windowMs` this is the most that were in
 * flight at once, whatever order the receiver sees connections close and open in.
 */
function mostWithin(times: number[], windowMs: number): number {
  let most = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

const arrivals = (path: string) => t.receiver.at(path).map((r) => r.at)

/** The longest time between two requests in a row, in ms. */
function longestGap(times: number[]): number {
  let gap = 0
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!)
  return gap
}

describe('one subscription with a burst', () => {
  it('drain() sends the whole burst: nothing is left pending', async () => {
    const sub = await subscribe('/burst')
    await publishMany(2_000)
    await t.hooks.drain()
    const ids = new Set(t.receiver.at('/burst').map((r) => r.headers['webhook-id']))
    assert.equal(ids.size, 2_000)
    assert.equal(await pendingOf(sub.id), 0)
  })

  it('a running worker sends a 2,000-event burst without a second-long pause', async () => {
    await t.reopen({ worker: true, now: Date.now })
    const sub = await subscribe('/running')
    await publishMany(2_000)
    await t.receiver.waitWithin(2_000, 60_000)
    const requests = t.receiver.at('/running')
    assert.equal(new Set(requests.map((r) => r.headers['webhook-id'])).size, 2_000)
    // A delivery pushed back to wait a fixed second shows as a gap of about a second.
    const gap = longestGap(requests.map((r) => r.at))
    assert.ok(gap < 500, `the longest pause between two deliveries was ${Math.round(gap)} ms`)
    await t.hooks.drain()
    assert.equal(await pendingOf(sub.id), 0)
  })

  it('drain() waits for deliveries its rate limit holds back', async () => {
    const sub = await subscribe('/paced')
    await t.hooks.subscriptions.update(sub.id, { rateLimit: 100 })
    await publishMany(250)
    await t.hooks.drain()
    assert.equal(t.receiver.at('/paced').length, 250)
    assert.equal(await pendingOf(sub.id), 0)
  })
})

describe('receivers that hang or fail', () => {
  it('a receiver that never answers holds no more than its floor, beside a healthy one', async () => {
    await t.reopen({ ...hangs, subscriptionConcurrency: 3, maxSubscriptionConcurrency: 32 })
    t.receiver.always('/hang', { kind: 'hang' })
    await subscribe('/hang')
    const healthy = await subscribe('/healthy')
    await publishMany(12)
    await t.hooks.drain()
    // Every first attempt was made (and timed out), never more than three at once.
    assert.equal(t.receiver.at('/hang').length, 12)
    assert.equal(mostWithin(arrivals('/hang'), 900), 3)
    assert.equal(t.receiver.at('/healthy').length, 12)
    assert.equal(await pendingOf(healthy.id), 0)
  })

  it('a receiver that starts hanging with a backlog does not stop the claims for the others', async () => {
    await t.reopen({ worker: true, now: Date.now })
    t.receiver.always('/stuck', { kind: 'hang' })
    const subscribeTo = (path: string, event: string) =>
      t.hooks.subscriptions.create({
        name: path,
        events: [event],
        config: { url: `${t.receiver.url}${path}` },
      })
    await subscribeTo('/stuck', 'stuck.event')
    await subscribeTo('/moving', 'moving.event')
    // More than half a claim's batch for the receiver that hangs, then the healthy one's.
    for (let i = 0; i < 1_200; i++) await t.hooks.publish({ type: 'stuck.event', data: { i } })
    for (let i = 0; i < 300; i++) await t.hooks.publish({ type: 'moving.event', data: { i } })
    while (t.receiver.at('/moving').length < 300) await new Promise((r) => setTimeout(r, 20))
    // Still the first ten attempts of the hung one: the healthy ones did not wait for them to
    // time out (10 s) before being claimed.
    assert.equal(t.receiver.at('/stuck').length, 10)
    await t.hooks.close({ timeoutMs: 0 })
  })

  it('a receiver that answers fast earns more in flight, up to the maximum', async () => {
    await t.reopen({ subscriptionConcurrency: 2, maxSubscriptionConcurrency: 12 })
    t.receiver.always('/fast', { kind: 'delay', ms: 20, status: 200 })
    await subscribe('/fast')
    await publishMany(300)
    await t.hooks.drain()
    assert.equal(t.receiver.at('/fast').length, 300)
    assert.equal(t.receiver.maxOpenAt('/fast'), 12)
  })

  for (const [name, behaviour] of [
    ['503', { kind: 'delay', ms: 20, status: 503 }],
    ['429', { kind: 'delay', ms: 20, status: 429 }],
  ] as const) {
    it(`a receiver that starts answering ${name} goes back down to its floor`, async () => {
      await t.reopen({ subscriptionConcurrency: 2, maxSubscriptionConcurrency: 16 })
      t.receiver.always('/turns', { kind: 'delay', ms: 20, status: 200 })
      await subscribe('/turns')
      await publishMany(300)
      await t.hooks.drain()
      assert.equal(t.receiver.maxOpenAt('/turns', true), 16)
      t.receiver.always('/turns', behaviour)
      // 16 → 8 → 4 → 2: each round of answers halves it once.
      await publishMany(60)
      await t.hooks.drain()
      t.receiver.maxOpenAt('/turns', true)
      await publishMany(40)
      await t.hooks.drain()
      assert.equal(t.receiver.at('/turns').length, 400)
      assert.equal(t.receiver.maxOpenAt('/turns'), 2)
    })
  }

  it('a receiver that times out goes straight back to its floor', async () => {
    await t.reopen({ ...hangs, subscriptionConcurrency: 2, maxSubscriptionConcurrency: 16 })
    t.receiver.always('/stalls', { kind: 'delay', ms: 20, status: 200 })
    await subscribe('/stalls')
    await publishMany(300)
    await t.hooks.drain()
    assert.equal(t.receiver.maxOpenAt('/stalls', true), 16)
    t.receiver.always('/stalls', { kind: 'hang' })
    await publishMany(16)
    await t.hooks.drain()
    const before = t.receiver.at('/stalls').length
    await publishMany(6)
    await t.hooks.drain()
    const after = arrivals('/stalls').slice(before)
    assert.equal(after.length, 6)
    assert.equal(mostWithin(after, 900), 2)
  })
})
