import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Hookrelay } from '../../src/index.ts'
import { verifyStandard } from '../../src/receiver/index.ts'
import type { Principal } from '../../src/server/auth.ts'
import { type HookrelayPluginOptions, hookrelayPlugin } from '../../src/server/plugin.ts'
import { type TestClock, testHooks } from '../support/engine.ts'
import { TestReceiver } from '../support/receiver.ts'
import { assertProblem, inject, subscriptionBody } from '../support/server.ts'

/** The host's own auth: `x-org` is the tenant, `x-user` the user, `x-roles` the roles. */
function headerPrincipal(request: FastifyRequest): Principal | null {
  const org = request.headers['x-org']
  if (typeof org !== 'string') return null
  const user = request.headers['x-user']
  const roles = request.headers['x-roles']
  return {
    tenant: org,
    userId: typeof user === 'string' ? user : null,
    roles: typeof roles === 'string' ? roles.split(',') : [],
  }
}

/** A host app with its own routes, error handler and 404, and Hookrelay mounted as told. */
async function hostApp(hooks: Hookrelay, options: Partial<HookrelayPluginOptions> = {}) {
  const host = Fastify()
  host.setErrorHandler((error: Error, _request, reply) =>
    reply.code(418).send({ hostHandled: error.message }),
  )
  host.get('/own', async () => ({ host: true }))
  host.get('/own/fail', async () => {
    throw new Error('the host failed')
  })
  host.post('/own/echo', async (request) => ({ echoed: request.body }))
  await host.register(hookrelayPlugin, {
    prefix: '/api',
    hooks,
    roles: null,
    authenticate: headerPrincipal,
    ...options,
  })
  return host
}

