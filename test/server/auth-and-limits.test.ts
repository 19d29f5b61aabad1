import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bodyLimit } from '../../src/server/app.ts'
import {
  assertProblem,
  type Method,
  startServer,
  subscriptionBody,
  useServer,
} from '../support/server.ts'

const t = useServer()
const url = (path: string) => `${t.receiver.url}${path}`

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate without a key, with a wrong key or another scheme', async () => {
    const attempts: (Record<string, string> | null)[] = [
      null,
      { authorization: 'Bearer hr_not_a_real_key' },
      { authorization: `Basic ${Buffer.from(`x:${t.keys.acme.user}`).toString('base64')}` },
      { authorization: t.keys.acme.user },
      { authorization: 'Bearer' },
    ]
    for (const headers of attempts) {
      const response = await t.call(
        null,
        'GET',
        '/webhooks/subscriptions',
        undefined,
        headers ?? {},
      )
      assertProblem(response, 401, 'unauthorized', null)
      assert.equal(response.body.detail, 'send a valid API key as Authorization: Bearer')
      assert.equal(response.headers['www-authenticate'], 'Bearer')
    }
    const ok = await t.call(null, 'GET', '/webhooks/subscriptions', undefined, {
      authorization: `bearer   ${t.keys.acme.user}`,
    })
    assert.equal(ok.status, 200, 'the scheme is case-insensitive')
  })

  it('needs no key for health and readiness', async () => {
    const health = await t.call(null, 'GET', '/healthz')
    assert.equal(health.status, 200)
    assert.deepEqual(health.body, { status: 'ok' })
    const ready = await t.call(null, 'GET', '/readyz')
    assert.equal(ready.status, 200)
    assert.deepEqual(ready.body, { status: 'ready' })
    const openapi = await t.call(null, 'GET', '/openapi.json')
    assert.equal(openapi.status, 200)
    assert.equal(openapi.body.openapi, '3.1.0')
  })

  it('answers 403 when the key lacks the role of the route', async () => {
    assertProblem(
      await t.call(t.keys.acme.service, 'GET', '/webhooks/subscriptions'),
      403,
      'forbidden',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'GET', '/webhooks/subscriptions/search?event=a.b'),
      403,
      'forbidden',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', '/webhooks/events', { type: 'a.b' }),
      403,
      'forbidden',
    )
    assertProblem(
      await t.call(t.keys.acme.both, 'POST', '/admin/tenants', { id: 'initech' }),
      403,
      'forbidden',
    )
  })

  it('refuses the admin key on tenant routes: it has no tenant', async () => {
    assertProblem(await t.call(t.adminKey, 'GET', '/webhooks/subscriptions'), 403, 'forbidden')
    const both = await startServer()
    try {
      // An admin key that also carries the tenant roles still has no tenant to act in.
      const key = await both.hooks.keys.create({
        tenant: null,
        roles: ['admin', 'user', 'service'],
      })
      assertProblem(await both.call(key.key, 'GET', '/webhooks/subscriptions'), 403, 'forbidden')
      assertProblem(
        await both.call(key.key, 'POST', '/webhooks/events', { type: 'a.b' }),
        403,
        'forbidden',
      )
      assertProblem(
        await both.call(key.key, 'POST', '/webhooks/subscriptions', subscriptionBody(url('/a'))),
        403,
        'forbidden',
      )
    } finally {
      await both.close()
    }
  })

  it('uses the configured role names', async () => {
    const custom = await startServer({
      server: { roles: { user: 'webhooks:manage', service: 'webhooks:publish' } },
    })
    try {
      const manage = await custom.hooks.keys.create({ tenant: 'acme', roles: ['webhooks:manage'] })
      const publish = await custom.hooks.keys.create({
        tenant: 'acme',
        roles: ['webhooks:publish'],
      })
      assert.equal((await custom.call(manage.key, 'GET', '/webhooks/subscriptions')).status, 200)
      assertProblem(
        await custom.call(custom.keys.acme.user, 'GET', '/webhooks/subscriptions'),
        403,
        'forbidden',
      )
      const published = await custom.call(publish.key, 'POST', '/webhooks/events', { type: 'a.b' })
      assert.equal(published.status, 202, published.text)
      assertProblem(
        await custom.call(manage.key, 'POST', '/webhooks/events', { type: 'a.b' }),
        403,
        'forbidden',
      )
    } finally {
      await custom.close()
    }
  })
})

