import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { idFloor } from '../../../src/core/ids.ts'
import type { StoredSubscription } from '../../../src/core/types.ts'
import type { AttemptRecord } from '../../../src/store/store.ts'
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

/** recordAttempts, the attempt log and the failure run. */
export function attemptCases(ctx: StoreContext): void {
  describe('attempts', () => {
    it('records a success and ends the delivery', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent(), [s!])
      const [claimed] = await claimAll(ctx.store, T0)
      const record = attemptRecord(claimed!, { startedAt: T0 + 100 })
      assert.deepEqual(await ctx.store.recordAttempts([record]), [])
      const delivery = await ctx.store.getDelivery(id!)
      assert.equal(delivery?.status, 'succeeded')
      assert.equal(delivery?.attempts, 1)
      assert.equal(delivery?.nextAttemptAt, null)
      assert.equal(delivery?.lastStatusCode, 200)
      assert.equal(delivery?.lastError, null)
      assert.deepEqual(await ctx.store.listAttempts({ deliveryId: id! }), [record.attempt])
      assert.deepEqual(await claimAll(ctx.store, T0 + 100_000), [])
    })

    it('records a failure with its retry, then the retry', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent(), [s!])
      const [first] = await claimAll(ctx.store, T0)
      const failure = attemptRecord(first!, {
        statusCode: null,
        error: 'connect ECONNREFUSED',
        status: 'retrying',
        nextAttemptAt: T0 + 5_000,
      })
      await ctx.store.recordAttempts([failure])
      const pending = await ctx.store.getDelivery(id!)
      assert.equal(pending?.status, 'retrying')
      assert.equal(pending?.attempts, 1)
      assert.equal(pending?.nextAttemptAt, iso(T0 + 5_000))
      assert.equal(pending?.lastStatusCode, null)
      assert.equal(pending?.lastError, 'connect ECONNREFUSED')
      assert.deepEqual(await claimAll(ctx.store, T0 + 4_999), [])
      const [second] = await claimAll(ctx.store, T0 + 5_000, 'lease-b')
      assert.equal(second?.attempts, 1)
      const giveUp = attemptRecord(second!, { statusCode: 503, startedAt: T0 + 5_000 })
      await ctx.store.recordAttempts([{ ...giveUp, status: 'failed', nextAttemptAt: null }])
      const failed = await ctx.store.getDelivery(id!)
      assert.equal(failed?.status, 'failed')
      assert.equal(failed?.attempts, 2)
      assert.equal(failed?.lastStatusCode, 503)
      const log = await ctx.store.listAttempts({ deliveryId: id! })
      assert.deepEqual(log, [failure.attempt, giveUp.attempt])
    })

    it('logs an attempt under a stale lease without touching the delivery', async () => {
      const [s] = await insertAll(ctx.store, makeSubscription())
      const [id] = await publish(ctx.store, makeEvent(), [s!])
      const [stale] = await claimAll(ctx.store, T0, 'old')
      const [fresh] = await claimAll(ctx.store, T0 + 30_000, 'new')
      await ctx.store.recordAttempts([attemptRecord(stale!, { statusCode: 200 })])
      const untouched = await ctx.store.getDelivery(id!)
      assert.equal(untouched?.status, 'pending')
      assert.equal(untouched?.attempts, 0)
      assert.equal(await ctx.store.nextDueAt(), T0 + 60_000)
      assert.equal((await ctx.store.listAttempts({ deliveryId: id! })).length, 1)
      await ctx.store.recordAttempts([attemptRecord(fresh!, { statusCode: 200 })])
      assert.equal((await ctx.store.getDelivery(id!))?.status, 'succeeded')
      assert.equal((await ctx.store.listAttempts({ deliveryId: id! })).length, 2)
    })

    it('counts a run of failures per subscription and resets it on success', async () => {
      const [a, b] = await insertAll(ctx.store, makeSubscription(), makeSubscription())
      for (let i = 0; i < 3; i++) await publish(ctx.store, makeEvent({ at: T0 + i }), [a!, b!])
      const claims = await claimAll(ctx.store, T0 + 10)
      const ofA = claims.filter((c) => c.subscription.id === a!.id)
      const ofB = claims.filter((c) => c.subscription.id === b!.id)
      const fail = (c: (typeof claims)[number], at: number) =>
        attemptRecord(c, { statusCode: 500, startedAt: at, status: 'retrying', nextAttemptAt: at })
      const health = await ctx.store.recordAttempts([
        fail(ofA[0]!, T0 + 100),
        fail(ofA[1]!, T0 + 200),
        attemptRecord(ofB[0]!, { startedAt: T0 + 100 }),
      ])
      assert.deepEqual(health, [
        { subscriptionId: a!.id, consecutiveFailures: 2, failingSince: T0 + 100 },
      ])
      const [again] = await claimAll(ctx.store, T0 + 200, 'lease-2')
      assert.equal(again?.subscription.id, a!.id)
      const more = await ctx.store.recordAttempts([fail(ofB[1]!, T0 + 300), fail(again!, T0 + 300)])
      assert.deepEqual(
        more.sort((x, y) => x.consecutiveFailures - y.consecutiveFailures),
        [
          { subscriptionId: b!.id, consecutiveFailures: 1, failingSince: T0 + 300 },
          { subscriptionId: a!.id, consecutiveFailures: 3, failingSince: T0 + 100 },
        ],
      )
      // The subscriptions carry their runs, and a list can ask for the failing ones.
      const stored = await ctx.store.getSubscription(a!.id)
      assert.equal(stored?.consecutiveFailures, 3)
      assert.equal(stored?.failingSince, iso(T0 + 100))
      const failing = await ctx.store.listSubscriptions({
        tenant: 'acme',
        health: 'failing',
        limit: 10,
      })
      assert.deepEqual(ids(failing.data), ids([a!, b!]))
      // A failure then a success in one batch: the run ends.
      const reset = await ctx.store.recordAttempts([
        fail(ofA[2]!, T0 + 400),
        attemptRecord(ofA[2]!, { startedAt: T0 + 500 }),
      ])
      assert.deepEqual(reset, [
        { subscriptionId: a!.id, consecutiveFailures: 0, failingSince: null },
      ])
      // The success then a failure: a new run starts at that failure.
      const restart = await ctx.store.recordAttempts([
        attemptRecord(ofB[2]!, { startedAt: T0 + 600 }),
        fail(ofB[2]!, T0 + 700),
      ])
      assert.deepEqual(restart, [
        { subscriptionId: b!.id, consecutiveFailures: 1, failingSince: T0 + 700 },
      ])
      const listed = async (health: 'failing' | 'healthy') =>
        ids((await ctx.store.listSubscriptions({ tenant: 'acme', health, limit: 10 })).data)
      assert.deepEqual(await listed('failing'), [b!.id])
      assert.deepEqual(await listed('healthy'), [a!.id])
      assert.equal((await ctx.store.getSubscription(a!.id))?.failingSince, null)
      assert.deepEqual(await ctx.store.recordAttempts([]), [])
    })

    it('lists the attempts of an event across its deliveries, oldest first', async () => {
      const subs = await insertAll(ctx.store, makeSubscription(), makeSubscription())
      const event = makeEvent()
      await publish(ctx.store, event, subs)
      await publish(ctx.store, makeEvent(), subs)
      const claims = (await claimAll(ctx.store, T0)).filter((c) => c.event.id === event.id)
      const records = claims.map((c, i) => attemptRecord(c, { startedAt: T0 + i }))
      await ctx.store.recordAttempts(records)
      assert.deepEqual(
        await ctx.store.listAttempts({ eventId: event.id }),
        records.map((r) => r.attempt),
      )
      assert.deepEqual(await ctx.store.listAttempts({ eventId: 'evt_unknown' }), [])
    })

    it('lists attempt timings of a tenant or subscription since a time, newest first', async () => {
      const [s, other] = await insertAll(ctx.store, makeSubscription(), makeSubscription())
      const [globex] = await insertAll(ctx.store, makeSubscription({ tenant: 'globex' }))
      for (let i = 0; i < 3; i++) await publish(ctx.store, makeEvent(), [s!])
      await publish(ctx.store, makeEvent(), [other!])
      await publish(ctx.store, makeEvent({ tenant: 'globex' }), [globex!])
      const claims = await claimAll(ctx.store, T0)
      const of = (sub: StoredSubscription) => claims.filter((c) => c.subscription.id === sub.id)
      // Attempt ids sort by time: one made two hours before the window starts is outside it.
      const old = attemptRecord(of(s!)[0]!, { startedAt: T0 - 7_200_000 })
      old.attempt.id = `${idFloor('attempt', T0 - 7_200_000)}0000000000000000`
      const records = [
        old,
        attemptRecord(of(s!)[1]!, { startedAt: T0 + 1, statusCode: 500, status: 'failed' }),
        attemptRecord(of(s!)[2]!, { startedAt: T0 + 2 }),
        attemptRecord(of(other!)[0]!, { startedAt: T0 + 3 }),
        attemptRecord(of(globex!)[0]!, { startedAt: T0 + 4 }),
      ]
      await ctx.store.recordAttempts(records)
      const since = T0 - 3_600_000
      const timing = (r: AttemptRecord) => ({
        subscriptionId: r.attempt.subscriptionId,
        startedAt: Date.parse(r.attempt.startedAt),
        durationMs: r.attempt.durationMs,
        statusCode: r.attempt.statusCode,
      })
      assert.deepEqual(
        await ctx.store.listAttemptTimings({
          tenant: 'acme',
          subscriptionId: s!.id,
          since,
          limit: 10,
        }),
        [records[2]!, records[1]!].map(timing),
      )
      assert.deepEqual(
        await ctx.store.listAttemptTimings({ tenant: 'acme', since, limit: 10 }),
        [records[3]!, records[2]!, records[1]!].map(timing),
      )
      assert.deepEqual(await ctx.store.listAttemptTimings({ tenant: 'acme', since, limit: 1 }), [
        timing(records[3]!),
      ])
      assert.deepEqual(
        await ctx.store.listAttemptTimings({
          tenant: 'globex',
          subscriptionId: s!.id,
          since,
          limit: 10,
        }),
        [],
      )
    })

    it('finds the last failed attempt of a subscription', async () => {
      const [s, other] = await insertAll(ctx.store, makeSubscription(), makeSubscription())
      for (let i = 0; i < 4; i++) await publish(ctx.store, makeEvent(), [s!])
      await publish(ctx.store, makeEvent(), [other!])
      assert.equal(await ctx.store.lastFailedAttempt(s!.id), null)
      const claims = await claimAll(ctx.store, T0)
      const mine = claims.filter((c) => c.subscription.id === s!.id)
      const theirs = claims.find((c) => c.subscription.id === other!.id)!
      await ctx.store.recordAttempts([attemptRecord(mine[0]!)])
      assert.equal(await ctx.store.lastFailedAttempt(s!.id), null)
      const network = attemptRecord(mine[1]!, { statusCode: null, error: 'timeout' })
      const redirect = attemptRecord(mine[2]!, { statusCode: 302, status: 'failed' })
      await ctx.store.recordAttempts([network, redirect, attemptRecord(mine[3]!)])
      await ctx.store.recordAttempts([attemptRecord(theirs, { statusCode: 500 })])
      assert.deepEqual(await ctx.store.lastFailedAttempt(s!.id), redirect.attempt)
    })
  })
}
