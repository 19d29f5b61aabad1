import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import type { Store } from '../../src/store/store.ts'
import { useEngine } from '../support/engine.ts'

// A receiver that hangs, with a backlog, beside a healthy one: the worker claims no more of the
// hung one's deliveries than it can start before their leases run short, so it never gives any back
// to be claimed again. On the SQLite store, whose calls it counts (the PostgreSQL claim's `room` is
// covered by the store conformance suite).
const t = useEngine({ timeoutMs: 1_000, retrySchedule: [60_000] })

const pause = () => new Promise((resolve) => setTimeout(resolve, 20))

/** A SQLite store that counts the deliveries given back unattempted. */
async function countingStore(): Promise<{ store: Store; released: () => number }> {
  const inner = await openSqliteStore({ path: ':memory:' })
  let released = 0
  const store = new Proxy(inner, {
    get(target, name) {
      if (name === 'releaseDeliveries') {
        return (ids: string[], token: string, at: number) => {
          released += ids.length
          return target.releaseDeliveries(ids, token, at)
        }
      }
      const value: unknown = Reflect.get(target, name)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { store, released: () => released }
}

describe('a hung receiver with a backlog', () => {
  it('is claimed only as far as it can be sent, while the healthy one is served', async () => {
    const { store, released } = await countingStore()
    await t.reopen({ store, worker: true, now: Date.now, subscriptionConcurrency: 3 })
    const subscribe = (path: string, event: string) =>
      t.hooks.subscriptions.create({
        name: path,
        events: [event],
        config: { url: `${t.receiver.url}${path}` },
      })
    t.receiver.always('/hung', { kind: 'hang' })
    const hung = await subscribe('/hung', 'hung.event')
    await subscribe('/healthy', 'healthy.event')
    // Three attempts that time out teach the worker how slow it is.
    for (let i = 0; i < 3; i++) await t.hooks.publish({ type: 'hung.event', data: { i } })
    const attempted = async () =>
      (await t.hooks.subscriptions.deliveries(hung.id, { limit: 10 })).data.filter(
        (d) => d.attempts > 0,
      ).length
    while ((await attempted()) < 3) await pause()
    for (let i = 0; i < 300; i++) await t.hooks.publish({ type: 'hung.event', data: { i } })
    for (let i = 0; i < 40; i++) await t.hooks.publish({ type: 'healthy.event', data: { i } })
    while (t.receiver.at('/healthy').length < 40) await pause()
    // Let a few more rounds of the hung one's timeouts free room and be claimed into.
    const seen = t.receiver.at('/hung').length
    while (t.receiver.at('/hung').length < seen + 6) await pause()
    assert.equal(released(), 0)
    assert.equal(t.receiver.at('/healthy').length, 40)
  })
})