describe('admin routes', () => {
  it('creates tenants and keys, and a deleted key stops working at once', async () => {
    const tenant = await t.call(t.adminKey, 'POST', '/admin/tenants', {
      id: 'initech',
      name: 'Initech',
    })
    assert.equal(tenant.status, 201, tenant.text)
    assert.equal(tenant.body.id, 'initech')
    assert.equal(tenant.body.name, 'Initech')
    assert.equal(typeof tenant.body.createdAt, 'string')
    assertProblem(
      await t.call(t.adminKey, 'POST', '/admin/tenants', { id: 'initech' }),
      409,
      'conflict',
    )
    assertProblem(
      await t.call(t.adminKey, 'POST', '/admin/tenants', { name: 'no id' }),
      400,
      'invalid_input',
      'id',
    )

    const key = await t.call(t.adminKey, 'POST', '/admin/tenants/initech/keys', {
      roles: ['user', 'service'],
      name: 'ci',
    })
    assert.equal(key.status, 201, key.text)
    assert.match(key.body.id, /^key_/)
    assert.deepEqual(key.body.roles, ['user', 'service'])
    assert.equal(typeof key.body.key, 'string')

    const created = await t.call(
      key.body.key,
      'POST',
      '/webhooks/subscriptions',
      subscriptionBody(url('/initech')),
    )
    assert.equal(created.status, 201, created.text)
    assert.equal(created.body.tenant, 'initech', 'the tenant comes from the key')

    assertProblem(
      await t.call(t.adminKey, 'POST', '/admin/tenants/nobody/keys', { roles: ['user'] }),
      404,
      'not_found',
    )
    assertProblem(
      await t.call(t.adminKey, 'POST', '/admin/tenants/initech/keys', { roles: [] }),
      400,
      'invalid_input',
      'roles',
    )

    const deleted = await t.call(t.adminKey, 'DELETE', `/admin/keys/${key.body.id}`)
    assert.equal(deleted.status, 204)
    assertProblem(await t.call(key.body.key, 'GET', '/webhooks/subscriptions'), 401, 'unauthorized')
    assertProblem(
      await t.call(t.adminKey, 'DELETE', `/admin/keys/${key.body.id}`),
      404,
      'not_found',
    )
  })

  it('refuses every admin route to tenant keys with 403', async () => {
    const key = await t.hooks.keys.create({ tenant: 'acme', roles: ['user'] })
    for (const tenantKey of Object.values(t.keys.acme)) {
      assertProblem(
        await t.call(tenantKey, 'POST', '/admin/tenants', { id: 'sneaky' }),
        403,
        'forbidden',
      )
      assertProblem(
        await t.call(tenantKey, 'POST', '/admin/tenants/acme/keys', { roles: ['admin'] }),
        403,
        'forbidden',
      )
      assertProblem(await t.call(tenantKey, 'DELETE', `/admin/keys/${key.id}`), 403, 'forbidden')
    }
    assert.equal((await t.call(key.key, 'GET', '/webhooks/subscriptions')).status, 200)
  })
})

