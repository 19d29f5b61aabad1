import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Hookrelay } from '../../src/index.ts'
import { verifyStandard } from '../../src/receiver/index.ts'
import { buildServer } from '../../src/server/app.ts'
import { hookrelayPlugin } from '../../src/server/plugin.ts'
import { testHooks } from '../support/engine.ts'
import {
  type ApiResponse,
  assertProblem,
  type ServerTestFixture,
  subscriptionBody,
  useServer,
} from '../support/server.ts'

const t = useServer()

/** Routes anyone may call: no tenant, no data. */
const publicRoute = /^GET \/(healthz|readyz|metrics|openapi\.json|docs(\/.*)?)$/
const adminRoute = /^[A-Z]+ \/admin\//

/** acme's objects, which globex must never see, change or use. */
interface AcmeObjects {
  subscriptionId: string
  secret: string
  url: string
  name: string
  eventId: string
  deliveryId: string
  attemptId: string
  keyId: string
  dataMarker: string
}

/**
 * How a route must answer a caller from another tenant: `hidden` — 404 or 403 (acme's object
 * looks like none); `scoped` — the caller's own tenant only, with `status`; `shared` — the same
 * for every tenant (the event-type catalogue), with `status`.
 */
type Outcome = { kind: 'hidden' } | { kind: 'scoped' | 'shared'; status: number }

interface Probe {
  /** Values of the route's `:params`. */
  params?: Record<string, string>
  query?: string
  body?: unknown
  outcome: Outcome
  /** More checks of the answer. */
  check?: (response: ApiResponse) => void
}

const hidden: Outcome = { kind: 'hidden' }

/**
 * Every tenant route, called with globex's key against acme's objects. A route added to the API
 * without an entry here fails the coverage test below, by name.
 */
const tenantRoutes: Record<string, (acme: AcmeObjects) => Probe> = {
  'POST /webhooks/subscriptions': () => ({
    body: subscriptionBody(`${t.receiver.url}/globex-own`, ['globex.only']),
    outcome: { kind: 'scoped', status: 201 },
    check: (response) => assert.equal(response.body.tenant, 'globex'),
  }),
  'GET /webhooks/subscriptions': () => ({
    outcome: { kind: 'scoped', status: 200 },
    check: (response) => assert.ok(response.body.data.every(isGlobex)),
  }),
  'GET /webhooks/subscriptions/search': () => ({
    query: 'event=order.created',
    outcome: { kind: 'scoped', status: 200 },
  }),
  'GET /webhooks/subscriptions/:id': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'PUT /webhooks/subscriptions/:id': (acme) => ({
    params: { id: acme.subscriptionId },
    body: { name: 'taken over', config: { url: `${t.receiver.url}/globex-steals` } },
    outcome: hidden,
  }),
  'DELETE /webhooks/subscriptions/:id': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'POST /webhooks/subscriptions/:id/test': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'GET /webhooks/subscriptions/:id/last-error': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'POST /webhooks/subscriptions/:id/rotate-secret': (acme) => ({
    params: { id: acme.subscriptionId },
    body: {},
    outcome: hidden,
  }),
  'POST /webhooks/subscriptions/:id/recover': (acme) => ({
    params: { id: acme.subscriptionId },
    body: { since: 0 },
    outcome: hidden,
  }),
  'POST /webhooks/subscriptions/recover': (acme) => ({
    body: { since: 0 },
    outcome: { kind: 'scoped', status: 200 },
    check: (response) =>
      assert.ok(
        !response.body.subscriptions.some((s: { id: string }) => s.id === acme.subscriptionId),
        'acme’s subscription was recovered',
      ),
  }),
  'GET /webhooks/subscriptions/:id/deliveries': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'GET /webhooks/subscriptions/:id/secret': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'GET /webhooks/subscriptions/:id/stats': (acme) => ({
    params: { id: acme.subscriptionId },
    outcome: hidden,
  }),
  'GET /webhooks/subscriptions/stats': (acme) => ({
    outcome: { kind: 'scoped', status: 200 },
    check: (response) =>
      assert.ok(
        response.body.data.every(
          (row: { subscriptionId: string }) => row.subscriptionId !== acme.subscriptionId,
        ),
      ),
  }),
  'GET /webhooks/me': () => ({
    outcome: { kind: 'scoped', status: 200 },
    check: (response) => assert.equal(response.body.tenant, 'globex'),
  }),
  'POST /webhooks/events': () => ({
    body: { type: 'order.created', data: { from: 'globex' } },
    outcome: { kind: 'scoped', status: 202 },
    check: (response) => assert.equal(response.body.deliveries, 0, 'acme’s subscriber matched'),
  }),
  'POST /webhooks/entity-changes': () => ({
    body: { entity: 'order', id: 1, action: 'created' },
    outcome: { kind: 'scoped', status: 202 },
    check: (response) => assert.equal(response.body.deliveries, 0, 'acme’s subscriber matched'),
  }),
  'GET /webhooks/events': () => ({
    outcome: { kind: 'scoped', status: 200 },
    check: (response) => assert.ok(response.body.data.every(isGlobex)),
  }),
  'GET /webhooks/events/:id': (acme) => ({ params: { id: acme.eventId }, outcome: hidden }),
  'POST /webhooks/events/retry': () => ({
    body: { type: 'order.created', since: 0 },
    outcome: { kind: 'scoped', status: 200 },
    check: (response) =>
      assert.deepEqual(response.body, { queued: 0, skipped: 0, more: false }, 'acme’s failure'),
  }),
  'POST /webhooks/deliveries/:id/retry': (acme) => ({
    params: { id: acme.deliveryId },
    outcome: hidden,
  }),
  'GET /webhooks/event-types': () => ({ outcome: { kind: 'shared', status: 200 } }),
  'GET /webhooks/event-types/:name': () => ({
    params: { name: 'order.created' },
    outcome: { kind: 'shared', status: 200 },
  }),
  'PUT /webhooks/event-types/:name': () => ({
    params: { name: 'order.created' },
    body: { description: 'globex was here', schema: { type: 'string' } },
    outcome: hidden,
  }),
}

