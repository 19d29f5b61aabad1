import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ConflictError, hashApiKey, NotFoundError, ValidationError } from '../../src/index.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

const invalid = (field: string) => (err: unknown) =>
  err instanceof ValidationError && err.field === field && err.code === 'invalid_input'

describe('tenants', () => {
  it('creates a tenant, reads it back, and refuses the same id twice', async () => {
    const acme = await t.hooks.tenants.create({ id: 'acme', name: 'Acme Inc.' })
    assert.deepEqual(acme, {
      id: 'acme',
      name: 'Acme Inc.',
      createdAt: new Date(t.clock.now).toISOString(),
    })
    assert.deepEqual(await t.hooks.tenants.get('acme'), acme)
    assert.equal((await t.hooks.tenants.create({ id: 'globex' })).name, null)
    await assert.rejects(
      t.hooks.tenants.create({ id: 'acme' }),
      (err: unknown) => err instanceof ConflictError && err.code === 'conflict',
    )
    assert.deepEqual(await t.hooks.tenants.get('acme'), acme)
  })

  it('refuses a bad id or name, naming the field, and answers NotFoundError for no tenant', async () => {
    for (const id of ['', 'a b', 'x'.repeat(65), 'ünï', 42]) {
      await assert.rejects(t.hooks.tenants.create({ id } as never), invalid('id'))
    }
    await assert.rejects(t.hooks.tenants.create({} as never), invalid('id'))
    await assert.rejects(
      t.hooks.tenants.create({ id: 'acme', name: 'n'.repeat(201) }),
      invalid('name'),
    )
    await assert.rejects(
      t.hooks.tenants.get('acme'),
      (err: unknown) => err instanceof NotFoundError && err.resource === 'tenant',
    )
  })
})

