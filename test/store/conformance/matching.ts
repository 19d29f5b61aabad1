import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ids, insertAll, makeSubscription, type StoreContext } from './builders.ts'

/** matchSubscriptions: which subscriptions an event reaches. */
export function matchingCases(ctx: StoreContext): void {
  describe('matchSubscriptions', () => {
    it('matches exact names, prefixes, deep prefixes and the catch-all', async () => {
      const [exact, prefix, deep, all, sibling, bare] = await insertAll(
        ctx.store,
        makeSubscription({ events: ['a.b.c'] }),
        makeSubscription({ events: ['a.*'] }),
        makeSubscription({ events: ['a.b.*'] }),
        makeSubscription({ events: ['*'] }),
        makeSubscription({ events: ['ab.*', 'a.b'] }),
        makeSubscription({ events: ['a'] }),
      )
      const match = async (type: string) => ids(await ctx.store.matchSubscriptions('acme', type))
      assert.deepEqual(await match('a.b.c'), ids([exact!, prefix!, deep!, all!]))
      assert.deepEqual(await match('a.b'), ids([prefix!, all!, sibling!]))
      assert.deepEqual(await match('a.x'), ids([prefix!, all!]))
      assert.deepEqual(await match('ab.c'), ids([all!, sibling!]))
      assert.deepEqual(await match('a'), ids([all!, bare!]))
      assert.deepEqual(await match('a.b.c.d'), ids([prefix!, deep!, all!]))
    })

    it('returns each subscription once, whole, even when several of its patterns match', async () => {
      const s = makeSubscription({ events: ['order.created', 'order.*', '*'] })
      await ctx.store.insertSubscription(s)
      assert.deepEqual(await ctx.store.matchSubscriptions('acme', 'order.created'), [s])
    })

    it('leaves out paused and disabled subscriptions and other tenants', async () => {
      const [active] = await insertAll(
        ctx.store,
        makeSubscription({ events: ['order.*'] }),
        makeSubscription({ events: ['order.*'], state: 'paused' }),
        makeSubscription({ events: ['order.*'], state: 'disabled', disabledReason: '410 Gone' }),
        makeSubscription({ events: ['order.*'], tenant: 'globex' }),
      )
      assert.deepEqual(ids(await ctx.store.matchSubscriptions('acme', 'order.created')), [
        active!.id,
      ])
      assert.deepEqual(await ctx.store.matchSubscriptions('initech', 'order.created'), [])
    })

    it('follows state changes', async () => {
      const s = makeSubscription()
      await ctx.store.insertSubscription(s)
      await ctx.store.updateSubscription({ ...s, state: 'paused' })
      assert.deepEqual(await ctx.store.matchSubscriptions('acme', 'order.created'), [])
      await ctx.store.updateSubscription({ ...s, state: 'active' })
      assert.deepEqual(ids(await ctx.store.matchSubscriptions('acme', 'order.created')), [s.id])
    })
  })
}