/** Every admin route, called with each of globex's keys: always 403. */
const adminRoutes: Record<string, (acme: AcmeObjects) => Omit<Probe, 'outcome'>> = {
  'POST /admin/tenants': () => ({ body: { id: 'globex-two' } }),
  'GET /admin/tenants': () => ({}),
  'GET /admin/tenants/:id/keys': () => ({ params: { id: 'acme' } }),
  'POST /admin/tenants/:id/keys': () => ({ params: { id: 'acme' }, body: { roles: ['user'] } }),
  'DELETE /admin/keys/:id': (acme) => ({ params: { id: acme.keyId } }),
}

function isGlobex(item: { tenant?: unknown }): boolean {
  return item.tenant === 'globex'
}

/** `METHOD /path` of every route the REST plugin registers, seen by a root `onRoute` hook. */
async function pluginRoutes(hooks: Hookrelay): Promise<Set<string>> {
  const host = Fastify()
  const routes = new Set<string>()
  host.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.add(`${method} ${route.url}`)
    }
  })
  await host.register(hookrelayPlugin, { hooks, admin: true })
  await host.ready()
  await host.close()
  return routes
}

/** `METHOD /path` of every route in the standalone server's OpenAPI document. */
async function documentedRoutes(app: FastifyInstance): Promise<Set<string>> {
  await app.ready()
  const document = app.swagger() as { paths: Record<string, Record<string, unknown>> }
  const routes = new Set<string>()
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const method of Object.keys(methods)) {
      if (method === 'head') continue
      routes.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)
    }
  }
  return routes
}

/** The request a table entry describes: its route with the params filled in. */
function requestOf(route: string, probe: Omit<Probe, 'outcome'>) {
  const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE', string]
  const url = path.replace(/:(\w+)/g, (_, name: string) => {
    const value = probe.params?.[name]
    assert.ok(value !== undefined, `${route}: the table gives no value for :${name}`)
    return encodeURIComponent(value)
  })
  return { method, url: probe.query === undefined ? url : `${url}?${probe.query}` }
}

