import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { iso, makeEvent, publish, type StoreContext, T0 } from './builders.ts'

/** listPublishedTypes: the event types a tenant's stored events have, registered or not. */
export function publishedTypeCases(ctx: StoreContext): void {
  describe('published event types', () => {
    it("lists each type of a tenant's events once, by name, with its newest event's time", async () => {
      const events = [
        makeEvent({ type: 'order.created', at: T0 }),
        makeEvent({ type: 'invoice.paid', at: T0 + 1_000 }),
        makeEvent({ type: 'order.created', at: T0 + 2_000 }),
        makeEvent({ type: 'order.cancelled', at: T0 + 3_000 }),
        makeEvent({ type: 'order.created', at: T0 + 4_000 }),
        makeEvent({ type: 'contact.updated', tenant: 'globex', at: T0 + 5_000 }),
      ]
      for (const event of events) await publish(ctx.store, event, [])
      // A registered type nobody published is not listed: the catalogue has it already.
      await ctx.store.upsertEventType({
        name: 'shipment.sent',
        description: null,
        schema: null,
        createdAt: iso(T0),
        updatedAt: iso(T0),
      })

      assert.deepEqual(await ctx.store.listPublishedTypes('acme', 100), [
        { name: 'invoice.paid', lastSeenAt: iso(T0 + 1_000) },
        { name: 'order.cancelled', lastSeenAt: iso(T0 + 3_000) },
        { name: 'order.created', lastSeenAt: iso(T0 + 4_000) },
      ])
      assert.deepEqual(await ctx.store.listPublishedTypes('globex', 100), [
        { name: 'contact.updated', lastSeenAt: iso(T0 + 5_000) },
      ])
      assert.deepEqual(await ctx.store.listPublishedTypes('initech', 100), [])
    })

    it('stops at the limit, and forgets a type once its events are pruned', async () => {
      for (const [i, type] of ['a.one', 'b.two', 'c.three', 'B.upper'].entries()) {
        await publish(ctx.store, makeEvent({ type, at: T0 + i * 10_000 }), [])
      }
      // Names sort by code unit, capitals first, in both stores.
      assert.deepEqual(
        (await ctx.store.listPublishedTypes('acme', 2)).map((t) => t.name),
        ['B.upper', 'a.one'],
      )
      await ctx.store.prune(T0 + 15_000)
      assert.deepEqual(
        (await ctx.store.listPublishedTypes('acme', 100)).map((t) => t.name),
        ['B.upper', 'c.three'],
      )
    })
  })
}