describe('request limits and problem details', () => {
  it('answers 413 for a body over 1 MiB, and takes one just under it', async () => {
    const over = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', {
      type: 'big.event',
      data: 'x'.repeat(bodyLimit),
    })
    assertProblem(over, 413, 'payload_too_large')
    assert.equal(bodyLimit, 1_048_576)

    const under = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', {
      type: 'big.event',
      data: 'x'.repeat(bodyLimit - 100),
    })
    assert.equal(under.status, 202, under.text.slice(0, 200))
  })

  it('answers 429 with Retry-After once a key is over its rate limit, per key', async () => {
    const limited = await startServer({ server: { rateLimit: 2 } })
    try {
      const key = limited.keys.acme.user
      assert.equal((await limited.call(key, 'GET', '/webhooks/subscriptions')).status, 200)
      assert.equal((await limited.call(key, 'GET', '/webhooks/subscriptions')).status, 200)
      const third = await limited.call(key, 'GET', '/webhooks/subscriptions')
      assertProblem(third, 429, 'rate_limited')
      const retryAfter = Number(third.headers['retry-after'])
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${retryAfter}`)

      const other = await limited.call(limited.keys.acme.both, 'GET', '/webhooks/subscriptions')
      assert.equal(other.status, 200, 'another key has its own budget')
      assert.equal((await limited.call(null, 'GET', '/healthz')).status, 200)
    } finally {
      await limited.close()
    }
  })

  it('has no rate limit at 0', async () => {
    const unlimited = await startServer({ server: { rateLimit: 0 } })
    try {
      for (let i = 0; i < 30; i++) {
        const response = await unlimited.call(
          unlimited.keys.acme.user,
          'GET',
          '/webhooks/subscriptions',
        )
        assert.equal(response.status, 200)
      }
    } finally {
      await unlimited.close()
    }
  })

  it('answers an unknown route with a 404 problem', async () => {
    for (const key of [t.keys.acme.user, null]) {
      const response = await t.call(key, 'GET', '/webhooks/nothing-here')
      assertProblem(response, 404, 'route_not_found')
      assert.equal(response.body.instance, '/webhooks/nothing-here')
    }
  })

  it('answers a wrong method on a known path with 405 and the methods it takes in Allow', async () => {
    const sub = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', {
      ...subscriptionBody(url('/405')),
    })
    const cases: [Method, string, string][] = [
      ['PATCH', `/webhooks/subscriptions/${sub.body.id}`, 'GET, HEAD, DELETE, PUT'],
      ['DELETE', '/webhooks/subscriptions?limit=5', 'GET, HEAD, POST'],
      ['GET', `/webhooks/subscriptions/${sub.body.id}/rotate-secret`, 'POST'],
      ['PATCH', '/healthz', 'GET, HEAD'],
    ]
    for (const [method, path, allow] of cases) {
      for (const key of [t.keys.acme.user, null]) {
        const response = await t.call(key, method, path)
        assertProblem(response, 405, 'method_not_allowed', null)
        assert.equal(response.headers.allow, allow, `${method} ${path}`)
        assert.equal(
          response.body.detail,
          `${method} is not allowed on this path; it takes ${allow}`,
        )
        assert.equal(response.body.instance, path)
      }
    }
    // Nothing was changed by the refused calls.
    const after = await t.call(t.keys.acme.user, 'GET', `/webhooks/subscriptions/${sub.body.id}`)
    assert.equal(after.status, 200)
    assertProblem(await t.call(null, 'PATCH', '/webhooks/nothing-here'), 404, 'route_not_found')
  })

  it('refuses an unknown body field with 400 naming it, writing nothing', async () => {
    const top = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', {
      ...subscriptionBody(url('/u')),
      colour: 'red',
    })
    assertProblem(top, 400, 'invalid_input', 'colour')
    assert.match(top.body.detail, /colour/)
    const nested = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', {
      ...subscriptionBody(url('/u')),
      config: { url: url('/u'), verifySsl: false },
    })
    assertProblem(nested, 400, 'invalid_input', 'config.verifySsl')
    const tenant = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', {
      ...subscriptionBody(url('/u')),
      tenant: 'globex',
    })
    assertProblem(tenant, 400, 'invalid_input', 'tenant')
    const list = await t.call(t.keys.acme.user, 'GET', '/webhooks/subscriptions')
    assert.deepEqual(list.body.data, [])
  })

  it('answers a wrong type with 400 naming the field, and a non-JSON body with 415', async () => {
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', {
        ...subscriptionBody(url('/w')),
        events: 'order.created',
      }),
      400,
      'invalid_input',
      'events',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', {
        ...subscriptionBody(url('/w')),
        rateLimit: 0,
      }),
      400,
      'invalid_input',
      'rateLimit',
    )
    const form = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', 'name=x', {
      'content-type': 'application/x-www-form-urlencoded',
    })
    assertProblem(form, 415, 'unsupported_media_type')
    const text = await t.call(t.keys.acme.user, 'POST', '/webhooks/subscriptions', 'name=x', {
      'content-type': 'text/plain',
    })
    assertProblem(text, 400, 'invalid_input', 'body')
  })

  it('refuses a URL the SSRF guard refuses with 400 unsafe_url', async () => {
    const response = await t.call(
      t.keys.acme.user,
      'POST',
      '/webhooks/subscriptions',
      subscriptionBody('http://169.254.169.254/latest/meta-data'),
    )
    assertProblem(response, 400, 'unsafe_url')
  })
})