/** acme's subscription, a failed delivery with its attempt, and an event type everyone sees. */
async function seedAcme(f: ServerTestFixture): Promise<AcmeObjects> {
  const path = '/acme-private-path'
  const name = 'acme-private-name'
  const dataMarker = 'acme-private-data'
  const created = await f.call(f.keys.acme.user, 'POST', '/webhooks/subscriptions', {
    ...subscriptionBody(`${f.receiver.url}${path}`, ['order.created'], { retrySchedule: [] }),
    name,
  })
  assert.equal(created.status, 201, created.text)
  f.receiver.queue(path, { kind: 'status', status: 500, body: 'acme-private-body' })
  const event = await f.hooks.publish({
    tenant: 'acme',
    type: 'order.created',
    data: { marker: dataMarker },
  })
  await f.hooks.drain()
  const detail = await f.hooks.events.get(event.id)
  assert.equal(detail.deliveries[0]?.status, 'failed')
  const key = await f.hooks.keys.create({ tenant: 'acme', roles: ['user'], name: 'acme-extra' })
  const defined = await f.call(f.adminKey, 'PUT', '/webhooks/event-types/order.created', {
    description: 'An order was placed',
  })
  assert.equal(defined.status, 200, defined.text)
  return {
    subscriptionId: created.body.id,
    secret: created.body.config.secret,
    url: `${f.receiver.url}${path}`,
    name,
    eventId: event.id,
    deliveryId: detail.deliveries[0]!.id,
    attemptId: detail.attempts[0]!.id,
    keyId: key.id,
    dataMarker,
  }
}

/** acme's strings the answer must not hold, unless the request itself carried them. */
function assertNoLeak(acme: AcmeObjects, route: string, sent: string, response: ApiResponse) {
  const secrets = [
    acme.subscriptionId,
    acme.secret,
    acme.url,
    '/acme-private-path',
    acme.name,
    acme.eventId,
    acme.deliveryId,
    acme.attemptId,
    acme.keyId,
    acme.dataMarker,
    'acme-private-body',
  ]
  for (const secret of secrets) {
    if (sent.includes(secret)) continue
    assert.ok(!response.text.includes(secret), `${route} leaks ${secret}: ${response.text}`)
  }
}

