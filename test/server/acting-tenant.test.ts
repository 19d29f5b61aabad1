import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import Fastify from 'fastify'
import { hookrelayPlugin } from '../../src/server/plugin.ts'
import { testHooks } from '../support/engine.ts'
import { assertProblem, inject, startServer, subscriptionBody } from '../support/server.ts'

// The tenant an admin key acts for (Hookrelay-Tenant, the CLI's --as-tenant) must exist on the
// standalone server: a typo is an error, not a new, empty tenant.
describe('an admin key acting for a tenant that does not exist', () => {
  let dir = ''
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-acting-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('answers 404 tenant_not_found naming the tenant, and writes nothing', async () => {
    const t = await startServer()
    try {
      const as = { 'hookrelay-tenant': 'acme-typo' }
      const list = await t.call(t.adminKey, 'GET', '/webhooks/subscriptions', undefined, as)
      assertProblem(list, 404, 'tenant_not_found')
      assert.equal(list.body.detail, 'no tenant "acme-typo" exists')
      const body = subscriptionBody('http://127.0.0.1:9/hooks', ['order.*'])
      const subscribe = await t.call(t.adminKey, 'POST', '/webhooks/subscriptions', body, as)
      assertProblem(subscribe, 404, 'tenant_not_found')
      const event = { type: 'order.created', data: {} }
      const publish = await t.call(t.adminKey, 'POST', '/webhooks/events', event, as)
      assertProblem(publish, 404, 'tenant_not_found')

      // Once the tenant is made, it is found, and it is empty: the refused calls wrote nothing.
      const made = await t.call(t.adminKey, 'POST', '/admin/tenants', { id: 'acme-typo' })
      assert.equal(made.status, 201, made.text)
      const subs = await t.call(t.adminKey, 'GET', '/webhooks/subscriptions', undefined, as)
      assert.equal(subs.status, 200, subs.text)
      assert.deepEqual(subs.body.data, [])
      const events = await t.call(t.adminKey, 'GET', '/webhooks/events', undefined, as)
      assert.deepEqual(events.body.data, [])
    } finally {
      await t.close()
    }
  })

  it('finds a tenant another process created, asking the store only about ids not yet found', async () => {
    const database = join(dir, 'shared.db')
    const t = await startServer({ engine: { database } })
    const other = await testHooks({ database })
    try {
      let reads = 0
      const getTenant = t.hooks.store.getTenant.bind(t.hooks.store)
      t.hooks.store.getTenant = (id) => {
        reads++
        return getTenant(id)
      }
      const list = (tenant: string) =>
        t.call(t.adminKey, 'GET', '/webhooks/subscriptions', undefined, {
          'hookrelay-tenant': tenant,
        })

      // Made through this server's engine: known without a read.
      assert.equal((await list('acme')).status, 200)
      assert.equal(reads, 0)
      // Not found is not remembered, so a tenant made elsewhere afterwards is found.
      assertProblem(await list('initech'), 404, 'tenant_not_found')
      await other.hooks.tenants.create({ id: 'initech' })
      assert.equal((await list('initech')).status, 200)
      assert.equal(reads, 2)
      assert.equal((await list('initech')).status, 200)
      assert.equal(reads, 2, 'a tenant once found is not read again')
    } finally {
      await other.hooks.close()
      await t.close()
    }
  })

  it('takes any tenant id when the host authenticates: its tenants are its own', async () => {
    const { hooks } = await testHooks()
    const host = Fastify()
    try {
      await host.register(hookrelayPlugin, {
        hooks,
        prefix: '/api',
        authenticate: () => ({ tenant: null, userId: 'ops', roles: ['admin'] }),
      })
      const answer = await inject(host, null, 'GET', '/api/webhooks/subscriptions', undefined, {
        'hookrelay-tenant': 'never-registered',
      })
      assert.equal(answer.status, 200, answer.text)
      assert.deepEqual(answer.body.data, [])
    } finally {
      await host.close()
      await hooks.close()
    }
  })
})
