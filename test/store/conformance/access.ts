import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { ConflictError, NotFoundError } from '../../../src/core/errors.ts'
import { newId } from '../../../src/core/ids.ts'
import type { StoredApiKey } from '../../../src/core/types.ts'
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

/** A stored key of `tenant` (null: an admin key) with a random hash, made at `at`. */
function makeKey(tenant: string | null, at = T0, overrides: Partial<StoredApiKey> = {}) {
  return {
    id: newId('key', at),
    tenant,
    name: tenant === null ? 'admin' : `${tenant} key`,
    roles: tenant === null ? ['admin'] : ['user', 'service'],
    hash: randomBytes(32).toString('hex'),
    createdAt: iso(at),
    ...overrides,
  } satisfies StoredApiKey
}

/** Tenants, API keys (stored as hashes) and the backlog counts behind the metrics gauges. */
export function accessCases(ctx: StoreContext): void {
  describe('tenants', () => {
    it('stores a tenant, gives it back, and refuses the same id twice', async () => {
      const acme = { id: 'acme', name: 'Acme Inc.', createdAt: iso(T0) }
      const nameless = { id: 'globex', name: null, createdAt: iso(T0 + 1) }
      await ctx.store.insertTenant(acme)
      await ctx.store.insertTenant(nameless)
      assert.deepEqual(await ctx.store.getTenant('acme'), acme)
      assert.deepEqual(await ctx.store.getTenant('globex'), nameless)
      assert.equal(await ctx.store.getTenant('initech'), null)
      await assert.rejects(
        ctx.store.insertTenant({ id: 'acme', name: 'Other', createdAt: iso(T0 + 2) }),
        (error: unknown) => error instanceof ConflictError && error.code === 'conflict',
      )
      assert.deepEqual(await ctx.store.getTenant('acme'), acme)
    })

    it('lists every tenant by id', async () => {
      assert.deepEqual(await ctx.store.listTenants(), [])
      const tenants = ['zeta', 'acme', 'globex'].map((id, i) => ({
        id,
        name: null,
        createdAt: iso(T0 + i),
      }))
      for (const tenant of tenants) await ctx.store.insertTenant(tenant)
      assert.deepEqual(
        (await ctx.store.listTenants()).map((t) => t.id),
        ['acme', 'globex', 'zeta'],
      )
    })
  })

  describe('API keys', () => {
    it('finds a key by its hash and lists keys per tenant, oldest first, without hashes', async () => {
      await ctx.store.insertTenant({ id: 'acme', name: null, createdAt: iso(T0) })
      await ctx.store.insertTenant({ id: 'globex', name: null, createdAt: iso(T0) })
      const later = makeKey('acme', T0 + 2_000)
      const earlier = makeKey('acme', T0 + 1_000, { name: null, roles: ['service'] })
      const foreign = makeKey('globex', T0)
      const admin = makeKey(null, T0 + 500)
      for (const key of [later, earlier, foreign, admin]) await ctx.store.insertApiKey(key)

      assert.deepEqual(await ctx.store.findApiKeyByHash(earlier.hash), earlier)
      assert.deepEqual(await ctx.store.findApiKeyByHash(admin.hash), admin)
      assert.equal(await ctx.store.findApiKeyByHash('0'.repeat(64)), null)

      const withoutHash = ({ hash: _, ...key }: StoredApiKey) => key
      const acmeKeys = await ctx.store.listApiKeys('acme')
      assert.deepEqual(acmeKeys, [withoutHash(earlier), withoutHash(later)])
      for (const key of acmeKeys) assert.equal('hash' in key, false)
      assert.deepEqual(await ctx.store.listApiKeys(null), [withoutHash(admin)])
      assert.deepEqual(await ctx.store.listApiKeys('globex'), [withoutHash(foreign)])
      assert.deepEqual(await ctx.store.listApiKeys('initech'), [])
      assert.equal(await ctx.store.countApiKeys(), 4)
    })

    it('refuses a key for a tenant that does not exist, writing nothing', async () => {
      await assert.rejects(ctx.store.insertApiKey(makeKey('initech')), (error: unknown) => {
        return (
          error instanceof NotFoundError && error.resource === 'tenant' && error.id === 'initech'
        )
      })
      assert.equal(await ctx.store.countApiKeys(), 0)
    })

    it('refuses a second key with the same hash', async () => {
      const first = makeKey(null)
      await ctx.store.insertApiKey(first)
      await assert.rejects(
        ctx.store.insertApiKey(makeKey(null, T0 + 1, { hash: first.hash })),
        (error: unknown) => error instanceof ConflictError && error.code === 'conflict',
      )
      assert.equal(await ctx.store.countApiKeys(), 1)
    })

    it('deletes a key, which then is found nowhere; false when it does not exist', async () => {
      await ctx.store.insertTenant({ id: 'acme', name: null, createdAt: iso(T0) })
      const kept = makeKey('acme', T0)
      const gone = makeKey('acme', T0 + 1)
      await ctx.store.insertApiKey(kept)
      await ctx.store.insertApiKey(gone)
      assert.equal(await ctx.store.countApiKeys(), 2)
      assert.equal(await ctx.store.deleteApiKey(gone.id), true)
      assert.equal(await ctx.store.findApiKeyByHash(gone.hash), null)
      assert.deepEqual(
        (await ctx.store.listApiKeys('acme')).map((k) => k.id),
        [kept.id],
      )
      assert.equal(await ctx.store.countApiKeys(), 1)
      assert.equal(await ctx.store.deleteApiKey(gone.id), false)
      assert.equal(await ctx.store.deleteApiKey('key_unknown'), false)
    })
  })

  describe('backlogStats', () => {
    it('is all zeros on an empty store', async () => {
      assert.deepEqual(await ctx.store.backlogStats(T0), {
        pending: 0,
        due: 0,
        disabledSubscriptions: 0,
      })
    })

    it('counts pending and due deliveries and disabled subscriptions of every tenant', async () => {
      const [s, retrying, turnedOff] = await insertAll(
        ctx.store,
        makeSubscription(),
        makeSubscription(),
        makeSubscription(),
        makeSubscription({ tenant: 'globex', state: 'disabled', disabledReason: 'failing' }),
        makeSubscription({ state: 'paused' }),
      )
      // Succeeded, and pending again 5 s later after a failure.
      await publish(ctx.store, makeEvent({ at: T0 }), [s!, retrying!])
      const first = await claimAll(ctx.store, T0)
      await ctx.store.recordAttempts(
        first.map((c) =>
          c.subscription.id === s!.id
            ? attemptRecord(c)
            : attemptRecord(c, { statusCode: 500, status: 'retrying', nextAttemptAt: T0 + 5_000 }),
        ),
      )
      // Cancelled when its subscription is disabled.
      await publish(ctx.store, makeEvent({ at: T0 }), [turnedOff!])
      await ctx.store.updateSubscription({ ...turnedOff!, state: 'disabled', updatedAt: iso(T0) })
      // Failed for good.
      await publish(ctx.store, makeEvent({ at: T0 + 100 }), [s!])
      const [doomed] = await claimAll(ctx.store, T0 + 100)
      await ctx.store.recordAttempts([
        attemptRecord(doomed!, { statusCode: 500, status: 'failed' }),
      ])
      // Due at T0 + 1 s, then leased (still pending, due again when the lease runs out).
      await publish(ctx.store, makeEvent({ at: T0 + 1_000 }), [s!])
      await claimAll(ctx.store, T0 + 1_000)
      // Due at T0 + 2 s and at T0 + 60 s.
      await publish(ctx.store, makeEvent({ at: T0 + 2_000 }), [s!])
      await publish(ctx.store, makeEvent({ at: T0 + 60_000 }), [s!])

      const stats = (now: number) => ctx.store.backlogStats(now)
      assert.deepEqual(await stats(T0 + 1_999), { pending: 4, due: 0, disabledSubscriptions: 2 })
      assert.deepEqual(await stats(T0 + 2_000), { pending: 4, due: 1, disabledSubscriptions: 2 })
      assert.deepEqual(await stats(T0 + 5_000), { pending: 4, due: 2, disabledSubscriptions: 2 })
      assert.deepEqual(await stats(T0 + 31_000), { pending: 4, due: 3, disabledSubscriptions: 2 })
      assert.deepEqual(await stats(T0 + 60_000), { pending: 4, due: 4, disabledSubscriptions: 2 })
    })
  })
}