describe('tenant isolation', () => {
  let collected: Set<string>

  before(async () => {
    // The plugin's routes (from a root onRoute hook) and the standalone server's own (from its
    // OpenAPI document): a route added in either place shows up here.
    const { hooks } = await testHooks()
    try {
      collected = await pluginRoutes(hooks)
      const app = await buildServer({ hooks })
      for (const route of await documentedRoutes(app)) collected.add(route)
      await app.close()
    } finally {
      await hooks.close()
    }
  })

  it('has a cross-tenant check for every route the server registers', () => {
    const guarded = [...collected].filter((route) => !publicRoute.test(route))
    const tenant = guarded.filter((route) => !adminRoute.test(route)).sort()
    const admin = guarded.filter((route) => adminRoute.test(route)).sort()
    assert.ok(tenant.length >= 19, `only ${tenant.length} tenant routes found: ${tenant}`)

    const unchecked = tenant.filter((route) => !(route in tenantRoutes))
    assert.deepEqual(
      unchecked,
      [],
      `routes without a tenant-isolation entry in tenantRoutes: ${unchecked.join(', ')}`,
    )
    const uncheckedAdmin = admin.filter((route) => !(route in adminRoutes))
    assert.deepEqual(
      uncheckedAdmin,
      [],
      `admin routes without an entry in adminRoutes: ${uncheckedAdmin.join(', ')}`,
    )
    assert.deepEqual(Object.keys(tenantRoutes).sort(), tenant, 'tenantRoutes names a lost route')
    assert.deepEqual(Object.keys(adminRoutes).sort(), admin, 'adminRoutes names a lost route')
  })

  it('never shows, changes or uses acme’s objects for globex’s key', async () => {
    const acme = await seedAcme(t)
    const acmeRequests = () => t.receiver.at('/acme-private-path').length
    assert.equal(acmeRequests(), 1)

    for (const [route, entry] of Object.entries(tenantRoutes)) {
      const probe = entry(acme)
      const { method, url } = requestOf(route, probe)
      const response = await t.call(t.keys.globex.both, method, url, probe.body)
      const where = `${route} as globex: ${response.status} ${response.text}`
      switch (probe.outcome.kind) {
        case 'hidden':
          assert.ok([403, 404].includes(response.status), where)
          assertProblem(
            response,
            response.status,
            response.status === 404 ? 'not_found' : 'forbidden',
          )
          break
        case 'scoped':
        case 'shared':
          assert.equal(response.status, probe.outcome.status, where)
          break
      }
      probe.check?.(response)
      assertNoLeak(acme, route, `${url} ${JSON.stringify(probe.body ?? null)}`, response)
    }

    // Nothing of acme's changed: same subscription, no new request, no recovery or retry.
    const subscription = await t.call(
      t.keys.acme.user,
      'GET',
      `/webhooks/subscriptions/${acme.subscriptionId}`,
    )
    assert.equal(subscription.status, 200, subscription.text)
    assert.equal(subscription.body.name, acme.name)
    assert.equal(subscription.body.config.url, acme.url)
    assert.equal(subscription.body.state, 'active')
    const event = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${acme.eventId}`)
    assert.equal(event.body.deliveries[0].status, 'failed')
    assert.equal(event.body.attempts.length, 1)
    const eventType = await t.call(t.keys.acme.user, 'GET', '/webhooks/event-types/order.created')
    assert.equal(eventType.body.description, 'An order was placed')
    await t.hooks.drain()
    assert.equal(acmeRequests(), 1, 'globex made acme’s receiver get a request')

    // The secret was not rotated: the next delivery carries acme's one signature only.
    const next = await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: {} })
    await t.hooks.drain()
    const delivered = t.receiver.at('/acme-private-path')[1]
    assert.ok(delivered, `acme's subscription got no delivery of ${next.id}`)
    verifyStandard({
      secret: acme.secret,
      headers: delivered.headers,
      body: delivered.body,
      now: t.clock.now,
    })
    assert.equal(String(delivered.headers['webhook-signature']).split(' ').length, 1)
  })

  it('refuses every admin route to each of globex’s keys, and changes nothing', async () => {
    const acme = await seedAcme(t)
    for (const key of Object.values(t.keys.globex)) {
      for (const [route, entry] of Object.entries(adminRoutes)) {
        const probe = entry(acme)
        const { method, url } = requestOf(route, probe)
        const response = await t.call(key, method, url, probe.body)
        assertProblem(response, 403, 'forbidden')
        assertNoLeak(acme, route, `${url} ${JSON.stringify(probe.body ?? null)}`, response)
      }
    }
    const acmeKeys = await t.hooks.keys.list('acme')
    assert.ok(
      acmeKeys.some((k: { id: string }) => k.id === acme.keyId),
      'acme’s key was deleted',
    )
    assert.equal(acmeKeys.length, 4, 'a key was made for acme')
  })

  it('refuses the admin key on every tenant route without Hookrelay-Tenant: it belongs to no tenant', async () => {
    const acme = await seedAcme(t)
    for (const [route, entry] of Object.entries(tenantRoutes)) {
      const probe = entry(acme)
      // The catalogue is every tenant's, and `me` answers for any key.
      if (probe.outcome.kind === 'shared' || route === 'GET /webhooks/me') continue
      if (route === 'PUT /webhooks/event-types/:name') continue // the admin's own route
      const { method, url } = requestOf(route, probe)
      const response = await t.call(t.adminKey, method, url, probe.body)
      assertProblem(response, 403, 'forbidden')
      assertNoLeak(acme, route, `${url} ${JSON.stringify(probe.body ?? null)}`, response)
    }
  })

  it('treats a URL acme uses as new for globex: no 409 that would reveal it', async () => {
    const acme = await seedAcme(t)
    const created = await t.call(
      t.keys.globex.user,
      'POST',
      '/webhooks/subscriptions',
      subscriptionBody(acme.url, ['order.created']),
    )
    assert.equal(created.status, 201, created.text)
    assert.equal(created.body.tenant, 'globex')
    const searched = await t.call(
      t.keys.globex.service,
      'GET',
      '/webhooks/subscriptions/search?event=order.created',
    )
    assert.deepEqual(
      searched.body.map((s: { subscriptionId: string }) => s.subscriptionId),
      [created.body.id],
    )
  })
})
