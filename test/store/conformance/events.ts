import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { newId } from '../../../src/core/ids.ts'
import type { EventQuery } from '../../../src/store/store.ts'
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

/** insertEvent, idempotency, and reading events back. */
export function eventCases(ctx: StoreContext): void {
  describe('events', () => {
    it('writes an event with a pending delivery per subscription', async () => {
      const subs = await insertAll(ctx.store, makeSubscription(), makeSubscription())
      const event = makeEvent({ data: { nested: { list: [1, 'two', null] } } })
      const deliveries = subs.map((s) => ({ id: newId('delivery'), subscriptionId: s.id }))
      const result = await ctx.store.insertEvent(event, deliveries)
      assert.deepEqual(result, { event, deliveries: 2, inserted: true })
      assert.deepEqual(await ctx.store.getEvent(event.id), event)
      for (const [i, d] of deliveries.entries()) {
        const stored = await ctx.store.getDelivery(d.id)
        assert.ok(stored !== null)
        assert.deepEqual(
          {
            eventId: stored.eventId,
            subscriptionId: stored.subscriptionId,
            tenant: stored.tenant,
            eventType: stored.eventType,
            status: stored.status,
            attempts: stored.attempts,
            lastStatusCode: stored.lastStatusCode,
            lastError: stored.lastError,
          },
          {
            eventId: event.id,
            subscriptionId: subs[i]!.id,
            tenant: 'acme',
            eventType: 'order.created',
            status: 'pending',
            attempts: 0,
            lastStatusCode: null,
            lastError: null,
          },
        )
        assert.ok(stored.nextAttemptAt !== null)
      }
      assert.equal(await ctx.store.getEvent('evt_unknown'), null)
      assert.equal(await ctx.store.getDelivery('dlv_unknown'), null)
    })

    it('publishes to the active matching subscriptions of the tenant, but the excluded one', async () => {
      const [first, second, excluded] = await insertAll(
        ctx.store,
        makeSubscription({ events: ['order.*'] }),
        makeSubscription({ events: ['order.created'] }),
        makeSubscription({ events: ['*'] }),
        makeSubscription({ events: ['order.*'], state: 'paused' }),
        makeSubscription({ events: ['invoice.*'] }),
        makeSubscription({ events: ['order.*'], tenant: 'globex' }),
      )
      const event = makeEvent()
      const result = await ctx.store.publishEvent(event, { excludeSubscriptionId: excluded!.id })
      assert.deepEqual(result, { event, deliveries: 2, inserted: true })
      const stored = await ctx.store.listDeliveries({ eventId: event.id, limit: 10 })
      assert.deepEqual(
        stored.data.map((d) => d.subscriptionId).sort(),
        [first!.id, second!.id].sort(),
      )
      for (const d of stored.data) {
        assert.match(d.id, /^dlv_[0-9A-Z]{26}$/)
        assert.equal(d.status, 'pending')
        assert.equal(d.nextAttemptAt, event.timestamp, 'due at the event timestamp')
      }
      const again = await ctx.store.publishEvent(makeEvent({ type: 'order.paid' }))
      assert.equal(again.deliveries, 2, 'the catch-all counts when not excluded')
    })

    it('publishes a repeated idempotency key once, answering the first event', async () => {
      await insertAll(ctx.store, makeSubscription({ events: ['order.*'] }))
      const first = makeEvent({ idempotencyKey: 'pay-1' })
      assert.equal((await ctx.store.publishEvent(first)).inserted, true)
      const repeat = await ctx.store.publishEvent(makeEvent({ idempotencyKey: 'pay-1' }))
      assert.deepEqual(repeat, { event: first, deliveries: 1, inserted: false })
      const page = await ctx.store.listDeliveries({ tenant: 'acme', limit: 10 })
      assert.equal(page.data.length, 1)
    })

    it('stores events without deliveries, and any JSON value as data', async () => {
      for (const data of [null, 0, 'text', [1, 2], { deep: { a: [true] } }]) {
        const event = makeEvent({ data })
        assert.equal((await ctx.store.insertEvent(event, [])).deliveries, 0)
        assert.deepEqual((await ctx.store.getEvent(event.id))?.data, data)
      }
    })

    it('writes all or nothing', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const event = makeEvent()
      const id = newId('delivery')
      const twice = [
        { id, subscriptionId: s!.id },
        { id, subscriptionId: s!.id },
      ]
      await assert.rejects(ctx.store.insertEvent(event, twice))
      assert.equal(await ctx.store.getEvent(event.id), null)
      assert.equal(await ctx.store.getDelivery(id), null)
      assert.equal(await ctx.store.nextDueAt(), null)
    })

    it('returns the first event for a repeated idempotency key and writes nothing', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const first = makeEvent({ idempotencyKey: 'order-42' })
      await publish(ctx.store, first, [s!])
      const again = makeEvent({ idempotencyKey: 'order-42', data: { other: true }, at: T0 + 5 })
      const result = await ctx.store.insertEvent(again, [])
      assert.deepEqual(result, { event: first, deliveries: 1, inserted: false })
      assert.equal(await ctx.store.getEvent(again.id), null)
      const page = await ctx.store.listEvents({ tenant: 'acme', limit: 10 })
      assert.deepEqual(
        page.data.map((e) => e.id),
        [first.id],
      )
      const deliveries = await ctx.store.listDeliveries({ tenant: 'acme', limit: 10 })
      assert.equal(deliveries.data.length, 1)
    })

    it('scopes idempotency keys to the tenant', async () => {
      await ctx.store.insertEvent(makeEvent({ idempotencyKey: 'k' }), [])
      const other = makeEvent({ tenant: 'globex', idempotencyKey: 'k' })
      assert.equal((await ctx.store.insertEvent(other, [])).inserted, true)
      assert.equal(
        (await ctx.store.insertEvent(makeEvent({ idempotencyKey: 'k2' }), [])).inserted,
        true,
      )
    })

    it('lists events newest first, filtered by tenant and type, page by page', async () => {
      const events = [
        makeEvent({ type: 'order.created' }),
        makeEvent({ type: 'invoice.paid' }),
        makeEvent({ type: 'order.created' }),
        makeEvent({ type: 'order.created' }),
        makeEvent({ type: 'order.created', tenant: 'globex' }),
      ]
      for (const e of events) await ctx.store.insertEvent(e, [])
      const first = await ctx.store.listEvents({ tenant: 'acme', type: 'order.created', limit: 2 })
      assert.deepEqual(
        first.data.map((e) => e.id),
        [events[3]!.id, events[2]!.id],
      )
      assert.equal(first.nextCursor, events[2]!.id)
      const second = await ctx.store.listEvents({
        tenant: 'acme',
        type: 'order.created',
        limit: 2,
        cursor: first.nextCursor!,
      })
      assert.deepEqual(
        second.data.map((e) => e.id),
        [events[0]!.id],
      )
      assert.equal(second.nextCursor, null)
      const all = await ctx.store.listEvents({ tenant: 'acme', limit: 10 })
      assert.deepEqual(all.data, events.slice(0, 4).reverse())
    })

    it('filters the list by time and by the status of a delivery, and counts deliveries', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      // Made in time order: a list is newest first by id.
      const early = makeEvent({ at: T0 })
      const retried = makeEvent({ at: T0 + 30_000 })
      const late = makeEvent({ at: T0 + 60_000 })
      const lonely = makeEvent({ at: T0 + 120_000 })
      const [delivered] = await publish(ctx.store, early, [s!])
      const [retrying] = await publish(ctx.store, retried, [s!])
      await publish(ctx.store, late, [s!])
      await ctx.store.insertEvent(lonely, [])
      const claims = await claimAll(ctx.store, T0 + 30_000)
      await ctx.store.recordAttempts([
        attemptRecord(
          claims.find((c) => c.id === delivered)!,
          { statusCode: 500, status: 'failed' },
        ),
        attemptRecord(
          claims.find((c) => c.id === retrying)!,
          {
            statusCode: 500,
            status: 'retrying',
            nextAttemptAt: T0 + 90_000,
          },
        ),
      ])
      const list = async (query: Omit<EventQuery, 'tenant' | 'limit'>) =>
        (await ctx.store.listEvents({ tenant: 'acme', limit: 10, ...query })).data.map((e) => e.id)
      assert.deepEqual(await list({ since: T0 + 60_000 }), [lonely.id, late.id])
      assert.deepEqual(await list({ until: T0 + 60_000 }), [retried.id, early.id])
      assert.deepEqual(await list({ since: T0 + 1, until: T0 + 120_000 }), [late.id, retried.id])
      // "Has failed": failed for good, or failed and waiting for the next attempt.
      assert.deepEqual(await list({ status: 'failed' }), [retried.id, early.id])
      assert.deepEqual(await list({ status: 'retrying' }), [retried.id])
      assert.deepEqual(await list({ status: 'pending' }), [late.id])
      assert.deepEqual(await list({ status: 'succeeded' }), [])
      const none = { pending: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 }
      assert.deepEqual(
        await ctx.store.countDeliveries([early.id, retried.id, late.id, lonely.id]),
        {
          [early.id]: { ...none, failed: 1 },
          [retried.id]: { ...none, retrying: 1 },
          [late.id]: { ...none, pending: 1 },
          [lonely.id]: none,
        },
      )
      assert.deepEqual(await ctx.store.countDeliveries([]), {})
    })

    it('lists events since a time, oldest first, after an id', async () => {
      const events = [0, 10, 20, 30, 40].map((offset) => makeEvent({ at: T0 + offset }))
      for (const e of events) await ctx.store.insertEvent(e, [])
      await ctx.store.insertEvent(makeEvent({ tenant: 'globex', at: T0 + 50 }), [])
      const since = await ctx.store.listEventsSince('acme', T0 + 10, 2)
      assert.deepEqual(
        since.map((e) => e.id),
        [events[1]!.id, events[2]!.id],
      )
      const rest = await ctx.store.listEventsSince('acme', T0 + 10, 10, events[2]!.id)
      assert.deepEqual(
        rest.map((e) => e.id),
        [events[3]!.id, events[4]!.id],
      )
      assert.deepEqual(await ctx.store.listEventsSince('acme', T0 + 41, 10), [])
    })
  })

  describe('event types', () => {
    it('upserts, keeping the first createdAt', async () => {
      const created = {
        name: 'order.created',
        description: 'An order was placed',
        schema: { type: 'object', required: ['id'] },
        createdAt: iso(T0),
        updatedAt: iso(T0),
      }
      await ctx.store.upsertEventType(created)
      assert.deepEqual(await ctx.store.getEventType('order.created'), created)
      const changed = {
        ...created,
        description: null,
        schema: null,
        createdAt: iso(T0 + 5_000),
        updatedAt: iso(T0 + 5_000),
      }
      await ctx.store.upsertEventType(changed)
      assert.deepEqual(await ctx.store.getEventType('order.created'), {
        ...changed,
        createdAt: iso(T0),
      })
      assert.equal(await ctx.store.getEventType('order.unknown'), null)
    })

    it('lists every event type', async () => {
      for (const name of ['b.two', 'a.one', 'c.three']) {
        await ctx.store.upsertEventType({
          name,
          description: null,
          schema: null,
          createdAt: iso(T0),
          updatedAt: iso(T0),
        })
      }
      const names = (await ctx.store.listEventTypes()).map((t) => t.name).sort()
      assert.deepEqual(names, ['a.one', 'b.two', 'c.three'])
    })
  })
}