describe('API keys', () => {
  it('creates a key shown once and verifies it; the store keeps only its hash', async () => {
    await t.hooks.tenants.create({ id: 'acme' })
    const created = await t.hooks.keys.create({
      tenant: 'acme',
      roles: ['user', 'service', 'user'],
      name: 'ci',
    })
    assert.match(created.key, /^hr_[A-Za-z0-9_-]{43}$/)
    assert.match(created.id, /^key_/)
    const { key, ...apiKey } = created
    assert.deepEqual(apiKey, {
      id: created.id,
      tenant: 'acme',
      name: 'ci',
      roles: ['user', 'service'],
      createdAt: new Date(t.clock.now).toISOString(),
    })

    assert.deepEqual(await t.hooks.keys.verify(key), apiKey)
    assert.equal(await t.hooks.keys.verify('hr_wrong'), null)
    assert.equal(await t.hooks.keys.verify(''), null)
    assert.equal(await t.hooks.keys.verify(`${key}x`), null)

    const stored = await t.hooks.store.findApiKeyByHash(hashApiKey(key))
    assert.equal(stored?.id, created.id)
    assert.match(stored.hash, /^[0-9a-f]{64}$/)
    assert.ok(!JSON.stringify(stored).includes(key))

    const listed = await t.hooks.keys.list('acme')
    assert.deepEqual(listed, [apiKey])
    assert.equal('hash' in listed[0]!, false)
    assert.equal('key' in listed[0]!, false)
    assert.deepEqual(await t.hooks.keys.list(null), [])
    assert.equal(await t.hooks.keys.count(), 1)
  })

  it('makes a different key every time, and admin keys without a tenant', async () => {
    const a = await t.hooks.keys.create({ tenant: null, roles: ['admin'] })
    const b = await t.hooks.keys.create({ tenant: null, roles: ['admin'] })
    assert.notEqual(a.key, b.key)
    assert.notEqual(a.id, b.id)
    assert.equal(a.tenant, null)
    assert.equal(a.name, null)
    assert.equal((await t.hooks.keys.verify(b.key))?.id, b.id)
    assert.deepEqual(
      (await t.hooks.keys.list(null)).map((k) => k.id),
      [a.id, b.id],
    )
  })

  it('refuses a key for a tenant that does not exist', async () => {
    await assert.rejects(
      t.hooks.keys.create({ tenant: 'initech', roles: ['user'] }),
      (err: unknown) =>
        err instanceof NotFoundError && err.resource === 'tenant' && err.id === 'initech',
    )
    await assert.rejects(t.hooks.keys.create({ tenant: 'a b', roles: ['user'] }), invalid('tenant'))
    assert.equal(await t.hooks.keys.count(), 0)
  })

  it('refuses bad roles and names, naming the field', async () => {
    const bad = [
      [{ roles: [] }, 'roles'],
      [{ roles: 'admin' }, 'roles'],
      [{ roles: ['user', 'has space'] }, 'roles[1]'],
      [{ roles: ['x'.repeat(65)] }, 'roles[0]'],
      [{ roles: [7] }, 'roles[0]'],
      [{ roles: Array.from({ length: 21 }, (_, i) => `r${i}`) }, 'roles'],
      [{ roles: ['user'], name: 'n'.repeat(201) }, 'name'],
    ] as const
    for (const [input, field] of bad) {
      await assert.rejects(t.hooks.keys.create({ tenant: null, ...input } as never), invalid(field))
    }
    const custom = await t.hooks.keys.create({
      tenant: null,
      roles: ['webhooks:manage', 'a.b_c-d'],
    })
    assert.deepEqual(custom.roles, ['webhooks:manage', 'a.b_c-d'])
    assert.equal(await t.hooks.keys.count(), 1)
  })

  it('ensures an operator-chosen admin key once, and refuses a short or odd one', async () => {
    const chosen = 'operator-chosen_key.0123~'
    const input = { tenant: null, roles: ['admin'], name: 'from --admin-key' }
    const first = await t.hooks.keys.ensure(chosen, input)
    assert.equal(first.tenant, null)
    assert.deepEqual(first.roles, ['admin'])
    assert.equal('hash' in first, false)
    t.clock.advance(1_000)
    const again = await t.hooks.keys.ensure(chosen, { ...input, roles: ['admin', 'user'] })
    assert.deepEqual(again, first)
    assert.equal(await t.hooks.keys.count(), 1)
    assert.deepEqual(await t.hooks.keys.verify(chosen), first)

    for (const key of ['too-short-key', 'has spaces in it, sixteen+', 'ключ-ключ-ключ-ключ', 42]) {
      await assert.rejects(t.hooks.keys.ensure(key as never, input), invalid('key'))
    }
    await assert.rejects(
      t.hooks.keys.ensure('another-operator-key', { ...input, roles: [] }),
      invalid('roles'),
    )
    assert.equal(await t.hooks.keys.count(), 1)
  })

  it('stops verifying a key as soon as it is deleted, though it was cached', async () => {
    await t.hooks.tenants.create({ id: 'acme' })
    const kept = await t.hooks.keys.create({ tenant: 'acme', roles: ['user'] })
    const gone = await t.hooks.keys.create({ tenant: 'acme', roles: ['user'] })
    assert.equal((await t.hooks.keys.verify(gone.key))?.id, gone.id)
    await t.hooks.keys.delete(gone.id)
    assert.equal(await t.hooks.keys.verify(gone.key), null)
    assert.equal((await t.hooks.keys.verify(kept.key))?.id, kept.id)
    assert.deepEqual(
      (await t.hooks.keys.list('acme')).map((k) => k.id),
      [kept.id],
    )
    await assert.rejects(
      t.hooks.keys.delete(gone.id),
      (err: unknown) =>
        err instanceof NotFoundError && err.resource === 'key' && err.id === gone.id,
    )
  })

  it('answers verify from its cache for 10 s, then asks the store again', async (ctx) => {
    const created = await t.hooks.keys.create({ tenant: null, roles: ['admin'] })
    const lookups = ctx.mock.method(t.hooks.store, 'findApiKeyByHash')
    await t.hooks.keys.verify(created.key)
    await t.hooks.keys.verify(created.key)
    t.clock.advance(9_999)
    await t.hooks.keys.verify(created.key)
    assert.equal(lookups.mock.callCount(), 1)
    // Deleted behind the API's back (another process): still trusted until the entry expires.
    await t.hooks.store.deleteApiKey(created.id)
    assert.equal((await t.hooks.keys.verify(created.key))?.id, created.id)
    t.clock.advance(1)
    assert.equal(await t.hooks.keys.verify(created.key), null)
    assert.equal(lookups.mock.callCount(), 2)
    // Unknown keys are never cached.
    await t.hooks.keys.verify('hr_wrong')
    await t.hooks.keys.verify('hr_wrong')
    assert.equal(lookups.mock.callCount(), 4)
  })
})
