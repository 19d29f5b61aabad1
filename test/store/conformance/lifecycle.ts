import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  attemptRecord,
  claimAll,
  insertAll,
  iso,
  makeEvent,
  makeSubscription,
  publish,
  type StoreContext,
  T0,
} from './builders.ts'

/** What pausing, disabling, deleting and recovering do to deliveries; and pruning. */
export function lifecycleCases(ctx: StoreContext): void {
  describe('subscription lifecycle', () => {
    for (const state of ['paused', 'disabled'] as const) {
      it(`cancels pending deliveries when a subscription is ${state}`, async () => {
        const [s, other] = await insertAll(ctx.store, makeSubscription(), makeSubscription())
        const [done] = await publish(ctx.store, makeEvent(), [s!])
        await ctx.store.recordAttempts((await claimAll(ctx.store, T0)).map((c) => attemptRecord(c)))
        const [pending, untouched] = await publish(ctx.store, makeEvent(), [s!, other!])
        await ctx.store.updateSubscription({ ...s!, state, updatedAt: iso(T0 + 1) })
        const cancelled = await ctx.store.getDelivery(pending!)
        assert.equal(cancelled?.status, 'cancelled')
        assert.equal(cancelled?.nextAttemptAt, null)
        assert.equal((await ctx.store.getDelivery(done!))?.status, 'succeeded')
        assert.equal((await ctx.store.getDelivery(untouched!))?.status, 'pending')
        assert.deepEqual(
          (await claimAll(ctx.store, T0 + 10)).map((c) => c.id),
          [untouched!],
        )
      })
    }

    it('cancels pending deliveries on delete and keeps them and their attempts as history', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [tried] = await publish(ctx.store, makeEvent(), [s!])
      const [claimed] = await claimAll(ctx.store, T0)
      await ctx.store.recordAttempts([
        attemptRecord(claimed!, { statusCode: 500, status: 'retrying', nextAttemptAt: T0 + 5 }),
      ])
      assert.equal(await ctx.store.deleteSubscription(s!.id), true)
      const delivery = await ctx.store.getDelivery(tried!)
      assert.equal(delivery?.status, 'cancelled')
      assert.equal((await ctx.store.listAttempts({ deliveryId: tried! })).length, 1)
      assert.equal(await ctx.store.nextDueAt(), null)
      assert.deepEqual(await claimAll(ctx.store, T0 + 100_000), [])
    })

    it('starts a new failure run when a subscription is enabled again', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      await publish(ctx.store, makeEvent(), [s!])
      await publish(ctx.store, makeEvent(), [s!])
      const [first, second] = await claimAll(ctx.store, T0)
      const fail = { statusCode: 500, status: 'retrying', nextAttemptAt: T0 + 1 } as const
      await ctx.store.recordAttempts([attemptRecord(first!, { ...fail, startedAt: T0 })])
      await ctx.store.updateSubscription({ ...s!, state: 'disabled', disabledReason: 'failing' })
      await ctx.store.updateSubscription({ ...s!, state: 'active' })
      const health = await ctx.store.recordAttempts([
        attemptRecord(second!, { ...fail, startedAt: T0 + 50 }),
      ])
      assert.deepEqual(health, [
        { subscriptionId: s!.id, consecutiveFailures: 1, failingSince: T0 + 50 },
      ])
    })
  })

  describe('recoverDeliveries', () => {
    it('queues failed and cancelled deliveries since a time, and the events it missed', async () => {
      const s = makeSubscription({ events: ['order.*'] })
      const [, other, foreign] = await insertAll(
        ctx.store,
        s,
        makeSubscription({ events: ['order.*'] }),
        makeSubscription({ tenant: 'globex', events: ['order.*'] }),
      )
      const [tooOld] = await publish(ctx.store, makeEvent({ at: T0 }), [s])
      const [failed] = await publish(ctx.store, makeEvent({ at: T0 + 100 }), [s])
      const [succeeded] = await publish(ctx.store, makeEvent({ at: T0 + 100 }), [s])
      const claims = await claimAll(ctx.store, T0 + 100)
      await ctx.store.recordAttempts(
        claims.map((c) =>
          c.id === succeeded
            ? attemptRecord(c)
            : attemptRecord(c, { statusCode: 500, status: 'failed' }),
        ),
      )
      const [cancelled] = await publish(ctx.store, makeEvent({ at: T0 + 200 }), [s])
      await ctx.store.updateSubscription({ ...s, state: 'paused' })
      // Published while paused: matched to nobody, or to the other subscription only.
      const missedAlone = makeEvent({ type: 'order.shipped', at: T0 + 300 })
      await ctx.store.insertEvent(missedAlone, [])
      const missedShared = makeEvent({ type: 'order.created', at: T0 + 300 })
      await publish(ctx.store, missedShared, [other!])
      await ctx.store.insertEvent(makeEvent({ type: 'invoice.paid', at: T0 + 300 }), [])
      await publish(ctx.store, makeEvent({ tenant: 'globex', at: T0 + 300 }), [foreign!])
      const resumed = { ...s, state: 'active' as const }
      await ctx.store.updateSubscription(resumed)

      const queued = await ctx.store.recoverDeliveries(resumed, { since: T0 + 100 }, T0 + 1_000)
      assert.equal(queued, 4)
      for (const id of [failed!, cancelled!]) {
        const d = await ctx.store.getDelivery(id)
        assert.equal(d?.status, 'pending')
        assert.equal(d?.nextAttemptAt, iso(T0 + 1_000))
      }
      assert.equal((await ctx.store.getDelivery(tooOld!))?.status, 'failed')
      assert.equal((await ctx.store.getDelivery(succeeded!))?.status, 'succeeded')
      const mine = await ctx.store.listDeliveries({ subscriptionId: s.id, limit: 50 })
      const byEvent = new Map(mine.data.map((d) => [d.eventId, d]))
      for (const event of [missedAlone, missedShared]) {
        const created = byEvent.get(event.id)
        assert.equal(created?.status, 'pending')
        assert.equal(created?.eventType, event.type)
        assert.equal(created?.tenant, 'acme')
        assert.equal(created?.attempts, 0)
      }
      assert.equal(mine.data.length, 6)
      const due = await claimAll(ctx.store, T0 + 1_000)
      assert.equal(due.filter((c) => c.subscription.id === s.id).length, 4)
      assert.equal(due.filter((c) => c.subscription.id === foreign!.id).length, 1)
      // Nothing is left to recover twice.
      assert.equal(await ctx.store.recoverDeliveries(resumed, { since: T0 + 100 }, T0 + 2_000), 0)
    })
  })

  describe('recoverDeliveries, what it leaves out', () => {
    it('sends neither events from before the subscription nor notices about itself', async () => {
      const s = makeSubscription({ events: ['*'], createdAt: iso(T0 + 50) })
      await insertAll(ctx.store, s)
      const before = makeEvent({ at: T0 + 10 })
      const aboutItself = makeEvent({
        at: T0 + 60,
        type: 'subscription.paused',
        data: { subscriptionId: s.id },
      })
      const aboutOther = makeEvent({
        at: T0 + 70,
        type: 'subscription.paused',
        data: { subscriptionId: 'sub_other' },
      })
      for (const event of [before, aboutItself, aboutOther]) await publish(ctx.store, event, [])
      assert.equal(await ctx.store.recoverDeliveries(s, { since: 0 }, T0 + 100), 1)
      const due = await claimAll(ctx.store, T0 + 100)
      assert.deepEqual(
        due.map((c) => c.event.id),
        [aboutOther.id],
      )
    })
  })

  describe('prune', () => {
    it('removes old finished events with their deliveries and attempts, keeps pending ones', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const oldDone = makeEvent({ at: T0 })
      const oldPending = makeEvent({ at: T0 + 1 })
      const oldBare = makeEvent({ at: T0 + 2 })
      const recent = makeEvent({ at: T0 + 10_000 })
      const [done] = await publish(ctx.store, oldDone, [s!])
      const [pending] = await publish(ctx.store, oldPending, [s!])
      await ctx.store.insertEvent(oldBare, [])
      const [fresh] = await publish(ctx.store, recent, [s!])
      const claims = await claimAll(ctx.store, T0 + 10_000)
      await ctx.store.recordAttempts(
        claims.map((c) =>
          c.id === pending
            ? attemptRecord(c, { statusCode: 500, status: 'retrying', nextAttemptAt: T0 + 20_000 })
            : attemptRecord(c),
        ),
      )
      const result = await ctx.store.prune(T0 + 5_000)
      assert.deepEqual(result, { events: 2, deliveries: 1, attempts: 1 })
      assert.equal(await ctx.store.getEvent(oldDone.id), null)
      assert.equal(await ctx.store.getEvent(oldBare.id), null)
      assert.equal(await ctx.store.getDelivery(done!), null)
      assert.deepEqual(await ctx.store.listAttempts({ deliveryId: done! }), [])
      assert.ok((await ctx.store.getEvent(oldPending.id)) !== null)
      assert.equal((await ctx.store.getDelivery(pending!))?.status, 'retrying')
      assert.equal((await ctx.store.listAttempts({ deliveryId: pending! })).length, 1)
      assert.ok((await ctx.store.getEvent(recent.id)) !== null)
      assert.equal((await ctx.store.getDelivery(fresh!))?.status, 'succeeded')
      assert.deepEqual(await ctx.store.prune(T0 + 5_000), { events: 0, deliveries: 0, attempts: 0 })
    })
  })
}
