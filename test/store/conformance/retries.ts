import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { DeliveryStatus } from '../../../src/core/types.ts'
import type { Store } from '../../../src/store/store.ts'
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

const hour = 3_600_000

/**
 * Claims everything due at `now` and records each claim's attempt as `outcomes` says (by delivery
 * id): a 500 that leaves it `failed` or `retrying` (due an hour later), or a 200.
 */
async function attemptAll(
  store: Store,
  now: number,
  outcomes: Record<string, DeliveryStatus>,
): Promise<void> {
  const claims = await claimAll(store, now)
  await store.recordAttempts(
    claims.map((c) => {
      const status = outcomes[c.id] ?? 'succeeded'
      if (status === 'succeeded') return attemptRecord(c, { startedAt: now })
      const nextAttemptAt = status === 'retrying' ? now + hour : null
      return attemptRecord(c, { startedAt: now, statusCode: 500, status, nextAttemptAt })
    }),
  )
}

/** retryDeliveries: the event log's bulk retry of failed deliveries. */
export function retryCases(ctx: StoreContext): void {
  describe('retryDeliveries', () => {
    it('queues the failed and retrying deliveries of the events the filter selects', async () => {
      const [s, foreign] = await insertAll(
        ctx.store,
        makeSubscription({ events: ['order.*'] }),
        makeSubscription({ tenant: 'globex', events: ['order.*'] }),
      )
      const created = (at: number) => makeEvent({ type: 'order.created', at })
      const [failed] = await publish(ctx.store, created(T0 + 100), [s!])
      const [retrying] = await publish(ctx.store, created(T0 + 200), [s!])
      const [succeeded] = await publish(ctx.store, created(T0 + 300), [s!])
      const [otherType] = await publish(
        ctx.store,
        makeEvent({ type: 'order.shipped', at: T0 + 200 }),
        [s!],
      )
      const [tooOld] = await publish(ctx.store, created(T0), [s!])
      // `until` is exclusive.
      const [tooNew] = await publish(ctx.store, created(T0 + 1_000), [s!])
      const [otherTenant] = await publish(
        ctx.store,
        makeEvent({ tenant: 'globex', at: T0 + 200 }),
        [foreign!],
      )
      await attemptAll(ctx.store, T0 + 1_000, {
        [failed!]: 'failed',
        [retrying!]: 'retrying',
        [otherType!]: 'failed',
        [tooOld!]: 'failed',
        [tooNew!]: 'failed',
        [otherTenant!]: 'failed',
      })
      const [pending] = await publish(ctx.store, created(T0 + 400), [s!])

      const query = {
        tenant: 'acme',
        type: 'order.created',
        since: T0 + 100,
        until: T0 + 1_000,
        limit: 100,
      }
      const retried = await ctx.store.retryDeliveries(query, T0 + 2_000)
      assert.deepEqual(retried, { queued: 2, skipped: 0 })
      for (const id of [failed!, retrying!]) {
        const d = await ctx.store.getDelivery(id)
        assert.equal(d?.status, 'pending')
        assert.equal(d?.attempts, 0)
        assert.equal(d?.nextAttemptAt, iso(T0 + 2_000))
      }
      for (const id of [otherType!, tooOld!, tooNew!, otherTenant!]) {
        assert.equal((await ctx.store.getDelivery(id))?.status, 'failed')
      }
      assert.equal((await ctx.store.getDelivery(succeeded!))?.status, 'succeeded')
      // Due now: the retrying one no longer waits for its next attempt an hour away.
      const due = await claimAll(ctx.store, T0 + 2_000)
      assert.deepEqual(due.map((c) => c.id).sort(), [failed!, retrying!, pending!].sort())
      assert.equal(due.find((c) => c.id === retrying)?.attempts, 0)
      // Nothing is left to retry twice.
      assert.deepEqual(await ctx.store.retryDeliveries(query, T0 + 3_000), {
        queued: 0,
        skipped: 0,
      })
    })

    it('narrows to a status: failed takes retrying too, retrying only itself', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [failed] = await publish(ctx.store, makeEvent({ at: T0 }), [s!])
      const [retrying] = await publish(ctx.store, makeEvent({ at: T0 }), [s!])
      await attemptAll(ctx.store, T0, { [failed!]: 'failed', [retrying!]: 'retrying' })
      for (const status of ['succeeded', 'pending', 'cancelled'] as const) {
        assert.deepEqual(
          await ctx.store.retryDeliveries({ tenant: 'acme', status, limit: 100 }, T0 + 10),
          {
            queued: 0,
            skipped: 0,
          },
        )
      }
      assert.equal((await ctx.store.getDelivery(failed!))?.status, 'failed')

      const onlyRetrying = { tenant: 'acme', status: 'retrying' as const, limit: 100 }
      assert.equal((await ctx.store.retryDeliveries(onlyRetrying, T0 + 10)).queued, 1)
      assert.equal((await ctx.store.getDelivery(retrying!))?.status, 'pending')
      assert.equal((await ctx.store.getDelivery(failed!))?.status, 'failed')
      const hasFailed = { tenant: 'acme', status: 'failed' as const, limit: 100 }
      assert.equal((await ctx.store.retryDeliveries(hasFailed, T0 + 10)).queued, 1)
      assert.equal((await ctx.store.getDelivery(failed!))?.status, 'pending')
    })

    it('queues at most limit deliveries; the next call queues the rest', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const ids: string[] = []
      for (let i = 0; i < 3; i++) ids.push(...(await publish(ctx.store, makeEvent(), [s!])))
      await attemptAll(ctx.store, T0, Object.fromEntries(ids.map((id) => [id, 'failed'])))
      const query = { tenant: 'acme', limit: 2 }
      assert.deepEqual(await ctx.store.retryDeliveries(query, T0 + 10), { queued: 2, skipped: 0 })
      const first = await claimAll(ctx.store, T0 + 10)
      assert.equal(first.length, 2)
      assert.deepEqual(await ctx.store.retryDeliveries(query, T0 + 20), { queued: 1, skipped: 0 })
      const rest = await claimAll(ctx.store, T0 + 20, 'lease-b')
      assert.deepEqual([...first, ...rest].map((c) => c.id).sort(), ids.sort())
    })

    it('leaves the deliveries of paused, disabled and deleted subscriptions, and counts them', async () => {
      const subs = await insertAll(
        ctx.store,
        makeSubscription(),
        makeSubscription(),
        makeSubscription(),
        makeSubscription(),
      )
      const [active, paused, disabled, deleted] = subs
      const ids = await publish(ctx.store, makeEvent({ at: T0 }), subs)
      await attemptAll(ctx.store, T0, Object.fromEntries(ids.map((id) => [id, 'failed'])))
      await ctx.store.updateSubscription({ ...paused!, state: 'paused' })
      await ctx.store.updateSubscription({
        ...disabled!,
        state: 'disabled',
        disabledReason: 'too many failures',
      })
      await ctx.store.deleteSubscription(deleted!.id)

      assert.deepEqual(await ctx.store.retryDeliveries({ tenant: 'acme', limit: 100 }, T0 + 10), {
        queued: 1,
        skipped: 3,
      })
      const statuses = await Promise.all(ids.map((id) => ctx.store.getDelivery(id)))
      assert.deepEqual(
        statuses.map((d) => [d?.subscriptionId, d?.status]),
        [
          [active!.id, 'pending'],
          [paused!.id, 'failed'],
          [disabled!.id, 'failed'],
          [deleted!.id, 'failed'],
        ],
      )
    })

    it('never sends a delivery in flight twice: its attempt decides', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent({ at: T0 }), [s!])
      await attemptAll(ctx.store, T0, { [id!]: 'retrying' })
      const [inFlight] = await claimAll(ctx.store, T0 + hour, 'lease-r')
      assert.equal(inFlight?.id, id)
      // A store may requeue it under the lease or leave it to its attempt; either way, no claim
      // returns it while the lease holds.
      await ctx.store.retryDeliveries({ tenant: 'acme', limit: 100 }, T0 + hour + 10)
      assert.deepEqual(await claimAll(ctx.store, T0 + hour + 10, 'lease-s'), [])
      await ctx.store.recordAttempts([attemptRecord(inFlight!, { startedAt: T0 + hour })])
      assert.equal((await ctx.store.getDelivery(id!))?.status, 'succeeded')
      assert.deepEqual(await claimAll(ctx.store, T0 + 2 * hour, 'lease-t'), [])
    })
  })
}
