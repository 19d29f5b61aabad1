import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConflictError } from '../../../src/core/errors.ts'
import { insertAll, iso, makeSubscription, type StoreContext, T0 } from './builders.ts'

/** insert, get, list, update and delete of subscriptions, and the duplicate rule. */
export function subscriptionCases(ctx: StoreContext): void {
  describe('subscriptions', () => {
    it('stores a subscription and gives it back whole', async () => {
      const s = makeSubscription({ events: ['order.*', 'invoice.paid'], rateLimit: null })
      await ctx.store.insertSubscription(s)
      assert.deepEqual(await ctx.store.getSubscription(s.id), s)
      assert.equal(await ctx.store.getSubscription('sub_unknown'), null)
    })

    it('lists newest first, page by page, with a null cursor on the last page', async () => {
      const all = await insertAll(ctx.store, ...Array.from({ length: 5 }, () => makeSubscription()))
      const newest = all.map((s) => s.id).reverse()
      const seen: string[] = []
      let cursor: string | undefined
      const nextCursors: (string | null)[] = []
      do {
        const page = await ctx.store.listSubscriptions({ tenant: 'acme', limit: 2, cursor })
        seen.push(...page.data.map((s) => s.id))
        nextCursors.push(page.nextCursor)
        cursor = page.nextCursor ?? undefined
      } while (cursor !== undefined)
      assert.deepEqual(seen, newest)
      assert.deepEqual(nextCursors, [newest[1], newest[3], null])
    })

    it('ends on a full last page with a null cursor', async () => {
      await insertAll(ctx.store, makeSubscription(), makeSubscription())
      const page = await ctx.store.listSubscriptions({ tenant: 'acme', limit: 2 })
      assert.equal(page.data.length, 2)
      assert.equal(page.nextCursor, null)
    })

    it('filters the list by tenant, name, state and event', async () => {
      const [orders, wildcard, paused, invoices, other] = await insertAll(
        ctx.store,
        makeSubscription({ name: 'Orders', events: ['order.created'] }),
        makeSubscription({ name: 'All', events: ['*'] }),
        makeSubscription({ name: 'Orders', events: ['order.*'], state: 'paused' }),
        makeSubscription({ name: 'Invoices', events: ['invoice.paid'] }),
        makeSubscription({ tenant: 'globex', name: 'Orders', events: ['order.created'] }),
      )
      const list = async (filter: Record<string, string>) =>
        (await ctx.store.listSubscriptions({ tenant: 'acme', limit: 50, ...filter })).data
          .map((s) => s.id)
          .sort()
      const sorted = (...xs: (typeof orders)[]) => xs.map((s) => s!.id).sort()
      assert.deepEqual(await list({}), sorted(orders, wildcard, paused, invoices))
      assert.deepEqual(await list({ tenant: 'globex' }), sorted(other))
      assert.deepEqual(await list({ name: 'Orders' }), sorted(orders, paused))
      assert.deepEqual(await list({ state: 'paused' }), sorted(paused))
      assert.deepEqual(await list({ state: 'active' }), sorted(orders, wildcard, invoices))
      assert.deepEqual(await list({ event: 'order.created' }), sorted(orders, wildcard, paused))
      assert.deepEqual(await list({ event: 'invoice.paid' }), sorted(wildcard, invoices))
      assert.deepEqual(await list({ event: 'order.created', name: 'Orders', state: 'active' }), [
        orders!.id,
      ])
    })

    it('paginates a filtered list', async () => {
      const matching = await insertAll(
        ctx.store,
        ...Array.from({ length: 3 }, () => makeSubscription({ events: ['order.*'] })),
      )
      await insertAll(ctx.store, makeSubscription({ events: ['invoice.paid'] }))
      const first = await ctx.store.listSubscriptions({
        tenant: 'acme',
        event: 'order.x',
        limit: 2,
      })
      assert.ok(first.nextCursor !== null)
      const second = await ctx.store.listSubscriptions({
        tenant: 'acme',
        event: 'order.x',
        limit: 2,
        cursor: first.nextCursor,
      })
      assert.equal(second.nextCursor, null)
      assert.deepEqual(
        [...first.data, ...second.data].map((s) => s.id),
        matching.map((s) => s.id).reverse(),
      )
    })

    it('replaces a subscription on update, patterns included', async () => {
      const s = makeSubscription({ events: ['order.created'] })
      await ctx.store.insertSubscription(s)
      const changed = {
        ...s,
        name: 'Renamed',
        events: ['invoice.*'],
        config: { url: 'https://receiver.example/new', contentType: 'application/json' as const },
        headers: {},
        signatureScheme: 'github' as const,
        payload: 'data' as const,
        retrySchedule: null,
        secrets: [{ secret: 'whsec_new', expiresAt: null }],
        updatedAt: iso(T0 + 1_000),
      }
      assert.equal(await ctx.store.updateSubscription(changed), true)
      assert.deepEqual(await ctx.store.getSubscription(s.id), changed)
      assert.deepEqual(await ctx.store.matchSubscriptions('acme', 'order.created'), [])
      assert.deepEqual(
        (await ctx.store.matchSubscriptions('acme', 'invoice.paid')).map((x) => x.id),
        [s.id],
      )
      assert.equal(await ctx.store.updateSubscription(makeSubscription()), false)
    })

    it('deletes a subscription once', async () => {
      const s = makeSubscription()
      await ctx.store.insertSubscription(s)
      assert.equal(await ctx.store.deleteSubscription(s.id), true)
      assert.equal(await ctx.store.getSubscription(s.id), null)
      assert.deepEqual(await ctx.store.matchSubscriptions('acme', 'order.created'), [])
      assert.equal(await ctx.store.deleteSubscription(s.id), false)
      // Its URL and events are free again.
      await ctx.store.insertSubscription(makeSubscription({ url: s.config.url }))
    })
  })

  describe('duplicate subscriptions', () => {
    const url = 'https://receiver.example/shared'

    it('refuses the same URL with an overlapping event in the same tenant', async () => {
      const first = makeSubscription({ url, events: ['order.*'] })
      await ctx.store.insertSubscription(first)
      const second = makeSubscription({ url, events: ['invoice.paid', 'order.created'] })
      await assert.rejects(ctx.store.insertSubscription(second), (error: unknown) => {
        assert.ok(error instanceof ConflictError)
        assert.equal(error.code, 'duplicate_subscription')
        assert.equal(error.existingId, first.id)
        assert.match(error.message, /receiver\.example\/shared/)
        return true
      })
      assert.equal(await ctx.store.getSubscription(second.id), null)
      assert.deepEqual(await ctx.store.matchSubscriptions('acme', 'invoice.paid'), [])
    })

    it('accepts another tenant, another URL, or events that cannot overlap', async () => {
      await ctx.store.insertSubscription(makeSubscription({ url, events: ['order.*'] }))
      await ctx.store.insertSubscription(
        makeSubscription({ url, tenant: 'globex', events: ['order.*'] }),
      )
      await ctx.store.insertSubscription(makeSubscription({ events: ['order.*'] }))
      await ctx.store.insertSubscription(makeSubscription({ url, events: ['order', 'invoice.*'] }))
      const page = await ctx.store.listSubscriptions({ tenant: 'acme', limit: 10 })
      assert.equal(page.data.length, 3)
    })

    it('refuses an update into a duplicate and leaves the subscription as it was', async () => {
      const first = makeSubscription({ url, events: ['*'] })
      const second = makeSubscription({ events: ['order.created'] })
      await insertAll(ctx.store, first, second)
      const moved = { ...second, config: { ...second.config, url } }
      await assert.rejects(ctx.store.updateSubscription(moved), { code: 'duplicate_subscription' })
      assert.deepEqual(await ctx.store.getSubscription(second.id), second)
      // Updating a subscription never conflicts with itself.
      assert.equal(await ctx.store.updateSubscription({ ...first, name: 'Still mine' }), true)
    })
  })
}