describe('the Fastify plugin in a host app', () => {
  let receiver: TestReceiver
  let hooks: Hookrelay
  let clock: TestClock
  let host: FastifyInstance
  const as = (org: string | null, user = 'u1') =>
    org === null ? {} : { 'x-org': org, 'x-user': user }
  const call = (
    org: string | null,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ) => inject(host, null, method, url, body, as(org))

  before(async () => {
    receiver = await TestReceiver.start()
  })
  after(() => receiver.close())
  beforeEach(async () => {
    ;({ hooks, clock } = await testHooks())
    host = await hostApp(hooks)
    receiver.received.length = 0
  })
  afterEach(async () => {
    await host.close()
    await hooks.close()
  })

  it('answers under the prefix, with the tenant and user from authenticate', async () => {
    const created = await call(
      'acme',
      'POST',
      '/api/webhooks/subscriptions',
      subscriptionBody(`${receiver.url}/host`),
    )
    assert.equal(created.status, 201, created.text)
    assert.equal(created.body.tenant, 'acme')
    assert.equal(created.body.createdBy, 'u1')

    const published = await call('acme', 'POST', '/api/webhooks/events', {
      type: 'order.created',
      data: { id: 1 },
    })
    assert.equal(published.status, 202, published.text)
    assert.equal(published.body.deliveries, 1)
    await hooks.drain()
    const [request] = receiver.at('/host')
    assert.ok(request)
    assert.equal(JSON.parse(request.body).tenant, 'acme')
    verifyStandard({
      secret: created.body.config.secret,
      headers: request.headers,
      body: request.body,
      now: clock.now,
    })

    const event = await call('acme', 'GET', `/api/webhooks/events/${published.body.id}`)
    assert.equal(event.body.deliveries[0].status, 'succeeded')

    const unprefixed = await call('acme', 'GET', '/webhooks/subscriptions')
    assert.equal(unprefixed.status, 404)
    assert.doesNotMatch(String(unprefixed.headers['content-type']), /problem/)
  })

  it('keeps tenants apart by what authenticate answers', async () => {
    const created = await call(
      'acme',
      'POST',
      '/api/webhooks/subscriptions',
      subscriptionBody(`${receiver.url}/a`),
    )
    const theirs = await call('globex', 'GET', '/api/webhooks/subscriptions')
    assert.deepEqual(theirs.body.data, [])
    assertProblem(
      await call('globex', 'GET', `/api/webhooks/subscriptions/${created.body.id}`),
      404,
      'not_found',
    )
    assertProblem(
      await call('globex', 'POST', '/api/webhooks/subscriptions', {
        ...subscriptionBody(`${receiver.url}/b`),
        tenant: 'acme',
      }),
      400,
      'invalid_input',
      'tenant',
    )
    const ours = await call('acme', 'GET', '/api/webhooks/subscriptions')
    assert.equal(ours.body.data.length, 1)
  })

  it('answers 401 when authenticate finds no principal, without asking for an API key', async () => {
    const response = await call(null, 'GET', '/api/webhooks/subscriptions')
    assertProblem(response, 401, 'unauthorized')
    assert.equal(response.body.detail, "the host app's authenticate did not identify the caller")
    assertProblem(
      await call(null, 'POST', '/api/webhooks/events', { type: 'a.b' }),
      401,
      'unauthorized',
    )
  })

  it('checks no roles with roles: null: any principal may manage, publish and search', async () => {
    const created = await call(
      'acme',
      'POST',
      '/api/webhooks/subscriptions',
      subscriptionBody(`${receiver.url}/r`),
    )
    assert.equal(created.status, 201)
    const search = await call(
      'acme',
      'GET',
      '/api/webhooks/subscriptions/search?event=order.created',
    )
    assert.equal(search.status, 200, search.text)
    assert.equal(search.body.length, 1)
    assert.equal((await call('acme', 'POST', '/api/webhooks/events', { type: 'a.b' })).status, 202)
  })

  it('leaves the host’s own routes, error handler and 404 alone', async () => {
    const own = await inject(host, null, 'GET', '/own')
    assert.equal(own.status, 200)
    assert.deepEqual(own.body, { host: true })
    const echoed = await inject(host, null, 'POST', '/own/echo', { anything: 1, extra: true })
    assert.deepEqual(echoed.body, { echoed: { anything: 1, extra: true } })
    const failed = await inject(host, null, 'GET', '/own/fail')
    assert.equal(failed.status, 418)
    assert.deepEqual(failed.body, { hostHandled: 'the host failed' })
    const missing = await inject(host, null, 'GET', '/nowhere')
    assert.equal(missing.status, 404)
    assert.doesNotMatch(String(missing.headers['content-type']), /problem/)

    // …while the plugin's own errors are still problem details.
    assertProblem(
      await call('acme', 'POST', '/api/webhooks/subscriptions', { name: 'x' }),
      400,
      'invalid_input',
      'events',
    )
    assertProblem(await call('acme', 'GET', '/api/webhooks/nowhere'), 404, 'route_not_found')
    const wrongMethod = await call('acme', 'PUT', '/api/webhooks/events')
    assertProblem(wrongMethod, 405, 'method_not_allowed')
    assert.equal(wrongMethod.headers.allow, 'GET, HEAD, POST')
  })

  it('mounts no admin routes when the host authenticates', async () => {
    const response = await call('acme', 'POST', '/api/admin/tenants', { id: 'x' })
    assert.equal(response.status, 404)
  })

  it('checks role names from authenticate when roles are given', async () => {
    await host.close()
    host = await hostApp(hooks, {
      roles: { user: 'webhooks:manage', service: 'webhooks:publish' },
      authenticate: async (request) => headerPrincipal(request),
    })
    const headers = (roles: string) => ({ 'x-org': 'acme', 'x-roles': roles })
    const manage = await inject(
      host,
      null,
      'GET',
      '/api/webhooks/subscriptions',
      undefined,
      headers('webhooks:manage'),
    )
    assert.equal(manage.status, 200, manage.text)
    assertProblem(
      await inject(host, null, 'GET', '/api/webhooks/subscriptions', undefined, headers('user')),
      403,
      'forbidden',
    )
    assertProblem(
      await inject(
        host,
        null,
        'POST',
        '/api/webhooks/events',
        { type: 'a.b' },
        headers('webhooks:manage'),
      ),
      403,
      'forbidden',
    )
    const published = await inject(
      host,
      null,
      'POST',
      '/api/webhooks/events',
      { type: 'a.b' },
      headers('webhooks:publish'),
    )
    assert.equal(published.status, 202, published.text)
  })

  it('mounts without a prefix into a host that has its own not-found handler', async () => {
    const plain = Fastify()
    plain.setNotFoundHandler((_request, reply) => reply.code(404).send({ hostNotFound: true }))
    plain.get('/own', async () => ({ host: true }))
    try {
      await plain.register(hookrelayPlugin, {
        hooks,
        roles: null,
        authenticate: headerPrincipal,
      })
      const created = await inject(
        plain,
        null,
        'POST',
        '/webhooks/subscriptions',
        subscriptionBody(`${receiver.url}/plain`),
        as('acme'),
      )
      assert.equal(created.status, 201, created.text)
      assert.deepEqual((await inject(plain, null, 'GET', '/own')).body, { host: true })
      const missing = await inject(plain, null, 'GET', '/nowhere')
      assert.deepEqual(missing.body, { hostNotFound: true }, 'the host keeps its 404')
    } finally {
      await plain.close()
    }
  })
})
