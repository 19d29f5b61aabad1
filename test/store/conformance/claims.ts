import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  attemptRecord,
  claimAll,
  insertAll,
  ids,
  iso,
  makeEvent,
  makeSubscription,
  publish,
  type StoreContext,
  T0,
} from './builders.ts'

/** Claims, leases, releases and the next due time. */
export function claimCases(ctx: StoreContext): void {
  describe('claims', () => {
    it('claims due deliveries, earliest due first, up to the limit', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      // Inserted out of due order, so neither insertion order nor its reverse passes for it.
      const [middle] = await publish(ctx.store, makeEvent({ at: T0 + 2 }), [s!])
      const [late] = await publish(ctx.store, makeEvent({ at: T0 + 3 }), [s!])
      const [early] = await publish(ctx.store, makeEvent({ at: T0 + 1 }), [s!])
      const [future] = await publish(ctx.store, makeEvent({ at: T0 + 10 }), [s!])
      const options = { now: T0 + 5, leaseMs: 30_000, leaseToken: 'lease-a' }
      const first = await ctx.store.claimDueDeliveries({ ...options, limit: 2 })
      assert.deepEqual(first.map((c) => c.id).sort(), [early!, middle!].sort())
      const second = await ctx.store.claimDueDeliveries({ ...options, limit: 10 })
      assert.deepEqual(
        second.map((c) => c.id),
        [late!],
      )
      assert.deepEqual(await ctx.store.claimDueDeliveries({ ...options, limit: 10 }), [])
      const atTen = await ctx.store.claimDueDeliveries({ ...options, now: T0 + 10, limit: 10 })
      assert.deepEqual(
        atTen.map((c) => c.id),
        [future!],
      )
    })

    it('passes over excluded subscriptions, and finds their deliveries once they are not', async () => {
      const [a, b] = await insertAll(
        ctx.store,
        makeSubscription({ name: 'a', url: 'https://a.example/hook' }),
        makeSubscription({ name: 'b', url: 'https://b.example/hook' }),
      )
      const [a1] = await publish(ctx.store, makeEvent({ at: T0 + 1 }), [a!])
      const [a2] = await publish(ctx.store, makeEvent({ at: T0 + 2 }), [a!])
      const [b1] = await publish(ctx.store, makeEvent({ at: T0 + 3 }), [b!])
      const options = { now: T0 + 5, leaseMs: 30_000, leaseToken: 'lease-e', limit: 10 }
      const others = await ctx.store.claimDueDeliveries({ ...options, exclude: [a!.id] })
      assert.deepEqual(ids(others), [b1!])
      // Passed over, not leased: still the earliest due, and still passed over while excluded.
      assert.equal(await ctx.store.nextDueAt(), T0 + 1)
      assert.deepEqual(await ctx.store.claimDueDeliveries({ ...options, exclude: [a!.id] }), [])
      const [b2] = await publish(ctx.store, makeEvent({ at: T0 + 4 }), [b!])
      assert.deepEqual(ids(await ctx.store.claimDueDeliveries({ ...options, exclude: [a!.id] })), [
        b2!,
      ])
      const theirs = await ctx.store.claimDueDeliveries({ ...options, exclude: [] })
      assert.deepEqual(ids(theirs).sort(), [a1!, a2!].sort())
      assert.deepEqual(await ctx.store.claimDueDeliveries(options), [])
    })

    it('takes no more of a subscription than its room, and the rest of it later in due order', async () => {
      const [a, b] = await insertAll(
        ctx.store,
        makeSubscription({ name: 'a', url: 'https://a.example/hook' }),
        makeSubscription({ name: 'b', url: 'https://b.example/hook' }),
      )
      const of = async (s: typeof a, at: number) =>
        (await publish(ctx.store, makeEvent({ at }), [s!]))[0]!
      const a1 = await of(a, T0 + 1)
      const a2 = await of(a, T0 + 2)
      const b1 = await of(b, T0 + 3)
      const a3 = await of(a, T0 + 4)
      const b2 = await of(b, T0 + 5)
      const options = { now: T0 + 10, leaseMs: 30_000, leaseToken: 'lease-r', limit: 10 }
      const first = await ctx.store.claimDueDeliveries({ ...options, room: { [a!.id]: 1 } })
      assert.deepEqual(ids(first).sort(), [a1, b1, b2].sort())
      const second = await ctx.store.claimDueDeliveries({ ...options, room: { [a!.id]: 1 } })
      assert.deepEqual(ids(second), [a2])
      const third = await ctx.store.claimDueDeliveries({ ...options, room: { [a!.id]: 0 } })
      assert.deepEqual(ids(third), [])
      const rest = await ctx.store.claimDueDeliveries({ ...options, room: { [b!.id]: 0 } })
      assert.deepEqual(ids(rest), [a3])
      assert.deepEqual(await ctx.store.claimDueDeliveries(options), [])
    })

    it('never hands out a delivery of a paused subscription, and cancels it', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent({ at: T0 }), [s!])
      const paused = { ...s!, state: 'paused' as const }
      await ctx.store.updateSubscription(paused)
      // A recover racing the pause makes the delivery pending again.
      await ctx.store.recoverDeliveries(paused, { since: T0 }, T0)
      const options = { now: T0 + 1, leaseMs: 30_000, leaseToken: 'lease-p', limit: 10 }
      assert.deepEqual(await ctx.store.claimDueDeliveries(options), [])
      assert.equal((await ctx.store.getDelivery(id!))?.status, 'cancelled')
    })

    it('returns each claim with its event text and its subscription', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const event = makeEvent({ data: { b: 1, a: [2, { c: 'ü' }] } })
      const [id] = await publish(ctx.store, event, [s!])
      const [claimed] = await claimAll(ctx.store, T0, 'lease-x')
      assert.ok(claimed !== undefined)
      assert.deepEqual(claimed, {
        id: id!,
        status: 'pending',
        attempts: 0,
        leaseToken: 'lease-x',
        event: {
          id: event.id,
          tenant: 'acme',
          type: 'order.created',
          timestamp: event.timestamp,
          dataJson: claimed.event.dataJson,
        },
        subscription: s!,
      })
      assert.deepEqual(JSON.parse(claimed.event.dataJson), event.data)
    })

    it('leases a claim until its lease ends, then lets it be claimed again', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent(), [s!])
      const lease = { limit: 10, leaseMs: 1_000 }
      const first = await ctx.store.claimDueDeliveries({ ...lease, now: T0, leaseToken: 'a' })
      assert.equal(first.length, 1)
      // Still pending; where the lease is kept (the row, or the delivering store's memory) is
      // the adapter's, so only what a claim sees is asserted.
      assert.equal((await ctx.store.getDelivery(id!))?.status, 'pending')
      assert.equal(await ctx.store.nextDueAt(), T0 + 1_000)
      const during = await ctx.store.claimDueDeliveries({
        ...lease,
        now: T0 + 999,
        leaseToken: 'b',
      })
      assert.deepEqual(during, [])
      const after = await ctx.store.claimDueDeliveries({
        ...lease,
        now: T0 + 1_000,
        leaseToken: 'c',
      })
      assert.deepEqual(
        after.map((c) => [c.id, c.leaseToken]),
        [[id!, 'c']],
      )
      assert.equal(await ctx.store.nextDueAt(), T0 + 2_000)
    })

    it('claims one delivery by id whatever its status', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent(), [s!])
      const [claimed] = await claimAll(ctx.store, T0)
      await ctx.store.recordAttempts([
        attemptRecord(claimed!, { statusCode: 500, status: 'failed', error: 'HTTP 500' }),
      ])
      const options = { now: T0 + 60_000, leaseMs: 5_000, leaseToken: 'manual' }
      const again = await ctx.store.claimDelivery(id!, options)
      assert.ok(again !== null)
      assert.equal(again.id, id)
      // The claim reports the status it found: a failed manual re-send leaves it failed.
      assert.equal(again.status, 'failed')
      assert.equal(again.attempts, 1)
      assert.equal(again.leaseToken, 'manual')
      assert.deepEqual(again.subscription, { ...s, consecutiveFailures: 1, failingSince: iso(T0) })
      const stored = await ctx.store.getDelivery(id!)
      assert.equal(stored?.status, 'pending')
      assert.equal(stored?.nextAttemptAt, iso(T0 + 65_000))
      assert.equal(await ctx.store.claimDelivery('dlv_unknown', options), null)
      // The manual lease holds: the scheduled claim does not take it.
      assert.deepEqual(await claimAll(ctx.store, T0 + 61_000), [])
    })

    it('releases claims that still hold the lease', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [a, b] = await Promise.all([
        publish(ctx.store, makeEvent(), [s!]),
        publish(ctx.store, makeEvent(), [s!]),
      ])
      await claimAll(ctx.store, T0, 'mine')
      await ctx.store.releaseDeliveries([a![0]!, b![0]!], 'not-mine', T0 + 1)
      assert.equal(await ctx.store.nextDueAt(), T0 + 30_000)
      assert.deepEqual(await claimAll(ctx.store, T0 + 29_999, 'other'), [])
      await ctx.store.releaseDeliveries([a![0]!], 'mine', T0 + 5)
      assert.equal((await ctx.store.getDelivery(a![0]!))?.nextAttemptAt, iso(T0 + 5))
      assert.equal(await ctx.store.nextDueAt(), T0 + 5)
      const reclaimed = await claimAll(ctx.store, T0 + 5, 'next')
      assert.deepEqual(
        reclaimed.map((c) => c.id),
        [a![0]!],
      )
      await ctx.store.releaseDeliveries([], 'next', T0)
    })

    it('reports the earliest due time of pending deliveries', async () => {
      assert.equal(await ctx.store.nextDueAt(), null)
      const [s] = await insertAll(ctx.store, makeSubscription())
      await publish(ctx.store, makeEvent({ at: T0 + 20 }), [s!])
      await publish(ctx.store, makeEvent({ at: T0 + 10 }), [s!])
      assert.equal(await ctx.store.nextDueAt(), T0 + 10)
      const claimed = await claimAll(ctx.store, T0 + 20)
      assert.equal(await ctx.store.nextDueAt(), T0 + 20 + 30_000)
      await ctx.store.recordAttempts(claimed.map((c) => attemptRecord(c)))
      assert.equal(await ctx.store.nextDueAt(), null)
    })
  })
}
